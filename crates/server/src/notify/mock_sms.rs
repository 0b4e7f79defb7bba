//! A stand-in SMS provider, for development and tests: it accepts
//! `POST /send` with any JSON body, keeps what arrived, and can be told to
//! misbehave (answer 500 N times, answer garbage, hang, or say "no" in its
//! JSON). `opcms mock-sms` runs it; the tests start it in-process.
//!
//! - `POST /send` → `{"code": "0", "message": "ok", "id": n}`
//! - `POST /_control` with a [`SmsBehaviour`] replaces the behaviour;
//! - `GET /_messages` → every body received (JSON array).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpListener;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsBehaviour {
    /// The next this many requests answer 500.
    pub fail_times: u32,
    /// Every answer waits this long first (a hang when longer than the
    /// client's timeout).
    pub delay_ms: u64,
    /// Answer 200 with HTML instead of JSON.
    pub garbage: bool,
    /// Answer 200 with `{"code": "1001", "message": "号码无效"}`.
    pub reject: bool,
}

#[derive(Default)]
struct Provider {
    behaviour: Mutex<SmsBehaviour>,
    /// Bodies of the accepted messages.
    accepted: Mutex<Vec<Value>>,
}

#[derive(Clone)]
pub struct MockSms {
    pub addr: SocketAddr,
    provider: Arc<Provider>,
}

impl MockSms {
    pub async fn start(bind: SocketAddr) -> std::io::Result<MockSms> {
        let listener = TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let provider = Arc::new(Provider::default());
        let app = Router::new()
            .route("/send", post(send))
            .route("/_control", post(control))
            .route("/_messages", get(messages))
            .with_state(provider.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(MockSms { addr, provider })
    }

    pub fn url(&self) -> String {
        format!("http://{}/send", self.addr)
    }

    pub fn set(&self, behaviour: SmsBehaviour) {
        *self.provider.behaviour.lock().unwrap_or_else(|p| p.into_inner()) = behaviour;
    }

    /// The bodies accepted so far.
    pub fn accepted(&self) -> Vec<Value> {
        self.provider.accepted.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

async fn send(State(provider): State<Arc<Provider>>, Json(body): Json<Value>) -> Response {
    let behaviour = {
        let mut guard = provider.behaviour.lock().unwrap_or_else(|p| p.into_inner());
        let now = guard.clone();
        if guard.fail_times > 0 {
            guard.fail_times -= 1;
        }
        now
    };
    if behaviour.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(behaviour.delay_ms)).await;
    }
    if behaviour.fail_times > 0 {
        return (StatusCode::INTERNAL_SERVER_ERROR, "provider down").into_response();
    }
    if behaviour.garbage {
        return (StatusCode::OK, "<html>maintenance</html>").into_response();
    }
    if behaviour.reject {
        return Json(json!({"code": "1001", "message": "号码无效"})).into_response();
    }
    let mut accepted = provider.accepted.lock().unwrap_or_else(|p| p.into_inner());
    accepted.push(body);
    Json(json!({"code": "0", "message": "ok", "id": accepted.len()})).into_response()
}

async fn control(State(provider): State<Arc<Provider>>, Json(behaviour): Json<SmsBehaviour>) -> StatusCode {
    *provider.behaviour.lock().unwrap_or_else(|p| p.into_inner()) = behaviour;
    StatusCode::NO_CONTENT
}

async fn messages(State(provider): State<Arc<Provider>>) -> Json<Vec<Value>> {
    Json(provider.accepted.lock().unwrap_or_else(|p| p.into_inner()).clone())
}
