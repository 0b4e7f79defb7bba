//! `GET /analytics/credit-scores` and `GET /customers/{id}/credit-score`:
//! each customer's credit score on `as_of` with its four factors.

use chrono::NaiveDate;
use opcms_domain::DataScope;
use opcms_domain::analytics::{CreditFactors, Grade};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

use super::facts::{Sql, customers_of, filtered_page, get, search};
use super::params::choice;
use super::snapshot::{self, Need};
use crate::error::{AppError, AppResult};
use crate::http::pagination::{Page, PageRequest};
use crate::state::AppState;

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

/// The rows the filters keep (by code; one page, or all when `page` is
/// None) and how many they are.
pub async fn select(
    state: &AppState,
    scope: &DataScope,
    as_of: NaiveDate,
    query: &CreditQuery,
    page: Option<PageRequest>,
) -> AppResult<(Vec<CreditScoreRow>, u64)> {
    let grade = choice(
        query.grade.as_deref(),
        "grade",
        Grade::parse,
        "信用等级须为 优、良、中、差 或 资料不足",
    )?;
    snapshot::prepare(state, Some(Need::Credit(as_of))).await?;
    let db = &state.db;
    let filter = |sql: &mut Sql| {
        sql.sql(" FROM analytics_credit_rows WHERE as_of = ")
            .bind(as_of)
            .owners(scope, "owner_id");
        if let Some(grade) = grade {
            sql.sql(" AND grade = ").bind(grade.label());
        }
        search(sql, query.q.as_deref());
    };
    let (found, total) = filtered_page(
        db,
        "customer_id, customer_code, company_name, score, grade, on_time, late_days, overdue_ratio, \
         tenure_months, window_bills",
        filter,
        "code_key",
        page,
    )
    .await?;
    let rows = found
        .iter()
        .map(|row| {
            let score: Option<i32> = get(row, "score")?;
            let grade: String = get(row, "grade")?;
            let tenure: i32 = get(row, "tenure_months")?;
            let bills: i32 = get(row, "window_bills")?;
            Ok(CreditScoreRow {
                customer_id: get(row, "customer_id")?,
                customer_code: get(row, "customer_code")?,
                company_name: get(row, "company_name")?,
                as_of,
                score: score.and_then(|s| u32::try_from(s).ok()),
                grade: Grade::parse(&grade).unwrap_or(Grade::InsufficientData),
                factors: CreditFactors {
                    on_time: get(row, "on_time")?,
                    late_days: get(row, "late_days")?,
                    overdue_ratio: get(row, "overdue_ratio")?,
                    tenure_months: u32::try_from(tenure).unwrap_or(0),
                },
                window_bills: u32::try_from(bills).unwrap_or(0),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok((rows, total))
}

pub async fn credit_scores(
    state: &AppState,
    scope: &DataScope,
    as_of: NaiveDate,
    query: &CreditQuery,
    page: PageRequest,
) -> AppResult<CreditScores> {
    let (items, total) = select(state, scope, as_of, query, Some(page)).await?;
    let page = Page::new(items, total, page);
    Ok(CreditScores {
        as_of,
        items: page.items,
        total: page.total,
        page: page.page,
        page_size: page.page_size,
    })
}

/// One customer's score, computed on the spot (any day, no snapshot to
/// build for one customer); 404 outside the caller's scope.
pub async fn customer_score(
    db: &impl ConnectionTrait,
    scope: &DataScope,
    customer_id: i64,
    as_of: NaiveDate,
) -> AppResult<CreditScoreRow> {
    if customers_of(db, scope, None, Some(customer_id)).await?.is_empty() {
        return Err(AppError::not_found("客户"));
    }
    let (customer, score) = super::compute::credit::scores(db, as_of, Some(&[customer_id]))
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("客户"))?;
    Ok(CreditScoreRow {
        customer_id: customer.id,
        customer_code: customer.code,
        company_name: customer.company_name,
        as_of,
        score: score.score,
        grade: score.grade,
        factors: score.factors,
        window_bills: score.window_bills,
    })
}
