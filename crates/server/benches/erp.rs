//! The ERP push at the users' scale (issue 27): a month of 1,320 bills
//! issued in one batch (SQLite, or `OPCMS_BENCH_DATABASE_URL`'s server), each queued for the ERP in the issuing
//! transaction, then pushed to the mock ERP (in-process, on a local port) by
//! the background sender; the time until the ERP has every one, and the
//! throughput. Twice: an ERP that answers at once, and one that answers in
//! 0-20 ms at random (out of order). Every bill must reach the ERP exactly
//! once.
//!
//! `OPCMS_BENCH_ERP_BILLS` sets the bill count (default 1,320). Run with
//! `make bench`.

use std::time::{Duration, Instant};

use opcms::erp::mock_erp::{ErpBehaviour, MockErp};
use serde_json::json;
use support::{Api, count, env_number, seed_customers, start_with};

mod support;

/// `bills` drafts of one line each for `period` (yyyymm), one per customer, by SQL.
async fn seed_drafts(db: &sea_orm::DatabaseConnection, period: i32) -> anyhow::Result<()> {
    use sea_orm::ConnectionTrait;
    let sql = support::Dialect(db.get_database_backend());
    let at = sql.timestamp("2026-01-01 00:00:00");
    let bill_no = sql.concat(&[&format!("'B{period}-'"), &sql.pad("c.id", 7)]);
    let lines = sql.quote("lines");
    db.execute_unprepared(&format!(
        "INSERT INTO bills (bill_no, customer_id, period, kind, status, {lines}, subtotal, credited, total, allocated, \
           warnings, warning_count, fingerprint, created_at, updated_at, version) \
         SELECT {bill_no}, c.id, {period}, 'manual', 'draft', \
           '[{{\"kind\":\"manual\",\"series\":null,\"usage\":null,\"description\":\"服务费\",\"quantity\":null,\
\"unit_price\":null,\"raw_amount\":\"1288.50\",\"amount\":\"1288.50\",\"tiers\":[]}}]', \
           12885000, 0, 12885000, 0, '[]', 0, 'bench', {at}, {at}, 1 \
         FROM customers c"
    ))
    .await?;
    Ok(())
}

/// Waits until `expected` documents are sent; fails on any failed one.
async fn all_sent(db: &sea_orm::DatabaseConnection, expected: i64) -> anyhow::Result<()> {
    loop {
        let sent = count(db, "erp_outbox WHERE status = 'sent'").await?;
        let failed = count(db, "erp_outbox WHERE status = 'failed'").await?;
        anyhow::ensure!(failed == 0, "{failed} documents failed");
        if sent >= expected {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let bills = env_number("OPCMS_BENCH_ERP_BILLS", 1_320);
    let erp = MockErp::start("127.0.0.1:0".parse()?, Some("Bearer bench".into())).await?;
    let config = json!({"base_url": erp.base_url(), "auth_header": "Authorization", "auth_token": "Bearer bench",
                        "tick_ms": 200, "fields": {"bill": {"bill_no": "DocNo"}}});
    let temp = tempfile::tempdir()?;
    let (state, base, token) = start_with(
        temp.path(),
        &[
            ("OPCMS_JOBS_ENABLED", "false".into()),
            ("OPCMS_ERP", config.to_string()),
        ],
    )
    .await?;
    let db = &state.db;
    let api = Api::new(base, token, Duration::from_secs(600))?;
    seed_customers(db, bills, "集成基准").await?;
    let concurrency = state.config.erp.as_ref().map_or(0, |c| c.concurrency);

    for (label, period, behaviour) in [
        ("ERP answering at once", 202610, ErpBehaviour::default()),
        (
            "ERP answering in 0-20 ms, out of order",
            202611,
            ErpBehaviour {
                max_delay_ms: 20,
                ..ErpBehaviour::default()
            },
        ),
    ] {
        erp.set(behaviour);
        seed_drafts(db, period).await?;
        let before = count(db, "erp_outbox WHERE status = 'sent'").await?;
        let started = Instant::now();
        let issued = api
            .call(
                reqwest::Method::POST,
                "/bills/batch-issue",
                json!({"filter": {"period": format!("{}-{}", period / 100, period % 100)}}),
            )
            .await?;
        let issue_took = started.elapsed();
        anyhow::ensure!(issued["issued"] == bills, "issued: {issued}");
        all_sent(db, before + bills as i64).await?;
        let took = started.elapsed();
        support::seconds(
            &format!("{bills} bills issued in one batch, queued for the ERP"),
            issue_took,
            "",
        );
        let rate = bills as f64 / (took - issue_took).as_secs_f64().max(0.001);
        support::seconds(
            &format!("… all pushed, {label} ({concurrency} in flight)"),
            took,
            format!("{rate:.0} bills/s"),
        );
    }
    let taken = erp.documents();
    anyhow::ensure!(taken.len() == 2 * bills, "the ERP has {} documents", taken.len());
    anyhow::ensure!(taken.iter().all(|t| t.deliveries == 1), "a document delivered twice");
    println!(
        "documents at the ERP: {} (expected {}), each delivered once",
        taken.len(),
        2 * bills
    );
    Ok(())
}
