//! A receipt as staff enter it or a bank statement gives it: amount,
//! received date, method, payer, bank reference.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::customer::normalize::{clean, clean_name, to_half_width};
use crate::money::{Sign, amount_field};
use crate::pricing::RawValue;
use crate::usage::{RawValue as CellValue, parse_day};
use crate::validation::{FieldError, FieldErrors};

pub const MAX_PAYER_NAME: usize = 100;
pub const MAX_REFERENCE: usize = 64;
pub const MAX_REMARKS: usize = 500;

/// How the money came (DESIGN.md §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    BankTransfer,
    Cheque,
    Cash,
    Wechat,
    Alipay,
    Other,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 6] = [
        PaymentMethod::BankTransfer,
        PaymentMethod::Cheque,
        PaymentMethod::Cash,
        PaymentMethod::Wechat,
        PaymentMethod::Alipay,
        PaymentMethod::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            PaymentMethod::BankTransfer => "bank_transfer",
            PaymentMethod::Cheque => "cheque",
            PaymentMethod::Cash => "cash",
            PaymentMethod::Wechat => "wechat",
            PaymentMethod::Alipay => "alipay",
            PaymentMethod::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PaymentMethod::BankTransfer => "银行转账",
            PaymentMethod::Cheque => "支票",
            PaymentMethod::Cash => "现金",
            PaymentMethod::Wechat => "微信",
            PaymentMethod::Alipay => "支付宝",
            PaymentMethod::Other => "其他",
        }
    }

    /// The code, the label, or what statements and people write instead.
    pub fn parse(text: &str) -> Option<PaymentMethod> {
        let text = to_half_width(text).trim().to_lowercase();
        if let Some(method) = PaymentMethod::ALL
            .into_iter()
            .find(|m| m.code() == text || m.label() == text)
        {
            return Some(method);
        }
        match text.as_str() {
            "转账" | "银行" | "网银" | "电汇" | "对公转账" | "银行汇款" | "汇款" => {
                Some(PaymentMethod::BankTransfer)
            }
            "微信支付" | "weixin" => Some(PaymentMethod::Wechat),
            "支付宝转账" => Some(PaymentMethod::Alipay),
            "现金收款" => Some(PaymentMethod::Cash),
            "承兑" | "承兑汇票" | "银行承兑" => Some(PaymentMethod::Cheque),
            _ => None,
        }
    }
}

/// How much of a payment is allocated to bills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Unapplied,
    PartiallyApplied,
    Applied,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 3] = [
        PaymentStatus::Unapplied,
        PaymentStatus::PartiallyApplied,
        PaymentStatus::Applied,
    ];

    pub fn of(amount: Decimal, allocated: Decimal) -> PaymentStatus {
        if allocated.is_zero() {
            PaymentStatus::Unapplied
        } else if allocated >= amount {
            PaymentStatus::Applied
        } else {
            PaymentStatus::PartiallyApplied
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            PaymentStatus::Unapplied => "unapplied",
            PaymentStatus::PartiallyApplied => "partially_applied",
            PaymentStatus::Applied => "applied",
        }
    }

    pub fn parse(code: &str) -> Option<PaymentStatus> {
        PaymentStatus::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// A money amount of a receipt or an allocation: > 0, whole cents, at most
/// [`crate::money::MAX_AMOUNT`] (999,999,999,999.99), sent as a string.
/// Returned with two decimals.
pub fn validate_amount(value: Option<&RawValue>, field: &str, label: &str) -> Result<Decimal, FieldError> {
    amount_field(value, field, label, Sign::Positive)
}

/// An amount as bank statements write it (`¥1,234.50`, `1,234.50元`)
/// reduced to plain decimal text for [`validate_amount`].
pub fn statement_amount(text: &str) -> String {
    let text = to_half_width(text);
    let text = text.trim();
    let text = text.strip_suffix('元').unwrap_or(text);
    text.chars()
        .filter(|c| !matches!(c, ',' | '¥' | '￥' | '，') && !c.is_whitespace())
        .collect()
}

/// The day the money arrived: a date (cell or text), not after `today`.
pub fn validate_received_at(value: &CellValue, today: NaiveDate) -> Result<NaiveDate, FieldError> {
    if matches!(value, CellValue::Missing) {
        return Err(FieldError::new("received_at", "REQUIRED", "请填写到账日期"));
    }
    let Some(day) = parse_day(value) else {
        return Err(FieldError::new(
            "received_at",
            "INVALID_DATE",
            "到账日期格式不正确，请填写如 2026-11-20 的日期",
        ));
    };
    if day > today {
        return Err(FieldError::new("received_at", "DATE_IN_FUTURE", "到账日期不能晚于今天"));
    }
    if day < NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN) {
        return Err(FieldError::new(
            "received_at",
            "DATE_TOO_EARLY",
            "到账日期不能早于 2000 年",
        ));
    }
    Ok(day)
}

pub fn validate_method(value: Option<&str>) -> Result<PaymentMethod, FieldError> {
    let text = value.map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Err(FieldError::new("method", "REQUIRED", "请选择收款方式"));
    }
    PaymentMethod::parse(text).ok_or_else(|| {
        FieldError::new(
            "method",
            "INVALID_METHOD",
            "收款方式不正确，可选：银行转账、支票、现金、微信、支付宝、其他",
        )
    })
}

/// The fields of a receipt as received; `None` is absent.
#[derive(Debug, Clone)]
pub struct RawReceipt {
    pub amount: Option<RawValue>,
    pub received_at: CellValue,
    pub method: Option<String>,
    pub payer_name: Option<String>,
    pub reference: Option<String>,
    pub remarks: Option<String>,
}

/// A valid receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub amount: Decimal,
    pub received_at: NaiveDate,
    pub method: PaymentMethod,
    pub payer_name: Option<String>,
    pub reference: Option<String>,
    pub remarks: Option<String>,
}

fn optional_text(
    value: Option<&str>,
    field: &str,
    max: usize,
    message: String,
    errors: &mut FieldErrors,
) -> Option<String> {
    let text = value.and_then(clean_name)?;
    if text.chars().count() > max {
        errors.push(FieldError::new(field, "TOO_LONG", message));
        return None;
    }
    Some(text)
}

/// Every problem of a receipt at once, each naming its field.
pub fn validate_receipt(raw: &RawReceipt, today: NaiveDate) -> Result<Receipt, Vec<FieldError>> {
    let mut errors = FieldErrors::new();
    let amount = errors.check(validate_amount(raw.amount.as_ref(), "amount", "收款金额"));
    let received_at = errors.check(validate_received_at(&raw.received_at, today));
    let method = errors.check(validate_method(raw.method.as_deref()));
    let payer_name = optional_text(
        raw.payer_name.as_deref(),
        "payer_name",
        MAX_PAYER_NAME,
        format!("付款人名称不能超过 {MAX_PAYER_NAME} 个字"),
        &mut errors,
    );
    let reference = match raw.reference.as_deref().and_then(clean) {
        Some(r) if r.chars().count() > MAX_REFERENCE => {
            errors.push(FieldError::new(
                "reference",
                "TOO_LONG",
                format!("流水号不能超过 {MAX_REFERENCE} 个字符"),
            ));
            None
        }
        other => other,
    };
    let remarks = optional_text(
        raw.remarks.as_deref(),
        "remarks",
        MAX_REMARKS,
        format!("备注不能超过 {MAX_REMARKS} 个字"),
        &mut errors,
    );
    match (amount, received_at, method, errors.is_empty()) {
        (Some(amount), Some(received_at), Some(method), true) => Ok(Receipt {
            amount,
            received_at,
            method,
            payer_name,
            reference,
            remarks,
        }),
        _ => Err(errors.into_vec()),
    }
}

/// What makes two receipts the same (DESIGN.md §8: method and reference):
/// the reference without spaces or dashes' width differences, case-folded.
/// `None` without a reference: such receipts are never duplicates.
pub fn reference_key(method: PaymentMethod, reference: Option<&str>) -> Option<String> {
    let reference: String = to_half_width(reference?)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    (!reference.is_empty()).then(|| format!("{}:{reference}", method.code()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: &str) -> RawValue {
        RawValue::text(t)
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    #[test]
    fn amounts_are_positive_whole_cents_sent_as_text() {
        let ok = |t: &str| validate_amount(Some(&text(t)), "amount", "收款金额").map(|d| d.to_string());
        assert_eq!(ok("1234.5").unwrap(), "1234.50");
        assert_eq!(ok(" 0.01 ").unwrap(), "0.01");
        assert_eq!(ok("12.3400").unwrap(), "12.34");
        assert_eq!(ok("999999999999.99").unwrap(), "999999999999.99");
        assert_eq!(ok("0").unwrap_err().code, "NOT_POSITIVE");
        assert_eq!(ok("-5").unwrap_err().code, "NOT_POSITIVE");
        assert_eq!(ok("1.001").unwrap_err().code, "TOO_MANY_DECIMALS");
        assert_eq!(ok("1.001").unwrap_err().message, "收款金额最多保留 2 位小数");
        assert_eq!(ok("1000000000000").unwrap_err().code, "OUT_OF_RANGE");
        assert_eq!(ok("1e3").unwrap_err().code, "NOT_A_NUMBER");
        let number: RawValue = serde_json::from_str("12.5").unwrap();
        assert_eq!(
            validate_amount(Some(&number), "amount", "收款金额").unwrap_err().code,
            "NUMBER_NOT_STRING"
        );
        assert_eq!(
            validate_amount(None, "amount", "收款金额").unwrap_err().code,
            "REQUIRED"
        );
    }

    #[test]
    fn statement_amounts_lose_currency_signs_and_separators() {
        assert_eq!(statement_amount(" ¥1,234.50 "), "1234.50");
        assert_eq!(statement_amount("１２,０００元"), "12000");
        assert_eq!(statement_amount("-5"), "-5");
    }

    #[test]
    fn received_dates_read_as_typed_and_never_lie_in_the_future() {
        let day = |v: CellValue| validate_received_at(&v, today());
        assert_eq!(day(CellValue::text("2026/11/3")).unwrap().to_string(), "2026-11-03");
        assert_eq!(
            day(CellValue::Number("20261120".into())).unwrap().to_string(),
            "2026-11-20"
        );
        assert_eq!(day(CellValue::text("2026-11-23")).unwrap_err().code, "DATE_IN_FUTURE");
        assert_eq!(day(CellValue::text("昨天")).unwrap_err().code, "INVALID_DATE");
        assert_eq!(day(CellValue::Missing).unwrap_err().code, "REQUIRED");
        assert_eq!(day(CellValue::text("1999-12-31")).unwrap_err().code, "DATE_TOO_EARLY");
    }

    #[test]
    fn methods_by_code_label_or_synonym() {
        assert_eq!(PaymentMethod::parse("bank_transfer"), Some(PaymentMethod::BankTransfer));
        assert_eq!(PaymentMethod::parse(" 银行转账 "), Some(PaymentMethod::BankTransfer));
        assert_eq!(PaymentMethod::parse("网银"), Some(PaymentMethod::BankTransfer));
        assert_eq!(PaymentMethod::parse("微信支付"), Some(PaymentMethod::Wechat));
        assert_eq!(PaymentMethod::parse("ALIPAY"), Some(PaymentMethod::Alipay));
        assert_eq!(PaymentMethod::parse("刷卡"), None);
        assert_eq!(validate_method(None).unwrap_err().code, "REQUIRED");
        assert_eq!(validate_method(Some("刷卡")).unwrap_err().code, "INVALID_METHOD");
    }

    #[test]
    fn a_receipt_reports_every_problem_at_once() {
        let raw = RawReceipt {
            amount: Some(text("0")),
            received_at: CellValue::text("2099-01-01"),
            method: Some("刷卡".into()),
            payer_name: Some("名".repeat(101)),
            reference: Some("R".repeat(65)),
            remarks: None,
        };
        let errors = validate_receipt(&raw, today()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["amount", "received_at", "method", "payer_name", "reference"]);

        let raw = RawReceipt {
            amount: Some(text("100")),
            received_at: CellValue::text("2026-11-20"),
            method: Some("wechat".into()),
            payer_name: Some("  星河　物业 ".into()),
            reference: Some(" ab 12 ".into()),
            remarks: Some("  ".into()),
        };
        let receipt = validate_receipt(&raw, today()).unwrap();
        assert_eq!(receipt.amount.to_string(), "100.00");
        assert_eq!(receipt.payer_name.as_deref(), Some("星河 物业"));
        assert_eq!(receipt.reference.as_deref(), Some("ab 12"));
        assert_eq!(receipt.remarks, None);
    }

    #[test]
    fn references_compare_without_spaces_width_or_case() {
        let key = |m, r| reference_key(m, r);
        assert_eq!(
            key(PaymentMethod::BankTransfer, Some("ab 12")),
            key(PaymentMethod::BankTransfer, Some("ＡＢ12"))
        );
        assert_ne!(
            key(PaymentMethod::BankTransfer, Some("AB12")),
            key(PaymentMethod::Wechat, Some("AB12"))
        );
        assert_eq!(key(PaymentMethod::Cash, Some("  ")), None);
        assert_eq!(key(PaymentMethod::Cash, None), None);
    }

    #[test]
    fn status_follows_the_allocated_share() {
        let d = |t: &str| t.parse::<Decimal>().unwrap();
        assert_eq!(PaymentStatus::of(d("100"), d("0")), PaymentStatus::Unapplied);
        assert_eq!(PaymentStatus::of(d("100"), d("0.01")), PaymentStatus::PartiallyApplied);
        assert_eq!(PaymentStatus::of(d("100"), d("100.00")), PaymentStatus::Applied);
    }
}
