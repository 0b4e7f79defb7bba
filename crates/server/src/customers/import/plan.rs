//! From rows to a plan: each row validated with the same rules as the API,
//! owners resolved by name, duplicates found inside the file and against
//! the database, and the outcome decided (create, update, unchanged or
//! rejected) before anything is written.

use std::collections::{HashMap, HashSet};

use opcms_domain::customer::normalize::name_key;
use opcms_domain::customer::profile::validate;
use opcms_domain::customer::status::{Trigger, check_transition};
use opcms_domain::customer::{Field, Profile};
use opcms_domain::{FieldError, Role};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;

use super::columns::{RowInput, row_input};
use super::price_plan::{HEADER as PRICE_PLAN_HEADER, Plans};
use crate::crypto::Keyring;
use crate::customers::entity::customer;
use crate::customers::model::{raw_from_row, status_of};
use crate::error::AppResult;
use crate::spreadsheet::Row;
use crate::spreadsheet::header::Columns;
use crate::users::entity as user;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IssueStatus {
    Warning,
    Rejected,
}

/// One problem with one cell (or row), as the report and the UI show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Issue {
    /// The row number as Excel shows it.
    pub row: u32,
    pub status: IssueStatus,
    /// The Chinese column header.
    pub column: String,
    pub value: String,
    pub message: String,
}

/// What happens to a valid row.
pub enum Action {
    Create { code: String },
    Update { existing: Box<customer::Model> },
    Unchanged,
}

pub struct PlannedRow {
    pub row: u32,
    pub profile: Profile,
    pub owners: (Option<i64>, Option<i64>),
    pub action: Action,
    /// The plan the 价格方案 column names (a live one, the importer allowed).
    pub price_plan: Option<i64>,
    /// The stored customer an update or unchanged row is.
    pub customer_id: Option<i64>,
}

#[derive(Default)]
pub struct Plan {
    pub rows: Vec<PlannedRow>,
    pub issues: Vec<Issue>,
    pub total: usize,
    pub rejected: usize,
    pub with_warnings: usize,
}

/// Users by the names staff write in owner columns: display name, then
/// username. A display name two users share is ambiguous.
pub struct Owners {
    by_name: HashMap<String, Option<i64>>,
}

impl Owners {
    pub async fn load(db: &impl ConnectionTrait) -> AppResult<Owners> {
        let users = user::Entity::find()
            .filter(user::Column::IsDeleted.eq(false))
            .filter(user::Column::Status.eq("active"))
            .all(db)
            .await?;
        let mut by_name: HashMap<String, Option<i64>> = HashMap::new();
        for u in &users {
            by_name
                .entry(u.display_name.trim().to_string())
                .and_modify(|id| *id = None)
                .or_insert(Some(u.id));
        }
        for u in &users {
            by_name.entry(u.username.clone()).or_insert(Some(u.id));
        }
        Ok(Owners { by_name })
    }

    /// The user id, or the warning to give.
    fn resolve(&self, name: &str, header: &str) -> Result<i64, String> {
        match self.by_name.get(name) {
            Some(Some(id)) => Ok(*id),
            Some(None) => Err(format!("有多个用户名为「{name}」，无法确定{header}，已导入但未设置")),
            None => Err(format!("未找到名为「{name}」的在职用户，已导入但未设置{header}")),
        }
    }
}

/// The live customers a file's rows may collide with, by code, name and account.
struct Existing {
    by_code: HashMap<String, customer::Model>,
    name_owner: HashMap<String, (i64, String)>,
    account_owner: HashMap<String, (i64, String)>,
}

const CHUNK: usize = 500;

async fn load_existing(
    db: &impl ConnectionTrait,
    codes: &[String],
    names: &[String],
    accounts: &[String],
) -> AppResult<Existing> {
    let mut existing = Existing {
        by_code: HashMap::new(),
        name_owner: HashMap::new(),
        account_owner: HashMap::new(),
    };
    for chunk in codes.chunks(CHUNK) {
        for row in customer::Entity::find()
            .filter(customer::Column::CodeKey.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            existing.by_code.insert(row.customer_code.clone(), row);
        }
    }
    for chunk in names.chunks(CHUNK) {
        for (key, id, code) in holders(db, customer::Column::NameKey, chunk).await? {
            existing.name_owner.insert(key, (id, code));
        }
    }
    for chunk in accounts.chunks(CHUNK) {
        for (key, id, code) in holders(db, customer::Column::AccountKey, chunk).await? {
            existing.account_owner.insert(key, (id, code));
        }
    }
    Ok(existing)
}

/// (key, id, code) of the live customers holding these unique keys.
async fn holders(
    db: &impl ConnectionTrait,
    column: customer::Column,
    values: &[String],
) -> AppResult<Vec<(String, i64, String)>> {
    Ok(customer::Entity::find()
        .select_only()
        .column(column)
        .column(customer::Column::Id)
        .column(customer::Column::CustomerCode)
        .filter(column.is_in(values.iter().cloned()))
        .into_tuple::<(String, i64, String)>()
        .all(db)
        .await?)
}

/// Generated codes for rows without one: `C` + 6 digits above the highest
/// in use, skipping codes the file itself uses.
pub struct CodeSequence {
    pub last: u64,
}

impl CodeSequence {
    fn next(&mut self, used: &HashSet<String>) -> String {
        loop {
            self.last += 1;
            let code = format!("C{:06}", self.last);
            if !used.contains(&code) {
                return code;
            }
        }
    }
}

struct Checked {
    row: u32,
    profile: Profile,
    owners: (Option<i64>, Option<i64>),
    price_plan: Option<i64>,
    input: RowInput,
}

/// What the rows' names are resolved against: owners by name, and the
/// 价格方案 column with the plans it may name.
pub struct Names<'a> {
    pub owners: &'a Owners,
    pub plan_column: Option<usize>,
    pub plans: &'a Plans,
}

/// Plans the import of the data rows.
pub async fn plan(
    db: &impl ConnectionTrait,
    keyring: &Keyring,
    role: Role,
    rows: &[Row],
    columns: &Columns<Field>,
    names: Names<'_>,
    sequence: &mut CodeSequence,
) -> AppResult<Plan> {
    let mut plan = Plan {
        total: rows.len(),
        ..Plan::default()
    };
    let cell_text = |row: &Row, field: Field| {
        columns
            .column_of(field)
            .map(|c| row.cell(c).text().trim().to_string())
            .unwrap_or_default()
    };
    let issue = |plan: &mut Plan, row: &Row, field: Field, status: IssueStatus, message: String| {
        plan.issues.push(Issue {
            row: row.number,
            status,
            column: field.header().to_string(),
            value: cell_text(row, field),
            message,
        });
    };

    // 1. Each row on its own: the profile rules, then owners by name.
    let mut checked: Vec<Checked> = Vec::with_capacity(rows.len());
    let mut rejected_rows: HashSet<u32> = HashSet::new();
    let mut warned_rows: HashSet<u32> = HashSet::new();
    for row in rows {
        let input = row_input(row, columns);
        let profile = match validate(&input.raw) {
            Ok(profile) => profile,
            Err(errors) => {
                for FieldError { field, message, .. } in errors {
                    let field = Field::from_name(&field).unwrap_or(Field::CompanyName);
                    issue(&mut plan, row, field, IssueStatus::Rejected, message);
                }
                rejected_rows.insert(row.number);
                continue;
            }
        };
        let mut resolved = [None, None];
        for (slot, (name, field)) in [
            (&input.sales_owner, Field::SalesOwner),
            (&input.ops_owner, Field::OpsOwner),
        ]
        .into_iter()
        .enumerate()
        {
            if let Some(name) = name {
                match names.owners.resolve(name, field.header()) {
                    Ok(id) => resolved[slot] = Some(id),
                    Err(message) => {
                        issue(&mut plan, row, field, IssueStatus::Warning, message);
                        warned_rows.insert(row.number);
                    }
                }
            }
        }
        let (text, outcome) = names.plans.resolve(row, names.plan_column);
        let price_plan = outcome.unwrap_or_else(|message| {
            plan.issues.push(Issue {
                row: row.number,
                status: IssueStatus::Warning,
                column: PRICE_PLAN_HEADER.to_string(),
                value: text,
                message,
            });
            warned_rows.insert(row.number);
            None
        });
        checked.push(Checked {
            row: row.number,
            profile,
            owners: (resolved[0], resolved[1]),
            price_plan,
            input,
        });
    }

    // 2. Inside the file the first row with a code, name or account wins.
    let by_number: HashMap<u32, &Row> = rows.iter().map(|r| (r.number, r)).collect();
    let mut first_code: HashMap<String, u32> = HashMap::new();
    let mut first_name: HashMap<String, u32> = HashMap::new();
    let mut first_account: HashMap<String, u32> = HashMap::new();
    let mut kept = Vec::with_capacity(checked.len());
    for c in checked {
        let row = by_number[&c.row];
        let mut duplicate = false;
        let mut check = |seen: &mut HashMap<String, u32>, key: Option<String>, field: Field, plan: &mut Plan| {
            let Some(key) = key else { return };
            match seen.get(&key) {
                Some(first) => {
                    let message = format!("与第 {first} 行的{}重复，以第 {first} 行为准", field.header());
                    issue(plan, row, field, IssueStatus::Rejected, message);
                    duplicate = true;
                }
                None => {
                    seen.insert(key, c.row);
                }
            }
        };
        check(
            &mut first_code,
            c.profile.customer_code.clone(),
            Field::CustomerCode,
            &mut plan,
        );
        check(
            &mut first_name,
            Some(name_key(&c.profile.company_name)),
            Field::CompanyName,
            &mut plan,
        );
        check(
            &mut first_account,
            c.profile.account_id.clone(),
            Field::AccountId,
            &mut plan,
        );
        if duplicate {
            rejected_rows.insert(c.row);
        } else {
            kept.push(c);
        }
    }

    // 3. Against the database: a known code updates that customer; a name or
    //    account held by another customer is a conflict.
    let codes: Vec<String> = first_code.keys().cloned().collect();
    let names: Vec<String> = first_name.keys().cloned().collect();
    let accounts: Vec<String> = first_account.keys().cloned().collect();
    let existing = load_existing(db, &codes, &names, &accounts).await?;
    let mut used_codes: HashSet<String> = first_code.keys().cloned().collect();
    for c in kept {
        let row = by_number[&c.row];
        let target = c
            .profile
            .customer_code
            .as_ref()
            .and_then(|code| existing.by_code.get(code));
        let (profile, action) = match target {
            Some(stored) => {
                let stored_raw = raw_from_row(stored, keyring);
                let mut merged = stored_raw.clone();
                merged.overlay(&c.input.raw);
                let profile = match validate(&merged) {
                    Ok(p) => p,
                    Err(errors) => {
                        for e in errors {
                            let field = Field::from_name(&e.field).unwrap_or(Field::CompanyName);
                            issue(&mut plan, row, field, IssueStatus::Rejected, e.message);
                        }
                        rejected_rows.insert(c.row);
                        continue;
                    }
                };
                let from = status_of(stored);
                if from != profile.account_status
                    && let Err(e) = check_transition(from, profile.account_status, Trigger::Manual(role))
                {
                    issue(
                        &mut plan,
                        row,
                        Field::AccountStatus,
                        IssueStatus::Rejected,
                        e.to_string(),
                    );
                    rejected_rows.insert(c.row);
                    continue;
                }
                let owners = (c.owners.0.or(stored.sales_owner_id), c.owners.1.or(stored.ops_owner_id));
                let before = validate(&stored_raw).ok();
                let same = before.as_ref() == Some(&profile) && owners == (stored.sales_owner_id, stored.ops_owner_id);
                let action = if same {
                    Action::Unchanged
                } else {
                    Action::Update {
                        existing: Box::new(stored.clone()),
                    }
                };
                (profile, (action, owners))
            }
            None => {
                let code = match &c.profile.customer_code {
                    Some(code) => code.clone(),
                    None => {
                        let code = sequence.next(&used_codes);
                        used_codes.insert(code.clone());
                        code
                    }
                };
                (c.profile, (Action::Create { code }, c.owners))
            }
        };
        let (action, owners) = action;
        let own_id = match &action {
            Action::Update { existing } => Some(existing.id),
            Action::Unchanged => target.map(|t| t.id),
            Action::Create { .. } => None,
        };
        let taken = |map: &HashMap<String, (i64, String)>, key: &str| {
            map.get(key)
                .filter(|(id, _)| Some(*id) != own_id)
                .map(|(_, code)| code.clone())
        };
        let mut conflict = false;
        if let Some(other) = taken(&existing.name_owner, &name_key(&profile.company_name)) {
            let message = format!("公司名称已被客户 {other} 使用；如需更新该客户，请填写其客户编号");
            issue(&mut plan, row, Field::CompanyName, IssueStatus::Rejected, message);
            conflict = true;
        }
        if let Some(other) = profile
            .account_id
            .as_deref()
            .and_then(|a| taken(&existing.account_owner, a))
        {
            let message = format!("平台账号已被客户 {other} 使用");
            issue(&mut plan, row, Field::AccountId, IssueStatus::Rejected, message);
            conflict = true;
        }
        if conflict {
            rejected_rows.insert(c.row);
            continue;
        }
        plan.rows.push(PlannedRow {
            row: c.row,
            profile,
            owners,
            action,
            price_plan: c.price_plan,
            customer_id: own_id,
        });
    }
    plan.rejected = rejected_rows.len();
    plan.with_warnings = warned_rows.difference(&rejected_rows).count();
    plan.issues.sort_by_key(|i| i.row);
    Ok(plan)
}
