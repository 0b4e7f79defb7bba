//! `POST /customers/batch`: one action over many customers — named by id or
//! every customer matching the list's filter — each applied (or refused) on
//! its own so good ids are not held back by bad ones.

use opcms_domain::Permission;
use serde::{Deserialize, Serialize};

use sea_orm::{PaginatorTrait, QueryOrder, QuerySelect};

use super::entity::customer;
use super::list::{self, CustomerQuery};
use super::model::CustomerPatch;
use super::service;
use crate::access::Principal;
use crate::error::{AppError, AppResult};
use crate::http::extract::present;
use crate::state::AppState;

/// Most ids one request may name.
pub const MAX_BATCH: usize = 500;
/// Most customers a filter may select ("select all matching the filter").
pub const MAX_FILTERED: u64 = 5_000;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// 1 to 500 customers; or `filter` instead.
    pub ids: Option<Vec<i64>>,
    /// Every customer matching these `GET /customers` query parameters (in
    /// the caller's data scope), at most 5,000; `page`, `page_size` and
    /// `sort` are ignored.
    #[schema(value_type = Option<Object>)]
    pub filter: Option<CustomerQuery>,
    /// `assign_sales_owner` | `assign_ops_owner` | `set_level` | `add_tag` |
    /// `remove_tag` | `change_status` | `delete` | `set_price_plan`
    pub action: String,
    /// For `set_price_plan`.
    pub plan_id: Option<i64>,
    /// For the assign actions; `null` clears the owner.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub owner_id: Option<Option<i64>>,
    pub level: Option<String>,
    pub tag: Option<String>,
    pub to: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemError {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemResult {
    pub id: i64,
    pub ok: bool,
    #[schema(required = true)]
    pub error: Option<ItemError>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchResponse {
    /// How many customers the ids or the filter named.
    pub matched: usize,
    pub results: Vec<ItemResult>,
    pub succeeded: usize,
    pub failed: usize,
}

enum Action {
    AssignSales(Option<i64>),
    AssignOps(Option<i64>),
    SetLevel(String),
    AddTag(String),
    RemoveTag(String),
    ChangeStatus { to: String, reason: String },
    Delete,
    SetPricePlan(i64),
}

fn parse(request: &BatchRequest) -> AppResult<Action> {
    let missing = |field: &str, what: &str| AppError::field(field, "REQUIRED", format!("该操作需要{what}"));
    let action = match request.action.as_str() {
        "assign_sales_owner" => Action::AssignSales(request.owner_id.ok_or_else(|| missing("owner_id", "负责人"))?),
        "assign_ops_owner" => Action::AssignOps(request.owner_id.ok_or_else(|| missing("owner_id", "负责人"))?),
        "set_level" => Action::SetLevel(request.level.clone().ok_or_else(|| missing("level", "客户等级"))?),
        "add_tag" => Action::AddTag(request.tag.clone().ok_or_else(|| missing("tag", "标签"))?),
        "remove_tag" => Action::RemoveTag(request.tag.clone().ok_or_else(|| missing("tag", "标签"))?),
        "change_status" => Action::ChangeStatus {
            to: request.to.clone().ok_or_else(|| missing("to", "目标状态"))?,
            reason: request.reason.clone().unwrap_or_default(),
        },
        "delete" => Action::Delete,
        "set_price_plan" => Action::SetPricePlan(request.plan_id.ok_or_else(|| missing("plan_id", "定价方案"))?),
        _ => {
            return Err(AppError::field(
                "action",
                "UNKNOWN_ACTION",
                "不支持的批量操作（可用：assign_sales_owner、assign_ops_owner、set_level、add_tag、remove_tag、change_status、delete、set_price_plan）",
            ));
        }
    };
    Ok(action)
}

pub async fn run(state: &AppState, principal: &Principal, request: BatchRequest) -> AppResult<BatchResponse> {
    let action = parse(&request)?;
    let needed = match action {
        Action::AddTag(_) | Action::RemoveTag(_) => Permission::CustomersEditContact,
        Action::SetPricePlan(_) => Permission::PricingManage,
        _ => Permission::CustomersEdit,
    };
    principal.require(needed)?;
    if let Action::SetPricePlan(plan_id) = action {
        crate::pricing::reads::live_plan(&state.db, plan_id).await?;
    }
    let ids = match (&request.ids, &request.filter) {
        (Some(_), Some(_)) => {
            return Err(AppError::field(
                "filter",
                "IDS_AND_FILTER",
                "请只选择其一：客户 ids 或筛选条件 filter",
            ));
        }
        (Some(ids), None) => {
            // Each id once, in the order given.
            let mut seen = std::collections::HashSet::new();
            let ids: Vec<i64> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
            if ids.is_empty() || ids.len() > MAX_BATCH {
                return Err(AppError::field(
                    "ids",
                    "OUT_OF_RANGE",
                    format!("一次可处理 1 到 {MAX_BATCH} 个客户；更多请用“选择全部筛选结果”"),
                ));
            }
            ids
        }
        (None, Some(filter)) => matching(state, principal, filter).await?,
        (None, None) => return Err(AppError::field("ids", "REQUIRED", "请选择客户或给出筛选条件")),
    };

    if let Action::SetPricePlan(plan_id) = action {
        let outcomes = crate::pricing::customer::set_plan_many(state, principal, &ids, plan_id).await?;
        return Ok(respond(outcomes));
    }
    let mut outcomes = Vec::with_capacity(ids.len());
    for id in ids {
        outcomes.push((id, apply(state, principal, id, &action).await));
    }
    Ok(respond(outcomes))
}

/// Each id's outcome as the answer reports it.
fn respond(outcomes: Vec<(i64, AppResult<()>)>) -> BatchResponse {
    let mut results = Vec::with_capacity(outcomes.len());
    for (id, outcome) in outcomes {
        results.push(match outcome {
            Ok(()) => ItemResult {
                id,
                ok: true,
                error: None,
            },
            Err(err) => {
                if let AppError::Internal(cause) = &err {
                    tracing::error!(customer_id = id, error = ?cause, "batch item failed");
                }
                let (code, message) = err.summary();
                ItemResult {
                    id,
                    ok: false,
                    error: Some(ItemError { code, message }),
                }
            }
        });
    }
    let succeeded = results.iter().filter(|r| r.ok).count();
    BatchResponse {
        matched: results.len(),
        failed: results.len() - succeeded,
        succeeded,
        results,
    }
}

/// The ids of the live customers in the caller's scope matching the list
/// filter, at most [`MAX_FILTERED`] (400 `TOO_MANY` beyond, nothing done).
async fn matching(state: &AppState, principal: &Principal, filter: &CustomerQuery) -> AppResult<Vec<i64>> {
    if filter.deleted == Some(true) {
        return Err(AppError::field(
            "filter.deleted",
            "INVALID_FILTER",
            "批量操作不适用于已删除的客户",
        ));
    }
    if filter.plan_id.is_some() {
        principal.require(Permission::PricingView)?;
    }
    let query = CustomerQuery {
        sort: None,
        ..filter.clone()
    };
    let select = list::build(
        &query,
        &principal.scope(),
        &state.keyring,
        state.db.get_database_backend(),
    )?;
    let count = select.clone().count(&state.db).await?;
    if count > MAX_FILTERED {
        return Err(AppError::field(
            "filter",
            "TOO_MANY",
            format!("筛选结果共 {count} 个客户，超过单次批量上限 {MAX_FILTERED} 个，请缩小筛选范围"),
        ));
    }
    Ok(select
        .select_only()
        .column(customer::Column::Id)
        .order_by_asc(customer::Column::Id)
        .into_tuple::<i64>()
        .all(&state.db)
        .await?)
}

async fn apply(state: &AppState, principal: &Principal, id: i64, action: &Action) -> AppResult<()> {
    let patch = match action {
        Action::AssignSales(owner) => CustomerPatch {
            sales_owner_id: Some(*owner),
            ..Default::default()
        },
        Action::AssignOps(owner) => CustomerPatch {
            ops_owner_id: Some(*owner),
            ..Default::default()
        },
        Action::SetLevel(level) => CustomerPatch {
            level: Some(Some(level.clone())),
            ..Default::default()
        },
        Action::AddTag(tag) | Action::RemoveTag(tag) => {
            // Read, change and write the tag list under the row's version, so
            // a concurrent edit is reported instead of overwritten.
            let row = service::find_visible(&state.db, &principal.scope(), id).await?;
            let mut tags = service::tags_of(&state.db, &[id])
                .await?
                .remove(&id)
                .unwrap_or_default();
            let tag = tag.trim().to_string();
            if matches!(action, Action::AddTag(_)) {
                tags.push(tag);
            } else {
                tags.retain(|t| *t != tag);
            }
            let patch = CustomerPatch {
                tags: Some(Some(tags)),
                ..Default::default()
            };
            service::update(state, principal, id, patch, Some(row.version)).await?;
            return Ok(());
        }
        Action::ChangeStatus { to, reason } => {
            // Forcing a close is a decision per customer, never in a batch.
            service::change_status(state, principal, id, to, reason, false).await?;
            return Ok(());
        }
        Action::Delete => return service::delete(state, principal, id).await,
        // Applied by `set_plan_many`, never one by one.
        Action::SetPricePlan(plan_id) => {
            crate::pricing::customer::set_plan(state, principal, id, *plan_id).await?;
            return Ok(());
        }
    };
    service::update(state, principal, id, patch, None).await?;
    Ok(())
}
