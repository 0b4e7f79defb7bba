use reqwest::StatusCode;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    every_write_is_audited_with_masked_secrets,
    audit_logs_filter_by_actor_entity_and_time
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
