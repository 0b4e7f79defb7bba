//! `/api/v1/customers/import…` (contract: docs/api/customers.md).

use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::Response;
use opcms_domain::Permission;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::record::{self, ImportSummary};
use super::{ImportResult, report};
use crate::access::Principal;
use crate::audit::Actor;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::download::{XLSX, attachment};
use crate::http::extract::ApiPath;
use crate::http::pagination::{Page, PageParams, PageRequest};
use crate::http::upload::{DryRun, Upload, UploadForm};
use crate::spreadsheet::write::xlsx_error;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        // The handler counts the upload against `upload_limit` itself.
        .routes(routes!(import_customers).layer(DefaultBodyLimit::disable()))
        .routes(routes!(import_template))
        .routes(routes!(import_report))
        .routes(routes!(import_original))
        .routes(routes!(list_imports))
}

/// Import customers from `.xlsx`/`.csv` (multipart field `file`).
#[utoipa::path(post, path = "/customers/import", tag = "customers", params(DryRun),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, body = ImportResult), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_customers(
    State(state): State<AppState>,
    principal: Principal,
    upload: Upload,
) -> AppResult<Json<ImportResult>> {
    principal.require(Permission::CustomersImport)?;
    let file = upload.read().await?;
    let actor = Actor::from(&principal);
    Ok(Json(
        super::run(&state, &principal, &actor, file.name, file.bytes, file.dry_run).await?,
    ))
}

/// The import template: 18 headers, an example row, drop-down lists, help sheet.
#[utoipa::path(get, path = "/customers/import/template", tag = "customers",
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn import_template(principal: Principal) -> AppResult<Response> {
    principal.require(Permission::CustomersImport)?;
    let bytes = report::template().map_err(xlsx_error)?;
    Ok(attachment(bytes, XLSX, "客户导入模板.xlsx"))
}

/// The rows of an import that had problems, with 「错误原因」.
#[utoipa::path(get, path = "/customers/import/{id}/report.xlsx", tag = "customers",
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
              (status = 404, body = ErrorBody)))]
async fn import_report(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Response> {
    principal.require(Permission::CustomersImport)?;
    let run = record::find(&state.db, id).await?;
    let stored = record::open_report(&state.keyring, &run)?;
    let bytes = tokio::task::spawn_blocking(move || report::xlsx(&stored))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("report task: {e}")))?
        .map_err(xlsx_error)?;
    let stem = run
        .file_name
        .rsplit_once('.')
        .map_or(run.file_name.as_str(), |(stem, _)| stem);
    Ok(attachment(bytes, XLSX, &format!("{stem}-导入问题.xlsx")))
}

/// The file uploaded for an import run, as it was uploaded; 404 when it
/// was not kept (file storage unavailable at the time), 503 while the
/// storage is down. Audited.
#[utoipa::path(get, path = "/customers/import/{id}/original", tag = "customers",
    responses((status = 200, description = "the file as uploaded: `.xlsx`, or `.csv` when a CSV was uploaded",
        content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"))),
              (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn import_original(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Response> {
    principal.require(Permission::CustomersImport)?;
    super::original::download(&state, &Actor::from(&principal), id).await
}

/// Import history, newest first.
#[utoipa::path(get, path = "/customers/imports", tag = "customers", params(PageParams),
    responses((status = 200, body = Page<ImportSummary>)))]
async fn list_imports(
    State(state): State<AppState>,
    principal: Principal,
    page: PageRequest,
) -> AppResult<Json<Page<ImportSummary>>> {
    principal.require(Permission::CustomersImport)?;
    let (items, total) = record::page(&state.db, page).await?;
    Ok(Json(Page::new(items, total, page)))
}
