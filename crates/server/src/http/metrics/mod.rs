//! Prometheus metrics at `/metrics`: request counts and latencies per route
//! template (not per raw path, which would explode the label space).
//! `/metrics` can require a Bearer token (`OPCMS_METRICS_TOKEN`) and be
//! served on a listener of its own (`OPCMS_METRICS_BIND`).

pub mod registry;

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub use registry::Metrics;

use crate::config::Secret;
use crate::error::AppError;
use crate::http::extract::bearer_token;
use crate::state::AppState;

pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let response = next.run(request).await;
    state.metrics.observe(
        method,
        route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// `/metrics`, for the main router or a listener of its own.
pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(serve))
}

async fn serve(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(expected) = &state.config.http.metrics_token
        && !presents(&headers, expected)
    {
        let mut response = AppError::Unauthorized {
            code: "METRICS_TOKEN_REQUIRED",
            message: "读取监控指标需要有效的令牌（Authorization: Bearer …）".into(),
        }
        .into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    if let Some(pool) = crate::db::pool_stats(&state.db) {
        state.metrics.set_db_pool(pool.open, pool.idle, pool.max);
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// Whether the request carries the token. Both sides are hashed first, so
/// the comparison takes the same time whatever the length or the first
/// differing byte.
fn presents(headers: &HeaderMap, expected: &Secret) -> bool {
    let given = Sha256::digest(bearer_token(headers).unwrap_or_default().as_bytes());
    let expected = Sha256::digest(expected.expose().trim().as_bytes());
    bool::from(given.ct_eq(&expected))
}
