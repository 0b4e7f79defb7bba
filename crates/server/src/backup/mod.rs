//! Backups and moving between databases (DESIGN.md §19): `opcms backup`
//! writes every table, read in one consistent snapshot while the server
//! keeps serving, into one `.tar.zst` archive ([`archive`]); `opcms restore`
//! loads one into an empty database of any supported backend ([`restore`]).
//! The `backup.daily` job and the 数据备份 page keep archives in
//! `<data dir>/backups` ([`store`]).
//!
//! Encrypted columns are archived as they are stored, sealed: an archive is
//! useless without the master key, which is never in it. The manifest lists
//! the ids of the keys a restore will need.

pub mod archive;
pub mod catalog;
mod dump;
pub mod restore;
pub mod routes;
pub mod store;
mod values;

pub use dump::write_backup;
pub use restore::{restore, verify};

/// A backup or restore that stopped for a reason the person running it can
/// act on: the message says what and what to do. `usage` marks a mistake in
/// how the command was called (exit code 2); otherwise exit code 1.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    pub message: String,
    pub usage: bool,
}

impl Refusal {
    pub fn usage(message: impl Into<String>) -> Refusal {
        Refusal {
            message: message.into(),
            usage: true,
        }
    }

    pub fn failed(message: impl Into<String>) -> Refusal {
        Refusal {
            message: message.into(),
            usage: false,
        }
    }
}

/// Files to remove unless the work that writes them completes: a stopped
/// backup leaves no partial archive and no temporary table file behind.
pub(crate) struct Cleanup(Vec<std::path::PathBuf>);

impl Cleanup {
    pub fn new() -> Cleanup {
        Cleanup(Vec::new())
    }

    pub fn add(&mut self, path: std::path::PathBuf) {
        self.0.push(path);
    }

    pub fn disarm(mut self) {
        self.0.clear();
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}
