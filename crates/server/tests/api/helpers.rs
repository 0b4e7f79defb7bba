//! `TestApp`: the real server on a random port over a fresh database, plus
//! typed request helpers.

use std::time::Duration;

use opcms::{Application, Config};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub const ADMIN_INITIAL_PASSWORD: &str = "Initial123";
pub const ADMIN_PASSWORD: &str = "Admin12345";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    MySql,
    Postgres,
}

impl Backend {
    fn env_var(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            Backend::MySql => Some("OPCMS_TEST_MYSQL_URL"),
            Backend::Postgres => Some("OPCMS_TEST_PG_URL"),
        }
    }
}

/// One `#[tokio::test]` on MariaDB and one on PostgreSQL for each listed
/// `async fn name(backend: Backend)`: tests of several `opcms serve`
/// processes, which share a database server (SQLite is one machine's file).
#[macro_export]
macro_rules! server_backend_tests {
    ($($name:ident),* $(,)?) => {
        mod mysql { $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::helpers::Backend::MySql).await })* }
        mod postgres { $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::helpers::Backend::Postgres).await })* }
    };
}

/// Generates one `#[tokio::test]` per backend for each listed test function
/// `async fn name(app: TestApp)`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await).await }
            )*
        }
        mod mysql {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::helpers::TestApp::spawn($crate::helpers::Backend::MySql).await).await }
            )*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await).await }
            )*
        }
    };
}

/// Like [`backend_tests!`] for tests that start their own server(s), with
/// their own configuration: `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! per_backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::helpers::Backend::Sqlite).await })* }
        mod mysql { $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::helpers::Backend::MySql).await })* }
        mod postgres { $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::helpers::Backend::Postgres).await })* }
    };
}

/// A database made for one test and dropped after it.
pub enum TestDatabase {
    /// A file inside the test's data directory.
    Sqlite,
    Server {
        admin_url: String,
        name: String,
        backend: Backend,
    },
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Server {
            admin_url,
            name,
            backend,
        } = self
        {
            let (admin_url, name, backend) = (admin_url.clone(), name.clone(), *backend);
            // Drop runs inside the test's runtime; do the async cleanup on a
            // thread of its own.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                runtime.block_on(async {
                    let db = Database::connect(&admin_url).await.ok()?;
                    let sql = match backend {
                        Backend::Postgres => format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                        _ => format!("DROP DATABASE IF EXISTS `{name}`"),
                    };
                    db.execute_unprepared(&sql).await.ok()
                })
            })
            .join();
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    /// The running server's state, for calling services the jobs use.
    pub state: opcms::state::AppState,
    pub backend: Backend,
    /// The configuration the server runs with.
    pub config: Config,
    shutdown: Option<oneshot::Sender<()>>,
    /// The database and data directory, kept until the last `TestApp` on
    /// them is dropped (a restarted server shares them).
    storage: std::sync::Arc<(TestDatabase, tempfile::TempDir)>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn database_url_with_name(base: &str, name: &str) -> String {
    let mut url = url::Url::parse(base).expect("test database URL must be a valid URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// A fresh empty database for `backend` (a file under `data_dir` for
/// SQLite), dropped with the returned guard.
pub async fn create_database(backend: Backend, data_dir: &std::path::Path) -> (String, TestDatabase) {
    if backend == Backend::Sqlite {
        let url = format!("sqlite://{}/opcms.db?mode=rwc", data_dir.display());
        return (url, TestDatabase::Sqlite);
    }
    let var = backend.env_var().unwrap_or_default();
    let admin_url = std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "{var} is not set, so this {backend:?} test cannot run. `make test` skips the {backend:?} \
             tests (and says so) when it is unset; set it to run them."
        )
    });
    let name = format!(
        "opcms_t_{}",
        uuid::Uuid::new_v4().simple().to_string().get(..12).unwrap_or("x")
    );
    let admin = Database::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {var}: {e}"));
    let sql = match backend {
        Backend::Postgres => format!("CREATE DATABASE \"{name}\""),
        _ => format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"),
    };
    admin.execute_unprepared(&sql).await.expect("create test database");
    admin.close().await.ok();
    let url = database_url_with_name(&admin_url, &name);
    (
        url,
        TestDatabase::Server {
            admin_url,
            name,
            backend,
        },
    )
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, |_| {}).await
    }

    /// Starts the server with the test defaults, adjusted by `configure`.
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> TestApp {
        // Every test has its own data directory (SQLite file, key file).
        let data_dir = tempfile::tempdir().expect("temp dir");
        let (database_url, database) = create_database(backend, data_dir.path()).await;
        let mut config = Config::from_sources(None, |name| match name {
            "OPCMS_BIND" => Some("127.0.0.1:0".into()),
            "OPCMS_DATABASE_URL" => Some(database_url.clone()),
            "OPCMS_ADMIN_PASSWORD" => Some(ADMIN_INITIAL_PASSWORD.into()),
            "OPCMS_LOG" => Some("warn".into()),
            // The scheduler stays off unless a test turns it on: a test
            // running across 02:00 must not see a collection it did not ask for.
            "OPCMS_JOBS_ENABLED" => Some("false".into()),
            _ => None,
        })
        .expect("test config");
        config.data_dir = data_dir.path().to_path_buf();
        configure(&mut config);
        TestApp::start(backend, config, std::sync::Arc::new((database, data_dir))).await
    }

    /// Stops this server and starts another on the same database and data
    /// directory, with the configuration changed by `configure` (a new
    /// master key, say).
    pub async fn restart_with(mut self, configure: impl FnOnce(&mut Config)) -> TestApp {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.state.db.close_by_ref().await.ok();
        let mut config = self.config.clone();
        configure(&mut config);
        TestApp::start(self.backend, config, self.storage.clone()).await
    }

    /// Builds the application as `opcms serve` would, without serving it
    /// (to see a configuration refused).
    pub async fn build_with(&self, configure: impl FnOnce(&mut Config)) -> anyhow::Result<Application> {
        let mut config = self.config.clone();
        configure(&mut config);
        Application::build(config).await
    }

    async fn start(
        backend: Backend,
        config: Config,
        storage: std::sync::Arc<(TestDatabase, tempfile::TempDir)>,
    ) -> TestApp {
        let app = Application::build(config.clone()).await.expect("application starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let db = app.state().db.clone();
        let state = app.state().clone();
        let (tx, rx) = oneshot::channel();
        tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        TestApp {
            address,
            client,
            db,
            state,
            backend,
            config,
            shutdown: Some(tx),
            storage,
        }
    }

    /// The data directory (SQLite file, key file).
    pub fn data_dir(&self) -> &std::path::Path {
        self.storage.1.path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token))
            .send()
            .await
            .expect("request")
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::POST, path, token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.request(Method::DELETE, path, Some(token))
            .send()
            .await
            .expect("request")
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::PUT, path, token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Response {
        self.request(Method::PATCH, path, Some(token))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Uploads a file as the multipart field `file`.
    pub async fn upload(&self, path: &str, token: &str, file_name: &str, bytes: Vec<u8>) -> Response {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string());
        self.request(Method::POST, path, Some(token))
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .expect("request")
    }

    /// Creates an active user with a display name; returns the id.
    pub async fn user_named(&self, admin_token: &str, username: &str, display_name: &str, role: &str) -> i64 {
        let created = self
            .post(
                "/api/v1/users",
                Some(admin_token),
                &json!({"username": username, "password": "Start12345", "role": role, "display_name": display_name}),
            )
            .await;
        expect_json(created, StatusCode::CREATED).await["id"]
            .as_i64()
            .expect("id")
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.post(
            "/api/v1/auth/login",
            None,
            &json!({"username": username, "password": password}),
        )
        .await
    }

    /// Logs in, changes the password when required, and returns the token
    /// pair body of the final step.
    pub async fn sign_in(&self, username: &str, password: &str, new_password: &str) -> Value {
        let body = expect_json(self.login(username, password).await, StatusCode::OK).await;
        if !body["user"]["must_change_password"].as_bool().unwrap_or(false) {
            return body;
        }
        let token = body["access_token"].as_str().unwrap_or_default().to_string();
        let changed = self
            .post(
                "/api/v1/auth/password",
                Some(&token),
                &json!({"current_password": password, "new_password": new_password}),
            )
            .await;
        expect_json(changed, StatusCode::OK).await
    }

    /// An access token for `admin`, past the forced password change.
    pub async fn admin_token(&self) -> String {
        let body = self.sign_in("admin", ADMIN_INITIAL_PASSWORD, ADMIN_PASSWORD).await;
        body["access_token"].as_str().expect("access token").to_string()
    }

    /// Creates a user as admin and returns (user id, that user's access token
    /// after their forced password change).
    pub async fn user_with_role(&self, admin_token: &str, username: &str, role: &str) -> (i64, String) {
        let created = self
            .post(
                "/api/v1/users",
                Some(admin_token),
                &json!({"username": username, "password": "Start12345", "role": role, "display_name": username}),
            )
            .await;
        let created = expect_json(created, StatusCode::CREATED).await;
        let body = self.sign_in(username, "Start12345", "Changed12345").await;
        (
            created["id"].as_i64().expect("id"),
            body["access_token"].as_str().expect("token").to_string(),
        )
    }
}

/// Asserts the status (showing the body when it differs) and returns the JSON.
pub async fn expect_json(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let text = response.text().await.expect("body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("body is not JSON: {text}"))
}

/// Asserts an error envelope with this status and code; returns it.
pub async fn expect_error(response: Response, status: StatusCode, code: &str) -> Value {
    let body = expect_json(response, status).await;
    assert_eq!(body["error"]["code"], code, "unexpected error: {body}");
    assert!(
        body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()),
        "no message: {body}"
    );
    assert!(body["error"]["details"].is_array(), "no details array: {body}");
    body
}

/// Runs `job` now (forced) as `token` and waits for the run to end; the run.
pub async fn run_job_and_wait(app: &TestApp, token: &str, job: &str) -> Value {
    let started = app
        .post(&format!("/api/v1/jobs/{job}/run"), Some(token), &json!({"force": true}))
        .await;
    let started = expect_json(started, StatusCode::ACCEPTED).await;
    let period = started["period_key"].as_str().expect("period_key").to_string();
    for _ in 0..600 {
        let runs = expect_json(
            app.get(&format!("/api/v1/jobs/{job}/runs?page_size=50"), token).await,
            StatusCode::OK,
        )
        .await;
        let done = runs["items"]
            .as_array()
            .expect("runs")
            .iter()
            .find(|r| r["period_key"] == period.as_str() && r["status"] != "running")
            .cloned();
        if let Some(run) = done {
            return run;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{job} did not finish");
}

/// The first column of the first row of `sql`, as a number (`COUNT(*)`).
pub async fn scalar(app: &TestApp, sql: &str) -> i64 {
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            sql.to_string(),
        ))
        .await
        .expect("query")
        .expect("row");
    row.try_get_by_index(0).expect("value")
}

/// Waits until no backup is running and at least `count` are listed.
pub async fn wait_for_backups(app: &TestApp, token: &str, count: usize) -> Value {
    for _ in 0..600 {
        let list = expect_json(app.get("/api/v1/backups", token).await, StatusCode::OK).await;
        if list["running"] == false && list["items"].as_array().is_some_and(|i| i.len() >= count) {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the backup did not finish");
}

/// 立即备份 and wait for it: the newest item of the list, the one started.
pub async fn backup_now(app: &TestApp, token: &str) -> Value {
    let started = expect_json(
        app.post("/api/v1/backups", Some(token), &json!({})).await,
        StatusCode::ACCEPTED,
    )
    .await;
    let list = wait_for_backups(app, token, 1).await;
    let item = list["items"][0].clone();
    assert_eq!(item["name"], started["name"], "{list}");
    item
}
