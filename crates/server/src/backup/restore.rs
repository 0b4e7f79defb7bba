//! `opcms restore`: checks an archive through before anything is written,
//! then loads it into an empty database, one transaction per table, parents
//! first. Also [`verify`], which the 数据备份 page uses on stored archives.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use sea_orm_migration::MigratorTrait;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::archive::{self, ArchiveReader, Header, Manifest, TableEntry};
use super::catalog::{self, Column, quote};
use super::refusal::Refusal;
use super::values;
use crate::config::Config;
use crate::db::migrations::{self, Migrator};

/// Rows a load statement inserts at most (fewer for wide tables: every
/// backend caps the parameters of one statement).
const LOAD_ROWS: usize = 500;
const LOAD_PARAMETERS: usize = 30_000;

/// Reads the whole archive and checks it: an OP_CMS backup of a format and
/// schema this release knows, every table's file present, of the stated row
/// count and SHA-256. Any failure is a [`Refusal`] saying what is wrong.
pub fn verify(path: &Path) -> anyhow::Result<Manifest> {
    let reader = ArchiveReader::open(path)?;
    let mut header: Option<Header> = None;
    let mut manifest: Option<Manifest> = None;
    let mut files: HashMap<String, (u64, String)> = HashMap::new();
    reader.for_each(|name, contents| {
        if header.is_none() {
            if name != archive::HEADER_ENTRY {
                return Err(foreign(path));
            }
            header = Some(read_header(path, contents)?);
            return Ok(());
        }
        if name == archive::MANIFEST_ENTRY {
            let parsed: Manifest = serde_json::from_reader(contents).map_err(|e| {
                Refusal::failed(format!(
                    "the manifest of {} cannot be read: the archive is damaged ({e})",
                    path.display()
                ))
            })?;
            manifest = Some(parsed);
        } else if manifest.is_some() {
            return Err(Refusal::failed(format!("{} has data after its manifest", path.display())).into());
        } else {
            files.insert(
                name.to_string(),
                digest(contents).map_err(|e| archive::damaged(path, &e))?,
            );
        }
        Ok(())
    })?;
    let header = header.ok_or_else(|| foreign(path))?;
    let manifest = manifest.ok_or_else(|| {
        Refusal::failed(format!(
            "{} has no manifest: the archive is cut short (an interrupted copy or a full disk)",
            path.display()
        ))
    })?;
    if manifest.header != header {
        return Err(Refusal::failed(format!("the manifest of {} does not match its header", path.display())).into());
    }
    for table in &manifest.tables {
        match files.remove(&table.file) {
            None => {
                return Err(Refusal::failed(format!("table {} is missing from {}", table.name, path.display())).into());
            }
            Some((rows, sha256)) if rows != table.rows || sha256 != table.sha256 => {
                return Err(Refusal::failed(format!(
                    "table {} in {} does not match its checksum (SHA-256 {sha256}, expected {}): the archive is damaged",
                    table.name,
                    path.display(),
                    table.sha256
                ))
                .into());
            }
            Some(_) => {}
        }
    }
    if let Some(extra) = files.keys().next() {
        return Err(Refusal::failed(format!(
            "{} holds {extra}, which its manifest does not list",
            path.display()
        ))
        .into());
    }
    Ok(manifest)
}

fn foreign(path: &Path) -> anyhow::Error {
    Refusal::failed(format!("{} is not an OP_CMS backup", path.display())).into()
}

fn read_header(path: &Path, contents: &mut dyn Read) -> anyhow::Result<Header> {
    let value: Json = serde_json::from_reader(contents).map_err(|_| foreign(path))?;
    if value.get("format").and_then(Json::as_str) != Some(archive::FORMAT) {
        return Err(foreign(path));
    }
    let version = value.get("format_version").and_then(Json::as_u64).unwrap_or(u64::MAX);
    if version > u64::from(archive::FORMAT_VERSION) {
        return Err(Refusal::failed(format!(
            "{} has backup format {version}, newer than this opcms ({}) reads: restore it with a newer release of OP_CMS",
            path.display(),
            archive::FORMAT_VERSION
        ))
        .into());
    }
    let header: Header = serde_json::from_value(value).map_err(|_| foreign(path))?;
    if !known_migrations().contains(&header.schema_version) {
        return Err(Refusal::failed(format!(
            "{} was made by a newer OP_CMS ({}, schema {}): upgrade opcms before restoring it",
            path.display(),
            header.opcms_version,
            header.schema_version
        ))
        .into());
    }
    Ok(header)
}

/// Line count and SHA-256 of an entry.
fn digest(contents: &mut dyn Read) -> std::io::Result<(u64, String)> {
    let mut hash = Sha256::new();
    let mut lines = 0u64;
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = contents.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hash.update(&buffer[..n]);
        lines += buffer[..n].iter().filter(|b| **b == b'\n').count() as u64;
    }
    Ok((lines, archive::hex(&hash.finalize())))
}

fn known_migrations() -> Vec<String> {
    Migrator::migrations().iter().map(|m| m.name().to_string()).collect()
}

/// Restores `path` into the database `config` names. Checks the archive,
/// the master key and that the database is empty before writing anything;
/// if loading fails half-way, what was loaded is removed again.
pub async fn restore(config: &Config, path: &Path) -> anyhow::Result<Manifest> {
    let checked = path.to_path_buf();
    let manifest = tokio::task::spawn_blocking(move || verify(&checked))
        .await
        .context("the archive check stopped")??;
    check_keys(config, &manifest)?;
    let db = crate::db::connect(config).await?;
    migrate_to(&db, &manifest.header.schema_version).await?;
    let targets = target_columns(&db, &manifest).await?;
    refuse_unless_empty(&db, &manifest).await?;

    let backend = db.get_database_backend();
    let marks_analytics = has_analytics(&db).await;
    if marks_analytics {
        for statement in migrations::analytics_drop_triggers(backend) {
            db.execute_unprepared(&statement).await?;
        }
    }
    let loaded = load(&db, path, &manifest, &targets).await;
    if let Err(error) = loaded {
        remove_loaded(&db, &manifest).await;
        if marks_analytics {
            let _ = recreate_triggers(&db).await;
        }
        return Err(error);
    }
    if marks_analytics {
        recreate_triggers(&db).await?;
        for statement in migrations::ANALYTICS_MARK_EVERYTHING {
            db.execute_unprepared(statement).await?;
        }
    }
    reset_sequences(&db, &manifest).await?;
    // An archive from an older release: bring the schema up to this one.
    crate::db::migrate(&db).await?;
    crate::db::refresh_statistics(&db).await?;
    Ok(manifest)
}

/// Every key id the archive's sealed values name must be one this
/// installation has (`OPCMS_MASTER_KEY`, `OPCMS_PREVIOUS_KEYS` or the key
/// file), or the restored customers' contacts could never be read.
fn check_keys(config: &Config, manifest: &Manifest) -> anyhow::Result<()> {
    if manifest.key_ids.is_empty() {
        return Ok(());
    }
    let ids = manifest.key_ids.iter().cloned().collect::<Vec<_>>().join(", ");
    let key_file = config.data_dir.join("master.key");
    if config.master_key.is_none() && !key_file.exists() {
        return Err(Refusal::usage(format!(
            "the backup holds values encrypted with master key {ids}, and no master key is configured: \
             set OPCMS_MASTER_KEY to the source installation's key (OPCMS_MASTER_KEY there, or its \
             <data dir>/master.key) and run the restore again"
        ))
        .into());
    }
    let keyring = crate::crypto::Keyring::from_config(config)?;
    let missing: Vec<&str> = manifest
        .key_ids
        .iter()
        .filter(|id| !keyring.knows_key(id))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(Refusal::usage(format!(
            "the backup holds values encrypted with master key {}, which is not the configured key ({}): \
             set OPCMS_MASTER_KEY (or OPCMS_PREVIOUS_KEYS) to the source installation's key",
            missing.join(", "),
            keyring.current_key_id()
        ))
        .into());
    }
    Ok(())
}

/// Migrates an empty database up to the archive's schema (not beyond: the
/// rows must fit the tables as they were); an older archive is brought up
/// to date after it is loaded.
async fn migrate_to(db: &DatabaseConnection, version: &str) -> anyhow::Result<()> {
    let names = known_migrations();
    let position = names
        .iter()
        .position(|n| n == version)
        .context("unknown schema version")?;
    let applied = applied_migrations(db).await;
    if applied <= position {
        crate::db::migrate_steps(db, Some((position + 1 - applied) as u32)).await?;
    }
    Ok(())
}

async fn applied_migrations(db: &DatabaseConnection) -> usize {
    let backend = db.get_database_backend();
    let statement = Statement::from_string(backend, "SELECT COUNT(*) AS n FROM seaql_migrations".to_string());
    match db.query_one_raw(statement).await {
        Ok(Some(row)) => row.try_get::<i64>("", "n").map(|n| n.max(0) as usize).unwrap_or(0),
        _ => 0,
    }
}

/// The target's columns of each archived table, checked against the
/// archive: every archived column must exist there (a column the target has
/// beyond them takes its default).
async fn target_columns(db: &DatabaseConnection, manifest: &Manifest) -> anyhow::Result<BTreeMap<String, Vec<Column>>> {
    let tables = catalog::tables(db).await?;
    let order: HashMap<&str, usize> = tables.iter().enumerate().map(|(i, t)| (t.name.as_str(), i)).collect();
    let mut targets = BTreeMap::new();
    for entry in &manifest.tables {
        let Some(index) = order.get(entry.name.as_str()) else {
            return Err(Refusal::failed(format!(
                "the database has no table {}, which the backup holds: is OPCMS_DATABASE_URL the right database?",
                entry.name
            ))
            .into());
        };
        let target = &tables[*index];
        let mut columns = Vec::with_capacity(entry.columns.len());
        for column in &entry.columns {
            let Some(found) = target.columns.iter().find(|c| c.name == column.name) else {
                return Err(Refusal::failed(format!(
                    "the database's table {} has no column {}, which the backup holds",
                    entry.name, column.name
                ))
                .into());
            };
            if found.kind != column.kind {
                return Err(Refusal::failed(format!(
                    "column {}.{} is {:?} in the database but {:?} in the backup",
                    entry.name, column.name, found.kind, column.kind
                ))
                .into());
            }
            columns.push(Column {
                nullable: column.nullable || found.nullable,
                ..found.clone()
            });
        }
        for parent in &target.parents {
            let archived_later = manifest
                .tables
                .iter()
                .position(|t| t.name == *parent)
                .is_some_and(|p| p > manifest.tables.iter().position(|t| t.name == entry.name).unwrap_or(0));
            if archived_later {
                return Err(Refusal::failed(format!(
                    "the backup lists table {} before {}, which it refers to",
                    entry.name, parent
                ))
                .into());
            }
        }
        targets.insert(entry.name.clone(), columns);
    }
    Ok(targets)
}

async fn refuse_unless_empty(db: &DatabaseConnection, manifest: &Manifest) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    for entry in &manifest.tables {
        let sql = format!("SELECT COUNT(*) AS n FROM {}", quote(backend, &entry.name));
        let row = db.query_one_raw(Statement::from_string(backend, sql)).await?;
        let rows: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
        if rows > 0 {
            return Err(Refusal::failed(format!(
                "the database is not empty (table {} has {rows} rows): a restore only writes into an empty \
                 database; create a new one, or restore before the first `opcms serve` on it",
                entry.name
            ))
            .into());
        }
    }
    Ok(())
}

async fn has_analytics(db: &DatabaseConnection) -> bool {
    let backend = db.get_database_backend();
    let statement = Statement::from_string(backend, "SELECT COUNT(*) AS n FROM analytics_changes".to_string());
    db.query_one_raw(statement).await.is_ok()
}

async fn recreate_triggers(db: &DatabaseConnection) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    for statement in migrations::analytics_create_triggers(backend) {
        db.execute_unprepared(&statement).await?;
    }
    Ok(())
}

enum Batch {
    Begin(usize),
    Rows(Vec<Vec<Json>>),
    End(String),
}

/// Streams the archive a second time: a reader thread parses each table's
/// lines and hands them over in batches; each table loads in one
/// transaction that commits only if the file's digest still matches.
async fn load(
    db: &DatabaseConnection,
    path: &Path,
    manifest: &Manifest,
    targets: &BTreeMap<String, Vec<Column>>,
) -> anyhow::Result<()> {
    let (sender, mut receiver) = mpsc::channel::<Batch>(4);
    let files: HashMap<String, usize> = manifest
        .tables
        .iter()
        .enumerate()
        .map(|(i, t)| (t.file.clone(), i))
        .collect();
    let reading = path.to_path_buf();
    let reader = tokio::task::spawn_blocking(move || read_rows(&reading, &files, sender));
    let backend = db.get_database_backend();
    let mut result = Ok(());
    let mut current: Option<(&TableEntry, sea_orm::DatabaseTransaction, u64)> = None;
    while let Some(batch) = receiver.recv().await {
        let step: anyhow::Result<()> = async {
            match batch {
                Batch::Begin(index) => {
                    let entry = &manifest.tables[index];
                    current = Some((entry, crate::db::begin_write(db).await?, 0));
                }
                Batch::Rows(rows) => {
                    let (entry, tx, loaded) = current.as_mut().context("rows before their table")?;
                    let columns = &targets[&entry.name];
                    insert_rows(tx, backend, entry, columns, &rows, *loaded).await?;
                    *loaded += rows.len() as u64;
                }
                Batch::End(sha256) => {
                    let (entry, tx, loaded) = current.take().context("the end of no table")?;
                    if sha256 != entry.sha256 || loaded != entry.rows {
                        anyhow::bail!(Refusal::failed(format!(
                            "table {} changed in {} while it was restored",
                            entry.name,
                            path.display()
                        )));
                    }
                    tx.commit()
                        .await
                        .with_context(|| format!("cannot load table {}", entry.name))?;
                }
            }
            Ok(())
        }
        .await;
        if let Err(error) = step {
            result = Err(error);
            break;
        }
    }
    drop(receiver);
    let read = reader.await.context("the archive reader stopped")?;
    result?;
    read
}

fn read_rows(path: &Path, files: &HashMap<String, usize>, sender: mpsc::Sender<Batch>) -> anyhow::Result<()> {
    let reader = ArchiveReader::open(path)?;
    let gone = || anyhow::anyhow!("the restore stopped");
    reader.for_each(|name, contents| {
        let Some(index) = files.get(name) else { return Ok(()) };
        sender.blocking_send(Batch::Begin(*index)).map_err(|_| gone())?;
        let mut hashing = Hashing {
            inner: contents,
            hash: Sha256::new(),
        };
        let mut batch = Vec::with_capacity(LOAD_ROWS);
        for (number, line) in archive::lines(&mut hashing).enumerate() {
            let line = line.map_err(|e| archive::damaged(path, &e))?;
            let row: Vec<Json> = serde_json::from_slice(&line).map_err(|e| {
                Refusal::failed(format!(
                    "line {} of {name} in {} is not a row: {e}",
                    number + 1,
                    path.display()
                ))
            })?;
            batch.push(row);
            if batch.len() == LOAD_ROWS {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(LOAD_ROWS));
                sender.blocking_send(Batch::Rows(full)).map_err(|_| gone())?;
            }
        }
        if !batch.is_empty() {
            sender.blocking_send(Batch::Rows(batch)).map_err(|_| gone())?;
        }
        let sha256 = archive::hex(&hashing.hash.finalize());
        sender.blocking_send(Batch::End(sha256)).map_err(|_| gone())?;
        Ok(())
    })
}

struct Hashing<'a> {
    inner: &'a mut dyn Read,
    hash: Sha256,
}

impl Read for Hashing<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

async fn insert_rows(
    tx: &sea_orm::DatabaseTransaction,
    backend: DbBackend,
    entry: &TableEntry,
    columns: &[Column],
    rows: &[Vec<Json>],
    before: u64,
) -> anyhow::Result<()> {
    let per_statement = (LOAD_PARAMETERS / columns.len().max(1)).clamp(1, LOAD_ROWS);
    let names: Vec<String> = columns.iter().map(|c| quote(backend, &c.name)).collect();
    let head = format!(
        "INSERT INTO {} ({}) VALUES ",
        quote(backend, &entry.name),
        names.join(", ")
    );
    for (chunk_index, chunk) in rows.chunks(per_statement).enumerate() {
        let mut sql = head.clone();
        let mut params = Vec::with_capacity(chunk.len() * columns.len());
        for (i, row) in chunk.iter().enumerate() {
            let line = before + (chunk_index * per_statement + i) as u64 + 1;
            if row.len() != columns.len() {
                return Err(Refusal::failed(format!(
                    "line {line} of table {} has {} values, not {}",
                    entry.name,
                    row.len(),
                    columns.len()
                ))
                .into());
            }
            sql.push_str(if i == 0 { "(" } else { ", (" });
            for (j, (value, column)) in row.iter().zip(columns).enumerate() {
                if j > 0 {
                    sql.push_str(", ");
                }
                params.push(
                    values::bind(value, column, backend)
                        .map_err(|e| Refusal::failed(format!("line {line} of table {}: {e}", entry.name)))?,
                );
                match backend {
                    DbBackend::Postgres => sql.push_str(&format!("${}", params.len())),
                    _ => sql.push('?'),
                }
            }
            sql.push(')');
        }
        tx.execute_raw(Statement::from_sql_and_values(backend, sql, params))
            .await
            .with_context(|| format!("cannot load table {}", entry.name))?;
    }
    Ok(())
}

/// After a failed load: the tables already committed are emptied again,
/// children first, so the database is as empty as it was found.
async fn remove_loaded(db: &DatabaseConnection, manifest: &Manifest) {
    let backend = db.get_database_backend();
    for entry in manifest.tables.iter().rev() {
        let sql = format!("DELETE FROM {}", quote(backend, &entry.name));
        if let Err(error) = db.execute_unprepared(&sql).await {
            tracing::error!(table = %entry.name, %error, "cannot empty a table after a failed restore");
        }
    }
}

/// PostgreSQL's sequences do not move when ids are inserted explicitly;
/// MySQL's and SQLite's counters do.
async fn reset_sequences(db: &DatabaseConnection, manifest: &Manifest) -> anyhow::Result<()> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let tx = db.begin().await?;
    for entry in &manifest.tables {
        if entry.primary_key != ["id"] {
            continue;
        }
        let table = quote(DbBackend::Postgres, &entry.name);
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('{}', 'id'), GREATEST(COALESCE(MAX(id), 0), 1), COALESCE(MAX(id), 0) > 0) FROM {table}",
            table.replace('\'', "''")
        );
        tx.execute_unprepared(&sql)
            .await
            .with_context(|| format!("cannot reset the id sequence of {}", entry.name))?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::archive::{ArchiveWriter, TableFile};
    use crate::backup::catalog::Kind;

    /// A small archive as the backup writes one: header, a table, manifest.
    fn small_archive(dir: &Path) -> std::path::PathBuf {
        let header = Header {
            format: archive::FORMAT.into(),
            format_version: archive::FORMAT_VERSION,
            schema_version: "m20261216_000028_analytics_list_changes".into(),
            created_at: "2026-12-07T19:53:05Z".parse().unwrap(),
            source_backend: "sqlite".into(),
            opcms_version: "0.1.0".into(),
        };
        let mut table = TableFile::create(dir.join("customers.part")).unwrap();
        for id in 0..40 {
            table
                .push(&[Json::from(id), Json::from(format!("K{id:04} 某某科技有限公司"))])
                .unwrap();
        }
        let (part, rows, sha256) = table.finish().unwrap();
        let column = |name: &str, kind| Column {
            name: name.into(),
            kind,
            nullable: false,
            bits: 64,
        };
        let manifest = Manifest {
            header: header.clone(),
            key_ids: Default::default(),
            tables: vec![TableEntry {
                name: "customers".into(),
                file: archive::table_file("customers"),
                columns: vec![column("id", Kind::Int), column("name", Kind::Text)],
                primary_key: vec!["id".into()],
                rows,
                sha256,
            }],
        };
        let path = dir.join("opcms-x.tar.zst");
        let mut writer = ArchiveWriter::create(&path).unwrap();
        writer.add_json(archive::HEADER_ENTRY, &header).unwrap();
        writer.add_file(&archive::table_file("customers"), &part).unwrap();
        writer.add_json(archive::MANIFEST_ENTRY, &manifest).unwrap();
        writer.finish().unwrap();
        path
    }

    /// No damaged byte anywhere in the file passes as intact: every flip is
    /// refused, unless the file still holds exactly the same content (a
    /// flip in a zstd field that does not change what it decodes to).
    #[test]
    fn every_damaged_byte_is_found_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = small_archive(dir.path());
        let intact = std::fs::read(&path).unwrap();
        let content = zstd::decode_all(intact.as_slice()).unwrap();
        assert!(verify(&path).is_ok());
        let damaged_path = dir.path().join("damaged.tar.zst");
        let mut passed = Vec::new();
        for at in 0..intact.len() {
            let mut damaged = intact.clone();
            damaged[at] ^= 0xff;
            std::fs::write(&damaged_path, &damaged).unwrap();
            if verify(&damaged_path).is_ok() && zstd::decode_all(damaged.as_slice()).ok().as_ref() != Some(&content) {
                passed.push(at);
            }
        }
        assert!(
            passed.is_empty(),
            "damage at bytes {passed:?} of {} passed",
            intact.len()
        );
    }
}
