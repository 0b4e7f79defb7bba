//! `GET /api/v1/audit-logs` (management).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use opcms_domain::Permission;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::entity;
use crate::access::Principal;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::extract::ApiQuery;
use crate::http::pagination::{Page, PageParams};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_logs))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub page: Option<u64>,
    pub page_size: Option<u64>,
    pub actor_id: Option<i64>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub action: Option<String>,
    /// Inclusive lower bound: RFC 3339 time or `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Upper bound: RFC 3339 time (exclusive) or `YYYY-MM-DD` (that whole day).
    pub to: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditLogView {
    pub id: i64,
    pub at: DateTime<Utc>,
    #[schema(required = true)]
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub entity_type: String,
    #[schema(required = true)]
    pub entity_id: Option<String>,
    /// `{"field": {"before", "after"}}`
    #[schema(required = true, value_type = Option<Object>)]
    pub changes: Option<serde_json::Value>,
    #[schema(required = true)]
    pub ip: Option<String>,
    #[schema(required = true)]
    pub request_id: Option<String>,
    /// What people call the record: a customer's name and code, a bill's
    /// or payment's number, a user's name (null when it has none or is gone).
    #[schema(required = true)]
    pub entity_label: Option<String>,
    /// Labels of the records the changes name by id (`customer_id`,
    /// `bill_id`, `payment_id`, `plan_id`, `*_owner_id`), keyed
    /// `"{customer|bill|payment|price_plan|user}:{id}"`.
    pub refs: std::collections::BTreeMap<String, String>,
}

impl AuditLogView {
    /// Views of a page of rows with their labels (a few queries in all).
    pub async fn page(db: &impl sea_orm::ConnectionTrait, rows: Vec<entity::Model>) -> AppResult<Vec<AuditLogView>> {
        let labels = super::labels::resolve(db, &rows).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let mut view = AuditLogView::from(row);
                view.entity_label = super::labels::kind_of(&view.entity_type)
                    .zip(view.entity_id.as_deref())
                    .and_then(|(kind, id)| labels.get(&format!("{kind}:{id}")).cloned());
                let mut wanted = std::collections::BTreeSet::new();
                if let Some(changes) = &view.changes {
                    collect_keys(changes, None, &mut wanted);
                }
                view.refs = labels
                    .iter()
                    .filter(|(key, _)| wanted.contains(key.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                view
            })
            .collect())
    }
}

/// The `"{kind}:{id}"` keys a value of `changes` names.
fn collect_keys(value: &serde_json::Value, field: Option<&str>, keys: &mut std::collections::BTreeSet<String>) {
    let mut found = std::collections::BTreeSet::new();
    super::labels::collect_public(value, field, &mut found);
    keys.extend(found.into_iter().map(|(kind, id)| format!("{kind}:{id}")));
}

fn parse_bound(field: &str, text: &str, end_of_day: bool) -> AppResult<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| AppError::field(field, "INVALID_DATE", "时间格式应为 YYYY-MM-DD 或 RFC 3339"))?;
    let day = if end_of_day { day.succ_opt().unwrap_or(day) } else { day };
    Ok(day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

/// Audit log, newest first.
#[utoipa::path(get, path = "/audit-logs", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Page<AuditLogView>), (status = 403, body = ErrorBody)))]
async fn list_audit_logs(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> AppResult<Json<Page<AuditLogView>>> {
    principal.require(Permission::AuditView)?;
    let page = PageParams {
        page: query.page,
        page_size: query.page_size,
    }
    .validate()?;
    let mut select = entity::Entity::find();
    if let Some(actor_id) = query.actor_id {
        select = select.filter(entity::Column::ActorId.eq(actor_id));
    }
    if let Some(entity_type) = query.entity_type.filter(|v| !v.is_empty()) {
        select = select.filter(entity::Column::EntityType.eq(entity_type));
    }
    if let Some(entity_id) = query.entity_id.filter(|v| !v.is_empty()) {
        select = select.filter(entity::Column::EntityId.eq(entity_id));
    }
    if let Some(action) = query.action.filter(|v| !v.is_empty()) {
        select = select.filter(entity::Column::Action.eq(action));
    }
    if let Some(from) = query.from.filter(|v| !v.is_empty()) {
        select = select.filter(entity::Column::At.gte(parse_bound("from", &from, false)?));
    }
    if let Some(to) = query.to.filter(|v| !v.is_empty()) {
        select = select.filter(entity::Column::At.lt(parse_bound("to", &to, true)?));
    }
    let total = select.clone().count(&state.db).await?;
    let rows = select
        .order_by_desc(entity::Column::At)
        .order_by_desc(entity::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(&state.db)
        .await?;
    let items = AuditLogView::page(&state.db, rows).await?;
    Ok(Json(Page::new(items, total, page)))
}

impl From<entity::Model> for AuditLogView {
    fn from(row: entity::Model) -> Self {
        AuditLogView {
            id: row.id,
            at: row.at,
            actor_id: row.actor_id,
            actor_name: row.actor_name,
            action: row.action,
            entity_type: row.entity_type,
            entity_id: row.entity_id,
            changes: row.changes.and_then(|c| serde_json::from_str(&c).ok()),
            ip: row.ip,
            request_id: row.request_id,
            entity_label: None,
            refs: Default::default(),
        }
    }
}
