use std::time::Instant;

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

/// Time per phase of a long operation (a billing run, an import), for its
/// log line: where a slow run spends its time.
pub struct Stopwatch {
    last: Instant,
    laps: Vec<(&'static str, u128)>,
}

impl Stopwatch {
    pub fn start() -> Stopwatch {
        Stopwatch {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }

    pub fn lap(&mut self, name: &'static str) {
        let now = Instant::now();
        self.laps.push((name, (now - self.last).as_millis()));
        self.last = now;
    }

    pub fn summary(&self) -> String {
        let parts: Vec<String> = self.laps.iter().map(|(name, ms)| format!("{name} {ms} ms")).collect();
        parts.join(", ")
    }
}
