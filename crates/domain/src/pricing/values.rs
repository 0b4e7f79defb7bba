//! The validated numbers a quote takes besides the rule: usage and the
//! plan's minimum charge.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

use super::raw::{self, RawValue, ValueError};
use crate::money::{Fixed4, within_max_amount};
use crate::validation::FieldError;

/// A usage quantity (用量): ≥ 0 with at most four decimals (DESIGN.md §2).
///
/// Held in its shortest form ("1000.50" → "1000.5", "0.00" → "0"), so a
/// quote reads the same whether the usage was typed or summed from stored
/// daily records ([`Fixed4`], always four decimals); the quantities and
/// amounts of a breakdown take their scale from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct Usage(Decimal);

impl Usage {
    pub const ZERO: Usage = Usage(Decimal::ZERO);

    pub fn new(value: Decimal) -> Result<Usage, ValueError> {
        let value = raw::decimal(value)?;
        if value.is_sign_negative() {
            return Err(ValueError::Negative);
        }
        Ok(Usage(value.normalize()))
    }

    pub fn from_fixed4(value: Fixed4) -> Result<Usage, ValueError> {
        Usage::new(value.to_decimal())
    }

    /// The usage field of a request, at the empty path (prefix it: `usage`,
    /// `usage.X`).
    pub fn validate(value: Option<&RawValue>) -> Result<Usage, FieldError> {
        let number = raw::decimal_field(value, "", "用量")?;
        Usage::new(number).map_err(|e| e.at("", "用量"))
    }

    pub fn value(self) -> Decimal {
        self.0
    }
}

impl FromStr for Usage {
    type Err = ValueError;

    fn from_str(text: &str) -> Result<Usage, ValueError> {
        Usage::new(raw::parse_decimal(text)?)
    }
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// From a JSON string only, as every quantity travels.
impl<'de> Deserialize<'de> for Usage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A plan's monthly minimum charge (保底金额): ≥ 0, in whole cents, always
/// written with two decimals ("500" → "500.00").
///
/// Whole cents because the top-up line must bring the bill to exactly the
/// minimum: with a minimum of 500.005 no rounded line could.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct MinimumCharge(Decimal);

impl MinimumCharge {
    pub fn new(value: Decimal) -> Result<MinimumCharge, ValueError> {
        let value = raw::decimal(value)?;
        if value.is_sign_negative() {
            return Err(ValueError::Negative);
        }
        let mut value = value.normalize();
        if value.scale() > 2 {
            return Err(ValueError::TooManyDecimals { max: 2 });
        }
        value.rescale(2);
        Ok(MinimumCharge(value))
    }

    pub fn from_fixed4(value: Fixed4) -> Result<MinimumCharge, ValueError> {
        MinimumCharge::new(value.to_decimal())
    }

    /// The optional `minimum_charge` of a plan: absent or `null` is none.
    /// An amount of money: at most [`crate::money::MAX_AMOUNT`], as every
    /// bill is (a stored plan is read as it is; a top-up beyond it makes the
    /// draft AMOUNT_TOO_LARGE).
    pub fn validate(value: Option<&RawValue>) -> Result<Option<MinimumCharge>, FieldError> {
        const FIELD: &str = "minimum_charge";
        const LABEL: &str = "保底金额";
        match value {
            None | Some(RawValue::Null(())) => Ok(None),
            Some(_) => {
                let number = raw::decimal_field(value, FIELD, LABEL)?;
                let minimum = MinimumCharge::new(number).map_err(|e| e.at(FIELD, LABEL))?;
                if !within_max_amount(minimum.value()) {
                    return Err(ValueError::OutOfRange.at(FIELD, LABEL));
                }
                Ok(Some(minimum))
            }
        }
    }

    pub fn value(self) -> Decimal {
        self.0
    }
}

impl FromStr for MinimumCharge {
    type Err = ValueError;

    fn from_str(text: &str) -> Result<MinimumCharge, ValueError> {
        MinimumCharge::new(raw::parse_decimal(text)?)
    }
}

impl fmt::Display for MinimumCharge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for MinimumCharge {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> RawValue {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn usage_is_kept_in_its_shortest_form() {
        assert_eq!("1000.50".parse::<Usage>().unwrap().to_string(), "1000.5");
        assert_eq!("0.00".parse::<Usage>().unwrap().to_string(), "0");
        assert_eq!("1278.683".parse::<Usage>().unwrap().to_string(), "1278.683");
        let stored = Usage::from_fixed4(Fixed4::from_units(10_000_000)).unwrap();
        assert_eq!(stored, "1000".parse().unwrap());
        assert_eq!(stored.to_string(), "1000");
    }

    #[test]
    fn negative_usage_is_rejected() {
        assert_eq!("-1".parse::<Usage>(), Err(ValueError::Negative));
        let error = Usage::validate(Some(&raw("\"-0.5\""))).unwrap_err();
        assert_eq!((error.code, error.message.as_str()), ("NEGATIVE", "用量不能为负数"));
    }

    #[test]
    fn usage_with_five_decimals_is_rejected() {
        let error = Usage::validate(Some(&raw("\"1.00001\""))).unwrap_err();
        assert_eq!(
            (error.code, error.message.as_str()),
            ("TOO_MANY_DECIMALS", "用量最多保留 4 位小数")
        );
    }

    #[test]
    fn usage_sent_as_a_json_number_is_rejected() {
        assert_eq!(
            Usage::validate(Some(&raw("6000"))).unwrap_err().code,
            "NUMBER_NOT_STRING"
        );
        assert!(serde_json::from_str::<Usage>("6000").is_err());
        assert_eq!(serde_json::from_str::<Usage>("\"6000\"").unwrap().to_string(), "6000");
    }

    #[test]
    fn missing_usage_is_required() {
        let error = Usage::validate(None).unwrap_err();
        assert_eq!(
            (error.field.as_str(), error.code, error.message.as_str()),
            ("", "REQUIRED", "请填写用量")
        );
    }

    #[test]
    fn a_minimum_charge_is_whole_cents_written_with_two_decimals() {
        assert_eq!("500".parse::<MinimumCharge>().unwrap().to_string(), "500.00");
        assert_eq!("500.5000".parse::<MinimumCharge>().unwrap().to_string(), "500.50");
        assert_eq!(
            "500.005".parse::<MinimumCharge>(),
            Err(ValueError::TooManyDecimals { max: 2 })
        );
        assert_eq!("-1".parse::<MinimumCharge>(), Err(ValueError::Negative));
    }

    #[test]
    fn an_absent_minimum_charge_is_none_and_a_bad_one_names_its_field() {
        assert_eq!(MinimumCharge::validate(None), Ok(None));
        assert_eq!(MinimumCharge::validate(Some(&RawValue::Null(()))), Ok(None));
        let error = MinimumCharge::validate(Some(&raw("\"12.345\""))).unwrap_err();
        assert_eq!(error.field, "minimum_charge");
        assert_eq!(error.message, "保底金额最多保留 2 位小数");
        assert_eq!(
            MinimumCharge::validate(Some(&raw("500"))).unwrap_err().code,
            "NUMBER_NOT_STRING"
        );
        assert!(MinimumCharge::validate(Some(&raw("\"999999999999.99\""))).is_ok());
        let error = MinimumCharge::validate(Some(&raw("\"1000000000000\""))).unwrap_err();
        assert_eq!(
            (error.code, error.message.as_str()),
            ("OUT_OF_RANGE", "保底金额超出允许范围")
        );
    }
}
