//! The Prometheus registry the server counts into: requests and latency per
//! route template. Kept apart from the `/metrics` route so the application
//! state can hold it without depending on the HTTP layer.

use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SharedLabels {
    /// `rate_limit`, `cache_get`, `cache_put`.
    op: &'static str,
    /// `hit`, `miss`, `ok`, `error`, `skipped` (Redis resting after a failure).
    outcome: &'static str,
}

fn latency_histogram() -> Histogram {
    // 1 ms … ~8 s
    Histogram::new(exponential_buckets(0.001, 2.0, 14))
}

pub struct Metrics {
    registry: Mutex<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    shared: Family<SharedLabels, Counter>,
    redis_up: Gauge,
    pool_connections: Family<PoolLabels, Gauge>,
    pool_max: Gauge,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    /// `idle` or `in_use`.
    state: &'static str,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("opcms");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register("http_requests", "HTTP requests served", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency", latency.clone());
        let shared = Family::<SharedLabels, Counter>::default();
        let redis_up = Gauge::default();
        registry.register(
            "shared_store_operations",
            "Operations on the shared store (Redis)",
            shared.clone(),
        );
        registry.register(
            "redis_up",
            "1 while the configured Redis answers, else 0",
            redis_up.clone(),
        );
        let pool_connections = Family::<PoolLabels, Gauge>::default();
        let pool_max = Gauge::default();
        registry.register(
            "db_pool_connections",
            "Database connections the pool holds open, idle or in use (read when scraped)",
            pool_connections.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "The most connections the pool opens",
            pool_max.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            requests,
            latency,
            shared,
            redis_up,
            pool_connections,
            pool_max,
        }
    }
}

impl Metrics {
    /// Counts one answered request and its latency under its route template.
    pub fn observe(&self, method: String, route: String, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.clone(),
                route: route.clone(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { method, route })
            .observe(seconds);
    }

    /// Counts one operation on the shared store (Redis) and how it went.
    pub fn shared_op(&self, op: &'static str, outcome: &'static str) {
        self.shared.get_or_create(&SharedLabels { op, outcome }).inc();
    }

    pub fn set_redis_up(&self, up: bool) {
        self.redis_up.set(i64::from(up));
    }

    /// The database pool as it is now: connections open, of them idle, and
    /// the most it may open. A leak shows as `in_use` that never falls back.
    pub fn set_db_pool(&self, open: u32, idle: u32, max: u32) {
        let in_use = open.saturating_sub(idle);
        self.pool_connections
            .get_or_create(&PoolLabels { state: "idle" })
            .set(i64::from(idle));
        self.pool_connections
            .get_or_create(&PoolLabels { state: "in_use" })
            .set(i64::from(in_use));
        self.pool_max.set(i64::from(max));
    }

    pub fn render(&self) -> String {
        let mut text = String::new();
        let registry = self.registry.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &registry);
        text
    }
}
