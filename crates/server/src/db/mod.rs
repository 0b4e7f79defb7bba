//! Database connection and schema. One code base and one migration set for
//! SQLite, MySQL/MariaDB and PostgreSQL (SeaORM; see docs/decisions.md).

pub mod bulk;
pub mod columns;
pub mod migrations;
pub mod money;
pub mod packed;
pub mod raw;
pub mod sums;
pub mod totals;
pub mod write;

pub use sums::{SplitUnits, count_and_sums, read_wide_sum, wide_sum, wide_sum_sql};
pub use write::{begin_bulk_write, begin_write};

use std::time::Duration;

use anyhow::Context;
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
        //
        // And the database file memory-mapped for reading
        // ([`SQLITE_MMAP_SIZE`]).
        .map_sqlx_sqlite_opts(|o| {
            o.pragma("cache_size", SQLITE_READ_CACHE)
                .pragma("temp_store", "memory")
                .pragma("mmap_size", SQLITE_MMAP_SIZE)
        })
        // A bulk writer enlarges its connection's page cache
        // ([`begin_bulk_write`]); every connection goes back to the pool
        // with the small one, which frees the pages beyond it.
        //
        // And a connection that comes back still counted inside a
        // transaction is closed, not reused. SQLite rolls a transaction back
        // by itself on some errors (a full disk), sqlx's own ROLLBACK then
        // fails and leaves its count at one, and the connection's next
        // "BEGIN IMMEDIATE" would become a SAVEPOINT: a deferred transaction
        // that failed with "database is locked" (517) in the disk-full test.
        // The PRAGMA runs after any rollback still queued on the connection.
        .map_sqlx_sqlite_pool_opts(|o| {
            o.after_release(|conn, _| {
                Box::pin(async move {
                    use sea_orm::sqlx::{Connection, Executor};
                    conn.execute(SQLITE_READ_CACHE_RESET).await?;
                    Ok(!conn.is_in_transaction())
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
    migrate_steps(db, None).await
}

/// Applies the next `steps` pending migrations (all when None).
///
/// On SQLite over a connection of their own: sea-orm-migration runs SQLite
/// migrations outside a transaction, each statement on whichever pooled
/// connection is free. A connection keeps the schema it last read, and
/// SQLite checks a `CREATE INDEX`'s name against that copy as it parses the
/// statement, so on a busy machine an index dropped with its table on one
/// connection still "already existed" on another (a migration failed in
/// about one start in twenty). One connection sees its own statements.
pub async fn migrate_steps(db: &DatabaseConnection, steps: Option<u32>) -> anyhow::Result<()> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return migrations::Migrator::up(db, steps)
            .await
            .context("database migration failed");
    }
    let options = db.get_sqlite_connection_pool().connect_options();
    let pool = sea_orm::sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with((*options).clone())
        .await
        .context("cannot open the SQLite database to migrate it")?;
    let one = sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
    let migrated = migrations::Migrator::up(&one, steps)
        .await
        .context("database migration failed");
    one.close().await.context("cannot close the migration's connection")?;
    migrated
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
/// SQLite reads the database file through a memory map of up to this many
/// bytes (its build's limit, ~2 GB) instead of `pread` into each
/// connection's own cache. With eight 8 MB caches and a 1 GB database
/// (100,000 customers, a year of bills) most reads missed, and copying pages
/// in from the kernel took a third of the server's CPU under the 500-user
/// mix; mapped, the eight connections share the kernel's page cache without
/// a copy, and the mix's throughput doubled (docs/performance.md, part 6).
/// Only reads are mapped: writes still go to the WAL with write(2).
const SQLITE_MMAP_SIZE: &str = "2147418112";
const SQLITE_READ_CACHE_RESET: &str = concat!("PRAGMA cache_size = ", sqlite_read_cache!());
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
