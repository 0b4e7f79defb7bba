//! Churn risk (流失预警, DESIGN.md §9): four flags, each with the evidence a
//! salesperson can act on, and the risk they add up to.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::rate::ratio4;
use crate::Period;
use crate::money::Total;

pub const CHURN_DROP_PCT_MESSAGE: &str = "用量下降阈值须为 1–100 的整数";
pub const CHURN_IDLE_DAYS_MESSAGE: &str = "无用量天数须为 1–365 的整数";
pub const CONTRACT_ENDING_DAYS_MESSAGE: &str = "合同到期提醒天数须为 1–365 的整数";

/// Bills overdue more than this many days raise the overdue flag.
pub const OVERDUE_FLAG_DAYS: i64 = 30;

/// The settings the flags read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChurnRules {
    /// Usage drop: last month fell by at least this percentage (1–100).
    pub drop_pct: u32,
    /// Idle: no usage in this many days up to `as_of`.
    pub idle_days: u32,
    /// Contract ending within this many days.
    pub contract_ending_days: u32,
}

impl Default for ChurnRules {
    fn default() -> Self {
        ChurnRules {
            drop_pct: 50,
            idle_days: 15,
            contract_ending_days: 60,
        }
    }
}

/// What the server gathered about one live customer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChurnFacts {
    /// Total quantity (all series) of the last full month: the month before `as_of`'s.
    pub last_month: Total,
    /// Total quantity of the three months before that.
    pub three_before: Total,
    /// The latest day with usage, on or before `as_of`.
    pub last_usage_day: Option<NaiveDate>,
    pub contract_end_at: Option<NaiveDate>,
    /// Outstanding money of bills overdue more than 30 days on `as_of`.
    pub overdue_30: Total,
    /// The earliest due date among those bills.
    pub oldest_overdue_due: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlagCode {
    UsageDrop,
    Idle,
    ContractEnding,
    Overdue,
}

/// One reason for concern, with its evidence in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChurnFlag {
    pub code: FlagCode,
    pub evidence: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    High,
    Medium,
}

impl Risk {
    pub fn code(self) -> &'static str {
        match self {
            Risk::High => "high",
            Risk::Medium => "medium",
        }
    }

    pub fn parse(text: &str) -> Option<Risk> {
        [Risk::High, Risk::Medium].into_iter().find(|risk| risk.code() == text)
    }
}

/// The month whose usage the drop flag compares: the last full month before `as_of`.
pub fn last_full_month(as_of: NaiveDate) -> Option<Period> {
    Period::of_date(as_of).previous()
}

/// The flags a customer raises on `as_of`, in the order of §9.
pub fn churn_flags(facts: &ChurnFacts, rules: ChurnRules, as_of: NaiveDate) -> Vec<ChurnFlag> {
    let mut flags = Vec::new();
    let (last, before) = (facts.last_month.units(), facts.three_before.units());
    // Average of the three months = before / 3; a drop of at least pct % means
    // 100·(avg − last) ≥ pct·avg, i.e. 100·(before − 3·last) ≥ pct·before.
    if before > 0 && 100 * (before - 3 * last) >= i128::from(rules.drop_pct) * before {
        let month = last_full_month(as_of).map(|p| p.to_string()).unwrap_or_default();
        let average = ratio4(before, 3 * 10_000).unwrap_or_default();
        let fall = ratio4((before - 3 * last) * 100, before).unwrap_or_default();
        flags.push(ChurnFlag {
            code: FlagCode::UsageDrop,
            evidence: format!(
                "上月（{month}）用量 {}，前三个月平均 {}，下降 {}%",
                trim(&facts.last_month.to_string()),
                trim(&average),
                trim(&fall)
            ),
        });
    }
    if let Some(day) = facts.last_usage_day {
        let quiet = (as_of - day).num_days();
        if quiet >= i64::from(rules.idle_days) {
            flags.push(ChurnFlag {
                code: FlagCode::Idle,
                evidence: format!("最近一次用量在 {day}，已 {quiet} 天没有用量"),
            });
        }
    }
    if let Some(end) = facts.contract_end_at {
        let left = (end - as_of).num_days();
        if (0..=i64::from(rules.contract_ending_days)).contains(&left) {
            flags.push(ChurnFlag {
                code: FlagCode::ContractEnding,
                evidence: format!("合同 {end} 到期，还剩 {left} 天"),
            });
        }
    }
    if facts.overdue_30.units() > 0 {
        let oldest = facts.oldest_overdue_due.map_or(String::new(), |due| {
            format!("，最早 {due} 到期，已逾期 {} 天", (as_of - due).num_days())
        });
        flags.push(ChurnFlag {
            code: FlagCode::Overdue,
            evidence: format!("逾期超过 {OVERDUE_FLAG_DAYS} 天未付 {} 元{oldest}", facts.overdue_30),
        });
    }
    flags
}

/// `high` when idle or two flags or more, `medium` for one, none without flags.
pub fn risk_of(flags: &[ChurnFlag]) -> Option<Risk> {
    match flags.len() {
        0 => None,
        1 if flags[0].code != FlagCode::Idle => Some(Risk::Medium),
        _ => Some(Risk::High),
    }
}

/// "100.0000" → "100", "33.3300" → "33.33".
fn trim(text: &str) -> String {
    if !text.contains('.') {
        return text.to_string();
    }
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn qty(n: i128) -> Total {
        Total::from_units(n * 10_000)
    }

    fn codes(flags: &[ChurnFlag]) -> Vec<FlagCode> {
        flags.iter().map(|f| f.code).collect()
    }

    #[test]
    fn usage_drop_compares_with_the_three_month_average() {
        let as_of = day("2026-12-06");
        let rules = ChurnRules::default();
        // average 100, last 50: a drop of exactly 50 % flags
        let facts = ChurnFacts {
            last_month: qty(50),
            three_before: qty(300),
            ..ChurnFacts::default()
        };
        let flags = churn_flags(&facts, rules, as_of);
        assert_eq!(codes(&flags), vec![FlagCode::UsageDrop]);
        assert_eq!(flags[0].evidence, "上月（2026-11）用量 50，前三个月平均 100，下降 50%");
        assert_eq!(risk_of(&flags), Some(Risk::Medium));
        // 51: a drop of 49 % does not
        let facts = ChurnFacts {
            last_month: qty(51),
            three_before: qty(300),
            ..ChurnFacts::default()
        };
        assert!(churn_flags(&facts, rules, as_of).is_empty());
        // no usage in the three months before: no average, no flag
        let facts = ChurnFacts {
            last_month: qty(0),
            ..ChurnFacts::default()
        };
        assert!(churn_flags(&facts, rules, as_of).is_empty());
    }

    #[test]
    fn idle_alone_is_high_risk() {
        let as_of = day("2026-12-06");
        let facts = ChurnFacts {
            last_usage_day: Some(day("2026-11-21")),
            ..ChurnFacts::default()
        };
        // 15 days since the last usage: none in the 15 days up to as_of
        let flags = churn_flags(&facts, ChurnRules::default(), as_of);
        assert_eq!(codes(&flags), vec![FlagCode::Idle]);
        assert_eq!(risk_of(&flags), Some(Risk::High));
        let facts = ChurnFacts {
            last_usage_day: Some(day("2026-11-22")),
            ..ChurnFacts::default()
        };
        assert!(churn_flags(&facts, ChurnRules::default(), as_of).is_empty());
    }

    #[test]
    fn contract_ending_and_overdue_make_two_flags() {
        let as_of = day("2026-12-06");
        let facts = ChurnFacts {
            contract_end_at: Some(day("2027-02-04")),
            overdue_30: qty(1200),
            oldest_overdue_due: Some(day("2026-10-15")),
            ..ChurnFacts::default()
        };
        let flags = churn_flags(&facts, ChurnRules::default(), as_of);
        assert_eq!(codes(&flags), vec![FlagCode::ContractEnding, FlagCode::Overdue]);
        assert_eq!(flags[0].evidence, "合同 2027-02-04 到期，还剩 60 天");
        assert_eq!(
            flags[1].evidence,
            "逾期超过 30 天未付 1200.00 元，最早 2026-10-15 到期，已逾期 52 天"
        );
        assert_eq!(risk_of(&flags), Some(Risk::High));
        // a contract that ended already, or ends after the window, raises nothing
        for end in ["2026-12-05", "2027-02-05"] {
            let facts = ChurnFacts {
                contract_end_at: Some(day(end)),
                ..ChurnFacts::default()
            };
            assert!(churn_flags(&facts, ChurnRules::default(), as_of).is_empty(), "{end}");
        }
        assert_eq!(risk_of(&[]), None);
    }
}
