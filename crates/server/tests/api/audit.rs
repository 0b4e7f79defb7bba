use reqwest::StatusCode;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    every_write_is_audited_with_masked_secrets,
    audit_logs_filter_by_actor_entity_and_time,
    audit_entries_name_records_by_their_number
);

async fn every_write_is_audited_with_masked_secrets(app: TestApp) {
    let admin = app.admin_token().await;
    let (id, _) = app.user_with_role(&admin, "qian.qi", "sales").await;
    app.patch(
        &format!("/api/v1/users/{id}"),
        &admin,
        &json!({"display_name": "钱七", "password": "Reset12345"}),
    )
    .await;

    let logs = expect_json(
        app.get(&format!("/api/v1/audit-logs?entity_type=user&entity_id={id}"), &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    let actions: Vec<&str> = logs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["user.update", "auth.password_change", "user.create"],
        "newest first: {logs}"
    );

    let update = &logs["items"][0];
    assert_eq!(update["actor_name"], "admin");
    assert_eq!(
        update["changes"]["display_name"],
        json!({"before": "qian.qi", "after": "钱七"})
    );
    assert_eq!(update["changes"]["password"], json!({"before": "***", "after": "***"}));
    assert_eq!(
        update["changes"]["must_change_password"],
        json!({"before": false, "after": true})
    );
    assert!(update["request_id"].as_str().is_some_and(|r| r.len() >= 32), "{update}");
    let text = logs.to_string();
    assert!(
        !text.contains("Reset12345") && !text.contains("argon2"),
        "secrets leaked: {text}"
    );

    let create = &logs["items"][2];
    assert_eq!(
        create["changes"]["username"],
        json!({"before": null, "after": "qian.qi"})
    );
}

async fn audit_logs_filter_by_actor_entity_and_time(app: TestApp) {
    let admin = app.admin_token().await;
    let me = expect_json(app.get("/api/v1/auth/me", &admin).await, StatusCode::OK).await;
    app.user_with_role(&admin, "sun.ba", "operations").await;

    let by_actor = expect_json(
        app.get(
            &format!("/api/v1/audit-logs?actor_id={}&action=user.create", me["id"]),
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(by_actor["total"], 1);
    let today = chrono::Utc::now().date_naive();
    let within = expect_json(
        app.get(&format!("/api/v1/audit-logs?from={today}&to={today}"), &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(within["total"].as_u64().unwrap() >= 4, "{within}");
    let tomorrow = today.succ_opt().unwrap();
    let after = expect_json(
        app.get(&format!("/api/v1/audit-logs?from={tomorrow}"), &admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(after["total"], 0);
    let error = expect_error(
        app.get("/api/v1/audit-logs?from=yesterday", &admin).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(error["error"]["details"][0]["field"], "from");
}

/// Issue 21 item 8: an audit entry names its record (customer by name and
/// code, bill and payment by number, user by name) and the records its
/// changes mention by id, so no page has to show an internal id.
async fn audit_entries_name_records_by_their_number(app: TestApp) {
    let admin = app.admin_token().await;
    let (owner, _) = app.user_with_role(&admin, "zhao.liu", "sales").await;
    let body = json!({"company_name": "审计标签有限公司", "customer_code": "L0001", "device_series": ["X"],
                      "account_status": "active", "sales_owner_id": owner});
    let customer = expect_json(
        app.post("/api/v1/customers", Some(&admin), &body).await,
        StatusCode::CREATED,
    )
    .await;
    let c = customer["id"].as_i64().unwrap();
    let period = (chrono::Utc::now() + chrono::Duration::hours(8))
        .format("%Y-%m")
        .to_string();
    let body = json!({"customer_id": c, "period": period, "lines": [{"description": "服务费", "amount": "1200.00"}]});
    let bill = expect_json(app.post("/api/v1/bills", Some(&admin), &body).await, StatusCode::OK).await;
    let b = bill["id"].as_i64().unwrap();
    expect_json(
        app.post(&format!("/api/v1/bills/{b}/issue"), Some(&admin), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    let today = (chrono::Utc::now() + chrono::Duration::hours(8))
        .date_naive()
        .to_string();
    let body = json!({"customer_id": c, "amount": "1200.00", "received_at": today, "method": "bank_transfer"});
    let payment = expect_json(
        app.post("/api/v1/payments", Some(&admin), &body).await,
        StatusCode::CREATED,
    )
    .await;
    let p = payment["id"].as_i64().unwrap();
    expect_json(
        app.post(
            &format!("/api/v1/payments/{p}/allocations"),
            Some(&admin),
            &json!({"allocations": [{"bill_id": b, "amount": "1200.00"}]}),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    let logs = expect_json(
        app.get("/api/v1/audit-logs?page_size=100", &admin).await,
        StatusCode::OK,
    )
    .await;
    let items = logs["items"].as_array().unwrap();
    let find = |action: &str| {
        items
            .iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("no {action}: {logs}"))
            .clone()
    };
    let created = find("customer.create");
    assert_eq!(created["entity_label"], "审计标签有限公司（L0001）");
    assert_eq!(
        created["refs"][format!("user:{owner}")],
        "zhao.liu（zhao.liu）",
        "{created}"
    );
    let issued = find("bill.issue");
    assert_eq!(issued["entity_label"], bill["bill_no"]);
    let allocated = find("payment.allocate");
    assert_eq!(allocated["entity_label"], payment["payment_no"]);
    assert_eq!(allocated["refs"][format!("bill:{b}")], bill["bill_no"], "{allocated}");
    let bill_side = find("bill.allocate");
    assert_eq!(
        bill_side["refs"][format!("payment:{p}")],
        payment["payment_no"],
        "{bill_side}"
    );
    // The record's own trail carries them too.
    let trail = expect_json(
        app.get(&format!("/api/v1/customers/{c}/audit-trail"), &admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        trail["items"][0]["entity_label"], "审计标签有限公司（L0001）",
        "{trail}"
    );
    // An export names no record: no label, nothing invented.
    app.get("/api/v1/payments/export", &admin).await;
    let logs = expect_json(
        app.get("/api/v1/audit-logs?action=payment.export", &admin).await,
        StatusCode::OK,
    )
    .await;
    assert!(logs["items"][0]["entity_label"].is_null());
}
