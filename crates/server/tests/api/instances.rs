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
use crate::settings::put_settings;

macro_rules! server_backend_tests {
    ($($name:ident),* $(,)?) => {
        mod mysql { $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(crate::helpers::Backend::MySql).await })* }
        mod postgres { $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(crate::helpers::Backend::Postgres).await })* }
    };
}

server_backend_tests!(two_instances_run_each_period_once_and_survive_a_kill);

const ACCOUNTS: [&str; 3] = ["inst_a", "inst_b", "inst_c"];

/// One `opcms serve` process; killed (SIGKILL) when dropped.
struct Instance {
    name: &'static str,
    child: Child,
    url: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
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
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_opcms"))
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
        .env("OPCMS_USAGE_SOURCES", sources_json(vendor))
        .env("OPCMS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start opcms serve");
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
    a.child.kill().expect("SIGKILL A");
    a.child.wait().expect("A gone");
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
