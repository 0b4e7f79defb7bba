//! `opcms demo` (issue 26): the real binary fills a fresh database, and the
//! HTTP API then shows a company with a year of history — customers in every
//! status, issued and paid bills, receipts, money in every aging bucket, a
//! populated dashboard, staff of all three roles. A second run refuses the
//! now non-empty database and writes nothing; bad options stop before
//! anything is written; the same as-of day gives the same answers on two
//! fresh databases.

use std::process::{Command, Output};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

crate::per_backend_tests!(
    demo_fills_a_fresh_database_and_refuses_a_second_time,
    demo_is_deterministic,
    a_failed_demo_is_taken_out_again
);

const AS_OF: &str = "2026-11-20";
const CUSTOMERS: &str = "40";
const DEMO_PASSWORD: &str = "Demo2026pass";

/// `opcms demo` with `args` on the test's database, as a person runs it.
fn run_demo(app: &TestApp, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_opcms"))
        .arg("demo")
        .args(args)
        .current_dir(app.data_dir())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("OPCMS_DATA_DIR", app.data_dir())
        .env("OPCMS_DATABASE_URL", app.config.database_url.expose())
        .env("OPCMS_DEMO_PASSWORD", DEMO_PASSWORD)
        .env("OPCMS_LOG", "warn")
        .output()
        .expect("run opcms demo")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A server on a fresh database whose business clock reads the as-of day.
async fn app_on_as_of(backend: Backend) -> (TestApp, String) {
    let app = TestApp::spawn_with(backend, |config| config.test_clock = true).await;
    let token = app.admin_token().await;
    let clock = app
        .put(
            "/api/v1/system/clock",
            Some(&token),
            &json!({"now": format!("{AS_OF}T10:00:00+08:00")}),
        )
        .await;
    expect_json(clock, StatusCode::OK).await;
    (app, token)
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    expect_json(app.get(path, token).await, StatusCode::OK).await
}

async fn total(app: &TestApp, token: &str, path: &str) -> i64 {
    get(app, token, path).await["total"].as_i64().unwrap_or(-1)
}

fn amount(value: &Value) -> f64 {
    value.as_str().and_then(|s| s.parse().ok()).unwrap_or(-1.0)
}

async fn demo_fills_a_fresh_database_and_refuses_a_second_time(backend: Backend) {
    let (app, admin) = app_on_as_of(backend).await;

    // Bad options stop before anything is written: usage errors, exit 2.
    for args in [
        vec!["--customers", "5"],
        vec!["--as-of", "2099-01-01"],
        vec!["--as-of", "20-11-2026"],
    ] {
        let out = run_demo(&app, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
    }
    assert_eq!(total(&app, &admin, "/api/v1/customers?page_size=1").await, 0);

    let out = run_demo(&app, &["--as-of", AS_OF, "--customers", CUSTOMERS]);
    assert!(
        out.status.success(),
        "demo failed: {}\n{}",
        text(&out.stderr),
        text(&out.stdout)
    );
    let summary = text(&out.stdout);
    assert!(
        summary.contains("zheng.qiang") && summary.contains("OPCMS_DEMO_PASSWORD"),
        "{summary}"
    );
    assert!(
        !summary.contains(DEMO_PASSWORD),
        "the configured password is never printed: {summary}"
    );

    // Customers, in every status.
    assert_eq!(total(&app, &admin, "/api/v1/customers?page_size=1").await, 40);
    for status in ["trial", "active", "arrears", "suspended", "closed"] {
        let n = total(&app, &admin, &format!("/api/v1/customers?status={status}&page_size=1")).await;
        assert!(n > 0, "no {status} customer");
    }

    // Bills of a year, issued, paid, partly paid, overdue.
    for status in ["issued", "partially_paid", "paid"] {
        let n = total(&app, &admin, &format!("/api/v1/bills?status={status}&page_size=1")).await;
        assert!(n > 0, "no {status} bill");
    }
    let overdue = get(&app, &admin, "/api/v1/bills?overdue=true&page_size=1").await;
    assert!(overdue["total"].as_i64().unwrap_or(0) > 0, "{overdue}");
    let periods = get(&app, &admin, "/api/v1/bills?period=2025-11&page_size=1").await;
    assert!(
        periods["total"].as_i64().unwrap_or(0) > 0,
        "the first billed month has bills"
    );

    // Receipts: written off, a prepayment left unapplied, one with no customer yet.
    assert!(total(&app, &admin, "/api/v1/payments?status=applied&page_size=1").await > 0);
    assert!(total(&app, &admin, "/api/v1/payments?status=unapplied&page_size=1").await >= 2);
    assert!(total(&app, &admin, "/api/v1/payments?unassigned=true&page_size=1").await >= 1);

    // Money in every aging bucket.
    let aging = get(
        &app,
        &admin,
        &format!("/api/v1/receivables/aging?as_of={AS_OF}&page_size=1"),
    )
    .await;
    for bucket in ["d1_30", "d31_60", "d61_90", "d90_plus", "not_due"] {
        assert!(
            amount(&aging["totals"][bucket]) > 0.0,
            "{bucket} is empty: {}",
            aging["totals"]
        );
    }

    // The dashboard of last month has figures.
    let dashboard = get(&app, &admin, "/api/v1/analytics/dashboard?period=2026-10").await;
    for figure in ["receivable", "received", "collected"] {
        assert!(amount(&dashboard[figure]) > 0.0, "{figure}: {dashboard}");
    }
    assert!(amount(&dashboard["overdue"]["total"]) > 0.0, "{dashboard}");
    assert_eq!(
        dashboard["top_customers"].as_array().map(Vec::len),
        Some(10),
        "{dashboard}"
    );
    // As the web app opens it (this month, not billed yet): a year of trend,
    // this month's receipts and usage.
    let now = get(&app, &admin, "/api/v1/analytics/dashboard").await;
    assert_eq!(now["period"], "2026-11", "{now}");
    let billed = now["trend"].as_array().into_iter().flatten();
    assert_eq!(billed.filter(|p| amount(&p["receivable"]) > 0.0).count(), 11, "{now}");
    assert!(amount(&now["received"]) > 0.0, "{now}");
    assert!(amount(&now["usage_by_series"]["X"]) > 0.0, "{now}");
    let february = get(&app, &admin, "/api/v1/analytics/dashboard?period=2026-02").await;
    assert_eq!(february["lost_customers"], 1, "{february}");
    let churn = get(&app, &admin, &format!("/api/v1/analytics/churn-risk?as_of={AS_OF}")).await;
    assert!(churn["total"].as_i64().unwrap_or(0) > 0, "{churn}");

    // Staff of all three roles, who can sign in with the demo password.
    for role in ["management", "operations", "sales"] {
        assert!(total(&app, &admin, &format!("/api/v1/users?role={role}&page_size=1")).await > 0);
    }
    let body = app.sign_in("zheng.qiang", DEMO_PASSWORD, "Changed2026x").await;
    let sales = body["access_token"].as_str().expect("token").to_string();
    let own = total(&app, &sales, "/api/v1/customers?page_size=1").await;
    assert!(own > 0 && own < 40, "a sales user sees only their customers: {own}");

    // A second run refuses the database and writes nothing.
    let before = fingerprint(&app, &admin).await;
    let again = run_demo(&app, &["--as-of", AS_OF, "--customers", CUSTOMERS]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again.stderr));
    let message = text(&again.stderr);
    assert!(message.contains("not empty") && message.contains("40"), "{message}");
    assert_eq!(fingerprint(&app, &admin).await, before);
}

/// What two runs on the same as-of day must agree on.
async fn fingerprint(app: &TestApp, token: &str) -> Value {
    let customers = get(app, token, "/api/v1/customers?page_size=100&sort=customer_code").await;
    let customers: Vec<Value> = customers["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            json!([
                c["customer_code"],
                c["company_name"],
                c["account_status"],
                c["level"],
                c["signed_at"]
            ])
        })
        .collect();
    let mut bills = Vec::new();
    for page in 1..=10 {
        let list = get(
            app,
            token,
            &format!("/api/v1/bills?page={page}&page_size=100&sort=bill_no"),
        )
        .await;
        let items = list["items"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            break;
        }
        bills.extend(
            items
                .iter()
                .map(|b| json!([b["bill_no"], b["total"], b["status"], b["allocated"], b["due_date"]])),
        );
    }
    let payments = get(app, token, "/api/v1/payments?page_size=1").await;
    let aging = get(
        app,
        token,
        &format!("/api/v1/receivables/aging?as_of={AS_OF}&page_size=1"),
    )
    .await;
    let dashboard = get(app, token, "/api/v1/analytics/dashboard?period=2026-10").await;
    json!({
        "customers": customers,
        "bills": bills,
        "payments": [payments["total"], payments["totals"]],
        "aging": aging["totals"],
        "dashboard": [dashboard["receivable"], dashboard["received"], dashboard["collected"], dashboard["overdue"]],
    })
}

async fn demo_is_deterministic(backend: Backend) {
    let mut prints = Vec::new();
    for _ in 0..2 {
        let (app, admin) = app_on_as_of(backend).await;
        let out = run_demo(&app, &["--as-of", AS_OF, "--customers", CUSTOMERS]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        prints.push(fingerprint(&app, &admin).await);
    }
    assert!(
        prints[0]["bills"].as_array().is_some_and(|b| b.len() > 100),
        "{}",
        prints[0]
    );
    assert_eq!(prints[0], prints[1]);
}

/// What a demo that fails half-way leaves: nothing. The whole demo is
/// played in-process after the mark (every table it writes gets rows), then
/// undone as a failure would, and the database is as `serve` left it.
async fn a_failed_demo_is_taken_out_again(backend: Backend) {
    let (app, admin) = app_on_as_of(backend).await;
    let mark = opcms::demo::undo::Mark::take(&app.db).await.expect("mark");
    let options = opcms::demo::plan::Options {
        as_of: AS_OF.parse().expect("date"),
        customers: 40,
    };
    let counts = opcms::demo::play::play(&app.state, options, DEMO_PASSWORD.into())
        .await
        .expect("demo plays");
    assert!(counts.bills > 100, "{counts:?}");
    assert!(!opcms::demo::guard::findings(&app.db).await.expect("guard").is_empty());

    mark.undo(&app.db).await.expect("undo");
    assert_eq!(
        opcms::demo::guard::findings(&app.db).await.expect("guard"),
        Vec::<String>::new()
    );
    assert_eq!(total(&app, &admin, "/api/v1/customers?page_size=1").await, 0);
    assert_eq!(total(&app, &admin, "/api/v1/users?page_size=1").await, 1);
    let dashboard = get(&app, &admin, "/api/v1/analytics/dashboard?period=2026-10").await;
    assert_eq!(amount(&dashboard["receivable"]), 0.0, "{dashboard}");
    // And the demo runs on it again.
    let out = run_demo(&app, &["--as-of", AS_OF, "--customers", CUSTOMERS]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}
