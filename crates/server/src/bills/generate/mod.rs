//! `POST /bills/generate`: one auto bill per billable customer and period
//! (DESIGN.md §7). Idempotent and safe under concurrency:
//!
//! - the period's row in `bill_counters` is locked first, so two
//!   generations of one period take turns (the second sees the first's
//!   drafts and has nothing to create);
//! - `UNIQUE(customer_id, period, auto_slot)` refuses a second live auto
//!   bill whatever the code does;
//! - a draft is recomputed and written only when what it was computed from
//!   or to changed (its fingerprint); an issued bill is never changed, only
//!   flagged when its usage changed since (late usage).
//!
//! A run, top-down: check the request, lock the period, read everything in
//! a few set queries ([`reads`]), decide per customer on every core
//! (`opcms_domain::billing::decide`, pure), gather the decisions into what
//! changes (`opcms_domain::billing::changes`), write it in batches
//! ([`writes`]) and commit: one transaction.

pub mod reads;
pub mod writes;

use std::collections::HashSet;
use std::time::Instant;

use chrono::Utc;
use opcms_domain::billing::{self, Decision, RunChanges, RunRules};
use opcms_domain::{DataScope, Period};
use sea_orm::{ConnectionTrait, DbBackend};

use self::reads::portable::Portable;
use self::reads::sqlite::Packed;
use self::reads::{CHUNK, Inputs};
use super::model::{GenerateInput, RunResult};
use super::numbers::{ensure_counter, lock_period};
use crate::audit::Actor;
use crate::calendar::current_period;
use crate::db::begin_bulk_write;
use crate::error::{AppError, AppResult};
use crate::parallel;
use crate::state::AppState;
use crate::telemetry::Stopwatch;

/// Most customers one request may name.
const MAX_CUSTOMER_IDS: usize = 10_000;
/// Skipped customers kept in a run's record.
const MAX_SKIPPED_KEPT: usize = 1_000;

pub async fn generate(
    state: &AppState,
    actor: &Actor,
    scope: &DataScope,
    input: GenerateInput,
) -> AppResult<RunResult> {
    let started = Instant::now();
    let started_at = Utc::now();
    let period = billing_period(input.period.as_deref())?;
    let named = match input.customer_ids {
        None => None,
        Some(ids) => Some(named_customers(state, scope, ids).await?),
    };

    let db = &state.db;
    ensure_counter(db, period).await?;
    let txn = begin_bulk_write(db).await?;
    // First statement of the transaction: a MySQL snapshot taken after it
    // sees what a generation that held the lock before us committed.
    lock_period(&txn, period).await?;

    let mut watch = Stopwatch::start();
    let chunks: Vec<Option<&[i64]>> = match named.as_deref() {
        None => vec![None],
        Some(ids) => ids.chunks(CHUNK).map(Some).collect(),
    };
    let rows = if named.is_none() && txn.get_database_backend() == DbBackend::Sqlite {
        reads::side_by_side(Packed::new(db.clone()), period, &mut watch).await?
    } else {
        let readers: Vec<Portable> = chunks.iter().map(|ids| Portable::new(&txn, *ids)).collect();
        reads::in_turn(&readers, period, &mut watch).await?
    };
    let inputs = reads::complete(&txn, &state.keyring, period, &chunks, rows, &mut watch).await?;

    let rules = RunRules {
        bill_trial_customers: crate::settings::load(&txn).await?.bill_trial_customers,
        detected_at: Utc::now(),
    };
    let named_set: Option<HashSet<i64>> = named.as_ref().map(|ids| ids.iter().copied().collect());
    let changes = tokio::task::spawn_blocking(move || decide_all(&inputs, &rules, named_set.as_ref()))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("billing task: {e}")))??;
    watch.lap("price and verify");

    let RunChanges {
        creates,
        updates,
        voids,
        late,
        skipped,
        skipped_count,
        unchanged,
        kept_issued,
        with_warnings,
    } = changes;
    let (created, updated, voided, late_usage) = (creates.len(), updates.len(), voids.len(), late.len());
    let run_id = writes::start_run(&txn, period, actor, named.as_deref(), started_at).await?;
    writes::create_drafts(&txn, period, actor, run_id, creates).await?;
    watch.lap("write new bills");
    writes::update_drafts(&txn, actor, run_id, updates).await?;
    writes::void_drafts(&txn, actor, voids).await?;
    writes::flag_late_usage(&txn, late).await?;
    let result = RunResult {
        run_id,
        period,
        created: created as u32,
        updated: updated as u32,
        unchanged,
        voided: voided as u32,
        kept_issued,
        late_usage: late_usage as u32,
        skipped: reads::skipped_rows(&txn, &skipped).await?,
        skipped_count,
        warnings: with_warnings,
        duration_ms: started.elapsed().as_millis() as u64,
        started_at,
        actor_name: actor.name.clone(),
        customer_ids: named,
    };
    writes::finish_run(&txn, actor, &result).await?;
    txn.commit().await?;
    watch.lap("commit");
    tracing::info!(
        period = %period,
        created = result.created,
        updated = result.updated,
        unchanged = result.unchanged,
        phases = %watch.summary(),
        "billing run finished"
    );
    Ok(result)
}

/// The period of a request: well formed and not in the future.
pub fn billing_period(value: Option<&str>) -> AppResult<Period> {
    let period = Period::field(value, "period", "账期").map_err(|e| AppError::Validation(vec![e]))?;
    if period > current_period() {
        return Err(AppError::field("period", "PERIOD_IN_FUTURE", "账期不能晚于本月"));
    }
    Ok(period)
}

/// The customers a request names, sorted and once each: each must exist and
/// be in scope (404 names the first that is not).
async fn named_customers(state: &AppState, scope: &DataScope, ids: Vec<i64>) -> AppResult<Vec<i64>> {
    if ids.is_empty() {
        return Err(AppError::field("customer_ids", "REQUIRED", "请至少选择一个客户"));
    }
    if ids.len() > MAX_CUSTOMER_IDS {
        return Err(AppError::field(
            "customer_ids",
            "TOO_MANY",
            format!("一次最多为 {MAX_CUSTOMER_IDS} 个客户生成账单"),
        ));
    }
    let mut unique: Vec<i64> = ids;
    unique.sort_unstable();
    unique.dedup();
    let found = reads::visible_customers(&state.db, scope, &unique).await?;
    if let Some(missing) = unique.iter().find(|id| !found.contains(id)) {
        return Err(AppError::NotFound {
            message: format!("客户 {missing} 不存在或无权访问"),
        });
    }
    Ok(unique)
}

/// [`billing::decide`] for every customer, in order, on every core (pricing
/// and fingerprinting 100,000 customers is CPU work that splits cleanly),
/// gathered into what the run changes.
fn decide_all(inputs: &Inputs, rules: &RunRules, named: Option<&HashSet<i64>>) -> AppResult<RunChanges> {
    let decisions: Vec<Decision> = parallel::map(&inputs.customers, 1_000, |customer| {
        billing::decide(
            &inputs.of(customer, named.is_some_and(|ids| ids.contains(&customer.id))),
            rules,
        )
    })?;
    Ok(billing::changes(
        &inputs.customers,
        decisions,
        &inputs.existing,
        named,
        MAX_SKIPPED_KEPT,
    ))
}
