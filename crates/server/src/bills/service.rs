//! One bill: finding it in the caller's scope, its view, and the person's
//! actions on it (manual creation, void, credit notes; issuing is in
//! [`super::issue`]). Each action is one transaction with the bill
//! row locked and an audit entry; the rules are `opcms_domain::billing`.

use chrono::Utc;
use opcms_domain::billing::{
    self, BillRuleError, BillStatus, BillWarning, WarningCode, check_credit, check_void, paid_status,
    validate_credit_amount, validate_manual_lines, validate_reason,
};
use opcms_domain::{DataScope, FieldError};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseTransaction, EntityTrait, NotSet, QuerySelect,
};
use serde_json::json;

use super::entity::{bill, credit_note};
use super::generate::billing_period;
use super::model::*;
use super::numbers::{ensure_counter, take_numbers};
use super::view::{status_of, views};
use crate::access::Principal;
use crate::audit::{self, Actor, Entry};
use crate::customers::entity::customer;
use crate::db::begin_write;
use crate::db::money::{decimal, money, units};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

impl From<BillRuleError> for AppError {
    fn from(e: BillRuleError) -> Self {
        AppError::conflict(e.code(), e.to_string())
    }
}

/// A bill the caller may see (its customer in scope); 404 otherwise.
pub async fn find_visible(db: &impl ConnectionTrait, scope: &DataScope, id: i64) -> AppResult<bill::Model> {
    let row = bill::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("账单"))?;
    check_scope(db, scope, row.customer_id).await?;
    Ok(row)
}

async fn check_scope(db: &impl ConnectionTrait, scope: &DataScope, customer_id: i64) -> AppResult<()> {
    if scope.owners().is_some() {
        let owner = customer::Entity::find_by_id(customer_id)
            .select_only()
            .column(customer::Column::SalesOwnerId)
            .into_tuple::<Option<i64>>()
            .one(db)
            .await?
            .flatten();
        if !scope.admits(owner) {
            return Err(AppError::not_found("账单"));
        }
    }
    Ok(())
}

/// [`find_visible`], locked for the rest of the transaction.
pub(super) async fn lock_visible(txn: &DatabaseTransaction, scope: &DataScope, id: i64) -> AppResult<bill::Model> {
    let row = bill::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("账单"))?;
    check_scope(txn, scope, row.customer_id).await?;
    Ok(row)
}

pub async fn view(db: &impl ConnectionTrait, row: bill::Model) -> AppResult<BillView> {
    views(db, vec![row], true)
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("账单"))
}

pub async fn void(state: &AppState, principal: &Principal, id: i64, input: VoidInput) -> AppResult<BillView> {
    let reason = validate_reason(input.reason.as_deref(), "作废原因").map_err(|e| AppError::Validation(vec![e]))?;
    let actor = Actor::from(principal);
    let txn = begin_write(&state.db).await?;
    let row = lock_visible(&txn, &principal.scope(), id).await?;
    let status = status_of(&row);
    check_void(status, decimal(row.allocated))?;
    let now = Utc::now();
    let version = row.version;
    let mut active: bill::ActiveModel = row.into();
    active.status = Set(BillStatus::Void.code().into());
    // A voided auto bill gives up its place: the next generation makes a
    // new draft for that customer and period.
    active.auto_slot = Set(None);
    active.voided_at = Set(Some(now));
    active.voided_by = Set(actor.user_id);
    active.void_reason = Set(Some(reason.clone()));
    active.updated_at = Set(now);
    active.updated_by = Set(actor.user_id);
    active.version = Set(version + 1);
    active.update(&txn).await?;
    audit::record(
        &txn,
        &actor,
        Entry {
            action: "bill.void",
            entity_type: "bill",
            entity_id: Some(id.to_string()),
            changes: Some(json!({
                "status": {"before": status.code(), "after": "void"},
                "void_reason": {"before": null, "after": reason},
            })),
        },
    )
    .await?;
    txn.commit().await?;
    view(&state.db, find_visible(&state.db, &principal.scope(), id).await?).await
}

pub async fn credit(state: &AppState, principal: &Principal, id: i64, input: CreditInput) -> AppResult<BillView> {
    let mut errors = Vec::new();
    let amount = validate_credit_amount(input.amount.as_ref())
        .map_err(|e| errors.push(e))
        .ok();
    let reason = validate_reason(input.reason.as_deref(), "红冲原因")
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(amount), Some(reason)) = (amount, reason) else {
        return Err(AppError::Validation(errors));
    };
    let actor = Actor::from(principal);
    let txn = begin_write(&state.db).await?;
    let row = lock_visible(&txn, &principal.scope(), id).await?;
    let status = status_of(&row);
    let outstanding = decimal(row.total - row.allocated);
    check_credit(status, amount, outstanding)?;
    let amount_units = units(amount)?;
    let now = Utc::now();
    let note = credit_note::ActiveModel {
        id: NotSet,
        bill_id: Set(id),
        amount: Set(amount_units),
        reason: Set(reason.clone()),
        created_at: Set(now),
        created_by: Set(actor.user_id),
    }
    .insert(&txn)
    .await?;
    let for_erp = crate::erp::outbox::credit_note_written(&txn, state, &row, &note).await?;
    let new_total = row.total - amount_units;
    let new_status = paid_status(decimal(new_total), decimal(row.allocated));
    let (before_total, version, credited) = (row.total, row.version, row.credited);
    let mut active: bill::ActiveModel = row.into();
    active.credited = Set(credited + amount_units);
    active.total = Set(new_total);
    active.status = Set(new_status.code().into());
    active.updated_at = Set(now);
    active.updated_by = Set(actor.user_id);
    active.version = Set(version + 1);
    active.update(&txn).await?;
    audit::record(
        &txn,
        &actor,
        Entry {
            action: "bill.credit",
            entity_type: "bill",
            entity_id: Some(id.to_string()),
            changes: Some(json!({
                "total": {"before": money(before_total), "after": money(new_total)},
                "status": {"before": status.code(), "after": new_status.code()},
                "credit_note": {"before": null, "after": {"amount": money(amount_units), "reason": reason}},
            })),
        },
    )
    .await?;
    txn.commit().await?;
    if for_erp > 0 {
        state.erp_wake.notify_one();
    }
    view(&state.db, find_visible(&state.db, &principal.scope(), id).await?).await
}

/// A manual bill (特殊场景手工录入), as a draft.
pub async fn create_manual(state: &AppState, principal: &Principal, input: ManualBillInput) -> AppResult<BillView> {
    let mut errors: Vec<FieldError> = Vec::new();
    if input.customer_id.is_none() {
        errors.push(FieldError::new("customer_id", "REQUIRED", "请选择客户"));
    }
    let period = match billing_period(input.period.as_deref()) {
        Ok(p) => Some(p),
        Err(AppError::Validation(mut e)) => {
            errors.append(&mut e);
            None
        }
        Err(e) => return Err(e),
    };
    let lines = match validate_manual_lines(input.lines.as_deref().unwrap_or_default()) {
        Ok(lines) => Some(lines),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    let remarks = input.remarks.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if remarks.is_some_and(|r| r.chars().count() > 500) {
        errors.push(FieldError::new("remarks", "TOO_LONG", "备注不能超过 500 个字"));
    }
    let (Some(customer_id), Some(period), Some(lines), true) = (input.customer_id, period, lines, errors.is_empty())
    else {
        return Err(AppError::Validation(errors));
    };
    // Validated: every line and their sum are at most the largest amount.
    let subtotal_units = billing::subtotal(&lines)
        .ok_or_else(|| AppError::field("lines", "OUT_OF_RANGE", "金额超出允许范围"))?
        .units();
    let warnings: Vec<BillWarning> = if subtotal_units == 0 {
        vec![BillWarning {
            code: WarningCode::AmountZero,
            message: "账单金额为 0".into(),
            series: None,
        }]
    } else {
        Vec::new()
    };
    let actor = Actor::from(principal);
    ensure_counter(&state.db, period).await?;
    let txn = begin_write(&state.db).await?;
    crate::customers::service::lock_visible(&txn, &principal.scope(), customer_id).await?;
    let bill_no = take_numbers(&txn, period, 1)
        .await?
        .pop()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no bill number")))?;
    let now = Utc::now();
    let lines_json = serde_json::to_string(&lines).map_err(|e| AppError::Internal(e.into()))?;
    let row = bill::ActiveModel {
        id: NotSet,
        bill_no: Set(bill_no.clone()),
        customer_id: Set(customer_id),
        period: Set(period.key()),
        kind: Set("manual".into()),
        auto_slot: Set(None),
        status: Set(BillStatus::Draft.code().into()),
        plan_id: Set(None),
        plan_version: Set(None),
        lines: Set(lines_json),
        subtotal: Set(subtotal_units),
        credited: Set(0),
        total: Set(subtotal_units),
        allocated: Set(0),
        warning_count: Set(warnings.len() as i32),
        warnings: Set(serde_json::to_string(&warnings).unwrap_or_else(|_| "[]".into())),
        fingerprint: Set(String::new()),
        usage_key: Set(None),
        warnings_ack_by: Set(None),
        warnings_ack_at: Set(None),
        late_usage: Set(None),
        due_date: Set(None),
        issued_at: Set(None),
        issued_by: Set(None),
        voided_at: Set(None),
        voided_by: Set(None),
        void_reason: Set(None),
        remarks: Set(remarks.map(str::to_string)),
        run_id: Set(None),
        created_at: Set(now),
        created_by: Set(actor.user_id),
        updated_at: Set(now),
        updated_by: Set(actor.user_id),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &actor,
        Entry {
            action: "bill.create",
            entity_type: "bill",
            entity_id: Some(row.id.to_string()),
            changes: Some(json!({
                "bill_no": {"before": null, "after": bill_no},
                "customer_id": {"before": null, "after": customer_id},
                "period": {"before": null, "after": period.to_string()},
                "total": {"before": null, "after": money(subtotal_units)},
            })),
        },
    )
    .await?;
    txn.commit().await?;
    view(&state.db, row).await
}
