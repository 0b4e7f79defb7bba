//! Failed-login throttling (DESIGN.md §10), counted in the database so the
//! limits hold across every instance.
//!
//! An attempt is *reserved* before the password is checked: one atomic
//! conditional `UPDATE` per counter adds it only while the counter is under
//! its limit. Counting afterwards (as releases before this did) let 40
//! concurrent wrong passwords all reach the ~30 ms Argon2 check before the
//! first failure was recorded. A correct password gives the attempt back.
//!
//! Three counters, checked in this order:
//! - `pair:<account>|<ip>`: the tight limit (default 5). Five wrong passwords
//!   from one address stop that address, not the real user at theirs.
//! - `account:<account>`: a higher cap across addresses (default 20), for a
//!   guesser spreading over many addresses.
//! - `ip:<ip>`: one address trying many accounts (default 30).
//!
//! Each counter is a fixed window that starts at its first attempt.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::entity::login_throttle;
use crate::config::Config;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_account_and_ip: u32,
    pub per_account: u32,
    pub per_ip: u32,
    pub window: Duration,
}

impl Limits {
    pub fn from_config(config: &Config) -> Limits {
        Limits {
            per_account_and_ip: config.login_max_failures_per_account_and_ip,
            per_account: config.login_max_failures_per_account,
            per_ip: config.login_max_failures_per_ip,
            window: Duration::seconds(config.login_failure_window_secs),
        }
    }
}

/// The counters one attempt holds a place in.
#[must_use = "a reservation is given back on success with `succeeded`"]
pub struct Reservation {
    pair: String,
    others: Vec<String>,
}

fn counters(limits: &Limits, username: &str, ip: &str) -> [(String, u32); 3] {
    [
        (format!("pair:{username}|{ip}"), limits.per_account_and_ip),
        (format!("account:{username}"), limits.per_account),
        (format!("ip:{ip}"), limits.per_ip),
    ]
}

/// Holds a place for one attempt in every counter, or refuses with 429
/// (and holds nothing) when any of them is full.
pub async fn reserve(
    db: &impl ConnectionTrait,
    limits: &Limits,
    username: &str,
    ip: &str,
    now: DateTime<Utc>,
) -> AppResult<Reservation> {
    let mut held: Vec<String> = Vec::new();
    for (key, limit) in counters(limits, username, ip) {
        if take(db, &key, limit, limits.window, now).await? {
            held.push(key);
            continue;
        }
        for key in &held {
            give_back(db, key).await?;
        }
        let started = login_throttle::Entity::find_by_id(key.clone())
            .one(db)
            .await?
            .map_or(now, |row| row.window_started_at);
        let retry_after = Ord::max((started + limits.window - now).num_seconds(), 1);
        let minutes = (retry_after + 59) / 60;
        return Err(AppError::TooManyRequests {
            code: "TOO_MANY_LOGIN_ATTEMPTS",
            message: format!("登录失败次数过多，请 {minutes} 分钟后再试"),
            retry_after_secs: retry_after as u64,
        });
    }
    let mut held = held.into_iter();
    Ok(Reservation {
        pair: held.next().unwrap_or_default(),
        others: held.collect(),
    })
}

/// The password was right: this address's failures for the account are
/// forgiven, and the attempt no longer counts against the account and the
/// address (their other failures still do).
pub async fn succeeded(db: &impl ConnectionTrait, reservation: Reservation) -> AppResult<()> {
    login_throttle::Entity::update_many()
        .col_expr(login_throttle::Column::Attempts, Expr::value(0))
        .filter(login_throttle::Column::Key.eq(reservation.pair))
        .exec(db)
        .await?;
    for key in &reservation.others {
        give_back(db, key).await?;
    }
    Ok(())
}

/// One atomic step: start a new window, or count one more in the current
/// one if it is under the limit. False when the counter is full.
async fn take(
    db: &impl ConnectionTrait,
    key: &str,
    limit: u32,
    window: Duration,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    if limit == 0 {
        return Ok(false);
    }
    // The row must exist for the conditional update to have something to
    // lock; a no-op upsert creates it without disturbing a live counter.
    login_throttle::Entity::insert(login_throttle::ActiveModel {
        key: Set(key.to_string()),
        attempts: Set(0),
        window_started_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(login_throttle::Column::Key)
            .update_column(login_throttle::Column::Key)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let expired = login_throttle::Column::WindowStartedAt.lt(now - window);
    // MySQL assigns left to right with the new values: `attempts` must be
    // set before `window_started_at` changes.
    let taken = login_throttle::Entity::update_many()
        .col_expr(
            login_throttle::Column::Attempts,
            Expr::case(expired.clone(), 1)
                .finally(Expr::col(login_throttle::Column::Attempts).add(1))
                .into(),
        )
        .col_expr(
            login_throttle::Column::WindowStartedAt,
            Expr::case(expired.clone(), now)
                .finally(Expr::col(login_throttle::Column::WindowStartedAt))
                .into(),
        )
        .filter(login_throttle::Column::Key.eq(key))
        .filter(expired.or(login_throttle::Column::Attempts.lt(limit as i32)))
        .exec(db)
        .await?
        .rows_affected;
    Ok(taken == 1)
}

async fn give_back(db: &impl ConnectionTrait, key: &str) -> AppResult<()> {
    login_throttle::Entity::update_many()
        .col_expr(
            login_throttle::Column::Attempts,
            Expr::col(login_throttle::Column::Attempts).sub(1),
        )
        .filter(login_throttle::Column::Key.eq(key))
        .filter(login_throttle::Column::Attempts.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// Drops counters whose window has passed (called at start-up).
pub async fn prune(db: &impl ConnectionTrait, window: Duration) -> AppResult<u64> {
    Ok(login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::WindowStartedAt.lt(Utc::now() - window))
        .exec(db)
        .await?
        .rows_affected)
}
