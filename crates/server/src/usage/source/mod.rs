//! Usage sources behind one trait (DESIGN.md §6): a source answers one
//! day's records. The HTTP JSON source is configured, not coded, so a new
//! vendor is a `[[usage_sources]]` entry. Files and manual entry hand their
//! records straight to `store::write`; they have no day to fetch.

pub mod http;

use chrono::NaiveDate;
use futures_util::future::BoxFuture;

use super::store::Incoming;

/// What a fetch brought back, every page of it.
#[derive(Debug, Default)]
pub struct Fetched {
    pub records: Vec<Incoming>,
    pub pages: u32,
    /// HTTP requests made, retries included.
    pub attempts: u32,
}

/// Why a fetch gave up; nothing of the day is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FetchError {
    /// For the run log, in Chinese.
    pub message: String,
    pub pages: u32,
    pub attempts: u32,
}

pub trait UsageSource: Send + Sync {
    /// The configured name; records are stored with source `api:<name>`.
    fn name(&self) -> &str;
    /// Every record the source has for `day`, or why it could not say.
    fn fetch_usage(&self, day: NaiveDate) -> BoxFuture<'_, Result<Fetched, FetchError>>;
}
