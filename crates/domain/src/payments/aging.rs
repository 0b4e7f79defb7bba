//! Open amounts by how long they are overdue (DESIGN.md §7–8: not due,
//! 1–30, 31–60, 61–90, 90+ days).

use std::ops::AddAssign;

use chrono::NaiveDate;

use crate::billing::{AgingBucket, overdue_days};
use crate::money::{Fixed4, Total};

/// Sums of stored amounts ([`Total`]): a customer with thousands of open
/// bills, or the report over every customer, never overflows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgingAmounts {
    pub not_due: Total,
    pub d1_30: Total,
    pub d31_60: Total,
    pub d61_90: Total,
    pub d90_plus: Total,
    /// The most days any of the amounts is overdue.
    pub max_overdue_days: i64,
}

impl AgingAmounts {
    /// Adds an open amount due on `due` (a bill without a due date is not due).
    pub fn add(&mut self, outstanding: Fixed4, due: Option<NaiveDate>, as_of: NaiveDate) {
        let days = due.map_or(0, |due| overdue_days(due, as_of));
        self.max_overdue_days = self.max_overdue_days.max(days);
        let slot = match AgingBucket::of(days) {
            None => &mut self.not_due,
            Some(AgingBucket::Days1To30) => &mut self.d1_30,
            Some(AgingBucket::Days31To60) => &mut self.d31_60,
            Some(AgingBucket::Days61To90) => &mut self.d61_90,
            Some(AgingBucket::Over90) => &mut self.d90_plus,
        };
        *slot += outstanding;
    }

    pub fn overdue(&self) -> Total {
        self.d1_30 + self.d31_60 + self.d61_90 + self.d90_plus
    }

    pub fn outstanding(&self) -> Total {
        self.not_due + self.overdue()
    }
}

impl AddAssign for AgingAmounts {
    fn add_assign(&mut self, other: AgingAmounts) {
        self.not_due += other.not_due;
        self.d1_30 += other.d1_30;
        self.d31_60 += other.d31_60;
        self.d61_90 += other.d61_90;
        self.d90_plus += other.d90_plus;
        self.max_overdue_days = self.max_overdue_days.max(other.max_overdue_days);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn units_of(text: &str) -> Total {
        Total::from(text.parse::<Fixed4>().unwrap())
    }

    #[test]
    fn amounts_fall_into_their_buckets_at_the_edges() {
        let as_of = day("2026-12-31");
        let mut aging = AgingAmounts::default();
        for (due, amount) in [
            ("2026-12-31", "1"),  // due today: not overdue
            ("2026-12-30", "2"),  // 1 day
            ("2026-12-01", "4"),  // 30 days
            ("2026-11-30", "8"),  // 31 days
            ("2026-10-02", "16"), // 90 days
            ("2026-10-01", "32"), // 91 days
        ] {
            aging.add(amount.parse().unwrap(), Some(day(due)), as_of);
        }
        aging.add("64".parse().unwrap(), None, as_of);
        assert_eq!(aging.not_due, units_of("65"));
        assert_eq!(aging.d1_30, units_of("6"));
        assert_eq!(aging.d31_60, units_of("8"));
        assert_eq!(aging.d61_90, units_of("16"));
        assert_eq!(aging.d90_plus, units_of("32"));
        assert_eq!(aging.overdue(), units_of("62"));
        assert_eq!(aging.outstanding(), units_of("127"));
        assert_eq!(aging.max_overdue_days, 91);
        let mut total = AgingAmounts::default();
        total += aging;
        total += aging;
        assert_eq!(total.outstanding(), units_of("254"));
    }

    #[test]
    fn buckets_hold_more_than_one_stored_amount_can() {
        let as_of = day("2026-12-31");
        let mut aging = AgingAmounts::default();
        for _ in 0..925 {
            aging.add("999999999999.99".parse().unwrap(), Some(day("2026-12-30")), as_of);
        }
        assert_eq!(aging.d1_30.to_string(), "924999999999990.75");
        assert_eq!(aging.outstanding(), aging.d1_30);
    }
}
