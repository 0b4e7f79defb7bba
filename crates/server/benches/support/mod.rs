//! What the benchmarks share: signing in over HTTP and reading percentiles.

// Each bench includes this module and uses only part of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection};

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
    start_with(dir, &[]).await
}

/// [`start`] with more settings, as the environment would give them.
pub async fn start_with(
    dir: &std::path::Path,
    settings: &[(&str, String)],
) -> anyhow::Result<(opcms::state::AppState, String, String)> {
    let setting = |name: &str| {
        settings
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    };
    let config = opcms::Config::from_sources(None, |name| match name {
        _ if setting(name).is_some() => setting(name),
        "OPCMS_BIND" => Some("127.0.0.1:0".into()),
        "OPCMS_DATA_DIR" => Some(dir.display().to_string()),
        "OPCMS_ADMIN_PASSWORD" => Some("Initial123".into()),
        "OPCMS_LOG" => Some(std::env::var("OPCMS_BENCH_LOG").unwrap_or_else(|_| "warn".into())),
        // The benchmarks drive thousands of requests with one token on purpose.
        "OPCMS_RATE_LIMIT_PER_IP" | "OPCMS_RATE_LIMIT_PER_USER" => Some("0".into()),
        _ => None,
    })?;
    if std::env::var("OPCMS_BENCH_LOG").is_ok() {
        opcms::telemetry::init(&config);
    }
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

/// `count` live active customers with codes `B0000001…`, accounts
/// `bench_0000001…`, all three series, written by one SQL statement.
pub async fn seed_customers(db: &DatabaseConnection, count: usize, name: &str) -> anyhow::Result<()> {
    db.execute_unprepared(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) \
         INSERT INTO customers (customer_code, code_key, company_name, name_key, account_id, account_key, \
           account_status, series_x, series_n, series_l, payment_terms_days, search_text, version, \
           created_at, updated_at, is_deleted) \
         SELECT printf('B%07d', i), printf('B%07d', i), printf('{name}%07d公司', i), printf('{name}%07d公司', i), \
           printf('bench_%07d', i), printf('bench_%07d', i), 'active', 1, 1, 1, 30, printf('b%07d', i), 1, \
           '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 0 FROM n"
    ))
    .await?;
    Ok(())
}

/// A year of receivables for every customer, by SQL: 12 bills a customer
/// (one in ten left open, the rest paid; one customer in seven pays late), a
/// receipt and an allocation per paid bill.
pub async fn seed_year_of_bills(db: &DatabaseConnection, year: i32) -> anyhow::Result<()> {
    db.execute_unprepared(&format!(
        "WITH RECURSIVE m(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM m WHERE k < 12) \
         INSERT INTO bills (bill_no, customer_id, period, kind, status, lines, subtotal, credited, total, allocated, \
           warnings, warning_count, fingerprint, due_date, issued_at, created_at, updated_at, version) \
         SELECT printf('B{year}%02d-%07d', k, c.id), c.id, {year} * 100 + k, 'manual', \
           CASE WHEN c.id % 10 = 0 THEN 'issued' ELSE 'paid' END, '[]', \
           (1000 + c.id % 500) * 10000, 0, (1000 + c.id % 500) * 10000, \
           CASE WHEN c.id % 10 = 0 THEN 0 ELSE (1000 + c.id % 500) * 10000 END, \
           '[]', 0, 'bench', date(printf('{year}-%02d-01', k), '+1 month', '+14 days'), \
           printf('{year}-%02d-01T09:00:00Z', k), '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1 \
         FROM customers c CROSS JOIN m"
    ))
    .await?;
    db.execute_unprepared(
        "INSERT INTO payments (payment_no, customer_id, amount, allocated, received_at, method, payer_name, source, \
           created_at, updated_at, is_deleted, version) \
         SELECT 'P' || substr(b.bill_no, 2), b.customer_id, b.total, b.total, \
           CASE WHEN b.customer_id % 7 = 0 THEN date(b.due_date, '+5 days') ELSE date(b.due_date, '-3 days') END, \
           'bank_transfer', '付款单位', 'manual', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 0, 1 \
         FROM bills b WHERE b.status = 'paid'",
    )
    .await?;
    db.execute_unprepared(
        "INSERT INTO payment_allocations (payment_id, bill_id, customer_id, amount, status, created_at) \
         SELECT p.id, b.id, b.customer_id, b.total, 'active', '2026-01-01T00:00:00Z' \
         FROM bills b JOIN payments p ON p.payment_no = 'P' || substr(b.bill_no, 2) WHERE b.status = 'paid'",
    )
    .await?;
    Ok(())
}

/// Assigns the plan to every customer, in one SQL statement.
pub async fn assign_plan_to_all(db: &DatabaseConnection, plan_id: i64) -> anyhow::Result<()> {
    db.execute_unprepared(&format!(
        "INSERT INTO customer_pricing (customer_id, plan_id, created_at, updated_at) \
         SELECT id, {plan_id}, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM customers"
    ))
    .await?;
    Ok(())
}

pub async fn count(db: &DatabaseConnection, table: &str) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no count"))?;
    Ok(row.try_get("", "n")?)
}

/// Sends; the JSON answer, or an error with the status and body unless 2xx.
pub async fn send(request: reqwest::RequestBuilder) -> anyhow::Result<Value> {
    let response = request.send().await?;
    let status = response.status();
    let body: Value = response.json().await?;
    anyhow::ensure!(status.is_success(), "{status} {body}");
    Ok(body)
}

/// Prints p50/p95 of the samples.
pub fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{label:<48} p50 {:>8.1} ms   p95 {:>8.1} ms   ({} runs)",
        percentile(&samples, 0.5),
        percentile(&samples, 0.95),
        samples.len()
    );
}

/// The API as a signed-in admin, for the benches that drive jobs.
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Api {
    /// The admin's API with a client that waits up to `timeout` for a job's answer.
    pub fn new(base: String, token: String, timeout: Duration) -> anyhow::Result<Api> {
        Ok(Api {
            client: reqwest::Client::builder().timeout(timeout).build()?,
            base,
            token,
        })
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> anyhow::Result<Value> {
        let mut request = self.client.request(method, format!("{}/api/v1{path}", self.base));
        if !body.is_null() {
            request = request.json(&body);
        }
        send(request.bearer_auth(&self.token)).await
    }

    pub async fn set_clock(&self, now: &str) -> anyhow::Result<()> {
        self.call(reqwest::Method::PUT, "/system/clock", json!({"now": now}))
            .await?;
        Ok(())
    }

    /// Runs `job` for `period` and waits for the run to finish; its counts.
    pub async fn run(&self, job: &str, period: &str) -> anyhow::Result<(Duration, Value)> {
        let started = Instant::now();
        let body = json!({"period_key": period, "force": true});
        self.call(reqwest::Method::POST, &format!("/jobs/{job}/run"), body)
            .await?;
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let runs = self
                .call(
                    reqwest::Method::GET,
                    &format!("/jobs/{job}/runs?page_size=100"),
                    Value::Null,
                )
                .await?;
            let Some(run) = runs["items"]
                .as_array()
                .and_then(|items| items.iter().find(|r| r["period_key"] == period))
            else {
                continue;
            };
            match run["status"].as_str() {
                Some("running") => continue,
                Some("succeeded") => return Ok((started.elapsed(), run["counts"].clone())),
                _ => anyhow::bail!("{job} {period} failed: {run}"),
            }
        }
    }
}
