//! `/api/v1/payments…`, `/allocations…`, `/receivables…` and a customer's
//! statement (contract: docs/api/payments.md).

use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::Response;
use opcms_domain::Permission;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::entity::allocation;
use super::import::{self, PaymentImportResult};
use super::model::*;
use super::receivables::{self, AgingPage, AgingQuery, Statement};
use super::statement::{self, StatementQuery};
use super::suggest::{self, Suggestions};
use super::{allocate, list, service};
use crate::access::Principal;
use crate::audit::view::AuditLogView;
use crate::audit::{self, Actor};
use crate::error::{AppResult, ErrorBody};
use crate::http::download::{CSV, XLSX, attachment, pdf};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageParams, PageRequest};
use crate::http::upload::{DryRun, Upload, UploadForm};
use crate::spreadsheet::write::{ExportFormat, xlsx_error};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_payments, create_payment))
        .routes(routes!(export_payments))
        // The handler counts the upload against `upload_limit` itself.
        .routes(routes!(import_statement).layer(DefaultBodyLimit::disable()))
        .routes(routes!(payment_import_template))
        .routes(routes!(get_payment, update_payment, delete_payment))
        .routes(routes!(payment_history))
        .routes(routes!(payment_suggestions))
        .routes(routes!(allocate_payment))
        .routes(routes!(reverse_allocation))
        .routes(routes!(bill_allocations))
        .routes(routes!(aging))
        .routes(routes!(export_aging))
        .routes(routes!(customer_statement))
        .routes(routes!(customer_statement_pdf))
        .routes(routes!(customer_statement_export))
}

/// Payments, with the totals of the whole filter.
#[utoipa::path(get, path = "/payments", tag = "payments", params(PageParams, PaymentQuery),
    responses((status = 200, body = PaymentPage), (status = 400, body = ErrorBody)))]
async fn list_payments(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<PaymentQuery>,
    page: PageRequest,
) -> AppResult<Json<PaymentPage>> {
    principal.require(Permission::PaymentsView)?;
    Ok(Json(list::list(&state.db, &query, &principal.scope(), page).await?))
}

/// The payment list as `.xlsx` or `.csv`, with the list's filters.
#[utoipa::path(get, path = "/payments/export", tag = "payments", params(PageParams, PaymentQuery),
    responses((status = 200, description = "the file: `.xlsx` (default) or `.csv` (`format=csv`)",
        content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"))), (status = 400, body = ErrorBody)))]
async fn export_payments(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<PaymentQuery>,
    // Every matching row, but the list's query whole: its paging limits hold.
    _page: PageRequest,
) -> AppResult<Response> {
    principal.require(Permission::PaymentsView)?;
    let (bytes, csv, name) = list::export(&state.db, &query, &principal.scope()).await?;
    audit::record_export(&state.db, &Actor::from(&principal), "payment.export", "payment", csv).await?;
    Ok(attachment(bytes, if csv { CSV } else { XLSX }, &name))
}

/// Record a receipt.
#[utoipa::path(post, path = "/payments", tag = "payments", request_body = PaymentInput,
    responses((status = 201, body = PaymentView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn create_payment(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<PaymentInput>,
) -> AppResult<(StatusCode, Json<PaymentView>)> {
    principal.require(Permission::PaymentsManage)?;
    Ok((
        StatusCode::CREATED,
        Json(service::create(&state, &principal, input).await?),
    ))
}

#[utoipa::path(get, path = "/payments/{id}", tag = "payments",
    responses((status = 200, body = PaymentView), (status = 404, body = ErrorBody)))]
async fn get_payment(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<PaymentView>> {
    principal.require(Permission::PaymentsView)?;
    let row = service::find_visible(&state.db, &principal.scope(), id).await?;
    Ok(Json(service::view(&state.db, row).await?))
}

/// Edit a receipt while nothing is allocated.
#[utoipa::path(patch, path = "/payments/{id}", tag = "payments", request_body = PaymentInput,
    responses((status = 200, body = PaymentView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn update_payment(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<PaymentInput>,
) -> AppResult<Json<PaymentView>> {
    principal.require(Permission::PaymentsManage)?;
    Ok(Json(service::update(&state, &principal, id, input).await?))
}

/// Delete (soft) a receipt while nothing is allocated.
#[utoipa::path(delete, path = "/payments/{id}", tag = "payments", request_body = ReasonInput,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn delete_payment(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ReasonInput>,
) -> AppResult<StatusCode> {
    principal.require(Permission::PaymentsManage)?;
    service::delete(&state, &principal, id, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The payment's audit trail, newest first.
#[utoipa::path(get, path = "/payments/{id}/history", tag = "payments", params(PageParams),
    responses((status = 200, body = Page<AuditLogView>), (status = 404, body = ErrorBody)))]
async fn payment_history(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    page: PageRequest,
) -> AppResult<Json<Page<AuditLogView>>> {
    principal.require(Permission::PaymentsView)?;
    service::find_visible(&state.db, &principal.scope(), id).await?;
    Ok(Json(audit::trail(&state.db, "payment", id, page).await?))
}

/// What to allocate the payment to, and the customer's open bills.
#[utoipa::path(get, path = "/payments/{id}/suggestions", tag = "payments",
    responses((status = 200, body = Suggestions), (status = 404, body = ErrorBody)))]
async fn payment_suggestions(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Suggestions>> {
    principal.require(Permission::PaymentsView)?;
    let row = service::find_visible(&state.db, &principal.scope(), id).await?;
    Ok(Json(suggest::suggestions(&state.db, &principal.scope(), &row).await?))
}

/// 核销: allocate the payment to one or several bills.
#[utoipa::path(post, path = "/payments/{id}/allocations", tag = "payments", request_body = AllocateInput,
    responses((status = 200, body = AllocateResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn allocate_payment(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<AllocateInput>,
) -> AppResult<Json<AllocateResult>> {
    principal.require(Permission::PaymentsManage)?;
    Ok(Json(allocate::allocate(&state, &principal, id, input).await?))
}

/// 撤销核销: reverse one allocation (kept, marked reversed).
#[utoipa::path(post, path = "/allocations/{id}/reverse", tag = "payments", request_body = ReasonInput,
    responses((status = 200, body = PaymentView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn reverse_allocation(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ReasonInput>,
) -> AppResult<Json<PaymentView>> {
    principal.require(Permission::PaymentsManage)?;
    Ok(Json(allocate::reverse(&state, &principal, id, input).await?))
}

/// The allocations of one bill, newest first.
#[utoipa::path(get, path = "/bills/{id}/allocations", tag = "payments",
    responses((status = 200, body = Vec<AllocationView>), (status = 404, body = ErrorBody)))]
async fn bill_allocations(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Vec<AllocationView>>> {
    principal.require(Permission::BillingView)?;
    crate::bills::service::find_visible(&state.db, &principal.scope(), id).await?;
    let rows = allocation::Entity::find()
        .filter(allocation::Column::BillId.eq(id))
        .order_by_desc(allocation::Column::Id)
        .all(&state.db)
        .await?;
    Ok(Json(service::allocation_views(&state.db, rows).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementImportOptions {
    /// `true`: allocate exact one-to-one matches (default off).
    pub auto_allocate: Option<bool>,
}

/// A bank statement (`.xlsx`/`.csv`, multipart field `file`).
#[utoipa::path(post, path = "/payments/import", tag = "payments", params(DryRun, StatementImportOptions),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, body = PaymentImportResult), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_statement(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(options): ApiQuery<StatementImportOptions>,
    upload: Upload,
) -> AppResult<Json<PaymentImportResult>> {
    principal.require(Permission::PaymentsManage)?;
    let file = upload.read().await?;
    Ok(Json(
        import::run(
            &state,
            &Actor::from(&principal),
            file.name,
            file.bytes,
            import::ImportOptions {
                dry_run: file.dry_run,
                auto_allocate: options.auto_allocate.unwrap_or(false),
                scope: principal.scope(),
            },
        )
        .await?,
    ))
}

/// The bank statement template.
#[utoipa::path(get, path = "/payments/import/template", tag = "payments",
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn payment_import_template(principal: Principal) -> AppResult<Response> {
    principal.require(Permission::PaymentsManage)?;
    let bytes = import::template().map_err(xlsx_error)?;
    Ok(attachment(bytes, XLSX, "银行流水导入模板.xlsx"))
}

/// Aging by customer (unapplied payments as their balance).
#[utoipa::path(get, path = "/receivables/aging", tag = "payments", params(PageParams, AgingQuery),
    responses((status = 200, body = AgingPage), (status = 400, body = ErrorBody)))]
async fn aging(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<AgingQuery>,
    page: PageRequest,
) -> AppResult<Json<AgingPage>> {
    principal.require(Permission::PaymentsView)?;
    Ok(Json(
        receivables::aging(&state, &query, &principal.scope(), page).await?,
    ))
}

/// The aging report as `.xlsx` or `.csv`.
#[utoipa::path(get, path = "/receivables/aging/export", tag = "payments", params(PageParams, AgingQuery),
    responses((status = 200, description = "the file: `.xlsx` (default) or `.csv` (`format=csv`)",
        content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"))), (status = 400, body = ErrorBody)))]
async fn export_aging(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<AgingQuery>,
    // Every matching row, but the list's query whole: its paging limits hold.
    _page: PageRequest,
) -> AppResult<Response> {
    principal.require(Permission::PaymentsView)?;
    let (bytes, csv, name) = receivables::export(&state, &query, &principal.scope()).await?;
    audit::record_export(
        &state.db,
        &Actor::from(&principal),
        "receivables.export",
        "receivables",
        csv,
    )
    .await?;
    Ok(attachment(bytes, if csv { CSV } else { XLSX }, &name))
}

/// The customer's statement of account, with the ledger of a period.
#[utoipa::path(get, path = "/customers/{id}/statement", tag = "payments", params(StatementQuery),
    responses((status = 200, body = Statement), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn customer_statement(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<StatementQuery>,
) -> AppResult<Json<Statement>> {
    principal.require(Permission::PaymentsView)?;
    let (from, to) = statement::period(&query)?;
    let customer = crate::customers::service::find_visible(&state.db, &principal.scope(), id).await?;
    let ledger = statement::ledger(&state.db, id, from, to).await?;
    Ok(Json(receivables::statement(&state.db, &customer, ledger).await?))
}

/// The statement of a period as PDF (inline; `?download=1` to save).
#[utoipa::path(get, path = "/customers/{id}/statement/pdf", tag = "payments", params(StatementQuery),
    responses((status = 200, content_type = "application/pdf"), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn customer_statement_pdf(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<StatementQuery>,
) -> AppResult<Response> {
    principal.require(Permission::PaymentsView)?;
    let (from, to) = statement::period(&query)?;
    let customer = crate::customers::service::find_visible(&state.db, &principal.scope(), id).await?;
    let ledger = statement::ledger(&state.db, id, from, to).await?;
    let company = crate::settings::load(&state.db).await?.company;
    let bytes = statement::pdf(&customer, &ledger, &company).await?;
    let file_name = format!(
        "对账单-{}-{}-{}.pdf",
        customer.customer_code,
        from.format("%Y%m%d"),
        to.format("%Y%m%d")
    );
    Ok(pdf(bytes, &file_name, query.download.as_deref()))
}

/// The statement of a period as `.xlsx` (default) or `.csv`.
#[utoipa::path(get, path = "/customers/{id}/statement/export", tag = "payments", params(StatementQuery),
    responses((status = 200, description = "the file: `.xlsx` (default) or `.csv` (`format=csv`)",
        content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"))), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn customer_statement_export(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<StatementQuery>,
) -> AppResult<Response> {
    principal.require(Permission::PaymentsView)?;
    let format = ExportFormat::parse(query.format.as_deref())?;
    let (from, to) = statement::period(&query)?;
    let customer = crate::customers::service::find_visible(&state.db, &principal.scope(), id).await?;
    let ledger = statement::ledger(&state.db, id, from, to).await?;
    let (bytes, name) = statement::export(&customer, &ledger, format).await?;
    audit::record_export(
        &state.db,
        &Actor::from(&principal),
        "customer.statement_export",
        "customer",
        format == ExportFormat::Csv,
    )
    .await?;
    Ok(attachment(
        bytes,
        if format == ExportFormat::Csv { CSV } else { XLSX },
        &name,
    ))
}
