//! 核销 and 撤销核销: the two writes that move money between a payment and
//! bills. Each is one transaction that locks the payment first and then the
//! bills in id order (one order everywhere, so two requests never wait on
//! each other in a circle), checks the rules on the locked rows, and moves
//! both running sums. The CHECK constraints on `payments.allocated ≤
//! amount` and `bills.allocated ≤ total` are the last word if anything here
//! were wrong.

use chrono::Utc;
use opcms_domain::billing::{BillStatus, paid_status, validate_reason};
use opcms_domain::payments::{BillSide, PaymentSide, check_allocations, check_reverse, validate_allocation_lines};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, NotSet, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;

use super::entity::{allocation, payment};
use super::model::*;
use super::service::{find_visible, lock_visible, view};
use crate::access::Principal;
use crate::audit::{self, Actor, Entry};
use crate::bills::entity::bill;
use crate::db::begin_write;
use crate::db::money::{decimal, money, units};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

fn bill_status(row: &bill::Model) -> BillStatus {
    BillStatus::parse(&row.status).unwrap_or(BillStatus::Draft)
}

/// The status an issued bill takes when its allocated sum changes.
fn status_after(row: &bill::Model, allocated: i64) -> BillStatus {
    match bill_status(row) {
        status @ (BillStatus::Draft | BillStatus::Void) => status,
        _ => paid_status(decimal(row.total), decimal(allocated)),
    }
}

pub async fn allocate(
    state: &AppState,
    principal: &Principal,
    payment_id: i64,
    input: AllocateInput,
) -> AppResult<AllocateResult> {
    let lines = validate_allocation_lines(&input.allocations).map_err(AppError::Validation)?;
    let actor = Actor::from(principal);
    let scope = principal.scope();
    let txn = begin_write(&state.db).await?;
    let payment_row = lock_visible(&txn, &scope, payment_id).await?;
    let mut bill_ids: Vec<i64> = lines.iter().map(|(id, _)| *id).collect();
    bill_ids.sort_unstable();
    let bills = bill::Entity::find()
        .filter(bill::Column::Id.is_in(bill_ids.iter().copied()))
        .order_by_asc(bill::Column::Id)
        .lock_exclusive()
        .all(&txn)
        .await?;
    if bills.len() != bill_ids.len() {
        return Err(AppError::not_found("账单"));
    }
    if scope.owners().is_some() {
        for row in &bills {
            crate::bills::service::find_visible(&txn, &scope, row.id).await?;
        }
    }
    let sides: Vec<BillSide> = bills
        .iter()
        .map(|b| BillSide {
            id: b.id,
            bill_no: b.bill_no.clone(),
            customer_id: b.customer_id,
            status: bill_status(b),
            total: decimal(b.total),
            allocated: decimal(b.allocated),
        })
        .collect();
    let customer_id = check_allocations(
        &PaymentSide {
            customer_id: payment_row.customer_id,
            amount: decimal(payment_row.amount),
            allocated: decimal(payment_row.allocated),
            deleted: payment_row.is_deleted,
        },
        &sides,
        &lines,
    )?;

    let (payment_row, created, bills_after) =
        apply(&txn, &actor, payment_row, &bills, &lines, customer_id, None).await?;
    txn.commit().await?;
    Ok(AllocateResult {
        payment: view(&state.db, payment_row).await?,
        allocations: created,
        bills: bills_after,
    })
}

/// Writes checked allocation lines (from [`check_allocations`]) of a payment
/// and bills locked in this transaction: the allocation rows, both running
/// sums, the bills' status, and an audit entry for each bill and for the
/// payment (`via` is added to the payment's entry, e.g. `"import_auto"`).
pub(super) async fn apply(
    txn: &DatabaseTransaction,
    actor: &Actor,
    payment_row: payment::Model,
    bills: &[bill::Model],
    lines: &[(i64, Decimal)],
    customer_id: i64,
    via: Option<&str>,
) -> AppResult<(payment::Model, Vec<CreatedAllocation>, Vec<BillAfter>)> {
    let payment_id = payment_row.id;
    let now = Utc::now();
    let mut created = Vec::with_capacity(lines.len());
    let mut bills_after = Vec::with_capacity(lines.len());
    let mut applied = 0i64;
    let mut audit_lines = Vec::new();
    for (bill_id, amount) in lines {
        let amount_units = units(*amount)?;
        let row = bills
            .iter()
            .find(|b| b.id == *bill_id)
            .ok_or_else(|| AppError::not_found("账单"))?
            .clone();
        let inserted = allocation::ActiveModel {
            id: NotSet,
            payment_id: Set(payment_id),
            bill_id: Set(*bill_id),
            customer_id: Set(customer_id),
            amount: Set(amount_units),
            status: Set("active".into()),
            created_at: Set(now),
            created_by: Set(actor.user_id),
            reversed_at: Set(None),
            reversed_by: Set(None),
            reverse_reason: Set(None),
        }
        .insert(txn)
        .await?;
        let allocated = row.allocated + amount_units;
        let before_status = bill_status(&row);
        let after_status = status_after(&row, allocated);
        let (bill_no, total, version) = (row.bill_no.clone(), row.total, row.version);
        let mut active: bill::ActiveModel = row.into();
        active.allocated = Set(allocated);
        active.status = Set(after_status.code().into());
        active.updated_at = Set(now);
        active.updated_by = Set(actor.user_id);
        active.version = Set(version + 1);
        active.update(txn).await?;
        applied += amount_units;
        audit_lines.push(Entry {
            action: "bill.allocate",
            entity_type: "bill",
            entity_id: Some(bill_id.to_string()),
            changes: Some(json!({
                "allocated": {"before": money(allocated - amount_units), "after": money(allocated)},
                "status": {"before": before_status.code(), "after": after_status.code()},
                "allocation": {"before": null, "after": {"id": inserted.id, "payment_id": payment_id, "amount": money(amount_units)}},
            })),
        });
        created.push(CreatedAllocation {
            id: inserted.id,
            bill_id: *bill_id,
            amount: money(amount_units),
        });
        bills_after.push(BillAfter {
            id: *bill_id,
            bill_no,
            status: after_status,
            allocated: money(allocated),
            outstanding: money(total - allocated),
        });
    }
    let before_allocated = payment_row.allocated;
    let before_customer = payment_row.customer_id;
    let version = payment_row.version;
    let mut active: payment::ActiveModel = payment_row.into();
    active.allocated = Set(before_allocated + applied);
    active.customer_id = Set(Some(customer_id));
    active.updated_at = Set(now);
    active.updated_by = Set(actor.user_id);
    active.version = Set(version + 1);
    let payment_row = active.update(txn).await?;
    let mut changes = json!({
        "allocated": {"before": money(before_allocated), "after": money(payment_row.allocated)},
        "allocations": {"before": null, "after": created.iter().map(|c| json!({"id": c.id, "bill_id": c.bill_id, "amount": c.amount})).collect::<Vec<_>>()},
    });
    if before_customer != Some(customer_id) {
        changes["customer_id"] = json!({"before": before_customer, "after": customer_id});
    }
    if let Some(via) = via {
        changes["via"] = json!({"before": null, "after": via});
    }
    audit_lines.push(Entry {
        action: "payment.allocate",
        entity_type: "payment",
        entity_id: Some(payment_id.to_string()),
        changes: Some(changes),
    });
    audit::record_many(txn, actor, audit_lines).await?;
    Ok((payment_row, created, bills_after))
}

pub async fn reverse(
    state: &AppState,
    principal: &Principal,
    allocation_id: i64,
    input: ReasonInput,
) -> AppResult<PaymentView> {
    let reason = validate_reason(input.reason.as_deref(), "撤销原因").map_err(|e| AppError::Validation(vec![e]))?;
    let actor = Actor::from(principal);
    let scope = principal.scope();
    // Which payment to lock first: read outside the lock, then locked in
    // the payment → bill order every write uses, and re-read under it.
    let payment_id = allocation::Entity::find_by_id(allocation_id)
        .select_only()
        .column(allocation::Column::PaymentId)
        .into_tuple::<i64>()
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("核销记录"))?;
    let txn = begin_write(&state.db).await?;
    let payment_row = lock_visible(&txn, &scope, payment_id)
        .await
        .map_err(|_| AppError::not_found("核销记录"))?;
    let row = allocation::Entity::find_by_id(allocation_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("核销记录"))?;
    check_reverse(row.status == "reversed")?;
    let bill_row = bill::Entity::find_by_id(row.bill_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("账单"))?;
    let now = Utc::now();
    let amount = row.amount;
    let bill_id = row.bill_id;
    let mut active: allocation::ActiveModel = row.into();
    active.status = Set("reversed".into());
    active.reversed_at = Set(Some(now));
    active.reversed_by = Set(actor.user_id);
    active.reverse_reason = Set(Some(reason.clone()));
    active.update(&txn).await?;

    let bill_allocated = bill_row.allocated - amount;
    let before_status = bill_status(&bill_row);
    let after_status = status_after(&bill_row, bill_allocated);
    let bill_version = bill_row.version;
    let before_bill_allocated = bill_row.allocated;
    let mut active: bill::ActiveModel = bill_row.into();
    active.allocated = Set(bill_allocated);
    active.status = Set(after_status.code().into());
    active.updated_at = Set(now);
    active.updated_by = Set(actor.user_id);
    active.version = Set(bill_version + 1);
    active.update(&txn).await?;

    let before_allocated = payment_row.allocated;
    let version = payment_row.version;
    let mut active: payment::ActiveModel = payment_row.into();
    active.allocated = Set(before_allocated - amount);
    active.updated_at = Set(now);
    active.updated_by = Set(actor.user_id);
    active.version = Set(version + 1);
    let payment_row = active.update(&txn).await?;
    let reversal = json!({"id": allocation_id, "amount": money(amount), "reason": reason});
    audit::record_many(
        &txn,
        &actor,
        vec![
            Entry {
                action: "payment.reverse_allocation",
                entity_type: "payment",
                entity_id: Some(payment_id.to_string()),
                changes: Some(json!({
                    "allocated": {"before": money(before_allocated), "after": money(payment_row.allocated)},
                    "reversal": {"before": null, "after": reversal},
                })),
            },
            Entry {
                action: "bill.reverse_allocation",
                entity_type: "bill",
                entity_id: Some(bill_id.to_string()),
                changes: Some(json!({
                    "allocated": {"before": money(before_bill_allocated), "after": money(bill_allocated)},
                    "status": {"before": before_status.code(), "after": after_status.code()},
                    "reversal": {"before": null, "after": reversal},
                })),
            },
        ],
    )
    .await?;
    txn.commit().await?;
    view(&state.db, find_visible(&state.db, &scope, payment_id).await?).await
}
