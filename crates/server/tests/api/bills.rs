//! Bills (issue 7): generation through the real path (usage entry → plan →
//! generate), golden bills, idempotency, concurrency, price versions,
//! issue/void/credit-note rules, manual bills, lists, exports and scope.

use std::str::FromStr;

use chrono::{Datelike, Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;
use crate::pricing::put;

backend_tests!(
    golden_bills_come_out_of_generation_exactly,
    generation_is_idempotent_recomputes_drafts_and_flags_late_usage,
    concurrent_generations_never_duplicate_a_bill,
    a_price_change_next_month_leaves_this_month_alone,
    issue_void_and_credit_notes_follow_the_rules,
    drafts_carry_verification_warnings,
    manual_bills_lists_exports_and_scope,
    bad_requests_write_nothing,
    an_amount_the_system_cannot_hold_is_a_warning_never_a_saturated_total,
    manual_amounts_are_capped_and_list_totals_sum_past_the_stored_range,
    usage_on_a_series_the_customer_lacks_is_a_warning_and_each_day_shows_its_source,
    all_clean_drafts_issue_by_filter_after_confirming_count_and_total,
);

const GOLDEN: &str = include_str!("../../../domain/tests/fixtures/pricing_cases.json");

/// Today in China (the business day).
fn today() -> NaiveDate {
    (Utc::now() + Duration::hours(8)).date_naive()
}

/// The month before this one, as `YYYY-MM`, and its first day.
fn last_month() -> (String, NaiveDate) {
    let first_of_this = today().with_day(1).expect("first");
    let first = (first_of_this - Duration::days(1)).with_day(1).expect("first");
    (first.format("%Y-%m").to_string(), first)
}

fn months_before(first: NaiveDate, n: u32) -> NaiveDate {
    let mut day = first;
    for _ in 0..n {
        day = (day - Duration::days(1)).with_day(1).expect("first");
    }
    day
}

fn dec(value: &Value) -> Decimal {
    Decimal::from_str(value.as_str().unwrap_or_else(|| panic!("not a string: {value}"))).expect("decimal")
}

async fn customer(app: &TestApp, token: &str, code: &str, status: &str) -> i64 {
    let body = json!({"company_name": format!("{code}账单测试有限公司"), "customer_code": code,
                      "account_id": format!("acc_{code}"), "device_series": ["X", "N", "L"],
                      "account_status": status, "payment_terms_days": 15});
    expect_json(
        app.post("/api/v1/customers", Some(token), &body).await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_i64()
        .expect("id")
}

async fn plan(
    app: &TestApp,
    token: &str,
    name: &str,
    effective_from: &str,
    minimum: Option<&str>,
    rules: &Value,
) -> i64 {
    let mut body = json!({"name": name, "effective_from": effective_from, "rules": rules, "reason": "测试"});
    if let Some(minimum) = minimum {
        body["minimum_charge"] = json!(minimum);
    }
    expect_json(
        app.post("/api/v1/price-plans", Some(token), &body).await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_i64()
        .expect("plan id")
}

fn flat_rules(price: &str) -> Value {
    json!({"X": {"mode": "flat", "unit_price": price}, "N": {"mode": "flat", "unit_price": price},
           "L": {"mode": "flat", "unit_price": price}})
}

async fn assign(app: &TestApp, token: &str, customer_id: i64, plan_id: i64) {
    let response = put(
        app,
        &format!("/api/v1/customers/{customer_id}/pricing"),
        token,
        &json!({"plan_id": plan_id}),
    )
    .await;
    assert!(response.status().is_success(), "assign: {}", response.status());
}

async fn usage(app: &TestApp, token: &str, customer_id: i64, day: NaiveDate, series: &str, quantity: &str) {
    let body = json!({"records": [{"customer_id": customer_id, "series": series, "day": day, "quantity": quantity}]});
    let result = expect_json(app.post("/api/v1/usage", Some(token), &body).await, StatusCode::OK).await;
    assert_eq!(result["quarantined"], 0, "usage quarantined: {result}");
}

async fn generate(app: &TestApp, token: &str, body: Value) -> Value {
    expect_json(
        app.post("/api/v1/bills/generate", Some(token), &body).await,
        StatusCode::OK,
    )
    .await
}

async fn bills_of(app: &TestApp, token: &str, query: &str) -> Value {
    expect_json(app.get(&format!("/api/v1/bills?{query}"), token).await, StatusCode::OK).await
}

async fn bill(app: &TestApp, token: &str, id: i64) -> Value {
    expect_json(app.get(&format!("/api/v1/bills/{id}"), token).await, StatusCode::OK).await
}

async fn the_bill_of(app: &TestApp, token: &str, customer_id: i64, period: &str) -> Value {
    let page = bills_of(
        app,
        token,
        &format!("customer_id={customer_id}&period={period}&kind=auto"),
    )
    .await;
    let live: Vec<&Value> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|b| b["status"] != "void")
        .collect();
    assert_eq!(live.len(), 1, "one live auto bill expected: {page}");
    bill(app, token, live[0]["id"].as_i64().expect("id")).await
}

async fn golden_bills_come_out_of_generation_exactly(app: TestApp) {
    let token = app.admin_token().await;
    let (period, first) = last_month();
    let cases: Value = serde_json::from_str(GOLDEN).expect("golden json");
    let cases = cases["bill_cases"].as_array().expect("bill cases");
    let mut customers = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let id = customer(&app, &token, &format!("G{i:04}"), "active").await;
        let minimum = case["plan"]["minimum_charge"].as_str();
        let plan_id = plan(
            &app,
            &token,
            &format!("黄金方案{i}"),
            &period,
            minimum,
            &case["plan"]["rules"],
        )
        .await;
        assign(&app, &token, id, plan_id).await;
        for (series, quantity) in case["usage"].as_object().expect("usage") {
            usage(&app, &token, id, first, series, quantity.as_str().expect("q")).await;
        }
        customers.push((id, case));
    }
    let run = generate(&app, &token, json!({"period": period})).await;
    assert_eq!(run["created"], cases.len(), "{run}");
    for (id, case) in customers {
        let name = case["name"].as_str().unwrap_or_default();
        let got = the_bill_of(&app, &token, id, &period).await;
        let expected = &case["expected"];
        assert_eq!(dec(&got["total"]), dec(&expected["total"]), "{name}: total");
        assert_eq!(
            got["total"].as_str().map(|t| t.split('.').nth(1).map(str::len)),
            Some(Some(2))
        );
        let lines = got["lines"].as_array().expect("lines");
        let want = expected["lines"].as_array().expect("lines");
        assert_eq!(lines.len(), want.len(), "{name}: lines {got}");
        for (line, want) in lines.iter().zip(want) {
            assert_eq!(line["kind"], want["kind"], "{name}");
            assert_eq!(line["series"], want["series"], "{name}");
            assert_eq!(dec(&line["amount"]), dec(&want["amount"]), "{name}: amount");
            assert_eq!(dec(&line["raw_amount"]), dec(&want["raw_amount"]), "{name}: raw");
            let tiers = line["tiers"].as_array().expect("tiers");
            let want_tiers = want["tiers"].as_array().expect("tiers");
            assert_eq!(tiers.len(), want_tiers.len(), "{name}: tiers");
            for (tier, want_tier) in tiers.iter().zip(want_tiers) {
                for field in ["from", "quantity", "unit_price", "amount"] {
                    assert_eq!(dec(&tier[field]), dec(&want_tier[field]), "{name}: tier {field}");
                }
                assert_eq!(tier["to"].is_null(), want_tier["to"].is_null(), "{name}: tier to");
            }
        }
        // total = Σ lines, always.
        let sum: Decimal = lines.iter().map(|l| dec(&l["amount"])).sum();
        assert_eq!(sum, dec(&got["total"]), "{name}");
    }
}

async fn generation_is_idempotent_recomputes_drafts_and_flags_late_usage(app: TestApp) {
    let token = app.admin_token().await;
    let (period, first) = last_month();
    let plan_id = plan(&app, &token, "标准", &period, None, &flat_rules("0.5")).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let id = customer(&app, &token, &format!("I{i:03}"), "active").await;
        assign(&app, &token, id, plan_id).await;
        usage(&app, &token, id, first, "X", "100").await;
        ids.push(id);
    }
    let first_run = generate(&app, &token, json!({"period": period})).await;
    assert_eq!(
        (first_run["created"].as_u64(), first_run["unchanged"].as_u64()),
        (Some(3), Some(0))
    );
    let before = bills_of(&app, &token, &format!("period={period}&sort=bill_no")).await;
    for _ in 0..2 {
        let again = generate(&app, &token, json!({"period": period})).await;
        assert_eq!(
            (
                again["created"].as_u64(),
                again["updated"].as_u64(),
                again["unchanged"].as_u64()
            ),
            (Some(0), Some(0), Some(3)),
            "{again}"
        );
    }
    let after = bills_of(&app, &token, &format!("period={period}&sort=bill_no")).await;
    assert_eq!(before["items"], after["items"], "regeneration changed nothing");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM bills").await, 3);
    for item in after["items"].as_array().expect("items") {
        let no = item["bill_no"].as_str().expect("no");
        assert!(
            no.starts_with(&format!("B{}-", period.replace('-', ""))) && no.len() == 14,
            "{no}"
        );
    }

    // Late usage before issue: the draft is recomputed.
    usage(&app, &token, ids[0], first + Duration::days(1), "X", "50").await;
    let run = generate(&app, &token, json!({"period": period})).await;
    assert_eq!(
        (run["updated"].as_u64(), run["unchanged"].as_u64()),
        (Some(1), Some(2)),
        "{run}"
    );
    let draft = the_bill_of(&app, &token, ids[0], &period).await;
    assert_eq!(draft["total"], "75.00");

    // After issue the bill is never changed, only flagged.
    let issued = expect_json(
        app.post(
            &format!("/api/v1/bills/{}/issue", draft["id"]),
            Some(&token),
            &json!({"acknowledge_warnings": true}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(issued["status"], "issued");
    usage(&app, &token, ids[0], first + Duration::days(2), "X", "10").await;
    let run = generate(&app, &token, json!({"period": period})).await;
    assert_eq!(
        (
            run["kept_issued"].as_u64(),
            run["late_usage"].as_u64(),
            run["updated"].as_u64()
        ),
        (Some(1), Some(1), Some(0)),
        "{run}"
    );
    let flagged = bill(&app, &token, draft["id"].as_i64().expect("id")).await;
    assert_eq!(flagged["total"], "75.00", "issued bill untouched");
    assert_eq!(flagged["late_usage"]["series"][0]["billed"], "150");
    assert_eq!(flagged["late_usage"]["series"][0]["current"], "160");
    // Flagged once: the same late usage is not counted again.
    let run = generate(&app, &token, json!({"period": period})).await;
    assert_eq!(run["late_usage"], 0, "{run}");
    let runs = expect_json(
        app.get(&format!("/api/v1/bills/runs?period={period}"), &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(runs["total"], 6);
}

async fn concurrent_generations_never_duplicate_a_bill(app: TestApp) {
    let token = app.admin_token().await;
    let (period, first) = last_month();
    let plan_id = plan(&app, &token, "并发", &period, Some("100"), &flat_rules("1")).await;
    for i in 0..12 {
        let id = customer(&app, &token, &format!("K{i:03}"), "active").await;
        assign(&app, &token, id, plan_id).await;
        if i % 2 == 0 {
            usage(&app, &token, id, first, "N", "10").await;
        }
    }
    let body = json!({"period": period});
    let runs = futures::future::join_all((0..4).map(|_| app.post("/api/v1/bills/generate", Some(&token), &body))).await;
    let mut created = 0;
    for response in runs {
        let run = expect_json(response, StatusCode::OK).await;
        created += run["created"].as_u64().expect("created");
    }
    assert_eq!(created, 12, "exactly one generation created the bills");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM bills").await, 12);
    assert_eq!(scalar(&app, "SELECT COUNT(DISTINCT bill_no) FROM bills").await, 12);
    assert_eq!(scalar(&app, "SELECT COUNT(DISTINCT customer_id) FROM bills").await, 12);
    // Numbers have no gaps: 1..12.
    assert_eq!(scalar(&app, "SELECT MAX(last_no) FROM bill_counters").await, 12);
    // The database itself refuses a second live auto bill.
    let sql = format!(
        "INSERT INTO bills (bill_no, customer_id, period, kind, auto_slot, status, lines, subtotal, credited, total, \
         allocated, warnings, warning_count, fingerprint, created_at, updated_at, version) \
         SELECT 'B-dup', customer_id, period, 'auto', 1, 'draft', '[]', 0, 0, 0, 0, '[]', 0, '', created_at, \
         updated_at, 1 FROM bills WHERE bill_no = 'B{}-000001'",
        period.replace('-', "")
    );
    let duplicate = app
        .db
        .execute_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await;
    assert!(duplicate.is_err(), "unique (customer, period, auto) must refuse");
    // And money invariants: a negative total is refused by a CHECK.
    let negative = app
        .db
        .execute_raw(Statement::from_string(
            app.db.get_database_backend(),
            "UPDATE bills SET credited = subtotal + 1, total = -1".to_string(),
        ))
        .await;
    assert!(negative.is_err(), "CHECK total >= 0 must refuse");
}

async fn a_price_change_next_month_leaves_this_month_alone(app: TestApp) {
    let token = app.admin_token().await;
    let (period, first) = last_month();
    let this_month = today().format("%Y-%m").to_string();
    let plan_id = plan(&app, &token, "调价", &period, None, &flat_rules("2")).await;
    let id = customer(&app, &token, "P0001", "active").await;
    assign(&app, &token, id, plan_id).await;
    usage(&app, &token, id, first, "L", "10").await;
    let version = json!({"effective_from": this_month, "rules": flat_rules("3"), "reason": "下月调价"});
    expect_json(
        app.post(
            &format!("/api/v1/price-plans/{plan_id}/versions"),
            Some(&token),
            &version,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    generate(&app, &token, json!({"period": period})).await;
    let bill = the_bill_of(&app, &token, id, &period).await;
    assert_eq!(bill["total"], "20.00", "last month keeps the old price: {bill}");
    assert_eq!(bill["plan"]["version"], 1);
    // This month's bill uses the new version.
    usage(&app, &token, id, today(), "L", "10").await;
    generate(&app, &token, json!({"period": this_month})).await;
    let current = the_bill_of(&app, &token, id, &this_month).await;
    assert_eq!(current["total"], "30.00");
    assert_eq!(current["plan"]["version"], 2);

    // A correction for the billed month is flagged, and the draft follows it.
    let correction = json!({"effective_from": period, "rules": flat_rules("2.5"), "reason": "上月价格更正"});
    let created = expect_json(
        app.post(
            &format!("/api/v1/price-plans/{plan_id}/versions"),
            Some(&token),
            &correction,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["already_billed_periods"], json!([period, this_month]));
    assert_eq!(created["warnings"][0]["code"], "PERIOD_ALREADY_BILLED");
    let run = generate(&app, &token, json!({"period": period})).await;
    assert_eq!(run["updated"], 1, "{run}");
    assert_eq!(the_bill_of(&app, &token, id, &period).await["total"], "25.00");
}

async fn issue(app: &TestApp, token: &str, id: i64, acknowledge: bool) -> reqwest::Response {
    app.post(
        &format!("/api/v1/bills/{id}/issue"),
        Some(token),
        &json!({"acknowledge_warnings": acknowledge}),
    )
    .await
}

async fn issue_void_and_credit_notes_follow_the_rules(app: TestApp) {
    let token = app.admin_token().await;
    let (period, first) = last_month();
    let plan_id = plan(&app, &token, "出账", &period, None, &flat_rules("1")).await;
    let a = customer(&app, &token, "V0001", "active").await;
    let b = customer(&app, &token, "V0002", "active").await;
    let no_plan = customer(&app, &token, "V0003", "active").await;
    for id in [a, b] {
        assign(&app, &token, id, plan_id).await;
    }
    for id in [a, b, no_plan] {
        for series in ["X", "N", "L"] {
            usage(&app, &token, id, first, series, "100").await;
        }
    }
    generate(&app, &token, json!({"period": period})).await;
    let bill_a = the_bill_of(&app, &token, a, &period).await;
    let id_a = bill_a["id"].as_i64().expect("id");
    assert_eq!(bill_a["status"], "draft");
    assert_eq!(bill_a["total"], "300.00");
    assert!(bill_a["warnings"].as_array().expect("warnings").is_empty(), "{bill_a}");

    // A draft without a plan is never issued.
    let unpriced = the_bill_of(&app, &token, no_plan, &period).await;
    assert_eq!(unpriced["warnings"][0]["code"], "NO_PRICE_PLAN");
    expect_error(
        issue(&app, &token, unpriced["id"].as_i64().expect("id"), true).await,
        StatusCode::CONFLICT,
        "BILL_NOT_PRICED",
    )
    .await;

    // Issue: due date from the period's end and the payment terms.
    let issued = expect_json(issue(&app, &token, id_a, false).await, StatusCode::OK).await;
    assert_eq!(issued["status"], "issued");
    let period_end = today().with_day(1).expect("first") - Duration::days(1);
    let due = NaiveDate::from_str(issued["due_date"].as_str().expect("due")).expect("date");
    assert!(due >= period_end + Duration::days(15), "{due}");
    assert_eq!(issued["outstanding"], "300.00");
    expect_error(
        issue(&app, &token, id_a, true).await,
        StatusCode::CONFLICT,
        "INVALID_BILL_STATUS",
    )
    .await;

    // Credit notes: positive, at most the outstanding, issued bills only.
    let credit = |amount: &str| json!({"amount": amount, "reason": "用量核减"});
    let path = format!("/api/v1/bills/{id_a}/credit-notes");
    expect_error(
        app.post(&path, Some(&token), &credit("300.01")).await,
        StatusCode::CONFLICT,
        "CREDIT_EXCEEDS_OUTSTANDING",
    )
    .await;
    let body = expect_error(
        app.post(&path, Some(&token), &json!({"amount": "-5", "reason": ""}))
            .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    let fields: Vec<&str> = body["error"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|d| d["field"].as_str())
        .collect();
    assert_eq!(fields, ["amount", "reason"]);
    let credited = expect_json(app.post(&path, Some(&token), &credit("100.50")).await, StatusCode::OK).await;
    assert_eq!(
        (
            credited["subtotal"].as_str(),
            credited["credited"].as_str(),
            credited["total"].as_str()
        ),
        (Some("300.00"), Some("100.50"), Some("199.50"))
    );
    assert_eq!(credited["credit_notes"][0]["reason"], "用量核减");
    let settled = expect_json(app.post(&path, Some(&token), &credit("199.50")).await, StatusCode::OK).await;
    assert_eq!(settled["status"], "paid");
    assert_eq!(settled["total"], "0.00");
    // A paid bill is neither voided nor credited again.
    expect_error(
        app.post(
            &format!("/api/v1/bills/{id_a}/void"),
            Some(&token),
            &json!({"reason": "错误"}),
        )
        .await,
        StatusCode::CONFLICT,
        "INVALID_BILL_STATUS",
    )
    .await;
    expect_error(
        app.post(&path, Some(&token), &credit("1")).await,
        StatusCode::CONFLICT,
        "INVALID_BILL_STATUS",
    )
    .await;
    let history = expect_json(
        app.get(&format!("/api/v1/bills/{id_a}/history"), &token).await,
        StatusCode::OK,
    )
    .await;
    let actions: Vec<&str> = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|h| h["action"].as_str())
        .collect();
    assert_eq!(actions, ["bill.credit", "bill.credit", "bill.issue"]);

    // Void an issued bill: reason required; the place is freed for a new draft.
    let bill_b = the_bill_of(&app, &token, b, &period).await;
    let id_b = bill_b["id"].as_i64().expect("id");
    expect_json(issue(&app, &token, id_b, false).await, StatusCode::OK).await;
    let void_path = format!("/api/v1/bills/{id_b}/void");
    expect_error(
        app.post(&void_path, Some(&token), &json!({"reason": "  "})).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    let voided = expect_json(
        app.post(&void_path, Some(&token), &json!({"reason": "客户信息有误，重开"}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(voided["status"], "void");
    assert_eq!(voided["void_reason"], "客户信息有误，重开");
    expect_error(
        app.post(&void_path, Some(&token), &json!({"reason": "再次"})).await,
        StatusCode::CONFLICT,
        "INVALID_BILL_STATUS",
    )
    .await;
    let run = generate(&app, &token, json!({"period": period, "customer_ids": [b]})).await;
    assert_eq!(run["created"], 1, "{run}");
    let reissued = the_bill_of(&app, &token, b, &period).await;
    assert_ne!(reissued["bill_no"], bill_b["bill_no"]);
    assert_eq!(reissued["status"], "draft");
}

async fn drafts_carry_verification_warnings(app: TestApp) {
    let token = app.admin_token().await;
    let (period, first) = last_month();
    let plan_id = plan(
        &app,
        &token,
        "校验",
        &months_before(first, 3).format("%Y-%m").to_string(),
        None,
        &flat_rules("0"),
    )
    .await;
    let id = customer(&app, &token, "W0001", "active").await;
    assign(&app, &token, id, plan_id).await;
    for back in 1..=3 {
        let day = months_before(first, back);
        usage(&app, &token, id, day, "X", "100").await;
        usage(&app, &token, id, day, "N", "40").await;
    }
    usage(&app, &token, id, first, "X", "300").await;
    usage(&app, &token, id, first, "N", "0").await;
    // A quarantined record of this customer in the period (series unknown).
    let bad = json!({"records": [{"customer_id": id, "series": "Q", "day": first, "quantity": "1"}]});
    let result = expect_json(app.post("/api/v1/usage", Some(&token), &bad).await, StatusCode::OK).await;
    assert_eq!(result["quarantined"], 1, "{result}");
    generate(&app, &token, json!({"period": period})).await;
    let draft = the_bill_of(&app, &token, id, &period).await;
    let codes: Vec<(&str, Option<&str>)> = draft["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| (w["code"].as_str().unwrap_or_default(), w["series"].as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            ("USAGE_SPIKE", Some("X")),
            ("USAGE_DROPPED", Some("N")),
            ("USAGE_MISSING", Some("L")),
            ("AMOUNT_ZERO", None),
            ("QUARANTINE_PENDING", None),
        ],
        "{draft}"
    );
    let filtered = bills_of(&app, &token, &format!("period={period}&has_warnings=true")).await;
    assert_eq!(filtered["total"], 1);
    let id_bill = draft["id"].as_i64().expect("id");
    let refused = expect_error(
        issue(&app, &token, id_bill, false).await,
        StatusCode::CONFLICT,
        "WARNINGS_NOT_ACKNOWLEDGED",
    )
    .await;
    assert!(refused["error"]["message"].as_str().expect("msg").contains("5 条"));
    let batch = expect_json(
        app.post(
            "/api/v1/bills/batch-issue",
            Some(&token),
            &json!({"ids": [id_bill, 987654]}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(batch["issued"], 0);
    let skipped: Vec<&str> = batch["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .filter_map(|s| s["code"].as_str())
        .collect();
    assert_eq!(skipped, ["WARNINGS_NOT_ACKNOWLEDGED", "NOT_FOUND"]);
    let batch = expect_json(
        app.post(
            "/api/v1/bills/batch-issue",
            Some(&token),
            &json!({"ids": [id_bill], "acknowledge_warnings": true}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(batch["issued"], 1);
    let issued = bill(&app, &token, id_bill).await;
    // A zero bill is settled the moment it is issued; the acknowledgement is kept.
    assert_eq!(issued["status"], "paid");
    assert_eq!(issued["warnings_acknowledged"]["by"]["display_name"], "系统管理员");
}

async fn manual_bills_lists_exports_and_scope(app: TestApp) {
    let admin = app.admin_token().await;
    let (period, _) = last_month();
    let (sales_id, sales) = app.user_with_role(&admin, "sales1", "sales").await;
    let mine = customer(&app, &admin, "M0001", "active").await;
    let other = customer(&app, &admin, "M0002", "active").await;
    let patch = json!({"sales_owner_id": sales_id, "version": 1});
    expect_json(
        app.patch(&format!("/api/v1/customers/{mine}"), &admin, &patch).await,
        StatusCode::OK,
    )
    .await;
    let body = json!({"customer_id": mine, "period": period, "remarks": "现场安装",
        "lines": [{"description": "安装服务费", "quantity": "3", "unit_price": "0.335"},
                  {"description": "设备押金", "amount": "1000"}]});
    let manual = expect_json(app.post("/api/v1/bills", Some(&admin), &body).await, StatusCode::OK).await;
    assert_eq!(manual["kind"], "manual");
    assert_eq!(manual["lines"][0]["amount"], "1.01", "3 × 0.335 = 1.005 → 1.01 half-up");
    assert_eq!(manual["total"], "1001.01");
    let other_bill =
        json!({"customer_id": other, "period": period, "lines": [{"description": "服务费", "amount": "20"}]});
    let other_manual = expect_json(
        app.post("/api/v1/bills", Some(&admin), &other_bill).await,
        StatusCode::OK,
    )
    .await;
    expect_json(
        issue(&app, &admin, manual["id"].as_i64().expect("id"), false).await,
        StatusCode::OK,
    )
    .await;

    // Lists: totals over the whole filter, filters by status and text.
    let page = bills_of(&app, &admin, &format!("period={period}&page_size=1")).await;
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(page["totals"]["total"], "1021.01");
    assert_eq!(page["totals"]["outstanding"], "1021.01");
    let issued = bills_of(&app, &admin, "status=issued").await;
    assert_eq!(issued["total"], 1);
    let by_name = bills_of(&app, &admin, "q=M0002").await;
    assert_eq!(by_name["items"][0]["id"], other_manual["id"]);
    let customer_tab = expect_json(
        app.get(&format!("/api/v1/customers/{mine}/bills"), &admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(customer_tab["total"], 1);

    // Sales sees only its own customers' bills; the rest is 404.
    let own = bills_of(&app, &sales, "").await;
    assert_eq!(own["total"], 1, "{own}");
    assert_eq!(own["items"][0]["customer_id"], mine);
    expect_error(
        app.get(&format!("/api/v1/bills/{}", other_manual["id"]), &sales).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    expect_error(
        app.post("/api/v1/bills/generate", Some(&sales), &json!({"period": period}))
            .await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;

    // Export: CSV with a BOM and Chinese headers; xlsx is a zip.
    let csv = app.get("/api/v1/bills/export?format=csv", &admin).await;
    assert_eq!(csv.status(), StatusCode::OK);
    let bytes = csv.bytes().await.expect("csv");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(bytes[3..].to_vec()).expect("utf8");
    assert!(text.starts_with("账单编号,客户编号,公司名称"), "{text}");
    assert!(
        text.contains("M0001账单测试有限公司") && text.contains("1001.01"),
        "{text}"
    );
    let sales_csv = app
        .get("/api/v1/bills/export?format=csv", &sales)
        .await
        .text()
        .await
        .expect("text");
    assert!(!sales_csv.contains("M0002"), "export keeps the data scope");
    let xlsx = app.get("/api/v1/bills/export?format=xlsx", &admin).await;
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert!(xlsx.bytes().await.expect("xlsx").starts_with(b"PK"));
}

async fn bad_requests_write_nothing(app: TestApp) {
    let token = app.admin_token().await;
    let (period, _) = last_month();
    let id = customer(&app, &token, "B0001", "active").await;
    let next_month = (today() + Duration::days(40)).format("%Y-%m").to_string();
    let cases = [
        (
            json!({"period": "2026-13"}),
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        ),
        (
            json!({"period": next_month}),
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        ),
        (json!({}), StatusCode::BAD_REQUEST, "VALIDATION_FAILED"),
        (
            json!({"period": period, "customer_ids": [id, 999_999]}),
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        ),
        (
            json!({"period": period, "customer_ids": []}),
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        ),
    ];
    for (body, status, code) in cases {
        expect_error(
            app.post("/api/v1/bills/generate", Some(&token), &body).await,
            status,
            code,
        )
        .await;
    }
    let future = expect_error(
        app.post("/api/v1/bills/generate", Some(&token), &json!({"period": next_month}))
            .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(future["error"]["details"][0]["code"], "PERIOD_IN_FUTURE");
    let manual = json!({"customer_id": id, "period": period,
        "lines": [{"description": "", "amount": "1.001"}, {"description": "x", "quantity": "1", "unit_price": 2}]});
    let body = expect_error(
        app.post("/api/v1/bills", Some(&token), &manual).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    let fields: Vec<&str> = body["error"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|d| d["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        ["lines[0].description", "lines[0].amount", "lines[1].unit_price"]
    );
    let missing = json!({"customer_id": 999_999, "period": period, "lines": [{"description": "x", "amount": "1"}]});
    expect_error(
        app.post("/api/v1/bills", Some(&token), &missing).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    expect_error(
        app.post("/api/v1/bills/999999/void", Some(&token), &json!({"reason": "x"}))
            .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    expect_error(
        app.get("/api/v1/bills?status=unknown", &token).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM bills").await, 0);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM billing_runs").await, 0);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM bill_credit_notes").await, 0);
}

/// The PDF does not depend on the database backend: one run, on SQLite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bill_pdf_renders_chinese_lines_tiers_and_capitals() {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| {
        config.billing.company_name = Some("上海示例物联科技有限公司".into());
        config.billing.bank_name = Some("招商银行上海分行".into());
        config.billing.bank_account = Some("1219 0000 0000 0001".into());
    })
    .await;
    let token = app.admin_token().await;
    let (period, first) = last_month();
    let rules = json!({"X": {"mode": "graduated", "tiers": [{"up_to": "1000", "unit_price": "0.5000"},
                                                          {"up_to": null, "unit_price": "0.4000"}]},
                       "N": {"mode": "flat", "unit_price": "0.1234"}, "L": {"mode": "flat", "unit_price": "1"}});
    let plan_id = plan(&app, &token, "阶梯方案", &period, None, &rules).await;
    let id = customer(&app, &token, "D0001", "active").await;
    assign(&app, &token, id, plan_id).await;
    usage(&app, &token, id, first, "X", "1500").await;
    usage(&app, &token, id, first, "N", "1000").await;
    usage(&app, &token, id, first, "L", "0.5").await;
    generate(&app, &token, json!({"period": period})).await;
    let bill = the_bill_of(&app, &token, id, &period).await;
    assert_eq!(bill["total"], "823.90", "500 + 200 + 123.40 + 0.50");
    let response = app.get(&format!("/api/v1/bills/{}/pdf", bill["id"]), &token).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().expect("type"),
        "application/pdf"
    );
    let bytes = response.bytes().await.expect("pdf");
    assert!(bytes.starts_with(b"%PDF"));
    let text = pdf_extract::extract_text_from_mem(&bytes).expect("text");
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for expected in [
        "上海示例物联科技有限公司",
        "D0001账单测试有限公司",
        bill["bill_no"].as_str().expect("no"),
        "X系列用量",
        "1000以上",
        "0.4000",
        "823.90",
        "捌佰贰拾叁元玖角",
        "招商银行上海分行",
        "草稿",
    ] {
        assert!(
            compact.contains(expected),
            "{expected} missing from the PDF text: {text}"
        );
    }
    let download = app
        .get(&format!("/api/v1/bills/{}/pdf?download=1", bill["id"]), &token)
        .await;
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .expect("disposition")
            .starts_with("attachment"),
    );
    expect_error(
        app.get("/api/v1/bills/424242/pdf", &token).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

/// The largest usage a record may have at 1,000 a unit is a line far beyond
/// what a bill may hold: the draft says so (AMOUNT_TOO_LARGE, no lines, a
/// total of 0.00) and is never issued; it used to carry a total saturated at
/// the i64 maximum, which then broke every list total it was summed into.
async fn an_amount_the_system_cannot_hold_is_a_warning_never_a_saturated_total(app: TestApp) {
    let token = app.admin_token().await;
    let (period, first) = last_month();
    // A minimum charge is an amount of money too: at most the largest one.
    let body = json!({"name": "保底过大", "effective_from": period, "rules": flat_rules("1"),
                      "minimum_charge": "1000000000000", "reason": "测试"});
    let refused = expect_error(
        app.post("/api/v1/price-plans", Some(&token), &body).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(refused["error"]["details"][0]["field"], "minimum_charge", "{refused}");
    assert_eq!(refused["error"]["details"][0]["message"], "保底金额超出允许范围");
    let plan_id = plan(&app, &token, "巨额", &period, None, &flat_rules("1000")).await;
    let huge = customer(&app, &token, "H0001", "active").await;
    let normal = customer(&app, &token, "H0002", "active").await;
    assign(&app, &token, huge, plan_id).await;
    assign(&app, &token, normal, plan_id).await;

    // Beyond the largest quantity a record may have: refused, naming the field.
    let over = json!({"strict": true, "records": [{"customer_id": huge, "series": "X", "day": first,
                      "quantity": "1000000000000"}]});
    let refused = expect_error(
        app.post("/api/v1/usage", Some(&token), &over).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(
        refused["error"]["details"][0]["field"], "records[0].quantity",
        "{refused}"
    );
    assert_eq!(refused["error"]["details"][0]["message"], "用量超出允许范围");

    usage(&app, &token, huge, first, "X", "999999999999.9999").await;
    usage(&app, &token, normal, first, "X", "2").await;
    generate(&app, &token, json!({"period": period})).await;
    let draft = the_bill_of(&app, &token, huge, &period).await;
    assert_eq!(draft["total"], "0.00", "never a saturated total: {draft}");
    assert_eq!(draft["subtotal"], "0.00");
    assert_eq!(draft["lines"], json!([]));
    let warning = draft["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .find(|w| w["code"] == "AMOUNT_TOO_LARGE")
        .unwrap_or_else(|| panic!("AMOUNT_TOO_LARGE expected: {draft}"));
    let message = warning["message"].as_str().expect("message");
    assert!(
        message.contains("金额超出系统可处理范围") && message.contains("999999999999.99"),
        "{message}"
    );
    assert!(
        !draft["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .any(|w| w["code"] == "AMOUNT_ZERO"),
        "{draft}"
    );

    // Never issued, acknowledged or not, alone or in a batch.
    let id = draft["id"].as_i64().expect("id");
    expect_error(
        issue(&app, &token, id, true).await,
        StatusCode::CONFLICT,
        "AMOUNT_TOO_LARGE",
    )
    .await;
    let batch = expect_json(
        app.post(
            "/api/v1/bills/batch-issue",
            Some(&token),
            &json!({"ids": [id], "acknowledge_warnings": true}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(batch["issued"], 0);
    assert_eq!(batch["skipped"][0]["code"], "AMOUNT_TOO_LARGE");

    // The list and its totals answer, with the bills that can be held.
    let page = bills_of(&app, &token, &format!("period={period}")).await;
    assert_eq!(page["total"], 2);
    assert_eq!(page["totals"]["total"], "2000.00");

    // Corrected usage prices normally on the next generation.
    let fix = json!({"records": [{"customer_id": huge, "series": "X", "day": first, "quantity": "3"}]});
    expect_json(app.post("/api/v1/usage", Some(&token), &fix).await, StatusCode::OK).await;
    generate(&app, &token, json!({"period": period})).await;
    let priced = the_bill_of(&app, &token, huge, &period).await;
    assert_eq!(priced["total"], "3000.00", "{priced}");
    expect_json(
        issue(&app, &token, priced["id"].as_i64().expect("id"), true).await,
        StatusCode::OK,
    )
    .await;
}

/// A manual bill holds at most 999,999,999,999.99, line by line and in
/// total; 925 bills of that much sum past the i64 range of a stored amount
/// and the list totals still answer exactly.
async fn manual_amounts_are_capped_and_list_totals_sum_past_the_stored_range(app: TestApp) {
    const BILLS: usize = 925;
    let token = app.admin_token().await;
    let (period, _) = last_month();
    let id = customer(&app, &token, "K0001", "active").await;
    let manual = |lines: Value| json!({"customer_id": id, "period": period, "lines": lines});

    let refused = |body: Value| {
        let app = &app;
        let token = &token;
        async move {
            let error = expect_error(
                app.post("/api/v1/bills", Some(token), &body).await,
                StatusCode::BAD_REQUEST,
                "VALIDATION_FAILED",
            )
            .await;
            let detail = &error["error"]["details"][0];
            (
                detail["field"].as_str().unwrap_or_default().to_string(),
                detail["code"].as_str().unwrap_or_default().to_string(),
                detail["message"].as_str().unwrap_or_default().to_string(),
            )
        }
    };
    let (field, code, message) = refused(manual(json!([{"description": "a", "amount": "1000000000000.00"}]))).await;
    assert_eq!((field.as_str(), code.as_str()), ("lines[0].amount", "OUT_OF_RANGE"));
    assert_eq!(message, "金额超出允许范围");
    let (field, code, _) = refused(manual(
        json!([{"description": "a", "quantity": "1000000", "unit_price": "1000000"}]),
    ))
    .await;
    assert_eq!((field.as_str(), code.as_str()), ("lines[0].amount", "OUT_OF_RANGE"));
    let (field, code, message) = refused(manual(json!([
        {"description": "a", "amount": "600000000000.00"},
        {"description": "b", "amount": "600000000000.00"}
    ])))
    .await;
    assert_eq!((field.as_str(), code.as_str()), ("lines", "OUT_OF_RANGE"));
    assert!(message.contains("999999999999.99"), "{message}");
    assert_eq!(bills_of(&app, &token, "").await["total"], 0, "nothing written");

    use futures::StreamExt;
    let created: Vec<StatusCode> = futures::stream::iter(0..BILLS)
        .map(|_| {
            let body = manual(json!([{"description": "大额服务费", "amount": "999999999999.99"}]));
            let app = &app;
            let token = &token;
            async move { app.post("/api/v1/bills", Some(token), &body).await.status() }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    assert!(created.iter().all(|s| *s == StatusCode::OK), "{created:?}");
    let page = bills_of(&app, &token, "page_size=1").await;
    assert_eq!(page["total"], BILLS);
    assert_eq!(page["totals"]["subtotal"], "924999999999990.75");
    assert_eq!(page["totals"]["total"], "924999999999990.75");
    assert_eq!(page["totals"]["outstanding"], "924999999999990.75");
}

async fn usage_on_a_series_the_customer_lacks_is_a_warning_and_each_day_shows_its_source(app: TestApp) {
    let token = app.admin_token().await;
    let (period, first) = last_month();
    let plan_id = plan(&app, &token, "系列校验", &period, None, &flat_rules("1.2345")).await;
    let body = json!({"company_name": "只有N系列有限公司", "customer_code": "S0001", "account_id": "acc_S0001",
                      "device_series": ["N"], "account_status": "active"});
    let id = expect_json(
        app.post("/api/v1/customers", Some(&token), &body).await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_i64()
        .expect("id");
    assign(&app, &token, id, plan_id).await;
    usage(&app, &token, id, first, "N", "10").await;
    usage(&app, &token, id, first, "X", "30000").await;
    usage(&app, &token, id, first + Duration::days(1), "X", "20928.5").await;
    generate(&app, &token, json!({"period": period})).await;
    let draft = the_bill_of(&app, &token, id, &period).await;
    let warnings = draft["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{draft}");
    assert_eq!(warnings[0]["code"], "SERIES_NOT_SUBSCRIBED");
    assert_eq!(warnings[0]["series"], "X");
    // 50,928.5 × 1.2345 = 62,871.23325 → 62,871.23
    assert_eq!(
        warnings[0]["message"],
        "客户的设备系列不含 X，但本账期有 X 系列用量 50928.5，计费 62,871.23 元，请核对用量归属或客户资料"
    );
    let bill_id = draft["id"].as_i64().expect("id");
    expect_error(
        issue(&app, &token, bill_id, false).await,
        StatusCode::CONFLICT,
        "WARNINGS_NOT_ACKNOWLEDGED",
    )
    .await;
    // Each day behind each line, with its source.
    let days = expect_json(
        app.get(&format!("/api/v1/bills/{bill_id}/usage-days"), &token).await,
        StatusCode::OK,
    )
    .await;
    let series: Vec<&str> = days["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["series"].as_str().unwrap())
        .collect();
    assert_eq!(series, ["X", "N"], "{days}");
    let x = &days["series"][0];
    assert_eq!(x["billed_usage"], "50928.5");
    assert_eq!(x["recorded_usage"], "50928.50");
    assert_eq!(x["matches_bill"], true);
    assert_eq!(x["days"].as_array().unwrap().len(), 2);
    assert_eq!(x["days"][0]["day"], first.to_string());
    assert_eq!(x["days"][0]["source"], "manual");
    assert_eq!(x["days"][1]["quantity"], "20928.50");
    // A correction after generation: the days no longer add up to the bill.
    usage(&app, &token, id, first + Duration::days(2), "N", "5").await;
    let days = expect_json(
        app.get(&format!("/api/v1/bills/{bill_id}/usage-days"), &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(days["series"][1]["matches_bill"], false, "{days}");
    // Acknowledged, it issues.
    assert_eq!(issue(&app, &token, bill_id, true).await.status(), StatusCode::OK);
    // Out of scope or unknown: 404.
    expect_error(
        app.get("/api/v1/bills/987654/usage-days", &token).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

async fn all_clean_drafts_issue_by_filter_after_confirming_count_and_total(app: TestApp) {
    let token = app.admin_token().await;
    let (period, first) = last_month();
    let plan_id = plan(&app, &token, "批量出账", &period, None, &flat_rules("1000.10")).await;
    let mut clean = Vec::new();
    for i in 0..4 {
        let id = customer(&app, &token, &format!("I{i:04}"), "active").await;
        assign(&app, &token, id, plan_id).await;
        for series in ["X", "N", "L"] {
            usage(&app, &token, id, first, series, &format!("{}", i + 1)).await;
        }
        clean.push(id);
    }
    // One draft with a warning (no plan): never issued by the clean filter.
    let warned = customer(&app, &token, "I9999", "active").await;
    usage(&app, &token, warned, first, "X", "1").await;
    generate(&app, &token, json!({"period": period})).await;

    // What the confirm dialog shows: count and total of the same filter.
    let preview = bills_of(
        &app,
        &token,
        &format!("period={period}&status=draft&has_warnings=false&page_size=1"),
    )
    .await;
    assert_eq!(preview["totals"]["count"], 4);
    // (1+2+3+4) × 3 series × 1000.10 = 30,003.00
    assert_eq!(preview["totals"]["total"], "30003.00");
    let filter = json!({"period": period, "has_warnings": false});

    // Bad input: ids and a filter; a stale count or total (nothing issued).
    expect_error(
        app.post(
            "/api/v1/bills/batch-issue",
            Some(&token),
            &json!({"ids": [1], "filter": filter}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    expect_error(
        app.post(
            "/api/v1/bills/batch-issue",
            Some(&token),
            &json!({"filter": {"period": period, "status": "paid"}}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    for stale in [json!({"expected_count": 3}), json!({"expected_total": "30003.01"})] {
        let mut body = json!({"filter": filter});
        body.as_object_mut().unwrap().extend(stale.as_object().unwrap().clone());
        let refused = expect_error(
            app.post("/api/v1/bills/batch-issue", Some(&token), &body).await,
            StatusCode::CONFLICT,
            "BATCH_CHANGED",
        )
        .await;
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains("现为 4 张，合计 30,003.00"),
            "{refused}"
        );
    }
    assert_eq!(
        bills_of(&app, &token, &format!("period={period}&status=draft")).await["total"],
        5
    );

    let result = expect_json(
        app.post(
            "/api/v1/bills/batch-issue",
            Some(&token),
            &json!({"filter": filter, "expected_count": 4, "expected_total": "30003.00"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(result["matched"], 4);
    assert_eq!(result["issued"], 4);
    assert_eq!(result["issued_total"], "30003.00");
    assert_eq!(result["skipped"], json!([]));
    let left = bills_of(&app, &token, &format!("period={period}&status=draft")).await;
    assert_eq!(left["total"], 1);
    assert_eq!(left["items"][0]["customer_id"], warned);
    for id in clean {
        let issued = the_bill_of(&app, &token, id, &period).await;
        assert_eq!(issued["status"], "issued");
        assert!(issued["due_date"].is_string());
    }
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM audit_logs WHERE action = 'bill.issue'").await,
        4
    );
    // Again: nothing matches now — an honest empty result.
    let again = expect_json(
        app.post("/api/v1/bills/batch-issue", Some(&token), &json!({"filter": filter}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (again["matched"].as_u64(), again["issued"].as_u64()),
        (Some(0), Some(0))
    );
    // Without the clean filter: the unpriced draft is reported, not issued.
    let rest = expect_json(
        app.post(
            "/api/v1/bills/batch-issue",
            Some(&token),
            &json!({"filter": {"period": period}}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(rest["issued"], 0);
    assert_eq!(rest["skipped"][0]["code"], "BILL_NOT_PRICED");
}
