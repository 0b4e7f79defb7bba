//! `/api/v1/price-plans`, `/api/v1/customers/{id}/pricing`,
//! `/api/v1/pricing/quote` (contract: docs/api/pricing.md).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use opcms_domain::{FieldError, Period, Permission};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::*;
use super::{customer, quote, reads, service, views};
use crate::access::Principal;
use crate::audit::Actor;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageParams, PageRequest};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_plans, create_plan))
        .routes(routes!(get_plan, delete_plan))
        .routes(routes!(list_versions, create_version))
        .routes(routes!(get_version))
        .routes(routes!(diff_versions))
        .routes(routes!(rollback))
        .routes(routes!(
            get_customer_pricing,
            put_customer_pricing,
            delete_customer_pricing
        ))
        .routes(routes!(quote_pricing))
}

/// Live plans by name, with the current version's month and how many
/// customers use each.
#[utoipa::path(get, path = "/price-plans", tag = "pricing", params(PageParams, PlanQuery),
    responses((status = 200, body = Page<PlanSummary>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_plans(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<PlanQuery>,
    page: PageRequest,
) -> AppResult<Json<Page<PlanSummary>>> {
    principal.require(Permission::PricingView)?;
    let (items, total) = views::list(&state.db, &query, page).await?;
    Ok(Json(Page::new(items, total, page)))
}

/// Create a plan with its version 1 (management).
#[utoipa::path(post, path = "/price-plans", tag = "pricing", request_body = PlanInput,
    responses((status = 201, body = PlanCreated), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn create_plan(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<PlanInput>,
) -> AppResult<(StatusCode, Json<PlanCreated>)> {
    principal.require(Permission::PricingManage)?;
    let (plan, warnings) = service::create_plan(&state, &Actor::from(&principal), input).await?;
    Ok((StatusCode::CREATED, Json(PlanCreated { plan, warnings })))
}

/// A plan with its current version's minimum charge and rules.
#[utoipa::path(get, path = "/price-plans/{id}", tag = "pricing",
    responses((status = 200, body = PlanView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_plan(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<PlanView>> {
    principal.require(Permission::PricingView)?;
    let plan = reads::find_plan(&state.db, id).await?;
    Ok(Json(views::plan_view(&state.db, &state.keyring, plan).await?))
}

/// Soft delete (management); 409 `PLAN_IN_USE` while customers are on it.
#[utoipa::path(delete, path = "/price-plans/{id}", tag = "pricing",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn delete_plan(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<StatusCode> {
    principal.require(Permission::PricingManage)?;
    service::delete_plan(&state, &Actor::from(&principal), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The version history, newest first: who, when, why, and the prices.
#[utoipa::path(get, path = "/price-plans/{id}/versions", tag = "pricing",
    responses((status = 200, body = Vec<VersionView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_versions(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Vec<VersionView>>> {
    principal.require(Permission::PricingView)?;
    reads::find_plan(&state.db, id).await?;
    let rows = reads::versions_of(&state.db, id).await?;
    Ok(Json(views::version_views(&state.db, &state.keyring, rows).await?))
}

/// A new version n+1 (management); the reason is required. Flags periods
/// already billed and months where another version takes over.
#[utoipa::path(post, path = "/price-plans/{id}/versions", tag = "pricing", request_body = VersionInput,
    responses((status = 201, body = VersionCreated), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_version(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<VersionInput>,
) -> AppResult<(StatusCode, Json<VersionCreated>)> {
    principal.require(Permission::PricingManage)?;
    let created = service::create_version(&state, &Actor::from(&principal), id, input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// One version.
#[utoipa::path(get, path = "/price-plans/{id}/versions/{version}", tag = "pricing",
    responses((status = 200, body = VersionView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_version(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((id, number)): ApiPath<(i64, i32)>,
) -> AppResult<Json<VersionView>> {
    principal.require(Permission::PricingView)?;
    reads::find_plan(&state.db, id).await?;
    let row = reads::find_version(&state.db, id, number)
        .await?
        .ok_or_else(|| AppError::not_found("方案版本"))?;
    Ok(Json(views::version_view(&state.db, &state.keyring, row).await?))
}

/// Field-level changes between two versions (default: the current one and
/// the one before).
#[utoipa::path(get, path = "/price-plans/{id}/diff", tag = "pricing", params(DiffQuery),
    responses((status = 200, body = DiffView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn diff_versions(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<DiffQuery>,
) -> AppResult<Json<DiffView>> {
    principal.require(Permission::PricingView)?;
    // Versions count from 1; anything else names none (and `to - 1`, the
    // default `from`, must not underflow).
    let errors: Vec<FieldError> = [("from", query.from), ("to", query.to)]
        .into_iter()
        .filter(|(_, number)| number.is_some_and(|n| n < 1))
        .map(|(field, _)| FieldError::new(field, "OUT_OF_RANGE", "版本号须为正整数"))
        .collect();
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(Json(views::diff_versions(&state, id, &query).await?))
}

/// A new version equal to version k (management).
#[utoipa::path(post, path = "/price-plans/{id}/rollback", tag = "pricing", request_body = RollbackInput,
    responses((status = 201, body = VersionCreated), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn rollback(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<RollbackInput>,
) -> AppResult<(StatusCode, Json<VersionCreated>)> {
    principal.require(Permission::PricingManage)?;
    let created = service::rollback(&state, &Actor::from(&principal), id, input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

fn period_param(query: &PeriodQuery) -> AppResult<Period> {
    match query.period.as_deref() {
        None => Ok(service::current_period()),
        Some(text) => Period::field(Some(text), "period", "账期").map_err(|e| AppError::Validation(vec![e])),
    }
}

/// The customer's plan, the version in force for `period`, its overrides and
/// the effective rule per series.
#[utoipa::path(get, path = "/customers/{id}/pricing", tag = "pricing", params(PeriodQuery),
    responses((status = 200, body = CustomerPricingView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn get_customer_pricing(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<PeriodQuery>,
) -> AppResult<Json<CustomerPricingView>> {
    principal.require(Permission::PricingView)?;
    let period = period_param(&query)?;
    Ok(Json(customer::view(&state, &principal.scope(), id, period).await?))
}

/// Assign a plan and replace the overrides (management).
#[utoipa::path(put, path = "/customers/{id}/pricing", tag = "pricing", request_body = CustomerPricingInput,
    responses((status = 200, body = CustomerPricingView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn put_customer_pricing(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<CustomerPricingInput>,
) -> AppResult<Json<CustomerPricingView>> {
    principal.require(Permission::PricingManage)?;
    customer::assign(&state, &principal, id, input).await?;
    let view = customer::view(&state, &principal.scope(), id, service::current_period()).await?;
    Ok(Json(view))
}

/// Remove the customer's plan and overrides (management).
#[utoipa::path(delete, path = "/customers/{id}/pricing", tag = "pricing",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_customer_pricing(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<StatusCode> {
    principal.require(Permission::PricingManage)?;
    customer::unassign(&state, &principal, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Price a usage: `{rule, usage: "…"}` → `{raw_amount, amount, breakdown, cliffs?}`;
/// `{plan_id | plan | customer_id, usage: {"X": "…"}, period?}` → `{lines, total, …}`.
#[utoipa::path(post, path = "/pricing/quote", tag = "pricing", request_body = QuoteInput,
    responses((status = 200, body = QuoteView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn quote_pricing(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<QuoteInput>,
) -> AppResult<Json<QuoteView>> {
    principal.require(Permission::PricingView)?;
    Ok(Json(quote::quote(&state, &principal, input).await?))
}
