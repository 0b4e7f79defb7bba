//! The import's optional 价格方案 column: a live plan by name, assigned on
//! confirm (the customer's own rule overrides kept, as the batch action
//! `set_price_plan` does). An unknown name or a caller who may not manage
//! pricing is a row warning, never a rejection: the customer is imported
//! without the plan.

use std::collections::HashMap;

use opcms_domain::customer::Field;
use opcms_domain::customer::normalize::name_key;
use opcms_domain::{Permission, Role};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::error::AppResult;
use crate::pricing::entity::plan;
use crate::spreadsheet::Row;
use crate::spreadsheet::header::{Columns, normalize};

/// The column's header in the template, then what staff sheets call it.
pub const HEADER: &str = "价格方案";
const NAMES: [&str; 4] = [HEADER, "定价方案", "计价方案", "收费方案"];

/// The plan column's index, if the header row has one; it is taken out of
/// the "unknown columns" warning the header check gave.
pub fn locate(columns: &mut Columns<Field>) -> Option<usize> {
    let keys: Vec<String> = NAMES.iter().map(|n| normalize(n)).collect();
    let column = columns.headers.iter().position(|h| keys.contains(&normalize(h)))?;
    let quoted = format!("「{}」", columns.headers[column]);
    for warning in &mut columns.warnings {
        if let Some(list) = warning
            .strip_prefix("未识别的列 ")
            .and_then(|rest| rest.strip_suffix(" 已忽略"))
        {
            let rest: Vec<&str> = list.split('、').filter(|name| *name != quoted).collect();
            *warning = if rest.is_empty() {
                String::new()
            } else {
                format!("未识别的列 {} 已忽略", rest.join("、"))
            };
        }
    }
    columns.warnings.retain(|w| !w.is_empty());
    Some(column)
}

/// The live plans by name, and whether the importer may assign them.
pub struct Plans {
    by_key: HashMap<String, i64>,
    may_assign: bool,
}

impl Plans {
    pub async fn load(db: &impl ConnectionTrait, role: Role) -> AppResult<Plans> {
        let rows = plan::Entity::find()
            .select_only()
            .column(plan::Column::Name)
            .column(plan::Column::Id)
            .filter(plan::Column::IsDeleted.eq(false))
            .into_tuple::<(String, i64)>()
            .all(db)
            .await?;
        Ok(Plans {
            by_key: rows.into_iter().map(|(name, id)| (name_key(&name), id)).collect(),
            may_assign: role.can(Permission::PricingManage),
        })
    }

    /// The plan a row names: `Ok(None)` for a blank cell, the warning when
    /// it cannot be assigned.
    pub fn resolve(&self, row: &Row, column: Option<usize>) -> (String, Result<Option<i64>, String>) {
        let Some(column) = column else {
            return (String::new(), Ok(None));
        };
        let text = row.cell(column).text().trim().to_string();
        if text.is_empty() {
            return (text, Ok(None));
        }
        let outcome = if !self.may_assign {
            Err("设置价格方案需要定价管理权限，已导入但未设置价格方案".to_string())
        } else {
            match self.by_key.get(&name_key(&text)) {
                Some(id) => Ok(Some(*id)),
                None => Err(format!("未找到名为「{text}」的价格方案，已导入但未设置价格方案")),
            }
        };
        (text, outcome)
    }
}
