//! What a customer still owes, for the rules that look at it before acting
//! on the customer (closing an account, the automatic status changes of
//! DESIGN.md §3).

use std::collections::HashMap;

use chrono::NaiveDate;
use opcms_domain::Fixed4;
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

/// The due date of the customer's oldest overdue bill (open, due before
/// `today`), read inside the caller's transaction.
pub async fn oldest_overdue(
    db: &impl ConnectionTrait,
    customer_id: i64,
    today: NaiveDate,
) -> AppResult<Option<NaiveDate>> {
    let due: Option<Option<NaiveDate>> = bill::Entity::find()
        .select_only()
        .column_as(bill::Column::DueDate.min(), "due")
        .filter(bill::Column::CustomerId.eq(customer_id))
        .filter(bill::is_open())
        .filter(bill::Column::DueDate.lt(today))
        .into_tuple()
        .one(db)
        .await?;
    Ok(due.flatten())
}

/// For every customer with an overdue bill, the due date of its oldest.
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

/// How many bills are overdue today.
pub async fn count_overdue(db: &impl ConnectionTrait, today: NaiveDate) -> AppResult<u64> {
    Ok(bill::Entity::find()
        .filter(bill::is_open())
        .filter(bill::Column::DueDate.lt(today))
        .count(db)
        .await?)
}
