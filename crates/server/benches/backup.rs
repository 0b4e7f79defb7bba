//! Backup and restore at scale (issue 26, DESIGN.md §19): 100,000 customers
//! with a year of receivables and a year of daily usage (one record a
//! customer and day: 36.5 million rows) on SQLite (or the server
//! `OPCMS_BENCH_DATABASE_URL` names), backed up by the real `opcms backup`
//! while the server keeps taking writes, then restored by `opcms restore`
//! into a fresh SQLite database (and into a fresh database on that server).
//! Prints each step's time, the
//! binary's own peak memory (its `VmHWM`), the archive's size, and how the
//! writes made during the backup fared.
//!
//! `OPCMS_BENCH_BACKUP_CUSTOMERS` (default 100,000) and
//! `OPCMS_BENCH_BACKUP_DAYS` (default 365) size the data. Run with
//! `make bench`.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;
use support::{count, env_number, seed_customers, start};

mod support;

async fn seed_usage(db: &sea_orm::DatabaseConnection, days: usize) -> anyhow::Result<()> {
    let sql = support::Dialect(db.get_database_backend());
    let day = sql.add_days(&sql.date("2026-01-01"), "d.i");
    let at = sql.timestamp("2026-01-01 00:00:00");
    db.execute_unprepared(&format!(
        "INSERT INTO usage_records (customer_id, series, day, month, quantity, source, source_id, revisions, \
           created_at, updated_at) \
         SELECT c.id, substr('XNL', c.id % 3 + 1, 1), {day}, {month}, \
           (20 + (c.id * 7 + d.i * 13) % 180) * 10000, 'bench', {source_id}, 0, {at}, {at} \
         FROM customers c CROSS JOIN {days}",
        month = sql.yyyymm(&day),
        source_id = sql.concat(&["'u'", &sql.pad("c.id", 7), "'-'", &sql.pad("d.i", 3)]),
        days = sql.numbers(0, days.saturating_sub(1), "d"),
    ))
    .await?;
    Ok(())
}

/// Runs the release `opcms` with `args` on `env`; its stderr's last line
/// (the summary with the peak memory) and the wall time.
fn opcms(args: &[&str], env: &[(&str, String)]) -> anyhow::Result<(String, Duration)> {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_opcms"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("OPCMS_LOG", "warn")
        .output()?;
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    anyhow::ensure!(output.status.success(), "opcms {args:?} failed: {stderr}");
    Ok((stderr.lines().last().unwrap_or_default().to_string(), elapsed))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let customers = env_number("OPCMS_BENCH_BACKUP_CUSTOMERS", 100_000);
    let days = env_number("OPCMS_BENCH_BACKUP_DAYS", 365);
    let temp = tempfile::tempdir()?;
    let source_dir = temp.path().join("source");
    std::fs::create_dir_all(&source_dir)?;
    let (state, base, admin) = start(&source_dir).await?;
    let db = &state.db;

    // Seeded around the analytics triggers, then every customer marked once
    // (what a restore does too): the bench measures backups, not marks.
    let started = Instant::now();
    let backend = db.get_database_backend();
    for statement in opcms::db::migrations::analytics_drop_triggers(backend) {
        db.execute_unprepared(&statement).await?;
    }
    seed_customers(db, customers, "备份压测").await?;
    support::seed_year_of_bills(db, 2026).await?;
    seed_usage(db, days).await?;
    for statement in opcms::db::migrations::analytics_create_triggers(backend) {
        db.execute_unprepared(&statement).await?;
    }
    for statement in opcms::db::migrations::ANALYTICS_MARK_EVERYTHING {
        db.execute_unprepared(statement).await?;
    }
    opcms::db::refresh_statistics(db).await?;
    println!(
        "seeded {} customers, {} bills, {} receipts, {} usage records in {:.1} s",
        count(db, "customers").await?,
        count(db, "bills").await?,
        count(db, "payments").await?,
        count(db, "usage_records").await?,
        started.elapsed().as_secs_f64()
    );
    // The database file's size, on SQLite (a server's files are its own).
    let database_size = std::fs::metadata(source_dir.join("opcms.db")).map_or(0, |m| m.len());
    if database_size > 0 {
        println!("SQLite database file: {:.0} MB", database_size as f64 / 1e6);
    }

    // Writes through the API all along the backup: the server keeps serving.
    let writing = Arc::new(AtomicBool::new(true));
    let writer = {
        let (writing, base, admin) = (writing.clone(), base.clone(), admin.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let (mut ok, mut failed, mut slowest) = (0u32, 0u32, Duration::ZERO);
            let mut n = 0;
            while writing.load(Ordering::Relaxed) {
                n += 1;
                let body = serde_json::json!({"company_name": format!("备份期间新客户{n}"), "customer_code": format!("W{n:06}"),
                    "account_id": format!("during_{n}"), "device_series": ["X"], "account_status": "active"});
                let started = Instant::now();
                let response = client
                    .post(format!("{base}/api/v1/customers"))
                    .bearer_auth(&admin)
                    .json(&body)
                    .send()
                    .await;
                slowest = slowest.max(started.elapsed());
                match response {
                    Ok(r) if r.status().is_success() => ok += 1,
                    _ => failed += 1,
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            (ok, failed, slowest)
        })
    };
    let archive = temp.path().join("bench.tar.zst");
    let source_env = vec![
        ("OPCMS_DATA_DIR", source_dir.display().to_string()),
        ("OPCMS_DATABASE_URL", state.config.database_url.expose().to_string()),
    ];
    let archive_arg = archive.display().to_string();
    let (summary, took) = tokio::task::spawn_blocking({
        let env = source_env.clone();
        let out = archive_arg.clone();
        move || opcms(&["backup", "--out", &out], &env)
    })
    .await??;
    writing.store(false, Ordering::Relaxed);
    let (ok, failed, slowest) = writer.await?;
    support::seconds("backup (wall)", took, &summary);
    let archive_size = std::fs::metadata(&archive)?.len() as f64;
    if database_size > 0 {
        println!(
            "archive {:.0} MB ({:.1} % of the database file)",
            archive_size / 1e6,
            archive_size * 100.0 / database_size as f64
        );
    } else {
        println!("archive {:.0} MB", archive_size / 1e6);
    }
    println!(
        "during the backup: {ok} customers created through the API, {failed} failed, slowest {:.0} ms",
        slowest.as_secs_f64() * 1000.0
    );

    let key = std::fs::read_to_string(source_dir.join("master.key"))?
        .trim()
        .to_string();
    let target_dir = temp.path().join("target");
    std::fs::create_dir_all(&target_dir)?;
    let (summary, took) = tokio::task::spawn_blocking({
        let env = vec![
            ("OPCMS_DATA_DIR", target_dir.display().to_string()),
            (
                "OPCMS_DATABASE_URL",
                format!("sqlite://{}/opcms.db?mode=rwc", target_dir.display()),
            ),
            ("OPCMS_MASTER_KEY", key.clone()),
        ];
        let file = archive_arg.clone();
        move || opcms(&["restore", &file], &env)
    })
    .await??;
    support::seconds("restore into SQLite (wall)", took, &summary);

    // And into a fresh database on the bench's server, when it runs on one.
    if let Some(url) = support::fresh_server_database().await? {
        let (summary, took) = tokio::task::spawn_blocking({
            let env = vec![
                ("OPCMS_DATA_DIR", target_dir.display().to_string()),
                ("OPCMS_DATABASE_URL", url),
                ("OPCMS_MASTER_KEY", key.clone()),
            ];
            let file = archive_arg.clone();
            move || opcms(&["restore", &file], &env)
        })
        .await??;
        support::seconds(
            &format!("restore into {} (wall)", support::backend_name()),
            took,
            &summary,
        );
    }
    Ok(())
}
