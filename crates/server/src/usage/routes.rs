//! `/api/v1/usage…` (contract: docs/api/usage.md).

use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::Response;
use opcms_domain::Permission;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::collect::{self, RunFilter, RunView, Trigger};
use super::entry::{self, CorrectionInput, EntryInput, EntryResult};
use super::import::{self, UsageImportResult};
use super::model::{
    DailyQuery, DailySeries, MonthlyPage, MonthlyQuery, QuarantinePage, QuarantineQuery, RecordQuery, RecordView,
    ResolveInput, ResolveResult, RevisionView, Target, Trend, TrendQuery,
};
use super::quarantine;
use super::query;
use crate::access::Principal;
use crate::audit::Actor;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::download::{XLSX, attachment};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{Page, PageParams, PageRequest};
use crate::http::upload::{DryRun, Upload, UploadForm};
use crate::spreadsheet::write::xlsx_error;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_records, enter_usage))
        .routes(routes!(correct_record))
        .routes(routes!(record_revisions))
        .routes(routes!(daily_series))
        .routes(routes!(monthly_table))
        .routes(routes!(customer_trend))
        // The handler counts the upload against `upload_limit` itself.
        .routes(routes!(import_usage).layer(DefaultBodyLimit::disable()))
        .routes(routes!(usage_import_template))
        .routes(routes!(list_quarantine))
        .routes(routes!(resolve_one))
        .routes(routes!(resolve_many))
        .routes(routes!(list_sources))
        .routes(routes!(collect_now))
        .routes(routes!(list_collection_runs))
        .routes(routes!(rerun))
}

/// Daily records, newest day first.
#[utoipa::path(get, path = "/usage", tag = "usage", params(PageParams, RecordQuery),
    responses((status = 200, body = Page<RecordView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_records(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<RecordQuery>,
    page: PageRequest,
) -> AppResult<Json<Page<RecordView>>> {
    principal.require(Permission::UsageView)?;
    let (items, total) = query::list_records(&state.db, &query, page).await?;
    Ok(Json(Page::new(items, total, page)))
}

/// Manual entry and batch delivery (source `manual`).
#[utoipa::path(post, path = "/usage", tag = "usage", request_body = EntryInput,
    responses((status = 200, body = EntryResult), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn enter_usage(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<EntryInput>,
) -> AppResult<Json<EntryResult>> {
    principal.require(Permission::UsageManage)?;
    Ok(Json(entry::enter(&state, &Actor::from(&principal), input).await?))
}

/// Correct one record's quantity (reason required; a revision is kept).
#[utoipa::path(patch, path = "/usage/{id}", tag = "usage", request_body = CorrectionInput,
    responses((status = 200, body = RecordView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn correct_record(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<CorrectionInput>,
) -> AppResult<Json<RecordView>> {
    principal.require(Permission::UsageManage)?;
    Ok(Json(entry::correct(&state, &Actor::from(&principal), id, input).await?))
}

/// Every change of a record, newest first.
#[utoipa::path(get, path = "/usage/{id}/revisions", tag = "usage",
    responses((status = 200, body = Vec<RevisionView>), (status = 404, body = ErrorBody)))]
async fn record_revisions(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Vec<RevisionView>>> {
    principal.require(Permission::UsageView)?;
    Ok(Json(query::revisions(&state.db, id).await?))
}

/// One point per day of the month and series (a chart's data).
#[utoipa::path(get, path = "/usage/daily", tag = "usage", params(DailyQuery),
    responses((status = 200, body = DailySeries), (status = 400, body = ErrorBody)))]
async fn daily_series(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<DailyQuery>,
) -> AppResult<Json<DailySeries>> {
    principal.require(Permission::UsageView)?;
    Ok(Json(query::daily(&state.db, &query).await?))
}

/// Monthly totals per customer, with the totals of the whole filter.
#[utoipa::path(get, path = "/usage/monthly", tag = "usage", params(PageParams, MonthlyQuery),
    responses((status = 200, body = MonthlyPage), (status = 400, body = ErrorBody)))]
async fn monthly_table(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<MonthlyQuery>,
    page: PageRequest,
) -> AppResult<Json<MonthlyPage>> {
    principal.require(Permission::UsageView)?;
    Ok(Json(query::monthly_table(&state.db, &query, page).await?))
}

/// One customer's monthly totals, ending with this month.
#[utoipa::path(get, path = "/usage/trend", tag = "usage", params(TrendQuery),
    responses((status = 200, body = Trend), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn customer_trend(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<TrendQuery>,
) -> AppResult<Json<Trend>> {
    principal.require(Permission::UsageView)?;
    Ok(Json(
        query::trend(&state.db, &query, crate::calendar::business_today()).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageImportOptions {
    /// `correct` | `add` | `skip`: what to do with rows whose customer,
    /// series and day already has a record. Required (409 `USAGE_EXISTS`)
    /// when a confirmed import has such rows.
    #[param(inline)]
    pub on_conflict: Option<import::OnConflict>,
}

/// Usage from `.xlsx`/`.csv` (multipart field `file`).
#[utoipa::path(post, path = "/usage/import", tag = "usage", params(DryRun, UsageImportOptions),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, body = UsageImportResult), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_usage(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(options): ApiQuery<UsageImportOptions>,
    upload: Upload,
) -> AppResult<Json<UsageImportResult>> {
    principal.require(Permission::UsageManage)?;
    let file = upload.read().await?;
    let actor = Actor::from(&principal);
    Ok(Json(
        import::run(&state, &actor, file.name, file.bytes, file.dry_run, options.on_conflict).await?,
    ))
}

/// The usage import template.
#[utoipa::path(get, path = "/usage/import/template", tag = "usage",
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn usage_import_template(principal: Principal) -> AppResult<Response> {
    principal.require(Permission::UsageManage)?;
    let bytes = import::template().map_err(xlsx_error)?;
    Ok(attachment(bytes, XLSX, "用量导入模板.xlsx"))
}

/// Quarantined records (pending by default), with pending counts by reason.
#[utoipa::path(get, path = "/usage/quarantine", tag = "usage", params(PageParams, QuarantineQuery),
    responses((status = 200, body = QuarantinePage), (status = 400, body = ErrorBody)))]
async fn list_quarantine(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<QuarantineQuery>,
    page: PageRequest,
) -> AppResult<Json<QuarantinePage>> {
    principal.require(Permission::UsageView)?;
    Ok(Json(quarantine::list(&state.db, &query, page).await?))
}

/// Resolve one quarantined record.
#[utoipa::path(post, path = "/usage/quarantine/{id}/resolve", tag = "usage", request_body = ResolveInput,
    responses((status = 200, body = ResolveResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn resolve_one(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ResolveInput>,
) -> AppResult<Json<ResolveResult>> {
    principal.require(Permission::UsageManage)?;
    if input.ids.is_some() {
        return Err(AppError::field("ids", "UNKNOWN_FIELD", "处理单条记录时不要提交 ids"));
    }
    if input.filter.is_some() {
        return Err(AppError::field(
            "filter",
            "UNKNOWN_FIELD",
            "处理单条记录时不要提交 filter",
        ));
    }
    Ok(Json(
        quarantine::resolve(&state, &Actor::from(&principal), Target::Ids(vec![id]), input).await?,
    ))
}

/// Resolve many quarantined records at once: `ids`, or every pending one
/// matching `filter`.
#[utoipa::path(post, path = "/usage/quarantine/resolve", tag = "usage", request_body = ResolveInput,
    responses((status = 200, body = ResolveResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn resolve_many(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(mut input): ApiJson<ResolveInput>,
) -> AppResult<Json<ResolveResult>> {
    principal.require(Permission::UsageManage)?;
    let target = match (input.ids.take(), input.filter.take()) {
        (Some(ids), None) => Target::Ids(ids),
        (None, Some(filter)) => Target::Filter(filter),
        (Some(_), Some(_)) => {
            return Err(AppError::field(
                "filter",
                "INVALID_COMBINATION",
                "ids 与 filter 只能提交一个",
            ));
        }
        (None, None) => return Err(AppError::field("ids", "REQUIRED", "请选择要处理的异常数据")),
    };
    Ok(Json(
        quarantine::resolve(&state, &Actor::from(&principal), target, input).await?,
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SourceView {
    pub name: String,
    /// `http`
    pub kind: &'static str,
    pub base_url: String,
}

/// The configured sources (never their tokens).
#[utoipa::path(get, path = "/usage/sources", tag = "usage",
    responses((status = 200, body = Vec<SourceView>)))]
async fn list_sources(State(state): State<AppState>, principal: Principal) -> AppResult<Json<Vec<SourceView>>> {
    principal.require(Permission::UsageView)?;
    Ok(Json(
        state
            .config
            .usage_sources
            .iter()
            .map(|s| SourceView {
                name: s.name.clone(),
                kind: "http",
                base_url: s.base_url.clone(),
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CollectInput {
    /// The day to collect, `YYYY-MM-DD`.
    pub date: Option<String>,
    /// A range instead (`from`…`to`, both included, at most 92 days): one
    /// run per day and source, in day order.
    pub from: Option<String>,
    pub to: Option<String>,
    /// One source's name; all when absent.
    pub source: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CollectResult {
    pub runs: Vec<RunView>,
}

/// Collect one day (or a range of days) now, from one source or all.
#[utoipa::path(post, path = "/usage/collect", tag = "usage", request_body = CollectInput,
    responses((status = 200, body = CollectResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn collect_now(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<CollectInput>,
) -> AppResult<Json<CollectResult>> {
    principal.require(Permission::UsageManage)?;
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    let source = text(&input.source);
    let actor = Actor::from(&principal);
    let runs = match (text(&input.date), text(&input.from), text(&input.to)) {
        (Some(date), None, None) => {
            let day = query::parse_day(&date, "date")?;
            collect::collect(&state, &actor, day, source.as_deref(), Trigger::Manual).await?
        }
        (None, Some(from), Some(to)) => {
            let from = query::parse_day(&from, "from")?;
            let to = query::parse_day(&to, "to")?;
            collect::collect_range(&state, &actor, from, to, source).await?
        }
        (None, None, None) => return Err(AppError::field("date", "REQUIRED", "请选择采集日期")),
        (Some(_), _, _) => {
            return Err(AppError::field(
                "from",
                "INVALID_COMBINATION",
                "采集单日用 date，采集日期范围用 from 和 to，不能同时提交",
            ));
        }
        (None, None, Some(_)) => return Err(AppError::field("from", "REQUIRED", "请选择开始日期")),
        (None, Some(_), None) => return Err(AppError::field("to", "REQUIRED", "请选择结束日期")),
    };
    Ok(Json(CollectResult { runs }))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunQuery {
    pub source: Option<String>,
    /// `running` | `succeeded` | `failed`
    pub status: Option<String>,
    pub day: Option<String>,
    /// Runs of days from…to (inclusive).
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The collection log, newest first.
#[utoipa::path(get, path = "/usage/collections", tag = "usage", params(PageParams, RunQuery),
    responses((status = 200, body = Page<RunView>), (status = 400, body = ErrorBody)))]
async fn list_collection_runs(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<RunQuery>,
    page: PageRequest,
) -> AppResult<Json<Page<RunView>>> {
    principal.require(Permission::UsageView)?;
    let status = query.status.filter(|s| !s.is_empty());
    if let Some(s) = &status
        && !matches!(s.as_str(), "running" | "succeeded" | "failed")
    {
        return Err(AppError::field(
            "status",
            "INVALID_CHOICE",
            "状态须为 running、succeeded 或 failed",
        ));
    }
    let filter = RunFilter {
        source: query.source.filter(|s| !s.is_empty()),
        status,
        day: match query.day.as_deref().filter(|d| !d.is_empty()) {
            Some(d) => Some(query::parse_day(d, "day")?),
            None => None,
        },
        from: match query.from.as_deref().filter(|d| !d.is_empty()) {
            Some(d) => Some(query::parse_day(d, "from")?),
            None => None,
        },
        to: match query.to.as_deref().filter(|d| !d.is_empty()) {
            Some(d) => Some(query::parse_day(d, "to")?),
            None => None,
        },
    };
    let (items, total) = collect::list(&state.db, &filter, page).await?;
    Ok(Json(Page::new(items, total, page)))
}

/// Run a logged collection's source and day again.
#[utoipa::path(post, path = "/usage/collections/{id}/rerun", tag = "usage",
    responses((status = 200, body = RunView), (status = 404, body = ErrorBody)))]
async fn rerun(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<RunView>> {
    principal.require(Permission::UsageManage)?;
    let run = collect::find_model(&state.db, id).await?;
    let mut runs = collect::collect(
        &state,
        &Actor::from(&principal),
        run.day,
        Some(&run.source),
        Trigger::Rerun,
    )
    .await?;
    runs.pop()
        .map(Json)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("rerun of {id} produced no run")))
}
