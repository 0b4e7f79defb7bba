//! Price cliffs of volume rules (阶梯定价的价格断崖), for the warning the
//! plan editor shows.
//!
//! Volume pricing charges all usage at the price of the tier it lands in, so
//! crossing a boundary into a cheaper tier lowers the whole bill: with tiers
//! 1000 @0.50, 5000 @0.40, ∞ @0.30, usage 1000 costs 500.00 but 1000.0001
//! costs 400.00004, and every usage up to 1249.9999 costs less than 1000
//! does. A customer near a boundary gains by using (or reporting) more. The
//! analysis is exact: usage moves in steps of 0.0001 (four decimals,
//! DESIGN.md §2), and the range end is found by integer comparison, not by
//! dividing.

use rust_decimal::Decimal;
use serde::Serialize;

use super::engine::{PricingError, price};
use super::exact;
use super::rule::{Mode, Rule};
use super::values::Usage;

/// The smallest step of usage: four decimals.
pub const USAGE_STEP: Decimal = Decimal::from_parts(1, 0, 0, false, 4);
const STEP_SCALE: u32 = 4;

/// A boundary where more usage costs less.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = PriceCliff)]
pub struct Cliff {
    /// The tier's `up_to`: usage `boundary` is still in the dearer tier.
    pub boundary: Decimal,
    /// Exact cost of usage `boundary`.
    pub amount_at_boundary: Decimal,
    /// Exact cost one step (0.0001) above the boundary: the drop.
    pub amount_just_above: Decimal,
    /// The last usage of the run just above the boundary that costs less
    /// than the boundary does: every usage in (boundary, cheaper_through]
    /// costs less. `None`: no end (the prices above never catch up, e.g. a
    /// free last tier).
    #[schema(required = true)]
    pub cheaper_through: Option<Decimal>,
    /// The first usage above the boundary that costs at least as much as the
    /// boundary again (`cheaper_through` + 0.0001): 1250 in the example.
    #[schema(required = true)]
    pub break_even: Option<Decimal>,
}

/// Every cliff of a volume rule, in boundary order; none for flat and
/// graduated rules (their cost never falls as usage grows, prices being ≥ 0).
pub fn volume_cliffs(rule: &Rule) -> Result<Vec<Cliff>, PricingError> {
    if rule.mode() != Mode::Volume {
        return Ok(Vec::new());
    }
    let tiers = rule.tiers();
    let mut cliffs = Vec::new();
    for (i, tier) in tiers.iter().enumerate() {
        let Some(boundary) = tier.up_to else { break };
        let at_boundary = cost(rule, boundary)?;
        let just_above = exact::add(boundary, USAGE_STEP)?;
        let above = cost(rule, just_above)?;
        if above >= at_boundary {
            continue;
        }
        // Follow the run of cheaper usage up through the next tiers: within a
        // tier cost grows linearly, so each tier either ends the run or is
        // cheaper all through and hands on to the next.
        let mut end = None;
        for (j, next) in tiers.iter().enumerate().skip(i + 1) {
            let lower = tiers[j - 1].up_to.expect("only the last tier is unbounded");
            let first = exact::add(lower, USAGE_STEP)?;
            if exact::mul(first, next.unit_price)? >= at_boundary {
                end = Some(lower);
                break;
            }
            let last_cheaper = if next.unit_price.is_zero() {
                None
            } else {
                Some(exact::largest_step_below(at_boundary, next.unit_price, STEP_SCALE)?)
            };
            match (last_cheaper, next.up_to) {
                (Some(last), Some(upper)) if last < upper => {
                    end = Some(last);
                    break;
                }
                (Some(last), None) => {
                    end = Some(last);
                    break;
                }
                (_, Some(upper)) => end = Some(upper),
                (None, None) => {
                    end = None;
                    break;
                }
            }
        }
        let cheaper_through = end.map(|e| e.normalize());
        let break_even = cheaper_through
            .map(|e| exact::add(e, USAGE_STEP).map(|b| b.normalize()))
            .transpose()?;
        cliffs.push(Cliff {
            boundary,
            amount_at_boundary: at_boundary,
            amount_just_above: above,
            cheaper_through,
            break_even,
        });
    }
    Ok(cliffs)
}

/// The exact cost of `quantity` under the rule, as a quote would give it.
fn cost(rule: &Rule, quantity: Decimal) -> Result<Decimal, PricingError> {
    let usage = Usage::new(quantity).map_err(|_| PricingError::Overflow)?;
    Ok(price(rule, usage)?.raw_amount)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::RawRule;
    use std::str::FromStr;

    fn rule(json: &str) -> Rule {
        serde_json::from_str::<RawRule>(json).unwrap().validate().unwrap()
    }

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn volume(tiers: &[(Option<&str>, &str)]) -> Rule {
        let tiers: Vec<String> = tiers
            .iter()
            .map(|(up_to, price)| match up_to {
                Some(u) => format!(r#"{{"up_to":"{u}","unit_price":"{price}"}}"#),
                None => format!(r#"{{"up_to":null,"unit_price":"{price}"}}"#),
            })
            .collect();
        rule(&format!(r#"{{"mode":"volume","tiers":[{}]}}"#, tiers.join(",")))
    }

    #[test]
    fn the_design_example_has_a_cliff_at_1000_where_more_usage_costs_less_up_to_1250() {
        let cliffs = volume_cliffs(&volume(&[(Some("1000"), "0.5"), (Some("5000"), "0.4"), (None, "0.3")])).unwrap();
        let first = &cliffs[0];
        assert_eq!(first.boundary, d("1000"));
        assert_eq!(first.amount_at_boundary, d("500"));
        assert_eq!(first.amount_just_above.to_string(), "400.00004");
        assert_eq!(first.cheaper_through.unwrap().to_string(), "1249.9999");
        assert_eq!(first.break_even.unwrap().to_string(), "1250");
        // 1250 × 0.4 is 500 again: the break-even point costs what the boundary does.
        let at = |q: &str| {
            price(
                &volume(&[(Some("1000"), "0.5"), (Some("5000"), "0.4"), (None, "0.3")]),
                q.parse().unwrap(),
            )
            .unwrap()
            .raw_amount
        };
        assert!(at("1249.9999") < at("1000"));
        assert_eq!(at("1250"), at("1000"));
    }

    #[test]
    fn the_design_example_has_a_second_cliff_at_5000_with_a_non_terminating_break_even() {
        let cliffs = volume_cliffs(&volume(&[(Some("1000"), "0.5"), (Some("5000"), "0.4"), (None, "0.3")])).unwrap();
        assert_eq!(cliffs.len(), 2);
        let second = &cliffs[1];
        assert_eq!(second.boundary, d("5000"));
        assert_eq!(second.amount_at_boundary, d("2000"));
        // 2000 / 0.3 = 6666.666…: 6666.6666 × 0.3 = 1999.99998 < 2000 ≤ 6666.6667 × 0.3.
        assert_eq!(second.cheaper_through.unwrap().to_string(), "6666.6666");
        assert_eq!(second.break_even.unwrap().to_string(), "6666.6667");
    }

    #[test]
    fn prices_that_do_not_fall_make_no_cliff() {
        assert!(
            volume_cliffs(&volume(&[(Some("1000"), "0.5"), (None, "0.5")]))
                .unwrap()
                .is_empty()
        );
        assert!(
            volume_cliffs(&volume(&[(Some("1000"), "0.4"), (None, "0.5")]))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn flat_and_graduated_rules_have_no_cliffs() {
        assert!(
            volume_cliffs(&rule(r#"{"mode":"flat","unit_price":"1"}"#))
                .unwrap()
                .is_empty()
        );
        let graduated =
            r#"{"mode":"graduated","tiers":[{"up_to":"1000","unit_price":"0.5"},{"up_to":null,"unit_price":"0.1"}]}"#;
        assert!(volume_cliffs(&rule(graduated)).unwrap().is_empty());
    }

    #[test]
    fn a_run_that_outlasts_the_next_tier_continues_into_the_one_after() {
        // At 1000: 1000. Tier 2 (to 1100) at 0.5 costs at most 550, then tier 3 at 0.1
        // stays below 1000 until 10000.
        let cliffs = volume_cliffs(&volume(&[(Some("1000"), "1"), (Some("1100"), "0.5"), (None, "0.1")])).unwrap();
        assert_eq!(cliffs[0].cheaper_through.unwrap().to_string(), "9999.9999");
        assert_eq!(cliffs[0].break_even.unwrap().to_string(), "10000");
    }

    #[test]
    fn a_run_ends_at_a_boundary_where_the_price_rises_again() {
        // At 1000: 1000. 1000.0001–1100 at 0.5 (≤ 550), then 2.0 from 1100.0001 (> 1000).
        let cliffs = volume_cliffs(&volume(&[(Some("1000"), "1"), (Some("1100"), "0.5"), (None, "2")])).unwrap();
        assert_eq!(cliffs.len(), 1);
        assert_eq!(cliffs[0].cheaper_through.unwrap().to_string(), "1100");
        assert_eq!(cliffs[0].break_even.unwrap().to_string(), "1100.0001");
    }

    #[test]
    fn a_free_last_tier_is_cheaper_without_end() {
        let cliffs = volume_cliffs(&volume(&[(Some("100"), "1"), (None, "0")])).unwrap();
        assert_eq!(cliffs[0].cheaper_through, None);
        assert_eq!(cliffs[0].break_even, None);
    }

    #[test]
    fn a_tiny_price_drop_is_still_a_cliff_when_one_more_step_costs_less() {
        // 1000 × 0.5 = 500; 1000.0001 × 0.4999 = 499.90004999.
        let cliffs = volume_cliffs(&volume(&[(Some("1000"), "0.5"), (None, "0.4999")])).unwrap();
        assert_eq!(cliffs.len(), 1);
        assert_eq!(cliffs[0].break_even.unwrap().to_string(), "1000.2001");
    }
}
