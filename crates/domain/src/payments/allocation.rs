//! Allocation (核销) of a payment to bills, and its reversal (撤销核销).

use std::collections::HashSet;

use rust_decimal::Decimal;
use serde::Deserialize;

use super::input::validate_amount;
use crate::billing::BillStatus;
use crate::pricing::RawValue;
use crate::validation::{FieldError, FieldErrors};

/// Most bills one allocation request may touch.
pub const MAX_ALLOCATION_LINES: usize = 200;

/// One line of an allocation request as sent.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = AllocationLineInput)]
pub struct RawAllocation {
    pub bill_id: Option<i64>,
    /// A decimal string, > 0, at most two decimals.
    #[schema(value_type = Option<String>)]
    pub amount: Option<RawValue>,
}

/// The lines of a request: at least one, at most 200, each bill once, each
/// amount > 0 in whole cents. Paths name the line (`allocations[1].amount`).
pub fn validate_allocation_lines(lines: &[RawAllocation]) -> Result<Vec<(i64, Decimal)>, Vec<FieldError>> {
    let mut errors = FieldErrors::new();
    if lines.is_empty() {
        errors.push(FieldError::new(
            "allocations",
            "REQUIRED",
            "请至少选择一张账单并填写核销金额",
        ));
        return Err(errors.into_vec());
    }
    if lines.len() > MAX_ALLOCATION_LINES {
        errors.push(FieldError::new(
            "allocations",
            "TOO_MANY_LINES",
            format!("一次最多核销 {MAX_ALLOCATION_LINES} 张账单"),
        ));
        return Err(errors.into_vec());
    }
    let mut seen = HashSet::new();
    let mut result = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let path = |field: &str| format!("allocations[{i}].{field}");
        let bill_id = match line.bill_id {
            None => {
                errors.push(FieldError::new(path("bill_id"), "REQUIRED", "请选择要核销的账单"));
                None
            }
            Some(id) if !seen.insert(id) => {
                errors.push(FieldError::new(
                    path("bill_id"),
                    "DUPLICATE_BILL",
                    "同一张账单在一次核销中只能出现一次",
                ));
                None
            }
            Some(id) => Some(id),
        };
        let amount = errors.check(validate_amount(line.amount.as_ref(), &path("amount"), "核销金额"));
        if let (Some(bill_id), Some(amount)) = (bill_id, amount) {
            result.push((bill_id, amount));
        }
    }
    if errors.is_empty() {
        Ok(result)
    } else {
        Err(errors.into_vec())
    }
}

/// The payment as locked in the transaction.
#[derive(Debug, Clone)]
pub struct PaymentSide {
    pub customer_id: Option<i64>,
    pub amount: Decimal,
    pub allocated: Decimal,
    pub deleted: bool,
}

/// A bill as locked in the transaction.
#[derive(Debug, Clone)]
pub struct BillSide {
    pub id: i64,
    pub bill_no: String,
    pub customer_id: i64,
    pub status: BillStatus,
    pub total: Decimal,
    pub allocated: Decimal,
}

/// Why an allocation, a reversal or an edit is refused (each a 409).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    #[error("收款已删除，不能核销")]
    PaymentDeleted,
    #[error("账单 {bill_no} 当前状态为「{}」，只有未结算或部分结算的账单可以核销", .status.label())]
    BillNotOpen { bill_no: String, status: BillStatus },
    #[error("账单 {bill_no} 不属于这笔收款的客户")]
    CustomerMismatch { bill_no: String },
    #[error("一笔收款只能核销同一个客户的账单")]
    MixedCustomers,
    #[error("核销合计 {requested} 超过收款的未核销金额 {unapplied}")]
    ExceedsUnapplied { requested: Decimal, unapplied: Decimal },
    #[error("账单 {bill_no} 的核销金额 {amount} 超过其未结金额 {outstanding}")]
    ExceedsOutstanding {
        bill_no: String,
        amount: Decimal,
        outstanding: Decimal,
    },
    #[error("这条核销记录已经撤销过了")]
    AlreadyReversed,
    #[error("收款已有核销记录，不能修改或删除；请先撤销核销")]
    PaymentHasAllocations,
}

impl AllocationError {
    pub fn code(&self) -> &'static str {
        match self {
            AllocationError::PaymentDeleted => "PAYMENT_DELETED",
            AllocationError::BillNotOpen { .. } => "BILL_NOT_OPEN",
            AllocationError::CustomerMismatch { .. } | AllocationError::MixedCustomers => "CUSTOMER_MISMATCH",
            AllocationError::ExceedsUnapplied { .. } => "EXCEEDS_UNAPPLIED",
            AllocationError::ExceedsOutstanding { .. } => "EXCEEDS_OUTSTANDING",
            AllocationError::AlreadyReversed => "ALLOCATION_ALREADY_REVERSED",
            AllocationError::PaymentHasAllocations => "PAYMENT_HAS_ALLOCATIONS",
        }
    }
}

/// Checks a whole request against the locked payment and bills (`bills`
/// holds every bill the lines name). Returns the customer the payment
/// belongs to afterwards: its own, or, for a payment entered without one,
/// the bills' customer.
pub fn check_allocations(
    payment: &PaymentSide,
    bills: &[BillSide],
    lines: &[(i64, Decimal)],
) -> Result<i64, AllocationError> {
    if payment.deleted {
        return Err(AllocationError::PaymentDeleted);
    }
    let mut customer = payment.customer_id;
    let mut requested = Decimal::ZERO;
    for (bill_id, amount) in lines {
        let Some(bill) = bills.iter().find(|b| b.id == *bill_id) else {
            continue;
        };
        if !bill.status.is_open() {
            return Err(AllocationError::BillNotOpen {
                bill_no: bill.bill_no.clone(),
                status: bill.status,
            });
        }
        match customer {
            Some(c) if c != bill.customer_id => {
                return Err(if payment.customer_id.is_some() {
                    AllocationError::CustomerMismatch {
                        bill_no: bill.bill_no.clone(),
                    }
                } else {
                    AllocationError::MixedCustomers
                });
            }
            _ => customer = Some(bill.customer_id),
        }
        let outstanding = bill.total - bill.allocated;
        if *amount > outstanding {
            return Err(AllocationError::ExceedsOutstanding {
                bill_no: bill.bill_no.clone(),
                amount: *amount,
                outstanding,
            });
        }
        requested += *amount;
    }
    let unapplied = payment.amount - payment.allocated;
    if requested > unapplied {
        return Err(AllocationError::ExceedsUnapplied { requested, unapplied });
    }
    customer.ok_or(AllocationError::MixedCustomers)
}

/// An allocation is reversed once.
pub fn check_reverse(already_reversed: bool) -> Result<(), AllocationError> {
    if already_reversed {
        Err(AllocationError::AlreadyReversed)
    } else {
        Ok(())
    }
}

/// A payment is edited or deleted only while nothing is allocated.
pub fn check_editable(allocated: Decimal) -> Result<(), AllocationError> {
    if allocated.is_zero() {
        Ok(())
    } else {
        Err(AllocationError::PaymentHasAllocations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn payment(customer: Option<i64>, amount: &str, allocated: &str) -> PaymentSide {
        PaymentSide {
            customer_id: customer,
            amount: d(amount),
            allocated: d(allocated),
            deleted: false,
        }
    }

    fn bill(id: i64, customer: i64, status: BillStatus, total: &str, allocated: &str) -> BillSide {
        BillSide {
            id,
            bill_no: format!("B202611-{id:06}"),
            customer_id: customer,
            status,
            total: d(total),
            allocated: d(allocated),
        }
    }

    fn raw(json: &str) -> Vec<RawAllocation> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn request_lines_are_checked_each_with_its_path() {
        assert_eq!(
            validate_allocation_lines(&raw(r#"[{"bill_id":1,"amount":"10"},{"bill_id":2,"amount":"0.5"}]"#)).unwrap(),
            vec![(1, d("10.00")), (2, d("0.50"))]
        );
        let errors = validate_allocation_lines(&raw(
            r#"[{"bill_id":1,"amount":"0"},{"bill_id":1,"amount":"1.001"},{"amount":"1"}]"#,
        ))
        .unwrap_err();
        let got: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            got,
            [
                ("allocations[0].amount", "NOT_POSITIVE"),
                ("allocations[1].bill_id", "DUPLICATE_BILL"),
                ("allocations[1].amount", "TOO_MANY_DECIMALS"),
                ("allocations[2].bill_id", "REQUIRED"),
            ]
        );
        assert_eq!(validate_allocation_lines(&[]).unwrap_err()[0].code, "REQUIRED");
        let many = vec![
            RawAllocation {
                bill_id: Some(1),
                amount: Some(RawValue::text("1"))
            };
            201
        ];
        assert_eq!(validate_allocation_lines(&many).unwrap_err()[0].code, "TOO_MANY_LINES");
    }

    #[test]
    fn sums_stay_within_the_payment_and_each_bill() {
        use BillStatus::*;
        let bills = [
            bill(1, 7, Issued, "100.00", "0"),
            bill(2, 7, PartiallyPaid, "50.00", "20.00"),
        ];
        let p = payment(Some(7), "200.00", "60.00");
        assert_eq!(check_allocations(&p, &bills, &[(1, d("100")), (2, d("30"))]), Ok(7));
        assert_eq!(
            check_allocations(&p, &bills, &[(2, d("30.01"))]).unwrap_err().code(),
            "EXCEEDS_OUTSTANDING"
        );
        let p = payment(Some(7), "200.00", "100.00");
        assert_eq!(
            check_allocations(&p, &bills, &[(1, d("100")), (2, d("0.01"))]),
            Err(AllocationError::ExceedsUnapplied {
                requested: d("100.01"),
                unapplied: d("100.00")
            })
        );
    }

    #[test]
    fn only_open_bills_of_the_same_customer() {
        use BillStatus::*;
        let p = payment(Some(7), "100", "0");
        for status in [Draft, Paid, Void] {
            let bills = [bill(1, 7, status, "10", "0")];
            assert_eq!(
                check_allocations(&p, &bills, &[(1, d("1"))]).unwrap_err().code(),
                "BILL_NOT_OPEN"
            );
        }
        let bills = [bill(1, 8, Issued, "10", "0")];
        assert_eq!(
            check_allocations(&p, &bills, &[(1, d("1"))]).unwrap_err(),
            AllocationError::CustomerMismatch {
                bill_no: "B202611-000001".into()
            }
        );
        // A payment without a customer takes the bills' one, but only one.
        let unassigned = payment(None, "100", "0");
        assert_eq!(check_allocations(&unassigned, &bills, &[(1, d("1"))]), Ok(8));
        let two = [bill(1, 8, Issued, "10", "0"), bill(2, 9, Issued, "10", "0")];
        assert_eq!(
            check_allocations(&unassigned, &two, &[(1, d("1")), (2, d("1"))]),
            Err(AllocationError::MixedCustomers)
        );
        let mut deleted = payment(Some(8), "100", "0");
        deleted.deleted = true;
        assert_eq!(
            check_allocations(&deleted, &bills, &[(1, d("1"))]),
            Err(AllocationError::PaymentDeleted)
        );
    }

    #[test]
    fn reversal_once_and_edits_only_without_allocations() {
        assert_eq!(check_reverse(false), Ok(()));
        assert_eq!(check_reverse(true).unwrap_err().code(), "ALLOCATION_ALREADY_REVERSED");
        assert_eq!(check_editable(d("0.00")), Ok(()));
        assert_eq!(check_editable(d("0.01")).unwrap_err().code(), "PAYMENT_HAS_ALLOCATIONS");
    }
}
