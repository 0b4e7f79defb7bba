//! The files the system keeps (backups, the originals of imports), behind
//! one interface over the `object_store` crate: local disk under
//! `<data dir>/files` by default, any S3-compatible service (AWS S3, Aliyun
//! OSS, MinIO) by `[storage]` (docs/deploy.md). Keys are `area/name`
//! (`backups/opcms-….tar.zst`), under the configured prefix.
//!
//! Everything streams: a file goes up in parts of [`PART_SIZE`], a download
//! comes down as chunks. A failure is a [`StorageError`]: 503 with the
//! reason for people, the cause in the log; nothing in the database depends
//! on a put having worked.

pub mod error;

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig, WriteMultipart};
use tokio::io::AsyncReadExt;

use self::error::{StorageError, unavailable};
use crate::config::{S3Settings, StorageConfig};

/// Multipart uploads send parts of this size (S3 wants at least 5 MiB but
/// the last), at most [`PARTS_IN_FLIGHT`] at once: memory stays bounded.
pub const PART_SIZE: usize = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT: usize = 2;

/// What a listing or `head` tells about one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// The key without the configured prefix.
    pub key: String,
    pub size: u64,
    pub modified: DateTime<Utc>,
}

/// An object being read: its size, then its bytes as they arrive.
pub struct Download {
    pub size: u64,
    pub chunks: BoxStream<'static, Result<Bytes, std::io::Error>>,
}

#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// `opcms/prod` or empty.
    prefix: String,
    /// For the log: `本地目录 /srv/opcms/files` or `S3 bucket b @ endpoint`.
    describe: String,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe)
    }
}

impl Storage {
    /// The configured store. The local directory is made (0700) here; an S3
    /// service is not contacted (see [`Storage::check`]), so a service that
    /// is down never stops the server from starting.
    pub fn from_config(config: &StorageConfig, data_dir: &FsPath) -> anyhow::Result<Storage> {
        let (store, describe): (Arc<dyn ObjectStore>, String) = match &config.s3 {
            None => {
                let root = local_root(data_dir);
                crate::fsutil::create_private_dir(&root)?;
                let store = object_store::local::LocalFileSystem::new_with_prefix(&root)
                    .map_err(|e| anyhow::anyhow!("cannot use {} for files: {e}", root.display()))?
                    .with_automatic_cleanup(true);
                (Arc::new(store), format!("本地目录 {}", root.display()))
            }
            Some(s3) => (Arc::new(s3_store(s3)?), describe_s3(s3)),
        };
        Ok(Storage {
            store,
            prefix: config.prefix.clone(),
            describe,
        })
    }

    pub fn describe(&self) -> &str {
        &self.describe
    }

    fn path(&self, key: &str) -> Path {
        if self.prefix.is_empty() {
            Path::from(key)
        } else {
            Path::from(format!("{}/{key}", self.prefix))
        }
    }

    fn key_of(&self, path: &Path) -> String {
        let full = path.as_ref();
        if self.prefix.is_empty() {
            return full.to_string();
        }
        full.strip_prefix(&self.prefix)
            .and_then(|rest| rest.strip_prefix('/'))
            .unwrap_or(full)
            .to_string()
    }

    fn failed(&self, action: &str, key: &str, cause: object_store::Error) -> StorageError {
        if let object_store::Error::NotFound { .. } = &cause {
            // A GET of a missing bucket is a 404 too; its body says which.
            if !format!("{cause:?}").contains("NoSuchBucket") {
                return StorageError::NotFound { key: key.to_string() };
            }
        }
        let text = format!("{cause:?}");
        tracing::warn!(storage = %self.describe, key, error = %cause, "file storage: {action} failed");
        unavailable(action, &text)
    }

    /// Whether the store answers: one listing of at most one object. For
    /// the start-up log and the backup page.
    pub async fn check(&self) -> Result<(), StorageError> {
        let prefix = (!self.prefix.is_empty()).then(|| Path::from(self.prefix.as_str()));
        let mut listing = self.store.list(prefix.as_ref());
        match listing.next().await {
            Some(Err(cause)) => Err(self.failed("连接", "", cause)),
            _ => Ok(()),
        }
    }

    pub async fn put_bytes(&self, key: &str, bytes: Bytes) -> Result<(), StorageError> {
        self.store
            .put(&self.path(key), PutPayload::from(bytes))
            .await
            .map_err(|e| self.failed("上传", key, e))?;
        Ok(())
    }

    /// Uploads a local file, streaming: one request when it is small, else
    /// a multipart upload that is aborted (nothing left half-written) on
    /// any failure. Returns the bytes sent.
    pub async fn put_file(&self, key: &str, file: &FsPath) -> Result<u64, StorageError> {
        let local = |e: std::io::Error| unavailable("上传", &format!("{}: {e}", file.display()));
        let mut source = tokio::fs::File::open(file).await.map_err(local)?;
        let size = source.metadata().await.map_err(local)?.len();
        if size <= PART_SIZE as u64 {
            let mut bytes = Vec::with_capacity(size as usize);
            source.read_to_end(&mut bytes).await.map_err(local)?;
            self.put_bytes(key, Bytes::from(bytes)).await?;
            return Ok(size);
        }
        let path = self.path(key);
        let upload = self
            .store
            .put_multipart(&path)
            .await
            .map_err(|e| self.failed("上传", key, e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut buffer = vec![0u8; 1 << 20];
        let mut sent = 0u64;
        loop {
            let n = match source.read(&mut buffer).await {
                Ok(n) => n,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(local(e));
                }
            };
            if n == 0 {
                break;
            }
            if let Err(e) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                let _ = writer.abort().await;
                return Err(self.failed("上传", key, e));
            }
            writer.write(&buffer[..n]);
            sent += n as u64;
        }
        writer.finish().await.map_err(|e| self.failed("上传", key, e))?;
        Ok(sent)
    }

    async fn fetch(&self, key: &str) -> Result<object_store::GetResult, StorageError> {
        self.store
            .get(&self.path(key))
            .await
            .map_err(|e| self.failed("读取", key, e))
    }

    /// Reads an object as a stream of chunks.
    pub async fn get(&self, key: &str) -> Result<Download, StorageError> {
        let result = self.fetch(key).await?;
        let size = result.meta.size;
        let describe = self.describe.clone();
        let chunks = result
            .into_stream()
            .map_err(move |e| {
                tracing::warn!(storage = %describe, error = %e, "file storage: a download broke off");
                std::io::Error::other(e)
            })
            .boxed();
        Ok(Download { size, chunks })
    }

    /// A small object (a record) whole.
    pub async fn get_bytes(&self, key: &str) -> Result<Bytes, StorageError> {
        let result = self.fetch(key).await?;
        result.bytes().await.map_err(|e| self.failed("读取", key, e))
    }

    /// Copies an object into a local file (for reading it through, e.g. a
    /// backup's check), streaming.
    pub async fn get_to_file(&self, key: &str, target: &FsPath) -> Result<u64, StorageError> {
        use tokio::io::AsyncWriteExt;
        let mut download = self.get(key).await?;
        let local = |e: std::io::Error| unavailable("读取", &format!("{}: {e}", target.display()));
        let mut file = tokio::fs::File::create(target).await.map_err(local)?;
        let mut copied = 0u64;
        while let Some(chunk) = download.chunks.next().await {
            let chunk = chunk.map_err(|e| unavailable("读取", &format!("{e:?}")))?;
            file.write_all(&chunk).await.map_err(local)?;
            copied += chunk.len() as u64;
        }
        file.flush().await.map_err(local)?;
        Ok(copied)
    }

    /// Every object whose key starts with `prefix/`, in no set order.
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StorageError> {
        let path = self.path(prefix);
        self.store
            .list(Some(&path))
            .map_ok(|meta| ObjectInfo {
                key: self.key_of(&meta.location),
                size: meta.size,
                modified: meta.last_modified,
            })
            .try_collect()
            .await
            .map_err(|e| self.failed("列出文件", prefix, e))
    }

    /// The object's size and time, or None when there is none.
    pub async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StorageError> {
        match self.store.head(&self.path(key)).await {
            Ok(meta) => Ok(Some(ObjectInfo {
                key: key.to_string(),
                size: meta.size,
                modified: meta.last_modified,
            })),
            Err(e) => match self.failed("读取", key, e) {
                StorageError::NotFound { .. } => Ok(None),
                other => Err(other),
            },
        }
    }

    /// Removes an object; one that is already gone is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match self.store.delete(&self.path(key)).await {
            Ok(()) => Ok(()),
            Err(e) => match self.failed("删除", key, e) {
                StorageError::NotFound { .. } => Ok(()),
                other => Err(other),
            },
        }
    }
}

/// Where the local backend keeps its files.
pub fn local_root(data_dir: &FsPath) -> PathBuf {
    data_dir.join("files")
}

fn describe_s3(s3: &S3Settings) -> String {
    format!("S3 bucket {} @ {}", s3.bucket, s3.endpoint.as_deref().unwrap_or("AWS"))
}

fn s3_store(s3: &S3Settings) -> anyhow::Result<object_store::aws::AmazonS3> {
    // A request to a store that is down fails within seconds (a few quick
    // retries), not the crate's default three minutes: a page is waiting.
    let retry = RetryConfig {
        max_retries: 2,
        retry_timeout: Duration::from_secs(15),
        ..RetryConfig::default()
    };
    let client = ClientOptions::new()
        .with_connect_timeout(Duration::from_secs(5))
        .with_timeout(Duration::from_secs(120))
        .with_allow_http(s3.allow_http);
    let mut builder = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(&s3.bucket)
        .with_region(&s3.region)
        .with_virtual_hosted_style_request(s3.virtual_hosted_style)
        .with_allow_http(s3.allow_http)
        .with_retry(retry)
        .with_client_options(client);
    if let Some(endpoint) = &s3.endpoint {
        builder = builder.with_endpoint(endpoint);
    }
    if let (Some(id), Some(secret)) = (&s3.access_key_id, &s3.secret_access_key) {
        builder = builder.with_access_key_id(id).with_secret_access_key(secret.expose());
    }
    builder
        .build()
        .map_err(|e| anyhow::anyhow!("[storage]: cannot set up S3 bucket {}: {e}", s3.bucket))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn local() -> (Storage, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let config = StorageConfig {
            s3: None,
            prefix: "p/q".into(),
        };
        (Storage::from_config(&config, dir.path()).unwrap(), dir)
    }

    #[tokio::test]
    async fn local_files_round_trip_under_the_prefix() {
        let (storage, dir) = local().await;
        storage.check().await.unwrap();
        storage
            .put_bytes("a/one.txt", Bytes::from_static(b"one"))
            .await
            .unwrap();
        // Larger than a part: a multipart upload.
        let big: Vec<u8> = (0..PART_SIZE * 2 + 123).map(|i| (i % 251) as u8).collect();
        let source = dir.path().join("big.bin");
        std::fs::write(&source, &big).unwrap();
        assert_eq!(storage.put_file("a/big.bin", &source).await.unwrap(), big.len() as u64);
        assert!(dir.path().join("files/p/q/a/big.bin").is_file());

        let mut listed: Vec<(String, u64)> = storage
            .list("a")
            .await
            .unwrap()
            .into_iter()
            .map(|o| (o.key, o.size))
            .collect();
        listed.sort();
        assert_eq!(
            listed,
            [
                ("a/big.bin".to_string(), big.len() as u64),
                ("a/one.txt".to_string(), 3)
            ]
        );
        let copy = dir.path().join("copy.bin");
        storage.get_to_file("a/big.bin", &copy).await.unwrap();
        assert_eq!(std::fs::read(&copy).unwrap(), big);
        assert_eq!(storage.head("a/one.txt").await.unwrap().map(|o| o.size), Some(3));

        storage.delete("a/one.txt").await.unwrap();
        storage.delete("a/one.txt").await.unwrap();
        assert_eq!(storage.head("a/one.txt").await.unwrap(), None);
        assert!(matches!(
            storage.get("a/one.txt").await,
            Err(StorageError::NotFound { .. })
        ));
        assert!(storage.list("nothing").await.unwrap().is_empty());
    }
}
