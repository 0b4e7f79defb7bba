//! The period and `as_of` every analytics view takes: a month `YYYY-MM` and a
//! date, defaulting to now on the business clock; neither may lie ahead.

use chrono::NaiveDate;
use opcms_domain::{FieldError, Period};

use crate::calendar::{business_today, current_period};
use crate::error::{AppError, AppResult};

/// A month up to the current one (default: the current one).
pub fn period(text: Option<&str>) -> AppResult<Period> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(current_period());
    };
    let period = Period::field(Some(text), "period", "月份").map_err(|e| AppError::Validation(vec![e]))?;
    if period > current_period() {
        return Err(AppError::Validation(vec![FieldError::new(
            "period",
            "FUTURE_PERIOD",
            "不能查询尚未到来的月份",
        )]));
    }
    Ok(period)
}

/// A day up to today (default: today).
pub fn as_of(day: Option<NaiveDate>) -> AppResult<NaiveDate> {
    let today = business_today();
    match day {
        None => Ok(today),
        Some(day) if day > today => Err(AppError::Validation(vec![FieldError::new(
            "as_of",
            "FUTURE_DATE",
            "统计日期不能晚于今天",
        )])),
        Some(day) => Ok(day),
    }
}

/// `count` months ending at `last`, oldest first.
pub fn months_ending(last: Period, count: usize) -> Vec<Period> {
    let mut months = vec![last];
    while months.len() < count {
        match months.last().and_then(|p| p.previous()) {
            Some(previous) => months.push(previous),
            None => break,
        }
    }
    months.reverse();
    months
}

/// A filter that must name one of a few values: absent or empty is no
/// filter; anything else unknown is a 400 naming the field.
pub fn choice<T>(
    text: Option<&str>,
    field: &'static str,
    parse: impl Fn(&str) -> Option<T>,
    message: &'static str,
) -> AppResult<Option<T>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) => parse(text)
            .map(Some)
            .ok_or_else(|| AppError::field(field, "INVALID_CHOICE", message)),
    }
}
