//! Payments and write-off (收款核销, DESIGN.md §8): what a valid receipt is,
//! which allocation of a payment to bills is allowed, how suggestions are
//! found (exact amount, a subset summing to it, oldest first; customers by
//! payer name) and how open amounts age. Pure: no IO, no clock.
//!
//! The invariants checked here (Σ of a payment ≤ its amount, Σ of a bill ≤
//! its total, amounts > 0) are also enforced by the database; these checks
//! give the person a precise reason before the database would refuse.

mod aging;
mod allocation;
mod input;
mod payer;
mod suggest;

pub use aging::AgingAmounts;
pub use allocation::{
    AllocationError, BillSide, MAX_ALLOCATION_LINES, PaymentSide, RawAllocation, check_allocations, check_editable,
    check_reverse, validate_allocation_lines,
};
pub use input::{
    MAX_PAYER_NAME, MAX_REFERENCE, MAX_REMARKS, PaymentMethod, PaymentStatus, RawReceipt, Receipt, reference_key,
    statement_amount, validate_amount, validate_method, validate_receipt, validate_received_at,
};
pub use payer::{CustomerMatch, core_name, match_payer};
pub use suggest::{
    ExactMatch, OpenBill, ReceiptToMatch, SUBSET_SEARCH_BUDGET, Suggestion, SuggestionKind, SuggestionLine,
    exact_one_to_one, suggest,
};
