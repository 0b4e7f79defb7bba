//! Money at the extremes (docs/decisions.md, "Money limits"): whatever the
//! quantities and prices, a bill line is either priced exactly or refused
//! (AMOUNT_TOO_LARGE), never saturated or rounded; a manual bill holds at
//! most the largest amount, line by line and in total; sums of stored
//! amounts never fail and are exact.

use opcms_domain::Fixed4;
use opcms_domain::billing::{RawManualLine, priced_lines, validate_manual_lines};
use opcms_domain::customer::Series;
use opcms_domain::money::{MAX_AMOUNT, MAX_QUANTITY, Total};
use opcms_domain::pricing::{MinimumCharge, RawValue, Rule, SeriesMap, Usage, price_plan};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// Units of 0.0001 anywhere in the stored range, often at its edges and at
/// the limits.
fn stored_units() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(0),
        Just(1),
        Just(i64::MAX),
        Just(MAX_QUANTITY.units()),
        Just(MAX_AMOUNT.units()),
        Just(MAX_AMOUNT.units() + 1),
        0..=i64::MAX,
        0..=100_000_000_000i64,
        0..=MAX_QUANTITY.units(),
    ]
}

/// The half-up cents of `q × p` (both in units of 0.0001), computed apart
/// from the engine: the product is in units of 10^-8, below 2^126.
fn cents_of(q_units: i64, p_units: i64) -> u128 {
    let product = q_units as u128 * p_units as u128;
    (product + 500_000) / 1_000_000
}

fn flat_x(price_units: i64) -> SeriesMap<Rule> {
    let rule = Rule::flat(Decimal::new(price_units, 4)).expect("any stored price is a valid rule");
    [(Series::X, rule)].into_iter().collect()
}

fn usage_x(units: i64) -> SeriesMap<Usage> {
    let usage = Usage::from_fixed4(Fixed4::from_units(units)).expect("any stored quantity is a usage");
    [(Series::X, usage)].into_iter().collect()
}

fn max_cents() -> u128 {
    (MAX_AMOUNT.units() / 100) as u128
}

proptest! {
    /// q × p is exact up to the largest amount and AMOUNT_TOO_LARGE past
    /// it: the subtotal is never something in between.
    #[test]
    fn a_line_is_priced_exactly_or_refused_never_saturated(q in stored_units(), p in stored_units()) {
        let priced = priced_lines(price_plan(&flat_x(p), None, &usage_x(q)));
        let cents = cents_of(q, p);
        prop_assert!(priced.pricing_error.is_none());
        if cents > max_cents() {
            prop_assert!(priced.amount_too_large, "{cents} cents priced as {:?}", priced.subtotal);
            prop_assert!(priced.lines.is_empty());
            prop_assert_eq!(priced.subtotal, Fixed4::ZERO);
        } else {
            prop_assert!(!priced.amount_too_large);
            prop_assert_eq!(priced.subtotal.units() as u128, cents * 100);
            prop_assert_eq!(priced.lines.len(), 1);
        }
    }

    /// A minimum top-up brings a bill exactly to its minimum, or the bill
    /// is refused when the minimum itself is beyond the largest amount.
    #[test]
    fn a_minimum_charge_tops_up_exactly_or_is_refused(cents in prop_oneof![
        0..=1_000i64, Just(MAX_AMOUNT.units() / 100), Just(MAX_AMOUNT.units() / 100 + 1), 0..=i64::MAX / 100
    ]) {
        let minimum = MinimumCharge::from_fixed4(Fixed4::from_units(cents * 100)).expect("a stored minimum");
        let priced = priced_lines(price_plan(&flat_x(10_000), Some(minimum), &usage_x(0)));
        if cents as u128 > max_cents() {
            prop_assert!(priced.amount_too_large);
            prop_assert_eq!(priced.subtotal, Fixed4::ZERO);
        } else {
            prop_assert_eq!(priced.subtotal.units(), cents * 100);
        }
    }

    /// Up to 50 manual lines of any amount: accepted with the exact sum
    /// when every line and the sum are at most the largest amount, refused
    /// (naming the line, or `lines` for the sum) otherwise.
    #[test]
    fn a_manual_bill_is_its_exact_sum_or_refused(amounts in prop::collection::vec(
        prop_oneof![Just(MAX_AMOUNT.units() / 100), 0..=MAX_AMOUNT.units() / 100 + 1, 0..=1_000_000i64],
        1..=50,
    )) {
        let lines: Vec<RawManualLine> = amounts
            .iter()
            .map(|cents| RawManualLine {
                description: Some("明细".into()),
                amount: Some(RawValue::text(Decimal::new(*cents, 2).to_string())),
                ..RawManualLine::default()
            })
            .collect();
        let sum: u128 = amounts.iter().map(|c| *c as u128).sum();
        match validate_manual_lines(&lines) {
            Ok(valid) => {
                prop_assert!(sum <= max_cents());
                let exact: Decimal = valid.iter().map(|l| l.amount).sum();
                prop_assert_eq!(exact, Decimal::from_i128_with_scale(sum as i128, 2));
            }
            Err(errors) => {
                let first = errors.iter().next().expect("an error");
                prop_assert_eq!(first.code, "OUT_OF_RANGE");
                match amounts.iter().position(|c| *c as u128 > max_cents()) {
                    Some(i) => prop_assert_eq!(first.field.clone(), format!("lines[{i}].amount")),
                    None => {
                        prop_assert_eq!(first.field.as_str(), "lines");
                        prop_assert!(sum > max_cents());
                    }
                }
            }
        }
    }

    /// Sums of up to 100,000 amounts at the largest amount, as list totals
    /// add them: never a failure, always the exact product.
    #[test]
    fn totals_of_many_largest_amounts_are_exact(n in prop_oneof![Just(922usize), Just(923usize), 0..100_000usize]) {
        let total: Total = std::iter::repeat_n(MAX_AMOUNT, n).sum();
        prop_assert_eq!(total.units(), i128::from(MAX_AMOUNT.units()) * n as i128);
        let expected = Decimal::from_i128_with_scale(9_999_999_999_999_900i128 * n as i128, 4);
        prop_assert_eq!(total.to_decimal(), Some(expected));
    }
}
