//! The `opcms demo` command: check everything that can be checked before
//! the first write (the options, the password, that the database is empty),
//! then play the demo and print what it made and how to sign in. If the
//! play fails half-way, what it wrote is taken out again (`undo.rs`), so
//! the database is as empty as it was.

use std::time::Instant;

use chrono::NaiveDate;
use opcms_domain::account::check_new_password;

use super::names::STAFF;
use super::plan::Options;
use super::play::{Counts, play};
use crate::calendar::{Clock, business_today};
use crate::config::Config;
use crate::crypto::Keyring;
use crate::crypto::tokens::TokenKeys;
use crate::state::AppState;
use crate::{db, secrets};

/// Customers below this would leave parts of the story untold (`plan.rs`).
pub const MIN_CUSTOMERS: usize = 40;
pub const MAX_CUSTOMERS: usize = 20_000;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// The day the demo ends on, `YYYY-MM-DD` (default: today, China time).
    /// The same day always makes the same data.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<NaiveDate>,
    /// How many customers (40 to 20000).
    #[arg(long, default_value_t = 300)]
    pub customers: usize,
}

/// Why the demo stopped: bad options or configuration (exit 2), or anything
/// else (exit 1), the non-empty database included.
#[derive(Debug)]
pub enum Failure {
    Usage(String),
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

pub async fn run(config: &Config, args: DemoArgs) -> Result<(), Failure> {
    let today = business_today();
    let as_of = args.as_of.unwrap_or(today);
    if as_of > today {
        return Err(Failure::Usage(format!(
            "--as-of {as_of}: 不能晚于今天 {today} / must not be after today ({today})"
        )));
    }
    if as_of < NaiveDate::from_ymd_opt(2002, 1, 1).unwrap_or(NaiveDate::MIN) {
        return Err(Failure::Usage(format!(
            "--as-of {as_of}: 须在 2002 年以后 / must be in 2002 or later"
        )));
    }
    if !(MIN_CUSTOMERS..=MAX_CUSTOMERS).contains(&args.customers) {
        return Err(Failure::Usage(format!(
            "--customers {}: 须在 {MIN_CUSTOMERS} 到 {MAX_CUSTOMERS} 之间 / must be {MIN_CUSTOMERS} to {MAX_CUSTOMERS}",
            args.customers
        )));
    }
    let (password, generated) = demo_password()?;

    let started = Instant::now();
    let db = db::connect(config).await?;
    db::migrate(&db).await?;
    let found = super::guard::findings(&db).await?;
    if !found.is_empty() {
        return Err(Failure::Other(anyhow::anyhow!(
            "数据库不是空的，演示数据只写入空数据库 / the database is not empty; the demo only fills an empty one.\n  \
             found: {}\n  \
             请换一个新的数据库（OPCMS_DATABASE_URL）后重试 / point OPCMS_DATABASE_URL at a new database and try again",
            found.join(", ")
        )));
    }
    let mark = super::undo::Mark::take(&db).await?;
    let state = demo_state(config, db.clone()).await?;
    let admin_password =
        crate::users::service::bootstrap_admin(&db, config.admin_password.as_ref().map(|s| s.expose()))
            .await
            .map_err(|e| anyhow::anyhow!("cannot create the admin account: {e:?}"))?;
    let options = Options {
        as_of,
        customers: args.customers,
    };
    eprintln!(
        "正在生成演示数据 / making the demo company: {} customers, a year up to {as_of} …",
        args.customers
    );
    let counts = match play(&state, options, password.clone()).await {
        Ok(counts) => counts,
        Err(error) => {
            let undone = mark.undo(&db).await;
            return Err(Failure::Other(match undone {
                Ok(()) => {
                    error.context("演示数据生成失败，已撤回写入的数据 / the demo failed; what it wrote was removed")
                }
                Err(undo) => error.context(format!(
                    "演示数据生成失败，且未能撤回 / the demo failed and could not be removed ({undo:#}); \
                     drop this database and start again"
                )),
            }));
        }
    };
    print_summary(&counts, as_of, &password, generated, admin_password.as_deref(), started);
    Ok(())
}

/// `OPCMS_DEMO_PASSWORD`, else a random one printed once.
fn demo_password() -> Result<(String, bool), Failure> {
    match std::env::var("OPCMS_DEMO_PASSWORD") {
        Ok(password) if !password.is_empty() => {
            for (username, _, _) in STAFF {
                check_new_password("OPCMS_DEMO_PASSWORD", username, &password, None)
                    .map_err(|e| Failure::Usage(format!("OPCMS_DEMO_PASSWORD: {}", e.message)))?;
            }
            Ok((password, false))
        }
        _ => Ok((random_password(), true)),
    }
}

fn random_password() -> String {
    use rand::Rng;
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz";
    const DIGITS: &[u8] = b"23456789";
    let mut rng = rand::rng();
    let mut password: String = (0..10)
        .map(|_| LETTERS[rng.random_range(0..LETTERS.len())] as char)
        .collect();
    password.extend((0..4).map(|_| DIGITS[rng.random_range(0..DIGITS.len())] as char));
    password
}

/// What the services need, as `opcms serve` builds it, without listening
/// and with notifications off: the demo's customers must never be mailed.
async fn demo_state(config: &Config, db: sea_orm::DatabaseConnection) -> anyhow::Result<AppState> {
    let mut config = config.clone();
    config.notify.smtp = None;
    config.notify.sms = None;
    let mut keyring = Keyring::from_config(&config)?;
    let secrets = secrets::unlock(&db, &mut keyring).await?;
    let keys = TokenKeys::from_secret(&secrets.token_signing_key);
    crate::settings::seed(&db, &config)
        .await
        .map_err(|e| anyhow::anyhow!("cannot seed the settings: {e:?}"))?;
    AppState::new(db, config, keys, keyring, Clock::settable())
}

fn print_summary(
    counts: &Counts,
    as_of: NaiveDate,
    password: &str,
    generated: bool,
    admin_password: Option<&str>,
    started: Instant,
) {
    let Counts {
        staff,
        customers,
        price_plans,
        usage_records,
        quarantined,
        bills,
        payments,
        allocations,
        status_moves,
    } = counts;
    println!(
        "演示数据已生成 / demo data ready (as of {as_of}, {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    println!("  客户 customers: {customers}    定价方案 price plans: {price_plans}    员工 staff: {staff}");
    println!("  用量记录 usage records: {usage_records}    异常用量 quarantined: {quarantined}");
    println!(
        "  账单 bills: {bills}    收款 payments: {payments}    核销 allocations: {allocations}    状态变更 status moves: {status_moves}"
    );
    println!();
    println!("  员工账号 staff accounts (首次登录须修改密码 / must change the password at first login):");
    for (username, display_name, role) in STAFF {
        println!("    {username:<12} {display_name}  ({role})");
    }
    if generated {
        println!("  密码 password (只显示这一次 / shown only this once): {password}");
    } else {
        println!("  密码 password: OPCMS_DEMO_PASSWORD");
    }
    if let Some(admin) = admin_password {
        println!("  管理员 admin 初始密码 initial password (只显示这一次 / shown only this once): {admin}");
    }
    println!();
    println!("  启动 start: opcms serve, then open http://127.0.0.1:8080 (OPCMS_BIND)");
}
