//! Database connection and schema. One code base and one migration set for
//! SQLite, MySQL/MariaDB and PostgreSQL (SeaORM; see docs/decisions.md).

pub mod bulk;
pub mod columns;
pub mod migrations;
pub mod money;
pub mod packed;
pub mod raw;
pub mod totals;

use std::time::Duration;

use anyhow::Context;
use opcms_domain::money::Total;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};
use sea_orm_migration::MigratorTrait;

use crate::config::Config;

/// Connects to the configured database, creating the SQLite data directory
/// when needed. Does not migrate.
pub async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    if config.is_sqlite() {
        prepare_sqlite_files(config)?;
    }
    let url = normalize_url(config.database_url.expose());
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(if config.is_sqlite() { 8 } else { 20 })
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        // A database server that is down refuses connections, and the pool
        // keeps retrying until this deadline: short, so that requests fail
        // fast with 503 while it restarts. SQLite waits for the file's lock.
        .acquire_timeout(Duration::from_secs(if config.is_sqlite() { 10 } else { 3 }))
        .sqlx_logging(false)
        // Statement journals in memory: a multi-row INSERT inside a
        // transaction journals every page it touches, so that it alone can be
        // undone; in a temporary file that is a write(2) per page, which made
        // bulk inserts (imports, billing runs) spend a third of their time
        // in the kernel.
        .map_sqlx_sqlite_opts(|o| o.pragma("cache_size", SQLITE_READ_CACHE).pragma("temp_store", "memory"))
        // A bulk writer enlarges its connection's page cache
        // ([`begin_bulk_write`]); every connection goes back to the pool
        // with the small one, which frees the pages beyond it.
        .map_sqlx_sqlite_pool_opts(|o| {
            o.after_release(|conn, _| {
                Box::pin(async move {
                    use sea_orm::sqlx::Executor;
                    conn.execute(SQLITE_READ_CACHE_RESET).await?;
                    Ok(true)
                })
            })
        });
    let db = Database::connect(options)
        .await
        .context("cannot connect to the database (check OPCMS_DATABASE_URL)")?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL lets readers proceed while one writer commits; the setting is
        // stored in the file, so once per start is enough.
        db.execute_unprepared("PRAGMA journal_mode=WAL")
            .await
            .context("cannot switch SQLite to WAL")?;
    }
    Ok(db)
}

/// The data directory 0700 and the database file (and SQLite's `-wal` and
/// `-shm` beside it, which SQLite creates with the database file's mode)
/// 0600, created so before SQLite opens them: with the default umask they
/// would be 0644, readable by every local account.
fn prepare_sqlite_files(config: &Config) -> anyhow::Result<()> {
    crate::fsutil::create_private_dir(&config.data_dir)?;
    let Some(file) = sqlite_file(config.database_url.expose()) else {
        return Ok(());
    };
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
        crate::fsutil::create_private_dir(parent)?;
    }
    crate::fsutil::create_private_file(&file)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = file.clone().into_os_string();
        side.push(suffix);
        crate::fsutil::restrict_if_exists(std::path::Path::new(&side), 0o600)?;
    }
    Ok(())
}

/// The file a `sqlite:` URL names; None for an in-memory database.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.contains(":memory:") && !url.contains("mode=memory")).then(|| path.into())
}

/// sqlx speaks `mysql://` only; MariaDB users naturally write `mariadb://`.
fn normalize_url(url: &str) -> String {
    match url.strip_prefix("mariadb://") {
        Some(rest) => format!("mysql://{rest}"),
        None => url.to_string(),
    }
}

pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    migrations::Migrator::up(db, None)
        .await
        .context("database migration failed")
}

/// The connection pool as it is now.
pub struct PoolStats {
    /// Connections open, idle or in use.
    pub open: u32,
    pub idle: u32,
    /// The most it opens.
    pub max: u32,
}

/// The pool's figures (for `/metrics`); None for a connection without one.
pub fn pool_stats(db: &DatabaseConnection) -> Option<PoolStats> {
    use sea_orm::DatabaseConnectionType as Kind;
    fn of<DB: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<DB>) -> PoolStats {
        PoolStats {
            open: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        }
    }
    match &db.inner {
        Kind::SqlxSqlitePoolConnection(_) => Some(of(db.get_sqlite_connection_pool())),
        Kind::SqlxMySqlPoolConnection(_) => Some(of(db.get_mysql_connection_pool())),
        Kind::SqlxPostgresPoolConnection(_) => Some(of(db.get_postgres_connection_pool())),
        _ => None,
    }
}

macro_rules! sqlite_read_cache {
    () => {
        "-8192"
    };
}

/// SQLite's page cache per connection for ordinary requests, in KiB
/// (negative: a size, not a page count): 8 MB, so the eight connections
/// hold at most 64 MB. It was 64 MB each for the bulk writers' sake, and
/// a server under a read load grew to 1.4 GB of RSS filling them.
const SQLITE_READ_CACHE: &str = sqlite_read_cache!();
const SQLITE_READ_CACHE_RESET: &str = concat!("PRAGMA cache_size = ", sqlite_read_cache!());
/// The page cache of a bulk writer's connection: a 100,000-row import or
/// billing run touches a dozen indexes whose pages would otherwise be
/// evicted and re-read every few rows.
const SQLITE_BULK_CACHE: &str = "-65536";

/// [`begin_write`] for a transaction that writes many rows (an import, a
/// billing run): on SQLite its connection gets the large page cache until
/// it goes back to the pool. SQLite has one writer at a time, so at most
/// one connection holds the large cache.
pub async fn begin_bulk_write(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    let txn = begin_write(db).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        txn.execute_unprepared(&format!("PRAGMA cache_size = {SQLITE_BULK_CACHE}"))
            .await?;
    }
    Ok(txn)
}

/// Opens a transaction that will write. On SQLite it takes the write lock at
/// `BEGIN` (`IMMEDIATE`): a deferred transaction that reads and then writes
/// can fail with SQLITE_BUSY when another writer got in between. MySQL and
/// PostgreSQL lock rows with `FOR UPDATE` inside the transaction instead.
pub async fn begin_write(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        isolation_level: None,
        access_mode: None,
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
    })
    .await
}

/// A `LIKE` pattern matching `text` anywhere, with `%`, `_` and the escape
/// character itself taken literally: a user searching for "100%" means it.
pub fn like_contains(text: &str) -> sea_orm::sea_query::LikeExpr {
    sea_orm::sea_query::LikeExpr::new(contains_pattern(text)).escape('!')
}

/// The pattern of [`like_contains`], for hand-written SQL (`ESCAPE '!'`).
pub fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '!') {
            pattern.push('!');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Refreshes the query planner's statistics. SQLite plans without them as if
/// every index were selective, and then walks a 100,000-row index to find one
/// customer; `PRAGMA optimize` analyzes the tables whose statistics are
/// missing or stale. Run at start-up and after bulk loads (imports).
/// MySQL/MariaDB and PostgreSQL keep their statistics up to date themselves.
pub async fn refresh_statistics(db: &DatabaseConnection) -> anyhow::Result<()> {
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA optimize=0x10002")
            .await
            .context("cannot refresh SQLite statistics")?;
    }
    Ok(())
}

/// Values are split here for a wide sum ([`wide_sum`]).
const SPLIT: i64 = 1_000_000_000;

/// The exact `SUM` of a BIGINT expression on every backend, whatever the
/// values and however many rows, as two select expressions named
/// `{alias}_hi` and `{alias}_lo` (`alias` in lower case: PostgreSQL folds
/// unquoted names); read back with [`read_wide_sum`].
///
/// A plain `SUM` of BIGINTs fails with "integer overflow" on SQLite once it
/// passes the i64 range (925 payments of 999,999,999,999.99 do), and MySQL's
/// DECIMAL and PostgreSQL's NUMERIC sums do not read back as an i64 beyond
/// it. So each value is split at 10^9 — `v = hi × 10^9 + lo`, both parts
/// truncated toward zero on every backend — and each part summed as a
/// BIGINT: |hi| ≤ 9,223,372,036 and |lo| < 10^9, so both sums are exact
/// for up to a billion rows; the two are combined in 128 bits. Never
/// `TOTAL()`: that is a binary float.
pub fn wide_sum(backend: DbBackend, expr: &str, alias: &str) -> [(sea_orm::sea_query::Expr, String); 2] {
    let [hi, lo] = wide_sum_parts(backend, expr);
    [
        (sea_orm::sea_query::Expr::cust(hi), format!("{alias}_hi")),
        (sea_orm::sea_query::Expr::cust(lo), format!("{alias}_lo")),
    ]
}

/// [`wide_sum`] as SQL text for hand-written statements:
/// `… AS {alias}_hi, … AS {alias}_lo`.
pub fn wide_sum_sql(backend: DbBackend, expr: &str, alias: &str) -> String {
    let [hi, lo] = wide_sum_parts(backend, expr);
    format!("{hi} AS {alias}_hi, {lo} AS {alias}_lo")
}

fn wide_sum_parts(backend: DbBackend, expr: &str) -> [String; 2] {
    let (integer, divide) = if backend == DbBackend::MySql {
        // `/` is a decimal division on MySQL; `DIV` truncates like the others.
        ("SIGNED", "DIV")
    } else {
        ("BIGINT", "/")
    };
    [
        format!("CAST(COALESCE(SUM(({expr}) {divide} {SPLIT}), 0) AS {integer})"),
        format!("CAST(COALESCE(SUM(({expr}) % {SPLIT}), 0) AS {integer})"),
    ]
}

/// A [`wide_sum`] named `alias` from a result row.
pub fn read_wide_sum(row: &sea_orm::QueryResult, alias: &str) -> Result<Total, sea_orm::DbErr> {
    let hi: i64 = row.try_get("", &format!("{alias}_hi"))?;
    let lo: i64 = row.try_get("", &format!("{alias}_lo"))?;
    Ok(Total::from_units(i128::from(hi) * i128::from(SPLIT) + i128::from(lo)))
}

/// `COUNT(*)` and the exact sums of BIGINT `columns` over a selection, in
/// one query: the totals row of a list.
///
/// On SQLite a plain `SUM` of integers is exact and fails with "integer
/// overflow" rather than wrap, so it is tried first and the [`wide_sum`]
/// (two divisions a value, 1.8× the time over a 100,000-row period) only
/// once it overflows. MySQL silently clamps a cast out of range, and a
/// failed statement aborts a PostgreSQL transaction, so those always sum
/// wide.
pub async fn count_and_sums<E: sea_orm::EntityTrait>(
    db: &impl ConnectionTrait,
    select: sea_orm::Select<E>,
    columns: &[&str],
) -> Result<(u64, Vec<Total>), sea_orm::DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        match sums_of(db, select.clone(), columns, false).await {
            Err(e) if e.to_string().contains("integer overflow") => {}
            other => return other,
        }
    }
    sums_of(db, select, columns, true).await
}

async fn sums_of<E: sea_orm::EntityTrait>(
    db: &impl ConnectionTrait,
    select: sea_orm::Select<E>,
    columns: &[&str],
    wide: bool,
) -> Result<(u64, Vec<Total>), sea_orm::DbErr> {
    use sea_orm::sea_query::Expr;
    use sea_orm::{QuerySelect, QueryTrait};
    let backend = db.get_database_backend();
    let mut select = select.select_only().column_as(Expr::cust("COUNT(*)"), "row_count");
    for (i, column) in columns.iter().enumerate() {
        let alias = format!("s{i}");
        if wide {
            for (expr, alias) in wide_sum(backend, column, &alias) {
                select = select.column_as(expr, alias);
            }
        } else {
            select = select.column_as(Expr::cust(format!("COALESCE(SUM({column}), 0)")), alias);
        }
    }
    let Some(row) = db.query_one_raw(select.build(backend)).await? else {
        return Ok((0, vec![Total::ZERO; columns.len()]));
    };
    let count: i64 = row.try_get("", "row_count")?;
    let sums = (0..columns.len())
        .map(|i| {
            let alias = format!("s{i}");
            if wide {
                read_wide_sum(&row, &alias)
            } else {
                row.try_get::<i64>("", &alias)
                    .map(|units| Total::from_units(i128::from(units)))
            }
        })
        .collect::<Result<_, _>>()?;
    Ok((count.max(0) as u64, sums))
}
