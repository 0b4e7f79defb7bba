//! A period (账期): one calendar month, written `YYYY-MM` (DESIGN.md §11).
//!
//! Pricing versions take effect from a period and bills are made for one;
//! comparing periods must therefore be exact and cheap. [`Period::key`]
//! gives the sortable integer `yyyymm` that storage keeps, so "the version
//! with the greatest effective_from ≤ period" is an integer comparison in SQL.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::validation::FieldError;

/// Years outside this range are typing mistakes, not business periods.
pub const FIRST_YEAR: i32 = 2000;
pub const LAST_YEAR: i32 = 2100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    // Field order matters: the derived `Ord` compares the year first.
    year: i32,
    month: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("格式应为 YYYY-MM，如 2026-03")]
    Format,
    #[error("年份须在 {FIRST_YEAR} 至 {LAST_YEAR} 之间")]
    Year,
    #[error("月份须在 01 至 12 之间")]
    Month,
}

impl Period {
    pub fn new(year: i32, month: u32) -> Result<Period, PeriodError> {
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
            return Err(PeriodError::Year);
        }
        if !(1..=12).contains(&month) {
            return Err(PeriodError::Month);
        }
        Ok(Period { year, month })
    }

    /// Exactly `YYYY-MM` (surrounding spaces allowed): `2026-3` or
    /// `2026/03` are refused rather than guessed.
    pub fn parse(text: &str) -> Result<Period, PeriodError> {
        let text = text.trim();
        let bytes = text.as_bytes();
        let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
        if bytes.len() != 7 || bytes[4] != b'-' || !digits(0..4) || !digits(5..7) {
            return Err(PeriodError::Format);
        }
        let year = text[0..4].parse().map_err(|_| PeriodError::Format)?;
        let month = text[5..7].parse().map_err(|_| PeriodError::Format)?;
        Period::new(year, month)
    }

    /// A required period field of a request; `label` is its Chinese name
    /// (生效月份, 账期).
    pub fn field(value: Option<&str>, field: &str, label: &str) -> Result<Period, FieldError> {
        match value.map(str::trim).filter(|t| !t.is_empty()) {
            None => Err(FieldError::new(field, "REQUIRED", format!("请填写{label}"))),
            Some(text) => {
                Period::parse(text).map_err(|e| FieldError::new(field, "INVALID_PERIOD", format!("{label}{e}")))
            }
        }
    }

    /// The month a day falls in.
    pub fn of_date(day: NaiveDate) -> Period {
        Period {
            year: day.year(),
            month: day.month(),
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    /// `yyyymm` as an integer (202603): what storage keeps, ordered like
    /// the periods themselves.
    pub fn key(self) -> i32 {
        self.year * 100 + self.month as i32
    }

    pub fn from_key(key: i32) -> Option<Period> {
        Period::new(key / 100, u32::try_from(key % 100).ok()?).ok()
    }

    /// The first day of the month.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a valid period has a first day")
    }

    /// The last day of the month.
    pub fn last_day(self) -> NaiveDate {
        match self.next() {
            Some(next) => next.first_day().pred_opt().expect("a day before the first of a month"),
            None => NaiveDate::from_ymd_opt(self.year, 12, 31).expect("31 December"),
        }
    }

    /// The month after, `None` past [`LAST_YEAR`].
    pub fn next(self) -> Option<Period> {
        match self.month {
            12 => Period::new(self.year + 1, 1).ok(),
            month => Some(Period {
                month: month + 1,
                ..self
            }),
        }
    }

    /// The month before, `None` before [`FIRST_YEAR`].
    pub fn previous(self) -> Option<Period> {
        match self.month {
            1 => Period::new(self.year - 1, 12).ok(),
            month => Some(Period {
                month: month - 1,
                ..self
            }),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(text: &str) -> Result<Period, PeriodError> {
        Period::parse(text)
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Period {
        Period::parse(text).unwrap()
    }

    #[test]
    fn a_period_reads_and_writes_as_yyyy_mm() {
        assert_eq!(p("2026-03").to_string(), "2026-03");
        assert_eq!(p(" 2026-12 ").to_string(), "2026-12");
        assert_eq!(serde_json::to_string(&p("2026-03")).unwrap(), r#""2026-03""#);
        assert_eq!(serde_json::from_str::<Period>(r#""2026-03""#).unwrap(), p("2026-03"));
    }

    #[test]
    fn other_spellings_are_refused_not_guessed() {
        for text in [
            "2026-3",
            "2026/03",
            "202603",
            "26-03",
            "2026-03-01",
            "",
            "２０２６-03",
            "2026-0a",
        ] {
            assert_eq!(Period::parse(text), Err(PeriodError::Format), "{text:?}");
        }
        assert_eq!(Period::parse("2026-13"), Err(PeriodError::Month));
        assert_eq!(Period::parse("2026-00"), Err(PeriodError::Month));
        assert_eq!(Period::parse("1999-12"), Err(PeriodError::Year));
    }

    #[test]
    fn a_period_knows_its_first_and_last_day() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(p("2026-02").first_day(), day(2026, 2, 1));
        assert_eq!(p("2026-02").last_day(), day(2026, 2, 28));
        assert_eq!(p("2028-02").last_day(), day(2028, 2, 29));
        assert_eq!(p("2026-12").last_day(), day(2026, 12, 31));
        assert_eq!(p("2100-12").last_day(), day(2100, 12, 31));
    }

    #[test]
    fn the_storage_key_orders_like_the_months() {
        assert_eq!(p("2026-03").key(), 202603);
        assert!(p("2025-12").key() < p("2026-01").key());
        assert!(p("2025-12") < p("2026-01"));
        assert_eq!(Period::from_key(202603), Some(p("2026-03")));
        assert_eq!(Period::from_key(202613), None);
    }

    #[test]
    fn months_step_across_year_ends() {
        assert_eq!(p("2025-12").next(), Some(p("2026-01")));
        assert_eq!(p("2026-01").previous(), Some(p("2025-12")));
        assert_eq!(p("2100-12").next(), None);
    }

    #[test]
    fn a_field_error_names_the_field_and_what_is_wrong() {
        let error = Period::field(Some("2026-3"), "effective_from", "生效月份").unwrap_err();
        assert_eq!((error.field.as_str(), error.code), ("effective_from", "INVALID_PERIOD"));
        assert_eq!(error.message, "生效月份格式应为 YYYY-MM，如 2026-03");
        assert_eq!(Period::field(None, "period", "账期").unwrap_err().code, "REQUIRED");
    }

    #[test]
    fn the_month_of_a_day() {
        let day = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
        assert_eq!(Period::of_date(day), p("2026-02"));
    }
}
