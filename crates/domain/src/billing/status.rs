//! The bill status machine (DESIGN.md §7):
//! `draft` → `issued` → `partially_paid` → `paid`; `void` from draft or
//! issued while nothing is allocated.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BillStatus {
    Draft,
    Issued,
    PartiallyPaid,
    Paid,
    Void,
}

impl BillStatus {
    pub const ALL: [BillStatus; 5] = [
        BillStatus::Draft,
        BillStatus::Issued,
        BillStatus::PartiallyPaid,
        BillStatus::Paid,
        BillStatus::Void,
    ];

    pub fn code(self) -> &'static str {
        match self {
            BillStatus::Draft => "draft",
            BillStatus::Issued => "issued",
            BillStatus::PartiallyPaid => "partially_paid",
            BillStatus::Paid => "paid",
            BillStatus::Void => "void",
        }
    }

    pub fn parse(code: &str) -> Option<BillStatus> {
        BillStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            BillStatus::Draft => "草稿",
            BillStatus::Issued => "未结算",
            BillStatus::PartiallyPaid => "部分结算",
            BillStatus::Paid => "已结算",
            BillStatus::Void => "作废",
        }
    }

    /// Issued and not yet settled: what a customer owes and what ages.
    pub const OPEN: [BillStatus; 2] = [BillStatus::Issued, BillStatus::PartiallyPaid];

    pub fn is_open(self) -> bool {
        BillStatus::OPEN.contains(&self)
    }
}

/// Why a bill action is refused (each a 409 with this code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillRuleError {
    #[error("账单当前状态为「{}」，不能{action}", .status.label())]
    InvalidStatus { status: BillStatus, action: &'static str },
    #[error("账单有 {count} 条校验警告，请核对后确认再出账")]
    WarningsNotAcknowledged { count: usize },
    #[error("客户没有生效的定价方案，账单无法出账；请分配定价方案后重新生成")]
    NotPriced,
    #[error("账单金额超出系统可处理范围，无法出账；请核对用量和单价后重新生成")]
    AmountTooLarge,
    #[error("账单已有核销记录，不能作废；请先撤销核销")]
    HasAllocations,
    #[error("红冲金额 {amount} 超过账单未结金额 {outstanding}")]
    CreditExceedsOutstanding { amount: Decimal, outstanding: Decimal },
}

impl BillRuleError {
    pub fn code(&self) -> &'static str {
        match self {
            BillRuleError::InvalidStatus { .. } => "INVALID_BILL_STATUS",
            BillRuleError::WarningsNotAcknowledged { .. } => "WARNINGS_NOT_ACKNOWLEDGED",
            BillRuleError::NotPriced => "BILL_NOT_PRICED",
            BillRuleError::AmountTooLarge => "AMOUNT_TOO_LARGE",
            BillRuleError::HasAllocations => "BILL_HAS_ALLOCATIONS",
            BillRuleError::CreditExceedsOutstanding { .. } => "CREDIT_EXCEEDS_OUTSTANDING",
        }
    }
}

/// What a draft has to charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charge {
    /// Lines from a plan (auto) or typed lines (manual).
    Priced,
    /// No price plan, or the plan could not price the usage.
    NotPriced,
    /// An amount beyond what a bill may hold (AMOUNT_TOO_LARGE).
    TooLarge,
}

/// Only a draft is issued; warnings need an explicit acknowledgement; a
/// draft without a price plan has nothing to charge and is never issued,
/// nor one whose amount the system cannot hold, acknowledged or not.
pub fn check_issue(
    status: BillStatus,
    warning_count: usize,
    acknowledged: bool,
    charge: Charge,
) -> Result<(), BillRuleError> {
    if status != BillStatus::Draft {
        return Err(BillRuleError::InvalidStatus {
            status, action: "出账"
        });
    }
    match charge {
        Charge::Priced => {}
        Charge::NotPriced => return Err(BillRuleError::NotPriced),
        Charge::TooLarge => return Err(BillRuleError::AmountTooLarge),
    }
    if warning_count > 0 && !acknowledged {
        return Err(BillRuleError::WarningsNotAcknowledged { count: warning_count });
    }
    Ok(())
}

/// A draft or issued bill with nothing allocated may be voided.
pub fn check_void(status: BillStatus, allocated: Decimal) -> Result<(), BillRuleError> {
    if !allocated.is_zero() {
        return Err(BillRuleError::HasAllocations);
    }
    match status {
        BillStatus::Draft | BillStatus::Issued => Ok(()),
        status => Err(BillRuleError::InvalidStatus {
            status, action: "作废"
        }),
    }
}

/// A credit note reduces what an issued bill asks for, never below what was
/// already paid: at most the outstanding amount.
pub fn check_credit(status: BillStatus, amount: Decimal, outstanding: Decimal) -> Result<(), BillRuleError> {
    if !status.is_open() {
        return Err(BillRuleError::InvalidStatus {
            status,
            action: "红冲调整",
        });
    }
    if amount > outstanding {
        return Err(BillRuleError::CreditExceedsOutstanding { amount, outstanding });
    }
    Ok(())
}

/// The status of an issued bill given what is allocated to it.
pub fn paid_status(total: Decimal, allocated: Decimal) -> BillStatus {
    if allocated >= total {
        BillStatus::Paid
    } else if allocated.is_zero() {
        BillStatus::Issued
    } else {
        BillStatus::PartiallyPaid
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use BillStatus::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn only_a_priced_draft_is_issued_and_warnings_need_acknowledging() {
        assert_eq!(check_issue(Draft, 0, false, Charge::Priced), Ok(()));
        assert_eq!(check_issue(Draft, 2, true, Charge::Priced), Ok(()));
        assert_eq!(
            check_issue(Draft, 2, false, Charge::Priced),
            Err(BillRuleError::WarningsNotAcknowledged { count: 2 })
        );
        assert_eq!(
            check_issue(Draft, 1, true, Charge::NotPriced),
            Err(BillRuleError::NotPriced)
        );
        assert_eq!(
            check_issue(Draft, 1, true, Charge::TooLarge),
            Err(BillRuleError::AmountTooLarge)
        );
        assert_eq!(BillRuleError::AmountTooLarge.code(), "AMOUNT_TOO_LARGE");
        for status in [Issued, PartiallyPaid, Paid, Void] {
            assert_eq!(
                check_issue(status, 0, true, Charge::Priced).unwrap_err().code(),
                "INVALID_BILL_STATUS"
            );
        }
    }

    #[test]
    fn void_only_without_allocations_from_draft_or_issued() {
        assert_eq!(check_void(Draft, d("0")), Ok(()));
        assert_eq!(check_void(Issued, d("0.00")), Ok(()));
        assert_eq!(check_void(Issued, d("0.01")), Err(BillRuleError::HasAllocations));
        assert_eq!(check_void(Paid, d("10")), Err(BillRuleError::HasAllocations));
        assert_eq!(check_void(Void, d("0")).unwrap_err().code(), "INVALID_BILL_STATUS");
    }

    #[test]
    fn credit_at_most_the_outstanding_of_an_open_bill() {
        assert_eq!(check_credit(Issued, d("100.00"), d("100.00")), Ok(()));
        assert_eq!(check_credit(PartiallyPaid, d("10"), d("40")), Ok(()));
        assert_eq!(
            check_credit(Issued, d("100.01"), d("100.00")).unwrap_err().code(),
            "CREDIT_EXCEEDS_OUTSTANDING"
        );
        for status in [Draft, Paid, Void] {
            assert_eq!(
                check_credit(status, d("1"), d("10")).unwrap_err().code(),
                "INVALID_BILL_STATUS"
            );
        }
    }

    #[test]
    fn status_follows_the_allocated_sum() {
        assert_eq!(paid_status(d("100"), d("0")), Issued);
        assert_eq!(paid_status(d("100"), d("0.01")), PartiallyPaid);
        assert_eq!(paid_status(d("100"), d("100.00")), Paid);
        assert_eq!(paid_status(d("0.00"), d("0")), Paid);
    }
}
