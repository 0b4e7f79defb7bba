//! Indexes that keep the customer list under 30 ms at 100,000 rows (issue 3).
//!
//! - `ix_customers_filter` covers every list filter, so a page's `COUNT(*)`
//!   reads one narrow index instead of visiting rows. It replaces the three
//!   single-column indexes, which tempted the planner into row-by-row lookups.
//! - `ix_customers_search` covers `search_text`, so a 1–2 character search
//!   (too short for trigrams) scans the index rather than the table.
//! - On SQLite, an FTS5 trigram index over `search_text` answers substring
//!   searches of three or more characters without a scan. It uses the
//!   customers table as external content and is kept in step by triggers.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

use super::schema::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const FILTER_COLUMNS: [&str; 11] = [
    "is_deleted",
    "account_status",
    "level",
    "industry",
    "series_x",
    "series_n",
    "series_l",
    "signed_at",
    "region",
    "sales_owner_id",
    "ops_owner_id",
];

const SQLITE_FTS_UP: [&str; 5] = [
    "CREATE VIRTUAL TABLE customers_fts USING fts5(search_text, content='customers', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers BEGIN \
       INSERT INTO customers_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER customers_fts_delete AFTER DELETE ON customers BEGIN \
       INSERT INTO customers_fts(customers_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER customers_fts_update AFTER UPDATE OF search_text ON customers BEGIN \
       INSERT INTO customers_fts(customers_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); \
       INSERT INTO customers_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO customers_fts(customers_fts) VALUES ('rebuild')",
];

const SQLITE_FTS_DOWN: [&str; 4] = [
    "DROP TRIGGER IF EXISTS customers_fts_insert",
    "DROP TRIGGER IF EXISTS customers_fts_delete",
    "DROP TRIGGER IF EXISTS customers_fts_update",
    "DROP TABLE IF EXISTS customers_fts",
];

const REPLACED: [(&str, &str); 3] = [
    ("ix_customers_status", "account_status"),
    ("ix_customers_level", "level"),
    ("ix_customers_industry", "industry"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in REPLACED {
            manager
                .drop_index(Index::drop().name(name).table("customers").to_owned())
                .await?;
        }
        index(manager, "ix_customers_filter", "customers", &FILTER_COLUMNS, false).await?;
        index(
            manager,
            "ix_customers_search",
            "customers",
            &["is_deleted", "search_text"],
            false,
        )
        .await?;
        if manager.get_database_backend() == DbBackend::Sqlite {
            let db = manager.get_connection();
            for statement in SQLITE_FTS_UP {
                db.execute_unprepared(statement).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            let db = manager.get_connection();
            for statement in SQLITE_FTS_DOWN {
                db.execute_unprepared(statement).await?;
            }
        }
        for name in ["ix_customers_filter", "ix_customers_search"] {
            manager
                .drop_index(Index::drop().name(name).table("customers").to_owned())
                .await?;
        }
        for (name, column) in REPLACED {
            index(manager, name, "customers", &[column], false).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bulk_inserts_recreate_the_trigger_this_migration_made() {
        assert_eq!(super::SQLITE_FTS_UP[1], crate::customers::search_index::INSERT_TRIGGER);
    }
}
