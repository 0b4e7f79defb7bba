//! What a customer still owes, for the rules that look at it before acting
//! on the customer (closing an account, DESIGN.md §3).

use opcms_domain::Fixed4;
use opcms_domain::customer::status::Unsettled;
use opcms_domain::money::Total;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

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
