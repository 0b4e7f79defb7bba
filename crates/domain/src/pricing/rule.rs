//! A price rule (计价规则) and its validation (DESIGN.md §5).
//!
//! On the wire a rule is `{"mode": "flat", "unit_price": "0.35"}` or
//! `{"mode": "graduated" | "volume", "tiers": [{"up_to": "1000",
//! "unit_price": "0.5"}, …, {"up_to": null, "unit_price": "0.3"}]}`.
//! A [`Rule`] value always satisfies the rules below; the only ways to get
//! one are validation ([`RawRule::validate`]), the checked constructors, and
//! deserialization (which validates).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize, Serializer};

use super::raw::{self, RawValue, ValueError};
use crate::validation::{FieldError, FieldErrors};

/// More tiers than any real price list has; bounds the work per quote.
pub const MAX_TIERS: usize = 50;

/// 计价模式
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = PricingMode)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// 单层定价: q × unit_price.
    Flat,
    /// 多层定价: each part of q at the price of the tier it falls in.
    Graduated,
    /// 阶梯定价: all of q at the price of the tier q falls in.
    Volume,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Flat, Mode::Graduated, Mode::Volume];

    pub fn code(self) -> &'static str {
        match self {
            Mode::Flat => "flat",
            Mode::Graduated => "graduated",
            Mode::Volume => "volume",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Mode::Flat => "单层定价",
            Mode::Graduated => "多层定价",
            Mode::Volume => "阶梯定价",
        }
    }

    /// The wire code only: a stored rule must mean one thing, so no synonyms.
    pub fn parse(code: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.code() == code)
    }
}

/// One tier: covers usage in (previous `up_to`, `up_to`]; `None` is the
/// unbounded last tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = PriceTier)]
pub struct Tier {
    #[schema(required = true)]
    pub up_to: Option<Decimal>,
    pub unit_price: Decimal,
}

/// A validated price rule. A flat rule is held as one unbounded tier, so the
/// engine and the UI read every rule the same way.
///
/// Invariants: at least one and at most [`MAX_TIERS`] tiers; every `up_to`
/// but the last is present, greater than 0 and strictly greater than the one
/// before; the last is `None`; prices are ≥ 0; all values have at most four
/// decimals and fit the stored range. Flat rules have exactly one tier.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawRule")]
pub struct Rule {
    mode: Mode,
    tiers: Vec<Tier>,
}

impl Rule {
    /// 单层定价 at `unit_price`.
    pub fn flat(unit_price: Decimal) -> Result<Rule, FieldErrors> {
        let unit_price = check_price(unit_price, "unit_price")?;
        Ok(Rule {
            mode: Mode::Flat,
            tiers: vec![Tier {
                up_to: None,
                unit_price,
            }],
        })
    }

    /// A graduated or volume rule from typed tiers, under the same checks
    /// and field paths as [`RawRule::validate`]. `Mode::Flat` takes exactly
    /// one unbounded tier.
    pub fn tiered(mode: Mode, tiers: Vec<Tier>) -> Result<Rule, FieldErrors> {
        let mut errors = FieldErrors::new();
        if mode == Mode::Flat && tiers.len() != 1 {
            errors.push(FieldError::new("tiers", "NOT_ALLOWED", "单层定价不设阶梯"));
        }
        let checked: Vec<_> = tiers
            .into_iter()
            .enumerate()
            .map(|(i, tier)| {
                let up_to = match tier.up_to {
                    None => Some(None),
                    Some(value) => errors.check(check_up_to(value, &tier_field(i, "up_to"))).map(Some),
                };
                let price = errors.check(check_price(tier.unit_price, &tier_field(i, "unit_price")));
                (up_to, price)
            })
            .collect();
        check_tier_order(&checked, &mut errors);
        build(mode, checked, errors)
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The tiers in order; a flat rule has one unbounded tier.
    pub fn tiers(&self) -> &[Tier] {
        &self.tiers
    }

    /// The price of a flat rule.
    pub fn flat_price(&self) -> Option<Decimal> {
        (self.mode == Mode::Flat).then(|| self.tiers[0].unit_price)
    }
}

/// A rule on the wire. Its own type so that the OpenAPI schema of [`Rule`]
/// is derived from the very serde attributes that shape the JSON.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PriceRule)]
#[serde(tag = "mode", rename_all = "lowercase")]
enum Wire<'a> {
    Flat { unit_price: &'a Decimal },
    Graduated { tiers: &'a [Tier] },
    Volume { tiers: &'a [Tier] },
}

impl utoipa::PartialSchema for Rule {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <Wire<'static> as utoipa::PartialSchema>::schema()
    }
}

impl utoipa::ToSchema for Rule {
    fn name() -> std::borrow::Cow<'static, str> {
        <Wire<'static> as utoipa::ToSchema>::name()
    }

    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        <Wire<'static> as utoipa::ToSchema>::schemas(schemas);
    }
}

/// Serializes to the wire shape, strings for every number, scales as written.
impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let wire = match self.mode {
            Mode::Flat => Wire::Flat {
                unit_price: &self.tiers[0].unit_price,
            },
            Mode::Graduated => Wire::Graduated { tiers: &self.tiers },
            Mode::Volume => Wire::Volume { tiers: &self.tiers },
        };
        wire.serialize(serializer)
    }
}

/// A rule as received, validated by [`RawRule::validate`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct RawRule(pub RawValue);

impl TryFrom<RawRule> for Rule {
    type Error = FieldErrors;

    fn try_from(raw: RawRule) -> Result<Rule, FieldErrors> {
        raw.validate()
    }
}

impl RawRule {
    /// Every problem of the rule at once, with paths relative to the rule
    /// (`mode`, `unit_price`, `tiers`, `tiers[1].up_to`; the rule itself is
    /// the empty path). Nest them with [`FieldErrors::prefixed`].
    pub fn validate(&self) -> Result<Rule, FieldErrors> {
        let RawValue::Object(fields) = &self.0 else {
            return Err(FieldError::new("", "INVALID_RULE", "计价规则格式不正确，应为包含 mode 的对象").into());
        };
        let mut errors = FieldErrors::new();
        let mode = errors.check(parse_mode(present(fields, "mode")));
        let unit_price = present(fields, "unit_price");
        let tiers = present(fields, "tiers");

        match mode {
            Some(Mode::Flat) => {
                let has_tiers = match tiers {
                    None => false,
                    Some(RawValue::List(list)) => !list.is_empty(),
                    Some(_) => true,
                };
                if has_tiers {
                    errors.push(FieldError::new("tiers", "NOT_ALLOWED", "单层定价不设阶梯"));
                }
                let price = errors.check(price_field(unit_price, "unit_price"));
                build(Mode::Flat, vec![(Some(None), price)], errors)
            }
            Some(mode) => {
                if unit_price.is_some() {
                    errors.push(FieldError::new(
                        "unit_price",
                        "NOT_ALLOWED",
                        format!("{}的单价填写在各阶梯中", mode.label()),
                    ));
                }
                let tiers = parse_tiers(tiers, &mut errors);
                build(mode, tiers, errors)
            }
            None => {
                // Still report what is wrong with the rest, so one round trip shows it all.
                if unit_price.is_some() {
                    errors.check(price_field(unit_price, "unit_price"));
                }
                if tiers.is_some() {
                    parse_tiers(tiers, &mut errors);
                }
                Err(errors)
            }
        }
    }
}

/// The rule, once every field has passed; a field that failed has left its
/// error in `errors`.
fn build(mode: Mode, checked: Vec<CheckedTier>, errors: FieldErrors) -> Result<Rule, FieldErrors> {
    let tiers: Vec<Tier> = checked
        .into_iter()
        .filter_map(|(up_to, price)| {
            Some(Tier {
                up_to: up_to?,
                unit_price: price?,
            })
        })
        .collect();
    if errors.is_empty() && !tiers.is_empty() {
        Ok(Rule { mode, tiers })
    } else {
        Err(errors)
    }
}

/// A field that is there and not `null`.
fn present<'a>(fields: &'a BTreeMap<String, RawValue>, name: &str) -> Option<&'a RawValue> {
    fields.get(name).filter(|value| !value.is_null())
}

fn parse_mode(value: Option<&RawValue>) -> Result<Mode, FieldError> {
    const EXPECTED: &str = "应为 flat（单层定价）、graduated（多层定价）或 volume（阶梯定价）";
    match value {
        None => Err(FieldError::new("mode", "REQUIRED", "请选择计价模式")),
        Some(RawValue::Text(text)) => Mode::parse(text.trim()).ok_or_else(|| {
            FieldError::new(
                "mode",
                "UNKNOWN_MODE",
                format!("未知的计价模式“{}”，{EXPECTED}", text.trim()),
            )
        }),
        Some(_) => Err(FieldError::new(
            "mode",
            "UNKNOWN_MODE",
            format!("未知的计价模式，{EXPECTED}"),
        )),
    }
}

fn tier_field(index: usize, name: &str) -> String {
    format!("tiers[{index}].{name}")
}

const PRICE: &str = "单价";
const UP_TO: &str = "阶梯上限";

/// A price: at most four decimals, in range, ≥ 0 (a free tier is fine).
fn check_price(value: Decimal, field: &str) -> Result<Decimal, FieldError> {
    let price = raw::decimal(value).map_err(|e| e.at(field, PRICE))?;
    if price.is_sign_negative() {
        return Err(ValueError::Negative.at(field, PRICE));
    }
    Ok(price)
}

/// A tier bound: at most four decimals, in range, > 0.
fn check_up_to(value: Decimal, field: &str) -> Result<Decimal, FieldError> {
    let up_to = raw::decimal(value).map_err(|e| e.at(field, UP_TO))?;
    if up_to <= Decimal::ZERO {
        return Err(ValueError::NotPositive.at(field, UP_TO));
    }
    Ok(up_to)
}

/// A price field as received.
fn price_field(value: Option<&RawValue>, field: &str) -> Result<Decimal, FieldError> {
    raw::decimal_field(value, field, PRICE).and_then(|price| check_price(price, field))
}

/// Per tier: `Some(up_to)` when that field is valid (`Some(None)` for
/// unbounded), `Some(price)` likewise.
type CheckedTier = (Option<Option<Decimal>>, Option<Decimal>);

fn parse_tiers(value: Option<&RawValue>, errors: &mut FieldErrors) -> Vec<CheckedTier> {
    let list = match value {
        None => {
            errors.push(FieldError::new("tiers", "REQUIRED", "至少需要一个阶梯"));
            return Vec::new();
        }
        Some(RawValue::List(list)) => list,
        Some(_) => {
            errors.push(FieldError::new("tiers", "INVALID_TIERS", "阶梯应为列表"));
            return Vec::new();
        }
    };
    let checked: Vec<CheckedTier> = list
        .iter()
        .enumerate()
        .map(|(i, tier)| {
            let RawValue::Object(fields) = tier else {
                errors.push(FieldError::new(
                    format!("tiers[{i}]"),
                    "INVALID_TIER",
                    "阶梯格式不正确，应为包含 up_to 和 unit_price 的对象",
                ));
                return (None, None);
            };
            let up_to = match present(fields, "up_to") {
                None => Some(None),
                Some(value) => {
                    let field = tier_field(i, "up_to");
                    let parsed = raw::decimal_field(Some(value), &field, UP_TO).and_then(|u| check_up_to(u, &field));
                    errors.check(parsed).map(Some)
                }
            };
            let price = errors.check(price_field(present(fields, "unit_price"), &tier_field(i, "unit_price")));
            (up_to, price)
        })
        .collect();
    check_tier_order(&checked, errors);
    checked
}

/// The tier list as a whole: not empty, not too long, bounded tiers strictly
/// increasing, exactly the last one unbounded.
fn check_tier_order(tiers: &[CheckedTier], errors: &mut FieldErrors) {
    if tiers.is_empty() {
        errors.push(FieldError::new("tiers", "REQUIRED", "至少需要一个阶梯"));
        return;
    }
    if tiers.len() > MAX_TIERS {
        errors.push(FieldError::new(
            "tiers",
            "TOO_MANY_TIERS",
            format!("阶梯不能超过 {MAX_TIERS} 个"),
        ));
    }
    let last = tiers.len() - 1;
    // The last valid bound before this tier: each bound must exceed it.
    let mut previous: Option<Decimal> = None;
    for (i, (up_to, _)) in tiers.iter().enumerate() {
        if let Some(Some(up_to)) = up_to {
            if let Some(before) = previous
                && *up_to <= before
            {
                errors.push(FieldError::new(
                    tier_field(i, "up_to"),
                    "UP_TO_NOT_INCREASING",
                    format!("阶梯上限必须大于上一阶梯的上限 {before}"),
                ));
            }
            previous = Some(*up_to);
        }
        // A bound that failed its own check is not also reported here.
        match up_to {
            Some(None) if i < last => errors.push(FieldError::new(
                tier_field(i, "up_to"),
                "UNBOUNDED_TIER_NOT_LAST",
                "只有最后一个阶梯可以不设上限",
            )),
            Some(Some(_)) if i == last => errors.push(FieldError::new(
                tier_field(i, "up_to"),
                "LAST_TIER_BOUNDED",
                "最后一个阶梯不能设上限（up_to 应为空），否则超出的用量无价可计",
            )),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn validate(json: &str) -> Result<Rule, FieldErrors> {
        serde_json::from_str::<RawRule>(json).unwrap().validate()
    }

    /// (field, code) of every error, in order.
    fn problems(json: &str) -> Vec<(String, &'static str)> {
        validate(json)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    fn message_of(json: &str, field: &str) -> String {
        validate(json)
            .unwrap_err()
            .into_iter()
            .find(|e| e.field == field)
            .unwrap_or_else(|| panic!("no error at {field}"))
            .message
    }

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    const TIERS: &str = r#"[{"up_to":"1000","unit_price":"0.5000"},{"up_to":"5000","unit_price":"0.4000"},{"up_to":null,"unit_price":"0.3000"}]"#;

    #[test]
    fn a_flat_rule_is_accepted_and_keeps_its_written_price() {
        let rule = validate(r#"{"mode":"flat","unit_price":"0.35"}"#).unwrap();
        assert_eq!(rule.mode(), Mode::Flat);
        assert_eq!(rule.flat_price().unwrap().to_string(), "0.35");
        assert_eq!(
            rule.tiers(),
            [Tier {
                up_to: None,
                unit_price: d("0.35")
            }]
        );
    }

    #[test]
    fn a_graduated_rule_is_accepted_with_its_tiers_in_order() {
        let rule = validate(&format!(r#"{{"mode":"graduated","tiers":{TIERS}}}"#)).unwrap();
        assert_eq!(rule.mode(), Mode::Graduated);
        let up_tos: Vec<_> = rule.tiers().iter().map(|t| t.up_to.map(|u| u.to_string())).collect();
        assert_eq!(up_tos, [Some("1000".into()), Some("5000".into()), None]);
        assert_eq!(rule.flat_price(), None);
    }

    #[test]
    fn a_rule_serializes_to_the_wire_shape_with_strings() {
        let flat = validate(r#"{"mode":"flat","unit_price":"0.35"}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&flat).unwrap(),
            r#"{"mode":"flat","unit_price":"0.35"}"#
        );
        let volume = validate(
            r#"{"mode":"volume","tiers":[{"up_to":"200","unit_price":"2.0000"},{"up_to":null,"unit_price":"1.5"}]}"#,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&volume).unwrap(),
            r#"{"mode":"volume","tiers":[{"up_to":"200","unit_price":"2.0000"},{"up_to":null,"unit_price":"1.5"}]}"#
        );
    }

    #[test]
    fn deserializing_a_rule_validates_it() {
        let rule: Rule = serde_json::from_str(r#"{"mode":"flat","unit_price":"0.35"}"#).unwrap();
        assert_eq!(rule.flat_price(), Some(d("0.35")));
        let error = serde_json::from_str::<Rule>(r#"{"mode":"flat","unit_price":"-1"}"#).unwrap_err();
        assert!(error.to_string().contains("unit_price: 单价不能为负数"), "{error}");
    }

    #[test]
    fn an_unknown_mode_is_rejected_and_named() {
        assert_eq!(
            problems(r#"{"mode":"tiered","unit_price":"1"}"#),
            [("mode".into(), "UNKNOWN_MODE")]
        );
        assert!(message_of(r#"{"mode":"tiered"}"#, "mode").starts_with("未知的计价模式“tiered”"));
    }

    #[test]
    fn a_mode_in_capitals_is_unknown() {
        assert_eq!(
            problems(r#"{"mode":"FLAT","unit_price":"1"}"#),
            [("mode".into(), "UNKNOWN_MODE")]
        );
    }

    #[test]
    fn a_missing_mode_is_required() {
        assert_eq!(problems(r#"{"unit_price":"1"}"#), [("mode".into(), "REQUIRED")]);
        assert_eq!(message_of(r#"{"mode":null}"#, "mode"), "请选择计价模式");
    }

    #[test]
    fn a_rule_without_a_mode_still_reports_its_bad_tiers() {
        assert_eq!(
            problems(r#"{"tiers":[{"up_to":"-1","unit_price":"0.5"}]}"#),
            [("mode".into(), "REQUIRED"), ("tiers[0].up_to".into(), "NOT_POSITIVE")]
        );
    }

    #[test]
    fn a_rule_that_is_not_an_object_is_rejected_at_its_own_path() {
        assert_eq!(problems(r#""flat""#), [(String::new(), "INVALID_RULE")]);
    }

    #[test]
    fn a_flat_rule_needs_a_price() {
        assert_eq!(problems(r#"{"mode":"flat"}"#), [("unit_price".into(), "REQUIRED")]);
        assert_eq!(message_of(r#"{"mode":"flat"}"#, "unit_price"), "请填写单价");
    }

    #[test]
    fn a_flat_rule_with_tiers_is_rejected_rather_than_silently_ignoring_them() {
        assert_eq!(
            problems(&format!(r#"{{"mode":"flat","unit_price":"1","tiers":{TIERS}}}"#)),
            [("tiers".into(), "NOT_ALLOWED")]
        );
        assert!(validate(r#"{"mode":"flat","unit_price":"1","tiers":[]}"#).is_ok());
        assert!(validate(r#"{"mode":"flat","unit_price":"1","tiers":null}"#).is_ok());
    }

    #[test]
    fn a_tiered_rule_with_a_top_level_price_is_rejected() {
        assert_eq!(
            problems(&format!(r#"{{"mode":"volume","unit_price":"1","tiers":{TIERS}}}"#)),
            [("unit_price".into(), "NOT_ALLOWED")]
        );
        assert_eq!(
            message_of(
                &format!(r#"{{"mode":"volume","unit_price":"1","tiers":{TIERS}}}"#),
                "unit_price"
            ),
            "阶梯定价的单价填写在各阶梯中"
        );
    }

    #[test]
    fn a_tiered_rule_needs_at_least_one_tier() {
        for tiers in ["", r#","tiers":null"#, r#","tiers":[]"#] {
            let json = format!(r#"{{"mode":"graduated"{tiers}}}"#);
            assert_eq!(problems(&json), [("tiers".into(), "REQUIRED")], "{json}");
            assert_eq!(message_of(&json, "tiers"), "至少需要一个阶梯");
        }
    }

    #[test]
    fn tiers_that_are_not_a_list_are_rejected() {
        assert_eq!(
            problems(r#"{"mode":"graduated","tiers":{"up_to":null}}"#),
            [("tiers".into(), "INVALID_TIERS")]
        );
    }

    #[test]
    fn a_tier_that_is_not_an_object_is_rejected_at_its_index() {
        assert_eq!(
            problems(r#"{"mode":"graduated","tiers":[{"up_to":"10","unit_price":"1"},"x"]}"#),
            [("tiers[1]".into(), "INVALID_TIER")]
        );
    }

    #[test]
    fn up_to_values_that_do_not_increase_are_rejected_at_the_later_tier() {
        let json = r#"{"mode":"graduated","tiers":[{"up_to":"1000","unit_price":"0.5"},{"up_to":"1000","unit_price":"0.4"},{"up_to":"999","unit_price":"0.35"},{"up_to":null,"unit_price":"0.3"}]}"#;
        assert_eq!(
            problems(json),
            [
                ("tiers[1].up_to".into(), "UP_TO_NOT_INCREASING"),
                ("tiers[2].up_to".into(), "UP_TO_NOT_INCREASING"),
            ]
        );
        assert_eq!(
            message_of(json, "tiers[1].up_to"),
            "阶梯上限必须大于上一阶梯的上限 1000"
        );
    }

    #[test]
    fn equal_up_to_values_written_differently_are_still_equal() {
        let json = r#"{"mode":"graduated","tiers":[{"up_to":"1000","unit_price":"0.5"},{"up_to":"1000.00","unit_price":"0.4"},{"up_to":null,"unit_price":"0.3"}]}"#;
        assert_eq!(problems(json), [("tiers[1].up_to".into(), "UP_TO_NOT_INCREASING")]);
    }

    #[test]
    fn a_bounded_last_tier_is_rejected() {
        let json =
            r#"{"mode":"volume","tiers":[{"up_to":"1000","unit_price":"0.5"},{"up_to":"5000","unit_price":"0.4"}]}"#;
        assert_eq!(problems(json), [("tiers[1].up_to".into(), "LAST_TIER_BOUNDED")]);
    }

    #[test]
    fn an_unbounded_tier_before_the_last_is_rejected() {
        let json = r#"{"mode":"volume","tiers":[{"up_to":null,"unit_price":"0.5"},{"unit_price":"0.4"}]}"#;
        assert_eq!(problems(json), [("tiers[0].up_to".into(), "UNBOUNDED_TIER_NOT_LAST")]);
        assert_eq!(message_of(json, "tiers[0].up_to"), "只有最后一个阶梯可以不设上限");
    }

    #[test]
    fn a_zero_or_negative_up_to_is_rejected() {
        let json = r#"{"mode":"graduated","tiers":[{"up_to":"0","unit_price":"0.5"},{"up_to":"-5","unit_price":"0.4"},{"up_to":null,"unit_price":"0.3"}]}"#;
        assert_eq!(
            problems(json),
            [
                ("tiers[0].up_to".into(), "NOT_POSITIVE"),
                ("tiers[1].up_to".into(), "NOT_POSITIVE")
            ]
        );
        assert_eq!(message_of(json, "tiers[0].up_to"), "阶梯上限必须大于 0");
    }

    #[test]
    fn a_negative_price_is_rejected() {
        assert_eq!(
            problems(r#"{"mode":"flat","unit_price":"-0.01"}"#),
            [("unit_price".into(), "NEGATIVE")]
        );
        assert_eq!(
            message_of(r#"{"mode":"flat","unit_price":"-0.01"}"#, "unit_price"),
            "单价不能为负数"
        );
    }

    #[test]
    fn a_zero_price_is_allowed_for_free_tiers() {
        assert!(
            validate(
                r#"{"mode":"graduated","tiers":[{"up_to":"100","unit_price":"0"},{"up_to":null,"unit_price":"0.3"}]}"#
            )
            .is_ok()
        );
    }

    #[test]
    fn a_tier_price_with_five_decimals_is_rejected() {
        let json = r#"{"mode":"graduated","tiers":[{"up_to":"1000","unit_price":"0.12345"},{"up_to":null,"unit_price":"0.3"}]}"#;
        assert_eq!(problems(json), [("tiers[0].unit_price".into(), "TOO_MANY_DECIMALS")]);
        assert_eq!(message_of(json, "tiers[0].unit_price"), "单价最多保留 4 位小数");
    }

    #[test]
    fn an_up_to_with_five_decimals_is_rejected() {
        let json = r#"{"mode":"graduated","tiers":[{"up_to":"1000.00001","unit_price":"0.5"},{"up_to":null,"unit_price":"0.3"}]}"#;
        assert_eq!(problems(json), [("tiers[0].up_to".into(), "TOO_MANY_DECIMALS")]);
        assert_eq!(message_of(json, "tiers[0].up_to"), "阶梯上限最多保留 4 位小数");
    }

    #[test]
    fn a_price_that_is_not_a_number_is_rejected() {
        assert_eq!(
            problems(r#"{"mode":"flat","unit_price":"abc"}"#),
            [("unit_price".into(), "NOT_A_NUMBER")]
        );
        assert_eq!(
            message_of(r#"{"mode":"flat","unit_price":"1e3"}"#, "unit_price"),
            "单价不是有效的数字"
        );
    }

    #[test]
    fn a_price_sent_as_a_json_number_is_rejected() {
        assert_eq!(
            problems(r#"{"mode":"flat","unit_price":0.35}"#),
            [("unit_price".into(), "NUMBER_NOT_STRING")]
        );
        let json = r#"{"mode":"volume","tiers":[{"up_to":1000,"unit_price":"0.5"},{"up_to":null,"unit_price":0.3}]}"#;
        assert_eq!(
            problems(json),
            [
                ("tiers[0].up_to".into(), "NUMBER_NOT_STRING"),
                ("tiers[1].unit_price".into(), "NUMBER_NOT_STRING"),
            ]
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let json = r#"{"mode":"graduated","tiers":[{"up_to":"1000","unit_price":"-1"},{"up_to":"500","unit_price":"0.12345"},{"up_to":"x","unit_price":0.3},{"up_to":"9000","unit_price":"0.2"}]}"#;
        assert_eq!(
            problems(json),
            [
                ("tiers[0].unit_price".into(), "NEGATIVE"),
                ("tiers[1].unit_price".into(), "TOO_MANY_DECIMALS"),
                ("tiers[2].up_to".into(), "NOT_A_NUMBER"),
                ("tiers[2].unit_price".into(), "NUMBER_NOT_STRING"),
                ("tiers[1].up_to".into(), "UP_TO_NOT_INCREASING"),
                ("tiers[3].up_to".into(), "LAST_TIER_BOUNDED"),
            ]
        );
    }

    #[test]
    fn more_than_the_maximum_number_of_tiers_is_rejected() {
        let mut tiers: Vec<String> = (1..=MAX_TIERS)
            .map(|i| format!(r#"{{"up_to":"{i}","unit_price":"1"}}"#))
            .collect();
        tiers.push(r#"{"up_to":null,"unit_price":"1"}"#.into());
        let json = format!(r#"{{"mode":"volume","tiers":[{}]}}"#, tiers.join(","));
        assert_eq!(problems(&json), [("tiers".into(), "TOO_MANY_TIERS")]);
    }

    #[test]
    fn errors_nest_under_a_plan_path() {
        let json = r#"{"mode":"graduated","tiers":[{"up_to":"1000","unit_price":"0.5"},{"up_to":"900","unit_price":"0.4"},{"up_to":null,"unit_price":"0.3"}]}"#;
        let errors = validate(json).unwrap_err().prefixed("rules.X");
        assert_eq!(errors.iter().next().unwrap().field, "rules.X.tiers[1].up_to");
    }

    #[test]
    fn the_typed_constructors_apply_the_same_checks() {
        assert!(Rule::flat(d("0.35")).is_ok());
        let error = Rule::flat(d("-1")).unwrap_err();
        assert_eq!(error.iter().next().unwrap().field, "unit_price");
        let tiers = vec![
            Tier {
                up_to: Some(d("1000")),
                unit_price: d("0.5"),
            },
            Tier {
                up_to: Some(d("900")),
                unit_price: d("0.123456"),
            },
        ];
        let fields: Vec<_> = Rule::tiered(Mode::Volume, tiers)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect();
        assert_eq!(
            fields,
            [
                ("tiers[1].unit_price".into(), "TOO_MANY_DECIMALS"),
                ("tiers[1].up_to".into(), "UP_TO_NOT_INCREASING"),
                ("tiers[1].up_to".into(), "LAST_TIER_BOUNDED"),
            ]
        );
        let rule = Rule::tiered(
            Mode::Graduated,
            vec![
                Tier {
                    up_to: Some(d("10")),
                    unit_price: d("1"),
                },
                Tier {
                    up_to: None,
                    unit_price: d("0.5"),
                },
            ],
        )
        .unwrap();
        assert_eq!(rule.tiers().len(), 2);
    }
}
