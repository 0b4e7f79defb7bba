//! Monthly billing at scale (issue 7 target: generate a month for
//! 100,000 customers × 3 series in < 2 s, regenerate with nothing changed in
//! < 1 s), over HTTP through `POST /bills/generate`.
//!
//! The customers, one tiered price plan assigned to all of them, and the
//! monthly usage totals of the billed month and the three months before
//! (what generation reads for the bills and the spike warnings) are seeded
//! with SQL; the generation itself is the product's code path end to end:
//! reading, pricing, verification, bill numbers, the insert, the run record
//! and the audit entry, in one transaction.
//!
//! Then the month close over the same month (issue 21): the 月结工作台
//! overview and the home summary, and issuing every clean draft at once.
//!
//! `OPCMS_BENCH_BILLING_CUSTOMERS` sets the customer count (default
//! 100,000), `OPCMS_BENCH_DATA_DIR` keeps the database,
//! `OPCMS_BENCH_DATABASE_URL` runs it on MariaDB/MySQL or PostgreSQL. Run
//! with `make bench`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{assign_plan_to_all, count, env_number, figure, report, seed_customers, seed_usage_monthly, start};

mod support;

const PERIOD: &str = "2026-10";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let customers = env_number("OPCMS_BENCH_BILLING_CUSTOMERS", 100_000);
    let kept = std::env::var("OPCMS_BENCH_DATA_DIR").ok();
    let temp = tempfile::tempdir()?;
    let dir = kept.map_or_else(|| temp.path().to_path_buf(), std::path::PathBuf::from);
    let (state, base, token) = start(&dir).await?;
    let db = &state.db;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(600)).build()?;

    let seeding = Instant::now();
    seed_customers(db, customers, "账单基准").await?;
    let tiers = json!({"mode": "graduated", "tiers": [
        {"up_to": "300", "unit_price": "0.5000"}, {"up_to": "600", "unit_price": "0.4000"},
        {"up_to": null, "unit_price": "0.3000"}]});
    let plan: Value = client
        .post(format!("{base}/api/v1/price-plans"))
        .bearer_auth(&token)
        .json(
            &json!({"name": "基准方案", "effective_from": "2026-01", "minimum_charge": "100",
                      "rules": {"X": tiers, "N": {"mode": "flat", "unit_price": "0.1234"},
                                "L": {"mode": "volume", "tiers": [{"up_to": "500", "unit_price": "2"},
                                                                  {"up_to": null, "unit_price": "1.5"}]}},
                      "reason": "基准"}),
        )
        .send()
        .await?
        .json()
        .await?;
    let plan_id = plan["id"].as_i64().ok_or_else(|| anyhow::anyhow!("plan: {plan}"))?;
    assign_plan_to_all(db, plan_id).await?;
    // Monthly totals of the billed month and the three before it; the
    // billed month is a little higher so some customers spike.
    seed_usage_monthly(
        db,
        "((c.id * 7 + length(s.series) * 13) % 1000) * 10000 * \
         (CASE WHEN c.id % 50 = 0 AND m.month = 202610 THEN 3 ELSE 1 END)",
    )
    .await?;
    opcms::db::refresh_statistics(db).await?;
    println!(
        "seeded {customers} customers, their plan and 4 months of monthly totals ({} rows) in {:.1} s",
        count(db, "usage_monthly").await?,
        seeding.elapsed().as_secs_f64()
    );

    let generate = || async {
        let started = Instant::now();
        let response = client
            .post(format!("{base}/api/v1/bills/generate"))
            .bearer_auth(&token)
            .json(&json!({"period": PERIOD}))
            .send()
            .await?;
        anyhow::ensure!(response.status().is_success(), "generate: {}", response.status());
        let run: Value = response.json().await?;
        Ok::<_, anyhow::Error>((started.elapsed(), run))
    };
    let (first, run) = generate().await?;
    println!(
        "first generation: {} bills created ({} with warnings) in {:.2} s",
        run["created"],
        run["warnings"],
        first.as_secs_f64()
    );
    figure("first generation", format!("{:.2} s", first.as_secs_f64()));
    anyhow::ensure!(run["created"].as_u64() == Some(customers as u64), "created: {run}");
    let mut samples = Vec::new();
    for _ in 0..5 {
        let (elapsed, run) = generate().await?;
        anyhow::ensure!(run["unchanged"].as_u64() == Some(customers as u64), "unchanged: {run}");
        samples.push(elapsed);
    }
    report("regeneration, nothing changed (all unchanged)", samples);

    for (label, path) in [
        (
            "bill list, first page + totals",
            format!("/api/v1/bills?period={PERIOD}"),
        ),
        (
            "bill list, with warnings",
            format!("/api/v1/bills?period={PERIOD}&has_warnings=true"),
        ),
    ] {
        let mut samples = Vec::new();
        for _ in 0..20 {
            let started = Instant::now();
            let response = client.get(format!("{base}{path}")).bearer_auth(&token).send().await?;
            anyhow::ensure!(response.status().is_success(), "{path}: {}", response.status());
            response.bytes().await?;
            samples.push(started.elapsed());
        }
        report(label, samples);
    }

    // The month close at this scale: the cockpit and the home page read the
    // whole month, then every clean draft is issued in one action.
    let get = |path: String| {
        let client = client.clone();
        let (base, token) = (base.clone(), token.clone());
        async move {
            let started = Instant::now();
            let response = client.get(format!("{base}{path}")).bearer_auth(&token).send().await?;
            anyhow::ensure!(response.status().is_success(), "{path}: {}", response.status());
            let body: Value = response.json().await?;
            Ok::<_, anyhow::Error>((started.elapsed(), body))
        }
    };
    for (label, path) in [
        (
            "month close overview (月结工作台)",
            format!("/api/v1/close/overview?period={PERIOD}"),
        ),
        ("home summary (all customers)", "/api/v1/home/summary".to_string()),
    ] {
        let mut samples = Vec::new();
        for _ in 0..10 {
            samples.push(get(path.clone()).await?.0);
        }
        report(label, samples);
    }
    let (preview, clean) = get(format!(
        "/api/v1/bills?period={PERIOD}&status=draft&has_warnings=false&page_size=1"
    ))
    .await?;
    let (count, total) = (clean["totals"]["count"].clone(), clean["totals"]["total"].clone());
    let started = Instant::now();
    let response = client
        .post(format!("{base}/api/v1/bills/batch-issue"))
        .bearer_auth(&token)
        .json(&json!({"filter": {"period": PERIOD, "has_warnings": false},
                      "expected_count": count, "expected_total": total}))
        .send()
        .await?;
    anyhow::ensure!(response.status().is_success(), "batch issue: {}", response.status());
    let issued: Value = response.json().await?;
    let issuing = started.elapsed();
    println!(
        "issue all clean drafts: count and total in {:.0} ms, {} bills ({} CNY) issued in {:.2} s",
        preview.as_secs_f64() * 1000.0,
        issued["issued"],
        issued["issued_total"],
        issuing.as_secs_f64()
    );
    figure("issue all clean drafts", format!("{:.2} s", issuing.as_secs_f64()));
    anyhow::ensure!(issued["issued"] == count, "issued: {issued}");
    let (after, overview) = get(format!("/api/v1/close/overview?period={PERIOD}")).await?;
    println!(
        "month close overview after issue: {:.0} ms, next step {}",
        after.as_secs_f64() * 1000.0,
        overview["next_step"]
    );
    // Now every customer owes: the summary reads the aging of them all.
    let mut samples = Vec::new();
    for _ in 0..10 {
        samples.push(get("/api/v1/home/summary".to_string()).await?.0);
    }
    report("home summary, every customer owing", samples);
    Ok(())
}
