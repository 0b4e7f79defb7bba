//! The ERP sender: a loop per instance that claims due rows of `erp_outbox`
//! and pushes them, woken after a commit that queued documents
//! (`AppState::erp_wake`) or every `tick_ms`.
//!
//! Exactly once at the ERP, whatever the instances, retries and crashes:
//! - a row is claimed by a conditional UPDATE (`queued` → `sending` with
//!   this batch's holder token and a lease), so two senders never hold it
//!   together; only the holder records the outcome;
//! - every try carries the row's idempotency key, and the ERP's "already
//!   have it" (409) counts as sent, so a try whose answer was lost (a
//!   timeout, garbage, a crash mid-send, a lease run out) is simply tried
//!   again: unlike an email, a second delivery is harmless;
//! - a credit note is claimed only once its bill's row is sent, so the ERP
//!   never sees a credit note for a bill it does not know, however the
//!   answers are reordered.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use opcms_domain::erp::{DocKind, SyncStatus, retry_delay_ms};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::watch;

use super::client::{ErpClient, Pushed};
use super::entity::outbox;
use crate::config::ErpConfig;
use crate::error::AppResult;
use crate::outbound::CallError;
use crate::state::AppState;

/// Rows claimed per round.
const BATCH: u64 = 100;

/// Starts the sender unless no ERP is configured or this instance leaves
/// sending to others.
pub fn spawn(state: &AppState, stopped: watch::Receiver<bool>) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    let Some(config) = state.config.erp.as_ref().filter(|c| c.sender_enabled) else {
        return Ok(None);
    };
    let client = Arc::new(ErpClient::new(config.clone())?);
    let state = state.clone();
    Ok(Some(tokio::spawn(run(state, client, stopped))))
}

async fn run(state: AppState, client: Arc<ErpClient>, mut stopped: watch::Receiver<bool>) {
    tracing::info!(instance = %state.config.jobs.instance_id, "ERP sender started");
    let tick = Duration::from_millis(client.config().tick_ms);
    loop {
        if *stopped.borrow() {
            break;
        }
        if let Err(err) = drain(&state, &client).await {
            tracing::warn!(error = ?err, "ERP sender round failed");
        }
        tokio::select! {
            () = tokio::time::sleep(tick) => {}
            () = state.erp_wake.notified() => {}
            _ = stopped.changed() => {}
        }
    }
}

/// Pushes everything due now; the number of tries made.
pub async fn drain(state: &AppState, client: &ErpClient) -> AppResult<u64> {
    requeue_stalled(state).await?;
    let mut tried = 0;
    loop {
        let claimed = claim(state, client.config()).await?;
        if claimed.is_empty() {
            return Ok(tried);
        }
        tried += claimed.len() as u64;
        futures_util::stream::iter(claimed)
            .map(|row| deliver(state, client, row))
            .buffer_unordered(client.config().concurrency)
            .collect::<Vec<()>>()
            .await;
    }
}

/// Rows whose holder stopped mid-send go back to the queue: trying again
/// with the same key is safe.
async fn requeue_stalled(state: &AppState) -> AppResult<()> {
    let now = Utc::now();
    let requeued = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(SyncStatus::Queued.code()))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(now))
        .col_expr(outbox::Column::UpdatedAt, Expr::value(now))
        .filter(outbox::Column::Status.eq(SyncStatus::Sending.code()))
        .filter(outbox::Column::LeaseUntil.lt(now))
        .exec(&state.db)
        .await?
        .rows_affected;
    if requeued > 0 {
        tracing::warn!(
            requeued,
            "ERP documents left mid-send by a stopped sender are queued again"
        );
    }
    Ok(())
}

/// Due rows whose prerequisite (a credit note's bill) is sent or absent.
fn due_and_ready(now: chrono::DateTime<Utc>) -> Condition {
    let sent = Query::select()
        .column(outbox::Column::Id)
        .from(outbox::Entity)
        .and_where(Expr::col(outbox::Column::Status).eq(SyncStatus::Sent.code()))
        .to_owned();
    Condition::all()
        .add(outbox::Column::Status.eq(SyncStatus::Queued.code()))
        .add(outbox::Column::NextAttemptAt.lte(now))
        .add(
            Condition::any()
                .add(outbox::Column::DependsOn.is_null())
                .add(outbox::Column::DependsOn.in_subquery(sent)),
        )
}

/// Takes up to [`BATCH`] due rows for this round, under a fresh holder token.
async fn claim(state: &AppState, config: &ErpConfig) -> AppResult<Vec<outbox::Model>> {
    let now = Utc::now();
    let candidates: Vec<i64> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(due_and_ready(now))
        .order_by_asc(outbox::Column::Id)
        .limit(BATCH)
        .into_tuple()
        .all(&state.db)
        .await?;
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let holder = format!("{}#{}", state.config.jobs.instance_id, uuid::Uuid::new_v4().simple());
    let lease = chrono::Duration::milliseconds(i64::try_from(config.timeout_ms.saturating_mul(2)).unwrap_or(i64::MAX))
        + chrono::Duration::seconds(30);
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(SyncStatus::Sending.code()))
        .col_expr(outbox::Column::Holder, Expr::value(holder.clone()))
        .col_expr(outbox::Column::LeaseUntil, Expr::value(now + lease))
        .col_expr(outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1))
        .col_expr(outbox::Column::UpdatedAt, Expr::value(now))
        .filter(outbox::Column::Id.is_in(candidates))
        .filter(outbox::Column::Status.eq(SyncStatus::Queued.code()))
        .exec(&state.db)
        .await?;
    Ok(outbox::Entity::find()
        .filter(outbox::Column::Holder.eq(holder))
        .filter(outbox::Column::Status.eq(SyncStatus::Sending.code()))
        .order_by_asc(outbox::Column::Id)
        .all(&state.db)
        .await?)
}

async fn deliver(state: &AppState, client: &ErpClient, row: outbox::Model) {
    let result = match (DocKind::parse(&row.kind), serde_json::from_str(&row.payload)) {
        (Some(kind), Ok(payload)) => client.push(kind, &row.idempotency_key, &payload).await,
        _ => Err(CallError::fatal(format!("无法读取待发送的单据（{}）", row.kind))),
    };
    if let Err(err) = record(state, client.config(), &row, result).await {
        tracing::error!(id = row.id, error = ?err, "cannot record an ERP push's outcome");
    }
}

async fn record(
    state: &AppState,
    config: &ErpConfig,
    row: &outbox::Model,
    result: Result<Pushed, CallError>,
) -> AppResult<()> {
    let now = Utc::now();
    let mut update = outbox::Entity::update_many()
        .col_expr(outbox::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            outbox::Column::LeaseUntil,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        );
    let status = match &result {
        Ok(pushed) => {
            tracing::info!(id = row.id, kind = %row.kind, doc_no = %row.doc_no, attempt = row.attempts,
                duplicate = pushed.duplicate, "ERP document sent");
            update = update
                .col_expr(outbox::Column::SentAt, Expr::value(now))
                .col_expr(outbox::Column::ErpRef, Expr::value(pushed.erp_ref.clone()))
                .col_expr(
                    outbox::Column::ErpResult,
                    Expr::value(if pushed.duplicate { "duplicate" } else { "created" }),
                )
                .col_expr(outbox::Column::LastError, Expr::value(Option::<String>::None));
            SyncStatus::Sent
        }
        Err(error) => {
            let again = error.retryable && row.attempts < config.max_attempts;
            let message = if error.retryable && !again {
                format!("{}（已尝试 {} 次，停止重试）", error.message, row.attempts)
            } else {
                error.message.clone()
            };
            tracing::warn!(id = row.id, kind = %row.kind, doc_no = %row.doc_no, attempt = row.attempts,
                retry = again, error = %message, "ERP document not sent");
            update = update.col_expr(outbox::Column::LastError, Expr::value(message));
            if again {
                let wait = retry_delay_ms(config.backoff_ms, row.attempts);
                let wait = chrono::Duration::milliseconds(i64::try_from(wait).unwrap_or(3_600_000));
                update = update.col_expr(outbox::Column::NextAttemptAt, Expr::value(now + wait));
                SyncStatus::Queued
            } else {
                SyncStatus::Failed
            }
        }
    };
    // Only this holder's claim: a row requeued after its lease ran out
    // belongs to its next holder.
    update
        .col_expr(outbox::Column::Status, Expr::value(status.code()))
        .filter(outbox::Column::Id.eq(row.id))
        .filter(outbox::Column::Holder.eq(row.holder.clone()))
        .filter(outbox::Column::Status.eq(SyncStatus::Sending.code()))
        .exec(&state.db)
        .await?;
    Ok(())
}
