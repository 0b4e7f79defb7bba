//! The scheduler every instance runs (DESIGN.md §16). Each tick, inside the
//! app's business clock:
//! 1. runs whose holder died (lease run out) are taken over;
//! 2. failed runs whose retry is due are tried again;
//! 3. each job's scheduled times since it last looked (at most 7 days or 2
//!    months back: the catch-up) are claimed and run, oldest first.
//!
//! Claims go through the database (`runs`), so any number of instances may
//! tick at once and each period still runs once.

use chrono::{DateTime, Utc};
use opcms_domain::jobs::{Job, MAX_ATTEMPTS, PeriodKey, Schedule, catch_up_since};
use opcms_domain::settings::Settings;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use tokio::sync::watch;

use super::entity::{job_run, job_state};
use super::runs::{self, Claim, Trigger};
use crate::error::AppResult;
use crate::state::AppState;

/// Most days one job catches up in one tick (more than the two months of
/// the longest catch-up window).
const MAX_CATCH_UP: usize = 64;

/// Runs the scheduler until `stopped` turns true. A tick that fails is
/// logged and the next one tries again.
pub async fn run(state: AppState, mut stopped: watch::Receiver<bool>) {
    let tick = state.config.jobs.tick;
    tracing::info!(instance = %state.config.jobs.instance_id, ?tick, "scheduler started");
    loop {
        if *stopped.borrow() {
            break;
        }
        if let Err(err) = state.clock.clone().scope(tick_once(&state)).await {
            tracing::warn!(error = ?err, "scheduler tick failed");
        }
        tokio::select! {
            () = tokio::time::sleep(tick) => {}
            () = state.jobs_wake.notified() => {}
            _ = stopped.changed() => {}
        }
    }
}

/// One look at the job table: takeovers, retries, then due times.
pub async fn tick_once(state: &AppState) -> AppResult<()> {
    let settings = crate::settings::load(&state.db).await?;
    let holder = state.config.jobs.instance_id.as_str();
    let lease = state.config.jobs.lease;
    for stalled in runs::expired_leases(&state.db).await? {
        let Some(job) = Job::parse(&stalled.job) else { continue };
        if stalled.attempt >= MAX_ATTEMPTS {
            runs::give_up(&state.db, &stalled).await?;
            continue;
        }
        tracing::warn!(job = %stalled.job, period = %stalled.period_key, from = %stalled.holder, "taking over a run whose holder stopped");
        if let Some(run) = runs::take(
            &state.db,
            &stalled,
            holder,
            lease,
            Trigger::Takeover,
            stalled.started_by,
            stalled.attempt + 1,
        )
        .await?
        {
            execute(state, job, run).await;
        }
    }
    let now = state.clock.now();
    let paused = paused_jobs(&state.db).await?;
    for failed in runs::due_retries(&state.db, now).await? {
        let Some(job) = Job::parse(&failed.job) else { continue };
        if paused.contains(&job) {
            continue;
        }
        if let Some(run) = runs::take(
            &state.db,
            &failed,
            holder,
            lease,
            Trigger::Retry,
            None,
            failed.attempt + 1,
        )
        .await?
        {
            execute(state, job, run).await;
        }
    }
    for job in Job::ALL {
        due_times(state, &settings, job, paused.contains(&job), now).await?;
    }
    Ok(())
}

/// Claims and runs every period `job` came due for since the scheduler last
/// looked, then moves its mark to `now`.
async fn due_times(state: &AppState, settings: &Settings, job: Job, paused: bool, now: DateTime<Utc>) -> AppResult<()> {
    let Some(schedule) = Schedule::new(settings.schedule_of(job), &settings.timezone) else {
        return Ok(());
    };
    let checked_until = mark(&state.db, job).await?;
    let Some(since) = checked_until.filter(|at| *at <= now) else {
        // First look (nothing before this moment is owed), or the test clock
        // was set back: start counting from now.
        set_mark(&state.db, job, now).await?;
        return Ok(());
    };
    if !paused {
        let since = since.max(catch_up_since(job.cadence(), now));
        let mut periods: Vec<(PeriodKey, Trigger)> = Vec::new();
        for at in schedule.first_of_each_day(since, now, MAX_CATCH_UP) {
            let period = job.period_for(schedule.local_date(at));
            let trigger = if now - at > chrono::Duration::minutes(10) {
                Trigger::CatchUp
            } else {
                Trigger::Schedule
            };
            if !periods.iter().any(|(p, _)| *p == period) {
                periods.push((period, trigger));
            }
        }
        for (period, trigger) in periods {
            let claim = runs::claim(
                &state.db,
                job,
                period,
                &state.config.jobs.instance_id,
                state.config.jobs.lease,
                trigger,
                None,
            )
            .await?;
            if let Claim::Won(run) = claim {
                execute(state, job, run).await;
            }
        }
    }
    set_mark(&state.db, job, now).await
}

/// Runs a claimed run to its end: the work in its own task (a panic fails
/// the run instead of the scheduler), the lease renewed meanwhile, the
/// outcome recorded. Errors end up on the run, never silent.
pub async fn execute(state: &AppState, job: Job, run: job_run::Model) {
    let holder = state.config.jobs.instance_id.clone();
    let lease = state.config.jobs.lease;
    let Some(period) = PeriodKey::parse_for(job, &run.period_key) else {
        let _ = runs::finish(&state.db, &run, &holder, Err(format!("期间 {} 无效", run.period_key))).await;
        return;
    };
    tracing::info!(job = %job, period = %period, attempt = run.attempt, trigger = %run.trigger, "job run started");
    let heartbeat = {
        let db = state.db.clone();
        let holder = holder.clone();
        let id = run.id;
        tokio::spawn(async move {
            let every = lease / 3;
            loop {
                tokio::time::sleep(every).await;
                match runs::renew(&db, id, &holder, lease).await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(err) => tracing::warn!(error = ?err, "cannot renew a job lease"),
                }
            }
        })
    };
    let work_state = state.clone();
    let work = tokio::spawn(
        state
            .clock
            .clone()
            .scope(async move { super::work::run(&work_state, job, period).await }),
    );
    let outcome = match work.await {
        Ok(Ok(counts)) => Ok(counts),
        Ok(Err(err)) => Err(describe(&err)),
        Err(join) => Err(format!("任务异常中止：{join}")),
    };
    heartbeat.abort();
    let failed = outcome.is_err();
    match runs::finish(&state.db, &run, &holder, outcome).await {
        Ok(true) if failed => tracing::warn!(job = %job, period = %period, "job run failed"),
        Ok(true) => tracing::info!(job = %job, period = %period, "job run succeeded"),
        Ok(false) => {
            tracing::warn!(job = %job, period = %period, "job run was taken over meanwhile; its outcome is the other holder's")
        }
        Err(err) => tracing::error!(job = %job, period = %period, error = ?err, "cannot record a job run's outcome"),
    }
}

/// The error a person reads on the run: the envelope's message, or the
/// cause of an internal error.
fn describe(err: &crate::error::AppError) -> String {
    match err {
        crate::error::AppError::Internal(cause) => format!("{cause:#}"),
        other => {
            let (code, message) = other.summary();
            format!("{code}: {message}")
        }
    }
}

async fn paused_jobs(db: &DatabaseConnection) -> AppResult<Vec<Job>> {
    Ok(job_state::Entity::find()
        .filter(job_state::Column::Paused.eq(true))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|row| Job::parse(&row.job))
        .collect())
}

async fn mark(db: &DatabaseConnection, job: Job) -> AppResult<Option<DateTime<Utc>>> {
    Ok(job_state::Entity::find_by_id(job.name())
        .one(db)
        .await?
        .and_then(|row| row.checked_until))
}

/// Moves the job's mark to `now`, creating its state row on first sight.
async fn set_mark(db: &DatabaseConnection, job: Job, now: DateTime<Utc>) -> AppResult<()> {
    let changed = job_state::Entity::update_many()
        .col_expr(job_state::Column::CheckedUntil, Expr::value(now))
        .filter(job_state::Column::Job.eq(job.name()))
        .exec(db)
        .await?
        .rows_affected;
    if changed == 0 {
        ensure_state(db, job, Some(now)).await?;
    }
    Ok(())
}

/// The job's state row, created when missing (several instances may race:
/// the first insert wins, the others change nothing).
pub async fn ensure_state(db: &DatabaseConnection, job: Job, checked_until: Option<DateTime<Utc>>) -> AppResult<()> {
    let row = job_state::ActiveModel {
        job: sea_orm::Set(job.name().into()),
        paused: sea_orm::Set(false),
        checked_until: sea_orm::Set(checked_until),
        updated_at: sea_orm::Set(Utc::now()),
        updated_by: sea_orm::Set(None),
    };
    match sea_orm::ActiveModelTrait::insert(row, db).await {
        Ok(_) => Ok(()),
        Err(err) if crate::error::is_unique_violation(&err) => Ok(()),
        Err(err) => Err(err.into()),
    }
}

/// Starts the scheduler for this app, when enabled, until `stopped`.
pub fn spawn(state: &AppState, stopped: watch::Receiver<bool>) -> Option<tokio::task::JoinHandle<()>> {
    state
        .config
        .jobs
        .enabled
        .then(|| tokio::spawn(run(state.clone(), stopped)))
}
