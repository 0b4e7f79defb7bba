//! Configurable data scope (数据权限范围配置, DESIGN.md §10, issue 25):
//! management keeps sales teams and sets each user's scope — `own`, `team`
//! or `all` — and every list, detail, export and analytics view follows it
//! on the very next request.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    every_view_follows_each_users_scope,
    teams_and_scopes_are_validated_and_audited,
);

async fn customer(app: &TestApp, token: &str, code: &str, owner: Option<i64>) -> i64 {
    let body = json!({"company_name": format!("{code}范围测试公司"), "customer_code": code,
                      "account_id": format!("acc_{code}"), "device_series": ["X"],
                      "account_status": "active", "payment_terms_days": 15, "sales_owner_id": owner});
    expect_json(
        app.post("/api/v1/customers", Some(token), &body).await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_i64()
        .expect("id")
}

async fn issued_bill(app: &TestApp, token: &str, customer_id: i64, period: &str, amount: &str) -> i64 {
    let body = json!({"customer_id": customer_id, "period": period,
                      "lines": [{"description": "服务费", "amount": amount}]});
    let id = expect_json(app.post("/api/v1/bills", Some(token), &body).await, StatusCode::OK).await["id"]
        .as_i64()
        .expect("id");
    let path = format!("/api/v1/bills/{id}/issue");
    expect_json(app.post(&path, Some(token), &json!({})).await, StatusCode::OK).await;
    id
}

async fn patch_user(app: &TestApp, admin: &str, id: i64, body: Value) -> Value {
    expect_json(
        app.patch(&format!("/api/v1/users/{id}"), admin, &body).await,
        StatusCode::OK,
    )
    .await
}

/// The customer codes a user sees in a list answer, sorted.
fn codes(list: &Value, field: &str) -> Vec<String> {
    let mut codes: Vec<String> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|row| row.pointer(field).and_then(Value::as_str).map(str::to_string))
        .collect();
    codes.sort();
    codes
}

/// What one user sees: customers, bills, receipts, the export, the
/// dashboard's receivable and the home page's scope.
async fn seen(
    app: &TestApp,
    token: &str,
    period: &str,
) -> (Vec<String>, Vec<String>, Vec<String>, String, String, String) {
    let get = |path: String| async move { expect_json(app.get(&path, token).await, StatusCode::OK).await };
    let customers = codes(&get("/api/v1/customers?page_size=50".into()).await, "/customer_code");
    let bills = codes(
        &get("/api/v1/bills?page_size=50".into()).await,
        "/customer/customer_code",
    );
    let payments: Vec<String> = {
        let list = get("/api/v1/payments?page_size=50".into()).await;
        let mut amounts: Vec<String> = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|p| p["amount"].as_str().map(str::to_string))
            .collect();
        amounts.sort();
        amounts
    };
    let export = app.get("/api/v1/customers/export?format=csv", token).await;
    assert_eq!(export.status(), StatusCode::OK);
    let export = export.text().await.expect("csv");
    let exported: Vec<&str> = ["S-L", "S-M", "S-O", "S-N"]
        .into_iter()
        .filter(|code| export.contains(code))
        .collect();
    let dashboard = get(format!("/api/v1/analytics/dashboard?period={period}")).await;
    let summary = get("/api/v1/home/summary".into()).await;
    (
        customers,
        bills,
        payments,
        exported.join(","),
        dashboard["receivable"].as_str().unwrap_or_default().to_string(),
        summary["scope"].as_str().unwrap_or_default().to_string(),
    )
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

async fn every_view_follows_each_users_scope(app: TestApp) {
    let admin = app.admin_token().await;
    let team = expect_json(
        app.post("/api/v1/teams", Some(&admin), &json!({"name": "华东组"}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    let team_id = team["id"].as_i64().expect("team id");
    let (lead, lead_token) = app.user_with_role(&admin, "scope.lead", "sales").await;
    let (member, member_token) = app.user_with_role(&admin, "scope.member", "sales").await;
    let (outsider, outsider_token) = app.user_with_role(&admin, "scope.out", "sales").await;
    let (wide, wide_token) = app.user_with_role(&admin, "scope.wide", "sales").await;
    let lead_view = patch_user(&app, &admin, lead, json!({"team_id": team_id, "data_scope": "team"})).await;
    assert_eq!(
        (lead_view["team_id"].as_i64(), lead_view["data_scope"].as_str()),
        (Some(team_id), Some("team"))
    );
    let member_view = patch_user(&app, &admin, member, json!({"team_id": team_id})).await;
    assert_eq!(member_view["data_scope"], "own", "sales default");
    patch_user(&app, &admin, wide, json!({"data_scope": "all"})).await;

    let period = "2026-01";
    let mut ids = Vec::new();
    for (code, owner, amount) in [
        ("S-L", Some(lead), "100"),
        ("S-M", Some(member), "200"),
        ("S-O", Some(outsider), "400"),
        ("S-N", None, "800"),
    ] {
        let id = customer(&app, &admin, code, owner).await;
        issued_bill(&app, &admin, id, period, amount).await;
        ids.push(id);
    }
    let receipt = json!({"customer_id": ids[1], "amount": "50", "received_at": "2026-01-20",
                         "method": "bank_transfer", "payer_name": "付款单位"});
    expect_json(
        app.post("/api/v1/payments", Some(&admin), &receipt).await,
        StatusCode::CREATED,
    )
    .await;
    let receipt = json!({"customer_id": ids[2], "amount": "70", "received_at": "2026-01-21",
                         "method": "bank_transfer", "payer_name": "付款单位"});
    expect_json(
        app.post("/api/v1/payments", Some(&admin), &receipt).await,
        StatusCode::CREATED,
    )
    .await;

    // The lead sees the team (self and member); the member, the outsider: their own; `all`: everything.
    assert_eq!(
        seen(&app, &lead_token, period).await,
        (
            strings(&["S-L", "S-M"]),
            strings(&["S-L", "S-M"]),
            strings(&["50.00"]),
            "S-L,S-M".into(),
            "300.00".into(),
            "team".into()
        )
    );
    assert_eq!(
        seen(&app, &member_token, period).await,
        (
            strings(&["S-M"]),
            strings(&["S-M"]),
            strings(&["50.00"]),
            "S-M".into(),
            "200.00".into(),
            "own".into()
        )
    );
    assert_eq!(
        seen(&app, &outsider_token, period).await,
        (
            strings(&["S-O"]),
            strings(&["S-O"]),
            strings(&["70.00"]),
            "S-O".into(),
            "400.00".into(),
            "own".into()
        )
    );
    let everything = seen(&app, &wide_token, period).await;
    assert_eq!(everything.0, strings(&["S-L", "S-M", "S-N", "S-O"]));
    assert_eq!((everything.4.as_str(), everything.5.as_str()), ("1500.00", "all"));

    // Details outside the scope are 404, inside 200.
    let outside = format!("/api/v1/customers/{}", ids[2]);
    expect_error(app.get(&outside, &lead_token).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let inside = format!("/api/v1/customers/{}", ids[1]);
    expect_json(app.get(&inside, &lead_token).await, StatusCode::OK).await;
    let score = format!("/api/v1/customers/{}/credit-score", ids[2]);
    expect_error(app.get(&score, &lead_token).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;

    // The member leaves the team: the lead no longer sees their customers, at once.
    patch_user(&app, &admin, member, json!({"team_id": null})).await;
    let after = seen(&app, &lead_token, period).await;
    assert_eq!((after.0, after.4), (strings(&["S-L"]), "100.00".to_string()));
    // Back in, then the team is deleted: the lead keeps only their own.
    patch_user(&app, &admin, member, json!({"team_id": team_id})).await;
    assert_eq!(seen(&app, &lead_token, period).await.0, strings(&["S-L", "S-M"]));
    let deleted = app.delete(&format!("/api/v1/teams/{team_id}"), &admin).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(seen(&app, &lead_token, period).await.0, strings(&["S-L"]));
    let lead_view = expect_json(app.get(&format!("/api/v1/users/{lead}"), &admin).await, StatusCode::OK).await;
    assert_eq!(
        (lead_view["team_id"].is_null(), lead_view["data_scope"].as_str()),
        (true, Some("team"))
    );
    // Narrowing `all` to `own` takes effect on the next request too.
    patch_user(&app, &admin, wide, json!({"data_scope": "own"})).await;
    assert!(seen(&app, &wide_token, period).await.0.is_empty());
}

async fn teams_and_scopes_are_validated_and_audited(app: TestApp) {
    let admin = app.admin_token().await;
    let (user_id, sales) = app.user_with_role(&admin, "scope.v", "sales").await;
    for (body, code) in [
        (json!({"name": "  "}), "INVALID_NAME"),
        (json!({"name": "组".repeat(33)}), "INVALID_NAME"),
    ] {
        let error = expect_error(
            app.post("/api/v1/teams", Some(&admin), &body).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(error["error"]["details"][0]["code"], code);
    }
    let team = expect_json(
        app.post("/api/v1/teams", Some(&admin), &json!({"name": " 华南组 "}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(team["name"], "华南组");
    expect_error(
        app.post("/api/v1/teams", Some(&admin), &json!({"name": "华南组"}))
            .await,
        StatusCode::CONFLICT,
        "TEAM_NAME_TAKEN",
    )
    .await;
    let team_id = team["id"].as_i64().expect("id");
    let renamed = expect_json(
        app.patch(
            &format!("/api/v1/teams/{team_id}"),
            &admin,
            &json!({"name": "华南一组"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(renamed["name"], "华南一组");
    // Only user managers keep teams.
    expect_error(
        app.get("/api/v1/teams", &sales).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;

    let path = format!("/api/v1/users/{user_id}");
    for (body, field, code) in [
        (json!({"data_scope": "everyone"}), "data_scope", "INVALID_SCOPE"),
        (json!({"team_id": 999_999}), "team_id", "UNKNOWN_TEAM"),
    ] {
        let error = expect_error(
            app.patch(&path, &admin, &body).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(error["error"]["details"][0]["field"], field, "{error}");
        assert_eq!(error["error"]["details"][0]["code"], code, "{error}");
    }
    let created = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "scope.new", "password": "Start12345", "role": "sales", "display_name": "新人",
                    "team_id": team_id, "data_scope": "team"}),
        )
        .await;
    let created = expect_json(created, StatusCode::CREATED).await;
    assert_eq!(
        (created["team_id"].as_i64(), created["data_scope"].as_str()),
        (Some(team_id), Some("team"))
    );
    let teams = expect_json(app.get("/api/v1/teams", &admin).await, StatusCode::OK).await;
    assert_eq!(teams[0]["members"], 1);

    patch_user(&app, &admin, user_id, json!({"team_id": team_id, "data_scope": "team"})).await;
    let audit = expect_json(
        app.get("/api/v1/audit-logs?entity_type=user", &admin).await,
        StatusCode::OK,
    )
    .await;
    let change = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|e| e["action"] == "user.update" && e["entity_id"].as_str() == Some(&user_id.to_string()))
        .unwrap_or_else(|| panic!("no audit of the scope change: {audit}"));
    assert_eq!(change["changes"]["data_scope"]["after"], "team", "{change}");
    assert_eq!(change["changes"]["team_id"]["after"], team_id, "{change}");
    let audit = expect_json(
        app.get("/api/v1/audit-logs?entity_type=sales_team", &admin).await,
        StatusCode::OK,
    )
    .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"team.create") && actions.contains(&"team.update"),
        "{actions:?}"
    );
}
