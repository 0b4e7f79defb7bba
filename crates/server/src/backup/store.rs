//! The archives kept in file storage under `backups/` (DESIGN.md §16,
//! §19; local disk `<data dir>/files` or S3 by `[storage]`): named by when
//! they were made, each with a small JSON record beside it (what the
//! manifest says and whether the file last checked out), the newest
//! `backup_keep` kept. The `backup.daily` job and the 数据备份 page both
//! make one through [`create`]: written to a local staging file (the dump
//! needs a seekable file per table), checked, then uploaded streaming.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::archive::Manifest;
use crate::audit::{self, Actor, Entry};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::storage::{ObjectInfo, Storage};

/// The key prefix in storage.
pub const DIR: &str = "backups";
/// Where archives are written before they go up, in the data directory.
const STAGING: &str = "backup-staging";
/// Records read at once when listing.
const RECORD_READS: usize = 8;
const PREFIX: &str = "opcms-";
const SUFFIX: &str = ".tar.zst";
const RECORD_SUFFIX: &str = ".json";
/// Kept in the data directory (the storage may be what failed)
/// while the last backup failed; removed by the next success.
const FAILURE_FILE: &str = "backup-last-failure.json";

/// The tables whose counts the page shows.
const COUNTED: [&str; 4] = ["customers", "bills", "payments", "users"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BackupTrigger {
    Schedule,
    Manual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BackupStatus {
    /// Every table's checksum matched when the file was last read.
    Verified,
    /// The file no longer matches its manifest (or cannot be read).
    Corrupt,
    /// Never checked here (an archive copied in without its record).
    Unknown,
}

/// One archive as the 数据备份 page lists it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BackupView {
    pub name: String,
    pub size_bytes: u64,
    pub created_at: DateTime<Utc>,
    pub source_backend: Option<String>,
    pub schema_version: Option<String>,
    pub format_version: Option<u32>,
    /// Tables in the archive.
    pub tables: Option<u64>,
    /// Rows in all tables.
    pub rows: Option<u64>,
    /// Rows of customers, bills, payments and users.
    #[schema(value_type = Object)]
    pub counts: serde_json::Map<String, Value>,
    pub status: BackupStatus,
    pub verified_at: Option<DateTime<Utc>>,
    /// Why the last check failed.
    pub error: Option<String>,
    pub trigger: Option<BackupTrigger>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BackupFailure {
    pub at: DateTime<Utc>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BackupList {
    /// How many archives are kept (setting `backup_keep`).
    pub keep: u32,
    /// A backup is being written now (by this instance).
    pub running: bool,
    /// The last backup failed; cleared by the next one that succeeds.
    pub last_error: Option<BackupFailure>,
    pub items: Vec<BackupView>,
}

fn key(name: &str) -> String {
    format!("{DIR}/{name}")
}

fn record_key(name: &str) -> String {
    format!("{DIR}/{name}{RECORD_SUFFIX}")
}

/// Whether `name` is one of ours: the page and downloads accept nothing
/// else, so no key outside `backups/` can be reached.
pub fn is_archive_name(name: &str) -> bool {
    name.len() <= 64
        && name.starts_with(PREFIX)
        && name.ends_with(SUFFIX)
        && name[PREFIX.len()..name.len() - SUFFIX.len()]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The storage key of archive `name`, or 404.
pub async fn archive_key(state: &AppState, name: &str) -> AppResult<String> {
    if !is_archive_name(name) || state.storage.head(&key(name)).await?.is_none() {
        return Err(AppError::not_found("备份文件"));
    }
    Ok(key(name))
}

/// Makes a backup now: writes it, checks it back, records it, removes the
/// oldest beyond `backup_keep`. Waits for a backup already running here.
pub async fn create(state: &AppState, actor: &Actor, trigger: BackupTrigger) -> AppResult<BackupView> {
    let _running = state.backup_running.lock().await;
    create_locked(state, actor, trigger, None).await
}

/// Starts a backup in the background (the page's 立即备份); 409 while one
/// is being written, 503 when the storage cannot be reached. Returns the
/// archive's name.
pub async fn start(state: &AppState, actor: Actor) -> AppResult<String> {
    let guard = state
        .backup_running
        .clone()
        .try_lock_owned()
        .map_err(|_| AppError::conflict("BACKUP_RUNNING", "已有一个备份正在进行，请等它完成"))?;
    // The name answered is the name written: computed once, here, so a
    // second ticking over before the dump starts cannot change it.
    let name = next_name(&stored_names(&state.storage).await?, Utc::now());
    let state = state.clone();
    let written = name.clone();
    tokio::spawn(async move {
        let _guard = guard;
        if let Err(error) = create_locked(&state, &actor, BackupTrigger::Manual, Some(written)).await {
            tracing::error!(error = %error, "manual backup failed");
        }
    });
    Ok(name)
}

async fn create_locked(
    state: &AppState,
    actor: &Actor,
    trigger: BackupTrigger,
    name: Option<String>,
) -> AppResult<BackupView> {
    let result = write_and_check(state, trigger, name).await;
    match &result {
        Ok(view) => {
            let _ = std::fs::remove_file(state.config.data_dir.join(FAILURE_FILE));
            audit::record(
                &state.db,
                actor,
                Entry {
                    action: "backup.create",
                    entity_type: "backup",
                    entity_id: Some(view.name.clone()),
                    changes: Some(json!({
                        "trigger": trigger,
                        "rows": view.rows,
                        "size_bytes": view.size_bytes,
                    })),
                },
            )
            .await?;
        }
        Err(error) => {
            let message = match error {
                AppError::Unavailable { message, .. } => format!("备份失败：{message}"),
                other => other.to_string(),
            };
            let failure = BackupFailure {
                at: Utc::now(),
                message,
            };
            if let Ok(text) = serde_json::to_vec(&failure) {
                let _ = write_private(&state.config.data_dir.join(FAILURE_FILE), &text);
            }
        }
    }
    result
}

/// A local file removed when dropped, whatever happened.
struct Staged(PathBuf);

impl Drop for Staged {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn staging_dir(state: &AppState) -> anyhow::Result<PathBuf> {
    let dir = state.config.data_dir.join(STAGING);
    crate::fsutil::create_private_dir(&dir)?;
    Ok(dir)
}

/// Writes the archive `name`, or the next free name when none was reserved.
async fn write_and_check(state: &AppState, trigger: BackupTrigger, name: Option<String>) -> AppResult<BackupView> {
    let name = match name {
        Some(name) => name,
        // Storage first: when it is down, say so before the long dump.
        None => next_name(&stored_names(&state.storage).await?, Utc::now()),
    };
    let staged = Staged(staging_dir(state).map_err(failed)?.join(&name));
    let manifest = super::dump::write_backup(&state.db, &staged.0).await.map_err(failed)?;
    let checked = staged.0.clone();
    let verified = tokio::task::spawn_blocking(move || super::restore::verify(&checked))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let started = Instant::now();
    let size_bytes = state.storage.put_file(&key(&name), &staged.0).await?;
    let seconds = started.elapsed().as_secs_f64();
    tracing::info!(
        name,
        size_bytes,
        seconds,
        mib_per_second = size_bytes as f64 / 1_048_576.0 / seconds.max(1e-6),
        storage = state.storage.describe(),
        "backup uploaded"
    );
    drop(staged);
    let view = view_from_manifest(
        &name,
        size_bytes,
        &manifest,
        verified.err().map(|e| e.to_string()),
        Some(trigger),
    );
    put_record(&state.storage, &view).await?;
    let keep = crate::settings::load(&state.db).await?.backup_keep as usize;
    prune(&state.storage, keep).await?;
    Ok(view)
}

/// A failed backup's message for the jobs page and the record.
fn failed(error: anyhow::Error) -> AppError {
    AppError::Internal(anyhow::anyhow!("备份失败：{error:#}"))
}

/// `opcms-20261206T010000Z.tar.zst`, with `-2`, `-3`… when that second
/// already has one.
fn next_name(taken: &[String], now: DateTime<Utc>) -> String {
    let stamp = now.format("%Y%m%dT%H%M%SZ");
    let mut name = format!("{PREFIX}{stamp}{SUFFIX}");
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{PREFIX}{stamp}-{n}{SUFFIX}");
        n += 1;
    }
    name
}

fn view_from_manifest(
    name: &str,
    size_bytes: u64,
    manifest: &Manifest,
    error: Option<String>,
    trigger: Option<BackupTrigger>,
) -> BackupView {
    BackupView {
        name: name.to_string(),
        size_bytes,
        created_at: manifest.header.created_at,
        source_backend: Some(manifest.header.source_backend.clone()),
        schema_version: Some(manifest.header.schema_version.clone()),
        format_version: Some(manifest.header.format_version),
        tables: Some(manifest.tables.len() as u64),
        rows: Some(manifest.rows()),
        counts: COUNTED
            .iter()
            .filter_map(|table| manifest.count(table).map(|n| (table.to_string(), Value::from(n))))
            .collect(),
        status: if error.is_some() {
            BackupStatus::Corrupt
        } else {
            BackupStatus::Verified
        },
        verified_at: Some(Utc::now()),
        error,
        trigger,
    }
}

/// Writes the record beside an archive.
async fn put_record(storage: &Storage, view: &BackupView) -> AppResult<()> {
    let text = serde_json::to_vec_pretty(view).map_err(|e| AppError::Internal(e.into()))?;
    storage.put_bytes(&record_key(&view.name), text.into()).await?;
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> AppResult<()> {
    let temp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&temp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&temp)
        .with_context(|| format!("cannot write {}", temp.display()))?;
    std::io::Write::write_all(&mut file, bytes).with_context(|| format!("cannot write {}", temp.display()))?;
    std::fs::rename(&temp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Keeps the newest `keep` archives and their records.
async fn prune(storage: &Storage, keep: usize) -> AppResult<()> {
    let objects = storage.list(DIR).await?;
    for archive in archives(&objects).into_iter().skip(keep.max(1)) {
        // The archive first: a record left alone is never listed.
        storage.delete(&key(&archive.name)).await?;
        storage.delete(&record_key(&archive.name)).await?;
    }
    Ok(())
}

/// An archive as the listing finds it.
struct Listed {
    name: String,
    size: u64,
    modified: DateTime<Utc>,
}

/// The archives among `objects`, newest first: by the time in the name,
/// then by the number added when a second had several.
fn archives(objects: &[ObjectInfo]) -> Vec<Listed> {
    let mut found: Vec<Listed> = objects
        .iter()
        .filter_map(|object| {
            let name = object.key.strip_prefix(DIR)?.strip_prefix('/')?;
            is_archive_name(name).then(|| Listed {
                name: name.to_string(),
                size: object.size,
                modified: object.modified,
            })
        })
        .collect();
    found.sort_by_cached_key(|listed| {
        let name = &listed.name;
        let stem = &name[PREFIX.len()..name.len() - SUFFIX.len()];
        let (stamp, number) = match stem.split_once('-') {
            Some((stamp, n)) => (stamp.to_string(), n.parse::<u32>().unwrap_or(0)),
            None => (stem.to_string(), 1),
        };
        std::cmp::Reverse((stamp, number))
    });
    found
}

async fn stored_names(storage: &Storage) -> AppResult<Vec<String>> {
    let objects = storage.list(DIR).await?;
    Ok(archives(&objects).into_iter().map(|a| a.name).collect())
}

/// The page's list: every archive, newest first.
pub async fn list(state: &AppState) -> AppResult<BackupList> {
    use futures_util::stream::{self, StreamExt};
    let objects = state.storage.list(DIR).await?;
    let storage = &state.storage;
    let items = stream::iter(archives(&objects))
        .map(|archive| async move {
            let record = storage.get_bytes(&record_key(&archive.name)).await.ok();
            view_of(&archive, record.as_deref())
        })
        .buffered(RECORD_READS)
        .collect()
        .await;
    let last_error = std::fs::read(state.config.data_dir.join(FAILURE_FILE))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    Ok(BackupList {
        keep: crate::settings::load(&state.db).await?.backup_keep,
        running: state.backup_running.try_lock().is_err(),
        last_error,
        items,
    })
}

/// An archive's record, or what the listing alone tells when it has none.
fn view_of(archive: &Listed, record: Option<&[u8]>) -> BackupView {
    if let Some(mut view) = record
        .and_then(|bytes| serde_json::from_slice::<BackupView>(bytes).ok())
        .filter(|view| view.name == archive.name)
    {
        view.size_bytes = archive.size;
        return view;
    }
    BackupView {
        name: archive.name.clone(),
        size_bytes: archive.size,
        created_at: archive.modified,
        source_backend: None,
        schema_version: None,
        format_version: None,
        tables: None,
        rows: None,
        counts: serde_json::Map::new(),
        status: BackupStatus::Unknown,
        verified_at: None,
        error: None,
        trigger: None,
    }
}

/// Reads archive `name` through again (a copy fetched from storage) and
/// records the result.
pub async fn verify(state: &AppState, name: &str) -> AppResult<BackupView> {
    let archive_key = archive_key(state, name).await?;
    let staged = Staged(
        staging_dir(state)
            .map_err(AppError::Internal)?
            .join(format!(".verify-{}-{name}", uuid::Uuid::new_v4().simple())),
    );
    let size = state.storage.get_to_file(&archive_key, &staged.0).await?;
    let checked = staged.0.clone();
    let result = tokio::task::spawn_blocking(move || super::restore::verify(&checked))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    // The checks name the file they read, here a staging copy: the record
    // names the backup instead.
    let staged_path = staged.0.display().to_string();
    drop(staged);
    let listed = Listed {
        name: name.to_string(),
        size,
        modified: Utc::now(),
    };
    let record = state.storage.get_bytes(&record_key(name)).await.ok();
    let before = view_of(&listed, record.as_deref());
    let view = match result {
        Ok(manifest) => view_from_manifest(name, size, &manifest, None, before.trigger),
        Err(error) => BackupView {
            status: BackupStatus::Corrupt,
            verified_at: Some(Utc::now()),
            error: Some(error.to_string().replace(&staged_path, name)),
            ..before
        },
    };
    put_record(&state.storage, &view).await?;
    Ok(view)
}

/// Archives an earlier release kept in `<data dir>/backups` go into
/// storage once, at start-up, and leave the directory when they are there.
pub async fn adopt_local_archives(state: &AppState) {
    let dir = state.config.data_dir.join(DIR);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| is_archive_name(name))
        .collect();
    for name in names {
        let moved = async {
            state.storage.put_file(&key(&name), &dir.join(&name)).await?;
            if let Ok(record) = std::fs::read(dir.join(format!("{name}{RECORD_SUFFIX}"))) {
                state.storage.put_bytes(&record_key(&name), record.into()).await?;
            }
            Ok::<_, crate::storage::error::StorageError>(())
        };
        match moved.await {
            Ok(()) => {
                let _ = std::fs::remove_file(dir.join(format!("{name}{RECORD_SUFFIX}")));
                let _ = std::fs::remove_file(dir.join(&name));
                tracing::info!(name, "backup moved into file storage");
            }
            Err(error) => {
                tracing::warn!(name, %error, "cannot move a backup into file storage; it stays where it is");
                return;
            }
        }
    }
    let _ = std::fs::remove_dir(&dir);
}

/// The `backup.daily` job: one backup, then the counts for the jobs page.
pub async fn run_job(state: &AppState) -> AppResult<Value> {
    let view = create(state, &Actor::system(), BackupTrigger::Schedule).await?;
    if view.status != BackupStatus::Verified {
        return Err(AppError::Internal(anyhow::anyhow!(
            "备份 {} 写入后校验失败：{}",
            view.name,
            view.error.unwrap_or_default()
        )));
    }
    // Counts are numbers (the jobs page sums and shows them); the archive's
    // name is on the 数据备份 page.
    Ok(json!({
        "tables": view.tables,
        "rows": view.rows,
        "size_bytes": view.size_bytes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_archive_names_are_accepted() {
        assert!(is_archive_name("opcms-20261206T010000Z.tar.zst"));
        assert!(is_archive_name("opcms-20261206T010000Z-2.tar.zst"));
        assert!(!is_archive_name("../opcms-20261206T010000Z.tar.zst"));
        assert!(!is_archive_name("opcms-../../etc.tar.zst"));
        assert!(!is_archive_name("opcms-x/y.tar.zst"));
        assert!(!is_archive_name("opcms-20261206T010000Z.tar.zst.json"));
        assert!(!is_archive_name("last-failure.json"));
    }

    #[test]
    fn names_follow_the_clock_and_never_collide() {
        let at = DateTime::parse_from_rfc3339("2026-12-06T01:00:00Z").unwrap().to_utc();
        let first = next_name(&[], at);
        assert_eq!(first, "opcms-20261206T010000Z.tar.zst");
        assert_eq!(next_name(&[first], at), "opcms-20261206T010000Z-2.tar.zst");
    }

    #[test]
    fn listings_give_our_archives_newest_first() {
        let object = |key: &str| ObjectInfo {
            key: key.into(),
            size: 1,
            modified: Utc::now(),
        };
        let objects = [
            object("backups/opcms-20261205T010000Z.tar.zst"),
            object("backups/opcms-20261206T010000Z.tar.zst.json"),
            object("backups/opcms-20261206T010000Z-2.tar.zst"),
            object("backups/opcms-20261206T010000Z.tar.zst"),
            object("backups/notes.txt"),
            object("imports/opcms-20261207T010000Z.tar.zst"),
        ];
        let names: Vec<String> = archives(&objects).into_iter().map(|a| a.name).collect();
        assert_eq!(
            names,
            [
                "opcms-20261206T010000Z-2.tar.zst",
                "opcms-20261206T010000Z.tar.zst",
                "opcms-20261205T010000Z.tar.zst"
            ]
        );
    }
}
