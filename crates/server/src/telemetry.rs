use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat};

/// Logs to stderr, as text or JSON lines (`OPCMS_LOG_FORMAT`), filtered by
/// `OPCMS_LOG` (e.g. `info`, `opcms=debug,sqlx=warn`).
pub fn init(config: &Config) {
    let filter = EnvFilter::try_new(&config.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
