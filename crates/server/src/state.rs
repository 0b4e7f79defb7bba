use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::calendar::Clock;
use crate::config::Config;
use crate::crypto::Keyring;
use crate::crypto::tokens::TokenKeys;
use crate::http::metrics::registry::Metrics;
use crate::shared::SharedStore;
use crate::storage::Storage;

/// What every handler can reach. Cheap to clone; holds no per-user state, so
/// any number of instances can serve the same database.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub keys: Arc<TokenKeys>,
    pub keyring: Arc<Keyring>,
    pub metrics: Arc<Metrics>,
    /// Redis when `OPCMS_REDIS_URL` is set: shared rate limits and cache.
    pub shared: Option<Arc<SharedStore>>,
    /// The business clock every request and job of this app reads.
    pub clock: Clock,
    /// Wakes the scheduler before its next tick (the test clock was set).
    pub jobs_wake: Arc<tokio::sync::Notify>,
    /// Wakes the notification sender: rows were queued (after the commit).
    pub notify_wake: Arc<tokio::sync::Notify>,
    /// Wakes the ERP sender: documents were queued (after the commit).
    pub erp_wake: Arc<tokio::sync::Notify>,
    /// Queues this instance's analytics snapshot refreshes: one at a time.
    pub analytics_refresh: Arc<tokio::sync::Mutex<()>>,
    /// Held while this instance writes a backup: one at a time.
    pub backup_running: Arc<tokio::sync::Mutex<()>>,
    /// Where the files the system keeps go (`[storage]`).
    pub storage: Storage,
}

impl AppState {
    /// The state of one instance, its per-instance parts (wake-ups, locks,
    /// metrics) fresh: the one place that lists them, for `serve` and for
    /// the commands that call the services (`opcms demo`).
    pub fn new(
        db: DatabaseConnection,
        config: Config,
        keys: TokenKeys,
        keyring: Keyring,
        clock: Clock,
    ) -> anyhow::Result<AppState> {
        let storage = Storage::from_config(&config.storage, &config.data_dir)?;
        let metrics = Arc::new(Metrics::default());
        let shared = match &config.redis_url {
            Some(url) => Some(Arc::new(SharedStore::new(url.expose(), metrics.clone())?)),
            None => None,
        };
        Ok(AppState {
            db,
            config: Arc::new(config),
            keys: Arc::new(keys),
            keyring: Arc::new(keyring),
            metrics,
            shared,
            clock,
            jobs_wake: Arc::new(tokio::sync::Notify::new()),
            notify_wake: Arc::new(tokio::sync::Notify::new()),
            erp_wake: Arc::new(tokio::sync::Notify::new()),
            analytics_refresh: Arc::new(tokio::sync::Mutex::new(())),
            backup_running: Arc::new(tokio::sync::Mutex::new(())),
            storage,
        })
    }
}
