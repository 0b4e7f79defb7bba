//! Usage (用量, DESIGN.md §6): what makes a delivered usage record
//! acceptable, and why one that is not goes to quarantine (异常数据).
//!
//! Every source (vendor API, file upload, manual entry, quarantine
//! resolution) hands its raw values to [`check`]; the server only looks up
//! the customer. So a record is judged the same way whichever way it came in.

mod quantity;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::customer::fields::parse_date_text;
use crate::customer::normalize::to_half_width;
use crate::customer::{AccountStatus, Series};
use crate::money::Fixed4;

pub use quantity::{QuantityError, parse_quantity};

/// Why a record was quarantined. The codes are the API's (`reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum QuarantineReason {
    UnknownAccount,
    UnknownSeries,
    InvalidQuantity,
    InvalidDay,
    DayOutOfRange,
    OverLimit,
    CustomerClosed,
    /// A collection delivered a record for a customer, series and day that
    /// already has one from another source (a hand entry, a file): kept
    /// apart until a person accepts it as a second record or discards it,
    /// so that the day is not billed twice (issue 21).
    UsageExists,
}

impl QuarantineReason {
    pub const ALL: [QuarantineReason; 8] = [
        QuarantineReason::UnknownAccount,
        QuarantineReason::UnknownSeries,
        QuarantineReason::InvalidQuantity,
        QuarantineReason::InvalidDay,
        QuarantineReason::DayOutOfRange,
        QuarantineReason::OverLimit,
        QuarantineReason::CustomerClosed,
        QuarantineReason::UsageExists,
    ];

    pub fn code(self) -> &'static str {
        match self {
            QuarantineReason::UnknownAccount => "UNKNOWN_ACCOUNT",
            QuarantineReason::UnknownSeries => "UNKNOWN_SERIES",
            QuarantineReason::InvalidQuantity => "INVALID_QUANTITY",
            QuarantineReason::InvalidDay => "INVALID_DAY",
            QuarantineReason::DayOutOfRange => "DAY_OUT_OF_RANGE",
            QuarantineReason::OverLimit => "OVER_LIMIT",
            QuarantineReason::CustomerClosed => "CUSTOMER_CLOSED",
            QuarantineReason::UsageExists => "USAGE_EXISTS",
        }
    }

    pub fn parse(code: &str) -> Option<QuarantineReason> {
        QuarantineReason::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            QuarantineReason::UnknownAccount => "未知账号",
            QuarantineReason::UnknownSeries => "未知设备系列",
            QuarantineReason::InvalidQuantity => "用量无效",
            QuarantineReason::InvalidDay => "日期无效",
            QuarantineReason::DayOutOfRange => "日期超出范围",
            QuarantineReason::OverLimit => "超出合理上限",
            QuarantineReason::CustomerClosed => "客户已注销",
            QuarantineReason::UsageExists => "已有其他来源的记录",
        }
    }

    /// The field of a usage record the reason is about, for field errors.
    pub fn field(self) -> &'static str {
        match self {
            QuarantineReason::UnknownAccount | QuarantineReason::CustomerClosed => "customer_id",
            QuarantineReason::UnknownSeries => "series",
            QuarantineReason::InvalidQuantity | QuarantineReason::OverLimit => "quantity",
            QuarantineReason::InvalidDay | QuarantineReason::DayOutOfRange | QuarantineReason::UsageExists => "day",
        }
    }

    /// A person may confirm the record as it is (`accept`): an over-limit
    /// value is real, a second record for the day is wanted.
    pub fn acceptable(self) -> bool {
        matches!(self, QuarantineReason::OverLimit | QuarantineReason::UsageExists)
    }
}

/// A reason with the message a person reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub reason: QuarantineReason,
    pub message: String,
}

impl Rejection {
    fn new(reason: QuarantineReason, message: impl Into<String>) -> Self {
        Rejection {
            reason,
            message: message.into(),
        }
    }
}

/// One value as a source delivered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawValue {
    Missing,
    /// Text as typed or sent (a JSON string, a text cell).
    Text(String),
    /// A number's exact decimal text (a JSON number, a numeric cell).
    Number(String),
    /// A real date (an Excel date cell).
    Date(NaiveDate),
}

impl RawValue {
    pub fn text(value: impl Into<String>) -> RawValue {
        let value = value.into();
        if value.trim().is_empty() {
            RawValue::Missing
        } else {
            RawValue::Text(value)
        }
    }

    /// How the value reads in a report or in quarantine.
    pub fn display(&self) -> Option<String> {
        match self {
            RawValue::Missing => None,
            RawValue::Text(t) | RawValue::Number(t) => Some(t.clone()),
            RawValue::Date(d) => Some(d.to_string()),
        }
    }
}

/// What the server found for the record's customer reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerMatch {
    Found {
        id: i64,
        status: AccountStatus,
    },
    /// Neither a customer id nor an account id was given.
    NotGiven,
    /// The reference given (an account id or `#<customer id>`) names nobody.
    Unknown(String),
}

/// Which days a check accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayWindow {
    /// A collection for one day: every record must be of that day.
    Exactly(NaiveDate),
    /// Files and entry: any day up to today.
    NotAfter(NaiveDate),
}

/// Per-series sanity limits (above → [`QuarantineReason::OverLimit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SanityLimits {
    pub x: Option<Fixed4>,
    pub n: Option<Fixed4>,
    pub l: Option<Fixed4>,
}

impl SanityLimits {
    pub const NONE: SanityLimits = SanityLimits {
        x: None,
        n: None,
        l: None,
    };

    pub fn of(&self, series: Series) -> Option<Fixed4> {
        match series {
            Series::X => self.x,
            Series::N => self.n,
            Series::L => self.l,
        }
    }
}

/// The raw values of one delivered record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawUsage {
    pub series: RawValue,
    pub day: RawValue,
    pub quantity: RawValue,
}

/// An acceptable record, ready to store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedUsage {
    pub customer_id: i64,
    pub series: Series,
    pub day: NaiveDate,
    pub quantity: Fixed4,
}

/// How strictly to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckRules {
    pub window: DayWindow,
    pub limits: SanityLimits,
    /// A person confirmed an over-limit value as real (quarantine `accept`).
    pub limit_confirmed: bool,
}

/// Series as people and vendors write it: `X`, `x`, `Ｘ`, `X系列`.
pub fn parse_series(value: &RawValue) -> Option<Series> {
    let RawValue::Text(text) = value else {
        return None;
    };
    let text = to_half_width(text);
    let text = text.trim();
    let text = text.strip_suffix("系列").unwrap_or(text);
    Series::parse(text)
}

/// A day from a date cell, date text, or an eight-digit number.
pub fn parse_day(value: &RawValue) -> Option<NaiveDate> {
    match value {
        RawValue::Date(d) => Some(*d),
        RawValue::Text(t) | RawValue::Number(t) => parse_date_text(t),
        RawValue::Missing => None,
    }
}

/// Judges one record: accepted values, or the first reason it cannot be
/// accepted. Checks run in the order a person would fix them: who, what,
/// when, how much.
pub fn check(customer: &CustomerMatch, raw: &RawUsage, rules: &CheckRules) -> Result<CheckedUsage, Rejection> {
    use QuarantineReason::*;
    let (customer_id, status) = match customer {
        CustomerMatch::Found { id, status } => (*id, *status),
        CustomerMatch::NotGiven => return Err(Rejection::new(UnknownAccount, "未提供客户或平台账号")),
        CustomerMatch::Unknown(reference) => {
            return Err(Rejection::new(UnknownAccount, format!("未知账号「{reference}」")));
        }
    };
    let series = parse_series(&raw.series).ok_or_else(|| match raw.series.display() {
        Some(text) => Rejection::new(UnknownSeries, format!("未知设备系列「{text}」，应为 X、N 或 L")),
        None => Rejection::new(UnknownSeries, "缺少设备系列"),
    })?;
    let day = parse_day(&raw.day).ok_or_else(|| match raw.day.display() {
        Some(text) => Rejection::new(InvalidDay, format!("日期「{text}」无法识别")),
        None => Rejection::new(InvalidDay, "缺少日期"),
    })?;
    let quantity = match &raw.quantity {
        RawValue::Text(t) | RawValue::Number(t) => parse_quantity(t),
        RawValue::Missing => Err(QuantityError::Missing),
        RawValue::Date(_) => Err(QuantityError::NotANumber),
    }
    .map_err(|e| Rejection::new(InvalidQuantity, e.to_string()))?;
    match rules.window {
        DayWindow::Exactly(expected) if day != expected => {
            return Err(Rejection::new(
                DayOutOfRange,
                format!("采集日期为 {expected}，记录日期却是 {day}"),
            ));
        }
        DayWindow::NotAfter(today) if day > today => {
            return Err(Rejection::new(DayOutOfRange, format!("日期 {day} 晚于今天")));
        }
        _ => {}
    }
    if status == AccountStatus::Closed {
        return Err(Rejection::new(CustomerClosed, "客户账号已注销，不再计量"));
    }
    if let Some(limit) = rules.limits.of(series)
        && quantity > limit
        && !rules.limit_confirmed
    {
        return Err(Rejection::new(
            OverLimit,
            format!(
                "{} 系列用量 {} 超出合理上限 {}",
                series.code(),
                quantity_text(quantity),
                quantity_text(limit)
            ),
        ));
    }
    Ok(CheckedUsage {
        customer_id,
        series,
        day,
        quantity,
    })
}

/// A quantity in its shortest form: `"1234.5"`, `"0"` (the API's form).
pub fn quantity_text(quantity: Fixed4) -> String {
    quantity.to_decimal().normalize().to_string()
}

/// The idempotency key of a record delivered without one: one record per
/// customer, series and day per source.
pub fn natural_source_id(customer_id: i64, series: Series, day: NaiveDate) -> String {
    format!("{customer_id}:{}:{day}", series.code())
}

/// A source as people read it (in messages).
pub fn source_label(source: &str) -> String {
    match source {
        "manual" => "手工录入".into(),
        "import" => "文件导入".into(),
        other => match other.strip_prefix("api:") {
            Some(name) => format!("接口采集 {name}"),
            None => other.into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn raw(series: &str, day: &str, quantity: &str) -> RawUsage {
        RawUsage {
            series: RawValue::text(series),
            day: RawValue::text(day),
            quantity: RawValue::text(quantity),
        }
    }

    fn found() -> CustomerMatch {
        CustomerMatch::Found {
            id: 7,
            status: AccountStatus::Active,
        }
    }

    fn rules() -> CheckRules {
        CheckRules {
            window: DayWindow::NotAfter(d(2026, 11, 23)),
            limits: SanityLimits {
                x: Some(Fixed4::from_units(10_000_000)),
                ..SanityLimits::NONE
            },
            limit_confirmed: false,
        }
    }

    fn reason(result: Result<CheckedUsage, Rejection>) -> QuarantineReason {
        result.unwrap_err().reason
    }

    #[test]
    fn a_clean_record_is_accepted_with_exact_values() {
        let ok = check(&found(), &raw("n系列", "2026/11/5", "1,234.5"), &rules()).unwrap();
        assert_eq!(ok.series, Series::N);
        assert_eq!(ok.day, d(2026, 11, 5));
        assert_eq!(ok.quantity, Fixed4::from_units(12_345_000));
    }

    #[test]
    fn each_defect_has_its_reason() {
        use QuarantineReason::*;
        let r = rules();
        assert_eq!(
            reason(check(
                &CustomerMatch::Unknown("a1".into()),
                &raw("X", "2026-11-05", "1"),
                &r
            )),
            UnknownAccount
        );
        assert_eq!(
            reason(check(&CustomerMatch::NotGiven, &raw("X", "2026-11-05", "1"), &r)),
            UnknownAccount
        );
        assert_eq!(reason(check(&found(), &raw("Q", "2026-11-05", "1"), &r)), UnknownSeries);
        assert_eq!(reason(check(&found(), &raw("X", "11/05", "1"), &r)), InvalidDay);
        assert_eq!(
            reason(check(&found(), &raw("X", "2026-11-05", "-1"), &r)),
            InvalidQuantity
        );
        assert_eq!(
            reason(check(&found(), &raw("X", "2026-11-05", "abc"), &r)),
            InvalidQuantity
        );
        assert_eq!(
            reason(check(&found(), &raw("X", "2026-11-05", "1.23456"), &r)),
            InvalidQuantity
        );
        assert_eq!(reason(check(&found(), &raw("X", "2026-11-24", "1"), &r)), DayOutOfRange);
        assert_eq!(
            reason(check(&found(), &raw("X", "2026-11-05", "1000.0001"), &r)),
            OverLimit
        );
        let closed = CustomerMatch::Found {
            id: 7,
            status: AccountStatus::Closed,
        };
        assert_eq!(reason(check(&closed, &raw("X", "2026-11-05", "1"), &r)), CustomerClosed);
    }

    #[test]
    fn a_collection_accepts_only_its_own_day() {
        let r = CheckRules {
            window: DayWindow::Exactly(d(2026, 11, 20)),
            ..rules()
        };
        assert!(check(&found(), &raw("N", "2026-11-20", "5"), &r).is_ok());
        assert_eq!(
            reason(check(&found(), &raw("N", "2026-11-19", "5"), &r)),
            QuarantineReason::DayOutOfRange
        );
    }

    #[test]
    fn a_confirmed_value_passes_the_limit_but_nothing_else() {
        let r = CheckRules {
            limit_confirmed: true,
            ..rules()
        };
        assert!(check(&found(), &raw("X", "2026-11-05", "5000"), &r).is_ok());
        assert_eq!(
            reason(check(&found(), &raw("X", "2026-11-05", "-5"), &r)),
            QuarantineReason::InvalidQuantity
        );
    }

    #[test]
    fn the_limit_is_inclusive_and_per_series() {
        assert!(check(&found(), &raw("X", "2026-11-05", "1000"), &rules()).is_ok());
        assert!(check(&found(), &raw("L", "2026-11-05", "999999"), &rules()).is_ok());
    }

    #[test]
    fn dates_come_in_every_form_people_use() {
        for text in ["2026-11-05", "2026/11/5", "2026.11.05", "20261105", "2026年11月5日"] {
            assert_eq!(parse_day(&RawValue::text(text)), Some(d(2026, 11, 5)), "{text}");
        }
        assert_eq!(parse_day(&RawValue::Number("20261105".into())), Some(d(2026, 11, 5)));
        assert_eq!(parse_day(&RawValue::Date(d(2026, 1, 2))), Some(d(2026, 1, 2)));
    }

    #[test]
    fn reason_codes_round_trip() {
        for r in QuarantineReason::ALL {
            assert_eq!(QuarantineReason::parse(r.code()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), serde_json::json!(r.code()));
        }
    }

    #[test]
    fn sources_read_as_people_name_them() {
        assert_eq!(source_label("manual"), "手工录入");
        assert_eq!(source_label("import"), "文件导入");
        assert_eq!(source_label("api:acme"), "接口采集 acme");
        assert_eq!(source_label("other"), "other");
    }
}
