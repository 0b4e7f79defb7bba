//! Usage at scale (SQLite, or the server `OPCMS_BENCH_DATABASE_URL` names;
//! issue 6 target: a month of 100,000 customers ×
//! 3 series × 31 days = 9.3 million daily records aggregates in < 3 s).
//!
//! 1. One day (300,000 records) goes through the real write path
//!    (`usage::store::write`: customer lookup, checks, insert, monthly totals).
//! 2. The other 30 days are loaded with SQL, and `usage_monthly` is rebuilt
//!    from the 9.3 million records with one `GROUP BY` (the recompute a
//!    repair would do).
//! 3. The month is then read as billing reads it (`month_totals`), and
//!    through the API (`/usage/monthly` with its totals row, a customer's
//!    daily chart, the all-customer daily chart).
//!
//! `OPCMS_BENCH_USAGE_CUSTOMERS` sets the customer count (default 100,000),
//! `OPCMS_BENCH_DATA_DIR` keeps the database. Run with `make bench`.

use std::time::Instant;

use chrono::NaiveDate;
use opcms::audit::Actor;
use opcms::usage::query::month_totals;
use opcms::usage::source::{CustomerRef, Incoming};
use opcms::usage::store::{self, Delivery, Tally};
use opcms_domain::Period;
use opcms_domain::usage::{DayWindow, RawUsage, RawValue, SanityLimits};
use sea_orm::ConnectionTrait;
use serde_json::Value;
use support::{count, env_number, report, seed_customers, start};

mod support;

const MONTH: &str = "2026-10";

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 10, 1).expect("date")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let customers = env_number("OPCMS_BENCH_USAGE_CUSTOMERS", 100_000);
    let kept = std::env::var("OPCMS_BENCH_DATA_DIR").ok();
    let temp = tempfile::tempdir()?;
    let dir = kept.map_or_else(|| temp.path().to_path_buf(), std::path::PathBuf::from);
    let (state, base, token) = start(&dir).await?;
    let db = &state.db;

    let seeding = Instant::now();
    seed_customers(db, customers, "用量基准").await?;
    println!(
        "seeded {customers} customers in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    // 1. One day through the write path, as a collection would deliver it.
    let day = first_day();
    let incoming: Vec<Incoming> = (1..=customers)
        .flat_map(|i| {
            ["X", "N", "L"].map(move |series| Incoming {
                customer: CustomerRef::Account(format!("bench_{i:07}")),
                raw: RawUsage {
                    series: RawValue::text(series),
                    day: RawValue::Date(day),
                    quantity: RawValue::Number(format!("{}.{}", (i * 7) % 1000, i % 10)),
                },
                source_id: Some(format!("{i}-{series}-{day}")),
                original: Value::Null,
                limit_confirmed: false,
                quarantine_key: None,
            })
        })
        .collect();
    let actor = Actor::system();
    let delivery = Delivery {
        source: "api:bench",
        window: DayWindow::Exactly(day),
        limits: SanityLimits::NONE,
        cause: "redelivery",
        reason: None,
        run_id: None,
        actor: &actor,
        context: Value::Null,
        on_existing: store::OnExisting::Add,
        discard_closed: false,
    };
    let started = Instant::now();
    let txn = store::begin(db, &["api:bench"]).await?;
    let tally = Tally::of(&store::write(&txn, &delivery, &incoming).await?);
    txn.commit().await?;
    let first = started.elapsed();
    let started = Instant::now();
    let txn = store::begin(db, &["api:bench"]).await?;
    let again = Tally::of(&store::write(&txn, &delivery, &incoming).await?);
    txn.commit().await?;
    let redelivery = started.elapsed();
    println!(
        "one day through the write path: {} records created in {:.1} s ({:.0} records/s); \
         delivered again ({} unchanged) in {:.1} s",
        tally.created,
        first.as_secs_f64(),
        tally.created as f64 / first.as_secs_f64(),
        again.unchanged,
        redelivery.as_secs_f64()
    );
    support::figure(
        "one day (300,000 records) through the write path",
        format!("{:.1} s", first.as_secs_f64()),
    );
    support::figure(
        "the same day delivered again",
        format!("{:.1} s", redelivery.as_secs_f64()),
    );

    // 2. The rest of the month by SQL, then the monthly totals rebuilt.
    let started = Instant::now();
    let sql = support::Dialect(db.get_database_backend());
    let at = sql.timestamp("2026-11-01 00:00:00");
    db.execute_unprepared(&format!(
        "INSERT INTO usage_records (customer_id, series, day, month, quantity, source, source_id, revisions, \
           created_at, updated_at) \
         SELECT c.id, s.series, {day}, 202610, ((c.id * 7 + d.i * 13) % 1000) * 10000, \
           'api:bench', {source_id}, 0, {at}, {at} \
         FROM {days} CROSS JOIN customers c CROSS JOIN {series}",
        day = sql.add_days(&sql.date("2026-09-30"), "d.i"),
        source_id = sql.concat(&["c.id", "'-'", "s.series", "'-'", "d.i"]),
        days = sql.numbers(2, 31, "d"),
        series = sql.values("series", &["'X'", "'N'", "'L'"], "s"),
    ))
    .await?;
    let records = count(db, "usage_records").await?;
    println!(
        "loaded the other 30 days ({records} records in all) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    db.execute_unprepared("DELETE FROM usage_monthly").await?;
    db.execute_unprepared(
        "INSERT INTO usage_monthly (month, customer_id, series, quantity, record_count) \
         SELECT month, customer_id, series, SUM(quantity), COUNT(*) FROM usage_records \
         WHERE month = 202610 GROUP BY month, customer_id, series",
    )
    .await?;
    support::seconds(
        &format!("usage_monthly recomputed from {records} records (GROUP BY)"),
        started.elapsed(),
        "",
    );
    opcms::db::refresh_statistics(db).await?;

    // 3. Reading the month.
    let period = Period::parse(MONTH)?;
    let mut samples = Vec::new();
    let mut rows = 0;
    for _ in 0..5 {
        let started = Instant::now();
        rows = month_totals(db, period)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?
            .len();
        samples.push(started.elapsed());
    }
    report(
        &format!("month totals for billing ({rows} customers × 3 series)"),
        samples,
    );

    let client = reqwest::Client::new();
    let customer_id = customers / 2;
    for (label, path, rounds) in [
        (
            "monthly table, first page + totals row",
            format!("/api/v1/usage/monthly?month={MONTH}"),
            20,
        ),
        (
            "monthly table, search by name",
            format!("/api/v1/usage/monthly?month={MONTH}&q=%E5%9F%BA%E5%87%860050000"),
            20,
        ),
        (
            "one customer's daily chart",
            format!("/api/v1/usage/daily?month={MONTH}&customer_id={customer_id}"),
            20,
        ),
        (
            "one customer's 12-month trend",
            format!("/api/v1/usage/trend?customer_id={customer_id}"),
            20,
        ),
        ("daily records, first page", format!("/api/v1/usage?month={MONTH}"), 20),
        (
            "all customers' daily chart",
            format!("/api/v1/usage/daily?month={MONTH}"),
            5,
        ),
    ] {
        let mut samples = Vec::new();
        for _ in 0..rounds {
            let started = Instant::now();
            let response = client.get(format!("{base}{path}")).bearer_auth(&token).send().await?;
            anyhow::ensure!(response.status().is_success(), "{path}: {}", response.status());
            response.bytes().await?;
            samples.push(started.elapsed());
        }
        report(label, samples);
    }
    Ok(())
}
