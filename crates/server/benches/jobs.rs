//! The scheduled jobs at 100,000 customers (issue 23), each run the
//! way the scheduler runs it (`POST /jobs/{name}/run`, the same code path,
//! followed until it finishes), on the test clock:
//!
//! 1. `bills.generate` with `auto_issue_clean_bills`: the month's drafts,
//!    and every clean one issued;
//! 2. `usage.collect`: one day from a mock vendor serving every account
//!    (300,000 records over HTTP, 1,000 a page), then the same day again;
//! 3. `receivables.daily` three times: the day after the due date (every
//!    customer owes: 正式 → 欠费), the next day (nothing to move: the
//!    steady state), and past `suspend_after_days` (欠费 → 暂停);
//! 4. `maintenance.prune`.
//!
//! `OPCMS_BENCH_JOBS_CUSTOMERS` sets the customer count (default 100,000).
//! Run with `make bench`.

use std::time::{Duration, Instant};

use opcms::usage::mock_vendor::MockVendor;
use serde_json::{Value, json};
use support::{Api, assign_plan_to_all, count, env_number, seed_customers, start_with};

mod support;

fn step(label: &str, elapsed: Duration, counts: &Value) {
    support::seconds(label, elapsed, counts);
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let customers = env_number("OPCMS_BENCH_JOBS_CUSTOMERS", 100_000);
    let temp = tempfile::tempdir()?;
    let accounts: Vec<String> = (1..=customers).map(|i| format!("bench_{i:07}")).collect();
    let vendor = MockVendor::start("127.0.0.1:0".parse()?, accounts).await?;
    let source = json!([{
        "name": "vendor", "base_url": vendor.base_url(), "path": "/v1/usage", "day_param": "date",
        "timeout_ms": 60000, "max_pages": 1000, "max_response_bytes": 64 * 1024 * 1024, "records_path": "data.items",
        "pagination": {"kind": "page", "page_param": "page", "size_param": "page_size", "page_size": 1000},
        "fields": {"account_id": "account", "series": "series", "day": "date", "quantity": "qty", "source_id": "id"}
    }]);
    let (state, base, token) = start_with(
        temp.path(),
        &[
            ("OPCMS_TEST_CLOCK", "true".into()),
            ("OPCMS_JOBS_ENABLED", "false".into()),
            ("OPCMS_USAGE_SOURCES", source.to_string()),
        ],
    )
    .await?;
    let db = &state.db;
    let api = Api {
        client: reqwest::Client::builder().timeout(Duration::from_secs(1800)).build()?,
        base,
        token,
    };

    let seeding = Instant::now();
    seed_customers(db, customers, "任务基准").await?;
    api.set_clock("2026-11-01T03:05:00+08:00").await?;
    let plan = api
        .call(
            reqwest::Method::POST,
            "/price-plans",
            json!({"name": "任务基准方案", "effective_from": "2026-01", "reason": "基准",
                   "rules": {"X": {"mode": "flat", "unit_price": "0.5"}, "N": {"mode": "flat", "unit_price": "0.1234"},
                             "L": {"mode": "flat", "unit_price": "2"}}}),
        )
        .await?;
    let plan_id = plan["id"].as_i64().ok_or_else(|| anyhow::anyhow!("plan: {plan}"))?;
    assign_plan_to_all(db, plan_id).await?;
    // October's monthly totals and the three months before, level (no spike).
    support::seed_usage_monthly(db, "(100 + (c.id * 7 + length(s.series) * 13) % 900) * 10000").await?;
    opcms::db::refresh_statistics(db).await?;
    println!(
        "seeded {customers} customers, their plan and {} monthly totals in {:.1} s",
        count(db, "usage_monthly").await?,
        seeding.elapsed().as_secs_f64()
    );
    api.call(
        reqwest::Method::PUT,
        "/settings",
        json!({"auto_issue_clean_bills": true}),
    )
    .await?;

    let (took, counts) = api.run("bills.generate", "2026-10").await?;
    step("bills.generate + auto-issue of clean drafts", took, &counts);

    // The first of November's usage, the next night.
    api.set_clock("2026-11-02T02:05:00+08:00").await?;
    let (took, counts) = api.run("usage.collect", "2026-11-01").await?;
    step("usage.collect, one day (300,000 records)", took, &counts);
    let (took, counts) = api.run("usage.collect", "2026-11-01").await?;
    step("usage.collect, the same day again (unchanged)", took, &counts);

    // Due 30 November (payment terms 30 days): overdue from 1 December.
    api.set_clock("2026-12-01T08:05:00+08:00").await?;
    let (took, counts) = api.run("receivables.daily", "2026-12-01").await?;
    step("receivables.daily, every customer into 欠费", took, &counts);
    api.set_clock("2026-12-02T08:05:00+08:00").await?;
    let (took, counts) = api.run("receivables.daily", "2026-12-02").await?;
    step("receivables.daily, nothing to move", took, &counts);
    api.set_clock("2027-01-01T08:05:00+08:00").await?;
    let (took, counts) = api.run("receivables.daily", "2027-01-01").await?;
    step("receivables.daily, every customer into 暂停", took, &counts);

    let (took, counts) = api.run("maintenance.prune", "2027-01-01").await?;
    step("maintenance.prune", took, &counts);
    Ok(())
}
