//! The application as a library: `Application::build` prepares everything
//! (database, schema, first admin, signing key, listener) and
//! `run_until_stopped` serves. `main` and the tests both drive it.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::auth::throttle;
use crate::auth::tokens::TokenKeys;
use crate::config::Config;
use crate::crypto::Keyring;
use crate::http::metrics::Metrics;
use crate::state::AppState;
use crate::users::service::bootstrap_admin;
use crate::{db, http, secrets};

pub struct Application {
    listener: TcpListener,
    state: AppState,
    /// Set when this start created `admin` with a random password, which the
    /// CLI prints once.
    pub generated_admin_password: Option<String>,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let db = db::connect(&config).await?;
        db::migrate(&db).await?;
        db::refresh_statistics(&db).await?;
        let generated_admin_password = bootstrap_admin(&db, config.admin_password.as_ref().map(|s| s.expose()))
            .await
            .map_err(|e| anyhow::anyhow!("cannot create the first admin account: {e:?}"))?;
        let previous_keys: Vec<&str> = config.previous_keys.iter().map(|k| k.expose()).collect();
        let mut keyring = Keyring::load(
            config.master_key.as_ref().map(|k| k.expose()),
            &previous_keys,
            &config.data_dir,
        )?;
        secrets::ensure_same_master_key(&db, &keyring).await?;
        let secrets = secrets::load(&db, &mut keyring).await?;
        let keys = TokenKeys::from_secret(&secrets.token_signing_key);
        throttle::prune(&db, chrono::Duration::seconds(config.login_failure_window_secs))
            .await
            .map_err(|e| anyhow::anyhow!("cannot prune login throttling counters: {e:?}"))?;
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("cannot listen on {} (OPCMS_BIND)", config.bind))?;
        let usage_sources = crate::usage::configured_sources(&config)?;
        // Another instance may be collecting right now: only runs older than any
        // run can last (retries and timeouts included) are surely dead.
        crate::usage::collect::fail_interrupted_runs(&db, chrono::Utc::now() - chrono::Duration::hours(1))
            .await
            .map_err(|e| anyhow::anyhow!("cannot close interrupted usage collections: {e:?}"))?;
        let state = AppState {
            usage_sources: Arc::new(usage_sources),
            db,
            config: Arc::new(config),
            keys: Arc::new(keys),
            keyring: Arc::new(keyring),
            metrics: Arc::new(Metrics::default()),
        };
        Ok(Application {
            listener,
            state,
            generated_admin_password,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.state.config.bind)
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until Ctrl-C or SIGTERM, finishing in-flight requests.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let router = http::router(self.state.clone());
        axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("server error")?;
        self.state.db.close_by_ref().await.ok();
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
