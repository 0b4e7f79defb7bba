//! What must hold for every rule and usage, not just the golden vectors:
//! the relations between the modes, the rounding rule, the bill's totals,
//! and the cliff analysis against the engine itself.

use opcms_domain::customer::Series;
use opcms_domain::pricing::{
    BILL_ORDER, LineKind, MinimumCharge, Mode, RawRule, Rule, SeriesMap, Tier, USAGE_STEP, Usage, price, price_plan,
    volume_cliffs,
};
use proptest::prelude::*;
use rust_decimal::{Decimal, RoundingStrategy};

/// A price of 0 to 10 with 0 to 4 decimals as written ("0.5", "0.5000").
fn a_price() -> impl Strategy<Value = Decimal> {
    (0i64..=10, 0u32..=4).prop_flat_map(|(whole, scale)| {
        let units = 10i64.pow(scale);
        (0..=whole * units + units - 1).prop_map(move |m| Decimal::new(m, scale))
    })
}

/// Usage of 0 to 30000 with up to four decimals: beyond the highest tier
/// bound the tier strategy makes.
fn a_usage() -> impl Strategy<Value = Usage> {
    prop_oneof![
        (0i64..=300_000_000).prop_map(|units| Decimal::new(units, 4)),
        (0i64..=30_000).prop_map(Decimal::from),
    ]
    .prop_map(|q| Usage::new(q).unwrap())
}

/// Tiers with 0 to 4 bounds between 0.0001 and 20000, prices as given.
fn tiers(prices: BoxedStrategy<Vec<Decimal>>) -> impl Strategy<Value = Vec<Tier>> {
    prop::collection::vec(1i64..=50_000_000, 0..5).prop_flat_map(move |steps| {
        let n = steps.len() + 1;
        (
            Just(steps),
            prices
                .clone()
                .prop_map(move |p| p.into_iter().cycle().take(n).collect::<Vec<_>>()),
        )
            .prop_map(|(steps, prices)| {
                let mut bound = 0i64;
                let mut tiers: Vec<Tier> = steps
                    .iter()
                    .zip(&prices)
                    .map(|(step, price)| {
                        bound += step;
                        Tier {
                            up_to: Some(Decimal::new(bound, 4).normalize()),
                            unit_price: *price,
                        }
                    })
                    .collect();
                tiers.push(Tier {
                    up_to: None,
                    unit_price: prices[prices.len() - 1],
                });
                tiers
            })
    })
}

fn any_prices() -> BoxedStrategy<Vec<Decimal>> {
    prop::collection::vec(a_price(), 5).boxed()
}

/// Prices that never rise from one tier to the next.
fn falling_prices() -> BoxedStrategy<Vec<Decimal>> {
    any_prices()
        .prop_map(|mut prices| {
            prices.sort_by(|a, b| b.cmp(a));
            prices
        })
        .boxed()
}

fn rule(mode: Mode, tiers: Vec<Tier>) -> Rule {
    Rule::tiered(mode, tiers).expect("generated tiers are valid")
}

fn any_rule() -> impl Strategy<Value = Rule> {
    prop_oneof![
        a_price().prop_map(|p| Rule::flat(p).unwrap()),
        tiers(any_prices()).prop_map(|t| rule(Mode::Graduated, t)),
        tiers(any_prices()).prop_map(|t| rule(Mode::Volume, t)),
    ]
}

fn raw(rule: &Rule, usage: Usage) -> Decimal {
    price(rule, usage).unwrap().raw_amount
}

fn usage(q: Decimal) -> Usage {
    Usage::new(q).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn graduated_never_costs_more_than_all_usage_at_the_first_price_when_prices_fall(
        tiers in tiers(falling_prices()), q in a_usage()
    ) {
        let first_price = tiers[0].unit_price;
        let graduated = raw(&rule(Mode::Graduated, tiers), q);
        prop_assert!(graduated <= q.value() * first_price);
    }

    #[test]
    fn volume_never_costs_more_than_graduated_when_prices_fall(tiers in tiers(falling_prices()), q in a_usage()) {
        let graduated = raw(&rule(Mode::Graduated, tiers.clone()), q);
        let volume = raw(&rule(Mode::Volume, tiers), q);
        prop_assert!(volume <= graduated, "volume {volume} > graduated {graduated}");
    }

    #[test]
    fn volume_and_graduated_agree_inside_the_first_tier(tiers in tiers(any_prices()), share in 0u32..=10_000) {
        // A usage from 0 up to and including the first bound.
        let top = tiers[0].up_to.unwrap_or(Decimal::from(30_000));
        let q = usage((top * Decimal::new(i64::from(share), 4)).round_dp(4));
        let graduated = price(&rule(Mode::Graduated, tiers.clone()), q).unwrap();
        let volume = price(&rule(Mode::Volume, tiers), q).unwrap();
        prop_assert_eq!(graduated.raw_amount, volume.raw_amount);
        prop_assert_eq!(graduated.amount, volume.amount);
        if !q.value().is_zero() {
            prop_assert_eq!(graduated.breakdown, volume.breakdown);
        }
    }

    #[test]
    fn graduated_cost_never_falls_as_usage_grows(tiers in tiers(any_prices()), a in a_usage(), b in a_usage()) {
        let rule = rule(Mode::Graduated, tiers);
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(raw(&rule, low) <= raw(&rule, high));
    }

    #[test]
    fn a_flat_rule_costs_what_a_single_unbounded_tier_does(p in a_price(), q in a_usage()) {
        let single = vec![Tier { up_to: None, unit_price: p }];
        let flat = Rule::flat(p).unwrap();
        prop_assert_eq!(raw(&flat, q), q.value() * p);
        prop_assert_eq!(price(&flat, q).unwrap().amount, price(&rule(Mode::Graduated, single.clone()), q).unwrap().amount);
        prop_assert_eq!(price(&flat, q).unwrap().amount, price(&rule(Mode::Volume, single), q).unwrap().amount);
    }

    #[test]
    fn the_amount_is_the_raw_amount_rounded_half_up_to_the_cent(rule in any_rule(), q in a_usage()) {
        let quote = price(&rule, q).unwrap();
        let rounded = quote.raw_amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        prop_assert_eq!(quote.amount, rounded);
        prop_assert_eq!(quote.amount.scale(), 2);
        prop_assert!((quote.amount - quote.raw_amount).abs() <= Decimal::new(5, 3));
    }

    #[test]
    fn the_raw_amount_is_exact_to_at_most_eight_decimals(rule in any_rule(), q in a_usage()) {
        let quote = price(&rule, q).unwrap();
        prop_assert!(quote.raw_amount.scale() <= 8);
        let expected: Decimal = quote.breakdown.iter().map(|l| l.quantity * l.unit_price).sum();
        prop_assert_eq!(quote.raw_amount, expected);
    }

    #[test]
    fn a_breakdown_is_consistent_line_by_line(rule in any_rule(), q in a_usage()) {
        let quote = price(&rule, q).unwrap();
        let amounts: Decimal = quote.breakdown.iter().map(|l| l.amount).sum();
        prop_assert_eq!(amounts, quote.raw_amount);
        for line in &quote.breakdown {
            prop_assert_eq!(line.amount, line.quantity * line.unit_price);
            prop_assert!(line.quantity >= Decimal::ZERO);
        }
        match rule.mode() {
            Mode::Graduated => {
                let quantities: Decimal = quote.breakdown.iter().map(|l| l.quantity).sum();
                prop_assert_eq!(quantities, q.value());
                for pair in quote.breakdown.windows(2) {
                    prop_assert_eq!(Some(pair[1].from), pair[0].to);
                }
                for line in &quote.breakdown {
                    prop_assert!(line.quantity > Decimal::ZERO);
                    prop_assert!(line.to.is_none_or(|to| line.from + line.quantity <= to));
                }
            }
            Mode::Volume => {
                prop_assert_eq!(quote.breakdown.len(), 1);
                let line = &quote.breakdown[0];
                prop_assert_eq!(line.quantity, q.value());
                prop_assert!(line.from < q.value() || (line.from.is_zero() && q.value().is_zero()));
                prop_assert!(line.to.is_none_or(|to| q.value() <= to));
            }
            Mode::Flat => prop_assert_eq!(quote.breakdown.len(), 1),
        }
    }

    #[test]
    fn a_rule_survives_its_wire_form(rule in any_rule()) {
        let json = serde_json::to_value(&rule).unwrap();
        let back = serde_json::from_value::<RawRule>(json).unwrap().validate().unwrap();
        prop_assert_eq!(back, rule);
    }

    #[test]
    fn a_bill_totals_its_lines_and_tops_up_to_exactly_the_minimum(
        rules in prop::collection::vec(any_rule(), 3),
        quantities in prop::collection::vec(prop::option::of(a_usage()), 3),
        minimum in prop::option::of(0i64..=2_000_000_000),
    ) {
        let rules: SeriesMap<Rule> = BILL_ORDER.into_iter().zip(rules).collect();
        let usage: SeriesMap<Usage> = BILL_ORDER
            .into_iter()
            .zip(quantities)
            .filter_map(|(s, q)| q.map(|q| (s, q)))
            .collect();
        let minimum = minimum.map(|cents| MinimumCharge::new(Decimal::new(cents, 2)).unwrap());
        let bill = price_plan(&rules, minimum, &usage).unwrap();

        let total: Decimal = bill.lines.iter().map(|l| l.amount).sum();
        prop_assert_eq!(bill.total, total);
        prop_assert_eq!(bill.total.scale(), 2);
        prop_assert!(bill.lines.iter().all(|l| l.amount.scale() == 2));

        let usage_lines: Vec<Series> = bill.lines.iter().filter_map(|l| l.series).collect();
        let expected: Vec<Series> = usage.iter().map(|(s, _)| s).collect();
        prop_assert_eq!(usage_lines, expected);

        let charged: Decimal = bill.lines.iter().filter(|l| l.kind == LineKind::Usage).map(|l| l.amount).sum();
        let topups: Vec<_> = bill.lines.iter().filter(|l| l.kind == LineKind::MinimumTopup).collect();
        match minimum {
            Some(minimum) if charged < minimum.value() => {
                prop_assert_eq!(topups.len(), 1);
                prop_assert_eq!(bill.lines.last().unwrap().kind, LineKind::MinimumTopup);
                prop_assert_eq!(topups[0].amount, topups[0].raw_amount);
                prop_assert_eq!(bill.total, minimum.value());
            }
            _ => {
                prop_assert!(topups.is_empty());
                prop_assert!(minimum.is_none_or(|m| bill.total >= m.value()));
            }
        }
    }

    #[test]
    fn every_cliff_is_where_the_engine_says_more_usage_costs_less(tiers in tiers(any_prices()), share in 0u32..=10_000) {
        let rule = rule(Mode::Volume, tiers);
        let cost = |q: Decimal| raw(&rule, usage(q));
        let cliffs = volume_cliffs(&rule).unwrap();
        for tier in rule.tiers() {
            let Some(b) = tier.up_to else { continue };
            let cliff = cliffs.iter().find(|c| c.boundary == b);
            let drops = cost(b + USAGE_STEP) < cost(b);
            prop_assert_eq!(cliff.is_some(), drops, "boundary {}", b);
            let Some(cliff) = cliff else { continue };
            prop_assert_eq!(cliff.amount_at_boundary, cost(b));
            prop_assert_eq!(cliff.amount_just_above, cost(b + USAGE_STEP));
            match (cliff.cheaper_through, cliff.break_even) {
                (Some(through), Some(even)) => {
                    prop_assert_eq!(even, through + USAGE_STEP);
                    prop_assert!(cost(through) < cost(b));
                    prop_assert!(cost(even) >= cost(b));
                    // Anywhere inside the run costs less too.
                    let span = through - b;
                    let inside = (b + (span * Decimal::new(i64::from(share), 4)).round_dp(4)).max(b + USAGE_STEP);
                    prop_assert!(cost(inside) < cost(b), "{} inside ({}, {}]", inside, b, through);
                }
                (None, None) => prop_assert!(cost(Decimal::from(1_000_000)) < cost(b)),
                other => prop_assert!(false, "inconsistent cliff end {:?}", other),
            }
        }
    }

    #[test]
    fn price_text_of_any_kind_is_judged_without_panicking(text in "\\PC{0,12}") {
        let json = serde_json::json!({"mode": "flat", "unit_price": text});
        let _ = serde_json::from_value::<RawRule>(json).unwrap().validate();
        let _ = text.parse::<Usage>();
    }

    #[test]
    fn usage_text_reads_back_as_written_in_shortest_form(units in 0i64..=1_000_000_000_000, scale in 0u32..=4) {
        let q = usage(Decimal::new(units, scale));
        prop_assert_eq!(q.to_string().parse::<Usage>().unwrap(), q);
        prop_assert_eq!(q.value(), q.value().normalize());
    }
}
