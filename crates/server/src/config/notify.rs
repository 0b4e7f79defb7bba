//! `[smtp]` and `[sms]`: how notifications leave (DESIGN.md §17). Both are
//! infrastructure (a password, a token), so they stay in `opcms.toml` /
//! the environment; which events and channels are used are settings in the
//! database. A channel that is not configured sends nothing and queues
//! nothing.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::secret::Secret;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain SMTP (a relay on the same host or network).
    None,
    /// Plain first, then upgraded; refused when the server cannot.
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

impl SmtpTls {
    pub fn parse(text: &str) -> Option<SmtpTls> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" => Some(SmtpTls::None),
            "starttls" => Some(SmtpTls::Starttls),
            "tls" => Some(SmtpTls::Tls),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    #[serde(default)]
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// `OP_CMS <billing@example.com>` or a bare address.
    pub from: String,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Extra trusted root certificates (PEM) for a relay whose certificate
    /// comes from a private CA; the public roots stay trusted.
    pub ca_file: Option<std::path::PathBuf>,
}

fn default_smtp_port() -> u16 {
    587
}
fn default_timeout_ms() -> u64 {
    10_000
}
fn default_method() -> String {
    "POST".into()
}

/// The SMS provider's HTTP API: a request per message, its JSON body built
/// from `body_template` with `{{phone}}` and `{{text}}` put into its strings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsConfig {
    pub url: String,
    #[serde(default = "default_method")]
    pub method: String,
    /// Sent with every request, e.g. an API key. Values are secrets.
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
    pub body_template: serde_json::Value,
    /// The statuses that mean "accepted" (default: any 2xx).
    #[serde(default)]
    pub success_status: Vec<u16>,
    /// A dotted path in the JSON answer that must be present and, with
    /// `success_value`, equal it (as text); e.g. `code` = `0`.
    pub success_json_path: Option<String>,
    pub success_value: Option<String>,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

/// How this instance sends what the outbox holds.
#[derive(Debug, Clone)]
pub struct NotifySettings {
    pub smtp: Option<SmtpConfig>,
    pub sms: Option<SmsConfig>,
    /// `OPCMS_NOTIFY_ENABLED=false` keeps this instance from sending (it
    /// still queues); another instance sends.
    pub sender_enabled: bool,
    /// How often the sender looks for due notifications when nothing woke
    /// it (`OPCMS_NOTIFY_TICK_MS`).
    pub tick: std::time::Duration,
    /// Messages in flight at once (`OPCMS_NOTIFY_CONCURRENCY`).
    pub concurrency: usize,
}

impl SmtpConfig {
    /// `[smtp]` from the file, each field overridden by `OPCMS_SMTP_*`.
    pub fn load(file: Option<SmtpConfig>, env: &impl Fn(&str) -> Option<String>) -> Result<Option<SmtpConfig>, String> {
        let host = env("OPCMS_SMTP_HOST").or(file.as_ref().map(|f| f.host.clone()));
        let Some(host) = host.filter(|h| !h.trim().is_empty()) else {
            return Ok(None);
        };
        let port = match env("OPCMS_SMTP_PORT") {
            Some(text) => text
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("OPCMS_SMTP_PORT: \"{text}\" is not a port"))?,
            None => file.as_ref().map_or(default_smtp_port(), |f| f.port),
        };
        let tls = match env("OPCMS_SMTP_TLS") {
            Some(text) => SmtpTls::parse(&text)
                .ok_or_else(|| format!("OPCMS_SMTP_TLS: \"{text}\" is not none, starttls or tls"))?,
            None => file.as_ref().map_or_else(SmtpTls::default, |f| f.tls),
        };
        let timeout_ms = match env("OPCMS_SMTP_TIMEOUT_MS") {
            Some(text) => text
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|t| *t > 0)
                .ok_or_else(|| format!("OPCMS_SMTP_TIMEOUT_MS: \"{text}\" is not a positive number"))?,
            None => file.as_ref().map_or(default_timeout_ms(), |f| f.timeout_ms),
        };
        let from = env("OPCMS_SMTP_FROM")
            .or(file.as_ref().map(|f| f.from.clone()))
            .ok_or("OPCMS_SMTP_FROM: the sender address is required with an SMTP host")?;
        let config = SmtpConfig {
            host: host.trim().to_string(),
            port,
            tls,
            username: env("OPCMS_SMTP_USERNAME").or(file.as_ref().and_then(|f| f.username.clone())),
            password: env("OPCMS_SMTP_PASSWORD")
                .map(Secret::new)
                .or(file.as_ref().and_then(|f| f.password.clone())),
            from,
            timeout_ms,
            ca_file: env("OPCMS_SMTP_CA_FILE")
                .map(std::path::PathBuf::from)
                .or(file.as_ref().and_then(|f| f.ca_file.clone())),
        };
        if let Some(path) = &config.ca_file {
            let pem = std::fs::read_to_string(path)
                .map_err(|e| format!("OPCMS_SMTP_CA_FILE: cannot read {}: {e}", path.display()))?;
            if !pem.contains("-----BEGIN CERTIFICATE-----") {
                return Err(format!(
                    "OPCMS_SMTP_CA_FILE: {} holds no PEM certificate",
                    path.display()
                ));
            }
            if config.tls == SmtpTls::None {
                return Err("OPCMS_SMTP_CA_FILE is for starttls or tls, not for tls = none".into());
            }
        }
        if config.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(format!(
                "OPCMS_SMTP_FROM: \"{}\" is not an address like 账单中心 <billing@example.com>",
                config.from
            ));
        }
        if config.username.is_some() != config.password.is_some() {
            return Err("OPCMS_SMTP_USERNAME and OPCMS_SMTP_PASSWORD go together".into());
        }
        Ok(Some(config))
    }
}

impl SmsConfig {
    /// What makes the configuration unusable, named for the operator.
    pub fn validate(&self) -> Result<(), String> {
        let url = reqwest::Url::parse(&self.url).map_err(|e| format!("sms.url \"{}\": {e}", self.url))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("sms.url must be http(s)".into());
        }
        if !matches!(self.method.to_ascii_uppercase().as_str(), "POST" | "PUT") {
            return Err(format!("sms.method \"{}\" must be POST or PUT", self.method));
        }
        let text = self.body_template.to_string();
        if !text.contains("{{phone}}") || !text.contains("{{text}}") {
            return Err("sms.body_template must carry {{phone}} and {{text}} in its strings".into());
        }
        if self.success_status.iter().any(|s| !(100..=599).contains(s)) {
            return Err("sms.success_status holds HTTP statuses (100–599)".into());
        }
        if self.success_value.is_some() && self.success_json_path.is_none() {
            return Err("sms.success_value needs sms.success_json_path".into());
        }
        if self.timeout_ms == 0 {
            return Err("sms.timeout_ms must be > 0".into());
        }
        for name in self.headers.keys() {
            reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("sms.headers: \"{name}\" is not a header name"))?;
        }
        Ok(())
    }

    /// `[sms]` from the file, or `OPCMS_SMS` (the same table as JSON).
    pub fn load(file: Option<SmsConfig>, env: &impl Fn(&str) -> Option<String>) -> Result<Option<SmsConfig>, String> {
        let config = match env("OPCMS_SMS") {
            Some(json) if !json.trim().is_empty() => Some(
                serde_json::from_str::<SmsConfig>(&json)
                    .map_err(|e| format!("OPCMS_SMS: not a JSON SMS provider table: {e}"))?,
            ),
            _ => file,
        };
        if let Some(config) = &config {
            config.validate()?;
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn smtp_comes_from_the_environment_over_the_file() {
        assert_eq!(SmtpConfig::load(None, &env_of(&[])).unwrap(), None);
        let config = SmtpConfig::load(
            None,
            &env_of(&[
                ("OPCMS_SMTP_HOST", "127.0.0.1"),
                ("OPCMS_SMTP_PORT", "2525"),
                ("OPCMS_SMTP_TLS", "none"),
                ("OPCMS_SMTP_FROM", "账单中心 <billing@example.com>"),
            ]),
        )
        .unwrap()
        .unwrap();
        assert_eq!((config.port, config.tls), (2525, SmtpTls::None));
        let err = SmtpConfig::load(None, &env_of(&[("OPCMS_SMTP_HOST", "h"), ("OPCMS_SMTP_TLS", "ssl")])).unwrap_err();
        assert!(err.contains("OPCMS_SMTP_TLS"), "{err}");
        let err = SmtpConfig::load(None, &env_of(&[("OPCMS_SMTP_HOST", "h")])).unwrap_err();
        assert!(err.contains("OPCMS_SMTP_FROM"), "{err}");
        let err = SmtpConfig::load(
            None,
            &env_of(&[("OPCMS_SMTP_HOST", "h"), ("OPCMS_SMTP_FROM", "not an address")]),
        )
        .unwrap_err();
        assert!(err.contains("OPCMS_SMTP_FROM"), "{err}");
        let err = SmtpConfig::load(
            None,
            &env_of(&[
                ("OPCMS_SMTP_HOST", "h"),
                ("OPCMS_SMTP_FROM", "a@b.example.com"),
                ("OPCMS_SMTP_CA_FILE", "/nonexistent/ca.pem"),
            ]),
        )
        .unwrap_err();
        assert!(err.starts_with("OPCMS_SMTP_CA_FILE: cannot read"), "{err}");
    }

    #[test]
    fn sms_needs_both_placeholders() {
        let err = SmsConfig::load(
            None,
            &env_of(&[(
                "OPCMS_SMS",
                r#"{"url": "http://127.0.0.1:1/send", "body_template": {"to": "{{phone}}"}}"#,
            )]),
        )
        .unwrap_err();
        assert!(err.contains("{{text}}"), "{err}");
        let ok = SmsConfig::load(
            None,
            &env_of(&[(
                "OPCMS_SMS",
                r#"{"url": "http://127.0.0.1:1/send", "body_template": {"to": "{{phone}}", "msg": "{{text}}"}, "success_json_path": "code", "success_value": "0"}"#,
            )]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(ok.method, "POST");
    }
}
