//! Extractors whose rejections speak the app's error envelope, so a bad body
//! or query never reaches a client as axum's plain-text default.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use bytes::Bytes;
use opcms_domain::FieldError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use super::strict_json::Strict;
use crate::error::AppError;
use crate::state::AppState;

/// A JSON body, parsed with the failing field's path reported.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim();
                mime == "application/json" || mime.ends_with("+json")
            });
        if !is_json {
            return Err(AppError::BadRequest {
                code: "UNSUPPORTED_MEDIA_TYPE",
                message: "请求须为 JSON（Content-Type: application/json）".into(),
            });
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge {
                    message: format!("请求内容过大，上限为 {} KiB", state.config.json_body_limit / 1024),
                }
            } else {
                AppError::BadRequest {
                    code: "INVALID_BODY",
                    message: "无法读取请求内容".into(),
                }
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses one JSON document (structs only from objects: [`Strict`]),
/// turning serde's complaint into a field error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let malformed = |inner: &serde_json::Error| AppError::BadRequest {
        code: "MALFORMED_JSON",
        message: format!("JSON 格式错误（第 {} 行第 {} 列）", inner.line(), inner.column()),
    };
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(Strict(&mut deserializer)).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return malformed(&inner);
        }
        AppError::Validation(vec![field_error_from_serde(&path, &inner.to_string())])
    })?;
    // Nothing but whitespace may follow the document.
    deserializer.end().map_err(|inner| malformed(&inner))?;
    Ok(value)
}

fn field_error_from_serde(path: &str, message: &str) -> FieldError {
    let quoted = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_string)
    };
    let join = |name: &str| {
        if path == "." || path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    if let Some(name) = quoted("missing field `") {
        return FieldError::new(join(&name), "REQUIRED", format!("缺少必填字段 {name}"));
    }
    if let Some(name) = quoted("duplicate field `") {
        // `?q=a&q=b`, or a JSON object naming a key twice.
        return FieldError::new(join(&name), "INVALID_VALUE", format!("字段 {name} 只能出现一次"));
    }
    if let Some(name) = quoted("unknown field `") {
        // The path already ends at the unknown field itself.
        let field = if path == "." || path.is_empty() {
            name.clone()
        } else {
            path.to_string()
        };
        return FieldError::new(field, "UNKNOWN_FIELD", format!("不支持的字段 {name}"));
    }
    let field = if path == "." { String::new() } else { path.to_string() };
    // Our own value types (amounts, codes) explain themselves in Chinese;
    // serde's generic type errors get a Chinese summary.
    let has_chinese = message.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let text = if has_chinese {
        let detail = message.split(" at line ").next().unwrap_or(message);
        format!("字段 {field} 的值无效：{detail}")
    } else if field.is_empty() {
        // The whole body is of the wrong kind (an array, a string…).
        "请求内容应为一个 JSON 对象".to_string()
    } else {
        format!("字段 {field} 的值类型或格式不正确")
    };
    FieldError::new(field, "INVALID_VALUE", text)
}

/// Query parameters, with bad ones reported as field errors.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AppError> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(ApiQuery)
            .map_err(|err| {
                let path = err.path().to_string();
                AppError::Validation(vec![field_error_from_serde(&path, &err.into_inner().to_string())])
            })
    }
}

/// Where a request came from, for throttling and the audit log.
#[derive(Debug, Clone, Default)]
pub struct ClientMeta {
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

impl FromRequestParts<AppState> for ClientMeta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(client_meta(parts, state.config.trust_forwarded_for))
    }
}

pub fn client_meta(parts: &Parts, trust_forwarded_for: bool) -> ClientMeta {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string());
    // Behind our own load balancer the peer is the balancer; its appended
    // (right-most) X-Forwarded-For entry is the real client. Only trusted
    // when configured, since a client can write the header itself.
    let forwarded = trust_forwarded_for
        .then(|| parts.headers.get("x-forwarded-for")?.to_str().ok())
        .flatten()
        .and_then(|value| value.rsplit(',').next())
        .map(|ip| ip.trim().to_string())
        .filter(|ip| !ip.is_empty());
    ClientMeta {
        ip: forwarded.or(peer),
        request_id: parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    }
}

/// The token of an `Authorization: Bearer …` header, if any.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Path parameters; a malformed one (e.g. a non-numeric id) is a 404, since
/// no resource can live at that path.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| ApiPath(value))
            .map_err(|_| AppError::NotFound {
                message: "资源不存在".into(),
            })
    }
}

/// For PATCH bodies: tells an absent field (None) from an explicit `null`
/// (Some(None)). Use with `#[serde(default, deserialize_with = "present")]`.
pub fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
