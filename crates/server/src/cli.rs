//! The `opcms` command line (DESIGN.md §14). Exit codes: 0 ok, 2 bad usage
//! or configuration, 1 anything else.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use opcms_domain::Role;

use crate::config::{Config, ConfigError};
use crate::error::AppError;
use crate::{Application, db, telemetry};

#[derive(Parser)]
#[command(name = "opcms", version, about = "OP_CMS 客户信息管理与运营系统")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server (migrates the database first).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Print the OpenAPI document (JSON) and exit.
    Openapi,
    /// Write the whole database to one .tar.zst archive (DESIGN.md §19),
    /// read in one consistent snapshot; safe while the server runs.
    Backup {
        /// The archive to write; must not exist.
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Load an archive of `opcms backup` into the empty database
    /// OPCMS_DATABASE_URL names (any backend); checks it all first.
    Restore {
        /// The archive to restore.
        file: std::path::PathBuf,
    },
    /// Re-encrypt every encrypted value with OPCMS_MASTER_KEY, reading old
    /// ones with OPCMS_PREVIOUS_KEYS; online and safe to run again.
    RotateKey,
    /// Recompute every analytics snapshot from the bills, receipts and
    /// usage (after data was written around the database triggers, e.g. by
    /// hand in SQL); safe while the server runs.
    AnalyticsRebuild,
    /// Serve deterministic usage like an upstream vendor, for development
    /// (docs/api/usage.md). Accounts: --accounts, else every live
    /// customer's platform account in the configured database.
    MockVendor {
        #[arg(long, default_value = "127.0.0.1:9900")]
        bind: std::net::SocketAddr,
        /// Comma-separated account ids.
        #[arg(long, value_delimiter = ',')]
        accounts: Vec<String>,
    },
    /// Fill an empty database with a demo company: a year of usage, bills,
    /// receipts and overdue accounts, and staff of every role (README).
    Demo(crate::demo::DemoArgs),
    /// Serve a stand-in SMS provider that accepts `POST /send`, for trying
    /// notifications (docs/api/notifications.md).
    MockSms {
        #[arg(long, default_value = "127.0.0.1:9901")]
        bind: std::net::SocketAddr,
    },
    /// Serve a stand-in ERP that takes documents by POST with an
    /// Idempotency-Key, for trying the ERP connector
    /// (docs/api/integrations.md). The token, when given, is required as the
    /// whole `Authorization` header; it is read from OPCMS_MOCK_ERP_TOKEN.
    MockErp {
        #[arg(long, default_value = "127.0.0.1:9902")]
        bind: std::net::SocketAddr,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user. Password from OPCMS_NEW_USER_PASSWORD, or prompted.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        #[arg(long)]
        display_name: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Operations,
    Sales,
    Management,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Role {
        match role {
            RoleArg::Operations => Role::Operations,
            RoleArg::Sales => Role::Sales,
            RoleArg::Management => Role::Management,
        }
    }
}

enum Failure {
    Usage(String),
    Other(anyhow::Error),
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure::Usage(e.to_string())
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
        Err(Failure::Other(error)) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}

async fn run(command: Command) -> Result<(), Failure> {
    if let Command::Openapi = command {
        let document = crate::http::openapi_document()
            .to_pretty_json()
            .map_err(anyhow::Error::from)?;
        println!("{document}");
        return Ok(());
    }
    let config = Config::load()?;
    telemetry::init(&config);
    match command {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            let db = db::connect(&config).await?;
            db::migrate(&db).await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Create {
                    username,
                    role,
                    display_name,
                },
        } => {
            let password = new_user_password()?;
            let db = db::connect(&config).await?;
            db::migrate(&db).await?;
            match crate::users::service::create_from_cli(&db, &username, role.into(), display_name.as_deref(), password)
                .await
            {
                Ok(user) => {
                    eprintln!(
                        "created user {} (id {}, role {}); they must change the password at first login",
                        user.username, user.id, user.role
                    );
                    Ok(())
                }
                Err(AppError::Validation(fields)) => Err(Failure::Usage(
                    fields
                        .iter()
                        .map(|f| format!("{}: {}", f.field, f.message))
                        .collect::<Vec<_>>()
                        .join("\n"),
                )),
                Err(AppError::Conflict { message, .. }) => Err(Failure::Usage(message)),
                Err(other) => Err(Failure::Other(anyhow::anyhow!("{other:?}"))),
            }
        }
        Command::MockVendor { bind, accounts } => mock_vendor(&config, bind, accounts).await,
        Command::MockSms { bind } => mock_sms(bind).await,
        Command::MockErp { bind } => mock_erp(bind).await,
        Command::Demo(args) => crate::demo::run(&config, args).await.map_err(|e| match e {
            crate::demo::Failure::Usage(message) => Failure::Usage(message),
            crate::demo::Failure::Other(error) => Failure::Other(error),
        }),
        Command::RotateKey => rotate_key(&config).await,
        Command::AnalyticsRebuild => {
            let db = db::connect(&config).await?;
            db::migrate(&db).await?;
            let started = std::time::Instant::now();
            let customers = crate::analytics::snapshot::rebuild(&db)
                .await
                .map_err(|e| Failure::Other(anyhow::anyhow!("{e:?}")))?;
            eprintln!(
                "analytics snapshots recomputed for {customers} customers in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Backup { out } => {
            let db = db::connect(&config).await?;
            let started = std::time::Instant::now();
            let manifest = crate::backup::write_backup(&db, &out).await.map_err(backup_failure)?;
            let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
            eprintln!(
                "backup written to {}: {} tables, {} rows, {:.1} MB, in {:.1} s{}",
                out.display(),
                manifest.tables.len(),
                manifest.rows(),
                size as f64 / 1e6,
                started.elapsed().as_secs_f64(),
                peak_memory()
            );
            Ok(())
        }
        Command::Restore { file } => {
            let started = std::time::Instant::now();
            let manifest = crate::backup::restore(&config, &file).await.map_err(backup_failure)?;
            eprintln!(
                "restored {} tables, {} rows from {} (made {} on {}) in {:.1} s{}",
                manifest.tables.len(),
                manifest.rows(),
                file.display(),
                manifest.header.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
                manifest.header.source_backend,
                started.elapsed().as_secs_f64(),
                peak_memory()
            );
            Ok(())
        }
        Command::Openapi => Ok(()),
    }
}

/// A backup or restore that was refused: usage mistakes exit 2, the rest 1,
/// both with the refusal's own message.
fn backup_failure(error: anyhow::Error) -> Failure {
    match error.downcast::<crate::backup::Refusal>() {
        Ok(refusal) if refusal.usage => Failure::Usage(refusal.message),
        Ok(refusal) => Failure::Other(anyhow::anyhow!(refusal.message)),
        Err(other) => Failure::Other(other),
    }
}

/// `, peak memory N MiB` from the kernel's high-water mark (Linux), so the
/// flat-memory promise of backup and restore can be read off every run.
fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!(", peak memory {} MiB", kib / 1024))
        })
        .unwrap_or_default()
}

async fn mock_vendor(config: &Config, bind: std::net::SocketAddr, accounts: Vec<String>) -> Result<(), Failure> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

    use crate::customers::entity::customer;
    let accounts = if accounts.is_empty() {
        let db = db::connect(config).await?;
        db::migrate(&db).await?;
        customer::Entity::find()
            .select_only()
            .column(customer::Column::AccountKey)
            .filter(customer::Column::AccountKey.is_not_null())
            .into_tuple::<Option<String>>()
            .all(&db)
            .await
            .map_err(anyhow::Error::from)?
            .into_iter()
            .flatten()
            .collect()
    } else {
        accounts
    };
    let vendor = crate::usage::mock_vendor::MockVendor::start(bind, accounts.clone())
        .await
        .map_err(|e| Failure::Usage(format!("--bind {bind}: {e}")))?;
    eprintln!(
        "mock vendor serving {} accounts at {}/v1/usage?date=YYYY-MM-DD&page=1&page_size=500 (Ctrl-C to stop)",
        accounts.len(),
        vendor.base_url()
    );
    let _ = tokio::signal::ctrl_c().await;
    Ok(())
}

async fn mock_sms(bind: std::net::SocketAddr) -> Result<(), Failure> {
    let provider = crate::notify::mock_sms::MockSms::start(bind)
        .await
        .map_err(|e| Failure::Usage(format!("--bind {bind}: {e}")))?;
    eprintln!("mock SMS provider accepting POST {} (Ctrl-C to stop)", provider.url());
    let _ = tokio::signal::ctrl_c().await;
    Ok(())
}

async fn mock_erp(bind: std::net::SocketAddr) -> Result<(), Failure> {
    let token = std::env::var("OPCMS_MOCK_ERP_TOKEN").ok().filter(|t| !t.is_empty());
    let erp = crate::erp::mock_erp::MockErp::start(bind, token)
        .await
        .map_err(|e| Failure::Usage(format!("--bind {bind}: {e}")))?;
    eprintln!("mock ERP taking documents at {} (Ctrl-C to stop)", erp.base_url());
    let _ = tokio::signal::ctrl_c().await;
    Ok(())
}

async fn rotate_key(config: &Config) -> Result<(), Failure> {
    let db = db::connect(config).await?;
    db::migrate(&db).await?;
    let mut keyring = crate::crypto::Keyring::from_config(config).map_err(|e| Failure::Usage(format!("{e:#}")))?;
    crate::secrets::unlock(&db, &mut keyring).await?;
    let report = crate::rotation::rotate(&db, &keyring).await?;
    print!("{report}");
    match report.unreadable() {
        0 => {
            eprintln!(
                "every value is now encrypted with key {}; OPCMS_PREVIOUS_KEYS can be removed",
                report.key_id
            );
            Ok(())
        }
        n => Err(Failure::Other(anyhow::anyhow!(
            "{n} values could not be decrypted with any configured key (see the log); the old key is still needed"
        ))),
    }
}

async fn serve(config: Config) -> Result<(), Failure> {
    let app = Application::build(config).await?;
    if let Some(password) = &app.generated_admin_password {
        // Printed once, to the console only, never to the log.
        eprintln!("\n  已创建管理员账号 / created the admin account");
        eprintln!("  用户名 username: admin");
        eprintln!("  初始密码 password: {password}");
        eprintln!("  首次登录后须修改密码 / must be changed at first login\n");
    }
    if !crate::http::web::is_embedded() {
        tracing::warn!("this binary was built without the web app (web/dist); only the API is served");
    }
    tracing::info!(address = %app.local_addr(), "OP_CMS listening on http://{}", app.local_addr());
    app.run_until_stopped().await?;
    Ok(())
}

fn new_user_password() -> Result<String, Failure> {
    if let Ok(password) = std::env::var("OPCMS_NEW_USER_PASSWORD")
        && !password.is_empty()
    {
        return Ok(password);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let password = rpassword::prompt_password("password: ").map_err(|e| Failure::Other(e.into()))?;
        return Ok(password);
    }
    eprint!("password: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::Other(e.into()))?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        return Err(Failure::Usage(
            "no password given (set OPCMS_NEW_USER_PASSWORD or type one)".into(),
        ));
    }
    Ok(password)
}
