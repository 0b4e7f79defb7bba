//! Each customer's aging on a day (DESIGN.md §7): the money open on their
//! issued bills in the domain's buckets, and the receipts not yet applied as
//! their balance. What the aging report's snapshot stores, for a few
//! customers (a refresh) or for the whole book (a snapshot built whole).

use std::collections::HashMap;

use chrono::NaiveDate;
use opcms_domain::Fixed4;
use opcms_domain::money::Total;
use opcms_domain::payments::AgingAmounts;
use sea_orm::ConnectionTrait;

use crate::analytics::facts::{CustomerFacts, OPEN, Sql, customers_even_deleted, get};
use crate::db::migrations::UNAPPLIED_TOTALS;
use crate::error::AppResult;

#[derive(Debug, Default)]
pub struct CustomerAging {
    pub aging: AgingAmounts,
    pub open_bills: u32,
    pub unapplied: Total,
}

/// The customers among `subset` (all when None) with money open or
/// unapplied, and their aging on `as_of`, by customer code. Deleted
/// customers too: what they owe or hold is still there to collect or repay.
pub async fn customer_aging(
    db: &impl ConnectionTrait,
    as_of: NaiveDate,
    subset: Option<&[i64]>,
) -> AppResult<Vec<(CustomerFacts, CustomerAging)>> {
    let people = customers_even_deleted(db, subset).await?;
    let mut by_customer: HashMap<i64, CustomerAging> = HashMap::new();
    let mut sql = Sql::new(db);
    sql.sql("SELECT customer_id, due_date, total - allocated AS open FROM bills WHERE 1 = 1")
        .statuses_of_few("status", &OPEN, subset.is_some())
        .subset("customer_id", subset);
    for row in sql.all(db).await? {
        let entry = by_customer.entry(get(&row, "customer_id")?).or_default();
        // total ≥ allocated, both stored: the difference is a stored amount too.
        entry
            .aging
            .add(Fixed4::from_units(get(&row, "open")?), get(&row, "due_date")?, as_of);
        entry.open_bills += 1;
    }
    // Receipts not fully applied, from the maintained totals
    // (crate::db::totals): the rows of the few customers with such money.
    let mut sql = Sql::new(db);
    sql.sql(&format!(
        "SELECT customer_id, amount, allocated FROM {} WHERE 1 = 1",
        UNAPPLIED_TOTALS.table
    ))
    .subset("customer_id", subset);
    for row in sql.all(db).await? {
        let (amount, allocated): (i64, i64) = (get(&row, "amount")?, get(&row, "allocated")?);
        by_customer.entry(get(&row, "customer_id")?).or_default().unapplied +=
            Total::from_units(i128::from(amount) - i128::from(allocated));
    }
    Ok(people
        .into_iter()
        .filter_map(|customer| {
            let aging = by_customer.remove(&customer.id)?;
            (aging.open_bills > 0 || !aging.unapplied.is_zero()).then_some((customer, aging))
        })
        .collect())
}
