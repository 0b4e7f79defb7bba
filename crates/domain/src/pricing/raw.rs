//! Input as received, before validation, and the number rules every pricing
//! value shares.
//!
//! Price rules arrive from a form, an API client or storage. Deserializing
//! straight into typed rules would stop at the first problem with a serde
//! message in English; instead the JSON is taken as it is ([`RawValue`]) and
//! the validators walk it, reporting every problem with its field path and
//! the Chinese message the UI shows.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};

use crate::money::{AmountError, Fixed4, SCALE};
use crate::validation::FieldError;

/// A JSON value with its numbers reduced to "a number was sent here".
///
/// Amounts, prices and quantities must travel as strings (DESIGN.md §2): a
/// JSON number may already have passed through a binary float on the
/// client, so its digits are not kept, only the fact that it came, so the
/// validator can say exactly that.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum RawValue {
    Null(()),
    Text(String),
    Bool(bool),
    List(Vec<RawValue>),
    Object(BTreeMap<String, RawValue>),
    /// Anything else; in JSON that is a number.
    Number(JsonNumber),
}

impl RawValue {
    pub fn text(text: impl Into<String>) -> Self {
        RawValue::Text(text.into())
    }

    /// Absent and `null` mean the same thing everywhere in a price rule.
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, RawValue::Null(()))
    }
}

/// The marker left where a JSON number was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonNumber;

impl<'de> Deserialize<'de> for JsonNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(deserializer).map(|_| JsonNumber)
    }
}

/// Why a decimal value is not acceptable, before knowing which field it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("不是有效的数字")]
    NotANumber,
    #[error("最多保留 {max} 位小数")]
    TooManyDecimals { max: u32 },
    #[error("超出允许范围")]
    OutOfRange,
    #[error("不能为负数")]
    Negative,
    #[error("必须大于 0")]
    NotPositive,
}

impl ValueError {
    pub fn code(self) -> &'static str {
        match self {
            ValueError::NotANumber => "NOT_A_NUMBER",
            ValueError::TooManyDecimals { .. } => "TOO_MANY_DECIMALS",
            ValueError::OutOfRange => "OUT_OF_RANGE",
            ValueError::Negative => "NEGATIVE",
            ValueError::NotPositive => "NOT_POSITIVE",
        }
    }

    /// The error for one field; `label` is the field's Chinese name, so the
    /// message reads "单价最多保留 4 位小数".
    pub fn at(self, field: impl Into<String>, label: &str) -> FieldError {
        FieldError::new(field, self.code(), format!("{label}{self}"))
    }
}

impl From<AmountError> for ValueError {
    fn from(error: AmountError) -> Self {
        match error {
            AmountError::NotANumber => ValueError::NotANumber,
            AmountError::TooManyDecimals => ValueError::TooManyDecimals { max: SCALE },
            AmountError::OutOfRange => ValueError::OutOfRange,
        }
    }
}

/// A decimal with at most four decimals, within the stored range (the same
/// limits as [`Fixed4`], DESIGN.md §2), keeping the scale it was written
/// with: "0.5000" stays "0.5000", because quotes show amounts at the scale
/// their factors give (800 × 0.5000 = "400.0000"). Trailing zeros beyond
/// four decimals are dropped down to four; a negative zero becomes zero.
pub fn decimal(value: Decimal) -> Result<Decimal, ValueError> {
    Fixed4::from_decimal(value)?;
    let mut value = value;
    if value.scale() > SCALE {
        value.rescale(SCALE);
    }
    if value.is_zero() {
        value.set_sign_positive(true);
    }
    Ok(value)
}

/// Plain decimal text (surrounding spaces allowed, no exponent, no
/// separators), under the rules of [`decimal`].
pub fn parse_decimal(text: &str) -> Result<Decimal, ValueError> {
    let text = text.trim();
    // Fixed4's parser is the one definition of well-formed number text.
    text.parse::<Fixed4>()?;
    let value = Decimal::from_str(text).map_err(|_| ValueError::NotANumber)?;
    decimal(value)
}

/// A required decimal field of a request: present, a string, and a number
/// by [`parse_decimal`].
pub fn decimal_field(value: Option<&RawValue>, field: &str, label: &str) -> Result<Decimal, FieldError> {
    match value {
        None | Some(RawValue::Null(())) => Err(FieldError::new(field, "REQUIRED", format!("请填写{label}"))),
        Some(RawValue::Text(text)) => parse_decimal(text).map_err(|e| e.at(field, label)),
        Some(RawValue::Number(JsonNumber)) => Err(FieldError::new(
            field,
            "NUMBER_NOT_STRING",
            format!("{label}须以字符串提交（如 \"0.35\"），不能是 JSON 数字"),
        )),
        Some(_) => Err(ValueError::NotANumber.at(field, label)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> RawValue {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn every_json_shape_is_taken_without_reading_numbers() {
        assert_eq!(raw("null"), RawValue::Null(()));
        assert_eq!(raw("\"0.35\""), RawValue::text("0.35"));
        assert_eq!(raw("0.35"), RawValue::Number(JsonNumber));
        assert_eq!(raw("12"), RawValue::Number(JsonNumber));
        assert_eq!(raw("-3"), RawValue::Number(JsonNumber));
        assert_eq!(raw("1e5"), RawValue::Number(JsonNumber));
        assert_eq!(raw("123456789012345678901234567890"), RawValue::Number(JsonNumber));
        assert_eq!(raw("true"), RawValue::Bool(true));
        assert_eq!(
            raw("[1, \"a\"]"),
            RawValue::List(vec![RawValue::Number(JsonNumber), RawValue::text("a")])
        );
        let RawValue::Object(map) = raw(r#"{"mode": "flat", "unit_price": 0.35}"#) else {
            panic!("an object")
        };
        assert_eq!(map["unit_price"], RawValue::Number(JsonNumber));
    }

    #[test]
    fn a_written_scale_is_kept() {
        assert_eq!(parse_decimal("0.5000").unwrap().to_string(), "0.5000");
        assert_eq!(parse_decimal("1000").unwrap().to_string(), "1000");
        assert_eq!(parse_decimal(" 0.35 ").unwrap().to_string(), "0.35");
    }

    #[test]
    fn trailing_zeros_beyond_four_decimals_are_dropped_to_four() {
        assert_eq!(parse_decimal("0.500000").unwrap().to_string(), "0.5000");
    }

    #[test]
    fn a_negative_zero_is_plain_zero() {
        assert_eq!(parse_decimal("-0.00").unwrap().to_string(), "0.00");
    }

    #[test]
    fn a_fifth_decimal_is_refused() {
        assert_eq!(parse_decimal("0.12345"), Err(ValueError::TooManyDecimals { max: 4 }));
    }

    #[test]
    fn malformed_text_is_not_a_number() {
        for text in ["", "abc", "1e5", "1,000", "0x10", "1.", ".5", "NaN", "--1"] {
            assert_eq!(parse_decimal(text), Err(ValueError::NotANumber), "{text:?}");
        }
    }

    #[test]
    fn a_json_number_is_named_as_such() {
        let error = decimal_field(Some(&RawValue::Number(JsonNumber)), "unit_price", "单价").unwrap_err();
        assert_eq!(error.field, "unit_price");
        assert_eq!(error.code, "NUMBER_NOT_STRING");
        assert!(error.message.starts_with("单价须以字符串提交"), "{}", error.message);
    }

    #[test]
    fn a_missing_value_is_required() {
        let error = decimal_field(None, "unit_price", "单价").unwrap_err();
        assert_eq!((error.code, error.message.as_str()), ("REQUIRED", "请填写单价"));
        assert_eq!(
            decimal_field(Some(&RawValue::Null(())), "x", "单价").unwrap_err().code,
            "REQUIRED"
        );
    }

    #[test]
    fn other_json_types_are_not_numbers() {
        let error = decimal_field(Some(&RawValue::Bool(true)), "unit_price", "单价").unwrap_err();
        assert_eq!(
            (error.code, error.message.as_str()),
            ("NOT_A_NUMBER", "单价不是有效的数字")
        );
    }
}
