//! Backups (issue 26, DESIGN.md §19): `opcms backup` and `opcms restore` as
//! the user runs them (the real binary), across SQLite, MariaDB and
//! PostgreSQL; archives that must be refused; and the 数据备份 API with the
//! `backup.daily` job.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::analytics::{at, bill, customer, get, pay, usage};
use crate::helpers::*;

crate::per_backend_tests!(backups_in_the_product);

mod across {
    mod mysql {
        mod postgres {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn round_trip_sqlite_mariadb_postgres_sqlite() {
                super::super::super::round_trip().await
            }
        }
    }
}

mod refused {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bad_archives_and_targets_are_refused_and_nothing_is_written() {
        super::bad_archives_and_targets().await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_disk_leaves_no_archive() {
        super::full_disk().await
    }
}

/// Runs the real `opcms` with only the variables given (and PATH).
fn opcms(args: &[&str], env: &[(&str, String)]) -> Output {
    opcms_in_shell(None, args, env)
}

/// `prefix` runs in `sh` before the binary (e.g. a file-size limit).
fn opcms_in_shell(prefix: Option<&str>, args: &[&str], env: &[(&str, String)]) -> Output {
    let binary = env!("CARGO_BIN_EXE_opcms");
    let mut command = match prefix {
        Some(prefix) => {
            let mut shell = Command::new("sh");
            shell.arg("-c").arg(format!("{prefix}; exec \"$0\" \"$@\"")).arg(binary);
            shell
        }
        None => Command::new(binary),
    };
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("OPCMS_LOG", "warn");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run opcms")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_ok(output: &Output, what: &str) {
    assert!(output.status.success(), "{what} failed: {}", stderr(output));
}

/// The environment `opcms` needs to reach `app`'s database with its key.
fn env_of(app: &TestApp) -> Vec<(&'static str, String)> {
    vec![
        ("OPCMS_DATABASE_URL", app.config.database_url.expose().to_string()),
        ("OPCMS_DATA_DIR", app.data_dir().display().to_string()),
        ("OPCMS_MASTER_KEY", master_key(app)),
    ]
}

fn master_key(app: &TestApp) -> String {
    std::fs::read_to_string(app.data_dir().join("master.key"))
        .expect("the test server's key file")
        .trim()
        .to_string()
}

/// A small book touching every kind of record: customers with encrypted
/// contacts, usage, issued bills, a partial and a full receipt, audit.
async fn seed(app: &TestApp) -> String {
    let admin = app.admin_token().await;
    at(app, &admin, "2026-06-05").await;
    let (owner, _) = app.user_with_role(&admin, "xiao.li", "sales").await;
    let a = customer(app, &admin, "B001", Some(owner), "2025-01-01", Some("2027-06-30")).await;
    let b = customer(app, &admin, "B-002", None, "2025-03-01", None).await;
    let contacts = json!({"contact_name": "马秀芳", "contact_phone": "19632056966", "contact_email": "ma@example.cn",
                          "version": get(app, &admin, &format!("/api/v1/customers/{a}")).await["version"]});
    expect_json(
        app.patch(&format!("/api/v1/customers/{a}"), &admin, &contacts).await,
        StatusCode::OK,
    )
    .await;
    usage(app, &admin, a, "X", "2026-05-03", "1200.5").await;
    usage(app, &admin, b, "N", "2026-05-04", "7").await;
    let first = bill(app, &admin, a, "2026-05", "1234.56", false).await;
    let second = bill(app, &admin, b, "2026-05", "99.99", false).await;
    bill(app, &admin, b, "2026-06", "10.00", true).await;
    pay(app, &admin, a, first, "1234.56", "2026-06-03").await;
    pay(app, &admin, b, second, "50.00", "2026-06-04").await;
    admin
}

/// What the API answers about the book: the same before a backup and
/// after every restore.
async fn answers(app: &TestApp, token: &str) -> Value {
    let mut audit = get(app, token, "/api/v1/audit-logs?page_size=200").await["items"].clone();
    // A restored server is logged into and its clock set: only the entries
    // the backup held are compared.
    if let Some(items) = audit.as_array_mut() {
        items.retain(|entry| {
            !["auth.login", "auth.password_change", "system.clock"].contains(&entry["action"].as_str().unwrap_or(""))
        });
    }
    micros(json!({
        "customers": get(app, token, "/api/v1/customers?page_size=100&sort=customer_code").await["items"],
        "customer": get(app, token, "/api/v1/customers?q=19632056966").await["items"],
        "bills": get(app, token, "/api/v1/bills?page_size=100").await,
        "payments": get(app, token, "/api/v1/payments?page_size=100").await,
        "usage": get(app, token, "/api/v1/usage?page_size=100").await,
        "dashboard": get(app, token, "/api/v1/analytics/dashboard?period=2026-05").await,
        "aging": get(app, token, "/api/v1/receivables/aging").await,
        "audit": audit,
    }))
}

/// Instants to the microsecond, as an archive keeps them (MySQL's
/// `DATETIME(6)` and PostgreSQL keep no more); SQLite held nanoseconds.
fn micros(value: Value) -> Value {
    match value {
        Value::String(text) => match chrono::DateTime::parse_from_rfc3339(&text) {
            Ok(instant) if text.len() > 27 && text.ends_with('Z') => {
                Value::String(instant.to_utc().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
            }
            _ => Value::String(text),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(micros).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, micros(v))).collect()),
        other => other,
    }
}

/// A server on an existing database (restored), logged in as admin with
/// the password the source had, its clock where the source's was.
async fn serve_restored(backend: Backend, url: &str, key: &str) -> (TestApp, String) {
    let (url, key) = (url.to_string(), key.to_string());
    let app = TestApp::spawn_with(backend, move |config| {
        config.database_url = opcms::config::Secret::new(url);
        config.master_key = Some(opcms::config::Secret::new(key));
        config.test_clock = true;
    })
    .await;
    let login = expect_json(app.login("admin", ADMIN_PASSWORD).await, StatusCode::OK).await;
    let token = login["access_token"].as_str().expect("token").to_string();
    at(&app, &token, "2026-06-05").await;
    (app, token)
}

fn tables_of(archive: &Path) -> Vec<(String, u64, String)> {
    let manifest = opcms::backup::verify(archive).unwrap_or_else(|e| panic!("{}: {e:#}", archive.display()));
    manifest
        .tables
        .into_iter()
        .map(|t| (t.name, t.rows, t.sha256))
        .collect()
}

async fn round_trip() {
    let source = TestApp::spawn_with(Backend::Sqlite, |config| config.test_clock = true).await;
    let admin = seed(&source).await;
    let before = answers(&source, &admin).await;
    let key = master_key(&source);
    let work = tempfile::tempdir().expect("temp dir");

    let first = work.path().join("from-sqlite.tar.zst");
    assert_ok(
        &opcms(&["backup", "--out", first.to_str().unwrap()], &env_of(&source)),
        "backup",
    );
    let expected = tables_of(&first);
    let rows: u64 = expected.iter().map(|t| t.1).sum();
    assert!(expected.iter().any(|t| t.0 == "bills" && t.1 == 3), "{expected:?}");
    assert!(rows > 20, "{expected:?}");

    let mut archive = first;
    for (hop, backend) in [Backend::MySql, Backend::Postgres, Backend::Sqlite]
        .into_iter()
        .enumerate()
    {
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, _database) = create_database(backend, dir.path()).await;
        let env = vec![
            ("OPCMS_DATABASE_URL", url.clone()),
            ("OPCMS_DATA_DIR", dir.path().display().to_string()),
            ("OPCMS_MASTER_KEY", key.clone()),
        ];
        let restored = opcms(&["restore", archive.to_str().unwrap()], &env);
        assert_ok(&restored, &format!("restore into {backend:?}"));
        assert!(stderr(&restored).contains("restored"), "{}", stderr(&restored));
        let next = work.path().join(format!("hop-{hop}.tar.zst"));
        assert_ok(
            &opcms(&["backup", "--out", next.to_str().unwrap()], &env),
            "backup again",
        );
        assert_eq!(
            tables_of(&next),
            expected,
            "the per-table dumps after {backend:?} differ"
        );

        let (app, token) = serve_restored(backend, &url, &key).await;
        assert_eq!(
            answers(&app, &token).await,
            before,
            "the API on {backend:?} answers differently"
        );
        // Ids go on after the restored ones (sequences reset).
        let created = customer(&app, &token, "B003", None, "2026-01-01", None).await;
        assert!(created > 2, "new customer id {created}");
        drop(app);
        archive = next;
    }
}

/// A valid archive rebuilt with changes: `edit` gets each entry's name and
/// contents and returns what to write instead (None drops the entry).
fn rebuild(source: &Path, target: &Path, mut edit: impl FnMut(&str, Vec<u8>) -> Option<Vec<u8>>) {
    use std::io::Read;
    let file = std::fs::File::open(source).expect("archive");
    let mut reader = tar::Archive::new(zstd::Decoder::new(file).expect("zstd"));
    let out = std::fs::File::create(target).expect("create");
    let mut builder = tar::Builder::new(zstd::Encoder::new(out, 3).expect("zstd").auto_finish());
    for entry in reader.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let name = entry.path().expect("path").to_string_lossy().into_owned();
        let mut contents = Vec::new();
        entry.read_to_end(&mut contents).expect("read");
        if let Some(contents) = edit(&name, contents) {
            let mut header = tar::Header::new_gnu();
            header.set_size(contents.len() as u64);
            header.set_mode(0o600);
            header.set_cksum();
            builder
                .append_data(&mut header, &name, contents.as_slice())
                .expect("append");
        }
    }
    builder.into_inner().expect("finish");
}

fn json_edit(contents: Vec<u8>, change: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut value: Value = serde_json::from_slice(&contents).expect("json");
    change(&mut value);
    serde_json::to_vec(&value).expect("json")
}

async fn table_rows(url: &str, table: &str) -> Option<i64> {
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(url).await.ok()?;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) FROM {table}"),
        ))
        .await
        .ok()??;
    row.try_get_by_index::<i64>(0).ok()
}

async fn bad_archives_and_targets() {
    let source = TestApp::spawn_with(Backend::Sqlite, |config| config.test_clock = true).await;
    seed(&source).await;
    let key = master_key(&source);
    let work = tempfile::tempdir().expect("temp dir");
    let good = work.path().join("good.tar.zst");
    assert_ok(
        &opcms(&["backup", "--out", good.to_str().unwrap()], &env_of(&source)),
        "backup",
    );

    // An existing file is never overwritten (usage: exit 2).
    let again = opcms(&["backup", "--out", good.to_str().unwrap()], &env_of(&source));
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("already exists"), "{}", stderr(&again));

    // Into the database it came from: not empty, nothing written.
    let customers = scalar(&source, "SELECT COUNT(*) FROM customers").await;
    let into_source = opcms(&["restore", good.to_str().unwrap()], &env_of(&source));
    assert_eq!(into_source.status.code(), Some(1), "{}", stderr(&into_source));
    assert!(stderr(&into_source).contains("not empty"), "{}", stderr(&into_source));
    assert_eq!(scalar(&source, "SELECT COUNT(*) FROM customers").await, customers);

    let bytes = std::fs::read(&good).expect("archive");
    let damaged = |name: &str, contents: &[u8]| {
        let path = work.path().join(name);
        std::fs::write(&path, contents).expect("write");
        path
    };
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x55;
    let checksum = work.path().join("checksum.tar.zst");
    rebuild(&good, &checksum, |name, mut contents| {
        if name == "tables/customers.jsonl" {
            let at = contents.iter().position(|b| *b == b'B').expect("a code");
            contents[at] = b'C';
        }
        Some(contents)
    });
    let newer_format = work.path().join("newer-format.tar.zst");
    rebuild(&good, &newer_format, |name, contents| {
        Some(if name == "opcms-backup.json" {
            json_edit(contents, |v| v["format_version"] = json!(99))
        } else {
            contents
        })
    });
    let newer_schema = work.path().join("newer-schema.tar.zst");
    rebuild(&good, &newer_schema, |name, contents| {
        Some(if name == "opcms-backup.json" || name == "manifest.json" {
            json_edit(contents, |v| v["schema_version"] = json!("m20991231_000099_future"))
        } else {
            contents
        })
    });
    let no_manifest = work.path().join("no-manifest.tar.zst");
    rebuild(&good, &no_manifest, |name, contents| {
        (name != "manifest.json").then_some(contents)
    });
    let cases: Vec<(PathBuf, &str)> = vec![
        (damaged("truncated.tar.zst", &bytes[..bytes.len() / 2]), "cut short"),
        (damaged("flipped.tar.zst", &flipped), "damaged"),
        (
            damaged("foreign.tar.zst", b"PK\x03\x04 not a backup at all"),
            "not a readable OP_CMS backup",
        ),
        (checksum, "does not match its checksum"),
        (newer_format, "newer"),
        (newer_schema, "upgrade opcms"),
        (no_manifest, "no manifest"),
        (work.path().join("missing.tar.zst"), "cannot open"),
    ];
    for (archive, expected) in cases {
        let target = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/opcms.db?mode=rwc", target.path().display());
        let output = opcms(
            &["restore", archive.to_str().unwrap()],
            &[
                ("OPCMS_DATABASE_URL", url.clone()),
                ("OPCMS_DATA_DIR", target.path().display().to_string()),
                ("OPCMS_MASTER_KEY", key.clone()),
            ],
        );
        let message = stderr(&output);
        assert!(matches!(output.status.code(), Some(1 | 2)), "{archive:?}: {message}");
        assert!(
            message.contains(expected),
            "{archive:?}: expected {expected:?} in {message}"
        );
        assert!(
            !target.path().join("opcms.db").exists(),
            "{archive:?} created the database"
        );
    }

    // No key configured, or another key: refused before the database is touched.
    for key in [None, Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_string())] {
        let target = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/opcms.db?mode=rwc", target.path().display());
        let mut env = vec![
            ("OPCMS_DATABASE_URL", url.clone()),
            ("OPCMS_DATA_DIR", target.path().display().to_string()),
        ];
        if let Some(key) = &key {
            env.push(("OPCMS_MASTER_KEY", key.clone()));
        }
        let output = opcms(&["restore", good.to_str().unwrap()], &env);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{message}");
        assert!(message.contains("master key"), "{message}");
        assert!(!target.path().join("opcms.db").exists(), "the database was created");
        assert!(!target.path().join("master.key").exists(), "a key was made up");
        assert_eq!(table_rows(&url, "customers").await, None);
    }
}

async fn full_disk() {
    let source = TestApp::spawn_with(Backend::Sqlite, |config| config.test_clock = true).await;
    seed(&source).await;
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("full.tar.zst");
    // Files may not grow past 4 KiB: the first table file fails to grow
    // (EFBIG, as on a full disk). SIGXFSZ is ignored so the write fails
    // instead of killing the process.
    let output = opcms_in_shell(
        Some("ulimit -f 8; trap '' XFSZ"),
        &["backup", "--out", out.to_str().unwrap()],
        &env_of(&source),
    );
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("cannot write"), "{message}");
    let left: Vec<_> = std::fs::read_dir(work.path()).expect("dir").collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

async fn run_backup_job(app: &TestApp, admin: &str) -> Value {
    run_job_and_wait(app, admin, "backup.daily").await
}

async fn backups_in_the_product(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.test_clock = true).await;
    let admin = seed(&app).await;
    let (_, sales) = app.user_with_role(&admin, "sales.b", "sales").await;
    let (_, operations) = app.user_with_role(&admin, "ops.b", "operations").await;
    for token in [&sales, &operations] {
        expect_error(
            app.get("/api/v1/backups", token).await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        )
        .await;
        expect_error(
            app.post("/api/v1/backups", Some(token), &json!({})).await,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        )
        .await;
    }
    let empty = get(&app, &admin, "/api/v1/backups").await;
    assert_eq!(
        (empty["keep"].as_u64(), empty["items"].as_array().map(Vec::len)),
        (Some(14), Some(0)),
        "{empty}"
    );

    // 立即备份: in the background, then listed with its counts, checked.
    let item = &backup_now(&app, &admin).await;
    assert_eq!(item["status"], "verified", "{item}");
    assert_eq!(item["trigger"], "manual");
    assert_eq!(item["counts"]["customers"], 2, "{item}");
    assert_eq!(item["counts"]["bills"], 3, "{item}");
    assert!(item["size_bytes"].as_u64().is_some_and(|s| s > 500), "{item}");
    let name = item["name"].as_str().expect("name").to_string();

    // The download is the archive, intact.
    let response = app.get(&format!("/api/v1/backups/{name}/download"), &admin).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&name),
        "{:?}",
        response.headers()
    );
    let bytes = response.bytes().await.expect("body");
    let copy = tempfile::tempdir().expect("temp dir");
    std::fs::write(copy.path().join("copy.tar.zst"), &bytes).expect("write");
    assert_eq!(
        opcms::backup::verify(&copy.path().join("copy.tar.zst"))
            .expect("verify")
            .count("bills"),
        Some(3)
    );
    let audit = get(&app, &admin, "/api/v1/audit-logs?action=backup.download").await;
    assert_eq!(audit["total"], 1, "{audit}");

    // Names outside the directory's own are not found.
    for bad in ["..%2Fopcms.db", "opcms.db", "opcms-x.tar.zst", "last-failure.json"] {
        let response = app.get(&format!("/api/v1/backups/{bad}/download"), &admin).await;
        let body = expect_error(response, StatusCode::NOT_FOUND, "NOT_FOUND").await;
        assert_eq!(body["error"]["message"], "备份文件不存在或无权访问", "{bad}: {body}");
    }

    // A damaged file is found out by 校验.
    let path = app.data_dir().join("files").join("backups").join(&name);
    let mut damaged = std::fs::read(&path).expect("archive");
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0xff;
    std::fs::write(&path, &damaged).expect("write");
    let checked = expect_json(
        app.post(&format!("/api/v1/backups/{name}/verify"), Some(&admin), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(checked["status"], "corrupt", "{checked}");
    // The error names the backup, not the staging copy that was read.
    let error = checked["error"].as_str().unwrap_or_default();
    assert!(error.contains(name.as_str()) && !error.contains("staging"), "{checked}");

    // The job keeps `backup_keep` archives.
    expect_json(
        app.put("/api/v1/settings", Some(&admin), &json!({"backup_keep": 2}))
            .await,
        StatusCode::OK,
    )
    .await;
    let bad_keep = app
        .put("/api/v1/settings", Some(&admin), &json!({"backup_keep": 0}))
        .await;
    let body = expect_error(bad_keep, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert!(body.to_string().contains("保留备份份数"), "{body}");
    for _ in 0..2 {
        let run = run_backup_job(&app, &admin).await;
        assert_eq!(run["status"], "succeeded", "{run}");
        assert!(run["counts"]["rows"].as_u64().is_some_and(|r| r > 10), "{run}");
    }
    let list = get(&app, &admin, "/api/v1/backups").await;
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{list}");
    assert!(!names.contains(&name.as_str()), "the oldest was kept: {list}");
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["trigger"] == "schedule" && i["status"] == "verified")
    );

    // A backup that cannot be written fails the job, visibly.
    let dir = app.data_dir().join("backup-staging");
    std::fs::remove_dir_all(&dir).expect("remove");
    std::fs::write(&dir, b"not a directory").expect("block");
    let run = run_backup_job(&app, &admin).await;
    assert_eq!(run["status"], "failed", "{run}");
    let jobs = get(&app, &admin, "/api/v1/jobs").await;
    let job = jobs
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["name"] == "backup.daily")
        .expect("job")
        .clone();
    assert_eq!(job["title"], "数据备份", "{job}");
    assert_eq!(job["last_run"]["status"], "failed", "{job}");
    assert_eq!(job["failing"], true, "{job}");
    let list = get(&app, &admin, "/api/v1/backups").await;
    assert!(
        list["last_error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("备份失败")),
        "{list}"
    );
    std::fs::remove_file(&dir).expect("unblock");
    let run = run_backup_job(&app, &admin).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    let list = get(&app, &admin, "/api/v1/backups").await;
    // The archives made before the failure are still there; two are kept.
    assert_eq!(
        (list["items"].as_array().map(Vec::len), &list["last_error"]),
        (Some(2), &Value::Null),
        "{list}"
    );
}
