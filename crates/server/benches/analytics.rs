//! Analytics at scale (issue 25): the dashboard and each analytics list over
//! HTTP (SQLite, or the server `OPCMS_BENCH_DATABASE_URL` names) with 100,000 customers and 12 months of issued bills,
//! receipts, allocations and usage, as management (every customer) and as a
//! sales user (500 customers). Prints p50/p95 per view; the target is
//! < 100 ms p95 (DESIGN.md §9, §12).
//!
//! The reads come from the snapshots (`analytics::snapshot`). The bench also
//! prints what keeping them costs: computing them from scratch, the nightly
//! job that builds today's lists, and a read right after one receipt is
//! allocated (the read takes the change first: never stale).
//!
//! The data is written by SQL, 12 bills a customer (one in ten left open,
//! one in seven paid late), a receipt and an allocation per paid bill, one
//! usage record a customer and month.
//!
//! `OPCMS_BENCH_ANALYTICS_CUSTOMERS` sets the customer count (default
//! 100,000), `OPCMS_BENCH_ROUNDS` the timed requests per view (default 20).
//! Run with `make bench`.

use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;
use support::{Api, Dialect, count, env_number, report, seed_customers, send, sign_in, start_with};

mod support;

/// The year of data, read on 2027-01-10 (the test clock).
const YEAR: i32 = 2026;

async fn seed(db: &sea_orm::DatabaseConnection, sales_owner: i64, owned: usize) -> anyhow::Result<()> {
    db.execute_unprepared(&format!(
        "UPDATE customers SET sales_owner_id = {sales_owner} WHERE id <= {owned}"
    ))
    .await?;
    // Signed across 2024–2026; contracts ending through 2027.
    let sql = Dialect(db.get_database_backend());
    db.execute_unprepared(&format!(
        "UPDATE customers SET signed_at = {}, contract_end_at = {}",
        sql.add_days(&sql.date("2024-01-01"), "id % 1000"),
        sql.add_days(&sql.date("2027-01-01"), "id % 400"),
    ))
    .await?;
    support::seed_year_of_bills(db, YEAR).await?;
    // One usage record a customer and month (series by customer), falling in
    // the last months for one customer in five (usage drop, idle).
    let at = sql.timestamp("2026-01-01 00:00:00");
    db.execute_unprepared(&format!(
        "INSERT INTO usage_records (customer_id, series, day, month, quantity, source, source_id, revisions, \
           created_at, updated_at) \
         SELECT c.id, substr('XNL', c.id % 3 + 1, 1), {day}, {YEAR} * 100 + m.i, \
           CASE WHEN c.id % 5 = 0 AND m.i >= 11 THEN 100000 ELSE (500 + c.id % 300) * 10000 END, \
           'bench', {source_id}, 0, {at}, {at} \
         FROM customers c CROSS JOIN {months} WHERE NOT (c.id % 25 = 0 AND m.i = 12)",
        day = sql.add_days(&sql.month_start(YEAR, "m.i"), "14"),
        source_id = sql.concat(&["'u'", &sql.pad("c.id", 7), "'-'", &sql.pad("m.i", 2)]),
        months = sql.numbers(1, 12, "m"),
    ))
    .await?;
    opcms::db::refresh_statistics(db).await?;
    Ok(())
}

async fn time_view(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
    rounds: usize,
) -> anyhow::Result<Vec<Duration>> {
    let url = format!("{base}/api/v1{path}");
    // One untimed call: the first read warms the database's cache.
    send(client.get(&url).bearer_auth(token)).await?;
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        send(client.get(&url).bearer_auth(token)).await?;
        samples.push(started.elapsed());
    }
    Ok(samples)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let customers = env_number("OPCMS_BENCH_ANALYTICS_CUSTOMERS", 100_000);
    let rounds = env_number("OPCMS_BENCH_ROUNDS", 20);
    let temp = tempfile::tempdir()?;
    let (state, base, admin) = start_with(temp.path(), &[("OPCMS_TEST_CLOCK", "true".into())]).await?;
    let client = reqwest::Client::new();
    // Read in January 2027: the whole year is history.
    send(
        client
            .put(format!("{base}/api/v1/system/clock"))
            .bearer_auth(&admin)
            .json(&serde_json::json!({"now": "2027-01-10T10:00:00+08:00"})),
    )
    .await?;
    let sales = send(client.post(format!("{base}/api/v1/users")).bearer_auth(&admin).json(
        &serde_json::json!({"username": "bench.sales", "password": "Bench-sales-2026",
                                      "role": "sales", "display_name": "压测销售"}),
    ))
    .await?;
    let sales_id = sales["id"].as_i64().unwrap_or_default();
    let sales_token = sign_in(&client, &base, "bench.sales", "Bench-sales-2026", "Bench-sales-2027").await?;
    let started = Instant::now();
    seed_customers(&state.db, customers, "分析压测").await?;
    seed(&state.db, sales_id, customers.min(500)).await?;
    println!(
        "seeded {} customers, {} bills, {} receipts, {} usage records in {:.1} s",
        count(&state.db, "customers").await?,
        count(&state.db, "bills").await?,
        count(&state.db, "payments").await?,
        count(&state.db, "usage_records").await?,
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let recomputed = opcms::analytics::snapshot::rebuild(&state.db).await?;
    support::seconds(
        "snapshot facts computed from scratch",
        started.elapsed(),
        format!("{recomputed} customers"),
    );
    let api = Api {
        client: client.clone(),
        base: base.clone(),
        token: admin.clone(),
    };
    let (took, counts) = api.run("analytics.refresh", "2027-01-10").await?;
    // It builds today's churn and credit lists, this month's and last month's segments.
    support::seconds("analytics.refresh job", took, counts);
    let views = [
        ("dashboard", "/analytics/dashboard?period=2026-12"),
        ("segments (page 1)", "/analytics/segments?period=2026-12"),
        ("churn-risk (page 1)", "/analytics/churn-risk"),
        ("credit-scores (page 1)", "/analytics/credit-scores"),
        ("usage-trend (12 months)", "/analytics/usage-trend?period=2026-12"),
    ];
    for (who, token) in [("management", admin.as_str()), ("sales (500)", sales_token.as_str())] {
        for (label, path) in views {
            let samples = time_view(&client, &base, token, path, rounds).await?;
            report(&format!("{who}: {label}"), samples);
        }
    }
    // A receipt allocated to an open bill, then the view read at once: the
    // read recomputes that customer (and, for segments, the tier cuts).
    let mut open_customer = 10i64;
    for (label, path) in views.iter().take(4) {
        let mut samples = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            pay_one_yuan(&api, open_customer).await?;
            open_customer += 10;
            let started = Instant::now();
            send(client.get(format!("{base}/api/v1{path}")).bearer_auth(&admin)).await?;
            samples.push(started.elapsed());
        }
        report(&format!("management, right after a receipt: {label}"), samples);
    }
    // A bill issued moves the revenue ranking: the tier cuts are computed
    // again from the period's 100,000 segment rows.
    for (label, path) in [
        ("dashboard", "/analytics/dashboard?period=2027-01"),
        ("segments (page 1)", "/analytics/segments?period=2027-01"),
    ] {
        let mut samples = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            issue_bill(&api, open_customer).await?;
            open_customer += 10;
            let started = Instant::now();
            send(client.get(format!("{base}/api/v1{path}")).bearer_auth(&admin)).await?;
            samples.push(started.elapsed());
        }
        report(&format!("management, right after a bill is issued: {label}"), samples);
    }
    Ok(())
}

/// Issues a manual bill of 10.00 to `customer_id` for January 2027.
async fn issue_bill(api: &Api, customer_id: i64) -> anyhow::Result<()> {
    let bill = api
        .call(
            reqwest::Method::POST,
            "/bills",
            serde_json::json!({"customer_id": customer_id, "period": "2027-01",
                               "lines": [{"description": "服务费", "amount": "10.00"}]}),
        )
        .await?;
    let bill_id = bill["id"].as_i64().unwrap_or_default();
    api.call(
        reqwest::Method::POST,
        &format!("/bills/{bill_id}/issue"),
        serde_json::json!({}),
    )
    .await?;
    Ok(())
}

/// Records a receipt of 1.00 from `customer_id` (one whose bills are left
/// open) and allocates it to the customer's December bill.
async fn pay_one_yuan(api: &Api, customer_id: i64) -> anyhow::Result<()> {
    let bills = api
        .call(
            reqwest::Method::GET,
            &format!("/bills?customer_id={customer_id}&period=2026-12"),
            serde_json::Value::Null,
        )
        .await?;
    let bill_id = bills["items"][0]["id"]
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("no December bill for {customer_id}: {bills}"))?;
    let payment = api
        .call(
            reqwest::Method::POST,
            "/payments",
            serde_json::json!({"customer_id": customer_id, "amount": "1.00", "received_at": "2027-01-10",
                               "method": "bank_transfer", "payer_name": "付款单位"}),
        )
        .await?;
    let payment_id = payment["id"].as_i64().unwrap_or_default();
    api.call(
        reqwest::Method::POST,
        &format!("/payments/{payment_id}/allocations"),
        serde_json::json!({"allocations": [{"bill_id": bill_id, "amount": "1.00"}]}),
    )
    .await?;
    Ok(())
}
