//! The amount of one usage under one rule (DESIGN.md §5).
//!
//! Every number is exact: the breakdown amounts are products of a quantity
//! and a price carrying their natural scale (1000 × 0.35 = "350.00",
//! 800 × 0.5000 = "400.0000", 1234.5678 × 0.0123 = "15.18518394"), the raw
//! amount is their exact sum, and the only rounding is the bill amount,
//! half-up to 0.01, once. These are also the scale rules of Python's
//! `decimal`, which the golden vectors follow to the character (and were
//! most likely made with).

use rust_decimal::Decimal;
use serde::Serialize;

use super::exact::{self, Overflow};
use super::rule::{Mode, Rule, Tier};
use super::values::Usage;
use crate::customer::Series;

/// Why a valid rule and a valid usage still give no amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    /// Beyond what can be computed exactly (about 7.9 × 10^28 in units of the
    /// result's last decimal). Far beyond any real bill, but never a panic
    /// and never a rounded amount.
    #[error("金额超出可计算范围")]
    Overflow,
    /// Usage for a series whose rule is missing: refused rather than billed
    /// at zero.
    #[error("{} 系列没有计价规则", .0.code())]
    NoRule(Series),
}

impl From<Overflow> for PricingError {
    fn from(_: Overflow) -> Self {
        PricingError::Overflow
    }
}

/// One row of a breakdown: the part of the usage priced at one tier's price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TierLine {
    /// Exclusive lower bound of the tier (the previous tier's `up_to`, or 0).
    pub from: Decimal,
    /// Inclusive upper bound; `None` for the unbounded last tier (and flat).
    #[schema(required = true)]
    pub to: Option<Decimal>,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    /// `quantity × unit_price`, exact.
    pub amount: Decimal,
}

/// A rule's price for one usage, in the shape `POST /pricing/quote` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleQuote {
    /// The exact amount: the sum of the breakdown amounts.
    pub raw_amount: Decimal,
    /// `raw_amount` rounded half-up to 0.01, always with two decimals.
    pub amount: Decimal,
    pub breakdown: Vec<TierLine>,
}

/// Prices `usage` under `rule`.
///
/// - flat: one line, 0 to unbounded, `q × price`, even for q = 0;
/// - graduated: one line per tier the usage reaches (none for q = 0), each
///   with the part of q inside the tier;
/// - volume: one line, the tier q falls in (tiers cover (from, to]), with
///   all of q at its price.
///
/// Allocates only the breakdown, sized exactly.
pub fn price(rule: &Rule, usage: Usage) -> Result<RuleQuote, PricingError> {
    let q = usage.value();
    let tiers = rule.tiers();
    let breakdown = match rule.mode() {
        Mode::Flat => vec![line(Decimal::ZERO, &tiers[0], q)?],
        Mode::Volume => {
            let index = tier_index(tiers, q);
            vec![line(lower_bound(tiers, index), &tiers[index], q)?]
        }
        Mode::Graduated => {
            let mut lines = Vec::with_capacity(tier_index(tiers, q) + 1);
            let mut from = Decimal::ZERO;
            for tier in tiers {
                // The usage up to this tier's top, less what lower tiers took.
                // On a tie q itself is kept: same value, the usage's scale.
                let top = match tier.up_to {
                    Some(up_to) if up_to < q => up_to,
                    _ => q,
                };
                let part = exact::sub(top, from)?;
                if part <= Decimal::ZERO {
                    break;
                }
                lines.push(line(from, tier, part)?);
                match tier.up_to {
                    Some(up_to) => from = up_to,
                    None => break,
                }
            }
            lines
        }
    };
    let raw_amount = breakdown
        .iter()
        .try_fold(Decimal::ZERO, |sum, line| exact::add(sum, line.amount))?;
    Ok(RuleQuote {
        raw_amount,
        amount: exact::to_cents(raw_amount)?,
        breakdown,
    })
}

fn line(from: Decimal, tier: &Tier, quantity: Decimal) -> Result<TierLine, Overflow> {
    Ok(TierLine {
        from,
        to: tier.up_to,
        quantity,
        unit_price: tier.unit_price,
        amount: exact::mul(quantity, tier.unit_price)?,
    })
}

/// The index of the tier `q` falls in: the first whose `up_to` is ≥ q, or
/// the unbounded last one.
pub(crate) fn tier_index(tiers: &[Tier], q: Decimal) -> usize {
    tiers
        .iter()
        .position(|tier| tier.up_to.is_none_or(|up_to| q <= up_to))
        .unwrap_or(tiers.len() - 1)
}

/// The exclusive lower bound of tier `index`.
pub(crate) fn lower_bound(tiers: &[Tier], index: usize) -> Decimal {
    index
        .checked_sub(1)
        .and_then(|before| tiers[before].up_to)
        .unwrap_or(Decimal::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::RawRule;

    fn rule(json: &str) -> Rule {
        serde_json::from_str::<RawRule>(json).unwrap().validate().unwrap()
    }

    fn usage(text: &str) -> Usage {
        text.parse().unwrap()
    }

    const TIERS: &str = r#"[{"up_to":"1000","unit_price":"0.50"},{"up_to":"5000","unit_price":"0.40"},{"up_to":null,"unit_price":"0.30"}]"#;

    fn graduated() -> Rule {
        rule(&format!(r#"{{"mode":"graduated","tiers":{TIERS}}}"#))
    }

    fn volume() -> Rule {
        rule(&format!(r#"{{"mode":"volume","tiers":{TIERS}}}"#))
    }

    fn amounts(quote: &RuleQuote) -> (String, String) {
        (quote.raw_amount.to_string(), quote.amount.to_string())
    }

    #[test]
    fn the_design_example_prices_graduated_at_2400_and_volume_at_1800() {
        assert_eq!(
            price(&graduated(), usage("6000")).unwrap().amount.to_string(),
            "2400.00"
        );
        assert_eq!(price(&volume(), usage("6000")).unwrap().amount.to_string(), "1800.00");
    }

    #[test]
    fn both_tiered_modes_give_500_at_the_first_boundary_and_volume_drops_just_above_it() {
        assert_eq!(price(&graduated(), usage("1000")).unwrap().amount.to_string(), "500.00");
        assert_eq!(price(&volume(), usage("1000")).unwrap().amount.to_string(), "500.00");
        assert_eq!(
            amounts(&price(&volume(), usage("1000.0001")).unwrap()),
            ("400.000040".into(), "400.00".into())
        );
    }

    #[test]
    fn a_flat_rule_multiplies_and_keeps_the_exact_product() {
        let quote = price(&rule(r#"{"mode":"flat","unit_price":"0.0123"}"#), usage("1234.5678")).unwrap();
        assert_eq!(amounts(&quote), ("15.18518394".into(), "15.19".into()));
        assert_eq!(quote.breakdown.len(), 1);
        assert_eq!(quote.breakdown[0].to, None);
    }

    #[test]
    fn a_half_cent_rounds_up_where_a_binary_float_would_round_down() {
        let quote = price(&rule(r#"{"mode":"flat","unit_price":"2.675"}"#), usage("1")).unwrap();
        assert_eq!(amounts(&quote), ("2.675".into(), "2.68".into()));
    }

    #[test]
    fn zero_usage_gives_a_zero_flat_line_but_no_graduated_lines() {
        let flat = price(&rule(r#"{"mode":"flat","unit_price":"0.35"}"#), Usage::ZERO).unwrap();
        assert_eq!(amounts(&flat), ("0.00".into(), "0.00".into()));
        assert_eq!(flat.breakdown.len(), 1);
        let graduated = price(&graduated(), Usage::ZERO).unwrap();
        assert_eq!(amounts(&graduated), ("0".into(), "0.00".into()));
        assert!(graduated.breakdown.is_empty());
    }

    #[test]
    fn zero_usage_under_volume_is_one_zero_line_in_the_first_tier() {
        let quote = price(&volume(), Usage::ZERO).unwrap();
        assert_eq!(amounts(&quote), ("0.00".into(), "0.00".into()));
        assert_eq!(quote.breakdown[0].to.unwrap().to_string(), "1000");
    }

    #[test]
    fn a_graduated_breakdown_lists_each_reached_tier_with_its_bounds() {
        let quote = price(&graduated(), usage("1000.0001")).unwrap();
        let lines: Vec<_> = quote
            .breakdown
            .iter()
            .map(|l| {
                (
                    l.from.to_string(),
                    l.to.map(|t| t.to_string()),
                    l.quantity.to_string(),
                    l.amount.to_string(),
                )
            })
            .collect();
        assert_eq!(
            lines,
            [
                ("0".into(), Some("1000".into()), "1000".into(), "500.00".into()),
                ("1000".into(), Some("5000".into()), "0.0001".into(), "0.000040".into()),
            ]
        );
        assert_eq!(quote.raw_amount.to_string(), "500.000040");
    }

    #[test]
    fn a_usage_exactly_on_a_boundary_stays_in_the_lower_tier() {
        let quote = price(&volume(), usage("5000")).unwrap();
        assert_eq!(quote.breakdown[0].unit_price.to_string(), "0.40");
        assert_eq!(price(&graduated(), usage("5000")).unwrap().breakdown.len(), 2);
    }

    #[test]
    fn an_amount_too_large_to_compute_exactly_is_an_error_not_a_panic() {
        let dear = rule(r#"{"mode":"flat","unit_price":"922337203685477.5807"}"#);
        assert_eq!(price(&dear, usage("922337203685477.5807")), Err(PricingError::Overflow));
        assert_eq!(PricingError::Overflow.to_string(), "金额超出可计算范围");
    }

    #[test]
    fn a_quote_serializes_with_strings_and_null_bounds() {
        let quote = price(&rule(r#"{"mode":"flat","unit_price":"0.35"}"#), usage("1000")).unwrap();
        assert_eq!(
            serde_json::to_string(&quote).unwrap(),
            r#"{"raw_amount":"350.00","amount":"350.00","breakdown":[{"from":"0","to":null,"quantity":"1000","unit_price":"0.35","amount":"350.00"}]}"#
        );
    }
}
