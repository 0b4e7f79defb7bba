//! `/api/v1/bills…` (contract: docs/api/bills.md).

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use opcms_domain::Permission;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::document;
use super::entity::run;
use super::generate;
use super::issue;
use super::list;
use super::model::*;
use super::service;
use crate::access::Principal;
use crate::audit::view::AuditLogView;
use crate::audit::{self, Actor};
use crate::error::{AppResult, ErrorBody};
use crate::http::download::{CSV, XLSX, attachment, pdf};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageParams, PageRequest};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_bills, create_manual))
        .routes(routes!(generate_bills))
        .routes(routes!(list_runs))
        .routes(routes!(export_bills))
        .routes(routes!(batch_issue))
        .routes(routes!(get_bill))
        .routes(routes!(bill_history))
        .routes(routes!(bill_usage_days))
        .routes(routes!(issue_bill))
        .routes(routes!(void_bill))
        .routes(routes!(credit_bill))
        .routes(routes!(bill_pdf))
        .routes(routes!(customer_bills))
}

/// Generate (or refresh) the period's auto bills.
#[utoipa::path(post, path = "/bills/generate", tag = "bills", request_body = GenerateInput,
    responses((status = 200, body = RunResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn generate_bills(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<GenerateInput>,
) -> AppResult<Json<RunResult>> {
    principal.require(Permission::BillingManage)?;
    Ok(Json(
        generate::generate(&state, &Actor::from(&principal), &principal.scope(), input).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunQuery {
    pub period: Option<String>,
}

/// Generation runs, newest first.
#[utoipa::path(get, path = "/bills/runs", tag = "bills", params(PageParams, RunQuery),
    responses((status = 200, body = Page<RunResult>), (status = 400, body = ErrorBody)))]
async fn list_runs(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<RunQuery>,
    page: PageRequest,
) -> AppResult<Json<Page<RunResult>>> {
    principal.require(Permission::BillingManage)?;
    let mut select = run::Entity::find();
    if let Some(text) = query.period.as_deref().filter(|t| !t.is_empty()) {
        let period = opcms_domain::Period::field(Some(text), "period", "账期")
            .map_err(|e| crate::error::AppError::Validation(vec![e]))?;
        select = select.filter(run::Column::Period.eq(period.key()));
    }
    let total = select.clone().count(&state.db).await?;
    let rows = select
        .order_by_desc(run::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(&state.db)
        .await?;
    Ok(Json(Page::new(
        rows.into_iter().map(RunResult::from_row).collect(),
        total,
        page,
    )))
}

/// Bills, with the totals of the whole filter.
#[utoipa::path(get, path = "/bills", tag = "bills", params(PageParams, BillQuery),
    responses((status = 200, body = BillPage), (status = 400, body = ErrorBody)))]
async fn list_bills(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<BillQuery>,
    page: PageRequest,
) -> AppResult<Json<BillPage>> {
    principal.require(Permission::BillingView)?;
    Ok(Json(list::list(&state.db, &query, &principal.scope(), page).await?))
}

/// One customer's bills (= `GET /bills?customer_id=`).
#[utoipa::path(get, path = "/customers/{id}/bills", tag = "bills", params(PageParams, BillQuery),
    responses((status = 200, body = BillPage), (status = 404, body = ErrorBody)))]
async fn customer_bills(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(mut query): ApiQuery<BillQuery>,
    page: PageRequest,
) -> AppResult<Json<BillPage>> {
    principal.require(Permission::BillingView)?;
    crate::customers::service::find_visible(&state.db, &principal.scope(), id).await?;
    query.customer_id = Some(id);
    Ok(Json(list::list(&state.db, &query, &principal.scope(), page).await?))
}

/// A manual bill (draft).
#[utoipa::path(post, path = "/bills", tag = "bills", request_body = ManualBillInput,
    responses((status = 200, body = BillView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn create_manual(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<ManualBillInput>,
) -> AppResult<Json<BillView>> {
    principal.require(Permission::BillingManage)?;
    Ok(Json(service::create_manual(&state, &principal, input).await?))
}

/// The bill list as `.xlsx` or `.csv`, with the list's filters.
#[utoipa::path(get, path = "/bills/export", tag = "bills", params(PageParams, BillQuery),
    responses((status = 200, description = "the file: `.xlsx` (default) or `.csv` (`format=csv`)",
        content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"))), (status = 400, body = ErrorBody)))]
async fn export_bills(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<BillQuery>,
    // Every matching row, but the list's query whole: its paging limits hold.
    _page: PageRequest,
) -> AppResult<Response> {
    principal.require(Permission::BillingView)?;
    let (bytes, csv, name) = list::export(&state.db, &query, &principal.scope()).await?;
    audit::record_export(&state.db, &Actor::from(&principal), "bill.export", "bill", csv).await?;
    Ok(attachment(bytes, if csv { CSV } else { XLSX }, &name))
}

/// Issue many drafts; those that may not be issued are listed.
#[utoipa::path(post, path = "/bills/batch-issue", tag = "bills", request_body = BatchIssueInput,
    responses((status = 200, body = BatchIssueResult), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn batch_issue(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<BatchIssueInput>,
) -> AppResult<Json<BatchIssueResult>> {
    principal.require(Permission::BillingManage)?;
    Ok(Json(
        issue::batch_issue(&state, &Actor::from(&principal), &principal.scope(), input).await?,
    ))
}

#[utoipa::path(get, path = "/bills/{id}", tag = "bills",
    responses((status = 200, body = BillView), (status = 404, body = ErrorBody)))]
async fn get_bill(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<BillView>> {
    principal.require(Permission::BillingView)?;
    let row = service::find_visible(&state.db, &principal.scope(), id).await?;
    Ok(Json(service::view(&state.db, row).await?))
}

/// The daily usage records behind each series line, with their sources.
#[utoipa::path(get, path = "/bills/{id}/usage-days", tag = "bills",
    responses((status = 200, body = super::usage_days::BillUsageDays), (status = 404, body = ErrorBody)))]
async fn bill_usage_days(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<super::usage_days::BillUsageDays>> {
    principal.require(Permission::BillingView)?;
    let row = service::find_visible(&state.db, &principal.scope(), id).await?;
    Ok(Json(super::usage_days::of_bill(&state.db, &row).await?))
}

/// The bill's audit trail, newest first.
#[utoipa::path(get, path = "/bills/{id}/history", tag = "bills", params(PageParams),
    responses((status = 200, body = Page<AuditLogView>), (status = 404, body = ErrorBody)))]
async fn bill_history(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    page: PageRequest,
) -> AppResult<Json<Page<AuditLogView>>> {
    principal.require(Permission::BillingView)?;
    service::find_visible(&state.db, &principal.scope(), id).await?;
    Ok(Json(audit::trail(&state.db, "bill", id, page).await?))
}

/// Draft → issued (warnings need `acknowledge_warnings: true`).
#[utoipa::path(post, path = "/bills/{id}/issue", tag = "bills", request_body = IssueInput,
    responses((status = 200, body = BillView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn issue_bill(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<IssueInput>,
) -> AppResult<Json<BillView>> {
    principal.require(Permission::BillingManage)?;
    Ok(Json(issue::issue(&state, &principal, id, input).await?))
}

/// Void a draft or an issued bill with nothing allocated.
#[utoipa::path(post, path = "/bills/{id}/void", tag = "bills", request_body = VoidInput,
    responses((status = 200, body = BillView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn void_bill(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<VoidInput>,
) -> AppResult<Json<BillView>> {
    principal.require(Permission::BillingManage)?;
    Ok(Json(service::void(&state, &principal, id, input).await?))
}

/// A credit note (红冲/调整) of an issued bill.
#[utoipa::path(post, path = "/bills/{id}/credit-notes", tag = "bills", request_body = CreditInput,
    responses((status = 200, body = BillView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn credit_bill(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<CreditInput>,
) -> AppResult<Json<BillView>> {
    principal.require(Permission::BillingManage)?;
    Ok(Json(service::credit(&state, &principal, id, input).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PdfQuery {
    /// `1`/`true`: as an attachment (download) rather than inline (preview).
    pub download: Option<String>,
}

/// The bill as PDF (inline for preview; `?download=1` to save).
#[utoipa::path(get, path = "/bills/{id}/pdf", tag = "bills", params(PdfQuery),
    responses((status = 200, content_type = "application/pdf"), (status = 404, body = ErrorBody)))]
async fn bill_pdf(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<PdfQuery>,
) -> AppResult<Response> {
    principal.require(Permission::BillingView)?;
    let row = service::find_visible(&state.db, &principal.scope(), id).await?;
    let view = service::view(&state.db, row).await?;
    let company = crate::settings::load(&state.db).await?.company;
    let bytes = document::render(&view, &company).await?;
    let file_name = format!("账单-{}.pdf", view.bill_no);
    Ok(pdf(bytes, &file_name, query.download.as_deref()))
}
