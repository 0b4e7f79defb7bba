//! One bill: its view, and the person's actions on it (manual creation,
//! issue, void, credit notes). Each action is one transaction with the bill
//! row locked and an audit entry; the rules are `opcms_domain::billing`.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use opcms_domain::billing::{
    self, BillRuleError, BillStatus, BillWarning, Charge, WarningCode, check_credit, check_issue, check_void, due_date,
    grouped, paid_status, validate_credit_amount, validate_manual_lines, validate_reason,
};
use opcms_domain::money::Total;
use opcms_domain::{DataScope, FieldError, Fixed4, Period};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, NotSet,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{Value, json};

use super::entity::{bill, credit_note};
use super::generate::billing_period;
use super::model::*;
use super::numbers::{ensure_counter, take_numbers};
use super::view::{money, status_of, views, warnings_of};
use crate::access::Principal;
use crate::audit::{self, Actor, Entry};
use crate::calendar::business_today;
use crate::customers::entity::customer;
use crate::db::begin_write;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Most bills one batch issue takes.
pub const MAX_BATCH: usize = 1_000;

impl From<BillRuleError> for AppError {
    fn from(e: BillRuleError) -> Self {
        AppError::conflict(e.code(), e.to_string())
    }
}

fn decimal(units: i64) -> rust_decimal::Decimal {
    Fixed4::from_units(units).to_decimal()
}

fn units(value: rust_decimal::Decimal) -> AppResult<i64> {
    Fixed4::from_decimal(value)
        .map(Fixed4::units)
        .map_err(|_| AppError::field("amount", "OUT_OF_RANGE", "金额超出允许范围"))
}

/// A bill the caller may see (its customer in scope); 404 otherwise.
pub async fn find_visible(db: &impl ConnectionTrait, scope: DataScope, id: i64) -> AppResult<bill::Model> {
    let row = bill::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("账单"))?;
    check_scope(db, scope, row.customer_id).await?;
    Ok(row)
}

async fn check_scope(db: &impl ConnectionTrait, scope: DataScope, customer_id: i64) -> AppResult<()> {
    if let DataScope::OwnedBy(_) = scope {
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
async fn lock_visible(txn: &DatabaseTransaction, scope: DataScope, id: i64) -> AppResult<bill::Model> {
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

/// A bill is priced when it has lines from a plan (auto) or typed lines
/// (manual); an auto draft without a plan or whose pricing failed is not,
/// and one whose amount is beyond what a bill may hold has nothing to charge.
fn charge(row: &bill::Model) -> Charge {
    if row.kind == "manual" {
        return Charge::Priced;
    }
    let warnings = warnings_of(row);
    if warnings.iter().any(|w| w.code == WarningCode::AmountTooLarge) {
        Charge::TooLarge
    } else if row.plan_id.is_none() || warnings.iter().any(|w| w.code == WarningCode::PricingFailed) {
        Charge::NotPriced
    } else {
        Charge::Priced
    }
}

async fn payment_terms(txn: &DatabaseTransaction, customer_id: i64) -> AppResult<i32> {
    Ok(customer::Entity::find_by_id(customer_id)
        .select_only()
        .column(customer::Column::PaymentTermsDays)
        .into_tuple::<i32>()
        .one(txn)
        .await?
        .unwrap_or(15))
}

/// What issuing one draft sets, decided by the rules before anything is
/// written; `changes` is its audit entry's.
struct Issuing {
    new_status: BillStatus,
    due: NaiveDate,
    acknowledged: bool,
    changes: Value,
}

/// The issue of a locked draft whose customer's payment terms are `terms`,
/// or the rule error that refuses it.
fn prepare_issue(row: &bill::Model, acknowledge: bool, today: NaiveDate, terms: i32) -> Result<Issuing, BillRuleError> {
    let status = status_of(row);
    check_issue(status, row.warning_count as usize, acknowledge, charge(row))?;
    let period = Period::from_key(row.period).unwrap_or_else(|| Period::of_date(today));
    let due = due_date(period, terms.max(0) as u32, today);
    let new_status = paid_status(decimal(row.total), decimal(row.allocated));
    let warning_codes: Vec<WarningCode> = warnings_of(row).into_iter().map(|w| w.code).collect();
    Ok(Issuing {
        new_status,
        due,
        acknowledged: row.warning_count > 0,
        changes: json!({
            "status": {"before": status.code(), "after": new_status.code()},
            "due_date": {"before": null, "after": due},
            "acknowledged_warnings": warning_codes,
        }),
    })
}

/// Issues one locked draft: the row is updated and its audit entry's
/// changes returned; the rule error, when refused, is returned inside.
async fn issue_row(
    txn: &DatabaseTransaction,
    actor: &Actor,
    row: bill::Model,
    acknowledge: bool,
    today: NaiveDate,
    terms: i32,
) -> AppResult<Result<Value, BillRuleError>> {
    let issuing = match prepare_issue(&row, acknowledge, today, terms) {
        Ok(issuing) => issuing,
        Err(e) => return Ok(Err(e)),
    };
    let now = Utc::now();
    let version = row.version;
    let mut active: bill::ActiveModel = row.into();
    active.status = Set(issuing.new_status.code().into());
    active.due_date = Set(Some(issuing.due));
    active.issued_at = Set(Some(now));
    active.issued_by = Set(actor.user_id);
    if issuing.acknowledged {
        active.warnings_ack_at = Set(Some(now));
        active.warnings_ack_by = Set(actor.user_id);
    }
    active.updated_at = Set(now);
    active.updated_by = Set(actor.user_id);
    active.version = Set(version + 1);
    active.update(txn).await?;
    Ok(Ok(issuing.changes))
}

/// Writes the issues of a chunk of locked drafts: one UPDATE per group of
/// bills that get the same values (status, due date, acknowledgement),
/// which in practice is a handful per chunk.
async fn write_issues(txn: &DatabaseTransaction, actor: &Actor, issued: Vec<(i64, Issuing)>) -> AppResult<()> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let now = Utc::now();
    let mut groups: HashMap<(&'static str, NaiveDate, bool), Vec<i64>> = HashMap::new();
    for (id, issuing) in &issued {
        groups
            .entry((issuing.new_status.code(), issuing.due, issuing.acknowledged))
            .or_default()
            .push(*id);
    }
    for ((status, due, acknowledged), ids) in groups {
        let mut update = bill::Entity::update_many()
            .col_expr(bill::Column::Status, Expr::value(status))
            .col_expr(bill::Column::DueDate, Expr::value(due))
            .col_expr(bill::Column::IssuedAt, Expr::value(now))
            .col_expr(bill::Column::IssuedBy, Expr::value(actor.user_id))
            .col_expr(bill::Column::UpdatedAt, Expr::value(now))
            .col_expr(bill::Column::UpdatedBy, Expr::value(actor.user_id))
            .col_expr(bill::Column::Version, Expr::col(bill::Column::Version).add(1));
        if acknowledged {
            update = update
                .col_expr(bill::Column::WarningsAckAt, Expr::value(now))
                .col_expr(bill::Column::WarningsAckBy, Expr::value(actor.user_id));
        }
        update
            .filter(bill::Column::Id.is_in(ids))
            .filter(bill::Column::Status.eq(BillStatus::Draft.code()))
            .exec(txn)
            .await?;
    }
    Ok(())
}

fn issue_entry(id: i64, changes: Value) -> Entry<'static> {
    Entry {
        action: "bill.issue",
        entity_type: "bill",
        entity_id: Some(id.to_string()),
        changes: Some(changes),
    }
}

pub async fn issue(state: &AppState, principal: &Principal, id: i64, input: IssueInput) -> AppResult<BillView> {
    let actor = Actor::from(principal);
    let txn = begin_write(&state.db).await?;
    let row = lock_visible(&txn, principal.scope(), id).await?;
    let terms = payment_terms(&txn, row.customer_id).await?;
    let changes = issue_row(
        &txn,
        &actor,
        row,
        input.acknowledge_warnings.unwrap_or(false),
        business_today(),
        terms,
    )
    .await??;
    audit::record(&txn, &actor, issue_entry(id, changes)).await?;
    txn.commit().await?;
    view(&state.db, find_visible(&state.db, principal.scope(), id).await?).await
}

/// Bills locked and read per query in a batch issue.
const ISSUE_CHUNK: usize = 500;

/// Issues many drafts — named by id (at most [`MAX_BATCH`]) or every draft
/// matching a filter, however many — in one transaction; those that may
/// not be issued are listed with the reason and left as they are.
pub async fn batch_issue(
    state: &AppState,
    principal: &Principal,
    input: BatchIssueInput,
) -> AppResult<BatchIssueResult> {
    let acknowledge = input.acknowledge_warnings.unwrap_or(false);
    let by_filter = input.filter.is_some();
    let expected_total = match input.expected_total.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            Fixed4::from_decimal(
                text.parse()
                    .map_err(|_| AppError::field("expected_total", "INVALID_AMOUNT", "确认的合计金额不是有效的数字"))?,
            )
            .map_err(|_| AppError::field("expected_total", "OUT_OF_RANGE", "确认的合计金额超出允许范围"))?,
        ),
    };
    let ids = match (input.ids, input.filter) {
        (Some(_), Some(_)) => {
            return Err(AppError::field(
                "filter",
                "IDS_AND_FILTER",
                "请只选择其一：账单 ids 或筛选条件 filter",
            ));
        }
        (Some(mut ids), None) => {
            if ids.is_empty() {
                return Err(AppError::field("ids", "REQUIRED", "请至少选择一张账单"));
            }
            if ids.len() > MAX_BATCH {
                return Err(AppError::field(
                    "ids",
                    "TOO_MANY",
                    format!("一次最多出账 {MAX_BATCH} 张；更多请按筛选条件批量出账"),
                ));
            }
            ids.sort_unstable();
            ids.dedup();
            ids
        }
        (None, Some(filter)) => {
            super::list::build(&filter.drafts(), principal.scope())?
                .select_only()
                .column(bill::Column::Id)
                .order_by_asc(bill::Column::Id)
                .into_tuple::<i64>()
                .all(&state.db)
                .await?
        }
        (None, None) => return Err(AppError::field("ids", "REQUIRED", "请至少选择一张账单")),
    };
    let actor = Actor::from(principal);
    let today = business_today();
    let txn = begin_write(&state.db).await?;
    let mut result = BatchIssueResult {
        matched: ids.len() as u32,
        issued: 0,
        issued_total: Total::ZERO,
        skipped: Vec::new(),
    };
    let mut matched_total: i128 = 0;
    let mut issued_units: i128 = 0;
    for chunk in ids.chunks(ISSUE_CHUNK) {
        let mut rows: HashMap<i64, bill::Model> = bill::Entity::find()
            .filter(bill::Column::Id.is_in(chunk.iter().copied()))
            .lock_exclusive()
            .all(&txn)
            .await?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
        let customer_ids: HashSet<i64> = rows.values().map(|r| r.customer_id).collect();
        let customers: HashMap<i64, (i32, Option<i64>)> = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .column(customer::Column::PaymentTermsDays)
            .column(customer::Column::SalesOwnerId)
            .filter(customer::Column::Id.is_in(customer_ids))
            .into_tuple::<(i64, i32, Option<i64>)>()
            .all(&txn)
            .await?
            .into_iter()
            .map(|(id, terms, owner)| (id, (terms, owner)))
            .collect();
        let mut issued = Vec::new();
        for &id in chunk {
            let row = rows.remove(&id).filter(|row| {
                principal
                    .scope()
                    .admits(customers.get(&row.customer_id).and_then(|c| c.1))
            });
            let Some(row) = row else {
                result.skipped.push(BatchSkip {
                    bill_id: id,
                    bill_no: None,
                    code: "NOT_FOUND".into(),
                    message: "账单不存在".into(),
                });
                continue;
            };
            let bill_no = row.bill_no.clone();
            let total = row.total;
            matched_total += i128::from(total);
            let terms = customers.get(&row.customer_id).map_or(15, |c| c.0);
            match prepare_issue(&row, acknowledge, today, terms) {
                Ok(issuing) => {
                    result.issued += 1;
                    issued_units += i128::from(total);
                    issued.push((id, issuing));
                }
                Err(e) => result.skipped.push(BatchSkip {
                    bill_id: id,
                    bill_no: Some(bill_no),
                    code: e.code().into(),
                    message: e.to_string(),
                }),
            }
        }
        let entries = issued
            .iter()
            .map(|(id, issuing)| issue_entry(*id, issuing.changes.clone()))
            .collect();
        write_issues(&txn, &actor, issued).await?;
        audit::record_many(&txn, &actor, entries).await?;
    }
    if by_filter {
        let count_changed = input.expected_count.is_some_and(|n| n != u64::from(result.matched));
        let total_changed = expected_total.is_some_and(|t| i128::from(t.units()) != matched_total);
        if count_changed || total_changed {
            // Dropping the transaction rolls every issue back.
            return Err(AppError::conflict(
                "BATCH_CHANGED",
                format!(
                    "符合条件的草稿已变化（现为 {} 张，合计 {}），请刷新后重新确认",
                    result.matched,
                    Total::from_units(matched_total)
                        .to_decimal()
                        .map_or_else(|| Total::from_units(matched_total).to_string(), grouped)
                ),
            ));
        }
    }
    result.issued_total = Total::from_units(issued_units);
    txn.commit().await?;
    Ok(result)
}

pub async fn void(state: &AppState, principal: &Principal, id: i64, input: VoidInput) -> AppResult<BillView> {
    let reason = validate_reason(input.reason.as_deref(), "作废原因").map_err(|e| AppError::Validation(vec![e]))?;
    let actor = Actor::from(principal);
    let txn = begin_write(&state.db).await?;
    let row = lock_visible(&txn, principal.scope(), id).await?;
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
    view(&state.db, find_visible(&state.db, principal.scope(), id).await?).await
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
    let row = lock_visible(&txn, principal.scope(), id).await?;
    let status = status_of(&row);
    let outstanding = decimal(row.total - row.allocated);
    check_credit(status, amount, outstanding)?;
    let amount_units = units(amount)?;
    let now = Utc::now();
    credit_note::ActiveModel {
        id: NotSet,
        bill_id: Set(id),
        amount: Set(amount_units),
        reason: Set(reason.clone()),
        created_at: Set(now),
        created_by: Set(actor.user_id),
    }
    .insert(&txn)
    .await?;
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
    view(&state.db, find_visible(&state.db, principal.scope(), id).await?).await
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
    crate::customers::service::lock_visible(&txn, principal.scope(), customer_id).await?;
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
