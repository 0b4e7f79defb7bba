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
