//! `/api/v1/analytics/*` and `/api/v1/customers/{id}/credit-score`
//! (contract: docs/api/analytics.md). Every route needs `analytics.view` and
//! answers within the caller's data scope.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use opcms_domain::Permission;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::churn::{self, ChurnQuery, ChurnRisk};
use super::credit::{self, CreditQuery, CreditScoreRow, CreditScores};
use super::dashboard::{self, AnalyticsCustomer, Dashboard};
use super::export::{self, ReportFormat};
use super::params;
use super::params::choice;
use super::segments::{self, SegmentQuery, Segments};
use super::usage_trend::{self, UsageTrend, UsageTrendQuery};
use crate::access::Principal;
use crate::audit::Actor;
use crate::error::{AppResult, ErrorBody};
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::pagination::{PageParams, PageRequest};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_dashboard))
        .routes(routes!(get_customers))
        .routes(routes!(get_segments))
        .routes(routes!(get_churn_risk))
        .routes(routes!(get_credit_scores))
        .routes(routes!(get_customer_credit_score))
        .routes(routes!(get_usage_trend))
        .routes(routes!(export_dashboard))
        .routes(routes!(export_segments))
        .routes(routes!(export_churn_risk))
        .routes(routes!(export_credit_scores))
        .routes(routes!(export_usage_trend))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// `YYYY-MM`, default the current month; never a month ahead.
    pub period: Option<String>,
    /// Export only: xlsx (default) | csv | pdf.
    pub format: Option<String>,
}

/// The month's figures: receivable, received, collected, overdue by age,
/// new and lost customers, usage, the top customers and a 12-month trend.
#[utoipa::path(get, path = "/analytics/dashboard", tag = "analytics", params(PeriodQuery),
    responses((status = 200, body = Dashboard), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn get_dashboard(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<PeriodQuery>,
) -> AppResult<Response> {
    principal.require(Permission::AnalyticsView)?;
    let period = params::period(query.period.as_deref())?;
    dashboard::dashboard_response(&state, &principal.scope(), period).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomersQuery {
    /// `YYYY-MM`, default the current month.
    pub period: Option<String>,
    /// `new` (signed in the month) | `lost` (closed in the month).
    pub kind: String,
}

/// The customers behind the dashboard's new or lost count.
#[utoipa::path(get, path = "/analytics/customers", tag = "analytics", params(CustomersQuery),
    responses((status = 200, body = Vec<AnalyticsCustomer>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn get_customers(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<CustomersQuery>,
) -> AppResult<Json<Vec<AnalyticsCustomer>>> {
    principal.require(Permission::AnalyticsView)?;
    let period = params::period(query.period.as_deref())?;
    let lost = choice(
        Some(query.kind.as_str()),
        "kind",
        |kind| match kind {
            "new" => Some(false),
            "lost" => Some(true),
            _ => None,
        },
        "类型须为 new 或 lost",
    )?;
    let rows = if lost == Some(true) {
        dashboard::lost_customers(&state.db, &principal.scope(), period).await?
    } else {
        dashboard::new_customers(&state.db, &principal.scope(), period).await?
    };
    Ok(Json(rows))
}

/// Customers by value tier (A/B/C) with their 12-month revenue and trend.
#[utoipa::path(get, path = "/analytics/segments", tag = "analytics", params(SegmentQuery, PageParams),
    responses((status = 200, body = Segments), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn get_segments(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<SegmentQuery>,
    page: PageRequest,
) -> AppResult<Json<Segments>> {
    principal.require(Permission::AnalyticsView)?;
    let period = params::period(query.period.as_deref())?;
    Ok(Json(
        segments::segments(&state, &principal.scope(), period, &query, page).await?,
    ))
}

/// Live customers with churn flags on `as_of`, high risk first.
#[utoipa::path(get, path = "/analytics/churn-risk", tag = "analytics", params(ChurnQuery, PageParams),
    responses((status = 200, body = ChurnRisk), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn get_churn_risk(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<ChurnQuery>,
    page: PageRequest,
) -> AppResult<Json<ChurnRisk>> {
    principal.require(Permission::AnalyticsView)?;
    let as_of = params::as_of(query.as_of)?;
    Ok(Json(
        churn::churn_risk(&state, &principal.scope(), as_of, &query, page).await?,
    ))
}

/// Every customer's credit score on `as_of`, by customer code.
#[utoipa::path(get, path = "/analytics/credit-scores", tag = "analytics", params(CreditQuery, PageParams),
    responses((status = 200, body = CreditScores), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn get_credit_scores(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<CreditQuery>,
    page: PageRequest,
) -> AppResult<Json<CreditScores>> {
    principal.require(Permission::AnalyticsView)?;
    let as_of = params::as_of(query.as_of)?;
    Ok(Json(
        credit::credit_scores(&state, &principal.scope(), as_of, &query, page).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// Default today; never a day ahead.
    pub as_of: Option<NaiveDate>,
}

/// One customer's credit score with its factors; 404 outside the caller's scope.
#[utoipa::path(get, path = "/customers/{id}/credit-score", tag = "analytics",
    params(AsOfQuery),
    responses((status = 200, body = CreditScoreRow), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_customer_credit_score(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<AsOfQuery>,
) -> AppResult<Json<CreditScoreRow>> {
    principal.require(Permission::AnalyticsView)?;
    let as_of = params::as_of(query.as_of)?;
    Ok(Json(
        credit::customer_score(&state.db, &principal.scope(), id, as_of).await?,
    ))
}

/// Monthly usage with month-over-month and year-over-year change.
#[utoipa::path(get, path = "/analytics/usage-trend", tag = "analytics", params(UsageTrendQuery),
    responses((status = 200, body = UsageTrend), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_usage_trend(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<UsageTrendQuery>,
) -> AppResult<Json<UsageTrend>> {
    principal.require(Permission::AnalyticsView)?;
    let period = params::period(query.period.as_deref())?;
    Ok(Json(
        usage_trend::usage_trend(&state, &principal.scope(), period, &query).await?,
    ))
}

// ---- exports: the same views as files (xlsx, csv or pdf) ----

/// The dashboard as a file: every figure, the aging, usage, top customers and trend.
#[utoipa::path(get, path = "/analytics/dashboard/export", tag = "analytics", params(PeriodQuery),
    responses((status = 200, description = "the file: `.xlsx` (default), `.csv` or `.pdf`",
        content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"), ("application/pdf"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn export_dashboard(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<PeriodQuery>,
) -> AppResult<Response> {
    principal.require(Permission::AnalyticsView)?;
    let format = ReportFormat::parse(query.format.as_deref())?;
    let period = params::period(query.period.as_deref())?;
    let scope = principal.scope();
    let figures = dashboard::dashboard(&state, &scope, period).await?;
    let report = export::dashboard(&figures);
    export::respond(
        &state.db,
        &Actor::from(&principal),
        &scope,
        ("analytics.export", "dashboard"),
        format,
        report,
    )
    .await
}

/// The segments the filters keep, every row, as a file.
#[utoipa::path(get, path = "/analytics/segments/export", tag = "analytics", params(SegmentQuery),
    responses((status = 200, description = "the file: `.xlsx` (default), `.csv` or `.pdf`",
        content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"), ("application/pdf"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn export_segments(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<SegmentQuery>,
) -> AppResult<Response> {
    principal.require(Permission::AnalyticsView)?;
    let format = ReportFormat::parse(query.format.as_deref())?;
    let period = params::period(query.period.as_deref())?;
    let scope = principal.scope();
    let (counts, total, rows, _) = segments::select(&state, &scope, period, &query, None).await?;
    let report = export::segments(
        &period.to_string(),
        [counts.a, counts.b, counts.c],
        total.to_string(),
        &rows,
    );
    export::respond(
        &state.db,
        &Actor::from(&principal),
        &scope,
        ("analytics.export", "segments"),
        format,
        report,
    )
    .await
}

/// The at-risk customers the filters keep, every row, as a file.
#[utoipa::path(get, path = "/analytics/churn-risk/export", tag = "analytics", params(ChurnQuery),
    responses((status = 200, description = "the file: `.xlsx` (default), `.csv` or `.pdf`",
        content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"), ("application/pdf"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn export_churn_risk(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<ChurnQuery>,
) -> AppResult<Response> {
    principal.require(Permission::AnalyticsView)?;
    let format = ReportFormat::parse(query.format.as_deref())?;
    let as_of = params::as_of(query.as_of)?;
    let scope = principal.scope();
    let (_, rows, _) = churn::select(&state, &scope, as_of, &query, None).await?;
    let report = export::churn(&as_of.to_string(), &rows);
    export::respond(
        &state.db,
        &Actor::from(&principal),
        &scope,
        ("analytics.export", "churn-risk"),
        format,
        report,
    )
    .await
}

/// The credit scores the filters keep, every row, as a file.
#[utoipa::path(get, path = "/analytics/credit-scores/export", tag = "analytics", params(CreditQuery),
    responses((status = 200, description = "the file: `.xlsx` (default), `.csv` or `.pdf`",
        content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"), ("application/pdf"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn export_credit_scores(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<CreditQuery>,
) -> AppResult<Response> {
    principal.require(Permission::AnalyticsView)?;
    let format = ReportFormat::parse(query.format.as_deref())?;
    let as_of = params::as_of(query.as_of)?;
    let scope = principal.scope();
    let (rows, _) = credit::select(&state, &scope, as_of, &query, None).await?;
    let report = export::credit(&as_of.to_string(), &rows);
    export::respond(
        &state.db,
        &Actor::from(&principal),
        &scope,
        ("analytics.export", "credit-scores"),
        format,
        report,
    )
    .await
}

/// The usage trend as a file.
#[utoipa::path(get, path = "/analytics/usage-trend/export", tag = "analytics", params(UsageTrendQuery),
    responses((status = 200, description = "the file: `.xlsx` (default), `.csv` or `.pdf`",
        content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"), ("application/pdf"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn export_usage_trend(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<UsageTrendQuery>,
) -> AppResult<Response> {
    principal.require(Permission::AnalyticsView)?;
    let format = ReportFormat::parse(query.format.as_deref())?;
    let period = params::period(query.period.as_deref())?;
    let scope = principal.scope();
    let trend = usage_trend::usage_trend(&state, &scope, period, &query).await?;
    let report = export::usage_trend(&trend);
    export::respond(
        &state.db,
        &Actor::from(&principal),
        &scope,
        ("analytics.export", "usage-trend"),
        format,
        report,
    )
    .await
}
