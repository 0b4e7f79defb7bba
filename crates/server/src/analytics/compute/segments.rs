//! The revenue of §9's value tiers and trend gathered for some customers (or
//! all): each one's 12 periods, the last 3 and the 3 before.

use std::collections::HashMap;

use opcms_domain::Period;
use opcms_domain::money::Total;
use sea_orm::ConnectionTrait;

use crate::analytics::facts::{COUNTED, CustomerFacts, Sql, customers_among, get, sum};
use crate::analytics::params::months_ending;
use crate::error::AppResult;

/// The live customers (`subset`, or all) with their revenue over the 12
/// periods ending at `period`: the 12, the last 3 and the 3 before.
pub async fn segment_facts(
    db: &impl ConnectionTrait,
    period: Period,
    subset: Option<&[i64]>,
) -> AppResult<Vec<(CustomerFacts, [Total; 3])>> {
    let months = months_ending(period, 12);
    let first = months.first().copied().unwrap_or(period);
    let recent: Vec<i32> = months.iter().rev().take(3).map(|p| p.key()).collect();
    let earlier: Vec<i32> = months.iter().rev().skip(3).take(3).map(|p| p.key()).collect();
    let mut sql = Sql::new(db);
    sql.sql("SELECT customer_id, period")
        .sum("total", "revenue")
        .sql(" FROM bills WHERE period BETWEEN ")
        .bind(first.key())
        .sql(" AND ")
        .bind(period.key())
        .statuses_of_few("status", &COUNTED, subset.is_some())
        .subset("customer_id", subset)
        .sql(" GROUP BY customer_id, period");
    // customer → (12 months, last 3, the 3 before)
    let mut revenue: HashMap<i64, [Total; 3]> = HashMap::new();
    for row in sql.all(db).await? {
        let customer: i64 = get(&row, "customer_id")?;
        let key: i32 = get(&row, "period")?;
        let amount = sum(&row, "revenue")?;
        let sums = revenue.entry(customer).or_default();
        sums[0] += amount;
        if recent.contains(&key) {
            sums[1] += amount;
        } else if earlier.contains(&key) {
            sums[2] += amount;
        }
    }
    Ok(customers_among(db, None, subset)
        .await?
        .into_iter()
        .map(|customer| {
            let sums = revenue.get(&customer.id).copied().unwrap_or_default();
            (customer, sums)
        })
        .collect())
}
