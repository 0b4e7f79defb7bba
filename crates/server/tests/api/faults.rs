//! Faults the service must ride out (issue 28). The database server is
//! killed under load and started again: while it is gone every request
//! fails fast with 503 `DATABASE_UNAVAILABLE` in the error envelope (never a
//! 500, never a hang), and once it is back the same `opcms` — not restarted —
//! serves reads and writes again, its pool reconnected on its own.
//!
//! The server killed is a private MariaDB (its own data directory and port,
//! started by the test), so the shared one the other tests use stays up.

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opcms::config::Secret;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::instances::free_port;

mod mysql {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn database_restart_under_load_gives_503_then_recovers_without_restarting_opcms() {
        super::database_restart_under_load_gives_503_then_recovers_without_restarting_opcms().await
    }
}

/// A MariaDB server of the test's own: `mariadbd` on a free port over a
/// data directory made by `mariadb-install-db`; killed (SIGKILL) when dropped.
struct PrivateMariaDb {
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
}

impl PrivateMariaDb {
    fn install() -> PrivateMariaDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let status = Command::new("mariadb-install-db")
            .args([
                "--no-defaults",
                "--user=root",
                "--auth-root-authentication-method=normal",
            ])
            .arg(format!("--datadir={}", dir.path().join("data").display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("mariadb-install-db must be installed (apt-get install mariadb-server) for this test");
        assert!(status.success(), "mariadb-install-db failed");
        PrivateMariaDb {
            dir,
            port: free_port(),
            child: None,
        }
    }

    fn url(&self, database: &str) -> String {
        format!("mysql://root@127.0.0.1:{}/{database}", self.port)
    }

    /// Starts the server on its data directory and waits until it answers.
    async fn start(&mut self) {
        let path = |name: &str| self.dir.path().join(name).display().to_string();
        let child = Command::new("/usr/sbin/mariadbd")
            .args([
                "--no-defaults",
                "--user=root",
                "--bind-address=127.0.0.1",
                "--skip-name-resolve",
                "--innodb-buffer-pool-size=32M",
            ])
            .arg(format!("--port={}", self.port))
            .arg(format!("--datadir={}", path("data")))
            .arg(format!("--socket={}", path("mysqld.sock")))
            .arg(format!("--pid-file={}", path("mysqld.pid")))
            .arg(format!("--log-error={}", path("error.log")))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mariadbd must be installed (apt-get install mariadb-server) for this test");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(db) = sea_orm::Database::connect(self.url("mysql")).await {
                db.close().await.ok();
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the private MariaDB did not come up: {}",
                std::fs::read_to_string(path("error.log")).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// SIGKILL: the server dies as in a crash, connections cut mid-stream.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateMariaDb {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What one request of the load got: when it was sent, how long it took,
/// its status and error code.
#[derive(Clone, Debug)]
struct Outcome {
    sent: Instant,
    took: Duration,
    status: StatusCode,
    code: Option<String>,
}

async fn database_restart_under_load_gives_503_then_recovers_without_restarting_opcms() {
    let mut server = PrivateMariaDb::install();
    server.start().await;
    {
        use sea_orm::ConnectionTrait;
        let admin = sea_orm::Database::connect(server.url("mysql")).await.expect("connect");
        admin
            .execute_unprepared("CREATE DATABASE opcms CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
            .await
            .expect("create database");
        admin.close().await.ok();
    }
    let url = server.url("opcms");
    let app = TestApp::spawn_with(Backend::MySql, |config| config.database_url = Secret::new(url)).await;
    let token = app.admin_token().await;
    for i in 0..20 {
        let created = app
            .post(
                "/api/v1/customers",
                Some(&token),
                &json!({"company_name": format!("故障演练客户{i}"), "customer_code": format!("F{i:04}"),
                        "account_id": format!("fault_{i}"), "device_series": ["X"], "account_status": "active"}),
            )
            .await;
        assert_eq!(created.status(), StatusCode::CREATED);
    }

    // Eight clients reading the customer list without pause, all along.
    let outcomes: Arc<Mutex<Vec<Outcome>>> = Arc::default();
    let running = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let (outcomes, running) = (outcomes.clone(), running.clone());
            let (client, url, token) = (app.client.clone(), app.url("/api/v1/customers"), token.clone());
            tokio::spawn(async move {
                while running.load(std::sync::atomic::Ordering::Relaxed) {
                    let sent = Instant::now();
                    let Ok(response) = client.get(&url).bearer_auth(&token).send().await else {
                        panic!("opcms itself stopped answering");
                    };
                    let status = response.status();
                    let body: Value = response.json().await.unwrap_or(Value::Null);
                    let code = body["error"]["code"].as_str().map(str::to_string);
                    outcomes.lock().expect("lock").push(Outcome {
                        sent,
                        took: sent.elapsed(),
                        status,
                        code,
                    });
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(2)).await;
    let killed_at = Instant::now();
    server.kill();
    tokio::time::sleep(Duration::from_secs(8)).await;
    let restarted_at = Instant::now();
    server.start().await;
    let up_at = Instant::now();

    // Back without restarting opcms: a read, then a write, within seconds.
    let mut recovered = None;
    while up_at.elapsed() < Duration::from_secs(20) {
        if app.get("/api/v1/customers", &token).await.status() == StatusCode::OK {
            recovered = Some(up_at.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recovered = recovered.expect("opcms serves again within 20 s of the database's return");
    let created = app
        .post(
            "/api/v1/customers",
            Some(&token),
            &json!({"company_name": "恢复后新客户", "customer_code": "F9999", "account_id": "fault_after",
                    "device_series": ["N"], "account_status": "active"}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED, "a write after the restart");
    tokio::time::sleep(Duration::from_millis(500)).await;
    running.store(false, std::sync::atomic::Ordering::Relaxed);
    for client in clients {
        client.await.expect("load client");
    }

    let outcomes = outcomes.lock().expect("lock").clone();
    let before: Vec<&Outcome> = outcomes.iter().filter(|o| o.sent + o.took < killed_at).collect();
    let down: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.sent > killed_at + Duration::from_millis(100) && o.sent + o.took < restarted_at)
        .collect();
    let after: Vec<&Outcome> = outcomes.iter().filter(|o| o.sent > up_at + recovered).collect();
    assert!(
        before.len() > 20 && before.iter().all(|o| o.status == StatusCode::OK),
        "served before the kill"
    );
    // Never a 500 or any other answer than OK or the 503 envelope.
    let odd: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| {
            o.status != StatusCode::OK
                && !(o.status == StatusCode::SERVICE_UNAVAILABLE && o.code.as_deref() == Some("DATABASE_UNAVAILABLE"))
        })
        .collect();
    assert!(odd.is_empty(), "only 200 or 503 DATABASE_UNAVAILABLE: {odd:?}");
    // While it is down: 503s, each within the pool's 3 s deadline (plus slack).
    assert!(
        // Each client waits up to 3 s a request: about one whole request each
        // fits between the kill and the restart.
        down.len() >= 4 && down.iter().all(|o| o.status == StatusCode::SERVICE_UNAVAILABLE),
        "503 while the database is down: {down:?}"
    );
    let slowest = down.iter().map(|o| o.took).max().unwrap_or_default();
    assert!(slowest < Duration::from_secs(5), "fails fast: slowest {slowest:?}");
    println!(
        "database down: {} requests answered 503, slowest in {slowest:?}; served again {recovered:?} after it returned",
        down.len()
    );
    assert!(
        !after.is_empty() && after.iter().all(|o| o.status == StatusCode::OK),
        "every request after recovery served"
    );
    // Nothing half-written: the 21 customers, once each.
    let list: Value = app
        .get("/api/v1/customers?page_size=100", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["total"], 21);
}
