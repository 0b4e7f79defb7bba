//! `/jobs`: the scheduled jobs, their runs, a manual run, pause/resume and
//! schedule (DESIGN.md §16; docs/api/jobs.md).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use opcms_domain::Permission;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{JobPatch, JobRunView, JobView, RunJob};
use crate::access::Principal;
use crate::audit::Actor;
use crate::error::{AppResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::pagination::{Page, PageParams, PageRequest};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_jobs))
        .routes(routes!(patch_job))
        .routes(routes!(job_runs))
        .routes(routes!(run_job))
}

/// Every job: schedule, paused, last and next run, whether it is failing.
#[utoipa::path(get, path = "/jobs", tag = "jobs",
    responses((status = 200, body = Vec<JobView>), (status = 403, body = ErrorBody)))]
async fn list_jobs(State(state): State<AppState>, principal: Principal) -> AppResult<Json<Vec<JobView>>> {
    principal.require(Permission::JobsView)?;
    Ok(Json(super::list(&state).await?))
}

/// A job's runs, newest period first.
#[utoipa::path(get, path = "/jobs/{name}/runs", tag = "jobs", params(PageParams),
    responses((status = 200, body = Page<JobRunView>), (status = 404, body = ErrorBody)))]
async fn job_runs(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(name): ApiPath<String>,
    page: PageRequest,
) -> AppResult<Json<Page<JobRunView>>> {
    principal.require(Permission::JobsView)?;
    let job = super::find_job(&name)?;
    let (items, total) = super::runs_of(&state, job, page).await?;
    Ok(Json(Page::new(items, total, page)))
}

/// Runs a job now for a period (management). 409 while that period runs,
/// or when it already succeeded and `force` is not set.
#[utoipa::path(post, path = "/jobs/{name}/run", tag = "jobs", request_body = RunJob,
    responses((status = 202, body = JobRunView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn run_job(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(name): ApiPath<String>,
    ApiJson(input): ApiJson<RunJob>,
) -> AppResult<(StatusCode, Json<JobRunView>)> {
    principal.require(Permission::SettingsManage)?;
    let job = super::find_job(&name)?;
    let run = super::run_now(&state, &Actor::from(&principal), job, input).await?;
    Ok((StatusCode::ACCEPTED, Json(run)))
}

/// Changes a job's schedule, or pauses / resumes it (management).
#[utoipa::path(patch, path = "/jobs/{name}", tag = "jobs", request_body = JobPatch,
    responses((status = 200, body = JobView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn patch_job(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(name): ApiPath<String>,
    ApiJson(input): ApiJson<JobPatch>,
) -> AppResult<Json<JobView>> {
    principal.require(Permission::SettingsManage)?;
    let job = super::find_job(&name)?;
    Ok(Json(super::patch(&state, &Actor::from(&principal), job, input).await?))
}
