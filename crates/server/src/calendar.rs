//! The business calendar: China Standard Time (UTC+8, no daylight saving).
//! The server's own time zone plays no part, so every instance agrees on
//! which day and month "now" is, and so does the web app. Times written
//! into files people read (exports, statements, PDFs) and the stamps in
//! their names are in this zone too, as the screen shows them.
//!
//! Every business date reads one [`Clock`]: the system's, or with
//! `OPCMS_TEST_CLOCK=true` one that management may set (DESIGN.md §16), so a
//! month can be tried without waiting for it. A request (and a job) runs with
//! its app's clock in scope; a task spawned from it takes the clock along with
//! [`Clock::scope`] on [`current`].

use std::future::Future;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, FixedOffset, NaiveDate, TimeDelta, Utc};
use opcms_domain::Period;

tokio::task_local! {
    static CLOCK: Clock;
}

/// The business clock: the system's time, moved by an offset when a test
/// clock has been set (it keeps running from the time it was set to).
#[derive(Clone, Default, Debug)]
pub struct Clock {
    /// `Some` only for a settable (test) clock.
    offset: Option<Arc<RwLock<TimeDelta>>>,
}

impl Clock {
    /// The system's clock; it cannot be set.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock management may set (`OPCMS_TEST_CLOCK=true`), starting at the
    /// system's time.
    pub fn settable() -> Clock {
        Clock {
            offset: Some(Arc::new(RwLock::new(TimeDelta::zero()))),
        }
    }

    pub fn is_settable(&self) -> bool {
        self.offset.is_some()
    }

    pub fn now(&self) -> DateTime<Utc> {
        let offset = self
            .offset
            .as_ref()
            .map(|offset| *offset.read().unwrap_or_else(|poisoned| poisoned.into_inner()))
            .unwrap_or_default();
        Utc::now() + offset
    }

    /// Moves a settable clock to `now`, from where it runs on; false for the
    /// system's clock, which never moves.
    pub fn set(&self, now: DateTime<Utc>) -> bool {
        let Some(offset) = &self.offset else { return false };
        *offset.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = now - Utc::now();
        true
    }

    /// Runs `work` with this clock as the business clock of all it calls.
    pub fn scope<F: Future>(self, work: F) -> impl Future<Output = F::Output> {
        CLOCK.scope(self, work)
    }
}

/// The clock in scope (the system's outside any request or job), to carry
/// into a spawned task.
pub fn current() -> Clock {
    CLOCK.try_with(Clock::clone).unwrap_or_default()
}

/// China Standard Time, UTC+8.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

/// Now, on the business clock.
pub fn business_now() -> DateTime<FixedOffset> {
    CLOCK
        .try_with(Clock::now)
        .unwrap_or_else(|_| Utc::now())
        .with_timezone(&china())
}

/// Now on the business clock as a stored instant: the time of a business
/// event (a status change) that figures count by month.
pub fn business_instant() -> DateTime<Utc> {
    business_now().with_timezone(&Utc)
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

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[tokio::test]
    async fn a_set_clock_moves_every_business_date_in_its_scope_only() {
        let clock = Clock::settable();
        assert!(clock.set(at("2026-02-28T16:30:00Z")));
        let (today, period) = clock
            .clone()
            .scope(async { (business_today(), current_period()) })
            .await;
        // 16:30 UTC on the last day of February is already 1 March in China.
        assert_eq!(
            (today.to_string(), period.to_string()),
            ("2026-03-01".into(), "2026-03".into())
        );
        assert_ne!(business_today().to_string(), "2026-03-01");
        // A leap day, and a task spawned from the scope takes the clock along.
        clock.set(at("2028-02-29T01:00:00+08:00"));
        let spawned = clock
            .scope(async { tokio::spawn(current().scope(async { business_today() })).await })
            .await
            .unwrap();
        assert_eq!(spawned.to_string(), "2028-02-29");
    }

    #[test]
    fn the_system_clock_cannot_be_set() {
        assert!(!Clock::system().set(at("2026-01-01T00:00:00Z")));
        assert!(!Clock::system().is_settable());
    }
}
