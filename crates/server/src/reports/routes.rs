//! `/api/v1/reports` (contract: docs/api/analytics.md, 自定义报表). Every
//! route needs `analytics.view`; rows follow the caller's data scope, saved
//! reports belong to their author.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use opcms_domain::Permission;
use opcms_domain::reports::{ColumnDef, Dataset, Kind, ReportDefinition};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::{self, ReportResult, ResultColumn};
use super::saved::{self, SaveReport, SavedReport, SavedReportSummary};
use crate::access::Principal;
use crate::analytics::export::{self, Report, ReportCol, ReportFormat};
use crate::audit::Actor;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{PageParams, PageRequest};
use crate::spreadsheet::write::Value;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(datasets))
        .routes(routes!(run_report))
        .routes(routes!(export_report))
        .routes(routes!(list_reports, create_report))
        .routes(routes!(get_report, update_report, delete_report))
        .routes(routes!(export_saved_report))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DatasetView {
    pub key: Dataset,
    pub label: &'static str,
    pub columns: Vec<ColumnDef>,
}

/// The datasets and their columns, for the report builder.
#[utoipa::path(get, path = "/reports/datasets", tag = "reports",
    responses((status = 200, body = Vec<DatasetView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn datasets(principal: Principal) -> AppResult<Json<Vec<DatasetView>>> {
    principal.require(Permission::AnalyticsView)?;
    Ok(Json(
        Dataset::ALL
            .into_iter()
            .map(|dataset| DatasetView {
                key: dataset,
                label: dataset.label(),
                columns: dataset.columns().to_vec(),
            })
            .collect(),
    ))
}

fn check(definition: &ReportDefinition) -> AppResult<opcms_domain::reports::CheckedReport> {
    definition.check().map_err(AppError::Validation)
}

/// Runs a report: one page of rows and the totals over all of them.
#[utoipa::path(post, path = "/reports/run", tag = "reports", params(PageParams), request_body = ReportDefinition,
    responses((status = 200, body = ReportResult), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn run_report(
    State(state): State<AppState>,
    principal: Principal,
    page: PageRequest,
    ApiJson(definition): ApiJson<ReportDefinition>,
) -> AppResult<Json<ReportResult>> {
    principal.require(Permission::AnalyticsView)?;
    let report = check(&definition)?;
    Ok(Json(query::run(&state.db, &principal.scope(), report, page).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// xlsx (default) | csv | pdf.
    pub format: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportReport {
    /// The file's title (default 自定义报表).
    pub name: Option<String>,
    pub definition: ReportDefinition,
}

/// A report (not necessarily saved) as a file, every row.
#[utoipa::path(post, path = "/reports/export", tag = "reports", params(FormatQuery), request_body = ExportReport,
    responses((status = 200, description = "the file: `.xlsx` (default), `.csv` or `.pdf`",
        content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"), ("application/pdf"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn export_report(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(format): ApiQuery<FormatQuery>,
    ApiJson(input): ApiJson<ExportReport>,
) -> AppResult<Response> {
    principal.require(Permission::AnalyticsView)?;
    let title = match input.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => opcms_domain::reports::check_name(name).map_err(|e| AppError::Validation(vec![e]))?,
        None => format!("自定义报表 {}", input.definition.dataset.label()),
    };
    export_file(&state, &principal, &title, &input.definition, format.format.as_deref()).await
}

async fn export_file(
    state: &AppState,
    principal: &Principal,
    title: &str,
    definition: &ReportDefinition,
    format: Option<&str>,
) -> AppResult<Response> {
    let format = ReportFormat::parse(format)?;
    let report = check(definition)?;
    let scope = principal.scope();
    let (columns, rows, totals) = query::all_rows(&state.db, &scope, report).await?;
    let file = as_report(title, &columns, rows, &totals);
    export::respond(
        &state.db,
        &Actor::from(principal),
        &scope,
        ("report.export", title),
        format,
        file,
    )
    .await
}

/// A result as a file's table: numbers as numbers, totals as the PDF's figures.
fn as_report(
    title: &str,
    columns: &[ResultColumn],
    rows: Vec<Vec<Option<String>>>,
    totals: &std::collections::BTreeMap<String, String>,
) -> Report {
    let numeric = |kind: Kind| matches!(kind, Kind::Money | Kind::Quantity | Kind::Integer);
    Report {
        title: title.to_string(),
        figures: columns
            .iter()
            .filter_map(|c| {
                totals
                    .get(&c.key)
                    .map(|total| (format!("合计 {}", c.label), total.clone()))
            })
            .collect(),
        columns: columns
            .iter()
            .map(|c| ReportCol {
                title: c.label.clone(),
                weight: if c.kind == Kind::Text { 1.6 } else { 1.0 },
                right: numeric(c.kind),
                wrap: false,
            })
            .collect(),
        rows: rows
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .zip(columns)
                    .map(|(cell, column)| match cell {
                        None => Value::Blank,
                        Some(text) if numeric(column.kind) => Value::Number(text),
                        Some(text) => Value::Text(text),
                    })
                    .collect()
            })
            .collect(),
    }
}

/// The caller's saved reports, by name.
#[utoipa::path(get, path = "/reports", tag = "reports",
    responses((status = 200, body = Vec<SavedReportSummary>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_reports(State(state): State<AppState>, principal: Principal) -> AppResult<Json<Vec<SavedReportSummary>>> {
    principal.require(Permission::AnalyticsView)?;
    Ok(Json(saved::list(&state.db, principal.user_id).await?))
}

/// Saves a report under a name of the caller's own.
#[utoipa::path(post, path = "/reports", tag = "reports", request_body = SaveReport,
    responses((status = 201, body = SavedReport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn create_report(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<SaveReport>,
) -> AppResult<(StatusCode, Json<SavedReport>)> {
    principal.require(Permission::AnalyticsView)?;
    let created = saved::create(&state.db, &Actor::from(&principal), principal.user_id, input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(get, path = "/reports/{id}", tag = "reports",
    responses((status = 200, body = SavedReport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_report(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<SavedReport>> {
    principal.require(Permission::AnalyticsView)?;
    Ok(Json(saved::find(&state.db, principal.user_id, id).await?))
}

#[utoipa::path(put, path = "/reports/{id}", tag = "reports", request_body = SaveReport,
    responses((status = 200, body = SavedReport), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn update_report(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<SaveReport>,
) -> AppResult<Json<SavedReport>> {
    principal.require(Permission::AnalyticsView)?;
    let updated = saved::update(&state.db, &Actor::from(&principal), principal.user_id, id, input).await?;
    Ok(Json(updated))
}

#[utoipa::path(delete, path = "/reports/{id}", tag = "reports",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_report(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<StatusCode> {
    principal.require(Permission::AnalyticsView)?;
    saved::delete(&state.db, &Actor::from(&principal), principal.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A saved report as a file, every row.
#[utoipa::path(get, path = "/reports/{id}/export", tag = "reports", params(FormatQuery),
    responses((status = 200, description = "the file: `.xlsx` (default), `.csv` or `.pdf`",
        content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"), ("application/pdf"))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn export_saved_report(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(format): ApiQuery<FormatQuery>,
) -> AppResult<Response> {
    principal.require(Permission::AnalyticsView)?;
    let report = saved::find(&state.db, principal.user_id, id).await?;
    export_file(
        &state,
        &principal,
        &report.name,
        &report.definition,
        format.format.as_deref(),
    )
    .await
}
