//! The ERP connector (issue 27): issued bills, credit notes and receipts
//! pushed through the outbox against the mock ERP, exactly once per number
//! however it fails, answers garbage, answers late or out of order, or is
//! pushed by two senders at once; a failed document re-sent; wrong
//! credentials and an unreachable ERP shown readably while requests are
//! still served; the 集成 page without an ERP. Customer master data pulled
//! from the ERP's feed through the import's rules, with local edits never
//! overwritten (conflicts a person decides) and a feed that fails, repeats
//! and reorders taken exactly once.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{Duration as Days, NaiveDate, Utc};
use opcms::erp::mock_erp::{ErpBehaviour, MockErp, Taken};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::per_backend_tests;

per_backend_tests!(
    documents_reach_the_erp_exactly_once_through_failures_garbage_and_reordering,
    two_senders_never_push_one_document_twice,
    an_outage_fails_readably_and_a_resend_delivers,
    wrong_credentials_and_an_unreachable_erp_are_named_and_requests_still_served,
    without_an_erp_nothing_is_queued_and_the_page_says_so,
    customer_master_data_is_pulled_through_the_import_rules_and_conflicts_wait_for_a_person,
);

const TOKEN: &str = "Bearer erp-test-token-7f3a";

fn today() -> NaiveDate {
    (Utc::now() + Days::hours(8)).date_naive()
}

/// An ERP configuration for `base_url`: quick retries, our numbers renamed.
fn erp_config(base_url: &str, token: &str, extra: Value) -> opcms::config::ErpConfig {
    let mut config = json!({
        "base_url": base_url,
        "auth_header": "Authorization",
        "auth_token": token,
        "timeout_ms": 2000,
        "backoff_ms": 40,
        "tick_ms": 100,
        "max_attempts": 6,
        "fields": {
            "bill": {"bill_no": "DocNo", "company_name": ""},
            "credit_note": {"credit_note_no": "DocNo", "bill_no": "OriginDocNo"},
            "receipt": {"payment_no": "ReceiptNo"}
        }
    });
    if let (Some(base), Value::Object(extra)) = (config.as_object_mut(), extra) {
        base.extend(extra);
    }
    serde_json::from_value(config).expect("ERP config")
}

/// A mock ERP on a free port that wants [`TOKEN`].
async fn mock_erp() -> MockErp {
    MockErp::start("127.0.0.1:0".parse().expect("address"), Some(TOKEN.into()))
        .await
        .expect("mock ERP starts")
}

async fn app_with_erp(backend: Backend, base_url: &str, token: &str, extra: Value) -> TestApp {
    let config = erp_config(base_url, token, extra);
    TestApp::spawn_with(backend, move |c| c.erp = Some(config)).await
}

async fn customer(app: &TestApp, token: &str, code: &str) -> i64 {
    let body = json!({"company_name": format!("集成测试{code}有限公司"), "customer_code": code,
                      "account_id": format!("acc_{code}"), "device_series": ["X"], "account_status": "active"});
    expect_json(
        app.post("/api/v1/customers", Some(token), &body).await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_i64()
        .expect("id")
}

/// A manual bill of one line, issued; (id, bill_no).
async fn issued_bill(app: &TestApp, token: &str, customer_id: i64, amount: &str) -> (i64, String) {
    let period = today().format("%Y-%m").to_string();
    let body = json!({"customer_id": customer_id, "period": period,
                      "lines": [{"description": "服务费", "amount": amount}]});
    let id = expect_json(app.post("/api/v1/bills", Some(token), &body).await, StatusCode::OK).await["id"]
        .as_i64()
        .expect("id");
    let issued = expect_json(
        app.post(&format!("/api/v1/bills/{id}/issue"), Some(token), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    (id, issued["bill_no"].as_str().expect("bill_no").to_string())
}

async fn receipt(app: &TestApp, token: &str, customer_id: i64, amount: &str, reference: &str) -> String {
    let body = json!({"customer_id": customer_id, "amount": amount, "received_at": today().to_string(),
                      "method": "bank_transfer", "payer_name": "付款单位", "reference": reference});
    expect_json(
        app.post("/api/v1/payments", Some(token), &body).await,
        StatusCode::CREATED,
    )
    .await["payment_no"]
        .as_str()
        .expect("payment_no")
        .to_string()
}

async fn log(app: &TestApp, token: &str, query: &str) -> Value {
    expect_json(
        app.get(
            &format!("/api/v1/integrations/erp/documents?page_size=200{query}"),
            token,
        )
        .await,
        StatusCode::OK,
    )
    .await
}

/// Waits until no document is queued or sending; the whole log.
async fn settled(app: &TestApp, token: &str) -> Vec<Value> {
    for _ in 0..300 {
        let page = log(app, token, "").await;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        if !items.is_empty() && items.iter().all(|i| i["status"] == "sent" || i["status"] == "failed") {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the ERP outbox did not settle: {}", log(app, token, "").await);
}

async fn resend(app: &TestApp, token: &str, id: i64) -> reqwest::Response {
    app.post(
        &format!("/api/v1/integrations/erp/documents/{id}/resend"),
        Some(token),
        &json!({}),
    )
    .await
}

async fn overview(app: &TestApp, token: &str) -> Value {
    connector(app, token, "erp_push").await
}

async fn connector(app: &TestApp, token: &str, name: &str) -> Value {
    let body = expect_json(app.get("/api/v1/integrations", token).await, StatusCode::OK).await;
    body["connectors"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["name"] == name))
        .cloned()
        .unwrap_or_else(|| panic!("no connector {name} in {body}"))
}

/// One of a connector's figures.
fn count(connector: &Value, key: &str) -> Option<u64> {
    connector["counts"].as_array()?.iter().find(|c| c["key"] == key)?["value"].as_u64()
}

/// The documents the ERP took, by the number it files them under.
fn by_number(taken: &[Taken]) -> HashMap<String, Vec<Taken>> {
    let mut out: HashMap<String, Vec<Taken>> = HashMap::new();
    for t in taken {
        let no = t.body["DocNo"]
            .as_str()
            .or(t.body["ReceiptNo"].as_str())
            .unwrap_or_else(|| panic!("no number in {}", t.body))
            .to_string();
        out.entry(no).or_default().push(t.clone());
    }
    out
}

async fn documents_reach_the_erp_exactly_once_through_failures_garbage_and_reordering(backend: Backend) {
    let erp = mock_erp().await;
    // Three 500s, two documents taken whose answers are lost, every answer
    // late by a random 0-30 ms, four in flight: they come back out of order.
    erp.set(ErpBehaviour {
        fail_times: 3,
        garbage_times: 2,
        max_delay_ms: 30,
        ..ErpBehaviour::default()
    });
    let app = app_with_erp(backend, &erp.base_url(), TOKEN, json!({})).await;
    let token = app.admin_token().await;
    let customer_id = customer(&app, &token, "E001").await;
    let mut bills = Vec::new();
    for amount in ["100.00", "200.50", "300.00", "400.25", "500.00"] {
        bills.push(issued_bill(&app, &token, customer_id, amount).await);
    }
    let (first_id, first_no) = bills[0].clone();
    let credited = app
        .post(
            &format!("/api/v1/bills/{first_id}/credit-notes"),
            Some(&token),
            &json!({"amount": "10.00", "reason": "用量核减"}),
        )
        .await;
    expect_json(credited, StatusCode::OK).await;
    let payments = [
        receipt(&app, &token, customer_id, "120.00", "ERP-REF-1").await,
        receipt(&app, &token, customer_id, "80.00", "ERP-REF-2").await,
    ];

    let items = settled(&app, &token).await;
    assert_eq!(items.len(), 8, "{items:?}");
    assert!(items.iter().all(|i| i["status"] == "sent"), "{items:?}");
    // The garbage answers were tried again and the ERP said it had them.
    let duplicates = items.iter().filter(|i| i["erp_result"] == "duplicate").count();
    assert_eq!(duplicates, 2, "{items:?}");
    assert!(items.iter().any(|i| i["attempts"].as_i64() > Some(1)));

    let taken = erp.documents();
    let numbers = by_number(&taken);
    let credit_no = format!("{first_no}-CN");
    for no in bills.iter().map(|(_, no)| no.clone()).chain(payments.iter().cloned()) {
        assert_eq!(numbers.get(&no).map(Vec::len), Some(1), "{no} in {numbers:?}");
    }
    let credit: Vec<&Taken> = taken
        .iter()
        .filter(|t| t.body["DocNo"].as_str().is_some_and(|n| n.starts_with(&credit_no)))
        .collect();
    assert_eq!(credit.len(), 1, "{taken:?}");
    assert_eq!(taken.len(), 8);
    // The credit note reached the ERP after its bill, whatever the order of answers.
    let position = |path: &str, no: &str| {
        taken
            .iter()
            .position(|t| t.path == path && t.body["DocNo"].as_str().is_some_and(|n| n.starts_with(no)))
    };
    assert!(position("/bills", &first_no) < position("/credit-notes", &credit_no));
    // The mapping: our numbers under the ERP's names, a dropped field gone,
    // amounts as exact strings, the credential and the key as headers.
    let bill_doc = &numbers[&first_no][0];
    assert_eq!(bill_doc.path, "/bills");
    assert!(bill_doc.body.get("bill_no").is_none() && bill_doc.body.get("company_name").is_none());
    assert_eq!(bill_doc.body["total"], "100.00");
    assert_eq!(bill_doc.body["customer_code"], "E001");
    assert_eq!(bill_doc.key, format!("opcms:bill:{first_no}"));
    assert_eq!(credit[0].body["OriginDocNo"], first_no.as_str());
    assert_eq!(credit[0].body["amount"], "10.00");
    assert_eq!(numbers[&payments[0]][0].body["amount"], "120.00");
    // Every duplicate delivery was of a key the ERP already had.
    assert_eq!(taken.iter().map(|t| t.deliveries).sum::<u32>(), 10);

    let connector = overview(&app, &token).await;
    assert_eq!(connector["configured"], true);
    assert_eq!(connector["state"], "idle");
    assert_eq!(
        (count(&connector, "sent"), count(&connector, "failed")),
        (Some(8), Some(0))
    );
    assert!(connector["last_sync_at"].is_string());
    assert!(!connector["endpoint"].as_str().unwrap_or_default().is_empty());
    // Filters.
    assert_eq!(log(&app, &token, "&kind=receipt").await["total"], 2);
    assert_eq!(log(&app, &token, &format!("&q={first_no}")).await["total"], 2);
    expect_error(
        app.get("/api/v1/integrations/erp/documents?status=lost", &token).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
}

async fn two_senders_never_push_one_document_twice(backend: Backend) {
    let erp = mock_erp().await;
    erp.set(ErpBehaviour {
        max_delay_ms: 20,
        ..ErpBehaviour::default()
    });
    // Nobody sends in the background: the test runs two senders itself.
    let app = app_with_erp(backend, &erp.base_url(), TOKEN, json!({"sender_enabled": false})).await;
    let token = app.admin_token().await;
    let customer_id = customer(&app, &token, "E002").await;
    for n in 0..12 {
        issued_bill(&app, &token, customer_id, &format!("{}.00", 100 + n)).await;
    }
    assert_eq!(log(&app, &token, "&status=queued").await["total"], 12);
    let config = app.config.erp.clone().expect("erp");
    let (a, b) = (
        opcms::erp::client::ErpClient::new(config.clone()).unwrap(),
        opcms::erp::client::ErpClient::new(config).unwrap(),
    );
    let (sa, sb) = (app.state.clone(), app.state.clone());
    let (ta, tb) = tokio::join!(async move { opcms::erp::sender::drain(&sa, &a).await }, async move {
        opcms::erp::sender::drain(&sb, &b).await
    },);
    assert_eq!(ta.unwrap() + tb.unwrap(), 12, "each document tried once in all");
    let taken = erp.documents();
    assert_eq!(taken.len(), 12);
    assert!(taken.iter().all(|t| t.deliveries == 1), "{taken:?}");
    assert_eq!(erp.requests(), 12);
    assert_eq!(log(&app, &token, "&status=sent").await["total"], 12);
}

async fn an_outage_fails_readably_and_a_resend_delivers(backend: Backend) {
    let erp = mock_erp().await;
    erp.set(ErpBehaviour {
        fail_times: 1000,
        fail_status: Some(503),
        ..ErpBehaviour::default()
    });
    let app = app_with_erp(backend, &erp.base_url(), TOKEN, json!({"max_attempts": 3})).await;
    let token = app.admin_token().await;
    let customer_id = customer(&app, &token, "E003").await;
    // The ERP is down: issuing is served all the same.
    let (_, bill_no) = issued_bill(&app, &token, customer_id, "88.00").await;
    let items = settled(&app, &token).await;
    let failed = &items[0];
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["attempts"], 3);
    let message = failed["last_error"].as_str().unwrap_or_default();
    assert!(
        message.contains("HTTP 503") && message.contains("已尝试 3 次"),
        "{message}"
    );
    assert!(erp.documents().is_empty());
    let connector = overview(&app, &token).await;
    assert_eq!(connector["state"], "failing");
    assert_eq!(count(&connector, "failed"), Some(1));
    assert!(
        connector["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("HTTP 503")
    );

    // Back up; a person re-sends it.
    erp.set(ErpBehaviour::default());
    let id = failed["id"].as_i64().expect("id");
    let resent = expect_json(resend(&app, &token, id).await, StatusCode::OK).await;
    assert_eq!(
        (resent["status"].as_str(), resent["attempts"].as_i64()),
        (Some("queued"), Some(0))
    );
    let items = settled(&app, &token).await;
    assert_eq!(items[0]["status"], "sent");
    assert_eq!(items[0]["erp_result"], "created");
    assert_eq!(items[0]["erp_ref"], "ERP-000001");
    assert!(items[0]["last_error"].is_null());
    assert_eq!(by_number(&erp.documents())[&bill_no].len(), 1);
    // Sent again on purpose: the ERP already has it, still one document.
    expect_json(resend(&app, &token, id).await, StatusCode::OK).await;
    let items = settled(&app, &token).await;
    assert_eq!(items[0]["erp_result"], "duplicate");
    assert_eq!(erp.documents().len(), 1);
    assert_eq!(erp.documents()[0].deliveries, 2);
    let connector = overview(&app, &token).await;
    assert_eq!(
        (connector["state"].as_str(), count(&connector, "failed")),
        (Some("idle"), Some(0))
    );
    // Each re-send is in the audit log.
    let audit = expect_json(
        app.get("/api/v1/audit-logs?action=erp.resend", &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(audit["total"], 2, "{audit}");
    expect_error(resend(&app, &token, 999_999).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}

async fn wrong_credentials_and_an_unreachable_erp_are_named_and_requests_still_served(backend: Backend) {
    let erp = mock_erp().await;
    let wrong = "Bearer not-the-token-91c2";
    let app = app_with_erp(backend, &erp.base_url(), wrong, json!({})).await;
    let token = app.admin_token().await;
    let customer_id = customer(&app, &token, "E004").await;
    issued_bill(&app, &token, customer_id, "10.00").await;
    receipt(&app, &token, customer_id, "10.00", "CRED-1").await;
    let items = settled(&app, &token).await;
    for item in &items {
        // Refused credentials are not retried: a person fixes them.
        assert_eq!(
            (item["status"].as_str(), item["attempts"].as_i64()),
            (Some("failed"), Some(1))
        );
        let message = item["last_error"].as_str().unwrap_or_default();
        assert!(message.contains("凭证") && message.contains("401"), "{message}");
        assert!(!message.contains("91c2"), "the token leaked: {message}");
    }
    assert!(erp.documents().is_empty());
    let requeued = expect_json(
        app.post("/api/v1/integrations/erp/resend-failed", Some(&token), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(requeued["requeued"], 2);
    let connector = overview(&app, &token).await;
    assert!(!connector.to_string().contains("91c2"));

    // Nothing listens there: the same, named as a connection failure.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let app = app_with_erp(backend, &url, TOKEN, json!({"max_attempts": 2})).await;
    let token = app.admin_token().await;
    let customer_id = customer(&app, &token, "E005").await;
    issued_bill(&app, &token, customer_id, "20.00").await;
    let items = settled(&app, &token).await;
    let message = items[0]["last_error"].as_str().unwrap_or_default();
    assert_eq!(items[0]["status"], "failed");
    assert!(
        message.contains("无法连接ERP 接口") && message.contains("已尝试 2 次"),
        "{message}"
    );
    assert_eq!(overview(&app, &token).await["state"], "failing");
}

async fn without_an_erp_nothing_is_queued_and_the_page_says_so(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    let customer_id = customer(&app, &token, "E006").await;
    issued_bill(&app, &token, customer_id, "10.00").await;
    receipt(&app, &token, customer_id, "10.00", "NONE-1").await;
    assert_eq!(log(&app, &token, "").await["total"], 0);
    let connector = overview(&app, &token).await;
    assert_eq!(connector["configured"], false);
    assert_eq!(connector["state"], "not_configured");
    expect_error(
        app.post("/api/v1/integrations/erp/resend-failed", Some(&token), &json!({}))
            .await,
        StatusCode::CONFLICT,
        "ERP_NOT_CONFIGURED",
    )
    .await;
    // Management only.
    let (_, operations) = app.user_with_role(&token, "ops_erp", "operations").await;
    expect_error(
        app.get("/api/v1/integrations", &operations).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
}

/// The customer feed read with our fields renamed as an ERP would, a page
/// of two at a time so paging is exercised.
fn pull_config() -> Value {
    json!({"customers": {"page_size": 2, "version_field": "rev", "fields": {
        "customer_code": "CustNo", "company_name": "Name", "contact_phone": "Tel",
        "contact_name": "Contact", "device_series": "Series", "account_status": "Status"}}})
}

async fn pull(app: &TestApp, token: &str) -> Value {
    run_job_and_wait(app, token, "erp.customers").await
}

fn counts_of(run: &Value) -> Value {
    let counts = &run["counts"];
    if counts.is_string() {
        serde_json::from_str(counts.as_str().unwrap_or("{}")).expect("counts")
    } else {
        counts.clone()
    }
}

async fn customer_by_code(app: &TestApp, token: &str, code: &str) -> Option<Value> {
    let page = expect_json(
        app.get(&format!("/api/v1/customers?q={code}"), token).await,
        StatusCode::OK,
    )
    .await;
    let id = page["items"].as_array()?.iter().find(|c| c["customer_code"] == code)?["id"].as_i64()?;
    Some(expect_json(app.get(&format!("/api/v1/customers/{id}"), token).await, StatusCode::OK).await)
}

async fn conflicts(app: &TestApp, token: &str) -> Vec<Value> {
    expect_json(
        app.get("/api/v1/integrations/erp/conflicts", token).await,
        StatusCode::OK,
    )
    .await["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn decide(app: &TestApp, token: &str, customer_id: i64, how: &str, digest: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/integrations/erp/conflicts/{customer_id}/{how}"),
        Some(token),
        &json!({"digest": digest}),
    )
    .await
}

async fn customer_master_data_is_pulled_through_the_import_rules_and_conflicts_wait_for_a_person(backend: Backend) {
    let erp = mock_erp().await;
    let app = app_with_erp(backend, &erp.base_url(), TOKEN, pull_config()).await;
    let token = app.admin_token().await;
    let local_id = customer(&app, &token, "P001").await;
    erp.add_customers(vec![
        json!({"CustNo": "P100", "Name": "甲方科技有限公司", "Tel": "13800138000", "Series": ["X", "N"], "Status": "正式", "rev": 1}),
        json!({"CustNo": "P101", "Name": "乙方有限公司", "Tel": "12345", "rev": 1}),
        json!({"CustNo": "P001", "Name": "集成测试P001有限公司", "Tel": "13900139000", "rev": 1}),
        json!({"Name": "没有编号的公司"}),
        json!({"CustNo": "P100", "Name": "甲方科技有限公司", "Tel": "13800138000", "Series": ["X", "N"], "Status": "正式", "rev": 1}),
    ]);

    // The ERP is down: the run fails readably, nothing is written, the
    // cursor stays, and the 集成 page says so.
    erp.set(ErpBehaviour {
        fail_times: 1,
        fail_status: Some(503),
        ..ErpBehaviour::default()
    });
    let failed = pull(&app, &token).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(customer_by_code(&app, &token, "P100").await.is_none());
    let status = connector(&app, &token, "erp_pull").await;
    assert_eq!(status["state"], "failing");
    assert!(
        status["last_error"].as_str().unwrap_or_default().contains("HTTP 503"),
        "{status}"
    );

    // Then garbage: failed again, nothing written.
    erp.set(ErpBehaviour {
        garbage_times: 1,
        ..ErpBehaviour::default()
    });
    assert_eq!(pull(&app, &token).await["status"], "failed");
    assert!(customer_by_code(&app, &token, "P100").await.is_none());

    // Up: every record is read once, by the import's rules.
    erp.set(ErpBehaviour::default());
    let run = pull(&app, &token).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    let counts = counts_of(&run);
    assert_eq!(
        (
            counts["fetched"].as_u64(),
            counts["created"].as_u64(),
            counts["rejected"].as_u64(),
            counts["conflicts"].as_u64(),
            counts["unreadable"].as_u64(),
            counts["repeated"].as_u64()
        ),
        (Some(5), Some(1), Some(1), Some(1), Some(1), Some(1)),
        "{counts}"
    );
    let created = customer_by_code(&app, &token, "P100").await.expect("P100 created");
    assert_eq!(created["contact_phone"], "13800138000");
    assert_eq!(created["account_status"], "active");
    assert!(customer_by_code(&app, &token, "P101").await.is_none());
    // The run is in the import history with the report of its problems.
    let import_id = counts["import_id"].as_i64().expect("import_id");
    let history = expect_json(app.get("/api/v1/customers/imports", &token).await, StatusCode::OK).await;
    let record = history["items"]
        .as_array()
        .and_then(|all| all.iter().find(|i| i["id"] == import_id).cloned())
        .expect("the pull is in the import history");
    assert_eq!(record["file_name"], "ERP 客户资料同步");
    assert_eq!(record["created"], 1);

    // P001 was made here and differs from the ERP: a conflict, not an overwrite.
    let local = expect_json(
        app.get(&format!("/api/v1/customers/{local_id}"), &token).await,
        StatusCode::OK,
    )
    .await;
    assert!(local["contact_phone"].is_null(), "{local}");
    let open = conflicts(&app, &token).await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["customer"]["customer_code"], "P001");
    let phone = open[0]["fields"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["field"] == "contact_phone").cloned())
        .expect("the phone differs");
    assert_eq!(
        (phone["local"].clone(), phone["erp"].clone()),
        (Value::Null, json!("13900139000"))
    );
    let status = connector(&app, &token, "erp_pull").await;
    assert_eq!(
        (status["state"].as_str(), count(&status, "conflicts")),
        (Some("ok"), Some(1))
    );
    assert!(status["last_error"].is_null());

    // A decision on a conflict that is not the one shown is refused.
    expect_error(
        decide(&app, &token, local_id, "accept", "stale").await,
        StatusCode::CONFLICT,
        "CONFLICT_CHANGED",
    )
    .await;
    let digest = open[0]["digest"].as_str().expect("digest").to_string();
    let taken = expect_json(decide(&app, &token, local_id, "accept", &digest).await, StatusCode::OK).await;
    assert_eq!(taken["kept"], "erp");
    let local = expect_json(
        app.get(&format!("/api/v1/customers/{local_id}"), &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(local["contact_phone"], "13900139000");
    assert!(conflicts(&app, &token).await.is_empty());
    expect_error(
        decide(&app, &token, local_id, "keep", &digest).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;

    // In step now: the ERP's next change to P100 applies by itself.
    erp.add_customers(vec![
        json!({"CustNo": "P100", "Name": "甲方科技集团有限公司", "rev": 2}),
    ]);
    let counts = counts_of(&pull(&app, &token).await);
    assert_eq!(
        (counts["fetched"].as_u64(), counts["updated"].as_u64()),
        (Some(1), Some(1)),
        "{counts}"
    );
    let p100 = customer_by_code(&app, &token, "P100").await.expect("P100");
    assert_eq!(p100["company_name"], "甲方科技集团有限公司");

    // Edited here; then the ERP changes it too: a conflict. Kept local, the
    // same record is not asked about again; an older one arriving late is
    // stale.
    let p100_id = p100["id"].as_i64().expect("id");
    expect_json(
        app.patch(
            &format!("/api/v1/customers/{p100_id}"),
            &token,
            &json!({"version": p100["version"], "contact_name": "本地联系人"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    erp.add_customers(vec![
        json!({"CustNo": "P100", "Name": "甲方科技集团有限公司", "Contact": "ERP 联系人", "rev": 3}),
    ]);
    assert_eq!(counts_of(&pull(&app, &token).await)["conflicts"], 1);
    let open = conflicts(&app, &token).await;
    assert_eq!(open[0]["customer"]["customer_code"], "P100");
    let digest = open[0]["digest"].as_str().expect("digest").to_string();
    let kept = expect_json(decide(&app, &token, p100_id, "keep", &digest).await, StatusCode::OK).await;
    assert_eq!(kept["kept"], "local");
    erp.add_customers(vec![
        json!({"CustNo": "P100", "Name": "甲方科技集团有限公司", "Contact": "ERP 联系人", "rev": 3}),
        json!({"CustNo": "P100", "Name": "甲方科技有限公司", "rev": 1}),
    ]);
    let counts = counts_of(&pull(&app, &token).await);
    assert_eq!(
        (
            counts["repeated"].as_u64(),
            counts["stale"].as_u64(),
            counts["conflicts"].as_u64()
        ),
        (Some(1), Some(1), Some(0)),
        "{counts}"
    );
    erp.add_customers(vec![json!({"CustNo": "P100", "Name": "甲方科技有限公司", "rev": 2})]);
    let counts = counts_of(&pull(&app, &token).await);
    assert_eq!(
        (counts["stale"].as_u64(), counts["updated"].as_u64()),
        (Some(1), Some(0)),
        "{counts}"
    );
    let p100 = customer_by_code(&app, &token, "P100").await.expect("P100");
    assert_eq!(
        (p100["contact_name"].as_str(), p100["company_name"].as_str()),
        (Some("本地联系人"), Some("甲方科技集团有限公司"))
    );

    // A feed that repeats and reverses its pages: each customer once.
    erp.set(ErpBehaviour {
        repeat_customers: true,
        reverse_customers: true,
        ..ErpBehaviour::default()
    });
    erp.add_customers(vec![
        json!({"CustNo": "P102", "Name": "丙方有限公司", "Series": "L", "rev": 1}),
        json!({"CustNo": "P103", "Name": "丁方有限公司", "Series": "N", "rev": 1}),
        json!({"CustNo": "P102", "Name": "丙方集团有限公司", "Series": "L", "rev": 2}),
    ]);
    let counts = counts_of(&pull(&app, &token).await);
    assert_eq!(counts["created"], 2, "{counts}");
    assert_eq!(
        customer_by_code(&app, &token, "P102").await.expect("P102")["company_name"],
        "丙方集团有限公司"
    );
    // Nothing new: nothing fetched (the cursor was kept).
    let counts = counts_of(&pull(&app, &token).await);
    assert_eq!(counts["fetched"], 0, "{counts}");

    // Each decision is audited, naming fields, not values.
    for action in ["erp.conflict_accept", "erp.conflict_keep"] {
        let audit = expect_json(
            app.get(&format!("/api/v1/audit-logs?action={action}"), &token).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(audit["total"], 1, "{action}: {audit}");
        assert!(!audit.to_string().contains("13900139000"));
    }
}
