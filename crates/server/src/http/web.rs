//! The built web app (web/dist), embedded in the binary at compile time and
//! served at `/` with SPA fallback: any path that is not a file gets
//! index.html so the client router can handle it. `/api/*` never falls back.

use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use rust_embed::Embed;

use crate::error::AppError;

#[derive(Embed)]
#[folder = "$CARGO_MANIFEST_DIR/../../web/dist"]
#[allow_missing = true]
struct WebAssets;

/// Whether the binary was built with the web app inside.
pub fn is_embedded() -> bool {
    WebAssets::get("index.html").is_some()
}

pub async fn serve(uri: Uri) -> Response {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        return AppError::NotFound {
            message: format!("接口不存在：{path}"),
        }
        .into_response();
    }
    let file = path.trim_start_matches('/');
    if let Some(asset) = WebAssets::get(file).filter(|_| !file.is_empty()) {
        let mime = mime_guess::from_path(file).first_or_octet_stream();
        // Vite fingerprints everything under assets/, so it can be cached forever.
        let cache = if file.starts_with("assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        return (
            [(header::CONTENT_TYPE, mime.as_ref()), (header::CACHE_CONTROL, cache)],
            asset.data,
        )
            .into_response();
    }
    match WebAssets::get("index.html") {
        Some(index) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            index.data,
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            Html(
                "<h1>OP_CMS</h1><p>此程序构建时未包含前端页面。请运行 <code>make run</code> 构建完整程序。</p>\
                  <p>This binary was built without the web app; build it with <code>make run</code>.</p>",
            ),
        )
            .into_response(),
    }
}
