//! What each job does for its period. Every job calls the same service the
//! API calls (collection, generation, issuing, status changes), so a rule
//! holds the same whether a person or the scheduler acts; and every job is
//! idempotent, so a retry or a takeover after a crash never does twice what
//! the first try did.

use std::collections::HashMap;

use chrono::NaiveDate;
use opcms_domain::DataScope;
use opcms_domain::customer::fields::AccountStatus;
use opcms_domain::customer::status::automatic_target;
use opcms_domain::jobs::{Job, PeriodKey};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::{Map, Value, json};

use super::entity::job_run;
use super::runs::RUNNING;
use crate::audit::Actor;
use crate::bills::model::{BatchIssueInput, BillFilter, GenerateInput};
use crate::calendar::business_today;
use crate::customers::entity::customer;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Customers whose status moves are written in one transaction.
const STATUS_BATCH: usize = 500;

/// Job runs and finished notifications are kept this long (days) before
/// `maintenance.prune` removes them.
pub const JOB_RUN_RETENTION_DAYS: i64 = 400;

/// Runs `job` for `period`; the counts on success.
pub async fn run(state: &AppState, job: Job, period: PeriodKey) -> AppResult<Map<String, Value>> {
    let counts = match (job, period) {
        (Job::UsageCollect, PeriodKey::Day(day)) => collect_usage(state, day).await?,
        (Job::BillsGenerate, PeriodKey::Month(month)) => generate_bills(state, month).await?,
        (Job::ReceivablesDaily, PeriodKey::Day(_)) => receivables(state).await?,
        (Job::MaintenancePrune, PeriodKey::Day(_)) => prune(state).await?,
        (Job::AnalyticsRefresh, PeriodKey::Day(_)) => crate::analytics::snapshot::run_job(state).await?,
        (Job::BackupDaily, PeriodKey::Day(_)) => crate::backup::store::run_job(state).await?,
        (Job::ErpCustomers, PeriodKey::Day(_)) => crate::erp::pull::run(state, &Actor::system()).await?,
        (job, period) => {
            return Err(AppError::Internal(anyhow::anyhow!(
                "period {period} does not fit job {job}"
            )));
        }
    };
    match counts {
        Value::Object(map) => Ok(map),
        _ => Ok(Map::new()),
    }
}

/// `usage.collect`: the day from every configured source. A source that
/// fails makes the run fail (and be retried); the sources that worked keep
/// their records, and a retry finds them unchanged.
async fn collect_usage(state: &AppState, day: NaiveDate) -> AppResult<Value> {
    use crate::usage::collect::{Trigger, collect};
    let runs = collect(state, &Actor::system(), day, None, Trigger::Schedule).await?;
    let failed: Vec<String> = runs
        .iter()
        .filter(|run| run.status != "succeeded")
        .map(|run| format!("{}：{}", run.source, run.error.as_deref().unwrap_or("采集失败")))
        .collect();
    let sum = |f: fn(&crate::usage::collect::RunView) -> i32| runs.iter().map(|r| i64::from(f(r))).sum::<i64>();
    if !failed.is_empty() {
        return Err(AppError::Internal(anyhow::anyhow!(
            "{} 个来源采集失败：{}",
            failed.len(),
            failed.join("；")
        )));
    }
    Ok(json!({
        "sources": runs.len(),
        "records": sum(|r| r.fetched),
        "inserted": sum(|r| r.created),
        "changed": sum(|r| r.updated),
        "unchanged": sum(|r| r.unchanged),
        "quarantined": sum(|r| r.quarantined),
        "discarded": sum(|r| r.discarded),
        "failed_sources": 0,
    }))
}

/// `bills.generate`: the month's drafts; with `auto_issue_clean_bills`, the
/// automatic drafts of that month that carry no warning are issued.
async fn generate_bills(state: &AppState, month: opcms_domain::Period) -> AppResult<Value> {
    let actor = Actor::system();
    let input = GenerateInput {
        period: Some(month.to_string()),
        customer_ids: None,
    };
    let result = crate::bills::generate::generate(state, &actor, &DataScope::All, input).await?;
    let mut counts = json!({
        "customers": result.created + result.updated + result.unchanged + result.skipped_count,
        "drafts": result.created + result.updated,
        "unchanged": result.unchanged,
        "skipped": result.skipped_count,
        "warnings": result.warnings,
        "issued": 0,
    });
    if crate::settings::load(&state.db).await?.auto_issue_clean_bills {
        let issued = crate::bills::issue::batch_issue(
            state,
            &actor,
            &DataScope::All,
            BatchIssueInput {
                ids: None,
                filter: Some(BillFilter {
                    period: Some(month.to_string()),
                    kind: Some("auto".into()),
                    has_warnings: Some(false),
                    ..BillFilter::default()
                }),
                acknowledge_warnings: Some(false),
                expected_count: None,
                expected_total: None,
            },
        )
        .await?;
        counts["issued"] = json!(issued.issued);
    }
    Ok(counts)
}

/// `receivables.daily`: the automatic transitions of DESIGN.md §3 for every
/// customer whose overdue bills call for one. The decision is made again
/// under each customer's row lock, so a receipt booked meanwhile counts.
async fn receivables(state: &AppState) -> AppResult<Value> {
    let today = business_today();
    let suspend_after = i64::from(crate::settings::load(&state.db).await?.suspend_after_days);
    let overdue = crate::bills::unsettled::oldest_overdue_by_customer(&state.db, today).await?;
    let customers: Vec<(i64, String)> = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .column(customer::Column::AccountStatus)
        .filter(customer::Column::IsDeleted.eq(false))
        .filter(customer::Column::AccountStatus.is_in([
            AccountStatus::Active.code(),
            AccountStatus::Arrears.code(),
            AccountStatus::Suspended.code(),
        ]))
        .into_tuple()
        .all(&state.db)
        .await?;
    // Those the rule would move, judged from a first read; each batch is
    // judged again under its rows' locks.
    let candidates: Vec<i64> = customers
        .into_iter()
        .filter(|(id, status)| {
            let days = overdue.get(id).map(|due| (today - *due).num_days());
            AccountStatus::parse(status).is_some_and(|status| automatic_target(status, days, suspend_after).is_some())
        })
        .map(|(id, _)| id)
        .collect();
    let mut moves: HashMap<&'static str, u64> = HashMap::new();
    for batch in candidates.chunks(STATUS_BATCH) {
        let moved = crate::customers::service::apply_automatic_statuses(state, batch, today, suspend_after).await?;
        for (_, to) in moved {
            *moves.entry(to.code()).or_default() += 1;
        }
    }
    let overdue_bills = crate::bills::unsettled::count_overdue(&state.db, today).await?;
    let queued = crate::notify::reminders::daily(state, today).await?;
    Ok(json!({
        "overdue_bills": overdue_bills,
        "reminders": queued.overdue,
        "digests": queued.digests,
        "to_arrears": moves.get(AccountStatus::Arrears.code()).copied().unwrap_or(0),
        "to_suspended": moves.get(AccountStatus::Suspended.code()).copied().unwrap_or(0),
        "to_active": moves.get(AccountStatus::Active.code()).copied().unwrap_or(0),
    }))
}

/// `maintenance.prune`: what no one needs any more.
async fn prune(state: &AppState) -> AppResult<Value> {
    let refresh_tokens = crate::auth::sessions::prune_expired(&state.db).await?;
    let login_failures = crate::auth::throttle::prune(
        &state.db,
        chrono::Duration::seconds(state.config.login_failure_window_secs),
    )
    .await?;
    let cutoff = crate::calendar::business_now().to_utc() - chrono::Duration::days(JOB_RUN_RETENTION_DAYS);
    let job_runs = job_run::Entity::delete_many()
        .filter(job_run::Column::StartedAt.lt(cutoff))
        .filter(job_run::Column::Status.ne(RUNNING))
        .exec(&state.db)
        .await?
        .rows_affected;
    let notifications = crate::notify::entity::notification::Entity::delete_many()
        .filter(crate::notify::entity::notification::Column::CreatedAt.lt(cutoff))
        .filter(crate::notify::entity::notification::Column::Status.is_in(["sent", "skipped", "failed"]))
        // A mail whose attachment is kept stays: it is the record of what
        // the customer received, and the row is how its copy is found.
        .filter(crate::notify::entity::notification::Column::AttachmentName.is_null())
        .exec(&state.db)
        .await?
        .rows_affected;
    Ok(json!({
        "refresh_tokens": refresh_tokens,
        "login_failures": login_failures,
        "job_runs": job_runs,
        "notifications": notifications,
    }))
}
