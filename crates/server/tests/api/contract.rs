//! The OpenAPI document against the server: what it says every secured
//! route answers a caller without a token or with a pending password change,
//! and the refusals the property-based contract run (scripts/api-contract.py)
//! found the server getting wrong.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    secured_operations_answer_401_and_403_as_the_document_says,
    a_request_that_is_not_a_multipart_form_gets_the_envelope_from_every_import,
    exports_refuse_paging_beyond_the_lists_limits,
    a_version_diff_refuses_numbers_below_one,
    a_bill_without_late_usage_matches_the_documented_schema,
    a_json_body_is_one_object_never_an_array_of_its_fields,
);

async fn document(app: &TestApp) -> Value {
    expect_json(
        app.client.get(app.url("/api/openapi.json")).send().await.unwrap(),
        StatusCode::OK,
    )
    .await
}

/// Every operation as (method, path template, operation).
fn operations(document: &Value) -> Vec<(Method, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            all.push((method, path.clone(), operation.clone()));
        }
    }
    all
}

/// The template with every `{param}` set to 1.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        out.push('1');
        rest = rest[start..].split_once('}').map_or("", |(_, after)| after);
    }
    out.push_str(rest);
    format!("/api/v1{out}")
}

async fn call(
    app: &TestApp,
    method: &Method,
    path: &str,
    token: Option<&str>,
    operation: &Value,
) -> (StatusCode, Value) {
    let mut request = app.request(method.clone(), path, token);
    if operation.get("requestBody").is_some() {
        request = request.json(&json!({}));
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{method} {path}: not JSON: {text}"));
    (status, body)
}

/// A POST with this content type and body as sent.
async fn post_raw(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: String,
) -> reqwest::Response {
    app.request(Method::POST, path, token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request")
}

fn documents(operation: &Value, status: StatusCode) -> bool {
    operation["responses"].get(status.as_str()).is_some()
}

/// Without a token every secured operation is a 401, with a token of a user
/// who must still change the password a 403 (but for the few routes open to
/// them), each as the document lists it, in the envelope.
async fn secured_operations_answer_401_and_403_as_the_document_says(app: TestApp) {
    let admin = app.admin_token().await;
    app.user_named(&admin, "pending", "待改密用户", "management").await;
    let pending = expect_json(app.login("pending", "Start12345").await, StatusCode::OK).await;
    assert_eq!(pending["user"]["must_change_password"], true);
    let pending = pending["access_token"].as_str().expect("token").to_string();

    let document = document(&app).await;
    let mut secured = 0;
    for (method, template, operation) in operations(&document) {
        if operation["security"] == json!([{}]) {
            continue;
        }
        secured += 1;
        let path = concrete(&template);
        let (status, body) = call(&app, &method, &path, None, &operation).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {template}: {body}");
        assert!(documents(&operation, status), "{method} {template}: 401 not documented");
        assert_eq!(body["error"]["code"], "UNAUTHENTICATED", "{method} {template}");

        let (status, body) = call(&app, &method, &path, Some(&pending), &operation).await;
        assert!(
            documents(&operation, status),
            "{method} {template}: {status} not documented: {body}"
        );
        let open_to_pending = ["/auth/me", "/auth/password"].contains(&template.as_str());
        if open_to_pending {
            assert_ne!(status, StatusCode::FORBIDDEN, "{method} {template}: {body}");
        } else {
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {template}: {body}");
            assert_eq!(body["error"]["code"], "PASSWORD_CHANGE_REQUIRED", "{method} {template}");
        }
    }
    assert!(secured > 80, "only {secured} secured operations");
}

const IMPORTS: [&str; 3] = [
    "/api/v1/customers/import",
    "/api/v1/payments/import",
    "/api/v1/usage/import",
];

/// An empty body, JSON, or a multipart type without its boundary: the
/// envelope, never axum's plain-text rejection.
async fn a_request_that_is_not_a_multipart_form_gets_the_envelope_from_every_import(app: TestApp) {
    let token = app.admin_token().await;
    for path in IMPORTS {
        let empty = app.request(Method::POST, path, Some(&token)).send().await.unwrap();
        expect_error(empty, StatusCode::BAD_REQUEST, "INVALID_UPLOAD").await;
        let json = app.post(path, Some(&token), &json!({"file": "x"})).await;
        expect_error(json, StatusCode::BAD_REQUEST, "INVALID_UPLOAD").await;
        let no_boundary = post_raw(&app, path, Some(&token), "multipart/form-data", "--x--".into()).await;
        expect_error(no_boundary, StatusCode::BAD_REQUEST, "INVALID_UPLOAD").await;
        // A form without the field `file` names it.
        let other_field = app
            .request(Method::POST, path, Some(&token))
            .multipart(reqwest::multipart::Form::new().text("other", "x"))
            .send()
            .await
            .unwrap();
        let body = expect_error(other_field, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
        assert_eq!(body["error"]["details"][0]["field"], "file", "{path}");
        // The query is checked as on every route.
        let bad_query = app
            .upload(&format!("{path}?dry_run=maybe"), &token, "a.csv", b"a,b\n".to_vec())
            .await;
        expect_error(bad_query, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    }
}

/// An export has every matching row, but takes the list's query whole: the
/// list's paging limits hold there too (as `GET /customers/export` did).
async fn exports_refuse_paging_beyond_the_lists_limits(app: TestApp) {
    let token = app.admin_token().await;
    for export in [
        "/api/v1/customers/export",
        "/api/v1/bills/export",
        "/api/v1/payments/export",
        "/api/v1/receivables/aging/export",
    ] {
        for query in ["page_size=201", "page_size=0", "page=0"] {
            let body = expect_error(
                app.get(&format!("{export}?{query}"), &token).await,
                StatusCode::BAD_REQUEST,
                "VALIDATION_FAILED",
            )
            .await;
            let field = query.split('=').next().unwrap_or_default();
            assert_eq!(body["error"]["details"][0]["field"], field, "{export}?{query}");
        }
        // A parameter given twice is named, in both the list and its export.
        let list = export.trim_end_matches("/export");
        for path in [list, export] {
            let body = expect_error(
                app.get(&format!("{path}?q=a&q=b"), &token).await,
                StatusCode::BAD_REQUEST,
                "VALIDATION_FAILED",
            )
            .await;
            assert_eq!(body["error"]["details"][0]["field"], "q", "{path}: {body}");
            assert_eq!(
                body["error"]["details"][0]["message"], "字段 q 只能出现一次",
                "{path}: {body}"
            );
        }
        let within = app.get(&format!("{export}?page_size=200&format=csv"), &token).await;
        assert_eq!(within.status(), StatusCode::OK, "{export}");
    }
}

/// `to=-2147483648` once overflowed computing the default `from` (a 500).
async fn a_version_diff_refuses_numbers_below_one(app: TestApp) {
    let token = app.admin_token().await;
    let rules = json!({"X": {"mode": "flat", "unit_price": "1"}, "N": {"mode": "flat", "unit_price": "1"},
                       "L": {"mode": "flat", "unit_price": "1"}});
    let plan = expect_json(
        app.post(
            "/api/v1/price-plans",
            Some(&token),
            &json!({"name": "差异", "effective_from": "2026-01", "rules": rules, "reason": "首次定价"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = plan["id"].as_i64().expect("id");
    for (query, field) in [("to=-2147483648", "to"), ("to=0", "to"), ("from=-1&to=1", "from")] {
        let body = expect_error(
            app.get(&format!("/api/v1/price-plans/{id}/diff?{query}"), &token).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(body["error"]["details"][0]["field"], field, "{query}");
    }
}

/// A bill answers `"late_usage": null` until usage arrives after it; the
/// document once allowed only an object there.
async fn a_bill_without_late_usage_matches_the_documented_schema(app: TestApp) {
    let token = app.admin_token().await;
    let customer = expect_json(
        app.post(
            "/api/v1/customers",
            Some(&token),
            &json!({"company_name": "迟到用量有限公司", "customer_code": "LATE1", "account_status": "active",
                    "device_series": ["X"]}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let bill = expect_json(
        app.post(
            "/api/v1/bills",
            Some(&token),
            &json!({"customer_id": customer["id"], "period": "2026-01",
                    "lines": [{"description": "服务费", "amount": "10"}]}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(bill["late_usage"], Value::Null, "{bill}");
    let document = document(&app).await;
    let schema = &document["components"]["schemas"]["BillView"]["properties"]["late_usage"];
    // Nullable either as a type list or as one of the alternatives.
    let types = schema["type"].as_array().cloned().unwrap_or_default();
    let alternatives = schema["oneOf"].as_array().cloned().unwrap_or_default();
    assert!(
        types.contains(&json!("null")) || alternatives.iter().any(|a| a["type"] == json!("null")),
        "late_usage schema: {schema}"
    );
}

/// serde reads a struct from an array of its fields in order too; the
/// document says object, and `["admin", "password"]` once signed in.
async fn a_json_body_is_one_object_never_an_array_of_its_fields(app: TestApp) {
    let token = app.admin_token().await;
    let signed_in = app
        .post("/api/v1/auth/login", None, &json!(["admin", ADMIN_PASSWORD]))
        .await;
    expect_error(signed_in, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    let logout = app.post("/api/v1/auth/logout", None, &json!(["a-refresh-token"])).await;
    expect_error(logout, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    // Inside a body too: an allocation line as an array.
    let nested = app
        .post(
            "/api/v1/payments/1/allocations",
            Some(&token),
            &json!({"allocations": [[1, "10"]]}),
        )
        .await;
    let body = expect_error(nested, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert_eq!(body["error"]["details"][0]["field"], "allocations[0]", "{body}");
    // One document: nothing may follow it.
    let trailing = app
        .request(Method::POST, "/api/v1/auth/login", None)
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"username":"admin","password":"{ADMIN_PASSWORD}"}} trailing"#
        ))
        .send()
        .await
        .unwrap();
    expect_error(trailing, StatusCode::BAD_REQUEST, "MALFORMED_JSON").await;
    let fine = app.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(fine.status(), StatusCode::OK);
}
