//! Several instances on one database (issue 23, DESIGN.md §16): two real
//! `opcms serve` processes share a MariaDB or PostgreSQL database. Each job
//! period runs exactly once between them; and when the holder of a run is
//! killed with SIGKILL mid-run, the other instance takes the run over once
//! its lease has run out and completes it, with no record written twice.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use opcms::usage::mock_vendor::{Behaviour, MockVendor};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::server_backend_tests;
use crate::settings::put_settings;

server_backend_tests!(
    two_instances_run_each_period_once_and_survive_a_kill,
    two_instances_send_each_reminder_once_even_when_one_dies_mid_send,
);

const ACCOUNTS: [&str; 3] = ["inst_a", "inst_b", "inst_c"];

/// One `opcms serve` process; killed (SIGKILL) when dropped.
pub(crate) struct Instance {
    name: &'static str,
    child: Child,
    pub(crate) url: String,
}

impl Instance {
    /// SIGKILL: no shutdown, no rollback of its own; the database is left
    /// to undo what it had not committed.
    pub(crate) fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("killed instance gone");
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// The vendor as the child processes' usage source: two records a page, so
/// a day takes five slow pages.
fn sources_json(vendor: &MockVendor) -> String {
    json!([{
        "name": "vendor", "base_url": vendor.base_url(), "path": "/v1/usage",
        "day_param": "date", "auth_header": "Authorization", "auth_token": "Bearer test-token",
        "timeout_ms": 10000, "retries": 0, "records_path": "data.items",
        "pagination": {"kind": "page", "page_param": "page", "size_param": "page_size", "page_size": 2},
        "fields": {"account_id": "account", "series": "series", "day": "date", "quantity": "qty", "source_id": "id"}
    }])
    .to_string()
}

async fn start_instance(app: &TestApp, name: &'static str, vendor: &MockVendor) -> Instance {
    start_instance_with(app, name, &[("OPCMS_USAGE_SOURCES", sources_json(vendor))]).await
}

/// Where `name`'s log goes.
pub(crate) fn instance_log(app: &TestApp, name: &str) -> std::path::PathBuf {
    app.data_dir().join(format!("{name}.log"))
}

/// `opcms serve` on the test's database with these variables besides the
/// common ones.
pub(crate) async fn start_instance_with(app: &TestApp, name: &'static str, extra: &[(&str, String)]) -> Instance {
    let port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_opcms"));
    command
        .arg("serve")
        .current_dir(app.data_dir())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("OPCMS_BIND", format!("127.0.0.1:{port}"))
        .env("OPCMS_DATA_DIR", app.data_dir())
        .env("OPCMS_DATABASE_URL", app.config.database_url.expose())
        .env("OPCMS_INSTANCE_ID", name)
        .env("OPCMS_JOB_TICK_MS", "200")
        .env("OPCMS_JOB_LEASE_SECS", "3")
        .env("OPCMS_LOG", "warn")
        .stdout(Stdio::null())
        // The log, for the test to read (and a person when it fails).
        .stderr(std::fs::File::create(instance_log(app, name)).expect("instance log"));
    for (key, value) in extra {
        command.env(key, value);
    }
    let child = command.spawn().expect("start opcms serve");
    let instance = Instance {
        name,
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(response) = reqwest::get(format!("{}/readyz", instance.url)).await
            && response.status() == StatusCode::OK
        {
            return instance;
        }
        assert!(Instant::now() < deadline, "{name} did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn run_row(app: &TestApp, job: &str, period: &str) -> Option<(String, String, i64, String)> {
    let sql = format!(
        "SELECT status, holder, attempt, {trigger} FROM job_runs WHERE job = '{job}' AND period_key = '{period}'",
        trigger = if app.backend == Backend::MySql {
            "`trigger`"
        } else {
            "\"trigger\""
        },
    );
    let row = sea_orm::ConnectionTrait::query_one_raw(
        &app.db,
        sea_orm::Statement::from_string(app.db.get_database_backend(), sql),
    )
    .await
    .expect("query")?;
    Some((
        row.try_get_by_index(0).expect("status"),
        row.try_get_by_index(1).expect("holder"),
        row.try_get_by_index::<i32>(2).map(i64::from).expect("attempt"),
        row.try_get_by_index(3).expect("trigger"),
    ))
}

/// Waits up to `secs` for the run of (`job`, `period`) to satisfy `done`.
async fn wait_for_run(
    app: &TestApp,
    job: &str,
    period: &str,
    secs: u64,
    done: impl Fn(&(String, String, i64, String)) -> bool,
) -> (String, String, i64, String) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(row) = run_row(app, job, period).await
            && done(&row)
        {
            return row;
        }
        assert!(
            Instant::now() < deadline,
            "{job} {period}: {:?}",
            run_row(app, job, period).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn two_instances_run_each_period_once_and_survive_a_kill(backend: Backend) {
    // The in-process app prepares the database (its own scheduler is off).
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let vendor = MockVendor::start(
        "127.0.0.1:0".parse().expect("addr"),
        ACCOUNTS.map(String::from).to_vec(),
    )
    .await
    .expect("mock vendor");
    for (i, account) in ACCOUNTS.iter().enumerate() {
        crate::usage::customer(&app, &admin, &format!("INS00{i}"), account).await;
    }
    // Pruning every minute: both instances see each minute come due.
    put_settings(
        &app,
        &admin,
        json!({"job_schedules": {"maintenance.prune": "* * * * *"}}),
    )
    .await;

    let a = start_instance(&app, "instance-a", &vendor).await;
    let b = start_instance(&app, "instance-b", &vendor).await;

    // 1. Both schedulers tick on the same minute; the period runs once. (The
    // day is the first run's, should the minute fall after midnight.)
    let deadline = Instant::now() + Duration::from_secs(75);
    let today = loop {
        let first = sea_orm::ConnectionTrait::query_one_raw(
            &app.db,
            sea_orm::Statement::from_string(
                app.db.get_database_backend(),
                "SELECT period_key FROM job_runs WHERE job = 'maintenance.prune' ORDER BY id".to_string(),
            ),
        )
        .await
        .expect("query");
        if let Some(row) = first {
            break row.try_get_by_index::<String>(0).expect("period");
        }
        assert!(Instant::now() < deadline, "no instance ran maintenance.prune");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let pruned = wait_for_run(&app, "maintenance.prune", &today, 75, |r| r.0 == "succeeded").await;
    assert_eq!(pruned.2, 1, "one attempt: {pruned:?}");
    assert!(["instance-a", "instance-b"].contains(&pruned.1.as_str()), "{pruned:?}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM job_runs WHERE job = 'maintenance.prune'").await,
        1
    );

    // 2. A collection started on A, slow at the vendor; A is killed mid-run.
    vendor.set(Behaviour {
        delay_ms: 700,
        ..Behaviour::default()
    });
    let day = (chrono::Utc::now() + chrono::Duration::hours(8) - chrono::Duration::days(3))
        .date_naive()
        .to_string();
    let client = reqwest::Client::new();
    let signed_in: Value = client
        .post(format!("{}/api/v1/auth/login", a.url))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("login on A")
        .json()
        .await
        .expect("login body");
    let token = signed_in["access_token"].as_str().expect("token on A");
    let started = client
        .post(format!("{}/api/v1/jobs/usage.collect/run", a.url))
        .bearer_auth(token)
        .json(&json!({"period_key": day}))
        .send()
        .await
        .expect("run on A");
    assert_eq!(started.status(), StatusCode::ACCEPTED);
    // A has fetched a page or two when it dies.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before_kill = run_row(&app, "usage.collect", &day).await.expect("claimed");
    assert_eq!(
        (before_kill.0.as_str(), before_kill.1.as_str()),
        ("running", "instance-a")
    );
    let requests_before = vendor.requests();
    assert!(requests_before >= 1, "A was mid-run");
    let mut a = a;
    a.kill();
    let killed_at = Instant::now();

    // B takes it over after the lease (3 s) and finishes the day.
    let done = wait_for_run(&app, "usage.collect", &day, 60, |r| r.0 != "running").await;
    assert_eq!(done.0, "succeeded", "{done:?}");
    assert_eq!(done.1, "instance-b", "{done:?}");
    assert_eq!(done.2, 2, "the takeover is the second attempt: {done:?}");
    assert_eq!(done.3, "takeover", "{done:?}");
    assert!(
        killed_at.elapsed() >= Duration::from_secs(2),
        "not before the lease ran out"
    );

    // Every record once: 3 accounts × 3 series, no duplicates; the run A
    // left behind is on record as its own (interrupted) collection.
    let records = scalar(&app, &format!("SELECT COUNT(*) FROM usage_records WHERE day = '{day}'")).await;
    assert_eq!(records, 9);
    let distinct = scalar(
        &app,
        &format!("SELECT COUNT(*) FROM (SELECT DISTINCT customer_id, series FROM usage_records WHERE day = '{day}') d"),
    )
    .await;
    assert_eq!(distinct, 9);
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM job_runs WHERE job = 'usage.collect'").await,
        1
    );
    assert_eq!(a.name, "instance-a");
    drop(b);
}

/// Signs in as admin on an instance (each process keeps its own test clock).
pub(crate) async fn admin_on(instance: &Instance) -> String {
    let signed_in: Value = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", instance.url))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login body");
    signed_in["access_token"].as_str().expect("token").to_string()
}

async fn call(instance: &Instance, token: &str, method: reqwest::Method, path: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .request(method, format!("{}/api/v1{path}", instance.url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request")
}

/// (sent, failed with an unknown outcome, still queued or sending) among
/// the overdue e-mails of `stage`.
async fn outcome(app: &TestApp, stage: u32) -> (i64, i64, i64) {
    let of = |condition: &str| {
        format!("SELECT COUNT(*) FROM notifications WHERE event = 'bill.overdue' AND stage = '{stage}' AND {condition}")
    };
    (
        scalar(app, &of("status = 'sent'")).await,
        scalar(app, &of("status = 'failed' AND last_error LIKE '%无法确认%'")).await,
        scalar(app, &of("status IN ('queued', 'sending')")).await,
    )
}

/// The outbox on two instances (issue 24): the daily reminders triggered on
/// both at once and again are written and sent once; an instance killed
/// mid-send leaves its in-flight messages failed for a person to look at,
/// never resent, while the other instance sends the rest.
async fn two_instances_send_each_reminder_once_even_when_one_dies_mid_send(backend: Backend) {
    const CUSTOMERS: usize = 40;
    let app = TestApp::spawn_with(backend, |c| c.test_clock = true).await;
    let admin = app.admin_token().await;
    let sink = crate::mail::SmtpSink::start();
    crate::notifications::set_clock(&app, &admin, "2026-11-03T10:00:00+08:00").await;
    let mut due = String::new();
    for i in 0..CUSTOMERS {
        let code = format!("MI{i:03}");
        let email = format!("ap{i}@customer{i}.example.com");
        let id = crate::notifications::customer_with(&app, &admin, &code, Some(&email), None).await;
        let bill = crate::notifications::issued_bill(&app, &admin, id, "2026-10", "100.00").await;
        due = bill["due_date"].as_str().expect("due").to_string();
    }
    let due = chrono::NaiveDate::parse_from_str(&due, "%Y-%m-%d").expect("date");
    let smtp = |timeout_ms: &str| {
        vec![
            ("OPCMS_TEST_CLOCK", "true".to_string()),
            ("OPCMS_JOBS_ENABLED", "false".to_string()),
            ("OPCMS_NOTIFY_TICK_MS", "100".to_string()),
            ("OPCMS_SMTP_HOST", "127.0.0.1".to_string()),
            ("OPCMS_SMTP_PORT", sink.port.to_string()),
            ("OPCMS_SMTP_TLS", "none".to_string()),
            ("OPCMS_SMTP_FROM", "billing@opcms.test".to_string()),
            ("OPCMS_SMTP_TIMEOUT_MS", timeout_ms.to_string()),
        ]
    };
    let a = start_instance_with(&app, "mail-a", &smtp("1500")).await;
    let b = start_instance_with(&app, "mail-b", &smtp("1500")).await;
    let (token_a, token_b) = (admin_on(&a).await, admin_on(&b).await);
    let day = |n: i64| (due + chrono::Duration::days(n)).to_string();
    let at = |n: i64| json!({"now": format!("{}T08:05:00+08:00", day(n))});
    for (instance, token) in [(&a, &token_a), (&b, &token_b)] {
        let set = call(instance, token, reqwest::Method::PUT, "/system/clock", at(1)).await;
        assert_eq!(set.status(), StatusCode::OK);
    }

    // 1. The day-1 job started on both instances at once, then again on each.
    let run = json!({"period_key": day(1), "force": true});
    let (on_a, on_b) = tokio::join!(
        call(
            &a,
            &token_a,
            reqwest::Method::POST,
            "/jobs/receivables.daily/run",
            run.clone()
        ),
        call(
            &b,
            &token_b,
            reqwest::Method::POST,
            "/jobs/receivables.daily/run",
            run.clone()
        ),
    );
    for response in [on_a, on_b] {
        assert!(
            [StatusCode::ACCEPTED, StatusCode::CONFLICT].contains(&response.status()),
            "{}",
            response.status()
        );
    }
    wait_for_run(&app, "receivables.daily", &day(1), 30, |r| r.0 == "succeeded").await;
    for (instance, token) in [(&a, &token_a), (&b, &token_b)] {
        let again = call(
            instance,
            token,
            reqwest::Method::POST,
            "/jobs/receivables.daily/run",
            run.clone(),
        )
        .await;
        assert_eq!(again.status(), StatusCode::ACCEPTED);
        wait_for_run(&app, "receivables.daily", &day(1), 30, |r| r.0 == "succeeded").await;
    }
    let mail = sink.wait_for(CUSTOMERS, 60).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while outcome(&app, 1).await.0 < CUSTOMERS as i64 {
        assert!(Instant::now() < deadline, "{:?}", outcome(&app, 1).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mail_now = sink.messages();
    assert_eq!(mail_now.len(), CUSTOMERS, "one day-1 reminder each, whatever the runs");
    let ids: std::collections::HashSet<&str> = mail.iter().map(|m| m["message_id"].as_str().unwrap()).collect();
    let recipients: std::collections::HashSet<String> = mail_now.iter().map(|m| m["to"][0].to_string()).collect();
    assert_eq!((ids.len(), recipients.len()), (CUSTOMERS, CUSTOMERS));
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM notifications WHERE event = 'bill.overdue'").await,
        CUSTOMERS as i64
    );

    // 2. Day 7 on A alone (B stopped, so that A surely holds messages) with a
    // slow mail server; A is killed while sending.
    drop(b);
    sink.set_mode("slow:1");
    let set = call(&a, &token_a, reqwest::Method::PUT, "/system/clock", at(7)).await;
    assert_eq!(set.status(), StatusCode::OK);
    let run = json!({"period_key": day(7)});
    let started = call(&a, &token_a, reqwest::Method::POST, "/jobs/receivables.daily/run", run).await;
    assert_eq!(started.status(), StatusCode::ACCEPTED);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let held = scalar(
            &app,
            "SELECT COUNT(*) FROM notifications WHERE status = 'sending' AND holder LIKE 'mail-a#%'",
        )
        .await;
        if held > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "A never held a message: {:?}",
            outcome(&app, 7).await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut a = a;
    a.kill();
    // A restarted finishes the rest; A's in-flight ones turn failed once
    // their lease (3 × 1.5 s + 5 s) is over.
    let restarted = start_instance_with(&app, "mail-a2", &smtp("1500")).await;
    let deadline = Instant::now() + Duration::from_secs(90);
    let (sent, unknown, pending) = loop {
        let now = outcome(&app, 7).await;
        if now.2 == 0 && now.0 + now.1 == CUSTOMERS as i64 {
            break now;
        }
        assert!(Instant::now() < deadline, "day 7 never settled: {now:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(pending, 0);
    assert!(unknown >= 1, "A held at least one message when it died");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mail = sink.messages();
    let day7: Vec<&Value> = mail
        .iter()
        .filter(|m| m["subject"].as_str().unwrap_or("").contains("已逾期 7 天"))
        .collect();
    let ids: std::collections::HashSet<&str> = day7.iter().map(|m| m["message_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), day7.len(), "no day-7 reminder arrived twice");
    // Everything marked sent arrived; what arrived beyond it is what A had
    // in flight (delivered, unacknowledged): at most the unknown ones.
    assert!(day7.len() as i64 >= sent, "{} arrived, {sent} sent", day7.len());
    assert!(
        day7.len() as i64 <= sent + unknown,
        "{} arrived, {sent} sent, {unknown} unknown",
        day7.len()
    );
    drop(restarted);
}
