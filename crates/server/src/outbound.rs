//! What every outgoing HTTP adapter (usage sources, the ERP) shares: a
//! client that follows redirects only within the partner's origin, a body
//! read under a size cap, dotted JSON paths, and readable Chinese messages
//! for a partner that answers garbage. `who` names the partner in them
//! (「供应商接口」, 「ERP 接口」).

use std::time::Duration;

use serde_json::Value;

/// Most redirects followed for one request.
const MAX_REDIRECTS: usize = 3;

/// A client with this timeout for connecting and for the whole request,
/// following redirects within the partner's origin only.
pub fn client(timeout_ms: u64) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_millis(timeout_ms))
        .connect_timeout(Duration::from_millis(timeout_ms))
        .redirect(reqwest::redirect::Policy::custom(same_origin_only))
        .build()
}

/// Redirects are followed only within the partner's origin (scheme, host
/// and port): the request carries the partner's credential, and reqwest
/// strips only the standard `Authorization` header on a cross-host hop, not
/// a custom one such as `X-Api-Key` from `auth_header`.
fn same_origin_only(attempt: reqwest::redirect::Attempt<'_>) -> reqwest::redirect::Action {
    let same_origin = attempt
        .previous()
        .first()
        .is_some_and(|first| first.origin() == attempt.url().origin());
    if !same_origin {
        let to = attempt.url().origin().ascii_serialization();
        attempt.error(RefusedRedirect::CrossOrigin(to))
    } else if attempt.previous().len() > MAX_REDIRECTS {
        attempt.error(RefusedRedirect::TooMany)
    } else {
        attempt.follow()
    }
}

#[derive(Debug, thiserror::Error)]
enum RefusedRedirect {
    #[error("redirect to another origin: {0}")]
    CrossOrigin(String),
    #[error("too many redirects")]
    TooMany,
}

/// A request that got no usable answer: what to tell, and whether trying
/// again may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    pub message: String,
    pub retryable: bool,
}

impl CallError {
    pub fn retry(message: impl Into<String>) -> CallError {
        CallError {
            message: message.into(),
            retryable: true,
        }
    }

    pub fn fatal(message: impl Into<String>) -> CallError {
        CallError {
            message: message.into(),
            retryable: false,
        }
    }
}

/// Why `send` failed, for the log: a refused redirect, a timeout, or no
/// connection (the last two worth another try).
pub fn send_error(who: &str, timeout_ms: u64, error: &reqwest::Error) -> CallError {
    if error.is_redirect() {
        return CallError::fatal(refused_redirect(who, error));
    }
    CallError::retry(if error.is_timeout() {
        format!("{who}超时（{timeout_ms} 毫秒）")
    } else {
        format!("无法连接{who}")
    })
}

/// The whole body, unless it is larger than `limit` bytes.
pub async fn read_body(mut response: reqwest::Response, limit: u64, timeout_ms: u64) -> Result<Vec<u8>, CallError> {
    let too_large = || CallError::fatal(format!("响应超过 {limit} 字节上限"));
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() as u64 + chunk.len() as u64 > limit {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => {
                return Err(CallError::retry(if e.is_timeout() {
                    format!("读取响应超时（{timeout_ms} 毫秒）")
                } else {
                    "读取响应中断".to_string()
                }));
            }
        }
    }
}

/// What to record about a redirect the policy refused.
fn refused_redirect(who: &str, error: &reqwest::Error) -> String {
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        if let Some(refused) = inner.downcast_ref::<RefusedRedirect>() {
            return match refused {
                RefusedRedirect::CrossOrigin(to) => {
                    format!("{who}重定向到其他站点（{to}），为保护凭证未跟随；请把 base_url 改为实际地址")
                }
                RefusedRedirect::TooMany => format!("{who}重定向超过 {MAX_REDIRECTS} 次，已停止"),
            };
        }
        cause = inner.source();
    }
    format!("{who}的重定向无法跟随")
}

/// The value at a dotted path (`data.items`); the value itself for "".
pub fn at_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(value);
    }
    path.split('.').try_fold(value, |v, key| match v {
        Value::Object(map) => map.get(key),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// What a person should read about an answer that is not JSON.
pub fn describe_garbage(who: &str, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    let start = text.trim_start();
    if start.is_empty() {
        return format!("{who}返回了空响应");
    }
    if start.starts_with('<') {
        return format!("{who}返回了 HTML 页面而不是 JSON（可能是错误页或登录页）");
    }
    let snippet: String = start.chars().filter(|c| !c.is_control()).take(60).collect();
    format!("{who}返回的不是有效的 JSON：「{snippet}」")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotted_paths_reach_into_objects_and_arrays() {
        let v = json!({"data": {"items": [{"a": 1}], "next": null}});
        assert_eq!(at_path(&v, "data.items.0.a"), Some(&json!(1)));
        assert_eq!(at_path(&v, "data.missing"), None);
        assert_eq!(at_path(&v, ""), Some(&v));
    }

    #[test]
    fn garbage_is_described_not_echoed_whole() {
        assert!(describe_garbage("ERP 接口", b"<!DOCTYPE html><html>").contains("HTML"));
        assert!(describe_garbage("ERP 接口", b"").contains("ERP 接口返回了空响应"));
        assert!(describe_garbage("供应商接口", b"{\"data\": [1, 2").contains("不是有效的 JSON"));
    }
}
