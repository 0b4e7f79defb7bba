//! HTTP hardening: security headers, server-made request ids, the rate
//! limit, the request timeout, `/metrics` access, native TLS, and the usage
//! sources' redirect policy.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};

use opcms::http::{CONTENT_SECURITY_POLICY, STRICT_TRANSPORT_SECURITY};
use opcms::usage::mock_vendor::{Behaviour, MockVendor};
use opcms::{Application, Config};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    csp_is_on_the_web_app_the_api_docs_and_the_api,
    a_client_request_id_is_replaced_by_the_servers_own,
    over_the_rate_limit_requests_get_429_per_user_and_per_ip,
    a_request_past_the_timeout_gets_the_envelope,
    metrics_can_require_a_token,
    usage_sources_follow_redirects_only_within_their_origin,
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
    let forged = opcms::crypto::tokens::TokenKeys::from_secret(b"not the server's key")
        .issue_access(admin_id, 0, "forged-session", chrono::Utc::now())
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

const METRICS_TOKEN: &str = "scrape-me-0123456789abcdef";

async fn metrics_can_require_a_token(app: TestApp) {
    let app = TestApp::spawn_with(app.backend, |c| {
        c.http.metrics_token = Some(opcms::config::Secret::new(METRICS_TOKEN));
    })
    .await;
    let bare = app.client.get(app.url("/metrics")).send().await.expect("request");
    assert_eq!(bare.headers()["www-authenticate"], "Bearer");
    expect_error(bare, StatusCode::UNAUTHORIZED, "METRICS_TOKEN_REQUIRED").await;
    for wrong in ["scrape-me", "scrape-me-0123456789abcdeF", "scrape-me-0123456789abcdef0"] {
        let response = app
            .request(Method::GET, "/metrics", Some(wrong))
            .send()
            .await
            .expect("request");
        expect_error(response, StatusCode::UNAUTHORIZED, "METRICS_TOKEN_REQUIRED").await;
    }
    let scraped = app
        .request(Method::GET, "/metrics", Some(METRICS_TOKEN))
        .send()
        .await
        .expect("request");
    assert_eq!(scraped.status(), StatusCode::OK);
    assert!(
        scraped
            .text()
            .await
            .expect("body")
            .contains("opcms_http_requests_total")
    );
}

/// The application over a fresh SQLite database in `dir`, for what happens
/// at the listener (TLS, a second listener), where the backend plays no part.
async fn start_sqlite(dir: &std::path::Path, configure: impl FnOnce(&mut Config)) -> Application {
    let dir_text = dir.display().to_string();
    let mut config = Config::from_sources(None, |name| match name {
        "OPCMS_BIND" => Some("127.0.0.1:0".into()),
        "OPCMS_DATA_DIR" => Some(dir_text.clone()),
        _ => None,
    })
    .expect("config");
    configure(&mut config);
    Application::build(config).await.expect("application starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_have_a_listener_of_its_own() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = start_sqlite(dir.path(), |c| {
        c.http.metrics_bind = Some("127.0.0.1:0".parse().expect("addr"));
    })
    .await;
    let main = format!("http://127.0.0.1:{}", app.port());
    let metrics = format!("http://127.0.0.1:{}", app.metrics_port().expect("a metrics listener"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();

    let on_main = client.get(format!("{main}/metrics")).send().await.expect("request");
    expect_error(on_main, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let health = client.get(format!("{main}/healthz")).send().await.expect("request");
    assert_eq!(health.status(), StatusCode::OK);
    let scraped = client.get(format!("{metrics}/metrics")).send().await.expect("request");
    assert_eq!(scraped.status(), StatusCode::OK);
    assert!(scraped.text().await.expect("body").contains("route=\"/healthz\""));
    // The metrics listener serves nothing else.
    let api = client
        .get(format!("{metrics}/api/v1/auth/me"))
        .send()
        .await
        .expect("request");
    expect_error(api, StatusCode::NOT_FOUND, "NOT_FOUND").await;

    let _ = stop.send(());
    server.await.expect("join").expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_certificate_the_server_speaks_https_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).expect("cert");
    let cert_pem = certified.cert.pem();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, &cert_pem).expect("write cert");
    std::fs::write(&key_path, certified.signing_key.serialize_pem()).expect("write key");
    let app = start_sqlite(dir.path(), |c| {
        c.http.tls = Some(opcms::config::TlsFiles {
            cert: cert_path,
            key: key_path,
        });
    })
    .await;
    let port = app.port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));

    let trusting = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).expect("pem"))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let response = trusting
        .get(format!("https://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .expect("HTTPS request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["strict-transport-security"],
        STRICT_TRANSPORT_SECURITY
    );
    assert_eq!(response.headers()["content-security-policy"], CONTENT_SECURITY_POLICY);
    let api = trusting
        .get(format!("https://127.0.0.1:{port}/api/v1/auth/me"))
        .send()
        .await
        .expect("HTTPS API request");
    expect_error(api, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;

    // Plain HTTP on the same port gets no answer.
    let plain = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await;
    assert!(
        plain.as_ref().map_or(true, |r| !r.status().is_success()),
        "plain HTTP was served: {plain:?}"
    );
    // A client that does not trust the certificate is refused.
    let untrusting = reqwest::Client::new()
        .get(format!("https://127.0.0.1:{port}/healthz"))
        .send()
        .await;
    assert!(untrusting.is_err(), "{untrusting:?}");

    let _ = stop.send(());
    server.await.expect("join").expect("clean shutdown");
}

/// A tiny HTTP server on a free port: `redirect` paths answer 302 to their
/// target; every other path answers one usage record for the asked day and
/// records the headers it was sent.
async fn upstream(redirects: Vec<(&'static str, String)>) -> (String, Arc<Mutex<Vec<HeaderMap>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let recorder = seen.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri, headers: HeaderMap| {
        let seen = recorder.clone();
        let target = redirects
            .iter()
            .find(|(path, _)| *path == uri.path())
            .map(|(_, to)| to.clone());
        async move {
            if let Some(to) = target {
                return Redirect::to(&format!("{to}?{}", uri.query().unwrap_or_default())).into_response();
            }
            seen.lock().expect("lock").push(headers);
            let day = uri
                .query()
                .and_then(|q| q.strip_prefix("date="))
                .unwrap_or_default()
                .to_string();
            axum::Json(json!({"data": {"items": [
                {"id": "r1", "account": "acct_1", "series": "X", "date": day, "qty": "1.00"}
            ]}}))
            .into_response()
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, seen)
}

fn keyed_source(name: &str, base_url: &str, path: &str) -> opcms::config::HttpSourceConfig {
    serde_json::from_value(json!({
        "name": name,
        "base_url": base_url,
        "path": path,
        "auth_header": "X-Api-Key",
        "auth_token": "vendor-secret-key",
        "retries": 0,
        "records_path": "data.items",
        "fields": {"account_id": "account", "series": "series", "day": "date", "quantity": "qty", "source_id": "id"}
    }))
    .expect("source")
}

async fn usage_sources_follow_redirects_only_within_their_origin(app: TestApp) {
    let (elsewhere, seen_elsewhere) = upstream(Vec::new()).await;
    let (vendor, seen_by_vendor) = upstream(vec![
        ("/v1/usage", format!("{elsewhere}/v1/usage")),
        ("/v1/moved", "/v1/usage-here".into()),
    ])
    .await;
    let app = TestApp::spawn_with(app.backend, |c| {
        c.usage_sources = vec![
            keyed_source("hop", &vendor, "/v1/usage"),
            keyed_source("moved", &vendor, "/v1/moved"),
        ];
    })
    .await;
    let token = app.admin_token().await;
    let day = chrono::Utc::now().date_naive() - chrono::Duration::days(2);
    let collect = |source: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            let response = app
                .post(
                    "/api/v1/usage/collect",
                    Some(&token),
                    &json!({"date": day, "source": source}),
                )
                .await;
            expect_json(response, StatusCode::OK).await["runs"][0].clone()
        }
    };

    // To another origin: not followed, so the credential never leaves.
    let run = collect("hop").await;
    assert_eq!(run["status"], "failed", "{run}");
    assert_eq!(run["attempts"], 1, "not retried: {run}");
    let error = run["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("重定向到其他站点") && error.contains(&elsewhere),
        "{run}"
    );
    let leaked = seen_elsewhere
        .lock()
        .expect("lock")
        .iter()
        .any(|h| h.contains_key("x-api-key"));
    assert!(!leaked, "the credential reached the other origin");
    assert!(
        seen_elsewhere.lock().expect("lock").is_empty(),
        "the other origin was called"
    );

    // Within the origin: followed, with the credential.
    let run = collect("moved").await;
    assert_eq!(
        (run["status"].as_str(), run["fetched"].as_i64()),
        (Some("succeeded"), Some(1)),
        "{run}"
    );
    let keys: Vec<String> = seen_by_vendor
        .lock()
        .expect("lock")
        .iter()
        .filter_map(|h| h.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::to_string))
        .collect();
    assert_eq!(keys, ["vendor-secret-key"]);
}
