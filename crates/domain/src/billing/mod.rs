//! Bills (账单, DESIGN.md §7): who is billed, what a line is, which warnings
//! a draft carries, which status may follow which, due dates and overdue,
//! bill numbers, manual lines and credit notes, and what a generation run
//! decides per customer ([`decide`]). Pure: no IO, no clock (the
//! caller passes "today").
//!
//! The amounts themselves come from [`crate::pricing::price_plan`]; this
//! module turns its lines into stored bill lines and decides around them.

mod billable;
mod dates;
mod generation;
mod lines;
mod number;
mod status;
mod warnings;

pub use billable::{SkipReason, billability};
pub use dates::{AgingBucket, due_date, overdue_days};
pub use generation::{
    AutoBill, CustomerFacts, CustomerInputs, DRAFT_RULES_VERSION, Decision, Draft, DraftUpdate, LateUsage, PlanInForce,
    RunChanges, RunRules, changes, decide, draft, fingerprint, late_usage_flag, trailing_months, usage_key,
};
pub use lines::{
    MAX_MANUAL_LINES, PricedLines, RawManualLine, StoredLine, StoredLineKind, StoredTier, lines_from_quote,
    priced_lines, subtotal, validate_credit_amount, validate_manual_lines, validate_reason,
};
pub use number::{BILL_NO_DIGITS, bill_no};
pub use status::{BillRuleError, BillStatus, Charge, check_credit, check_issue, check_void, paid_status};
pub use warnings::{BillWarning, TRAILING_MONTHS, Trailing, WarningCode, WarningInputs, grouped, verify};
