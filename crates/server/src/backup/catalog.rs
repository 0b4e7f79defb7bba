//! What a backup holds, read from the database's own catalog: the tables,
//! their columns as a kind that means the same on every backend, their
//! primary keys (the order rows are written in) and their foreign keys (the
//! order tables are loaded in). Read at backup time from the source and at
//! restore time from the target, so the two can be compared.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde::{Deserialize, Serialize};

/// A column's type, the same on every backend: what its values are written
/// as in the archive and bound as when they are loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A JSON number (64-bit; smaller integer columns read as their width).
    Int,
    Bool,
    Text,
    /// A UTC instant, `2026-12-04T08:00:00.000000Z` (microseconds: what
    /// MySQL's `DATETIME(6)` and PostgreSQL keep).
    Timestamp,
    /// `2026-12-04`.
    Date,
    /// Standard base64.
    Bytes,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
    pub nullable: bool,
    /// Bits of an integer column (16, 32 or 64): PostgreSQL decodes only
    /// the exact width. Not part of the archive's contract.
    #[serde(skip, default = "wide")]
    pub bits: u8,
}

fn wide() -> u8 {
    64
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    /// By name, so the same table reads the same on every backend.
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    /// Tables this one refers to (not itself).
    pub parents: BTreeSet<String>,
}

/// Tables that are not data: the migration ledger (its version is in the
/// manifest and a restore migrates to it), SQLite's own and its full-text
/// index (rebuilt by triggers as customers load), and the analytics
/// snapshots, which are caches the triggers mark for recomputation as the
/// bills, receipts and usage load (DESIGN.md §9), and the maintained list
/// totals, which the triggers rebuild the same way (crate::db::totals).
pub fn is_archived(table: &str) -> bool {
    !(table == "seaql_migrations"
        || table.starts_with("sqlite_")
        || table.starts_with("customers_fts")
        || table.starts_with("analytics_")
        || table.starts_with("totals_"))
}

/// Every archived table, parents before children (ties by name).
pub async fn tables(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Table>> {
    let backend = db.get_database_backend();
    let mut tables = match backend {
        DbBackend::Sqlite => sqlite_tables(db).await?,
        DbBackend::MySql => mysql_tables(db).await?,
        _ => postgres_tables(db).await?,
    };
    tables.retain(|t| is_archived(&t.name));
    for table in &mut tables {
        table.columns.sort_by(|a, b| a.name.cmp(&b.name));
        let own = table.name.clone();
        table.parents.retain(|p| *p != own && is_archived(p));
    }
    dependency_order(tables)
}

/// Parents first; a cycle between tables (none in this schema) is refused
/// rather than loaded in an order the foreign keys would reject.
fn dependency_order(tables: Vec<Table>) -> anyhow::Result<Vec<Table>> {
    let mut pending: BTreeMap<String, Table> = tables.into_iter().map(|t| (t.name.clone(), t)).collect();
    let mut ordered: Vec<Table> = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready: Vec<String> = pending
            .values()
            .filter(|t| t.parents.iter().all(|p| !pending.contains_key(p)))
            .map(|t| t.name.clone())
            .collect();
        if ready.is_empty() {
            bail!(
                "the foreign keys between {} form a cycle",
                pending.keys().cloned().collect::<Vec<_>>().join(", ")
            );
        }
        for name in ready {
            ordered.extend(pending.remove(&name));
        }
    }
    Ok(ordered)
}

async fn rows(db: &impl ConnectionTrait, sql: &str) -> anyhow::Result<Vec<sea_orm::QueryResult>> {
    let backend = db.get_database_backend();
    db.query_all_raw(Statement::from_string(backend, sql.to_string()))
        .await
        .with_context(|| format!("cannot read the database catalog ({sql})"))
}

fn text(row: &sea_orm::QueryResult, column: &str) -> anyhow::Result<String> {
    row.try_get::<String>("", column)
        .with_context(|| format!("catalog column {column}"))
}

fn unsupported(table: &str, column: &str, declared: &str) -> anyhow::Error {
    anyhow::anyhow!("column {table}.{column} has a type backups do not support: {declared}")
}

async fn sqlite_tables(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Table>> {
    let mut tables = Vec::new();
    for row in rows(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").await? {
        let name = text(&row, "name")?;
        if !is_archived(&name) {
            continue;
        }
        let quoted = quote(DbBackend::Sqlite, &name);
        let mut columns = Vec::new();
        let mut keyed: Vec<(i64, String)> = Vec::new();
        for column in rows(db, &format!("PRAGMA table_info({quoted})")).await? {
            let column_name = text(&column, "name")?;
            let declared = text(&column, "type")?.to_ascii_lowercase();
            let kind = sqlite_kind(&declared).ok_or_else(|| unsupported(&name, &column_name, &declared))?;
            let pk: i64 = column.try_get("", "pk")?;
            if pk > 0 {
                keyed.push((pk, column_name.clone()));
            }
            let not_null: i64 = column.try_get("", "notnull")?;
            columns.push(Column {
                name: column_name,
                kind,
                nullable: not_null == 0 && pk == 0,
                bits: 64,
            });
        }
        keyed.sort();
        let parents = rows(db, &format!("PRAGMA foreign_key_list({quoted})"))
            .await?
            .iter()
            .map(|fk| text(fk, "table"))
            .collect::<anyhow::Result<_>>()?;
        tables.push(Table {
            name,
            columns,
            primary_key: keyed.into_iter().map(|(_, c)| c).collect(),
            parents,
        });
    }
    Ok(tables)
}

/// SQLite's declared types as SeaQuery writes them (`bigint`, `boolean`,
/// `timestamp_with_timezone_text`, `date_text`, `varchar(64)`, `blob`…).
fn sqlite_kind(declared: &str) -> Option<Kind> {
    Some(if declared.contains("bool") {
        Kind::Bool
    } else if declared.contains("int") {
        Kind::Int
    } else if declared.contains("timestamp") || declared.contains("datetime") {
        Kind::Timestamp
    } else if declared.starts_with("date") {
        Kind::Date
    } else if declared.contains("blob") || declared.contains("binary") {
        Kind::Bytes
    } else if declared.contains("char") || declared.contains("text") || declared.contains("clob") {
        Kind::Text
    } else {
        return None;
    })
}

async fn mysql_tables(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Table>> {
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for row in rows(
        db,
        "SELECT CAST(TABLE_NAME AS CHAR) AS table_name FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'",
    )
    .await?
    {
        let name = text(&row, "table_name")?;
        tables.insert(name.clone(), empty_table(name));
    }
    add_columns(
        db,
        &mut tables,
        "SELECT CAST(TABLE_NAME AS CHAR) AS table_name, CAST(COLUMN_NAME AS CHAR) AS column_name, \
         CAST(DATA_TYPE AS CHAR) AS data_type, CAST(COLUMN_TYPE AS CHAR) AS column_type, \
         CAST(IS_NULLABLE AS CHAR) AS is_nullable, \
         CASE WHEN EXTRA LIKE '%GENERATED%' THEN 'YES' ELSE 'NO' END AS is_generated \
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION",
        mysql_kind,
    )
    .await?;
    for row in rows(
        db,
        "SELECT CAST(TABLE_NAME AS CHAR) AS table_name, CAST(COLUMN_NAME AS CHAR) AS column_name, \
         CAST(CONSTRAINT_NAME AS CHAR) AS constraint_name, \
         CAST(REFERENCED_TABLE_NAME AS CHAR) AS parent \
         FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() \
         ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION",
    )
    .await?
    {
        let Some(table) = tables.get_mut(&text(&row, "table_name")?) else {
            continue;
        };
        if let Some(parent) = row.try_get::<Option<String>>("", "parent")? {
            table.parents.insert(parent);
        } else if text(&row, "constraint_name")? == "PRIMARY" {
            table.primary_key.push(text(&row, "column_name")?);
        }
    }
    Ok(tables.into_values().collect())
}

async fn postgres_tables(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Table>> {
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for row in rows(
        db,
        "SELECT table_name::text AS table_name FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    )
    .await?
    {
        let name = text(&row, "table_name")?;
        tables.insert(name.clone(), empty_table(name));
    }
    add_columns(
        db,
        &mut tables,
        "SELECT table_name::text AS table_name, column_name::text AS column_name, \
         data_type::text AS data_type, data_type::text AS column_type, is_nullable::text AS is_nullable, \
         CASE WHEN is_generated = 'ALWAYS' THEN 'YES' ELSE 'NO' END AS is_generated \
         FROM information_schema.columns WHERE table_schema = current_schema() \
         ORDER BY table_name, ordinal_position",
        postgres_kind,
    )
    .await?;
    for row in rows(
        db,
        "SELECT rel.relname::text AS table_name, con.contype::text AS kind, \
         ref.relname::text AS parent, att.attname::text AS column_name \
         FROM pg_constraint con \
         JOIN pg_class rel ON rel.oid = con.conrelid \
         JOIN pg_namespace ns ON ns.oid = rel.relnamespace AND ns.nspname = current_schema() \
         LEFT JOIN pg_class ref ON ref.oid = con.confrelid \
         CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS key(attnum, position) \
         JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = key.attnum \
         WHERE con.contype IN ('p', 'f') ORDER BY rel.relname, con.conname, key.position",
    )
    .await?
    {
        let Some(table) = tables.get_mut(&text(&row, "table_name")?) else {
            continue;
        };
        if text(&row, "kind")? == "f" {
            table.parents.insert(text(&row, "parent")?);
        } else {
            table.primary_key.push(text(&row, "column_name")?);
        }
    }
    Ok(tables.into_values().collect())
}

/// Adds the columns an `information_schema` query lists (`table_name`,
/// `column_name`, `data_type`, `column_type`, `is_nullable`, `is_generated`)
/// to their tables; generated columns are derived, so not archived.
async fn add_columns(
    db: &impl ConnectionTrait,
    tables: &mut BTreeMap<String, Table>,
    sql: &str,
    kind_of: fn(&str, &str) -> Option<(Kind, u8)>,
) -> anyhow::Result<()> {
    for row in rows(db, sql).await? {
        let Some(table) = tables.get_mut(&text(&row, "table_name")?) else {
            continue;
        };
        if text(&row, "is_generated")? == "YES" {
            continue;
        }
        let name = text(&row, "column_name")?;
        let data_type = text(&row, "data_type")?.to_ascii_lowercase();
        let column_type = text(&row, "column_type")?.to_ascii_lowercase();
        let (kind, bits) =
            kind_of(&data_type, &column_type).ok_or_else(|| unsupported(&table.name, &name, &column_type))?;
        table.columns.push(Column {
            name,
            kind,
            nullable: text(&row, "is_nullable")? == "YES",
            bits,
        });
    }
    Ok(())
}

fn mysql_kind(data_type: &str, column_type: &str) -> Option<(Kind, u8)> {
    Some(match data_type {
        "tinyint" if column_type.starts_with("tinyint(1)") => (Kind::Bool, 8),
        "bool" | "boolean" => (Kind::Bool, 8),
        "tinyint" | "smallint" => (Kind::Int, 16),
        "mediumint" | "int" | "integer" => (Kind::Int, 32),
        "bigint" => (Kind::Int, 64),
        "varchar" | "char" | "text" | "tinytext" | "mediumtext" | "longtext" => (Kind::Text, 0),
        "datetime" | "timestamp" => (Kind::Timestamp, 0),
        "date" => (Kind::Date, 0),
        "varbinary" | "binary" | "blob" | "tinyblob" | "mediumblob" | "longblob" => (Kind::Bytes, 0),
        _ => return None,
    })
}

fn postgres_kind(data_type: &str, _: &str) -> Option<(Kind, u8)> {
    Some(match data_type {
        "boolean" => (Kind::Bool, 8),
        "smallint" => (Kind::Int, 16),
        "integer" => (Kind::Int, 32),
        "bigint" => (Kind::Int, 64),
        "character varying" | "character" | "text" => (Kind::Text, 0),
        "timestamp with time zone" => (Kind::Timestamp, 0),
        "date" => (Kind::Date, 0),
        "bytea" => (Kind::Bytes, 0),
        _ => return None,
    })
}

fn empty_table(name: String) -> Table {
    Table {
        name,
        columns: Vec::new(),
        primary_key: Vec::new(),
        parents: BTreeSet::new(),
    }
}

/// An identifier quoted for `backend` (names come from the catalog, but a
/// quote inside one is still doubled).
pub fn quote(backend: DbBackend, name: &str) -> String {
    match backend {
        DbBackend::MySql => format!("`{}`", name.replace('`', "``")),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

/// `ORDER BY` of a table's rows: by primary key (every column when there is
/// none), text in byte order on every backend so that the same rows make the
/// same file whichever database they come from.
pub fn order_by(backend: DbBackend, table: &Table) -> String {
    let keys: Vec<&Column> = if table.primary_key.is_empty() {
        table.columns.iter().collect()
    } else {
        table
            .primary_key
            .iter()
            .filter_map(|k| table.columns.iter().find(|c| c.name == *k))
            .collect()
    };
    keys.iter()
        .map(|column| {
            let name = quote(backend, &column.name);
            match (column.kind, backend) {
                (Kind::Text, DbBackend::MySql) => format!("CAST({name} AS BINARY)"),
                (Kind::Text, DbBackend::Postgres) => format!("{name} COLLATE \"C\""),
                _ => name,
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, parents: &[&str]) -> Table {
        Table {
            name: name.into(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            parents: parents.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn parents_load_first_and_cycles_are_refused() {
        let ordered = dependency_order(vec![
            table("payments", &["customers"]),
            table("allocations", &["payments", "bills"]),
            table("bills", &["customers"]),
            table("customers", &["users"]),
            table("users", &[]),
        ])
        .unwrap();
        let names: Vec<&str> = ordered.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["users", "customers", "bills", "payments", "allocations"]);
        assert!(dependency_order(vec![table("a", &["b"]), table("b", &["a"])]).is_err());
    }

    #[test]
    fn sqlite_declared_types_map_to_kinds() {
        assert_eq!(sqlite_kind("bigint"), Some(Kind::Int));
        assert_eq!(sqlite_kind("boolean"), Some(Kind::Bool));
        assert_eq!(sqlite_kind("timestamp_with_timezone_text"), Some(Kind::Timestamp));
        assert_eq!(sqlite_kind("date_text"), Some(Kind::Date));
        assert_eq!(sqlite_kind("varchar(64)"), Some(Kind::Text));
        assert_eq!(sqlite_kind("blob"), Some(Kind::Bytes));
        assert_eq!(sqlite_kind("real"), None);
    }
}
