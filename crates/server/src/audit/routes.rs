//! `GET /api/v1/audit-logs` (management).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use opcms_domain::Permission;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::entity;
use super::view::AuditLogView;
use crate::access::Principal;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::extract::ApiQuery;
use crate::http::pagination::{Page, PageParams, PageRequest};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_logs))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub actor_id: Option<i64>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub action: Option<String>,
    /// Inclusive lower bound: RFC 3339 time or `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Upper bound: RFC 3339 time (exclusive) or `YYYY-MM-DD` (that whole day).
    pub to: Option<String>,
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
#[utoipa::path(get, path = "/audit-logs", tag = "audit", params(PageParams, AuditQuery),
    responses((status = 200, body = Page<AuditLogView>), (status = 403, body = ErrorBody)))]
async fn list_audit_logs(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<AuditQuery>,
    page: PageRequest,
) -> AppResult<Json<Page<AuditLogView>>> {
    principal.require(Permission::AuditView)?;
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
