//! The month close (月结工作台, issue 21): `GET /close/overview` counts each
//! step of a real month — collected days per source, quarantine, customers
//! not billed, drafts with and without warnings, issued bills, unallocated
//! receipts, overdue bills — and names the next step as work is done; and
//! `GET /home/summary` gives each role its figures within its data scope.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use opcms::usage::mock_vendor::MockVendor;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;
use crate::pricing::put;
use crate::usage::{pages, source};

backend_tests!(
    the_close_overview_follows_a_month_step_by_step,
    the_home_summary_covers_what_the_user_may_see,
    the_close_overview_refuses_bad_periods_and_other_roles,
);

fn today() -> NaiveDate {
    (Utc::now() + Duration::hours(8)).date_naive()
}

/// The month before this one: `YYYY-MM`, its first and last day.
fn last_month() -> (String, NaiveDate, NaiveDate) {
    let last = today().with_day(1).expect("first") - Duration::days(1);
    let first = last.with_day(1).expect("first");
    (first.format("%Y-%m").to_string(), first, last)
}

async fn customer(app: &TestApp, token: &str, code: &str, account: &str, owner: Option<i64>) -> i64 {
    let body = json!({"company_name": format!("{code}月结测试公司"), "customer_code": code,
                      "account_id": account, "device_series": ["X", "N", "L"], "account_status": "active",
                      "payment_terms_days": 15, "sales_owner_id": owner});
    expect_json(
        app.post("/api/v1/customers", Some(token), &body).await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_i64()
        .expect("id")
}

async fn overview(app: &TestApp, token: &str, period: &str) -> Value {
    expect_json(
        app.get(&format!("/api/v1/close/overview?period={period}"), token).await,
        StatusCode::OK,
    )
    .await
}

async fn ok(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    expect_json(app.post(path, Some(token), &body).await, StatusCode::OK).await
}

fn open_of(overview: &Value, step: &str) -> u64 {
    overview["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["step"] == step)
        .unwrap_or_else(|| panic!("no step {step}: {overview}"))["open"]
        .as_u64()
        .expect("open")
}

fn set_due_date(app: &TestApp, bill_id: i64, day: NaiveDate) -> Statement {
    let backend = app.db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => format!("UPDATE bills SET due_date = '{day}'::date WHERE id = {bill_id}"),
        _ => format!("UPDATE bills SET due_date = '{day}' WHERE id = {bill_id}"),
    };
    Statement::from_string(backend, sql)
}

async fn the_close_overview_follows_a_month_step_by_step(app: TestApp) {
    let vendor = MockVendor::start(
        "127.0.0.1:0".parse().expect("addr"),
        vec!["close_a".into(), "close_b".into()],
    )
    .await
    .expect("mock vendor");
    let app = app
        .restart_with(|c| c.usage_sources = vec![source("vendor", &vendor, pages(50), "/v1/usage")])
        .await;
    let token = app.admin_token().await;
    let (period, first, last) = last_month();
    let days = (last - first).num_days() as u64 + 1;
    let a = customer(&app, &token, "CL001", "close_a", None).await;
    let b = customer(&app, &token, "CL002", "close_b", None).await;

    // Nothing collected: every day of the month is missing, collect is next.
    let view = overview(&app, &token, &period).await;
    assert_eq!(view["period"], period.as_str());
    assert_eq!(view["usage"]["days_due"], days);
    assert_eq!(view["usage"]["sources"][0]["source"], "vendor");
    assert_eq!(
        view["usage"]["sources"][0]["missing_days"]
            .as_array()
            .expect("days")
            .len() as u64,
        days
    );
    assert_eq!(view["usage"]["sources"][0]["missing_days"][0], first.to_string());
    assert_eq!(
        view["usage"]["days_without_usage"].as_array().expect("days").len() as u64,
        days
    );
    assert_eq!(open_of(&view, "collect"), days);
    assert_eq!(view["next_step"], "collect");

    // Collect the whole month, one day at a time.
    for day in first.iter_days().take_while(|d| *d <= last) {
        ok(
            &app,
            &token,
            "/api/v1/usage/collect",
            json!({"date": day, "source": "vendor"}),
        )
        .await;
    }
    let view = overview(&app, &token, &period).await;
    assert_eq!(view["usage"]["sources"][0]["collected_days"], days);
    assert_eq!(view["usage"]["sources"][0]["missing_days"], json!([]));
    assert_eq!(view["usage"]["days_without_usage"], json!([]));
    assert_eq!(view["usage"]["customers_with_usage"], 2);
    assert_eq!(open_of(&view, "collect"), 0);
    assert_eq!(view["bills"]["customers_not_billed"], 2);
    assert_eq!(view["next_step"], "generate");

    // A record of the month for an unknown account waits in quarantine; one
    // of an earlier month counts in the total only.
    let stray =
        |day: NaiveDate| json!({"records": [{"account_id": "nobody", "series": "X", "day": day, "quantity": "5"}]});
    assert_eq!(ok(&app, &token, "/api/v1/usage", stray(first)).await["quarantined"], 1);
    assert_eq!(
        ok(&app, &token, "/api/v1/usage", stray(first - Duration::days(40))).await["quarantined"],
        1
    );
    let view = overview(&app, &token, &period).await;
    assert_eq!(view["quarantine"]["pending_in_period"], 1);
    assert_eq!(view["quarantine"]["pending_total"], 2);
    assert_eq!(view["next_step"], "quarantine");
    let pending = expect_json(
        app.get("/api/v1/usage/quarantine?status=pending&page_size=50", &token)
            .await,
        StatusCode::OK,
    )
    .await;
    let in_month = pending["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|q| q["day"] == first.to_string())
        .expect("the month's record")["id"]
        .as_i64()
        .expect("id");
    ok(
        &app,
        &token,
        &format!("/api/v1/usage/quarantine/{in_month}/resolve"),
        json!({"action": "discard", "note": "测试数据"}),
    )
    .await;
    let view = overview(&app, &token, &period).await;
    assert_eq!(view["quarantine"]["pending_in_period"], 0);
    assert_eq!(view["next_step"], "generate");

    // A has a plan, B has none: generation gives one clean draft and one
    // with a warning; nobody is left unbilled.
    let plan = expect_json(
        app.post(
            "/api/v1/price-plans",
            Some(&token),
            &json!({"name": "月结测试方案", "effective_from": period, "reason": "测试",
                    "rules": {"X": {"mode": "flat", "unit_price": "0.01"},
                              "N": {"mode": "flat", "unit_price": "0.02"},
                              "L": {"mode": "flat", "unit_price": "0.03"}}}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_i64()
        .expect("plan id");
    let path = format!("/api/v1/customers/{a}/pricing");
    expect_json(
        put(&app, &path, &token, &json!({"plan_id": plan})).await,
        StatusCode::OK,
    )
    .await;
    ok(&app, &token, "/api/v1/bills/generate", json!({"period": period})).await;
    let bills = expect_json(
        app.get(&format!("/api/v1/bills?period={period}"), &token).await,
        StatusCode::OK,
    )
    .await;
    let bill_of = |customer: i64| {
        bills["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|bill| bill["customer_id"] == customer)
            .unwrap_or_else(|| panic!("no bill for {customer}: {bills}"))
            .clone()
    };
    let (bill_a, bill_b) = (bill_of(a), bill_of(b));
    assert_eq!(bill_a["warnings"], json!([]), "{bill_a}");
    let view = overview(&app, &token, &period).await;
    assert_eq!(view["bills"]["customers_not_billed"], 0);
    assert_eq!(view["bills"]["drafts"], 2);
    assert_eq!(view["bills"]["drafts_with_warnings"], 1);
    assert_eq!(view["bills"]["clean_drafts"], 1);
    assert_eq!(view["bills"]["clean_drafts_total"], bill_a["total"]);
    assert!(view["bills"]["last_generated_at"].is_string());
    assert_eq!(view["next_step"], "review_warnings");

    // A is issued; B cannot be issued without a plan (its warning stays
    // open) until it gets one and the month is generated again.
    let a_id = bill_a["id"].as_i64().expect("id");
    ok(&app, &token, &format!("/api/v1/bills/{a_id}/issue"), json!({})).await;
    let view = overview(&app, &token, &period).await;
    assert_eq!(view["bills"]["issued"], 1);
    assert_eq!(view["bills"]["issued_total"], bill_a["total"]);
    assert_eq!(view["bills"]["drafts_with_warnings"], 1);
    assert_eq!(view["next_step"], "review_warnings");
    assert!(bill_b["warnings"].as_array().is_some_and(|w| !w.is_empty()), "{bill_b}");
    let path = format!("/api/v1/customers/{b}/pricing");
    expect_json(
        put(&app, &path, &token, &json!({"plan_id": plan})).await,
        StatusCode::OK,
    )
    .await;
    ok(&app, &token, "/api/v1/bills/generate", json!({"period": period})).await;
    let view = overview(&app, &token, &period).await;
    assert_eq!(view["bills"]["clean_drafts"], 1);
    assert_eq!(view["next_step"], "issue");
    let b_id = bill_b["id"].as_i64().expect("id");
    ok(&app, &token, &format!("/api/v1/bills/{b_id}/issue"), json!({})).await;
    let view = overview(&app, &token, &period).await;
    assert_eq!(view["bills"]["drafts"], 0);
    assert_eq!(view["bills"]["issued"], 2);
    assert_eq!(view["next_step"], "done");

    // A receipt not yet allocated, then allocated; A's bill falls overdue.
    let receipt = expect_json(
        app.post(
            "/api/v1/payments",
            Some(&token),
            &json!({"customer_id": a, "amount": "1.00", "received_at": today(), "method": "bank_transfer"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let view = overview(&app, &token, &period).await;
    assert_eq!(view["receipts"]["unallocated"], 1);
    assert_eq!(view["receipts"]["unapplied_total"], "1.00");
    assert_eq!(view["next_step"], "allocate");
    let receipt_id = receipt["id"].as_i64().expect("id");
    ok(
        &app,
        &token,
        &format!("/api/v1/payments/{receipt_id}/allocations"),
        json!({"allocations": [{"bill_id": a_id, "amount": "1.00"}]}),
    )
    .await;
    app.db
        .execute_raw(set_due_date(&app, a_id, today() - Duration::days(3)))
        .await
        .expect("due date");
    let view = overview(&app, &token, &period).await;
    assert_eq!(view["receipts"]["unallocated"], 0);
    assert_eq!(view["overdue"]["bills"], 1);
    let total: rust_decimal::Decimal = bill_a["total"].as_str().expect("total").parse().expect("decimal");
    let outstanding: rust_decimal::Decimal = view["overdue"]["outstanding"].as_str().expect("s").parse().expect("d");
    assert_eq!(outstanding, total - rust_decimal::Decimal::ONE);
    assert_eq!(view["next_step"], "chase_overdue");
    let issued: rust_decimal::Decimal = view["bills"]["issued_total"].as_str().expect("s").parse().expect("d");
    let open: rust_decimal::Decimal = view["bills"]["issued_outstanding"]
        .as_str()
        .expect("s")
        .parse()
        .expect("d");
    assert_eq!(open, issued - rust_decimal::Decimal::ONE);
}

async fn the_home_summary_covers_what_the_user_may_see(app: TestApp) {
    let token = app.admin_token().await;
    let (sales_id, sales_token) = app.user_with_role(&token, "sales_home", "sales").await;
    let (period, _, _) = last_month();
    let mine = customer(&app, &token, "HM001", "home_a", Some(sales_id)).await;
    let other = customer(&app, &token, "HM002", "home_b", None).await;
    let manual = |customer: i64, amount: &str| json!({"customer_id": customer, "period": period, "lines": [{"description": "服务费", "amount": amount}]});
    let mut bill_ids = Vec::new();
    for (customer, amount) in [(mine, "1200.00"), (other, "300.50")] {
        let id = ok(&app, &token, "/api/v1/bills", manual(customer, amount)).await["id"]
            .as_i64()
            .expect("id");
        ok(&app, &token, &format!("/api/v1/bills/{id}/issue"), json!({})).await;
        bill_ids.push(id);
    }
    for id in &bill_ids {
        app.db
            .execute_raw(set_due_date(&app, *id, today() - Duration::days(10)))
            .await
            .expect("due date");
    }
    let paid = expect_json(
        app.post(
            "/api/v1/payments",
            Some(&token),
            &json!({"customer_id": mine, "amount": "200.00", "received_at": today(), "method": "bank_transfer"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_i64()
        .expect("id");
    ok(
        &app,
        &token,
        &format!("/api/v1/payments/{paid}/allocations"),
        json!({"allocations": [{"bill_id": bill_ids[0], "amount": "200.00"}]}),
    )
    .await;

    let all = expect_json(app.get("/api/v1/home/summary", &token).await, StatusCode::OK).await;
    assert_eq!(all["scope"], "all");
    assert_eq!(all["customers"]["total"], 2);
    assert_eq!(all["customers"]["active"], 2);
    assert_eq!(all["last_period"]["period"], period.as_str());
    assert_eq!(all["last_period"]["bills"], 2);
    assert_eq!(all["last_period"]["billed"], "1500.50");
    assert_eq!(all["last_period"]["collected"], "200.00");
    assert_eq!(all["last_period"]["collection_rate"], "13.3");
    assert_eq!(all["receipts_this_month"]["count"], 1);
    assert_eq!(all["receipts_this_month"]["amount"], "200.00");
    assert_eq!(all["receivables"]["outstanding"], "1300.50");
    assert_eq!(all["receivables"]["overdue"], "1300.50");
    let top: Vec<&str> = all["top_overdue"]
        .as_array()
        .expect("top")
        .iter()
        .map(|row| row["customer"]["customer_code"].as_str().expect("code"))
        .collect();
    assert_eq!(top, ["HM001", "HM002"], "largest overdue first");

    let own = expect_json(app.get("/api/v1/home/summary", &sales_token).await, StatusCode::OK).await;
    assert_eq!(own["scope"], "own");
    assert_eq!(own["customers"]["total"], 1);
    assert_eq!(own["last_period"]["billed"], "1200.00");
    assert_eq!(own["last_period"]["collection_rate"], "16.7");
    assert_eq!(own["receivables"]["overdue"], "1000.00");
    assert_eq!(own["top_overdue"].as_array().expect("top").len(), 1);
    assert_eq!(own["top_overdue"][0]["customer"]["customer_code"], "HM001");
}

async fn the_close_overview_refuses_bad_periods_and_other_roles(app: TestApp) {
    let token = app.admin_token().await;
    for bad in ["2026-13", "202611", "abc"] {
        let body = expect_error(
            app.get(&format!("/api/v1/close/overview?period={bad}"), &token).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(body["error"]["details"][0]["field"], "period", "{body}");
    }
    // Without a period: the month before this one, nothing to do on an empty system.
    let view = expect_json(app.get("/api/v1/close/overview", &token).await, StatusCode::OK).await;
    assert_eq!(view["period"], last_month().0.as_str());
    assert_eq!(view["next_step"], "done");
    assert_eq!(view["usage"]["sources"], json!([]));
    assert_eq!(view["bills"]["drafts_total"], "0.00");

    let (_, sales) = app.user_with_role(&token, "sales_close", "sales").await;
    expect_error(
        app.get("/api/v1/close/overview", &sales).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    let unauthenticated = app
        .request(reqwest::Method::GET, "/api/v1/close/overview", None)
        .send()
        .await
        .expect("get");
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
}
