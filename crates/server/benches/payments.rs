//! Write-off speed. Run with `cargo bench -p opcms --bench payments`
//! (release build).
//!
//! 1. The suggestion search alone over 200 open bills: when a subset exists
//!    deep in the list, and when none does (the search runs out its step
//!    budget): the bound that keeps `GET /payments/{id}/suggestions` fast.
//! 2. Over HTTP against the real server (SQLite, or the server
//!    `OPCMS_BENCH_DATABASE_URL` names), one customer with 200
//!    issued bills: the suggestions endpoint, then 200 allocations (each a
//!    transaction locking the payment and a bill) and their reversals.
//!
//! `OPCMS_BENCH_ROUNDS` changes the number of timed requests per case.

use std::hint::black_box;
use std::time::{Duration, Instant};

use opcms_domain::Period;
use opcms_domain::payments::{OpenBill, SuggestionKind, suggest};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use support::{env_number, report, send, start};

mod support;

fn open_bills(amounts: &[i64]) -> Vec<OpenBill> {
    let period = Period::from_key(202601).expect("period");
    amounts
        .iter()
        .enumerate()
        .map(|(i, cents)| OpenBill {
            bill_id: i as i64,
            bill_no: format!("B202601-{i:06}"),
            period,
            due_date: None,
            outstanding: Decimal::new(*cents, 2),
        })
        .collect()
}

fn search(rounds: usize) {
    // Bills of 10.00–400.00 in whole tens and three odd ones that make the
    // target; and the same bills against a target no subset reaches.
    let mut amounts: Vec<i64> = (0..197).map(|i| 1_000 * (i % 40 + 1)).collect();
    amounts.insert(40, 40_001);
    amounts.insert(120, 30_001);
    amounts.insert(190, 30_001);
    let bills = open_bills(&amounts);
    let cases = [
        ("subset deep in 200 bills", Decimal::new(100_003, 2), true),
        ("no subset (budget runs out)", Decimal::new(100_007, 2), false),
    ];
    println!("suggestion search, 200 open bills, {rounds} runs each");
    for (label, target, expect_subset) in cases {
        let mut samples = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let started = Instant::now();
            let found = black_box(suggest(black_box(target), &bills));
            samples.push(started.elapsed());
            let has_subset = found.iter().any(|s| s.kind == SuggestionKind::Subset);
            assert_eq!(has_subset, expect_subset, "{label}");
        }
        report(label, samples);
    }
    println!();
}

async fn http(rounds: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (_, base, admin) = start(dir.path()).await?;
    let client = reqwest::Client::new();
    let post = |path: &str, body: Value| client.post(format!("{base}{path}")).bearer_auth(&admin).json(&body);

    let customer = send(post(
        "/api/v1/customers",
        json!({"company_name": "核销基准有限公司", "device_series": ["X"]}),
    ))
    .await?;
    let customer_id = customer["id"].as_i64().unwrap_or_default();
    let mut bill_ids = Vec::new();
    for i in 0..200 {
        let amount = format!("{}.{:02}", 100 + i * 7, i % 100);
        let bill = send(post(
            "/api/v1/bills",
            json!({"customer_id": customer_id, "period": "2026-01",
                   "lines": [{"description": "服务费", "amount": amount}]}),
        ))
        .await?;
        let id = bill["id"].as_i64().unwrap_or_default();
        send(post(&format!("/api/v1/bills/{id}/issue"), json!({}))).await?;
        bill_ids.push(id);
    }
    let payment = send(post(
        "/api/v1/payments",
        json!({"customer_id": customer_id, "amount": "100000.00", "received_at": "2026-02-01",
               "method": "bank_transfer", "reference": "BENCH-1"}),
    ))
    .await?;
    let payment_id = payment["id"].as_i64().unwrap_or_default();

    println!("HTTP, {}, one customer with 200 issued bills", support::backend_name());
    let url = format!("{base}/api/v1/payments/{payment_id}/suggestions");
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        black_box(send(client.get(&url).bearer_auth(&admin)).await?);
        samples.push(started.elapsed());
    }
    report("GET /payments/{id}/suggestions", samples);

    let mut allocations = Vec::with_capacity(bill_ids.len());
    let mut samples: Vec<Duration> = Vec::with_capacity(bill_ids.len());
    for bill_id in &bill_ids {
        let started = Instant::now();
        let result = send(post(
            &format!("/api/v1/payments/{payment_id}/allocations"),
            json!({"allocations": [{"bill_id": bill_id, "amount": "1.00"}]}),
        ))
        .await?;
        samples.push(started.elapsed());
        allocations.push(result["allocations"][0]["id"].as_i64().unwrap_or_default());
    }
    report("POST /payments/{id}/allocations (1 bill)", samples);
    let started = Instant::now();
    let lines: Vec<Value> = bill_ids
        .iter()
        .map(|id| json!({"bill_id": id, "amount": "1.00"}))
        .collect();
    send(post(
        &format!("/api/v1/payments/{payment_id}/allocations"),
        json!({"allocations": lines}),
    ))
    .await?;
    report("POST /payments/{id}/allocations (200 bills)", vec![started.elapsed()]);
    let mut samples = Vec::with_capacity(allocations.len());
    for id in allocations {
        let started = Instant::now();
        send(post(
            &format!("/api/v1/allocations/{id}/reverse"),
            json!({"reason": "基准"}),
        ))
        .await?;
        samples.push(started.elapsed());
    }
    report("POST /allocations/{id}/reverse", samples);
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let rounds = env_number("OPCMS_BENCH_ROUNDS", 200);
    search(rounds);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(http(rounds))
}
