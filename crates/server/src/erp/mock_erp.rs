//! A stand-in ERP, for development, the tests and the browser tests: it
//! takes documents by `POST <any path>` with an `Idempotency-Key`, keeps
//! each key once (a repeat is answered 409 with the first answer's id), and
//! can be told to misbehave: fail with 5xx, take a document and answer
//! garbage (the answer is lost, the document is not), delay answers at
//! random (so they come back out of order), or refuse everything with one
//! status. With a token, a request without it gets 401. `opcms mock-erp`
//! runs it; the tests start it in-process.
//!
//! - `POST /bills` (any path) → 201 `{"id": "ERP-000001"}`, or 409
//!   `{"message": "duplicate", "id": …}` for a key it has;
//! - `POST /_control` with an [`ErpBehaviour`] (JSON) replaces the behaviour;
//! - `GET /_stats` → `{"requests": n, "documents": [{key, path, id,
//!   deliveries, body}]}` in the order they were taken;
//! - `GET /customers?since=<cursor>&limit=<n>` → `{"items": [...],
//!   "next_cursor": "<n>"}`: the customer change feed, which `POST
//!   /_customers` (a JSON array of records) appends to. It fails and answers
//!   garbage like the document endpoints, and can repeat a record in a page
//!   or hand a page out in reverse order.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// How the ERP misbehaves; the default is a well-behaved ERP.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ErpBehaviour {
    /// The next this many document requests answer `fail_status`, taking nothing.
    pub fail_times: u32,
    /// Status of those failures (default 500).
    pub fail_status: Option<u16>,
    /// The next this many new documents are taken, then answered with an
    /// HTML page instead of JSON.
    pub garbage_times: u32,
    /// Every answer waits a random 0..=this many milliseconds first.
    pub max_delay_ms: u64,
    /// Every document request is answered with this status (e.g. 422).
    pub reject_status: Option<u16>,
    /// Each customer page ends with its first record again.
    pub repeat_customers: bool,
    /// Each customer page comes in reverse order.
    pub reverse_customers: bool,
}

/// A document the ERP has, as it received it first.
#[derive(Debug, Clone, Serialize)]
pub struct Taken {
    pub key: String,
    pub path: String,
    pub id: String,
    /// Deliveries of this key, the first included.
    pub deliveries: u32,
    pub body: Value,
}

#[derive(Default)]
struct Ledger {
    behaviour: ErpBehaviour,
    taken: Vec<Taken>,
    requests: u64,
    /// The customer change feed, oldest first; a cursor is an index.
    customers: Vec<Value>,
}

struct Erp {
    token: Option<String>,
    ledger: Mutex<Ledger>,
}

/// A running mock ERP.
#[derive(Clone)]
pub struct MockErp {
    pub addr: SocketAddr,
    erp: Arc<Erp>,
}

impl MockErp {
    /// Starts on `bind` (port 0: any free port), requiring `Authorization:
    /// <token>` when a token is given, and serves until the runtime ends.
    pub async fn start(bind: SocketAddr, token: Option<String>) -> std::io::Result<MockErp> {
        let listener = TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let erp = Arc::new(Erp {
            token,
            ledger: Mutex::new(Ledger::default()),
        });
        let app = Router::new()
            .route("/_control", post(control))
            .route("/_stats", get(stats))
            .route("/_customers", post(add_customers))
            .route("/customers", get(customer_feed))
            .fallback(take)
            .with_state(erp.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "mock ERP stopped");
            }
        });
        Ok(MockErp { addr, erp })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set(&self, behaviour: ErpBehaviour) {
        lock(&self.erp.ledger).behaviour = behaviour;
    }

    /// The documents taken, in the order they were taken.
    pub fn documents(&self) -> Vec<Taken> {
        lock(&self.erp.ledger).taken.clone()
    }

    /// Appends records to the customer change feed.
    pub fn add_customers(&self, records: Vec<Value>) {
        lock(&self.erp.ledger).customers.extend(records);
    }

    /// Document requests answered so far, refused ones included.
    pub fn requests(&self) -> u64 {
        lock(&self.erp.ledger).requests
    }
}

fn lock(m: &Mutex<Ledger>) -> std::sync::MutexGuard<'_, Ledger> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn answer(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

async fn take(State(erp): State<Arc<Erp>>, uri: Uri, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let delay = lock(&erp.ledger).behaviour.max_delay_ms;
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(rand::random_range(0..=delay))).await;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let mut ledger = lock(&erp.ledger);
    ledger.requests += 1;
    if let Some(token) = &erp.token
        && header("authorization").as_deref() != Some(token.as_str())
    {
        return answer(StatusCode::UNAUTHORIZED, json!({"message": "invalid credentials"}));
    }
    if ledger.behaviour.fail_times > 0 {
        ledger.behaviour.fail_times -= 1;
        let status = StatusCode::from_u16(ledger.behaviour.fail_status.unwrap_or(500))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return answer(status, json!({"message": "ERP internal error"}));
    }
    if let Some(status) = ledger.behaviour.reject_status {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
        return answer(status, json!({"message": "document rejected by ERP rules"}));
    }
    let Some(key) = header("idempotency-key").filter(|k| !k.is_empty()) else {
        return answer(
            StatusCode::BAD_REQUEST,
            json!({"message": "Idempotency-Key is required"}),
        );
    };
    let Ok(document) = serde_json::from_slice::<Value>(&body) else {
        return answer(StatusCode::BAD_REQUEST, json!({"message": "body is not JSON"}));
    };
    if let Some(known) = ledger.taken.iter_mut().find(|t| t.key == key) {
        known.deliveries += 1;
        return answer(StatusCode::CONFLICT, json!({"message": "duplicate", "id": known.id}));
    }
    let id = format!("ERP-{:06}", ledger.taken.len() + 1);
    ledger.taken.push(Taken {
        key,
        path: uri.path().to_string(),
        id: id.clone(),
        deliveries: 1,
        body: document,
    });
    if ledger.behaviour.garbage_times > 0 {
        ledger.behaviour.garbage_times -= 1;
        return (
            StatusCode::OK,
            [("content-type", "text/html")],
            "<!DOCTYPE html><html><body>Gateway hiccup</body></html>",
        )
            .into_response();
    }
    answer(StatusCode::CREATED, json!({"id": id}))
}

async fn control(State(erp): State<Arc<Erp>>, Json(behaviour): Json<ErpBehaviour>) -> StatusCode {
    lock(&erp.ledger).behaviour = behaviour;
    StatusCode::NO_CONTENT
}

async fn stats(State(erp): State<Arc<Erp>>) -> Json<Value> {
    let ledger = lock(&erp.ledger);
    Json(json!({"requests": ledger.requests, "documents": ledger.taken}))
}

async fn add_customers(State(erp): State<Arc<Erp>>, Json(records): Json<Vec<Value>>) -> StatusCode {
    lock(&erp.ledger).customers.extend(records);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct FeedQuery {
    since: Option<String>,
    limit: Option<usize>,
}

async fn customer_feed(
    State(erp): State<Arc<Erp>>,
    headers: HeaderMap,
    axum::extract::Query(query): axum::extract::Query<FeedQuery>,
) -> Response {
    let mut ledger = lock(&erp.ledger);
    ledger.requests += 1;
    if let Some(token) = &erp.token
        && headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(token.as_str())
    {
        return answer(StatusCode::UNAUTHORIZED, json!({"message": "invalid credentials"}));
    }
    if ledger.behaviour.fail_times > 0 {
        ledger.behaviour.fail_times -= 1;
        let status = StatusCode::from_u16(ledger.behaviour.fail_status.unwrap_or(500))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return answer(status, json!({"message": "ERP internal error"}));
    }
    if ledger.behaviour.garbage_times > 0 {
        ledger.behaviour.garbage_times -= 1;
        return (
            StatusCode::OK,
            [("content-type", "text/html")],
            "<!DOCTYPE html><html><body>Gateway hiccup</body></html>",
        )
            .into_response();
    }
    let Ok(start) = query.since.as_deref().unwrap_or("0").parse::<usize>() else {
        return answer(StatusCode::BAD_REQUEST, json!({"message": "bad cursor"}));
    };
    let start = start.min(ledger.customers.len());
    let end = (start + query.limit.unwrap_or(100).clamp(1, 5_000)).min(ledger.customers.len());
    let mut items: Vec<Value> = ledger.customers[start..end].to_vec();
    if ledger.behaviour.repeat_customers
        && let Some(first) = items.first().cloned()
    {
        items.push(first);
    }
    if ledger.behaviour.reverse_customers {
        items.reverse();
    }
    answer(StatusCode::OK, json!({"items": items, "next_cursor": end.to_string()}))
}
