//! `[[usage_sources]]`: the configured HTTP JSON usage sources (DESIGN.md §6,
//! docs/api/usage.md), read with the rest of the configuration and checked
//! before the server starts. The client that uses them is
//! `usage::source::http`.

use serde::Deserialize;

use super::secret::Secret;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSourceConfig {
    /// Records are stored with source `api:<name>`.
    pub name: String,
    pub base_url: String,
    #[serde(default = "default_path")]
    pub path: String,
    /// The query parameter that carries the day.
    #[serde(default = "default_day_param")]
    pub day_param: String,
    /// chrono format of the day parameter.
    #[serde(default = "default_day_format")]
    pub day_format: String,
    pub auth_header: Option<String>,
    pub auth_token: Option<Secret>,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    #[serde(default = "default_max_response_bytes")]
    pub max_response_bytes: u64,
    #[serde(default = "default_retries")]
    pub retries: u32,
    #[serde(default = "default_backoff_ms")]
    pub backoff_ms: u64,
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
    /// Dotted path of the record array in a page; empty: the page is the array.
    #[serde(default)]
    pub records_path: String,
    #[serde(default)]
    pub pagination: Pagination,
    pub fields: FieldMap,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Pagination {
    /// One request answers the whole day.
    #[default]
    None,
    /// `?page=1&page_size=500`, until a page holds fewer than `page_size`.
    Page {
        #[serde(default = "default_page_param")]
        page_param: String,
        #[serde(default = "default_size_param")]
        size_param: String,
        #[serde(default = "default_page_size")]
        page_size: u32,
        #[serde(default = "default_first_page")]
        first_page: u32,
    },
    /// `?cursor=…` from the previous page's `next_cursor_path`, until it is
    /// null or empty.
    Cursor {
        #[serde(default = "default_cursor_param")]
        cursor_param: String,
        next_cursor_path: String,
    },
}

/// Our field = the vendor's (dotted paths allowed).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMap {
    pub account_id: String,
    pub series: String,
    pub day: String,
    pub quantity: String,
    pub source_id: Option<String>,
}

fn default_path() -> String {
    "/usage".into()
}
fn default_day_param() -> String {
    "date".into()
}
fn default_day_format() -> String {
    "%Y-%m-%d".into()
}
fn default_timeout_ms() -> u64 {
    10_000
}
fn default_max_response_bytes() -> u64 {
    10 * 1024 * 1024
}
fn default_retries() -> u32 {
    3
}
fn default_backoff_ms() -> u64 {
    500
}
fn default_max_pages() -> u32 {
    10_000
}
fn default_page_param() -> String {
    "page".into()
}
fn default_size_param() -> String {
    "page_size".into()
}
fn default_page_size() -> u32 {
    500
}
fn default_first_page() -> u32 {
    1
}
fn default_cursor_param() -> String {
    "cursor".into()
}

impl HttpSourceConfig {
    /// What makes a configuration unusable, named for the operator.
    pub fn validate(&self) -> Result<(), String> {
        let valid_name = !self.name.is_empty()
            && self.name.len() <= 40
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid_name {
            return Err(format!(
                "usage source name \"{}\" must be 1-40 letters, digits, _ or -",
                self.name
            ));
        }
        let url = reqwest::Url::parse(&self.base_url)
            .map_err(|e| format!("usage source {}: base_url \"{}\": {e}", self.name, self.base_url))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("usage source {}: base_url must be http(s)", self.name));
        }
        if self.auth_token.is_some() != self.auth_header.is_some() {
            return Err(format!(
                "usage source {}: auth_header and auth_token go together",
                self.name
            ));
        }
        if let Pagination::Page { page_size: 0, .. } = self.pagination {
            return Err(format!("usage source {}: page_size must be > 0", self.name));
        }
        if self.timeout_ms == 0 || self.max_pages == 0 || self.retries > 10 {
            return Err(format!(
                "usage source {}: timeout_ms and max_pages must be > 0, retries at most 10",
                self.name
            ));
        }
        Ok(())
    }
}
