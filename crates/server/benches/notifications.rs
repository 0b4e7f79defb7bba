//! Notifications at the users' scale (issue 24): 1,320 customers, each with
//! an e-mail address, on SQLite, sending to the real SMTP server of the
//! tests (aiosmtpd, `tests/support/smtp_sink.py`) on a local port:
//!
//! 1. `bills.generate` with auto-issue: 1,320 bills issued, and 1,320
//!    `bill.issued` e-mails queued in the same transactions; then the time
//!    until all are sent, each with its bill's PDF rendered and attached;
//! 2. `receivables.daily` the day after the due date: 1,320 day-1
//!    reminders queued; the time until all are sent;
//! 3. the same day again: nothing new is queued (the dedupe keys).
//!
//! `OPCMS_BENCH_NOTIFY_CUSTOMERS` sets the customer count (default 1,320);
//! Python with aiosmtpd comes from `OPCMS_TEST_PYTHON` (as in the tests).
//! Run with `make bench`.

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use support::{Api, assign_plan_to_all, env_number, seed_customers, start_with};

mod support;

// The tests' SMTP server; the bench uses only part of its helpers.
#[allow(dead_code)]
#[path = "../tests/api/mail.rs"]
mod mail;

async fn scalar(db: &sea_orm::DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_string()))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no row: {sql}"))?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

/// Waits until `expected` notifications of `event` are sent; the time it took.
async fn drained(
    db: &sea_orm::DatabaseConnection,
    event: &str,
    expected: i64,
    since: Instant,
) -> anyhow::Result<Duration> {
    loop {
        let sent = scalar(
            db,
            &format!("SELECT COUNT(*) FROM notifications WHERE event = '{event}' AND status = 'sent'"),
        )
        .await?;
        let failed = scalar(
            db,
            &format!("SELECT COUNT(*) FROM notifications WHERE event = '{event}' AND status IN ('failed', 'skipped')"),
        )
        .await?;
        if failed > 0 {
            anyhow::bail!("{failed} {event} notifications were not sent");
        }
        if sent >= expected {
            return Ok(since.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let customers = env_number("OPCMS_BENCH_NOTIFY_CUSTOMERS", 1_320);
    let sink = mail::SmtpSink::start();
    let temp = tempfile::tempdir()?;
    let (state, base, token) = start_with(
        temp.path(),
        &[
            ("OPCMS_TEST_CLOCK", "true".into()),
            ("OPCMS_JOBS_ENABLED", "false".into()),
            ("OPCMS_SMTP_HOST", "127.0.0.1".into()),
            ("OPCMS_SMTP_PORT", sink.port.to_string()),
            ("OPCMS_SMTP_TLS", "none".into()),
            ("OPCMS_SMTP_FROM", "账单中心 <billing@opcms.test>".into()),
            ("OPCMS_NOTIFY_TICK_MS", "200".into()),
        ],
    )
    .await?;
    let db = &state.db;
    let api = Api::new(base, token, Duration::from_secs(600))?;

    seed_customers(db, customers, "通知基准").await?;
    // Each customer's address, sealed as the API seals it.
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id, customer_code FROM customers".to_string(),
        ))
        .await?;
    for row in rows {
        let id: i64 = row.try_get_by_index(0)?;
        let code: String = row.try_get_by_index(1)?;
        let sealed = state.keyring.encrypt(
            &opcms::customers::model::email_binding(&code),
            &format!("ap@{}.example.com", code.to_lowercase()),
        )?;
        db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            if db.get_database_backend() == sea_orm::DbBackend::Postgres {
                "UPDATE customers SET contact_email_enc = $1 WHERE id = $2"
            } else {
                "UPDATE customers SET contact_email_enc = ? WHERE id = ?"
            },
            [sealed.into(), id.into()],
        ))
        .await?;
    }
    api.set_clock("2026-11-01T03:05:00+08:00").await?;
    let plan = api
        .call(
            reqwest::Method::POST,
            "/price-plans",
            json!({"name": "通知基准方案", "effective_from": "2026-01", "reason": "基准",
               "rules": {"X": {"mode": "flat", "unit_price": "0.5"}, "N": {"mode": "flat", "unit_price": "0.1234"},
                         "L": {"mode": "flat", "unit_price": "2"}}}),
        )
        .await?;
    assign_plan_to_all(db, plan["id"].as_i64().ok_or_else(|| anyhow::anyhow!("plan: {plan}"))?).await?;
    support::seed_usage_monthly(db, "(100 + (c.id * 7 + length(s.series) * 13) % 900) * 10000").await?;
    api.call(
        reqwest::Method::PUT,
        "/settings",
        json!({"auto_issue_clean_bills": true}),
    )
    .await?;
    let expected = customers as i64;

    let started = Instant::now();
    let (took, counts) = api.run("bills.generate", "2026-10").await?;
    support::seconds(
        &format!("bills.generate: {customers} bills issued, e-mails queued"),
        took,
        &counts,
    );
    let took = drained(db, "bill.issued", expected, started).await?;
    support::seconds(
        &format!("… all {customers} bill.issued e-mails sent, PDF attached"),
        took,
        "",
    );

    api.set_clock("2026-12-01T08:05:00+08:00").await?;
    let started = Instant::now();
    let (took, counts) = api.run("receivables.daily", "2026-12-01").await?;
    support::seconds(
        &format!("receivables.daily: {customers} day-1 reminders queued"),
        took,
        &counts,
    );
    let took = drained(db, "bill.overdue", expected, started).await?;
    support::seconds(&format!("… all {customers} reminders sent"), took, "");
    let (took, counts) = api.run("receivables.daily", "2026-12-01").await?;
    support::seconds("receivables.daily again: nothing new", took, &counts);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let arrived = sink.messages().len();
    println!("messages at the SMTP server: {arrived} (expected {})", 2 * customers);
    anyhow::ensure!(arrived == 2 * customers, "every message once");
    Ok(())
}
