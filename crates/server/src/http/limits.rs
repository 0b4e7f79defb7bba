//! The general rate limit and the request timeout, both answering in the
//! error envelope.
//!
//! The rate limit is per signed-in user (keyed by the user id of a Bearer
//! token whose signature verifies, so a forged token cannot spend someone
//! else's budget) and per client IP for everything else. It covers the API
//! (`/api/…`) and `/metrics`; the probes and the embedded web app's static
//! files are not limited (docs/decisions.md). The counters live in this
//! process: with several instances each allows the configured rate.

use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota};

use super::extract::{bearer_token, client_meta};
use crate::crypto::tokens::TokenKeys;
use crate::error::{AppError, envelope};
use crate::shared::{SharedStore, Spent};
use crate::state::AppState;

/// How many checks between two sweeps of idle keys out of the limiters.
const SWEEP_EVERY: u64 = 4096;

pub struct RateLimits {
    per_ip: Option<DefaultKeyedRateLimiter<String>>,
    per_user: Option<DefaultKeyedRateLimiter<i64>>,
    per_ip_quota: u32,
    per_user_quota: u32,
    shared: Option<Arc<SharedStore>>,
    keys: Arc<TokenKeys>,
    trust_forwarded_for: bool,
    checks: AtomicU64,
}

impl RateLimits {
    /// The limits configured for this state; None when both are off.
    pub fn of(state: &AppState) -> Option<Arc<RateLimits>> {
        let settings = &state.config.http;
        let limits = RateLimits {
            per_ip: limiter(settings.rate_limit_per_ip),
            per_user: limiter(settings.rate_limit_per_user),
            per_ip_quota: settings.rate_limit_per_ip,
            per_user_quota: settings.rate_limit_per_user,
            shared: state.shared.clone(),
            keys: state.keys.clone(),
            trust_forwarded_for: state.config.trust_forwarded_for,
            checks: AtomicU64::new(0),
        };
        (limits.per_ip.is_some() || limits.per_user.is_some()).then(|| Arc::new(limits))
    }

    /// How long the caller must wait, or None when the request may go on.
    async fn wait_for(&self, request: Request) -> (Request, Option<Duration>) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.sweep();
        }
        let user = bearer_token(request.headers()).and_then(|token| self.keys.verify_access(token));
        if let Some(claims) = user {
            let Some(limiter) = &self.per_user else {
                return (request, None);
            };
            if let Some(wait) = self
                .shared_wait(&format!("user:{}", claims.user_id), self.per_user_quota)
                .await
            {
                return (request, wait);
            }
            return (request, spend(limiter, &claims.user_id));
        }
        let Some(limiter) = &self.per_ip else {
            return (request, None);
        };
        let (parts, body) = request.into_parts();
        let ip = client_meta(&parts, self.trust_forwarded_for).ip.unwrap_or_default();
        let request = Request::from_parts(parts, body);
        if let Some(wait) = self.shared_wait(&format!("ip:{ip}"), self.per_ip_quota).await {
            return (request, wait);
        }
        (request, spend(limiter, &ip))
    }

    /// The shared counters' answer; None when there are none or Redis does
    /// not answer (this process's counters decide).
    async fn shared_wait(&self, key: &str, per_minute: u32) -> Option<Option<Duration>> {
        let shared = self.shared.as_ref()?;
        match shared.spend(key, NonZeroU32::new(per_minute)?).await? {
            Spent::Allowed => Some(None),
            Spent::Wait(wait) => Some(Some(wait)),
        }
    }

    /// Drops the keys whose budget is full again, so a stream of new IPs
    /// does not grow the maps for ever.
    fn sweep(&self) {
        if let Some(limiter) = &self.per_ip {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(limiter) = &self.per_user {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

/// Whether a path counts against the rate limit.
fn is_limited(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/") || path == "/metrics"
}

pub async fn rate_limit(State(limits): State<Arc<RateLimits>>, request: Request, next: Next) -> Response {
    if !is_limited(request.uri().path()) {
        return next.run(request).await;
    }
    match limits.wait_for(request).await {
        (request, None) => next.run(request).await,
        (_, Some(wait)) => {
            // Whole seconds, rounded up: "0" would invite an immediate retry.
            let retry_after_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            AppError::TooManyRequests {
                code: "RATE_LIMITED",
                message: "请求过于频繁，请稍后再试".into(),
                retry_after_secs: retry_after_secs.max(1),
            }
            .into_response()
        }
    }
}

/// Answers 503 when the handler has not answered within the limit. The
/// handler's future is dropped, so an open transaction rolls back and
/// nothing is half-written.
pub async fn timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            // The request span (method, path, id) surrounds this line.
            tracing::warn!(limit_secs = limit.as_secs(), "request timed out");
            envelope(
                StatusCode::SERVICE_UNAVAILABLE,
                "REQUEST_TIMEOUT",
                &format!("请求处理超时（超过 {} 秒），请稍后重试", limit.as_secs()),
                Vec::new(),
            )
        }
    }
}

/// A limiter allowing `per_minute` requests a minute per key (a full
/// minute's worth at once, then one every 60/n seconds); None for 0.
fn limiter<K: Clone + Eq + Hash>(per_minute: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    NonZeroU32::new(per_minute).map(|n| DefaultKeyedRateLimiter::keyed(Quota::per_minute(n)))
}

/// Spends one request of `key`'s budget, or tells how long until one is back.
fn spend<K: Clone + Eq + Hash>(limiter: &DefaultKeyedRateLimiter<K>, key: &K) -> Option<Duration> {
    limiter
        .check_key(key)
        .err()
        .map(|not_until| not_until.wait_time_from(limiter.clock().now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_and_metrics_are_limited_but_probes_and_the_web_app_are_not() {
        for path in [
            "/api",
            "/api/v1/customers",
            "/api/docs/",
            "/api/openapi.json",
            "/metrics",
        ] {
            assert!(is_limited(path), "{path}");
        }
        for path in [
            "/healthz",
            "/readyz",
            "/",
            "/assets/index-abc.js",
            "/customers",
            "/apix",
        ] {
            assert!(!is_limited(path), "{path}");
        }
    }
}
