use std::collections::BTreeSet;

use opcms::pricing::in_force::{customer_pricing_for, customer_pricings_for};
use opcms::pricing::reads::plan_in_force;
use opcms_domain::Period;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    a_plan_is_created_versioned_diffed_and_rolled_back,
    the_version_in_force_follows_the_effective_months,
    concurrent_new_versions_take_distinct_numbers,
    operations_view_and_quote_sales_are_refused_management_does_all,
    bad_input_is_a_400_naming_the_field,
    quotes_reproduce_the_golden_cases_string_for_string,
    customer_pricing_overlays_overrides_on_the_version_in_force,
    rules_overrides_and_minimums_are_encrypted_at_rest,
);

const FIXTURE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../domain/tests/fixtures/pricing_cases.json"
));

fn fixture() -> Value {
    serde_json::from_str(FIXTURE).expect("pricing_cases.json is JSON")
}

fn rules(x_price: &str) -> Value {
    json!({
        "X": {"mode": "flat", "unit_price": x_price},
        "N": {"mode": "graduated", "tiers": [
            {"up_to": "1000", "unit_price": "0.50"}, {"up_to": "5000", "unit_price": "0.40"}, {"up_to": null, "unit_price": "0.30"}
        ]},
        "L": {"mode": "volume", "tiers": [{"up_to": "200", "unit_price": "2.0000"}, {"up_to": null, "unit_price": "1.5000"}]}
    })
}

pub async fn create_plan(app: &TestApp, token: &str, name: &str, effective_from: &str) -> Value {
    let body = json!({"name": name, "effective_from": effective_from, "minimum_charge": "500", "rules": rules("0.1234"), "reason": "首次定价"});
    expect_json(
        app.post("/api/v1/price-plans", Some(token), &body).await,
        StatusCode::CREATED,
    )
    .await
}

async fn new_version(app: &TestApp, token: &str, plan_id: &Value, body: Value) -> Value {
    expect_json(
        app.post(&format!("/api/v1/price-plans/{plan_id}/versions"), Some(token), &body)
            .await,
        StatusCode::CREATED,
    )
    .await
}

pub(crate) async fn put(app: &TestApp, path: &str, token: &str, body: &Value) -> reqwest::Response {
    app.request(Method::PUT, path, Some(token))
        .json(body)
        .send()
        .await
        .expect("request")
}

async fn create_customer(app: &TestApp, token: &str, name: &str) -> i64 {
    let body = json!({"company_name": name, "device_series": ["X", "N", "L"]});
    let created = expect_json(
        app.post("/api/v1/customers", Some(token), &body).await,
        StatusCode::CREATED,
    )
    .await;
    created["id"].as_i64().expect("id")
}

fn fields(error: &Value) -> Vec<(String, String)> {
    error["error"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| {
            (
                d["field"].as_str().unwrap_or_default().to_string(),
                d["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

async fn a_plan_is_created_versioned_diffed_and_rolled_back(app: TestApp) {
    let admin = app.admin_token().await;
    let created = create_plan(&app, &admin, " 标准  方案 ", "2025-01").await;
    let id = created["id"].clone();
    assert_eq!(created["name"], "标准 方案");
    assert_eq!(created["current_version"], 1);
    assert_eq!(created["effective_from"], "2025-01");
    assert_eq!(created["minimum_charge"], "500.00");
    assert_eq!(created["rules"], rules("0.1234"), "prices come back exactly as written");
    assert_eq!(created["in_force_version"], 1);
    assert_eq!(created["customers"], 0);
    // L is a volume rule dropping from 2.00 to 1.50 at 200: a price cliff.
    assert_eq!(created["warnings"][0]["code"], "VOLUME_PRICE_CLIFF");
    assert_eq!(created["warnings"][0]["field"], "rules.L");
    let message = created["warnings"][0]["message"].as_str().unwrap();
    assert!(message.contains("计 400.00 元，略超即降为 300.00 元"), "{message}");

    let duplicate = json!({"name": "标准\u{3000}方案", "effective_from": "2025-01", "rules": rules("1")});
    let error = expect_error(
        app.post("/api/v1/price-plans", Some(&admin), &duplicate).await,
        StatusCode::CONFLICT,
        "DUPLICATE_PLAN_NAME",
    )
    .await;
    assert_eq!(error["error"]["details"][0]["field"], "name");
    let duplicate = json!({"name": "标准  方案", "effective_from": "2025-01", "rules": rules("1")});
    expect_error(
        app.post("/api/v1/price-plans", Some(&admin), &duplicate).await,
        StatusCode::CONFLICT,
        "DUPLICATE_PLAN_NAME",
    )
    .await;

    let mut changed = rules("0.1234");
    changed["N"]["tiers"][1]["unit_price"] = json!("0.38");
    let no_reason = json!({"effective_from": "2025-06", "rules": changed});
    let error = expect_error(
        app.post(&format!("/api/v1/price-plans/{id}/versions"), Some(&admin), &no_reason)
            .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(fields(&error), [("reason".to_string(), "REQUIRED".to_string())]);

    let v2 = new_version(
        &app,
        &admin,
        &id,
        json!({"effective_from": "2025-06", "minimum_charge": "600.00", "rules": changed, "reason": "N 系列第二档降价"}),
    )
    .await;
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["current_version"], 2);
    assert_eq!(v2["effective_from"], "2025-06");
    assert_eq!(v2["reason"], "N 系列第二档降价");
    assert_eq!(v2["created_by"]["display_name"], "系统管理员");
    assert_eq!(v2["already_billed_periods"], json!([]), "no bills exist yet");
    assert_eq!(v2["rules"]["N"]["tiers"][1]["unit_price"], "0.38");

    let history = expect_json(
        app.get(&format!("/api/v1/price-plans/{id}/versions"), &admin).await,
        StatusCode::OK,
    )
    .await;
    let numbers: Vec<i64> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [2, 1], "newest first");
    assert_eq!(history[1]["reason"], "首次定价");
    assert_eq!(history[1]["minimum_charge"], "500.00");
    assert!(history[1]["created_at"].as_str().is_some());
    let one = expect_json(
        app.get(&format!("/api/v1/price-plans/{id}/versions/1"), &admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(one, history[1]);
    expect_error(
        app.get(&format!("/api/v1/price-plans/{id}/versions/9"), &admin).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;

    let diff = expect_json(
        app.get(&format!("/api/v1/price-plans/{id}/diff"), &admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(diff["from"], json!({"version": 1, "effective_from": "2025-01"}));
    assert_eq!(diff["to"], json!({"version": 2, "effective_from": "2025-06"}));
    assert_eq!(
        diff["changes"],
        json!([
            {"field": "effective_from", "before": "2025-01", "after": "2025-06"},
            {"field": "minimum_charge", "before": "500.00", "after": "600.00"},
            {"field": "rules.N.tiers[1].unit_price", "before": "0.40", "after": "0.38"},
        ])
    );
    let error = expect_error(
        app.get(&format!("/api/v1/price-plans/{id}/diff?from=1&to=7"), &admin)
            .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(fields(&error), [("to".to_string(), "UNKNOWN_VERSION".to_string())]);

    // Rollback: a new version equal to version 1, effective when asked.
    let rolled = expect_json(
        app.post(
            &format!("/api/v1/price-plans/{id}/rollback"),
            Some(&admin),
            &json!({"version": 1, "effective_from": "2025-09"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(rolled["version"], 3);
    assert_eq!(rolled["rolled_back_from"], 1);
    assert_eq!(rolled["reason"], "回滚到版本 1");
    assert_eq!(rolled["rules"], rules("0.1234"));
    assert_eq!(rolled["minimum_charge"], "500.00");
    let diff = expect_json(
        app.get(&format!("/api/v1/price-plans/{id}/diff?from=1&to=3"), &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        diff["changes"],
        json!([{"field": "effective_from", "before": "2025-01", "after": "2025-09"}])
    );
    let error = expect_error(
        app.post(
            &format!("/api/v1/price-plans/{id}/rollback"),
            Some(&admin),
            &json!({"version": 8}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(fields(&error), [("version".to_string(), "UNKNOWN_VERSION".to_string())]);

    let plan = expect_json(
        app.get(&format!("/api/v1/price-plans/{id}"), &admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(plan["current_version"], 3);
    assert_eq!(plan["effective_from"], "2025-09");
    assert_eq!(plan["in_force_version"], 3);
    let listed = expect_json(app.get("/api/v1/price-plans?q=标准", &admin).await, StatusCode::OK).await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["current_version"], 3);
    assert_eq!(listed["items"][0]["effective_from"], "2025-09");
    assert_eq!(listed["items"][0]["customers"], 0);
    let none = expect_json(app.get("/api/v1/price-plans?q=不存在", &admin).await, StatusCode::OK).await;
    assert_eq!(none["total"], 0);

    let logs = expect_json(
        app.get(
            &format!("/api/v1/audit-logs?entity_type=price_plan&entity_id={id}"),
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let actions: Vec<&str> = logs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["price_plan.rollback", "price_plan.version", "price_plan.create"]
    );
    let version_log = &logs["items"][1]["changes"];
    assert_eq!(
        version_log["rules.N.tiers[1].unit_price"],
        json!({"before": "0.40", "after": "0.38"})
    );
    assert_eq!(version_log["version"], json!({"before": 1, "after": 2}));
    assert!(!logs.to_string().contains("v2:"), "no ciphertext in the audit log");

    // A plan without customers can be deleted; its name is then free.
    let response = app.delete(&format!("/api/v1/price-plans/{id}"), &admin).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    expect_error(
        app.get(&format!("/api/v1/price-plans/{id}"), &admin).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    create_plan(&app, &admin, "标准 方案", "2025-01").await;
}

async fn the_version_in_force_follows_the_effective_months(app: TestApp) {
    let admin = app.admin_token().await;
    let plan = create_plan(&app, &admin, "跨月方案", "2026-01").await;
    let id = plan["id"].clone();
    let plan_id = id.as_i64().unwrap();
    new_version(
        &app,
        &admin,
        &id,
        json!({"effective_from": "2026-03", "rules": rules("0.2000"), "reason": "三月调价"}),
    )
    .await;
    // A correction for the same month: the later version wins.
    let corrected = new_version(
        &app,
        &admin,
        &id,
        json!({"effective_from": "2026-03", "rules": rules("0.3000"), "reason": "更正三月调价"}),
    )
    .await;
    assert_eq!(corrected["version"], 3);
    assert!(
        corrected["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["code"] != "SUPERSEDED"),
        "{corrected}"
    );

    let quote = |period: &'static str| {
        let app = &app;
        let admin = admin.clone();
        let id = id.clone();
        async move {
            app.post(
                "/api/v1/pricing/quote",
                Some(&admin),
                &json!({"plan_id": id, "period": period, "usage": {"X": "1000"}}),
            )
            .await
        }
    };
    expect_error(
        quote("2025-12").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "PLAN_NOT_IN_FORCE",
    )
    .await;
    for (period, version, total) in [
        ("2026-01", 1, "500.00"),
        ("2026-02", 1, "500.00"),
        // Versions 2 and 3 have no minimum: 1000 × 0.3000.
        ("2026-03", 3, "300.00"),
        ("2027-07", 3, "300.00"),
    ] {
        let body = expect_json(quote(period).await, StatusCode::OK).await;
        assert_eq!(body["version"], version, "{period}: {body}");
        assert_eq!(body["period"], period);
        assert_eq!(body["total"], total);
    }
    // Without the minimum getting in the way: X at 0.1234 before March, 0.3000 from March.
    let body = expect_json(
        app.post(
            "/api/v1/pricing/quote",
            Some(&admin),
            &json!({"plan_id": id, "period": "2026-03", "usage": {"X": "10000"}}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["lines"][0]["raw_amount"], "3000.0000");

    // The functions the bills issue calls.
    let db = &app.state.db;
    let keyring = &app.state.keyring;
    let period = |text: &str| Period::parse(text).unwrap();
    assert!(
        plan_in_force(db, keyring, plan_id, period("2025-12"))
            .await
            .unwrap()
            .is_none()
    );
    let (row, pricing) = plan_in_force(db, keyring, plan_id, period("2026-02"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.version, row.effective_from), (1, 202601));
    assert_eq!(pricing.minimum_charge.unwrap().to_string(), "500.00");
    let (row, pricing) = plan_in_force(db, keyring, plan_id, period("2026-03"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.version, 3);
    assert_eq!(
        serde_json::to_value(&pricing.rules).unwrap()["X"]["unit_price"],
        "0.3000"
    );

    // A back-dated version governs only until a later-effective one.
    let back_dated = new_version(
        &app,
        &admin,
        &id,
        json!({"effective_from": "2026-02", "rules": rules("0.2500"), "reason": "二月补调"}),
    )
    .await;
    assert_eq!(back_dated["version"], 4);
    let superseded = back_dated["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "SUPERSEDED")
        .unwrap_or_else(|| panic!("no SUPERSEDED warning: {back_dated}"));
    assert_eq!(
        superseded["message"],
        "该版本仅适用于 2026-02 至 2026-02；自 2026-03 起适用生效月份更晚的版本 3"
    );
    let (row, _) = plan_in_force(db, keyring, plan_id, period("2026-02"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.version, 4);
    let (row, _) = plan_in_force(db, keyring, plan_id, period("2026-03"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.version, 3);

    // A customer on the plan, with an override of X.
    let customer = create_customer(&app, &admin, "跨月客户").await;
    let other = create_customer(&app, &admin, "无方案客户").await;
    let assigned = put(
        &app,
        &format!("/api/v1/customers/{customer}/pricing"),
        &admin,
        &json!({"plan_id": id, "overrides": {"X": {"mode": "flat", "unit_price": "0.0100"}}}),
    )
    .await;
    expect_json(assigned, StatusCode::OK).await;
    let effective = customer_pricing_for(db, keyring, customer, period("2026-01"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(effective.version.version, 1);
    assert_eq!(
        serde_json::to_value(&effective.pricing.rules).unwrap()["X"],
        json!({"mode": "flat", "unit_price": "0.0100"})
    );
    assert_eq!(
        serde_json::to_value(&effective.pricing.rules).unwrap()["N"],
        rules("0.1234")["N"]
    );
    assert!(
        customer_pricing_for(db, keyring, customer, period("2025-12"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        customer_pricing_for(db, keyring, other, period("2026-03"))
            .await
            .unwrap()
            .is_none()
    );
    let many = customer_pricings_for(db, keyring, &[customer, other], period("2026-03"))
        .await
        .unwrap();
    assert_eq!(many.len(), 1);
    assert_eq!(many[&customer].version.version, 3);

    let view = expect_json(
        app.get(&format!("/api/v1/customers/{customer}/pricing?period=2026-02"), &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(view["version"], json!({"version": 4, "effective_from": "2026-02"}));
    let view = expect_json(
        app.get(&format!("/api/v1/customers/{customer}/pricing?period=2025-06"), &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(view["version"], Value::Null);
    assert_eq!(view["effective_rules"], json!({}));
}

async fn concurrent_new_versions_take_distinct_numbers(app: TestApp) {
    let admin = app.admin_token().await;
    let plan = create_plan(&app, &admin, "并发方案", "2026-01").await;
    let id = plan["id"].clone();
    let path = format!("/api/v1/price-plans/{id}/versions");
    let bodies: Vec<Value> = (0..6)
        .map(|i| json!({"effective_from": "2026-02", "rules": rules(&format!("0.{i}")), "reason": format!("并发 {i}")}))
        .collect();
    let responses = futures::future::join_all(bodies.iter().map(|body| {
        let path = &path;
        let admin = &admin;
        let app = &app;
        async move {
            let response = app.post(path, Some(admin), body).await;
            let status = response.status();
            (status, response.json::<Value>().await.unwrap_or(Value::Null))
        }
    }))
    .await;
    assert!(
        responses.iter().all(|(s, _)| *s == StatusCode::CREATED),
        "{responses:?}"
    );
    let numbers: BTreeSet<i64> = responses
        .iter()
        .map(|(_, body)| body["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, (2..=7).collect(), "no two writers took the same number");
    let fetched = expect_json(
        app.get(&format!("/api/v1/price-plans/{id}"), &admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(fetched["current_version"], 7);
    let history = expect_json(app.get(&path, &admin).await, StatusCode::OK).await;
    assert_eq!(history.as_array().unwrap().len(), 7);
    // Each stored version holds the rules its own request sent.
    for (_, body) in &responses {
        let reason = body["reason"].as_str().unwrap();
        let i = reason.trim_start_matches("并发 ");
        assert_eq!(body["rules"]["X"]["unit_price"], format!("0.{i}"));
    }

    // The database itself refuses a second row with the same number.
    let backend = app.db.get_database_backend();
    let duplicate = app
        .db
        .execute_raw(Statement::from_string(
            backend,
            format!(
                "INSERT INTO price_plan_versions (plan_id, version, effective_from, rules_enc, created_at) \
                 SELECT plan_id, version, effective_from, rules_enc, created_at FROM price_plan_versions \
                 WHERE plan_id = {id} AND version = 7"
            ),
        ))
        .await;
    assert!(duplicate.is_err(), "UNIQUE(plan_id, version) must hold");

    // An editor working from a stale version is told so.
    let stale = json!({"effective_from": "2026-03", "rules": rules("1"), "reason": "旧页面", "base_version": 3});
    expect_error(
        app.post(&path, Some(&admin), &stale).await,
        StatusCode::CONFLICT,
        "VERSION_CONFLICT",
    )
    .await;
    let fresh = json!({"effective_from": "2026-03", "rules": rules("1"), "reason": "新页面", "base_version": 7});
    assert_eq!(new_version(&app, &admin, &id, fresh).await["version"], 8);
}

async fn operations_view_and_quote_sales_are_refused_management_does_all(app: TestApp) {
    let admin = app.admin_token().await;
    let (_, ops) = app.user_with_role(&admin, "ops.li", "operations").await;
    let (sales_id, sales) = app.user_with_role(&admin, "sales.wang", "sales").await;
    let plan = create_plan(&app, &admin, "权限方案", "2025-01").await;
    let id = plan["id"].clone();
    let customer = expect_json(
        app.post(
            "/api/v1/customers",
            Some(&admin),
            &json!({"company_name": "销售自己的客户", "device_series": ["X"], "sales_owner_id": sales_id}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let customer = customer["id"].clone();
    let assign = json!({"plan_id": id});
    let version = json!({"effective_from": "2025-02", "rules": rules("0.2"), "reason": "调价"});
    let quote = json!({"plan_id": id, "usage": {"X": "100"}});

    // Operations: read and quote, never change prices.
    for path in [
        "/api/v1/price-plans".to_string(),
        format!("/api/v1/price-plans/{id}"),
        format!("/api/v1/price-plans/{id}/versions"),
        format!("/api/v1/price-plans/{id}/versions/1"),
        format!("/api/v1/customers/{customer}/pricing"),
    ] {
        expect_json(app.get(&path, &ops).await, StatusCode::OK).await;
    }
    expect_json(
        app.post("/api/v1/pricing/quote", Some(&ops), &quote).await,
        StatusCode::OK,
    )
    .await;
    let writes = [
        app.post(
            "/api/v1/price-plans",
            Some(&ops),
            &json!({"name": "运营方案", "effective_from": "2025-01", "rules": rules("1")}),
        )
        .await,
        app.post(&format!("/api/v1/price-plans/{id}/versions"), Some(&ops), &version)
            .await,
        app.post(
            &format!("/api/v1/price-plans/{id}/rollback"),
            Some(&ops),
            &json!({"version": 1}),
        )
        .await,
        put(&app, &format!("/api/v1/customers/{customer}/pricing"), &ops, &assign).await,
        app.delete(&format!("/api/v1/price-plans/{id}"), &ops).await,
    ];
    for response in writes {
        expect_error(response, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    }

    // Sales: no pricing at all, not even on their own customer.
    for path in [
        "/api/v1/price-plans".to_string(),
        format!("/api/v1/price-plans/{id}"),
        format!("/api/v1/price-plans/{id}/versions"),
        format!("/api/v1/price-plans/{id}/diff"),
        format!("/api/v1/customers/{customer}/pricing"),
    ] {
        expect_error(app.get(&path, &sales).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    }
    expect_error(
        app.post("/api/v1/pricing/quote", Some(&sales), &quote).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    expect_error(
        put(&app, &format!("/api/v1/customers/{customer}/pricing"), &sales, &assign).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;

    // Management: everything.
    new_version(&app, &admin, &id, version).await;
    expect_json(
        put(&app, &format!("/api/v1/customers/{customer}/pricing"), &admin, &assign).await,
        StatusCode::OK,
    )
    .await;
    expect_json(
        app.post(
            &format!("/api/v1/price-plans/{id}/rollback"),
            Some(&admin),
            &json!({"version": 1, "reason": "撤回调价"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    // Unknown customers are 404 for those who may look.
    expect_error(
        app.get("/api/v1/customers/999999/pricing", &ops).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    expect_error(
        app.post(
            "/api/v1/pricing/quote",
            Some(&ops),
            &json!({"customer_id": 999999, "usage": {}}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    expect_error(
        put(&app, "/api/v1/customers/999999/pricing", &admin, &assign).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

async fn bad_input_is_a_400_naming_the_field(app: TestApp) {
    let admin = app.admin_token().await;
    let mut bad_rules = rules("0.1234");
    bad_rules["X"]["unit_price"] = json!(0.35);
    bad_rules["N"]["tiers"][1]["up_to"] = json!("900");
    bad_rules["N"]["tiers"][0]["unit_price"] = json!("0.12345");
    bad_rules["L"]["mode"] = json!("bulk");
    let body = json!({"name": "", "effective_from": "2026-3", "minimum_charge": 500, "rules": bad_rules});
    let error = expect_error(
        app.post("/api/v1/price-plans", Some(&admin), &body).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    let mut found = fields(&error);
    found.sort();
    let expected: Vec<(String, String)> = [
        ("effective_from", "INVALID_PERIOD"),
        ("minimum_charge", "NUMBER_NOT_STRING"),
        ("name", "REQUIRED"),
        ("rules.L.mode", "UNKNOWN_MODE"),
        ("rules.N.tiers[0].unit_price", "TOO_MANY_DECIMALS"),
        ("rules.N.tiers[1].up_to", "UP_TO_NOT_INCREASING"),
        ("rules.X.unit_price", "NUMBER_NOT_STRING"),
    ]
    .iter()
    .map(|(f, c)| (f.to_string(), c.to_string()))
    .collect();
    assert_eq!(found, expected, "{error}");
    let text = error.to_string();
    assert!(text.contains("单价须以字符串提交"), "{text}");
    let missing = expect_error(
        app.post("/api/v1/price-plans", Some(&admin), &json!({"name": "缺规则"}))
            .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    let mut found = fields(&missing);
    found.sort();
    assert_eq!(
        found.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(),
        ["effective_from", "rules.L", "rules.N", "rules.X"]
    );
    expect_error(
        app.post(
            "/api/v1/price-plans",
            Some(&admin),
            &json!({"name": "多字段", "effective_from": "2026-01", "rules": rules("1"), "colour": "red"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    let listed = expect_json(app.get("/api/v1/price-plans", &admin).await, StatusCode::OK).await;
    assert_eq!(listed["total"], 0, "nothing written");

    // Quotes name the field inside the rule, the usage, or the plan.
    let cases = [
        (
            json!({"rule": {"mode": "graduated", "tiers": [{"up_to": "100", "unit_price": "1"}, {"up_to": "100", "unit_price": "0.5"}, {"up_to": null, "unit_price": "0.1"}]}, "usage": "5"}),
            vec![("rule.tiers[1].up_to", "UP_TO_NOT_INCREASING")],
        ),
        (
            json!({"rule": {"mode": "flat", "unit_price": "1"}, "usage": 12}),
            vec![("usage", "NUMBER_NOT_STRING")],
        ),
        (
            json!({"rule": {"mode": "flat", "unit_price": "1"}}),
            vec![("usage", "REQUIRED")],
        ),
        (
            json!({"rule": {"mode": "tiered", "unit_price": "1"}, "usage": "1.00001"}),
            vec![("rule.mode", "UNKNOWN_MODE"), ("usage", "TOO_MANY_DECIMALS")],
        ),
        (
            json!({"plan": {"rules": rules("1")}, "usage": {"X": "-1", "Q": "1"}}),
            vec![("usage.Q", "UNKNOWN_SERIES"), ("usage.X", "NEGATIVE")],
        ),
        (
            json!({"plan": {"rules": {"X": {"mode": "flat", "unit_price": "1"}}}, "usage": {}}),
            vec![("plan.rules.L", "REQUIRED"), ("plan.rules.N", "REQUIRED")],
        ),
        (
            json!({"plan_id": 424242, "usage": {"X": "1"}}),
            vec![("plan_id", "UNKNOWN_PLAN")],
        ),
        (
            json!({"rule": {"mode": "flat", "unit_price": "1"}, "plan_id": 1, "usage": "1"}),
            vec![("plan_id", "ONE_SOURCE_ONLY"), ("rule", "ONE_SOURCE_ONLY")],
        ),
        (json!({"usage": "1"}), vec![("rule", "REQUIRED")]),
        (
            json!({"rule": {"mode": "flat", "unit_price": "1"}, "usage": "1", "period": "2026-01"}),
            vec![("period", "NOT_ALLOWED")],
        ),
    ];
    for (body, expected) in cases {
        let error = expect_error(
            app.post("/api/v1/pricing/quote", Some(&admin), &body).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        let mut found = fields(&error);
        found.sort();
        let expected: Vec<(String, String)> = expected.iter().map(|(f, c)| (f.to_string(), c.to_string())).collect();
        assert_eq!(found, expected, "{body} → {error}");
    }
}

async fn quotes_reproduce_the_golden_cases_string_for_string(app: TestApp) {
    let admin = app.admin_token().await;
    let fixture = fixture();
    for case in fixture["rule_cases"].as_array().unwrap() {
        let body = json!({"rule": case["rule"], "usage": case["usage"]});
        let mut answer = expect_json(
            app.post("/api/v1/pricing/quote", Some(&admin), &body).await,
            StatusCode::OK,
        )
        .await;
        let cliffs = answer.as_object_mut().unwrap().remove("cliffs");
        assert_eq!(
            cliffs.is_some(),
            case["rule"]["mode"] == "volume",
            "{}: cliffs only for volume rules",
            case["name"]
        );
        assert_eq!(answer, case["expected"], "{}", case["name"]);
    }
    let volume = json!({"mode": "volume", "tiers": [
        {"up_to": "1000", "unit_price": "0.50"}, {"up_to": "5000", "unit_price": "0.40"}, {"up_to": null, "unit_price": "0.30"}
    ]});
    let answer = expect_json(
        app.post(
            "/api/v1/pricing/quote",
            Some(&admin),
            &json!({"rule": volume, "usage": "1000"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(answer["cliffs"][0]["boundary"], "1000");
    assert_eq!(answer["cliffs"][0]["break_even"], "1250");

    for (i, case) in fixture["bill_cases"].as_array().unwrap().iter().enumerate() {
        // An unsaved plan…
        let body = json!({"plan": case["plan"], "usage": case["usage"]});
        let answer = expect_json(
            app.post("/api/v1/pricing/quote", Some(&admin), &body).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(answer, case["expected"], "{}", case["name"]);
        // …and the same plan stored (encrypted) and read back.
        let mut plan = case["plan"].clone();
        plan["name"] = json!(format!("方案 {i}"));
        plan["effective_from"] = json!("2025-01");
        let created = expect_json(
            app.post("/api/v1/price-plans", Some(&admin), &plan).await,
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(created["rules"], case["plan"]["rules"], "{}", case["name"]);
        let body = json!({"plan_id": created["id"], "usage": case["usage"], "period": "2025-06"});
        let mut answer = expect_json(
            app.post("/api/v1/pricing/quote", Some(&admin), &body).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(answer["version"], 1);
        assert_eq!(answer["effective_from"], "2025-01");
        let answer = json!({"lines": answer["lines"].take(), "total": answer["total"].take()});
        assert_eq!(answer, case["expected"], "{} (stored)", case["name"]);
    }
}

async fn customer_pricing_overlays_overrides_on_the_version_in_force(app: TestApp) {
    let admin = app.admin_token().await;
    let plan = create_plan(&app, &admin, "客户方案", "2025-01").await;
    let id = plan["id"].clone();
    let customer = create_customer(&app, &admin, "定价客户").await;
    let path = format!("/api/v1/customers/{customer}/pricing");

    let unassigned = expect_json(app.get(&path, &admin).await, StatusCode::OK).await;
    assert_eq!(unassigned["plan"], Value::Null);
    expect_error(
        app.post(
            "/api/v1/pricing/quote",
            Some(&admin),
            &json!({"customer_id": customer, "usage": {"X": "1"}}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "NO_PRICE_PLAN",
    )
    .await;

    let error = expect_error(
        put(
            &app,
            &path,
            &admin,
            &json!({"plan_id": 999999, "overrides": {"X": {"mode": "flat", "unit_price": 1}}}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(
        fields(&error),
        [("overrides.X.unit_price".to_string(), "NUMBER_NOT_STRING".to_string())]
    );
    let error = expect_error(
        put(&app, &path, &admin, &json!({"plan_id": 999999})).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(fields(&error), [("plan_id".to_string(), "UNKNOWN_PLAN".to_string())]);

    let override_n = json!({"mode": "flat", "unit_price": "0.2000"});
    let assigned = expect_json(
        put(
            &app,
            &path,
            &admin,
            &json!({"plan_id": id, "overrides": {"n": override_n}}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(assigned["plan"]["name"], "客户方案");
    assert_eq!(assigned["version"]["version"], 1);
    assert_eq!(assigned["minimum_charge"], "500.00");
    assert_eq!(assigned["overrides"], json!({"N": override_n}));
    assert_eq!(
        assigned["effective_rules"],
        json!({
            "X": {"source": "plan", "rule": rules("0.1234")["X"]},
            "N": {"source": "override", "rule": override_n},
            "L": {"source": "plan", "rule": rules("0.1234")["L"]},
        })
    );
    let listed = expect_json(app.get("/api/v1/price-plans", &admin).await, StatusCode::OK).await;
    assert_eq!(listed["items"][0]["customers"], 1);

    // The customer's quote uses the override for N and the plan for X.
    let quoted = expect_json(
        app.post(
            "/api/v1/pricing/quote",
            Some(&admin),
            &json!({"customer_id": customer, "period": "2025-03", "usage": {"X": "10000", "N": "6000"}}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(quoted["customer_id"], customer);
    assert_eq!(quoted["lines"][0]["amount"], "1234.00");
    assert_eq!(quoted["lines"][1]["raw_amount"], "1200.0000");
    assert_eq!(quoted["total"], "2434.00");

    // A plan in use cannot be deleted.
    expect_error(
        app.delete(&format!("/api/v1/price-plans/{id}"), &admin).await,
        StatusCode::CONFLICT,
        "PLAN_IN_USE",
    )
    .await;

    // Replacing the assignment without overrides drops them.
    let replaced = expect_json(put(&app, &path, &admin, &json!({"plan_id": id})).await, StatusCode::OK).await;
    assert_eq!(replaced["overrides"], json!({}));
    assert_eq!(replaced["effective_rules"]["N"]["source"], "plan");

    // Logged apart from the customer's own trail, which its sales owner reads.
    let sales_visible = expect_json(
        app.get(&format!("/api/v1/customers/{customer}/audit-trail"), &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(!sales_visible.to_string().contains("0.2000"), "{sales_visible}");
    let trail = expect_json(
        app.get(
            &format!("/api/v1/audit-logs?entity_type=customer_pricing&entity_id={customer}"),
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let first = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["action"] == "customer.pricing")
        .cloned()
        .unwrap_or_else(|| panic!("no customer.pricing entry: {trail}"));
    assert_eq!(first["changes"]["plan_id"], json!({"before": null, "after": id}));
    assert_eq!(
        first["changes"]["overrides"]["after"],
        json!({"N": override_n}),
        "prices are not masked in the audit log"
    );

    let response = app.delete(&path, &admin).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let removed = expect_json(app.get(&path, &admin).await, StatusCode::OK).await;
    assert_eq!(removed["plan"], Value::Null);
    expect_error(app.delete(&path, &admin).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let response = app.delete(&format!("/api/v1/price-plans/{id}"), &admin).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    expect_error(
        put(&app, &path, &admin, &json!({"plan_id": id})).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
}

async fn rules_overrides_and_minimums_are_encrypted_at_rest(app: TestApp) {
    let admin = app.admin_token().await;
    let distinctive = json!({
        "X": {"mode": "flat", "unit_price": "0.9137"},
        "N": {"mode": "graduated", "tiers": [{"up_to": "4321.5", "unit_price": "0.7713"}, {"up_to": null, "unit_price": "0.6619"}]},
        "L": {"mode": "volume", "tiers": [{"up_to": "8765.25", "unit_price": "1.2347"}, {"up_to": null, "unit_price": "1.1953"}]}
    });
    let plan = expect_json(
        app.post(
            "/api/v1/price-plans",
            Some(&admin),
            &json!({"name": "机密方案", "effective_from": "2025-01", "minimum_charge": "7654.32", "rules": distinctive}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let customer = create_customer(&app, &admin, "机密客户").await;
    expect_json(
        put(
            &app,
            &format!("/api/v1/customers/{customer}/pricing"),
            &admin,
            &json!({"plan_id": plan["id"], "overrides": {"X": {"mode": "flat", "unit_price": "0.5831"}}}),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    let backend = app.db.get_database_backend();
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            backend,
            format!(
                "SELECT rules_enc, minimum_charge_enc, effective_from FROM price_plan_versions WHERE plan_id = {}",
                plan["id"]
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    let rules_enc: String = row.try_get("", "rules_enc").unwrap();
    let minimum_enc: String = row.try_get("", "minimum_charge_enc").unwrap();
    let effective_from: i32 = row.try_get("", "effective_from").unwrap();
    assert_eq!(effective_from, 202501, "months are stored as sortable yyyymm");
    let overrides: String = app
        .db
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT overrides_enc FROM customer_pricing WHERE customer_id = {customer}"),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "overrides_enc")
        .unwrap();
    for (stored, secrets) in [
        (
            &rules_enc,
            vec![
                "0.9137",
                "4321.5",
                "0.7713",
                "0.6619",
                "8765.25",
                "1.2347",
                "graduated",
                "unit_price",
            ],
        ),
        (&minimum_enc, vec!["7654.32"]),
        (&overrides, vec!["0.5831", "flat"]),
    ] {
        assert!(stored.starts_with("v2:"), "{stored}");
        for secret in secrets {
            assert!(!stored.contains(secret), "{secret} in clear in {stored}");
        }
    }
    // Two encryptions of the same rules differ (a nonce per value), yet read back equal.
    let version = expect_json(
        app.post(
            &format!("/api/v1/price-plans/{}/rollback", plan["id"]),
            Some(&admin),
            &json!({"version": 1}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(version["rules"], distinctive);
    let second: String = app
        .db
        .query_one_raw(Statement::from_string(
            backend,
            format!(
                "SELECT rules_enc FROM price_plan_versions WHERE plan_id = {} AND version = 2",
                plan["id"]
            ),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "rules_enc")
        .unwrap();
    assert_ne!(second, rules_enc);
}
