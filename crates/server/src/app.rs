//! The application as a library: `Application::build` prepares everything
//! (database, schema, first admin, signing key, listeners, TLS) and
//! `run_until_stopped` serves. `main` and the tests both drive it.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum_server::tls_rustls::RustlsConfig;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::auth::throttle;
use crate::calendar::Clock;
use crate::config::Config;
use crate::crypto::Keyring;
use crate::crypto::tokens::TokenKeys;
use crate::state::AppState;
use crate::users::service::bootstrap_admin;
use crate::{db, http, secrets};

pub struct Application {
    listener: TcpListener,
    /// `/metrics` on an address of its own (`OPCMS_METRICS_BIND`).
    metrics_listener: Option<TcpListener>,
    /// Set when `OPCMS_TLS_CERT`/`OPCMS_TLS_KEY` are: every listener speaks
    /// HTTPS only.
    tls: Option<RustlsConfig>,
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
        let mut keyring = Keyring::from_config(&config)?;
        let secrets = secrets::unlock(&db, &mut keyring).await?;
        let keys = TokenKeys::from_secret(&secrets.token_signing_key);
        throttle::prune(&db, chrono::Duration::seconds(config.login_failure_window_secs))
            .await
            .map_err(|e| anyhow::anyhow!("cannot prune login throttling counters: {e:?}"))?;
        let tls = match &config.http.tls {
            Some(files) => Some(tls_config(&files.cert, &files.key)?),
            None => None,
        };
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("cannot listen on {} (OPCMS_BIND)", config.bind))?;
        let metrics_listener = match config.http.metrics_bind {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr} (OPCMS_METRICS_BIND)"))?,
            ),
            None => None,
        };
        // Every usage source must be buildable before the server answers.
        crate::usage::configured_sources(&config)?;
        // Another instance may be collecting right now: only runs older than any
        // run can last (retries and timeouts included) are surely dead.
        crate::usage::collect::fail_interrupted_runs(&db, chrono::Utc::now() - chrono::Duration::hours(1))
            .await
            .map_err(|e| anyhow::anyhow!("cannot close interrupted usage collections: {e:?}"))?;
        let test_clock = config.test_clock;
        if test_clock {
            tracing::warn!(
                "OPCMS_TEST_CLOCK is on: management may set the business clock; never use this in production"
            );
        }
        let clock = if test_clock { Clock::settable() } else { Clock::system() };
        let state = AppState::new(db, config, keys, keyring, clock)?;
        // The store is only looked at, in the background: one that is down
        // is said in the log, and the server serves all the same.
        let background = state.clone();
        tokio::spawn(async move {
            let storage = &background.storage;
            match storage.check().await {
                Ok(()) => {
                    tracing::info!(storage = storage.describe(), "file storage ready");
                    crate::backup::store::adopt_local_archives(&background).await;
                }
                Err(error) => tracing::error!(
                    storage = storage.describe(),
                    %error,
                    "file storage is unavailable: backups and import originals fail until it is back"
                ),
            }
        });
        crate::settings::seed(&state.db, &state.config)
            .await
            .map_err(|e| anyhow::anyhow!("cannot seed the settings: {e:?}"))?;
        Ok(Application {
            listener,
            metrics_listener,
            tls,
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

    /// The port of the `/metrics` listener, when it has one of its own.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
            .map(|a| a.port())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until Ctrl-C or SIGTERM, finishing in-flight requests.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        // One signal stops every listener.
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        let scheduler = crate::jobs::scheduler::spawn(&self.state, stopped.clone());
        let sender = crate::notify::sender::spawn(&self.state, stopped.clone())?;
        let erp_sender = crate::erp::sender::spawn(&self.state, stopped.clone())?;
        let folding = Some(crate::db::totals::spawn_folding(
            self.state.db.clone(),
            &crate::db::migrations::LIST_TOTALS,
            stopped.clone(),
        ));
        let heap = crate::heap::spawn_trimming(stopped.clone());
        let main = serve(
            self.listener,
            http::router(self.state.clone()),
            self.tls.clone(),
            stopped.clone(),
        );
        match self.metrics_listener {
            Some(listener) => {
                let metrics = serve(listener, http::metrics_router(self.state.clone()), self.tls, stopped);
                tokio::try_join!(main, metrics)?;
            }
            None => main.await?,
        }
        for task in [scheduler, sender, erp_sender, folding, heap].into_iter().flatten() {
            task.abort();
        }
        self.state.db.close_by_ref().await.ok();
        Ok(())
    }
}

/// Serves one listener until `stopped` turns true, finishing in-flight
/// requests; over TLS when configured.
async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<RustlsConfig>,
    mut stopped: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let shutdown = async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    let Some(tls) = tls else {
        return axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await
            .context("server error");
    };
    let handle = axum_server::Handle::new();
    let trigger = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        trigger.graceful_shutdown(None);
    });
    axum_server::from_tcp_rustls(listener.into_std()?, tls)?
        .handle(handle)
        .serve(service)
        .await
        .context("server error")
}

/// The certificate chain and key for HTTPS, on the ring provider (the one
/// crypto provider in the tree: no OpenSSL, no aws-lc).
fn tls_config(cert: &Path, key: &Path) -> anyhow::Result<RustlsConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .with_context(|| {
            format!(
                "OPCMS_TLS_CERT: cannot read a PEM certificate chain from {}",
                cert.display()
            )
        })?;
    let private_key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("OPCMS_TLS_KEY: cannot read a PEM private key from {}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS: no protocol version available")?
        .with_no_client_auth()
        .with_single_cert(certs, private_key)
        .context(
            "OPCMS_TLS_CERT / OPCMS_TLS_KEY: the key does not belong to the certificate, or is of an unsupported kind",
        )?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(RustlsConfig::from_config(Arc::new(config)))
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
