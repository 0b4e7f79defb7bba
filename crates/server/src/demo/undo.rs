//! Taking a half-written demo out again. The services commit as they go (a
//! year of business is thousands of transactions, as it would be by hand),
//! so a failure half-way cannot be rolled back as one transaction. Instead
//! the demo marks every table before its first write, and on failure deletes
//! what came after the mark: every row of a table that was empty, and the
//! rows above the highest id of one that was not (the bootstrap `admin`, the
//! settings and the database's secrets stay). Rows that depend on others
//! (foreign keys) are taken out first by trying the tables again until
//! nothing is left to delete.

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

/// Tables the demo never writes and must not touch.
const KEEP: &[&str] = &["seaql_migrations"];

/// Each table's state before the demo: empty, or its highest id.
pub struct Mark {
    tables: Vec<(String, Before)>,
}

enum Before {
    Empty,
    UpTo(i64),
    /// Rows without an `id` column: left alone.
    Kept,
}

fn quoted(backend: DbBackend, table: &str) -> String {
    match backend {
        DbBackend::MySql => format!("`{table}`"),
        _ => format!("\"{table}\""),
    }
}

async fn tables(db: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => {
            "SELECT name, COALESCE(sql, '') FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        DbBackend::MySql => {
            "SELECT CAST(table_name AS CHAR), '' FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY 1"
        }
        _ => "SELECT CAST(tablename AS TEXT), '' FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
    };
    let rows = db.query_all_raw(Statement::from_string(backend, sql)).await?;
    let mut listed = Vec::new();
    for row in rows {
        let name: String = row.try_get_by_index(0)?;
        let definition: String = row.try_get_by_index(1)?;
        listed.push((
            name,
            definition.to_ascii_uppercase().starts_with("CREATE VIRTUAL TABLE"),
        ));
    }
    // SQLite's full-text index keeps itself in step through triggers: its
    // virtual table and the shadow tables behind it are never touched.
    let virtual_names: Vec<String> = listed.iter().filter(|t| t.1).map(|t| format!("{}_", t.0)).collect();
    Ok(listed
        .into_iter()
        .filter(|(name, is_virtual)| {
            !is_virtual && !KEEP.contains(&name.as_str()) && !virtual_names.iter().any(|v| name.starts_with(v))
        })
        .map(|(name, _)| name)
        .collect())
}

async fn scalar(db: &DatabaseConnection, sql: String) -> Result<Option<i64>, sea_orm::DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    Ok(match row {
        Some(row) => row.try_get_by_index::<Option<i64>>(0)?,
        None => None,
    })
}

impl Mark {
    pub async fn take(db: &DatabaseConnection) -> anyhow::Result<Mark> {
        let backend = db.get_database_backend();
        let mut marked = Vec::new();
        for table in tables(db).await.context("listing the tables")? {
            let name = quoted(backend, &table);
            let count = scalar(db, format!("SELECT COUNT(*) FROM {name}")).await?.unwrap_or(0);
            let before = if count == 0 {
                Before::Empty
            } else {
                let max = match backend {
                    DbBackend::MySql => format!("SELECT CAST(MAX(id) AS SIGNED) FROM {name}"),
                    _ => format!("SELECT CAST(MAX(id) AS BIGINT) FROM {name}"),
                };
                match scalar(db, max).await {
                    Ok(max) => Before::UpTo(max.unwrap_or(0)),
                    Err(_) => Before::Kept,
                }
            };
            marked.push((table, before));
        }
        Ok(Mark { tables: marked })
    }

    /// Deletes what was written after the mark.
    pub async fn undo(&self, db: &DatabaseConnection) -> anyhow::Result<()> {
        let backend = db.get_database_backend();
        let statements: Vec<String> = self
            .tables
            .iter()
            .filter_map(|(table, before)| {
                let name = quoted(backend, table);
                match before {
                    Before::Empty => Some(format!("DELETE FROM {name}")),
                    Before::UpTo(max) => Some(format!("DELETE FROM {name} WHERE id > {max}")),
                    Before::Kept => None,
                }
            })
            .collect();
        // Children before parents: a refused delete is tried again next
        // round; triggers may refill a table, so stop only on a clean round.
        // On SQLite and MariaDB one write transaction holds it all (a refused
        // statement leaves the transaction usable there, and SQLite then
        // takes its write lock once); PostgreSQL aborts a transaction at its
        // first error, so there each statement is its own.
        if backend == DbBackend::Postgres {
            return rounds(db, backend, &statements).await;
        }
        let txn = crate::db::begin_write(db).await?;
        rounds(&txn, backend, &statements).await?;
        txn.commit().await?;
        Ok(())
    }
}

async fn rounds(db: &impl ConnectionTrait, backend: DbBackend, statements: &[String]) -> anyhow::Result<()> {
    let mut refusals = Vec::new();
    for _round in 0..12 {
        let mut deleted = 0;
        refusals.clear();
        for sql in statements {
            match db.execute_raw(Statement::from_string(backend, sql.clone())).await {
                Ok(result) => deleted += result.rows_affected(),
                Err(e) => refusals.push(format!("{sql}: {e}")),
            }
        }
        if deleted == 0 && refusals.is_empty() {
            return Ok(());
        }
    }
    Err(anyhow::anyhow!(
        "some rows could not be deleted: {}",
        if refusals.is_empty() {
            "rows kept coming back".to_string()
        } else {
            refusals.join("; ")
        }
    ))
}
