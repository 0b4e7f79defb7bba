//! The churn flags of §9 gathered for some customers (or all): the usage by
//! month, the last usage day, the long-overdue money; the domain decides.

use std::collections::HashMap;

use chrono::{NaiveDate, TimeDelta};
use opcms_domain::Period;
use opcms_domain::analytics::{
    ChurnFacts, ChurnFlag, ChurnRules, OVERDUE_FLAG_DAYS, Risk, churn_flags, last_full_month, risk_of,
};
use opcms_domain::customer::AccountStatus;
use sea_orm::ConnectionTrait;

use crate::analytics::facts::{CustomerFacts, OPEN, Sql, customers_among, get, sum};
use crate::error::AppResult;

/// The live statuses churn is judged for.
const LIVE: [AccountStatus; 3] = [AccountStatus::Active, AccountStatus::Arrears, AccountStatus::Suspended];

/// The at-risk live customers among `subset` (all when None), by code,
/// with their risk and flags.
pub async fn churn_facts(
    db: &impl ConnectionTrait,
    as_of: NaiveDate,
    rules: ChurnRules,
    subset: Option<&[i64]>,
) -> AppResult<Vec<(CustomerFacts, Risk, Vec<ChurnFlag>)>> {
    let live: Vec<&str> = LIVE.iter().map(|s| s.code()).collect();
    let people = customers_among(db, Some(&live), subset).await?;
    let mut facts: HashMap<i64, ChurnFacts> = people
        .iter()
        .map(|c| {
            (
                c.id,
                ChurnFacts {
                    contract_end_at: c.contract_end_at,
                    ..ChurnFacts::default()
                },
            )
        })
        .collect();
    monthly_usage(db, subset, as_of, &mut facts).await?;
    last_usage(db, subset, as_of, &mut facts).await?;
    long_overdue(db, subset, as_of, &mut facts).await?;
    Ok(people
        .into_iter()
        .filter_map(|customer| {
            let flags = churn_flags(facts.get(&customer.id)?, rules, as_of);
            let risk = risk_of(&flags)?;
            Some((customer, risk, flags))
        })
        .collect())
}

/// The last full month's quantity and the three months' before it.
async fn monthly_usage(
    db: &impl ConnectionTrait,
    subset: Option<&[i64]>,
    as_of: NaiveDate,
    facts: &mut HashMap<i64, ChurnFacts>,
) -> AppResult<()> {
    let Some(last) = last_full_month(as_of) else {
        return Ok(());
    };
    let Some(first) = (0..3).try_fold(last, |p: Period, _| p.previous()) else {
        return Ok(());
    };
    let mut sql = Sql::new(db);
    sql.sql("SELECT customer_id, month")
        .sum("quantity", "quantity")
        .sql(" FROM usage_records WHERE month BETWEEN ")
        .bind(first.key())
        .sql(" AND ")
        .bind(last.key())
        .subset("customer_id", subset)
        .sql(" GROUP BY customer_id, month");
    for row in sql.all(db).await? {
        let customer: i64 = get(&row, "customer_id")?;
        let Some(fact) = facts.get_mut(&customer) else { continue };
        let month: i32 = get(&row, "month")?;
        let quantity = sum(&row, "quantity")?;
        if month == last.key() {
            fact.last_month += quantity;
        } else {
            fact.three_before += quantity;
        }
    }
    Ok(())
}

/// The latest day with usage on or before `as_of`.
async fn last_usage(
    db: &impl ConnectionTrait,
    subset: Option<&[i64]>,
    as_of: NaiveDate,
    facts: &mut HashMap<i64, ChurnFacts>,
) -> AppResult<()> {
    let mut sql = Sql::new(db);
    sql.sql("SELECT customer_id, MAX(day) AS last_day FROM usage_records WHERE quantity > 0 AND day <= ")
        .bind(as_of)
        .subset("customer_id", subset)
        .sql(" GROUP BY customer_id");
    for row in sql.all(db).await? {
        let customer: i64 = get(&row, "customer_id")?;
        if let Some(fact) = facts.get_mut(&customer) {
            fact.last_usage_day = get(&row, "last_day")?;
        }
    }
    Ok(())
}

/// Open money of bills overdue more than 30 days, and the oldest due date.
async fn long_overdue(
    db: &impl ConnectionTrait,
    subset: Option<&[i64]>,
    as_of: NaiveDate,
    facts: &mut HashMap<i64, ChurnFacts>,
) -> AppResult<()> {
    let before = as_of - TimeDelta::days(OVERDUE_FLAG_DAYS);
    let mut sql = Sql::new(db);
    let due = sql.filter_only("due_date", subset.is_some());
    sql.sql("SELECT customer_id, MIN(due_date) AS oldest")
        .sum("total - allocated", "open")
        .sql(&format!(" FROM bills WHERE total > allocated AND {due} < "))
        .bind(before)
        .statuses_of_few("status", &OPEN, subset.is_some())
        .subset("customer_id", subset)
        .sql(" GROUP BY customer_id");
    for row in sql.all(db).await? {
        let customer: i64 = get(&row, "customer_id")?;
        if let Some(fact) = facts.get_mut(&customer) {
            fact.overdue_30 = sum(&row, "open")?;
            fact.oldest_overdue_due = get(&row, "oldest")?;
        }
    }
    Ok(())
}
