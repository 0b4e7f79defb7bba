//! The month close (月结): the order of its steps and which one is next.
//!
//! Operations close a month by working these steps in order; the 月结工作台
//! shows every step's count and offers the action of the first one that
//! still has work. The order is the rule: bills are generated from complete
//! usage, issued after their warnings are reviewed, and receipts are
//! allocated against issued bills.

use chrono::NaiveDate;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CloseStep {
    /// A configured source has days of the month without a successful collection.
    Collect,
    /// Records of the month wait in quarantine (异常数据).
    Quarantine,
    /// Customers with usage in the month have no bill yet.
    Generate,
    /// Drafts carry warnings someone must look at.
    ReviewWarnings,
    /// Drafts without warnings wait to be issued.
    Issue,
    /// Receipts have money not yet allocated to bills.
    Allocate,
    /// Issued bills are past their due date.
    ChaseOverdue,
    /// Nothing left to do for the month.
    Done,
}

impl CloseStep {
    /// The steps in the order they are worked.
    pub const ORDER: [CloseStep; 7] = [
        CloseStep::Collect,
        CloseStep::Quarantine,
        CloseStep::Generate,
        CloseStep::ReviewWarnings,
        CloseStep::Issue,
        CloseStep::Allocate,
        CloseStep::ChaseOverdue,
    ];
}

/// What is still open in each step of one month's close.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenWork {
    pub days_not_collected: u64,
    pub quarantine_pending: u64,
    pub customers_not_billed: u64,
    pub drafts_with_warnings: u64,
    pub clean_drafts: u64,
    pub unallocated_receipts: u64,
    pub overdue_bills: u64,
}

impl OpenWork {
    /// The open count of one step.
    pub fn of(&self, step: CloseStep) -> u64 {
        match step {
            CloseStep::Collect => self.days_not_collected,
            CloseStep::Quarantine => self.quarantine_pending,
            CloseStep::Generate => self.customers_not_billed,
            CloseStep::ReviewWarnings => self.drafts_with_warnings,
            CloseStep::Issue => self.clean_drafts,
            CloseStep::Allocate => self.unallocated_receipts,
            CloseStep::ChaseOverdue => self.overdue_bills,
            CloseStep::Done => 0,
        }
    }

    /// The first step in [`CloseStep::ORDER`] with open work.
    pub fn next_step(&self) -> CloseStep {
        CloseStep::ORDER
            .into_iter()
            .find(|step| self.of(*step) > 0)
            .unwrap_or(CloseStep::Done)
    }
}

/// The days of a month whose usage is due by `today`: every day of a past
/// month, the days before today of the current month, none of a future one.
/// Usage of a day is collected the day after (DESIGN.md §6).
pub fn days_due(first: NaiveDate, last: NaiveDate, today: NaiveDate) -> Vec<NaiveDate> {
    let until = last.min(today.pred_opt().unwrap_or(today));
    first.iter_days().take_while(|day| *day <= until).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    #[test]
    fn the_next_step_is_the_first_with_open_work() {
        assert_eq!(OpenWork::default().next_step(), CloseStep::Done);
        let work = OpenWork {
            clean_drafts: 3,
            overdue_bills: 9,
            ..OpenWork::default()
        };
        assert_eq!(work.next_step(), CloseStep::Issue);
        let work = OpenWork {
            days_not_collected: 1,
            ..work
        };
        assert_eq!(work.next_step(), CloseStep::Collect);
        let work = OpenWork {
            overdue_bills: 1,
            ..OpenWork::default()
        };
        assert_eq!(work.next_step(), CloseStep::ChaseOverdue);
    }

    #[test]
    fn usage_is_due_for_the_days_already_over() {
        let (first, last) = (day(11, 1), day(11, 30));
        assert_eq!(days_due(first, last, day(12, 5)).len(), 30);
        assert_eq!(days_due(first, last, day(12, 1)).len(), 30);
        assert_eq!(
            days_due(first, last, day(11, 10)),
            first.iter_days().take(9).collect::<Vec<_>>()
        );
        assert!(days_due(first, last, day(11, 1)).is_empty());
        assert!(days_due(first, last, day(10, 20)).is_empty());
    }
}
