//! The files the system keeps (issue 27): backups, import originals and the
//! bill PDFs sent by e-mail in a real S3-compatible server (moto,
//! `s3_server`), the failures a store can have (wrong keys, no bucket, the
//! server gone), and the local default.

use std::time::Instant;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::mail::SmtpSink;
use crate::s3_server::S3Server;

const CUSTOMERS_CSV: &str = "客户编号,公司名称,设备系列,联系人,联系电话\nS001,杭州青禾科技有限公司,X,王芳,13800138000\n\
                             S002,宁波海曙贸易有限公司,N,李强,13900139000\n";

async fn s3_app(server: &S3Server, prefix: &str) -> TestApp {
    let storage = server.storage(prefix);
    TestApp::spawn_with(Backend::Sqlite, move |config| config.storage = storage).await
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    expect_json(app.get(path, token).await, StatusCode::OK).await
}

async fn import(app: &TestApp, token: &str, csv: &str) -> Value {
    expect_json(
        app.upload(
            "/api/v1/customers/import?dry_run=false",
            token,
            "客户.csv",
            csv.as_bytes().to_vec(),
        )
        .await,
        StatusCode::OK,
    )
    .await
}

/// The keys under `area` in the app's storage.
async fn keys(app: &TestApp, area: &str) -> Vec<String> {
    let mut keys: Vec<String> = app
        .state
        .storage
        .list(area)
        .await
        .expect("list")
        .into_iter()
        .map(|o| o.key)
        .collect();
    keys.sort();
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_backups_round_trip_and_prune() {
    let server = S3Server::start();
    let app = s3_app(&server, "opcms/test").await;
    let admin = app.admin_token().await;
    import(&app, &admin, CUSTOMERS_CSV).await;

    let item = &backup_now(&app, &admin).await;
    assert_eq!(
        (&item["status"], &item["trigger"]),
        (&json!("verified"), &json!("manual")),
        "{item}"
    );
    assert_eq!(item["counts"]["customers"], 2, "{item}");
    let name = item["name"].as_str().unwrap().to_string();
    // In the bucket, under the prefix; nothing left on local disk.
    assert_eq!(
        keys(&app, "backups").await,
        [format!("backups/{name}"), format!("backups/{name}.json")]
    );
    assert!(!app.data_dir().join("files").join("backups").exists());
    let staging = app.data_dir().join("backup-staging");
    assert_eq!(std::fs::read_dir(&staging).map(|d| d.count()).unwrap_or(0), 0);

    // Downloaded from the bucket, streamed, intact.
    let response = app.get(&format!("/api/v1/backups/{name}/download"), &admin).await;
    assert_eq!(response.status(), StatusCode::OK);
    let size = item["size_bytes"].as_u64().unwrap();
    assert_eq!(response.headers()["content-length"], size.to_string().as_str());
    let bytes = response.bytes().await.expect("body");
    let copy = tempfile::tempdir().unwrap();
    std::fs::write(copy.path().join("copy.tar.zst"), &bytes).unwrap();
    let manifest = opcms::backup::verify(&copy.path().join("copy.tar.zst")).expect("verify");
    assert_eq!(manifest.count("customers"), Some(2));
    let audit = get(&app, &admin, "/api/v1/audit-logs?action=backup.download").await;
    assert_eq!(audit["total"], 1, "{audit}");
    let checked = expect_json(
        app.post(&format!("/api/v1/backups/{name}/verify"), Some(&admin), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(checked["status"], "verified", "{checked}");
    for bad in ["opcms-x.tar.zst", "opcms-20990101T000000Z.tar.zst"] {
        let response = app.get(&format!("/api/v1/backups/{bad}/download"), &admin).await;
        expect_error(response, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    }

    // The daily job keeps `backup_keep` in the bucket.
    expect_json(
        app.put("/api/v1/settings", Some(&admin), &json!({"backup_keep": 1}))
            .await,
        StatusCode::OK,
    )
    .await;
    let run = run_job_and_wait(&app, &admin, "backup.daily").await;
    assert_eq!(run["status"], "succeeded", "{run}");
    let list = get(&app, &admin, "/api/v1/backups").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_ne!(items[0]["name"], name.as_str(), "the oldest was kept: {list}");
    assert_eq!(keys(&app, "backups").await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_large_files_go_up_in_parts_and_come_back_whole() {
    let server = S3Server::start();
    let app = s3_app(&server, "").await;
    // 40 MiB: five parts of 8 MiB.
    let size = 40 * 1024 * 1024;
    let data: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("big.bin");
    std::fs::write(&source, &data).unwrap();
    let started = Instant::now();
    let sent = app.state.storage.put_file("test/big.bin", &source).await.expect("put");
    let up = started.elapsed();
    assert_eq!(sent, size as u64);
    let started = Instant::now();
    let back = dir.path().join("back.bin");
    app.state.storage.get_to_file("test/big.bin", &back).await.expect("get");
    let down = started.elapsed();
    assert!(std::fs::read(&back).unwrap() == data, "the file came back different");
    let mib = size as f64 / 1_048_576.0;
    eprintln!(
        "moto: 40 MiB up in {:.2} s ({:.1} MiB/s), down in {:.2} s ({:.1} MiB/s)",
        up.as_secs_f64(),
        mib / up.as_secs_f64(),
        down.as_secs_f64(),
        mib / down.as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_import_originals_are_kept_sealed_and_downloadable() {
    let server = S3Server::start();
    let app = s3_app(&server, "opcms").await;
    let admin = app.admin_token().await;
    let result = import(&app, &admin, CUSTOMERS_CSV).await;
    assert_eq!(result["original_kept"], true, "{result}");
    let id = result["import_id"].as_i64().unwrap();
    let history = get(&app, &admin, "/api/v1/customers/imports").await;
    assert_eq!(history["items"][0]["original_kept"], true, "{history}");

    let response = app
        .get(&format!("/api/v1/customers/import/{id}/original"), &admin)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".csv"),
        "{:?}",
        response.headers()
    );
    assert_eq!(response.bytes().await.unwrap(), CUSTOMERS_CSV.as_bytes());
    let audit = get(
        &app,
        &admin,
        "/api/v1/audit-logs?action=customer_import.download_original",
    )
    .await;
    assert_eq!(audit["total"], 1, "{audit}");

    // In the bucket it is sealed: no phone number readable there.
    let stored = app
        .state
        .storage
        .get_bytes(&format!("imports/{id}/original"))
        .await
        .expect("object");
    assert!(!stored.windows(11).any(|w| w == b"13800138000"));

    // Only those who may import.
    let (_, sales) = app.user_with_role(&admin, "sales.a", "sales").await;
    let response = app
        .get(&format!("/api/v1/customers/import/{id}/original"), &sales)
        .await;
    expect_error(response, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let response = app.get("/api/v1/customers/import/99999/original", &admin).await;
    expect_error(response, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}

/// A store that refuses: every storage call is a 503 envelope naming the
/// reason; imports still work and are not doubled.
async fn refused(app: &TestApp, reason: &str) {
    let admin = app.admin_token().await;
    for response in [
        app.get("/api/v1/backups", &admin).await,
        app.post("/api/v1/backups", Some(&admin), &json!({})).await,
    ] {
        let body = expect_error(response, StatusCode::SERVICE_UNAVAILABLE, "STORAGE_UNAVAILABLE").await;
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(reason), "{body}");
    }
    let result = import(app, &admin, CUSTOMERS_CSV).await;
    assert_eq!(
        (&result["created"], &result["original_kept"]),
        (&json!(2), &json!(false)),
        "{result}"
    );
    let id = result["import_id"].as_i64().unwrap();
    let response = app
        .get(&format!("/api/v1/customers/import/{id}/original"), &admin)
        .await;
    let body = expect_error(response, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("原文件"), "{body}");
    let history = get(app, &admin, "/api/v1/customers/imports").await;
    assert_eq!(history["items"][0]["original_kept"], false, "{history}");
    assert_eq!(scalar(app, "SELECT COUNT(*) FROM customers").await, 2);
    // Served all the same.
    get(app, &admin, "/api/v1/customers?page_size=5").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_wrong_keys_are_refused_with_a_clear_error() {
    let server = S3Server::start();
    let mut storage = server.storage("");
    if let Some(s3) = storage.s3.as_mut() {
        s3.secret_access_key = Some(opcms::config::Secret::new("not-the-secret"));
    }
    let app = TestApp::spawn_with(Backend::Sqlite, move |config| config.storage = storage).await;
    refused(&app, "访问密钥").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_a_missing_bucket_is_named() {
    let server = S3Server::start();
    let mut storage = server.storage("");
    if let Some(s3) = storage.s3.as_mut() {
        s3.bucket = "no-such-bucket".into();
    }
    let app = TestApp::spawn_with(Backend::Sqlite, move |config| config.storage = storage).await;
    refused(&app, "存储桶不存在").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_an_outage_fails_readably_and_loses_nothing() {
    let mut server = S3Server::start();
    let app = s3_app(&server, "").await;
    let admin = app.admin_token().await;
    let first = import(&app, &admin, CUSTOMERS_CSV).await;
    assert_eq!(first["original_kept"], true, "{first}");
    let run = run_job_and_wait(&app, &admin, "backup.daily").await;
    assert_eq!(run["status"], "succeeded", "{run}");
    let name = get(&app, &admin, "/api/v1/backups").await["items"][0]["name"]
        .as_str()
        .unwrap()
        .to_string();

    server.stop();
    for response in [
        app.get("/api/v1/backups", &admin).await,
        app.post("/api/v1/backups", Some(&admin), &json!({})).await,
        app.get(&format!("/api/v1/backups/{name}/download"), &admin).await,
        app.post(&format!("/api/v1/backups/{name}/verify"), Some(&admin), &json!({}))
            .await,
    ] {
        let body = expect_error(response, StatusCode::SERVICE_UNAVAILABLE, "STORAGE_UNAVAILABLE").await;
        assert!(
            body["error"]["message"].as_str().unwrap().contains("连不上存储服务"),
            "{body}"
        );
    }
    let run = run_job_and_wait(&app, &admin, "backup.daily").await;
    assert_eq!(run["status"], "failed", "{run}");
    assert!(
        run["error"].to_string().contains("文件存储暂不可用"),
        "the run says why: {run}"
    );
    assert!(run["next_attempt_at"].is_string(), "and is tried again: {run}");
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM audit_logs WHERE action = 'backup.create'").await,
        1
    );

    // An import in the outage: done, its original not kept; nothing lost.
    let csv = "客户编号,公司名称,设备系列\nS003,温州瓯海电子有限公司,L\n";
    let second = import(&app, &admin, csv).await;
    assert_eq!(
        (&second["created"], &second["original_kept"]),
        (&json!(1), &json!(false)),
        "{second}"
    );
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM customers").await, 3);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM customer_imports").await, 2);
    let id = first["import_id"].as_i64().unwrap();
    let response = app
        .get(&format!("/api/v1/customers/import/{id}/original"), &admin)
        .await;
    expect_error(response, StatusCode::SERVICE_UNAVAILABLE, "STORAGE_UNAVAILABLE").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_storage_is_the_default_and_keeps_originals() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    assert!(app.config.storage.s3.is_none());
    let admin = app.admin_token().await;
    let result = import(&app, &admin, CUSTOMERS_CSV).await;
    assert_eq!(result["original_kept"], true, "{result}");
    let id = result["import_id"].as_i64().unwrap();
    let file = app
        .data_dir()
        .join("files")
        .join("imports")
        .join(id.to_string())
        .join("original");
    let stored = std::fs::read(&file).expect("the original under <data dir>/files");
    assert!(!stored.windows(11).any(|w| w == b"13800138000"), "sealed on disk");
    let response = app
        .get(&format!("/api/v1/customers/import/{id}/original"), &admin)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap(), CUSTOMERS_CSV.as_bytes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archives_an_earlier_release_left_in_the_data_directory_move_into_storage() {
    let name = "opcms-20261201T010000Z.tar.zst";
    let app = TestApp::spawn_with(Backend::Sqlite, |config| {
        let old = config.data_dir.join("backups");
        std::fs::create_dir_all(&old).unwrap();
        std::fs::write(old.join(name), b"an archive of an earlier release").unwrap();
        std::fs::write(old.join(format!("{name}.json")), b"{}").unwrap();
    })
    .await;
    let admin = app.admin_token().await;
    // Moved in the background after start-up.
    for _ in 0..100 {
        if !app.data_dir().join("backups").exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(!app.data_dir().join("backups").exists(), "the old directory is gone");
    let list = get(&app, &admin, "/api/v1/backups").await;
    assert_eq!(list["items"][0]["name"], name, "{list}");
    assert_eq!(list["items"][0]["size_bytes"], 32, "{list}");
    let response = app.get(&format!("/api/v1/backups/{name}/download"), &admin).await;
    assert_eq!(
        response.bytes().await.unwrap(),
        &b"an archive of an earlier release"[..]
    );
}

/// An app on S3 `storage` that mails to `sink`, on the test clock.
async fn mailing_app(storage: opcms::config::StorageConfig, sink: &SmtpSink) -> (TestApp, String) {
    let smtp = crate::notifications::smtp_config(sink);
    let app = TestApp::spawn_with(Backend::Sqlite, move |config| {
        config.storage = storage;
        config.test_clock = true;
        config.notify.smtp = Some(smtp);
        config.notify.tick = std::time::Duration::from_millis(50);
    })
    .await;
    let admin = app.admin_token().await;
    crate::notifications::set_clock(&app, &admin, "2026-11-03T10:00:00+08:00").await;
    (app, admin)
}

/// Issues a bill to a new customer with an address; the customer.
async fn mailed_bill(app: &TestApp, token: &str, code: &str) -> i64 {
    let email = format!("ap@{}.example.com", code.to_lowercase());
    let customer = crate::notifications::customer_with(app, token, code, Some(&email), None).await;
    crate::notifications::issued_bill(app, token, customer, "2026-10", "321.00").await;
    customer
}

/// Issues a bill while the store cannot be used: its mail (the `n`th)
/// goes out once with the PDF, and once the copy was tried (a refused
/// connection fails within a second of retries) the row is `sent` and claims
/// no copy; a download of it is the 404 envelope. The row.
async fn mailed_in_an_outage(app: &TestApp, token: &str, sink: &SmtpSink, code: &str, n: usize) -> Value {
    let customer = mailed_bill(app, token, code).await;
    let mail = sink.wait_for(n, 20).await;
    assert_eq!(mail[n - 1]["attachments"][0]["head"], "%PDF-");
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let row = crate::notifications::mailed_bill_row(app, token, customer, false).await;
    assert_eq!(
        (&row["status"], &row["attempts"], &row["attachment_name"]),
        (&json!("sent"), &json!(1), &Value::Null),
        "{row}"
    );
    let response = crate::notifications::attachment_of(app, token, &row).await;
    let body = expect_error(response, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert!(
        body["error"]["message"].as_str().unwrap().contains("未能保存"),
        "{body}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(sink.messages().len(), n, "nothing was mailed twice");
    row
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_mailed_bill_pdfs_are_kept_as_sent_and_an_outage_costs_only_the_copy() {
    let mut server = S3Server::start();
    let sink = SmtpSink::start();
    let (app, admin) = mailing_app(server.storage("opcms"), &sink).await;

    let first = mailed_bill(&app, &admin, "S3M01").await;
    let mail = sink.wait_for(1, 20).await;
    let row = crate::notifications::mailed_bill_row(&app, &admin, first, true).await;
    let bytes = crate::notifications::kept_copy_matches(&app, &admin, &row, &mail[0]).await;
    let name = row["attachment_name"].as_str().unwrap();
    let key = format!("mail/{}/{name}", row["id"]);
    assert_eq!(keys(&app, "mail").await, std::slice::from_ref(&key));
    let stored = app.state.storage.get_bytes(&key).await.expect("object");
    assert_eq!(stored.as_ref(), bytes.as_slice(), "in the bucket as sent");

    // The store goes away: a bill issued now is mailed all the same (once),
    // its row claims no copy; the kept one is a 503 until the store is back.
    server.stop();
    mailed_in_an_outage(&app, &admin, &sink, "S3M02", 2).await;
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM notifications WHERE attachment_name IS NOT NULL"
        )
        .await,
        1
    );
    let response = crate::notifications::attachment_of(&app, &admin, &row).await;
    let body = expect_error(response, StatusCode::SERVICE_UNAVAILABLE, "STORAGE_UNAVAILABLE").await;
    assert!(
        body["error"]["message"].as_str().unwrap().contains("连不上存储服务"),
        "{body}"
    );
}

/// `[storage]` pointing at a port where nothing listens, from the start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_store_still_mails_the_bill_and_claims_no_copy() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let storage = opcms::config::StorageConfig {
        s3: Some(opcms::config::S3Settings {
            endpoint: Some(format!("http://127.0.0.1:{port}")),
            bucket: "gone".into(),
            region: "us-east-1".into(),
            access_key_id: Some("AKIDEXAMPLE".into()),
            secret_access_key: Some(opcms::config::Secret::new("secret")),
            virtual_hosted_style: false,
            allow_http: true,
        }),
        prefix: String::new(),
    };
    let sink = SmtpSink::start();
    let (app, admin) = mailing_app(storage, &sink).await;
    mailed_in_an_outage(&app, &admin, &sink, "DEAD1", 1).await;
}
