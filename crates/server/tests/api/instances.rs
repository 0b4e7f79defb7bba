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
    two_instances_under_load_lose_nothing_when_one_is_killed,
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
    let deadline = Instant::now() + Duration::from_secs(150);
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

/// What one virtual user of [`two_instances_under_load_lose_nothing_when_one_is_killed`] saw.
#[derive(Default)]
struct Seen {
    /// Answers by instance and status: (on A, status) → count.
    answers: std::collections::BTreeMap<(bool, u16), u32>,
    /// Requests to A that got no answer (A died under them), then went to B.
    failed_over: u32,
    /// Receipts entered: answered 201, or 409 `DUPLICATE_PAYMENT` when a
    /// retry on B found the one A had committed before it died.
    receipts: Vec<String>,
    /// Anything else: a 5xx, or a status no user action explains.
    unexpected: Vec<String>,
}

/// Two instances behind a load balancer (issue 28): virtual users read,
/// edit customers with version checks and enter receipts, half of them on
/// A; A is killed with SIGKILL mid-load and its users go on at B, as a
/// balancer sends them, retrying the request A never answered. B answers
/// every request, a session signed in on A stays valid on B, every receipt
/// is on record exactly once with no number twice, and the scheduled jobs
/// go on on B.
async fn two_instances_under_load_lose_nothing_when_one_is_killed(backend: Backend) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
    const USERS: usize = 12;
    // How much each phase must serve. The phases end on these counts, not on
    // wall time, so a slow machine makes the test longer, never red.
    const ON_A_BEFORE_THE_KILL: u32 = 20;
    const ON_B_AFTER_THE_KILL: u32 = 40;
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let mut customers = Vec::new();
    for i in 0..8 {
        let code = format!("LB{i:03}");
        customers.push(crate::analytics::customer(&app, &admin, &code, None, "2025-01-01", None).await);
    }
    put_settings(
        &app,
        &admin,
        json!({"job_schedules": {"maintenance.prune": "* * * * *"}}),
    )
    .await;
    let mut a = start_instance_with(&app, "lb-a", &[]).await;
    // B's clock can be moved to the next day, when a new period comes due.
    let b = start_instance_with(&app, "lb-b", &[("OPCMS_TEST_CLOCK", "true".into())]).await;
    let token = Arc::new(admin_on(&a).await);
    let (url_a, url_b) = (Arc::new(a.url.clone()), Arc::new(b.url.clone()));
    let a_alive = Arc::new(AtomicBool::new(true));
    let stop = Arc::new(AtomicBool::new(false));
    // Answers by instance, for the phases: [on B, on A].
    let served = Arc::new([AtomicU32::new(0), AtomicU32::new(0)]);
    let customers = Arc::new(customers);

    let users: Vec<_> = (0..USERS)
        .map(|user| {
            let (token, url_a, url_b) = (token.clone(), url_a.clone(), url_b.clone());
            let (a_alive, stop, customers) = (a_alive.clone(), stop.clone(), customers.clone());
            let served = served.clone();
            tokio::spawn(async move {
                // A browser tab: its own keep-alive connection.
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(20))
                    .build()
                    .expect("client");
                let mut seen = Seen::default();
                let mut step = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    step += 1;
                    let customer = customers[(user + step) % customers.len()];
                    let (method, path, body) = match step % 3 {
                        0 => (reqwest::Method::GET, "/customers?page=1&page_size=20".to_string(), None),
                        1 => (reqwest::Method::GET, format!("/customers/{customer}"), None),
                        _ => {
                            let reference = format!("LB-{user}-{step}");
                            let body = json!({"customer_id": customer, "amount": "1.00",
                                              "received_at": "2026-11-30", "method": "bank_transfer",
                                              "payer_name": "负载测试付款单位", "reference": reference});
                            (reqwest::Method::POST, "/payments".to_string(), Some(body))
                        }
                    };
                    // Even users start on A; the balancer sends everyone to B
                    // once A is gone, and retries there what A never answered.
                    let mut on_a = user % 2 == 0 && a_alive.load(Ordering::Relaxed);
                    let response = loop {
                        let base = if on_a { &url_a } else { &url_b };
                        let mut request = client
                            .request(method.clone(), format!("{base}/api/v1{path}"))
                            .bearer_auth(token.as_str());
                        if let Some(body) = &body {
                            request = request.json(body);
                        }
                        match request.send().await {
                            Ok(response) => break response,
                            Err(_) if on_a => {
                                seen.failed_over += 1;
                                on_a = false;
                            }
                            Err(error) => {
                                seen.unexpected.push(format!("B did not answer {path}: {error}"));
                                return seen;
                            }
                        }
                    };
                    let status = response.status().as_u16();
                    *seen.answers.entry((on_a, status)).or_default() += 1;
                    served[usize::from(on_a)].fetch_add(1, Ordering::Relaxed);
                    let answer: Value = response.json().await.unwrap_or(Value::Null);
                    match (&body, status) {
                        (None, 200) => {
                            // An edit with the version just read: 409 when
                            // another user edited the customer first.
                            if step % 3 == 1 {
                                let version = answer["version"].clone();
                                let base = if on_a && a_alive.load(Ordering::Relaxed) { &url_a } else { &url_b };
                                let edit = client
                                    .patch(format!("{base}/api/v1/customers/{customer}"))
                                    .bearer_auth(token.as_str())
                                    .json(&json!({"version": version, "remarks": format!("用户 {user} 第 {step} 次修改")}))
                                    .send()
                                    .await;
                                match edit.map(|r| r.status().as_u16()) {
                                    Ok(200 | 409) => {}
                                    Ok(other) => seen.unexpected.push(format!("edit: {other}")),
                                    // A died under the edit; the user reads again.
                                    Err(_) if base == &url_a => seen.failed_over += 1,
                                    Err(error) => seen.unexpected.push(format!("edit on B: {error}")),
                                }
                            }
                        }
                        (Some(body), 201) => seen.receipts.push(body["reference"].as_str().unwrap_or_default().into()),
                        (Some(body), 409) if answer["error"]["code"] == "DUPLICATE_PAYMENT" => {
                            seen.receipts.push(body["reference"].as_str().unwrap_or_default().into())
                        }
                        _ => seen.unexpected.push(format!("{method} {path}: {status} {answer}")),
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                seen
            })
        })
        .collect();

    let wait_until_served = |on_a: bool, count: u32, what: &'static str| {
        let served = served.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(120);
            while served[usize::from(on_a)].load(Ordering::Relaxed) < count {
                assert!(Instant::now() < deadline, "{what}: {count} answers not served in 120 s");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    wait_until_served(true, ON_A_BEFORE_THE_KILL, "A before the kill").await;
    // The newest day any instance has pruned so far.
    let newest_day = newest_period(&app, "maintenance.prune").await;
    a_alive.store(false, Ordering::Relaxed);
    a.kill();
    let killed_at = Instant::now();
    let on_b_at_the_kill = served[0].load(Ordering::Relaxed);
    wait_until_served(false, on_b_at_the_kill + ON_B_AFTER_THE_KILL, "B after the kill").await;
    stop.store(true, Ordering::Relaxed);
    let mut seen = Seen::default();
    for user in users {
        let one = user.await.expect("virtual user");
        for (key, count) in one.answers {
            *seen.answers.entry(key).or_default() += count;
        }
        seen.failed_over += one.failed_over;
        seen.receipts.extend(one.receipts);
        seen.unexpected.extend(one.unexpected);
    }
    eprintln!(
        "answers (on A, status): {:?}; failed over: {}; receipts: {}",
        seen.answers,
        seen.failed_over,
        seen.receipts.len()
    );
    assert!(seen.unexpected.is_empty(), "{:?}", seen.unexpected);
    let on = |a: bool| {
        seen.answers
            .iter()
            .filter(|((on_a, _), _)| *on_a == a)
            .map(|(_, n)| n)
            .sum::<u32>()
    };
    assert!(
        on(true) >= ON_A_BEFORE_THE_KILL && on(false) >= ON_B_AFTER_THE_KILL,
        "both served: {:?}",
        seen.answers
    );
    assert!(
        seen.answers.keys().all(|(_, status)| *status < 500),
        "no 5xx: {:?}",
        seen.answers
    );

    // Every receipt once, whichever instance wrote it; numbers never twice.
    let entered: std::collections::BTreeSet<&String> = seen.receipts.iter().collect();
    assert_eq!(entered.len(), seen.receipts.len(), "a reference answered twice");
    let stored = scalar(&app, "SELECT COUNT(*) FROM payments WHERE reference LIKE 'LB-%'").await;
    assert_eq!(stored, entered.len() as i64, "receipts on record vs entered");
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(DISTINCT payment_no) FROM payments WHERE reference LIKE 'LB-%'"
        )
        .await,
        stored
    );

    // The jobs go on, on B alone: pruning is daily, so B's clock moves to
    // a quarter past midnight of the next day, and B's scheduler must claim
    // and run that day's period by itself.
    let tomorrow = opcms::calendar::business_today() + chrono::Duration::days(1);
    let response = reqwest::Client::new()
        .put(format!("{}/api/v1/system/clock", b.url))
        .bearer_auth(token.as_str())
        .json(&json!({"now": format!("{tomorrow}T00:15:00+08:00")}))
        .send()
        .await
        .expect("B");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(newest_day.as_str() < tomorrow.to_string().as_str(), "{newest_day}");
    let later_on_b = format!(
        "SELECT COUNT(*) FROM job_runs WHERE job = 'maintenance.prune' AND status = 'succeeded' \
         AND holder = 'lb-b' AND period_key > '{newest_day}'"
    );
    // B runs the day's other jobs in the same tick; slack for a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(150);
    while scalar(&app, &later_on_b).await == 0 {
        assert!(
            Instant::now() < deadline,
            "no scheduled job ran on B after A died; B's log:\n{}",
            std::fs::read_to_string(instance_log(&app, "lb-b")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "a scheduled job ran on B {:.1} s after A died",
        killed_at.elapsed().as_secs_f64()
    );
    let ready = reqwest::get(format!("{}/readyz", b.url)).await.expect("B");
    assert_eq!(ready.status(), StatusCode::OK);
    drop(b);
}

/// The latest period `job` has a run for ("" when none).
async fn newest_period(app: &TestApp, job: &str) -> String {
    let row = sea_orm::ConnectionTrait::query_one_raw(
        &app.db,
        sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT MAX(period_key) FROM job_runs WHERE job = '{job}'"),
        ),
    )
    .await
    .expect("query");
    row.and_then(|row| row.try_get_by_index::<Option<String>>(0).ok().flatten())
        .unwrap_or_default()
}
