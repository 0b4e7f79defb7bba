//! Notifications (issue 24, DESIGN.md §17) end to end: a real SMTP server
//! (aiosmtpd, `mail.rs`) and the mock SMS provider receive what the outbox
//! sends; the test clock walks a bill past its due date; the daily job's
//! reminders go out once per stage, stop when the bill is paid, and a
//! broken channel leaves a readable, retried or failed row, never a lost
//! change and never a second message.

use std::time::{Duration, Instant};

use opcms::config::{SmsConfig, SmtpConfig, SmtpTls};
use opcms::notify::mock_sms::{MockSms, SmsBehaviour};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::mail::SmtpSink;

crate::per_backend_tests!(
    issuing_a_bill_mails_its_pdf_and_reminders_go_out_once_per_stage,
    a_broken_channel_fails_readably_retries_and_never_sends_twice,
    templates_are_checked_previewed_and_reset,
    staff_addresses_are_sealed_and_validated,
    suspensions_receipts_and_digests_reach_the_right_people,
    a_mailed_bill_pdf_is_kept_as_sent_and_downloadable,
);

pub fn smtp_config(sink: &SmtpSink) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port: sink.port,
        tls: SmtpTls::None,
        username: None,
        password: None,
        from: "账单中心 <billing@opcms.test>".into(),
        timeout_ms: 2_000,
        ca_file: None,
    }
}

pub fn sms_config(provider: &MockSms) -> SmsConfig {
    serde_json::from_value(json!({
        "url": provider.url(),
        "headers": {"X-Api-Key": "sms-test-key"},
        "body_template": {"mobile": "{{phone}}", "content": "{{text}}", "sign": "OPCMS"},
        "success_json_path": "code",
        "success_value": "0",
        "timeout_ms": 1000,
    }))
    .expect("sms config")
}

/// An app on the test clock that mails to `sink` and texts `provider`; the
/// sender looks every 50 ms, the scheduler is off (jobs run by hand).
async fn notifying_app(backend: Backend, sink: &SmtpSink, provider: &MockSms) -> (TestApp, String) {
    let app = TestApp::spawn_with(backend, |c| {
        c.test_clock = true;
        c.notify.smtp = Some(smtp_config(sink));
        c.notify.sms = Some(sms_config(provider));
        c.notify.tick = Duration::from_millis(50);
    })
    .await;
    let token = app.admin_token().await;
    (app, token)
}

pub async fn set_clock(app: &TestApp, token: &str, now: &str) {
    let response = app.put("/api/v1/system/clock", Some(token), &json!({"now": now})).await;
    expect_json(response, StatusCode::OK).await;
}

pub async fn customer_with(app: &TestApp, token: &str, code: &str, email: Option<&str>, phone: Option<&str>) -> i64 {
    let body = json!({"company_name": format!("{code}科技有限公司"), "customer_code": code,
                      "account_id": format!("acc_{code}"), "device_series": ["X"],
                      "account_status": "active", "payment_terms_days": 15,
                      "contact_name": "王经理", "contact_email": email, "contact_phone": phone});
    expect_json(
        app.post("/api/v1/customers", Some(token), &body).await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_i64()
        .expect("id")
}

/// A manual bill of one line, issued; the bill as the API shows it.
pub async fn issued_bill(app: &TestApp, token: &str, customer_id: i64, period: &str, amount: &str) -> Value {
    let body = json!({"customer_id": customer_id, "period": period,
                      "lines": [{"description": "服务费", "amount": amount}]});
    let id = expect_json(app.post("/api/v1/bills", Some(token), &body).await, StatusCode::OK).await["id"]
        .as_i64()
        .expect("id");
    expect_json(
        app.post(&format!("/api/v1/bills/{id}/issue"), Some(token), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await
}

async fn log(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let page = expect_json(
        app.get(&format!("/api/v1/notifications?page_size=200&{query}"), token)
            .await,
        StatusCode::OK,
    )
    .await;
    page["items"].as_array().expect("items").clone()
}

/// Waits (up to 20 s) until the log rows matching `query` satisfy `done`.
async fn log_until(app: &TestApp, token: &str, query: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let rows = log(app, token, query).await;
        if done(&rows) {
            return rows;
        }
        assert!(Instant::now() < deadline, "log {query} never got there: {rows:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn all_settled(rows: &[Value]) -> bool {
    !rows.is_empty() && rows.iter().all(|r| r["status"] != "queued" && r["status"] != "sending")
}

/// Runs `receivables.daily` for `day` by hand (forced when it ran before) and
/// waits for it to finish.
pub async fn run_daily(app: &TestApp, token: &str, day: &str) -> Value {
    let response = app
        .post(
            "/api/v1/jobs/receivables.daily/run",
            Some(token),
            &json!({"period_key": day, "force": true}),
        )
        .await;
    expect_json(response, StatusCode::ACCEPTED).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page = expect_json(
            app.get("/api/v1/jobs/receivables.daily/runs?page_size=50", token).await,
            StatusCode::OK,
        )
        .await;
        let run = page["items"]
            .as_array()
            .expect("runs")
            .iter()
            .find(|r| r["period_key"] == day && r["status"] != "running")
            .cloned();
        if let Some(run) = run {
            assert_eq!(run["status"], "succeeded", "{run}");
            return run;
        }
        assert!(Instant::now() < deadline, "receivables.daily {day} did not finish");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn subjects(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m["subject"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn issuing_a_bill_mails_its_pdf_and_reminders_go_out_once_per_stage(backend: Backend) {
    let sink = SmtpSink::start();
    let provider = MockSms::start("127.0.0.1:0".parse().unwrap()).await.expect("mock sms");
    let (app, token) = notifying_app(backend, &sink, &provider).await;
    let put = app
        .put(
            "/api/v1/settings",
            Some(&token),
            &json!({"company": {"name": "示例运营有限公司", "bank_name": "招商银行上海分行", "bank_account": "6225 8888 0000 1234"}}),
        )
        .await;
    expect_json(put, StatusCode::OK).await;
    set_clock(&app, &token, "2026-11-03T10:00:00+08:00").await;
    let alpha = customer_with(
        &app,
        &token,
        "NT001",
        Some("finance@alpha.example.com"),
        Some("13812345678"),
    )
    .await;
    // No address for mail, and texts switched off: both skipped, with the reason.
    let beta = customer_with(&app, &token, "NT002", None, Some("13900001111")).await;
    let prefs = app
        .put(
            &format!("/api/v1/customers/{beta}/notification-preferences"),
            Some(&token),
            &json!({"email": true, "sms": false}),
        )
        .await;
    assert_eq!(
        expect_json(prefs, StatusCode::OK).await,
        json!({"email": true, "sms": false})
    );

    let bill = issued_bill(&app, &token, alpha, "2026-10", "1234.50").await;
    let bill_no = bill["bill_no"].as_str().expect("bill no").to_string();
    let due = chrono::NaiveDate::parse_from_str(bill["due_date"].as_str().expect("due"), "%Y-%m-%d").unwrap();
    issued_bill(&app, &token, beta, "2026-10", "88.00").await;

    // bill.issued: the mail carries the PDF; the text reaches the provider.
    let mail = sink.wait_for(1, 20).await;
    assert_eq!(mail.len(), 1, "{mail:#?}");
    assert_eq!(mail[0]["to"], json!(["finance@alpha.example.com"]));
    assert!(mail[0]["subject"].as_str().unwrap().contains(&bill_no), "{}", mail[0]);
    let body = mail[0]["body"].as_str().unwrap();
    assert!(body.contains("尊敬的NT001科技有限公司"), "{body}");
    assert!(body.contains("1,234.50"), "{body}");
    assert!(body.contains("招商银行上海分行 6225 8888 0000 1234"), "{body}");
    let attachments = mail[0]["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0]["filename"], format!("{bill_no}.pdf"));
    assert_eq!(attachments[0]["content_type"], "application/pdf");
    assert_eq!(attachments[0]["head"], "%PDF-");
    let rows = log_until(&app, &token, &format!("customer_id={alpha}"), |rows| {
        rows.len() == 2 && rows.iter().all(|r| r["status"] == "sent")
    })
    .await;
    let sms_row = rows.iter().find(|r| r["channel"] == "sms").expect("sms row");
    assert_eq!(sms_row["recipient"], "138****5678");
    let email_row = rows.iter().find(|r| r["channel"] == "email").expect("email row");
    assert_eq!(email_row["recipient"], "f***@alpha.example.com");
    assert_eq!(email_row["bill_no"], bill_no.as_str());
    assert_eq!(email_row["attempts"], 1);
    let texts = provider.accepted();
    assert_eq!(texts.len(), 1, "{texts:#?}");
    assert_eq!(texts[0]["mobile"], "13812345678");
    assert!(texts[0]["content"].as_str().unwrap().contains(&bill_no));
    let skipped = log(&app, &token, &format!("customer_id={beta}")).await;
    let reasons: Vec<(&str, &str)> = skipped
        .iter()
        .map(|r| (r["channel"].as_str().unwrap(), r["last_error"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        skipped.iter().filter(|r| r["status"] == "skipped").count(),
        2,
        "{skipped:#?}"
    );
    assert!(reasons.contains(&("email", "客户未填写联系邮箱")), "{reasons:?}");
    assert!(reasons.contains(&("sms", "客户已退订短信通知")), "{reasons:?}");
    // The recipient is sealed in the database: no address in plain text.
    let plain = scalar(
        &app,
        "SELECT COUNT(*) FROM notifications WHERE recipient_enc LIKE '%alpha.example.com%' OR recipient_enc LIKE '%13812345678%'",
    )
    .await;
    assert_eq!(plain, 0);

    // Day 1 after the due date: the first reminder, once however often the job runs.
    let day = |n: i64| due + chrono::Duration::days(n);
    for n in [1, 1, 3, 6] {
        set_clock(&app, &token, &format!("{}T08:05:00+08:00", day(n))).await;
        run_daily(&app, &token, &day(n).to_string()).await;
    }
    let mail = sink.wait_for(2, 20).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mail_now = sink.messages();
    assert_eq!(mail_now.len(), 2, "{:#?}", subjects(&mail_now));
    assert!(
        mail[1]["subject"].as_str().unwrap().contains("已逾期 1 天"),
        "{}",
        mail[1]
    );
    assert!(mail[1]["attachments"].as_array().unwrap().is_empty());
    // Day 7: the second.
    set_clock(&app, &token, &format!("{}T08:05:00+08:00", day(7))).await;
    run_daily(&app, &token, &day(7).to_string()).await;
    run_daily(&app, &token, &day(7).to_string()).await;
    let mail = sink.wait_for(3, 20).await;
    assert!(
        mail[2]["subject"].as_str().unwrap().contains("已逾期 7 天"),
        "{}",
        mail[2]
    );
    assert!(mail[2]["body"].as_str().unwrap().contains("尚未支付 1,234.50 元"));

    // Paid in full: no day-15 reminder.
    let receipt = json!({"customer_id": alpha, "amount": "1234.50", "received_at": day(7).to_string(),
                         "method": "bank_transfer", "payer_name": "NT001科技有限公司"});
    let payment = expect_json(
        app.post("/api/v1/payments", Some(&token), &receipt).await,
        StatusCode::CREATED,
    )
    .await;
    let allocation = json!({"allocations": [{"bill_id": bill["id"], "amount": "1234.50"}]});
    let allocated = app
        .post(
            &format!("/api/v1/payments/{}/allocations", payment["id"]),
            Some(&token),
            &allocation,
        )
        .await;
    assert!(allocated.status().is_success(), "{}", allocated.status());
    set_clock(&app, &token, &format!("{}T08:05:00+08:00", day(15))).await;
    let run = run_daily(&app, &token, &day(15).to_string()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mail = sink.messages();
    assert_eq!(mail.len(), 3, "{:#?}", subjects(&mail));
    // Beta's unpaid bill gets its reminders; its texts stay off.
    assert!(run["counts"]["reminders"].as_u64().is_some(), "{run}");

    // The log shows every message, and each went out once.
    let rows = log_until(&app, &token, &format!("customer_id={alpha}"), all_settled).await;
    let sent_emails: Vec<&Value> = rows
        .iter()
        .filter(|r| r["channel"] == "email" && r["status"] == "sent")
        .collect();
    assert_eq!(sent_emails.len(), 3, "{rows:#?}");
    let stages: Vec<Value> = rows
        .iter()
        .filter(|r| r["event"] == "bill.overdue" && r["channel"] == "email")
        .map(|r| r["stage"].clone())
        .collect();
    assert_eq!(stages.len(), 2);
    assert!(stages.contains(&json!(1)) && stages.contains(&json!(7)), "{stages:?}");
    let ids: std::collections::HashSet<&str> = mail.iter().map(|m| m["message_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 3, "one Message-ID per notification");
    assert_eq!(provider.accepted().len(), 3, "the texts: issued, day 1, day 7");
    let filtered = log(&app, &token, "event=bill.overdue&channel=email&status=sent").await;
    assert_eq!(filtered.len(), 2);
    let bad = app.get("/api/v1/notifications?status=lost", &token).await;
    expect_error(bad, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Waits (up to 20 s) for the sent `bill.issued` e-mail of `customer_id`
/// to have been given its chance to be kept; its log row. The copy is
/// written after the row is recorded as sent, so a row already sent may not
/// show it yet: `kept` says which answer is awaited.
pub async fn mailed_bill_row(app: &TestApp, token: &str, customer_id: i64, kept: bool) -> Value {
    let query = format!("customer_id={customer_id}&event=bill.issued&channel=email");
    let rows = log_until(app, token, &query, |rows| {
        rows.len() == 1 && rows[0]["status"] == "sent" && rows[0]["attachment_kept"] == kept
    })
    .await;
    rows[0].clone()
}

/// `GET /notifications/{id}/attachment` of a log row.
pub async fn attachment_of(app: &TestApp, token: &str, row: &Value) -> reqwest::Response {
    app.get(&format!("/api/v1/notifications/{}/attachment", row["id"]), token)
        .await
}

/// Downloads the kept attachment of `row` and checks it is the one the SMTP
/// server received (`mail`): same name, same bytes. The bytes.
pub async fn kept_copy_matches(app: &TestApp, token: &str, row: &Value, mail: &Value) -> Vec<u8> {
    let sent = &mail["attachments"][0];
    assert_eq!(row["attachment_name"], sent["filename"], "{row}");
    let response = attachment_of(app, token, row).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(
        disposition.starts_with("attachment") && disposition.contains(sent["filename"].as_str().unwrap()),
        "{disposition}"
    );
    let bytes = response.bytes().await.expect("body").to_vec();
    assert_eq!(bytes.len() as u64, sent["size"].as_u64().unwrap());
    assert_eq!(
        sha256_hex(&bytes),
        sent["sha256"].as_str().unwrap(),
        "the bytes that were mailed"
    );
    bytes
}

/// `bill.issued` mails the bill PDF; after the send exactly those bytes are
/// kept in file storage (here the local default), named in the log and
/// downloadable (audited) by whoever sees the log; a text has no copy.
async fn a_mailed_bill_pdf_is_kept_as_sent_and_downloadable(backend: Backend) {
    let sink = SmtpSink::start();
    let provider = MockSms::start("127.0.0.1:0".parse().unwrap()).await.expect("mock sms");
    let (app, token) = notifying_app(backend, &sink, &provider).await;
    set_clock(&app, &token, "2026-11-03T10:00:00+08:00").await;
    let customer = customer_with(&app, &token, "KP001", Some("ap@kept.example.com"), Some("13812340000")).await;
    let bill = issued_bill(&app, &token, customer, "2026-10", "456.78").await;
    let bill_no = bill["bill_no"].as_str().unwrap();
    let mail = sink.wait_for(1, 20).await;
    assert_eq!(mail[0]["attachments"][0]["filename"], format!("{bill_no}.pdf"));

    let row = mailed_bill_row(&app, &token, customer, true).await;
    assert_eq!(row["attachment_name"], format!("{bill_no}.pdf"), "{row}");
    let bytes = kept_copy_matches(&app, &token, &row, &mail[0]).await;
    let id = row["id"].as_i64().unwrap();
    // Under <data dir>/files/mail/<id>/, as sent: not sealed, not re-rendered.
    let file = app
        .data_dir()
        .join("files")
        .join("mail")
        .join(id.to_string())
        .join(format!("{bill_no}.pdf"));
    assert_eq!(std::fs::read(&file).expect("the kept copy"), bytes);
    let audit = expect_json(
        app.get("/api/v1/audit-logs?action=notification.download_attachment", &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(audit["total"], 1, "{audit}");
    assert_eq!(audit["items"][0]["entity_id"], id.to_string(), "{audit}");
    // The customer's page lists the same rows with the same field.
    let tab = expect_json(
        app.get(&format!("/api/v1/customers/{customer}/notifications"), &token)
            .await,
        StatusCode::OK,
    )
    .await;
    let kept: Vec<bool> = tab["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["attachment_kept"].as_bool().unwrap())
        .collect();
    assert_eq!(kept.len(), 2, "{tab}");
    assert_eq!(kept.iter().filter(|k| **k).count(), 1, "{tab}");

    // A text carries nothing: 404 in the envelope, as is an unknown row.
    let rows = log_until(
        &app,
        &token,
        &format!("customer_id={customer}&channel=sms"),
        all_settled,
    )
    .await;
    assert_eq!(
        (&rows[0]["attachment_kept"], &rows[0]["attachment_name"]),
        (&json!(false), &Value::Null)
    );
    let response = attachment_of(&app, &token, &rows[0]).await;
    let body = expect_error(response, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("附件"), "{body}");
    let response = app.get("/api/v1/notifications/999999/attachment", &token).await;
    expect_error(response, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    // Only those who see the log.
    let (_, sales) = app.user_with_role(&token, "sales.kept", "sales").await;
    let response = attachment_of(&app, &sales, &row).await;
    expect_error(response, StatusCode::FORBIDDEN, "FORBIDDEN").await;

    // The copy outlives the 400-day prune with its row; other rows go.
    set_clock(&app, &token, "2028-01-10T10:00:00+08:00").await;
    let run = run_job_and_wait(&app, &token, "maintenance.prune").await;
    assert_eq!(run["status"], "succeeded", "{run}");
    let left: Vec<i64> = log(&app, &token, &format!("customer_id={customer}"))
        .await
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(left, [id]);
    assert!(file.is_file());
}

/// A listener on `port` that closes every connection at once, held until
/// dropped (the thread stops with the process).
fn hang_up_on(port: u16) -> std::net::TcpListener {
    let deadline = Instant::now() + Duration::from_secs(5);
    let listener = loop {
        match std::net::TcpListener::bind(("127.0.0.1", port)) {
            Ok(listener) => break listener,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("cannot take over port {port}: {e}"),
        }
    };
    let accepting = listener.try_clone().expect("listener");
    std::thread::spawn(move || {
        for connection in accepting.incoming() {
            drop(connection);
        }
    });
    listener
}

async fn a_broken_channel_fails_readably_retries_and_never_sends_twice(backend: Backend) {
    let sink = SmtpSink::start();
    let provider = MockSms::start("127.0.0.1:0".parse().unwrap()).await.expect("mock sms");
    let (app, token) = notifying_app(backend, &sink, &provider).await;
    set_clock(&app, &token, "2026-11-03T10:00:00+08:00").await;
    let customer = customer_with(&app, &token, "NT101", Some("ap@gamma.example.com"), Some("13700001234")).await;

    // A refusing mail server and a provider that says "no": the bill is issued
    // all the same; both rows fail at once, with the reason.
    sink.set_mode("refuse");
    provider.set(SmsBehaviour {
        reject: true,
        ..Default::default()
    });
    let first = issued_bill(&app, &token, customer, "2026-09", "100.00").await;
    assert_eq!(first["status"], "issued");
    let rows = log_until(&app, &token, &format!("customer_id={customer}"), |rows| {
        rows.len() == 2 && rows.iter().all(|r| r["status"] == "failed")
    })
    .await;
    for row in &rows {
        assert_eq!(row["attempts"], 1, "{row}");
        let error = row["last_error"].as_str().unwrap();
        match row["channel"].as_str().unwrap() {
            "email" => assert!(error.starts_with("邮件服务器拒绝"), "{error}"),
            _ => assert_eq!(error, "短信服务未接受：code = \"1001\""),
        }
    }

    // A busy server and a provider answering 500, garbage, then hanging:
    // transient, so each row is queued again with the backoff and retried
    // as the clock passes it.
    sink.set_mode("busy");
    provider.set(SmsBehaviour {
        fail_times: 1,
        ..Default::default()
    });
    let second = issued_bill(&app, &token, customer, "2026-10", "200.00").await;
    let query = format!("customer_id={customer}&status=queued");
    let queued = log_until(&app, &token, &query, |rows| {
        rows.len() == 2 && rows.iter().all(|r| r["attempts"] == 1)
    })
    .await;
    let email = queued.iter().find(|r| r["channel"] == "email").unwrap();
    assert!(
        email["last_error"].as_str().unwrap().contains("邮件发送失败"),
        "{email}"
    );
    assert!(email["next_attempt_at"].is_string());
    let sms = queued.iter().find(|r| r["channel"] == "sms").unwrap();
    assert_eq!(sms["last_error"], "短信服务返回 HTTP 500");
    // Nothing more is tried before the backoff has passed.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(log(&app, &token, &query).await.len(), 2);
    provider.set(SmsBehaviour {
        garbage: true,
        ..Default::default()
    });
    set_clock(&app, &token, "2026-11-03T10:01:30+08:00").await;
    log_until(&app, &token, &query, |rows| {
        rows.len() == 2 && rows.iter().all(|r| r["attempts"] == 2)
    })
    .await;
    let rows = log(&app, &token, &query).await;
    assert_eq!(
        rows.iter().find(|r| r["channel"] == "sms").unwrap()["last_error"],
        "短信服务返回的不是 JSON"
    );
    provider.set(SmsBehaviour {
        delay_ms: 3_000,
        ..Default::default()
    });
    set_clock(&app, &token, "2026-11-03T10:07:00+08:00").await;
    log_until(&app, &token, &query, |rows| {
        rows.len() == 2 && rows.iter().all(|r| r["attempts"] == 3)
    })
    .await;
    let rows = log(&app, &token, &query).await;
    assert_eq!(
        rows.iter().find(|r| r["channel"] == "sms").unwrap()["last_error"],
        "短信服务响应超时"
    );
    // Both come back: each message is delivered exactly once.
    sink.set_mode("ok");
    provider.set(SmsBehaviour::default());
    set_clock(&app, &token, "2026-11-03T10:40:00+08:00").await;
    let sent = log_until(&app, &token, &format!("customer_id={customer}&status=sent"), |rows| {
        rows.len() == 2
    })
    .await;
    assert!(sent.iter().all(|r| r["attempts"] == 4), "{sent:#?}");
    let mail = sink.wait_for(1, 10).await;
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0]["subject"]
            .as_str()
            .unwrap()
            .contains(second["bill_no"].as_str().unwrap())
    );
    assert_eq!(provider.accepted().len(), 1);

    // The failed e-mail of the first bill, resent by a person: once.
    let failed = log(
        &app,
        &token,
        &format!("customer_id={customer}&status=failed&channel=email"),
    )
    .await;
    assert_eq!(failed.len(), 1);
    let id = failed[0]["id"].as_i64().unwrap();
    let resent = expect_json(
        app.post(&format!("/api/v1/notifications/{id}/resend"), Some(&token), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(resent["status"], "queued");
    let mail = sink.wait_for(2, 10).await;
    assert!(
        mail[1]["subject"]
            .as_str()
            .unwrap()
            .contains(first["bill_no"].as_str().unwrap())
    );
    let again = app
        .post(&format!("/api/v1/notifications/{id}/resend"), Some(&token), &json!({}))
        .await;
    let sent_once = log_until(&app, &token, &format!("customer_id={customer}&status=sent"), |rows| {
        rows.len() == 3
    })
    .await;
    assert_eq!(sent_once.len(), 3);
    assert!(
        [StatusCode::CONFLICT].contains(&again.status()),
        "a sent (or queued) notification is not resent: {}",
        again.status()
    );
    let audit = scalar(
        &app,
        "SELECT COUNT(*) FROM audit_logs WHERE action = 'notification.resend'",
    )
    .await;
    assert_eq!(audit, 1);

    // A mail server that is gone: retried, then failed with a readable reason.
    // Its port is taken over at once by a listener that hangs up on every
    // connection: left free, another test's mail server could be given it
    // and receive this mail.
    let port = sink.port;
    drop(sink);
    let _gone = hang_up_on(port);
    let third = issued_bill(&app, &token, customer, "2026-08", "300.00").await;
    assert_eq!(third["status"], "issued");
    for minute in ["10:42", "10:48", "11:15", "11:50"] {
        set_clock(&app, &token, &format!("2026-11-03T{minute}:00+08:00")).await;
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    let rows = log_until(
        &app,
        &token,
        &format!("customer_id={customer}&channel=email&status=failed"),
        |rows| rows.iter().any(|r| r["attempts"] == 4),
    )
    .await;
    let gone = rows.iter().find(|r| r["attempts"] == 4).unwrap();
    assert!(gone["last_error"].as_str().unwrap().contains("邮件发送失败"), "{gone}");
    assert_eq!(provider.accepted().len(), 2, "the text of the third bill went out");

    // Resending what is not failed, or what does not exist.
    let sent_id = sent[0]["id"].as_i64().unwrap();
    expect_error(
        app.post(
            &format!("/api/v1/notifications/{sent_id}/resend"),
            Some(&token),
            &json!({}),
        )
        .await,
        StatusCode::CONFLICT,
        "NOT_RESENDABLE",
    )
    .await;
    expect_error(
        app.post("/api/v1/notifications/999999/resend", Some(&token), &json!({}))
            .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

async fn templates_are_checked_previewed_and_reset(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    let list = expect_json(app.get("/api/v1/notification-templates", &token).await, StatusCode::OK).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 12, "six events, two channels");
    let overdue = list
        .iter()
        .find(|t| t["event"] == "bill.overdue" && t["channel"] == "email")
        .unwrap();
    assert_eq!(overdue["is_default"], true);
    assert!(
        overdue["variables"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["name"] == "days_overdue" && v["label"] == "逾期天数")
    );

    let path = "/api/v1/notification-templates/bill.overdue/email";
    let bad = app
        .put(
            path,
            Some(&token),
            &json!({"subject": "逾期 {{days_overdue}} 天", "body": "您好 {{nope}}"}),
        )
        .await;
    let body = expect_error(bad, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert_eq!(body["error"]["details"][0]["field"], "body");
    assert_eq!(body["error"]["details"][0]["message"], "模板中有未知变量 {{nope}}");
    let unclosed = app
        .put(path, Some(&token), &json!({"subject": "", "body": "{{bill_no"}))
        .await;
    let body = expect_error(unclosed, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    let fields: Vec<&str> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["subject", "body"]);
    // days_overdue belongs to reminders, not to the issue notice.
    let wrong_event = app
        .put(
            "/api/v1/notification-templates/bill.issued/sms",
            Some(&token),
            &json!({"body": "逾期 {{days_overdue}} 天"}),
        )
        .await;
    expect_error(wrong_event, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    expect_error(
        app.put(
            "/api/v1/notification-templates/bill.lost/email",
            Some(&token),
            &json!({"body": "x"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;

    // A preview with sample values when there is no bill, then with a real one.
    let preview = json!({"event": "bill.overdue", "channel": "email",
                         "subject": "{{bill_no}} 逾期 {{days_overdue}} 天", "body": "{{customer_name}}：请付 {{outstanding}} 元"});
    let sample = expect_json(
        app.post("/api/v1/notification-templates/preview", Some(&token), &preview)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(sample["bill_id"], Value::Null);
    assert_eq!(sample["body"], "示例客户有限公司：请付 12,345.60 元");
    let customer = customer_with(&app, &token, "NT201", Some("a@b.example.com"), None).await;
    let bill = issued_bill(&app, &token, customer, "2026-10", "66.60").await;
    let real = expect_json(
        app.post("/api/v1/notification-templates/preview", Some(&token), &preview)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(real["bill_no"], bill["bill_no"]);
    assert_eq!(real["body"], "NT201科技有限公司：请付 66.60 元");
    assert!(
        real["subject"]
            .as_str()
            .unwrap()
            .starts_with(bill["bill_no"].as_str().unwrap())
    );
    let missing = json!({"event": "bill.overdue", "channel": "email", "subject": "x", "body": "x", "bill_id": 999999});
    expect_error(
        app.post("/api/v1/notification-templates/preview", Some(&token), &missing)
            .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;

    // Saved, audited, then back to the default.
    let saved = expect_json(
        app.put(
            path,
            Some(&token),
            &json!({"subject": "账单 {{bill_no}} 逾期 {{days_overdue}} 天", "body": "请于今日付款 {{outstanding}} 元"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(saved["is_default"], false);
    assert_eq!(saved["body"], "请于今日付款 {{outstanding}} 元");
    let audit = scalar(
        &app,
        "SELECT COUNT(*) FROM audit_logs WHERE action = 'notification_template.update'",
    )
    .await;
    assert_eq!(audit, 1);
    let reset = expect_json(app.delete(path, &token).await, StatusCode::OK).await;
    assert_eq!(reset["is_default"], true);
    assert_eq!(reset["subject"], overdue["subject"]);

    // Sales may not see or edit templates.
    let (_, sales) = app.user_with_role(&token, "nt_sales", "sales").await;
    expect_error(
        app.get("/api/v1/notification-templates", &sales).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    expect_error(
        app.get("/api/v1/notifications", &sales).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
}

async fn staff_addresses_are_sealed_and_validated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    let bad = app
        .post(
            "/api/v1/users",
            Some(&token),
            &json!({"username": "ops_mail", "password": "Opsmail12345", "role": "operations",
                    "display_name": "运营甲", "email": "not-an-address", "phone": "12"}),
        )
        .await;
    let body = expect_error(bad, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    let fields: Vec<&str> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "phone"]);
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM users WHERE username = 'ops_mail'").await,
        0
    );
    let created = expect_json(
        app.post(
            "/api/v1/users",
            Some(&token),
            &json!({"username": "ops_mail", "password": "Opsmail12345", "role": "operations",
                    "display_name": "运营甲", "email": "Ops@Example.COM", "phone": "13711112222"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["email"], "Ops@example.com");
    assert_eq!(created["phone"], "13711112222");
    let plain = scalar(
        &app,
        "SELECT COUNT(*) FROM users WHERE email_enc LIKE '%example%' OR phone_enc LIKE '%13711112222%'",
    )
    .await;
    assert_eq!(plain, 0);
    let id = created["id"].as_i64().unwrap();
    let cleared = expect_json(
        app.patch(&format!("/api/v1/users/{id}"), &token, &json!({"email": ""}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(cleared["email"], Value::Null);
    assert_eq!(cleared["phone"], "13711112222");
}

/// Gives a staff account an address (users.manage).
async fn staff_email(app: &TestApp, token: &str, id: i64, email: &str) {
    let response = app
        .patch(&format!("/api/v1/users/{id}"), token, &json!({"email": email}))
        .await;
    assert_eq!(expect_json(response, StatusCode::OK).await["email"], email);
}

async fn suspensions_receipts_and_digests_reach_the_right_people(backend: Backend) {
    let sink = SmtpSink::start();
    let provider = MockSms::start("127.0.0.1:0".parse().unwrap()).await.expect("mock sms");
    let app = TestApp::spawn_with(backend, |c| {
        c.test_clock = true;
        c.notify.smtp = Some(smtp_config(&sink));
        c.notify.tick = Duration::from_millis(50);
        // A vendor that is not there: its collection fails, for the operations digest.
        c.usage_sources = vec![
            serde_json::from_value(json!({
                "name": "gone", "base_url": "http://127.0.0.1:9", "timeout_ms": 500, "retries": 0,
                "fields": {"account_id": "account", "series": "series", "day": "date", "quantity": "qty"}
            }))
            .expect("source"),
        ];
    })
    .await;
    let token = app.admin_token().await;
    let _ = &provider;

    // Reminders at day 3 only; receipts notified. Bad values are named and change nothing.
    let bad = app
        .put(
            "/api/v1/settings",
            Some(&token),
            &json!({"reminder_days": [0, 400], "payment_terms_days": 10}),
        )
        .await;
    let body = expect_error(bad, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert_eq!(body["error"]["details"][0]["field"], "reminder_days");
    assert_eq!(
        body["error"]["details"][0]["message"],
        opcms_domain::notify::REMINDER_DAYS_MESSAGE
    );
    let settings = expect_json(
        app.put(
            "/api/v1/settings",
            Some(&token),
            &json!({"reminder_days": [3], "notification_events": {"bill_issued": false, "bill_overdue": true,
                     "customer_suspended": true, "payment_received": true, "staff_digests": true}}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(settings["reminder_days"], json!([3]));
    assert_eq!(settings["payment_terms_days"], 15, "the bad request changed nothing");

    let (sales_id, sales) = app.user_with_role(&token, "nt_owner", "sales").await;
    let (_, other_sales) = app.user_with_role(&token, "nt_other", "sales").await;
    let (ops_id, _) = app.user_with_role(&token, "nt_ops", "operations").await;
    let (_, _) = app.user_with_role(&token, "nt_ops_silent", "operations").await;
    staff_email(&app, &token, sales_id, "owner@opcms.test").await;
    staff_email(&app, &token, ops_id, "ops@opcms.test").await;

    set_clock(&app, &token, "2026-11-03T10:00:00+08:00").await;
    let body = json!({"company_name": "NT301科技有限公司", "customer_code": "NT301", "account_id": "acc_NT301",
                      "device_series": ["X"], "account_status": "active", "payment_terms_days": 15,
                      "contact_email": "pay@delta.example.com", "sales_owner_id": sales_id});
    let customer = expect_json(
        app.post("/api/v1/customers", Some(&token), &body).await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_i64()
        .expect("id");
    let bill = issued_bill(&app, &token, customer, "2026-10", "500.00").await;
    let due = chrono::NaiveDate::parse_from_str(bill["due_date"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sink.messages().is_empty(), "bill.issued is switched off");

    // A Monday more than 30 days after the due date: the customer is
    // suspended and reminded; the owner gets the weekly list.
    let mut day = due + chrono::Duration::days(31);
    while chrono::Datelike::weekday(&day) != chrono::Weekday::Mon {
        day += chrono::Duration::days(1);
    }
    set_clock(&app, &token, &format!("{day}T09:00:00+08:00")).await;
    let collect = app
        .post(
            "/api/v1/jobs/usage.collect/run",
            Some(&token),
            &json!({"period_key": (day - chrono::Duration::days(1)).to_string()}),
        )
        .await;
    expect_json(collect, StatusCode::ACCEPTED).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while scalar(
        &app,
        "SELECT COUNT(*) FROM job_runs WHERE job = 'usage.collect' AND status = 'failed'",
    )
    .await
        == 0
    {
        assert!(
            Instant::now() < deadline,
            "the collection from a missing vendor did not fail"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    run_daily(&app, &token, &day.to_string()).await;
    run_daily(&app, &token, &day.to_string()).await;
    sink.wait_for(4, 20).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mail = sink.messages();
    let to = |address: &str| -> Vec<&Value> { mail.iter().filter(|m| m["to"][0] == address).collect() };
    let customer_mail = to("pay@delta.example.com");
    assert_eq!(customer_mail.len(), 2, "{:#?}", subjects(&mail));
    assert!(
        customer_mail
            .iter()
            .any(|m| m["subject"].as_str().unwrap().contains("服务已暂停"))
    );
    assert!(
        customer_mail
            .iter()
            .any(|m| m["subject"].as_str().unwrap().contains("已逾期"))
    );
    let owner = to("owner@opcms.test");
    assert_eq!(owner.len(), 1, "one weekly digest: {:#?}", subjects(&mail));
    let digest = owner[0]["body"].as_str().unwrap();
    assert!(digest.contains("NT301 NT301科技有限公司"), "{digest}");
    assert!(digest.contains("未付 500.00 元"), "{digest}");
    let ops = to("ops@opcms.test");
    assert_eq!(ops.len(), 1, "{:#?}", subjects(&mail));
    assert!(
        ops[0]["body"].as_str().unwrap().contains("定时任务 usage.collect"),
        "{}",
        ops[0]
    );
    assert_eq!(mail.len(), 4);
    // The operator without an address: on record as skipped, with the reason.
    let skipped = scalar(
        &app,
        "SELECT COUNT(*) FROM notifications WHERE event = 'digest.operations' AND status = 'skipped' AND last_error = '员工未填写邮箱'",
    )
    .await;
    assert_eq!(skipped, 1);

    // A receipt: the customer hears of it.
    let receipt = json!({"customer_id": customer, "amount": "200.00", "received_at": day.to_string(),
                         "method": "bank_transfer", "payer_name": "NT301科技有限公司"});
    expect_json(
        app.post("/api/v1/payments", Some(&token), &receipt).await,
        StatusCode::CREATED,
    )
    .await;
    let mail = sink.wait_for(5, 20).await;
    assert!(
        mail[4]["subject"]
            .as_str()
            .unwrap()
            .contains("已收到您的付款 200.00 元"),
        "{}",
        mail[4]
    );

    // The owner sees the customer's notifications on its page; another sales user does not.
    let page = expect_json(
        app.get(&format!("/api/v1/customers/{customer}/notifications"), &sales)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(page["total"], 3, "{page}");
    expect_error(
        app.get(&format!("/api/v1/customers/{customer}/notifications"), &other_sales)
            .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    expect_error(
        app.put(
            &format!("/api/v1/customers/{customer}/notification-preferences"),
            Some(&other_sales),
            &json!({"email": false, "sms": false}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    // The owner opts the customer out of e-mail: the next receipt is skipped.
    let prefs = app
        .put(
            &format!("/api/v1/customers/{customer}/notification-preferences"),
            Some(&sales),
            &json!({"email": false, "sms": true}),
        )
        .await;
    assert_eq!(expect_json(prefs, StatusCode::OK).await["email"], false);
    let receipt = json!({"customer_id": customer, "amount": "100.00", "received_at": day.to_string(),
                         "method": "bank_transfer", "payer_name": "NT301科技有限公司", "reference": "R-2"});
    expect_json(
        app.post("/api/v1/payments", Some(&token), &receipt).await,
        StatusCode::CREATED,
    )
    .await;
    let rows = log_until(
        &app,
        &token,
        &format!("customer_id={customer}&event=payment.received"),
        |rows| rows.len() == 2,
    )
    .await;
    assert_eq!(rows[0]["status"], "skipped");
    assert_eq!(rows[0]["last_error"], "客户已退订邮件通知");
    let audited = scalar(
        &app,
        "SELECT COUNT(*) FROM audit_logs WHERE action = 'customer.notification_preferences'",
    )
    .await;
    assert_eq!(audited, 1);
    assert_eq!(sink.messages().len(), 5);
}

mod tls {
    use super::*;

    /// A relay with a certificate from a private CA: trusted through
    /// `ca_file`, over STARTTLS and over TLS from the first byte; without
    /// the CA the certificate is refused and nothing is sent.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn mail_goes_out_over_starttls_and_tls_to_a_relay_with_a_private_ca() {
        let dir = tempfile::tempdir().expect("temp dir");
        let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).expect("cert");
        let (cert, key) = (dir.path().join("relay.pem"), dir.path().join("relay.key"));
        std::fs::write(&cert, certified.cert.pem()).expect("write cert");
        std::fs::write(&key, certified.signing_key.serialize_pem()).expect("write key");
        for (mode, tls) in [("starttls", SmtpTls::Starttls), ("tls", SmtpTls::Tls)] {
            let sink = SmtpSink::start_tls(mode, &cert, &key);
            for trusted in [true, false] {
                let app = TestApp::spawn_with(Backend::Sqlite, |c| {
                    c.notify.smtp = Some(SmtpConfig {
                        tls,
                        ca_file: trusted.then(|| cert.clone()),
                        ..smtp_config(&sink)
                    });
                    c.notify.tick = Duration::from_millis(50);
                })
                .await;
                let token = app.admin_token().await;
                let customer = customer_with(&app, &token, "TLS01", Some("ap@tls.example.com"), None).await;
                let bill = issued_bill(&app, &token, customer, "2026-10", "10.00").await;
                let rows = log_until(&app, &token, &format!("customer_id={customer}"), |rows| {
                    rows.len() == 1 && rows[0]["attempts"] == 1 && rows[0]["status"] != "sending"
                })
                .await;
                if trusted {
                    assert_eq!(rows[0]["status"], "sent", "{mode}: {rows:#?}");
                    let mail = sink.wait_for(1, 10).await;
                    assert!(
                        mail.last().unwrap()["subject"]
                            .as_str()
                            .unwrap()
                            .contains(bill["bill_no"].as_str().unwrap())
                    );
                } else {
                    assert_eq!(rows[0]["status"], "queued", "{mode}: retried later: {rows:#?}");
                    let error = rows[0]["last_error"].as_str().unwrap_or_default();
                    assert!(error.starts_with("邮件发送失败"), "{mode}: {error}");
                    assert_eq!(sink.messages().len(), 1, "{mode}: nothing sent to an untrusted relay");
                }
            }
        }
    }
}
