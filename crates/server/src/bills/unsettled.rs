//! What a customer still owes, for the rules that look at it before acting
//! on the customer (closing an account, the automatic status changes of
//! DESIGN.md §3).

use std::collections::HashMap;

use chrono::NaiveDate;
use opcms_domain::Fixed4;
use opcms_domain::billing::BillStatus;
use opcms_domain::customer::status::Unsettled;
use opcms_domain::money::Total;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};

use super::entity::bill;
use crate::error::AppResult;

/// The customer's bills issued and not fully paid, and what is left on them.
pub async fn of_customer(db: &impl ConnectionTrait, customer_id: i64) -> AppResult<Unsettled> {
    let open: Vec<(i64, i64)> = bill::Entity::find()
        .select_only()
        .column(bill::Column::Total)
        .column(bill::Column::Allocated)
        .filter(bill::Column::CustomerId.eq(customer_id))
        .filter(bill::is_open())
        .into_tuple()
        .all(db)
        .await?;
    let outstanding: Total = open
        .iter()
        .map(|(total, allocated)| Fixed4::from_units(total - allocated))
        .sum();
    Ok(Unsettled {
        bills: open.len() as u64,
        outstanding,
    })
}

/// For every customer with an overdue bill (open, due before `today`), the
/// due date of its oldest.
pub async fn oldest_overdue_by_customer(
    db: &impl ConnectionTrait,
    today: NaiveDate,
) -> AppResult<HashMap<i64, NaiveDate>> {
    let rows: Vec<(i64, Option<NaiveDate>)> = bill::Entity::find()
        .select_only()
        .column(bill::Column::CustomerId)
        .column_as(bill::Column::DueDate.min(), "due")
        .filter(bill::is_open())
        .filter(bill::Column::DueDate.lt(today))
        .group_by(bill::Column::CustomerId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, due)| due.map(|due| (id, due)))
        .collect())
}

/// [`oldest_overdue_by_customer`] for these customers only (a batch of
/// `receivables.daily`, read under their row locks). Reads the batch's bills
/// by customer and judges them here: a filter on status and due date would
/// lead the planner to the (status, due_date) index and a scan of every
/// overdue bill for each batch.
pub async fn oldest_overdue_of(
    db: &impl ConnectionTrait,
    customer_ids: &[i64],
    today: NaiveDate,
) -> AppResult<HashMap<i64, NaiveDate>> {
    let rows: Vec<(i64, String, Option<NaiveDate>)> = bill::Entity::find()
        .select_only()
        .column(bill::Column::CustomerId)
        .column(bill::Column::Status)
        .column(bill::Column::DueDate)
        .filter(bill::Column::CustomerId.is_in(customer_ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let mut oldest: HashMap<i64, NaiveDate> = HashMap::new();
    for (customer_id, status, due) in rows {
        let open = BillStatus::parse(&status).is_some_and(BillStatus::is_open);
        if let Some(due) = due.filter(|due| open && *due < today) {
            oldest
                .entry(customer_id)
                .and_modify(|d| *d = (*d).min(due))
                .or_insert(due);
        }
    }
    Ok(oldest)
}

/// How many bills are overdue today.
pub async fn count_overdue(db: &impl ConnectionTrait, today: NaiveDate) -> AppResult<u64> {
    Ok(bill::Entity::find()
        .filter(bill::is_open())
        .filter(bill::Column::DueDate.lt(today))
        .count(db)
        .await?)
}
