//! `/integrations`: the 集成 page's connectors, the ERP sync log and its
//! re-send actions (docs/api/integrations.md). Management only.

use axum::Json;
use axum::extract::State;
use opcms_domain::Permission;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::log::{ErpResendResult, ErpSyncEntry, ErpSyncQuery, IntegrationsOverview};
use crate::access::Principal;
use crate::audit::Actor;
use crate::error::{AppResult, ErrorBody};
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageParams, PageRequest};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(integrations_overview))
        .routes(routes!(erp_log))
        .routes(routes!(erp_resend))
        .routes(routes!(erp_resend_failed))
}

/// Each connector's status, last sync and last error.
#[utoipa::path(get, path = "/integrations", tag = "integrations",
    responses((status = 200, body = IntegrationsOverview), (status = 403, body = ErrorBody)))]
async fn integrations_overview(
    State(state): State<AppState>,
    principal: Principal,
) -> AppResult<Json<IntegrationsOverview>> {
    principal.require(Permission::IntegrationsManage)?;
    Ok(Json(IntegrationsOverview {
        connectors: vec![super::log::push_status(&state).await?],
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
