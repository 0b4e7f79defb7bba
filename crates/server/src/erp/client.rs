//! Pushing one document to the ERP over HTTP: `POST <base_url><path>` with
//! the mapped JSON body, the credential header and `Idempotency-Key`. What
//! the answer means:
//! - 2xx with a JSON body: the ERP took it (its id read at
//!   `response_id_path`, when there);
//! - 409: the ERP already has a document with this key: taken before (a
//!   retry after a lost answer), so it counts as sent, not a second one;
//! - 401/403: the credential is wrong: failed until a person fixes the
//!   configuration and re-sends;
//! - other 4xx: the ERP refuses this document: failed, its message kept;
//! - 5xx, a timeout, no connection, or a 2xx that is not JSON (garbage):
//!   tried again later with the same key, which is safe.

use opcms_domain::erp::{DocKind, map_fields};
use serde_json::Value;

use crate::config::ErpConfig;
use crate::config::erp::ErpCustomerPull;
use crate::outbound::{CallError, at_path, describe_garbage, read_body, send_error};

/// How the messages name the ERP.
const ERP: &str = "ERP 接口";

/// What a successful push brought back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// The ERP's own id of the document, when it said.
    pub erp_ref: Option<String>,
    /// The ERP had it already (409): an earlier try got through.
    pub duplicate: bool,
}

pub struct ErpClient {
    config: ErpConfig,
    client: reqwest::Client,
}

impl ErpClient {
    pub fn new(config: ErpConfig) -> anyhow::Result<ErpClient> {
        config.validate().map_err(anyhow::Error::msg)?;
        let client = crate::outbound::client(config.timeout_ms)?;
        Ok(ErpClient { config, client })
    }

    pub fn config(&self) -> &ErpConfig {
        &self.config
    }

    fn url(&self, kind: DocKind) -> String {
        format!(
            "{}{}",
            self.config.base_url.trim_end_matches('/'),
            self.config.path_of(kind)
        )
    }

    /// One try at pushing `payload` (our JSON) as a `kind` document.
    pub async fn push(&self, kind: DocKind, key: &str, payload: &Value) -> Result<Pushed, CallError> {
        let body = map_fields(payload, self.config.mapping_of(kind));
        let mut request = self
            .client
            .post(self.url(kind))
            .header("Idempotency-Key", key)
            .json(&body);
        if let (Some(header), Some(token)) = (&self.config.auth_header, &self.config.auth_token) {
            request = request.header(header.as_str(), token.expose());
        }
        let response = request
            .send()
            .await
            .map_err(|e| send_error(ERP, self.config.timeout_ms, &e))?;
        let status = response.status().as_u16();
        let body = read_body(response, self.config.max_response_bytes, self.config.timeout_ms).await;
        let reason = |body: &Result<Vec<u8>, CallError>| match body {
            Ok(bytes) => reason_of(bytes),
            Err(_) => String::new(),
        };
        match status {
            200..=299 => {
                let bytes = body?;
                let answer: Value =
                    serde_json::from_slice(&bytes).map_err(|_| CallError::retry(describe_garbage(ERP, &bytes)))?;
                Ok(Pushed {
                    erp_ref: self.erp_ref(&answer),
                    duplicate: false,
                })
            }
            409 => Ok(Pushed {
                erp_ref: body
                    .ok()
                    .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                    .and_then(|answer| self.erp_ref(&answer)),
                duplicate: true,
            }),
            401 | 403 => Err(CallError::fatal(format!(
                "ERP 拒绝了凭证：HTTP {status}（请检查 OPCMS_ERP 的 auth_header 与 auth_token，修正后重新发送）"
            ))),
            404 => Err(CallError::fatal(format!(
                "ERP 接口地址不存在：HTTP 404（请检查 OPCMS_ERP 的 base_url 与 paths.{}）",
                match kind {
                    DocKind::Bill => "bills",
                    DocKind::CreditNote => "credit_notes",
                    DocKind::Receipt => "receipts",
                }
            ))),
            429 | 500..=599 => Err(CallError::retry(format!("{ERP}返回 HTTP {status}{}", reason(&body)))),
            _ => Err(CallError::fatal(format!(
                "ERP 拒收此单据：HTTP {status}{}",
                reason(&body)
            ))),
        }
    }

    /// One page of the ERP's customer change feed after `cursor`: the
    /// records and the cursor of the next page (None: there is none).
    pub async fn customers_page(
        &self,
        pull: &ErpCustomerPull,
        cursor: Option<&str>,
    ) -> Result<(Vec<Value>, Option<String>), CallError> {
        let url = format!("{}{}", self.config.base_url.trim_end_matches('/'), pull.path);
        let mut request = self.client.get(url).query(&[("limit", pull.page_size.to_string())]);
        if let Some(cursor) = cursor {
            request = request.query(&[("since", cursor)]);
        }
        if let (Some(header), Some(token)) = (&self.config.auth_header, &self.config.auth_token) {
            request = request.header(header.as_str(), token.expose());
        }
        let response = request
            .send()
            .await
            .map_err(|e| send_error(ERP, self.config.timeout_ms, &e))?;
        let status = response.status().as_u16();
        let body = read_body(response, self.config.max_response_bytes, self.config.timeout_ms).await;
        match status {
            200..=299 => {
                let bytes = body?;
                let answer: Value =
                    serde_json::from_slice(&bytes).map_err(|_| CallError::retry(describe_garbage(ERP, &bytes)))?;
                let Some(Value::Array(items)) = at_path(&answer, &pull.items_path) else {
                    return Err(CallError::retry(format!(
                        "{ERP}的客户资料应答中没有「{}」列表（请检查 customers.items_path）",
                        pull.items_path
                    )));
                };
                let next = match at_path(&answer, &pull.cursor_path) {
                    Some(Value::String(s)) if !s.is_empty() => Some(s.chars().take(512).collect()),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                };
                Ok((items.clone(), next))
            }
            401 | 403 => Err(CallError::fatal(format!(
                "ERP 拒绝了凭证：HTTP {status}（请检查 OPCMS_ERP 的 auth_header 与 auth_token）"
            ))),
            404 => Err(CallError::fatal(
                "ERP 客户资料接口地址不存在：HTTP 404（请检查 OPCMS_ERP 的 base_url 与 customers.path）",
            )),
            _ => Err(CallError::retry(format!(
                "{ERP}返回 HTTP {status}{}",
                body.map(|b| reason_of(&b)).unwrap_or_default()
            ))),
        }
    }

    fn erp_ref(&self, answer: &Value) -> Option<String> {
        let value = at_path(answer, &self.config.response_id_path)?;
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        Some(text.chars().take(160).collect())
    }
}

/// `：<the ERP's message>` from an error answer, short and one line; empty
/// when it said nothing readable.
fn reason_of(body: &[u8]) -> String {
    let message = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            ["message", "error", "detail"]
                .iter()
                .find_map(|k| v.get(*k).and_then(Value::as_str).map(str::to_string))
        })
        .unwrap_or_default();
    let message: String = message.chars().filter(|c| !c.is_control()).take(120).collect();
    if message.trim().is_empty() {
        String::new()
    } else {
        format!("：{}", message.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_answer_gives_its_message_briefly() {
        assert_eq!(reason_of(br#"{"message": "customer unknown"}"#), "：customer unknown");
        assert_eq!(reason_of(b"<html>"), "");
        assert_eq!(
            reason_of(format!(r#"{{"error": "{}"}}"#, "x".repeat(500)).as_bytes())
                .chars()
                .count(),
            121
        );
    }
}
