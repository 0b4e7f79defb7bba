//! Stored amounts and their values: money columns hold integers in units of
//! 0.0001 (DESIGN.md §2, `columns::fixed4`); these turn them into the
//! domain's exact types and back, for every area that reads or writes money.

use opcms_domain::money::Fixed4;
use rust_decimal::Decimal;

use crate::error::{AppError, AppResult};

/// A stored amount as the domain's fixed-point value.
pub fn money(units: i64) -> Fixed4 {
    Fixed4::from_units(units)
}

/// A stored amount as a decimal (for the API's decimal strings).
pub fn decimal(units: i64) -> Decimal {
    Fixed4::from_units(units).to_decimal()
}

/// An amount to store; one beyond the column's range is the caller's
/// `amount` field error.
pub fn units(value: Decimal) -> AppResult<i64> {
    Fixed4::from_decimal(value)
        .map(Fixed4::units)
        .map_err(|_| AppError::field("amount", "OUT_OF_RANGE", "金额超出允许范围"))
}
