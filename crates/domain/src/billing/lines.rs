//! Bill lines as a bill keeps them: priced usage lines and the minimum
//! top-up from the pricing engine, or free lines of a manual bill; and the
//! validation of what a person types (manual lines, credit notes, reasons).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::customer::Series;
use crate::money::{Fixed4, MAX_AMOUNT, Sign, amount_field, round_to_cents, within_max_amount};
use crate::pricing::{BillQuote, LineKind, PricingError, RawValue, ValueError, decimal_field};
use crate::validation::{FieldError, FieldErrors};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = BillLineKind)]
#[serde(rename_all = "snake_case")]
pub enum StoredLineKind {
    Usage,
    MinimumTopup,
    Manual,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = BillTierLine)]
pub struct StoredTier {
    pub from: Decimal,
    #[schema(required = true)]
    pub to: Option<Decimal>,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub amount: Decimal,
}

/// One line of a bill, in the JSON shape the API answers and storage keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = BillLineItem)]
pub struct StoredLine {
    pub kind: StoredLineKind,
    #[schema(required = true)]
    pub series: Option<Series>,
    #[schema(required = true)]
    pub usage: Option<Decimal>,
    #[schema(required = true)]
    pub description: Option<String>,
    #[schema(required = true)]
    pub quantity: Option<Decimal>,
    #[schema(required = true)]
    pub unit_price: Option<Decimal>,
    /// Exact amount.
    pub raw_amount: Decimal,
    /// Rounded half-up to 0.01: what the bill charges.
    pub amount: Decimal,
    pub tiers: Vec<StoredTier>,
}

/// The engine's bill as stored lines.
pub fn lines_from_quote(quote: &BillQuote) -> Vec<StoredLine> {
    quote
        .lines
        .iter()
        .map(|line| StoredLine {
            kind: match line.kind {
                LineKind::Usage => StoredLineKind::Usage,
                LineKind::MinimumTopup => StoredLineKind::MinimumTopup,
            },
            series: line.series,
            usage: line.usage.map(|u| u.value()),
            description: None,
            quantity: None,
            unit_price: None,
            raw_amount: line.raw_amount,
            amount: line.amount,
            tiers: line
                .tiers
                .iter()
                .map(|t| StoredTier {
                    from: t.from,
                    to: t.to,
                    quantity: t.quantity,
                    unit_price: t.unit_price,
                    amount: t.amount,
                })
                .collect(),
        })
        .collect()
}

/// Σ of the lines' rounded amounts (total = Σ lines always), when every
/// line and the sum are amounts a bill may hold (at most [`MAX_AMOUNT`]);
/// `None` otherwise. Never a rounded, wrapped or saturated sum.
pub fn subtotal(lines: &[StoredLine]) -> Option<Fixed4> {
    let mut sum = Decimal::ZERO;
    for line in lines {
        if !within_max_amount(line.amount) {
            return None;
        }
        sum = sum.checked_add(line.amount)?;
    }
    if !within_max_amount(sum) {
        return None;
    }
    Fixed4::from_decimal(sum).ok()
}

/// An auto bill as priced: its lines and subtotal, or none and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PricedLines {
    pub lines: Vec<StoredLine>,
    pub subtotal: Fixed4,
    /// The plan cannot price this usage (a series without a rule).
    pub pricing_error: Option<String>,
    /// An amount beyond what a bill may hold ([`MAX_AMOUNT`]), or beyond
    /// exact computation: the draft keeps no lines and is never issued.
    pub amount_too_large: bool,
}

/// What the engine's answer for a customer's usage makes of an auto bill.
pub fn priced_lines(quote: Result<BillQuote, PricingError>) -> PricedLines {
    let too_large = PricedLines {
        amount_too_large: true,
        ..PricedLines::default()
    };
    match quote {
        Ok(quote) => {
            let lines = lines_from_quote(&quote);
            match subtotal(&lines) {
                Some(subtotal) => PricedLines {
                    lines,
                    subtotal,
                    ..PricedLines::default()
                },
                None => too_large,
            }
        }
        Err(PricingError::Overflow) => too_large,
        Err(e) => PricedLines {
            pricing_error: Some(e.to_string()),
            ..PricedLines::default()
        },
    }
}

pub const MAX_MANUAL_LINES: usize = 50;
const MAX_DESCRIPTION: usize = 100;
const MAX_REASON: usize = 500;

/// A manual bill line as received.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = ManualLineInput)]
pub struct RawManualLine {
    pub description: Option<String>,
    /// Decimal strings: quantity × unit price, or an amount.
    #[schema(value_type = Option<String>)]
    pub quantity: Option<RawValue>,
    #[schema(value_type = Option<String>)]
    pub unit_price: Option<RawValue>,
    #[schema(value_type = Option<String>)]
    pub amount: Option<RawValue>,
}

fn present(value: &Option<RawValue>) -> bool {
    !matches!(value, None | Some(RawValue::Null(())))
}

fn non_negative(value: Decimal, field: &str, label: &str) -> Result<Decimal, FieldError> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(ValueError::Negative.at(field, label));
    }
    Ok(value)
}

/// Manual lines (特殊场景手工录入): a description, and either quantity ×
/// unit price (rounded half-up to 0.01, like every bill line) or an amount.
/// Every line, and their sum, is at most [`MAX_AMOUNT`]. Every problem is
/// reported with its path (`lines[2].unit_price`).
pub fn validate_manual_lines(lines: &[RawManualLine]) -> Result<Vec<StoredLine>, FieldErrors> {
    let mut errors = FieldErrors::new();
    if lines.is_empty() {
        errors.push(FieldError::new("lines", "REQUIRED", "请至少填写一行账单明细"));
        return Err(errors);
    }
    if lines.len() > MAX_MANUAL_LINES {
        errors.push(FieldError::new(
            "lines",
            "TOO_MANY_LINES",
            format!("账单明细最多 {MAX_MANUAL_LINES} 行"),
        ));
        return Err(errors);
    }
    let mut result = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let path = |field: &str| format!("lines[{i}].{field}");
        let description = line.description.as_deref().map(str::trim).unwrap_or_default();
        if description.is_empty() {
            errors.push(FieldError::new(path("description"), "REQUIRED", "请填写明细说明"));
        } else if description.chars().count() > MAX_DESCRIPTION {
            errors.push(FieldError::new(
                path("description"),
                "TOO_LONG",
                format!("明细说明不能超过 {MAX_DESCRIPTION} 个字"),
            ));
        }
        let priced = present(&line.quantity) || present(&line.unit_price);
        let computed = if priced {
            let quantity = errors.check(
                decimal_field(line.quantity.as_ref(), &path("quantity"), "数量")
                    .and_then(|q| non_negative(q, &path("quantity"), "数量")),
            );
            let unit_price = errors.check(
                decimal_field(line.unit_price.as_ref(), &path("unit_price"), "单价")
                    .and_then(|p| non_negative(p, &path("unit_price"), "单价")),
            );
            if present(&line.amount) {
                errors.push(FieldError::new(
                    path("amount"),
                    "AMOUNT_WITH_PRICE",
                    "填写了数量和单价时金额自动计算，请不要同时填写金额",
                ));
            }
            match (quantity, unit_price) {
                (Some(q), Some(p)) => match q.checked_mul(p).map(|raw| (raw, round_to_cents(raw))) {
                    Some((raw, amount)) if within_max_amount(amount) => Some((Some(q), Some(p), raw, amount)),
                    _ => {
                        errors.push(ValueError::OutOfRange.at(path("amount"), "金额"));
                        None
                    }
                },
                _ => None,
            }
        } else {
            errors
                .check(amount_field(
                    line.amount.as_ref(),
                    &path("amount"),
                    "金额",
                    Sign::NonNegative,
                ))
                .map(|a| (None, None, a, a))
        };
        if let Some((quantity, unit_price, raw_amount, mut amount)) = computed {
            amount.rescale(2);
            result.push(StoredLine {
                kind: StoredLineKind::Manual,
                series: None,
                usage: None,
                description: Some(description.to_string()),
                quantity,
                unit_price,
                raw_amount,
                amount,
                tiers: Vec::new(),
            });
        }
    }
    if errors.is_empty() && subtotal(&result).is_none() {
        errors.push(FieldError::new(
            "lines",
            "OUT_OF_RANGE",
            format!("账单合计金额超出允许范围（单张账单最多 {MAX_AMOUNT}）"),
        ));
    }
    if errors.is_empty() { Ok(result) } else { Err(errors) }
}

/// A credit note's amount: > 0, whole cents, at most [`MAX_AMOUNT`].
pub fn validate_credit_amount(value: Option<&RawValue>) -> Result<Decimal, FieldError> {
    amount_field(value, "amount", "红冲金额", Sign::Positive)
}

/// The reason of a void or a credit note: 1–500 characters.
pub fn validate_reason(value: Option<&str>, label: &str) -> Result<String, FieldError> {
    let text = value.map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Err(FieldError::new("reason", "REQUIRED", format!("请填写{label}")));
    }
    if text.chars().count() > MAX_REASON {
        return Err(FieldError::new(
            "reason",
            "TOO_LONG",
            format!("{label}不能超过 {MAX_REASON} 个字"),
        ));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> Vec<RawManualLine> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn quantity_times_price_is_rounded_half_up_once() {
        let lines = validate_manual_lines(&raw(
            r#"[{"description":"安装费","quantity":"3","unit_price":"0.3350"},{"description":"调整","amount":"12.5"}]"#,
        ))
        .unwrap();
        assert_eq!(lines[0].raw_amount.to_string(), "1.0050");
        assert_eq!(lines[0].amount.to_string(), "1.01");
        assert_eq!(lines[1].amount.to_string(), "12.50");
        assert_eq!(subtotal(&lines).map(|s| s.to_string()).as_deref(), Some("13.51"));
    }

    fn first_error(json: &str) -> (String, &'static str, String) {
        let errors = validate_manual_lines(&raw(json)).unwrap_err();
        let e = errors.iter().next().unwrap();
        (e.field.clone(), e.code, e.message.clone())
    }

    #[test]
    fn a_line_and_a_bill_hold_at_most_the_largest_amount() {
        let ok = validate_manual_lines(&raw(
            r#"[{"description":"a","amount":"999999999999.99"},{"description":"b","quantity":"0","unit_price":"922337203685477.5807"}]"#,
        ))
        .unwrap();
        assert_eq!(subtotal(&ok), Some(MAX_AMOUNT));
        assert_eq!(
            first_error(r#"[{"description":"a","amount":"1000000000000"}]"#),
            ("lines[0].amount".into(), "OUT_OF_RANGE", "金额超出允许范围".into())
        );
        // Priced: 999,999.9999 × 1,000,000.0001 rounds to 1,000,000,000,000.00.
        assert_eq!(
            first_error(r#"[{"description":"a","quantity":"999999.9999","unit_price":"1000000.0001"}]"#).0,
            "lines[0].amount"
        );
        // Beyond what a Decimal holds: refused, not a panic.
        assert_eq!(
            first_error(
                r#"[{"description":"a","quantity":"922337203685477.5807","unit_price":"922337203685477.5807"}]"#
            )
            .1,
            "OUT_OF_RANGE"
        );
        assert_eq!(
            first_error(
                r#"[{"description":"a","amount":"600000000000"},{"description":"b","amount":"400000000000.00"}]"#
            ),
            (
                "lines".into(),
                "OUT_OF_RANGE",
                "账单合计金额超出允许范围（单张账单最多 999999999999.99）".into()
            )
        );
    }

    #[test]
    fn a_priced_bill_beyond_the_largest_amount_has_no_lines_and_says_so() {
        let line = |amount: &str| StoredLine {
            kind: StoredLineKind::Usage,
            series: Some(Series::X),
            usage: None,
            description: None,
            quantity: None,
            unit_price: None,
            raw_amount: amount.parse().unwrap(),
            amount: amount.parse().unwrap(),
            tiers: Vec::new(),
        };
        assert_eq!(subtotal(&[line("999999999999.99")]), Some(MAX_AMOUNT));
        assert_eq!(subtotal(&[line("1000000000000.00")]), None);
        assert_eq!(subtotal(&[line("500000000000.00"), line("500000000000.00")]), None);
        assert_eq!(subtotal(&[line("79228162514264337593543950335"), line("1")]), None);
        let failed = priced_lines(Err(PricingError::Overflow));
        assert!(failed.amount_too_large && failed.lines.is_empty() && failed.subtotal == Fixed4::ZERO);
        let no_rule = priced_lines(Err(PricingError::NoRule(Series::N)));
        assert!(!no_rule.amount_too_large && no_rule.pricing_error.is_some());
    }

    #[test]
    fn every_bad_field_is_named() {
        let errors = validate_manual_lines(&raw(
            r#"[{"description":"","quantity":"-1","unit_price":"1"},{"description":"x","amount":"1.005"},{"description":"y","amount":1}]"#,
        ))
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            fields,
            [
                ("lines[0].description", "REQUIRED"),
                ("lines[0].quantity", "NEGATIVE"),
                ("lines[1].amount", "TOO_MANY_DECIMALS"),
                ("lines[2].amount", "NUMBER_NOT_STRING"),
            ]
        );
        assert_eq!(
            validate_manual_lines(&[]).unwrap_err().iter().next().unwrap().code,
            "REQUIRED"
        );
    }

    #[test]
    fn credit_amounts_are_positive_cents() {
        assert_eq!(
            validate_credit_amount(Some(&RawValue::text("10.5")))
                .unwrap()
                .to_string(),
            "10.50"
        );
        assert_eq!(
            validate_credit_amount(Some(&RawValue::text("0"))).unwrap_err().code,
            "NOT_POSITIVE"
        );
        assert_eq!(
            validate_credit_amount(Some(&RawValue::text("1.001"))).unwrap_err().code,
            "TOO_MANY_DECIMALS"
        );
        assert_eq!(
            validate_credit_amount(Some(&RawValue::text("1000000000000")))
                .unwrap_err()
                .code,
            "OUT_OF_RANGE"
        );
        assert_eq!(validate_credit_amount(None).unwrap_err().code, "REQUIRED");
    }

    #[test]
    fn reasons_are_required_and_bounded() {
        assert_eq!(validate_reason(Some("  重复出账 "), "作废原因").unwrap(), "重复出账");
        assert_eq!(
            validate_reason(Some(" "), "作废原因").unwrap_err().message,
            "请填写作废原因"
        );
        assert_eq!(
            validate_reason(Some(&"长".repeat(501)), "作废原因").unwrap_err().code,
            "TOO_LONG"
        );
    }
}
