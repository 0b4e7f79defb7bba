//! The SQLite full-text index of `customers.search_text` (FTS5 trigram,
//! migration 3), kept in step by triggers. A trigger indexes rows one at a
//! time, which is five times slower than indexing them in one statement: a
//! 100,000-row import spends 6 s in the trigger and about 1 s without it. So
//! a bulk insert drops the insert trigger inside its transaction, indexes
//! the new rows with one `INSERT … SELECT`, and puts the trigger back before
//! commit. SQLite's DDL is transactional and the import holds the write lock
//! (`BEGIN IMMEDIATE`), so no other writer ever sees the table without it.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, FromQueryResult, Statement};

use crate::error::AppResult;

/// The live definition of the insert trigger (the migration that created it
/// is frozen; a test checks the two agree).
pub const INSERT_TRIGGER: &str = "CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers BEGIN \
       INSERT INTO customers_fts(rowid, search_text) VALUES (new.id, new.search_text); END";

/// A bulk insert in progress; a no-op on MySQL and PostgreSQL.
pub struct BulkInsert {
    /// The highest id before the insert (SQLite only).
    after: Option<i64>,
}

#[derive(FromQueryResult)]
struct MaxId {
    max_id: Option<i64>,
}

impl BulkInsert {
    pub async fn begin(txn: &DatabaseTransaction) -> AppResult<BulkInsert> {
        if txn.get_database_backend() != DbBackend::Sqlite {
            return Ok(BulkInsert { after: None });
        }
        let max = MaxId::find_by_statement(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT MAX(id) AS max_id FROM customers",
        ))
        .one(txn)
        .await?
        .and_then(|m| m.max_id)
        .unwrap_or(0);
        txn.execute_unprepared("DROP TRIGGER IF EXISTS customers_fts_insert")
            .await?;
        Ok(BulkInsert { after: Some(max) })
    }

    pub async fn finish(self, txn: &DatabaseTransaction) -> AppResult<()> {
        let Some(after) = self.after else { return Ok(()) };
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "INSERT INTO customers_fts(rowid, search_text) SELECT id, search_text FROM customers WHERE id > ?",
            [after.into()],
        ))
        .await?;
        txn.execute_unprepared(INSERT_TRIGGER).await?;
        Ok(())
    }
}
