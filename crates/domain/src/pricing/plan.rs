//! A price plan's bill for one month's usage (DESIGN.md §5, §7).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::engine::{PricingError, TierLine, price};
use super::exact;
use super::raw::RawValue;
use super::rule::{RawRule, Rule};
use super::series::{BILL_ORDER, SeriesMap};
use super::values::{MinimumCharge, Usage};
use crate::customer::Series;
use crate::validation::{FieldError, FieldErrors};

/// 保底补差 or a series' usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = QuoteLineKind)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Usage,
    MinimumTopup,
}

/// One bill line. A usage line has its series, usage and tier breakdown; the
/// minimum top-up line has none of them (`null`, `null`, `[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = QuoteLine)]
pub struct BillLine {
    pub kind: LineKind,
    #[schema(required = true)]
    pub series: Option<Series>,
    #[schema(required = true, value_type = Option<String>)]
    pub usage: Option<Usage>,
    /// Exact amount of the line.
    pub raw_amount: Decimal,
    /// Rounded half-up to 0.01, two decimals: what the bill charges.
    pub amount: Decimal,
    pub tiers: Vec<TierLine>,
}

/// A month's bill under a plan, in the shape `POST /pricing/quote` answers
/// for a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BillQuote {
    pub lines: Vec<BillLine>,
    /// Σ of the lines' rounded amounts, two decimals: total = Σ lines always.
    pub total: Decimal,
}

/// Prices a month: one usage line per series present in `usage` (a series
/// with usage "0" still gets its line: the usage was reported), in
/// [`BILL_ORDER`], each rounded on its own; then, if the sum of those
/// rounded amounts is below `minimum_charge`, a top-up line of exactly the
/// difference, so the total is exactly the minimum.
///
/// `rules` are the effective rules: the plan's, with any customer overrides
/// laid over them ([`SeriesMap::overlaid`]). Usage of a series without a
/// rule is an error, never a silent zero.
pub fn price_plan(
    rules: &SeriesMap<Rule>,
    minimum_charge: Option<MinimumCharge>,
    usage: &SeriesMap<Usage>,
) -> Result<BillQuote, PricingError> {
    let mut lines = Vec::with_capacity(usage.len() + 1);
    for (series, &quantity) in usage.iter() {
        let rule = rules.get(series).ok_or(PricingError::NoRule(series))?;
        let quote = price(rule, quantity)?;
        lines.push(BillLine {
            kind: LineKind::Usage,
            series: Some(series),
            usage: Some(quantity),
            raw_amount: quote.raw_amount,
            amount: quote.amount,
            tiers: quote.breakdown,
        });
    }
    let charged = sum_amounts(&lines)?;
    if let Some(minimum) = minimum_charge
        && charged < minimum.value()
    {
        let topup = exact::sub(minimum.value(), charged)?;
        lines.push(BillLine {
            kind: LineKind::MinimumTopup,
            series: None,
            usage: None,
            raw_amount: topup,
            amount: exact::to_cents(topup)?,
            tiers: Vec::new(),
        });
    }
    let total = exact::widen(sum_amounts(&lines)?, 2)?;
    Ok(BillQuote { lines, total })
}

fn sum_amounts(lines: &[BillLine]) -> Result<Decimal, PricingError> {
    Ok(lines
        .iter()
        .try_fold(Decimal::ZERO, |sum, line| exact::add(sum, line.amount))?)
}

/// What a plan version fixes about money: the rule per series and the
/// optional minimum charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanPricing {
    pub minimum_charge: Option<MinimumCharge>,
    pub rules: SeriesMap<Rule>,
}

impl PlanPricing {
    /// The bill for `usage` under this plan as it stands (no overrides).
    pub fn quote(&self, usage: &SeriesMap<Usage>) -> Result<BillQuote, PricingError> {
        price_plan(&self.rules, self.minimum_charge, usage)
    }
}

/// A plan's pricing as received: `{"minimum_charge"?, "rules": {"X": rule, …}}`.
/// Meant to be flattened into the request bodies that carry a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RawPlanPricing {
    #[serde(default)]
    pub minimum_charge: Option<RawValue>,
    #[serde(default)]
    pub rules: Option<RawValue>,
}

impl RawPlanPricing {
    /// Every problem at once, at paths such as `minimum_charge`, `rules.N`,
    /// `rules.X.tiers[1].up_to`. A plan needs a rule for each of X, N, L.
    pub fn validate(&self) -> Result<PlanPricing, FieldErrors> {
        let mut errors = FieldErrors::new();
        let minimum_charge = errors.check(MinimumCharge::validate(self.minimum_charge.as_ref()));
        let rules = match validate_series_rules(self.rules.as_ref(), Coverage::EverySeries) {
            Ok(rules) => Some(rules),
            Err(nested) => {
                errors.extend_prefixed("rules", nested);
                None
            }
        };
        match (minimum_charge, rules) {
            (Some(minimum_charge), Some(rules)) if errors.is_empty() => Ok(PlanPricing { minimum_charge, rules }),
            _ => Err(errors),
        }
    }
}

/// Which series a rules object must cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// A plan: one rule for each of X, N, L.
    EverySeries,
    /// A customer's overrides: any of them, or none.
    AnySeries,
}

/// A rules object `{"X": rule, …}`, with paths relative to it (`X`,
/// `X.tiers[0].unit_price`); the object itself is the empty path.
/// Series keys are read like everywhere else (`x` is X); a `null` rule is
/// no rule.
pub fn validate_series_rules(value: Option<&RawValue>, coverage: Coverage) -> Result<SeriesMap<Rule>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut rules = SeriesMap::new();
    // Series whose entry was given, valid or not: a bad one has said why.
    let mut given = SeriesMap::new();
    match value {
        None | Some(RawValue::Null(())) => {}
        Some(RawValue::Object(entries)) => {
            for (key, raw) in entries {
                let Some(series) = series_key(key, &mut errors, |s| given.contains(s)) else {
                    continue;
                };
                if raw.is_null() {
                    continue;
                }
                given.insert(series, ());
                match RawRule(raw.clone()).validate() {
                    Ok(rule) => {
                        rules.insert(series, rule);
                    }
                    Err(nested) => errors.extend_prefixed(key, nested),
                }
            }
        }
        Some(_) => {
            errors.push(FieldError::new(
                "",
                "INVALID_RULES",
                "计价规则应为按设备系列（X、N、L）填写的对象",
            ));
            return Err(errors);
        }
    }
    if coverage == Coverage::EverySeries {
        for series in BILL_ORDER.into_iter().filter(|s| !given.contains(*s)) {
            errors.push(FieldError::new(
                series.code(),
                "REQUIRED",
                format!("请设置 {} 系列的计价规则", series.code()),
            ));
        }
    }
    if errors.is_empty() { Ok(rules) } else { Err(errors) }
}

/// A usage object `{"X": "6000", …}` (the series present are the series
/// billed), with paths relative to it (`X`); prefix them with `usage`.
pub fn validate_series_usage(value: Option<&RawValue>) -> Result<SeriesMap<Usage>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut usage = SeriesMap::new();
    match value {
        None | Some(RawValue::Null(())) => {}
        Some(RawValue::Object(entries)) => {
            for (key, raw) in entries {
                let Some(series) = series_key(key, &mut errors, |s| usage.contains(s)) else {
                    continue;
                };
                if raw.is_null() {
                    continue;
                }
                match Usage::validate(Some(raw)) {
                    Ok(quantity) => {
                        usage.insert(series, quantity);
                    }
                    Err(error) => errors.extend_prefixed(key, error.into()),
                }
            }
        }
        Some(_) => errors.push(FieldError::new(
            "",
            "INVALID_USAGE",
            "用量应为按设备系列填写的对象，如 {\"X\": \"6000\"}",
        )),
    }
    if errors.is_empty() { Ok(usage) } else { Err(errors) }
}

/// The series a key names, or an error at that key: unknown, or a second
/// spelling of a series already given (`x` and `X`).
fn series_key(key: &str, errors: &mut FieldErrors, taken: impl Fn(Series) -> bool) -> Option<Series> {
    let Some(series) = Series::parse(key) else {
        errors.push(FieldError::new(
            key,
            "UNKNOWN_SERIES",
            format!("未知的设备系列“{key}”，应为 X、N 或 L"),
        ));
        return None;
    };
    if taken(series) {
        errors.push(FieldError::new(
            key,
            "DUPLICATE_SERIES",
            format!("设备系列 {} 重复", series.code()),
        ));
        return None;
    }
    Some(series)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> RawValue {
        serde_json::from_str(json).unwrap()
    }

    fn plan(json: &str) -> Result<PlanPricing, FieldErrors> {
        serde_json::from_str::<RawPlanPricing>(json).unwrap().validate()
    }

    fn problems(result: Result<impl Sized, FieldErrors>) -> Vec<(String, &'static str)> {
        match result {
            Ok(_) => panic!("expected errors"),
            Err(errors) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
        }
    }

    fn usage(json: &str) -> SeriesMap<Usage> {
        validate_series_usage(Some(&raw(json))).unwrap()
    }

    const RULES: &str = r#"{
        "X": {"mode": "flat", "unit_price": "0.1234"},
        "N": {"mode": "graduated", "tiers": [{"up_to": "1000", "unit_price": "0.5000"}, {"up_to": null, "unit_price": "0.3000"}]},
        "L": {"mode": "volume", "tiers": [{"up_to": "200", "unit_price": "2.0000"}, {"up_to": null, "unit_price": "1.5000"}]}
    }"#;

    fn full_plan(minimum: &str) -> PlanPricing {
        plan(&format!(r#"{{"minimum_charge": {minimum}, "rules": {RULES}}}"#)).unwrap()
    }

    #[test]
    fn lines_come_in_x_n_l_order_and_the_total_is_their_sum() {
        let bill = full_plan("null")
            .quote(&usage(r#"{"L": "300", "X": "10000"}"#))
            .unwrap();
        let series: Vec<_> = bill.lines.iter().map(|l| l.series.map(Series::code)).collect();
        assert_eq!(series, [Some("X"), Some("L")]);
        assert_eq!(bill.total.to_string(), "1684.00");
    }

    #[test]
    fn a_bill_below_the_minimum_gets_a_topup_to_exactly_the_minimum() {
        let bill = full_plan(r#""500.00""#)
            .quote(&usage(r#"{"X": "100", "N": "10"}"#))
            .unwrap();
        let topup = bill.lines.last().unwrap();
        assert_eq!(topup.kind, LineKind::MinimumTopup);
        assert_eq!((topup.series, topup.usage), (None, None));
        assert_eq!(topup.amount.to_string(), "482.66");
        assert_eq!(bill.total.to_string(), "500.00");
    }

    #[test]
    fn a_bill_at_or_above_the_minimum_has_no_topup() {
        // 10000 × 0.1234 = 1234.00 ≥ 500.
        let bill = full_plan(r#""500.00""#).quote(&usage(r#"{"X": "10000"}"#)).unwrap();
        assert_eq!(bill.lines.len(), 1);
        let exact = full_plan(r#""1234""#).quote(&usage(r#"{"X": "10000"}"#)).unwrap();
        assert_eq!(exact.lines.len(), 1);
    }

    #[test]
    fn no_usage_and_no_minimum_is_an_empty_bill_of_zero() {
        let bill = full_plan("null").quote(&SeriesMap::new()).unwrap();
        assert!(bill.lines.is_empty());
        assert_eq!(bill.total.to_string(), "0.00");
    }

    #[test]
    fn a_series_with_zero_usage_still_gets_its_line() {
        let bill = full_plan("null").quote(&usage(r#"{"N": "0"}"#)).unwrap();
        assert_eq!(bill.lines.len(), 1);
        assert_eq!(bill.lines[0].amount.to_string(), "0.00");
    }

    #[test]
    fn usage_of_a_series_without_a_rule_is_an_error_not_a_zero() {
        let rules: SeriesMap<Rule> = full_plan("null")
            .rules
            .iter()
            .filter(|(s, _)| *s != Series::L)
            .map(|(s, r)| (s, r.clone()))
            .collect();
        let error = price_plan(&rules, None, &usage(r#"{"L": "1"}"#)).unwrap_err();
        assert_eq!(error, PricingError::NoRule(Series::L));
        assert_eq!(error.to_string(), "L 系列没有计价规则");
    }

    #[test]
    fn a_customer_override_replaces_the_plan_rule_of_its_series() {
        let plan = full_plan("null");
        let overrides = validate_series_rules(
            Some(&raw(r#"{"X": {"mode": "flat", "unit_price": "0.1"}}"#)),
            Coverage::AnySeries,
        )
        .unwrap();
        let bill = price_plan(&plan.rules.overlaid(&overrides), None, &usage(r#"{"X": "100"}"#)).unwrap();
        assert_eq!(bill.total.to_string(), "10.00");
    }

    #[test]
    fn a_top_up_line_serializes_with_null_series_and_usage() {
        let bill = full_plan(r#""500.00""#).quote(&SeriesMap::new()).unwrap();
        assert_eq!(
            serde_json::to_string(&bill).unwrap(),
            r#"{"lines":[{"kind":"minimum_topup","series":null,"usage":null,"raw_amount":"500.00","amount":"500.00","tiers":[]}],"total":"500.00"}"#
        );
    }

    #[test]
    fn a_plan_needs_a_rule_for_every_series() {
        assert_eq!(
            problems(plan(r#"{"rules": {"X": {"mode": "flat", "unit_price": "1"}}}"#)),
            [("rules.N".into(), "REQUIRED"), ("rules.L".into(), "REQUIRED")]
        );
        assert_eq!(
            problems(plan(r#"{}"#)),
            [
                ("rules.X".into(), "REQUIRED"),
                ("rules.N".into(), "REQUIRED"),
                ("rules.L".into(), "REQUIRED")
            ]
        );
    }

    #[test]
    fn plan_errors_carry_the_full_path_of_the_bad_field() {
        let json = r#"{"minimum_charge": 500, "rules": {
            "X": {"mode": "flat", "unit_price": "0.1"},
            "N": {"mode": "graduated", "tiers": [{"up_to": "1000", "unit_price": "0.5"}, {"up_to": "900", "unit_price": "0.4"}, {"up_to": null, "unit_price": "0.3"}]},
            "L": {"mode": "bulk"},
            "Q": {"mode": "flat", "unit_price": "1"}
        }}"#;
        assert_eq!(
            problems(plan(json)),
            [
                ("minimum_charge".into(), "NUMBER_NOT_STRING"),
                ("rules.L.mode".into(), "UNKNOWN_MODE"),
                ("rules.N.tiers[1].up_to".into(), "UP_TO_NOT_INCREASING"),
                ("rules.Q".into(), "UNKNOWN_SERIES"),
            ]
        );
    }

    #[test]
    fn rules_that_are_not_an_object_are_rejected_at_rules() {
        assert_eq!(problems(plan(r#"{"rules": []}"#)), [("rules".into(), "INVALID_RULES")]);
    }

    #[test]
    fn overrides_may_cover_any_series_or_none() {
        assert!(validate_series_rules(None, Coverage::AnySeries).unwrap().is_empty());
        let one = validate_series_rules(
            Some(&raw(r#"{"n": {"mode": "flat", "unit_price": "1"}}"#)),
            Coverage::AnySeries,
        )
        .unwrap();
        assert!(one.contains(Series::N));
    }

    #[test]
    fn a_series_given_twice_is_rejected() {
        let value = raw(r#"{"X": {"mode": "flat", "unit_price": "1"}, "x": {"mode": "flat", "unit_price": "2"}}"#);
        assert_eq!(
            problems(validate_series_rules(Some(&value), Coverage::AnySeries)),
            [("x".into(), "DUPLICATE_SERIES")]
        );
    }

    #[test]
    fn usage_errors_name_their_series() {
        let value = raw(r#"{"X": "-1", "N": 5, "L": "1.00001", "Z": "1"}"#);
        let errors = validate_series_usage(Some(&value)).unwrap_err().prefixed("usage");
        let found: Vec<_> = errors.into_iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            found,
            [
                ("usage.L".into(), "TOO_MANY_DECIMALS"),
                ("usage.N".into(), "NUMBER_NOT_STRING"),
                ("usage.X".into(), "NEGATIVE"),
                ("usage.Z".into(), "UNKNOWN_SERIES"),
            ]
        );
    }

    #[test]
    fn a_stored_plan_reads_back_equal() {
        let plan = full_plan(r#""500""#);
        let stored = serde_json::to_string(&plan).unwrap();
        assert!(stored.contains(r#""minimum_charge":"500.00""#), "{stored}");
        assert_eq!(serde_json::from_str::<PlanPricing>(&stored).unwrap(), plan);
    }
}
