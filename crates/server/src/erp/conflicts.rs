//! ERP customer conflicts on the 集成 page: customers edited here that the
//! ERP has since changed too (`pull`). A person takes the ERP's values
//! (written through the import's rules, like any pulled record) or keeps
//! ours (that ERP record is not asked about again; a later change to it is).
//! Each decision names the conflict it saw (`digest`), so one that a newer
//! pull replaced is not decided blind. Both are audited.

use chrono::{DateTime, Utc};
use opcms_domain::Role;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::entity::customer_link as link;
use super::pull::{ConflictField, Pending, open_pending, pending_row};
use crate::audit::{self, Actor, Entry};
use crate::customers::entity::customer;
use crate::customers::import::plan::Action;
use crate::customers::import::{Batch, commit_plan, plan_rows};
use crate::customers::model::CustomerRef;
use crate::db::begin_write;
use crate::error::{AppError, AppResult};
use crate::http::pagination::PageRequest;
use crate::state::AppState;
use crate::telemetry::Stopwatch;

/// A customer the ERP would change that was edited here since.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErpConflict {
    pub customer: CustomerRef,
    /// Names this conflict in a decision.
    pub digest: String,
    /// The ERP record's version, when the feed gives one.
    #[schema(required = true)]
    pub erp_version: Option<String>,
    pub detected_at: DateTime<Utc>,
    pub fields: Vec<ConflictField>,
}

/// A decision on one conflict.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConflictDecision {
    /// The `digest` of the conflict as shown.
    pub digest: String,
}

/// What a decision did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConflictResolved {
    pub customer: CustomerRef,
    /// `erp` (the ERP's values taken) or `local` (ours kept).
    pub kept: String,
    /// The customer's version after the decision.
    pub version: i32,
}

pub async fn open_count(state: &AppState) -> AppResult<u64> {
    Ok(link::Entity::find()
        .filter(link::Column::ConflictAt.is_not_null())
        .count(&state.db)
        .await?)
}

pub async fn list(state: &AppState, page: PageRequest) -> AppResult<(Vec<ErpConflict>, u64)> {
    let query = link::Entity::find().filter(link::Column::ConflictAt.is_not_null());
    let total = query.clone().count(&state.db).await?;
    let rows = query
        .order_by_desc(link::Column::ConflictAt)
        .order_by_desc(link::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(&state.db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.customer_id).collect();
    let customers: std::collections::HashMap<i64, customer::Model> = customer::Entity::find()
        .filter(customer::Column::Id.is_in(ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let (Some(sealed), Some(digest), Some(at)) = (&row.pending_enc, &row.pending_digest, row.conflict_at) else {
            continue;
        };
        let pending = open_pending(&state.keyring, row.customer_id, sealed)?;
        items.push(ErpConflict {
            customer: customers
                .get(&row.customer_id)
                .map(CustomerRef::of)
                .unwrap_or_else(|| CustomerRef::missing(row.customer_id)),
            digest: digest.clone(),
            erp_version: pending.version,
            detected_at: at,
            fields: pending.fields,
        });
    }
    Ok((items, total))
}

/// The link with the conflict the person saw, locked for the decision.
async fn seen(txn: &sea_orm::DatabaseTransaction, customer_id: i64, digest: &str) -> AppResult<link::Model> {
    let row = link::Entity::find()
        .filter(link::Column::CustomerId.eq(customer_id))
        .lock_exclusive()
        .one(txn)
        .await?
        .filter(|l| l.conflict_at.is_some())
        .ok_or_else(|| AppError::NotFound {
            message: "这个客户没有待处理的 ERP 资料冲突".into(),
        })?;
    if row.pending_digest.as_deref() != Some(digest) {
        return Err(AppError::conflict(
            "CONFLICT_CHANGED",
            "ERP 已发来这个客户更新的资料，请刷新后再处理",
        ));
    }
    Ok(row)
}

/// The conflict decided on (locked), its ERP record and the customer now.
async fn opened(
    txn: &sea_orm::DatabaseTransaction,
    state: &AppState,
    customer_id: i64,
    digest: &str,
) -> AppResult<(link::Model, Pending, customer::Model)> {
    let row = seen(txn, customer_id, digest).await?;
    let pending = open_pending(
        &state.keyring,
        customer_id,
        row.pending_enc.as_deref().unwrap_or_default(),
    )?;
    let current = customer::Entity::find_by_id(customer_id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::NotFound {
            message: "客户不存在".into(),
        })?;
    Ok((row, pending, current))
}

/// Takes the ERP's values: the record goes through the import's rules as
/// one row; what they refuse is a 422 with their message, nothing written.
pub async fn accept(
    state: &AppState,
    actor: &Actor,
    customer_id: i64,
    decision: ConflictDecision,
) -> AppResult<ConflictResolved> {
    let txn = begin_write(&state.db).await?;
    let (row, pending, current) = opened(&txn, state, customer_id, &decision.digest).await?;
    let (columns, sheet_row) = pending_row(&pending, &current, &state.keyring);
    let rows = [sheet_row];
    let mut plan = plan_rows(&txn, state, Role::Management, &rows, &columns, None).await?;
    let target = plan.rows.first().map(|p| match &p.action {
        Action::Update { existing } => Some(existing.id),
        Action::Unchanged => p.customer_id,
        Action::Create { .. } => None,
    });
    match target {
        Some(Some(id)) if id == customer_id => {}
        Some(_) => {
            return Err(AppError::conflict(
                "CUSTOMER_CHANGED",
                "ERP 资料中的客户编号已不对应这个客户，请刷新后再处理",
            ));
        }
        None => {
            let reasons: Vec<String> = plan
                .issues
                .iter()
                .map(|i| format!("{}：{}", i.column, i.message))
                .collect();
            return Err(AppError::Unprocessable {
                code: "ERP_RECORD_INVALID",
                message: format!("ERP 的资料不符合客户资料规则，未采用：{}", reasons.join("；")),
            });
        }
    }
    let mut watch = Stopwatch::start();
    commit_plan(
        &txn,
        state,
        actor,
        Batch {
            file_name: "ERP 资料冲突：采用 ERP 值",
            dry_run: false,
            columns: &columns,
            rows: &rows,
        },
        &mut plan,
        &mut watch,
    )
    .await?;
    let stored = customer::Entity::find_by_id(customer_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound {
            message: "客户不存在".into(),
        })?;
    let mut active: link::ActiveModel = row.into();
    active.synced_version = Set(stored.version);
    active.erp_version = Set(pending.version.clone());
    clear(&mut active);
    active.kept_digest = Set(None);
    active.update(&txn).await?;
    decided(&txn, actor, &stored, "erp.conflict_accept", &pending.fields).await?;
    txn.commit().await?;
    Ok(ConflictResolved {
        customer: CustomerRef::of(&stored),
        kept: "erp".into(),
        version: stored.version,
    })
}

/// Keeps our values against this ERP record.
pub async fn keep(
    state: &AppState,
    actor: &Actor,
    customer_id: i64,
    decision: ConflictDecision,
) -> AppResult<ConflictResolved> {
    let txn = begin_write(&state.db).await?;
    let (row, pending, stored) = opened(&txn, state, customer_id, &decision.digest).await?;
    let mut active: link::ActiveModel = row.clone().into();
    active.kept_digest = Set(row.pending_digest.clone());
    active.erp_version = Set(pending.version.clone().or(row.erp_version.clone()));
    clear(&mut active);
    active.update(&txn).await?;
    decided(&txn, actor, &stored, "erp.conflict_keep", &pending.fields).await?;
    txn.commit().await?;
    Ok(ConflictResolved {
        customer: CustomerRef::of(&stored),
        kept: "local".into(),
        version: stored.version,
    })
}

fn clear(active: &mut link::ActiveModel) {
    active.pending_enc = Set(None);
    active.pending_digest = Set(None);
    active.conflict_at = Set(None);
    active.updated_at = Set(Utc::now());
}

/// The audit entry names the fields decided, not their values (personal data).
async fn decided(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    customer: &customer::Model,
    action: &'static str,
    fields: &[ConflictField],
) -> AppResult<()> {
    audit::record(
        txn,
        actor,
        Entry {
            action,
            entity_type: "customer",
            entity_id: Some(customer.id.to_string()),
            changes: Some(json!({
                "customer_code": customer.customer_code,
                "fields": fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
            })),
        },
    )
    .await
}
