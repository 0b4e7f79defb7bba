//! Issuing drafts (DESIGN.md §7): one, or a batch named by ids or selected
//! by the list's filters. A draft is issued only when it is priced and its
//! warnings are acknowledged; its due date comes from the customer's payment
//! terms. Each issue is audited; a batch is one transaction.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use opcms_domain::billing::{
    BillRuleError, BillStatus, Charge, WarningCode, check_issue, due_date, grouped, paid_status,
};
use opcms_domain::money::Total;
use opcms_domain::{DataScope, Fixed4, Period};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::{Value, json};

use super::entity::bill;
use super::model::*;
use super::service::{find_visible, lock_visible, view};
use super::view::{status_of, warnings_of};
use crate::access::Principal;
use crate::audit::{self, Actor, Entry};
use crate::calendar::business_today;
use crate::customers::entity::customer;
use crate::db::begin_write;
use crate::db::money::decimal;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Most bills one batch issue takes.
pub const MAX_BATCH: usize = 1_000;

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
    let notifications = crate::notify::outbox::Context::load(state).await?;
    let txn = begin_write(&state.db).await?;
    let row = lock_visible(&txn, &principal.scope(), id).await?;
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
    let queued = match &notifications {
        Some(context) => crate::notify::outbox::bills_issued(&txn, state, context, &[id], business_today()).await?,
        None => 0,
    };
    let for_erp = crate::erp::outbox::bills_issued(&txn, state, &[id]).await?;
    txn.commit().await?;
    wake(state, queued, for_erp);
    view(&state.db, find_visible(&state.db, &principal.scope(), id).await?).await
}

/// After the commit: the senders of what it queued.
fn wake(state: &AppState, notifications: u64, erp_documents: u64) {
    if notifications > 0 {
        state.notify_wake.notify_one();
    }
    if erp_documents > 0 {
        state.erp_wake.notify_one();
    }
}

/// Bills locked and read per query in a batch issue.
const ISSUE_CHUNK: usize = 500;

/// Issues many drafts — named by id (at most [`MAX_BATCH`]) or every draft
/// matching a filter, however many — in one transaction; those that may
/// not be issued are listed with the reason and left as they are.
pub async fn batch_issue(
    state: &AppState,
    actor: &Actor,
    scope: &DataScope,
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
            super::list::build(&filter.drafts(), scope)?
                .select_only()
                .column(bill::Column::Id)
                .order_by_asc(bill::Column::Id)
                .into_tuple::<i64>()
                .all(&state.db)
                .await?
        }
        (None, None) => return Err(AppError::field("ids", "REQUIRED", "请至少选择一张账单")),
    };
    let today = business_today();
    let notifications = crate::notify::outbox::Context::load(state).await?;
    let txn = begin_write(&state.db).await?;
    let mut issued_ids = Vec::new();
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
            let row = rows
                .remove(&id)
                .filter(|row| scope.admits(customers.get(&row.customer_id).and_then(|c| c.1)));
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
        issued_ids.extend(issued.iter().map(|(id, _)| *id));
        write_issues(&txn, actor, issued).await?;
        audit::record_many(&txn, actor, entries).await?;
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
    let queued = match &notifications {
        Some(context) => crate::notify::outbox::bills_issued(&txn, state, context, &issued_ids, today).await?,
        None => 0,
    };
    let for_erp = crate::erp::outbox::bills_issued(&txn, state, &issued_ids).await?;
    txn.commit().await?;
    wake(state, queued, for_erp);
    Ok(result)
}
