//! Assembles the HTTP surface: `/api/v1` (one router per business area), the
//! OpenAPI document and docs, probes, metrics and the embedded web app,
//! wrapped in the cross-cutting layers (request id, tracing, security
//! headers, metrics, rate limit, timeout, limits, panics).

pub mod download;
pub mod extract;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod pagination;
pub mod probes;
pub mod strict_json;
pub mod upload;
pub mod web;

use std::any::Any;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Router, middleware};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{AppError, envelope};
use crate::state::AppState;
use crate::{
    analytics, audit, auth, backup, bills, close, customers, erp, jobs, notify, payments, pricing, reports, settings,
    system, usage, users,
};

/// Every business area's routes, relative to `/api/v1`.
fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(auth::routes::router())
        .merge(users::routes::router())
        .merge(audit::routes::router())
        .merge(customers::routes::router())
        .merge(pricing::routes::router())
        .merge(usage::routes::router())
        .merge(bills::routes::router())
        .merge(payments::routes::router())
        .merge(close::routes::router())
        .merge(system::routes::router())
        .merge(settings::routes::router())
        .merge(jobs::routes::router())
        .merge(notify::routes::router())
        .merge(analytics::routes::router())
        .merge(reports::routes::router())
        .merge(backup::routes::router())
        .merge(erp::routes::router())
}

/// The API's routes and their complete OpenAPI document.
fn api_routes_and_document() -> (Router<AppState>, OpenApiDoc) {
    let (api, mut document) = api_routes().split_for_parts();
    openapi::SharedContract.modify(&mut document);
    (api, document)
}

/// The OpenAPI document, as served at `/api/openapi.json`.
pub fn openapi_document() -> OpenApiDoc {
    api_routes_and_document().1
}

/// What the browser may load for the web app and the API docs: only this
/// origin's files, no inline or eval'd script, no plugins, no framing.
/// Inline styles stay allowed for Swagger UI's injected `<style>` and
/// vue-echarts' fallback for older browsers (docs/decisions.md).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
     object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

/// Sent only over TLS (a browser ignores it over plain HTTP anyway). No
/// `includeSubDomains`: sibling internal hosts may still speak plain HTTP.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: AppState) -> Router {
    let (api, openapi) = api_routes_and_document();
    let docs = SwaggerUi::new("/api/docs")
        .url("/api/openapi.json", openapi)
        .config(utoipa_swagger_ui::Config::from("/api/openapi.json").validator_url("none"));
    let api = api
        .fallback(api_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.config.json_body_limit));

    let mut router = Router::new().nest("/api/v1", api).merge(probes::router()).merge(docs);
    router = match state.config.http.metrics_bind {
        None => router.merge(metrics::router()),
        // Served elsewhere: here it is no page of the web app either.
        Some(_) => router.route("/metrics", any(api_not_found)),
    };
    router = router
        .fallback(web::serve)
        .method_not_allowed_fallback(method_not_allowed);
    // Innermost first: the handler reads the app's business clock, the
    // timeout bounds the handler alone, the rate limit answers before any
    // work, and metrics count both of their answers.
    router = router.layer(middleware::from_fn_with_state(state.clone(), with_business_clock));
    if let Some(limit) = state.config.http.request_timeout {
        router = router.layer(middleware::from_fn_with_state(limit, limits::timeout));
    }
    if let Some(rate_limits) = limits::RateLimits::of(&state) {
        router = router.layer(middleware::from_fn_with_state(rate_limits, limits::rate_limit));
    }
    let router = router.layer(middleware::from_fn_with_state(state.clone(), metrics::track));
    with_common_layers(router, state.config.http.tls.is_some()).with_state(state)
}

/// The listener of its own for `/metrics` (`OPCMS_METRICS_BIND`).
pub fn metrics_router(state: AppState) -> Router {
    let router = metrics::router()
        .fallback(api_not_found)
        .method_not_allowed_fallback(method_not_allowed);
    with_common_layers(router, state.config.http.tls.is_some()).with_state(state)
}

/// Request id, tracing, panics and the security headers, outermost.
fn with_common_layers(router: Router<AppState>, tls: bool) -> Router<AppState> {
    let router = router.layer(
        ServiceBuilder::new()
            .map_request(take_client_request_id)
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let request_id = request
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                let client_request_id = request.extensions().get::<ClientRequestId>().map(|id| id.0.as_str());
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                    request_id,
                    client_request_id
                )
            }))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(security_header("x-content-type-options", "nosniff"))
            .layer(security_header("x-frame-options", "DENY"))
            .layer(security_header("referrer-policy", "same-origin"))
            .layer(security_header("content-security-policy", CONTENT_SECURITY_POLICY)),
    );
    if tls {
        router.layer(security_header("strict-transport-security", STRICT_TRANSPORT_SECURITY))
    } else {
        router
    }
}

fn security_header(name: &'static str, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(HeaderName::from_static(name), HeaderValue::from_static(value))
}

/// The id a client sent, kept for the log only.
#[derive(Clone)]
struct ClientRequestId(String);

/// The server names every request itself: a client's `x-request-id` is taken
/// off (so it reaches neither the audit log nor the response) and kept for
/// the log line only when short and plain.
fn take_client_request_id<B>(mut request: Request<B>) -> Request<B> {
    let given = request.headers_mut().remove(REQUEST_ID);
    if let Some(id) = given
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .filter(|id| is_plain_id(id))
    {
        let id = ClientRequestId(id.to_string());
        request.extensions_mut().insert(id);
    }
    request
}

fn is_plain_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Every business date the request reads comes from its app's clock.
async fn with_business_clock(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    state.clock.scope(next.run(request)).await
}

async fn api_not_found() -> Response {
    AppError::unknown_route().into_response()
}

async fn method_not_allowed() -> Response {
    envelope(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        "不支持该请求方法",
        Vec::new(),
    )
}

/// A panic is a bug: log it, answer with the 500 envelope, keep serving.
fn panic_response(cause: Box<dyn Any + Send + 'static>) -> Response {
    let message = cause
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| cause.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = message, "handler panicked");
    AppError::Internal(anyhow::anyhow!("panic: {message}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_client_ids_are_kept_for_the_log() {
        assert!(is_plain_id("trace-me-123"));
        assert!(is_plain_id("a.b_c-D9"));
        assert!(is_plain_id(&"x".repeat(64)));
        assert!(!is_plain_id(&"x".repeat(65)));
        assert!(!is_plain_id(""));
        for odd in ["a b", "a\"b", "<script>", "id=1;drop", "ünïcode", "a/b"] {
            assert!(!is_plain_id(odd), "{odd}");
        }
    }
}
