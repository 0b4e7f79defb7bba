//! What a generation run writes, on its transaction: the run's record
//! (a placeholder first, so that the bills can name it), the new drafts in
//! multi-row inserts with their numbers, the recomputed and voided drafts,
//! the late-usage flags, and the audit entry.

use chrono::{DateTime, Utc};
use opcms_domain::Period;
use opcms_domain::billing::{BillStatus, Draft, DraftUpdate, LateUsage};
use sea_orm::{ActiveValue::Set, DatabaseTransaction, EntityTrait, NotSet, SqlErr};
use serde_json::json;

use crate::audit::{self, Actor, Entry};
use crate::bills::entity::{bill, run};
use crate::bills::model::RunResult;
use crate::bills::numbers::take_numbers;
use crate::db::bulk;
use crate::error::{AppError, AppResult};

/// The run's record, with its counts still zero: [`finish_run`] fills them.
pub async fn start_run(
    txn: &DatabaseTransaction,
    period: Period,
    actor: &Actor,
    named: Option<&[i64]>,
    started_at: DateTime<Utc>,
) -> AppResult<i64> {
    let row = run::ActiveModel {
        id: NotSet,
        period: Set(period.key()),
        customer_filter: Set(named.map(|ids| json!(ids).to_string())),
        created: Set(0),
        updated: Set(0),
        unchanged: Set(0),
        voided: Set(0),
        kept_issued: Set(0),
        late_usage: Set(0),
        skipped_count: Set(0),
        skipped: Set("[]".into()),
        warnings: Set(0),
        duration_ms: Set(0),
        started_at: Set(started_at),
        actor_id: Set(actor.user_id),
        actor_name: Set(actor.name.clone()),
    };
    Ok(run::Entity::insert(row).exec(txn).await?.last_insert_id)
}

/// New drafts, numbered from the period's counter, in multi-row inserts.
pub async fn create_drafts(
    txn: &DatabaseTransaction,
    period: Period,
    actor: &Actor,
    run_id: i64,
    drafts: Vec<Draft>,
) -> AppResult<()> {
    if drafts.is_empty() {
        return Ok(());
    }
    let numbers = take_numbers(txn, period, drafts.len()).await?;
    let now = Utc::now();
    let rows: Vec<bill::ActiveModel> = drafts
        .into_iter()
        .zip(numbers)
        // Only what a new draft sets: the rest keep their column defaults
        // (NULL, 0), a third fewer values to bind per row.
        .map(|(d, bill_no)| bill::ActiveModel {
            id: NotSet,
            bill_no: Set(bill_no),
            customer_id: Set(d.customer_id),
            period: Set(period.key()),
            kind: Set("auto".into()),
            auto_slot: Set(Some(1)),
            status: Set(BillStatus::Draft.code().into()),
            run_id: Set(Some(run_id)),
            created_at: Set(now),
            created_by: Set(actor.user_id),
            updated_at: Set(now),
            updated_by: Set(actor.user_id),
            version: Set(1),
            ..computed(d)
        })
        .collect();
    bulk::insert(txn, rows).await.map_err(|e| match e.sql_err() {
        // The unique key caught a second auto bill: never expected behind
        // the period lock, but never written either.
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            AppError::conflict("GENERATION_CONFLICT", "另一个账单生成任务正在处理同一账期，请稍后重试")
        }
        _ => e.into(),
    })?;
    Ok(())
}

/// Recomputed drafts, each a new version.
pub async fn update_drafts(
    txn: &DatabaseTransaction,
    actor: &Actor,
    run_id: i64,
    updates: Vec<DraftUpdate>,
) -> AppResult<()> {
    let now = Utc::now();
    for DraftUpdate { id, version, draft } in updates {
        let row = bill::ActiveModel {
            id: Set(id),
            // What was acknowledged is not what the draft says now.
            warnings_ack_by: Set(None),
            warnings_ack_at: Set(None),
            run_id: Set(Some(run_id)),
            updated_at: Set(now),
            updated_by: Set(actor.user_id),
            version: Set(version + 1),
            ..computed(*draft)
        };
        bill::Entity::update(row).exec(txn).await?;
    }
    Ok(())
}

/// The columns a draft's computation sets, new or recomputed.
fn computed(draft: Draft) -> bill::ActiveModel {
    bill::ActiveModel {
        plan_id: Set(draft.plan.map(|p| p.0)),
        plan_version: Set(draft.plan.map(|p| p.1)),
        lines: Set(draft.lines),
        subtotal: Set(draft.subtotal),
        total: Set(draft.subtotal),
        warnings: Set(draft.warnings),
        warning_count: Set(draft.warning_count),
        fingerprint: Set(draft.fingerprint),
        usage_key: Set(Some(draft.usage_key)),
        ..Default::default()
    }
}

/// Drafts nobody is billed for any more: (bill id, version).
pub async fn void_drafts(txn: &DatabaseTransaction, actor: &Actor, voids: Vec<(i64, i32)>) -> AppResult<()> {
    let now = Utc::now();
    for (id, version) in voids {
        let row = bill::ActiveModel {
            id: Set(id),
            status: Set(BillStatus::Void.code().into()),
            auto_slot: Set(None),
            voided_at: Set(Some(now)),
            voided_by: Set(actor.user_id),
            void_reason: Set(Some("重新生成时已不需出账".into())),
            updated_at: Set(now),
            updated_by: Set(actor.user_id),
            version: Set(version + 1),
            ..Default::default()
        };
        bill::Entity::update(row).exec(txn).await?;
    }
    Ok(())
}

/// Issued bills whose usage changed since: the flag only, never the bill.
pub async fn flag_late_usage(txn: &DatabaseTransaction, late: Vec<LateUsage>) -> AppResult<()> {
    for LateUsage { bill_id, flag } in late {
        let row = bill::ActiveModel {
            id: Set(bill_id),
            late_usage: Set(Some(flag)),
            ..Default::default()
        };
        bill::Entity::update(row).exec(txn).await?;
    }
    Ok(())
}

/// The run's record with its outcome, and its audit entry.
pub async fn finish_run(txn: &DatabaseTransaction, actor: &Actor, result: &RunResult) -> AppResult<()> {
    let row = run::ActiveModel {
        id: Set(result.run_id),
        created: Set(result.created as i32),
        updated: Set(result.updated as i32),
        unchanged: Set(result.unchanged as i32),
        voided: Set(result.voided as i32),
        kept_issued: Set(result.kept_issued as i32),
        late_usage: Set(result.late_usage as i32),
        skipped_count: Set(result.skipped_count as i32),
        skipped: Set(serde_json::to_string(&result.skipped).unwrap_or_else(|_| "[]".into())),
        warnings: Set(result.warnings as i32),
        duration_ms: Set(result.duration_ms as i64),
        ..Default::default()
    };
    run::Entity::update(row).exec(txn).await?;
    audit::record(
        txn,
        actor,
        Entry {
            action: "bills.generate",
            entity_type: "billing_run",
            entity_id: Some(result.run_id.to_string()),
            changes: Some(json!({
                "period": result.period.to_string(),
                "customer_ids": result.customer_ids,
                "created": result.created,
                "updated": result.updated,
                "voided": result.voided,
                "late_usage": result.late_usage,
            })),
        },
    )
    .await?;
    Ok(())
}
