//! Customer import end to end over HTTP (SQLite, or the server
//! `OPCMS_BENCH_DATABASE_URL` names; issue 4 targets: the
//! 1,320-row fixture < 100 ms, a generated 100,000-row file < 8 s): upload,
//! parse, validate, plan, encrypt, write, audit, commit. Run with
//! `make bench` (release build).
//!
//! `OPCMS_BENCH_ROUNDS` sets the fixture rounds; `OPCMS_BENCH_IMPORT_ROWS`
//! the size of the generated file.

use std::time::{Duration, Instant};

use rust_xlsxwriter::Workbook;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use support::{env_number, percentile, start};

mod support;

const FIXTURE: &[u8] = include_bytes!("../tests/fixtures/customers_1320.xlsx");

async fn upload(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    bytes: Vec<u8>,
    dry_run: bool,
) -> anyhow::Result<(Duration, Value)> {
    let started = Instant::now();
    let part = reqwest::multipart::Part::bytes(bytes).file_name("customers.xlsx");
    let response = client
        .post(format!("{base}/api/v1/customers/import?dry_run={dry_run}"))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await?;
    let elapsed = started.elapsed();
    anyhow::ensure!(status.is_success(), "import failed: {status} {body}");
    Ok((elapsed, body))
}

/// A clean sheet of `rows` valid customers in the template's columns.
fn generated(rows: usize) -> anyhow::Result<Vec<u8>> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet_with_constant_memory()?;
    let headers = [
        "客户编号",
        "公司名称",
        "行业类型",
        "客户等级",
        "所在地区",
        "联系人",
        "联系电话",
        "联系邮箱",
        "平台账号",
        "账号状态",
        "设备系列",
        "签约日期",
        "合同到期日",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write(0, c as u16, *h)?;
    }
    let industries = ["房地产开发", "物业管理", "长租公寓", "酒店", "商业地产", "其他"];
    for i in 0..rows {
        let r = i as u32 + 1;
        let values = [
            format!("G{i:07}"),
            format!("生成测试{i}物业有限公司"),
            industries[i % 6].to_string(),
            ["A", "B", "C"][i % 3].to_string(),
            "上海市".to_string(),
            format!("联系人{i}"),
            format!("139{i:08}"),
            format!("g{i}@example.cn"),
            format!("gen_{i:08}"),
            ["正式", "试用", "欠费"][i % 3].to_string(),
            ["X、N", "L", "N"][i % 3].to_string(),
            format!("2023-{:02}-{:02}", 1 + i % 12, 1 + i % 28),
            format!("2026/{}/{}", 1 + i % 12, 1 + i % 28),
        ];
        for (c, v) in values.iter().enumerate() {
            sheet.write(r, c as u16, v.as_str())?;
        }
    }
    Ok(book.save_to_buffer()?)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let rounds = env_number("OPCMS_BENCH_ROUNDS", 20);
    let big_rows = env_number("OPCMS_BENCH_IMPORT_ROWS", 100_000);
    let dir = tempfile::tempdir()?;
    let (state, base, token) = start(dir.path()).await?;
    let client = reqwest::Client::new();
    // The owners the fixture names, so owner resolution is part of the work.
    for (i, name) in [
        "张伟", "王芳", "陈静", "杨磊", "刘洋", "李娜", "赵敏", "周婷", "吴昊", "孙强",
    ]
    .iter()
    .enumerate()
    {
        client
            .post(format!("{base}/api/v1/users"))
            .bearer_auth(&token)
            .json(&json!({"username": format!("owner{i}"), "password": "Start12345", "role": "sales", "display_name": name}))
            .send()
            .await?
            .error_for_status()?;
    }

    // The parser alone, in process, for comparison with the whole import.
    let limits = opcms::spreadsheet::Limits::from_config(&state.config);
    let mut parse = Vec::new();
    for _ in 0..rounds {
        let started = Instant::now();
        let sheet = opcms::spreadsheet::read(FIXTURE, &limits)?;
        parse.push(started.elapsed());
        anyhow::ensure!(sheet.rows.len() == 1321, "rows: {}", sheet.rows.len());
    }
    parse.sort();

    println!(
        "customer import, {}, over HTTP ({rounds} rounds of the 1,320-row fixture)\n",
        support::backend_name()
    );
    println!("{:<44} {:>9} {:>9} {:>9}", "case", "p50 ms", "p95 ms", "max ms");
    let mut dry = Vec::new();
    let mut fresh = Vec::new();
    let mut again = Vec::new();
    for _ in 0..rounds {
        // Start each round from an empty customer table.
        for table in [
            "customer_status_history",
            "customer_tags",
            "customers",
            "audit_logs",
            "customer_imports",
        ] {
            state.db.execute_unprepared(&format!("DELETE FROM {table}")).await?;
        }
        dry.push(upload(&client, &base, &token, FIXTURE.to_vec(), true).await?.0);
        let (elapsed, body) = upload(&client, &base, &token, FIXTURE.to_vec(), false).await?;
        anyhow::ensure!(body["created"] == 1230, "unexpected result: {}", body["counts"]);
        fresh.push(elapsed);
        again.push(upload(&client, &base, &token, FIXTURE.to_vec(), false).await?.0);
    }
    for (label, samples) in [
        ("fixture, parse only (in process)", &mut parse),
        ("fixture, dry run", &mut dry),
        ("fixture, import into an empty table", &mut fresh),
        ("fixture, re-import (all unchanged)", &mut again),
    ] {
        samples.sort();
        let (p50, p95, max) = (
            percentile(samples, 0.5),
            percentile(samples, 0.95),
            percentile(samples, 1.0),
        );
        println!("{label:<44} {p50:>9.1} {p95:>9.1} {max:>9.1}");
        support::figure(label, format!("p50 {p50:.1} / p95 {p95:.1} ms"));
    }

    // The large file goes into a fresh database, as a first bulk load would
    // (the rounds above leave a churned table and search index behind).
    let big_dir = tempfile::tempdir()?;
    let (_, base, token) = start(big_dir.path()).await?;
    let bytes = generated(big_rows)?;
    println!("\ngenerated file: {big_rows} rows, {:.1} MB", bytes.len() as f64 / 1e6);
    let (elapsed, body) = upload(&client, &base, &token, bytes.clone(), false).await?;
    anyhow::ensure!(body["created"] == big_rows, "unexpected result: {}", body["counts"]);
    support::seconds(&format!("{big_rows} rows, import"), elapsed, "");
    let (elapsed, body) = upload(&client, &base, &token, bytes, false).await?;
    anyhow::ensure!(body["unchanged"] == big_rows, "unexpected result: {}", body["counts"]);
    support::seconds(&format!("{big_rows} rows, re-import (all unchanged)"), elapsed, "");
    Ok(())
}
