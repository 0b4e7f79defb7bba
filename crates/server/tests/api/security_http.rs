//! HTTP hardening: security headers and server-made request ids.

use opcms::http::CONTENT_SECURITY_POLICY;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    csp_is_on_the_web_app_the_api_docs_and_the_api,
    a_client_request_id_is_replaced_by_the_servers_own,
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
