//! One month's close for 1,320 customers (the users' real size), over HTTP
//! (SQLite, or the server `OPCMS_BENCH_DATABASE_URL` names), step by step as the 月结 is done:
//!
//! 1. a month's backfill from a usage vendor (the mock vendor the tests use,
//!    a real HTTP server on a local port), then the same range again;
//! 2. 6,000 quarantined records resolved by filter: 3,000 discarded, 3,000
//!    corrected (re-checked and written to usage);
//! 3. a price plan set for every customer by filter (`POST /customers/batch`);
//! 4. the month generated, and every clean draft issued by filter;
//! 5. the bank statement of the month's receipts, one line per bill, imported
//!    with automatic allocation (dry run, then for real), and a customer's
//!    statement PDF.
//!
//! `OPCMS_BENCH_CLOSE_CUSTOMERS` changes the customer count (default 1,320).
//! Run with `make bench`.

use std::time::{Duration, Instant};

use opcms::usage::mock_vendor::MockVendor;
use opcms_domain::Period;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use support::{env_number, seed_customers, send, start_with};

mod support;

/// Prints one step's time.
fn step(label: &str, elapsed: Duration) {
    support::seconds(label, elapsed, "");
}

struct Api {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn send(&self, request: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        send(request.bearer_auth(&self.token)).await
    }

    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.send(self.client.post(format!("{}{path}", self.base)).json(&body))
            .await
    }

    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.send(self.client.get(format!("{}{path}", self.base))).await
    }

    async fn upload(&self, path: &str, name: &str, file: &str) -> anyhow::Result<Value> {
        let form = Form::new().part(
            "file",
            Part::bytes(file.as_bytes().to_vec()).file_name(name.to_string()),
        );
        self.send(self.client.post(format!("{}{path}", self.base)).multipart(form))
            .await
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let customers = env_number("OPCMS_BENCH_CLOSE_CUSTOMERS", 1_320);
    let accounts: Vec<String> = (1..=customers).map(|i| format!("bench_{i:07}")).collect();
    let vendor = MockVendor::start("127.0.0.1:0".parse()?, accounts).await?;
    let source = json!([{
        "name": "vendor", "base_url": vendor.base_url(), "path": "/v1/usage",
        "auth_header": "Authorization", "auth_token": "Bearer test-token",
        "records_path": "data.items", "pagination": {"kind": "page", "page_size": 500},
        "fields": {"account_id": "account", "series": "series", "day": "date", "quantity": "qty",
                   "source_id": "id"}
    }]);
    let dir = tempfile::tempdir()?;
    let (state, base, token) = start_with(dir.path(), &[("OPCMS_USAGE_SOURCES", source.to_string())]).await?;
    seed_customers(&state.db, customers, "月结基准").await?;
    // A backfill of a month outlasts a default client timeout.
    let client = reqwest::Client::builder().timeout(Duration::from_secs(1800)).build()?;
    let api = Api { client, base, token };
    println!(
        "month close, {}, over HTTP, {customers} customers\n",
        support::backend_name()
    );

    // 1. Last month, whole, from the vendor.
    let today = opcms::calendar::business_today();
    let month = Period::of_date(today)
        .previous()
        .ok_or_else(|| anyhow::anyhow!("no previous month"))?;
    let (from, to) = (month.first_day(), month.last_day());
    let range = json!({"from": from, "to": to, "source": "vendor"});
    let started = Instant::now();
    let collected = api.post("/api/v1/usage/collect", range.clone()).await?;
    let runs = collected["runs"].as_array().map_or(0, Vec::len);
    let created: i64 = collected["runs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| r["created"].as_i64().unwrap_or(0))
        .sum();
    step(
        &format!("backfill {runs} days from the vendor ({created} records)"),
        started.elapsed(),
    );
    let started = Instant::now();
    api.post("/api/v1/usage/collect", range).await?;
    step("the same month again (all unchanged)", started.elapsed());

    // 2. Quarantine: records of accounts nobody has, resolved by filter.
    for batch in 0..2 {
        let records: Vec<Value> = (0..3000)
            .map(|i| json!({"account_id": format!("ghost{batch}_{i:05}"), "series": "X", "day": to, "quantity": "1"}))
            .collect();
        api.post("/api/v1/usage", json!({"records": records})).await?;
    }
    let started = Instant::now();
    let discarded = api
        .post(
            "/api/v1/usage/quarantine/resolve",
            json!({"filter": {"q": "ghost0_"}, "action": "discard", "note": "无此账号"}),
        )
        .await?;
    step(
        &format!("quarantine: discard {} by filter", discarded["resolved"]),
        started.elapsed(),
    );
    let started = Instant::now();
    let corrected = api
        .post(
            "/api/v1/usage/quarantine/resolve",
            json!({"filter": {"q": "ghost1_"}, "action": "correct", "customer_id": 1, "series": "L"}),
        )
        .await?;
    step(
        &format!("quarantine: correct {} by filter", corrected["resolved"]),
        started.elapsed(),
    );

    // 3. One plan for everyone, set by filter.
    let plan = api
        .post(
            "/api/v1/price-plans",
            json!({"name": "月结基准方案", "effective_from": month.to_string(), "minimum_charge": "10",
                   "rules": {"X": {"mode": "graduated", "tiers": [{"up_to": "300", "unit_price": "0.5"},
                                                                   {"up_to": null, "unit_price": "0.3"}]},
                             "N": {"mode": "flat", "unit_price": "0.1234"},
                             "L": {"mode": "volume", "tiers": [{"up_to": "500", "unit_price": "2"},
                                                                {"up_to": null, "unit_price": "1.5"}]}},
                   "reason": "基准"}),
        )
        .await?;
    let started = Instant::now();
    let set = api
        .post(
            "/api/v1/customers/batch",
            json!({"action": "set_price_plan", "plan_id": plan["id"], "filter": {"status": "active"}}),
        )
        .await?;
    step(
        &format!("price plan set by filter for {} customers", set["succeeded"]),
        started.elapsed(),
    );
    anyhow::ensure!(set["succeeded"].as_u64() == Some(customers as u64), "plan set: {set}");

    // 4. Generate the month, issue every clean draft.
    let started = Instant::now();
    let run = api
        .post("/api/v1/bills/generate", json!({"period": month.to_string()}))
        .await?;
    step(
        &format!("generate the month ({} drafts)", run["created"]),
        started.elapsed(),
    );
    let clean = api
        .get(&format!(
            "/api/v1/bills?period={month}&status=draft&has_warnings=false&page_size=1"
        ))
        .await?;
    let started = Instant::now();
    let issued = api
        .post(
            "/api/v1/bills/batch-issue",
            json!({"filter": {"period": month.to_string(), "has_warnings": false},
                   "expected_count": clean["totals"]["count"], "expected_total": clean["totals"]["total"]}),
        )
        .await?;
    step(
        &format!("issue all clean drafts ({})", issued["issued"]),
        started.elapsed(),
    );

    // 5. The month's receipts: one bank line per issued bill, its amount.
    let mut statement = String::from("交易日期,收入金额,对方户名,交易流水号,客户编号\n");
    let mut lines = 0;
    for page in 1.. {
        let bills = api
            .get(&format!(
                "/api/v1/bills?period={month}&status=issued&page_size=200&page={page}"
            ))
            .await?;
        let items = bills["items"].as_array().cloned().unwrap_or_default();
        for bill in &items {
            lines += 1;
            let (amount, code) = (&bill["total"], &bill["customer"]["customer_code"]);
            let (amount, code) = (amount.as_str().unwrap_or("0"), code.as_str().unwrap_or(""));
            statement.push_str(&format!("{today},{amount},客户{lines},MONTH-{lines:05},{code}\n"));
        }
        if items.len() < 200 {
            break;
        }
    }
    let path = "/api/v1/payments/import?auto_allocate=true";
    let started = Instant::now();
    let dry = api
        .upload(&format!("{path}&dry_run=true"), "流水.csv", &statement)
        .await?;
    step(
        &format!(
            "bank statement dry run, {lines} lines ({} would be allocated)",
            dry["auto_allocated"]
        ),
        started.elapsed(),
    );
    let started = Instant::now();
    let done = api.upload(path, "流水.csv", &statement).await?;
    step(
        &format!("bank statement import ({} allocated)", done["auto_allocated"]),
        started.elapsed(),
    );
    anyhow::ensure!(done["auto_allocated"].as_u64() == Some(lines), "allocated: {done}");

    let started = Instant::now();
    let pdf = api
        .client
        .get(format!("{}/api/v1/customers/1/statement/pdf", api.base))
        .bearer_auth(&api.token)
        .send()
        .await?;
    anyhow::ensure!(pdf.status().is_success(), "statement pdf: {}", pdf.status());
    pdf.bytes().await?;
    step("a customer's statement PDF", started.elapsed());
    Ok(())
}
