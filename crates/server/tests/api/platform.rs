use reqwest::{Method, StatusCode};

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    probes_answer,
    the_database_pool_shows_on_metrics_and_returns_to_idle,
    unknown_api_routes_and_methods_get_the_envelope,
    every_response_carries_a_request_id,
    the_openapi_document_and_docs_work_offline,
    the_web_app_is_served_with_spa_fallback_but_never_for_api,
);

async fn probes_answer(app: TestApp) {
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(expect_json(health, StatusCode::OK).await["status"], "ok");
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(expect_json(ready, StatusCode::OK).await["database"], "ok");
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("opcms_http_requests_total"), "{metrics}");
    assert!(metrics.contains("route=\"/readyz\""), "{metrics}");
}

/// A figure of the `/metrics` text: the value on the line that starts with
/// `series` (name and labels).
fn gauge(metrics: &str, series: &str) -> i64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in {metrics}"))
}

/// The database pool on `/metrics`: its size, and connections back in the
/// pool once a burst of requests is over (a leak keeps `in_use` up).
async fn the_database_pool_shows_on_metrics_and_returns_to_idle(app: TestApp) {
    let token = app.admin_token().await;
    let burst: Vec<_> = (0..40)
        .map(|_| app.get("/api/v1/customers?page=1&page_size=20", &token))
        .collect();
    for response in futures::future::join_all(burst).await {
        assert_eq!(response.status(), StatusCode::OK);
    }
    let metrics = || async {
        let response = app.client.get(app.url("/metrics")).send().await.expect("metrics");
        response.text().await.expect("metrics text")
    };
    let text = metrics().await;
    let max = gauge(&text, "opcms_db_pool_max_connections");
    assert_eq!(max, if app.backend == Backend::Sqlite { 8 } else { 20 });
    let mut in_use = gauge(&text, "opcms_db_pool_connections{state=\"in_use\"}");
    for _ in 0..50 {
        if in_use == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        in_use = gauge(&metrics().await, "opcms_db_pool_connections{state=\"in_use\"}");
    }
    assert_eq!(in_use, 0, "connections still out of the pool after the burst");
    let idle = gauge(&text, "opcms_db_pool_connections{state=\"idle\"}");
    assert!((1..=max).contains(&idle), "idle {idle} of {max}");
}

async fn unknown_api_routes_and_methods_get_the_envelope(app: TestApp) {
    let token = app.admin_token().await;
    expect_error(
        app.get("/api/v1/no-such-thing", &token).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    expect_error(
        app.get("/api/v2/users", &token).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    let delete = app
        .request(Method::DELETE, "/api/v1/auth/login", None)
        .send()
        .await
        .unwrap();
    expect_error(delete, StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED").await;
}

async fn every_response_carries_a_request_id(app: TestApp) {
    let generated = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert!(generated.headers()["x-request-id"].to_str().unwrap().len() >= 32);
    let given = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    // The server names requests itself; a client's id is only logged.
    let id = given.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    assert_eq!(given.headers()["x-content-type-options"], "nosniff");
}

async fn the_openapi_document_and_docs_work_offline(app: TestApp) {
    let doc = app.client.get(app.url("/api/openapi.json")).send().await.unwrap();
    let doc = expect_json(doc, StatusCode::OK).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/auth/login",
        "/auth/refresh",
        "/auth/logout",
        "/auth/me",
        "/auth/password",
        "/users",
        "/users/{id}",
        "/audit-logs",
    ] {
        assert!(doc["paths"].get(path).is_some(), "missing {path}");
    }
    let html = app.client.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(html.status(), StatusCode::OK);
    let html = html.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    for asset in [
        "/api/docs/swagger-ui-bundle.js",
        "/api/docs/swagger-initializer.js",
        "/api/docs/swagger-ui.css",
    ] {
        let response = app.client.get(app.url(asset)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{asset}");
        let text = response.text().await.unwrap();
        if asset.ends_with("initializer.js") {
            assert!(text.contains("/api/openapi.json"), "{text}");
            assert!(
                !text.contains("https://"),
                "initializer must not reach the internet: {text}"
            );
        }
    }
    assert!(
        !html.contains("https://"),
        "docs page must not load anything remote: {html}"
    );
}

async fn the_web_app_is_served_with_spa_fallback_but_never_for_api(app: TestApp) {
    for path in ["/", "/users", "/deep/client/route"] {
        let page = app.client.get(app.url(path)).send().await.unwrap();
        let content_type = page.headers()["content-type"].to_str().unwrap().to_string();
        assert_eq!(
            page.status(),
            StatusCode::OK,
            "{path}: is the web app built into the binary (make web)?"
        );
        assert!(content_type.starts_with("text/html"), "{path}: {content_type}");
        assert!(page.text().await.unwrap().contains("OP_CMS"), "{path}");
    }
    let api = app.client.get(app.url("/api/v1/users/1/nothing")).send().await.unwrap();
    expect_error(api, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let api_root = app.client.get(app.url("/api/anything")).send().await.unwrap();
    expect_error(api_root, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}
