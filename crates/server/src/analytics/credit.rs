//! `GET /analytics/credit-scores` and `GET /customers/{id}/credit-score`:
//! each customer's credit score on `as_of` with its four factors.

use std::collections::HashMap;

use chrono::{Months, NaiveDate};
use opcms_domain::DataScope;
use opcms_domain::analytics::{CreditBill, CreditFactors, CreditFacts, Grade, credit_score};
use opcms_domain::money::Total;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

use super::facts::{COUNTED, OPEN, Sql, customers_of, get, matches, sum};
use super::params::{choice, paged};
use crate::error::{AppError, AppResult};
use crate::http::pagination::PageRequest;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreditQuery {
    /// The day the score is computed on (default today).
    pub as_of: Option<NaiveDate>,
    /// 优 | 良 | 中 | 差 | 资料不足.
    pub grade: Option<String>,
    /// Customer code or company name contains.
    pub q: Option<String>,
    /// Export only: xlsx (default) | csv | pdf.
    pub format: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreditScoreRow {
    pub customer_id: i64,
    pub customer_code: String,
    pub company_name: String,
    pub as_of: NaiveDate,
    /// 0–100; null without a bill due in the 12 months before `as_of` (资料不足).
    #[schema(required = true)]
    pub score: Option<u32>,
    pub grade: Grade,
    pub factors: CreditFactors,
    /// Bills due in the window.
    pub window_bills: u32,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreditScores {
    pub as_of: NaiveDate,
    pub items: Vec<CreditScoreRow>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}

/// The scores of the customers in scope (or of one), by customer code.
pub async fn scores(
    db: &impl ConnectionTrait,
    scope: &DataScope,
    as_of: NaiveDate,
    only: Option<i64>,
) -> AppResult<Vec<CreditScoreRow>> {
    let people = customers_of(db, scope, None, only).await?;
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
    let settled = settled_days(db, scope, only, start, as_of).await?;
    let mut sql = Sql::new(db);
    sql.sql("SELECT id, customer_id, due_date, total, allocated FROM bills WHERE due_date >= ")
        .bind(start)
        .sql(" AND due_date < ")
        .bind(as_of)
        .statuses("status", &COUNTED)
        .scope(scope, "customer_id")
        .only("customer_id", only);
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
        .sql(" FROM bills WHERE due_date < ")
        .bind(as_of)
        .statuses("status", &OPEN)
        .scope(scope, "customer_id")
        .only("customer_id", only)
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
            CreditScoreRow {
                customer_id: customer.id,
                customer_code: customer.code,
                company_name: customer.company_name,
                as_of,
                score: score.score,
                grade: score.grade,
                factors: score.factors,
                window_bills: score.window_bills,
            }
        })
        .collect())
}

/// For each bill due in the window: the latest receipt date among the
/// payments whose live allocations reach it.
async fn settled_days(
    db: &impl ConnectionTrait,
    scope: &DataScope,
    only: Option<i64>,
    start: NaiveDate,
    as_of: NaiveDate,
) -> AppResult<HashMap<i64, NaiveDate>> {
    let mut sql = Sql::new(db);
    sql.sql(
        "SELECT a.bill_id, MAX(p.received_at) AS paid_on FROM payment_allocations a \
         JOIN payments p ON p.id = a.payment_id JOIN bills b ON b.id = a.bill_id WHERE a.status = ",
    )
    .bind("active")
    .sql(" AND b.due_date >= ")
    .bind(start)
    .sql(" AND b.due_date < ")
    .bind(as_of)
    .scope(scope, "b.customer_id")
    .only("b.customer_id", only)
    .sql(" GROUP BY a.bill_id");
    sql.all(db)
        .await?
        .iter()
        .map(|row| Ok((get(row, "bill_id")?, get(row, "paid_on")?)))
        .collect()
}

/// The rows the filters keep.
pub async fn select(
    db: &impl ConnectionTrait,
    scope: &DataScope,
    as_of: NaiveDate,
    query: &CreditQuery,
) -> AppResult<Vec<CreditScoreRow>> {
    let grade = choice(
        query.grade.as_deref(),
        "grade",
        Grade::parse,
        "信用等级须为 优、良、中、差 或 资料不足",
    )?;
    let rows: Vec<CreditScoreRow> = scores(db, scope, as_of, None)
        .await?
        .into_iter()
        .filter(|row| grade.is_none_or(|g| row.grade == g))
        .filter(|row| matches(query.q.as_deref(), &row.customer_code, &row.company_name))
        .collect();
    Ok(rows)
}

pub async fn credit_scores(
    db: &impl ConnectionTrait,
    scope: &DataScope,
    as_of: NaiveDate,
    query: &CreditQuery,
    page: PageRequest,
) -> AppResult<CreditScores> {
    let rows = select(db, scope, as_of, query).await?;
    let page = paged(rows, page);
    Ok(CreditScores {
        as_of,
        items: page.items,
        total: page.total,
        page: page.page,
        page_size: page.page_size,
    })
}

/// One customer's score; 404 outside the caller's scope.
pub async fn customer_score(
    db: &impl ConnectionTrait,
    scope: &DataScope,
    customer_id: i64,
    as_of: NaiveDate,
) -> AppResult<CreditScoreRow> {
    scores(db, scope, as_of, Some(customer_id))
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("客户"))
}
