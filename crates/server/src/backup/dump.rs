//! `opcms backup`: every archived table read in one snapshot and written to
//! the archive, row by row. The database side streams rows and hands them
//! in batches to a writer thread, which encodes, hashes, compresses and
//! writes; neither holds more than a few batches.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use futures_util::StreamExt;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DbBackend, IsolationLevel, Statement, StreamTrait,
    TransactionTrait,
};
use serde_json::Value as Json;
use tokio::sync::mpsc;

use super::archive::{self, ArchiveWriter, Header, Manifest, TableEntry, TableFile};
use super::catalog::{self, Table};
use super::cleanup::Cleanup;
use super::refusal::Refusal;
use super::values;

/// Rows handed to the writer at a time.
const BATCH: usize = 1_000;

/// The writer thread ended (with an error of its own) while rows were read.
#[derive(Debug, thiserror::Error)]
#[error("the backup writer stopped")]
struct WriterGone;

enum Message {
    Begin(Table),
    Rows(Vec<Vec<Json>>),
    End,
    /// Every table was read: write the manifest and close the archive.
    Finish,
}

/// Writes a backup of `db` to `out`, which must not exist. The archive
/// appears under its name only once complete and synced; a failure (a full
/// disk, a lost connection) leaves nothing behind.
pub async fn write_backup(db: &DatabaseConnection, out: &Path) -> anyhow::Result<Manifest> {
    if out.exists() {
        return Err(Refusal::usage(format!(
            "{} already exists: a backup never overwrites a file; choose another name",
            out.display()
        ))
        .into());
    }
    let file_name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Refusal::usage(format!("{} is not a file name", out.display())))?;
    let dir = match out.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(Refusal::usage(format!("the directory {} does not exist", dir.display())).into());
    }
    let partial = dir.join(format!(".{file_name}.partial"));
    let mut cleanup = Cleanup::new();
    cleanup.add(partial.clone());

    let backend = db.get_database_backend();
    let snapshot = match backend {
        // A deferred SQLite transaction reads one snapshot from its first
        // SELECT on (WAL); writers carry on meanwhile.
        DbBackend::Sqlite => db.begin().await?,
        _ => {
            db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly))
                .await?
        }
    };
    let tables = catalog::tables(&snapshot).await?;
    let header = Header {
        format: archive::FORMAT.into(),
        format_version: archive::FORMAT_VERSION,
        schema_version: schema_version(&snapshot).await?,
        created_at: chrono::Utc::now(),
        source_backend: backend_name(backend).into(),
        opcms_version: env!("CARGO_PKG_VERSION").into(),
    };

    let (sender, receiver) = mpsc::channel::<Message>(4);
    let temp_prefix = dir.join(format!(".{file_name}"));
    let writer_partial = partial.clone();
    let writer = tokio::task::spawn_blocking(move || write_archive(&writer_partial, &temp_prefix, header, receiver));
    let read = read_tables(&snapshot, &tables, &sender).await;
    drop(sender);
    // Read-only: nothing to commit; ending it releases the snapshot.
    let _ = snapshot.rollback().await;
    let written = writer.await.context("the backup writer stopped")?;
    let manifest = match (read, written) {
        (Ok(()), written) => written?,
        // The writer's error explains a read that stopped because it went away.
        (Err(error), Err(cause)) if error.is::<WriterGone>() => return Err(cause),
        (Err(error), _) => return Err(error),
    };
    std::fs::rename(&partial, out).with_context(|| format!("cannot create {}", out.display()))?;
    cleanup.disarm();
    Ok(manifest)
}

async fn read_tables(
    snapshot: &sea_orm::DatabaseTransaction,
    tables: &[Table],
    sender: &mpsc::Sender<Message>,
) -> anyhow::Result<()> {
    let backend = ConnectionTrait::get_database_backend(snapshot);
    let gone = || anyhow::Error::new(WriterGone);
    for table in tables {
        sender.send(Message::Begin(table.clone())).await.map_err(|_| gone())?;
        let columns: Vec<String> = table.columns.iter().map(|c| catalog::quote(backend, &c.name)).collect();
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            columns.join(", "),
            catalog::quote(backend, &table.name),
            catalog::order_by(backend, table)
        );
        let mut stream = snapshot
            .stream_raw(Statement::from_string(backend, sql))
            .await
            .with_context(|| format!("cannot read table {}", table.name))?;
        let mut batch = Vec::with_capacity(BATCH);
        while let Some(row) = stream.next().await {
            let row = row.with_context(|| format!("cannot read table {}", table.name))?;
            let values = table
                .columns
                .iter()
                .enumerate()
                .map(|(i, column)| values::read(&row, i, column, backend))
                .collect::<anyhow::Result<Vec<_>>>()
                .with_context(|| format!("cannot read a row of table {}", table.name))?;
            batch.push(values);
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                sender.send(Message::Rows(full)).await.map_err(|_| gone())?;
            }
        }
        drop(stream);
        if !batch.is_empty() {
            sender.send(Message::Rows(batch)).await.map_err(|_| gone())?;
        }
        sender.send(Message::End).await.map_err(|_| gone())?;
    }
    sender.send(Message::Finish).await.map_err(|_| gone())?;
    Ok(())
}

fn write_archive(
    partial: &Path,
    temp_prefix: &Path,
    header: Header,
    mut receiver: mpsc::Receiver<Message>,
) -> anyhow::Result<Manifest> {
    let mut archive = ArchiveWriter::create(partial)?;
    archive.add_json(archive::HEADER_ENTRY, &header)?;
    let mut key_ids = BTreeSet::new();
    let mut entries = Vec::new();
    let mut current: Option<(Table, TableFile)> = None;
    let mut cleanup = Cleanup::new();
    while let Some(message) = receiver.blocking_recv() {
        match message {
            Message::Begin(table) => {
                let path = PathBuf::from(format!("{}.{}.tmp", temp_prefix.display(), table.name));
                cleanup.add(path.clone());
                current = Some((table, TableFile::create(path)?));
            }
            Message::Rows(rows) => {
                let (_, file) = current.as_mut().context("rows before their table")?;
                for row in rows {
                    key_ids.extend(
                        row.iter()
                            .filter_map(|v| v.as_str().and_then(values::key_id))
                            .map(str::to_string),
                    );
                    file.push(&row)?;
                }
            }
            Message::End => {
                let (table, file) = current.take().context("the end of no table")?;
                let (path, rows, sha256) = file.finish()?;
                let name = archive::table_file(&table.name);
                archive.add_file(&name, &path)?;
                let _ = std::fs::remove_file(&path);
                entries.push(TableEntry {
                    name: table.name,
                    file: name,
                    columns: table.columns,
                    primary_key: table.primary_key,
                    rows,
                    sha256,
                });
            }
            Message::Finish => {
                let manifest = Manifest {
                    header,
                    key_ids,
                    tables: entries,
                };
                archive.add_json(archive::MANIFEST_ENTRY, &manifest)?;
                archive.finish()?;
                return Ok(manifest);
            }
        }
    }
    anyhow::bail!("the backup stopped before every table was read")
}

/// The last migration applied: the schema the archive's tables have.
pub(super) async fn schema_version(db: &impl ConnectionTrait) -> anyhow::Result<String> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT MAX(version) AS version FROM seaql_migrations".to_string(),
        ))
        .await
        .context("cannot read the schema version (is the database migrated?)")?;
    row.and_then(|r| r.try_get::<Option<String>>("", "version").ok().flatten())
        .context("the database has no schema yet (run `opcms migrate`)")
}

pub(super) fn backend_name(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Sqlite => "sqlite",
        DbBackend::MySql => "mysql",
        _ => "postgres",
    }
}
