//! The test clock (issue 23, DESIGN.md §16): with `OPCMS_TEST_CLOCK` on,
//! management sets the business clock and every business date follows it —
//! the month, "not in the future", due dates and overdue — across a month
//! end at the UTC/China boundary and onto a leap day. Without it the
//! endpoint does not exist.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

crate::per_backend_tests!(every_business_date_follows_the_test_clock);

async fn set_clock(app: &TestApp, token: &str, now: &str) -> Value {
    let response = app.put("/api/v1/system/clock", Some(token), &json!({"now": now})).await;
    expect_json(response, StatusCode::OK).await
}

async fn overdue_count(app: &TestApp, token: &str) -> Value {
    expect_json(app.get("/api/v1/bills?overdue=true", token).await, StatusCode::OK).await["total"].clone()
}

async fn every_business_date_follows_the_test_clock(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.test_clock = true).await;
    let admin = app.admin_token().await;
    let clock = expect_json(app.get("/api/v1/system/clock", &admin).await, StatusCode::OK).await;
    assert_eq!(clock["test_clock"], true);

    // Only management sets it, and only to a time with its zone.
    let (_, ops) = app.user_with_role(&admin, "clock.ops", "operations").await;
    let refused = app
        .put(
            "/api/v1/system/clock",
            Some(&ops),
            &json!({"now": "2026-03-01T02:00:00+08:00"}),
        )
        .await;
    expect_error(refused, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    for (body, code) in [
        (json!({"now": "2026-03-01 02:00"}), "INVALID_TIME"),
        (json!({"now": "明天"}), "INVALID_TIME"),
        (json!({}), "REQUIRED"),
    ] {
        let bad = app.put("/api/v1/system/clock", Some(&admin), &body).await;
        let error = expect_error(bad, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
        assert_eq!(error["error"]["details"][0]["field"], "now", "{error}");
        assert_eq!(error["error"]["details"][0]["code"], code, "{error}");
    }

    // 16:30 UTC on the last day of February is 1 March in China: a new month.
    let clock = set_clock(&app, &admin, "2026-02-28T16:30:00Z").await;
    assert_eq!(
        (clock["today"].as_str(), clock["period"].as_str()),
        (Some("2026-03-01"), Some("2026-03"))
    );
    let future = app
        .post("/api/v1/bills/generate", Some(&admin), &json!({"period": "2026-04"}))
        .await;
    expect_error(future, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;

    // A January bill issued on the clock's day (1 March) is due 15 days after it, not
    // after January; and overdue once the clock passes that.
    let body = json!({"company_name": "测试时钟客户", "device_series": ["X"], "account_status": "active"});
    let customer = expect_json(
        app.post("/api/v1/customers", Some(&admin), &body).await,
        StatusCode::CREATED,
    )
    .await;
    let body = json!({"customer_id": customer["id"], "period": "2026-01",
                      "lines": [{"description": "服务费", "amount": "66.00"}]});
    let bill = expect_json(app.post("/api/v1/bills", Some(&admin), &body).await, StatusCode::OK).await;
    let id = bill["id"].as_i64().expect("id");
    let issued = app
        .post(&format!("/api/v1/bills/{id}/issue"), Some(&admin), &json!({}))
        .await;
    let issued = expect_json(issued, StatusCode::OK).await;
    assert_eq!(issued["due_date"], "2026-03-16");
    assert_eq!(overdue_count(&app, &admin).await, 0);
    set_clock(&app, &admin, "2026-03-17T00:00:01+08:00").await;
    assert_eq!(overdue_count(&app, &admin).await, 1);

    // A leap day.
    let clock = set_clock(&app, &admin, "2028-02-29T01:00:00+08:00").await;
    assert_eq!(
        (clock["today"].as_str(), clock["period"].as_str()),
        (Some("2028-02-29"), Some("2028-02"))
    );
    let entries = app.get("/api/v1/audit-logs?action=system.clock", &admin).await;
    assert_eq!(expect_json(entries, StatusCode::OK).await["total"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_variable_the_clock_endpoint_does_not_exist() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin_token().await;
    expect_error(
        app.get("/api/v1/system/clock", &admin).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    let set = app
        .put(
            "/api/v1/system/clock",
            Some(&admin),
            &json!({"now": "2026-03-01T02:00:00+08:00"}),
        )
        .await;
    expect_error(set, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}
