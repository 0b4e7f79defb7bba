//! One payment: its view, and recording, editing and deleting it. Each
//! write is one transaction with an audit entry; the rules are
//! `opcms_domain::payments`.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use opcms_domain::payments::{
    AllocationError, PaymentMethod, PaymentStatus, RawReceipt, Receipt, check_editable, reference_key, validate_receipt,
};
use opcms_domain::usage::RawValue as CellValue;
use opcms_domain::{DataScope, Period};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, NotSet, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use serde_json::{Value, json};

use super::entity::{allocation, counter, payment};
use super::model::*;
use crate::access::Principal;
use crate::audit::{self, Actor, Entry};
use crate::bills::entity::bill;
use crate::calendar::business_today;
use crate::customers::entity::customer;
use crate::db::begin_write;
use crate::db::money::{decimal, money, units};
use crate::error::{AppError, AppResult, is_unique_violation};
use crate::state::AppState;
use crate::users::service::{UserRef, display_names};

impl From<AllocationError> for AppError {
    fn from(e: AllocationError) -> Self {
        AppError::conflict(e.code(), e.to_string())
    }
}

fn method_of(row: &payment::Model) -> PaymentMethod {
    PaymentMethod::parse(&row.method).unwrap_or(PaymentMethod::Other)
}

/// A live payment the caller may see; 404 otherwise. Sales sees only
/// payments of its own customers, never unassigned ones.
pub async fn find_visible(db: &impl ConnectionTrait, scope: &DataScope, id: i64) -> AppResult<payment::Model> {
    let row = payment::Entity::find_by_id(id)
        .filter(payment::Column::IsDeleted.eq(false))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("收款"))?;
    check_scope(db, scope, row.customer_id).await?;
    Ok(row)
}

/// [`find_visible`], locked for the rest of the transaction.
pub async fn lock_visible(txn: &DatabaseTransaction, scope: &DataScope, id: i64) -> AppResult<payment::Model> {
    let row = payment::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .filter(|row| !row.is_deleted)
        .ok_or_else(|| AppError::not_found("收款"))?;
    check_scope(txn, scope, row.customer_id).await?;
    Ok(row)
}

async fn check_scope(db: &impl ConnectionTrait, scope: &DataScope, customer_id: Option<i64>) -> AppResult<()> {
    if scope.owners().is_some() {
        let owner = match customer_id {
            None => None,
            Some(id) => customer::Entity::find_by_id(id)
                .select_only()
                .column(customer::Column::SalesOwnerId)
                .into_tuple::<Option<i64>>()
                .one(db)
                .await?
                .flatten(),
        };
        if customer_id.is_none() || !scope.admits(owner) {
            return Err(AppError::not_found("收款"));
        }
    }
    Ok(())
}

/// Allocation rows as views, with bill and payment numbers and people.
pub async fn allocation_views(
    db: &impl ConnectionTrait,
    rows: Vec<allocation::Model>,
) -> AppResult<Vec<AllocationView>> {
    let bill_ids: HashSet<i64> = rows.iter().map(|r| r.bill_id).collect();
    let bills: HashMap<i64, (String, i32)> = bill::Entity::find()
        .select_only()
        .column(bill::Column::Id)
        .column(bill::Column::BillNo)
        .column(bill::Column::Period)
        .filter(bill::Column::Id.is_in(bill_ids))
        .into_tuple::<(i64, String, i32)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, no, period)| (id, (no, period)))
        .collect();
    let payment_ids: HashSet<i64> = rows.iter().map(|r| r.payment_id).collect();
    let payments: HashMap<i64, String> = payment::Entity::find()
        .select_only()
        .column(payment::Column::Id)
        .column(payment::Column::PaymentNo)
        .filter(payment::Column::Id.is_in(payment_ids))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let people = rows.iter().flat_map(|r| [r.created_by, r.reversed_by]).flatten();
    let names = display_names(db, people.collect::<Vec<_>>()).await?;
    let person = |id: Option<i64>| id.map(|id| UserRef::named(id, &names));
    Ok(rows
        .into_iter()
        .map(|row| {
            let (bill_no, period) = bills.get(&row.bill_id).cloned().unwrap_or_default();
            AllocationView {
                id: row.id,
                payment_id: row.payment_id,
                payment_no: payments.get(&row.payment_id).cloned().unwrap_or_default(),
                bill_id: row.bill_id,
                bill_no,
                period: Period::from_key(period),
                customer_id: row.customer_id,
                amount: money(row.amount),
                status: row.status,
                created_at: row.created_at,
                created_by: person(row.created_by),
                reversed_at: row.reversed_at,
                reversed_by: person(row.reversed_by),
                reverse_reason: row.reverse_reason,
            }
        })
        .collect())
}

/// Views of payments; `detail` adds their allocations.
pub async fn views(db: &impl ConnectionTrait, rows: Vec<payment::Model>, detail: bool) -> AppResult<Vec<PaymentView>> {
    let customers = crate::customers::service::refs(db, rows.iter().filter_map(|r| r.customer_id)).await?;
    let mut allocations: HashMap<i64, Vec<AllocationView>> = HashMap::new();
    if detail {
        let found = allocation::Entity::find()
            .filter(allocation::Column::PaymentId.is_in(rows.iter().map(|r| r.id)))
            .order_by_desc(allocation::Column::Id)
            .all(db)
            .await?;
        for view in allocation_views(db, found).await? {
            allocations.entry(view.payment_id).or_default().push(view);
        }
    }
    let names = display_names(db, rows.iter().filter_map(|r| r.created_by).collect::<Vec<_>>()).await?;
    Ok(rows
        .into_iter()
        .map(|row| PaymentView {
            id: row.id,
            payment_no: row.payment_no.clone(),
            customer: row.customer_id.and_then(|id| customers.get(&id).cloned()),
            customer_id: row.customer_id,
            amount: money(row.amount),
            allocated: money(row.allocated),
            unapplied: money(row.amount - row.allocated),
            status: PaymentStatus::of(decimal(row.amount), decimal(row.allocated)),
            received_at: row.received_at,
            method: method_of(&row),
            payer_name: row.payer_name.clone(),
            reference: row.reference.clone(),
            remarks: row.remarks.clone(),
            source: row.source.clone(),
            allocations: allocations.remove(&row.id).unwrap_or_default(),
            created_at: row.created_at,
            created_by: row.created_by.map(|id| UserRef::named(id, &names)),
            updated_at: row.updated_at,
            version: row.version,
        })
        .collect())
}

pub async fn view(db: &impl ConnectionTrait, row: payment::Model) -> AppResult<PaymentView> {
    views(db, vec![row], true)
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("收款"))
}

/// The receipt fields of a request, as the domain validates them.
pub fn raw_receipt(input: &PaymentInput) -> RawReceipt {
    RawReceipt {
        amount: input.amount.clone(),
        received_at: input.received_at.as_deref().map_or(CellValue::Missing, CellValue::text),
        method: input.method.clone(),
        payer_name: input.payer_name.clone(),
        reference: input.reference.clone(),
        remarks: input.remarks.clone(),
    }
}

/// The 409 for a receipt already entered, naming the one there.
pub fn duplicate_error(existing: &payment::Model) -> AppError {
    let method = method_of(existing);
    AppError::ConflictWith {
        code: "DUPLICATE_PAYMENT",
        message: format!(
            "这笔收款已登记过：{}（{} / 流水号 {}）",
            existing.payment_no,
            method.label(),
            existing.reference.as_deref().unwrap_or_default()
        ),
        detail: json!({
            "field": "reference", "code": "DUPLICATE_PAYMENT",
            "payment_id": existing.id, "payment_no": existing.payment_no,
        }),
    }
}

/// The live payment holding a reference key, if any.
pub async fn holder_of(db: &impl ConnectionTrait, key: &str) -> AppResult<Option<payment::Model>> {
    Ok(payment::Entity::find()
        .filter(payment::Column::ReferenceKey.eq(key))
        .one(db)
        .await?)
}

/// Makes sure the month's counter row exists, outside any transaction (a
/// unique violation would abort a PostgreSQL transaction).
pub async fn ensure_counter(db: &DatabaseConnection, month: Period) -> AppResult<()> {
    if counter::Entity::find_by_id(month.key()).one(db).await?.is_some() {
        return Ok(());
    }
    let row = counter::ActiveModel {
        period: Set(month.key()),
        last_no: Set(0),
    };
    match counter::Entity::insert(row).exec_without_returning(db).await {
        Ok(_) => Ok(()),
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The next `count` payment numbers of a month, in the caller's transaction
/// (the counter row stays locked until it ends: no gaps, no doubles).
pub async fn take_numbers(txn: &DatabaseTransaction, month: Period, count: usize) -> AppResult<Vec<String>> {
    let last = counter::Entity::find_by_id(month.key())
        .lock_exclusive()
        .one(txn)
        .await?
        .map(|row| row.last_no)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("payment counter of {month} missing")))?;
    let next_last = last + count as i64;
    if next_last > 999_999 {
        return Err(AppError::conflict(
            "PAYMENT_NUMBERS_EXHAUSTED",
            format!("{month} 的收款编号已用完（每月最多 999999 笔）"),
        ));
    }
    counter::Entity::update(counter::ActiveModel {
        period: Set(month.key()),
        last_no: Set(next_last),
    })
    .exec(txn)
    .await?;
    Ok((last + 1..=next_last)
        .map(|n| format!("P{}{:02}-{n:06}", month.year(), month.month()))
        .collect())
}

/// A new payment row (not yet inserted) for a valid receipt.
pub fn new_row(
    receipt: &Receipt,
    customer_id: Option<i64>,
    payment_no: String,
    source: &str,
    source_file: Option<String>,
    actor: &Actor,
) -> AppResult<payment::ActiveModel> {
    let now = Utc::now();
    Ok(payment::ActiveModel {
        id: NotSet,
        payment_no: Set(payment_no),
        customer_id: Set(customer_id),
        amount: Set(units(receipt.amount)?),
        allocated: Set(0),
        received_at: Set(receipt.received_at),
        method: Set(receipt.method.code().into()),
        payer_name: Set(receipt.payer_name.clone()),
        reference: Set(receipt.reference.clone()),
        reference_key: Set(reference_key(receipt.method, receipt.reference.as_deref())),
        remarks: Set(receipt.remarks.clone()),
        source: Set(source.into()),
        source_file: Set(source_file),
        created_at: Set(now),
        created_by: Set(actor.user_id),
        updated_at: Set(now),
        updated_by: Set(actor.user_id),
        is_deleted: Set(false),
        deleted_at: Set(None),
        deleted_by: Set(None),
        delete_reason: Set(None),
        version: Set(1),
    })
}

/// What the audit log keeps of a payment.
pub fn audit_json(row: &payment::Model) -> Value {
    json!({
        "payment_no": row.payment_no,
        "customer_id": row.customer_id,
        "amount": money(row.amount),
        "received_at": row.received_at,
        "method": row.method,
        "payer_name": row.payer_name,
        "reference": row.reference,
        "remarks": row.remarks,
    })
}

fn month_of(day: NaiveDate) -> Period {
    Period::of_date(day)
}

pub async fn create(state: &AppState, principal: &Principal, input: PaymentInput) -> AppResult<PaymentView> {
    let receipt = validate_receipt(&raw_receipt(&input), business_today()).map_err(AppError::Validation)?;
    if let Some(customer_id) = input.customer_id {
        crate::customers::service::find_visible(&state.db, &principal.scope(), customer_id).await?;
    }
    let key = reference_key(receipt.method, receipt.reference.as_deref());
    if let Some(key) = &key
        && let Some(existing) = holder_of(&state.db, key).await?
    {
        return Err(duplicate_error(&existing));
    }
    let actor = Actor::from(principal);
    let month = month_of(receipt.received_at);
    ensure_counter(&state.db, month).await?;
    let notifications = crate::notify::outbox::Context::load(state).await?;
    let txn = begin_write(&state.db).await?;
    let payment_no = take_numbers(&txn, month, 1)
        .await?
        .pop()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no payment number")))?;
    let row = new_row(&receipt, input.customer_id, payment_no, "manual", None, &actor)?;
    let row = match row.insert(&txn).await {
        Ok(row) => row,
        Err(e) if is_unique_violation(&e) => {
            // Entered at the same moment by someone else: the database's
            // unique key decided. Name the one that won.
            drop(txn);
            if let Some(key) = &key
                && let Some(existing) = holder_of(&state.db, key).await?
            {
                return Err(duplicate_error(&existing));
            }
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    audit::record(
        &txn,
        &actor,
        Entry {
            action: "payment.create",
            entity_type: "payment",
            entity_id: Some(row.id.to_string()),
            changes: Some(audit::diff(&Value::Null, &audit_json(&row))),
        },
    )
    .await?;
    let mut queued = 0;
    if let (Some(context), Some(customer_id)) = (&notifications, row.customer_id) {
        queued = crate::notify::outbox::payment_received(
            &txn,
            state,
            context,
            row.id,
            customer_id,
            row.amount,
            row.received_at,
        )
        .await?;
    }
    let for_erp = crate::erp::outbox::receipts_booked(&txn, state, std::slice::from_ref(&row)).await?;
    txn.commit().await?;
    if queued > 0 {
        state.notify_wake.notify_one();
    }
    if for_erp > 0 {
        state.erp_wake.notify_one();
    }
    view(&state.db, row).await
}

pub async fn update(state: &AppState, principal: &Principal, id: i64, input: PaymentInput) -> AppResult<PaymentView> {
    let actor = Actor::from(principal);
    let txn = begin_write(&state.db).await?;
    let row = lock_visible(&txn, &principal.scope(), id).await?;
    if let Some(version) = input.version
        && version != row.version
    {
        return Err(AppError::conflict(
            "VERSION_CONFLICT",
            "这笔收款已被他人修改，请刷新后重试",
        ));
    }
    check_editable(decimal(row.allocated))?;
    // Fields not sent keep their values; the whole receipt is validated.
    let merged = PaymentInput {
        customer_id: input.customer_id.or(row.customer_id),
        amount: input
            .amount
            .clone()
            .or_else(|| Some(opcms_domain::pricing::RawValue::text(money(row.amount).to_string()))),
        received_at: input.received_at.clone().or_else(|| Some(row.received_at.to_string())),
        method: input.method.clone().or_else(|| Some(row.method.clone())),
        payer_name: input.payer_name.clone().or_else(|| row.payer_name.clone()),
        reference: input.reference.clone().or_else(|| row.reference.clone()),
        remarks: input.remarks.clone().or_else(|| row.remarks.clone()),
        version: None,
    };
    let receipt = validate_receipt(&raw_receipt(&merged), business_today()).map_err(AppError::Validation)?;
    if input.customer_id.is_some() && input.customer_id != row.customer_id {
        crate::customers::service::find_visible(&txn, &principal.scope(), merged.customer_id.unwrap_or_default())
            .await?;
    }
    let key = reference_key(receipt.method, receipt.reference.as_deref());
    if let Some(key) = &key
        && let Some(existing) = holder_of(&txn, key).await?
        && existing.id != id
    {
        return Err(duplicate_error(&existing));
    }
    let before = audit_json(&row);
    let version = row.version;
    let mut active: payment::ActiveModel = row.into();
    active.customer_id = Set(merged.customer_id);
    active.amount = Set(units(receipt.amount)?);
    active.received_at = Set(receipt.received_at);
    active.method = Set(receipt.method.code().into());
    active.payer_name = Set(receipt.payer_name.clone());
    active.reference = Set(receipt.reference.clone());
    active.reference_key = Set(key);
    active.remarks = Set(receipt.remarks.clone());
    active.updated_at = Set(Utc::now());
    active.updated_by = Set(actor.user_id);
    active.version = Set(version + 1);
    let row = active.update(&txn).await?;
    audit::record(
        &txn,
        &actor,
        Entry {
            action: "payment.update",
            entity_type: "payment",
            entity_id: Some(id.to_string()),
            changes: Some(audit::diff(&before, &audit_json(&row))),
        },
    )
    .await?;
    txn.commit().await?;
    view(&state.db, row).await
}

pub async fn delete(state: &AppState, principal: &Principal, id: i64, input: ReasonInput) -> AppResult<()> {
    let reason = opcms_domain::billing::validate_reason(input.reason.as_deref(), "删除原因")
        .map_err(|e| AppError::Validation(vec![e]))?;
    let actor = Actor::from(principal);
    let txn = begin_write(&state.db).await?;
    let row = lock_visible(&txn, &principal.scope(), id).await?;
    check_editable(decimal(row.allocated))?;
    let before = audit_json(&row);
    let now = Utc::now();
    let version = row.version;
    let mut active: payment::ActiveModel = row.into();
    active.is_deleted = Set(true);
    active.deleted_at = Set(Some(now));
    active.deleted_by = Set(actor.user_id);
    active.delete_reason = Set(Some(reason.clone()));
    // A deleted receipt may be entered again (that is usually why it was deleted).
    active.reference_key = Set(None);
    active.updated_at = Set(now);
    active.updated_by = Set(actor.user_id);
    active.version = Set(version + 1);
    active.update(&txn).await?;
    audit::record(
        &txn,
        &actor,
        Entry {
            action: "payment.delete",
            entity_type: "payment",
            entity_id: Some(id.to_string()),
            changes: Some(json!({"deleted": {"before": before, "after": null}, "reason": reason})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
