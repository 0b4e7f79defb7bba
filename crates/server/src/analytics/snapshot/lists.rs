//! The list snapshots: the segments of a period, the churn flags, the
//! credit scores and the aging on a day, one row per (live) customer (for
//! aging, per customer with money open or unapplied), computed by the same
//! functions that define the figures. A snapshot is built whole the first
//! time its period or day is read; afterwards only the rows of the customers
//! that changed are recomputed: by the refresh a read of that snapshot (or
//! the nightly job) runs, while a refresh for another read leaves them
//! marked in `analytics_list_changes` for the snapshot's own next reader.

use chrono::{DateTime, NaiveDate, Utc};
use opcms_domain::Period;
use opcms_domain::analytics::{ChurnRules, Risk};
use opcms_domain::money::Total;
use sea_orm::{ConnectionTrait, DatabaseTransaction, Set, Value};

use super::entity::{aging_row, churn_row, credit_row, segment_row};
use super::facts::{fits, split_each};
use crate::analytics::compute::{aging, churn, credit, segments};
use crate::analytics::facts::{CustomerFacts, Sql, get};
use crate::calendar::business_instant;
use crate::db::bulk;
use crate::db::raw::RawSql;
use crate::error::{AppError, AppResult};

/// A list snapshot a read needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Segments(Period),
    Churn(NaiveDate, ChurnRules),
    Credit(NaiveDate),
    Aging(NaiveDate),
}

impl Need {
    fn view(&self) -> &'static str {
        match self {
            Need::Segments(_) => "segments",
            Need::Churn(..) => "churn",
            Need::Credit(_) => "credit",
            Need::Aging(_) => "aging",
        }
    }

    fn key(&self) -> String {
        match self {
            Need::Segments(period) => period.to_string(),
            Need::Churn(day, _) | Need::Credit(day) | Need::Aging(day) => day.format("%Y-%m-%d").to_string(),
        }
    }

    /// The settings the rows were computed with: a churn snapshot built
    /// under other thresholds is built again.
    fn rules(&self) -> Option<String> {
        match self {
            Need::Churn(_, rules) => Some(rules_text(*rules)),
            _ => None,
        }
    }

    fn table(&self) -> (&'static str, &'static str) {
        match self {
            Need::Segments(_) => ("analytics_segment_rows", "period"),
            Need::Churn(..) => ("analytics_churn_rows", "as_of"),
            Need::Credit(_) => ("analytics_credit_rows", "as_of"),
            Need::Aging(_) => ("analytics_aging_rows", "as_of"),
        }
    }

    /// Whether the two name the same snapshot (churn whatever the rules).
    pub(super) fn same_snapshot(&self, other: &Need) -> bool {
        self.view() == other.view() && self.key() == other.key()
    }

    fn key_value(&self) -> Value {
        match self {
            Need::Segments(period) => Value::from(period.key()),
            Need::Churn(day, _) | Need::Credit(day) | Need::Aging(day) => Value::from(*day),
        }
    }

    fn parse(view: &str, key: &str, rules: ChurnRules) -> Option<Need> {
        let day = || NaiveDate::parse_from_str(key, "%Y-%m-%d").ok();
        match view {
            "segments" => Period::parse(key).ok().map(Need::Segments),
            "churn" => day().map(|d| Need::Churn(d, rules)),
            "credit" => day().map(Need::Credit),
            "aging" => day().map(Need::Aging),
            _ => None,
        }
    }
}

fn rules_text(rules: ChurnRules) -> String {
    format!("{}/{}/{}", rules.drop_pct, rules.idle_days, rules.contract_ending_days)
}

/// Whether the snapshot exists (and, for churn, under these rules).
pub(super) async fn exists(db: &impl ConnectionTrait, need: &Need) -> AppResult<bool> {
    let mut sql = Sql::new(db);
    sql.sql("SELECT rules FROM analytics_snapshots WHERE view = ")
        .bind(need.view())
        .sql(" AND snap_key = ")
        .bind(need.key());
    let Some(row) = sql.all(db).await?.into_iter().next() else {
        return Ok(false);
    };
    let rules: Option<String> = get(&row, "rules")?;
    Ok(rules == need.rules())
}

/// Every snapshot there is, read back as needs (churn under `rules`), with
/// when each was built.
pub(super) async fn all(db: &impl ConnectionTrait, rules: ChurnRules) -> AppResult<Vec<(Need, DateTime<Utc>)>> {
    let mut sql = Sql::new(db);
    sql.sql("SELECT view, snap_key, built_at FROM analytics_snapshots");
    let mut needs = Vec::new();
    for row in sql.all(db).await? {
        let (view, key): (String, String) = (get(&row, "view")?, get(&row, "snap_key")?);
        if let Some(need) = Need::parse(&view, &key, rules) {
            needs.push((need, get(&row, "built_at")?));
        }
    }
    Ok(needs)
}

/// Stores a snapshot computed whole (`rows` of every customer), replacing
/// any before it, and records it.
pub(super) async fn store(txn: &DatabaseTransaction, need: &Need, rows: Rows) -> AppResult<()> {
    drop_snapshot(txn, need).await?;
    replace(txn, need, None, rows).await?;
    let mut insert = RawSql::new(txn.get_database_backend());
    insert
        .sql("INSERT INTO analytics_snapshots (view, snap_key, rules, built_at) VALUES ")
        .tuple([
            Value::from(need.view()),
            Value::from(need.key()),
            Value::from(need.rules()),
            Value::from(business_instant()),
        ]);
    txn.execute_raw(insert.build()).await?;
    Ok(())
}

/// Removes a snapshot and its rows.
pub(super) async fn drop_snapshot(txn: &DatabaseTransaction, need: &Need) -> AppResult<()> {
    let backend = txn.get_database_backend();
    let (table, column) = need.table();
    let mut delete = RawSql::new(backend);
    delete
        .sql(&format!("DELETE FROM {table} WHERE {column} = "))
        .bind(need.key_value());
    txn.execute_raw(delete.build()).await?;
    if let Need::Segments(period) = need {
        let mut delete = RawSql::new(backend);
        delete
            .sql("DELETE FROM analytics_tier_cuts WHERE period = ")
            .bind(period.key());
        txn.execute_raw(delete.build()).await?;
    }
    clear_marks(txn, need, None).await?;
    let mut delete = RawSql::new(backend);
    delete
        .sql("DELETE FROM analytics_snapshots WHERE view = ")
        .bind(need.view())
        .sql(" AND snap_key = ")
        .bind(need.key());
    txn.execute_raw(delete.build()).await?;
    Ok(())
}

/// Marks the rows of `customers` in each of `needs` for recomputing later
/// (by the snapshot's next reader, or the nightly job).
pub(super) async fn mark(txn: &DatabaseTransaction, needs: &[Need], customers: &[i64]) -> AppResult<()> {
    for need in needs {
        // The refresh holds the cluster's lock: nobody else writes marks.
        clear_marks(txn, need, Some(customers)).await?;
        let mut insert = RawSql::new(txn.get_database_backend());
        insert.sql("INSERT INTO analytics_list_changes (view, snap_key, customer_id) VALUES ");
        for (i, customer) in customers.iter().enumerate() {
            if i > 0 {
                insert.sql(", ");
            }
            insert.tuple([
                Value::from(need.view()),
                Value::from(need.key()),
                Value::from(*customer),
            ]);
        }
        if !customers.is_empty() {
            txn.execute_raw(insert.build()).await?;
        }
    }
    Ok(())
}

/// Up to `limit` customers whose rows in the snapshot are marked.
pub(super) async fn marked(db: &impl ConnectionTrait, need: &Need, limit: u64) -> AppResult<Vec<i64>> {
    let mut sql = Sql::new(db);
    sql.sql("SELECT customer_id FROM analytics_list_changes WHERE view = ")
        .bind(need.view())
        .sql(" AND snap_key = ")
        .bind(need.key())
        .sql(&format!(" ORDER BY customer_id LIMIT {limit}"));
    sql.all(db).await?.iter().map(|row| get(row, "customer_id")).collect()
}

/// Removes the marks of `customers` (all when None) in the snapshot.
pub(super) async fn clear_marks(txn: &DatabaseTransaction, need: &Need, customers: Option<&[i64]>) -> AppResult<()> {
    let mut delete = RawSql::new(txn.get_database_backend());
    delete
        .sql("DELETE FROM analytics_list_changes WHERE view = ")
        .bind(need.view())
        .sql(" AND snap_key = ")
        .bind(need.key());
    if let Some(ids) = customers {
        if ids.is_empty() {
            return Ok(());
        }
        delete
            .sql(" AND customer_id IN ")
            .tuple(ids.iter().map(|id| Value::from(*id)));
    }
    txn.execute_raw(delete.build()).await?;
    Ok(())
}

/// Recomputes the rows of `customers` in every snapshot.
pub(super) async fn refresh(txn: &DatabaseTransaction, needs: &[Need], customers: &[i64]) -> AppResult<()> {
    for need in needs {
        let rows = compute(txn, need, Some(customers)).await?;
        if let (Need::Segments(period), Rows::Segments(_, ranked)) = (need, &rows)
            && ranking(txn, *period, customers).await? != *ranked
        {
            // The ranking moved (revenue, code, owner, or who is listed):
            // the period's tier cuts are computed again on the next read.
            // A receipt or usage leaves it, and the cuts, as they were.
            let mut delete = RawSql::new(txn.get_database_backend());
            delete
                .sql("DELETE FROM analytics_tier_cuts WHERE period = ")
                .bind(period.key());
            txn.execute_raw(delete.build()).await?;
        }
        replace(txn, need, Some(customers), rows).await?;
    }
    Ok(())
}

/// What ranks a customer in the segments: (customer, owner, code, revenue).
type Ranked = Vec<(i64, i64, Vec<u8>, i64)>;

/// The stored ranking of `customers` in the period's segments.
async fn ranking(txn: &DatabaseTransaction, period: Period, customers: &[i64]) -> AppResult<Ranked> {
    let mut sql = Sql::new(txn);
    sql.sql("SELECT customer_id, owner_id, code_key, revenue_12m FROM analytics_segment_rows WHERE period = ")
        .bind(period.key())
        .subset("customer_id", Some(customers));
    let mut ranked = sql
        .all(txn)
        .await?
        .iter()
        .map(|row| {
            Ok((
                get(row, "customer_id")?,
                get(row, "owner_id")?,
                get(row, "code_key")?,
                get(row, "revenue_12m")?,
            ))
        })
        .collect::<AppResult<Ranked>>()?;
    ranked.sort();
    Ok(ranked)
}

/// What a list searches: the code and the name, lower-cased, apart.
pub fn search_text(customer: &CustomerFacts) -> String {
    format!(
        "{}\u{1}{}",
        customer.code.to_lowercase(),
        customer.company_name.to_lowercase()
    )
}

/// A snapshot's rows, computed and not yet stored.
pub(super) enum Rows {
    /// The rows, and their ranking sorted by customer.
    Segments(Vec<segment_row::ActiveModel>, Ranked),
    Churn(Vec<churn_row::ActiveModel>),
    Credit(Vec<credit_row::ActiveModel>),
    Aging(Vec<aging_row::ActiveModel>),
}

/// Replaces the rows of `subset` (every row when None) with `rows`.
async fn replace(txn: &DatabaseTransaction, need: &Need, subset: Option<&[i64]>, rows: Rows) -> AppResult<()> {
    let (table, column) = need.table();
    let mut delete = RawSql::new(txn.get_database_backend());
    delete
        .sql(&format!("DELETE FROM {table} WHERE {column} = "))
        .bind(need.key_value());
    if let Some(ids) = subset {
        delete
            .sql(" AND customer_id IN ")
            .tuple(ids.iter().map(|id| Value::from(*id)));
    }
    txn.execute_raw(delete.build()).await?;
    match rows {
        Rows::Segments(rows, _) => bulk::insert(txn, rows).await?,
        Rows::Churn(rows) => bulk::insert(txn, rows).await?,
        Rows::Credit(rows) => bulk::insert(txn, rows).await?,
        Rows::Aging(rows) => bulk::insert(txn, rows).await?,
    }
    Ok(())
}

/// The rows of `subset` (every customer when None), by the functions that
/// define the figures.
pub(super) async fn compute(db: &impl ConnectionTrait, need: &Need, subset: Option<&[i64]>) -> AppResult<Rows> {
    Ok(match *need {
        Need::Segments(period) => {
            let mut rows = Vec::new();
            let mut ranked = Vec::new();
            for (customer, [revenue_12m, last3, earlier3]) in segments::segment_facts(db, period, subset).await? {
                let growth = opcms_domain::analytics::trend(last3, earlier3);
                let (owner, revenue) = (customer.sales_owner_id.unwrap_or(0), fits(revenue_12m.units())?);
                ranked.push((customer.id, owner, customer.code.as_bytes().to_vec(), revenue));
                rows.push(segment_row::ActiveModel {
                    period: Set(period.key()),
                    customer_id: Set(customer.id),
                    owner_id: Set(customer.sales_owner_id.unwrap_or(0)),
                    code_key: Set(customer.code.as_bytes().to_vec()),
                    search: Set(search_text(&customer)),
                    customer_code: Set(customer.code),
                    company_name: Set(customer.company_name),
                    revenue_12m: Set(fits(revenue_12m.units())?),
                    last3: Set(fits(last3.units())?),
                    earlier3: Set(fits(earlier3.units())?),
                    trend: Set(growth.trend.label().to_string()),
                    growth: Set(growth.growth),
                });
            }
            ranked.sort();
            Rows::Segments(rows, ranked)
        }
        Need::Churn(as_of, rules) => {
            let mut rows = Vec::new();
            for (customer, risk, flags) in churn::churn_facts(db, as_of, rules, subset).await? {
                rows.push(churn_row::ActiveModel {
                    as_of: Set(as_of),
                    customer_id: Set(customer.id),
                    owner_id: Set(customer.sales_owner_id.unwrap_or(0)),
                    code_key: Set(customer.code.as_bytes().to_vec()),
                    search: Set(search_text(&customer)),
                    customer_code: Set(customer.code),
                    company_name: Set(customer.company_name),
                    account_status: Set(customer.account_status),
                    risk: Set(risk.code().to_string()),
                    risk_rank: Set(if risk == Risk::High { 0 } else { 1 }),
                    flags: Set(serde_json::to_string(&flags).map_err(|e| AppError::Internal(e.into()))?),
                });
            }
            Rows::Churn(rows)
        }
        Need::Credit(as_of) => {
            let mut rows = Vec::new();
            for (customer, score) in credit::scores(db, as_of, subset).await? {
                rows.push(credit_row::ActiveModel {
                    as_of: Set(as_of),
                    customer_id: Set(customer.id),
                    owner_id: Set(customer.sales_owner_id.unwrap_or(0)),
                    code_key: Set(customer.code.as_bytes().to_vec()),
                    search: Set(search_text(&customer)),
                    customer_code: Set(customer.code),
                    company_name: Set(customer.company_name),
                    score: Set(score.score.map(|s| s as i32)),
                    grade: Set(score.grade.label().to_string()),
                    on_time: Set(score.factors.on_time),
                    late_days: Set(score.factors.late_days),
                    overdue_ratio: Set(score.factors.overdue_ratio),
                    tenure_months: Set(score.factors.tenure_months as i32),
                    window_bills: Set(score.window_bills as i32),
                });
            }
            Rows::Credit(rows)
        }
        Need::Aging(as_of) => {
            let mut rows = Vec::new();
            for (customer, found) in aging::customer_aging(db, as_of, subset).await? {
                let money = &found.aging;
                let amounts = [
                    money.not_due,
                    money.d1_30,
                    money.d31_60,
                    money.d61_90,
                    money.d90_plus,
                    money.overdue(),
                    money.outstanding(),
                    found.unapplied,
                ];
                let [
                    not_due,
                    d1_30,
                    d31_60,
                    d61_90,
                    d90_plus,
                    overdue,
                    outstanding,
                    unapplied,
                ] = split_each(amounts.map(Total::units))?;
                rows.push(aging_row::ActiveModel {
                    as_of: Set(as_of),
                    customer_id: Set(customer.id),
                    owner_id: Set(customer.sales_owner_id.unwrap_or(0)),
                    code_key: Set(customer.code.as_bytes().to_vec()),
                    search: Set(search_text(&customer)),
                    customer_code: Set(customer.code),
                    company_name: Set(customer.company_name),
                    open_bills: Set(i32::try_from(found.open_bills).unwrap_or(i32::MAX)),
                    max_overdue_days: Set(money.max_overdue_days),
                    not_due_hi: Set(not_due.hi),
                    not_due_lo: Set(not_due.lo),
                    d1_30_hi: Set(d1_30.hi),
                    d1_30_lo: Set(d1_30.lo),
                    d31_60_hi: Set(d31_60.hi),
                    d31_60_lo: Set(d31_60.lo),
                    d61_90_hi: Set(d61_90.hi),
                    d61_90_lo: Set(d61_90.lo),
                    d90_plus_hi: Set(d90_plus.hi),
                    d90_plus_lo: Set(d90_plus.lo),
                    overdue_hi: Set(overdue.hi),
                    overdue_lo: Set(overdue.lo),
                    outstanding_hi: Set(outstanding.hi),
                    outstanding_lo: Set(outstanding.lo),
                    unapplied_hi: Set(unapplied.hi),
                    unapplied_lo: Set(unapplied.lo),
                });
            }
            Rows::Aging(rows)
        }
    })
}
