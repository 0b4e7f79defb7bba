//! `[erp]` / `OPCMS_ERP`: the ERP connector (docs/api/integrations.md),
//! read with the rest of the configuration and checked before the server
//! starts. Without it nothing is queued and the 集成 page says 未配置. The
//! sender that uses it is `erp::sender`.

use std::collections::BTreeMap;

use opcms_domain::erp::{DocKind, check_customer_mapping, check_mapping};
use serde::Deserialize;

use super::secret::Secret;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErpConfig {
    pub base_url: String,
    /// The header that carries the credential (`Authorization`, `X-Api-Key`).
    pub auth_header: Option<String>,
    pub auth_token: Option<Secret>,
    /// Per request, connect and answer.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Tries per document before it is marked failed (a person re-sends).
    #[serde(default = "default_max_attempts")]
    pub max_attempts: i32,
    /// Wait after the first failed try; doubled per further failure, at
    /// most an hour.
    #[serde(default = "default_backoff_ms")]
    pub backoff_ms: u64,
    /// Documents in flight at once per instance.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// How often the sender looks for due documents without being woken.
    #[serde(default = "default_tick_ms")]
    pub tick_ms: u64,
    /// `false`: this instance queues documents but leaves sending to others.
    #[serde(default = "default_true")]
    pub sender_enabled: bool,
    #[serde(default = "default_max_response_bytes")]
    pub max_response_bytes: u64,
    /// Dotted path of the ERP's own id in a success answer (shown in the log).
    #[serde(default = "default_id_path")]
    pub response_id_path: String,
    #[serde(default)]
    pub paths: ErpPaths,
    /// Per document kind: our field → the ERP's field.
    #[serde(default)]
    pub fields: ErpFieldMaps,
    /// Customer master data pulled from the ERP (the `erp.customers` job);
    /// None: not pulled.
    #[serde(default)]
    pub customers: Option<ErpCustomerPull>,
}

/// `GET <base_url><path>?since=<cursor>&limit=<page_size>`, page after page:
/// the records at `items_path`, the next cursor at `cursor_path` (none, or
/// the same again: the end). The last cursor is kept for the next run.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErpCustomerPull {
    #[serde(default = "default_customers_path")]
    pub path: String,
    #[serde(default = "default_items_path")]
    pub items_path: String,
    #[serde(default = "default_cursor_path")]
    pub cursor_path: String,
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    /// Records taken in one run at most; the rest wait for the next.
    #[serde(default = "default_max_records")]
    pub max_records: u32,
    /// The record's version or modification time in the ERP: a record not
    /// newer than the one last applied is stale (it arrived late) and skipped.
    pub version_field: Option<String>,
    /// Our field → the ERP's field; `customer_code` is required.
    pub fields: BTreeMap<String, String>,
}

fn default_customers_path() -> String {
    "/customers".into()
}
fn default_items_path() -> String {
    "items".into()
}
fn default_cursor_path() -> String {
    "next_cursor".into()
}
fn default_page_size() -> u32 {
    500
}
fn default_max_records() -> u32 {
    200_000
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ErpPaths {
    pub bills: String,
    pub credit_notes: String,
    pub receipts: String,
}

impl Default for ErpPaths {
    fn default() -> Self {
        ErpPaths {
            bills: "/bills".into(),
            credit_notes: "/credit-notes".into(),
            receipts: "/receipts".into(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ErpFieldMaps {
    pub bill: BTreeMap<String, String>,
    pub credit_note: BTreeMap<String, String>,
    pub receipt: BTreeMap<String, String>,
}

fn default_timeout_ms() -> u64 {
    10_000
}
fn default_max_attempts() -> i32 {
    8
}
fn default_backoff_ms() -> u64 {
    30_000
}
fn default_concurrency() -> usize {
    4
}
fn default_tick_ms() -> u64 {
    5_000
}
fn default_true() -> bool {
    true
}
fn default_max_response_bytes() -> u64 {
    1024 * 1024
}
fn default_id_path() -> String {
    "id".into()
}

impl ErpConfig {
    pub fn path_of(&self, kind: DocKind) -> &str {
        match kind {
            DocKind::Bill => &self.paths.bills,
            DocKind::CreditNote => &self.paths.credit_notes,
            DocKind::Receipt => &self.paths.receipts,
        }
    }

    pub fn mapping_of(&self, kind: DocKind) -> &BTreeMap<String, String> {
        match kind {
            DocKind::Bill => &self.fields.bill,
            DocKind::CreditNote => &self.fields.credit_note,
            DocKind::Receipt => &self.fields.receipt,
        }
    }

    /// What makes the configuration unusable, named for the operator.
    pub fn validate(&self) -> Result<(), String> {
        let url = reqwest::Url::parse(&self.base_url)
            .map_err(|e| format!("OPCMS_ERP: base_url \"{}\": {e}", self.base_url))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("OPCMS_ERP: base_url must be http(s)".into());
        }
        if self.auth_token.is_some() != self.auth_header.is_some() {
            return Err("OPCMS_ERP: auth_header and auth_token go together".into());
        }
        if self.timeout_ms == 0 || self.tick_ms == 0 || self.max_response_bytes == 0 {
            return Err("OPCMS_ERP: timeout_ms, tick_ms and max_response_bytes must be > 0".into());
        }
        if !(1..=50).contains(&self.max_attempts) || !(1..=64).contains(&self.concurrency) {
            return Err("OPCMS_ERP: max_attempts must be 1-50 and concurrency 1-64".into());
        }
        for kind in DocKind::ALL {
            if !self.path_of(kind).starts_with('/') {
                return Err(format!("OPCMS_ERP: the path of {} must start with /", kind.code()));
            }
            check_mapping(kind, self.mapping_of(kind)).map_err(|e| format!("OPCMS_ERP: fields.{e}"))?;
        }
        if let Some(pull) = &self.customers {
            if !pull.path.starts_with('/') {
                return Err("OPCMS_ERP: customers.path must start with /".into());
            }
            if !(1..=5_000).contains(&pull.page_size) || pull.max_records == 0 {
                return Err("OPCMS_ERP: customers.page_size must be 1-5000 and max_records > 0".into());
            }
            check_customer_mapping(&pull.fields).map_err(|e| format!("OPCMS_ERP: customers.fields: {e}"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(value: serde_json::Value) -> ErpConfig {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn defaults_fill_everything_but_the_address() {
        let c = config(json!({"base_url": "http://erp.local"}));
        assert!(c.validate().is_ok());
        assert_eq!(c.path_of(DocKind::CreditNote), "/credit-notes");
        assert!(c.sender_enabled);
    }

    #[test]
    fn a_bad_configuration_names_what_is_wrong() {
        let c = config(json!({"base_url": "ftp://erp"}));
        assert!(c.validate().unwrap_err().contains("http"));
        let c = config(json!({"base_url": "http://erp", "auth_header": "X-Key"}));
        assert!(c.validate().unwrap_err().contains("auth_token"));
        let c = config(json!({"base_url": "http://erp", "fields": {"bill": {"colour": "Farbe"}}}));
        assert!(c.validate().unwrap_err().contains("colour"));
        let c = config(json!({"base_url": "http://erp", "paths": {"bills": "bills"}}));
        assert!(c.validate().unwrap_err().contains("bill"));
        let c = config(json!({"base_url": "http://erp", "customers": {"fields": {"company_name": "Name"}}}));
        assert!(c.validate().unwrap_err().contains("customer_code"));
        let c = config(json!({"base_url": "http://erp", "customers": {"fields": {"customer_code": "No"}}}));
        assert!(c.validate().is_ok());
        assert_eq!(c.customers.map(|p| p.path), Some("/customers".to_string()));
    }

    #[test]
    fn the_token_never_prints() {
        let c = config(
            json!({"base_url": "http://erp", "auth_header": "Authorization", "auth_token": "Bearer t0p-s3cret"}),
        );
        assert!(!format!("{c:?}").contains("t0p-s3cret"));
    }
}
