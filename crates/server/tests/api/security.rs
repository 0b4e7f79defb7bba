//! The holes of the security review (issue 20) that live in auth, crypto and
//! storage: each test here fails on the code before the fix.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use opcms::config::Secret;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;
use crate::pricing::put;

backend_tests!(
    concurrent_wrong_passwords_reach_the_password_check_at_most_five_times,
    a_guesser_at_one_address_does_not_lock_the_user_out_at_theirs,
    an_access_token_dies_with_its_session,
    the_database_alone_cannot_forge_a_token,
    import_reports_keep_no_contact_in_plaintext,
    a_contact_copied_to_another_customer_does_not_decrypt,
    rotate_key_moves_every_value_to_the_new_key_and_the_old_key_can_go,
);

// ---- login throttling ---------------------------------------------------

async fn login_from(app: &TestApp, ip: &str, username: &str, password: &str) -> reqwest::Response {
    app.request(Method::POST, "/api/v1/auth/login", None)
        .header("x-forwarded-for", ip)
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("request")
}

async fn concurrent_wrong_passwords_reach_the_password_check_at_most_five_times(app: TestApp) {
    let attempts = (0..40).map(|_| async { app.login("admin", "Wrong12345").await.status() });
    let statuses = futures::future::join_all(attempts).await;
    // A 401 is an attempt that reached the password check; a 429 was
    // refused before it.
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert!((1..=5).contains(&checked), "{checked} reached the check: {statuses:?}");
    assert_eq!(checked + refused, 40, "{statuses:?}");
    // The account is locked for this address, the right password included.
    expect_error(
        app.login("admin", ADMIN_INITIAL_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "TOO_MANY_LOGIN_ATTEMPTS",
    )
    .await;
}

async fn a_guesser_at_one_address_does_not_lock_the_user_out_at_theirs(app: TestApp) {
    let app = app
        .restart_with(|config| {
            config.trust_forwarded_for = true;
            config.login_max_failures_per_account = 8;
        })
        .await;
    let attacker = "203.0.113.9";
    for _ in 0..5 {
        expect_error(
            login_from(&app, attacker, "admin", "Wrong12345").await,
            StatusCode::UNAUTHORIZED,
            "INVALID_CREDENTIALS",
        )
        .await;
    }
    expect_error(
        login_from(&app, attacker, "admin", ADMIN_INITIAL_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "TOO_MANY_LOGIN_ATTEMPTS",
    )
    .await;
    // The real user, at their own address, still gets in.
    expect_json(
        login_from(&app, "198.51.100.7", "admin", ADMIN_INITIAL_PASSWORD).await,
        StatusCode::OK,
    )
    .await;
    // A guesser spread over addresses meets the account's cap (8) in the end.
    for ip in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
        expect_error(
            login_from(&app, ip, "admin", "Wrong12345").await,
            StatusCode::UNAUTHORIZED,
            "INVALID_CREDENTIALS",
        )
        .await;
    }
    expect_error(
        login_from(&app, "192.0.2.4", "admin", "Wrong12345").await,
        StatusCode::TOO_MANY_REQUESTS,
        "TOO_MANY_LOGIN_ATTEMPTS",
    )
    .await;
}

// ---- sessions -----------------------------------------------------------

fn tokens(body: &Value) -> (String, String) {
    (
        body["access_token"].as_str().unwrap().to_string(),
        body["refresh_token"].as_str().unwrap().to_string(),
    )
}

async fn me(app: &TestApp, access: &str) -> StatusCode {
    app.get("/api/v1/auth/me", access).await.status()
}

async fn an_access_token_dies_with_its_session(app: TestApp) {
    let (first, first_refresh) = tokens(&app.sign_in("admin", ADMIN_INITIAL_PASSWORD, ADMIN_PASSWORD).await);
    let (second, second_refresh) = tokens(&expect_json(app.login("admin", ADMIN_PASSWORD).await, StatusCode::OK).await);
    assert_eq!(me(&app, &first).await, StatusCode::OK);

    // Logout ends that session's access token at once, not the other one.
    let out = app
        .post("/api/v1/auth/logout", None, &json!({"refresh_token": first_refresh}))
        .await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    expect_error(
        app.get("/api/v1/auth/me", &first).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_TOKEN",
    )
    .await;
    assert_eq!(me(&app, &second).await, StatusCode::OK);

    // Reuse of a rotated refresh token revokes the family: every access
    // token of that session stops working, the newest included.
    let rotated = expect_json(
        app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": second_refresh}))
            .await,
        StatusCode::OK,
    )
    .await;
    let (third, _) = tokens(&rotated);
    assert_eq!(me(&app, &third).await, StatusCode::OK);
    expect_error(
        app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": second_refresh}))
            .await,
        StatusCode::UNAUTHORIZED,
        "INVALID_REFRESH_TOKEN",
    )
    .await;
    assert_eq!(me(&app, &second).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &third).await, StatusCode::UNAUTHORIZED);

    // A password change ends every other session.
    let (fourth, _) = tokens(&expect_json(app.login("admin", ADMIN_PASSWORD).await, StatusCode::OK).await);
    let (fifth, _) = tokens(&expect_json(app.login("admin", ADMIN_PASSWORD).await, StatusCode::OK).await);
    let changed = expect_json(
        app.post(
            "/api/v1/auth/password",
            Some(&fourth),
            &json!({"current_password": ADMIN_PASSWORD, "new_password": "Changed12345"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(me(&app, &fifth).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &fourth).await, StatusCode::UNAUTHORIZED);
    let (admin, _) = tokens(&changed);
    assert_eq!(me(&app, &admin).await, StatusCode::OK);

    // Disabling a user ends their sessions.
    let (id, user) = app.user_with_role(&admin, "wang.ops", "operations").await;
    assert_eq!(me(&app, &user).await, StatusCode::OK);
    expect_json(
        app.patch(&format!("/api/v1/users/{id}"), &admin, &json!({"status": "disabled"}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(me(&app, &user).await, StatusCode::UNAUTHORIZED);
}

// ---- secrets at rest ----------------------------------------------------

async fn rows(app: &TestApp, sql: &str) -> Vec<sea_orm::QueryResult> {
    app.db
        .query_all_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .expect(sql)
}

/// Every candidate signing key an attacker could take from `app_secrets`:
/// each stored value as text, and as the bytes its base64 spells.
async fn keys_in_the_database(app: &TestApp) -> Vec<Vec<u8>> {
    let mut keys = Vec::new();
    for row in rows(app, "SELECT value FROM app_secrets").await {
        let value: String = row.try_get("", "value").unwrap();
        keys.push(value.as_bytes().to_vec());
        for candidate in [value.as_str(), value.rsplit(':').next().unwrap_or_default()] {
            keys.extend(
                [URL_SAFE_NO_PAD.decode(candidate), STANDARD.decode(candidate)]
                    .into_iter()
                    .flatten(),
            );
        }
    }
    keys
}

async fn the_database_alone_cannot_forge_a_token(app: TestApp) {
    let admin = app.admin_token().await;
    // What an attacker reading the database knows: the user's id, token
    // version and a live session id.
    let user = &rows(&app, "SELECT id, token_version FROM users WHERE username = 'admin'").await[0];
    let id: i64 = user.try_get("", "id").unwrap();
    let version: i32 = user.try_get("", "token_version").unwrap();
    let session = &rows(
        &app,
        "SELECT family_id FROM refresh_tokens WHERE revoked_at IS NULL ORDER BY id DESC",
    )
    .await[0];
    let session: String = session.try_get("", "family_id").unwrap();
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": id.to_string(), "ver": version, "sid": session, "iat": now, "exp": now + 3600});

    // The claims are right: signed with the server's real key they work.
    let genuine = app
        .state
        .keys
        .issue_access(id, version, &session, chrono::Utc::now())
        .unwrap();
    assert_eq!(me(&app, &genuine).await, StatusCode::OK);
    assert_eq!(me(&app, &admin).await, StatusCode::OK);

    let candidates = keys_in_the_database(&app).await;
    assert!(!candidates.is_empty());
    for key in candidates {
        let forged = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(&key),
        )
        .unwrap();
        assert_eq!(
            me(&app, &forged).await,
            StatusCode::UNAUTHORIZED,
            "a token signed with a value from app_secrets was accepted"
        );
    }
}

/// Everything the database holds, as bytes: the files themselves on SQLite
/// (database and write-ahead log, free pages included), every row of every
/// table as text on MariaDB and PostgreSQL.
async fn raw_database(app: &TestApp) -> Vec<u8> {
    let backend = app.db.get_database_backend();
    let mut raw = Vec::new();
    match backend {
        DbBackend::Sqlite => {
            for entry in std::fs::read_dir(app.data_dir()).unwrap() {
                let path = entry.unwrap().path();
                if path.file_name().unwrap().to_string_lossy().starts_with("opcms.db") {
                    raw.extend(std::fs::read(&path).unwrap());
                }
            }
        }
        DbBackend::MySql => {
            let columns = rows(
                app,
                "SELECT table_name AS t, column_name AS c FROM information_schema.columns \
                 WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position",
            )
            .await;
            let mut tables: Vec<(String, Vec<String>)> = Vec::new();
            for row in columns {
                let (t, c): (String, String) = (row.try_get("", "t").unwrap(), row.try_get("", "c").unwrap());
                match tables.last_mut() {
                    Some((name, cols)) if *name == t => cols.push(c),
                    _ => tables.push((t, vec![c])),
                }
            }
            for (table, cols) in tables {
                let cast: Vec<String> = cols.iter().map(|c| format!("CAST(`{c}` AS CHAR)")).collect();
                let sql = format!("SELECT CONCAT_WS('|', {}) AS r FROM `{table}`", cast.join(", "));
                for row in rows(app, &sql).await {
                    let text: Option<String> = row.try_get("", "r").unwrap();
                    raw.extend(text.unwrap_or_default().into_bytes());
                }
            }
        }
        _ => {
            let tables = rows(
                app,
                "SELECT table_name::text AS t FROM information_schema.tables WHERE table_schema = 'public'",
            )
            .await;
            for table in tables {
                let table: String = table.try_get("", "t").unwrap();
                for row in rows(app, &format!("SELECT x::text AS r FROM \"{table}\" x")).await {
                    let text: String = row.try_get("", "r").unwrap();
                    raw.extend(text.into_bytes());
                }
            }
        }
    }
    raw
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// A sheet with a clean row, a row imported with a warning (unknown owner)
/// and two rejected rows (a bad date, a bad e-mail), each with contacts.
fn contact_sheet() -> Vec<u8> {
    "公司名称,联系电话,联系邮箱,销售负责人,签约日期,设备系列\n\
     甲安全测试物业有限公司,13911110001,ok1@sec-probe.cn,,2024-03-05,X\n\
     乙安全测试物业有限公司,13911110002,warn2@sec-probe.cn,查无此人,2024-03-05,X\n\
     丙安全测试物业有限公司,13911110003,reject3@sec-probe.cn,,2024-13-45,N\n\
     丁安全测试物业有限公司,13911110004,broken4@@sec-probe.cn,,2024-03-05,L\n"
        .as_bytes()
        .to_vec()
}

const CONTACTS: [&str; 8] = [
    "13911110001",
    "13911110002",
    "13911110003",
    "13911110004",
    "ok1@sec-probe",
    "warn2@sec-probe",
    "reject3@sec-probe",
    "broken4@@sec-probe",
];

async fn import_reports_keep_no_contact_in_plaintext(app: TestApp) {
    let token = app.admin_token().await;
    let mut report_urls = Vec::new();
    for dry_run in [true, false] {
        let result = expect_json(
            app.upload(
                &format!("/api/v1/customers/import?dry_run={dry_run}"),
                &token,
                "联系人.csv",
                contact_sheet(),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(result["counts"]["total"], 4, "{result}");
        assert_eq!(result["counts"]["imported_with_warnings"], 1, "{result}");
        assert_eq!(result["counts"]["rejected"], 2, "{result}");
        report_urls.push(result["report_url"].as_str().unwrap().to_string());
    }
    if app.backend == Backend::Sqlite {
        // Push the write-ahead log into the main file too: both are read.
        app.db
            .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
            .await
            .unwrap();
    }
    let raw = raw_database(&app).await;
    assert!(contains(&raw, "安全测试物业"), "the scan must see the imported rows");
    for contact in CONTACTS {
        assert!(!contains(&raw, contact), "{contact} is in the database in plaintext");
    }

    // The person importing still gets back what they uploaded.
    for url in report_urls {
        let response = app.get(&url, &token).await;
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = response.bytes().await.unwrap().to_vec();
        let sheet = opcms::spreadsheet::read(&bytes, &test_limits()).unwrap();
        let text: Vec<String> = sheet
            .rows
            .iter()
            .flat_map(|r| r.cells.iter().map(|c| c.text()))
            .collect();
        for contact in ["13911110002", "13911110003", "broken4@@sec-probe.cn"] {
            assert!(text.iter().any(|t| t == contact), "{contact} missing from {text:?}");
        }
    }
}

fn test_limits() -> opcms::spreadsheet::Limits {
    opcms::spreadsheet::Limits {
        max_rows: 1000,
        max_columns: 50,
        max_unpacked_bytes: 10 * 1024 * 1024,
    }
}

async fn create_customer(app: &TestApp, token: &str, name: &str, phone: &str, email: &str) -> Value {
    let body = json!({"company_name": name, "contact_phone": phone, "contact_email": email, "device_series": ["X"]});
    expect_json(
        app.post("/api/v1/customers", Some(token), &body).await,
        StatusCode::CREATED,
    )
    .await
}

async fn a_contact_copied_to_another_customer_does_not_decrypt(app: TestApp) {
    let token = app.admin_token().await;
    let a = create_customer(&app, &token, "复制源物业有限公司", "13922220001", "a@copy.cn").await;
    let b = create_customer(&app, &token, "复制目标物业有限公司", "13922220002", "b@copy.cn").await;
    // Someone with write access to the database copies A's ciphertexts into B.
    let sql = format!(
        "UPDATE customers SET contact_phone_enc = (SELECT contact_phone_enc FROM (SELECT contact_phone_enc FROM customers WHERE id = {a}) s), \
         contact_email_enc = (SELECT contact_email_enc FROM (SELECT contact_email_enc FROM customers WHERE id = {a}) s) WHERE id = {b}",
        a = a["id"],
        b = b["id"]
    );
    app.db.execute_unprepared(&sql).await.unwrap();
    let read = expect_json(
        app.get(&format!("/api/v1/customers/{}", b["id"]), &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read["contact_phone"], Value::Null, "{read}");
    assert_eq!(read["contact_email"], Value::Null, "{read}");
    let original = expect_json(
        app.get(&format!("/api/v1/customers/{}", a["id"]), &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(original["contact_phone"], "13922220001");
}

// ---- key rotation -------------------------------------------------------

fn key_text(byte: u8) -> String {
    STANDARD.encode([byte; 32])
}

/// Reads back one value of every encrypted kind through the API.
async fn read_everything(app: &TestApp, token: &str, customer_id: i64, plan_id: &Value, report_url: &str) {
    let read = expect_json(
        app.get(&format!("/api/v1/customers/{customer_id}"), token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read["contact_phone"], "13933330001", "{read}");
    assert_eq!(read["contact_email"], "rot@key.cn", "{read}");
    // The blind index still finds the customer by phone.
    let found = expect_json(app.get("/api/v1/customers?q=13933330001", token).await, StatusCode::OK).await;
    assert_eq!(found["total"], 1, "{found}");
    let plan_read = expect_json(
        app.get(&format!("/api/v1/price-plans/{plan_id}"), token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(plan_read["minimum_charge"], "100.00", "{plan_read}");
    let pricing = expect_json(
        app.get(
            &format!("/api/v1/customers/{customer_id}/pricing?period=2026-02"),
            token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(pricing.to_string().contains("0.0100"), "{pricing}");
    let report = app.get(report_url, token).await;
    assert_eq!(report.status(), StatusCode::OK);
}

async fn rotate_key_moves_every_value_to_the_new_key_and_the_old_key_can_go(app: TestApp) {
    let app = TestApp::spawn_with(app.backend, |config| config.master_key = Some(Secret::new(key_text(1)))).await;
    let token = app.admin_token().await;
    // One value of every encrypted kind: contacts, a plan's rules and
    // minimum, a customer's overrides, an import report.
    let customer = create_customer(&app, &token, "轮换测试物业有限公司", "13933330001", "rot@key.cn").await;
    let customer_id = customer["id"].as_i64().unwrap();
    let rules = json!({"X": {"mode": "flat", "unit_price": "0.3500"}, "N": {"mode": "flat", "unit_price": "0.5000"},
                       "L": {"mode": "flat", "unit_price": "1.2000"}});
    let plan = expect_json(
        app.post(
            "/api/v1/price-plans",
            Some(&token),
            &json!({"name": "轮换方案", "effective_from": "2026-01", "minimum_charge": "100", "rules": rules, "reason": "首次定价"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let overrides = json!({"plan_id": plan["id"], "overrides": {"X": {"mode": "flat", "unit_price": "0.0100"}}});
    let assigned = put(
        &app,
        &format!("/api/v1/customers/{customer_id}/pricing"),
        &token,
        &overrides,
    )
    .await;
    assert!(assigned.status().is_success(), "{}", assigned.status());
    let imported = expect_json(
        app.upload(
            "/api/v1/customers/import?dry_run=true",
            &token,
            "c.csv",
            contact_sheet(),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let report_url = imported["report_url"].as_str().unwrap().to_string();

    read_everything(&app, &token, customer_id, &plan["id"], &report_url).await;
    // A staff address for the digests, sealed like the contacts.
    let staff = app
        .post(
            "/api/v1/users",
            Some(&token),
            &json!({"username": "rot_ops", "password": "Rotops12345", "role": "operations",
                    "display_name": "运营", "email": "ops@rotate.example.com", "phone": "13711112222"}),
        )
        .await;
    let staff_id = expect_json(staff, StatusCode::CREATED).await["id"].as_i64().unwrap();
    let before: Vec<String> = rows(
        &app,
        "SELECT contact_phone_enc FROM customers WHERE contact_phone_enc IS NOT NULL",
    )
    .await
    .iter()
    .map(|r| r.try_get("", "contact_phone_enc").unwrap())
    .collect();

    // Every instance gets the new key, the old one as previous; then rotate.
    let app = app
        .restart_with(|config| {
            config.master_key = Some(Secret::new(key_text(2)));
            config.previous_keys = vec![Secret::new(key_text(1))];
        })
        .await;
    let report = opcms::rotation::rotate(&app.db, &app.state.keyring).await.unwrap();
    assert_eq!(report.unreadable(), 0, "{report}");
    for column in [
        "app_secrets.value",
        "customers.contact_phone_enc",
        "customers.contact_email_enc",
        "price_plan_versions.rules_enc",
        "price_plan_versions.minimum_charge_enc",
        "customer_pricing.overrides_enc",
        "customer_imports.report",
        "users.email_enc",
        "users.phone_enc",
    ] {
        let counts = report
            .columns
            .iter()
            .find(|c| c.column == column)
            .unwrap_or_else(|| panic!("{column}: {report}"));
        assert!(counts.rewritten > 0 && counts.rewritten == counts.values, "{report}");
    }
    let staff = expect_json(
        app.get(&format!("/api/v1/users/{staff_id}"), &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(staff["email"], "ops@rotate.example.com", "readable on the new key");
    let after: Vec<String> = rows(
        &app,
        "SELECT contact_phone_enc FROM customers WHERE contact_phone_enc IS NOT NULL",
    )
    .await
    .iter()
    .map(|r| r.try_get("", "contact_phone_enc").unwrap())
    .collect();
    assert!(after.iter().all(|v| !before.contains(v)), "every value re-encrypted");
    // Running it again finds nothing left to do (it resumes, it does not redo).
    let again = opcms::rotation::rotate(&app.db, &app.state.keyring).await.unwrap();
    assert!(
        again
            .columns
            .iter()
            .all(|c| c.rewritten == 0 && c.already_current == c.values),
        "{again}"
    );

    // The old key can go: everything still reads with the new key alone.
    let app = app.restart_with(|config| config.previous_keys = Vec::new()).await;
    let token = expect_json(app.login("admin", ADMIN_PASSWORD).await, StatusCode::OK).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    read_everything(&app, &token, customer_id, &plan["id"], &report_url).await;
    // And an instance still on the old key alone refuses to start.
    let refused = app
        .build_with(|config| {
            config.master_key = Some(Secret::new(key_text(1)));
            config.previous_keys = Vec::new();
        })
        .await
        .err()
        .expect("the old key alone is refused");
    assert!(refused.to_string().contains("master key"), "{refused}");
}

/// The SQLite data directory and files are the service account's alone.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_data_directory_and_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn(Backend::Sqlite).await;
    // A data directory the server creates itself (the test's own temp
    // directory is 0700 already).
    let dir = app.data_dir().join("fresh");
    let app = app
        .restart_with(|config| {
            config.data_dir = dir.clone();
            config.database_url = Secret::new(format!("sqlite://{}/opcms.db?mode=rwc", dir.display()));
        })
        .await;
    app.admin_token().await;
    let mode = |name: &str| {
        std::fs::metadata(dir.join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    for file in ["opcms.db", "opcms.db-wal", "opcms.db-shm", "master.key"] {
        assert_eq!(mode(file), 0o600, "{file}");
    }
}
