//! The archive format (DESIGN.md §19): a zstd-compressed tar holding
//!
//! 1. `opcms-backup.json`, the [`Header`]: what this file is and which
//!    format and schema it has, first so that a foreign or newer archive is
//!    refused before anything else is read;
//! 2. `tables/<table>.jsonl`, one per table in load order: a JSON array of
//!    the row's values per line, columns as the manifest lists them;
//! 3. `manifest.json`, the [`Manifest`]: per table its columns, row count and
//!    SHA-256. It comes last because the counts and digests are known only
//!    once every table has been read.
//!
//! A tar entry's header states its size, so each table is first written to
//! a temporary file beside the archive (hashed as it is written) and then
//! copied in: memory stays flat whatever the table's size.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::catalog::Column;
use super::refusal::Refusal;

/// What [`Header::format`] says of every OP_CMS backup.
pub const FORMAT: &str = "opcms-backup";
/// Raised when the layout changes; a restore refuses a higher one.
pub const FORMAT_VERSION: u32 = 1;
pub const HEADER_ENTRY: &str = "opcms-backup.json";
pub const MANIFEST_ENTRY: &str = "manifest.json";
/// zstd level: 3 is zstd's default, about as fast as the disk on this kind
/// of data and a tenth of its size.
const LEVEL: i32 = 3;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Header {
    pub format: String,
    pub format_version: u32,
    /// The last migration the source database had applied.
    pub schema_version: String,
    pub created_at: DateTime<Utc>,
    /// `sqlite`, `mysql` or `postgres`.
    pub source_backend: String,
    /// The `opcms` release that wrote it.
    pub opcms_version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    #[serde(flatten)]
    pub header: Header,
    /// Ids of the master keys that sealed encrypted values in the archive
    /// (never the keys): a restore needs every one of them.
    pub key_ids: BTreeSet<String>,
    /// In load order: parents before children.
    pub tables: Vec<TableEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TableEntry {
    pub name: String,
    pub file: String,
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    pub rows: u64,
    /// Lower-case hex SHA-256 of the table's file.
    pub sha256: String,
}

impl Manifest {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }

    pub fn count(&self, table: &str) -> Option<u64> {
        self.tables.iter().find(|t| t.name == table).map(|t| t.rows)
    }
}

pub fn table_file(table: &str) -> String {
    format!("tables/{table}.jsonl")
}

/// A table's rows on their way into the archive: a temporary file, counted
/// and hashed as lines are added.
pub struct TableFile {
    path: PathBuf,
    out: BufWriter<File>,
    hash: Sha256,
    rows: u64,
    line: Vec<u8>,
}

impl TableFile {
    pub fn create(path: PathBuf) -> anyhow::Result<TableFile> {
        let file = create_private(&path)?;
        Ok(TableFile {
            path,
            out: BufWriter::with_capacity(1 << 20, file),
            hash: Sha256::new(),
            rows: 0,
            line: Vec::with_capacity(512),
        })
    }

    pub fn push(&mut self, values: &[serde_json::Value]) -> anyhow::Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, values)?;
        self.line.push(b'\n');
        self.hash.update(&self.line);
        self.out
            .write_all(&self.line)
            .with_context(|| write_failed(&self.path))?;
        self.rows += 1;
        Ok(())
    }

    /// The file flushed, with its row count and digest.
    pub fn finish(self) -> anyhow::Result<(PathBuf, u64, String)> {
        let file = self
            .out
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| write_failed(&self.path))?;
        drop(file);
        Ok((self.path, self.rows, hex(&self.hash.finalize())))
    }
}

/// The archive being written: a tar stream through zstd into a file.
pub struct ArchiveWriter {
    path: PathBuf,
    tar: tar::Builder<zstd::Encoder<'static, BufWriter<File>>>,
}

impl ArchiveWriter {
    pub fn create(path: &Path) -> anyhow::Result<ArchiveWriter> {
        let file = create_private(path)?;
        let mut encoder = zstd::Encoder::new(BufWriter::with_capacity(1 << 20, file), LEVEL)?;
        // A checksum of the content in the frame: zstd itself then notices
        // a flipped bit anywhere, manifest included.
        encoder.include_checksum(true)?;
        Ok(ArchiveWriter {
            path: path.to_path_buf(),
            tar: tar::Builder::new(encoder),
        })
    }

    pub fn add_json<T: Serialize>(&mut self, name: &str, value: &T) -> anyhow::Result<()> {
        let bytes = serde_json::to_vec_pretty(value)?;
        let mut header = entry_header(bytes.len() as u64);
        self.tar
            .append_data(&mut header, name, bytes.as_slice())
            .with_context(|| write_failed(&self.path))
    }

    pub fn add_file(&mut self, name: &str, source: &Path) -> anyhow::Result<()> {
        let file = File::open(source).with_context(|| format!("cannot read {}", source.display()))?;
        let size = file.metadata()?.len();
        let mut header = entry_header(size);
        self.tar
            .append_data(&mut header, name, BufReader::with_capacity(1 << 20, file))
            .with_context(|| write_failed(&self.path))
    }

    /// Ends the tar and the zstd frame and syncs the file to disk.
    pub fn finish(self) -> anyhow::Result<()> {
        let encoder = self.tar.into_inner().with_context(|| write_failed(&self.path))?;
        let buffered = encoder.finish().with_context(|| write_failed(&self.path))?;
        let file = buffered
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| write_failed(&self.path))?;
        file.sync_all().with_context(|| write_failed(&self.path))?;
        Ok(())
    }
}

fn entry_header(size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o600);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    header
}

fn write_failed(path: &Path) -> String {
    format!("cannot write {} (is the disk full?)", path.display())
}

fn create_private(path: &Path) -> anyhow::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads an archive entry by entry. Every problem with the file itself
/// (not zstd, not tar, cut short, entries out of place) is a [`Refusal`].
pub struct ArchiveReader {
    archive: tar::Archive<zstd::Decoder<'static, BufReader<File>>>,
    path: PathBuf,
}

impl ArchiveReader {
    pub fn open(path: &Path) -> anyhow::Result<ArchiveReader> {
        let file =
            File::open(path).map_err(|e| Refusal::usage(format!("cannot open the backup {}: {e}", path.display())))?;
        let decoder = zstd::Decoder::new(file).map_err(|e| damaged(path, &e))?;
        Ok(ArchiveReader {
            archive: tar::Archive::new(decoder),
            path: path.to_path_buf(),
        })
    }

    /// Calls `visit` with each entry's name and a reader of its contents,
    /// then reads the zstd frame to its end.
    pub fn for_each(mut self, visit: impl FnMut(&str, &mut dyn Read) -> anyhow::Result<()>) -> anyhow::Result<()> {
        self.entries(visit)?;
        // tar stops at its end-of-archive block, before the end of the zstd
        // frame, where zstd keeps the content checksum: without this read a
        // damaged byte that still decodes (a column name in the manifest, a
        // byte of padding) would pass as intact.
        let path = self.path;
        io::copy(&mut self.archive.into_inner(), &mut io::sink()).map_err(|e| damaged(&path, &e))?;
        Ok(())
    }

    fn entries(&mut self, mut visit: impl FnMut(&str, &mut dyn Read) -> anyhow::Result<()>) -> anyhow::Result<()> {
        let path = self.path.clone();
        let entries = self.archive.entries().map_err(|e| damaged(&path, &e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| damaged(&path, &e))?;
            let name = entry
                .path()
                .map_err(|e| damaged(&path, &e))?
                .to_string_lossy()
                .into_owned();
            let mut guarded = IoGuard {
                inner: &mut entry,
                path: &path,
            };
            visit(&name, &mut guarded)?;
            // Whatever `visit` left unread is still checked for damage.
            io::copy(&mut guarded, &mut io::sink()).map_err(|e| damaged(&path, &e))?;
        }
        Ok(())
    }
}

/// Turns a read error of the archive (zstd or tar cut short) into a refusal.
struct IoGuard<'a, R> {
    inner: &'a mut R,
    path: &'a Path,
}

impl<R: Read> Read for IoGuard<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner
            .read(buf)
            .map_err(|e| io::Error::other(damaged(self.path, &e).to_string()))
    }
}

pub fn damaged(path: &Path, error: &dyn std::fmt::Display) -> anyhow::Error {
    Refusal::failed(format!(
        "{} is not a readable OP_CMS backup: it is damaged, cut short or not an archive ({error})",
        path.display()
    ))
    .into()
}

/// Reads a table file's lines (without the newline).
pub fn lines(reader: &mut dyn Read) -> impl Iterator<Item = io::Result<Vec<u8>>> + '_ {
    BufReader::with_capacity(1 << 20, reader).split(b'\n')
}
