//! Bills as the API shows them: a page of rows with their customers, plans
//! and people read in a few queries (lists and one bill alike).

use std::collections::HashMap;

use opcms_domain::Period;
use opcms_domain::billing::{BillStatus, BillWarning, StoredLine, overdue_days};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::entity::{bill, credit_note};
use super::model::*;
use crate::calendar::business_today;
use crate::db::money::money;
use crate::error::AppResult;
use crate::pricing::reads::plan_names;
use crate::users::service::{UserRef, display_names};

pub(super) fn status_of(row: &bill::Model) -> BillStatus {
    BillStatus::parse(&row.status).unwrap_or(BillStatus::Draft)
}

pub(super) fn warnings_of(row: &bill::Model) -> Vec<BillWarning> {
    serde_json::from_str(&row.warnings).unwrap_or_default()
}

/// Views of bills, with their customers, plans and people in a few queries.
/// `detail`: also their credit notes (lines are always there; lists drop them).
pub async fn views(db: &impl ConnectionTrait, rows: Vec<bill::Model>, detail: bool) -> AppResult<Vec<BillView>> {
    let today = business_today();
    let customers = crate::customers::service::refs(db, rows.iter().map(|r| r.customer_id)).await?;
    let plans = plan_names(db, rows.iter().filter_map(|r| r.plan_id)).await?;
    let mut credit_notes: HashMap<i64, Vec<credit_note::Model>> = HashMap::new();
    if detail {
        let bill_ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let notes = credit_note::Entity::find()
            .filter(credit_note::Column::BillId.is_in(bill_ids))
            .order_by_asc(credit_note::Column::Id)
            .all(db)
            .await?;
        for note in notes {
            credit_notes.entry(note.bill_id).or_default().push(note);
        }
    }
    let mut people: Vec<i64> = Vec::new();
    for row in &rows {
        people.extend(
            [row.issued_by, row.voided_by, row.warnings_ack_by]
                .into_iter()
                .flatten(),
        );
    }
    for note in credit_notes.values().flatten() {
        people.extend(note.created_by);
    }
    let names = display_names(db, people).await?;
    let person = |id: Option<i64>| id.map(|id| UserRef::named(id, &names));
    Ok(rows
        .into_iter()
        .map(|row| {
            let status = status_of(&row);
            let overdue_days = match row.due_date {
                Some(due) if status.is_open() => overdue_days(due, today),
                _ => 0,
            };
            let lines: Vec<StoredLine> = if detail {
                serde_json::from_str(&row.lines).unwrap_or_default()
            } else {
                Vec::new()
            };
            BillView {
                id: row.id,
                bill_no: row.bill_no.clone(),
                customer: customers
                    .get(&row.customer_id)
                    .cloned()
                    .unwrap_or_else(|| CustomerRef::missing(row.customer_id)),
                customer_id: row.customer_id,
                period: Period::from_key(row.period).unwrap_or_else(|| Period::of_date(today)),
                kind: row.kind.clone(),
                status,
                plan: row.plan_id.map(|id| PlanRef {
                    id,
                    name: plans.get(&id).cloned().unwrap_or_default(),
                    version: row.plan_version.unwrap_or_default(),
                }),
                lines,
                subtotal: money(row.subtotal),
                credited: money(row.credited),
                total: money(row.total),
                allocated: money(row.allocated),
                outstanding: money(row.total - row.allocated),
                due_date: row.due_date,
                overdue: overdue_days > 0,
                overdue_days,
                warnings: warnings_of(&row),
                warnings_acknowledged: row.warnings_ack_at.map(|at| Acknowledgement {
                    by: person(row.warnings_ack_by),
                    at,
                }),
                late_usage: row
                    .late_usage
                    .as_deref()
                    // The stored flag also keeps the usage key it was raised
                    // for (`current_key`): not part of the answer.
                    .and_then(|t| serde_json::from_str::<LateUsage>(t).ok()),
                credit_notes: credit_notes
                    .remove(&row.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|n| CreditNoteView {
                        id: n.id,
                        amount: money(n.amount),
                        reason: n.reason,
                        created_at: n.created_at,
                        created_by: person(n.created_by),
                    })
                    .collect(),
                remarks: row.remarks.clone(),
                issued_at: row.issued_at,
                issued_by: person(row.issued_by),
                voided_at: row.voided_at,
                voided_by: person(row.voided_by),
                void_reason: row.void_reason.clone(),
                created_at: row.created_at,
                updated_at: row.updated_at,
                version: row.version,
            }
        })
        .collect())
}
