//! HTTP hardening: security headers, server-made request ids, the rate
//! limit, the request timeout.

use std::time::{Duration, Instant};

use opcms::http::CONTENT_SECURITY_POLICY;
use opcms::usage::mock_vendor::{Behaviour, MockVendor};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    csp_is_on_the_web_app_the_api_docs_and_the_api,
    a_client_request_id_is_replaced_by_the_servers_own,
    over_the_rate_limit_requests_get_429_per_user_and_per_ip,
    a_request_past_the_timeout_gets_the_envelope,
);

async fn csp_is_on_the_web_app_the_api_docs_and_the_api(app: TestApp) {
    let script_src = CONTENT_SECURITY_POLICY
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .expect("a script-src directive");
    assert_eq!(script_src, "script-src 'self'");
    for directive in [
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "default-src 'self'",
    ] {
        assert!(CONTENT_SECURITY_POLICY.contains(directive), "{directive}");
    }
    for path in [
        "/",
        "/customers",
        "/api/docs/",
        "/api/openapi.json",
        "/api/v1/auth/me",
        "/healthz",
    ] {
        let response = app.client.get(app.url(path)).send().await.expect("request");
        let headers = response.headers();
        assert_eq!(
            headers.get("content-security-policy").and_then(|v| v.to_str().ok()),
            Some(CONTENT_SECURITY_POLICY),
            "{path}"
        );
        assert!(
            headers.get("strict-transport-security").is_none(),
            "{path}: HSTS over plain HTTP"
        );
    }
    // The pages the policy protects run no inline script: every <script>
    // loads a file of this origin.
    for path in ["/", "/api/docs/"] {
        let html = app
            .client
            .get(app.url(path))
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("body");
        for tag in html.split("<script").skip(1) {
            let open = tag.split('>').next().unwrap_or_default();
            assert!(open.contains("src=\""), "{path}: inline script <script{open}>");
            assert!(!open.contains("src=\"http"), "{path}: remote script <script{open}>");
        }
    }
}

async fn a_client_request_id_is_replaced_by_the_servers_own(app: TestApp) {
    let hostile = format!("{}%0d'\"<b>", "a".repeat(120));
    let login = app
        .request(Method::POST, "/api/v1/auth/login", None)
        .header("x-request-id", &hostile)
        .json(&json!({"username": "admin", "password": ADMIN_INITIAL_PASSWORD}))
        .send()
        .await
        .expect("request");
    let id = login.headers()["x-request-id"].to_str().expect("ascii").to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "not a server id: {id}");
    let token = expect_json(login, StatusCode::OK).await["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    // A plain, short id is not taken over either (it is only logged).
    let plain = app
        .request(Method::GET, "/api/v1/auth/me", Some(&token))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .expect("request");
    let plain_id = plain.headers()["x-request-id"].to_str().expect("ascii");
    assert!(uuid::Uuid::parse_str(plain_id).is_ok(), "{plain_id}");

    // The audit log records the server's id, not the client's.
    let admin = app.admin_token().await;
    let logs = expect_json(
        app.get("/api/v1/audit-logs?action=auth.login", &admin).await,
        StatusCode::OK,
    )
    .await;
    let ids: Vec<&str> = logs["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|item| item["request_id"].as_str())
        .collect();
    assert!(ids.contains(&id.as_str()), "{id} not in {ids:?}");
    assert!(!ids.iter().any(|i| i.contains("aaaa")), "{ids:?}");
}

/// Sends until a 429 comes (at most `tries`); answers how many passed.
async fn until_limited(app: &TestApp, token: Option<&str>, tries: usize) -> usize {
    for passed in 0..tries {
        let response = app
            .request(Method::GET, "/api/v1/auth/me", token)
            .send()
            .await
            .expect("request");
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            let retry_after: u64 = response.headers()["retry-after"]
                .to_str()
                .expect("ascii")
                .parse()
                .expect("seconds");
            assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
            let body = expect_error(response, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;
            assert_eq!(body["error"]["message"], "请求过于频繁，请稍后再试");
            return passed;
        }
    }
    panic!("no 429 after {tries} requests");
}

async fn over_the_rate_limit_requests_get_429_per_user_and_per_ip(app: TestApp) {
    let app = TestApp::spawn_with(app.backend, |c| {
        c.http.rate_limit_per_ip = 8;
        c.http.rate_limit_per_user = 8;
    })
    .await;
    let admin = app.admin_token().await;
    let (_, operator) = app.user_with_role(&admin, "ops.limit", "operations").await;
    let me = expect_json(app.get("/api/v1/auth/me", &admin).await, StatusCode::OK).await;
    let admin_id = me["id"].as_i64().expect("id");

    // Tokens forged with the admin's id are keyed by IP, so they spend the
    // IP's budget, not the admin's.
    let forged = opcms::auth::tokens::TokenKeys::from_secret(b"not the server's key")
        .issue_access(admin_id, 0, chrono::Utc::now())
        .expect("token");
    let passed = until_limited(&app, Some(&forged), 20).await;
    assert!(passed <= 8, "{passed} unauthenticated requests passed");
    let anonymous = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status(), StatusCode::TOO_MANY_REQUESTS);
    // Probes and the web app's files are never limited.
    for path in ["/healthz", "/readyz", "/", "/customers"] {
        let response = app.client.get(app.url(path)).send().await.expect("request");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }

    // The admin still has their own budget, and spending it leaves the
    // operator's whole.
    let passed = until_limited(&app, Some(&admin), 20).await;
    assert!((1..=8).contains(&passed), "{passed} admin requests passed");
    expect_json(app.get("/api/v1/auth/me", &operator).await, StatusCode::OK).await;
}

async fn a_request_past_the_timeout_gets_the_envelope(app: TestApp) {
    let vendor = MockVendor::start("127.0.0.1:0".parse().expect("addr"), vec!["slow_1".into()])
        .await
        .expect("mock vendor");
    vendor.set(Behaviour {
        delay_ms: 4000,
        ..Behaviour::default()
    });
    let source = serde_json::from_value(json!({
        "name": "slow",
        "base_url": vendor.base_url(),
        "path": "/v1/usage",
        "timeout_ms": 10_000,
        "retries": 0,
        "records_path": "data.items",
        "fields": {"account_id": "account", "series": "series", "day": "date", "quantity": "qty"}
    }))
    .expect("source");
    let app = TestApp::spawn_with(app.backend, |c| {
        c.usage_sources = vec![source];
        c.http.request_timeout = Some(Duration::from_secs(1));
    })
    .await;
    let token = app.admin_token().await;
    let day = chrono::Utc::now().date_naive() - chrono::Duration::days(2);
    let started = Instant::now();
    let response = app
        .post(
            "/api/v1/usage/collect",
            Some(&token),
            &json!({"date": day, "source": "slow"}),
        )
        .await;
    let body = expect_error(response, StatusCode::SERVICE_UNAVAILABLE, "REQUEST_TIMEOUT").await;
    assert!(
        body["error"]["message"].as_str().unwrap_or("").contains("超时"),
        "{body}"
    );
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    // A quick request is untouched.
    expect_json(app.get("/api/v1/auth/me", &token).await, StatusCode::OK).await;
}
