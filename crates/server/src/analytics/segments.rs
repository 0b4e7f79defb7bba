//! `GET /analytics/segments`: every customer in scope with its revenue over
//! the 12 periods ending at `period`, its value tier (A/B/C) and its trend.

use std::collections::HashMap;

use opcms_domain::analytics::{Trend, ValueTier, trend, value_tiers};
use opcms_domain::money::Total;
use opcms_domain::{DataScope, Period};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

use super::facts::{COUNTED, Sql, customers, get, matches, sum};
use super::params::{choice, months_ending, paged};
use crate::error::AppResult;
use crate::http::pagination::PageRequest;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SegmentQuery {
    /// `YYYY-MM`, default the current month.
    pub period: Option<String>,
    /// A | B | C.
    pub tier: Option<String>,
    /// 增长 | 稳定 | 下滑 | 新增.
    pub trend: Option<String>,
    /// Customer code or company name contains.
    pub q: Option<String>,
    /// Export only: xlsx (default) | csv | pdf.
    pub format: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SegmentRow {
    pub customer_id: i64,
    pub customer_code: String,
    pub company_name: String,
    /// Σ total of the customer's issued bills of the 12 periods.
    #[schema(value_type = String)]
    pub revenue_12m: Total,
    pub value_tier: ValueTier,
    pub trend: Trend,
    /// Revenue of the last 3 periods ÷ the 3 before − 1; null for 新增.
    #[schema(required = true)]
    pub growth: Option<String>,
}

#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct TierCounts {
    #[serde(rename = "A")]
    #[schema(rename = "A")]
    pub a: u64,
    #[serde(rename = "B")]
    #[schema(rename = "B")]
    pub b: u64,
    #[serde(rename = "C")]
    #[schema(rename = "C")]
    pub c: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Segments {
    #[schema(value_type = String, example = "2026-11")]
    pub period: Period,
    /// Σ revenue_12m of every customer in scope.
    #[schema(value_type = String)]
    pub total_revenue: Total,
    /// Customers per tier, over the whole scope (filters aside).
    pub counts: TierCounts,
    pub items: Vec<SegmentRow>,
    /// Rows matching the filters.
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}

/// Every customer in scope with tier and trend, largest revenue first.
pub async fn segment_rows(db: &impl ConnectionTrait, scope: &DataScope, period: Period) -> AppResult<Vec<SegmentRow>> {
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
        .statuses("status", &COUNTED)
        .scope(scope, "customer_id")
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
    let people = customers(db, scope, None).await?;
    let ranked: Vec<(&str, Total)> = people
        .iter()
        .map(|c| (c.code.as_str(), revenue.get(&c.id).map_or(Total::ZERO, |s| s[0])))
        .collect();
    let tiers = value_tiers(&ranked);
    let mut rows: Vec<SegmentRow> = people
        .iter()
        .zip(tiers)
        .map(|(customer, tier)| {
            let [total, last3, earlier3] = revenue.get(&customer.id).copied().unwrap_or_default();
            let growth = trend(last3, earlier3);
            SegmentRow {
                customer_id: customer.id,
                customer_code: customer.code.clone(),
                company_name: customer.company_name.clone(),
                revenue_12m: total,
                value_tier: tier,
                trend: growth.trend,
                growth: growth.growth,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.revenue_12m
            .cmp(&a.revenue_12m)
            .then_with(|| a.customer_code.cmp(&b.customer_code))
    });
    Ok(rows)
}

/// The tier counts and total over the scope, and the rows the filters keep.
pub async fn select(
    db: &impl ConnectionTrait,
    scope: &DataScope,
    period: Period,
    query: &SegmentQuery,
) -> AppResult<(TierCounts, Total, Vec<SegmentRow>)> {
    let rows = segment_rows(db, scope, period).await?;
    let mut counts = TierCounts::default();
    let mut total_revenue = Total::ZERO;
    for row in &rows {
        total_revenue += row.revenue_12m;
        match row.value_tier {
            ValueTier::A => counts.a += 1,
            ValueTier::B => counts.b += 1,
            ValueTier::C => counts.c += 1,
        }
    }
    let tier = choice(
        query.tier.as_deref(),
        "tier",
        ValueTier::parse,
        "价值分层须为 A、B 或 C",
    )?;
    let wanted_trend = choice(
        query.trend.as_deref(),
        "trend",
        Trend::parse,
        "趋势须为 增长、稳定、下滑 或 新增",
    )?;
    let filtered: Vec<SegmentRow> = rows
        .into_iter()
        .filter(|row| tier.is_none_or(|t| row.value_tier == t))
        .filter(|row| wanted_trend.is_none_or(|t| row.trend == t))
        .filter(|row| matches(query.q.as_deref(), &row.customer_code, &row.company_name))
        .collect();
    Ok((counts, total_revenue, filtered))
}

pub async fn segments(
    db: &impl ConnectionTrait,
    scope: &DataScope,
    period: Period,
    query: &SegmentQuery,
    page: PageRequest,
) -> AppResult<Segments> {
    let (counts, total_revenue, filtered) = select(db, scope, period, query).await?;
    let page = paged(filtered, page);
    Ok(Segments {
        period,
        total_revenue,
        counts,
        items: page.items,
        total: page.total,
        page: page.page,
        page_size: page.page_size,
    })
}
