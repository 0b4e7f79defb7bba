//! The archives kept under `<data dir>/backups` (DESIGN.md §16, §19): named
//! by when they were made, each with a small JSON record beside it (what
//! the manifest says and whether the file last checked out), the newest
//! `backup_keep` kept. The `backup.daily` job and the 数据备份 page both
//! make one through [`create`].

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::archive::Manifest;
use crate::audit::{self, Actor, Entry};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub const DIR: &str = "backups";
const PREFIX: &str = "opcms-";
const SUFFIX: &str = ".tar.zst";
const RECORD_SUFFIX: &str = ".json";
/// Kept in the data directory (the backups directory may be what failed)
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

pub fn dir(state: &AppState) -> PathBuf {
    state.config.data_dir.join(DIR)
}

/// Whether `name` is one of ours: the page and downloads accept nothing
/// else, so no path can reach outside the directory.
pub fn is_archive_name(name: &str) -> bool {
    name.len() <= 64
        && name.starts_with(PREFIX)
        && name.ends_with(SUFFIX)
        && name[PREFIX.len()..name.len() - SUFFIX.len()]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn record_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}{RECORD_SUFFIX}"))
}

/// The path of archive `name`, or 404.
pub fn archive_path(state: &AppState, name: &str) -> AppResult<PathBuf> {
    let path = dir(state).join(name);
    if !is_archive_name(name) || !path.is_file() {
        return Err(AppError::not_found("没有这个备份文件"));
    }
    Ok(path)
}

/// Makes a backup now: writes it, checks it back, records it, removes the
/// oldest beyond `backup_keep`. Waits for a backup already running here.
pub async fn create(state: &AppState, actor: &Actor, trigger: BackupTrigger) -> AppResult<BackupView> {
    let _running = state.backup_running.lock().await;
    create_locked(state, actor, trigger).await
}

/// Starts a backup in the background (the page's 立即备份); 409 while one
/// is being written. Returns the archive's name.
pub async fn start(state: &AppState, actor: Actor) -> AppResult<String> {
    let guard = state
        .backup_running
        .clone()
        .try_lock_owned()
        .map_err(|_| AppError::conflict("BACKUP_RUNNING", "已有一个备份正在进行，请等它完成"))?;
    let name = next_name(&dir(state), Utc::now());
    let state = state.clone();
    tokio::spawn(async move {
        let _guard = guard;
        if let Err(error) = create_locked(&state, &actor, BackupTrigger::Manual).await {
            tracing::error!(error = %error, "manual backup failed");
        }
    });
    Ok(name)
}

async fn create_locked(state: &AppState, actor: &Actor, trigger: BackupTrigger) -> AppResult<BackupView> {
    let dir = dir(state);
    let result = write_and_check(state, &dir, trigger).await;
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
            let failure = BackupFailure {
                at: Utc::now(),
                message: error.to_string(),
            };
            if let Ok(text) = serde_json::to_vec(&failure) {
                let _ = write_private(&state.config.data_dir.join(FAILURE_FILE), &text);
            }
        }
    }
    result
}

async fn write_and_check(state: &AppState, dir: &Path, trigger: BackupTrigger) -> AppResult<BackupView> {
    crate::fsutil::create_private_dir(dir)?;
    let name = next_name(dir, Utc::now());
    let path = dir.join(&name);
    let manifest = super::write_backup(&state.db, &path).await.map_err(failed)?;
    let checked = path.clone();
    let verified = tokio::task::spawn_blocking(move || super::verify(&checked))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let view = record(
        dir,
        &name,
        &manifest,
        verified.err().map(|e| e.to_string()),
        Some(trigger),
    )?;
    let keep = crate::settings::load(&state.db).await?.backup_keep as usize;
    prune(dir, keep)?;
    Ok(view)
}

/// A failed backup's message for the jobs page and the record.
fn failed(error: anyhow::Error) -> AppError {
    AppError::Internal(anyhow::anyhow!("备份失败：{error:#}"))
}

/// `opcms-20261206T010000Z.tar.zst`, with `-2`, `-3`… when that second
/// already has one.
fn next_name(dir: &Path, now: DateTime<Utc>) -> String {
    let stamp = now.format("%Y%m%dT%H%M%SZ");
    let mut name = format!("{PREFIX}{stamp}{SUFFIX}");
    let mut n = 2;
    while dir.join(&name).exists() || dir.join(format!(".{name}.partial")).exists() {
        name = format!("{PREFIX}{stamp}-{n}{SUFFIX}");
        n += 1;
    }
    name
}

/// Writes the record beside an archive and returns its view.
fn record(
    dir: &Path,
    name: &str,
    manifest: &Manifest,
    error: Option<String>,
    trigger: Option<BackupTrigger>,
) -> AppResult<BackupView> {
    let path = dir.join(name);
    let size_bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let view = BackupView {
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
    };
    let text = serde_json::to_vec_pretty(&view).map_err(|e| AppError::Internal(e.into()))?;
    write_private(&record_path(dir, name), &text)?;
    Ok(view)
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
fn prune(dir: &Path, keep: usize) -> AppResult<()> {
    for name in archive_names(dir).into_iter().skip(keep.max(1)) {
        std::fs::remove_file(dir.join(&name)).with_context(|| format!("cannot remove old backup {name}"))?;
        let _ = std::fs::remove_file(record_path(dir, &name));
    }
    Ok(())
}

/// The archives in `dir`, newest first: by the time in the name, then by
/// the number added when a second had several.
fn archive_names(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| is_archive_name(name))
        .collect();
    names.sort_by_cached_key(|name| {
        let stem = &name[PREFIX.len()..name.len() - SUFFIX.len()];
        let (stamp, number) = match stem.split_once('-') {
            Some((stamp, n)) => (stamp.to_string(), n.parse::<u32>().unwrap_or(0)),
            None => (stem.to_string(), 1),
        };
        std::cmp::Reverse((stamp, number))
    });
    names
}

/// The page's list: every archive, newest first.
pub async fn list(state: &AppState) -> AppResult<BackupList> {
    let dir = dir(state);
    let names = archive_names(&dir);
    let items = names.iter().map(|name| view_of(&dir, name)).collect();
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

/// An archive's record, or what the file alone tells when it has none.
fn view_of(dir: &Path, name: &str) -> BackupView {
    let path = dir.join(name);
    let metadata = std::fs::metadata(&path).ok();
    let size_bytes = metadata.as_ref().map(|m| m.len()).unwrap_or(0);
    if let Some(mut view) = std::fs::read(record_path(dir, name))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<BackupView>(&bytes).ok())
        .filter(|view| view.name == name)
    {
        view.size_bytes = size_bytes;
        return view;
    }
    BackupView {
        name: name.to_string(),
        size_bytes,
        created_at: metadata
            .and_then(|m| m.modified().ok())
            .map(DateTime::<Utc>::from)
            .unwrap_or_default(),
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

/// Reads archive `name` through again and records the result.
pub async fn verify(state: &AppState, name: &str) -> AppResult<BackupView> {
    let path = archive_path(state, name)?;
    let dir = dir(state);
    let checked = path.clone();
    let result = tokio::task::spawn_blocking(move || super::verify(&checked))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let trigger = view_of(&dir, name).trigger;
    match result {
        Ok(manifest) => record(&dir, name, &manifest, None, trigger),
        Err(error) => {
            let mut view = view_of(&dir, name);
            view.status = BackupStatus::Corrupt;
            view.verified_at = Some(Utc::now());
            view.error = Some(error.to_string());
            let text = serde_json::to_vec_pretty(&view).map_err(|e| AppError::Internal(e.into()))?;
            write_private(&record_path(&dir, name), &text)?;
            Ok(view)
        }
    }
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
        let dir = std::env::temp_dir().join(format!("opcms-names-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let at = DateTime::parse_from_rfc3339("2026-12-06T01:00:00Z").unwrap().to_utc();
        let first = next_name(&dir, at);
        assert_eq!(first, "opcms-20261206T010000Z.tar.zst");
        std::fs::write(dir.join(&first), b"x").unwrap();
        assert_eq!(next_name(&dir, at), "opcms-20261206T010000Z-2.tar.zst");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
