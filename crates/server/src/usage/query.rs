//! Reading usage: daily records, a month's daily series for a chart, the
//! monthly table (from `usage_monthly`), one customer's trend, a record's
//! revisions. The shapes they answer are in [`super::model`].

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use opcms_domain::customer::Series;
use opcms_domain::money::Total;
use opcms_domain::usage::quantity_text;
use opcms_domain::{Fixed4, Period};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::entity::{daily, monthly, record, revision};
use super::model::*;
use crate::customers::entity::customer;
use crate::db::raw::RawSql;
use crate::db::{contains_pattern, read_wide_sum, wide_sum_sql};
use crate::error::{AppError, AppResult};
use crate::http::pagination::PageRequest;
use crate::users::{UserRef, display_names};

/// A customer as usage views name it.
#[derive(Debug, Clone)]
pub struct CustomerLabel {
    pub code: String,
    pub name: String,
}

/// Codes and names of live customers, in one query per 500.
pub async fn customer_labels(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> AppResult<HashMap<i64, CustomerLabel>> {
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let mut labels = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, String, String)> = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .column(customer::Column::CustomerCode)
            .column(customer::Column::CompanyName)
            .filter(customer::Column::Id.is_in(chunk.to_vec()))
            .filter(customer::Column::IsDeleted.eq(false))
            .into_tuple()
            .all(db)
            .await?;
        labels.extend(
            rows.into_iter()
                .map(|(id, code, name)| (id, CustomerLabel { code, name })),
        );
    }
    Ok(labels)
}

pub fn parse_month(text: &str, field: &str) -> AppResult<Period> {
    Period::parse(text.trim()).map_err(|_| AppError::field(field, "INVALID_MONTH", "月份格式应为 YYYY-MM"))
}

pub fn parse_series(text: &str, field: &str) -> AppResult<Series> {
    opcms_domain::usage::parse_series(&opcms_domain::usage::RawValue::text(text))
        .ok_or_else(|| AppError::field(field, "INVALID_CHOICE", "设备系列须为 X、N 或 L"))
}

pub fn parse_day(text: &str, field: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::field(field, "INVALID_DATE", "日期格式应为 YYYY-MM-DD"))
}

pub async fn list_records(
    db: &DatabaseConnection,
    query: &RecordQuery,
    page: PageRequest,
) -> AppResult<(Vec<RecordView>, u64)> {
    let mut find = record::Entity::find();
    if let Some(id) = query.customer_id {
        find = find.filter(record::Column::CustomerId.eq(id));
    }
    if let Some(series) = query.series.as_deref().filter(|s| !s.is_empty()) {
        find = find.filter(record::Column::Series.eq(parse_series(series, "series")?.code()));
    }
    if let Some(month) = query.month.as_deref().filter(|s| !s.is_empty()) {
        find = find.filter(record::Column::Month.eq(parse_month(month, "month")?.key()));
    }
    if let Some(from) = query.from.as_deref().filter(|s| !s.is_empty()) {
        find = find.filter(record::Column::Day.gte(parse_day(from, "from")?));
    }
    if let Some(to) = query.to.as_deref().filter(|s| !s.is_empty()) {
        find = find.filter(record::Column::Day.lte(parse_day(to, "to")?));
    }
    if let Some(source) = query.source.as_deref().filter(|s| !s.is_empty()) {
        find = find.filter(record::Column::Source.eq(source));
    }
    let total = match kept_count(db, query).await? {
        Some(total) => total,
        None => find.clone().count(db).await?,
    };
    // Newest day first, newest record first within it: the order of the
    // `(month, day)` index, so the first page reads 20 entries, not a month.
    let rows = find
        .order_by_desc(record::Column::Day)
        .order_by_desc(record::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(db)
        .await?;
    Ok((record_views(db, rows).await?, total))
}

/// The number of records of a filter on month, customer and series only,
/// from the kept monthly counts (a month is 9.3 million records at 100,000
/// customers; counting them would take seconds).
async fn kept_count(db: &DatabaseConnection, query: &RecordQuery) -> AppResult<Option<u64>> {
    let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
    if given(&query.from) || given(&query.to) || given(&query.source) {
        return Ok(None);
    }
    let mut sql = RawSql::new(db.get_database_backend());
    sql.sql("SELECT CAST(COALESCE(SUM(record_count), 0) AS BIGINT) AS n FROM usage_monthly WHERE 1 = 1");
    if let Some(id) = query.customer_id {
        sql.sql(" AND customer_id = ").bind(id);
    }
    if let Some(series) = query.series.as_deref().filter(|s| !s.is_empty()) {
        sql.sql(" AND series = ").bind(parse_series(series, "series")?.code());
    }
    if let Some(month) = query.month.as_deref().filter(|s| !s.is_empty()) {
        sql.sql(" AND month = ").bind(parse_month(month, "month")?.key());
    }
    let row = db.query_one_raw(cast_fix(sql)).await?;
    let n: i64 = match row {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    Ok(Some(n.max(0) as u64))
}

pub async fn record_views(db: &impl ConnectionTrait, rows: Vec<record::Model>) -> AppResult<Vec<RecordView>> {
    let labels = customer_labels(db, rows.iter().map(|r| r.customer_id)).await?;
    let names = display_names(db, rows.iter().filter_map(|r| r.updated_by)).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let label = labels.get(&r.customer_id);
            RecordView {
                id: r.id,
                customer_id: r.customer_id,
                customer_code: label.map(|l| l.code.clone()),
                company_name: label.map(|l| l.name.clone()),
                series: r.series,
                day: r.day,
                quantity: quantity_text(Fixed4::from_units(r.quantity)),
                source: r.source,
                source_id: r.source_id,
                revisions: r.revisions,
                version: r.revisions,
                updated_at: r.updated_at,
                updated_by: r.updated_by.map(|id| UserRef::named(id, &names)),
            }
        })
        .collect())
}

fn texts(units: PerSeries<Vec<i64>>) -> PerSeries<Vec<String>> {
    let text = |v: Vec<i64>| v.into_iter().map(|u| quantity_text(Fixed4::from_units(u))).collect();
    PerSeries {
        x: text(units.x),
        n: text(units.n),
        l: text(units.l),
    }
}

#[derive(FromQueryResult)]
struct DaySum {
    day: NaiveDate,
    series: String,
    quantity: i64,
}

fn required_month(month: Option<&str>) -> AppResult<Period> {
    match month.filter(|m| !m.trim().is_empty()) {
        Some(m) => parse_month(m, "month"),
        None => Err(AppError::field("month", "REQUIRED", "请选择月份")),
    }
}

fn days_of(period: Period) -> Vec<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(period.year(), period.month(), 1).unwrap_or_default();
    first.iter_days().take_while(|d| d.month() == period.month()).collect()
}

pub async fn daily(db: &DatabaseConnection, query: &DailyQuery) -> AppResult<DailySeries> {
    let period = required_month(query.month.as_deref())?;
    let series_filter = match query.series.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(parse_series(s, "series")?),
        None => None,
    };
    let days = days_of(period);
    let sums: Vec<DaySum> = match query.customer_id {
        // One customer: its records of the month (one index range).
        Some(id) => {
            let mut sql = RawSql::new(db.get_database_backend());
            sql.sql("SELECT day, series, CAST(SUM(quantity) AS BIGINT) AS quantity FROM usage_records WHERE month = ")
                .bind(period.key())
                .sql(" AND customer_id = ")
                .bind(id);
            if let Some(series) = series_filter {
                sql.sql(" AND series = ").bind(series.code());
            }
            sql.sql(" GROUP BY day, series");
            DaySum::find_by_statement(cast_fix(sql)).all(db).await?
        }
        // Every customer: the kept daily totals.
        None => {
            let (first, last) = (days[0], days[days.len() - 1]);
            let mut find = daily::Entity::find().filter(daily::Column::Day.between(first, last));
            if let Some(series) = series_filter {
                find = find.filter(daily::Column::Series.eq(series.code()));
            }
            find.all(db)
                .await?
                .into_iter()
                .map(|d| DaySum {
                    day: d.day,
                    series: d.series,
                    quantity: d.quantity,
                })
                .collect()
        }
    };
    let mut units = PerSeries {
        x: vec![0; days.len()],
        n: vec![0; days.len()],
        l: vec![0; days.len()],
    };
    for sum in sums {
        let (Some(series), Some(index)) = (Series::parse(&sum.series), days.iter().position(|d| *d == sum.day)) else {
            continue;
        };
        units.get_mut(series)[index] = sum.quantity;
    }
    Ok(DailySeries {
        month: period.to_string(),
        days,
        series: texts(units),
    })
}

/// A quantity total as quantities read ("1000.5"); past a `Decimal`'s
/// range (2^33 rows of the largest quantity) in the amount form instead.
fn total_text(total: Total) -> String {
    total
        .to_decimal()
        .map_or_else(|| total.to_string(), |d| d.normalize().to_string())
}

/// MySQL casts to `SIGNED`, not `BIGINT`; the others accept `BIGINT`.
/// (`SUM` of a BIGINT is DECIMAL on MySQL and NUMERIC on PostgreSQL, which
/// would not read back as i64.)
fn cast_fix(sql: RawSql) -> sea_orm::Statement {
    let backend = sql.backend();
    let mut statement = sql.build();
    if backend == sea_orm::DbBackend::MySql {
        statement.sql = statement.sql.replace("AS BIGINT)", "AS SIGNED)");
    }
    statement
}

#[derive(FromQueryResult)]
struct MonthlySums {
    customer_id: i64,
    customer_code: String,
    company_name: String,
    x: i64,
    n: i64,
    l: i64,
}

const PER_SERIES_SUMS: &str = "CAST(SUM(CASE WHEN m.series = 'X' THEN m.quantity ELSE 0 END) AS BIGINT) AS x, \
     CAST(SUM(CASE WHEN m.series = 'N' THEN m.quantity ELSE 0 END) AS BIGINT) AS n, \
     CAST(SUM(CASE WHEN m.series = 'L' THEN m.quantity ELSE 0 END) AS BIGINT) AS l";

fn monthly_filter(sql: &mut RawSql, period: Period, query: &MonthlyQuery) {
    sql.sql(" FROM usage_monthly m JOIN customers c ON c.id = m.customer_id WHERE m.month = ")
        .bind(period.key())
        .sql(" AND m.record_count > 0");
    if let Some(id) = query.customer_id {
        sql.sql(" AND m.customer_id = ").bind(id);
    }
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = contains_pattern(q);
        sql.sql(" AND (c.customer_code LIKE ")
            .bind(pattern.clone())
            .sql(" ESCAPE '!' OR c.company_name LIKE ")
            .bind(pattern)
            .sql(" ESCAPE '!')");
    }
}

pub async fn monthly_table(db: &DatabaseConnection, query: &MonthlyQuery, page: PageRequest) -> AppResult<MonthlyPage> {
    let period = required_month(query.month.as_deref())?;
    let backend = db.get_database_backend();

    // The totals row adds up every customer's month: a wide sum, which
    // cannot overflow however many customers and however large their usage.
    let mut totals_sql = RawSql::new(backend);
    totals_sql.sql("SELECT CAST(COUNT(DISTINCT m.customer_id) AS BIGINT) AS customers");
    for series in [Series::X, Series::N, Series::L] {
        let code = series.code();
        let expr = format!("CASE WHEN m.series = '{code}' THEN m.quantity ELSE 0 END");
        // Lower case: PostgreSQL folds unquoted names.
        totals_sql
            .sql(", ")
            .sql(&wide_sum_sql(backend, &expr, &code.to_lowercase()));
    }
    monthly_filter(&mut totals_sql, period, query);
    let (customers, sums) = match db.query_one_raw(cast_fix(totals_sql)).await? {
        Some(row) => {
            let customers: i64 = row.try_get("", "customers")?;
            let sum = |code: &str| read_wide_sum(&row, code);
            (customers, [sum("x")?, sum("n")?, sum("l")?])
        }
        None => (0, [Total::ZERO; 3]),
    };

    let mut rows_sql = RawSql::new(backend);
    rows_sql.sql("SELECT m.customer_id AS customer_id, MIN(c.customer_code) AS customer_code, MIN(c.company_name) AS company_name, ");
    rows_sql.sql(PER_SERIES_SUMS);
    monthly_filter(&mut rows_sql, period, query);
    rows_sql
        .sql(" GROUP BY m.customer_id ORDER BY MIN(c.customer_code), m.customer_id LIMIT ")
        .bind(page.page_size as i64)
        .sql(" OFFSET ")
        .bind(page.offset() as i64);
    let rows = if (customers.max(0) as u64) > page.offset() {
        MonthlySums::find_by_statement(cast_fix(rows_sql)).all(db).await?
    } else {
        Vec::new()
    };

    let ids: Vec<i64> = rows.iter().map(|r| r.customer_id).collect();
    let days: HashMap<i64, i64> = if ids.is_empty() {
        HashMap::new()
    } else {
        record::Entity::find()
            .select_only()
            .column(record::Column::CustomerId)
            .column_as(
                Expr::expr(sea_orm::sea_query::Func::count_distinct(Expr::col(record::Column::Day))),
                "days",
            )
            .filter(record::Column::Month.eq(period.key()))
            .filter(record::Column::CustomerId.is_in(ids))
            .group_by(record::Column::CustomerId)
            .into_tuple::<(i64, i64)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    let text = |units: i64| quantity_text(Fixed4::from_units(units));
    Ok(MonthlyPage {
        items: rows
            .into_iter()
            .map(|r| MonthlyRow {
                days: days.get(&r.customer_id).copied().unwrap_or(0),
                customer_id: r.customer_id,
                customer_code: r.customer_code,
                company_name: r.company_name,
                x: text(r.x),
                n: text(r.n),
                l: text(r.l),
            })
            .collect(),
        total: customers.max(0) as u64,
        page: page.page,
        page_size: page.page_size,
        totals: PerSeries {
            x: total_text(sums[0]),
            n: total_text(sums[1]),
            l: total_text(sums[2]),
        },
    })
}

/// Every customer's monthly totals for a period, keyed by customer, in
/// units of 0.0001: what billing reads (one indexed range of
/// `usage_monthly`).
pub async fn month_totals(
    db: &impl ConnectionTrait,
    period: Period,
) -> AppResult<BTreeMap<i64, PerSeries<Option<Fixed4>>>> {
    let rows: Vec<(i64, String, i64)> = monthly::Entity::find()
        .select_only()
        .column(monthly::Column::CustomerId)
        .column(monthly::Column::Series)
        .column(monthly::Column::Quantity)
        .filter(monthly::Column::Month.eq(period.key()))
        .filter(monthly::Column::RecordCount.gt(0))
        .into_tuple()
        .all(db)
        .await?;
    let mut totals: BTreeMap<i64, PerSeries<Option<Fixed4>>> = BTreeMap::new();
    for (customer_id, series, units) in rows {
        if let Some(series) = Series::parse(&series) {
            *totals.entry(customer_id).or_default().get_mut(series) = Some(Fixed4::from_units(units));
        }
    }
    Ok(totals)
}

pub async fn trend(db: &DatabaseConnection, query: &TrendQuery, today: NaiveDate) -> AppResult<Trend> {
    let customer_id = query
        .customer_id
        .ok_or_else(|| AppError::field("customer_id", "REQUIRED", "请选择客户"))?;
    if customer_labels(db, [customer_id]).await?.is_empty() {
        return Err(AppError::not_found("客户"));
    }
    let count = query.months.unwrap_or(12);
    if !(1..=36).contains(&count) {
        return Err(AppError::field("months", "OUT_OF_RANGE", "月数须为 1 到 36"));
    }
    let mut periods = vec![Period::of_date(today)];
    while periods.len() < count as usize {
        let Some(previous) = periods.last().and_then(|p| p.previous()) else {
            break;
        };
        periods.push(previous);
    }
    periods.reverse();
    let first = periods[0].key();
    let last = periods[periods.len() - 1].key();
    let rows: Vec<(i32, String, i64)> = monthly::Entity::find()
        .select_only()
        .column(monthly::Column::Month)
        .column(monthly::Column::Series)
        .column(monthly::Column::Quantity)
        .filter(monthly::Column::CustomerId.eq(customer_id))
        .filter(monthly::Column::Month.between(first, last))
        .into_tuple()
        .all(db)
        .await?;
    let mut units = PerSeries {
        x: vec![0; periods.len()],
        n: vec![0; periods.len()],
        l: vec![0; periods.len()],
    };
    for (month, series, quantity) in rows {
        let (Some(series), Some(index)) = (Series::parse(&series), periods.iter().position(|p| p.key() == month))
        else {
            continue;
        };
        units.get_mut(series)[index] = quantity;
    }
    Ok(Trend {
        months: periods.iter().map(|p| p.to_string()).collect(),
        series: texts(units),
    })
}

pub async fn revisions(db: &DatabaseConnection, record_id: i64) -> AppResult<Vec<RevisionView>> {
    find_record(db, record_id).await?;
    let rows = revision::Entity::find()
        .filter(revision::Column::RecordId.eq(record_id))
        .order_by_desc(revision::Column::Id)
        .all(db)
        .await?;
    let names = display_names(db, rows.iter().filter_map(|r| r.changed_by)).await?;
    Ok(rows
        .into_iter()
        .map(|r| RevisionView {
            id: r.id,
            quantity_before: quantity_text(Fixed4::from_units(r.quantity_before)),
            quantity_after: quantity_text(Fixed4::from_units(r.quantity_after)),
            cause: r.cause,
            reason: r.reason,
            changed_at: r.changed_at,
            changed_by: r.changed_by.map(|id| UserRef::named(id, &names)),
            changed_by_name: r.changed_by_name,
        })
        .collect())
}

pub async fn find_record(db: &impl ConnectionTrait, id: i64) -> AppResult<record::Model> {
    record::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("用量记录"))
}
