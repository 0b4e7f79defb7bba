//! Precomputed analytics (DESIGN.md §9 "Speed"): what the dashboard and the
//! lists read, kept so that they answer in milliseconds at 100,000 customers
//! and are never stale after a write.
//!
//! - Every write to customers, bills, receipts, allocations or usage marks
//!   its customer in `analytics_changes` (database triggers, in the writer's
//!   transaction: no write path can forget).
//! - Before a read, [`prepare`] takes the marks: it recomputes those
//!   customers' facts, adds the difference to the per-owner sums and
//!   recomputes their rows in the list snapshot the read needs, leaving
//!   them marked in every other list snapshot (`analytics_list_changes`)
//!   for that snapshot's own next reader; then it builds the list snapshot
//!   the read needs if it is new. With no marks and the snapshot there, a
//!   read only checks that (three indexed reads).
//! - The `analytics.refresh` job does the same for every snapshot at night,
//!   and builds today's lists before anyone asks.
//!
//! One refresh runs at a time: an in-process mutex queues this instance's
//! readers, and the row of `analytics_state`, locked first in every refresh
//! transaction, keeps instances of a cluster from adding a difference twice.

mod entity;
mod facts;
mod lists;

use std::collections::BTreeSet;

use opcms_domain::analytics::TierCuts;
use opcms_domain::money::Total;
use opcms_domain::{DataScope, Period};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, TransactionTrait, Value};
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

use super::facts::{Sql, get};
use crate::calendar::{business_today, current_period};
use crate::db::begin_write;
use crate::db::raw::RawSql;
use crate::error::AppResult;
use crate::state::AppState;
pub use entity::aging_row;
pub use lists::Need;

/// Change marks taken by one refresh transaction: a pass holds the write
/// lock (SQLite's writers wait up to 5 s), so it stays short.
const CHANGES_PER_PASS: u64 = 2_000;
/// Customers recomputed by one set of statements.
const CUSTOMERS_PER_CHUNK: usize = 500;
/// A list snapshot no longer current is dropped by the job after this many
/// days (it is built again if someone reads it).
const KEEP_DAYS: i64 = 2;

/// Makes the snapshots current for a read that needs `need`.
///
/// The read must see every write committed before it began, and no more:
/// it notes the newest change mark first and, once it holds the refresh
/// mutex, refreshes only if a mark up to that one is still there. Readers
/// queued behind one refresh are then all served by it, and a steady stream
/// of writes cannot keep each of them refreshing in turn (under 500 users
/// every dashboard read used to wait for every refresh queued before it).
pub async fn prepare(state: &AppState, need: Option<Need>) -> AppResult<()> {
    let db = &state.db;
    let (newest, current) = match &need {
        None => (newest_mark(db).await?, true),
        Some(need) => {
            // One connection for the three checks (each would wait for the
            // pool again under load).
            let txn = db.begin().await?;
            let newest = newest_mark(&txn).await?;
            let current = lists::exists(&txn, need).await? && lists::marked(&txn, need, 1).await?.is_empty();
            txn.commit().await?;
            (newest, current)
        }
    };
    if newest.is_none() && current {
        return Ok(());
    }
    let _one = state.analytics_refresh.lock().await;
    let lists = Lists::Only(need.as_ref());
    if let Some(newest) = newest {
        refresh(db, Some(newest), lists).await?;
    }
    if let Some(need) = need {
        if lists::exists(db, &need).await? {
            catch_up(db, &[need]).await?;
        } else {
            build(db, &need).await?;
        }
    }
    Ok(())
}

/// Which list snapshots a refresh recomputes the changed rows of; in the
/// others it leaves them marked.
#[derive(Clone, Copy)]
enum Lists<'a> {
    All,
    /// The one a read needs (none for the dashboard).
    Only(Option<&'a Need>),
}

impl Lists<'_> {
    fn wants(&self, need: &Need) -> bool {
        match self {
            Lists::All => true,
            Lists::Only(only) => only.is_some_and(|only| only.same_snapshot(need)),
        }
    }
}

/// Recomputes the rows left marked in the snapshots of `needs`, a pass
/// (one short write transaction) at a time.
async fn catch_up(db: &DatabaseConnection, needs: &[Need]) -> AppResult<()> {
    for need in needs {
        loop {
            let txn = begin_write(db).await?;
            lock(&txn).await?;
            let customers = lists::marked(&txn, need, CHANGES_PER_PASS).await?;
            if customers.is_empty() {
                txn.commit().await?;
                break;
            }
            for chunk in customers.chunks(CUSTOMERS_PER_CHUNK) {
                lists::refresh(&txn, std::slice::from_ref(need), chunk).await?;
            }
            lists::clear_marks(&txn, need, Some(&customers)).await?;
            txn.commit().await?;
            let_writers_in(db, customers.len()).await;
        }
    }
    Ok(())
}

/// Builds a list snapshot whole. The rows are computed outside the write
/// lock (a big book takes seconds, and SQLite's writers would wait that
/// long) and stored in one short transaction — unless a refresh ran in
/// between and took marks the rows may predate; then again, and after
/// three such misses, inside the lock.
async fn build(db: &DatabaseConnection, need: &Need) -> AppResult<()> {
    for _ in 0..3 {
        let seen = generation(db).await?;
        let rows = lists::compute(db, need, None).await?;
        let txn = begin_write(db).await?;
        lock(&txn).await?;
        if generation(&txn).await? == seen + 1 {
            lists::store(&txn, need, rows).await?;
            txn.commit().await?;
            return Ok(());
        }
        txn.rollback().await?;
    }
    let txn = begin_write(db).await?;
    lock(&txn).await?;
    let rows = lists::compute(&txn, need, None).await?;
    lists::store(&txn, need, rows).await?;
    txn.commit().await?;
    Ok(())
}

/// How many refreshes have locked `analytics_state` so far: what a cached
/// read of the snapshots is valid for (analytics::dashboard).
pub async fn generation(db: &impl ConnectionTrait) -> AppResult<i64> {
    let mut sql = Sql::new(db);
    sql.sql("SELECT generation FROM analytics_state WHERE id = 1");
    match sql.all(db).await?.first() {
        Some(row) => get(row, "generation"),
        None => Ok(0),
    }
}

/// The newest write not yet in the snapshots, if any.
async fn newest_mark(db: &impl ConnectionTrait) -> AppResult<Option<i64>> {
    let mut sql = Sql::new(db);
    sql.sql("SELECT id FROM analytics_changes ORDER BY id DESC LIMIT 1");
    match sql.all(db).await?.first() {
        Some(row) => Ok(Some(get(row, "id")?)),
        None => Ok(None),
    }
}

/// Whether a write up to mark `through` is not yet in the snapshots.
async fn pending_through(db: &impl ConnectionTrait, through: i64) -> AppResult<bool> {
    let mut sql = Sql::new(db);
    sql.sql("SELECT id FROM analytics_changes WHERE id <= ")
        .bind(through)
        .sql(" ORDER BY id LIMIT 1");
    Ok(!sql.all(db).await?.is_empty())
}

/// Takes the refresh lock of the cluster (and SQLite's write lock).
async fn lock(txn: &DatabaseTransaction) -> AppResult<()> {
    txn.execute_unprepared("UPDATE analytics_state SET generation = generation + 1 WHERE id = 1")
        .await?;
    Ok(())
}

/// Takes the change marks, oldest first, until none is left or, with
/// `through`, until none up to that mark is left (a pass also takes newer
/// marks, up to its size); the number of customers recomputed.
async fn refresh(db: &DatabaseConnection, through: Option<i64>, lists: Lists<'_>) -> AppResult<u64> {
    let mut recomputed = 0u64;
    loop {
        // Read outside a write transaction: a refresh that another reader
        // finished meanwhile costs this one no write lock.
        if let Some(through) = through
            && !pending_through(db, through).await?
        {
            return Ok(recomputed);
        }
        let txn = begin_write(db).await?;
        lock(&txn).await?;
        let mut sql = Sql::new(&txn);
        sql.sql(&format!(
            "SELECT id, customer_id FROM analytics_changes ORDER BY id LIMIT {CHANGES_PER_PASS}"
        ));
        let mut marks = Vec::new();
        let mut customers = BTreeSet::new();
        for row in sql.all(&txn).await? {
            let customer: Option<i64> = get(&row, "customer_id")?;
            marks.push(get::<i64>(&row, "id")?);
            customers.insert(customer.unwrap_or(0));
        }
        if marks.is_empty() {
            txn.commit().await?;
            return Ok(recomputed);
        }
        let customers: Vec<i64> = customers.into_iter().collect();
        let rules = crate::settings::load(&txn).await?.churn_rules();
        let (now, later): (Vec<Need>, Vec<Need>) = lists::all(&txn, rules)
            .await?
            .into_iter()
            .map(|(need, _)| need)
            .partition(|need| lists.wants(need));
        let mut deltas = facts::Deltas::default();
        for chunk in customers.chunks(CUSTOMERS_PER_CHUNK) {
            facts::refresh(&txn, chunk, &mut deltas).await?;
            lists::refresh(&txn, &now, chunk).await?;
            lists::mark(&txn, &later, chunk).await?;
        }
        deltas.apply(&txn).await?;
        // By the ids read: a mark committed meanwhile stays for the next pass.
        for ids in marks.chunks(1000) {
            let mut delete = RawSql::new(txn.get_database_backend());
            delete
                .sql("DELETE FROM analytics_changes WHERE id IN ")
                .tuple(ids.iter().map(|id| Value::from(*id)));
            txn.execute_raw(delete.build()).await?;
        }
        txn.commit().await?;
        // Customer 0 (the receipts without one) is not a customer.
        recomputed += customers.iter().filter(|id| **id != 0).count() as u64;
        let_writers_in(db, marks.len()).await;
    }
}

/// After a full pass: SQLite has one write lock, and passes back to back
/// would keep it: a writer waiting in SQLite's busy handler (which sleeps
/// up to 100 ms between tries) could starve for its 5 s and fail (a bill
/// generation did, while the dashboard took 40,000 usage marks). A longer
/// pause before the next pass lets it in.
async fn let_writers_in(db: &DatabaseConnection, taken: usize) {
    if taken as u64 == CHANGES_PER_PASS && db.get_database_backend() == DbBackend::Sqlite {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
}

/// Drops every snapshot and computes them again from the bills, receipts
/// and usage (`opcms analytics-rebuild`: after data was written around the
/// triggers, e.g. by hand in SQL). Safe while servers run: the lock row
/// keeps their refreshes apart. The number of customers computed.
pub async fn rebuild(db: &DatabaseConnection) -> AppResult<u64> {
    let txn = begin_write(db).await?;
    lock(&txn).await?;
    for table in [
        "analytics_changes",
        "analytics_list_changes",
        "analytics_customer_months",
        "analytics_customer_dues",
        "analytics_owner_months",
        "analytics_owner_dues",
        "analytics_segment_rows",
        "analytics_tier_cuts",
        "analytics_churn_rows",
        "analytics_credit_rows",
        "analytics_aging_rows",
        "analytics_snapshots",
    ] {
        txn.execute_unprepared(&format!("DELETE FROM {table}")).await?;
    }
    txn.execute_unprepared("INSERT INTO analytics_changes (customer_id) SELECT id FROM customers")
        .await?;
    txn.execute_unprepared("INSERT INTO analytics_changes (customer_id) VALUES (NULL)")
        .await?;
    txn.commit().await?;
    refresh(db, None, Lists::All).await
}

/// `analytics.refresh`: takes the marks, recomputes the rows left marked in
/// every list snapshot, drops list snapshots nobody needs any more, and
/// builds today's churn, credit and aging lists and the segments of this
/// month and the last.
pub async fn run_job(state: &AppState) -> AppResult<Json> {
    let _one = state.analytics_refresh.lock().await;
    let recomputed = refresh(&state.db, None, Lists::All).await?;
    let rules = crate::settings::load(&state.db).await?.churn_rules();
    let existing: Vec<Need> = lists::all(&state.db, rules)
        .await?
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    catch_up(&state.db, &existing).await?;
    let today = business_today();
    let period = current_period();
    let mut current = vec![
        Need::Churn(today, rules),
        Need::Credit(today),
        Need::Aging(today),
        Need::Segments(period),
    ];
    if let Some(previous) = period.previous() {
        current.push(Need::Segments(previous));
    }
    let txn = begin_write(&state.db).await?;
    lock(&txn).await?;
    let mut dropped = 0u64;
    let cutoff = crate::calendar::business_instant() - chrono::TimeDelta::days(KEEP_DAYS);
    for (need, built) in lists::all(&txn, rules).await? {
        if !current.contains(&need) && built < cutoff {
            lists::drop_snapshot(&txn, &need).await?;
            dropped += 1;
        }
    }
    txn.commit().await?;
    let mut built = 0u64;
    for need in &current {
        if !lists::exists(&state.db, need).await? {
            build(&state.db, need).await?;
            built += 1;
        }
    }
    Ok(json!({"customers_recomputed": recomputed, "snapshots_built": built, "snapshots_dropped": dropped}))
}

/// Names a scope in the tier cuts: `all`, the owners, or their digest.
fn scope_key(scope: &DataScope) -> String {
    match scope.owners() {
        None => "all".into(),
        Some(owners) => {
            let list = owners.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            if list.len() <= 70 {
                format!("o:{list}")
            } else {
                let digest = Sha256::digest(list.as_bytes());
                format!("h:{}", digest.iter().map(|b| format!("{b:02x}")).collect::<String>())
            }
        }
    }
}

/// Where the value tiers of `period` end within the scope, and the scope's
/// total revenue; computed from the segment rows the first time a scope
/// asks after a change. Call after [`prepare`] with the segments need.
pub async fn tier_cuts(state: &AppState, period: Period, scope: &DataScope) -> AppResult<(TierCuts<Vec<u8>>, Total)> {
    let key = scope_key(scope);
    if let Some(found) = read_cuts(&state.db, period, &key).await? {
        return Ok(found);
    }
    let _one = state.analytics_refresh.lock().await;
    let txn = begin_write(&state.db).await?;
    lock(&txn).await?;
    let mut sql = Sql::new(&txn);
    sql.sql("SELECT revenue_12m, code_key FROM analytics_segment_rows WHERE period = ")
        .bind(period.key())
        .owners(scope, "owner_id")
        // Already in rank order, which the ranking's sort then only checks.
        .sql(" ORDER BY revenue_12m DESC, code_key");
    let mut ranked = Vec::new();
    let mut total = 0i128;
    for row in sql.all(&txn).await? {
        let revenue: i64 = get(&row, "revenue_12m")?;
        total += i128::from(revenue);
        ranked.push((
            get::<Vec<u8>>(&row, "code_key")?,
            Total::from_units(i128::from(revenue)),
        ));
    }
    let cuts = TierCuts::of(&ranked);
    let total = Total::from_units(total);
    let mut delete = RawSql::new(txn.get_database_backend());
    delete
        .sql("DELETE FROM analytics_tier_cuts WHERE period = ")
        .bind(period.key())
        .sql(" AND scope_key = ")
        .bind(key.clone());
    txn.execute_raw(delete.build()).await?;
    let cut = |c: &Option<(Total, Vec<u8>)>| -> AppResult<(Value, Value)> {
        Ok(match c {
            Some((revenue, code)) => (Value::from(facts::fits(revenue.units())?), Value::from(code.clone())),
            None => (Value::BigInt(None), Value::Bytes(None)),
        })
    };
    let (a_revenue, a_code) = cut(&cuts.a)?;
    let (b_revenue, b_code) = cut(&cuts.b)?;
    let mut insert = RawSql::new(txn.get_database_backend());
    insert
        .sql(
            "INSERT INTO analytics_tier_cuts (period, scope_key, a_revenue, a_code, b_revenue, b_code, \
             count_a, count_b, count_c, total_revenue) VALUES ",
        )
        .tuple([
            Value::from(period.key()),
            Value::from(key),
            a_revenue,
            a_code,
            b_revenue,
            b_code,
            Value::from(cuts.count_a as i64),
            Value::from(cuts.count_b as i64),
            Value::from(cuts.count_c as i64),
            Value::from(total.units().to_string()),
        ]);
    txn.execute_raw(insert.build()).await?;
    txn.commit().await?;
    Ok((cuts, total))
}

async fn read_cuts(
    db: &impl ConnectionTrait,
    period: Period,
    key: &str,
) -> AppResult<Option<(TierCuts<Vec<u8>>, Total)>> {
    let mut sql = Sql::new(db);
    sql.sql(
        "SELECT a_revenue, a_code, b_revenue, b_code, count_a, count_b, count_c, total_revenue \
         FROM analytics_tier_cuts WHERE period = ",
    )
    .bind(period.key())
    .sql(" AND scope_key = ")
    .bind(key.to_string());
    let Some(row) = sql.all(db).await?.into_iter().next() else {
        return Ok(None);
    };
    let cut = |revenue: &str, code: &str| -> AppResult<Option<(Total, Vec<u8>)>> {
        let revenue: Option<i64> = get(&row, revenue)?;
        let code: Option<Vec<u8>> = get(&row, code)?;
        Ok(revenue.zip(code).map(|(r, c)| (Total::from_units(i128::from(r)), c)))
    };
    let count = |column: &str| -> AppResult<u64> { Ok(get::<i64>(&row, column)?.max(0) as u64) };
    let total: String = get(&row, "total_revenue")?;
    let total = total
        .parse::<i128>()
        .map_err(|e| crate::error::AppError::Internal(anyhow::anyhow!("tier cut total {total}: {e}")))?;
    Ok(Some((
        TierCuts {
            a: cut("a_revenue", "a_code")?,
            b: cut("b_revenue", "b_code")?,
            count_a: count("count_a")?,
            count_b: count("count_b")?,
            count_c: count("count_c")?,
        },
        Total::from_units(total),
    )))
}
