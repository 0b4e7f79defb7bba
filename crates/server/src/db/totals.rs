//! Maintained totals: the count and sums of a big table's rows per key (a
//! bill list's period and status, a receipt's day and method), so that a
//! list's totals row reads a few hundred rows instead of a million.
//!
//! - Triggers on the source table append a row of differences for every
//!   insert, delete and change (−old, +new) in the writer's own
//!   transaction: no write path can forget, and nothing is shared between
//!   writers (appending takes no lock another writer waits on, so there is
//!   no hot row and no deadlock).
//! - A read sums the rows that match its filter ([`sum`]).
//! - [`fold`], run in the background ([`spawn_folding`]), replaces rows with
//!   one row per key. It deletes exactly the rows it read, by id, so rows
//!   appended meanwhile are never lost, and it stops when another instance
//!   folded the same rows first.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult, Value};
use sea_orm_migration::prelude::{ColumnDef, Index, Table};

use super::sums::{read_wide_sum, wide_sum};
use super::write::begin_write;
use opcms_domain::money::Total;

/// What a key column holds (its SQL type, and how it is read back).
#[derive(Clone, Copy, Debug)]
pub enum KeyKind {
    BigInt,
    Int,
    SmallInt,
    Date,
    Text(u32),
}

/// A key column: its name and its value as an SQL expression over the
/// source row, written with `{row}` for the row (`NEW`, `OLD`, or an alias).
pub struct Key {
    pub column: &'static str,
    pub expr: &'static str,
    pub kind: KeyKind,
}

/// A maintained-totals table over `source`.
pub struct Totals {
    pub table: &'static str,
    pub source: &'static str,
    /// Which source rows count, over `{row}`; None: all.
    pub counted: Option<&'static str>,
    pub keys: &'static [Key],
    /// Summed source columns (BIGINT), stored under the same names.
    pub sums: &'static [&'static str],
}

/// The column holding the number of source rows.
const COUNT: &str = "row_count";

impl Totals {
    fn of(&self, template: &str, row: &str) -> String {
        template.replace("{row}", row)
    }

    fn columns(&self) -> Vec<&'static str> {
        let mut columns: Vec<&'static str> = self.keys.iter().map(|k| k.column).collect();
        columns.push(COUNT);
        columns.extend(self.sums);
        columns
    }

    /// The values appended for `row` (`NEW` or `OLD`), negated for `OLD`.
    fn values(&self, row: &str, sign: &str) -> String {
        let mut values: Vec<String> = self.keys.iter().map(|k| self.of(k.expr, row)).collect();
        values.push(format!("{sign}1"));
        values.extend(self.sums.iter().map(|s| format!("{sign}{row}.{s}")));
        values.join(", ")
    }

    fn counted(&self, row: &str) -> String {
        self.counted.map_or_else(|| "1 = 1".to_string(), |c| self.of(c, row))
    }

    /// The statement a trigger runs to append `row`'s values (`sign` "-"
    /// for the old row), if the row counts.
    fn insert_from(&self, backend: DbBackend, row: &str, sign: &str) -> String {
        let (table, columns, values, counted) = (
            self.table,
            self.columns().join(", "),
            self.values(row, sign),
            self.counted(row),
        );
        if backend == DbBackend::MySql {
            // VALUES, not INSERT … SELECT: InnoDB takes a table lock on the
            // auto-increment counter for an INSERT … SELECT until the
            // statement ends, and a fold waiting on it deadlocked with the
            // writers (error 1467); a row of VALUES takes no such lock.
            format!("IF {counted} THEN INSERT INTO {table} ({columns}) VALUES ({values}); END IF")
        } else {
            format!("INSERT INTO {table} ({columns}) SELECT {values} WHERE {counted}")
        }
    }

    /// Whether an update leaves everything the totals see as it was
    /// (`is` the backend's null-safe equality).
    fn unchanged(&self, is: &str) -> String {
        let mut parts: Vec<String> = self
            .keys
            .iter()
            .map(|k| format!("({}) {is} ({})", self.of(k.expr, "OLD"), self.of(k.expr, "NEW")))
            .collect();
        parts.extend(self.sums.iter().map(|s| format!("OLD.{s} {is} NEW.{s}")));
        parts.push(format!("({}) {is} ({})", self.counted("OLD"), self.counted("NEW")));
        parts.join(" AND ")
    }

    fn trigger(&self, event: &str) -> String {
        format!("{}_on_{event}", self.table)
    }

    /// Creates the table, its index and the triggers, and counts the rows
    /// already there (a migration's `up`).
    pub async fn install(&self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        for statement in self.create(db.get_database_backend()) {
            db.execute_unprepared(&statement).await?;
        }
        db.execute_unprepared(&self.backfill()).await?;
        Ok(())
    }

    /// Drops the triggers and the table (a migration's `down`).
    pub async fn uninstall(&self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        for statement in self.drop(db.get_database_backend()) {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    /// The table, its index and the triggers.
    fn create(&self, backend: DbBackend) -> Vec<String> {
        let mut table = Table::create();
        table
            .table(Alias::new(self.table))
            .if_not_exists()
            .col(super::columns::id("id"));
        for key in self.keys {
            let mut column = ColumnDef::new(Alias::new(key.column));
            match key.kind {
                KeyKind::BigInt => column.big_integer(),
                KeyKind::Int => column.integer(),
                KeyKind::SmallInt => column.small_integer(),
                KeyKind::Date => column.date(),
                KeyKind::Text(length) => column.string_len(length),
            };
            table.col(column.not_null());
        }
        for column in std::iter::once(COUNT).chain(self.sums.iter().copied()) {
            table.col(ColumnDef::new(Alias::new(column)).big_integer().not_null());
        }
        let mut index = Index::create();
        index
            .name(format!("ix_{}_key", self.table))
            .table(Alias::new(self.table))
            .col(Alias::new(self.keys[0].column));
        let mut statements = vec![backend.build(&table).sql, backend.build(&index).sql];
        statements.extend(self.create_triggers(backend));
        statements
    }

    fn create_triggers(&self, backend: DbBackend) -> Vec<String> {
        let (source, function) = (self.source, format!("{}_track", self.table));
        match backend {
            DbBackend::Postgres => vec![
                format!(
                    "CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$ BEGIN \
                     IF TG_OP = 'UPDATE' THEN \
                       IF {unchanged} THEN RETURN NULL; END IF; \
                     END IF; \
                     IF TG_OP <> 'INSERT' THEN {old}; END IF; \
                     IF TG_OP <> 'DELETE' THEN {new}; END IF; \
                     RETURN NULL; END $$ LANGUAGE plpgsql",
                    unchanged = self.unchanged("IS NOT DISTINCT FROM"),
                    old = self.insert_from(backend, "OLD", "-"),
                    new = self.insert_from(backend, "NEW", ""),
                ),
                format!(
                    "CREATE TRIGGER {function} AFTER INSERT OR UPDATE OR DELETE ON {source} \
                     FOR EACH ROW EXECUTE FUNCTION {function}()"
                ),
            ],
            DbBackend::MySql => vec![
                format!(
                    "CREATE TRIGGER {} AFTER INSERT ON {source} FOR EACH ROW BEGIN {}; END",
                    self.trigger("insert"),
                    self.insert_from(backend, "NEW", "")
                ),
                format!(
                    "CREATE TRIGGER {} AFTER DELETE ON {source} FOR EACH ROW BEGIN {}; END",
                    self.trigger("delete"),
                    self.insert_from(backend, "OLD", "-")
                ),
                format!(
                    "CREATE TRIGGER {} AFTER UPDATE ON {source} FOR EACH ROW BEGIN \
                     IF NOT ({}) THEN {}; {}; END IF; END",
                    self.trigger("update"),
                    self.unchanged("<=>"),
                    self.insert_from(backend, "OLD", "-"),
                    self.insert_from(backend, "NEW", "")
                ),
            ],
            _ => vec![
                format!(
                    "CREATE TRIGGER IF NOT EXISTS {} AFTER INSERT ON {source} FOR EACH ROW BEGIN {}; END",
                    self.trigger("insert"),
                    self.insert_from(backend, "NEW", "")
                ),
                format!(
                    "CREATE TRIGGER IF NOT EXISTS {} AFTER DELETE ON {source} FOR EACH ROW BEGIN {}; END",
                    self.trigger("delete"),
                    self.insert_from(backend, "OLD", "-")
                ),
                format!(
                    "CREATE TRIGGER IF NOT EXISTS {} AFTER UPDATE ON {source} FOR EACH ROW WHEN NOT ({}) \
                     BEGIN {}; {}; END",
                    self.trigger("update"),
                    self.unchanged("IS"),
                    self.insert_from(backend, "OLD", "-"),
                    self.insert_from(backend, "NEW", "")
                ),
            ],
        }
    }

    /// The triggers and the table, dropped.
    fn drop(&self, backend: DbBackend) -> Vec<String> {
        let mut statements = match backend {
            DbBackend::Postgres => vec![
                format!("DROP TRIGGER IF EXISTS {0}_track ON {1}", self.table, self.source),
                format!("DROP FUNCTION IF EXISTS {}_track()", self.table),
            ],
            _ => ["insert", "delete", "update"]
                .iter()
                .map(|event| format!("DROP TRIGGER IF EXISTS {}", self.trigger(event)))
                .collect(),
        };
        statements.push(format!("DROP TABLE IF EXISTS {}", self.table));
        statements
    }

    /// One row per counted source row: the totals of rows written before
    /// the triggers existed (folded afterwards in the background).
    fn backfill(&self) -> String {
        format!(
            "INSERT INTO {} ({}) SELECT {} FROM {} s WHERE {}",
            self.table,
            self.columns().join(", "),
            self.values("s", ""),
            self.source,
            self.counted("s"),
        )
    }
}

/// The count and sums of the source rows a filter matches, the sums in the
/// order of `Totals::sums`.
pub struct Summed {
    pub count: u64,
    pub sums: Vec<Total>,
}

/// The totals of the source rows whose keys match `filter`.
pub async fn sum(db: &impl ConnectionTrait, totals: &Totals, filter: Condition) -> Result<Summed, DbErr> {
    let backend = db.get_database_backend();
    let mut select = Query::select();
    select.from(Alias::new(totals.table)).cond_where(filter);
    for (i, column) in std::iter::once(COUNT).chain(totals.sums.iter().copied()).enumerate() {
        for (expr, alias) in wide_sum(backend, column, &format!("s{i}")) {
            select.expr_as(expr, Alias::new(alias));
        }
    }
    let row = db.query_one_raw(backend.build(&select)).await?;
    let mut values = Vec::with_capacity(totals.sums.len() + 1);
    for i in 0..=totals.sums.len() {
        values.push(match &row {
            Some(row) => read_wide_sum(row, &format!("s{i}"))?,
            None => Total::ZERO,
        });
    }
    let count = u64::try_from(values.remove(0).units()).unwrap_or(0);
    Ok(Summed { count, sums: values })
}

/// Rows read and folded by one transaction of [`fold`].
const FOLD_PASS: u64 = 20_000;
/// Ids per `DELETE … IN (…)`.
const DELETE_CHUNK: usize = 1_000;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum KeyValue {
    Int(i64),
    Date(NaiveDate),
    Text(String),
}

impl KeyValue {
    fn read(row: &QueryResult, key: &Key) -> Result<KeyValue, DbErr> {
        Ok(match key.kind {
            KeyKind::BigInt => KeyValue::Int(row.try_get::<i64>("", key.column)?),
            KeyKind::Int => KeyValue::Int(i64::from(row.try_get::<i32>("", key.column)?)),
            KeyKind::SmallInt => KeyValue::Int(i64::from(row.try_get::<i16>("", key.column)?)),
            KeyKind::Date => KeyValue::Date(row.try_get("", key.column)?),
            KeyKind::Text(_) => KeyValue::Text(row.try_get("", key.column)?),
        })
    }

    fn value(&self, kind: KeyKind) -> Value {
        match (self, kind) {
            (KeyValue::Int(v), KeyKind::BigInt) => Value::from(*v),
            (KeyValue::Int(v), KeyKind::SmallInt) => Value::from(*v as i16),
            (KeyValue::Int(v), _) => Value::from(*v as i32),
            (KeyValue::Date(d), _) => Value::from(*d),
            (KeyValue::Text(t), _) => Value::from(t.clone()),
        }
    }
}

/// Folds the rows that exist now into one per key (more than one only
/// where a sum passes the BIGINT range). Returns how many rows it removed.
pub async fn fold(db: &DatabaseConnection, totals: &Totals) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let last = aggregate(db, totals, "MAX(id)").await?;
    let Some(last) = last else { return Ok(0) };
    let mut after = 0i64;
    let mut removed = 0u64;
    loop {
        let txn = begin_write(db).await?;
        let rows = txn.query_all_raw(backend.build(&pass(totals, after, last))).await?;
        if rows.len() < 2 {
            txn.commit().await?;
            return Ok(removed);
        }
        let mut ids = Vec::with_capacity(rows.len());
        let mut groups: BTreeMap<Vec<KeyValue>, Vec<i128>> = BTreeMap::new();
        for row in &rows {
            ids.push(row.try_get::<i64>("", "id")?);
            let key = totals
                .keys
                .iter()
                .map(|k| KeyValue::read(row, k))
                .collect::<Result<Vec<_>, _>>()?;
            let sums = groups.entry(key).or_insert_with(|| vec![0; totals.sums.len() + 1]);
            for (i, column) in std::iter::once(COUNT).chain(totals.sums.iter().copied()).enumerate() {
                sums[i] += i128::from(row.try_get::<i64>("", column)?);
            }
        }
        let mut deleted = 0u64;
        for chunk in ids.chunks(DELETE_CHUNK) {
            let delete = Query::delete()
                .from_table(Alias::new(totals.table))
                .and_where(Expr::col(Alias::new("id")).is_in(chunk.iter().copied()))
                .to_owned();
            deleted += txn.execute_raw(backend.build(&delete)).await?.rows_affected();
        }
        if deleted != ids.len() as u64 {
            // Another instance folded some of these rows first.
            txn.rollback().await?;
            return Ok(removed);
        }
        let folded = folded_rows(totals, groups);
        for chunk in folded.chunks(500) {
            let mut insert = Query::insert();
            insert
                .into_table(Alias::new(totals.table))
                .columns(totals.columns().into_iter().map(Alias::new));
            for values in chunk {
                insert.values_panic(values.iter().cloned().map(Expr::val));
            }
            txn.execute_raw(backend.build(&insert)).await?;
        }
        txn.commit().await?;
        removed += deleted.saturating_sub(folded.len() as u64);
        after = *ids.last().unwrap_or(&last);
    }
}

/// One aggregate of a totals table (`MAX(id)`, `COUNT(*)`).
async fn aggregate(db: &DatabaseConnection, totals: &Totals, expr: &str) -> Result<Option<i64>, DbErr> {
    let select = Query::select()
        .expr_as(Expr::cust(expr.to_string()), Alias::new("value"))
        .from(Alias::new(totals.table))
        .to_owned();
    match db.query_one_raw(db.get_database_backend().build(&select)).await? {
        Some(row) => row.try_get::<Option<i64>>("", "value"),
        None => Ok(None),
    }
}

fn pass(totals: &Totals, after: i64, last: i64) -> SelectStatement {
    let mut select = Query::select();
    select.from(Alias::new(totals.table)).column(Alias::new("id"));
    for column in totals.columns() {
        select.column(Alias::new(column));
    }
    select
        .and_where(Expr::col(Alias::new("id")).gt(after))
        .and_where(Expr::col(Alias::new("id")).lte(last))
        .order_by(Alias::new("id"), sea_orm::Order::Asc)
        .limit(FOLD_PASS)
        .to_owned()
}

/// The rows replacing the folded ones: one per key whose count or a sum is
/// not zero; where a sum does not fit a BIGINT, further rows carry the
/// rest (the rows are summands, so any split adds up the same).
fn folded_rows(totals: &Totals, groups: BTreeMap<Vec<KeyValue>, Vec<i128>>) -> Vec<Vec<Value>> {
    let mut rows = Vec::new();
    for (key, mut sums) in groups {
        while sums.iter().any(|s| *s != 0) {
            let mut row: Vec<Value> = key
                .iter()
                .zip(totals.keys)
                .map(|(value, k)| value.value(k.kind))
                .collect();
            for sum in &mut sums {
                let part = (*sum).clamp(i128::from(i64::MIN), i128::from(i64::MAX));
                *sum -= part;
                row.push(Value::from(part as i64));
            }
            rows.push(row);
        }
    }
    rows
}

/// Rows a totals table may hold before a fold is worth it.
const FOLD_ABOVE: i64 = 1_000;
/// How often the background looks.
const FOLD_EVERY: Duration = Duration::from_secs(10);

/// Folds each table in the background whenever it holds more than
/// [`FOLD_ABOVE`] rows and twice what its last fold left (a table with
/// many keys is not rewritten every time for nothing), until `stopped`.
pub fn spawn_folding(
    db: DatabaseConnection,
    tables: &'static [&'static Totals],
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut left = vec![0i64; tables.len()];
        loop {
            for (totals, left) in tables.iter().zip(left.iter_mut()) {
                match fold_if_worth_it(&db, totals, *left).await {
                    Ok(Some(rows)) => *left = rows,
                    Ok(None) => {}
                    Err(error) => tracing::warn!(table = totals.table, %error, "folding maintained totals failed"),
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(FOLD_EVERY) => {}
                _ = stopped.wait_for(|stop| *stop) => return,
            }
        }
    })
}

/// Folds `totals` if it has grown enough since its last fold left `left`
/// rows; the rows it leaves, if it folded.
async fn fold_if_worth_it(db: &DatabaseConnection, totals: &Totals, left: i64) -> Result<Option<i64>, DbErr> {
    let count = aggregate(db, totals, "COUNT(*)").await?.unwrap_or(0);
    if count <= std::cmp::max(FOLD_ABOVE, left * 2) {
        return Ok(None);
    }
    let removed = fold(db, totals).await?;
    tracing::debug!(table = totals.table, rows = count, removed, "folded maintained totals");
    Ok(Some(count - i64::try_from(removed).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    static TEST: Totals = Totals {
        table: "t_totals",
        source: "t",
        counted: Some("{row}.is_deleted = FALSE"),
        keys: &[Key {
            column: "day",
            expr: "{row}.day",
            kind: KeyKind::Date,
        }],
        sums: &["amount"],
    };

    #[test]
    fn a_sum_past_the_bigint_range_folds_into_rows_that_each_fit() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).expect("day");
        let big = i128::from(i64::MAX) * 2 + 5;
        let rows = folded_rows(&TEST, BTreeMap::from([(vec![KeyValue::Date(day)], vec![3, big])]));
        assert_eq!(rows.len(), 3);
        let total: i128 = rows
            .iter()
            .map(|r| match &r[2] {
                Value::BigInt(Some(v)) => i128::from(*v),
                other => panic!("{other:?}"),
            })
            .sum();
        assert_eq!(total, big);
    }

    #[test]
    fn keys_summing_to_nothing_leave_no_row() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).expect("day");
        let rows = folded_rows(&TEST, BTreeMap::from([(vec![KeyValue::Date(day)], vec![0, 0])]));
        assert!(rows.is_empty());
    }

    #[test]
    fn an_update_trigger_compares_keys_sums_and_whether_the_row_counts() {
        let unchanged = TEST.unchanged("IS");
        assert!(unchanged.contains("(OLD.day) IS (NEW.day)"), "{unchanged}");
        assert!(unchanged.contains("OLD.amount IS NEW.amount"), "{unchanged}");
        assert!(
            unchanged.contains("(OLD.is_deleted = FALSE) IS (NEW.is_deleted = FALSE)"),
            "{unchanged}"
        );
    }
}
