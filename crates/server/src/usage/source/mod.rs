//! Usage sources behind one trait (DESIGN.md §6): a source answers one
//! day's records ([`Incoming`], what every source yields and the store
//! takes). The HTTP JSON source is configured, not coded, so a new vendor is
//! a `[[usage_sources]]` entry. Files and manual entry hand their records
//! straight to `store::write`; they have no day to fetch.

pub mod http;

use chrono::NaiveDate;
use futures_util::future::BoxFuture;
use opcms_domain::usage::RawUsage;

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

/// How a record names its customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerRef {
    Id(i64),
    /// A platform account (`customers.account_id`, or a person's mapping).
    Account(String),
    /// A customer code (客户编号), as files name customers.
    Code(String),
    None,
}

impl CustomerRef {
    /// How the reference reads to a person (and in quarantine).
    pub fn shown(&self) -> Option<String> {
        match self {
            CustomerRef::Id(id) => Some(format!("#{id}")),
            CustomerRef::Account(a) => Some(a.clone()),
            CustomerRef::Code(c) => Some(c.clone()),
            CustomerRef::None => None,
        }
    }
}

/// One record as a source delivered it.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub customer: CustomerRef,
    pub raw: RawUsage,
    /// The source's own id for the record; the natural key when absent.
    pub source_id: Option<String>,
    /// The record as received, kept in quarantine for a person to read.
    pub original: serde_json::Value,
    /// A person confirmed an over-limit quantity (quarantine `accept`).
    pub limit_confirmed: bool,
    /// The quarantine entry this record comes from (a re-check), so that a
    /// record still failing stays that entry whatever was corrected.
    pub quarantine_key: Option<String>,
}

/// At most `max` characters (columns are sized; vendors are not).
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => text[..end].to_string(),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_counts_characters_not_bytes() {
        assert_eq!(clip("用量数据", 2), "用量");
        assert_eq!(clip("ab", 5), "ab");
    }
}
