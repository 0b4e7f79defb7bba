//! The durable job table (DESIGN.md §15–16): claiming a period, renewing and
//! taking over a lease, and recording the outcome. Every change of a run's
//! owner is one conditional statement, so that of several instances exactly
//! one wins; nothing here trusts a read made before its own write.

use chrono::{DateTime, Utc};
use opcms_domain::jobs::{Job, MAX_ATTEMPTS, PeriodKey, retry_delay};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{Map, Value};

use super::entity::job_run;
use crate::error::{AppResult, is_unique_violation};

pub const RUNNING: &str = "running";
pub const SUCCEEDED: &str = "succeeded";
pub const FAILED: &str = "failed";

/// Longest error text kept on a run.
const ERROR_CHARS: usize = 2000;

/// Why a run started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Schedule,
    CatchUp,
    Retry,
    Takeover,
    Manual,
}

impl Trigger {
    pub fn code(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::CatchUp => "catch_up",
            Trigger::Retry => "retry",
            Trigger::Takeover => "takeover",
            Trigger::Manual => "manual",
        }
    }
}

/// The lease a holder gets or renews: real time, not the business clock, since
/// it measures whether a process is alive.
fn lease_end(lease: std::time::Duration) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60))
}

/// What a claim attempt found.
pub enum Claim {
    /// This instance holds the run now.
    Won(job_run::Model),
    /// Another run of the period is on record.
    Taken(job_run::Model),
}

/// Claims `period` of `job` for `holder` by a plain INSERT: the unique key on
/// (job, period_key) lets exactly one of any number of instances in.
pub async fn claim(
    db: &DatabaseConnection,
    job: Job,
    period: PeriodKey,
    holder: &str,
    lease: std::time::Duration,
    trigger: Trigger,
    started_by: Option<i64>,
) -> AppResult<Claim> {
    let row = job_run::ActiveModel {
        job: Set(job.name().into()),
        period_key: Set(period.to_string()),
        status: Set(RUNNING.into()),
        attempt: Set(1),
        trigger: Set(trigger.code().into()),
        holder: Set(holder.into()),
        lease_until: Set(lease_end(lease)),
        started_at: Set(crate::calendar::business_now().to_utc()),
        finished_at: Set(None),
        next_attempt_at: Set(None),
        counts: Set("{}".into()),
        error: Set(None),
        started_by: Set(started_by),
        ..Default::default()
    };
    match row.insert(db).await {
        Ok(row) => Ok(Claim::Won(row)),
        Err(err) if is_unique_violation(&err) => match find(db, job, period).await? {
            Some(row) => Ok(Claim::Taken(row)),
            // Pruned in between: let the next tick try again.
            None => Err(err.into()),
        },
        Err(err) => Err(err.into()),
    }
}

pub async fn find(db: &impl ConnectionTrait, job: Job, period: PeriodKey) -> AppResult<Option<job_run::Model>> {
    Ok(job_run::Entity::find()
        .filter(job_run::Column::Job.eq(job.name()))
        .filter(job_run::Column::PeriodKey.eq(period.to_string()))
        .one(db)
        .await?)
}

/// Takes `row` over for `holder` as a new attempt, provided it is still in
/// the state it was read in (`status`, `attempt`) and, when running, its
/// lease has run out. One conditional UPDATE: of several instances trying,
/// one changes the row and the others change nothing.
pub async fn take(
    db: &DatabaseConnection,
    row: &job_run::Model,
    holder: &str,
    lease: std::time::Duration,
    trigger: Trigger,
    started_by: Option<i64>,
    attempt: i32,
) -> AppResult<Option<job_run::Model>> {
    let mut update = job_run::Entity::update_many()
        .col_expr(job_run::Column::Status, Expr::value(RUNNING))
        .col_expr(job_run::Column::Holder, Expr::value(holder))
        .col_expr(job_run::Column::LeaseUntil, Expr::value(lease_end(lease)))
        .col_expr(job_run::Column::Attempt, Expr::value(attempt))
        .col_expr(job_run::Column::Trigger, Expr::value(trigger.code()))
        .col_expr(job_run::Column::FinishedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(
            job_run::Column::NextAttemptAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job_run::Column::StartedBy, Expr::value(started_by))
        .filter(job_run::Column::Id.eq(row.id))
        .filter(job_run::Column::Status.eq(row.status.as_str()))
        .filter(job_run::Column::Attempt.eq(row.attempt));
    if trigger != Trigger::Takeover {
        update = update.col_expr(
            job_run::Column::StartedAt,
            Expr::value(crate::calendar::business_now().to_utc()),
        );
    }
    if row.status == RUNNING {
        update = update.filter(job_run::Column::LeaseUntil.lt(Utc::now()));
    }
    let changed = update.exec(db).await?.rows_affected;
    if changed == 1 {
        Ok(job_run::Entity::find_by_id(row.id).one(db).await?)
    } else {
        Ok(None)
    }
}

/// An update of run `id` that changes it only while `holder` still runs it.
fn while_held(id: i64, holder: &str) -> sea_orm::UpdateMany<job_run::Entity> {
    job_run::Entity::update_many()
        .filter(job_run::Column::Id.eq(id))
        .filter(job_run::Column::Holder.eq(holder))
        .filter(job_run::Column::Status.eq(RUNNING))
}

/// Renews the lease while the holder works; false once the run is no longer
/// this holder's (taken over after a stall).
pub async fn renew(db: &DatabaseConnection, id: i64, holder: &str, lease: std::time::Duration) -> AppResult<bool> {
    let changed = while_held(id, holder)
        .col_expr(job_run::Column::LeaseUntil, Expr::value(lease_end(lease)))
        .exec(db)
        .await?
        .rows_affected;
    Ok(changed == 1)
}

/// Records the outcome, if the run is still this holder's. A failure is
/// retried after the §16 backoff until the attempts are spent.
pub async fn finish(
    db: &DatabaseConnection,
    run: &job_run::Model,
    holder: &str,
    outcome: Result<Map<String, Value>, String>,
) -> AppResult<bool> {
    let now = crate::calendar::business_now().to_utc();
    let (status, counts, error, next_attempt) = match outcome {
        Ok(counts) => (SUCCEEDED, counts, None, None),
        Err(error) => {
            let next = (run.attempt < MAX_ATTEMPTS)
                .then(|| retry_delay(run.attempt))
                .flatten()
                .map(|delay| now + delay);
            let error: String = error.chars().take(ERROR_CHARS).collect();
            (FAILED, Map::new(), Some(error), next)
        }
    };
    let changed = while_held(run.id, holder)
        .col_expr(job_run::Column::Status, Expr::value(status))
        .col_expr(job_run::Column::FinishedAt, Expr::value(Some(now)))
        .col_expr(job_run::Column::Counts, Expr::value(Value::Object(counts).to_string()))
        .col_expr(job_run::Column::Error, Expr::value(error))
        .col_expr(job_run::Column::NextAttemptAt, Expr::value(next_attempt))
        .exec(db)
        .await?
        .rows_affected;
    Ok(changed == 1)
}

/// Failed runs whose retry is due (business time), oldest period first.
pub async fn due_retries(db: &DatabaseConnection, now: DateTime<Utc>) -> AppResult<Vec<job_run::Model>> {
    Ok(job_run::Entity::find()
        .filter(job_run::Column::Status.eq(FAILED))
        .filter(job_run::Column::NextAttemptAt.lte(now))
        .order_by_asc(job_run::Column::PeriodKey)
        .all(db)
        .await?)
}

/// Running runs whose holder stopped renewing (real time).
pub async fn expired_leases(db: &DatabaseConnection) -> AppResult<Vec<job_run::Model>> {
    Ok(job_run::Entity::find()
        .filter(job_run::Column::Status.eq(RUNNING))
        .filter(job_run::Column::LeaseUntil.lt(Utc::now()))
        .order_by_asc(job_run::Column::PeriodKey)
        .all(db)
        .await?)
}

/// A stalled run that has had all its attempts is failed, not taken again.
pub async fn give_up(db: &DatabaseConnection, run: &job_run::Model) -> AppResult<()> {
    job_run::Entity::update_many()
        .col_expr(job_run::Column::Status, Expr::value(FAILED))
        .col_expr(
            job_run::Column::FinishedAt,
            Expr::value(Some(crate::calendar::business_now().to_utc())),
        )
        .col_expr(
            job_run::Column::Error,
            Expr::value(format!("执行实例 {} 中断，且已用完 {MAX_ATTEMPTS} 次尝试", run.holder)),
        )
        .col_expr(
            job_run::Column::NextAttemptAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(job_run::Column::Id.eq(run.id))
        .filter(job_run::Column::Status.eq(RUNNING))
        .filter(job_run::Column::Attempt.eq(run.attempt))
        .filter(job_run::Column::LeaseUntil.lt(Utc::now()))
        .exec(db)
        .await?;
    Ok(())
}
