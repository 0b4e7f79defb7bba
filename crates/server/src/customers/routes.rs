//! `/api/v1/customers` (contract: docs/api/customers.md).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use opcms_domain::Permission;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::batch::{self, BatchRequest, BatchResponse};
use super::list::{self, CustomerQuery};
use super::model::{CustomerInput, CustomerPatch, CustomerView};
use super::service;
use crate::access::Principal;
use crate::audit::view::AuditLogView;
use crate::audit::{self, Actor};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageParams, PageRequest};
use crate::state::AppState;
use crate::users::entity as user;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_customers, create_customer))
        .routes(routes!(get_customer, update_customer, delete_customer))
        .routes(routes!(restore_customer))
        .routes(routes!(change_status))
        .routes(routes!(status_history))
        .routes(routes!(audit_trail))
        .routes(routes!(batch_action))
        .routes(routes!(owner_options))
        .merge(super::import::routes::router())
        .merge(super::export::router())
}

/// Customers the caller may see, filtered, sorted and paged.
#[utoipa::path(get, path = "/customers", tag = "customers", params(PageParams, CustomerQuery),
    responses((status = 200, body = Page<CustomerView>), (status = 400, body = ErrorBody)))]
async fn list_customers(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<CustomerQuery>,
    page: PageRequest,
) -> AppResult<Json<Page<CustomerView>>> {
    principal.require(Permission::CustomersView)?;
    if query.deleted == Some(true) {
        principal.require(Permission::CustomersRestore)?;
    }
    if query.plan_id.is_some() {
        principal.require(Permission::PricingView)?;
    }
    let (rows, total) = list::page(&state.db, &query, &principal.scope(), &state.keyring, page).await?;
    let items = service::views(&state.db, &state.keyring, principal.role, rows).await?;
    Ok(Json(Page::new(items, total, page)))
}

/// Create a customer.
#[utoipa::path(post, path = "/customers", tag = "customers", request_body = CustomerInput,
    responses((status = 201, body = CustomerView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_customer(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<CustomerInput>,
) -> AppResult<(StatusCode, Json<CustomerView>)> {
    principal.require(Permission::CustomersEdit)?;
    let created = service::create(&state, &Actor::from(&principal), input).await?;
    Ok((
        StatusCode::CREATED,
        Json(service::view(&state, &principal, created).await?),
    ))
}

#[utoipa::path(get, path = "/customers/{id}", tag = "customers",
    responses((status = 200, body = CustomerView), (status = 404, body = ErrorBody)))]
async fn get_customer(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<CustomerView>> {
    principal.require(Permission::CustomersView)?;
    let row = service::find_visible(&state.db, &principal.scope(), id).await?;
    Ok(Json(service::view(&state, &principal, row).await?))
}

/// Partial update with optimistic concurrency (`version`).
#[utoipa::path(patch, path = "/customers/{id}", tag = "customers", request_body = CustomerPatch,
    responses((status = 200, body = CustomerView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn update_customer(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(patch): ApiJson<CustomerPatch>,
) -> AppResult<Json<CustomerView>> {
    let Some(version) = patch.version else {
        return Err(AppError::field(
            "version",
            "REQUIRED",
            "缺少 version：请提交编辑前读取到的版本号",
        ));
    };
    let updated = service::update(&state, &principal, id, patch, Some(version)).await?;
    Ok(Json(service::view(&state, &principal, updated).await?))
}

/// Soft delete; management can restore.
#[utoipa::path(delete, path = "/customers/{id}", tag = "customers",
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_customer(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<StatusCode> {
    service::delete(&state, &principal, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/customers/{id}/restore", tag = "customers",
    responses((status = 200, body = CustomerView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn restore_customer(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<CustomerView>> {
    let restored = service::restore(&state, &principal, id).await?;
    Ok(Json(service::view(&state, &principal, restored).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// Target status code.
    pub to: String,
    pub reason: String,
    /// Close even though bills are unsettled (else 409 `UNSETTLED_BILLS`);
    /// recorded in the audit log with what was owed.
    #[serde(default)]
    pub force: bool,
}

/// Move the account status by hand (DESIGN.md §3 table).
#[utoipa::path(post, path = "/customers/{id}/status", tag = "customers", request_body = StatusChange,
    responses((status = 200, body = CustomerView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn change_status(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<StatusChange>,
) -> AppResult<Json<CustomerView>> {
    let updated = service::change_status(&state, &principal, id, &body.to, &body.reason, body.force).await?;
    Ok(Json(service::view(&state, &principal, updated).await?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatusHistoryView {
    pub id: i64,
    #[schema(required = true, value_type = Option<opcms_domain::customer::AccountStatus>)]
    pub from_status: Option<String>,
    #[schema(value_type = opcms_domain::customer::AccountStatus)]
    pub to_status: String,
    pub reason: String,
    #[schema(required = true)]
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub at: DateTime<Utc>,
}

#[utoipa::path(get, path = "/customers/{id}/status-history", tag = "customers",
    responses((status = 200, body = Vec<StatusHistoryView>), (status = 404, body = ErrorBody)))]
async fn status_history(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Vec<StatusHistoryView>>> {
    principal.require(Permission::CustomersView)?;
    service::find_visible(&state.db, &principal.scope(), id).await?;
    let rows = service::status_history(&state.db, id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| StatusHistoryView {
                id: r.id,
                from_status: r.from_status,
                to_status: r.to_status,
                reason: r.reason,
                actor_id: r.actor_id,
                actor_name: r.actor_name,
                at: r.at,
            })
            .collect(),
    ))
}

/// The customer's audit entries, newest first.
#[utoipa::path(get, path = "/customers/{id}/audit-trail", tag = "customers", params(PageParams),
    responses((status = 200, body = Page<AuditLogView>), (status = 404, body = ErrorBody)))]
async fn audit_trail(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    page: PageRequest,
) -> AppResult<Json<Page<AuditLogView>>> {
    principal.require(Permission::CustomersView)?;
    service::find_visible(&state.db, &principal.scope(), id).await?;
    Ok(Json(audit::trail(&state.db, "customer", id, page).await?))
}

/// One action over many customers; per-id results.
#[utoipa::path(post, path = "/customers/batch", tag = "customers", request_body = BatchRequest,
    responses((status = 200, body = BatchResponse), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn batch_action(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<BatchRequest>,
) -> AppResult<Json<BatchResponse>> {
    principal.require(Permission::CustomersView)?;
    Ok(Json(batch::run(&state, &principal, request).await?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OwnerOption {
    pub id: i64,
    pub display_name: String,
    #[schema(value_type = opcms_domain::Role)]
    pub role: String,
}

/// Active staff, for the owner pickers.
#[utoipa::path(get, path = "/customers/options/owners", tag = "customers",
    responses((status = 200, body = Vec<OwnerOption>)))]
async fn owner_options(State(state): State<AppState>, principal: Principal) -> AppResult<Json<Vec<OwnerOption>>> {
    principal.require(Permission::CustomersView)?;
    let users = user::Entity::find()
        .filter(user::Column::IsDeleted.eq(false))
        .filter(user::Column::Status.eq("active"))
        .order_by_asc(user::Column::DisplayName)
        .all(&state.db)
        .await?;
    Ok(Json(
        users
            .into_iter()
            .map(|u| OwnerOption {
                id: u.id,
                display_name: u.display_name,
                role: u.role,
            })
            .collect(),
    ))
}
