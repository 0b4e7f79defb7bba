//! Layered configuration (DESIGN.md §14): built-in defaults, then
//! `opcms.toml` when present, then `OPCMS_*` environment variables, which win.

pub mod erp;
pub mod notify;
pub mod secret;
pub mod storage;
pub mod usage_sources;

pub use erp::ErpConfig;
pub use secret::Secret;
pub use storage::{S3Settings, StorageConfig};
pub use usage_sources::HttpSourceConfig;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use opcms_domain::Fixed4;
use opcms_domain::usage::{SanityLimits, parse_quantity};
use serde::Deserialize;

pub use self::notify::{NotifySettings, SmsConfig, SmtpConfig, SmtpTls};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: Secret,
    pub redis_url: Option<Secret>,
    pub master_key: Option<Secret>,
    /// Keys used before the current one (`OPCMS_PREVIOUS_KEYS`): they still
    /// decrypt, never encrypt; `opcms rotate-key` moves values off them.
    pub previous_keys: Vec<Secret>,
    pub admin_password: Option<Secret>,
    pub log: String,
    pub log_format: LogFormat,
    /// Largest JSON request body accepted (bytes).
    pub json_body_limit: usize,
    /// Largest uploaded file accepted (bytes); DESIGN.md §4 default 20 MiB.
    pub upload_limit: usize,
    /// Most data rows one spreadsheet import may hold (DESIGN.md §4).
    pub import_max_rows: usize,
    /// Most columns a sheet may use; a wider sheet is refused before parsing.
    pub import_max_columns: usize,
    /// Bound on the decompressed size of an `.xlsx` (zip-bomb guard), bytes.
    pub import_max_unpacked_bytes: u64,
    /// Failed logins per (account, client IP) within the window before 429.
    pub login_max_failures_per_account_and_ip: u32,
    /// Failed logins per account from all addresses together before 429.
    pub login_max_failures_per_account: u32,
    /// Failed logins per client IP within the window before 429.
    pub login_max_failures_per_ip: u32,
    pub login_failure_window_secs: i64,
    /// Take the client IP from the right-most `X-Forwarded-For` entry (set
    /// only behind a load balancer that appends it).
    pub trust_forwarded_for: bool,
    /// Configured HTTP usage sources (DESIGN.md §6; docs/api/usage.md).
    pub usage_sources: Vec<HttpSourceConfig>,
    /// Per-series quantity above which a daily record is quarantined.
    pub usage_limits: SanityLimits,
    /// Usage of a closed customer (账号状态 已关闭) found by a collection or
    /// an import is discarded at once (counted as discarded) instead of
    /// waiting in quarantine. Off by default.
    pub usage_discard_closed: bool,
    /// Billing settings (`[billing]` in opcms.toml).
    pub billing: BillingSettings,
    /// TLS, rate limits, request timeout, `/metrics` access.
    pub http: HttpSettings,
    /// `OPCMS_TEST_CLOCK=true`: management may set the business clock
    /// (`PUT /system/clock`), for trying a month without waiting. Never in
    /// production; the web app shows a red banner while it is on.
    pub test_clock: bool,
    /// The scheduler of DESIGN.md §16 (`[jobs]`-like flat keys below).
    pub jobs: JobSettings,
    /// `[smtp]`, `[sms]` and the outbox sender (DESIGN.md §17).
    pub notify: NotifySettings,
    /// `[erp]` / `OPCMS_ERP`: the ERP connector; None: not configured.
    pub erp: Option<ErpConfig>,
    /// `[storage]`: where backups and import originals are kept.
    pub storage: StorageConfig,
}

/// How this instance takes part in running the scheduled jobs.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// `OPCMS_JOBS_ENABLED=false` keeps this instance out of the scheduler
    /// (it still answers the jobs API and manual runs).
    pub enabled: bool,
    /// How often the scheduler looks for due work (`OPCMS_JOB_TICK_MS`).
    pub tick: std::time::Duration,
    /// How long a run's claim lasts without a heartbeat before another
    /// instance may take it over (`OPCMS_JOB_LEASE_SECS`).
    pub lease: std::time::Duration,
    /// This instance's name in `job_runs.holder` (`OPCMS_INSTANCE_ID`; by
    /// default the host name, the process id and a random suffix).
    pub instance_id: String,
}

/// A configuration problem; the CLI exits with code 2 and this message.
#[derive(Debug, thiserror::Error)]
#[error("配置错误 / configuration error: {0}")]
pub struct ConfigError(pub String);

/// What `opcms.toml` may set: every field optional, names as in the env vars
/// without the `OPCMS_` prefix, lowercase.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bind: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<Secret>,
    redis_url: Option<Secret>,
    master_key: Option<Secret>,
    previous_keys: Option<Vec<Secret>>,
    admin_password: Option<Secret>,
    log: Option<String>,
    log_format: Option<LogFormat>,
    json_body_limit: Option<usize>,
    upload_limit: Option<usize>,
    import_max_rows: Option<usize>,
    import_max_columns: Option<usize>,
    import_max_unpacked_bytes: Option<u64>,
    login_max_failures_per_account_and_ip: Option<u32>,
    login_max_failures_per_account: Option<u32>,
    login_max_failures_per_ip: Option<u32>,
    login_failure_window_secs: Option<i64>,
    trust_forwarded_for: Option<bool>,
    usage_sources: Option<Vec<HttpSourceConfig>>,
    usage_limit_x: Option<String>,
    usage_limit_n: Option<String>,
    usage_limit_l: Option<String>,
    usage_discard_closed: Option<bool>,
    billing: Option<BillingSettings>,
    // HTTP hardening (HttpSettings)
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    rate_limit_per_ip: Option<u32>,
    rate_limit_per_user: Option<u32>,
    request_timeout_secs: Option<u64>,
    metrics_bind: Option<String>,
    metrics_token: Option<Secret>,
    // The scheduler (JobSettings)
    jobs_enabled: Option<bool>,
    job_tick_ms: Option<u64>,
    job_lease_secs: Option<u64>,
    // Notifications (NotifySettings)
    smtp: Option<SmtpConfig>,
    sms: Option<SmsConfig>,
    notify_enabled: Option<bool>,
    notify_tick_ms: Option<u64>,
    notify_concurrency: Option<u64>,
    // The ERP connector
    erp: Option<ErpConfig>,
    storage: Option<storage::StorageFile>,
}

/// `[billing]` in opcms.toml: who is billed, and what a bill document
/// prints in its header and payment instructions.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillingSettings {
    /// Bill trial (试用) customers too (DESIGN.md §7; default no).
    #[serde(default)]
    pub bill_trial_customers: bool,
    #[serde(default)]
    pub company_name: Option<String>,
    #[serde(default)]
    pub company_address: Option<String>,
    #[serde(default)]
    pub company_phone: Option<String>,
    #[serde(default)]
    pub company_tax_id: Option<String>,
    #[serde(default)]
    pub bank_name: Option<String>,
    #[serde(default)]
    pub bank_account: Option<String>,
    #[serde(default)]
    pub payment_note: Option<String>,
}

/// `host-pid-abcd`: which process holds a job run, readable in the jobs page.
fn default_instance_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "opcms".into());
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}-{}-{}", std::process::id(), &suffix[..4])
}

impl Config {
    /// Reads `opcms.toml` from the working directory (if any) and the process
    /// environment.
    pub fn load() -> Result<Config, ConfigError> {
        let file = Path::new("opcms.toml");
        let file_text = if file.exists() {
            Some(std::fs::read_to_string(file).map_err(|e| ConfigError(format!("cannot read opcms.toml: {e}")))?)
        } else {
            None
        };
        Config::from_sources(file_text.as_deref(), |name| std::env::var(name).ok())
    }

    /// Builds a config from file text and an environment lookup; the seam that
    /// lets tests configure the app without touching the process environment.
    pub fn from_sources(file_text: Option<&str>, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let file: FileConfig = match file_text {
            Some(text) => toml::from_str(text).map_err(|e| ConfigError(format!("opcms.toml: {e}")))?,
            None => FileConfig::default(),
        };
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let http = HttpSettings::from_sources(&file, &env)?;

        let bind_text = env("OPCMS_BIND")
            .or(file.bind)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind = bind_text.parse().map_err(|_| {
            ConfigError(format!(
                "OPCMS_BIND: \"{bind_text}\" is not an address like 127.0.0.1:8080"
            ))
        })?;
        let data_dir = env("OPCMS_DATA_DIR")
            .map(PathBuf::from)
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./data"));
        let database_url = env("OPCMS_DATABASE_URL")
            .map(Secret::new)
            .or(file.database_url)
            .unwrap_or_else(|| Secret::new(format!("sqlite://{}/opcms.db?mode=rwc", data_dir.display())));
        let scheme = database_url.expose().split(':').next().unwrap_or_default();
        if !matches!(scheme, "sqlite" | "mysql" | "mariadb" | "postgres" | "postgresql") {
            return Err(ConfigError(format!(
                "OPCMS_DATABASE_URL: unsupported scheme \"{scheme}\" (use sqlite://, mysql:// or postgres://)"
            )));
        }
        let log_format = match env("OPCMS_LOG_FORMAT").as_deref() {
            None => file.log_format.unwrap_or(LogFormat::Text),
            Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError(format!(
                    "OPCMS_LOG_FORMAT: \"{other}\" is neither text nor json"
                )));
            }
        };
        let number = |name: &str, from_file: Option<u64>, default: u64| -> Result<u64, ConfigError> {
            match env(name) {
                Some(text) => text
                    .parse()
                    .map_err(|_| ConfigError(format!("{name}: \"{text}\" is not a whole number"))),
                None => Ok(from_file.unwrap_or(default)),
            }
        };
        // An on/off setting: the environment's `true`/`1`/`false`/`0`, else the file's.
        let flag = |name: &str, from_file: Option<bool>| -> Result<Option<bool>, ConfigError> {
            match env(name).as_deref() {
                None => Ok(from_file),
                Some("true" | "1") => Ok(Some(true)),
                Some("false" | "0") => Ok(Some(false)),
                Some(other) => Err(ConfigError(format!("{name}: \"{other}\" is neither true nor false"))),
            }
        };
        let trust_forwarded_for = flag("OPCMS_TRUST_FORWARDED_FOR", file.trust_forwarded_for)?.unwrap_or(false);
        let usage_sources = match env("OPCMS_USAGE_SOURCES") {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| ConfigError(format!("OPCMS_USAGE_SOURCES: not a JSON array of sources: {e}")))?,
            None => file.usage_sources.unwrap_or_default(),
        };
        check_usage_sources(&usage_sources)?;
        let limit = |name: &str, from_file: Option<String>| -> Result<Option<Fixed4>, ConfigError> {
            match env(name).or(from_file) {
                None => Ok(None),
                Some(text) => parse_quantity(&text)
                    .map(Some)
                    .map_err(|e| ConfigError(format!("{name}: \"{text}\": {e}"))),
            }
        };
        let usage_limits = SanityLimits {
            x: limit("OPCMS_USAGE_LIMIT_X", file.usage_limit_x)?,
            n: limit("OPCMS_USAGE_LIMIT_N", file.usage_limit_n)?,
            l: limit("OPCMS_USAGE_LIMIT_L", file.usage_limit_l)?,
        };
        let usage_discard_closed = flag("OPCMS_USAGE_DISCARD_CLOSED", file.usage_discard_closed)?.unwrap_or(false);
        let mut billing = file.billing.unwrap_or_default();
        billing.bill_trial_customers =
            flag("OPCMS_BILL_TRIAL_CUSTOMERS", None)?.unwrap_or(billing.bill_trial_customers);
        // The environment only: a file copied to production never carries it.
        let test_clock = flag("OPCMS_TEST_CLOCK", None)?.unwrap_or(false);
        let jobs = JobSettings {
            enabled: flag("OPCMS_JOBS_ENABLED", file.jobs_enabled)?.unwrap_or(true),
            tick: std::time::Duration::from_millis(number("OPCMS_JOB_TICK_MS", file.job_tick_ms, 15_000)?.max(100)),
            lease: std::time::Duration::from_secs(number("OPCMS_JOB_LEASE_SECS", file.job_lease_secs, 60)?.max(1)),
            instance_id: env("OPCMS_INSTANCE_ID").unwrap_or_else(default_instance_id),
        };
        let notify = NotifySettings {
            smtp: SmtpConfig::load(file.smtp.clone(), &env).map_err(ConfigError)?,
            sms: SmsConfig::load(file.sms.clone(), &env).map_err(ConfigError)?,
            sender_enabled: flag("OPCMS_NOTIFY_ENABLED", file.notify_enabled)?.unwrap_or(true),
            tick: std::time::Duration::from_millis(number("OPCMS_NOTIFY_TICK_MS", file.notify_tick_ms, 5_000)?.max(50)),
            concurrency: number("OPCMS_NOTIFY_CONCURRENCY", file.notify_concurrency, 8)?.clamp(1, 64) as usize,
        };
        let erp = match env("OPCMS_ERP") {
            Some(json) => Some(
                serde_json::from_str::<ErpConfig>(&json)
                    .map_err(|e| ConfigError(format!("OPCMS_ERP: not a JSON object of ERP settings: {e}")))?,
            ),
            None => file.erp,
        };
        if let Some(erp) = &erp {
            erp.validate().map_err(ConfigError)?;
        }
        let storage = StorageConfig::load(file.storage.clone(), &env).map_err(ConfigError)?;
        Ok(Config {
            erp,
            storage,
            notify,
            jobs,
            test_clock,
            http,
            billing,
            usage_sources,
            usage_limits,
            usage_discard_closed,
            trust_forwarded_for,
            bind,
            data_dir,
            database_url,
            redis_url: env("OPCMS_REDIS_URL").map(Secret::new).or(file.redis_url),
            master_key: env("OPCMS_MASTER_KEY").map(Secret::new).or(file.master_key),
            previous_keys: match env("OPCMS_PREVIOUS_KEYS") {
                Some(list) => list
                    .split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(Secret::new)
                    .collect(),
                None => file.previous_keys.unwrap_or_default(),
            },
            admin_password: env("OPCMS_ADMIN_PASSWORD").map(Secret::new).or(file.admin_password),
            log: env("OPCMS_LOG").or(file.log).unwrap_or_else(|| "info".into()),
            log_format,
            json_body_limit: number(
                "OPCMS_JSON_BODY_LIMIT",
                file.json_body_limit.map(|v| v as u64),
                2 * 1024 * 1024,
            )? as usize,
            upload_limit: number(
                "OPCMS_UPLOAD_LIMIT",
                file.upload_limit.map(|v| v as u64),
                20 * 1024 * 1024,
            )? as usize,
            import_max_rows: number("OPCMS_IMPORT_MAX_ROWS", file.import_max_rows.map(|v| v as u64), 200_000)? as usize,
            import_max_columns: number(
                "OPCMS_IMPORT_MAX_COLUMNS",
                file.import_max_columns.map(|v| v as u64),
                200,
            )? as usize,
            import_max_unpacked_bytes: number(
                "OPCMS_IMPORT_MAX_UNPACKED_BYTES",
                file.import_max_unpacked_bytes,
                400 * 1024 * 1024,
            )?,
            login_max_failures_per_account_and_ip: number(
                "OPCMS_LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP",
                file.login_max_failures_per_account_and_ip.map(u64::from),
                5,
            )? as u32,
            login_max_failures_per_account: number(
                "OPCMS_LOGIN_MAX_FAILURES_PER_ACCOUNT",
                file.login_max_failures_per_account.map(u64::from),
                20,
            )? as u32,
            login_max_failures_per_ip: number(
                "OPCMS_LOGIN_MAX_FAILURES_PER_IP",
                file.login_max_failures_per_ip.map(u64::from),
                30,
            )? as u32,
            login_failure_window_secs: number(
                "OPCMS_LOGIN_FAILURE_WINDOW_SECS",
                file.login_failure_window_secs.map(|v| v.max(1) as u64),
                15 * 60,
            )? as i64,
        })
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.expose().starts_with("sqlite:")
    }
}

/// How the server speaks HTTP: TLS, limits, and who may read `/metrics`.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Serve HTTPS only, with this certificate chain and key (PEM files).
    pub tls: Option<TlsFiles>,
    /// Requests per minute per client IP, for requests without a valid
    /// access token; 0: no limit.
    pub rate_limit_per_ip: u32,
    /// Requests per minute per signed-in user; 0: no limit.
    pub rate_limit_per_user: u32,
    /// A request still unanswered after this long gets 503; None: no limit.
    pub request_timeout: Option<std::time::Duration>,
    /// Serve `/metrics` on this address only (not on the main listener).
    pub metrics_bind: Option<SocketAddr>,
    /// `/metrics` requires `Authorization: Bearer <token>`.
    pub metrics_token: Option<Secret>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl HttpSettings {
    fn from_sources(file: &FileConfig, env: &impl Fn(&str) -> Option<String>) -> Result<HttpSettings, ConfigError> {
        let whole = |name: &str, from_file: Option<u64>, default: u64| -> Result<u64, ConfigError> {
            match env(name) {
                Some(text) => text
                    .trim()
                    .parse()
                    .map_err(|_| ConfigError(format!("{name}: \"{text}\" is not a whole number"))),
                None => Ok(from_file.unwrap_or(default)),
            }
        };
        let per_minute = |name: &str, from_file: Option<u32>, default: u32| -> Result<u32, ConfigError> {
            u32::try_from(whole(name, from_file.map(u64::from), u64::from(default))?)
                .map_err(|_| ConfigError(format!("{name}: at most {} requests per minute", u32::MAX)))
        };
        let cert = env("OPCMS_TLS_CERT")
            .map(PathBuf::from)
            .or_else(|| file.tls_cert.clone());
        let key = env("OPCMS_TLS_KEY").map(PathBuf::from).or_else(|| file.tls_key.clone());
        let tls = match (cert, key) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(ConfigError(
                    "OPCMS_TLS_KEY: OPCMS_TLS_CERT is set, so the private key file must be set too".into(),
                ));
            }
            (None, Some(_)) => {
                return Err(ConfigError(
                    "OPCMS_TLS_CERT: OPCMS_TLS_KEY is set, so the certificate file must be set too".into(),
                ));
            }
        };
        let timeout_secs = whole("OPCMS_REQUEST_TIMEOUT_SECS", file.request_timeout_secs, 120)?;
        let metrics_bind = match env("OPCMS_METRICS_BIND").or_else(|| file.metrics_bind.clone()) {
            None => None,
            Some(text) => Some(text.trim().parse().map_err(|_| {
                ConfigError(format!(
                    "OPCMS_METRICS_BIND: \"{text}\" is not an address like 127.0.0.1:9090"
                ))
            })?),
        };
        let metrics_token = env("OPCMS_METRICS_TOKEN")
            .map(Secret::new)
            .or_else(|| file.metrics_token.clone());
        if metrics_token.as_ref().is_some_and(|t| t.expose().trim().len() < 16) {
            return Err(ConfigError(
                "OPCMS_METRICS_TOKEN: use at least 16 characters (e.g. `openssl rand -hex 32`)".into(),
            ));
        }
        Ok(HttpSettings {
            tls,
            rate_limit_per_ip: per_minute("OPCMS_RATE_LIMIT_PER_IP", file.rate_limit_per_ip, 600)?,
            rate_limit_per_user: per_minute("OPCMS_RATE_LIMIT_PER_USER", file.rate_limit_per_user, 1200)?,
            request_timeout: (timeout_secs > 0).then(|| std::time::Duration::from_secs(timeout_secs)),
            metrics_bind,
            metrics_token,
        })
    }
}

/// Each source valid, and no two with one name.
fn check_usage_sources(sources: &[HttpSourceConfig]) -> Result<(), ConfigError> {
    let mut names = std::collections::HashSet::new();
    for source in sources {
        source.validate().map_err(ConfigError)?;
        if !names.insert(source.name.as_str()) {
            return Err(ConfigError(format!(
                "usage source name \"{}\" is used twice",
                source.name
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn defaults_give_sqlite_under_data() {
        let config = Config::from_sources(None, env_of(&[])).unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(config.database_url.expose(), "sqlite://./data/opcms.db?mode=rwc");
        assert_eq!(config.json_body_limit, 2 * 1024 * 1024);
    }

    #[test]
    fn environment_wins_over_the_file() {
        let file = "bind = \"0.0.0.0:9000\"\nlog = \"debug\"\n";
        let config = Config::from_sources(Some(file), env_of(&[("OPCMS_BIND", "127.0.0.1:9999")])).unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:9999");
        assert_eq!(config.log, "debug");
    }

    #[test]
    fn a_bad_setting_names_itself() {
        let err = Config::from_sources(None, env_of(&[("OPCMS_BIND", "nowhere")])).unwrap_err();
        assert!(err.to_string().contains("OPCMS_BIND"), "{err}");
        let err = Config::from_sources(None, env_of(&[("OPCMS_DATABASE_URL", "oracle://x")])).unwrap_err();
        assert!(err.to_string().contains("OPCMS_DATABASE_URL"), "{err}");
        let err = Config::from_sources(Some("bogus = 1"), env_of(&[])).unwrap_err();
        assert!(err.to_string().contains("opcms.toml"), "{err}");
    }

    #[test]
    fn discarding_closed_customers_usage_is_off_unless_set() {
        assert!(!Config::from_sources(None, env_of(&[])).unwrap().usage_discard_closed);
        let file = "usage_discard_closed = true\n";
        assert!(
            Config::from_sources(Some(file), env_of(&[]))
                .unwrap()
                .usage_discard_closed
        );
        let off = Config::from_sources(Some(file), env_of(&[("OPCMS_USAGE_DISCARD_CLOSED", "false")])).unwrap();
        assert!(!off.usage_discard_closed);
        let err = Config::from_sources(None, env_of(&[("OPCMS_USAGE_DISCARD_CLOSED", "yes")])).unwrap_err();
        assert!(err.to_string().contains("OPCMS_USAGE_DISCARD_CLOSED"), "{err}");
    }

    #[test]
    fn usage_sources_come_from_the_file_or_the_environment() {
        let file = r#"
usage_limit_x = "5000"
[[usage_sources]]
name = "vendor"
base_url = "http://127.0.0.1:9900"
auth_header = "Authorization"
auth_token = "Bearer s3cret"
records_path = "data.items"
[usage_sources.pagination]
kind = "page"
page_size = 100
[usage_sources.fields]
account_id = "account"
series = "series"
day = "date"
quantity = "qty"
"#;
        let config = Config::from_sources(Some(file), env_of(&[])).unwrap();
        assert_eq!(config.usage_sources.len(), 1);
        assert_eq!(config.usage_limits.x, Some(Fixed4::from_units(50_000_000)));
        assert!(!format!("{config:?}").contains("s3cret"));
        let json = r#"[{"name": "a", "base_url": "http://x", "fields": {"account_id": "a", "series": "s", "day": "d", "quantity": "q"}}]"#;
        let config = Config::from_sources(Some(file), env_of(&[("OPCMS_USAGE_SOURCES", json)])).unwrap();
        assert_eq!(config.usage_sources[0].name, "a");
        let err = Config::from_sources(None, env_of(&[("OPCMS_USAGE_SOURCES", "[1]")])).unwrap_err();
        assert!(err.to_string().contains("OPCMS_USAGE_SOURCES"), "{err}");
        let err = Config::from_sources(None, env_of(&[("OPCMS_USAGE_LIMIT_N", "-1")])).unwrap_err();
        assert!(err.to_string().contains("OPCMS_USAGE_LIMIT_N"), "{err}");
    }

    #[test]
    fn http_hardening_has_sane_defaults_and_zero_turns_a_limit_off() {
        let http = Config::from_sources(None, env_of(&[])).unwrap().http;
        assert_eq!(http.tls, None);
        assert_eq!((http.rate_limit_per_ip, http.rate_limit_per_user), (600, 1200));
        assert_eq!(http.request_timeout, Some(std::time::Duration::from_secs(120)));
        assert!(http.metrics_bind.is_none() && http.metrics_token.is_none());
        let file = "rate_limit_per_ip = 0\nrequest_timeout_secs = 0\nmetrics_bind = \"127.0.0.1:9100\"\n\
                    tls_cert = \"/etc/opcms/cert.pem\"\ntls_key = \"/etc/opcms/key.pem\"\n";
        let http = Config::from_sources(Some(file), env_of(&[("OPCMS_RATE_LIMIT_PER_USER", "0")]))
            .unwrap()
            .http;
        assert_eq!((http.rate_limit_per_ip, http.rate_limit_per_user), (0, 0));
        assert_eq!(http.request_timeout, None);
        assert_eq!(http.metrics_bind, Some("127.0.0.1:9100".parse().unwrap()));
        assert_eq!(http.tls.unwrap().key, PathBuf::from("/etc/opcms/key.pem"));
        let config = Config::from_sources(None, env_of(&[("OPCMS_METRICS_TOKEN", "s3cret-scrape-token-42")])).unwrap();
        assert!(!format!("{config:?}").contains("s3cret-scrape"));
    }

    #[test]
    fn a_bad_http_setting_names_itself() {
        for (pairs, named) in [
            (&[("OPCMS_TLS_CERT", "/c.pem")][..], "OPCMS_TLS_KEY"),
            (&[("OPCMS_TLS_KEY", "/k.pem")][..], "OPCMS_TLS_CERT"),
            (&[("OPCMS_RATE_LIMIT_PER_IP", "lots")][..], "OPCMS_RATE_LIMIT_PER_IP"),
            (&[("OPCMS_RATE_LIMIT_PER_USER", "-1")][..], "OPCMS_RATE_LIMIT_PER_USER"),
            (
                &[("OPCMS_RATE_LIMIT_PER_USER", "99999999999")][..],
                "OPCMS_RATE_LIMIT_PER_USER",
            ),
            (
                &[("OPCMS_REQUEST_TIMEOUT_SECS", "1m")][..],
                "OPCMS_REQUEST_TIMEOUT_SECS",
            ),
            (&[("OPCMS_METRICS_BIND", "9100")][..], "OPCMS_METRICS_BIND"),
            (&[("OPCMS_METRICS_TOKEN", "short")][..], "OPCMS_METRICS_TOKEN"),
        ] {
            let err = Config::from_sources(None, env_of(pairs)).unwrap_err();
            assert!(err.to_string().contains(named), "{pairs:?}: {err}");
        }
    }

    #[test]
    fn the_erp_comes_from_the_file_or_the_environment() {
        assert!(Config::from_sources(None, env_of(&[])).unwrap().erp.is_none());
        let file = "[erp]\nbase_url = \"http://erp.local\"\n[erp.fields.bill]\nbill_no = \"DocNo\"\n";
        let erp = Config::from_sources(Some(file), env_of(&[])).unwrap().erp.unwrap();
        assert_eq!(erp.fields.bill["bill_no"], "DocNo");
        let json = r#"{"base_url": "http://other", "auth_header": "X-Key", "auth_token": "k3y-s3cret"}"#;
        let config = Config::from_sources(Some(file), env_of(&[("OPCMS_ERP", json)])).unwrap();
        assert_eq!(config.erp.as_ref().unwrap().base_url, "http://other");
        assert!(!format!("{config:?}").contains("k3y-s3cret"));
        for bad in ["[]", r#"{"base_url": "nowhere"}"#] {
            let err = Config::from_sources(None, env_of(&[("OPCMS_ERP", bad)])).unwrap_err();
            assert!(err.to_string().contains("OPCMS_ERP"), "{err}");
        }
    }

    #[test]
    fn secrets_do_not_leak_through_debug() {
        let config = Config::from_sources(None, env_of(&[("OPCMS_ADMIN_PASSWORD", "hunter22")])).unwrap();
        assert!(!format!("{config:?}").contains("hunter22"));
    }
}
