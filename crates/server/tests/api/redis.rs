//! Redis shared by several instances (issue 27, DESIGN.md §20): two real
//! `opcms serve` processes on one database and one real `redis-server`
//! (started here on a port of its own) enforce one rate limit between them
//! and serve the dashboard from one cache that a write anywhere makes miss.
//! Redis is then stopped under traffic — requests are still answered, the
//! log says why the limits became per instance — and started again, and the
//! limits are shared again.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::analytics::{bill, customer};
use crate::helpers::*;
use crate::instances::{Instance, free_port, instance_log, start_instance_with};
use crate::server_backend_tests;

server_backend_tests!(
    two_instances_share_one_rate_limit_and_keep_answering_while_redis_is_away,
    the_dashboard_is_cached_once_for_all_instances_and_a_write_anywhere_shows,
);

/// Requests a minute per client IP in these tests: a budget the test spends
/// in well under the 6 s one request takes to come back.
const PER_MINUTE: usize = 10;

/// A `redis-server` of the test's own, keeping nothing on disk; killed when
/// dropped.
struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    async fn start(port: u16) -> RedisServer {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start redis-server ({e}): install it (Debian: apt-get install redis-server)")
            });
        let server = RedisServer { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !server.pings().await {
            assert!(Instant::now() < deadline, "redis-server on {port} did not answer PING");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn pings(&self) -> bool {
        let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await else {
            return false;
        };
        let mut answer = [0u8; 7];
        stream.write_all(b"PING\r\n").await.is_ok()
            && stream.read_exact(&mut answer).await.is_ok()
            && &answer == b"+PONG\r\n"
    }

    fn stop(mut self) -> u16 {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.port
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_with_redis(app: &TestApp, name: &'static str, redis: &str, metrics_port: u16) -> Instance {
    start_instance_with(
        app,
        name,
        &[
            ("OPCMS_REDIS_URL", redis.to_string()),
            ("OPCMS_RATE_LIMIT_PER_IP", PER_MINUTE.to_string()),
            ("OPCMS_METRICS_BIND", format!("127.0.0.1:{metrics_port}")),
            ("OPCMS_LOG", "info".to_string()),
        ],
    )
    .await
}

/// Unauthenticated calls to `/api/v1/auth/me`, alternating between the
/// instances: how many were let through (401) before the rest were refused
/// (429, with Retry-After), and which instances refused.
async fn spend_budget(instances: [&Instance; 2], calls: usize) -> (usize, [bool; 2]) {
    let client = reqwest::Client::new();
    let (mut through, mut refused) = (0, [false, false]);
    for call in 0..calls {
        let which = call % 2;
        let response = client
            .get(format!("{}/api/v1/auth/me", instances[which].url))
            .send()
            .await
            .expect("request");
        match response.status() {
            StatusCode::UNAUTHORIZED => through += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(
                    response.headers().contains_key("retry-after"),
                    "429 without Retry-After"
                );
                refused[which] = true;
            }
            other => panic!("unexpected {other} from {}", instances[which].url),
        }
    }
    (through, refused)
}

/// One of the instance's `/metrics` counters (0 when not counted yet).
async fn counter(metrics_port: u16, line_start: &str) -> u64 {
    let text = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .find(|line| line.starts_with(line_start))
        .and_then(|line| line.rsplit(' ').next())
        .map_or(0, |value| value.parse().expect("counter value"))
}

async fn two_instances_share_one_rate_limit_and_keep_answering_while_redis_is_away(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let redis = RedisServer::start(free_port()).await;
    let a = start_with_redis(&app, "redis-a", &redis.url(), free_port()).await;
    let b = start_with_redis(&app, "redis-b", &redis.url(), free_port()).await;

    // 1. One budget for both: each alone would let 10 through, 20 together.
    let started = Instant::now();
    let (through, refused) = spend_budget([&a, &b], 3 * PER_MINUTE).await;
    let replenished = usize::from(started.elapsed() >= Duration::from_secs(6));
    assert!(
        (PER_MINUTE..=PER_MINUTE + replenished).contains(&through),
        "{through} let through by two instances sharing a budget of {PER_MINUTE}"
    );
    assert_eq!(
        refused,
        [true, true],
        "both instances refuse once the shared budget is spent"
    );

    // 2. Redis goes away: requests are still answered (each instance counts
    // for itself, its own budget untouched so far), and the log says so.
    let port = redis.stop();
    let (through, _) = spend_budget([&a, &b], 2 * PER_MINUTE).await;
    assert!(through >= PER_MINUTE, "only {through} answered while Redis was away");
    for name in ["redis-a", "redis-b"] {
        let log = std::fs::read_to_string(instance_log(&app, name)).expect("log");
        assert!(
            log.contains("Redis is unavailable: rate limits are counted per instance"),
            "{name}'s log does not say Redis went away:\n{log}"
        );
    }

    // 3. Redis is back (empty, as after a restart): once the instances have
    // rested a second they share one budget again.
    let redis = RedisServer::start(port).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let started = Instant::now();
    let (through, refused) = spend_budget([&a, &b], 3 * PER_MINUTE).await;
    let replenished = usize::from(started.elapsed() >= Duration::from_secs(6));
    assert!(
        (PER_MINUTE..=PER_MINUTE + replenished).contains(&through),
        "{through} let through after Redis came back (shared budget {PER_MINUTE})"
    );
    assert_eq!(refused, [true, true]);
    let log = std::fs::read_to_string(instance_log(&app, "redis-a")).expect("log");
    // Once when first reached, once when back.
    assert_eq!(
        log.matches("Redis answers").count(),
        2,
        "the log does not say Redis is back:\n{log}"
    );
    drop(redis);
}

async fn the_dashboard_is_cached_once_for_all_instances_and_a_write_anywhere_shows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let redis = RedisServer::start(free_port()).await;
    let (metrics_a, metrics_b) = (free_port(), free_port());
    let a = start_with_redis(&app, "cache-a", &redis.url(), metrics_a).await;
    let b = start_with_redis(&app, "cache-b", &redis.url(), metrics_b).await;
    let hits = "opcms_shared_store_operations_total{op=\"cache_get\",outcome=\"hit\"}";
    let client = reqwest::Client::new();
    let dashboard = |instance: &Instance| {
        let request = client
            .get(format!("{}/api/v1/analytics/dashboard?period=2026-11", instance.url))
            .bearer_auth(&admin);
        async move {
            let response = request.send().await.expect("dashboard");
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<serde_json::Value>().await.expect("dashboard JSON")
        }
    };

    let first = customer(&app, &admin, "RDS001", None, "2026-11-03", None).await;
    bill(&app, &admin, first, "2026-11", "100.00", false).await;

    // A computes and keeps it; B reads A's copy.
    assert_eq!(dashboard(&a).await["receivable"], "100.00");
    let before = counter(metrics_b, hits).await;
    let cached = dashboard(&b).await;
    assert_eq!(cached["receivable"], "100.00");
    assert_eq!(
        counter(metrics_b, hits).await,
        before + 1,
        "B did not read the cached dashboard"
    );

    // A bill issued through a third instance, one without Redis at all: the
    // next read on either instance misses and shows it.
    let second = customer(&app, &admin, "RDS002", None, "2026-11-04", None).await;
    bill(&app, &admin, second, "2026-11", "23.45", false).await;
    let fresh = dashboard(&b).await;
    assert_eq!(fresh["receivable"], "123.45");
    assert_eq!(fresh["new_customers"], 2);
    assert_eq!(dashboard(&a).await["receivable"], "123.45");

    // Without Redis the dashboard is computed from the database, still right.
    drop(redis);
    let third = customer(&app, &admin, "RDS003", None, "2026-11-05", None).await;
    bill(&app, &admin, third, "2026-11", "0.55", false).await;
    assert_eq!(dashboard(&a).await["receivable"], "124.00");
    assert_eq!(dashboard(&b).await["receivable"], "124.00");
}
