//! Load test (issue 28, DESIGN.md §12: p99 < 50 ms at 500 concurrent users on
//! a 100,000-customer database, < 150 MB RSS under that load).
//!
//! Starts the real release `opcms serve` as a child process on a free port
//! of 127.0.0.1, with a fresh SQLite database in a temporary directory (or a
//! fresh database on the server `OPCMS_BENCH_DATABASE_URL` names), seeds
//! 100,000 customers with a year of bills, receipts and allocations by SQL
//! (customers whose id ends in 0 keep 12 open bills of 2026, the rest are
//! paid), creates one staff account per virtual user through the API
//! (operations, sales, management; each sales account owns its own slice of
//! customers) and signs each in past the forced password change. The
//! nightly `analytics.refresh` job, run once by hand and untimed, then
//! computes the analytics snapshots for the seeded data (the facts, today's
//! churn, credit and aging lists, two months of segments), as a night would
//! in production. The server
//! runs as in production otherwise (its job scheduler on), its log (warn and
//! above) going to a file whose last lines are printed at the end.
//!
//! **The mix.** `OPCMS_LOAD_USERS` virtual users (half operations, 35 % sales,
//! 15 % management), each with its own keep-alive connection like a browser
//! tab, loop for `OPCMS_LOAD_SECONDS`: pick a weighted action for their role,
//! run it, then think for 1–5 s. The actions and the requests they make:
//!
//! | action | requests |
//! |---|---|
//! | customer list | `GET /api/v1/customers?page=1&page_size=20` |
//! | a random page | `GET /api/v1/customers?page=N&page_size=20` |
//! | sorted | `GET /api/v1/customers?sort=…&page=1&page_size=20` |
//! | filtered | `GET /api/v1/customers?status=…&region=…` |
//! | search | `GET /api/v1/customers?q=<part of a code>` |
//! | detail | `GET /api/v1/customers/{id}` |
//! | edit | `GET /api/v1/customers/{id}`, 0.5–2 s of typing, `PATCH /api/v1/customers/{id}` with the `version` read |
//! | bills | `GET /api/v1/bills?period=2026-MM[&status=issued]` (with the totals) |
//! | a bill PDF | `GET /api/v1/customers/{id}/bills`, `GET /api/v1/bills/{id}/pdf` |
//! | payments | `GET /api/v1/payments[?status=…\|q=…]` |
//! | a receipt | `GET /api/v1/customers/{id}/bills?status=issued,partially_paid&sort=due_date`, `POST /api/v1/payments`, `POST /api/v1/payments/{id}/allocations` to one open bill |
//! | aging | `GET /api/v1/receivables/aging[?overdue_only=true]` |
//! | dashboard | `GET /api/v1/analytics/dashboard[?period=2026-MM]` |
//!
//! Sales users act on their own customers only (sales record no receipts).
//! A quarter of the edits go to a few "hot" customers, so real concurrent
//! edits happen: their 409 `VERSION_CONFLICT` (and an allocation's 409
//! `EXCEEDS_OUTSTANDING`/`BILL_NOT_OPEN`/`EXCEEDS_UNAPPLIED` when two people
//! paid the same bill at once) are counted apart, not as errors. Any other
//! non-2xx answer or failed request is an error.
//!
//! Printed: per request kind (read or write) the count, errors, 409s and
//! p50/p95/p99; the p99 of all reads (target < 50 ms) and of all writes
//! (target < 200 ms); the throughput; the server's peak memory over the mix,
//! sampled every second from `/proc/<pid>/status`: its private memory
//! (`RssAnon`, target < 150 MB) and its RSS, which on SQLite also counts
//! the pages of the memory-mapped database file the mix read (the kernel's
//! page cache, shared and reclaimable: MariaDB's buffer pool is not counted
//! either), and its `VmHWM` (whole life, setup included); the error count (target 0). A
//! missed target is printed MISS but does not fail the bench (benchmarks
//! report, tests assert); an unexpected error does (non-zero exit).
//!
//! Every minute of the mix it prints the RSS, threads, open files, requests
//! so far and what `/metrics` shows (the database pool's connections idle
//! and in use, and the requests and 5xx the server itself counted),
//! then the private memory at the end of the warm-up (the first 2 minutes, or the first
//! half of a run shorter than 4 minutes) against the end, and the growth:
//! what a soak test reads.
//!
//! **Saturation.** Then, closed loop: `OPCMS_LOAD_CONNECTIONS` workers with no
//! pause, for `OPCMS_LOAD_SATURATION_SECONDS` per endpoint, as management:
//! `/healthz` (the ceiling), then the customer list, search, detail, the bill
//! list with totals, the payment list, aging and the dashboard; req/s and
//! p50/p99 each, next to `/healthz`'s.
//!
//! The rate limits are off (`OPCMS_RATE_LIMIT_PER_IP=0`,
//! `OPCMS_RATE_LIMIT_PER_USER=0`): all the load comes from 127.0.0.1, which
//! the per-IP limit would count as one client. The load generator shares
//! the machine's cores with the server (and the database server).
//!
//! Knobs (environment):
//! - `OPCMS_LOAD_CUSTOMERS` (default 100000)
//! - `OPCMS_LOAD_USERS` virtual users (default 500)
//! - `OPCMS_LOAD_SECONDS` of the mix (default 300)
//! - `OPCMS_LOAD_MODE` `all` (default: mix, then saturation), `mix`, `saturation`
//! - `OPCMS_LOAD_CONNECTIONS` saturation workers (default 64)
//! - `OPCMS_LOAD_SATURATION_SECONDS` per endpoint (default 10)
//! - `OPCMS_BENCH_DATABASE_URL` `mysql://…` or `postgres://…`: run on that
//!   server (a fresh `opcms_bench_load_<n>` database) instead of SQLite
//!
//! Run:
//!
//! ```text
//! cargo bench -p opcms --bench load
//! OPCMS_BENCH_DATABASE_URL=mysql://root@127.0.0.1:3306/test cargo bench -p opcms --bench load
//! # the 30-minute soak (RSS every minute, growth after the warm-up at the end):
//! OPCMS_LOAD_SECONDS=1800 OPCMS_LOAD_USERS=100 OPCMS_LOAD_MODE=mix cargo bench -p opcms --bench load
//! ```
//!
//! Access tokens last 2 hours, longer than any run here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use support::{env_number, figure, percentile, seed_customers, sign_in};

mod support;

const ADMIN_INITIAL: &str = "Initial123";
const ADMIN_PASSWORD: &str = "Bench12345";
const USER_INITIAL: &str = "Initial123";
const USER_PASSWORD: &str = "Load12345a";
const YEAR: i32 = 2026;
const PAGE_SIZE: i64 = 20;
const READ_TARGET_MS: f64 = 50.0;
const WRITE_TARGET_MS: f64 = 200.0;
const RSS_TARGET_MB: f64 = 150.0;
const REGIONS: [&str; 8] = [
    "北京市",
    "上海市",
    "广东省深圳市",
    "浙江省杭州市",
    "四川省成都市",
    "湖北省武汉市",
    "江苏省南京市",
    "陕西省西安市",
];

// ---------------------------------------------------------------- the server

/// The child `opcms serve`; killed when dropped (on success, error or panic).
struct Server {
    child: Child,
    pid: u32,
    base: String,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(dir: &Path, database_url: &str) -> anyhow::Result<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log = dir.join("server.log");
        let out = std::fs::File::create(&log)?;
        let child = Command::new(env!("CARGO_BIN_EXE_opcms"))
            .arg("serve")
            .env("OPCMS_BIND", format!("127.0.0.1:{port}"))
            .env("OPCMS_DATA_DIR", dir)
            .env("OPCMS_DATABASE_URL", database_url)
            .env("OPCMS_ADMIN_PASSWORD", ADMIN_INITIAL)
            .env("OPCMS_LOG", "warn")
            .env("NO_COLOR", "1")
            // All the load comes from 127.0.0.1: a per-IP limit would see one client.
            .env("OPCMS_RATE_LIMIT_PER_IP", "0")
            .env("OPCMS_RATE_LIMIT_PER_USER", "0")
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()?;
        let pid = child.id();
        Ok(Server {
            child,
            pid,
            base: format!("http://127.0.0.1:{port}"),
            log,
        })
    }

    /// Waits until `/healthz` answers (the migrations have run).
    async fn wait_healthy(&mut self) -> anyhow::Result<()> {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build()?;
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!("opcms serve exited ({status}): {}", self.log_tail(20));
            }
            if let Ok(response) = client.get(format!("{}/healthz", self.base)).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(300),
                "opcms serve did not answer /healthz within 300 s: {}",
                self.log_tail(20)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

/// `VmRSS`, `VmHWM` (kB) and threads of a process, and the RSS split into
/// private memory (`RssAnon`) and mapped file pages (`RssFile`, SQLite's
/// memory-mapped database: the kernel's page cache, shared and reclaimable).
#[derive(Clone, Copy, Default)]
struct ProcStatus {
    rss_kb: u64,
    hwm_kb: u64,
    anon_kb: u64,
    file_kb: u64,
    threads: u64,
}

fn proc_status(pid: u32) -> Option<ProcStatus> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let mut status = ProcStatus::default();
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        let (Some(key), Some(value)) = (parts.next(), parts.next()) else {
            continue;
        };
        let value = value.parse().unwrap_or(0);
        match key {
            "VmRSS:" => status.rss_kb = value,
            "VmHWM:" => status.hwm_kb = value,
            "RssAnon:" => status.anon_kb = value,
            "RssFile:" => status.file_kb = value,
            "Threads:" => status.threads = value,
            _ => {}
        }
    }
    Some(status)
}

fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |dir| dir.count())
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// The server's RSS, sampled every second: the latest and the peak since
/// the last [`Memory::reset_peak`].
#[derive(Default)]
struct Memory {
    current_kb: AtomicU64,
    peak_kb: AtomicU64,
    private_kb: AtomicU64,
    private_peak_kb: AtomicU64,
}

impl Memory {
    fn sample_every_second(self: &Arc<Self>, pid: u32) {
        let memory = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                let Some(status) = proc_status(pid) else { break };
                memory.current_kb.store(status.rss_kb, Ordering::Relaxed);
                memory.peak_kb.fetch_max(status.rss_kb, Ordering::Relaxed);
                memory.private_kb.store(status.anon_kb, Ordering::Relaxed);
                memory.private_peak_kb.fetch_max(status.anon_kb, Ordering::Relaxed);
            }
        });
    }

    fn reset_peak(&self, pid: u32) {
        let now = proc_status(pid).unwrap_or_default();
        self.current_kb.store(now.rss_kb, Ordering::Relaxed);
        self.peak_kb.store(now.rss_kb, Ordering::Relaxed);
        self.private_kb.store(now.anon_kb, Ordering::Relaxed);
        self.private_peak_kb.store(now.anon_kb, Ordering::Relaxed);
    }

    fn current(&self) -> u64 {
        self.current_kb.load(Ordering::Relaxed)
    }

    fn peak(&self) -> u64 {
        self.peak_kb.load(Ordering::Relaxed)
    }

    fn private(&self) -> u64 {
        self.private_kb.load(Ordering::Relaxed)
    }

    fn private_peak(&self) -> u64 {
        self.private_peak_kb.load(Ordering::Relaxed)
    }
}

/// What `/metrics` says: its pool lines, and the requests and 5xx answers
/// the server counted.
async fn metrics_line(client: &reqwest::Client, base: &str) -> String {
    let text = match client.get(format!("{base}/metrics")).send().await {
        Ok(response) => response.text().await.unwrap_or_default(),
        Err(e) => return format!("/metrics unreadable: {e}"),
    };
    let pool: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && l.to_ascii_lowercase().contains("pool"))
        .collect();
    let (mut served, mut failed) = (0.0, 0.0);
    for line in text.lines().filter(|l| l.starts_with("opcms_http_requests_total{")) {
        let value: f64 = line.rsplit(' ').next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
        served += value;
        if line.contains("status=\"5") {
            failed += value;
        }
    }
    let pool = if pool.is_empty() {
        "no pool figures on /metrics".to_string()
    } else {
        pool.join("; ")
    };
    format!("server counted {served:.0} requests, {failed:.0} 5xx; {pool}")
}

// ---------------------------------------------------------------- recording

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Healthz,
    CustomersFirstPage,
    CustomersRandomPage,
    CustomersSorted,
    CustomersFiltered,
    CustomersSearch,
    CustomerDetail,
    CustomerEdit,
    Bills,
    CustomerBills,
    BillPdf,
    Payments,
    PaymentCreate,
    PaymentAllocate,
    Aging,
    Dashboard,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Healthz => "/healthz",
            Kind::CustomersFirstPage => "GET /customers (page 1)",
            Kind::CustomersRandomPage => "GET /customers (random page)",
            Kind::CustomersSorted => "GET /customers (sorted)",
            Kind::CustomersFiltered => "GET /customers (status/region filter)",
            Kind::CustomersSearch => "GET /customers?q= (search)",
            Kind::CustomerDetail => "GET /customers/{id}",
            Kind::CustomerEdit => "PATCH /customers/{id} (with version)",
            Kind::Bills => "GET /bills?period= (with totals)",
            Kind::CustomerBills => "GET /customers/{id}/bills",
            Kind::BillPdf => "GET /bills/{id}/pdf",
            Kind::Payments => "GET /payments",
            Kind::PaymentCreate => "POST /payments",
            Kind::PaymentAllocate => "POST /payments/{id}/allocations",
            Kind::Aging => "GET /receivables/aging",
            Kind::Dashboard => "GET /analytics/dashboard",
        }
    }

    fn is_write(self) -> bool {
        matches!(self, Kind::CustomerEdit | Kind::PaymentCreate | Kind::PaymentAllocate)
    }
}

#[derive(Default)]
struct KindStats {
    /// Latencies of the requests answered (whatever the status).
    samples: Vec<Duration>,
    /// Requests that got no answer (connection failed, timed out).
    unanswered: u64,
    errors: u64,
    conflicts: u64,
}

/// One virtual user's (or worker's) record, merged at the end.
#[derive(Default)]
struct Recorder {
    kinds: BTreeMap<Kind, KindStats>,
    error_samples: Vec<String>,
}

impl Recorder {
    fn merge(&mut self, other: Recorder) {
        for (kind, stats) in other.kinds {
            let mine = self.kinds.entry(kind).or_default();
            mine.samples.extend(stats.samples);
            mine.unanswered += stats.unanswered;
            mine.errors += stats.errors;
            mine.conflicts += stats.conflicts;
        }
        for sample in other.error_samples {
            if self.error_samples.len() < 20 && !self.error_samples.contains(&sample) {
                self.error_samples.push(sample);
            }
        }
    }

    fn error(&mut self, kind: Kind, what: String) {
        self.kinds.entry(kind).or_default().errors += 1;
        if self.error_samples.len() < 5 {
            self.error_samples.push(format!("{}: {what}", kind.label()));
        }
    }
}

/// Counters the per-minute report reads while the mix runs.
#[derive(Default)]
struct Live {
    requests: AtomicU64,
    errors: AtomicU64,
}

/// Where requests go and as whom.
#[derive(Clone, Copy)]
struct Caller<'a> {
    client: &'a reqwest::Client,
    base: &'a str,
    token: Option<&'a str>,
    live: &'a Live,
}

/// Sends one request; its latency (answer read whole) is recorded under
/// `kind`. The JSON answer (`Null` for a PDF) on 2xx; `None` otherwise
/// (a 409 with one of `conflicts` as its code counted apart).
async fn call(
    caller: Caller<'_>,
    rec: &mut Recorder,
    kind: Kind,
    method: Method,
    path: &str,
    body: Option<&Value>,
    conflicts: &[&str],
) -> Option<Value> {
    let live = caller.live;
    let mut request = caller.client.request(method, format!("{}{path}", caller.base));
    if let Some(token) = caller.token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let started = Instant::now();
    let answer = match request.send().await {
        Ok(response) => {
            let status = response.status();
            response.bytes().await.map(|bytes| (status, bytes))
        }
        Err(e) => Err(e),
    };
    let elapsed = started.elapsed();
    live.requests.fetch_add(1, Ordering::Relaxed);
    let (status, bytes) = match answer {
        Ok(answer) => answer,
        Err(e) => {
            live.errors.fetch_add(1, Ordering::Relaxed);
            rec.kinds.entry(kind).or_default().unanswered += 1;
            rec.error(kind, format!("{path}: {e}"));
            return None;
        }
    };
    rec.kinds.entry(kind).or_default().samples.push(elapsed);
    if status.is_success() {
        if kind == Kind::BillPdf {
            if bytes.starts_with(b"%PDF") {
                return Some(Value::Null);
            }
            live.errors.fetch_add(1, Ordering::Relaxed);
            rec.error(kind, format!("{path}: {status} but not a PDF"));
            return None;
        }
        match serde_json::from_slice(&bytes) {
            Ok(value) => return Some(value),
            Err(e) => {
                live.errors.fetch_add(1, Ordering::Relaxed);
                rec.error(kind, format!("{path}: {status} with a body that is not JSON: {e}"));
                return None;
            }
        }
    }
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let code = body["error"]["code"].as_str().unwrap_or_default();
    if status == StatusCode::CONFLICT && conflicts.contains(&code) {
        rec.kinds.entry(kind).or_default().conflicts += 1;
        return None;
    }
    live.errors.fetch_add(1, Ordering::Relaxed);
    let text = String::from_utf8_lossy(&bytes);
    let text: String = text.chars().take(300).collect();
    rec.error(kind, format!("{path}: {status} {text}"));
    None
}

// ---------------------------------------------------------------- the mix

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Operations,
    Sales,
    Management,
}

impl Role {
    fn code(self) -> &'static str {
        match self {
            Role::Operations => "operations",
            Role::Sales => "sales",
            Role::Management => "management",
        }
    }

    /// Virtual user `i`'s role: half operations, 35 % sales, 15 % management.
    fn of(i: usize) -> Role {
        match i % 20 {
            0..=9 => Role::Operations,
            10..=16 => Role::Sales,
            _ => Role::Management,
        }
    }

    /// The weight of each of [`ACTIONS`] for this role.
    fn weights(self) -> [u32; 13] {
        match self {
            //                     list page sort filt srch det edit bill pdf pay rcpt aging dash
            Role::Operations => [10, 4, 5, 8, 12, 15, 8, 8, 4, 6, 8, 7, 5],
            Role::Sales => [14, 5, 5, 8, 10, 20, 8, 10, 6, 6, 0, 4, 4],
            Role::Management => [8, 3, 4, 6, 6, 10, 3, 12, 4, 10, 4, 12, 18],
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Action {
    List,
    RandomPage,
    Sorted,
    Filter,
    Search,
    Detail,
    Edit,
    Bills,
    Pdf,
    Payments,
    Receipt,
    Aging,
    Dashboard,
}

const ACTIONS: [Action; 13] = [
    Action::List,
    Action::RandomPage,
    Action::Sorted,
    Action::Filter,
    Action::Search,
    Action::Detail,
    Action::Edit,
    Action::Bills,
    Action::Pdf,
    Action::Payments,
    Action::Receipt,
    Action::Aging,
    Action::Dashboard,
];

fn pick(rng: &mut StdRng, weights: &[u32; 13]) -> Action {
    let mut left = rng.random_range(0..weights.iter().sum::<u32>());
    for (action, weight) in ACTIONS.iter().zip(weights) {
        if left < *weight {
            return *action;
        }
        left -= weight;
    }
    Action::List
}

/// A signed-in account and the customers it works on (ids `first..=last`).
#[derive(Clone)]
struct Account {
    role: Role,
    token: String,
    first: i64,
    last: i64,
}

struct VirtualUser {
    index: usize,
    account: Account,
    client: reqwest::Client,
    base: Arc<str>,
    live: Arc<Live>,
    rng: StdRng,
    rec: Recorder,
    receipts: u64,
}

impl VirtualUser {
    async fn call(
        &mut self,
        kind: Kind,
        method: Method,
        path: &str,
        body: Option<&Value>,
        conflicts: &[&str],
    ) -> Option<Value> {
        let caller = Caller {
            client: &self.client,
            base: &self.base,
            token: Some(&self.account.token),
            live: &self.live,
        };
        call(
            caller,
            &mut self.rec,
            kind,
            method,
            &format!("/api/v1{path}"),
            body,
            conflicts,
        )
        .await
    }

    async fn get(&mut self, kind: Kind, path: &str) -> Option<Value> {
        self.call(kind, Method::GET, path, None, &[]).await
    }

    fn customer(&mut self) -> i64 {
        self.rng.random_range(self.account.first..=self.account.last)
    }

    /// A customer with open bills (id a multiple of 10) in scope.
    fn customer_with_open_bills(&mut self) -> i64 {
        let id = self.customer();
        let id = id - id % 10;
        if id >= self.account.first {
            id
        } else if id + 10 <= self.account.last {
            id + 10
        } else {
            self.customer()
        }
    }

    fn pages(&self) -> i64 {
        ((self.account.last - self.account.first + 1) + PAGE_SIZE - 1) / PAGE_SIZE
    }

    fn month(&mut self) -> String {
        format!("{YEAR}-{:02}", self.rng.random_range(1..=12))
    }

    /// Part of a customer code in scope (`B0001234`), as someone would type it.
    fn code_fragment(&mut self) -> String {
        let code = format!("B{:07}", self.customer());
        if self.rng.random_bool(0.5) {
            code
        } else {
            let keep = self.rng.random_range(5..=7);
            code[..keep].to_string()
        }
    }

    /// `yes` with probability `p`, else `no`: an optional filter a person
    /// sometimes adds.
    fn either<'s>(&mut self, p: f64, yes: &'s str, no: &'s str) -> &'s str {
        if self.rng.random_bool(p) { yes } else { no }
    }

    async fn pause(&mut self, from_ms: u64, to_ms: u64) {
        let ms = self.rng.random_range(from_ms..=to_ms);
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }

    async fn act(&mut self, action: Action) {
        let size = PAGE_SIZE;
        match action {
            Action::List => {
                self.get(Kind::CustomersFirstPage, &format!("/customers?page=1&page_size={size}"))
                    .await;
            }
            Action::RandomPage => {
                let page = self.rng.random_range(1..=self.pages());
                self.get(
                    Kind::CustomersRandomPage,
                    &format!("/customers?page={page}&page_size={size}"),
                )
                .await;
            }
            Action::Sorted => {
                let sorts = [
                    "customer_code",
                    "-customer_code",
                    "company_name",
                    "-updated_at",
                    "level",
                    "-created_at",
                ];
                let sort = sorts[self.rng.random_range(0..sorts.len())];
                self.get(
                    Kind::CustomersSorted,
                    &format!("/customers?sort={sort}&page=1&page_size={size}"),
                )
                .await;
            }
            Action::Filter => {
                let status = self.either(0.7, "active", "arrears");
                let region = REGIONS[self.rng.random_range(0..REGIONS.len())];
                let query = match self.rng.random_range(0..3) {
                    0 => format!("status={status}"),
                    1 => format!("region={region}"),
                    _ => format!("status={status}&region={region}"),
                };
                self.get(
                    Kind::CustomersFiltered,
                    &format!("/customers?{query}&page=1&page_size={size}"),
                )
                .await;
            }
            Action::Search => {
                let q = self.code_fragment();
                self.get(
                    Kind::CustomersSearch,
                    &format!("/customers?q={q}&page=1&page_size={size}"),
                )
                .await;
            }
            Action::Detail => {
                let id = self.customer();
                self.get(Kind::CustomerDetail, &format!("/customers/{id}")).await;
            }
            Action::Edit => self.edit().await,
            Action::Bills => {
                let period = self.month();
                let status = self.either(0.3, "&status=issued", "");
                self.get(
                    Kind::Bills,
                    &format!("/bills?period={period}{status}&page=1&page_size={size}"),
                )
                .await;
            }
            Action::Pdf => {
                let id = self.customer();
                let Some(bills) = self
                    .get(
                        Kind::CustomerBills,
                        &format!("/customers/{id}/bills?page=1&page_size=12"),
                    )
                    .await
                else {
                    return;
                };
                let ids: Vec<i64> = bills["items"]
                    .as_array()
                    .map(|items| items.iter().filter_map(|b| b["id"].as_i64()).collect())
                    .unwrap_or_default();
                if ids.is_empty() {
                    return;
                }
                let bill = ids[self.rng.random_range(0..ids.len())];
                self.pause(300, 1500).await;
                self.get(Kind::BillPdf, &format!("/bills/{bill}/pdf")).await;
            }
            Action::Payments => {
                let filter = match self.rng.random_range(0..10) {
                    0 => "&status=unapplied,partially_applied".to_string(),
                    1 => format!("&q={}", self.code_fragment()),
                    _ => String::new(),
                };
                self.get(Kind::Payments, &format!("/payments?page=1&page_size={size}{filter}"))
                    .await;
            }
            Action::Receipt => self.receipt().await,
            Action::Aging => {
                let filter = self.either(0.3, "&overdue_only=true", "");
                let page = if self.rng.random_bool(0.2) {
                    self.rng.random_range(2..=10)
                } else {
                    1
                };
                self.get(
                    Kind::Aging,
                    &format!("/receivables/aging?page={page}&page_size={size}{filter}"),
                )
                .await;
            }
            Action::Dashboard => {
                let path = if self.rng.random_bool(0.2) {
                    format!(
                        "/analytics/dashboard?period={YEAR}-{:02}",
                        self.rng.random_range(1..=11)
                    )
                } else {
                    "/analytics/dashboard".to_string()
                };
                self.get(Kind::Dashboard, &path).await;
            }
        }
    }

    /// Read, type for a moment, save with the version read. A quarter of
    /// the edits go to the scope's first 10 customers, where people collide.
    async fn edit(&mut self) {
        let id = if self.rng.random_bool(0.25) {
            let hot = (self.account.first + 9).min(self.account.last);
            self.rng.random_range(self.account.first..=hot)
        } else {
            self.customer()
        };
        let Some(customer) = self.get(Kind::CustomerDetail, &format!("/customers/{id}")).await else {
            return;
        };
        let version = customer["version"].as_i64().unwrap_or(1);
        self.pause(500, 2000).await;
        let n = self.rng.random_range(1000..10000);
        let body = match (self.account.role, self.rng.random_range(0..2)) {
            // Sales may change the contact fields only.
            (Role::Sales, _) => json!({"version": version, "contact_name": format!("联系人{n}")}),
            (_, 0) => json!({"version": version, "remarks": format!("负载测试备注 {n}")}),
            _ => {
                let level = ["A", "B", "C"][n % 3];
                json!({"version": version, "level": level})
            }
        };
        self.call(
            Kind::CustomerEdit,
            Method::PATCH,
            &format!("/customers/{id}"),
            Some(&body),
            &["VERSION_CONFLICT"],
        )
        .await;
    }

    /// A receipt recorded and allocated to one of the customer's open bills
    /// (the oldest three; two people may pay the same bill at once).
    async fn receipt(&mut self) {
        let id = self.customer_with_open_bills();
        let Some(bills) = self
            .get(
                Kind::CustomerBills,
                &format!("/customers/{id}/bills?status=issued,partially_paid&sort=due_date&page=1&page_size=20"),
            )
            .await
        else {
            return;
        };
        let open: Vec<(i64, Decimal)> = bills["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|b| Some((b["id"].as_i64()?, b["outstanding"].as_str()?.parse::<Decimal>().ok()?)))
                    .filter(|(_, outstanding)| *outstanding > Decimal::ZERO)
                    .collect()
            })
            .unwrap_or_default();
        self.pause(500, 1500).await;
        let amount = Decimal::from(self.rng.random_range(100..=800));
        let methods = ["bank_transfer", "bank_transfer", "wechat", "alipay", "cheque", "cash"];
        let method = methods[self.rng.random_range(0..methods.len())];
        self.receipts += 1;
        // Yesterday (UTC): never in the future whatever the server's time zone.
        let received = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive();
        let body = json!({
            "customer_id": id,
            "amount": format!("{amount:.2}"),
            "received_at": received.to_string(),
            "method": method,
            "payer_name": format!("负载{id:07}公司"),
            "reference": format!("LOAD-{}-{}", self.index, self.receipts),
        });
        let Some(payment) = self
            .call(Kind::PaymentCreate, Method::POST, "/payments", Some(&body), &[])
            .await
        else {
            return;
        };
        let (Some(payment_id), false) = (payment["id"].as_i64(), open.is_empty()) else {
            return; // kept as the customer's balance (预收)
        };
        let (bill, outstanding) = open[self.rng.random_range(0..open.len().min(3))];
        let share = amount
            .min(outstanding)
            .round_dp_with_strategy(2, RoundingStrategy::ToZero);
        let body = json!({"allocations": [{"bill_id": bill, "amount": format!("{share:.2}")}]});
        self.call(
            Kind::PaymentAllocate,
            Method::POST,
            &format!("/payments/{payment_id}/allocations"),
            Some(&body),
            &["EXCEEDS_OUTSTANDING", "BILL_NOT_OPEN", "EXCEEDS_UNAPPLIED"],
        )
        .await;
    }

    async fn run(mut self, deadline: Instant) -> Recorder {
        // Staggered arrivals: everyone starts within the first 5 s.
        self.pause(0, 5000).await;
        let weights = self.account.role.weights();
        while Instant::now() < deadline {
            let action = pick(&mut self.rng, &weights);
            self.act(action).await;
            let think = Duration::from_millis(self.rng.random_range(1000..=5000));
            let left = deadline.saturating_duration_since(Instant::now());
            tokio::time::sleep(think.min(left)).await;
        }
        self.rec
    }
}

// ---------------------------------------------------------------- setup

/// Creates one account per virtual user through the API; (role, id, username).
async fn create_accounts(
    client: &reqwest::Client,
    base: &str,
    admin: &str,
    users: usize,
) -> anyhow::Result<Vec<(Role, i64, String)>> {
    let created = futures::stream::iter((0..users).map(|i| async move {
        let role = Role::of(i);
        let username = format!("load_{}_{i:04}", role.code());
        let body = json!({"username": username, "password": USER_INITIAL, "role": role.code(),
            "display_name": format!("负载{}{i}", role.code())});
        let user = support::send(
            client
                .post(format!("{base}/api/v1/users"))
                .bearer_auth(admin)
                .json(&body),
        )
        .await?;
        let id = user["id"]
            .as_i64()
            .ok_or_else(|| anyhow::anyhow!("no user id: {user}"))?;
        anyhow::Ok((role, id, username))
    }))
    .buffered(2)
    .collect::<Vec<_>>()
    .await;
    created.into_iter().collect()
}

/// The data, by SQL around the analytics triggers (as a restore loads), then
/// every customer marked for the analytics snapshots once.
async fn seed(db: &sea_orm::DatabaseConnection, customers: usize, sales: &[(i64, i64, i64)]) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    for statement in opcms::db::migrations::analytics_drop_triggers(backend) {
        db.execute_unprepared(&statement).await?;
    }
    seed_customers(db, customers, "负载").await?;
    let regions: Vec<String> = REGIONS
        .iter()
        .enumerate()
        .map(|(i, r)| format!("WHEN {i} THEN '{r}'"))
        .collect();
    db.execute_unprepared(&format!(
        "UPDATE customers SET region = CASE id % {} {} END, \
           level = CASE id % 3 WHEN 0 THEN 'A' WHEN 1 THEN 'B' ELSE 'C' END, \
           account_status = CASE WHEN id % 30 = 0 THEN 'arrears' ELSE 'active' END",
        REGIONS.len(),
        regions.join(" ")
    ))
    .await?;
    for (user, first, last) in sales {
        db.execute_unprepared(&format!(
            "UPDATE customers SET sales_owner_id = {user} WHERE id BETWEEN {first} AND {last}"
        ))
        .await?;
    }
    support::seed_year_of_bills(db, YEAR).await?;
    for statement in opcms::db::migrations::analytics_create_triggers(backend) {
        db.execute_unprepared(&statement).await?;
    }
    for statement in opcms::db::migrations::ANALYTICS_MARK_EVERYTHING {
        db.execute_unprepared(statement).await?;
    }
    opcms::db::refresh_statistics(db).await?;
    Ok(())
}

async fn id_range(db: &sea_orm::DatabaseConnection) -> anyhow::Result<(i64, i64)> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT MIN(id) AS lo, MAX(id) AS hi FROM customers",
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no customers"))?;
    Ok((row.try_get("", "lo")?, row.try_get("", "hi")?))
}

// ---------------------------------------------------------------- reports

fn ms(samples: &[Duration], p: f64) -> f64 {
    if samples.is_empty() {
        0.0
    } else {
        percentile(samples, p)
    }
}

fn verdict(pass: bool) -> &'static str {
    if pass { "PASS" } else { "MISS" }
}

struct MixResult {
    errors: u64,
}

async fn run_mix(
    server: &Server,
    memory: &Arc<Memory>,
    accounts: Vec<Account>,
    seconds: u64,
) -> anyhow::Result<MixResult> {
    let users = accounts.len();
    let live = Arc::new(Live::default());
    let base: Arc<str> = server.base.as_str().into();
    let warmup = if seconds >= 240 { 120 } else { seconds / 2 };
    println!("\n=== mix: {users} virtual users for {seconds} s (think time 1–5 s; warm-up {warmup} s) ===");
    let mut vus = Vec::with_capacity(users);
    for (index, account) in accounts.into_iter().enumerate() {
        vus.push(VirtualUser {
            index,
            account,
            // Its own keep-alive connection, as a browser tab has.
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .connect_timeout(Duration::from_secs(10))
                .build()?,
            base: base.clone(),
            live: live.clone(),
            rng: StdRng::seed_from_u64(index as u64 + 1),
            rec: Recorder::default(),
            receipts: 0,
        });
    }

    memory.reset_peak(server.pid);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let done = Arc::new(AtomicBool::new(false));
    let warm_rss = Arc::new(AtomicU64::new(0));
    let monitor = {
        let (done, warm_rss, memory, live) = (done.clone(), warm_rss.clone(), memory.clone(), live.clone());
        let (base, pid) = (server.base.clone(), server.pid);
        tokio::spawn(async move {
            let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            let mut second = 0;
            while !done.load(Ordering::Relaxed) {
                tick.tick().await;
                second += 1;
                if second == warmup {
                    warm_rss.store(memory.private(), Ordering::Relaxed);
                    println!(
                        "[{second:>4} s] warm-up over: RSS {:.1} MB, private {:.1} MB",
                        mb(memory.current()),
                        mb(memory.private())
                    );
                }
                if second % 60 == 0 {
                    let status = proc_status(pid).unwrap_or_default();
                    println!(
                        "[{:>4} s] RSS {:6.1} MB (peak {:6.1}; now {:.1} private, {:.1} file), {} threads, {} open files; {} requests, {} errors; {}",
                        second,
                        mb(status.rss_kb),
                        mb(memory.peak()),
                        mb(status.anon_kb),
                        mb(status.file_kb),
                        status.threads,
                        open_files(pid),
                        live.requests.load(Ordering::Relaxed),
                        live.errors.load(Ordering::Relaxed),
                        metrics_line(&client, &base).await,
                    );
                }
            }
            anyhow::Ok(())
        })
    };
    let handles: Vec<_> = vus.into_iter().map(|vu| tokio::spawn(vu.run(deadline))).collect();
    let mut rec = Recorder::default();
    for handle in handles {
        rec.merge(handle.await?);
    }
    let elapsed = started.elapsed();
    done.store(true, Ordering::Relaxed);
    monitor.await??;
    let end = proc_status(server.pid).unwrap_or_default();
    let peak_rss = memory.peak().max(end.rss_kb);
    // What the server itself holds: with SQLite's database file mapped, the
    // RSS also counts the file's pages the mix touched, which are the
    // kernel's page cache (shared, clean, dropped under memory pressure).
    let peak_private = memory.private_peak().max(end.anon_kb);
    let end_private = end.anon_kb;

    // The table.
    println!(
        "\n{:<40} {:<5} {:>8} {:>6} {:>5} {:>8} {:>8} {:>8}",
        "request", "class", "count", "errors", "409s", "p50 ms", "p95 ms", "p99 ms"
    );
    let (mut reads, mut writes) = (Vec::new(), Vec::new());
    let (mut total, mut errors, mut conflicts) = (0u64, 0u64, 0u64);
    for (kind, stats) in &mut rec.kinds {
        stats.samples.sort();
        let s = &stats.samples;
        println!(
            "{:<40} {:<5} {:>8} {:>6} {:>5} {:>8.1} {:>8.1} {:>8.1}",
            kind.label(),
            if kind.is_write() { "write" } else { "read" },
            s.len() as u64 + stats.unanswered,
            stats.errors,
            stats.conflicts,
            ms(s, 0.5),
            ms(s, 0.95),
            ms(s, 0.99)
        );
        figure(
            &format!("mix {}", kind.label()),
            format!("p50 {:.1} / p99 {:.1} ms", ms(s, 0.5), ms(s, 0.99)),
        );
        total += s.len() as u64 + stats.unanswered;
        errors += stats.errors;
        conflicts += stats.conflicts;
        if kind.is_write() {
            writes.extend_from_slice(s);
        } else {
            reads.extend_from_slice(s);
        }
    }
    reads.sort();
    writes.sort();
    let (read_p99, write_p99) = (ms(&reads, 0.99), ms(&writes, 0.99));
    let throughput = total as f64 / elapsed.as_secs_f64();
    let hwm = proc_status(server.pid).map_or(0, |s| s.hwm_kb);
    println!();
    println!(
        "reads   p50 {:6.1}  p95 {:6.1}  p99 {:6.1} ms  ({} requests)   target p99 < {READ_TARGET_MS} ms   {}",
        ms(&reads, 0.5),
        ms(&reads, 0.95),
        read_p99,
        reads.len(),
        verdict(read_p99 < READ_TARGET_MS)
    );
    println!(
        "writes  p50 {:6.1}  p95 {:6.1}  p99 {:6.1} ms  ({} requests)   target p99 < {WRITE_TARGET_MS} ms  {}",
        ms(&writes, 0.5),
        ms(&writes, 0.95),
        write_p99,
        writes.len(),
        verdict(write_p99 < WRITE_TARGET_MS)
    );
    println!(
        "throughput {throughput:.1} req/s ({total} requests in {:.0} s); {conflicts} expected 409s (concurrent edits)",
        elapsed.as_secs_f64()
    );
    println!(
        "server memory peak {:.1} MB private (RssAnon)   target < {RSS_TARGET_MB} MB   {}",
        mb(peak_private),
        verdict(mb(peak_private) < RSS_TARGET_MB),
    );
    println!(
        "server RSS peak {:.1} MB during the mix, with the mapped database file's pages (VmHWM {:.1} MB, whole life incl. setup)",
        mb(peak_rss),
        mb(hwm)
    );
    let warm = warm_rss.load(Ordering::Relaxed);
    if warm > 0 {
        let growth = (end_private as f64 - warm as f64) * 100.0 / warm as f64;
        println!(
            "server private memory after the {warmup} s warm-up {:.1} MB, at the end {:.1} MB: growth {growth:+.1} %",
            mb(warm),
            mb(end_private),
        );
        figure("mix private memory growth after warm-up", format!("{growth:+.1} %"));
    }
    println!("errors {errors}   target 0   {}", verdict(errors == 0));
    for sample in &rec.error_samples {
        println!("  error: {sample}");
    }
    figure("mix users × seconds", format!("{users} × {}", elapsed.as_secs()));
    figure(
        "mix read p99 (target < 50 ms)",
        format!("{read_p99:.1} ms {}", verdict(read_p99 < READ_TARGET_MS)),
    );
    figure(
        "mix write p99 (target < 200 ms)",
        format!("{write_p99:.1} ms {}", verdict(write_p99 < WRITE_TARGET_MS)),
    );
    figure("mix throughput", format!("{throughput:.1} req/s"));
    figure(
        "mix peak private memory (target < 150 MB)",
        format!(
            "{:.1} MB {}",
            mb(peak_private),
            verdict(mb(peak_private) < RSS_TARGET_MB)
        ),
    );
    figure("mix peak RSS incl. mapped database", format!("{:.1} MB", mb(peak_rss)));
    figure("mix VmHWM (whole life)", format!("{:.1} MB", mb(hwm)));
    figure("mix errors (target 0)", format!("{errors} {}", verdict(errors == 0)));
    figure("mix expected 409s", conflicts.to_string());
    Ok(MixResult { errors })
}

// ---------------------------------------------------------------- saturation

#[derive(Clone, Copy)]
enum Hot {
    Healthz,
    Customers,
    Search,
    Detail,
    Bills,
    Payments,
    Aging,
    Dashboard,
}

impl Hot {
    const ALL: [Hot; 8] = [
        Hot::Healthz,
        Hot::Customers,
        Hot::Search,
        Hot::Detail,
        Hot::Bills,
        Hot::Payments,
        Hot::Aging,
        Hot::Dashboard,
    ];

    fn label(self) -> &'static str {
        match self {
            Hot::Healthz => "/healthz",
            Hot::Customers => "GET /customers (page 1)",
            Hot::Search => "GET /customers?q=",
            Hot::Detail => "GET /customers/{id}",
            Hot::Bills => "GET /bills?period= (with totals)",
            Hot::Payments => "GET /payments",
            Hot::Aging => "GET /receivables/aging",
            Hot::Dashboard => "GET /analytics/dashboard",
        }
    }

    fn kind(self) -> Kind {
        match self {
            Hot::Healthz => Kind::Healthz,
            Hot::Customers => Kind::CustomersFirstPage,
            Hot::Search => Kind::CustomersSearch,
            Hot::Detail => Kind::CustomerDetail,
            Hot::Bills => Kind::Bills,
            Hot::Payments => Kind::Payments,
            Hot::Aging => Kind::Aging,
            Hot::Dashboard => Kind::Dashboard,
        }
    }

    fn path(self, rng: &mut StdRng, (first, last): (i64, i64)) -> String {
        match self {
            Hot::Healthz => "/healthz".into(),
            Hot::Customers => "/api/v1/customers?page=1&page_size=20".into(),
            Hot::Search => {
                let code = format!("B{:07}", rng.random_range(first..=last));
                format!(
                    "/api/v1/customers?q={}&page=1&page_size=20",
                    &code[..rng.random_range(5..=8)]
                )
            }
            Hot::Detail => format!("/api/v1/customers/{}", rng.random_range(first..=last)),
            Hot::Bills => format!(
                "/api/v1/bills?period={YEAR}-{:02}&page=1&page_size=20",
                rng.random_range(1..=12)
            ),
            Hot::Payments => "/api/v1/payments?page=1&page_size=20".into(),
            Hot::Aging => "/api/v1/receivables/aging?page=1&page_size=20".into(),
            Hot::Dashboard => "/api/v1/analytics/dashboard".into(),
        }
    }
}

async fn run_saturation(
    server: &Server,
    memory: &Arc<Memory>,
    admin: &str,
    ids: (i64, i64),
    connections: usize,
    seconds: u64,
) -> anyhow::Result<u64> {
    println!("\n=== saturation: {connections} connections, no pauses, {seconds} s per endpoint (as management) ===");
    println!(
        "{:<36} {:>9} {:>8} {:>8} {:>6} {:>11}",
        "endpoint", "req/s", "p50 ms", "p99 ms", "errors", "of /healthz"
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(connections)
        .build()?;
    let live = Arc::new(Live::default());
    let mut ceiling = 0.0;
    let mut errors = 0;
    let mut samples_shown = 0;
    memory.reset_peak(server.pid);
    for hot in Hot::ALL {
        let started = Instant::now();
        let deadline = started + Duration::from_secs(seconds);
        let workers: Vec<_> = (0..connections)
            .map(|w| {
                let (client, base, live) = (client.clone(), server.base.clone(), live.clone());
                let token = (!matches!(hot, Hot::Healthz)).then(|| admin.to_string());
                tokio::spawn(async move {
                    let mut rng = StdRng::seed_from_u64(10_000 + w as u64);
                    let mut rec = Recorder::default();
                    while Instant::now() < deadline {
                        let path = hot.path(&mut rng, ids);
                        let caller = Caller {
                            client: &client,
                            base: &base,
                            token: token.as_deref(),
                            live: &live,
                        };
                        call(caller, &mut rec, hot.kind(), Method::GET, &path, None, &[]).await;
                    }
                    rec
                })
            })
            .collect();
        let mut rec = Recorder::default();
        for worker in workers {
            rec.merge(worker.await?);
        }
        let elapsed = started.elapsed().as_secs_f64();
        let stats = rec.kinds.remove(&hot.kind()).unwrap_or_default();
        let mut samples = stats.samples;
        samples.sort();
        let rate = samples.len() as f64 / elapsed;
        if matches!(hot, Hot::Healthz) {
            ceiling = rate;
        }
        let share = if ceiling > 0.0 { rate * 100.0 / ceiling } else { 0.0 };
        println!(
            "{:<36} {:>9.1} {:>8.1} {:>8.1} {:>6} {:>10.1} %",
            hot.label(),
            rate,
            ms(&samples, 0.5),
            ms(&samples, 0.99),
            stats.errors,
            share
        );
        figure(
            &format!("saturation {}", hot.label()),
            format!("{rate:.0} req/s, p99 {:.1} ms", ms(&samples, 0.99)),
        );
        errors += stats.errors;
        for sample in rec.error_samples.into_iter().take(3) {
            if samples_shown < 10 {
                println!("  error: {sample}");
                samples_shown += 1;
            }
        }
    }
    println!(
        "server RSS peak {:.1} MB during saturation (VmHWM {:.1} MB)",
        mb(memory.peak()),
        mb(proc_status(server.pid).map_or(0, |s| s.hwm_kb))
    );
    figure("saturation peak RSS", format!("{:.1} MB", mb(memory.peak())));
    Ok(errors)
}

// ---------------------------------------------------------------- main

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let customers = env_number("OPCMS_LOAD_CUSTOMERS", 100_000).max(20);
    let users = env_number("OPCMS_LOAD_USERS", 500).max(1);
    let seconds = env_number("OPCMS_LOAD_SECONDS", 300).max(1) as u64;
    let connections = env_number("OPCMS_LOAD_CONNECTIONS", 64).max(1);
    let saturation_seconds = env_number("OPCMS_LOAD_SATURATION_SECONDS", 10).max(1) as u64;
    let mode = std::env::var("OPCMS_LOAD_MODE").unwrap_or_else(|_| "all".into());
    let (mix, saturation) = match mode.as_str() {
        "all" | "" => (true, true),
        "mix" => (true, false),
        "saturation" => (false, true),
        other => anyhow::bail!("OPCMS_LOAD_MODE: \"{other}\" is none of all, mix, saturation"),
    };

    // Declared first, dropped last: the server (dropped before) uses it.
    let temp = tempfile::tempdir()?;
    let database_url = match support::fresh_server_database().await? {
        Some(url) => url,
        None => format!("sqlite://{}/opcms.db?mode=rwc", temp.path().display()),
    };
    let mut server = Server::start(temp.path(), &database_url)?;
    server.wait_healthy().await?;
    println!(
        "opcms serve (pid {}) on {} with {}; mode {mode}",
        server.pid,
        server.base,
        support::backend_name()
    );
    let memory = Arc::new(Memory::default());
    memory.sample_every_second(server.pid);

    let setup = reqwest::Client::builder().timeout(Duration::from_secs(600)).build()?;
    let admin = sign_in(&setup, &server.base, "admin", ADMIN_INITIAL, ADMIN_PASSWORD).await?;

    let started = Instant::now();
    let created = if mix {
        create_accounts(&setup, &server.base, &admin, users).await?
    } else {
        Vec::new()
    };
    let sales: Vec<i64> = created
        .iter()
        .filter(|(role, ..)| *role == Role::Sales)
        .map(|(_, id, _)| *id)
        .collect();
    // Half the customers have a sales owner, each sales account its own slice.
    let slice = (customers / 2 / sales.len().max(1)).max(1) as i64;
    let db = sea_orm::Database::connect(&database_url).await?;
    let owned: Vec<(i64, i64, i64)> = sales
        .iter()
        .enumerate()
        .map(|(i, user)| (*user, 1 + i as i64 * slice, (i as i64 + 1) * slice))
        .collect();
    seed(&db, customers, &owned).await?;
    let (first, last) = id_range(&db).await?;
    anyhow::ensure!(
        first == 1,
        "customer ids start at {first}, not 1: the sales slices assume 1…n"
    );
    println!(
        "seeded {} customers, {} bills, {} receipts; {} accounts ({} sales with {slice} customers each) in {:.1} s",
        support::count(&db, "customers").await?,
        support::count(&db, "bills").await?,
        support::count(&db, "payments").await?,
        created.len(),
        sales.len(),
        started.elapsed().as_secs_f64()
    );
    db.close().await?;

    let started = Instant::now();
    let owned = &owned;
    let signed_in = futures::stream::iter(created.iter().map(|(role, id, username)| {
        let (setup, base) = (&setup, &server.base);
        async move {
            let token = sign_in(setup, base, username, USER_INITIAL, USER_PASSWORD).await?;
            let (first, last) = match owned.iter().find(|(user, ..)| user == id) {
                Some((_, from, to)) => (*from, (*to).min(last)),
                None => (first, last),
            };
            anyhow::Ok(Account {
                role: *role,
                token,
                first,
                last,
            })
        }
    }))
    .buffered(2)
    .collect::<Vec<_>>()
    .await;
    let accounts = signed_in.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    if mix {
        println!(
            "{} accounts signed in (forced password change) in {:.1} s",
            accounts.len(),
            started.elapsed().as_secs_f64()
        );
    }

    // The analytics snapshots, as the night before would have left them: the
    // nightly `analytics.refresh` computes the facts and builds today's churn,
    // credit and aging lists and two months of segments (every list a
    // refresh under the mix's writes then has to keep). Once, untimed.
    let api = support::Api::new(server.base.clone(), admin.clone(), Duration::from_secs(600))?;
    let today = (chrono::Utc::now() + chrono::TimeDelta::hours(8)).date_naive();
    let (took, counts) = api.run("analytics.refresh", &today.to_string()).await?;
    println!(
        "the nightly analytics.refresh (computes the snapshots) {:.1} s: {counts}",
        took.as_secs_f64()
    );

    let mut errors = 0;
    if mix {
        errors += run_mix(&server, &memory, accounts, seconds).await?.errors;
    }
    if saturation {
        errors += run_saturation(&server, &memory, &admin, (first, last), connections, saturation_seconds).await?;
    }
    let log = std::fs::read_to_string(&server.log).unwrap_or_default();
    let log_lines = log.lines().count();
    if log_lines > 0 {
        println!(
            "\nserver log: {log_lines} lines at warn or above; the last ones:\n{}",
            server.log_tail(10)
        );
    }
    println!(
        "\nfinal server VmHWM {:.1} MB",
        mb(proc_status(server.pid).map_or(0, |s| s.hwm_kb))
    );
    drop(server);
    anyhow::ensure!(errors == 0, "{errors} requests failed unexpectedly (see above)");
    Ok(())
}
