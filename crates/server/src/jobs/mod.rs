//! Scheduled jobs (定时任务, DESIGN.md §16): our own durable job table
//! (`runs`), the scheduler each instance runs (`scheduler`), what each job
//! does (`work`) and the API (`routes`). The rules — which jobs, which
//! period a time stands for, retries, catch-up — are in
//! `opcms_domain::jobs`.

pub mod entity;
pub mod routes;
pub mod runs;
pub mod scheduler;
pub mod work;

use chrono::{DateTime, Utc};
use opcms_domain::jobs::{Cadence, Job, PeriodKey, Schedule, describe};
use opcms_domain::settings::{Settings, SettingsUpdate};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use self::entity::{job_run, job_state};
use self::runs::{Claim, FAILED, RUNNING, SUCCEEDED, Trigger};
use crate::audit::{self, Actor, Entry};
use crate::calendar::business_today;
use crate::error::{AppError, AppResult};
use crate::http::pagination::PageRequest;
use crate::state::AppState;

/// A job as the 定时任务 page shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JobView {
    /// `usage.collect`, `bills.generate`, `receivables.daily`, `analytics.refresh`, `maintenance.prune`.
    pub name: String,
    pub title: String,
    pub description: String,
    pub cadence: Cadence,
    /// Five-field cron, read in `timezone`.
    pub schedule: String,
    /// The schedule in words: 每天 02:00.
    pub schedule_text: String,
    pub timezone: String,
    pub paused: bool,
    /// The next scheduled time (None while paused).
    #[schema(required = true)]
    pub next_run_at: Option<DateTime<Utc>>,
    /// The newest period the schedule has reached: the default, and the
    /// latest allowed, of a manual run.
    pub latest_period: String,
    #[schema(required = true)]
    pub last_run: Option<JobRunView>,
    /// A run of this job failed and no later run of it has succeeded.
    pub failing: bool,
}

/// One run of a job for one period.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JobRunView {
    pub id: i64,
    pub job: String,
    pub period_key: String,
    #[schema(value_type = JobRunStatus)]
    pub status: String,
    pub attempt: i32,
    #[schema(value_type = JobRunTrigger)]
    pub trigger: String,
    /// The instance that ran (or runs) it.
    pub holder: String,
    pub started_at: DateTime<Utc>,
    #[schema(required = true)]
    pub finished_at: Option<DateTime<Utc>>,
    /// When a failed run is tried again; None once its retries are spent.
    #[schema(required = true)]
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// What the run did, e.g. `{"drafts": 1320, "issued": 1297}`.
    #[schema(value_type = std::collections::BTreeMap<String, i64>)]
    pub counts: serde_json::Value,
    #[schema(required = true)]
    pub error: Option<String>,
}

/// A job run's state. The field holds the code; this names the codes in the
/// OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum JobRunStatus {
    Running,
    Succeeded,
    Failed,
}

/// What started a job run.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum JobRunTrigger {
    Schedule,
    CatchUp,
    Retry,
    Takeover,
    Manual,
}

impl From<job_run::Model> for JobRunView {
    fn from(row: job_run::Model) -> Self {
        JobRunView {
            id: row.id,
            job: row.job,
            period_key: row.period_key,
            status: row.status,
            attempt: row.attempt,
            trigger: row.trigger,
            holder: row.holder,
            started_at: row.started_at,
            finished_at: row.finished_at,
            next_attempt_at: row.next_attempt_at,
            counts: serde_json::from_str(&row.counts).unwrap_or_else(|_| serde_json::json!({})),
            error: row.error,
        }
    }
}

/// `POST /jobs/{name}/run`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunJob {
    /// `2026-12-04` for a daily job, `2026-11` for a monthly one; by default
    /// the latest period the schedule has reached.
    pub period_key: Option<String>,
    /// Run again a period that already succeeded.
    pub force: Option<bool>,
}

/// `PATCH /jobs/{name}`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobPatch {
    pub schedule: Option<String>,
    pub paused: Option<bool>,
}

pub fn find_job(name: &str) -> AppResult<Job> {
    Job::parse(name).ok_or_else(|| AppError::NotFound {
        message: format!("没有名为 {name} 的定时任务"),
    })
}

fn schedule_of(settings: &Settings, job: Job) -> Option<Schedule> {
    Schedule::new(settings.schedule_of(job), &settings.timezone)
}

/// The newest period the schedule has reached by now.
fn latest_period(settings: &Settings, job: Job, now: DateTime<Utc>) -> PeriodKey {
    let day = schedule_of(settings, job)
        .and_then(|s| s.last_at_or_before(now).map(|at| s.local_date(at)))
        .unwrap_or_else(business_today);
    job.period_for(day)
}

/// Every job with its schedule, state and last run.
pub async fn list(state: &AppState) -> AppResult<Vec<JobView>> {
    let settings = crate::settings::load(&state.db).await?;
    let now = state.clock.now();
    let paused: Vec<String> = job_state::Entity::find()
        .filter(job_state::Column::Paused.eq(true))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|row| row.job)
        .collect();
    let mut views = Vec::new();
    for job in Job::ALL {
        views.push(view(state, &settings, job, paused.iter().any(|p| p == job.name()), now).await?);
    }
    Ok(views)
}

async fn view(state: &AppState, settings: &Settings, job: Job, paused: bool, now: DateTime<Utc>) -> AppResult<JobView> {
    let schedule = settings.schedule_of(job).to_string();
    let last = job_run::Entity::find()
        .filter(job_run::Column::Job.eq(job.name()))
        .order_by_desc(job_run::Column::StartedAt)
        .order_by_desc(job_run::Column::Id)
        .one(&state.db)
        .await?;
    let latest_success = job_run::Entity::find()
        .select_only()
        .column_as(job_run::Column::StartedAt.max(), "at")
        .filter(job_run::Column::Job.eq(job.name()))
        .filter(job_run::Column::Status.eq(SUCCEEDED))
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(&state.db)
        .await?
        .flatten();
    let mut failed = job_run::Entity::find()
        .filter(job_run::Column::Job.eq(job.name()))
        .filter(job_run::Column::Status.eq(FAILED));
    if let Some(at) = latest_success {
        failed = failed.filter(job_run::Column::StartedAt.gt(at));
    }
    let failing = failed.count(&state.db).await? > 0;
    Ok(JobView {
        name: job.name().into(),
        title: job.title().into(),
        description: job.description().into(),
        cadence: job.cadence(),
        schedule_text: describe(&schedule),
        schedule,
        timezone: settings.timezone.clone(),
        paused,
        next_run_at: if paused {
            None
        } else {
            schedule_of(settings, job).and_then(|s| s.next_after(now))
        },
        latest_period: latest_period(settings, job, now).to_string(),
        last_run: last.map(JobRunView::from),
        failing,
    })
}

/// One job's view.
pub async fn get(state: &AppState, job: Job) -> AppResult<JobView> {
    let settings = crate::settings::load(&state.db).await?;
    let paused = job_state::Entity::find_by_id(job.name())
        .one(&state.db)
        .await?
        .is_some_and(|row| row.paused);
    view(state, &settings, job, paused, state.clock.now()).await
}

/// A job's runs, newest period first.
pub async fn runs_of(state: &AppState, job: Job, page: PageRequest) -> AppResult<(Vec<JobRunView>, u64)> {
    let query = job_run::Entity::find().filter(job_run::Column::Job.eq(job.name()));
    let total = query.clone().count(&state.db).await?;
    let rows = query
        .order_by_desc(job_run::Column::PeriodKey)
        .offset(page.offset())
        .limit(page.page_size)
        .all(&state.db)
        .await?;
    Ok((rows.into_iter().map(JobRunView::from).collect(), total))
}

/// A person runs a job now for a period (the latest by default). Refused
/// while a run of that period is in progress, and for a period that
/// already succeeded unless forced. The work runs on in the background;
/// the answer is the run as it starts.
pub async fn run_now(state: &AppState, actor: &Actor, job: Job, input: RunJob) -> AppResult<JobRunView> {
    let settings = crate::settings::load(&state.db).await?;
    let latest = latest_period(&settings, job, state.clock.now());
    let period = match input.period_key.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => job
            .manual_period(text, latest)
            .map_err(|e| AppError::Validation(vec![e]))?,
        None => latest,
    };
    let force = input.force.unwrap_or(false);
    let holder = state.config.jobs.instance_id.as_str();
    let lease = state.config.jobs.lease;
    let run = match runs::claim(&state.db, job, period, holder, lease, Trigger::Manual, actor.user_id).await? {
        Claim::Won(run) => run,
        Claim::Taken(existing) => {
            if existing.status == RUNNING {
                return Err(AppError::conflict(
                    "JOB_RUNNING",
                    format!("{}（{period}）正在执行，请稍后再试", job.title()),
                ));
            }
            if existing.status == SUCCEEDED && !force {
                return Err(AppError::conflict(
                    "ALREADY_SUCCEEDED",
                    format!("{}（{period}）已成功执行；如需重新执行请勾选强制重跑", job.title()),
                ));
            }
            // A manual re-run starts the attempts afresh.
            runs::take(&state.db, &existing, holder, lease, Trigger::Manual, actor.user_id, 1)
                .await?
                .ok_or_else(|| {
                    AppError::conflict(
                        "JOB_RUNNING",
                        format!("{}（{period}）正在执行，请稍后再试", job.title()),
                    )
                })?
        }
    };
    audit::record(
        &state.db,
        actor,
        Entry {
            action: "job.run",
            entity_type: "job",
            entity_id: Some(job.name().into()),
            changes: Some(serde_json::json!({"period_key": period.to_string(), "force": force})),
        },
    )
    .await?;
    let view = JobRunView::from(run.clone());
    let background = state.clone();
    tokio::spawn(
        state
            .clock
            .clone()
            .scope(async move { scheduler::execute(&background, job, run).await }),
    );
    Ok(view)
}

/// Changes a job's schedule (through the settings, audited there) and
/// pauses or resumes it (audited here).
pub async fn patch(state: &AppState, actor: &Actor, job: Job, input: JobPatch) -> AppResult<JobView> {
    if let Some(schedule) = input.schedule {
        let update = SettingsUpdate {
            job_schedules: Some([(job.name().to_string(), schedule)].into_iter().collect()),
            ..SettingsUpdate::default()
        };
        crate::settings::update(&state.db, actor, update)
            .await
            .map_err(|err| match err {
                // The field of this endpoint is `schedule`.
                AppError::Validation(mut fields) => {
                    for field in &mut fields {
                        field.field = "schedule".into();
                    }
                    AppError::Validation(fields)
                }
                other => other,
            })?;
    }
    if let Some(paused) = input.paused {
        scheduler::ensure_state(&state.db, job, None).await?;
        let txn = crate::db::begin_write(&state.db).await?;
        let changed = job_state::Entity::update_many()
            .col_expr(job_state::Column::Paused, Expr::value(paused))
            .col_expr(job_state::Column::UpdatedAt, Expr::value(Utc::now()))
            .col_expr(job_state::Column::UpdatedBy, Expr::value(actor.user_id))
            .filter(job_state::Column::Job.eq(job.name()))
            .filter(job_state::Column::Paused.eq(!paused))
            .exec(&txn)
            .await?
            .rows_affected;
        if changed > 0 {
            audit::record(
                &txn,
                actor,
                Entry {
                    action: if paused { "job.pause" } else { "job.resume" },
                    entity_type: "job",
                    entity_id: Some(job.name().into()),
                    changes: Some(serde_json::json!({"paused": {"before": !paused, "after": paused}})),
                },
            )
            .await?;
        }
        txn.commit().await?;
    }
    get(state, job).await
}
