//! Seeds 100,000 customers into a fresh database (SQLite, or the server
//! `OPCMS_BENCH_DATABASE_URL` names), starts the real server, and prints p50/p95/p99 latencies of the main customer queries over
//! HTTP. Run with `make bench` (release build). Target (issue 3): p95 < 30 ms.
//!
//! `OPCMS_BENCH_CUSTOMERS` changes the count; `OPCMS_BENCH_ROUNDS` the
//! requests per query.

use std::time::Instant;

use chrono::{NaiveDate, Utc};
use opcms::customers::entity::{customer, tag};
use opcms::customers::model::apply_profile;
use opcms_domain::customer::profile::validate;
use opcms_domain::customer::{DateInput, RawProfile, SeriesInput};
use sea_orm::{ActiveValue::Set, EntityTrait, TransactionTrait};
use serde_json::{Value, json};
use support::{env_number, percentile, sign_in, start};

mod support;

const INDUSTRIES: [&str; 6] = ["房地产开发", "物业管理", "长租公寓", "酒店", "商业地产", "其他"];
const CITIES: [&str; 8] = ["上海", "北京", "深圳", "广州", "成都", "武汉", "南京", "西安"];
const WORDS: [&str; 10] = [
    "锦城", "远洋", "万嘉", "鸿运", "时代", "龙湖", "融创", "世茂", "金辉", "嘉禾",
];
const STATUSES: [&str; 5] = ["trial", "active", "active", "arrears", "suspended"];

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let count = env_number("OPCMS_BENCH_CUSTOMERS", 100_000);
    let rounds = env_number("OPCMS_BENCH_ROUNDS", 200);
    let dir = tempfile::tempdir()?;
    // OPCMS_BENCH_DATA_DIR keeps the seeded database for inspection.
    let data_dir = std::env::var("OPCMS_BENCH_DATA_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or(dir.path().to_path_buf());
    let (state, base, admin) = start(&data_dir).await?;
    let client = reqwest::Client::new();

    // One sales user besides the admin.
    let sales: Value = client
        .post(format!("{base}/api/v1/users"))
        .bearer_auth(&admin)
        .json(&json!({"username": "bench.sales", "password": "Start12345", "role": "sales", "display_name": "销售"}))
        .send()
        .await?
        .json()
        .await?;
    let sales_id = sales["id"].as_i64().unwrap_or_default();

    // Seed through the same profile rules and row mapping the API uses.
    let seeding = Instant::now();
    let now = Utc::now();
    let txn = state.db.begin().await?;
    let mut batch = Vec::with_capacity(500);
    let mut tags = Vec::new();
    for i in 0..count {
        let raw = RawProfile {
            company_name: Some(format!(
                "{}{}{}物业有限公司{i}",
                CITIES[i % 8],
                WORDS[i % 10],
                WORDS[(i / 10) % 10]
            )),
            industry: Some(INDUSTRIES[i % 6].into()),
            level: Some(["A", "B", "C"][i % 3].into()),
            region: Some(format!("{}市", CITIES[(i / 3) % 8])),
            contact_name: Some(format!("联系人{i}")),
            contact_phone: Some(format!("138{:08}", i)),
            contact_email: Some(format!("c{i}@example.cn")),
            account_id: Some(format!("acct_{i:08}")),
            account_status: Some(STATUSES[i % 5].into()),
            device_series: Some(SeriesInput::List(vec![["X", "N", "L"][i % 3].into()])),
            signed_at: Some(DateInput::Date(
                NaiveDate::from_ymd_opt(2019 + (i % 7) as i32, 1 + (i % 12) as u32, 1 + (i % 28) as u32)
                    .unwrap_or_default(),
            )),
            ..RawProfile::default()
        };
        let profile = validate(&raw).map_err(|e| anyhow::anyhow!("seed row {i}: {e:?}"))?;
        let mut row = customer::ActiveModel {
            account_status: Set(profile.account_status.code().into()),
            sales_owner_id: Set((i % 20 == 0).then_some(sales_id)),
            ops_owner_id: Set(None),
            payment_terms_days: Set(15),
            version: Set(1),
            created_at: Set(now),
            created_by: Set(None),
            updated_at: Set(now),
            updated_by: Set(None),
            is_deleted: Set(false),
            deleted_at: Set(None),
            ..Default::default()
        };
        apply_profile(&mut row, &profile, &format!("C{:06}", i + 1), &state.keyring)?;
        batch.push(row);
        if i % 50 == 0 {
            tags.push(tag::ActiveModel {
                customer_id: Set(i as i64 + 1),
                tag: Set("VIP".into()),
            });
        }
        if batch.len() == 500 {
            customer::Entity::insert_many(std::mem::take(&mut batch))
                .exec_without_returning(&txn)
                .await?;
        }
    }
    if !batch.is_empty() {
        customer::Entity::insert_many(batch)
            .exec_without_returning(&txn)
            .await?;
    }
    for chunk in tags.chunks(500) {
        tag::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    // As an import does after a bulk load.
    opcms::db::refresh_statistics(&state.db).await?;
    println!("seeded {count} customers in {:.1} s\n", seeding.elapsed().as_secs_f64());

    let sales_token = sign_in(&client, &base, "bench.sales", "Start12345", "Sales12345").await?;

    let middle = count / 2;
    let queries: Vec<(&str, String, &str)> = vec![
        ("list, first page", "/api/v1/customers".into(), &admin),
        (
            "list, page 100 by name",
            "/api/v1/customers?page=100&sort=company_name".into(),
            &admin,
        ),
        ("search name substring", "/api/v1/customers?q=锦城远洋".into(), &admin),
        ("search 2 characters", "/api/v1/customers?q=锦城".into(), &admin),
        ("search, no match", "/api/v1/customers?q=不存在的公司".into(), &admin),
        ("search 2 characters, none", "/api/v1/customers?q=zq".into(), &admin),
        (
            "search customer code",
            format!("/api/v1/customers?q=C{:06}", middle),
            &admin,
        ),
        (
            "search exact phone",
            format!("/api/v1/customers?q=138{:08}", middle),
            &admin,
        ),
        (
            "filter status+level",
            "/api/v1/customers?status=active&level=A".into(),
            &admin,
        ),
        (
            "filter industry+series",
            "/api/v1/customers?industry=酒店&series=X,N".into(),
            &admin,
        ),
        (
            "filter region+signed range",
            "/api/v1/customers?region=上海&signed_from=2022-01-01&signed_to=2022-12-31".into(),
            &admin,
        ),
        ("filter tag", "/api/v1/customers?tags=VIP".into(), &admin),
        ("sales: own customers", "/api/v1/customers".into(), &sales_token),
        ("sales: search own", "/api/v1/customers?q=物业".into(), &sales_token),
        ("get one", format!("/api/v1/customers/{middle}"), &admin),
    ];
    println!(
        "{:<30} {:>9} {:>9} {:>9} {:>8}",
        format!("query ({}, HTTP)", support::backend_name()),
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "total"
    );
    for (label, path, token) in queries {
        let mut samples = Vec::with_capacity(rounds);
        let mut total = Value::Null;
        for _ in 0..rounds {
            let started = Instant::now();
            let response = client.get(format!("{base}{path}")).bearer_auth(token).send().await?;
            let status = response.status();
            let body: Value = response.json().await?;
            samples.push(started.elapsed());
            anyhow::ensure!(status.is_success(), "{label}: {status} {body}");
            total = body.get("total").cloned().unwrap_or(json!(1));
        }
        samples.sort();
        let (p50, p95, p99) = (
            percentile(&samples, 0.50),
            percentile(&samples, 0.95),
            percentile(&samples, 0.99),
        );
        println!("{label:<30} {p50:>9.2} {p95:>9.2} {p99:>9.2} {total:>8}");
        support::figure(label, format!("p50 {p50:.1} / p95 {p95:.1} / p99 {p99:.1} ms"));
    }

    // 选择全部筛选结果 among them all: one plan for a sales person's 5,000
    // customers, and a filter too wide for one action (refused up front).
    let plan: Value = client
        .post(format!("{base}/api/v1/price-plans"))
        .bearer_auth(&admin)
        .json(&json!({"name": "批量基准方案", "effective_from": "2026-01",
                      "rules": {"X": {"mode": "flat", "unit_price": "0.5"},
                                "N": {"mode": "flat", "unit_price": "0.1"},
                                "L": {"mode": "flat", "unit_price": "2"}},
                      "reason": "基准"}))
        .send()
        .await?
        .json()
        .await?;
    anyhow::ensure!(plan["id"].is_i64(), "plan: {plan}");
    println!(
        "\n{:<44} {:>9} {:>9}",
        format!("bulk action by filter ({}, HTTP)", support::backend_name()),
        "ms",
        "customers"
    );
    let owned = count.div_ceil(20) as u64;
    for (label, filter, expected) in [
        (
            "set price plan, one owner's customers",
            json!({"sales_owner_id": sales_id}),
            Some(owned),
        ),
        ("set price plan, filter too wide (400)", json!({}), None),
    ] {
        let started = Instant::now();
        let response = client
            .post(format!("{base}/api/v1/customers/batch"))
            .bearer_auth(&admin)
            .json(&json!({"action": "set_price_plan", "plan_id": plan["id"], "filter": filter}))
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await?;
        let elapsed = started.elapsed();
        let as_expected = match expected {
            Some(n) => status.is_success() && body["succeeded"].as_u64() == Some(n),
            None => status == 400,
        };
        anyhow::ensure!(as_expected, "{label}: {status} {body}");
        let ms = elapsed.as_secs_f64() * 1000.0;
        println!(
            "{label:<44} {ms:>9.1} {:>9}",
            body.get("succeeded").cloned().unwrap_or(json!(0))
        );
        support::figure(label, format!("{ms:.0} ms"));
    }
    Ok(())
}
