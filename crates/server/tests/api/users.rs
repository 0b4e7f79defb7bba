use reqwest::StatusCode;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    management_creates_finds_and_edits_users,
    a_taken_username_is_409,
    operations_and_sales_are_refused_users_and_audit_logs,
    management_cannot_lock_itself_out,
    unknown_or_malformed_ids_are_404,
    page_size_is_bounded,
    a_password_reset_forces_a_change_and_ends_sessions,
);

async fn management_creates_finds_and_edits_users(app: TestApp) {
    let token = app.admin_token().await;
    let created = app
        .post(
            "/api/v1/users",
            Some(&token),
            &json!({"username": "Zhang.San", "password": "Start12345", "role": "sales", "display_name": " 张三 "}),
        )
        .await;
    let created = expect_json(created, StatusCode::CREATED).await;
    assert_eq!(created["username"], "zhang.san");
    assert_eq!(created["display_name"], "张三");
    assert_eq!(created["must_change_password"], true);
    assert_eq!(created["status"], "active");
    let id = created["id"].as_i64().unwrap();

    let listed = expect_json(app.get("/api/v1/users?q=张&role=sales", &token).await, StatusCode::OK).await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["page"], 1);
    assert_eq!(listed["page_size"], 20);
    assert_eq!(listed["items"][0]["id"], id);
    let all = expect_json(
        app.get("/api/v1/users?page=1&page_size=1", &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(all["total"], 2);
    assert_eq!(all["items"].as_array().unwrap().len(), 1);

    let updated = app
        .patch(
            &format!("/api/v1/users/{id}"),
            &token,
            &json!({"display_name": "张三丰", "role": "operations"}),
        )
        .await;
    let updated = expect_json(updated, StatusCode::OK).await;
    assert_eq!(updated["display_name"], "张三丰");
    assert_eq!(updated["role"], "operations");
    let fetched = expect_json(app.get(&format!("/api/v1/users/{id}"), &token).await, StatusCode::OK).await;
    assert_eq!(fetched["role"], "operations");
}

async fn a_taken_username_is_409(app: TestApp) {
    let token = app.admin_token().await;
    let body = json!({"username": "li.si", "password": "Start12345", "role": "sales", "display_name": "李四"});
    expect_json(
        app.post("/api/v1/users", Some(&token), &body).await,
        StatusCode::CREATED,
    )
    .await;
    let again = json!({"username": "LI.SI", "password": "Start12345", "role": "sales", "display_name": "李四"});
    expect_error(
        app.post("/api/v1/users", Some(&token), &again).await,
        StatusCode::CONFLICT,
        "USERNAME_TAKEN",
    )
    .await;
    let listed = expect_json(app.get("/api/v1/users?q=li.si", &token).await, StatusCode::OK).await;
    assert_eq!(listed["total"], 1, "nothing half-written: {listed}");
}

async fn operations_and_sales_are_refused_users_and_audit_logs(app: TestApp) {
    let admin = app.admin_token().await;
    for (name, role) in [("ops.one", "operations"), ("sales.one", "sales")] {
        let (_, token) = app.user_with_role(&admin, name, role).await;
        expect_error(
            app.get("/api/v1/users", &token).await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        )
        .await;
        expect_error(
            app.get("/api/v1/users/1", &token).await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        )
        .await;
        expect_error(
            app.get("/api/v1/audit-logs", &token).await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        )
        .await;
        let create = json!({"username": "sneaky", "password": "Start12345", "role": "management", "display_name": "x"});
        expect_error(
            app.post("/api/v1/users", Some(&token), &create).await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        )
        .await;
        expect_error(
            app.patch("/api/v1/users/1", &token, &json!({"role": "sales"})).await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        )
        .await;
        let me = expect_json(app.get("/api/v1/auth/me", &token).await, StatusCode::OK).await;
        let permissions = me["permissions"].as_array().unwrap();
        assert!(!permissions.contains(&json!("users.manage")), "{me}");
        assert!(!permissions.contains(&json!("audit.view")), "{me}");
    }
    let listed = expect_json(app.get("/api/v1/users?q=sneaky", &admin).await, StatusCode::OK).await;
    assert_eq!(listed["total"], 0);
}

async fn management_cannot_lock_itself_out(app: TestApp) {
    let token = app.admin_token().await;
    let me = expect_json(app.get("/api/v1/auth/me", &token).await, StatusCode::OK).await;
    let id = me["id"].as_i64().unwrap();
    for patch in [json!({"status": "disabled"}), json!({"role": "sales"})] {
        expect_error(
            app.patch(&format!("/api/v1/users/{id}"), &token, &patch).await,
            StatusCode::CONFLICT,
            "CANNOT_CHANGE_OWN_ACCESS",
        )
        .await;
    }
    expect_json(
        app.patch(&format!("/api/v1/users/{id}"), &token, &json!({"display_name": "总管"}))
            .await,
        StatusCode::OK,
    )
    .await;
}

async fn unknown_or_malformed_ids_are_404(app: TestApp) {
    let token = app.admin_token().await;
    expect_error(
        app.get("/api/v1/users/999999", &token).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    expect_error(
        app.get("/api/v1/users/abc", &token).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    expect_error(
        app.patch("/api/v1/users/999999", &token, &json!({"display_name": "x"}))
            .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

async fn page_size_is_bounded(app: TestApp) {
    let token = app.admin_token().await;
    for query in ["page_size=201", "page_size=0", "page=0", "page=abc"] {
        let error = expect_error(
            app.get(&format!("/api/v1/users?{query}"), &token).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        let field = error["error"]["details"][0]["field"].as_str().unwrap();
        assert!(query.starts_with(field), "{query}: {error}");
    }
    expect_json(app.get("/api/v1/users?page_size=200", &token).await, StatusCode::OK).await;
}

async fn a_password_reset_forces_a_change_and_ends_sessions(app: TestApp) {
    let admin = app.admin_token().await;
    let (id, token) = app.user_with_role(&admin, "zhao.liu", "operations").await;
    let reset = app
        .patch(
            &format!("/api/v1/users/{id}"),
            &admin,
            &json!({"password": "Reset12345"}),
        )
        .await;
    assert_eq!(expect_json(reset, StatusCode::OK).await["must_change_password"], true);
    expect_error(
        app.get("/api/v1/auth/me", &token).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_TOKEN",
    )
    .await;
    let login = expect_json(app.login("zhao.liu", "Reset12345").await, StatusCode::OK).await;
    assert_eq!(login["user"]["must_change_password"], true);
    let weak = app
        .patch(&format!("/api/v1/users/{id}"), &admin, &json!({"password": "weak"}))
        .await;
    expect_error(weak, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
}
