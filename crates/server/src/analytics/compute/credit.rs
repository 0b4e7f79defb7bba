//! The credit score of §9 gathered for some customers (or all) on a day: the
//! window's bills with the day each was settled, the overdue money; the
//! domain scores.

use std::collections::HashMap;

use chrono::{Months, NaiveDate};
use opcms_domain::analytics::{CreditBill, CreditFacts, CreditScore, credit_score};
use opcms_domain::money::Total;
use sea_orm::ConnectionTrait;

use crate::analytics::facts::{COUNTED, CustomerFacts, OPEN, Sql, customers_among, get, sum};
use crate::error::AppResult;

/// The scores of the customers (not deleted) among `subset` (all when
/// None), by customer code.
pub async fn scores(
    db: &impl ConnectionTrait,
    as_of: NaiveDate,
    subset: Option<&[i64]>,
) -> AppResult<Vec<(CustomerFacts, CreditScore)>> {
    let people = customers_among(db, None, subset).await?;
    let start = as_of.checked_sub_months(Months::new(12)).unwrap_or(NaiveDate::MIN);
    let mut facts: HashMap<i64, CreditFacts> = people
        .iter()
        .map(|c| {
            (
                c.id,
                CreditFacts {
                    signed_at: c.signed_at,
                    ..CreditFacts::default()
                },
            )
        })
        .collect();
    let settled = settled_days(db, subset, start, as_of).await?;
    let mut sql = Sql::new(db);
    let due = sql.filter_only("due_date", subset.is_some());
    sql.sql(&format!(
        "SELECT id, customer_id, due_date, total, allocated FROM bills WHERE {due} >= "
    ))
    .bind(start)
    .sql(&format!(" AND {due} < "))
    .bind(as_of)
    .statuses_of_few("status", &COUNTED, subset.is_some())
    .subset("customer_id", subset);
    for row in sql.all(db).await? {
        let customer: i64 = get(&row, "customer_id")?;
        let Some(fact) = facts.get_mut(&customer) else { continue };
        let (id, due_date): (i64, NaiveDate) = (get(&row, "id")?, get(&row, "due_date")?);
        let (total, allocated): (i64, i64) = (get(&row, "total")?, get(&row, "allocated")?);
        let settled_on = if allocated < total {
            None
        } else {
            // Paid in full: on the latest receipt that settles it; a bill
            // with nothing to pay was never late.
            Some(settled.get(&id).copied().unwrap_or(due_date))
        };
        fact.bills.push(CreditBill {
            due_date,
            total: Total::from_units(i128::from(total)),
            settled_on,
        });
    }
    let mut sql = Sql::new(db);
    sql.sql("SELECT customer_id")
        .sum("total - allocated", "open")
        .sql(&format!(" FROM bills WHERE {due} < "))
        .bind(as_of)
        .statuses_of_few("status", &OPEN, subset.is_some())
        .subset("customer_id", subset)
        .sql(" GROUP BY customer_id");
    for row in sql.all(db).await? {
        let customer: i64 = get(&row, "customer_id")?;
        if let Some(fact) = facts.get_mut(&customer) {
            fact.overdue = sum(&row, "open")?;
        }
    }
    Ok(people
        .into_iter()
        .map(|customer| {
            let score = credit_score(facts.get(&customer.id).unwrap_or(&CreditFacts::default()), as_of);
            (customer, score)
        })
        .collect())
}

/// For each bill due in the window: the latest receipt date among the
/// payments whose live allocations reach it.
async fn settled_days(
    db: &impl ConnectionTrait,
    subset: Option<&[i64]>,
    start: NaiveDate,
    as_of: NaiveDate,
) -> AppResult<HashMap<i64, NaiveDate>> {
    let mut sql = Sql::new(db);
    let due = sql.filter_only("b.due_date", subset.is_some());
    sql.sql(
        "SELECT a.bill_id, MAX(p.received_at) AS paid_on FROM payment_allocations a \
         JOIN payments p ON p.id = a.payment_id JOIN bills b ON b.id = a.bill_id WHERE a.status = ",
    )
    .bind("active")
    .sql(&format!(" AND {due} >= "))
    .bind(start)
    .sql(&format!(" AND {due} < "))
    .bind(as_of)
    .subset("b.customer_id", subset)
    .sql(" GROUP BY a.bill_id");
    sql.all(db)
        .await?
        .iter()
        .map(|row| Ok((get(row, "bill_id")?, get(row, "paid_on")?)))
        .collect()
}
