//! `/api/v1/close/overview` and `/api/v1/home/summary` (contract: docs/api/close.md).

use axum::Json;
use axum::extract::State;
use opcms_domain::{Period, Permission};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::overview::{self, CloseOverview};
use super::summary::{self, HomeSummary};
use crate::access::Principal;
use crate::calendar::current_period;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::extract::ApiQuery;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(close_overview))
        .routes(routes!(home_summary))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverviewQuery {
    /// The month being closed, `YYYY-MM`; default the month before this one.
    pub period: Option<String>,
}

/// One month's close: each step's open count and the step to work next.
#[utoipa::path(get, path = "/close/overview", tag = "close", params(OverviewQuery),
    responses((status = 200, body = CloseOverview), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn close_overview(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<OverviewQuery>,
) -> AppResult<Json<CloseOverview>> {
    principal.require(Permission::BillingManage)?;
    let period = match query.period.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => Period::field(Some(text), "period", "账期").map_err(|e| AppError::Validation(vec![e]))?,
        None => {
            let now = current_period();
            now.previous().unwrap_or(now)
        }
    };
    Ok(Json(overview::overview(&state, period).await?))
}

/// The home page's figures, within the user's data scope.
#[utoipa::path(get, path = "/home/summary", tag = "close",
    responses((status = 200, body = HomeSummary), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn home_summary(State(state): State<AppState>, principal: Principal) -> AppResult<Json<HomeSummary>> {
    principal.require(Permission::BillingView)?;
    Ok(Json(summary::summary(&state, &principal.scope()).await?))
}
