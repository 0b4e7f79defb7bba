//! The business calendar: China Standard Time (UTC+8, no daylight saving).
//! The server's own time zone plays no part, so every instance agrees on
//! which day and month "now" is, and so does the web app. Times written
//! into files people read (exports, statements, PDFs) and the stamps in
//! their names are in this zone too, as the screen shows them.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use opcms_domain::Period;

/// China Standard Time, UTC+8.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

/// Now, on the business clock.
pub fn business_now() -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&china())
}

/// Today in China.
pub fn business_today() -> NaiveDate {
    business_now().date_naive()
}

/// The current month in China.
pub fn current_period() -> Period {
    Period::of_date(business_today())
}

/// A stored instant as the business clock reads it: `2026-12-05 09:30`.
pub fn local_minute(at: DateTime<Utc>) -> String {
    at.with_timezone(&china()).format("%Y-%m-%d %H:%M").to_string()
}

/// The stamp in an export's file name: `20261205-0930`, business time.
pub fn file_stamp() -> String {
    business_now().format("%Y%m%d-%H%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_utc_evening_is_the_next_morning_in_china() {
        let at = DateTime::parse_from_rfc3339("2026-11-30T16:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(local_minute(at), "2026-12-01 00:30");
    }
}
