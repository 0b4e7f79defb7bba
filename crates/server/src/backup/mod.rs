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
mod cleanup;
mod dump;
mod refusal;
pub mod restore;
pub mod routes;
pub mod store;
mod values;

pub use dump::write_backup;
pub use refusal::Refusal;
pub use restore::{restore, verify};
