//! Payments and write-off (issue 8): receipts with duplicate protection,
//! allocation across bills and its reversal, the invariants under 20
//! concurrent requests, suggestions (exact, subset, oldest first, payer
//! names), bank statement import, aging and the statement of account.

use std::collections::HashSet;

use chrono::{Datelike, Duration, NaiveDate, Utc};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    receipts_are_validated_numbered_and_never_entered_twice,
    allocation_settles_bills_and_reversal_restores_both_sides,
    bad_allocations_are_refused_and_write_nothing,
    concurrent_allocations_never_exceed_either_side,
    suggestions_find_exact_subset_oldest_and_customers_by_name,
    bank_statements_import_with_dry_run_and_duplicates,
    aging_and_statement_show_what_is_owed,
    the_aging_report_read_from_its_snapshot_follows_every_change,
    sums_beyond_the_stored_range_are_exact_in_lists_aging_and_statements,
    statement_import_allocates_exact_one_to_one_matches_when_asked,
    auto_allocation_and_manual_allocation_race_without_overpaying,
    statement_of_a_period_as_json_pdf_and_excel,
    an_account_that_owes_closes_only_when_forced,
    list_totals_stay_exact_under_concurrent_writes_and_folds,
);

/// Today in China (the business day).
fn today() -> NaiveDate {
    (Utc::now() + Duration::hours(8)).date_naive()
}

fn period_of(day: NaiveDate) -> String {
    day.format("%Y-%m").to_string()
}

/// A period `n` months before this one.
fn months_ago(n: u32) -> String {
    let mut day = today().with_day(1).expect("first");
    for _ in 0..n {
        day = (day - Duration::days(1)).with_day(1).expect("first");
    }
    period_of(day)
}

async fn customer(app: &TestApp, token: &str, code: &str, name: &str) -> i64 {
    let body = json!({"company_name": name, "customer_code": code, "account_id": format!("acc_{code}"),
                      "device_series": ["X"], "account_status": "active", "payment_terms_days": 15});
    expect_json(
        app.post("/api/v1/customers", Some(token), &body).await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_i64()
        .expect("id")
}

/// A manual bill of one line, issued unless `draft`; returns its id.
async fn bill(app: &TestApp, token: &str, customer_id: i64, period: &str, amount: &str, draft: bool) -> i64 {
    let body = json!({"customer_id": customer_id, "period": period,
                      "lines": [{"description": "服务费", "amount": amount}]});
    let id = expect_json(app.post("/api/v1/bills", Some(token), &body).await, StatusCode::OK).await["id"]
        .as_i64()
        .expect("id");
    if !draft {
        expect_json(
            app.post(&format!("/api/v1/bills/{id}/issue"), Some(token), &json!({}))
                .await,
            StatusCode::OK,
        )
        .await;
    }
    id
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    expect_json(app.get(path, token).await, StatusCode::OK).await
}

async fn bill_state(app: &TestApp, token: &str, id: i64) -> (String, String, String) {
    let bill = get(app, token, &format!("/api/v1/bills/{id}")).await;
    (
        bill["status"].as_str().unwrap_or_default().to_string(),
        bill["allocated"].as_str().unwrap_or_default().to_string(),
        bill["outstanding"].as_str().unwrap_or_default().to_string(),
    )
}

async fn payment(app: &TestApp, token: &str, body: Value) -> Value {
    expect_json(
        app.post("/api/v1/payments", Some(token), &body).await,
        StatusCode::CREATED,
    )
    .await
}

fn receipt(customer_id: Option<i64>, amount: &str, reference: Option<&str>) -> Value {
    json!({"customer_id": customer_id, "amount": amount, "received_at": today().to_string(),
           "method": "bank_transfer", "payer_name": "付款单位", "reference": reference})
}

async fn allocate(app: &TestApp, token: &str, payment_id: i64, lines: &[(i64, &str)]) -> reqwest::Response {
    let allocations: Vec<Value> = lines
        .iter()
        .map(|(bill_id, amount)| json!({"bill_id": bill_id, "amount": amount}))
        .collect();
    app.post(
        &format!("/api/v1/payments/{payment_id}/allocations"),
        Some(token),
        &json!({"allocations": allocations}),
    )
    .await
}

async fn reverse(app: &TestApp, token: &str, allocation_id: i64, reason: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/allocations/{allocation_id}/reverse"),
        Some(token),
        &json!({"reason": reason}),
    )
    .await
}

/// Moves a bill's due date to `days` before today (after it, when negative).
async fn due_days_ago(app: &TestApp, bill_id: i64, days: i64) {
    let backend = app.db.get_database_backend();
    let day = today() - Duration::days(days);
    let sql = match backend {
        sea_orm::DbBackend::Postgres => format!("UPDATE bills SET due_date = '{day}'::date WHERE id = {bill_id}"),
        _ => format!("UPDATE bills SET due_date = '{day}' WHERE id = {bill_id}"),
    };
    app.db
        .execute_raw(Statement::from_string(backend, sql))
        .await
        .expect("due date");
}

fn id(value: &Value) -> i64 {
    value["id"].as_i64().unwrap_or_else(|| panic!("no id: {value}"))
}

/// One integer from SQL; `{int}` stands for the backend's BIGINT cast type
/// (a SUM is NUMERIC on PostgreSQL and DECIMAL on MySQL otherwise).
async fn scalar(app: &TestApp, sql: &str) -> i64 {
    let backend = app.db.get_database_backend();
    let int = if backend == sea_orm::DbBackend::MySql {
        "SIGNED"
    } else {
        "BIGINT"
    };
    let sql = sql.replace("{int}", int);
    let row = app
        .db
        .query_one_raw(Statement::from_string(backend, sql))
        .await
        .expect("query")
        .expect("row");
    row.try_get_by_index::<i64>(0).expect("integer")
}

async fn receipts_are_validated_numbered_and_never_entered_twice(app: TestApp) {
    let token = app.admin_token().await;
    let c = customer(&app, &token, "P0001", "上海收款测试有限公司").await;
    let first = payment(&app, &token, receipt(Some(c), "1234.5", Some("TX 0001"))).await;
    let month = today().format("%Y%m").to_string();
    assert_eq!(first["payment_no"], format!("P{month}-000001"));
    assert_eq!(first["amount"], "1234.50");
    assert_eq!(first["unapplied"], "1234.50");
    assert_eq!(first["status"], "unapplied");
    assert_eq!(first["customer"]["customer_code"], "P0001");
    assert_eq!(first["source"], "manual");

    // Bad input: every field named, nothing written.
    let future = (today() + Duration::days(1)).to_string();
    let bad = json!({"amount": "0", "received_at": future, "method": "刷卡", "reference": "R".repeat(65)});
    let body = expect_error(
        app.post("/api/v1/payments", Some(&token), &bad).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    let fields: HashSet<&str> = body["error"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|d| d["field"].as_str())
        .collect();
    assert_eq!(fields, HashSet::from(["amount", "received_at", "method", "reference"]));
    for (amount, code) in [
        ("-1", "NOT_POSITIVE"),
        ("1.001", "TOO_MANY_DECIMALS"),
        ("abc", "NOT_A_NUMBER"),
    ] {
        let body = expect_error(
            app.post("/api/v1/payments", Some(&token), &receipt(Some(c), amount, None))
                .await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(body["error"]["details"][0]["code"], code, "{amount}: {body}");
    }
    let mut number = receipt(Some(c), "1", None);
    number["amount"] = json!(12.5);
    let body = expect_error(
        app.post("/api/v1/payments", Some(&token), &number).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(body["error"]["details"][0]["code"], "NUMBER_NOT_STRING");
    expect_error(
        app.post("/api/v1/payments", Some(&token), &receipt(Some(999_999), "1", None))
            .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(get(&app, &token, "/api/v1/payments").await["total"], 1);

    // The same receipt again (spacing and case differ): refused, naming it.
    let body = expect_error(
        app.post(
            "/api/v1/payments",
            Some(&token),
            &receipt(Some(c), "99", Some("tx0001")),
        )
        .await,
        StatusCode::CONFLICT,
        "DUPLICATE_PAYMENT",
    )
    .await;
    assert_eq!(body["error"]["details"][0]["payment_no"], first["payment_no"]);
    assert!(body["error"]["message"].as_str().unwrap_or_default().contains("已登记"));
    // Another method with the same reference is another receipt; no reference never clashes.
    let mut wechat = receipt(None, "50", Some("TX0001"));
    wechat["method"] = json!("微信");
    let second = payment(&app, &token, wechat).await;
    assert_eq!(second["method"], "wechat");
    assert_eq!(second["payment_no"], format!("P{month}-000002"));
    assert!(second["customer"].is_null());
    payment(&app, &token, receipt(Some(c), "10", None)).await;
    payment(&app, &token, receipt(Some(c), "10", None)).await;
    // The database itself refuses a second live key.
    let backend = app.db.get_database_backend();
    let sql = format!(
        "UPDATE payments SET reference_key = 'bank_transfer:TX0001' WHERE id = {}",
        id(&second)
    );
    assert!(
        app.db.execute_raw(Statement::from_string(backend, sql)).await.is_err(),
        "the unique key must refuse a duplicate reference"
    );

    // Edit while nothing is allocated; a stale version is refused.
    let edited = expect_json(
        app.patch(
            &format!("/api/v1/payments/{}", id(&first)),
            &token,
            &json!({"amount": "1300.00", "remarks": "更正金额", "version": 1}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(edited["amount"], "1300.00");
    assert_eq!(edited["reference"], "TX 0001");
    expect_error(
        app.patch(
            &format!("/api/v1/payments/{}", id(&first)),
            &token,
            &json!({"amount": "1.00", "version": 1}),
        )
        .await,
        StatusCode::CONFLICT,
        "VERSION_CONFLICT",
    )
    .await;

    // Delete needs a reason, frees the reference, and is audited.
    let delete = |reason: Value| {
        app.request(
            Method::DELETE,
            &format!("/api/v1/payments/{}", id(&first)),
            Some(&token),
        )
        .json(&json!({"reason": reason}))
        .send()
    };
    expect_error(
        delete(json!("")).await.expect("request"),
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(
        delete(json!("录入错误")).await.expect("request").status(),
        StatusCode::NO_CONTENT
    );
    expect_error(
        app.get(&format!("/api/v1/payments/{}", id(&first)), &token).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    let again = payment(&app, &token, receipt(Some(c), "1300", Some("TX0001"))).await;
    assert_eq!(again["payment_no"], format!("P{month}-000005"));
    let history = get(&app, &token, &format!("/api/v1/payments/{}/history", id(&again))).await;
    assert_eq!(history["items"][0]["action"], "payment.create");
    let audits = scalar(
        &app,
        &format!(
            "SELECT COUNT(*) FROM audit_logs WHERE entity_type = 'payment' AND entity_id = '{}'",
            id(&first)
        ),
    )
    .await;
    assert_eq!(audits, 3, "create, update, delete");

    // List: filters and totals.
    let page = get(&app, &token, "/api/v1/payments?unassigned=true").await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["totals"]["amount"], "50.00");
    let page = get(
        &app,
        &token,
        &format!("/api/v1/payments?customer_id={c}&status=unapplied"),
    )
    .await;
    assert_eq!(page["total"], 3);
    assert_eq!(page["totals"]["unapplied"], "1320.00");
    let page = get(&app, &token, "/api/v1/payments?q=TX0001&method=wechat").await;
    assert_eq!(page["total"], 1);
    // Export: the list's filters, Chinese headers, unassigned ones named so.
    let csv = app
        .get("/api/v1/payments/export?format=csv&method=wechat", &token)
        .await;
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.expect("text");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains("收款编号") && lines[0].contains("未核销（预收）"),
        "{text}"
    );
    assert_eq!(lines.len(), 2, "header and the one wechat payment: {text}");
    assert!(lines[1].contains(second["payment_no"].as_str().unwrap_or("?")) && lines[1].contains("未认领"));
    let xlsx = app.get("/api/v1/payments/export?format=xlsx", &token).await;
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert!(xlsx.bytes().await.expect("bytes").starts_with(b"PK"));
    expect_error(
        app.get("/api/v1/payments/export?format=pdf", &token).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    expect_error(
        app.get("/api/v1/payments?status=paid", &token).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
}

async fn allocation_settles_bills_and_reversal_restores_both_sides(app: TestApp) {
    let token = app.admin_token().await;
    let c = customer(&app, &token, "A0001", "合并核销测试有限公司").await;
    let b1 = bill(&app, &token, c, &months_ago(2), "100.00", false).await;
    let b2 = bill(&app, &token, c, &months_ago(1), "250.50", false).await;
    let b3 = bill(&app, &token, c, &months_ago(1), "300.00", false).await;
    let p = payment(&app, &token, receipt(Some(c), "400.00", Some("M-1"))).await;

    // 合并核销: one payment, two bills.
    let result = expect_json(
        allocate(&app, &token, id(&p), &[(b1, "100"), (b2, "250.50")]).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(result["payment"]["allocated"], "350.50");
    assert_eq!(result["payment"]["unapplied"], "49.50");
    assert_eq!(result["payment"]["status"], "partially_applied");
    assert_eq!(result["allocations"].as_array().map(Vec::len), Some(2));
    assert_eq!(result["bills"][1]["status"], "paid");
    assert_eq!(
        bill_state(&app, &token, b1).await,
        ("paid".into(), "100.00".into(), "0.00".into())
    );
    assert_eq!(
        bill_state(&app, &token, b2).await,
        ("paid".into(), "250.50".into(), "0.00".into())
    );

    // 部分核销: a bill settled by two payments.
    expect_json(allocate(&app, &token, id(&p), &[(b3, "49.50")]).await, StatusCode::OK).await;
    assert_eq!(bill_state(&app, &token, b3).await.0, "partially_paid");
    let q = payment(&app, &token, receipt(Some(c), "500.00", Some("M-2"))).await;
    expect_json(allocate(&app, &token, id(&q), &[(b3, "250.50")]).await, StatusCode::OK).await;
    assert_eq!(
        bill_state(&app, &token, b3).await,
        ("paid".into(), "300.00".into(), "0.00".into())
    );
    let allocations = get(&app, &token, &format!("/api/v1/bills/{b3}/allocations")).await;
    assert_eq!(allocations.as_array().map(Vec::len), Some(2));
    assert_eq!(allocations[0]["payment_no"], q["payment_no"]);

    // A bill with allocations cannot be voided.
    expect_error(
        app.post(
            &format!("/api/v1/bills/{b1}/void"),
            Some(&token),
            &json!({"reason": "错"}),
        )
        .await,
        StatusCode::CONFLICT,
        "BILL_HAS_ALLOCATIONS",
    )
    .await;

    // 撤销核销: kept and marked, both sides restored, status recomputed.
    let detail = get(&app, &token, &format!("/api/v1/payments/{}", id(&p))).await;
    let to_b2 = detail["allocations"]
        .as_array()
        .expect("allocations")
        .iter()
        .find(|a| a["bill_id"] == b2)
        .map(id)
        .expect("allocation to b2");
    expect_error(
        reverse(&app, &token, to_b2, " ").await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    let after = expect_json(reverse(&app, &token, to_b2, "核销错账单").await, StatusCode::OK).await;
    assert_eq!(after["allocated"], "149.50");
    assert_eq!(after["unapplied"], "250.50");
    let reversed = after["allocations"]
        .as_array()
        .expect("allocations")
        .iter()
        .find(|a| id(a) == to_b2)
        .expect("kept");
    assert_eq!(reversed["status"], "reversed");
    assert_eq!(reversed["reverse_reason"], "核销错账单");
    assert!(reversed["reversed_by"]["display_name"].is_string());
    assert_eq!(
        bill_state(&app, &token, b2).await,
        ("issued".into(), "0.00".into(), "250.50".into())
    );
    expect_error(
        reverse(&app, &token, to_b2, "再撤一次").await,
        StatusCode::CONFLICT,
        "ALLOCATION_ALREADY_REVERSED",
    )
    .await;
    // Reversing a part of a settled bill leaves it partly paid.
    let to_b3 = get(&app, &token, &format!("/api/v1/payments/{}", id(&q))).await["allocations"][0]["id"]
        .as_i64()
        .expect("id");
    expect_json(reverse(&app, &token, to_b3, "对方退票").await, StatusCode::OK).await;
    assert_eq!(
        bill_state(&app, &token, b3).await,
        ("partially_paid".into(), "49.50".into(), "250.50".into())
    );
    // The balance can be applied later.
    expect_json(allocate(&app, &token, id(&q), &[(b2, "250.50")]).await, StatusCode::OK).await;
    assert_eq!(bill_state(&app, &token, b2).await.0, "paid");

    // Audited on both sides.
    let bill_history = get(&app, &token, &format!("/api/v1/bills/{b2}/history")).await;
    let actions: Vec<&str> = bill_history["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"bill.allocate") && actions.contains(&"bill.reverse_allocation"),
        "{actions:?}"
    );
    // Sums agree with the rows.
    let live = scalar(
        &app,
        &format!("SELECT CAST(COALESCE(SUM(amount), 0) AS {{int}}) FROM payment_allocations WHERE payment_id = {} AND status = 'active'", id(&p)),
    )
    .await;
    assert_eq!(live, 1_495_000, "149.50 in units of 0.0001");
}

async fn bad_allocations_are_refused_and_write_nothing(app: TestApp) {
    let token = app.admin_token().await;
    let c = customer(&app, &token, "R0001", "规则测试一有限公司").await;
    let other = customer(&app, &token, "R0002", "规则测试二有限公司").await;
    let open = bill(&app, &token, c, &months_ago(1), "100.00", false).await;
    let open2 = bill(&app, &token, c, &months_ago(2), "80.00", false).await;
    let draft = bill(&app, &token, c, &months_ago(1), "10.00", true).await;
    let voided = bill(&app, &token, c, &months_ago(1), "10.00", false).await;
    expect_json(
        app.post(
            &format!("/api/v1/bills/{voided}/void"),
            Some(&token),
            &json!({"reason": "作废"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let others = bill(&app, &token, other, &months_ago(1), "100.00", false).await;
    let p = payment(&app, &token, receipt(Some(c), "150.00", None)).await;
    let pid = id(&p);

    for (lines, status, code) in [
        (vec![], StatusCode::BAD_REQUEST, "VALIDATION_FAILED"),
        (vec![(open, "0")], StatusCode::BAD_REQUEST, "VALIDATION_FAILED"),
        (vec![(open, "-5")], StatusCode::BAD_REQUEST, "VALIDATION_FAILED"),
        (vec![(open, "1.005")], StatusCode::BAD_REQUEST, "VALIDATION_FAILED"),
        (
            vec![(open, "1"), (open, "2")],
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        ),
        (vec![(open, "100.01")], StatusCode::CONFLICT, "EXCEEDS_OUTSTANDING"),
        (
            vec![(open, "100"), (open2, "50.01")],
            StatusCode::CONFLICT,
            "EXCEEDS_UNAPPLIED",
        ),
        (vec![(draft, "1")], StatusCode::CONFLICT, "BILL_NOT_OPEN"),
        (vec![(voided, "1")], StatusCode::CONFLICT, "BILL_NOT_OPEN"),
        (
            vec![(open, "1"), (others, "1")],
            StatusCode::CONFLICT,
            "CUSTOMER_MISMATCH",
        ),
        (vec![(999_999, "1")], StatusCode::NOT_FOUND, "NOT_FOUND"),
    ] {
        expect_error(allocate(&app, &token, pid, &lines).await, status, code).await;
    }
    let body = expect_error(
        allocate(&app, &token, pid, &[(open, "1.005")]).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(body["error"]["details"][0]["field"], "allocations[0].amount");
    // Nothing written by any of them.
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM payment_allocations").await, 0);
    assert_eq!(bill_state(&app, &token, open).await.1, "0.00");
    assert_eq!(
        get(&app, &token, &format!("/api/v1/payments/{pid}")).await["allocated"],
        "0.00"
    );

    // A payment without a customer takes the bills' customer, one only.
    let unknown = payment(&app, &token, receipt(None, "30", None)).await;
    expect_error(
        allocate(&app, &token, id(&unknown), &[(open, "10"), (others, "10")]).await,
        StatusCode::CONFLICT,
        "CUSTOMER_MISMATCH",
    )
    .await;
    let result = expect_json(
        allocate(&app, &token, id(&unknown), &[(others, "30")]).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(result["payment"]["customer_id"], other);
    assert_eq!(result["payment"]["status"], "applied");
    // A paid-off payment has nothing left.
    expect_error(
        allocate(&app, &token, id(&unknown), &[(others, "0.01")]).await,
        StatusCode::CONFLICT,
        "EXCEEDS_UNAPPLIED",
    )
    .await;

    // Once allocated, a payment is neither edited nor deleted.
    expect_json(allocate(&app, &token, pid, &[(open, "100")]).await, StatusCode::OK).await;
    expect_error(
        app.patch(&format!("/api/v1/payments/{pid}"), &token, &json!({"amount": "200"}))
            .await,
        StatusCode::CONFLICT,
        "PAYMENT_HAS_ALLOCATIONS",
    )
    .await;
    let deleted = app
        .request(Method::DELETE, &format!("/api/v1/payments/{pid}"), Some(&token))
        .json(&json!({"reason": "删掉"}))
        .send()
        .await
        .expect("request");
    expect_error(deleted, StatusCode::CONFLICT, "PAYMENT_HAS_ALLOCATIONS").await;
    // A paid bill takes no more.
    let p2 = payment(&app, &token, receipt(Some(c), "10", None)).await;
    expect_error(
        allocate(&app, &token, id(&p2), &[(open, "1")]).await,
        StatusCode::CONFLICT,
        "BILL_NOT_OPEN",
    )
    .await;

    // Scope: sales sees its own customers' payments only, and writes none.
    let (sales_id, sales) = app.user_with_role(&token, "sales1", "sales").await;
    expect_json(
        app.patch(
            &format!("/api/v1/customers/{c}"),
            &token,
            &json!({"sales_owner_id": sales_id, "version": 1}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(get(&app, &sales, &format!("/api/v1/payments/{pid}")).await["id"], pid);
    expect_error(
        app.get(&format!("/api/v1/payments/{}", id(&unknown)), &sales).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    let page = get(&app, &sales, "/api/v1/payments").await;
    assert_eq!(page["total"], 2, "{page}");
    expect_error(
        app.post("/api/v1/payments", Some(&sales), &receipt(Some(c), "1", None))
            .await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    expect_error(
        allocate(&app, &sales, id(&p2), &[(open2, "1")]).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
}

async fn concurrent_allocations_never_exceed_either_side(app: TestApp) {
    let token = app.admin_token().await;
    let c = customer(&app, &token, "X0001", "并发核销测试有限公司").await;
    let mut bills = Vec::new();
    for _ in 0..20 {
        bills.push(bill(&app, &token, c, &months_ago(1), "100.00", false).await);
    }
    // One payment, 20 requests at once, each 75.00 to its own bill: only
    // 13 fit into 1,000.00.
    let p = payment(&app, &token, receipt(Some(c), "1000.00", None)).await;
    let pid = id(&p);
    let requests = bills.iter().map(|b| {
        let (app, token) = (&app, &token);
        async move { allocate(app, token, pid, &[(*b, "75.00")]).await.status() }
    });
    let statuses = futures::future::join_all(requests).await;
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count();
    assert_eq!((ok, refused), (13, 7), "{statuses:?}");
    let detail = get(&app, &token, &format!("/api/v1/payments/{pid}")).await;
    assert_eq!(detail["allocated"], "975.00");
    let rows = scalar(
        &app,
        &format!("SELECT CAST(COALESCE(SUM(amount), 0) AS {{int}}) FROM payment_allocations WHERE payment_id = {pid} AND status = 'active'"),
    )
    .await;
    assert_eq!(rows, 9_750_000, "the rows sum to the running total");

    // One bill, 20 requests at once from four payments, each 30.00: only
    // three fit into 100.00.
    let target = bills[19];
    let target_left = bill_state(&app, &token, target).await.2;
    let target = if target_left == "100.00" {
        target
    } else {
        bill(&app, &token, c, &months_ago(1), "100.00", false).await
    };
    let mut payers = Vec::new();
    for i in 0..4 {
        payers.push(id(&payment(
            &app,
            &token,
            receipt(Some(c), "100.00", Some(&format!("C-{i}"))),
        )
        .await));
    }
    let requests = (0..20).map(|i| {
        let (app, token, payer) = (&app, &token, payers[i % 4]);
        async move { allocate(app, token, payer, &[(target, "30.00")]).await.status() }
    });
    let statuses = futures::future::join_all(requests).await;
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(ok, 3, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    assert_eq!(
        bill_state(&app, &token, target).await,
        ("partially_paid".into(), "90.00".into(), "10.00".into())
    );
    let sum = scalar(
        &app,
        &format!("SELECT CAST(COALESCE(SUM(amount), 0) AS {{int}}) FROM payment_allocations WHERE bill_id = {target} AND status = 'active'"),
    )
    .await;
    assert_eq!(sum, 900_000);

    // Whatever the code did, the database refuses more than the amount or the total.
    let backend = app.db.get_database_backend();
    for sql in [
        format!("UPDATE payments SET allocated = amount + 1 WHERE id = {pid}"),
        format!("UPDATE bills SET allocated = total + 1 WHERE id = {target}"),
        format!("UPDATE payments SET amount = 0 WHERE id = {pid}"),
    ] {
        assert!(
            app.db
                .execute_raw(Statement::from_string(backend, sql.clone()))
                .await
                .is_err(),
            "the database accepted: {sql}"
        );
    }
}

async fn suggestions_find_exact_subset_oldest_and_customers_by_name(app: TestApp) {
    let token = app.admin_token().await;
    let c = customer(&app, &token, "S0001", "上海星河物业管理有限公司").await;
    customer(&app, &token, "S0002", "北京云栖科技有限公司").await;
    let oldest = bill(&app, &token, c, &months_ago(4), "120.00", false).await;
    let exact = bill(&app, &token, c, &months_ago(3), "200.00", false).await;
    let big = bill(&app, &token, c, &months_ago(2), "330.00", false).await;
    let small = bill(&app, &token, c, &months_ago(1), "80.00", false).await;
    bill(&app, &token, c, &months_ago(1), "999.00", true).await; // a draft is never suggested

    let p = payment(&app, &token, receipt(Some(c), "200.00", None)).await;
    let s = get(&app, &token, &format!("/api/v1/payments/{}/suggestions", id(&p))).await;
    assert_eq!(s["open_bills"].as_array().map(Vec::len), Some(4));
    assert_eq!(s["open_bills"][0]["bill_id"], oldest, "oldest first");
    assert_eq!(s["suggestions"][0]["kind"], "exact");
    assert_eq!(s["suggestions"][0]["allocations"][0]["bill_id"], exact);
    assert!(
        s["suggestions"][0]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("完全相同")
    );
    // 120 + 80 also makes 200: the subset.
    let subset = s["suggestions"]
        .as_array()
        .expect("suggestions")
        .iter()
        .find(|x| x["kind"] == "subset")
        .expect("a subset");
    let ids: HashSet<i64> = subset["allocations"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l["bill_id"].as_i64())
        .collect();
    assert_eq!(ids, HashSet::from([oldest, small]));

    let p = payment(&app, &token, receipt(Some(c), "410.00", None)).await;
    let s = get(&app, &token, &format!("/api/v1/payments/{}/suggestions", id(&p))).await;
    assert_eq!(s["suggestions"][0]["kind"], "subset", "{s}");
    assert_eq!(s["suggestions"][0]["total"], "410.00");
    // Applying a suggestion as sent works.
    let lines: Vec<(i64, String)> = s["suggestions"][0]["allocations"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                l["bill_id"].as_i64().expect("id"),
                l["amount"].as_str().expect("amount").to_string(),
            )
        })
        .collect();
    let refs: Vec<(i64, &str)> = lines.iter().map(|(b, a)| (*b, a.as_str())).collect();
    expect_json(allocate(&app, &token, id(&p), &refs).await, StatusCode::OK).await;
    let _ = big;

    let p = payment(&app, &token, receipt(Some(c), "1000.00", None)).await;
    let s = get(&app, &token, &format!("/api/v1/payments/{}/suggestions", id(&p))).await;
    let last = s["suggestions"]
        .as_array()
        .and_then(|a| a.last())
        .cloned()
        .expect("one");
    assert_eq!(last["kind"], "oldest_first");
    assert!(last["reason"].as_str().unwrap_or_default().contains("预收"), "{last}");

    // No customer: ranked by the payer's name.
    let mut unknown = receipt(None, "10", None);
    unknown["payer_name"] = json!("星河物业");
    let p = payment(&app, &token, unknown).await;
    let s = get(&app, &token, &format!("/api/v1/payments/{}/suggestions", id(&p))).await;
    assert_eq!(s["customers"][0]["customer_id"], c, "{s}");
    assert!(s["customers"][0]["score"].as_u64().unwrap_or(0) >= 70);
    assert_eq!(
        s["customers"].as_array().map(Vec::len),
        Some(1),
        "the other company does not match"
    );
    assert_eq!(s["suggestions"].as_array().map(Vec::len), Some(0));
}

async fn bank_statements_import_with_dry_run_and_duplicates(app: TestApp) {
    let token = app.admin_token().await;
    let c = customer(&app, &token, "I0001", "杭州流水导入有限公司").await;
    payment(&app, &token, receipt(Some(c), "10", Some("BANK-0009"))).await;
    let day = (today() - Duration::days(3)).format("%Y/%m/%d").to_string();
    let future = (today() + Duration::days(3)).to_string();
    let csv = format!(
        "2026年11月 招商银行 对公账户流水\n\
         交易日期,收入金额,支出金额,对方户名,交易流水号,摘要,客户编号\n\
         {day},\"1,200.00\",,杭州流水导入有限公司,BANK-0001,服务费,\n\
         {day},300,,某个不认识的公司,BANK-0002,,\n\
         {day},300,,某个不认识的公司,bank- 0002,重复行,\n\
         {day},10,,杭州流水导入有限公司,BANK-0009,已登记过,\n\
         {day},,88.00,房租,BANK-0003,支出,\n\
         {day},abc,,某公司,BANK-0004,,\n\
         {day},50,,某公司,BANK-0005,,C404\n\
         {future},50,,某公司,BANK-0006,,\n\
         {day},￥66.60元,,别名付款,BANK-0007,,I0001\n"
    );
    let dry = expect_json(
        app.upload(
            "/api/v1/payments/import?dry_run=true",
            &token,
            "流水.csv",
            csv.clone().into_bytes(),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["total_rows"], 9);
    assert_eq!(dry["created"], 3, "{dry}");
    assert_eq!(dry["duplicates"], 2);
    assert_eq!(dry["skipped"], 1);
    assert_eq!(dry["rejected"], 3);
    assert_eq!(dry["amount"], "1566.60");
    assert_eq!(dry["assigned"], 2);
    let rows = dry["rows"].as_array().expect("rows");
    let status_of = |n: u64| rows.iter().find(|r| r["row"] == n).map(|r| r["status"].clone());
    assert_eq!(status_of(5), Some(json!("duplicate")));
    assert_eq!(status_of(6), Some(json!("duplicate")));
    assert_eq!(status_of(7), Some(json!("skipped")));
    assert_eq!(status_of(8), Some(json!("rejected")));
    let unknown_code = rows.iter().find(|r| r["row"] == 9).expect("row 9");
    assert!(unknown_code["message"].as_str().unwrap_or_default().contains("C404"));
    assert!(
        rows.iter()
            .find(|r| r["row"] == 6)
            .and_then(|r| r["message"].as_str())
            .unwrap_or_default()
            .contains("已登记"),
    );
    assert_eq!(
        get(&app, &token, "/api/v1/payments").await["total"],
        1,
        "a dry run writes nothing"
    );

    let done = expect_json(
        app.upload("/api/v1/payments/import", &token, "流水.csv", csv.clone().into_bytes())
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["created"], 3);
    let page = get(&app, &token, "/api/v1/payments?q=BANK-000&page_size=50").await;
    assert_eq!(page["total"], 4);
    let imported = get(&app, &token, "/api/v1/payments?q=BANK-0001").await;
    assert_eq!(imported["items"][0]["customer_id"], c, "matched by the payer's name");
    assert_eq!(imported["items"][0]["source"], "import");
    assert_eq!(imported["items"][0]["amount"], "1200.00");
    // Importing the same statement again creates nothing.
    let again = expect_json(
        app.upload("/api/v1/payments/import", &token, "流水.csv", csv.into_bytes())
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(again["created"], 0);
    assert_eq!(again["duplicates"], 5);

    // Files that are not statements.
    expect_error(
        app.upload(
            "/api/v1/payments/import",
            &token,
            "x.csv",
            "姓名,年龄\n张三,3\n".as_bytes().to_vec(),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "NO_HEADER_ROW",
    )
    .await;
    expect_error(
        app.upload(
            "/api/v1/payments/import",
            &token,
            "x.docx",
            b"PK\x03\x04garbage".to_vec(),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "INVALID_FILE",
    )
    .await;
    // A bank's .xlsx export: a real date cell, numbers for the amount and
    // for a 14-digit reference (read back as its digits, not 2.026E13).
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (c, header) in ["记账日期", "贷方发生额", "对方账户名称", "凭证号"].iter().enumerate() {
        sheet.write(0, c as u16, *header).expect("header");
    }
    sheet
        .write_date_with_format(1, 0, today() - Duration::days(1), &date)
        .expect("date");
    sheet.write_number(1, 1, 2500.5).expect("amount");
    sheet.write(1, 2, "杭州流水导入有限公司").expect("payer");
    sheet.write_number(1, 3, 20261120000123.0).expect("reference");
    let xlsx = book.save_to_buffer().expect("xlsx");
    let done = expect_json(
        app.upload("/api/v1/payments/import", &token, "招行流水.xlsx", xlsx)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["created"], 1, "{done}");
    let row = get(&app, &token, "/api/v1/payments?q=20261120000123").await;
    assert_eq!(row["items"][0]["reference"], "20261120000123");
    assert_eq!(row["items"][0]["amount"], "2500.50");
    assert_eq!(row["items"][0]["customer_id"], c);
    assert_eq!(
        row["items"][0]["received_at"],
        (today() - Duration::days(1)).to_string()
    );
    // What Excel on Chinese Windows saves: GB18030 text.
    let text = format!("到账日期,金额,付款人,流水号\n{day},77.70,杭州流水导入有限公司,GBK-0001\n");
    let (gbk, _, _) = encoding_rs::GB18030.encode(&text);
    let done = expect_json(
        app.upload("/api/v1/payments/import", &token, "流水.csv", gbk.into_owned())
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["created"], 1, "{done}");
    let row = get(&app, &token, "/api/v1/payments?q=GBK-0001").await;
    assert_eq!(row["items"][0]["payer_name"], "杭州流水导入有限公司");

    let template = app.get("/api/v1/payments/import/template", &token).await;
    assert_eq!(template.status(), StatusCode::OK);
    assert!(template.bytes().await.expect("bytes").starts_with(b"PK"));
}

async fn aging_and_statement_show_what_is_owed(app: TestApp) {
    let token = app.admin_token().await;
    let c = customer(&app, &token, "G0001", "账龄测试一有限公司").await;
    let d = customer(&app, &token, "G0002", "账龄测试二有限公司").await;
    let not_due = bill(&app, &token, c, &months_ago(1), "10.00", false).await;
    let d15 = bill(&app, &token, c, &months_ago(2), "20.00", false).await;
    let d45 = bill(&app, &token, c, &months_ago(3), "40.00", false).await;
    let d75 = bill(&app, &token, c, &months_ago(4), "80.00", false).await;
    let d100 = bill(&app, &token, c, &months_ago(5), "160.00", false).await;
    let other = bill(&app, &token, d, &months_ago(1), "5.00", false).await;
    for (id, days) in [(not_due, -5), (d15, 15), (d45, 45), (d75, 75), (d100, 100), (other, -1)] {
        due_days_ago(&app, id, days).await;
    }
    let p = payment(&app, &token, receipt(Some(c), "100.00", None)).await;
    expect_json(allocate(&app, &token, id(&p), &[(d100, "60.00")]).await, StatusCode::OK).await;

    let aging = get(&app, &token, "/api/v1/receivables/aging").await;
    assert_eq!(aging["total"], 2);
    let row = &aging["items"][0];
    assert_eq!(row["customer"]["id"], c, "most overdue first");
    assert_eq!(row["open_bills"], 5);
    assert_eq!(row["not_due"], "10.00");
    assert_eq!(row["d1_30"], "20.00");
    assert_eq!(row["d31_60"], "40.00");
    assert_eq!(row["d61_90"], "80.00");
    assert_eq!(row["d90_plus"], "100.00");
    assert_eq!(row["overdue"], "240.00");
    assert_eq!(row["outstanding"], "250.00");
    assert_eq!(row["unapplied"], "40.00");
    assert_eq!(row["net"], "210.00");
    assert_eq!(row["max_overdue_days"], 100);
    assert_eq!(aging["totals"]["outstanding"], "255.00");
    assert_eq!(aging["totals"]["not_due"], "15.00");
    let overdue = get(&app, &token, "/api/v1/receivables/aging?overdue_only=true").await;
    assert_eq!(overdue["total"], 1);
    let later = (today() + Duration::days(10)).to_string();
    let later = get(
        &app,
        &token,
        &format!("/api/v1/receivables/aging?as_of={later}&q=G0002"),
    )
    .await;
    assert_eq!(later["items"][0]["d1_30"], "5.00");
    let csv = app.get("/api/v1/receivables/aging/export?format=csv", &token).await;
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.expect("text");
    assert!(text.contains("逾期90天以上") && text.contains("账龄测试一有限公司") && text.contains("合计"));
    expect_error(
        app.get("/api/v1/receivables/aging/export?format=pdf", &token).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;

    let statement = get(&app, &token, &format!("/api/v1/customers/{c}/statement")).await;
    let summary = &statement["summary"];
    assert_eq!(summary["billed"], "310.00");
    assert_eq!(summary["received"], "100.00");
    assert_eq!(summary["allocated"], "60.00");
    assert_eq!(summary["outstanding"], "250.00");
    assert_eq!(summary["unapplied"], "40.00");
    assert_eq!(summary["net"], "210.00");
    assert_eq!(summary["aging"]["d90_plus"], "100.00");
    assert_eq!(statement["bills"].as_array().map(Vec::len), Some(5));
    assert_eq!(statement["payments"].as_array().map(Vec::len), Some(1));
    assert_eq!(statement["allocations"].as_array().map(Vec::len), Some(1));

    // Sales sees its own customers only.
    let (_, sales) = app.user_with_role(&token, "sales2", "sales").await;
    assert_eq!(get(&app, &sales, "/api/v1/receivables/aging").await["total"], 0);
    expect_error(
        app.get(&format!("/api/v1/customers/{c}/statement"), &sales).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

/// The aging report of a day is a snapshot (issue 28) that the analytics
/// refresh keeps: after each kind of write — a receipt, an allocation, a
/// reversal, a rename, a new sales owner, a deletion — a read answers as the
/// report computed anew would. Its totals row comes from maintained totals
/// (`totals_aging`) unless a search narrows it; every read here checks the
/// two against each other (a search matching every code sums the rows), and
/// again after the totals are folded.
async fn the_aging_report_read_from_its_snapshot_follows_every_change(app: TestApp) {
    use opcms::db::migrations::AGING_TOTALS;
    use opcms::db::totals::fold;
    let token = app.admin_token().await;
    let c = customer(&app, &token, "K0001", "快照账龄一有限公司").await;
    let d = customer(&app, &token, "K0002", "快照账龄二有限公司").await;
    let e = customer(&app, &token, "K0003", "快照账龄三有限公司").await;
    let bc = bill(&app, &token, c, &months_ago(1), "100.00", false).await;
    let bd = bill(&app, &token, d, &months_ago(2), "50.00", false).await;
    let be = bill(&app, &token, e, &months_ago(1), "7.00", false).await;
    for (bill_id, days) in [(bc, 10), (bd, 40), (be, -3)] {
        due_days_ago(&app, bill_id, days).await;
    }
    let summed_the_same = |token: String, path: String| {
        let app = &app;
        async move {
            let page = get(app, &token, &path).await;
            if path.contains("q=") {
                return page; // already the search path
            }
            let sign = if path.contains('?') { '&' } else { '?' };
            // Every code starts K000: the same rows, summed by the search path.
            let summed = get(app, &token, &format!("{path}{sign}q=K000")).await;
            assert_eq!(page["totals"], summed["totals"], "{path}: maintained vs summed totals");
            assert_eq!(page["total"], summed["total"], "{path}: maintained vs counted rows");
            page
        }
    };
    let aging = |path: &'static str| summed_the_same(token.clone(), path.to_string());
    let ids = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .map(|items| items.iter().filter_map(|i| i["customer"]["id"].as_i64()).collect())
            .unwrap_or_default()
    };

    let first = aging("/api/v1/receivables/aging").await;
    assert_eq!(ids(&first), [c, d, e], "overdue money first, then open money");
    assert_eq!(first["totals"]["outstanding"], "157.00");
    assert_eq!(first["totals"]["d1_30"], "100.00");
    assert_eq!(first["totals"]["d31_60"], "50.00");

    // A receipt not yet applied is the customer's balance.
    let p = payment(&app, &token, receipt(Some(d), "80.00", None)).await;
    let page = aging("/api/v1/receivables/aging?q=K0002").await;
    assert_eq!(page["items"][0]["unapplied"], "80.00");
    assert_eq!(page["items"][0]["net"], "-30.00");
    // Applied, it settles the bill and leaves the rest as the balance.
    let allocated = expect_json(allocate(&app, &token, id(&p), &[(bd, "50.00")]).await, StatusCode::OK).await;
    let page = aging("/api/v1/receivables/aging").await;
    assert_eq!(ids(&page), [c, e, d], "d owes nothing, has money unapplied");
    assert_eq!(page["items"][2]["open_bills"], 0);
    assert_eq!(page["items"][2]["unapplied"], "30.00");
    assert_eq!(page["totals"]["outstanding"], "107.00");
    let overdue = aging("/api/v1/receivables/aging?overdue_only=true").await;
    assert_eq!(overdue["total"], 1);
    assert_eq!(overdue["totals"]["outstanding"], "100.00");
    // Reversed: as before the allocation.
    let allocation = id(&allocated["allocations"][0]);
    expect_json(reverse(&app, &token, allocation, "分错账单").await, StatusCode::OK).await;
    let page = aging("/api/v1/receivables/aging").await;
    assert_eq!(ids(&page), [c, d, e]);
    assert_eq!(page["items"][1]["d31_60"], "50.00");
    assert_eq!(page["items"][1]["unapplied"], "80.00");

    // A new name is found, and a new owner's sales person sees the row.
    let (sales_id, sales) = app.user_with_role(&token, "sales_aging", "sales").await;
    expect_json(
        app.patch(
            &format!("/api/v1/customers/{c}"),
            &token,
            &json!({"version": 1, "company_name": "改名后的账龄公司", "sales_owner_id": sales_id}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let found = aging("/api/v1/receivables/aging?q=改名后").await;
    assert_eq!(ids(&found), [c]);
    assert_eq!(found["items"][0]["sales_owner"]["id"], sales_id);
    let own = summed_the_same(sales.clone(), "/api/v1/receivables/aging".into()).await;
    assert_eq!(ids(&own), [c]);
    assert_eq!(own["totals"]["outstanding"], "100.00");
    let owned = summed_the_same(token.clone(), format!("/api/v1/receivables/aging?owner_id={sales_id}")).await;
    assert_eq!(owned["total"], 1);
    assert_eq!(owned["totals"]["d1_30"], "100.00");

    // Another day is its own snapshot: ten days on, e's bill is overdue.
    let later = (today() + Duration::days(10)).to_string();
    let page = get(
        &app,
        &token,
        &format!("/api/v1/receivables/aging?as_of={later}&q=K0003"),
    )
    .await;
    assert_eq!(page["items"][0]["d1_30"], "7.00");
    assert_eq!(page["as_of"], later);

    // A deleted customer's money is still owed: the row stays.
    let deleted = app.delete(&format!("/api/v1/customers/{e}"), &token).await;
    assert!(deleted.status().is_success(), "{}", deleted.status());
    let page = aging("/api/v1/receivables/aging").await;
    assert_eq!(ids(&page), [c, d, e]);
    assert_eq!(page["totals"]["outstanding"], "157.00");

    // Folded into a row per key, the totals read the same.
    let appended = scalar(&app, "SELECT COUNT(*) FROM totals_aging").await;
    fold(&app.db, &AGING_TOTALS).await.expect("fold");
    assert!(
        scalar(&app, "SELECT COUNT(*) FROM totals_aging").await < appended,
        "the fold merged rows"
    );
    let folded = aging("/api/v1/receivables/aging").await;
    assert_eq!(folded["totals"], page["totals"]);
    assert_eq!(folded["totals"]["unapplied"], "80.00");
    assert_eq!(aging("/api/v1/receivables/aging?overdue_only=true").await["total"], 2);
}

/// 925 receipts of the largest amount a payment may have sum past the i64
/// range of a stored amount (922,337,203,685,477.5807): every total that
/// adds them up answers exactly, and the import's own sum too.
async fn sums_beyond_the_stored_range_are_exact_in_lists_aging_and_statements(app: TestApp) {
    const RECEIPTS: usize = 925;
    let token = app.admin_token().await;
    let c = customer(&app, &token, "W0001", "巨额收款测试有限公司").await;
    let day = (today() - Duration::days(1)).to_string();
    let mut csv = String::from("交易日期,收入金额,对方户名,交易流水号,客户编号\n");
    for i in 0..RECEIPTS {
        csv.push_str(&format!(
            "{day},999999999999.99,巨额收款测试有限公司,BIG-{i:04},W0001\n"
        ));
    }
    let imported = expect_json(
        app.upload("/api/v1/payments/import", &token, "巨额流水.csv", csv.into_bytes())
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(imported["created"], RECEIPTS, "{}", imported["rows"]);
    assert_eq!(imported["amount"], "924999999999990.75");

    // One of them settles a bill of the largest amount a bill may have.
    let period = months_ago(1);
    let b = bill(&app, &token, c, &period, "999999999999.99", false).await;
    let first = get(&app, &token, "/api/v1/payments?q=BIG-0000").await["items"][0]["id"]
        .as_i64()
        .expect("payment id");
    expect_json(
        allocate(&app, &token, first, &[(b, "999999999999.99")]).await,
        StatusCode::OK,
    )
    .await;

    let totals = get(&app, &token, "/api/v1/payments").await["totals"].clone();
    assert_eq!(totals["count"], RECEIPTS);
    assert_eq!(totals["amount"], "924999999999990.75");
    assert_eq!(totals["allocated"], "999999999999.99");
    assert_eq!(totals["unapplied"], "923999999999990.76");
    let filtered = get(&app, &token, "/api/v1/payments?status=unapplied").await["totals"].clone();
    assert_eq!(filtered["amount"], "923999999999990.76");

    let aging = get(&app, &token, "/api/v1/receivables/aging").await;
    assert_eq!(aging["items"][0]["unapplied"], "923999999999990.76");
    assert_eq!(aging["totals"]["unapplied"], "923999999999990.76");
    assert_eq!(aging["totals"]["outstanding"], "0.00");
    assert_eq!(aging["totals"]["net"], "-923999999999990.76");
    // The analytics keep such sums too: the month's 实收 on the dashboard.
    let month = (today() - Duration::days(1)).format("%Y-%m").to_string();
    let dashboard = get(&app, &token, &format!("/api/v1/analytics/dashboard?period={month}")).await;
    assert_eq!(dashboard["received"], "924999999999990.75");

    let summary = get(&app, &token, &format!("/api/v1/customers/{c}/statement")).await["summary"].clone();
    assert_eq!(summary["billed"], "999999999999.99");
    assert_eq!(summary["received"], "924999999999990.75");
    assert_eq!(summary["allocated"], "999999999999.99");
    assert_eq!(summary["unapplied"], "923999999999990.76");
    assert_eq!(summary["net"], "-923999999999990.76");

    // One cent more than the largest amount is refused, naming the field.
    let body = expect_error(
        app.post(
            "/api/v1/payments",
            Some(&token),
            &receipt(Some(c), "1000000000000.00", None),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(body["error"]["details"][0]["field"], "amount");
    assert_eq!(body["error"]["details"][0]["code"], "OUT_OF_RANGE");
    assert_eq!(body["error"]["details"][0]["message"], "收款金额超出允许范围");
}

/// Sets a column of a row to a UTC time (`2025-10-15 02:00:00`).
async fn set_time(app: &TestApp, table: &str, column: &str, id: i64, utc: &str) {
    let backend = app.db.get_database_backend();
    let value = match backend {
        sea_orm::DbBackend::Postgres => format!("'{utc}+00'::timestamptz"),
        _ => format!("'{utc}'"),
    };
    let sql = format!("UPDATE {table} SET {column} = {value} WHERE id = {id}");
    app.db
        .execute_raw(Statement::from_string(backend, sql))
        .await
        .expect("update");
}

fn statement_csv(rows: &[(&str, &str, &str, &str)]) -> Vec<u8> {
    let day = (today() - Duration::days(1)).to_string();
    let mut csv = String::from("交易日期,收入金额,对方户名,交易流水号,客户编号\n");
    for (amount, payer, reference, code) in rows {
        csv.push_str(&format!("{day},{amount},{payer},{reference},{code}\n"));
    }
    csv.into_bytes()
}

/// Issue 21 item 5: `auto_allocate=true` pairs a receipt with a bill only
/// when the match is exact and unambiguous; a dry run shows the pairs and
/// keeps nothing; each allocation is audited and can be reversed.
async fn statement_import_allocates_exact_one_to_one_matches_when_asked(app: TestApp) {
    let token = app.admin_token().await;
    let a = customer(&app, &token, "M0001", "自动核销甲有限公司").await;
    let b = customer(&app, &token, "M0002", "自动核销乙有限公司").await;
    let c = customer(&app, &token, "M0003", "自动核销丙有限公司").await;
    let d = customer(&app, &token, "M0004", "自动核销丁有限公司").await;
    let a1 = bill(&app, &token, a, &months_ago(2), "1234567.89", false).await;
    let a2 = bill(&app, &token, a, &months_ago(1), "300.00", false).await;
    let a_draft = bill(&app, &token, a, &months_ago(3), "55.00", true).await;
    let b1 = bill(&app, &token, b, &months_ago(1), "500.00", false).await;
    let c1 = bill(&app, &token, c, &months_ago(1), "700.00", false).await;
    let c2 = bill(&app, &token, c, &months_ago(2), "700.00", false).await;
    let d1 = bill(&app, &token, d, &months_ago(1), "999.99", false).await;
    // D already has 999.99 unapplied: which receipt pays the bill is a person's call.
    payment(&app, &token, receipt(Some(d), "999.99", Some("EARLIER-1"))).await;
    let file = statement_csv(&[
        ("\"1,234,567.89\"", "自动核销甲有限公司", "AUTO-01", ""), // paired (by payer name)
        ("300.00", "别名", "AUTO-02", "M0001"),                    // paired (by code)
        ("55.00", "别名", "AUTO-03", "M0001"),                     // only a draft of 55.00
        ("500.00", "别名", "AUTO-04", "M0002"),                    // two receipts of 500.00
        ("500.00", "别名", "AUTO-05", "M0002"),
        ("700.00", "别名", "AUTO-06", "M0003"),   // two bills of 700.00
        ("999.99", "别名", "AUTO-07", "M0004"),   // earlier unapplied 999.99
        ("42.00", "不认识的公司", "AUTO-08", ""), // no customer
        ("299.99", "别名", "AUTO-09", "M0001"),   // a cent short
    ]);

    // Off by default.
    let plain = expect_json(
        app.upload("/api/v1/payments/import?dry_run=true", &token, "s.csv", file.clone())
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(plain["auto_allocate"], false);
    assert_eq!(plain["auto_allocated"], 0);
    assert_eq!(plain["allocations"], json!([]));

    let dry = expect_json(
        app.upload(
            "/api/v1/payments/import?dry_run=true&auto_allocate=true",
            &token,
            "s.csv",
            file.clone(),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(dry["created"], 9, "{dry}");
    assert_eq!(dry["auto_allocated"], 2, "{dry}");
    assert_eq!(dry["auto_allocated_amount"], "1234867.89");
    let listed = dry["allocations"].as_array().expect("allocations");
    assert_eq!(listed[0]["bill_id"], a1);
    assert_eq!(listed[0]["row"], 2);
    assert_eq!(listed[0]["customer"]["customer_code"], "M0001");
    assert_eq!(listed[0]["amount"], "1234567.89");
    assert_eq!(listed[1]["bill_id"], a2);
    assert!(listed[0]["allocation_id"].is_null() && listed[0]["payment_id"].is_null());
    assert_eq!(
        bill_state(&app, &token, a1).await.0,
        "issued",
        "a dry run keeps nothing"
    );

    let done = expect_json(
        app.upload("/api/v1/payments/import?auto_allocate=true", &token, "s.csv", file)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["auto_allocated"], 2, "{done}");
    let made = done["allocations"].as_array().expect("allocations").clone();
    for (bill_id, expected) in [
        (a1, "paid"),
        (a2, "paid"),
        (b1, "issued"),
        (c1, "issued"),
        (c2, "issued"),
        (d1, "issued"),
    ] {
        assert_eq!(bill_state(&app, &token, bill_id).await.0, expected, "bill {bill_id}");
    }
    assert_eq!(bill_state(&app, &token, a_draft).await.0, "draft");
    let pid = made[0]["payment_id"].as_i64().expect("payment id");
    let p = get(&app, &token, &format!("/api/v1/payments/{pid}")).await;
    assert_eq!(p["status"], "applied");
    assert_eq!(p["unapplied"], "0.00");
    // Audited as an allocation, marked as made by the import.
    let history = get(&app, &token, &format!("/api/v1/payments/{pid}/history")).await;
    let entry = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "payment.allocate")
        .unwrap_or_else(|| panic!("no allocate entry: {history}"))
        .clone();
    assert_eq!(entry["changes"]["via"]["after"], "import_auto", "{entry}");
    let bill_history = get(&app, &token, &format!("/api/v1/bills/{a1}/allocations")).await;
    assert_eq!(bill_history.as_array().map(Vec::len), Some(1));
    // Reviewed and undone with the ordinary reversal.
    let allocation_id = made[1]["allocation_id"].as_i64().expect("allocation id");
    expect_json(
        reverse(&app, &token, allocation_id, "核对后不是这张账单").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        bill_state(&app, &token, a2).await,
        ("issued".into(), "0.00".into(), "300.00".into())
    );
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM audit_logs WHERE action = 'bill.allocate'").await,
        2,
        "one audit entry per bill allocated"
    );
}

/// An import allocating automatically and a person allocating by hand race
/// for the same bills: each bill is paid once, never beyond its total.
async fn auto_allocation_and_manual_allocation_race_without_overpaying(app: TestApp) {
    let token = app.admin_token().await;
    let c = customer(&app, &token, "R0001", "并发核销有限公司").await;
    // Unapplied money of another amount: no ambiguity for the import.
    let by_hand = payment(&app, &token, receipt(Some(c), "10000.00", Some("HAND-1"))).await;
    let mut bills = Vec::new();
    for i in 0..6 {
        bills.push(bill(&app, &token, c, &months_ago(i + 1), &format!("{}.25", 100 + i), false).await);
    }
    let rows: Vec<(String, String)> = (0..6)
        .map(|i| (format!("{}.25", 100 + i), format!("RACE-{i}")))
        .collect();
    let borrowed: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|(amount, reference)| (amount.as_str(), "别名", reference.as_str(), "R0001"))
        .collect();
    let file = statement_csv(&borrowed);
    let manual = async {
        let mut ok = 0;
        for (i, bill_id) in bills.iter().enumerate() {
            let response = allocate(&app, &token, id(&by_hand), &[(*bill_id, &format!("{}.25", 100 + i))]).await;
            if response.status() == StatusCode::OK {
                ok += 1;
            }
        }
        ok
    };
    let import = async {
        expect_json(
            app.upload("/api/v1/payments/import?auto_allocate=true", &token, "race.csv", file)
                .await,
            StatusCode::OK,
        )
        .await["auto_allocated"]
            .as_i64()
            .unwrap_or(-1)
    };
    let (manual_ok, auto) = tokio::join!(manual, import);
    assert_eq!(
        manual_ok + auto,
        6,
        "every bill paid exactly once: {manual_ok} by hand, {auto} by the import"
    );
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM bills WHERE allocated > total").await,
        0
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT CAST(COALESCE(SUM(total - allocated), 0) AS {int}) FROM bills WHERE status <> 'draft'"
        )
        .await,
        0
    );
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM payments WHERE allocated > amount").await,
        0
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM bills b WHERE b.allocated <> (SELECT COALESCE(SUM(a.amount), 0) FROM payment_allocations a WHERE a.bill_id = b.id AND a.status = 'active')"
        )
        .await,
        0,
        "running sums match the allocations"
    );
}

/// Issue 21 item 6: the statement of a period — balance brought forward,
/// the movements on business days, the balance carried — as JSON, PDF and
/// Excel; an empty period is an honest empty statement; bad periods 400.
async fn statement_of_a_period_as_json_pdf_and_excel(app: TestApp) {
    let token = app.admin_token().await;
    let c = customer(&app, &token, "S0001", "对账单测试有限公司").await;
    let october = bill(&app, &token, c, "2025-10", "1234.50", false).await;
    let november = bill(&app, &token, c, "2025-11", "800.00", false).await;
    let midnight = bill(&app, &token, c, "2025-10", "10.00", false).await;
    set_time(&app, "bills", "issued_at", october, "2025-10-15 02:00:00").await;
    set_time(&app, "bills", "issued_at", november, "2025-11-10 02:00:00").await;
    // 17:00 UTC on 31 October is 01:00 on 1 November in China.
    set_time(&app, "bills", "issued_at", midnight, "2025-10-31 17:00:00").await;
    let body = json!({"customer_id": c, "amount": "500.00", "received_at": "2025-11-20",
                      "method": "bank_transfer", "payer_name": "对账单测试有限公司", "reference": "ST-1"});
    payment(&app, &token, body).await;

    let statement = get(
        &app,
        &token,
        &format!("/api/v1/customers/{c}/statement?from=2025-11&to=2025-11"),
    )
    .await;
    let ledger = &statement["ledger"];
    assert_eq!(ledger["from"], "2025-11-01");
    assert_eq!(ledger["to"], "2025-11-30");
    assert_eq!(ledger["opening_balance"], "1234.50");
    assert_eq!(ledger["debits"], "810.00");
    assert_eq!(ledger["credits"], "500.00");
    assert_eq!(ledger["closing_balance"], "1544.50");
    let lines = ledger["lines"].as_array().expect("lines");
    let summary: Vec<(String, String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["date"].as_str().unwrap().to_string(),
                l["kind"].as_str().unwrap().to_string(),
                l["balance"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("2025-11-01".into(), "bill".into(), "1244.50".into()),
            ("2025-11-10".into(), "bill".into(), "2044.50".into()),
            ("2025-11-20".into(), "payment".into(), "1544.50".into()),
        ]
    );
    assert_eq!(lines[2]["credit"], "500.00");
    assert!(lines[2]["debit"].is_null());
    // A day range inside the month.
    let days = get(
        &app,
        &token,
        &format!("/api/v1/customers/{c}/statement?from=2025-11-05&to=2025-11-15"),
    )
    .await;
    assert_eq!(days["ledger"]["opening_balance"], "1244.50");
    assert_eq!(days["ledger"]["lines"].as_array().map(Vec::len), Some(1));

    // Periods without movements: honest, not errors.
    for (query, balance) in [
        ("from=2024-01&to=2024-03", "0.00"),
        ("from=2025-12-01&to=2025-12-31", "1544.50"),
    ] {
        let empty = get(&app, &token, &format!("/api/v1/customers/{c}/statement?{query}")).await;
        assert_eq!(empty["ledger"]["lines"], json!([]), "{query}");
        assert_eq!(empty["ledger"]["opening_balance"], balance, "{query}");
        assert_eq!(empty["ledger"]["closing_balance"], balance, "{query}");
    }
    for bad in [
        "from=2025-13",
        "from=2025-12&to=2025-11",
        "to=11%2F2025",
        "from=2000-01&to=2025-01",
    ] {
        expect_error(
            app.get(&format!("/api/v1/customers/{c}/statement?{bad}"), &token).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        expect_error(
            app.get(&format!("/api/v1/customers/{c}/statement/pdf?{bad}"), &token)
                .await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
    }

    // PDF: Chinese, the company header, the balances with separators.
    let started = std::time::Instant::now();
    let response = app
        .get(
            &format!("/api/v1/customers/{c}/statement/pdf?from=2025-11&to=2025-11&download=1"),
            &token,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    eprintln!("statement pdf over HTTP: {:?}", started.elapsed());
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    let bytes = response.bytes().await.unwrap();
    let text: String = pdf_extract::extract_text_from_mem(&bytes)
        .expect("text")
        .split_whitespace()
        .collect();
    for needle in [
        "对账单",
        "对账单测试有限公司（S0001）",
        "2025-11-01至2025-11-30",
        "期初余额",
        "1,234.50",
        "1,544.50",
        "2,044.50",
        "B2025",
    ] {
        assert!(text.contains(needle), "{needle} missing: {text}");
    }
    let empty_pdf = app
        .get(&format!("/api/v1/customers/{c}/statement/pdf?from=2024-01"), &token)
        .await;
    assert_eq!(empty_pdf.status(), StatusCode::OK);
    let text: String = pdf_extract::extract_text_from_mem(&empty_pdf.bytes().await.unwrap())
        .expect("text")
        .split_whitespace()
        .collect();
    assert!(text.contains("本期无往来"), "{text}");

    // Excel: amounts are numbers that read back exactly.
    let response = app
        .get(
            &format!("/api/v1/customers/{c}/statement/export?from=2025-11&to=2025-11"),
            &token,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.contains("S0001-20251101-20251130.xlsx"), "{disposition}");
    let limits = opcms::spreadsheet::Limits {
        max_rows: 100,
        max_columns: 20,
        max_unpacked_bytes: 10 * 1024 * 1024,
    };
    let sheet = opcms::spreadsheet::read(&response.bytes().await.unwrap(), &limits).unwrap();
    use opcms::spreadsheet::Cell;
    let number = |cell: &Cell| match cell {
        Cell::Number(n) => n.parse::<rust_decimal::Decimal>().expect("decimal"),
        other => panic!("not a number: {other:?}"),
    };
    assert_eq!(sheet.rows.len(), 1 + 1 + 3 + 1, "header, opening, three lines, closing");
    assert_eq!(number(&sheet.rows[1].cells[5]), "1234.50".parse().unwrap());
    assert_eq!(number(&sheet.rows[3].cells[3]), "800.00".parse().unwrap());
    assert_eq!(number(&sheet.rows[5].cells[5]), "1544.50".parse().unwrap());
    let csv = app
        .get(
            &format!("/api/v1/customers/{c}/statement/export?from=2025-11&to=2025-11&format=csv"),
            &token,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains("2025-11-20") && csv.contains("1544.50"), "{csv}");

    // Sales sees its own customers only.
    let (_, sales) = app.user_with_role(&token, "sales9", "sales").await;
    expect_error(
        app.get(&format!("/api/v1/customers/{c}/statement/pdf"), &sales).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

/// DESIGN.md §3: closing an account with unsettled bills is a 409 naming what is
/// owed, nothing changes; forced with a reason it closes and the audit log keeps
/// what was owed. A batch never forces. A customer that owes nothing closes.
async fn an_account_that_owes_closes_only_when_forced(app: TestApp) {
    let token = app.admin_token().await;
    let owing = customer(&app, &token, "CLOSE1", "注销欠款客户").await;
    bill(&app, &token, owing, &months_ago(2), "100.00", false).await;
    let partly = bill(&app, &token, owing, &months_ago(1), "50.00", false).await;
    bill(&app, &token, owing, &months_ago(1), "999.00", true).await; // a draft owes nothing yet
    let paid_in_part = payment(&app, &token, receipt(Some(owing), "20.00", Some("CLOSE-1"))).await;
    let allocated = allocate(
        &app,
        &token,
        paid_in_part["id"].as_i64().expect("id"),
        &[(partly, "20.00")],
    )
    .await;
    assert_eq!(allocated.status(), StatusCode::OK);

    let status = format!("/api/v1/customers/{owing}/status");
    let refused = app
        .post(&status, Some(&token), &json!({"to": "closed", "reason": "客户解约"}))
        .await;
    let body = expect_error(refused, StatusCode::CONFLICT, "UNSETTLED_BILLS").await;
    assert_eq!(
        body["error"]["message"],
        "该客户还有 2 张未结清账单（未收 ¥130.00），确需注销请选择强制注销并填写原因"
    );
    let still = get(&app, &token, &format!("/api/v1/customers/{owing}")).await;
    assert_eq!(
        (still["account_status"].as_str(), still["version"].as_i64()),
        (Some("active"), Some(1))
    );
    let history = get(&app, &token, &format!("/api/v1/customers/{owing}/status-history")).await;
    assert!(
        history
            .as_array()
            .expect("history")
            .iter()
            .all(|h| h["to_status"] != "closed"),
        "{history}"
    );

    let batch = close_in_batch(&app, &token, owing).await;
    assert_eq!(batch["succeeded"], 0, "{batch}");
    assert_eq!(batch["results"][0]["error"]["code"], "UNSETTLED_BILLS", "{batch}");

    let forced = expect_json(
        app.post(
            &status,
            Some(&token),
            &json!({"to": "closed", "reason": "客户解约，欠款转坏账处理", "force": true}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(forced["account_status"], "closed");
    let audit = get(
        &app,
        &token,
        &format!("/api/v1/audit-logs?entity_type=customer&entity_id={owing}&action=customer.close_forced"),
    )
    .await;
    assert_eq!(audit["total"], 1, "{audit}");
    let changes = &audit["items"][0]["changes"];
    assert_eq!(
        (&changes["unsettled_bills"], &changes["outstanding"], &changes["reason"]),
        (&json!(2), &json!("130.00"), &json!("客户解约，欠款转坏账处理"))
    );
    // The debt stays on the bills: a late receipt is still recorded and written off.
    let late = payment(&app, &token, receipt(Some(owing), "30.00", Some("CLOSE-3"))).await;
    let allocated = allocate(&app, &token, late["id"].as_i64().expect("id"), &[(partly, "30.00")]).await;
    assert_eq!(allocated.status(), StatusCode::OK);
    assert_eq!(bill_state(&app, &token, partly).await.0, "paid");

    // Nothing owed: no force needed, and no forced-close entry.
    let settled = customer(&app, &token, "CLOSE2", "注销结清客户").await;
    let settled_bill = bill(&app, &token, settled, &months_ago(1), "80.00", false).await;
    let paid = payment(&app, &token, receipt(Some(settled), "80.00", Some("CLOSE-2"))).await;
    let allocated = allocate(
        &app,
        &token,
        paid["id"].as_i64().expect("id"),
        &[(settled_bill, "80.00")],
    )
    .await;
    assert_eq!(allocated.status(), StatusCode::OK);
    let closed = expect_json(
        app.post(
            &format!("/api/v1/customers/{settled}/status"),
            Some(&token),
            &json!({"to": "closed", "reason": "合同到期不续"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(closed["account_status"], "closed");
    let audit = get(
        &app,
        &token,
        &format!("/api/v1/audit-logs?entity_type=customer&entity_id={settled}&action=customer.close_forced"),
    )
    .await;
    assert_eq!(audit["total"], 0, "{audit}");
}

/// `POST /customers/batch` closing one customer.
async fn close_in_batch(app: &TestApp, token: &str, id: i64) -> Value {
    let body = json!({"ids": [id], "action": "change_status", "to": "closed", "reason": "批量注销"});
    expect_json(
        app.post("/api/v1/customers/batch", Some(token), &body).await,
        StatusCode::OK,
    )
    .await
}

/// The totals rows of the bill and payment lists come from maintained
/// totals (`crate::db::totals`: rows appended by triggers, folded in the
/// background). Under concurrent allocations, reversals, a credit note, a
/// deleted receipt and folds running at the same time, they equal the sums
/// over the bills and receipts themselves, filter by filter.
async fn list_totals_stay_exact_under_concurrent_writes_and_folds(app: TestApp) {
    use opcms::db::migrations::{BILL_TOTALS, PAYMENT_TOTALS, UNAPPLIED_TOTALS};
    use opcms::db::totals::fold;

    let token = app.admin_token().await;
    let period = months_ago(1);
    let mut work = Vec::new();
    for i in 0..4 {
        let c = customer(&app, &token, &format!("T{i:04}"), &format!("合计测试{i}有限公司")).await;
        let mut bills = Vec::new();
        for _ in 0..5 {
            bills.push(bill(&app, &token, c, &period, "100.00", false).await);
        }
        bill(&app, &token, c, &period, "33.33", true).await;
        for r in 0..2 {
            let p = id(&payment(&app, &token, receipt(Some(c), "250.00", Some(&format!("TOT-{i}-{r}")))).await);
            work.push((p, bills.clone()));
        }
    }
    let stray = id(&payment(&app, &token, receipt(None, "12.34", Some("TOT-STRAY"))).await);

    // Eight receipts allocate 50.00 at a time to their customer's bills
    // while folds run over and over.
    let writers = work.iter().map(|(payment, bills)| {
        let (app, token) = (&app, &token);
        async move {
            let mut allocations = Vec::new();
            for bill in bills {
                let response = allocate(app, token, *payment, &[(*bill, "50.00")]).await;
                if response.status() == StatusCode::OK {
                    let body: Value = response.json().await.expect("allocation");
                    allocations.extend(
                        body["allocations"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|a| a["id"].as_i64()),
                    );
                }
            }
            allocations
        }
    });
    let done = std::sync::atomic::AtomicBool::new(false);
    let folds = async {
        let mut passes = 0;
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            fold(&app.db, &BILL_TOTALS).await.expect("fold bills");
            fold(&app.db, &PAYMENT_TOTALS).await.expect("fold payments");
            fold(&app.db, &UNAPPLIED_TOTALS).await.expect("fold unapplied");
            passes += 1;
        }
        passes
    };
    let written = async {
        let allocations = futures::future::join_all(writers).await;
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        allocations
    };
    let (allocations, passes) = tokio::join!(written, folds);
    assert!(passes > 0);
    let allocations: Vec<i64> = allocations.into_iter().flatten().collect();
    assert!(allocations.len() >= 20, "{allocations:?}");
    for allocation in allocations.iter().step_by(7) {
        assert_eq!(
            reverse(&app, &token, *allocation, "冲销测试").await.status(),
            StatusCode::OK
        );
    }
    let credited = work[0].1[4];
    if bill_state(&app, &token, credited).await.0 != "paid" {
        expect_json(
            app.post(
                &format!("/api/v1/bills/{credited}/credit-notes"),
                Some(&token),
                &json!({"amount": "10.00", "reason": "折让"}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
    }
    assert_eq!(
        app.request(Method::DELETE, &format!("/api/v1/payments/{stray}"), Some(&token))
            .json(&json!({"reason": "录入错误"}))
            .send()
            .await
            .expect("delete")
            .status(),
        StatusCode::NO_CONTENT
    );

    compare_list_totals(&app, &token, &period).await;
    // Folded once more, one row per key is left, adding up the same.
    fold(&app.db, &BILL_TOTALS).await.expect("fold bills");
    fold(&app.db, &PAYMENT_TOTALS).await.expect("fold payments");
    fold(&app.db, &UNAPPLIED_TOTALS).await.expect("fold unapplied");
    compare_list_totals(&app, &token, &period).await;
    let kept_rows = scalar(&app, "SELECT COUNT(*) FROM totals_bills").await;
    let keys = scalar(
        &app,
        "SELECT COUNT(*) FROM (SELECT DISTINCT period, status, kind, warning_count > 0 FROM bills) k",
    )
    .await;
    assert_eq!(kept_rows, keys);
    let everything = get(&app, &token, "/api/v1/payments").await["totals"].clone();
    assert_eq!(everything["count"], 8);
    assert_eq!(everything["amount"], "2000.00");
}

/// Each totals row from the maintained totals equals the same filter summed
/// over the rows (a search names no kept key, so it sums the rows).
async fn compare_list_totals(app: &TestApp, token: &str, period: &str) {
    for filter in [
        "",
        "&status=issued",
        "&status=paid,partially_paid",
        "&status=draft",
        "&kind=manual",
    ] {
        let kept = get(app, token, &format!("/api/v1/bills?period={period}{filter}")).await;
        let summed = get(app, token, &format!("/api/v1/bills?period={period}{filter}&q=B")).await;
        assert_eq!(kept["totals"], summed["totals"], "bills {filter}");
        assert_eq!(kept["total"], summed["total"], "bills {filter}");
    }
    for filter in [
        "",
        "?status=unapplied",
        "?status=partially_applied,applied",
        "?method=bank_transfer",
        "?unassigned=true",
    ] {
        let kept = get(app, token, &format!("/api/v1/payments{filter}")).await;
        let join = if filter.is_empty() { "?" } else { "&" };
        let summed = get(app, token, &format!("/api/v1/payments{filter}{join}q=付款单位")).await;
        assert_eq!(kept["totals"], summed["totals"], "payments {filter}");
    }
    // Aging's unapplied money (kept per customer) is what the receipts with
    // money left say (every live receipt here has a customer).
    let aging = get(app, token, "/api/v1/receivables/aging").await;
    let open = get(
        app,
        token,
        "/api/v1/payments?status=unapplied,partially_applied&q=付款单位",
    )
    .await;
    assert_eq!(aging["totals"]["unapplied"], open["totals"]["unapplied"]);
}
