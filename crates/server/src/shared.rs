//! The state several instances share through Redis (optional; DESIGN.md
//! §1, §20): the rate-limit counters and a cache of hot reads.
//!
//! Redis is never the only copy of anything and never required. When it is
//! not configured, or does not answer within [`RESPONSE_TIMEOUT`], callers
//! get `None` and fall back (limits counted in this process, reads from the
//! database). After a failure Redis is left alone for [`REST`], so an
//! outage costs one slow request a second, not every request; then the next
//! operation connects again. Going down and coming back are logged once.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, Script};

use crate::http::metrics::registry::Metrics;

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// How long one command may take before Redis counts as unavailable.
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(250);
/// How long Redis is left alone after a failure.
const REST: Duration = Duration::from_secs(1);
/// Every key this application writes starts with this.
const PREFIX: &str = "opcms:";

/// GCRA (the algorithm `governor` uses in process) over one key holding the
/// theoretical arrival time in microseconds of Redis's own clock, so every
/// instance counts against one budget. ARGV: emission interval and burst
/// tolerance in µs. Returns 0 when allowed, else the µs to wait.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next_tat = tat + interval
local allowed_at = next_tat - tolerance
if allowed_at > now then return allowed_at - now end
redis.call('SET', KEYS[1], next_tat, 'PX', math.ceil((next_tat - now) / 1000))
return 0
";

pub struct SharedStore {
    client: Client,
    connection: Mutex<Option<MultiplexedConnection>>,
    /// Held while connecting: other requests do not queue behind it.
    connecting: tokio::sync::Mutex<()>,
    resting_until: Mutex<Option<Instant>>,
    up: AtomicBool,
    /// Set by the first "unavailable" line (Redis down since start).
    warned: AtomicBool,
    gcra: Script,
    metrics: Arc<Metrics>,
    /// The latest failure, for the 集成 page: what and when.
    last_error: Mutex<Option<(String, chrono::DateTime<chrono::Utc>)>>,
}

/// What a rate-limit check against the shared counters said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spent {
    Allowed,
    Wait(Duration),
}

impl SharedStore {
    /// The store for `url` (`redis://…` or `rediss://…`); connects lazily,
    /// so an instance starts while Redis is down.
    pub fn new(url: &str, metrics: Arc<Metrics>) -> anyhow::Result<SharedStore> {
        let client =
            Client::open(url).map_err(|e| anyhow::anyhow!("OPCMS_REDIS_URL is not a usable Redis address: {e}"))?;
        metrics.set_redis_up(false);
        Ok(SharedStore {
            client,
            connection: Mutex::new(None),
            connecting: tokio::sync::Mutex::new(()),
            resting_until: Mutex::new(None),
            up: AtomicBool::new(false),
            warned: AtomicBool::new(false),
            gcra: Script::new(GCRA),
            metrics,
            last_error: Mutex::new(None),
        })
    }

    /// Whether Redis answered the last time it was asked.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// Where Redis is, for people: host and port, never the password.
    pub fn endpoint(&self) -> String {
        self.client.get_connection_info().addr().to_string()
    }

    /// The latest failure and when it happened (it may have recovered since).
    pub fn last_error(&self) -> Option<(String, chrono::DateTime<chrono::Utc>)> {
        lock(&self.last_error).clone()
    }

    /// Asks Redis now (PING); whether it answered.
    pub async fn ping(&self) -> bool {
        let Some(mut connection) = self.connection("ping").await else {
            return false;
        };
        let result: redis::RedisResult<String> = redis::cmd("PING").query_async(&mut connection).await;
        match result {
            Ok(_) => {
                self.succeeded("ping", "ok");
                true
            }
            Err(error) => {
                self.failed("ping", &error);
                false
            }
        }
    }

    /// Spends one request of `key`'s budget of `per_minute` (a minute's worth
    /// at once, then one every 60/n s); None when Redis cannot say.
    pub async fn spend(&self, key: &str, per_minute: NonZeroU32) -> Option<Spent> {
        let interval = 60_000_000 / u64::from(per_minute.get());
        let tolerance = interval * u64::from(per_minute.get());
        let mut connection = self.connection("rate_limit").await?;
        let mut invocation = self.gcra.prepare_invoke();
        invocation.key(format!("{PREFIX}rl:{key}")).arg(interval).arg(tolerance);
        match invocation.invoke_async::<u64>(&mut connection).await {
            Ok(wait) => {
                self.succeeded("rate_limit", "ok");
                Some(if wait == 0 {
                    Spent::Allowed
                } else {
                    Spent::Wait(Duration::from_micros(wait))
                })
            }
            Err(error) => {
                self.failed("rate_limit", &error);
                None
            }
        }
    }

    /// The cached bytes under `key`; None when absent or Redis is
    /// unavailable (the caller reads the database).
    pub async fn get(&self, key: &str) -> Option<Vec<u8>> {
        let mut connection = self.connection("cache_get").await?;
        let result: redis::RedisResult<Option<Vec<u8>>> = redis::cmd("GET")
            .arg(format!("{PREFIX}c:{key}"))
            .query_async(&mut connection)
            .await;
        match result {
            Ok(found) => {
                self.succeeded("cache_get", if found.is_some() { "hit" } else { "miss" });
                found
            }
            Err(error) => {
                self.failed("cache_get", &error);
                None
            }
        }
    }

    /// Keeps `bytes` under `key` for `ttl`; best effort.
    pub async fn put(&self, key: &str, bytes: &[u8], ttl: Duration) {
        let Some(mut connection) = self.connection("cache_put").await else {
            return;
        };
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let result: redis::RedisResult<()> = redis::cmd("SET")
            .arg(format!("{PREFIX}c:{key}"))
            .arg(bytes)
            .arg("PX")
            .arg(millis)
            .query_async(&mut connection)
            .await;
        match result {
            Ok(()) => self.succeeded("cache_put", "ok"),
            Err(error) => self.failed("cache_put", &error),
        }
    }

    /// A connection, unless Redis is resting after a failure or another
    /// request is connecting right now.
    async fn connection(&self, op: &'static str) -> Option<MultiplexedConnection> {
        if let Some(connection) = lock(&self.connection).clone() {
            return Some(connection);
        }
        if lock(&self.resting_until).is_some_and(|until| Instant::now() < until) {
            self.metrics.shared_op(op, "skipped");
            return None;
        }
        let Ok(_connecting) = self.connecting.try_lock() else {
            self.metrics.shared_op(op, "skipped");
            return None;
        };
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT));
        match self.client.get_multiplexed_async_connection_with_config(&config).await {
            Ok(connection) => {
                *lock(&self.connection) = Some(connection.clone());
                Some(connection)
            }
            Err(error) => {
                self.failed(op, &error);
                None
            }
        }
    }

    fn succeeded(&self, op: &'static str, outcome: &'static str) {
        self.metrics.shared_op(op, outcome);
        if !self.up.swap(true, Ordering::Relaxed) {
            self.metrics.set_redis_up(true);
            tracing::info!("Redis answers: rate limits are shared and hot reads cached again");
        }
    }

    fn failed(&self, op: &'static str, error: &redis::RedisError) {
        self.metrics.shared_op(op, "error");
        *lock(&self.last_error) = Some((format!("Redis 不可用：{error}"), chrono::Utc::now()));
        *lock(&self.connection) = None;
        *lock(&self.resting_until) = Some(Instant::now() + REST);
        // Logged when it goes away (and at the first failure after start).
        if self.up.swap(false, Ordering::Relaxed) | !self.warned.swap(true, Ordering::Relaxed) {
            self.metrics.set_redis_up(false);
            tracing::warn!(
                %error,
                "Redis is unavailable: rate limits are counted per instance and reads go to the database until it answers"
            );
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
