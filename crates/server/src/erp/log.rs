//! What the 集成 page reads and does: each connector's status, the ERP sync
//! log (the outbox rows) with its filters, and a person's re-send of one
//! document or of every failed one (audited).

use chrono::{DateTime, Utc};
use opcms_domain::erp::{DocKind, SyncStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::entity::outbox;
use crate::audit::{self, Actor, Entry};
use crate::customers::model::CustomerRef;
use crate::db::begin_write;
use crate::error::{AppError, AppResult};
use crate::http::pagination::PageRequest;
use crate::integrations::{ConnectorCount, ConnectorStatus};
use crate::state::AppState;

/// One document in the ERP sync log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErpSyncEntry {
    pub id: i64,
    pub kind: DocKind,
    /// The bill, credit note or payment id.
    pub doc_id: i64,
    /// bill_no, credit note number, payment_no.
    pub doc_no: String,
    #[schema(required = true)]
    pub customer: Option<CustomerRef>,
    pub status: SyncStatus,
    pub attempts: i32,
    #[schema(required = true)]
    pub last_error: Option<String>,
    /// The ERP's id of the document.
    #[schema(required = true)]
    pub erp_ref: Option<String>,
    /// `created`, or `duplicate` when the ERP already had it.
    #[schema(required = true)]
    pub erp_result: Option<String>,
    /// Waiting for its bill to reach the ERP first (a credit note).
    pub waiting_for_bill: bool,
    /// When a queued document is tried (again).
    #[schema(required = true)]
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(required = true)]
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ErpSyncQuery {
    /// `bill` | `credit_note` | `receipt`
    pub kind: Option<String>,
    /// `queued` | `sending` | `sent` | `failed`
    pub status: Option<String>,
    /// Part of the document number.
    pub q: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErpResendResult {
    /// Documents queued again.
    pub requeued: u64,
}

fn bad_filter(field: &'static str, message: &str) -> AppError {
    AppError::field(field, "INVALID_FILTER", message.to_string())
}

fn filter_condition(query: &ErpSyncQuery) -> AppResult<Condition> {
    let mut condition = Condition::all();
    if let Some(kind) = query.kind.as_deref().filter(|s| !s.is_empty()) {
        let kind =
            DocKind::parse(kind).ok_or_else(|| bad_filter("kind", "单据类型须为 bill、credit_note 或 receipt"))?;
        condition = condition.add(outbox::Column::Kind.eq(kind.code()));
    }
    if let Some(status) = query.status.as_deref().filter(|s| !s.is_empty()) {
        let status = SyncStatus::parse(status)
            .ok_or_else(|| bad_filter("status", "状态须为 queued、sending、sent 或 failed"))?;
        condition = condition.add(outbox::Column::Status.eq(status.code()));
    }
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let q: String = q.chars().take(64).collect();
        condition = condition.add(outbox::Column::DocNo.contains(q));
    }
    Ok(condition)
}

/// A page of the log, newest first.
pub async fn list(state: &AppState, query: &ErpSyncQuery, page: PageRequest) -> AppResult<(Vec<ErpSyncEntry>, u64)> {
    let select = outbox::Entity::find().filter(filter_condition(query)?);
    let total = select.clone().count(&state.db).await?;
    let rows = select
        .order_by_desc(outbox::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(&state.db)
        .await?;
    entries(state, rows).await.map(|items| (items, total))
}

async fn entries(state: &AppState, rows: Vec<outbox::Model>) -> AppResult<Vec<ErpSyncEntry>> {
    let customers = crate::customers::service::refs(&state.db, rows.iter().filter_map(|r| r.customer_id)).await?;
    let firsts: Vec<i64> = rows.iter().filter_map(|r| r.depends_on).collect();
    let sent_firsts: std::collections::HashSet<i64> = if firsts.is_empty() {
        Default::default()
    } else {
        outbox::Entity::find()
            .select_only()
            .column(outbox::Column::Id)
            .filter(outbox::Column::Id.is_in(firsts))
            .filter(outbox::Column::Status.eq(SyncStatus::Sent.code()))
            .into_tuple::<i64>()
            .all(&state.db)
            .await?
            .into_iter()
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let status = SyncStatus::parse(&row.status).unwrap_or(SyncStatus::Failed);
            ErpSyncEntry {
                id: row.id,
                kind: DocKind::parse(&row.kind).unwrap_or(DocKind::Bill),
                doc_id: row.doc_id,
                doc_no: row.doc_no,
                customer: row.customer_id.and_then(|id| customers.get(&id).cloned()),
                status,
                attempts: row.attempts,
                last_error: row.last_error,
                erp_ref: row.erp_ref,
                erp_result: row.erp_result,
                waiting_for_bill: status == SyncStatus::Queued
                    && row.depends_on.is_some_and(|id| !sent_firsts.contains(&id)),
                next_attempt_at: (status == SyncStatus::Queued).then_some(row.next_attempt_at),
                created_at: row.created_at,
                updated_at: row.updated_at,
                sent_at: row.sent_at,
            }
        })
        .collect())
}

/// The number of rows with this status.
async fn count_of(state: &AppState, status: SyncStatus) -> AppResult<u64> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::Status.eq(status.code()))
        .count(&state.db)
        .await?)
}

/// The ERP push connector as the page shows it.
pub async fn push_status(state: &AppState) -> AppResult<ConnectorStatus> {
    let Some(config) = &state.config.erp else {
        return Ok(ConnectorStatus::not_configured("erp_push", "ERP 单据推送"));
    };
    let queued = count_of(state, SyncStatus::Queued).await? + count_of(state, SyncStatus::Sending).await?;
    let failed = count_of(state, SyncStatus::Failed).await?;
    let sent = count_of(state, SyncStatus::Sent).await?;
    let last_sent: Option<outbox::Model> = outbox::Entity::find()
        .filter(outbox::Column::Status.eq(SyncStatus::Sent.code()))
        .order_by_desc(outbox::Column::SentAt)
        .one(&state.db)
        .await?;
    let last_error: Option<outbox::Model> = outbox::Entity::find()
        .filter(outbox::Column::LastError.is_not_null())
        .filter(outbox::Column::Status.is_in([SyncStatus::Queued.code(), SyncStatus::Failed.code()]))
        .order_by_desc(outbox::Column::UpdatedAt)
        .one(&state.db)
        .await?;
    let last_sync_at = last_sent.and_then(|r| r.sent_at);
    let failing = failed > 0
        || last_error
            .as_ref()
            .is_some_and(|e| last_sync_at.is_none_or(|s| e.updated_at > s));
    Ok(ConnectorStatus {
        name: "erp_push".into(),
        label: "ERP 单据推送".into(),
        configured: true,
        state: if failing {
            "failing"
        } else if queued > 0 {
            "busy"
        } else {
            "idle"
        }
        .into(),
        endpoint: Some(endpoint_of(&config.base_url)),
        counts: vec![
            ConnectorCount::new("queued", queued, false),
            ConnectorCount::new("failed", failed, true),
            ConnectorCount::new("sent", sent, false),
        ],
        last_sync_at,
        last_error_at: last_error.as_ref().map(|e| e.updated_at),
        last_error: last_error.and_then(|e| e.last_error),
    })
}

/// The customer pull: its last success and failure, the open conflicts.
pub async fn pull_status(state: &AppState) -> AppResult<ConnectorStatus> {
    let label = "ERP 客户资料拉取";
    let Some((config, pull)) = state
        .config
        .erp
        .as_ref()
        .and_then(|erp| erp.customers.as_ref().map(|pull| (erp, pull)))
    else {
        return Ok(ConnectorStatus::not_configured("erp_pull", label));
    };
    let outcome = super::pull::outcome(&state.db).await?;
    let conflicts = super::conflicts::open_count(state).await?;
    let last_sync_at = outcome.as_ref().and_then(|o| o.last_success_at);
    let failing = outcome.as_ref().is_some_and(|o| o.last_error.is_some());
    let counted = |key: &str| {
        outcome
            .as_ref()
            .and_then(|o| o.last_counts.as_deref())
            .and_then(|c| serde_json::from_str::<serde_json::Value>(c).ok())
            .and_then(|c| c.get(key).and_then(serde_json::Value::as_u64))
            .unwrap_or(0)
    };
    Ok(ConnectorStatus {
        name: "erp_pull".into(),
        label: label.into(),
        configured: true,
        state: if failing {
            "failing"
        } else if conflicts > 0 || last_sync_at.is_some() {
            "ok"
        } else {
            "idle"
        }
        .into(),
        endpoint: Some(format!(
            "{}{}",
            endpoint_of(&config.base_url).trim_end_matches('/'),
            pull.path
        )),
        counts: vec![
            ConnectorCount::new("conflicts", conflicts, true),
            ConnectorCount::new("created", counted("created"), false),
            ConnectorCount::new("updated", counted("updated"), false),
        ],
        last_sync_at,
        last_error_at: outcome.as_ref().and_then(|o| o.last_error_at),
        last_error: outcome.and_then(|o| o.last_error),
    })
}

/// The address without user, password or query (which may hold a key).
fn endpoint_of(base_url: &str) -> String {
    match reqwest::Url::parse(base_url) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.to_string()
        }
        Err(_) => String::new(),
    }
}

/// Queues one document again (a person's decision, audited): a failed one,
/// or a sent one to make sure the ERP has it (it answers "already have it"
/// if so). Its attempts start over.
pub async fn resend(state: &AppState, actor: &Actor, id: i64) -> AppResult<ErpSyncEntry> {
    not_configured(state)?;
    let txn = begin_write(&state.db).await?;
    let row = outbox::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound {
            message: "同步记录不存在".into(),
        })?;
    if ![SyncStatus::Failed.code(), SyncStatus::Sent.code()].contains(&row.status.as_str()) {
        return Err(AppError::conflict(
            "NOT_RESENDABLE",
            "这条单据已在发送队列中，无需重新发送",
        ));
    }
    let now = Utc::now();
    let mut active: outbox::ActiveModel = row.clone().into();
    active.status = Set(SyncStatus::Queued.code().into());
    active.attempts = Set(0);
    active.next_attempt_at = Set(now);
    active.holder = Set(None);
    active.lease_until = Set(None);
    active.updated_at = Set(now);
    let queued = active.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        Entry {
            action: "erp.resend",
            entity_type: "erp_outbox",
            entity_id: Some(id.to_string()),
            changes: Some(json!({"doc_no": row.doc_no, "kind": row.kind,
                "status": {"before": row.status, "after": "queued"}, "last_error": row.last_error})),
        },
    )
    .await?;
    txn.commit().await?;
    // The answer is the row as queued here: the sender, woken, may already
    // be sending it by the time a read would see it.
    let answer = entries(state, vec![queued])
        .await?
        .pop()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("erp_outbox {id} vanished")));
    state.erp_wake.notify_one();
    answer
}

/// Queues every failed document again (after the credential or address
/// was fixed), audited as one action.
pub async fn resend_failed(state: &AppState, actor: &Actor) -> AppResult<ErpResendResult> {
    not_configured(state)?;
    let txn = begin_write(&state.db).await?;
    let now = Utc::now();
    let requeued = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(SyncStatus::Queued.code()))
        .col_expr(outbox::Column::Attempts, Expr::value(0))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(now))
        .col_expr(outbox::Column::UpdatedAt, Expr::value(now))
        .filter(outbox::Column::Status.eq(SyncStatus::Failed.code()))
        .exec(&txn)
        .await?
        .rows_affected;
    audit::record(
        &txn,
        actor,
        Entry {
            action: "erp.resend_failed",
            entity_type: "erp_outbox",
            entity_id: None,
            changes: Some(json!({"requeued": requeued})),
        },
    )
    .await?;
    txn.commit().await?;
    state.erp_wake.notify_one();
    Ok(ErpResendResult { requeued })
}

fn not_configured(state: &AppState) -> AppResult<()> {
    if state.config.erp.is_none() {
        return Err(AppError::conflict(
            "ERP_NOT_CONFIGURED",
            "未配置 ERP（OPCMS_ERP），无法发送",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_shown_carries_no_credentials() {
        assert_eq!(endpoint_of("https://u:p@erp.local/api?key=k"), "https://erp.local/api");
        assert_eq!(endpoint_of("not a url"), "");
    }
}
