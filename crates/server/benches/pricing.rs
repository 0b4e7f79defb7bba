//! Pricing throughput and latency. Run with `cargo bench -p opcms --bench
//! pricing` (release build).
//!
//! 1. The engine alone: 1,000,000 evaluations of random rules (a third each
//!    flat, graduated, volume; 1–8 tiers) at random usages, once untimed for
//!    throughput and once with every call timed for p50/p95/p99.
//! 2. Over HTTP against the real server (SQLite, or the server
//!    `OPCMS_BENCH_DATABASE_URL` names): quoting a stored plan
//!    (decrypt the version in force, price three series), a customer's
//!    effective pricing (plus the assignment and overrides), an unsaved plan,
//!    and one volume rule with its cliffs; sequentially, then the plan quote
//!    from concurrent clients.
//!
//! `OPCMS_BENCH_EVALUATIONS`, `OPCMS_BENCH_ROUNDS` (requests per HTTP case),
//! `OPCMS_BENCH_CONCURRENCY` change the sizes.

use std::hint::black_box;
use std::time::{Duration, Instant};

use opcms_domain::pricing::{Mode, Rule, Tier, Usage, price};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use support::{env_number, percentile, start};

mod support;

/// A price of 0.0001 to 2.0000, four decimals as written in plans.
fn random_price(rng: &mut StdRng) -> Decimal {
    Decimal::new(rng.random_range(1..=20_000), 4)
}

fn random_rule(rng: &mut StdRng) -> Rule {
    let mode = [Mode::Flat, Mode::Graduated, Mode::Volume][rng.random_range(0..3)];
    if mode == Mode::Flat {
        return Rule::flat(random_price(rng)).expect("a valid flat rule");
    }
    let count = rng.random_range(1..=8);
    let mut up_to = Decimal::ZERO;
    let tiers = (0..count)
        .map(|i| {
            let bound = if i + 1 == count {
                None
            } else {
                up_to += Decimal::new(rng.random_range(1_000..=200_000_000), 4);
                Some(up_to)
            };
            Tier {
                up_to: bound,
                unit_price: random_price(rng),
            }
        })
        .collect();
    Rule::tiered(mode, tiers).expect("a valid tiered rule")
}

/// 0 to 100,000 with four decimals.
fn random_usage(rng: &mut StdRng) -> Usage {
    Usage::new(Decimal::new(rng.random_range(0..=1_000_000_000), 4)).expect("a valid usage")
}

/// One row: rate, then p50/p95/p99 in ms, times `scale` (1000: µs).
fn print_latencies(label: &str, samples: &mut [Duration], ops_per_sec: f64, scale: f64) {
    samples.sort_unstable();
    println!(
        "{label:<38} {:>12.0} {:>10.3} {:>10.3} {:>10.3}",
        ops_per_sec,
        percentile(samples, 0.50) * scale,
        percentile(samples, 0.95) * scale,
        percentile(samples, 0.99) * scale,
    );
    support::figure(label, format!("{ops_per_sec:.0}/s"));
}

fn engine(evaluations: usize) {
    let mut rng = StdRng::seed_from_u64(20261123);
    let rules: Vec<Rule> = (0..1_000).map(|_| random_rule(&mut rng)).collect();
    let work: Vec<(usize, Usage)> = (0..evaluations)
        .map(|_| (rng.random_range(0..rules.len()), random_usage(&mut rng)))
        .collect();

    // Throughput: no clock inside the loop.
    let started = Instant::now();
    for (rule, usage) in &work {
        black_box(price(black_box(&rules[*rule]), *usage).expect("priced"));
    }
    let throughput = evaluations as f64 / started.elapsed().as_secs_f64();

    // Latency: every call timed (the clock adds ~20–40 ns to each sample).
    let mut all = Vec::with_capacity(evaluations);
    let mut by_mode: [Vec<Duration>; 3] = Default::default();
    for (rule, usage) in &work {
        let rule = &rules[*rule];
        let call = Instant::now();
        black_box(price(black_box(rule), *usage).expect("priced"));
        let elapsed = call.elapsed();
        all.push(elapsed);
        by_mode[rule.mode() as usize].push(elapsed);
    }
    println!("engine: {evaluations} evaluations of 1,000 random rules");
    println!("(per-mode ops/s from the timed pass, which adds the clock's cost to each call)");
    println!(
        "{:<38} {:>12} {:>10} {:>10} {:>10}",
        "", "ops/s", "p50 µs", "p95 µs", "p99 µs"
    );
    print_latencies("all modes", &mut all, throughput, 1000.0);
    for mode in Mode::ALL {
        let samples = &mut by_mode[mode as usize];
        let count = samples.len();
        let total: Duration = samples.iter().sum();
        print_latencies(
            &format!("{} ({count})", mode.code()),
            samples,
            count as f64 / total.as_secs_f64(),
            1000.0,
        );
    }
    println!();
}

async fn post(client: &reqwest::Client, url: &str, token: &str, body: &Value) -> anyhow::Result<Value> {
    let response = client.post(url).bearer_auth(token).json(body).send().await?;
    let status = response.status();
    let body: Value = response.json().await?;
    anyhow::ensure!(status.is_success(), "{url}: {status} {body}");
    Ok(body)
}

async fn http(rounds: usize, concurrency: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (_, base, admin) = start(dir.path()).await?;
    let client = reqwest::Client::new();

    let rules = json!({
        "X": {"mode": "flat", "unit_price": "0.1234"},
        "N": {"mode": "graduated", "tiers": [
            {"up_to": "1000", "unit_price": "0.5000"}, {"up_to": "5000", "unit_price": "0.4000"}, {"up_to": null, "unit_price": "0.3000"}
        ]},
        "L": {"mode": "volume", "tiers": [{"up_to": "200", "unit_price": "2.0000"}, {"up_to": null, "unit_price": "1.5000"}]}
    });
    let plan = json!({"name": "基准方案", "effective_from": "2025-01", "minimum_charge": "500.00", "rules": rules});
    let plan_id = post(&client, &format!("{base}/api/v1/price-plans"), &admin, &plan).await?["id"].clone();
    for month in ["2025-04", "2025-07", "2025-10"] {
        let version = json!({"effective_from": month, "minimum_charge": "500.00", "rules": rules, "reason": "基准"});
        post(
            &client,
            &format!("{base}/api/v1/price-plans/{plan_id}/versions"),
            &admin,
            &version,
        )
        .await?;
    }
    let customer = json!({"company_name": "基准客户", "device_series": ["X", "N", "L"]});
    let customer_id = post(&client, &format!("{base}/api/v1/customers"), &admin, &customer).await?["id"].clone();
    let assignment = json!({"plan_id": plan_id, "overrides": {"X": {"mode": "flat", "unit_price": "0.1000"}}});
    let response = client
        .put(format!("{base}/api/v1/customers/{customer_id}/pricing"))
        .bearer_auth(&admin)
        .json(&assignment)
        .send()
        .await?;
    anyhow::ensure!(response.status().is_success(), "assign: {}", response.status());

    let usage = json!({"X": "10000", "N": "6000", "L": "300"});
    let quote_url = format!("{base}/api/v1/pricing/quote");
    let plan_quote = json!({"plan_id": plan_id, "period": "2025-11", "usage": usage});
    let cases = [
        ("stored plan (plan_id)", plan_quote.clone()),
        (
            "customer (plan + overrides)",
            json!({"customer_id": customer_id, "period": "2025-11", "usage": usage}),
        ),
        ("unsaved plan (plan)", json!({"plan": plan, "usage": usage})),
        ("one volume rule + cliffs", json!({"rule": rules["L"], "usage": "300"})),
    ];
    println!(
        "HTTP POST /api/v1/pricing/quote, {}, {rounds} requests per case (sequential)",
        support::backend_name()
    );
    println!(
        "{:<38} {:>12} {:>10} {:>10} {:>10}",
        "", "req/s", "p50 ms", "p95 ms", "p99 ms"
    );
    for (label, body) in &cases {
        // Warm-up: connections, statement caches.
        for _ in 0..20 {
            post(&client, &quote_url, &admin, body).await?;
        }
        let mut samples = Vec::with_capacity(rounds);
        let started = Instant::now();
        for _ in 0..rounds {
            let call = Instant::now();
            black_box(post(&client, &quote_url, &admin, body).await?);
            samples.push(call.elapsed());
        }
        let rate = rounds as f64 / started.elapsed().as_secs_f64();
        print_latencies(label, &mut samples, rate, 1.0);
    }

    let per_client = rounds.div_ceil(concurrency);
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, url, token, body) = (client.clone(), quote_url.clone(), admin.clone(), plan_quote.clone());
            tokio::spawn(async move {
                let mut samples = Vec::with_capacity(per_client);
                for _ in 0..per_client {
                    let call = Instant::now();
                    post(&client, &url, &token, &body).await?;
                    samples.push(call.elapsed());
                }
                anyhow::Ok(samples)
            })
        })
        .collect();
    let mut samples = Vec::with_capacity(per_client * concurrency);
    for task in tasks {
        samples.extend(task.await??);
    }
    let rate = samples.len() as f64 / started.elapsed().as_secs_f64();
    print_latencies(
        &format!("stored plan, {concurrency} concurrent clients"),
        &mut samples,
        rate,
        1.0,
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    engine(env_number("OPCMS_BENCH_EVALUATIONS", 1_000_000));
    http(
        env_number("OPCMS_BENCH_ROUNDS", 2_000),
        env_number("OPCMS_BENCH_CONCURRENCY", 16),
    )
    .await
}
