//! The two ways out: SMTP (lettre) and the SMS provider's HTTP API
//! (reqwest). Each answers whether a failure is worth retrying: a refused
//! recipient or a provider that says "no" will say it again; a connection
//! that failed, timed out or got a 4xx/5xx from a busy server may not.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::Value;

use crate::config::{SmsConfig, SmtpConfig, SmtpTls};

/// Why a message did not go out.
#[derive(Debug)]
pub enum Failure {
    /// Worth another try later.
    Transient(String),
    /// Will fail the same way again.
    Permanent(String),
}

impl Failure {
    pub fn message(&self) -> &str {
        match self {
            Failure::Transient(m) | Failure::Permanent(m) => m,
        }
    }
}

pub struct Email<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    /// Derived from the outbox key: the same notification always carries
    /// the same Message-ID, so a receiving system can tell a repeat.
    pub message_id: String,
    pub attachment: Option<(String, Vec<u8>)>,
}

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(config: &SmtpConfig) -> anyhow::Result<Mailer> {
        // The certificate must name `host`; the public roots are trusted, and
        // a private CA's when `ca_file` is set.
        let tls_parameters = || -> anyhow::Result<TlsParameters> {
            let mut parameters = TlsParameters::builder(config.host.clone());
            if let Some(path) = &config.ca_file {
                parameters = parameters.add_root_certificate(Certificate::from_pem(&std::fs::read(path)?)?);
            }
            Ok(parameters.build_rustls()?)
        };
        let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host);
        let builder = match config.tls {
            SmtpTls::None => builder,
            SmtpTls::Starttls => builder.tls(Tls::Required(tls_parameters()?)),
            SmtpTls::Tls => builder.tls(Tls::Wrapper(tls_parameters()?)),
        };
        let mut builder = builder
            .port(config.port)
            .timeout(Some(Duration::from_millis(config.timeout_ms)));
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_string()));
        }
        Ok(Mailer {
            transport: builder.build(),
            from: config.from.parse()?,
        })
    }

    pub async fn send(&self, email: Email<'_>) -> Result<(), Failure> {
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|_| Failure::Permanent("收件邮箱地址无效".into()))?;
        let text = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(email.body.to_string());
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject)
            .message_id(Some(email.message_id));
        let message = match email.attachment {
            Some((name, bytes)) => builder.multipart(MultiPart::mixed().singlepart(text).singlepart(
                Attachment::new(name).body(
                    bytes,
                    ContentType::parse("application/pdf").map_err(|e| Failure::Permanent(e.to_string()))?,
                ),
            )),
            None => builder.singlepart(text),
        }
        .map_err(|e| Failure::Permanent(format!("邮件无法生成：{e}")))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(Failure::Permanent(format!("邮件服务器拒绝：{e}"))),
            Err(e) if e.is_timeout() => Err(Failure::Transient("邮件服务器响应超时".into())),
            Err(e) => Err(Failure::Transient(format!("邮件发送失败：{e}"))),
        }
    }
}

pub struct SmsSender {
    client: reqwest::Client,
    config: SmsConfig,
}

/// Puts the phone and the text into every string of the body template.
fn fill(template: &Value, phone: &str, text: &str) -> Value {
    match template {
        Value::String(s) => Value::String(s.replace("{{phone}}", phone).replace("{{text}}", text)),
        Value::Array(items) => Value::Array(items.iter().map(|v| fill(v, phone, text)).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), fill(v, phone, text))).collect()),
        other => other.clone(),
    }
}

fn at_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .filter(|p| !p.is_empty())
        .try_fold(value, |v, part| match v {
            Value::Object(map) => map.get(part),
            Value::Array(items) => part.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        })
}

/// Longest answer read from the provider.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

impl SmsSender {
    pub fn new(config: &SmsConfig) -> anyhow::Result<SmsSender> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(SmsSender {
            client,
            config: config.clone(),
        })
    }

    pub async fn send(&self, phone: &str, text: &str) -> Result<(), Failure> {
        let method = reqwest::Method::from_bytes(self.config.method.to_ascii_uppercase().as_bytes())
            .unwrap_or(reqwest::Method::POST);
        let mut request =
            self.client
                .request(method, &self.config.url)
                .json(&fill(&self.config.body_template, phone, text));
        for (name, value) in &self.config.headers {
            request = request.header(name.as_str(), value.expose());
        }
        let response = request.send().await.map_err(|e| {
            if e.is_timeout() {
                Failure::Transient("短信服务响应超时".into())
            } else {
                Failure::Transient(format!("无法连接短信服务：{}", e.without_url()))
            }
        })?;
        let status = response.status().as_u16();
        let accepted = if self.config.success_status.is_empty() {
            (200..300).contains(&status)
        } else {
            self.config.success_status.contains(&status)
        };
        let bytes = response
            .bytes()
            .await
            .map_err(|e| Failure::Transient(format!("短信服务的应答读取失败：{}", e.without_url())))?;
        if !accepted {
            let failure = format!("短信服务返回 HTTP {status}");
            // A 4xx other than throttling is the request's fault: it will fail again.
            return Err(if (400..500).contains(&status) && status != 408 && status != 429 {
                Failure::Permanent(failure)
            } else {
                Failure::Transient(failure)
            });
        }
        let Some(path) = &self.config.success_json_path else {
            return Ok(());
        };
        let answer: Value = serde_json::from_slice(&bytes[..bytes.len().min(MAX_ANSWER_BYTES)])
            .map_err(|_| Failure::Transient("短信服务返回的不是 JSON".into()))?;
        let found = at_path(&answer, path);
        let ok = match (&self.config.success_value, found) {
            (_, None) => false,
            (None, Some(v)) => !matches!(v, Value::Null | Value::Bool(false)),
            (Some(expected), Some(Value::String(s))) => s == expected,
            (Some(expected), Some(v)) => serde_json::from_str::<Value>(expected).ok().as_ref() == Some(v),
        };
        if ok {
            Ok(())
        } else {
            let shown = found.map_or_else(|| "（无）".to_string(), |v| v.to_string());
            Err(Failure::Permanent(format!(
                "短信服务未接受：{path} = {}",
                shown.chars().take(200).collect::<String>()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_body_template_gets_phone_and_text_in_its_strings() {
        let body = fill(
            &json!({"to": "{{phone}}", "msg": {"content": "{{text}}", "sign": "OP"}, "n": 1}),
            "13812345678",
            "您好\"x\"",
        );
        assert_eq!(
            body,
            json!({"to": "13812345678", "msg": {"content": "您好\"x\"", "sign": "OP"}, "n": 1})
        );
        assert_eq!(at_path(&json!({"a": {"b": [0, {"c": 7}]}}), "a.b.1.c"), Some(&json!(7)));
    }
}
