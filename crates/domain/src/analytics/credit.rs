//! The credit score (信用评分, DESIGN.md §9): 0–100 from four factors over
//! the bills due in the twelve months before `as_of`, computed as an exact
//! fraction and rounded half-up once at the end.

use chrono::{Months, NaiveDate};
use serde::Serialize;

use super::rate::ratio4;
use crate::money::Total;

/// Caps of the factors.
const LATE_DAYS_CAP: i128 = 60;
const OVERDUE_RATIO_CAP: i128 = 3;
const TENURE_CAP: u32 = 24;

/// One bill as the score sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditBill {
    pub due_date: NaiveDate,
    pub total: Total,
    /// The day it was paid in full (the latest receipt date of the payments
    /// whose live allocations settle it); `None` while anything is open.
    pub settled_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreditFacts {
    /// The customer's issued bills (any due date: the window is chosen here).
    pub bills: Vec<CreditBill>,
    /// The customer's overdue amount on `as_of`, over all bills.
    pub overdue: Total,
    pub signed_at: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
pub enum Grade {
    #[serde(rename = "优")]
    Excellent,
    #[serde(rename = "良")]
    Good,
    #[serde(rename = "中")]
    Fair,
    #[serde(rename = "差")]
    Poor,
    #[serde(rename = "资料不足")]
    InsufficientData,
}

impl Grade {
    pub const ALL: [Grade; 5] = [
        Grade::Excellent,
        Grade::Good,
        Grade::Fair,
        Grade::Poor,
        Grade::InsufficientData,
    ];

    pub fn of(score: Option<u32>) -> Grade {
        match score {
            None => Grade::InsufficientData,
            Some(85..) => Grade::Excellent,
            Some(70..=84) => Grade::Good,
            Some(55..=69) => Grade::Fair,
            Some(_) => Grade::Poor,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Grade::Excellent => "优",
            Grade::Good => "良",
            Grade::Fair => "中",
            Grade::Poor => "差",
            Grade::InsufficientData => "资料不足",
        }
    }

    pub fn parse(text: &str) -> Option<Grade> {
        Grade::ALL.into_iter().find(|grade| grade.label() == text)
    }
}

/// The four factors as they enter the formula (capped), four places.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CreditFactors {
    /// Share of the window's bills paid in full by their due date.
    #[schema(required = true)]
    pub on_time: Option<String>,
    /// Mean days late over the window's bills, capped at 60.
    #[schema(required = true)]
    pub late_days: Option<String>,
    /// Overdue amount ÷ the window's mean bill total, capped at 3.
    #[schema(required = true)]
    pub overdue_ratio: Option<String>,
    /// Whole months since signing, capped at 24.
    pub tenure_months: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditScore {
    /// `None` without a bill in the window (资料不足).
    pub score: Option<u32>,
    pub grade: Grade,
    pub factors: CreditFactors,
    /// How many bills the window holds.
    pub window_bills: u32,
}

/// An exact non-negative fraction.
#[derive(Clone, Copy)]
struct Fraction(i128, i128);

impl Fraction {
    fn whole(n: i128) -> Fraction {
        Fraction(n, 1)
    }

    fn new(n: i128, d: i128) -> Fraction {
        let g = gcd(n.abs(), d.abs()).max(1);
        Fraction(n / g, d / g)
    }

    fn plus(self, other: Fraction) -> Fraction {
        Fraction::new(self.0 * other.1 + other.0 * self.1, self.1 * other.1)
    }

    fn times(self, n: i128, d: i128) -> Fraction {
        let a = Fraction::new(self.0, d);
        let b = Fraction::new(n, self.1);
        Fraction::new(a.0 * b.0, a.1 * b.1)
    }

    fn min(self, cap: i128) -> Fraction {
        if self.0 > cap * self.1 {
            Fraction::whole(cap)
        } else {
            self
        }
    }

    /// Half-up to a whole number (the value is never negative).
    fn round(self) -> i128 {
        (2 * self.0 + self.1).div_euclid(2 * self.1)
    }
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Whole months from `from` to `to` (0 when `to` is earlier).
fn whole_months(from: NaiveDate, to: NaiveDate) -> u32 {
    let mut months = 0u32;
    while from
        .checked_add_months(Months::new(months + 1))
        .is_some_and(|day| day <= to)
    {
        months += 1;
        if months >= TENURE_CAP {
            break;
        }
    }
    months
}

/// The score of one customer on `as_of`. The window is the bills with
/// `as_of − 12 months ≤ due_date < as_of`.
pub fn credit_score(facts: &CreditFacts, as_of: NaiveDate) -> CreditScore {
    let start = as_of.checked_sub_months(Months::new(12)).unwrap_or(NaiveDate::MIN);
    let window: Vec<&CreditBill> = facts
        .bills
        .iter()
        .filter(|bill| bill.due_date >= start && bill.due_date < as_of)
        .collect();
    let tenure = facts
        .signed_at
        .map_or(0, |signed| whole_months(signed, as_of))
        .min(TENURE_CAP);
    let n = window.len() as i128;
    if n == 0 {
        return CreditScore {
            score: None,
            grade: Grade::InsufficientData,
            factors: CreditFactors {
                on_time: None,
                late_days: None,
                overdue_ratio: None,
                tenure_months: tenure,
            },
            window_bills: 0,
        };
    }
    let mut on_time = 0i128;
    let mut late_sum = 0i128;
    let mut totals = 0i128;
    for bill in &window {
        // Paid after as_of counts as open on as_of.
        let settled = bill.settled_on.filter(|day| *day <= as_of);
        if settled.is_some_and(|day| day <= bill.due_date) {
            on_time += 1;
        }
        let until = settled.unwrap_or(as_of);
        late_sum += i128::from((until - bill.due_date).num_days().max(0));
        totals += bill.total.units().max(0);
    }
    let on_time_share = Fraction::new(on_time, n);
    let late_days = Fraction::new(late_sum, n).min(LATE_DAYS_CAP);
    let overdue = facts.overdue.units().max(0);
    // overdue ÷ (totals ÷ n); with nothing billed, any overdue money is the cap.
    let overdue_ratio = if totals == 0 {
        Fraction::whole(if overdue == 0 { 0 } else { OVERDUE_RATIO_CAP })
    } else {
        Fraction::new(overdue, 1).times(n, totals).min(OVERDUE_RATIO_CAP)
    };
    let tenure_i = i128::from(tenure);
    // 40·on_time + 25·(1 − late/60) + 20·(1 − ratio/3) + 15·tenure/24
    let score = on_time_share
        .times(40, 1)
        .plus(Fraction::whole(25))
        .plus(Fraction(-late_days.0, late_days.1).times(25, LATE_DAYS_CAP))
        .plus(Fraction::whole(20))
        .plus(Fraction(-overdue_ratio.0, overdue_ratio.1).times(20, OVERDUE_RATIO_CAP))
        .plus(Fraction::new(15 * tenure_i, i128::from(TENURE_CAP)))
        .round();
    let score = u32::try_from(score.clamp(0, 100)).unwrap_or(0);
    CreditScore {
        score: Some(score),
        grade: Grade::of(Some(score)),
        factors: CreditFactors {
            on_time: ratio4(on_time_share.0, on_time_share.1),
            late_days: ratio4(late_days.0, late_days.1),
            overdue_ratio: ratio4(overdue_ratio.0, overdue_ratio.1),
            tenure_months: tenure,
        },
        window_bills: u32::try_from(n).unwrap_or(u32::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn yuan(n: i128) -> Total {
        Total::from_units(n * 10_000)
    }

    fn bill(due: &str, total: i128, settled: Option<&str>) -> CreditBill {
        CreditBill {
            due_date: day(due),
            total: yuan(total),
            settled_on: settled.map(day),
        }
    }

    #[test]
    fn no_bill_in_the_window_has_no_score() {
        let facts = CreditFacts {
            bills: vec![bill("2025-11-30", 100, None), bill("2026-12-06", 100, None)],
            overdue: yuan(100),
            signed_at: Some(day("2025-01-15")),
        };
        let score = credit_score(&facts, day("2026-12-06"));
        assert_eq!(score.score, None);
        assert_eq!(score.grade, Grade::InsufficientData);
        assert_eq!(score.factors.tenure_months, 22);
        assert_eq!(score.window_bills, 0);
    }

    #[test]
    fn a_perfect_payer_of_two_years_scores_100() {
        let facts = CreditFacts {
            bills: vec![
                bill("2026-10-15", 100, Some("2026-10-10")),
                bill("2026-11-15", 300, Some("2026-11-15")),
            ],
            overdue: Total::ZERO,
            signed_at: Some(day("2024-01-01")),
        };
        let score = credit_score(&facts, day("2026-12-06"));
        assert_eq!(score.score, Some(100));
        assert_eq!(score.grade, Grade::Excellent);
        assert_eq!(
            score.factors,
            CreditFactors {
                on_time: Some("1.0000".into()),
                late_days: Some("0.0000".into()),
                overdue_ratio: Some("0.0000".into()),
                tenure_months: 24,
            }
        );
    }

    #[test]
    fn the_formula_on_a_mixed_history() {
        // as_of 2026-12-06; window bills:
        //  A due 09-15, 200, paid 09-25 → 10 days late
        //  B due 10-15, 200, paid 10-15 → on time
        //  C due 11-15, 200, open → 21 days late
        //  D due 12-06 (not before as_of) → outside
        // on_time 1/3, late (10+0+21)/3 = 31/3, overdue 200 ÷ mean 200 = 1, tenure 6
        // 40/3 + 25(1 − 31/180) + 20(1 − 1/3) + 15·6/24
        // = 13.333… + 20.6944… + 13.333… + 3.75 = 51.1111… → 51
        let facts = CreditFacts {
            bills: vec![
                bill("2026-09-15", 200, Some("2026-09-25")),
                bill("2026-10-15", 200, Some("2026-10-15")),
                bill("2026-11-15", 200, None),
                bill("2026-12-06", 500, None),
            ],
            overdue: yuan(200),
            signed_at: Some(day("2026-06-06")),
        };
        let score = credit_score(&facts, day("2026-12-06"));
        assert_eq!(score.score, Some(51));
        assert_eq!(score.grade, Grade::Poor);
        assert_eq!(score.window_bills, 3);
        assert_eq!(score.factors.on_time.as_deref(), Some("0.3333"));
        assert_eq!(score.factors.late_days.as_deref(), Some("10.3333"));
        assert_eq!(score.factors.overdue_ratio.as_deref(), Some("1.0000"));
        assert_eq!(score.factors.tenure_months, 6);
    }

    #[test]
    fn caps_and_a_payment_after_as_of() {
        // one bill 200 days late, paid after as_of: open on as_of; overdue 10× the mean
        let facts = CreditFacts {
            bills: vec![bill("2026-05-20", 100, Some("2026-12-10"))],
            overdue: yuan(1000),
            signed_at: Some(day("2026-12-01")),
        };
        let score = credit_score(&facts, day("2026-12-06"));
        // 0 + 0 + 0 + 0
        assert_eq!(score.score, Some(0));
        assert_eq!(score.factors.late_days.as_deref(), Some("60.0000"));
        assert_eq!(score.factors.overdue_ratio.as_deref(), Some("3.0000"));
        assert_eq!(score.factors.tenure_months, 0);
    }

    #[test]
    fn half_up_at_the_end_and_the_grade_bounds() {
        // on time 1/2 → 20; late (0 + 1)/2 → 25(1 − 1/120) = 24.79…; no overdue → 20;
        // tenure 12 → 7.5: 72.29… → 72 (良)
        let facts = CreditFacts {
            bills: vec![
                bill("2026-11-01", 100, Some("2026-11-01")),
                bill("2026-11-10", 100, Some("2026-11-11")),
            ],
            overdue: Total::ZERO,
            signed_at: Some(day("2025-12-06")),
        };
        let score = credit_score(&facts, day("2026-12-06"));
        assert_eq!(score.score, Some(72));
        assert_eq!(score.grade, Grade::Good);
        for (value, grade) in [
            (85, Grade::Excellent),
            (84, Grade::Good),
            (70, Grade::Good),
            (69, Grade::Fair),
        ] {
            assert_eq!(Grade::of(Some(value)), grade);
        }
        assert_eq!(Grade::of(Some(55)), Grade::Fair);
        assert_eq!(Grade::of(Some(54)), Grade::Poor);
    }

    #[test]
    fn rounding_is_half_up_on_the_exact_value() {
        // 1 bill on time, tenure 1 month: 40 + 25 + 20 + 15/24 = 85.625 → 86
        let facts = CreditFacts {
            bills: vec![bill("2026-11-15", 100, Some("2026-11-01"))],
            overdue: Total::ZERO,
            signed_at: Some(day("2026-11-06")),
        };
        assert_eq!(credit_score(&facts, day("2026-12-06")).score, Some(86));
        // tenure 4: 85 + 2.5 = 87.5 → 88 (half-up)
        let facts = CreditFacts {
            signed_at: Some(day("2026-08-06")),
            ..facts
        };
        assert_eq!(credit_score(&facts, day("2026-12-06")).score, Some(88));
    }
}
