//! Bill numbers from a per-period counter (DESIGN.md §7: `B{YYYYMM}-{6
//! digits}`, unique). The counter row is updated in the transaction that
//! creates the bills, so a rolled-back transaction leaves no gap and two
//! transactions never share a number; its row lock is also what makes two
//! generations of one period take turns.

use opcms_domain::Period;
use opcms_domain::billing::bill_no;
use sea_orm::{ActiveValue::Set, DatabaseConnection, DatabaseTransaction, EntityTrait, QuerySelect, SqlErr};

use super::entity::counter;
use crate::error::{AppError, AppResult};

/// Makes sure the period's counter row exists, outside any transaction: on
/// PostgreSQL a unique violation inside a transaction would abort it, and
/// two first generations of a month race to insert the row.
pub async fn ensure_counter(db: &DatabaseConnection, period: Period) -> AppResult<()> {
    if counter::Entity::find_by_id(period.key()).one(db).await?.is_some() {
        return Ok(());
    }
    let row = counter::ActiveModel {
        period: Set(period.key()),
        last_no: Set(0),
    };
    match counter::Entity::insert(row).exec_without_returning(db).await {
        Ok(_) => Ok(()),
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Locks the period's counter for the rest of the transaction (`FOR
/// UPDATE`; SQLite's write transaction is the lock there) and returns the
/// last number given.
pub async fn lock_period(txn: &DatabaseTransaction, period: Period) -> AppResult<i64> {
    counter::Entity::find_by_id(period.key())
        .lock_exclusive()
        .one(txn)
        .await?
        .map(|row| row.last_no)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("bill counter of {period} missing")))
}

/// The next `count` bill numbers of a locked period.
pub async fn take_numbers(txn: &DatabaseTransaction, period: Period, count: usize) -> AppResult<Vec<String>> {
    let last = lock_period(txn, period).await?;
    let next_last = last + count as i64;
    let numbers: Option<Vec<String>> = (last + 1..=next_last).map(|n| bill_no(period, n)).collect();
    let numbers = numbers.ok_or_else(|| {
        AppError::conflict(
            "BILL_NUMBERS_EXHAUSTED",
            format!("账期 {period} 的账单编号已用完（每月最多 999999 张）"),
        )
    })?;
    let row = counter::ActiveModel {
        period: Set(period.key()),
        last_no: Set(next_last),
    };
    counter::Entity::update(row).exec(txn).await?;
    Ok(numbers)
}
