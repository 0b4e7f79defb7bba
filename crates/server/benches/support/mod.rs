//! What the benchmarks share: signing in over HTTP and reading percentiles.

use std::time::Duration;

use serde_json::{Value, json};

pub fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The `p`-th percentile (0–1) of sorted samples, in milliseconds.
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank].as_secs_f64() * 1000.0
}

/// Starts the real server on a fresh SQLite database in `dir`; returns its
/// state, base URL and an admin token (past the forced password change).
pub async fn start(dir: &std::path::Path) -> anyhow::Result<(opcms::state::AppState, String, String)> {
    let config = opcms::Config::from_sources(None, |name| match name {
        "OPCMS_BIND" => Some("127.0.0.1:0".into()),
        "OPCMS_DATA_DIR" => Some(dir.display().to_string()),
        "OPCMS_ADMIN_PASSWORD" => Some("Initial123".into()),
        "OPCMS_LOG" => Some("warn".into()),
        _ => None,
    })?;
    let app = opcms::Application::build(config).await?;
    let state = app.state().clone();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let token = sign_in(&reqwest::Client::new(), &base, "admin", "Initial123", "Bench12345").await?;
    Ok((state, base, token))
}

/// Logs in and makes the forced first password change; returns the token.
pub async fn sign_in(
    client: &reqwest::Client,
    base: &str,
    user: &str,
    initial: &str,
    new: &str,
) -> anyhow::Result<String> {
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": initial}))
        .send()
        .await?
        .json()
        .await?;
    let changed: Value = client
        .post(format!("{base}/api/v1/auth/password"))
        .bearer_auth(login["access_token"].as_str().unwrap_or_default())
        .json(&json!({"current_password": initial, "new_password": new}))
        .send()
        .await?
        .json()
        .await?;
    changed["access_token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("sign-in of {user} failed: {changed}"))
}
