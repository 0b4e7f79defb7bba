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
use crate::outbound::{CallError, at_path, describe_garbage, read_body, send_error};

pub struct HttpSource {
    config: HttpSourceConfig,
    client: reqwest::Client,
}

/// How the messages name the vendor.
const VENDOR: &str = "供应商接口";

impl HttpSource {
    pub fn new(config: HttpSourceConfig) -> Result<HttpSource, String> {
        config.validate()?;
        let client =
            crate::outbound::client(config.timeout_ms).map_err(|e| format!("usage source {}: {e}", config.name))?;
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

    async fn get_once(&self, query: &[(String, String)]) -> Result<Value, CallError> {
        let mut request = self.client.get(self.url()).query(query);
        if let (Some(header), Some(token)) = (&self.config.auth_header, &self.config.auth_token) {
            request = request.header(header.as_str(), token.expose());
        }
        let response = request
            .send()
            .await
            .map_err(|e| send_error(VENDOR, self.config.timeout_ms, &e))?;
        let status = response.status();
        if status.is_server_error() {
            return Err(CallError::retry(format!("{VENDOR}返回 HTTP {}", status.as_u16())));
        }
        if !status.is_success() {
            return Err(CallError::fatal(format!(
                "{VENDOR}拒绝请求：HTTP {}（请检查地址与凭证）",
                status.as_u16()
            )));
        }
        let body = read_body(response, self.config.max_response_bytes, self.config.timeout_ms).await?;
        serde_json::from_slice(&body).map_err(|_| CallError::fatal(describe_garbage(VENDOR, &body)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
