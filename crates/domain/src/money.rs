//! Exact amounts and quantities. Stored everywhere as a scaled integer in
//! units of 0.0001 (DESIGN.md §2): SQLite has no exact decimal type, and an
//! i64 sums exactly in SQL on every backend. Computation happens in
//! `rust_decimal`; this type is the storage and wire boundary.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Decimal places kept in storage.
pub const SCALE: u32 = 4;
const UNITS_PER_ONE: i64 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("不是有效的数字")]
    NotANumber,
    #[error("小数位数不能超过 4 位")]
    TooManyDecimals,
    #[error("数值超出允许范围")]
    OutOfRange,
}

/// A decimal with at most four fractional digits, held as units of 0.0001.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fixed4(i64);

impl Fixed4 {
    pub const ZERO: Fixed4 = Fixed4(0);

    /// From the raw stored integer (units of 0.0001).
    pub const fn from_units(units: i64) -> Self {
        Fixed4(units)
    }

    /// The raw stored integer (units of 0.0001).
    pub const fn units(self) -> i64 {
        self.0
    }

    /// Exact conversion; refuses values that would need rounding or overflow.
    pub fn from_decimal(value: Decimal) -> Result<Self, AmountError> {
        let normalized = value.normalize();
        if normalized.scale() > SCALE {
            return Err(AmountError::TooManyDecimals);
        }
        let units = normalized
            .checked_mul(Decimal::from(UNITS_PER_ONE))
            .ok_or(AmountError::OutOfRange)?;
        i64::try_from(units).map(Fixed4).map_err(|_| AmountError::OutOfRange)
    }

    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, SCALE)
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn checked_add(self, other: Fixed4) -> Option<Fixed4> {
        self.0.checked_add(other.0).map(Fixed4)
    }
}

/// Rounds an exact amount half-up (四舍五入, away from zero at .5) to 0.01 CNY:
/// the one rounding rule of DESIGN.md §2, applied once per bill line.
pub fn round_to_cents(exact: Decimal) -> Decimal {
    exact.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

impl FromStr for Fixed4 {
    type Err = AmountError;

    /// Plain decimal text only: optional sign, digits, optional fraction.
    /// No exponent, no thousands separators, no surrounding spaces.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
        let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
        let well_formed = !int_part.is_empty()
            && int_part.bytes().all(|b| b.is_ascii_digit())
            && frac_part.bytes().all(|b| b.is_ascii_digit())
            && !(digits.contains('.') && frac_part.is_empty());
        if !well_formed {
            return Err(AmountError::NotANumber);
        }
        if frac_part.trim_end_matches('0').len() > SCALE as usize {
            return Err(AmountError::TooManyDecimals);
        }
        let value = Decimal::from_str_exact(text).map_err(|_| AmountError::OutOfRange)?;
        Fixed4::from_decimal(value)
    }
}

impl fmt::Display for Fixed4 {
    /// Shortest exact form with at least two decimals: "1234.50", "0.0001".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut value = self.to_decimal().normalize();
        if value.scale() < 2 {
            value.rescale(2);
        }
        write!(f, "{value}")
    }
}

impl Serialize for Fixed4 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fixed4 {
    /// Amounts travel as JSON strings (DESIGN.md §2); a JSON number is refused
    /// because it may already have passed through a float.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Fixed4;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a decimal number written as a string, e.g. \"1234.50\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Fixed4, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fixed(text: &str) -> Fixed4 {
        text.parse().unwrap()
    }

    #[test]
    fn the_design_examples_round_trip_exactly() {
        for text in ["0.0001", "12345678.1234", "1234567890123.4567"] {
            assert_eq!(fixed(text).to_decimal().to_string(), text);
        }
        assert_eq!(fixed("1234567890123.4567").units(), 12_345_678_901_234_567);
    }

    #[test]
    fn display_keeps_at_least_cents() {
        assert_eq!(fixed("1234.5").to_string(), "1234.50");
        assert_eq!(fixed("7").to_string(), "7.00");
        assert_eq!(fixed("0.0001").to_string(), "0.0001");
        assert_eq!(fixed("-3.10").to_string(), "-3.10");
    }

    #[test]
    fn a_fifth_decimal_is_refused_but_trailing_zeros_are_fine() {
        assert_eq!("1.00001".parse::<Fixed4>(), Err(AmountError::TooManyDecimals));
        assert_eq!(fixed("1.000100").units(), 10_001);
    }

    #[test]
    fn malformed_text_is_not_a_number() {
        for text in ["", "-", "1e5", "1,000", " 1", "1.", ".5", "abc", "1.2.3", "NaN"] {
            assert_eq!(text.parse::<Fixed4>(), Err(AmountError::NotANumber), "{text:?}");
        }
    }

    #[test]
    fn values_beyond_i64_units_are_out_of_range() {
        assert_eq!("922337203685478".parse::<Fixed4>(), Err(AmountError::OutOfRange));
    }

    #[test]
    fn json_numbers_are_refused_and_strings_accepted() {
        assert!(serde_json::from_str::<Fixed4>("12.5").is_err());
        assert_eq!(serde_json::from_str::<Fixed4>("\"12.5\"").unwrap(), fixed("12.5"));
        assert_eq!(serde_json::to_string(&fixed("12.5")).unwrap(), "\"12.50\"");
    }

    #[test]
    fn rounding_is_half_up_away_from_zero() {
        let cases = [
            ("2.345", "2.35"),
            ("2.344", "2.34"),
            ("-2.345", "-2.35"),
            ("0.005", "0.01"),
        ];
        for (exact, rounded) in cases {
            assert_eq!(
                round_to_cents(Decimal::from_str_exact(exact).unwrap()).to_string(),
                rounded
            );
        }
    }

    proptest! {
        #[test]
        fn any_stored_value_survives_text_and_back(units in any::<i64>()) {
            let value = Fixed4::from_units(units);
            prop_assert_eq!(value.to_string().parse::<Fixed4>(), Ok(value));
        }
    }
}
