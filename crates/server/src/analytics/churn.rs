//! `GET /analytics/churn-risk`: live customers (active, arrears, suspended)
//! that raise at least one churn flag on `as_of`, high risk first.

use std::collections::HashMap;

use chrono::{NaiveDate, TimeDelta};
use opcms_domain::analytics::{ChurnFacts, ChurnFlag, OVERDUE_FLAG_DAYS, Risk, churn_flags, last_full_month, risk_of};
use opcms_domain::customer::AccountStatus;
use opcms_domain::{DataScope, Period};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

use super::facts::{OPEN, Sql, customers, get, matches, sum};
use super::params::{choice, paged};
use crate::error::AppResult;
use crate::http::pagination::PageRequest;
use crate::users::service::{UserRef, display_names};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChurnQuery {
    /// The day the flags are judged on (default today).
    pub as_of: Option<NaiveDate>,
    /// high | medium.
    pub risk: Option<String>,
    /// Customer code or company name contains.
    pub q: Option<String>,
    /// Only customers of this sales owner.
    pub owner_id: Option<i64>,
    /// Export only: xlsx (default) | csv | pdf.
    pub format: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChurnRow {
    pub customer_id: i64,
    pub customer_code: String,
    pub company_name: String,
    pub account_status: AccountStatus,
    #[schema(required = true)]
    pub sales_owner: Option<UserRef>,
    pub risk: Risk,
    pub flags: Vec<ChurnFlag>,
}

#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct RiskCounts {
    pub high: u64,
    pub medium: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChurnRisk {
    pub as_of: NaiveDate,
    /// Customers per risk over the whole scope (filters aside).
    pub counts: RiskCounts,
    pub items: Vec<ChurnRow>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}

/// The live statuses churn is judged for.
const LIVE: [AccountStatus; 3] = [AccountStatus::Active, AccountStatus::Arrears, AccountStatus::Suspended];

/// Every at-risk customer in scope: high first, then by customer code.
pub async fn at_risk(db: &impl ConnectionTrait, scope: &DataScope, as_of: NaiveDate) -> AppResult<Vec<ChurnRow>> {
    let rules = crate::settings::load(db).await?.churn_rules();
    let live: Vec<&str> = LIVE.iter().map(|s| s.code()).collect();
    let people = customers(db, scope, Some(&live)).await?;
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
    monthly_usage(db, scope, as_of, &mut facts).await?;
    last_usage(db, scope, as_of, &mut facts).await?;
    long_overdue(db, scope, as_of, &mut facts).await?;
    let owners = display_names(db, people.iter().filter_map(|c| c.sales_owner_id)).await?;
    let mut rows: Vec<ChurnRow> = people
        .into_iter()
        .filter_map(|customer| {
            let flags = churn_flags(facts.get(&customer.id)?, rules, as_of);
            let risk = risk_of(&flags)?;
            Some(ChurnRow {
                customer_id: customer.id,
                account_status: AccountStatus::parse(&customer.account_status)?,
                customer_code: customer.code,
                company_name: customer.company_name,
                sales_owner: customer.sales_owner_id.map(|id| UserRef::named(id, &owners)),
                risk,
                flags,
            })
        })
        .collect();
    rows.sort_by(|a, b| a.risk.cmp(&b.risk).then_with(|| a.customer_code.cmp(&b.customer_code)));
    Ok(rows)
}

/// The counts over the scope and the rows the filters keep.
pub async fn select(
    db: &impl ConnectionTrait,
    scope: &DataScope,
    as_of: NaiveDate,
    query: &ChurnQuery,
) -> AppResult<(RiskCounts, Vec<ChurnRow>)> {
    let risk = choice(
        query.risk.as_deref(),
        "risk",
        Risk::parse,
        "风险等级须为 high 或 medium",
    )?;
    let rows = at_risk(db, scope, as_of).await?;
    let mut counts = RiskCounts::default();
    for row in &rows {
        match row.risk {
            Risk::High => counts.high += 1,
            Risk::Medium => counts.medium += 1,
        }
    }
    let filtered: Vec<ChurnRow> = rows
        .into_iter()
        .filter(|row| risk.is_none_or(|r| row.risk == r))
        .filter(|row| {
            query
                .owner_id
                .is_none_or(|id| row.sales_owner.as_ref().is_some_and(|o| o.id == id))
        })
        .filter(|row| matches(query.q.as_deref(), &row.customer_code, &row.company_name))
        .collect();
    Ok((counts, filtered))
}

pub async fn churn_risk(
    db: &impl ConnectionTrait,
    scope: &DataScope,
    as_of: NaiveDate,
    query: &ChurnQuery,
    page: PageRequest,
) -> AppResult<ChurnRisk> {
    let (counts, filtered) = select(db, scope, as_of, query).await?;
    let page = paged(filtered, page);
    Ok(ChurnRisk {
        as_of,
        counts,
        items: page.items,
        total: page.total,
        page: page.page,
        page_size: page.page_size,
    })
}

/// The last full month's quantity and the three months' before it.
async fn monthly_usage(
    db: &impl ConnectionTrait,
    scope: &DataScope,
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
        .scope(scope, "customer_id")
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
    scope: &DataScope,
    as_of: NaiveDate,
    facts: &mut HashMap<i64, ChurnFacts>,
) -> AppResult<()> {
    let mut sql = Sql::new(db);
    sql.sql("SELECT customer_id, MAX(day) AS last_day FROM usage_records WHERE quantity > 0 AND day <= ")
        .bind(as_of)
        .scope(scope, "customer_id")
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
    scope: &DataScope,
    as_of: NaiveDate,
    facts: &mut HashMap<i64, ChurnFacts>,
) -> AppResult<()> {
    let before = as_of - TimeDelta::days(OVERDUE_FLAG_DAYS);
    let mut sql = Sql::new(db);
    sql.sql("SELECT customer_id, MIN(due_date) AS oldest")
        .sum("total - allocated", "open")
        .sql(" FROM bills WHERE total > allocated AND due_date < ")
        .bind(before)
        .statuses("status", &OPEN)
        .scope(scope, "customer_id")
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
