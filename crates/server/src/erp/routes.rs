//! `/integrations`: the 集成 page's connectors, the ERP sync log and its
//! re-send actions (docs/api/integrations.md). Management only.

use axum::Json;
use axum::extract::State;
use opcms_domain::Permission;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::conflicts::{ConflictDecision, ConflictResolved, ErpConflict};
use super::log::{ErpResendResult, ErpSyncEntry, ErpSyncQuery};
use crate::access::Principal;
use crate::audit::Actor;
use crate::error::{AppResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageParams, PageRequest};
use crate::integrations::IntegrationsOverview;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(integrations_overview))
        .routes(routes!(erp_log))
        .routes(routes!(erp_resend))
        .routes(routes!(erp_resend_failed))
        .routes(routes!(erp_conflicts))
        .routes(routes!(erp_conflict_accept))
        .routes(routes!(erp_conflict_keep))
}

/// Each connector's status, last sync and last error.
#[utoipa::path(get, path = "/integrations", tag = "integrations",
    responses((status = 200, body = IntegrationsOverview), (status = 403, body = ErrorBody)))]
async fn integrations_overview(
    State(state): State<AppState>,
    principal: Principal,
) -> AppResult<Json<IntegrationsOverview>> {
    principal.require(Permission::IntegrationsManage)?;
    let (redis, storage) = tokio::join!(
        crate::integrations::redis_status(&state),
        crate::integrations::storage_status(&state)
    );
    Ok(Json(IntegrationsOverview {
        connectors: vec![
            super::log::push_status(&state).await?,
            super::log::pull_status(&state).await?,
            storage,
            redis,
        ],
    }))
}

/// The ERP sync log, newest first, filtered.
#[utoipa::path(get, path = "/integrations/erp/documents", tag = "integrations", params(PageParams, ErpSyncQuery),
    responses((status = 200, body = Page<ErpSyncEntry>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn erp_log(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<ErpSyncQuery>,
    page: PageRequest,
) -> AppResult<Json<Page<ErpSyncEntry>>> {
    principal.require(Permission::IntegrationsManage)?;
    let (items, total) = super::log::list(&state, &query, page).await?;
    Ok(Json(Page::new(items, total, page)))
}

/// Queues a failed (or sent) document again. 409 NOT_RESENDABLE while it
/// is still queued; 409 ERP_NOT_CONFIGURED without an ERP.
#[utoipa::path(post, path = "/integrations/erp/documents/{id}/resend", tag = "integrations",
    responses((status = 200, body = ErpSyncEntry), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn erp_resend(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<ErpSyncEntry>> {
    principal.require(Permission::IntegrationsManage)?;
    Ok(Json(super::log::resend(&state, &Actor::from(&principal), id).await?))
}

/// Queues every failed document again (after fixing the credential).
#[utoipa::path(post, path = "/integrations/erp/resend-failed", tag = "integrations",
    responses((status = 200, body = ErpResendResult), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn erp_resend_failed(State(state): State<AppState>, principal: Principal) -> AppResult<Json<ErpResendResult>> {
    principal.require(Permission::IntegrationsManage)?;
    Ok(Json(super::log::resend_failed(&state, &Actor::from(&principal)).await?))
}

/// Customers edited here that the ERP has changed since: each field with
/// our value and the ERP's. Newest first.
#[utoipa::path(get, path = "/integrations/erp/conflicts", tag = "integrations", params(PageParams),
    responses((status = 200, body = Page<ErpConflict>), (status = 403, body = ErrorBody)))]
async fn erp_conflicts(
    State(state): State<AppState>,
    principal: Principal,
    page: PageRequest,
) -> AppResult<Json<Page<ErpConflict>>> {
    principal.require(Permission::IntegrationsManage)?;
    let (items, total) = super::conflicts::list(&state, page).await?;
    Ok(Json(Page::new(items, total, page)))
}

/// Takes the ERP's values for this customer (through the import's rules).
/// 409 CONFLICT_CHANGED when a newer ERP record replaced the one decided
/// on; 422 ERP_RECORD_INVALID when the rules refuse the ERP's values.
#[utoipa::path(post, path = "/integrations/erp/conflicts/{id}/accept", tag = "integrations",
    request_body = ConflictDecision,
    responses((status = 200, body = ConflictResolved), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn erp_conflict_accept(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(customer_id): ApiPath<i64>,
    ApiJson(decision): ApiJson<ConflictDecision>,
) -> AppResult<Json<ConflictResolved>> {
    principal.require(Permission::IntegrationsManage)?;
    Ok(Json(
        super::conflicts::accept(&state, &Actor::from(&principal), customer_id, decision).await?,
    ))
}

/// Keeps our values against this ERP record (a later ERP change asks again).
#[utoipa::path(post, path = "/integrations/erp/conflicts/{id}/keep", tag = "integrations",
    request_body = ConflictDecision,
    responses((status = 200, body = ConflictResolved), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn erp_conflict_keep(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(customer_id): ApiPath<i64>,
    ApiJson(decision): ApiJson<ConflictDecision>,
) -> AppResult<Json<ConflictResolved>> {
    principal.require(Permission::IntegrationsManage)?;
    Ok(Json(
        super::conflicts::keep(&state, &Actor::from(&principal), customer_id, decision).await?,
    ))
}
