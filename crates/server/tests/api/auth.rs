use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    first_login_returns_tokens_and_demands_a_password_change,
    a_wrong_password_is_401_and_leaves_only_an_audit_trace,
    an_unknown_user_gets_the_same_answer_as_a_wrong_password,
    missing_unknown_and_mistyped_fields_are_400_naming_the_field,
    malformed_or_non_json_bodies_are_400,
    a_ten_megabyte_body_is_413,
    sql_meta_characters_are_just_characters,
    until_the_password_is_changed_only_me_password_and_logout_work,
    password_change_checks_the_current_password_and_the_rule,
    password_change_ends_the_old_tokens,
    a_refresh_token_works_once_and_its_reuse_revokes_the_family,
    concurrent_refreshes_of_one_token_yield_exactly_one_winner,
    logout_revokes_the_session,
    tampered_and_missing_tokens_are_401,
    repeated_failures_lock_the_account_with_429,
    repeated_failures_from_one_ip_lock_it_with_429,
    a_disabled_user_loses_access_at_once,
);

async fn first_login_returns_tokens_and_demands_a_password_change(app: TestApp) {
    let body = expect_json(app.login("admin", ADMIN_INITIAL_PASSWORD).await, StatusCode::OK).await;
    assert!(body["access_token"].as_str().is_some_and(|t| t.len() > 20));
    assert!(body["refresh_token"].as_str().is_some_and(|t| t.len() > 20));
    assert_eq!(body["expires_in"], 7200);
    assert_eq!(body["user"]["username"], "admin");
    assert_eq!(body["user"]["role"], "management");
    assert_eq!(body["user"]["must_change_password"], true);
    assert!(body["user"].get("password_hash").is_none());

    let token = body["access_token"].as_str().unwrap();
    let me = expect_json(app.get("/api/v1/auth/me", token).await, StatusCode::OK).await;
    assert_eq!(me["must_change_password"], true);
    assert!(me["permissions"].as_array().unwrap().contains(&json!("users.manage")));
}

async fn a_wrong_password_is_401_and_leaves_only_an_audit_trace(app: TestApp) {
    let body = expect_error(
        app.login("admin", "Wrong12345").await,
        StatusCode::UNAUTHORIZED,
        "INVALID_CREDENTIALS",
    )
    .await;
    assert_eq!(body["error"]["message"], "用户名或密码错误");
    let token = app.admin_token().await;
    let logs = expect_json(
        app.get("/api/v1/audit-logs?action=auth.login_failed", &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(logs["total"], 1);
    assert_eq!(logs["items"][0]["actor_name"], "admin");
    assert!(logs["items"][0]["ip"].as_str().is_some_and(|ip| ip.starts_with("127.")));
}

async fn an_unknown_user_gets_the_same_answer_as_a_wrong_password(app: TestApp) {
    let body = expect_error(
        app.login("nobody", "Whatever123").await,
        StatusCode::UNAUTHORIZED,
        "INVALID_CREDENTIALS",
    )
    .await;
    assert_eq!(body["error"]["message"], "用户名或密码错误");
}

async fn missing_unknown_and_mistyped_fields_are_400_naming_the_field(app: TestApp) {
    let cases = [
        (json!({"username": "admin"}), "password", "REQUIRED"),
        (
            json!({"username": "admin", "password": "x", "otp": "1"}),
            "otp",
            "UNKNOWN_FIELD",
        ),
        (json!({"username": 42, "password": "x"}), "username", "INVALID_VALUE"),
        (json!({"username": "", "password": "x"}), "username", "REQUIRED"),
    ];
    for (body, field, code) in cases {
        let error = expect_error(
            app.post("/api/v1/auth/login", None, &body).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        let details = &error["error"]["details"];
        assert_eq!(details[0]["field"], field, "{body} → {error}");
        assert_eq!(details[0]["code"], code, "{body} → {error}");
        assert!(
            details[0]["message"].as_str().is_some_and(|m| !m.is_ascii()),
            "message should be Chinese: {error}"
        );
    }
    let token = app.admin_token().await;
    let error = expect_error(
        app.post(
            "/api/v1/users",
            Some(&token),
            &json!({"username": "li", "password": "x", "role": "boss", "display_name": ""}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    let fields: Vec<&str> = error["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["username", "display_name", "role"], "{error}");
}

async fn malformed_or_non_json_bodies_are_400(app: TestApp) {
    let response = app
        .request(Method::POST, "/api/v1/auth/login", None)
        .header("content-type", "application/json")
        .body("{\"username\": \"admin\", ")
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "MALFORMED_JSON").await;
    let response = app
        .request(Method::POST, "/api/v1/auth/login", None)
        .header("content-type", "text/plain")
        .body("username=admin")
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "UNSUPPORTED_MEDIA_TYPE").await;
}

async fn a_ten_megabyte_body_is_413(app: TestApp) {
    let body = json!({"username": "admin", "password": "x".repeat(10 * 1024 * 1024)}).to_string();
    let (status, answer) = raw_post(&app, "/api/v1/auth/login", body).await;
    assert_eq!(status, 413, "{answer}");
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["error"]["code"], "PAYLOAD_TOO_LARGE");
    // Nothing was written: not even a failed-login record.
    let token = app.admin_token().await;
    let logs = expect_json(
        app.get("/api/v1/audit-logs?action=auth.login_failed", &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(logs["total"], 0);
}

/// POSTs over a raw socket, reading the answer while still writing: a server
/// that refuses an oversized body answers before reading it and closes the
/// connection, which HTTP clients report as a broken pipe.
async fn raw_post(app: &TestApp, path: &str, body: String) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.address.trim_start_matches("http://");
    let stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let writing = tokio::spawn(async move {
        let _ = writer.write_all(head.as_bytes()).await;
        let _ = writer.write_all(body.as_bytes()).await;
    });
    let mut response = Vec::new();
    let _ = reader.read_to_end(&mut response).await;
    writing.abort();
    let text = String::from_utf8_lossy(&response).to_string();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

async fn sql_meta_characters_are_just_characters(app: TestApp) {
    expect_error(
        app.login("admin' OR '1'='1", "' OR 1=1 --").await,
        StatusCode::UNAUTHORIZED,
        "INVALID_CREDENTIALS",
    )
    .await;
    let token = app.admin_token().await;
    let name = "O'Brien \"; DROP TABLE users; -- %_\\";
    let created = app
        .post(
            "/api/v1/users",
            Some(&token),
            &json!({"username": "obrien", "password": "Start12345", "role": "sales", "display_name": name}),
        )
        .await;
    let created = expect_json(created, StatusCode::CREATED).await;
    assert_eq!(created["display_name"], name);
    let found = expect_json(app.get("/api/v1/users?q=%25_", &token).await, StatusCode::OK).await;
    assert_eq!(found["total"], 1, "LIKE wildcards in q must match literally: {found}");
    let none = expect_json(
        app.get("/api/v1/users?q=%27%20OR%20%271%27%3D%271", &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(none["total"], 0);
}

async fn until_the_password_is_changed_only_me_password_and_logout_work(app: TestApp) {
    let body = expect_json(app.login("admin", ADMIN_INITIAL_PASSWORD).await, StatusCode::OK).await;
    let token = body["access_token"].as_str().unwrap();
    expect_error(
        app.get("/api/v1/users", token).await,
        StatusCode::FORBIDDEN,
        "PASSWORD_CHANGE_REQUIRED",
    )
    .await;
    expect_error(
        app.get("/api/v1/audit-logs", token).await,
        StatusCode::FORBIDDEN,
        "PASSWORD_CHANGE_REQUIRED",
    )
    .await;
    expect_json(app.get("/api/v1/auth/me", token).await, StatusCode::OK).await;
}

async fn password_change_checks_the_current_password_and_the_rule(app: TestApp) {
    let body = expect_json(app.login("admin", ADMIN_INITIAL_PASSWORD).await, StatusCode::OK).await;
    let token = body["access_token"].as_str().unwrap();
    let cases = [
        (
            json!({"current_password": "Nope12345", "new_password": "Good12345"}),
            "current_password",
            "WRONG_PASSWORD",
        ),
        (
            json!({"current_password": ADMIN_INITIAL_PASSWORD, "new_password": "short1"}),
            "new_password",
            "PASSWORD_TOO_WEAK",
        ),
        (
            json!({"current_password": ADMIN_INITIAL_PASSWORD, "new_password": "onlyletters"}),
            "new_password",
            "PASSWORD_TOO_WEAK",
        ),
        (
            json!({"current_password": ADMIN_INITIAL_PASSWORD, "new_password": ADMIN_INITIAL_PASSWORD}),
            "new_password",
            "PASSWORD_UNCHANGED",
        ),
    ];
    for (request, field, code) in cases {
        let error = expect_error(
            app.post("/api/v1/auth/password", Some(token), &request).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(error["error"]["details"][0]["field"], field, "{error}");
        assert_eq!(error["error"]["details"][0]["code"], code, "{error}");
    }
    let weak = expect_error(
        app.post(
            "/api/v1/auth/password",
            Some(token),
            &json!({"current_password": ADMIN_INITIAL_PASSWORD, "new_password": "abc"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(
        weak["error"]["details"][0]["message"],
        "密码至少 8 位，且须同时包含字母和数字"
    );
}

async fn password_change_ends_the_old_tokens(app: TestApp) {
    let first = expect_json(app.login("admin", ADMIN_INITIAL_PASSWORD).await, StatusCode::OK).await;
    let old_access = first["access_token"].as_str().unwrap();
    let old_refresh = first["refresh_token"].as_str().unwrap();
    let changed = app
        .post(
            "/api/v1/auth/password",
            Some(old_access),
            &json!({"current_password": ADMIN_INITIAL_PASSWORD, "new_password": ADMIN_PASSWORD}),
        )
        .await;
    let changed = expect_json(changed, StatusCode::OK).await;
    assert_eq!(changed["user"]["must_change_password"], false);
    let new_access = changed["access_token"].as_str().unwrap();
    expect_json(app.get("/api/v1/users", new_access).await, StatusCode::OK).await;
    expect_error(
        app.get("/api/v1/auth/me", old_access).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_TOKEN",
    )
    .await;
    expect_error(
        app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": old_refresh}))
            .await,
        StatusCode::UNAUTHORIZED,
        "INVALID_REFRESH_TOKEN",
    )
    .await;
    expect_error(
        app.login("admin", ADMIN_INITIAL_PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_CREDENTIALS",
    )
    .await;
    expect_json(app.login("admin", ADMIN_PASSWORD).await, StatusCode::OK).await;
}

async fn a_refresh_token_works_once_and_its_reuse_revokes_the_family(app: TestApp) {
    let signed_in = app.sign_in("admin", ADMIN_INITIAL_PASSWORD, ADMIN_PASSWORD).await;
    let first = signed_in["refresh_token"].as_str().unwrap().to_string();
    let second = expect_json(
        app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": first}))
            .await,
        StatusCode::OK,
    )
    .await;
    let second_refresh = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(first, second_refresh);
    expect_json(
        app.get("/api/v1/auth/me", second["access_token"].as_str().unwrap())
            .await,
        StatusCode::OK,
    )
    .await;

    // A thief replays the first token: refused, and the whole family dies,
    // including the legitimate newer token.
    expect_error(
        app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": first}))
            .await,
        StatusCode::UNAUTHORIZED,
        "INVALID_REFRESH_TOKEN",
    )
    .await;
    expect_error(
        app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": second_refresh}))
            .await,
        StatusCode::UNAUTHORIZED,
        "INVALID_REFRESH_TOKEN",
    )
    .await;
    let token = app.sign_in("admin", ADMIN_PASSWORD, ADMIN_PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let logs = expect_json(
        app.get("/api/v1/audit-logs?action=auth.refresh_reuse_detected", &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(logs["total"], 1);
}

async fn concurrent_refreshes_of_one_token_yield_exactly_one_winner(app: TestApp) {
    let signed_in = app.sign_in("admin", ADMIN_INITIAL_PASSWORD, ADMIN_PASSWORD).await;
    let token = signed_in["refresh_token"].as_str().unwrap().to_string();
    let body = json!({"refresh_token": token});
    let attempts = (0..8).map(|_| async { app.post("/api/v1/auth/refresh", None, &body).await.status() });
    let statuses = futures::future::join_all(attempts).await;
    let winners = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(winners, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
}

async fn logout_revokes_the_session(app: TestApp) {
    let signed_in = app.sign_in("admin", ADMIN_INITIAL_PASSWORD, ADMIN_PASSWORD).await;
    let refresh = signed_in["refresh_token"].as_str().unwrap();
    let response = app
        .post("/api/v1/auth/logout", None, &json!({"refresh_token": refresh}))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    expect_error(
        app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": refresh}))
            .await,
        StatusCode::UNAUTHORIZED,
        "INVALID_REFRESH_TOKEN",
    )
    .await;
    // Signing out twice is fine.
    let again = app
        .post("/api/v1/auth/logout", None, &json!({"refresh_token": refresh}))
        .await;
    assert_eq!(again.status(), StatusCode::NO_CONTENT);
}

async fn tampered_and_missing_tokens_are_401(app: TestApp) {
    let token = app.admin_token().await;
    let mut tampered = token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    expect_error(
        app.get("/api/v1/auth/me", &tampered).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_TOKEN",
    )
    .await;
    expect_error(
        app.get("/api/v1/auth/me", "not.a.jwt").await,
        StatusCode::UNAUTHORIZED,
        "INVALID_TOKEN",
    )
    .await;
    let anonymous = app.request(Method::GET, "/api/v1/auth/me", None).send().await.unwrap();
    expect_error(anonymous, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
}

async fn repeated_failures_lock_the_account_with_429(app: TestApp) {
    for _ in 0..5 {
        expect_error(
            app.login("admin", "Wrong12345").await,
            StatusCode::UNAUTHORIZED,
            "INVALID_CREDENTIALS",
        )
        .await;
    }
    let response = app.login("admin", ADMIN_INITIAL_PASSWORD).await;
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    let body = expect_error(response, StatusCode::TOO_MANY_REQUESTS, "TOO_MANY_LOGIN_ATTEMPTS").await;
    assert!(
        body["error"]["message"].as_str().unwrap().contains("分钟后再试"),
        "{body}"
    );
}

async fn repeated_failures_from_one_ip_lock_it_with_429(app: TestApp) {
    let app = TestApp::spawn_with(app.backend, |config| config.login_max_failures_per_ip = 3).await;
    for name in ["alpha", "bravo", "charlie"] {
        expect_error(
            app.login(name, "Wrong12345").await,
            StatusCode::UNAUTHORIZED,
            "INVALID_CREDENTIALS",
        )
        .await;
    }
    expect_error(
        app.login("admin", ADMIN_INITIAL_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "TOO_MANY_LOGIN_ATTEMPTS",
    )
    .await;
}

async fn a_disabled_user_loses_access_at_once(app: TestApp) {
    let admin = app.admin_token().await;
    let (id, token) = app.user_with_role(&admin, "wang.ops", "operations").await;
    expect_json(app.get("/api/v1/auth/me", &token).await, StatusCode::OK).await;
    expect_json(
        app.patch(&format!("/api/v1/users/{id}"), &admin, &json!({"status": "disabled"}))
            .await,
        StatusCode::OK,
    )
    .await;
    expect_error(
        app.get("/api/v1/auth/me", &token).await,
        StatusCode::UNAUTHORIZED,
        "ACCOUNT_DISABLED",
    )
    .await;
    expect_error(
        app.login("wang.ops", "Changed12345").await,
        StatusCode::FORBIDDEN,
        "ACCOUNT_DISABLED",
    )
    .await;
}
