//! Exact amounts and quantities. Stored everywhere as a scaled integer in
//! units of 0.0001 (DESIGN.md §2): SQLite has no exact decimal type.
//! Computation happens in `rust_decimal`; [`Fixed4`] is the storage and wire
//! boundary of one value, [`Total`] of a sum of stored values.
//!
//! Limits (docs/decisions.md, "Money limits"): one amount of money — a
//! payment, an allocation, a credit note, a bill line, a bill's total — is at
//! most [`MAX_AMOUNT`] (999,999,999,999.99); one usage record's quantity is
//! at most [`MAX_QUANTITY`] (999,999,999,999.9999). Both are below 10^16
//! units, so 922 of them still fit an i64; sums over more rows than that
//! (list totals, aging, statements) are [`Total`]s, 128 bits wide, and never
//! overflow.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::pricing::{RawValue, ValueError, decimal_field};
use crate::validation::FieldError;

/// Decimal places kept in storage.
pub const SCALE: u32 = 4;
const UNITS_PER_ONE: i64 = 10_000;

/// The largest amount of money one value may hold, 999,999,999,999.99 CNY:
/// a payment, an allocation, a credit note, a bill line, a bill's total.
/// Far beyond any real receipt or bill, and small enough that a bill's
/// lines and a customer's amounts add up without overflow.
pub const MAX_AMOUNT: Fixed4 = Fixed4(9_999_999_999_999_900);

/// The largest quantity one usage record (or its correction) may hold,
/// 999,999,999,999.9999: a month's total of 922 such records still fits.
pub const MAX_QUANTITY: Fixed4 = Fixed4(9_999_999_999_999_999);

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

/// Whether `amount` may be one amount of money: |amount| ≤ [`MAX_AMOUNT`].
/// The one check every amount passes before it is stored.
pub fn within_max_amount(amount: Decimal) -> bool {
    amount.abs() <= MAX_AMOUNT.to_decimal()
}

/// Which amounts a field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    /// > 0: a payment, an allocation, a credit note.
    Positive,
    /// ≥ 0: a manual bill line.
    NonNegative,
}

/// An amount of money as a request sends it: a decimal string (not a JSON
/// number), of the given sign, in whole cents, at most [`MAX_AMOUNT`];
/// returned with two decimals. The one validation every typed or imported
/// amount goes through (payments, statement rows, allocations, credit notes,
/// manual bill lines), so each reports the same codes in the same order:
/// REQUIRED / NUMBER_NOT_STRING / NOT_A_NUMBER, NOT_POSITIVE or NEGATIVE,
/// TOO_MANY_DECIMALS, OUT_OF_RANGE.
pub fn amount_field(value: Option<&RawValue>, field: &str, label: &str, sign: Sign) -> Result<Decimal, FieldError> {
    let amount = decimal_field(value, field, label)?;
    match sign {
        Sign::Positive if amount <= Decimal::ZERO => return Err(ValueError::NotPositive.at(field, label)),
        Sign::NonNegative if amount < Decimal::ZERO => return Err(ValueError::Negative.at(field, label)),
        _ => {}
    }
    let mut amount = amount.normalize();
    if amount.scale() > 2 {
        return Err(ValueError::TooManyDecimals { max: 2 }.at(field, label));
    }
    if !within_max_amount(amount) {
        return Err(ValueError::OutOfRange.at(field, label));
    }
    amount.rescale(2);
    Ok(amount)
}

/// A sum of stored values (amounts or quantities), in units of 0.0001, 128
/// bits wide: list totals, aging buckets, statements, an import's sum.
///
/// Adding stored values ([`Fixed4`], at most 2^63 units each) to a `Total`
/// cannot overflow: that would take more than 2^64 of them, more rows than
/// any database holds. So the arithmetic below is plain and exact; it is
/// never saturated and never wraps in practice. It travels like [`Fixed4`]:
/// a JSON string with at least two decimals ("924999999999990.75").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Total(i128);

impl Total {
    pub const ZERO: Total = Total(0);

    pub const fn from_units(units: i128) -> Total {
        Total(units)
    }

    pub const fn units(self) -> i128 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The same value as a `Decimal`, when it fits one (|units| < 2^96,
    /// about 7.9 × 10^24 CNY).
    pub fn to_decimal(self) -> Option<Decimal> {
        Decimal::try_from_i128_with_scale(self.0, SCALE).ok()
    }

    /// `self` as a percentage of `whole`, half-up to one decimal (a
    /// collection rate: 87.5); `None` when `whole` is not positive.
    pub fn percent_of(self, whole: Total) -> Option<Decimal> {
        if whole.0 <= 0 {
            return None;
        }
        // Both in units: the ratio is exact in i128 up to this factor.
        let scaled = self.0.checked_mul(1000)?;
        let (quotient, remainder) = (scaled.div_euclid(whole.0), scaled.rem_euclid(whole.0));
        let rounded = quotient + i128::from(remainder.checked_mul(2).is_none_or(|twice| twice >= whole.0));
        Decimal::try_from_i128_with_scale(rounded, 1).ok()
    }
}

impl From<Fixed4> for Total {
    fn from(value: Fixed4) -> Total {
        Total(i128::from(value.0))
    }
}

impl std::ops::Add for Total {
    type Output = Total;
    fn add(self, other: Total) -> Total {
        Total(self.0 + other.0)
    }
}

impl std::ops::Sub for Total {
    type Output = Total;
    fn sub(self, other: Total) -> Total {
        Total(self.0 - other.0)
    }
}

impl std::ops::AddAssign<Fixed4> for Total {
    fn add_assign(&mut self, value: Fixed4) {
        self.0 += i128::from(value.0);
    }
}

impl std::ops::AddAssign for Total {
    fn add_assign(&mut self, other: Total) {
        self.0 += other.0;
    }
}

impl std::iter::Sum<Fixed4> for Total {
    fn sum<I: Iterator<Item = Fixed4>>(values: I) -> Total {
        values.fold(Total::ZERO, |mut total, value| {
            total += value;
            total
        })
    }
}

impl fmt::Display for Total {
    /// As [`Fixed4`] writes: shortest exact form with at least two decimals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per_one = UNITS_PER_ONE.unsigned_abs() as u128;
        let magnitude = self.0.unsigned_abs();
        let sign = if self.0 < 0 { "-" } else { "" };
        let fraction = format!("{:04}", magnitude % per_one);
        let fraction = fraction.trim_end_matches('0');
        write!(f, "{sign}{}.{fraction:0<2}", magnitude / per_one)
    }
}

impl Serialize for Total {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
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
    #[test]
    fn a_percentage_is_rounded_half_up_to_one_decimal() {
        let cny = |text: &str| Total::from(text.parse::<Fixed4>().unwrap());
        let pct = |a: &str, b: &str| cny(a).percent_of(cny(b)).map(|d| d.to_string());
        assert_eq!(pct("87.5", "100"), Some("87.5".into()));
        assert_eq!(pct("1", "3"), Some("33.3".into()));
        assert_eq!(pct("2", "3"), Some("66.7".into()));
        assert_eq!(pct("0.0005", "1"), Some("0.1".into()));
        assert_eq!(pct("0.0004", "1"), Some("0.0".into()));
        assert_eq!(pct("100", "100"), Some("100.0".into()));
        assert_eq!(pct("5", "0"), None);
    }

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

    #[test]
    fn the_limits_are_the_documented_numbers_and_fit_922_times_in_an_i64() {
        assert_eq!(MAX_AMOUNT.to_string(), "999999999999.99");
        assert_eq!(MAX_QUANTITY.to_string(), "999999999999.9999");
        let mut sum = Fixed4::ZERO;
        for _ in 0..922 {
            sum = sum.checked_add(MAX_QUANTITY).expect("fits");
        }
        assert_eq!(sum.checked_add(MAX_QUANTITY), None, "the 923rd does not");
        assert!(within_max_amount(fixed("999999999999.99").to_decimal()));
        assert!(within_max_amount(fixed("-999999999999.99").to_decimal()));
        assert!(!within_max_amount(fixed("1000000000000").to_decimal()));
    }

    #[test]
    fn a_total_goes_past_the_stored_range_exactly() {
        let total: Total = std::iter::repeat_n(fixed("999999999999.99"), 925).sum();
        assert_eq!(total.to_string(), "924999999999990.75");
        assert_eq!(
            serde_json::to_string(&total).unwrap(),
            "\"924999999999990.75\"",
            "a JSON string like every amount"
        );
        let paid = Total::from(fixed("999999999999.99"));
        assert_eq!((total - paid).to_string(), "923999999999990.76");
        assert_eq!((paid - total).to_string(), "-923999999999990.76");
        assert_eq!(Total::ZERO.to_string(), "0.00");
        assert_eq!(Total::from(fixed("0.0001")).to_string(), "0.0001");
        assert_eq!(Total::from_units(i128::MIN).to_string().len(), 41);
    }

    proptest! {
        #[test]
        fn any_stored_value_survives_text_and_back(units in any::<i64>()) {
            let value = Fixed4::from_units(units);
            prop_assert_eq!(value.to_string().parse::<Fixed4>(), Ok(value));
        }

        #[test]
        fn a_total_of_one_value_reads_as_the_value(units in any::<i64>()) {
            let value = Fixed4::from_units(units);
            prop_assert_eq!(Total::from(value).to_string(), value.to_string());
        }

        /// Up to 5,000 values at or near the extremes of the stored range:
        /// the total never fails and equals the exact decimal sum.
        #[test]
        fn totals_of_extreme_values_are_exact(
            values in prop::collection::vec(
                prop_oneof![Just(i64::MAX), Just(i64::MIN), Just(MAX_AMOUNT.units()), any::<i64>()],
                0..5_000,
            )
        ) {
            let total: Total = values.iter().copied().map(Fixed4::from_units).sum();
            let exact = values
                .iter()
                .try_fold(Decimal::ZERO, |sum, units| sum.checked_add(Decimal::new(*units, SCALE)))
                .expect("5,000 stored values fit a Decimal");
            prop_assert_eq!(total.to_decimal(), Some(exact));
            let text = total.to_string();
            prop_assert_eq!(Decimal::from_str_exact(&text).map(|d| d.normalize()), Ok(exact.normalize()));
        }
    }
}
