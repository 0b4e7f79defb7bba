//! What the benchmarks share: signing in over HTTP and reading percentiles.

// Each bench includes this module and uses only part of it.
#![allow(dead_code)]

pub mod sql;

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};

pub use sql::Dialect;

use serde_json::{Value, json};

pub fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The `p`-th percentile (0–1) of sorted samples, in milliseconds.
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank].as_secs_f64() * 1000.0
}

/// The database server the benches run on, from `OPCMS_BENCH_DATABASE_URL`
/// (`mysql://…` for MariaDB/MySQL, `postgres://…`); SQLite when unset.
fn server_url() -> Option<String> {
    std::env::var("OPCMS_BENCH_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty() && !url.starts_with("sqlite:"))
}

/// The backend the figures are for: `sqlite`, `mariadb` or `postgres`.
pub fn backend_name() -> &'static str {
    match server_url() {
        Some(url) if url.starts_with("postgres") => "postgres",
        Some(_) => "mariadb",
        None => "sqlite",
    }
}

/// This bench's name (its binary's, without cargo's hash).
fn bench_name() -> String {
    let exe = std::env::args().next().unwrap_or_default();
    let stem = std::path::Path::new(&exe)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => name.to_string(),
        _ => stem,
    }
}

/// Servers started by this process so far (each gets its own database).
static SERVERS: AtomicUsize = AtomicUsize::new(0);

/// A fresh empty database on the `OPCMS_BENCH_DATABASE_URL` server (none on
/// SQLite), named after the bench (`opcms_bench_<bench>_<n>`, replacing the
/// previous run's, which is kept until then for inspection); its URL.
pub async fn fresh_server_database() -> anyhow::Result<Option<String>> {
    match server_url() {
        Some(admin_url) => Ok(Some(fresh_database_on(&admin_url).await?)),
        None => Ok(None),
    }
}

async fn fresh_database_on(admin_url: &str) -> anyhow::Result<String> {
    let name = format!(
        "opcms_bench_{}_{}",
        bench_name().replace('-', "_"),
        SERVERS.fetch_add(1, Ordering::Relaxed)
    );
    let admin = sea_orm::Database::connect(admin_url).await?;
    let (drop, create) = match admin.get_database_backend() {
        DbBackend::Postgres => (
            format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
            format!("CREATE DATABASE \"{name}\""),
        ),
        _ => (
            format!("DROP DATABASE IF EXISTS `{name}`"),
            format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"),
        ),
    };
    admin.execute_unprepared(&drop).await?;
    admin.execute_unprepared(&create).await?;
    admin.close().await?;
    let mut url = url::Url::parse(admin_url)?;
    url.set_path(&format!("/{name}"));
    Ok(url.to_string())
}

/// Starts the real server on a fresh database (SQLite in `dir`, or one on
/// the `OPCMS_BENCH_DATABASE_URL` server); returns its state, base URL and
/// an admin token (past the forced password change).
pub async fn start(dir: &std::path::Path) -> anyhow::Result<(opcms::state::AppState, String, String)> {
    start_with(dir, &[]).await
}

/// [`start`] with more settings, as the environment would give them.
pub async fn start_with(
    dir: &std::path::Path,
    settings: &[(&str, String)],
) -> anyhow::Result<(opcms::state::AppState, String, String)> {
    let database_url = if settings.iter().any(|(key, _)| *key == "OPCMS_DATABASE_URL") {
        None
    } else {
        fresh_server_database().await?
    };
    let setting = |name: &str| {
        settings
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
            .or_else(|| (name == "OPCMS_DATABASE_URL").then(|| database_url.clone()).flatten())
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
    let sql = Dialect(db.get_database_backend());
    let code = sql.concat(&["'B'", &sql.pad("n.i", 7)]);
    let company = sql.concat(&[&format!("'{name}'"), &sql.pad("n.i", 7), "'公司'"]);
    let account = sql.concat(&["'bench_'", &sql.pad("n.i", 7)]);
    let search = sql.concat(&["'b'", &sql.pad("n.i", 7)]);
    let at = sql.timestamp("2026-01-01 00:00:00");
    db.execute_unprepared(&format!(
        "INSERT INTO customers (customer_code, code_key, company_name, name_key, account_id, account_key, \
           account_status, series_x, series_n, series_l, payment_terms_days, search_text, version, \
           created_at, updated_at, is_deleted) \
         SELECT {code}, {code}, {company}, {company}, {account}, {account}, 'active', TRUE, TRUE, TRUE, 30, \
           {search}, 1, {at}, {at}, FALSE FROM {numbers} ORDER BY n.i",
        numbers = sql.numbers(1, count, "n"),
    ))
    .await?;
    Ok(())
}

/// A year of receivables for every customer, by SQL: 12 bills a customer
/// (one in ten left open, the rest paid; one customer in seven pays late), a
/// receipt and an allocation per paid bill.
pub async fn seed_year_of_bills(db: &DatabaseConnection, year: i32) -> anyhow::Result<()> {
    let sql = Dialect(db.get_database_backend());
    let at = sql.timestamp("2026-01-01 00:00:00");
    let month_start = sql.month_start(year, "m.i");
    db.execute_unprepared(&format!(
        "INSERT INTO bills (bill_no, customer_id, period, kind, status, {lines}, subtotal, credited, total, allocated, \
           warnings, warning_count, fingerprint, due_date, issued_at, created_at, updated_at, version) \
         SELECT {bill_no}, c.id, {year} * 100 + m.i, 'manual', \
           CASE WHEN c.id % 10 = 0 THEN 'issued' ELSE 'paid' END, '[]', \
           (1000 + c.id % 500) * 10000, 0, (1000 + c.id % 500) * 10000, \
           CASE WHEN c.id % 10 = 0 THEN 0 ELSE (1000 + c.id % 500) * 10000 END, \
           '[]', 0, 'bench', {due}, {issued}, {at}, {at}, 1 \
         FROM customers c CROSS JOIN {months} ORDER BY c.id, m.i",
        lines = sql.quote("lines"),
        bill_no = sql.concat(&[&format!("'B{year}'"), &sql.pad("m.i", 2), "'-'", &sql.pad("c.id", 7)]),
        due = sql.add_days(&month_start, "45"),
        issued = sql.at_time(&month_start, "09:00:00"),
        months = sql.numbers(1, 12, "m"),
    ))
    .await?;
    db.execute_unprepared(&format!(
        "INSERT INTO payments (payment_no, customer_id, amount, allocated, received_at, method, payer_name, source, \
           created_at, updated_at, is_deleted, version) \
         SELECT {payment_no}, b.customer_id, b.total, b.total, \
           CASE WHEN b.customer_id % 7 = 0 THEN {late} ELSE {early} END, \
           'bank_transfer', '付款单位', 'manual', {at}, {at}, FALSE, 1 \
         FROM bills b WHERE b.status = 'paid' ORDER BY b.id",
        payment_no = sql.concat(&["'P'", "substr(b.bill_no, 2)"]),
        late = sql.add_days("b.due_date", "5"),
        early = sql.add_days("b.due_date", "-3"),
    ))
    .await?;
    db.execute_unprepared(&format!(
        "INSERT INTO payment_allocations (payment_id, bill_id, customer_id, amount, status, created_at) \
         SELECT p.id, b.id, b.customer_id, b.total, 'active', {at} \
         FROM bills b JOIN payments p ON p.payment_no = {payment_no} WHERE b.status = 'paid'",
        payment_no = sql.concat(&["'P'", "substr(b.bill_no, 2)"]),
    ))
    .await?;
    Ok(())
}

/// Assigns the plan to every customer, in one SQL statement.
pub async fn assign_plan_to_all(db: &DatabaseConnection, plan_id: i64) -> anyhow::Result<()> {
    let at = Dialect(db.get_database_backend()).timestamp("2026-01-01 00:00:00");
    db.execute_unprepared(&format!(
        "INSERT INTO customer_pricing (customer_id, plan_id, created_at, updated_at) \
         SELECT id, {plan_id}, {at}, {at} FROM customers"
    ))
    .await?;
    Ok(())
}

/// Monthly usage totals of July–October 2026 for every customer and series,
/// `quantity` an SQL expression over `m.month`, `c.id` and `s.series`.
pub async fn seed_usage_monthly(db: &DatabaseConnection, quantity: &str) -> anyhow::Result<()> {
    let sql = Dialect(db.get_database_backend());
    db.execute_unprepared(&format!(
        "INSERT INTO usage_monthly (month, customer_id, series, quantity, record_count) \
         SELECT m.month, c.id, s.series, {quantity}, 31 FROM {} CROSS JOIN customers c CROSS JOIN {}",
        sql.values("month", &["202607", "202608", "202609", "202610"], "m"),
        sql.values("series", &["'X'", "'N'", "'L'"], "s"),
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

/// Prints p50/p95 of the samples, and records them for the summary.
pub fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let (p50, p95) = (percentile(&samples, 0.5), percentile(&samples, 0.95));
    println!(
        "{label:<48} p50 {p50:>8.1} ms   p95 {p95:>8.1} ms   ({} runs)",
        samples.len()
    );
    record(label, &format!("p50 {p50:.1} / p95 {p95:.1} ms"));
}

/// Prints how long a step took (and what it did), and records the time for
/// the summary.
pub fn seconds(label: &str, elapsed: Duration, detail: impl std::fmt::Display) {
    println!("{label:<60} {:>8.2} s   {detail}", elapsed.as_secs_f64());
    record(label, &format!("{:.2} s", elapsed.as_secs_f64()));
}

/// Records one figure (already printed) for the summary of `make bench`.
pub fn figure(label: &str, value: String) {
    record(label, &value);
}

/// Appends `bench, backend, label, value` as a tab-separated line to the
/// file `OPCMS_BENCH_SUMMARY` names (what `scripts/bench.sh` tabulates).
fn record(label: &str, value: &str) {
    let Ok(path) = std::env::var("OPCMS_BENCH_SUMMARY") else {
        return;
    };
    let line = format!(
        "{}\t{}\t{}\t{}\n",
        bench_name(),
        backend_name(),
        label.replace('\t', " "),
        value
    );
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| file.write_all(line.as_bytes()));
    if let Err(e) = written {
        eprintln!("cannot record to {path}: {e}");
    }
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
