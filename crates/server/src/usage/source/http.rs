//! The configurable HTTP JSON source: base URL, auth header, pagination by
//! page number or cursor, timeouts, a response size cap, retries with
//! exponential backoff on 5xx/timeouts/connection errors (none on 4xx),
//! redirects within the vendor's origin only, and a field mapping from the
//! vendor's JSON to ours.

use std::collections::HashSet;
use std::time::Duration;

use chrono::NaiveDate;
use futures_util::future::BoxFuture;
use opcms_domain::usage::{RawUsage, RawValue};
use serde_json::Value;

use super::{CustomerRef, FetchError, Fetched, Incoming, UsageSource, clip};
use crate::config::usage_sources::{HttpSourceConfig, Pagination};

pub struct HttpSource {
    config: HttpSourceConfig,
    client: reqwest::Client,
}

/// One failed request: what to tell, and whether trying again may help.
struct PageError {
    message: String,
    retryable: bool,
}

impl HttpSource {
    pub fn new(config: HttpSourceConfig) -> Result<HttpSource, String> {
        config.validate()?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms))
            .connect_timeout(Duration::from_millis(config.timeout_ms))
            .redirect(reqwest::redirect::Policy::custom(same_origin_only))
            .build()
            .map_err(|e| format!("usage source {}: {e}", config.name))?;
        Ok(HttpSource { config, client })
    }

    pub fn config(&self) -> &HttpSourceConfig {
        &self.config
    }

    fn url(&self) -> String {
        format!(
            "{}/{}",
            self.config.base_url.trim_end_matches('/'),
            self.config.path.trim_start_matches('/')
        )
    }

    async fn fetch(&self, day: NaiveDate) -> Result<Fetched, FetchError> {
        let mut fetched = Fetched::default();
        let day_text = day.format(&self.config.day_format).to_string();
        let mut page_number = match &self.config.pagination {
            Pagination::Page { first_page, .. } => *first_page,
            _ => 0,
        };
        let mut cursor: Option<String> = None;
        let mut seen_cursors = HashSet::new();
        loop {
            if fetched.pages >= self.config.max_pages {
                return Err(self.failure(
                    &fetched,
                    format!(
                        "分页超过 {} 页上限，已停止（供应商可能在重复返回同一页）",
                        self.config.max_pages
                    ),
                ));
            }
            let mut query: Vec<(String, String)> = vec![(self.config.day_param.clone(), day_text.clone())];
            match &self.config.pagination {
                Pagination::None => {}
                Pagination::Page {
                    page_param,
                    size_param,
                    page_size,
                    ..
                } => {
                    query.push((page_param.clone(), page_number.to_string()));
                    query.push((size_param.clone(), page_size.to_string()));
                }
                Pagination::Cursor { cursor_param, .. } => {
                    if let Some(c) = &cursor {
                        query.push((cursor_param.clone(), c.clone()));
                    }
                }
            }
            let page = self.get_with_retries(&query, &mut fetched).await?;
            fetched.pages += 1;
            let items = match at_path(&page, &self.config.records_path) {
                Some(Value::Array(items)) => items,
                Some(Value::Null) | None if !self.config.records_path.is_empty() => {
                    return Err(self.failure(
                        &fetched,
                        format!(
                            "第 {} 页响应中找不到记录数组「{}」",
                            fetched.pages, self.config.records_path
                        ),
                    ));
                }
                _ => {
                    return Err(self.failure(&fetched, format!("第 {} 页响应的记录不是数组", fetched.pages)));
                }
            };
            let count = items.len();
            fetched.records.extend(items.iter().map(|item| self.incoming(item)));
            match &self.config.pagination {
                Pagination::None => break,
                Pagination::Page { page_size, .. } => {
                    if count < *page_size as usize {
                        break;
                    }
                    page_number += 1;
                }
                Pagination::Cursor { next_cursor_path, .. } => {
                    let next = match at_path(&page, next_cursor_path) {
                        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                        Some(Value::Number(n)) => Some(n.to_string()),
                        _ => None,
                    };
                    let Some(next) = next else { break };
                    if !seen_cursors.insert(next.clone()) {
                        return Err(self.failure(
                            &fetched,
                            format!("供应商返回了重复的分页游标「{}」，已停止", clip(&next, 40)),
                        ));
                    }
                    cursor = Some(next);
                }
            }
        }
        Ok(fetched)
    }

    fn failure(&self, fetched: &Fetched, message: String) -> FetchError {
        FetchError {
            message,
            pages: fetched.pages,
            attempts: fetched.attempts,
        }
    }

    async fn get_with_retries(&self, query: &[(String, String)], fetched: &mut Fetched) -> Result<Value, FetchError> {
        let mut tries = 0;
        loop {
            tries += 1;
            fetched.attempts += 1;
            match self.get_once(query).await {
                Ok(page) => return Ok(page),
                Err(e) if e.retryable && tries <= self.config.retries => {
                    let wait = self.config.backoff_ms.saturating_mul(1 << (tries - 1).min(16));
                    tracing::warn!(source = %self.config.name, attempt = tries, error = %e.message, "usage page failed, retrying");
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                }
                Err(e) => {
                    let message = if tries > 1 {
                        format!("第 {} 页：{}（已重试 {} 次）", fetched.pages + 1, e.message, tries - 1)
                    } else {
                        format!("第 {} 页：{}", fetched.pages + 1, e.message)
                    };
                    return Err(self.failure(fetched, message));
                }
            }
        }
    }

    async fn get_once(&self, query: &[(String, String)]) -> Result<Value, PageError> {
        let mut request = self.client.get(self.url()).query(query);
        if let (Some(header), Some(token)) = (&self.config.auth_header, &self.config.auth_token) {
            request = request.header(header.as_str(), token.expose());
        }
        let mut response = request.send().await.map_err(|e| {
            if e.is_redirect() {
                return PageError {
                    message: refused_redirect(&e),
                    retryable: false,
                };
            }
            PageError {
                message: if e.is_timeout() {
                    format!("供应商接口超时（{} 毫秒）", self.config.timeout_ms)
                } else {
                    "无法连接供应商接口".to_string()
                },
                retryable: true,
            }
        })?;
        let status = response.status();
        if status.is_server_error() {
            return Err(PageError {
                message: format!("供应商接口返回 HTTP {}", status.as_u16()),
                retryable: true,
            });
        }
        if !status.is_success() {
            return Err(PageError {
                message: format!("供应商接口拒绝请求：HTTP {}（请检查地址与凭证）", status.as_u16()),
                retryable: false,
            });
        }
        let limit = self.config.max_response_bytes;
        let too_large = || PageError {
            message: format!("响应超过 {} 字节上限", limit),
            retryable: false,
        };
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
                Ok(None) => break,
                Err(e) => {
                    return Err(PageError {
                        message: if e.is_timeout() {
                            format!("读取响应超时（{} 毫秒）", self.config.timeout_ms)
                        } else {
                            "读取响应中断".to_string()
                        },
                        retryable: true,
                    });
                }
            }
        }
        serde_json::from_slice(&body).map_err(|_| PageError {
            message: describe_garbage(&body),
            retryable: false,
        })
    }

    fn incoming(&self, item: &Value) -> Incoming {
        let fields = &self.config.fields;
        let get = |path: &str| at_path(item, path).map(raw_value).unwrap_or(RawValue::Missing);
        let account = match get(&fields.account_id) {
            RawValue::Text(t) | RawValue::Number(t) if !t.trim().is_empty() => {
                CustomerRef::Account(clip(t.trim(), 160))
            }
            _ => CustomerRef::None,
        };
        let source_id = fields
            .source_id
            .as_deref()
            .and_then(|path| get(path).display())
            .map(|id| clip(id.trim(), 160))
            .filter(|id| !id.is_empty());
        Incoming {
            customer: account,
            raw: RawUsage {
                series: get(&fields.series),
                day: get(&fields.day),
                quantity: get(&fields.quantity),
            },
            source_id,
            original: item.clone(),
            limit_confirmed: false,
            quarantine_key: None,
        }
    }
}

impl UsageSource for HttpSource {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn fetch_usage(&self, day: NaiveDate) -> BoxFuture<'_, Result<Fetched, FetchError>> {
        Box::pin(self.fetch(day))
    }
}

/// Most redirects followed for one request.
const MAX_REDIRECTS: usize = 3;

/// Redirects are followed only within the vendor's origin (scheme, host and
/// port): the request carries the vendor credential, and reqwest strips only
/// the standard `Authorization` header on a cross-host hop, not a custom one
/// such as `X-Api-Key` from `auth_header`.
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

/// What to record about a redirect the policy refused.
fn refused_redirect(error: &reqwest::Error) -> String {
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        if let Some(refused) = inner.downcast_ref::<RefusedRedirect>() {
            return match refused {
                RefusedRedirect::CrossOrigin(to) => {
                    format!("供应商接口重定向到其他站点（{to}），为保护凭证未跟随；请把 base_url 改为实际地址")
                }
                RefusedRedirect::TooMany => format!("供应商接口重定向超过 {MAX_REDIRECTS} 次，已停止"),
            };
        }
        cause = inner.source();
    }
    "供应商接口的重定向无法跟随".into()
}

/// The value at a dotted path (`data.items`); the value itself for "".
fn at_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(value);
    }
    path.split('.').try_fold(value, |v, key| match v {
        Value::Object(map) => map.get(key),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// A vendor's JSON value as a raw usage value. Numbers keep their decimal
/// text: serde_json prints the shortest text that reads back as the same
/// double, which is the text the vendor sent for any quantity of at most
/// 15 significant digits (4 decimals below 10^11).
fn raw_value(value: &Value) -> RawValue {
    match value {
        Value::Null => RawValue::Missing,
        Value::String(s) => RawValue::text(s.clone()),
        Value::Number(n) => RawValue::Number(n.to_string()),
        Value::Bool(b) => RawValue::Text(b.to_string()),
        other => RawValue::Text(clip(&other.to_string(), 60)),
    }
}

/// What a person should read about a page that is not JSON.
fn describe_garbage(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    let start = text.trim_start();
    if start.is_empty() {
        return "供应商接口返回了空响应".into();
    }
    if start.starts_with('<') {
        return "供应商接口返回了 HTML 页面而不是 JSON（可能是错误页或登录页）".into();
    }
    let snippet: String = start.chars().filter(|c| !c.is_control()).take(60).collect();
    format!("供应商接口返回的不是有效的 JSON：「{snippet}」")
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
    fn numbers_keep_the_digits_the_vendor_sent() {
        let v: Value = serde_json::from_str(r#"[1234.5678, 0.1, 12, 99999999999.9999]"#).unwrap();
        let texts: Vec<RawValue> = v.as_array().unwrap().iter().map(raw_value).collect();
        assert_eq!(
            texts,
            ["1234.5678", "0.1", "12", "99999999999.9999"].map(|t| RawValue::Number(t.into()))
        );
    }

    #[test]
    fn garbage_is_described_not_echoed_whole() {
        assert!(describe_garbage(b"<!DOCTYPE html><html>").contains("HTML"));
        assert!(describe_garbage(b"").contains("空响应"));
        assert!(describe_garbage(b"{\"data\": [1, 2").contains("不是有效的 JSON"));
    }

    #[test]
    fn a_configuration_names_what_is_wrong() {
        let config: HttpSourceConfig = serde_json::from_value(json!({
            "name": "bad name", "base_url": "http://x",
            "fields": {"account_id": "a", "series": "s", "day": "d", "quantity": "q"}
        }))
        .unwrap();
        assert!(config.validate().unwrap_err().contains("bad name"));
        let config = HttpSourceConfig {
            name: "v".into(),
            base_url: "ftp://x".into(),
            ..config
        };
        assert!(config.validate().unwrap_err().contains("http"));
    }
}
