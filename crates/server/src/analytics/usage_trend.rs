//! `GET /analytics/usage-trend`: monthly quantity with month-over-month and
//! year-over-year change, for the scope, one customer or one series.

use std::collections::HashMap;

use opcms_domain::analytics::change;
use opcms_domain::money::Total;
use opcms_domain::{DataScope, Period};
use serde::{Deserialize, Serialize};

use super::facts::{Sql, customers_of, get, split_sum};
use super::params::months_ending;
use super::snapshot;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The longest trend asked for, in months.
pub const MAX_MONTHS: u32 = 36;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageTrendQuery {
    /// One customer (default: every customer in scope).
    pub customer_id: Option<i64>,
    /// X | N | L (default: all series).
    pub series: Option<String>,
    /// 1–36, default 12.
    pub months: Option<u32>,
    /// The last month, `YYYY-MM` (default the current month).
    pub period: Option<String>,
    /// Export only: xlsx (default) | csv | pdf.
    pub format: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UsageTrendPoint {
    #[schema(value_type = String, example = "2026-11")]
    pub period: Period,
    #[schema(value_type = String)]
    pub quantity: Total,
    /// ÷ the month before − 1, four places; null when that month had none.
    #[schema(required = true)]
    pub mom: Option<String>,
    /// ÷ the same month a year before − 1; null when that month had none.
    #[schema(required = true)]
    pub yoy: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UsageTrend {
    #[schema(value_type = String, example = "2026-11")]
    pub period: Period,
    pub months: u32,
    #[schema(required = true)]
    pub customer_id: Option<i64>,
    #[schema(required = true)]
    pub series: Option<String>,
    /// Oldest first.
    pub points: Vec<UsageTrendPoint>,
}

pub async fn usage_trend(
    state: &AppState,
    scope: &DataScope,
    period: Period,
    query: &UsageTrendQuery,
) -> AppResult<UsageTrend> {
    let db = &state.db;
    let months = query.months.unwrap_or(12);
    if !(1..=MAX_MONTHS).contains(&months) {
        return Err(AppError::field("months", "OUT_OF_RANGE", "月数须为 1–36 的整数"));
    }
    let series = match query.series.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(text @ ("X" | "N" | "L")) => Some(text.to_string()),
        Some(_) => return Err(AppError::field("series", "INVALID_CHOICE", "系列须为 X、N 或 L")),
    };
    if let Some(id) = query.customer_id
        && customers_of(db, scope, None, Some(id)).await?.is_empty()
    {
        return Err(AppError::not_found("客户"));
    }
    snapshot::prepare(state, None).await?;
    // The points, plus the 12 months before the first for its year-over-year.
    let span = months_ending(period, months as usize + 12);
    let first = span.first().copied().unwrap_or(period);
    let columns: &[&str] = match series.as_deref() {
        Some("X") => &["usage_x"],
        Some("N") => &["usage_n"],
        Some("L") => &["usage_l"],
        _ => &["usage_x", "usage_n", "usage_l"],
    };
    let mut sql = Sql::new(db);
    sql.sql("SELECT period").split_sum(columns, "quantity");
    match query.customer_id {
        // One customer: its own months.
        Some(id) => {
            sql.sql(" FROM analytics_customer_months WHERE customer_id = ").bind(id);
        }
        None => {
            sql.sql(" FROM analytics_owner_months WHERE 1 = 1")
                .owners(scope, "owner_id");
        }
    }
    sql.sql(" AND period BETWEEN ")
        .bind(first.key())
        .sql(" AND ")
        .bind(period.key())
        .sql(" GROUP BY period");
    let mut by_month: HashMap<i32, Total> = HashMap::new();
    for row in sql.all(db).await? {
        by_month.insert(get(&row, "period")?, split_sum(&row, "quantity")?);
    }
    let quantity = |p: Option<Period>| p.and_then(|p| by_month.get(&p.key()).copied()).unwrap_or(Total::ZERO);
    let points = span
        .iter()
        .skip(span.len().saturating_sub(months as usize))
        .map(|&month| {
            let now = quantity(Some(month));
            let year_before = (0..12).try_fold(month, |p, _| p.previous());
            UsageTrendPoint {
                period: month,
                quantity: now,
                mom: change(now, quantity(month.previous())),
                yoy: change(now, quantity(year_before)),
            }
        })
        .collect();
    Ok(UsageTrend {
        period,
        months,
        customer_id: query.customer_id,
        series,
        points,
    })
}
