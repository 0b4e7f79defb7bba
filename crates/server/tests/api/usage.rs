//! Usage (issue 6): entry, files, collections from the mock vendor over
//! real HTTP, quarantine and its resolution, idempotency and concurrency.

use std::str::FromStr;

use chrono::{Datelike, Duration, NaiveDate, Utc};
use opcms::config::usage_sources::{FieldMap, HttpSourceConfig, Pagination};
use opcms::usage::mock_vendor::{Behaviour, MockVendor};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    manual_entry_is_idempotent_and_corrections_keep_history,
    bad_records_are_quarantined_with_their_reason_once,
    strict_entry_and_malformed_bodies_write_nothing,
    quarantine_resolutions_flow_into_usage_and_are_audited,
    collection_is_paginated_idempotent_and_tracks_redelivery,
    vendor_failures_are_retried_logged_and_never_half_written,
    concurrent_collections_of_one_day_count_once,
    a_file_is_previewed_then_written_in_one_go,
    usage_is_for_operations_and_management_only,
    monthly_totals_sum_past_the_stored_range,
);

pub(crate) fn day_ago(days: i64) -> NaiveDate {
    Utc::now().date_naive() - Duration::days(days)
}

/// A day two days back (always in the past, whatever the time zone).
pub(crate) fn a_day() -> NaiveDate {
    day_ago(2)
}

pub(crate) fn month_of(day: NaiveDate) -> String {
    day.format("%Y-%m").to_string()
}

pub(crate) async fn customer(app: &TestApp, token: &str, code: &str, account: &str) -> i64 {
    let body = json!({"company_name": format!("{code}用量测试公司"), "customer_code": code,
                      "account_id": account, "device_series": ["X", "N", "L"], "account_status": "active"});
    expect_json(
        app.post("/api/v1/customers", Some(token), &body).await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_i64()
        .expect("id")
}

pub(crate) async fn enter(app: &TestApp, token: &str, body: Value) -> Value {
    expect_json(app.post("/api/v1/usage", Some(token), &body).await, StatusCode::OK).await
}

pub(crate) async fn monthly_row(app: &TestApp, token: &str, month: &str, customer_id: i64) -> Value {
    let page = expect_json(
        app.get(
            &format!("/api/v1/usage/monthly?month={month}&customer_id={customer_id}"),
            token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    page["items"][0].clone()
}

/// Σ of every stored record vs the kept monthly totals: the invariant that
/// billing relies on.
pub(crate) async fn assert_monthly_totals_match_records(app: &TestApp) {
    let backend = app.db.get_database_backend();
    let sql = "SELECT COUNT(*) AS n FROM usage_monthly m WHERE m.quantity <> \
               (SELECT COALESCE(SUM(r.quantity), 0) FROM usage_records r \
                WHERE r.customer_id = m.customer_id AND r.series = m.series AND r.month = m.month) \
               OR m.record_count <> (SELECT COUNT(*) FROM usage_records r \
                WHERE r.customer_id = m.customer_id AND r.series = m.series AND r.month = m.month)";
    let row = app
        .db
        .query_one_raw(Statement::from_string(backend, sql))
        .await
        .expect("query")
        .expect("row");
    let mismatched: i64 = row.try_get("", "n").expect("n");
    assert_eq!(mismatched, 0, "usage_monthly disagrees with usage_records");
    let missing = app
        .db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM usage_records r WHERE NOT EXISTS (SELECT 1 FROM usage_monthly m \
             WHERE m.customer_id = r.customer_id AND m.series = r.series AND m.month = r.month)",
        ))
        .await
        .expect("query")
        .expect("row");
    assert_eq!(
        missing.try_get::<i64>("", "n").expect("n"),
        0,
        "records without a monthly row"
    );
}

pub(crate) async fn count(app: &TestApp, table: &str) -> i64 {
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .expect("query")
        .expect("row");
    row.try_get("", "n").expect("n")
}

async fn manual_entry_is_idempotent_and_corrections_keep_history(app: TestApp) {
    let token = app.admin_token().await;
    let id = customer(&app, &token, "U0001", "acc_u1").await;
    let day = a_day();
    let records = json!([
        {"customer_id": id, "series": "X", "day": day, "quantity": "100.5"},
        {"account_id": "acc_u1", "series": "n", "day": day.format("%Y/%m/%d").to_string(), "quantity": "1,234.25"},
    ]);
    let first = enter(&app, &token, json!({"records": records, "strict": true})).await;
    assert_eq!(
        (first["created"].as_u64(), first["accepted"].as_u64()),
        (Some(2), Some(2)),
        "{first}"
    );
    let again = enter(&app, &token, json!({"records": records})).await;
    assert_eq!(
        (again["unchanged"].as_u64(), again["created"].as_u64()),
        (Some(2), Some(0)),
        "{again}"
    );

    let month = month_of(day);
    let row = monthly_row(&app, &token, &month, id).await;
    assert_eq!(
        (row["X"].as_str(), row["N"].as_str(), row["L"].as_str()),
        (Some("100.5"), Some("1234.25"), Some("0"))
    );
    assert_eq!(row["days"], 1);

    // Entering the same customer, series and day again corrects it.
    let changed = enter(
        &app,
        &token,
        json!({"records": [{"customer_id": id, "series": "X", "day": day, "quantity": "90"}], "reason": "抄表更正"}),
    )
    .await;
    assert_eq!(changed["updated"], 1, "{changed}");
    let record_id = changed["results"][0]["record_id"].as_i64().expect("record id");
    assert_eq!(monthly_row(&app, &token, &month, id).await["X"], "90");

    // A person's correction with a reason.
    let missing_reason = app
        .patch(
            &format!("/api/v1/usage/{record_id}"),
            &token,
            &json!({"quantity": "80"}),
        )
        .await;
    let body = expect_error(missing_reason, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert_eq!(body["error"]["details"][0]["field"], "reason");
    let corrected = expect_json(
        app.patch(
            &format!("/api/v1/usage/{record_id}"),
            &token,
            &json!({"quantity": "80.0001", "reason": "客户确认"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (corrected["quantity"].as_str(), corrected["revisions"].as_i64()),
        (Some("80.0001"), Some(2))
    );
    let revisions = expect_json(
        app.get(&format!("/api/v1/usage/{record_id}/revisions"), &token).await,
        StatusCode::OK,
    )
    .await;
    let history: Vec<(&str, &str, &str)> = revisions
        .as_array()
        .expect("array")
        .iter()
        .map(|r| {
            (
                r["quantity_before"].as_str().unwrap_or(""),
                r["quantity_after"].as_str().unwrap_or(""),
                r["cause"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(history, [("90", "80.0001", "correction"), ("100.5", "90", "entry")]);
    assert_eq!(revisions[0]["reason"], "客户确认");

    // Views: daily series, monthly totals, trend, records.
    let daily = expect_json(
        app.get(&format!("/api/v1/usage/daily?month={month}&customer_id={id}"), &token)
            .await,
        StatusCode::OK,
    )
    .await;
    let index = daily["days"]
        .as_array()
        .expect("days")
        .iter()
        .position(|d| d == &json!(day))
        .expect("the day is listed");
    assert_eq!(
        (
            daily["series"]["X"][index].as_str(),
            daily["series"]["N"][index].as_str()
        ),
        (Some("80.0001"), Some("1234.25"))
    );
    let table = expect_json(
        app.get(&format!("/api/v1/usage/monthly?month={month}"), &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (table["total"].as_u64(), table["totals"]["X"].as_str()),
        (Some(1), Some("80.0001"))
    );
    let trend = expect_json(
        app.get(&format!("/api/v1/usage/trend?customer_id={id}&months=3"), &token)
            .await,
        StatusCode::OK,
    )
    .await;
    let at = trend["months"]
        .as_array()
        .expect("months")
        .iter()
        .position(|m| m == &json!(month));
    assert_eq!(trend["series"]["N"][at.expect("month in trend")], "1234.25");
    let list = expect_json(
        app.get(&format!("/api/v1/usage?customer_id={id}&month={month}"), &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["customer_code"], "U0001");
    assert_monthly_totals_match_records(&app).await;
}

async fn bad_records_are_quarantined_with_their_reason_once(app: TestApp) {
    let app = TestApp::spawn_with(app.backend, |c| {
        c.usage_limits.x = Some(opcms_domain::Fixed4::from_units(10_000_000))
    })
    .await;
    let token = app.admin_token().await;
    let id = customer(&app, &token, "U0002", "acc_u2").await;
    let closed = customer(&app, &token, "U0003", "acc_u3").await;
    expect_json(
        app.post(
            &format!("/api/v1/customers/{closed}/status"),
            Some(&token),
            &json!({"to": "closed", "reason": "合同终止"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let day = a_day().to_string();
    let future = day_ago(-3).to_string();
    let body = json!({"records": [
        {"account_id": "acc_ghost", "series": "X", "day": day, "quantity": "1"},
        {"customer_id": id, "series": "Q", "day": day, "quantity": "1"},
        {"customer_id": id, "series": "N", "day": "31/02/2026", "quantity": "1"},
        {"customer_id": id, "series": "N", "day": day, "quantity": "-3"},
        {"customer_id": id, "series": "L", "day": day, "quantity": "1.23456"},
        {"customer_id": id, "series": "L", "day": future, "quantity": "1"},
        {"customer_id": id, "series": "X", "day": day, "quantity": "1000.0001"},
        {"customer_id": closed, "series": "X", "day": day, "quantity": "5"},
        {"customer_id": 999999, "series": "X", "day": day, "quantity": "5"},
        {"customer_id": id, "series": "X", "day": day, "quantity": "1000"},
    ]});
    let result = enter(&app, &token, body.clone()).await;
    let reasons: Vec<&str> = result["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["reason"].as_str().unwrap_or("-"))
        .collect();
    assert_eq!(
        reasons,
        [
            "UNKNOWN_ACCOUNT",
            "UNKNOWN_SERIES",
            "INVALID_DAY",
            "INVALID_QUANTITY",
            "INVALID_QUANTITY",
            "DAY_OUT_OF_RANGE",
            "OVER_LIMIT",
            "CUSTOMER_CLOSED",
            "UNKNOWN_ACCOUNT",
            "-"
        ]
    );
    assert_eq!(
        (result["quarantined"].as_u64(), result["created"].as_u64()),
        (Some(9), Some(1))
    );
    assert!(
        result["results"][3]["message"].as_str().unwrap_or("").contains("负数"),
        "{result}"
    );

    // Delivered again: the same nine entries, seen twice.
    enter(&app, &token, body).await;
    let pending = expect_json(
        app.get("/api/v1/usage/quarantine?status=pending&page_size=50", &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(pending["total"], 9, "{pending}");
    assert!(
        pending["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["occurrences"] == 2)
    );
    assert_eq!(pending["pending_by_reason"]["INVALID_QUANTITY"], 2);
    let ghost = pending["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["reason"] == "UNKNOWN_ACCOUNT" && i["account_id"] == "acc_ghost")
        .expect("the unknown account is kept");
    assert_eq!(ghost["raw"]["account_id"], "acc_ghost");
    let filtered = expect_json(
        app.get("/api/v1/usage/quarantine?reason=OVER_LIMIT", &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(filtered["total"], 1);
    assert_eq!(count(&app, "usage_records").await, 1);
}

async fn strict_entry_and_malformed_bodies_write_nothing(app: TestApp) {
    let token = app.admin_token().await;
    let id = customer(&app, &token, "U0004", "acc_u4").await;
    let day = a_day().to_string();
    let strict = app
        .post(
            "/api/v1/usage",
            Some(&token),
            &json!({"strict": true, "records": [
                {"customer_id": id, "series": "X", "day": day, "quantity": "5"},
                {"customer_id": id, "series": "N", "day": day, "quantity": "-1"},
            ]}),
        )
        .await;
    let body = expect_error(strict, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert_eq!(body["error"]["details"][0]["field"], "records[1].quantity");
    assert_eq!(body["error"]["details"][0]["code"], "INVALID_QUANTITY");
    let number = app
        .post(
            "/api/v1/usage",
            Some(&token),
            &json!({"records": [{"customer_id": id, "series": "X", "day": day, "quantity": 5.5}]}),
        )
        .await;
    let body = expect_error(number, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert_eq!(body["error"]["details"][0]["code"], "NUMBER_NOT_STRING");
    let empty = app.post("/api/v1/usage", Some(&token), &json!({"records": []})).await;
    expect_error(empty, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    let unknown = app
        .post(
            "/api/v1/usage",
            Some(&token),
            &json!({"records": [{"customer_id": id, "series": "X", "day": day, "quantity": "1", "qty": "1"}]}),
        )
        .await;
    let body = expect_error(unknown, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert_eq!(body["error"]["details"][0]["field"], "records[0].qty");
    for bad in [
        "/api/v1/usage/monthly?month=2026-13",
        "/api/v1/usage/daily",
        "/api/v1/usage?series=Z",
    ] {
        expect_error(app.get(bad, &token).await, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    }
    expect_error(
        app.patch("/api/v1/usage/424242", &token, &json!({"quantity": "1", "reason": "x"}))
            .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(count(&app, "usage_records").await, 0);
    assert_eq!(count(&app, "usage_quarantine").await, 0);
    assert_eq!(count(&app, "usage_monthly").await, 0);
}

async fn quarantine_resolutions_flow_into_usage_and_are_audited(app: TestApp) {
    let app = TestApp::spawn_with(app.backend, |c| {
        c.usage_limits.n = Some(opcms_domain::Fixed4::from_units(1_000_000))
    })
    .await;
    let token = app.admin_token().await;
    let id = customer(&app, &token, "U0005", "acc_u5").await;
    let day = a_day();
    // The old account's records are of another day of the same month: a
    // manual record is one per customer, series and day.
    let other_day = if (day - Duration::days(1)).format("%m").to_string() == day.format("%m").to_string() {
        day - Duration::days(1)
    } else {
        day + Duration::days(1)
    };
    let result = enter(
        &app,
        &token,
        json!({"records": [
            {"account_id": "old_acc", "series": "X", "day": other_day, "quantity": "10"},
            {"account_id": "old_acc", "series": "N", "day": other_day, "quantity": "20"},
            {"customer_id": id, "series": "L", "day": day, "quantity": "-7"},
            {"customer_id": id, "series": "N", "day": day, "quantity": "500"},
            {"customer_id": id, "series": "X", "day": day, "quantity": "oops"},
        ]}),
    )
    .await;
    let ids: Vec<i64> = result["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["quarantine_id"].as_i64().expect("quarantined"))
        .collect();
    let resolve = |qid: i64, body: Value| {
        let app = &app;
        let token = &token;
        async move {
            app.post(&format!("/api/v1/usage/quarantine/{qid}/resolve"), Some(token), &body)
                .await
        }
    };

    // Mapping one record's account resolves every pending record of it.
    let mapped = expect_json(
        resolve(ids[0], json!({"action": "map_account", "customer_id": id})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (mapped["resolved"].as_u64(), mapped["still_pending"].as_u64()),
        (Some(2), Some(0)),
        "{mapped}"
    );
    assert!(
        mapped["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["resolution"] == "mapped" && i["usage_record_id"].is_i64())
    );
    // The link holds for later deliveries.
    let later = enter(
        &app,
        &token,
        json!({"records": [{"account_id": "old_acc", "series": "L", "day": other_day, "quantity": "1"}]}),
    )
    .await;
    assert_eq!(later["created"], 1, "{later}");

    // Correcting a value re-checks it; a still-bad correction stays pending.
    let still = expect_json(
        resolve(ids[2], json!({"action": "correct", "quantity": "-1"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(still["still_pending"], 1);
    let fixed = expect_json(
        resolve(
            ids[2],
            json!({"action": "correct", "quantity": "7", "note": "符号录错"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(fixed["items"][0]["resolution"], "corrected");

    // Accepting is for over-limit values only.
    let refused = resolve(ids[4], json!({"action": "accept"})).await;
    expect_error(refused, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    let accepted = expect_json(
        resolve(ids[3], json!({"action": "accept", "note": "新项目上线"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(accepted["items"][0]["status"], "resolved");

    // Discarding needs a reason; a second resolution is a conflict.
    let no_note = resolve(ids[4], json!({"action": "discard"})).await;
    let body = expect_error(no_note, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert_eq!(body["error"]["details"][0]["field"], "note");
    let bulk = app
        .post(
            "/api/v1/usage/quarantine/resolve",
            Some(&token),
            &json!({"ids": [ids[4]], "action": "discard", "note": "测试数据"}),
        )
        .await;
    assert_eq!(
        expect_json(bulk, StatusCode::OK).await["items"][0]["status"],
        "discarded"
    );
    expect_error(
        resolve(ids[4], json!({"action": "discard", "note": "again"})).await,
        StatusCode::CONFLICT,
        "ALREADY_RESOLVED",
    )
    .await;
    expect_error(
        resolve(987654, json!({"action": "discard", "note": "x"})).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;

    let row = monthly_row(&app, &token, &month_of(day), id).await;
    assert_eq!(
        (row["X"].as_str(), row["N"].as_str(), row["L"].as_str()),
        (Some("10"), Some("520"), Some("8")),
        "{row}"
    );
    let audits = expect_json(
        app.get("/api/v1/audit-logs?page_size=100", &token).await,
        StatusCode::OK,
    )
    .await;
    let actions: Vec<&str> = audits["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["action"].as_str())
        .collect();
    for action in ["usage.quarantine.resolve", "usage.account.link", "usage.write"] {
        assert!(actions.contains(&action), "{action} not audited: {actions:?}");
    }
    assert_monthly_totals_match_records(&app).await;
}

pub(crate) fn source(name: &str, vendor: &MockVendor, pagination: Pagination, path: &str) -> HttpSourceConfig {
    HttpSourceConfig {
        name: name.into(),
        base_url: vendor.base_url(),
        path: path.into(),
        day_param: "date".into(),
        day_format: "%Y-%m-%d".into(),
        auth_header: Some("Authorization".into()),
        auth_token: Some(opcms::config::Secret::new("Bearer test-token")),
        timeout_ms: 2000,
        max_response_bytes: 1024 * 1024,
        retries: 3,
        backoff_ms: 10,
        max_pages: 50,
        records_path: "data.items".into(),
        pagination,
        fields: FieldMap {
            account_id: "account".into(),
            series: "series".into(),
            day: "date".into(),
            quantity: "qty".into(),
            source_id: Some("id".into()),
        },
    }
}

pub(crate) fn pages(size: u32) -> Pagination {
    Pagination::Page {
        page_param: "page".into(),
        size_param: "page_size".into(),
        page_size: size,
        first_page: 1,
    }
}

pub(crate) const ACCOUNTS: [&str; 3] = ["va_1", "va_2", "va_3"];

/// A vendor serving three accounts and an app with two sources on it (page
/// numbers, cursor), plus the three customers.
pub(crate) async fn vendor_app(backend: Backend) -> (TestApp, MockVendor, String, Vec<i64>) {
    vendor_app_with(backend, |_| {}).await
}

/// [`vendor_app`] with more configuration.
pub(crate) async fn vendor_app_with(
    backend: Backend,
    configure: impl FnOnce(&mut opcms::config::Config),
) -> (TestApp, MockVendor, String, Vec<i64>) {
    let vendor = MockVendor::start(
        "127.0.0.1:0".parse().expect("addr"),
        ACCOUNTS.map(String::from).to_vec(),
    )
    .await
    .expect("mock vendor");
    let by_page = source("vendor", &vendor, pages(2), "/v1/usage");
    let by_cursor = source(
        "cursor",
        &vendor,
        Pagination::Cursor {
            cursor_param: "cursor".into(),
            next_cursor_path: "data.next_cursor".into(),
        },
        "/v1/usage-cursor",
    );
    let app = TestApp::spawn_with(backend, |c| {
        c.usage_sources = vec![by_page, by_cursor];
        configure(c);
    })
    .await;
    let token = app.admin_token().await;
    let mut ids = Vec::new();
    for (i, account) in ACCOUNTS.iter().enumerate() {
        ids.push(customer(&app, &token, &format!("V000{i}"), account).await);
    }
    (app, vendor, token, ids)
}

pub(crate) async fn collect(app: &TestApp, token: &str, day: NaiveDate, source: &str) -> Value {
    let body = expect_json(
        app.post(
            "/api/v1/usage/collect",
            Some(token),
            &json!({"date": day, "source": source}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    body["runs"][0].clone()
}

/// What the vendor reports for an account's series on a day, as text.
pub(crate) fn expected(account: &str, series: &str, day: NaiveDate, scale: u64) -> String {
    let cents = MockVendor::quantity_cents(account, series, &day.to_string()) * scale;
    let text = format!("{}.{:02}", cents / 100, cents % 100);
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    trimmed.to_string()
}

async fn collection_is_paginated_idempotent_and_tracks_redelivery(app: TestApp) {
    let (app, vendor, token, ids) = vendor_app(app.backend).await;
    let day = a_day();
    let run = collect(&app, &token, day, "vendor").await;
    assert_eq!(run["status"], "succeeded", "{run}");
    // 9 records in pages of 2: 5 pages.
    assert_eq!(
        (run["fetched"].as_i64(), run["created"].as_i64(), run["pages"].as_i64()),
        (Some(9), Some(9), Some(5))
    );
    assert!(run["duration_ms"].is_i64());
    let month = month_of(day);
    for (account, id) in ACCOUNTS.iter().zip(&ids) {
        let row = monthly_row(&app, &token, &month, *id).await;
        for series in ["X", "N", "L"] {
            assert_eq!(row[series], expected(account, series, day, 1), "{account} {series}");
        }
    }

    // The same page twice, overlapping pages, commas, JSON numbers, a cursor
    // source: nothing counted twice.
    assert_eq!(collect(&app, &token, day, "vendor").await["unchanged"], 9);
    vendor.set(Behaviour {
        duplicate_pages: true,
        qty_format: Some("comma".into()),
        ..Behaviour::default()
    });
    let overlapping = collect(&app, &token, day, "vendor").await;
    assert!(overlapping["fetched"].as_i64() > Some(9), "{overlapping}");
    assert_eq!(
        (overlapping["unchanged"].as_i64(), overlapping["created"].as_i64()),
        (Some(9), Some(0))
    );
    vendor.set(Behaviour {
        qty_format: Some("number".into()),
        ..Behaviour::default()
    });
    assert_eq!(collect(&app, &token, day, "vendor").await["unchanged"], 9);
    let by_cursor = collect(&app, &token, day, "cursor").await;
    assert_eq!(
        (by_cursor["created"].as_i64(), by_cursor["pages"].as_i64()),
        (Some(9), Some(1)),
        "{by_cursor}"
    );

    // A re-delivery with new values updates, with history.
    vendor.set(Behaviour {
        scale: Some(2),
        ..Behaviour::default()
    });
    assert_eq!(collect(&app, &token, day, "vendor").await["updated"], 9);
    let row = monthly_row(&app, &token, &month, ids[0]).await;
    // Two sources each deliver the day: vendor (now doubled) + cursor.
    let x = MockVendor::quantity_cents("va_1", "X", &day.to_string()) * 3;
    let text = format!("{}.{:02}", x / 100, x % 100);
    assert_eq!(row["X"], text.trim_end_matches('0').trim_end_matches('.'));
    let list = expect_json(
        app.get(
            &format!("/api/v1/usage?customer_id={}&source=api:vendor", ids[0]),
            &token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|r| r["revisions"] == 1),
        "{list}"
    );

    // The log lists every run, newest first, and a run can be repeated.
    let log = expect_json(
        app.get("/api/v1/usage/collections?source=vendor", &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(log["total"], 5);
    let newest = log["items"][0]["id"].as_i64().expect("id");
    let again = expect_json(
        app.post(
            &format!("/api/v1/usage/collections/{newest}/rerun"),
            Some(&token),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (again["trigger"].as_str(), again["unchanged"].as_i64()),
        (Some("rerun"), Some(9))
    );
    let sources = expect_json(app.get("/api/v1/usage/sources", &token).await, StatusCode::OK).await;
    assert_eq!(sources.as_array().map(Vec::len), Some(2));
    assert!(!sources.to_string().contains("test-token"));
    assert_monthly_totals_match_records(&app).await;
}

async fn vendor_failures_are_retried_logged_and_never_half_written(app: TestApp) {
    let (app, vendor, token, _) = vendor_app(app.backend).await;
    let day = a_day();
    let fail = |behaviour: Behaviour| {
        vendor.set(behaviour);
    };

    // Two 503s, then answers: retried with backoff, succeeds.
    fail(Behaviour {
        fail_times: 2,
        ..Behaviour::default()
    });
    let run = collect(&app, &token, day, "vendor").await;
    assert_eq!(
        (run["status"].as_str(), run["attempts"].as_i64()),
        (Some("succeeded"), Some(7)),
        "{run}"
    );

    let day = day_ago(3);
    let cases: Vec<(Behaviour, &str, i64)> = vec![
        // Never answers: 1 try + 3 retries.
        (
            Behaviour {
                fail_times: 100,
                ..Behaviour::default()
            },
            "503",
            4,
        ),
        // A 4xx is not retried.
        (
            Behaviour {
                fail_times: 1,
                fail_status: Some(401),
                ..Behaviour::default()
            },
            "401",
            1,
        ),
        (
            Behaviour {
                garbage: Some("html".into()),
                ..Behaviour::default()
            },
            "HTML",
            1,
        ),
        // Page 3 of 5 is garbage: pages 1–2 must not be written.
        (
            Behaviour {
                garbage: Some("json".into()),
                garbage_page: Some(3),
                ..Behaviour::default()
            },
            "JSON",
            3,
        ),
        (
            Behaviour {
                delay_ms: 2500,
                ..Behaviour::default()
            },
            "超时",
            4,
        ),
        (
            Behaviour {
                huge_bytes: 2 * 1024 * 1024,
                ..Behaviour::default()
            },
            "上限",
            1,
        ),
    ];
    for (behaviour, says, attempts) in cases {
        fail(behaviour);
        let run = collect(&app, &token, day, "vendor").await;
        assert_eq!(run["status"], "failed", "{run}");
        assert!(run["error"].as_str().unwrap_or("").contains(says), "{says}: {run}");
        assert_eq!(run["attempts"], attempts, "{says}: {run}");
        let written = expect_json(
            app.get(&format!("/api/v1/usage?from={day}&to={day}"), &token).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(written["total"], 0, "{says}: a failed run wrote records");
    }

    // Bad records within a good page are quarantined, the rest accepted.
    fail(Behaviour {
        bad_records: true,
        ..Behaviour::default()
    });
    let run = collect(&app, &token, day, "vendor").await;
    assert_eq!(
        (run["created"].as_i64(), run["quarantined"].as_i64()),
        (Some(9), Some(5)),
        "{run}"
    );
    let pending = expect_json(
        app.get("/api/v1/usage/quarantine?source=api:vendor", &token).await,
        StatusCode::OK,
    )
    .await;
    let mut reasons: Vec<&str> = pending["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["reason"].as_str())
        .collect();
    reasons.sort_unstable();
    assert_eq!(
        reasons,
        [
            "DAY_OUT_OF_RANGE",
            "INVALID_QUANTITY",
            "INVALID_QUANTITY",
            "UNKNOWN_ACCOUNT",
            "UNKNOWN_SERIES"
        ]
    );
    let failed = expect_json(
        app.get("/api/v1/usage/collections?status=failed", &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(failed["total"], 6);

    // Future days, unknown sources, no source at all.
    let future = app
        .post("/api/v1/usage/collect", Some(&token), &json!({"date": day_ago(-2)}))
        .await;
    expect_error(future, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    let unknown = app
        .post(
            "/api/v1/usage/collect",
            Some(&token),
            &json!({"date": day, "source": "nope"}),
        )
        .await;
    expect_error(unknown, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let bare = TestApp::spawn(app.backend).await;
    let bare_token = bare.admin_token().await;
    let none = bare
        .post("/api/v1/usage/collect", Some(&bare_token), &json!({"date": day}))
        .await;
    expect_error(none, StatusCode::CONFLICT, "NO_USAGE_SOURCE").await;
    assert_monthly_totals_match_records(&app).await;
}

async fn concurrent_collections_of_one_day_count_once(app: TestApp) {
    let (app, vendor, token, ids) = vendor_app(app.backend).await;
    vendor.set(Behaviour {
        delay_ms: 20,
        ..Behaviour::default()
    });
    let day = a_day();
    let runs = futures::future::join_all((0..4).map(|_| collect(&app, &token, day, "vendor"))).await;
    let created: i64 = runs.iter().map(|r| r["created"].as_i64().unwrap_or(0)).sum();
    let unchanged: i64 = runs.iter().map(|r| r["unchanged"].as_i64().unwrap_or(0)).sum();
    assert!(runs.iter().all(|r| r["status"] == "succeeded"), "{runs:?}");
    assert_eq!((created, unchanged), (9, 27), "{runs:?}");
    assert_eq!(count(&app, "usage_records").await, 9);
    let row = monthly_row(&app, &token, &month_of(day), ids[1]).await;
    assert_eq!(row["N"], expected("va_2", "N", day, 1));
    assert_monthly_totals_match_records(&app).await;
}

async fn a_file_is_previewed_then_written_in_one_go(app: TestApp) {
    let token = app.admin_token().await;
    let id = customer(&app, &token, "U0006", "acc_u6").await;
    let day = a_day();
    let slash = day.format("%Y/%-m/%-d").to_string();
    let csv = format!(
        "用量导入\n客户编号,平台账号,设备系列,日期,用量,备注\n\
         U0006,,X,{day},\"1,200.5\",\n\
         ,acc_u6,N,{slash},30,\n\
         U0006,,X,{day},99,重复行\n\
         U9999,,L,{day},5,\n\
         ,acc_u6,L,{day},-2,\n"
    );
    let preview = expect_json(
        app.upload(
            "/api/v1/usage/import?dry_run=true",
            &token,
            "用量.csv",
            csv.clone().into_bytes(),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            preview["total_rows"].as_u64(),
            preview["created"].as_u64(),
            preview["quarantined"].as_u64(),
            preview["duplicates"].as_u64()
        ),
        (Some(5), Some(2), Some(2), Some(1)),
        "{preview}"
    );
    let rows: Vec<(u64, &str)> = preview["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| (r["row"].as_u64().unwrap_or(0), r["status"].as_str().unwrap_or("")))
        .collect();
    // Every row is listed (issue 21: the preview shows whom each row is for).
    assert_eq!(
        rows,
        [
            (3, "created"),
            (4, "created"),
            (5, "duplicate"),
            (6, "quarantined"),
            (7, "quarantined")
        ]
    );
    assert_eq!(preview["rows"][0]["customer"]["customer_code"], "U0006");
    assert_eq!(preview["rows"][2]["customer"]["customer_code"], "U0006");
    assert!(
        preview["file_warnings"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("备注")
    );
    assert_eq!(count(&app, "usage_records").await, 0, "a dry run wrote records");
    assert_eq!(
        count(&app, "usage_quarantine").await,
        0,
        "a dry run quarantined records"
    );

    let done = expect_json(
        app.upload("/api/v1/usage/import", &token, "用量.csv", csv.into_bytes())
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (done["created"].as_u64(), done["quarantined"].as_u64()),
        (Some(2), Some(2))
    );
    let row = monthly_row(&app, &token, &month_of(day), id).await;
    assert_eq!((row["X"].as_str(), row["N"].as_str()), (Some("1200.5"), Some("30")));

    let headerless = app
        .upload("/api/v1/usage/import", &token, "x.csv", b"a,b\n1,2\n".to_vec())
        .await;
    expect_error(headerless, StatusCode::UNPROCESSABLE_ENTITY, "NO_HEADER_ROW").await;
    let broken = app
        .upload("/api/v1/usage/import", &token, "x.xlsx", b"PK\x03\x04broken".to_vec())
        .await;
    expect_error(broken, StatusCode::BAD_REQUEST, "INVALID_FILE").await;
    let template = app.get("/api/v1/usage/import/template", &token).await;
    assert_eq!(template.status(), StatusCode::OK);
    assert!(template.bytes().await.expect("bytes").starts_with(b"PK"));
}

async fn usage_is_for_operations_and_management_only(app: TestApp) {
    let admin = app.admin_token().await;
    let id = customer(&app, &admin, "U0007", "acc_u7").await;
    let (_, sales) = app.user_with_role(&admin, "sales_u", "sales").await;
    let (_, ops) = app.user_with_role(&admin, "ops_u", "operations").await;
    let month = month_of(a_day());
    for path in [
        "/api/v1/usage".to_string(),
        format!("/api/v1/usage/monthly?month={month}"),
        "/api/v1/usage/quarantine".to_string(),
        "/api/v1/usage/collections".to_string(),
    ] {
        expect_error(app.get(&path, &sales).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
        expect_json(app.get(&path, &ops).await, StatusCode::OK).await;
    }
    let body = json!({"records": [{"customer_id": id, "series": "X", "day": a_day(), "quantity": "1"}]});
    expect_error(
        app.post("/api/v1/usage", Some(&sales), &body).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    assert_eq!(enter(&app, &ops, body).await["created"], 1);
}

/// 34 customers with the largest quantity a record may have on every day
/// of a month (at least 952 records): each month fits what a stored
/// quantity holds, their sum does not, and the monthly table's totals row
/// still answers exactly.
async fn monthly_totals_sum_past_the_stored_range(app: TestApp) {
    let token = app.admin_token().await;
    let first_of_this = Utc::now().date_naive().with_day(1).expect("first");
    let first = (first_of_this - Duration::days(1)).with_day(1).expect("first");
    let month = month_of(first);
    const CUSTOMERS: usize = 34;
    let mut records = Vec::new();
    for c in 0..CUSTOMERS {
        let id = customer(&app, &token, &format!("Q{c:04}"), &format!("acc_q{c}")).await;
        for day in first.iter_days().take_while(|d| d.month() == first.month()) {
            records.push(json!({"customer_id": id, "series": "X", "day": day, "quantity": "999999999999.9999"}));
        }
    }
    let days = records.len() / CUSTOMERS;
    assert!(records.len() > 922, "past what an i64 of 0.0001 units holds");
    let result = enter(&app, &token, json!({"records": records, "strict": true})).await;
    assert_eq!(result["created"], CUSTOMERS * days);
    let table = expect_json(
        app.get(&format!("/api/v1/usage/monthly?month={month}&page_size=5"), &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(table["total"], CUSTOMERS);
    let per_customer = Decimal::from_str("999999999999.9999").expect("decimal") * Decimal::from(days);
    assert_eq!(table["items"][0]["X"], per_customer.normalize().to_string());
    let all = per_customer * Decimal::from(CUSTOMERS);
    assert_eq!(table["totals"]["X"], all.normalize().to_string(), "{}", table["totals"]);
    assert_eq!(table["totals"]["N"], "0");
}
