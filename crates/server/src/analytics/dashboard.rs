//! `GET /analytics/dashboard`: management's month at a glance (DESIGN.md §9),
//! and `GET /analytics/customers`, the customers behind the new/lost counts.

use std::collections::HashMap;

use axum::Json;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, NaiveTime, TimeZone};
use opcms_domain::analytics::rate;
use opcms_domain::billing::AgingBucket;
use opcms_domain::money::Total;
use opcms_domain::{DataScope, Period};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::time::Duration;

use super::facts::{Sql, get, split_sum};
use super::params::months_ending;
use super::snapshot;
use crate::calendar::{business_today, china};
use crate::db::SplitUnits;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// How many customers the dashboard ranks.
const TOP_CUSTOMERS: usize = 10;
/// How many months the trend shows.
const TREND_MONTHS: usize = 12;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    #[schema(value_type = String, example = "2026-11")]
    pub period: Period,
    /// The day overdue money is counted on (today).
    pub as_of: NaiveDate,
    /// 应收: Σ total of the period's issued bills.
    #[schema(value_type = String)]
    pub receivable: Total,
    /// 实收: Σ live receipts dated in the month.
    #[schema(value_type = String)]
    pub received: Total,
    /// 已回款: Σ live allocations to the period's bills.
    #[schema(value_type = String)]
    pub collected: Total,
    /// collected ÷ receivable, four places; null when nothing is receivable.
    #[schema(required = true)]
    pub collection_rate: Option<String>,
    /// receivable − collected.
    #[schema(value_type = String)]
    pub outstanding: Total,
    pub overdue: Overdue,
    pub new_customers: u64,
    pub lost_customers: u64,
    pub usage_by_series: SeriesQuantities,
    /// The 10 customers with the most receivable in the period.
    pub top_customers: Vec<TopCustomer>,
    /// The 12 months ending at `period`, oldest first.
    pub trend: Vec<TrendPoint>,
}

/// Money past its due date on `as_of`, over all bills, by age.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Overdue {
    #[schema(value_type = String)]
    pub total: Total,
    pub buckets: OverdueBuckets,
}

#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct OverdueBuckets {
    #[serde(rename = "1-30")]
    #[schema(value_type = String, rename = "1-30")]
    pub d1_30: Total,
    #[serde(rename = "31-60")]
    #[schema(value_type = String, rename = "31-60")]
    pub d31_60: Total,
    #[serde(rename = "61-90")]
    #[schema(value_type = String, rename = "61-90")]
    pub d61_90: Total,
    #[serde(rename = "90+")]
    #[schema(value_type = String, rename = "90+")]
    pub d90_plus: Total,
}

/// Quantities by device series, as decimal text.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct SeriesQuantities {
    #[serde(rename = "X")]
    #[schema(value_type = String, rename = "X")]
    pub x: Total,
    #[serde(rename = "N")]
    #[schema(value_type = String, rename = "N")]
    pub n: Total,
    #[serde(rename = "L")]
    #[schema(value_type = String, rename = "L")]
    pub l: Total,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TopCustomer {
    pub customer_id: i64,
    pub customer_code: String,
    pub company_name: String,
    #[schema(value_type = String)]
    pub revenue: Total,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TrendPoint {
    #[schema(value_type = String, example = "2026-11")]
    pub period: Period,
    #[schema(value_type = String)]
    pub receivable: Total,
    #[schema(value_type = String)]
    pub collected: Total,
}

/// How long a cached dashboard is kept. Its key holds the snapshots'
/// generation, so a write anywhere (on any instance) makes the next read
/// miss; this only bounds Redis's memory.
const CACHED_FOR: Duration = Duration::from_secs(600);

/// The dashboard as its JSON response, from the shared cache (Redis) when
/// one holds it for the current snapshots, else computed and kept there.
pub async fn dashboard_response(state: &AppState, scope: &DataScope, period: Period) -> AppResult<Response> {
    let Some(shared) = &state.shared else {
        return Ok(Json(dashboard(state, scope, period).await?).into_response());
    };
    snapshot::prepare(state, None).await?;
    let key = cache_key(snapshot::generation(&state.db).await?, business_today(), period, scope);
    if let Some(body) = shared.get(&key).await {
        return Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response());
    }
    let body = serde_json::to_vec(&dashboard(state, scope, period).await?)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("dashboard JSON: {e}")))?;
    shared.put(&key, &body, CACHED_FOR).await;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// What a cached dashboard is valid for: the snapshots' generation (moved
/// by every refresh, which every write's change mark forces before a read),
/// the day overdue money is counted on, the month, and whose customers.
fn cache_key(generation: i64, as_of: NaiveDate, period: Period, scope: &DataScope) -> String {
    let scope = match scope {
        DataScope::All => "all".to_string(),
        DataScope::Owners(ids) => {
            let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            let digest = Sha256::digest(list.as_bytes());
            digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
        }
    };
    format!("dashboard:{generation}:{as_of}:{}:{scope}", period.key())
}

pub async fn dashboard(state: &AppState, scope: &DataScope, period: Period) -> AppResult<Dashboard> {
    snapshot::prepare(state, None).await?;
    // Seven reads on one connection, in one snapshot: each read on its own
    // would wait its turn for a pool connection again, and under load that
    // wait, seven times over, was most of the dashboard's time.
    let txn = state.db.begin().await?;
    let db = &txn;
    let as_of = business_today();
    let trend = trend(db, scope, period).await?;
    let (receivable, collected) = trend
        .last()
        .map_or((Total::ZERO, Total::ZERO), |p| (p.receivable, p.collected));
    let (received, usage_by_series) = month_sums(db, scope, period).await?;
    let dashboard = Dashboard {
        period,
        as_of,
        receivable,
        received,
        collected,
        collection_rate: rate(collected, receivable),
        outstanding: receivable - collected,
        overdue: overdue(db, scope, as_of).await?,
        new_customers: new_customers(db, scope, period).await?.len() as u64,
        lost_customers: lost_customers(db, scope, period).await?.len() as u64,
        usage_by_series,
        top_customers: top_customers(db, scope, period).await?,
        trend,
    };
    txn.commit().await?;
    Ok(dashboard)
}

/// Receivable and collected of the 12 months, from the owners' month sums.
async fn trend(db: &impl ConnectionTrait, scope: &DataScope, period: Period) -> AppResult<Vec<TrendPoint>> {
    let months = months_ending(period, TREND_MONTHS);
    let first = months.first().copied().unwrap_or(period);
    let mut sql = Sql::new(db);
    sql.sql("SELECT period")
        .split_sum(&["receivable"], "receivable")
        .split_sum(&["collected"], "collected")
        .sql(" FROM analytics_owner_months WHERE period BETWEEN ")
        .bind(first.key())
        .sql(" AND ")
        .bind(period.key())
        .owners(scope, "owner_id")
        .sql(" GROUP BY period");
    let mut by_period = HashMap::new();
    for row in sql.all(db).await? {
        let key: i32 = get(&row, "period")?;
        by_period.insert(key, (split_sum(&row, "receivable")?, split_sum(&row, "collected")?));
    }
    Ok(months
        .into_iter()
        .map(|period| {
            let (receivable, collected) = by_period.get(&period.key()).copied().unwrap_or_default();
            TrendPoint {
                period,
                receivable,
                collected,
            }
        })
        .collect())
}

/// 实收 of the month and its usage by series.
async fn month_sums(
    db: &impl ConnectionTrait,
    scope: &DataScope,
    period: Period,
) -> AppResult<(Total, SeriesQuantities)> {
    let mut sql = Sql::new(db);
    sql.sql("SELECT COUNT(*) AS n")
        .split_sum(&["received"], "received")
        .split_sum(&["usage_x"], "x")
        .split_sum(&["usage_n"], "n_")
        .split_sum(&["usage_l"], "l")
        .sql(" FROM analytics_owner_months WHERE period = ")
        .bind(period.key())
        .owners(scope, "owner_id");
    match sql.all(db).await?.first() {
        Some(row) => Ok((
            split_sum(row, "received")?,
            SeriesQuantities {
                x: split_sum(row, "x")?,
                n: split_sum(row, "n_")?,
                l: split_sum(row, "l")?,
            },
        )),
        None => Ok((Total::ZERO, SeriesQuantities::default())),
    }
}

async fn overdue(db: &impl ConnectionTrait, scope: &DataScope, as_of: NaiveDate) -> AppResult<Overdue> {
    let mut sql = Sql::new(db);
    sql.sql("SELECT due_date")
        .split_sum(&["open"], "open")
        .sql(" FROM analytics_owner_dues WHERE due_date < ")
        .bind(as_of)
        .owners(scope, "owner_id")
        .sql(" GROUP BY due_date");
    let mut overdue = Overdue::default();
    for row in sql.all(db).await? {
        let due: NaiveDate = get(&row, "due_date")?;
        let open = split_sum(&row, "open")?;
        let buckets = &mut overdue.buckets;
        let slot = match AgingBucket::of((as_of - due).num_days()) {
            Some(AgingBucket::Days1To30) => &mut buckets.d1_30,
            Some(AgingBucket::Days31To60) => &mut buckets.d31_60,
            Some(AgingBucket::Days61To90) => &mut buckets.d61_90,
            Some(AgingBucket::Over90) => &mut buckets.d90_plus,
            None => continue,
        };
        *slot += open;
        overdue.total += open;
    }
    Ok(overdue)
}

/// The customers with the most receivable in the period (ties by code).
async fn top_customers(db: &impl ConnectionTrait, scope: &DataScope, period: Period) -> AppResult<Vec<TopCustomer>> {
    let mut sql = Sql::new(db);
    sql.sql(
        "SELECT m.customer_id, c.customer_code, c.company_name, m.receivable_hi, m.receivable_lo \
         FROM analytics_customer_months m JOIN customers c ON c.id = m.customer_id WHERE m.period = ",
    )
    .bind(period.key())
    .sql(" AND m.bills > 0")
    .owners(scope, "m.owner_id")
    .sql(&format!(
        " ORDER BY m.receivable_hi DESC, m.receivable_lo DESC, m.code_key LIMIT {TOP_CUSTOMERS}"
    ));
    sql.all(db)
        .await?
        .iter()
        .map(|row| {
            Ok(TopCustomer {
                customer_id: get(row, "customer_id")?,
                customer_code: get(row, "customer_code")?,
                company_name: get(row, "company_name")?,
                revenue: SplitUnits {
                    hi: get(row, "receivable_hi")?,
                    lo: get(row, "receivable_lo")?,
                }
                .total(),
            })
        })
        .collect()
}

/// A customer behind the new or lost count, with the day it counts from.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AnalyticsCustomer {
    pub customer_id: i64,
    pub customer_code: String,
    pub company_name: String,
    /// Signed (new) or closed (lost) on this day.
    pub at: NaiveDate,
}

/// Customers signed in the month (`signed_at` in it).
pub async fn new_customers(
    db: &impl ConnectionTrait,
    scope: &DataScope,
    period: Period,
) -> AppResult<Vec<AnalyticsCustomer>> {
    let mut sql = Sql::new(db);
    sql.sql("SELECT id, customer_code, company_name, signed_at FROM customers WHERE is_deleted = ")
        .bind(false)
        .sql(" AND signed_at BETWEEN ")
        .bind(period.first_day())
        .sql(" AND ")
        .bind(period.last_day())
        .scope(scope, "id")
        .sql(" ORDER BY signed_at, customer_code");
    sql.all(db)
        .await?
        .iter()
        .map(|row| {
            Ok(AnalyticsCustomer {
                customer_id: get(row, "id")?,
                customer_code: get(row, "customer_code")?,
                company_name: get(row, "company_name")?,
                at: get(row, "signed_at")?,
            })
        })
        .collect()
}

/// Customers whose status changed to `closed` in the month (status history,
/// in business time); one entry each, on its first closing in the month. A
/// customer created or imported as closed is not counted.
pub async fn lost_customers(
    db: &impl ConnectionTrait,
    scope: &DataScope,
    period: Period,
) -> AppResult<Vec<AnalyticsCustomer>> {
    let start = month_start(period.first_day());
    let end = period.next().map(|p| month_start(p.first_day()));
    let mut sql = Sql::new(db);
    sql.sql(
        "SELECT h.customer_id, c.customer_code, c.company_name, MIN(h.at) AS closed_at \
         FROM customer_status_history h JOIN customers c ON c.id = h.customer_id \
         WHERE h.to_status = ",
    )
    .bind("closed")
    // A customer created (or imported) as closed was never lost.
    .sql(" AND h.from_status IS NOT NULL AND h.from_status <> ")
    .bind("closed")
    .sql(" AND c.is_deleted = ")
    .bind(false)
    .sql(" AND h.at >= ")
    .bind(start);
    if let Some(end) = end {
        sql.sql(" AND h.at < ").bind(end);
    }
    sql.scope(scope, "h.customer_id")
        .sql(" GROUP BY h.customer_id, c.customer_code, c.company_name");
    let mut rows = sql
        .all(db)
        .await?
        .iter()
        .map(|row| {
            let at: chrono::DateTime<chrono::Utc> = get(row, "closed_at")?;
            Ok(AnalyticsCustomer {
                customer_id: get(row, "customer_id")?,
                customer_code: get(row, "customer_code")?,
                company_name: get(row, "company_name")?,
                at: at.with_timezone(&china()).date_naive(),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    rows.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.customer_code.cmp(&b.customer_code)));
    Ok(rows)
}

/// Midnight of `day` in business time, as the instant stored.
fn month_start(day: NaiveDate) -> chrono::DateTime<chrono::Utc> {
    china()
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .single()
        .map(|at| at.with_timezone(&chrono::Utc))
        .unwrap_or_else(|| day.and_time(NaiveTime::MIN).and_utc())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_cached_dashboard_is_only_shared_by_reads_of_the_same_snapshots_day_month_and_scope() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 4).expect("day");
        let month: Period = "2026-11".parse().expect("period");
        let team = DataScope::Owners(Arc::from(vec![3, 7]));
        let key = cache_key(41, day, month, &team);
        assert_eq!(
            key,
            cache_key(41, day, month, &DataScope::Owners(Arc::from(vec![3, 7])))
        );
        for other in [
            cache_key(42, day, month, &team),
            cache_key(41, day.succ_opt().expect("day"), month, &team),
            cache_key(41, day, "2026-10".parse().expect("period"), &team),
            cache_key(41, day, month, &DataScope::Owners(Arc::from(vec![3]))),
            cache_key(41, day, month, &DataScope::All),
        ] {
            assert_ne!(key, other);
        }
    }
}
