//! A stand-in for the upstream usage API, for development and tests: it
//! serves deterministic usage for a list of accounts with page-number or
//! cursor pagination, and can be told to misbehave (fail N times, answer
//! slowly, answer garbage or HTML, repeat pages, send a huge page, plant bad
//! records). `opcms mock-vendor` runs it; the tests start it in-process.
//!
//! - `GET /v1/usage?date=YYYY-MM-DD&page=1&page_size=500` →
//!   `{"data": {"items": [...], "page": 1, "total": 300}}`
//! - `GET /v1/usage-cursor?date=…&cursor=…` →
//!   `{"data": {"items": [...], "next_cursor": "…" | null}}`
//! - `POST /_control` with a [`Behaviour`] (JSON) replaces the behaviour;
//!   `GET /_stats` → `{"requests": n}`.
//!
//! An item: `{"id", "account", "series", "date", "qty"}`; `qty` is a string
//! with two decimals (or as the behaviour says).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// How the vendor misbehaves; the default is a well-behaved vendor.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Behaviour {
    /// The next this many requests answer `fail_status`.
    pub fail_times: u32,
    /// Status of those failures (default 503).
    pub fail_status: Option<u16>,
    /// Every answer waits this long first.
    pub delay_ms: u64,
    /// `html` (an error page) or `json` (truncated JSON) instead of a page.
    pub garbage: Option<String>,
    /// Only this page number is garbage (with `garbage`).
    pub garbage_page: Option<u32>,
    /// Pages overlap by half a page: records arrive twice.
    pub duplicate_pages: bool,
    /// Pad every page with this many bytes.
    pub huge_bytes: u64,
    /// Append bad records: unknown account, negative, unknown series,
    /// another day, not a number.
    pub bad_records: bool,
    /// `comma` (`"1,234.56"`) or `number` (a JSON number) instead of a
    /// plain string.
    pub qty_format: Option<String>,
    /// Multiply every quantity by this (a re-delivery with new values).
    pub scale: Option<u32>,
}

struct Vendor {
    accounts: Vec<String>,
    behaviour: Mutex<Behaviour>,
    requests: AtomicU64,
}

/// A running mock vendor.
#[derive(Clone)]
pub struct MockVendor {
    pub addr: SocketAddr,
    vendor: Arc<Vendor>,
}

impl MockVendor {
    /// Starts on `bind` (port 0: any free port) and serves until the
    /// runtime ends.
    pub async fn start(bind: SocketAddr, accounts: Vec<String>) -> std::io::Result<MockVendor> {
        let listener = TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let vendor = Arc::new(Vendor {
            accounts,
            behaviour: Mutex::new(Behaviour::default()),
            requests: AtomicU64::new(0),
        });
        let app = Router::new()
            .route("/v1/usage", get(by_page))
            .route("/v1/usage-cursor", get(by_cursor))
            .route("/_control", post(control))
            .route("/_stats", get(stats))
            .with_state(vendor.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "mock vendor stopped");
            }
        });
        Ok(MockVendor { addr, vendor })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set(&self, behaviour: Behaviour) {
        *lock(&self.vendor.behaviour) = behaviour;
    }

    /// Requests answered so far (page requests only).
    pub fn requests(&self) -> u64 {
        self.vendor.requests.load(Ordering::SeqCst)
    }

    /// The quantity the vendor reports for an account, series and day, in
    /// hundredths (for tests to predict totals).
    pub fn quantity_cents(account: &str, series: &str, date: &str) -> u64 {
        // FNV-1a: stable across runs and platforms.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in account
            .bytes()
            .chain([0])
            .chain(series.bytes())
            .chain([0])
            .chain(date.bytes())
        {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        hash % 500_000
    }
}

fn lock(m: &Mutex<Behaviour>) -> std::sync::MutexGuard<'_, Behaviour> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    date: Option<String>,
    page: Option<u32>,
    page_size: Option<u32>,
    cursor: Option<String>,
}

impl Vendor {
    /// How many items the day has (three series per account, and the bad
    /// records when planted).
    fn item_count(&self, behaviour: &Behaviour) -> usize {
        self.accounts.len() * 3 + if behaviour.bad_records { 5 } else { 0 }
    }

    /// Items `start..start + size` of the day, built one page at a time: a
    /// vendor of 100,000 accounts must not build 300,000 items per page.
    fn items(&self, date: &str, behaviour: &Behaviour, start: usize, size: usize) -> Vec<Value> {
        let scale = u64::from(behaviour.scale.unwrap_or(1));
        let end = (start + size).min(self.item_count(behaviour));
        (start..end)
            .map(|index| match self.accounts.get(index / 3) {
                Some(account) => {
                    let series = ["X", "N", "L"][index % 3];
                    let cents = MockVendor::quantity_cents(account, series, date) * scale;
                    json!({
                        "id": format!("{account}-{series}-{date}"),
                        "account": account,
                        "series": series,
                        "date": date,
                        "qty": qty(cents, behaviour.qty_format.as_deref()),
                    })
                }
                None => self.bad_record(index - self.accounts.len() * 3, date),
            })
            .collect()
    }

    /// The planted bad records: unknown account, negative, unknown series,
    /// another day, not a number.
    fn bad_record(&self, which: usize, date: &str) -> Value {
        let first = self.accounts.first().cloned().unwrap_or_default();
        let bad = |kind: &str, account: &str, series: &str, day: &str, qty: &str| json!({"id": format!("bad-{kind}-{date}"), "account": account, "series": series, "date": day, "qty": qty});
        match which {
            0 => bad("unknown", "ghost_account", "X", date, "10"),
            1 => bad("negative", &first, "N", date, "-5"),
            2 => bad("series", &first, "Q", date, "1"),
            3 => bad("day", &first, "L", "2001-01-01", "1"),
            _ => bad("text", &first, "X", date, "lots"),
        }
    }

    /// Waits, counts, and answers a failure or garbage when told to.
    async fn misbehave(&self, page: u32) -> Result<Behaviour, Response> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let behaviour = {
            let mut b = lock(&self.behaviour);
            let snapshot = b.clone();
            if b.fail_times > 0 {
                b.fail_times -= 1;
            }
            snapshot
        };
        if behaviour.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(behaviour.delay_ms)).await;
        }
        if behaviour.fail_times > 0 {
            let status =
                StatusCode::from_u16(behaviour.fail_status.unwrap_or(503)).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            return Err((status, Json(json!({"error": "vendor failure"}))).into_response());
        }
        if let Some(kind) = &behaviour.garbage
            && behaviour.garbage_page.is_none_or(|p| p == page)
        {
            let body = match kind.as_str() {
                "html" => (
                    [("content-type", "text/html")],
                    "<!DOCTYPE html><html><body>502 Bad Gateway</body></html>",
                )
                    .into_response(),
                _ => ([("content-type", "application/json")], "{\"data\": {\"items\": [1, 2").into_response(),
            };
            return Err(body);
        }
        Ok(behaviour)
    }
}

fn qty(cents: u64, format: Option<&str>) -> Value {
    let plain = format!("{}.{:02}", cents / 100, cents % 100);
    match format {
        Some("number") => serde_json::from_str(&plain).unwrap_or(Value::Null),
        Some("comma") => {
            let whole = (cents / 100).to_string();
            let mut grouped = String::new();
            for (i, c) in whole.chars().enumerate() {
                if i > 0 && (whole.len() - i).is_multiple_of(3) {
                    grouped.push(',');
                }
                grouped.push(c);
            }
            Value::String(format!("{grouped}.{:02}", cents % 100))
        }
        _ => Value::String(plain),
    }
}

fn padded(mut page: Value, behaviour: &Behaviour) -> Value {
    if behaviour.huge_bytes > 0
        && let Some(map) = page.as_object_mut()
    {
        map.insert(
            "padding".into(),
            Value::String("x".repeat(behaviour.huge_bytes as usize)),
        );
    }
    page
}

async fn by_page(State(vendor): State<Arc<Vendor>>, Query(q): Query<PageQuery>) -> Response {
    let page = q.page.unwrap_or(1).max(1);
    let behaviour = match vendor.misbehave(page).await {
        Ok(b) => b,
        Err(response) => return response,
    };
    let Some(date) = q.date else {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "date is required"}))).into_response();
    };
    let size = q.page_size.unwrap_or(100).clamp(1, 5000) as usize;
    let mut start = (page as usize - 1).saturating_mul(size);
    if behaviour.duplicate_pages && page > 1 {
        start -= size / 2;
    }
    let slice = vendor.items(&date, &behaviour, start, size);
    let body = json!({"data": {"items": slice, "page": page, "total": vendor.item_count(&behaviour)}});
    Json(padded(body, &behaviour)).into_response()
}

async fn by_cursor(State(vendor): State<Arc<Vendor>>, Query(q): Query<PageQuery>) -> Response {
    let start: usize = q
        .cursor
        .as_deref()
        .and_then(|c| c.strip_prefix("c")?.parse().ok())
        .unwrap_or(0);
    let size = q.page_size.unwrap_or(100).clamp(1, 5000) as usize;
    let behaviour = match vendor.misbehave((start / size) as u32 + 1).await {
        Ok(b) => b,
        Err(response) => return response,
    };
    let Some(date) = q.date else {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "date is required"}))).into_response();
    };
    let slice = vendor.items(&date, &behaviour, start, size);
    let next = (start + size < vendor.item_count(&behaviour)).then(|| format!("c{}", start + size));
    let body = json!({"data": {"items": slice, "next_cursor": next}});
    Json(padded(body, &behaviour)).into_response()
}

async fn control(State(vendor): State<Arc<Vendor>>, Json(behaviour): Json<Behaviour>) -> StatusCode {
    *lock(&vendor.behaviour) = behaviour;
    StatusCode::NO_CONTENT
}

async fn stats(State(vendor): State<Arc<Vendor>>) -> Json<Value> {
    Json(json!({"requests": vendor.requests.load(Ordering::SeqCst)}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_deterministic_and_formatted_as_told() {
        let a = MockVendor::quantity_cents("acc_1", "X", "2026-11-01");
        assert_eq!(a, MockVendor::quantity_cents("acc_1", "X", "2026-11-01"));
        assert_ne!(a, MockVendor::quantity_cents("acc_1", "N", "2026-11-01"));
        assert_eq!(qty(12_345_678, Some("comma")), json!("123,456.78"));
        assert_eq!(qty(5, None), json!("0.05"));
        assert_eq!(qty(150, Some("number")), json!(1.5));
    }
}
