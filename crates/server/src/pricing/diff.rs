//! Field-level differences between two plan versions, for the history view
//! and the audit log: `rules.X.tiers[1].unit_price: "0.40" → "0.38"`.
//!
//! Prices compare as written: "0.40" → "0.4" is listed, because the written
//! scale is part of the rule (it sets the digits of every quote).

use opcms_domain::Period;
use opcms_domain::pricing::PlanPricing;
use serde_json::{Value, json};

use super::model::FieldChange;

/// What a version fixes, as one JSON object.
pub fn snapshot(effective_from: Period, pricing: &PlanPricing) -> Value {
    json!({
        "effective_from": effective_from,
        "minimum_charge": pricing.minimum_charge,
        "rules": pricing.rules,
    })
}

/// The changes from one version to another.
pub fn changes(from: (Period, &PlanPricing), to: (Period, &PlanPricing)) -> Vec<FieldChange> {
    between(&snapshot(from.0, from.1), &snapshot(to.0, to.1))
}

/// Every leaf that differs, by path. Where one side lacks a part the other
/// has (a rule for a series, a tier, `tiers` after a mode change), the part
/// is one change with `null` on the missing side.
pub fn between(before: &Value, after: &Value) -> Vec<FieldChange> {
    let mut out = Vec::new();
    walk(String::new(), before, after, &mut out);
    out
}

/// Keys in the order people read a plan: the month, the minimum, then
/// X, N, L, and within a rule the mode before its prices.
const ORDER: [&str; 10] = [
    "effective_from",
    "minimum_charge",
    "rules",
    "X",
    "N",
    "L",
    "mode",
    "up_to",
    "unit_price",
    "tiers",
];

fn rank(key: &str) -> usize {
    ORDER.iter().position(|k| *k == key).unwrap_or(ORDER.len())
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn walk(path: String, before: &Value, after: &Value, out: &mut Vec<FieldChange>) {
    if before == after {
        return;
    }
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))).collect();
            keys.sort_by(|x, y| rank(x).cmp(&rank(y)).then(x.cmp(y)));
            for key in keys {
                let (old, new) = (a.get(key).unwrap_or(&Value::Null), b.get(key).unwrap_or(&Value::Null));
                walk(join(&path, key), old, new, out);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                let (old, new) = (a.get(i).unwrap_or(&Value::Null), b.get(i).unwrap_or(&Value::Null));
                walk(format!("{path}[{i}]"), old, new, out);
            }
        }
        _ => out.push(FieldChange {
            field: path,
            before: before.clone(),
            after: after.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opcms_domain::pricing::RawPlanPricing;

    fn plan(json: &str) -> PlanPricing {
        serde_json::from_str::<RawPlanPricing>(json)
            .unwrap()
            .validate()
            .unwrap()
    }

    fn p(text: &str) -> Period {
        Period::parse(text).unwrap()
    }

    const TIERED: &str = r#"{"mode": "graduated", "tiers": [{"up_to": "1000", "unit_price": "0.50"}, {"up_to": null, "unit_price": "0.40"}]}"#;
    const FLAT: &str = r#"{"mode": "flat", "unit_price": "1.5"}"#;

    fn rules(x: &str, n: &str, l: &str) -> String {
        format!(r#"{{"X": {x}, "N": {n}, "L": {l}}}"#)
    }

    fn fields(changes: &[FieldChange]) -> Vec<(&str, String, String)> {
        changes
            .iter()
            .map(|c| (c.field.as_str(), c.before.to_string(), c.after.to_string()))
            .collect()
    }

    #[test]
    fn a_changed_tier_price_is_named_by_its_path() {
        let before = plan(&format!(r#"{{"rules": {}}}"#, rules(TIERED, FLAT, FLAT)));
        let after = plan(&format!(
            r#"{{"rules": {}}}"#,
            rules(&TIERED.replace("0.40", "0.38"), FLAT, FLAT)
        ));
        let changes = changes((p("2026-01"), &before), (p("2026-01"), &after));
        assert_eq!(
            fields(&changes),
            [("rules.X.tiers[1].unit_price", "\"0.40\"".into(), "\"0.38\"".into())]
        );
    }

    #[test]
    fn month_minimum_and_mode_changes_come_in_reading_order() {
        let before = plan(&format!(r#"{{"rules": {}}}"#, rules(FLAT, FLAT, TIERED)));
        let after = plan(&format!(
            r#"{{"minimum_charge": "500", "rules": {}}}"#,
            rules(FLAT, TIERED, FLAT)
        ));
        let changes = changes((p("2026-01"), &before), (p("2026-03"), &after));
        let names: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            names,
            [
                "effective_from",
                "minimum_charge",
                "rules.N.mode",
                "rules.N.unit_price",
                "rules.N.tiers",
                "rules.L.mode",
                "rules.L.unit_price",
                "rules.L.tiers"
            ]
        );
        assert_eq!(changes[1].before, Value::Null);
        assert_eq!(changes[1].after, json!("500.00"));
        assert_eq!(changes[2].after, json!("graduated"));
    }

    #[test]
    fn an_added_tier_is_one_change_and_equal_versions_have_none() {
        let three = TIERED.replace(
            r#"{"up_to": null"#,
            r#"{"up_to": "5000", "unit_price": "0.45"}, {"up_to": null"#,
        );
        let before = plan(&format!(r#"{{"rules": {}}}"#, rules(TIERED, FLAT, FLAT)));
        let after = plan(&format!(r#"{{"rules": {}}}"#, rules(&three, FLAT, FLAT)));
        let names: Vec<String> = changes((p("2026-01"), &before), (p("2026-01"), &after))
            .into_iter()
            .map(|c| c.field)
            .collect();
        assert_eq!(
            names,
            [
                "rules.X.tiers[1].up_to",
                "rules.X.tiers[1].unit_price",
                "rules.X.tiers[2]"
            ]
        );
        assert!(changes((p("2026-01"), &before), (p("2026-01"), &before)).is_empty());
    }
}
