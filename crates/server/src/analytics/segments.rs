//! `GET /analytics/segments`: every customer in scope with its revenue over
//! the 12 periods ending at `period`, its value tier (A/B/C) and its trend.

use opcms_domain::analytics::{TierCuts, Trend, ValueTier};
use opcms_domain::money::Total;
use opcms_domain::{DataScope, Period};
use serde::{Deserialize, Serialize};

use super::facts::{Sql, filtered_page, get, search};
use super::params::choice;
use super::snapshot::{self, Need};
use crate::error::AppResult;
use crate::http::pagination::{Page, PageRequest};
use crate::state::AppState;

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

/// The tier counts and total revenue over the scope, the rows the filters
/// keep (largest revenue first; one page, or all when `page` is None) and
/// how many they are.
pub async fn select(
    state: &AppState,
    scope: &DataScope,
    period: Period,
    query: &SegmentQuery,
    page: Option<PageRequest>,
) -> AppResult<(TierCounts, Total, Vec<SegmentRow>, u64)> {
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
    snapshot::prepare(state, Some(Need::Segments(period))).await?;
    let (cuts, total_revenue) = snapshot::tier_cuts(state, period, scope).await?;
    let counts = TierCounts {
        a: cuts.count_a,
        b: cuts.count_b,
        c: cuts.count_c,
    };
    let db = &state.db;
    let filter = |sql: &mut Sql| {
        sql.sql(" FROM analytics_segment_rows WHERE period = ")
            .bind(period.key())
            .owners(scope, "owner_id");
        if let Some(trend) = wanted_trend {
            sql.sql(" AND trend = ").bind(trend.label());
        }
        if let Some(tier) = tier {
            tier_condition(sql, &cuts, tier);
        }
        search(sql, query.q.as_deref());
    };
    let (found, total) = filtered_page(
        db,
        "customer_id, customer_code, company_name, code_key, revenue_12m, trend, growth",
        filter,
        "revenue_12m DESC, code_key",
        page,
    )
    .await?;
    let rows = found
        .iter()
        .map(|row| {
            let revenue = Total::from_units(i128::from(get::<i64>(row, "revenue_12m")?));
            let code_key: Vec<u8> = get(row, "code_key")?;
            let trend: String = get(row, "trend")?;
            Ok(SegmentRow {
                customer_id: get(row, "customer_id")?,
                customer_code: get(row, "customer_code")?,
                company_name: get(row, "company_name")?,
                revenue_12m: revenue,
                value_tier: cuts.tier(revenue, &code_key),
                trend: Trend::parse(&trend).unwrap_or(Trend::Stable),
                growth: get(row, "growth")?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok((counts, total_revenue, rows, total))
}

/// `AND` the row ranks in `tier` by the cuts: at or above A's cut for A,
/// below it and at or above B's for B, below both for C.
fn tier_condition(sql: &mut Sql, cuts: &TierCuts<Vec<u8>>, tier: ValueTier) {
    let within = |sql: &mut Sql, cut: &Option<(Total, Vec<u8>)>| match cut {
        None => {
            sql.sql("(1 = 0)");
        }
        Some((revenue, code)) => {
            let revenue = i64::try_from(revenue.units()).unwrap_or(i64::MAX);
            sql.sql("(revenue_12m > ")
                .bind(revenue)
                .sql(" OR (revenue_12m = ")
                .bind(revenue)
                .sql(" AND code_key <= ")
                .bind(code.clone())
                .sql("))");
        }
    };
    match tier {
        ValueTier::A => {
            sql.sql(" AND ");
            within(sql, &cuts.a);
        }
        ValueTier::B => {
            sql.sql(" AND NOT ");
            within(sql, &cuts.a);
            sql.sql(" AND ");
            within(sql, &cuts.b);
        }
        ValueTier::C => {
            sql.sql(" AND NOT ");
            within(sql, &cuts.a);
            sql.sql(" AND NOT ");
            within(sql, &cuts.b);
        }
    }
}

pub async fn segments(
    state: &AppState,
    scope: &DataScope,
    period: Period,
    query: &SegmentQuery,
    page: PageRequest,
) -> AppResult<Segments> {
    let (counts, total_revenue, items, total) = select(state, scope, period, query, Some(page)).await?;
    let page = Page::new(items, total, page);
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
