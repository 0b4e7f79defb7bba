//! Due dates, overdue days and aging buckets.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::period::Period;

/// The last day of a period.
fn last_day(period: Period) -> NaiveDate {
    let first_of_next = match period.next() {
        Some(next) => NaiveDate::from_ymd_opt(next.year(), next.month(), 1),
        None => NaiveDate::from_ymd_opt(period.year(), 12, 31).and_then(|d| d.checked_add_days(Days::new(1))),
    };
    first_of_next.and_then(|d| d.pred_opt()).unwrap_or(NaiveDate::MAX)
}

/// DESIGN.md §3: payment terms are days after the period's end. A bill
/// issued after that day would be overdue the moment the customer gets it,
/// so then the terms run from the issue day instead.
pub fn due_date(period: Period, payment_terms_days: u32, issued_on: NaiveDate) -> NaiveDate {
    let terms = Days::new(u64::from(payment_terms_days));
    let from_period = last_day(period).checked_add_days(terms).unwrap_or(NaiveDate::MAX);
    if from_period >= issued_on {
        from_period
    } else {
        issued_on.checked_add_days(terms).unwrap_or(NaiveDate::MAX)
    }
}

/// Days past the due date on `today` (0 when not yet due).
pub fn overdue_days(due: NaiveDate, today: NaiveDate) -> i64 {
    (today - due).num_days().max(0)
}

/// The aging buckets of DESIGN.md §7 (1–30, 31–60, 61–90, 90+ days overdue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum AgingBucket {
    #[serde(rename = "1-30")]
    Days1To30,
    #[serde(rename = "31-60")]
    Days31To60,
    #[serde(rename = "61-90")]
    Days61To90,
    #[serde(rename = "90+")]
    Over90,
}

impl AgingBucket {
    /// `None` when not overdue.
    pub fn of(days_overdue: i64) -> Option<AgingBucket> {
        match days_overdue {
            i64::MIN..=0 => None,
            1..=30 => Some(AgingBucket::Days1To30),
            31..=60 => Some(AgingBucket::Days31To60),
            61..=90 => Some(AgingBucket::Days61To90),
            _ => Some(AgingBucket::Over90),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn terms_run_from_the_period_end() {
        let p = Period::parse("2026-11").unwrap();
        assert_eq!(due_date(p, 15, day("2026-12-02")), day("2026-12-15"));
        let feb = Period::parse("2028-02").unwrap();
        assert_eq!(due_date(feb, 0, day("2028-02-29")), day("2028-02-29"));
        let dec = Period::parse("2026-12").unwrap();
        assert_eq!(due_date(dec, 15, day("2027-01-03")), day("2027-01-15"));
    }

    #[test]
    fn a_late_issue_gets_the_full_terms_from_the_issue_day() {
        let p = Period::parse("2026-09").unwrap();
        assert_eq!(due_date(p, 15, day("2026-12-03")), day("2026-12-18"));
    }

    #[test]
    fn overdue_days_and_buckets() {
        assert_eq!(overdue_days(day("2026-12-15"), day("2026-12-15")), 0);
        assert_eq!(overdue_days(day("2026-12-15"), day("2026-12-01")), 0);
        assert_eq!(overdue_days(day("2026-12-15"), day("2026-12-16")), 1);
        assert_eq!(AgingBucket::of(0), None);
        assert_eq!(AgingBucket::of(1), Some(AgingBucket::Days1To30));
        assert_eq!(AgingBucket::of(30), Some(AgingBucket::Days1To30));
        assert_eq!(AgingBucket::of(31), Some(AgingBucket::Days31To60));
        assert_eq!(AgingBucket::of(90), Some(AgingBucket::Days61To90));
        assert_eq!(AgingBucket::of(91), Some(AgingBucket::Over90));
    }
}
