//! Opening a transaction that will write, the same way on every backend.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};

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
