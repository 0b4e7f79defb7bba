//! The business calendar: China Standard Time (UTC+8, no daylight saving).
//! The server's own time zone plays no part, so every instance agrees on
//! which day and month "now" is, and so does the web app.

use chrono::{FixedOffset, NaiveDate, Utc};
use opcms_domain::Period;

/// Today in China.
pub fn business_today() -> NaiveDate {
    let china = FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"));
    Utc::now().with_timezone(&china).date_naive()
}

/// The current month in China.
pub fn current_period() -> Period {
    Period::of_date(business_today())
}
