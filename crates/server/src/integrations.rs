//! The 集成 page's connectors that are not the ERP's: Redis and the file
//! storage, each asked now. The status shape all connectors share is here;
//! the ERP's own (push, customer pull) are in `erp::log`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::state::AppState;

/// One connector on the 集成 page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConnectorStatus {
    /// `erp_push`, `erp_pull`, `redis`, `storage`
    pub name: String,
    pub label: String,
    pub configured: bool,
    /// `not_configured` | `idle` (nothing waiting, or never run) | `busy`
    /// (documents on their way) | `ok` (answering, last run succeeded) |
    /// `failing` (the latest try failed, or documents are given up).
    pub state: String,
    /// Where it connects, without credentials.
    #[schema(required = true)]
    pub endpoint: Option<String>,
    /// What it holds now, by kind (`queued`, `failed`, `sent`, `conflicts`,
    /// `created`, `updated`); the page names each.
    pub counts: Vec<ConnectorCount>,
    /// When it last worked: a document reached the ERP, a pull finished,
    /// Redis or the storage answered.
    #[schema(required = true)]
    pub last_sync_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub last_error: Option<String>,
    #[schema(required = true)]
    pub last_error_at: Option<DateTime<Utc>>,
}

/// One figure of a connector.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConnectorCount {
    pub key: String,
    pub value: u64,
    /// Needs a person (failed documents, open conflicts).
    pub alert: bool,
}

impl ConnectorCount {
    pub fn new(key: &str, value: u64, alert: bool) -> ConnectorCount {
        ConnectorCount {
            key: key.into(),
            value,
            alert: alert && value > 0,
        }
    }
}

impl ConnectorStatus {
    /// A connector that is not set up.
    pub fn not_configured(name: &str, label: &str) -> ConnectorStatus {
        ConnectorStatus {
            name: name.into(),
            label: label.into(),
            configured: false,
            state: "not_configured".into(),
            endpoint: None,
            counts: Vec::new(),
            last_sync_at: None,
            last_error: None,
            last_error_at: None,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IntegrationsOverview {
    pub connectors: Vec<ConnectorStatus>,
}

/// Redis (`OPCMS_REDIS_URL`): asked with a PING now.
pub async fn redis_status(state: &AppState) -> ConnectorStatus {
    let label = "Redis 共享缓存与限流";
    let Some(shared) = &state.shared else {
        return ConnectorStatus::not_configured("redis", label);
    };
    let up = shared.ping().await;
    let (last_error, last_error_at) = match shared.last_error() {
        Some((message, at)) if !up => (Some(message), Some(at)),
        _ => (None, None),
    };
    ConnectorStatus {
        name: "redis".into(),
        label: label.into(),
        configured: true,
        state: if up { "ok" } else { "failing" }.into(),
        endpoint: Some(shared.endpoint()),
        counts: Vec::new(),
        last_sync_at: up.then(Utc::now),
        last_error,
        last_error_at,
    }
}

/// The file storage (local directory or S3-compatible): listed now.
pub async fn storage_status(state: &AppState) -> ConnectorStatus {
    let checked = state.storage.check().await;
    let now = Utc::now();
    ConnectorStatus {
        name: "storage".into(),
        label: "文件存储".into(),
        configured: true,
        state: if checked.is_ok() { "ok" } else { "failing" }.into(),
        endpoint: Some(state.storage.describe().to_string()),
        counts: Vec::new(),
        last_sync_at: checked.is_ok().then_some(now),
        last_error_at: checked.is_err().then_some(now),
        last_error: checked.err().map(|e| e.to_string()),
    }
}
