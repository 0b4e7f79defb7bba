//! Exact decimal arithmetic for the pricing path.
//!
//! `rust_decimal`'s own operators are exact for everyday values but not in
//! every corner: a product that no longer fits 96 bits is silently rounded,
//! and a product with a zero factor comes back as a bare `0`, dropping the
//! scale the quote strings depend on ("0" × "0.35" must read "0.00", as in
//! the golden vectors and in Python's `decimal`). These helpers work on the
//! integer mantissas instead: the result carries exactly the scale decimal
//! arithmetic defines (sum of scales for a product, the larger scale for a
//! sum), and anything that cannot be represented exactly is an [`Overflow`],
//! never a rounded value and never a panic.

use rust_decimal::Decimal;

use crate::money::round_to_cents;

/// A result that does not fit a `Decimal` exactly (more than 96 bits of
/// mantissa or more than 28 decimals).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

fn build(mantissa: i128, scale: u32) -> Result<Decimal, Overflow> {
    Decimal::try_from_i128_with_scale(mantissa, scale).map_err(|_| Overflow)
}

/// The mantissa of `value` expressed at `scale` (which must not be smaller
/// than the value's own scale).
fn mantissa_at(value: Decimal, scale: u32) -> Result<i128, Overflow> {
    let factor = 10i128.checked_pow(scale - value.scale()).ok_or(Overflow)?;
    value.mantissa().checked_mul(factor).ok_or(Overflow)
}

/// `a × b`, exact, with scale `a.scale() + b.scale()`.
pub fn mul(a: Decimal, b: Decimal) -> Result<Decimal, Overflow> {
    let mantissa = a.mantissa().checked_mul(b.mantissa()).ok_or(Overflow)?;
    build(mantissa, a.scale() + b.scale())
}

/// `a + b`, exact, with the larger of the two scales.
pub fn add(a: Decimal, b: Decimal) -> Result<Decimal, Overflow> {
    let scale = a.scale().max(b.scale());
    let mantissa = mantissa_at(a, scale)?
        .checked_add(mantissa_at(b, scale)?)
        .ok_or(Overflow)?;
    build(mantissa, scale)
}

/// `a − b`, exact, with the larger of the two scales.
pub fn sub(a: Decimal, b: Decimal) -> Result<Decimal, Overflow> {
    let scale = a.scale().max(b.scale());
    let mantissa = mantissa_at(a, scale)?
        .checked_sub(mantissa_at(b, scale)?)
        .ok_or(Overflow)?;
    build(mantissa, scale)
}

/// The same value written with at least `scale` decimals ("7" → "7.00").
pub fn widen(value: Decimal, scale: u32) -> Result<Decimal, Overflow> {
    if value.scale() >= scale {
        return Ok(value);
    }
    build(mantissa_at(value, scale)?, scale)
}

/// A bill amount: the exact amount rounded half-up to 0.01 (DESIGN.md §2)
/// and always written with two decimals, whatever the scale of the exact
/// amount was ("0" → "0.00", "2.675" → "2.68").
pub fn to_cents(exact: Decimal) -> Result<Decimal, Overflow> {
    widen(round_to_cents(exact), 2)
}

/// The largest multiple of `step_scale` decimals (e.g. 0.0001 for scale 4)
/// that is strictly below `limit / divisor`, for `limit > 0`, `divisor > 0`.
/// Exact: compares integers, never divides decimals.
pub fn largest_step_below(limit: Decimal, divisor: Decimal, step_scale: u32) -> Result<Decimal, Overflow> {
    debug_assert!(limit > Decimal::ZERO && divisor > Decimal::ZERO);
    // q = Q / 10^step_scale, limit = L / 10^ls, divisor = D / 10^ds.
    // q × divisor < limit  ⇔  Q × D × 10^ls < L × 10^(ds + step_scale).
    let pow = |exp: u32| 10i128.checked_pow(exp).ok_or(Overflow);
    let per_step = divisor.mantissa().checked_mul(pow(limit.scale())?).ok_or(Overflow)?;
    let bound = limit
        .mantissa()
        .checked_mul(pow(divisor.scale() + step_scale)?)
        .ok_or(Overflow)?;
    // The largest Q with Q × per_step < bound, i.e. ≤ bound − 1.
    let steps = (bound - 1) / per_step;
    build(steps, step_scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn a_product_keeps_the_sum_of_the_scales_even_when_it_is_zero() {
        assert_eq!(mul(d("0"), d("0.35")).unwrap().to_string(), "0.00");
        assert_eq!(mul(d("1000"), d("0.35")).unwrap().to_string(), "350.00");
        assert_eq!(mul(d("800"), d("0.5000")).unwrap().to_string(), "400.0000");
        assert_eq!(mul(d("1234.5678"), d("0.0123")).unwrap().to_string(), "15.18518394");
    }

    #[test]
    fn a_sum_keeps_the_larger_scale() {
        assert_eq!(add(d("0"), d("0.00")).unwrap().to_string(), "0.00");
        assert_eq!(add(d("318.800"), d("0.7776")).unwrap().to_string(), "319.5776");
        assert_eq!(sub(d("1000.0001"), d("1000")).unwrap().to_string(), "0.0001");
        assert_eq!(sub(d("500.00"), d("17.34")).unwrap().to_string(), "482.66");
    }

    #[test]
    fn a_product_too_large_to_hold_exactly_is_an_overflow_not_a_rounded_value() {
        let big = d("79228162514264.3375");
        assert_eq!(mul(big, big), Err(Overflow));
        assert_eq!(add(Decimal::MAX, d("1")), Err(Overflow));
        assert_eq!(widen(Decimal::MAX, 2), Err(Overflow));
    }

    #[test]
    fn cents_are_rounded_half_up_and_always_written_with_two_decimals() {
        assert_eq!(to_cents(d("0")).unwrap().to_string(), "0.00");
        assert_eq!(to_cents(d("2.675")).unwrap().to_string(), "2.68");
        assert_eq!(to_cents(d("0.0050")).unwrap().to_string(), "0.01");
        assert_eq!(to_cents(d("0.00499770")).unwrap().to_string(), "0.00");
        assert_eq!(to_cents(d("500")).unwrap().to_string(), "500.00");
    }

    #[test]
    fn the_largest_step_below_a_quotient_is_strictly_below_it() {
        assert_eq!(
            largest_step_below(d("500.0000"), d("0.4000"), 4).unwrap(),
            d("1249.9999")
        );
        assert_eq!(largest_step_below(d("500"), d("0.3"), 4).unwrap(), d("1666.6666"));
        assert_eq!(largest_step_below(d("0.0001"), d("1"), 4).unwrap(), d("0"));
    }
}
