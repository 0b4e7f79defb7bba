//! The golden vectors of DESIGN.md §5: every rule case and every bill case
//! of `fixtures/pricing_cases.json` (a copy of the shared fixture, so the
//! tests never read outside the repository) must come out of the engine
//! exactly: the same JSON, string for string. Serializing the quote and
//! comparing JSON values checks the answer shape of `POST /pricing/quote`
//! as well as every amount's digits and scale.

use opcms_domain::pricing::{RawPlanPricing, RawRule, RawValue, Usage, price, validate_series_usage};
use serde_json::Value;

const FIXTURE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/pricing_cases.json"
));

fn fixture() -> Value {
    serde_json::from_str(FIXTURE).expect("pricing_cases.json is JSON")
}

fn cases<'a>(fixture: &'a Value, key: &str) -> &'a [Value] {
    fixture[key].as_array().unwrap_or_else(|| panic!("{key} is a list"))
}

fn name(case: &Value) -> &str {
    case["name"].as_str().expect("every case has a name")
}

/// Runs every case, then fails once naming each case that did not match,
/// with what was expected and what came out.
fn check_all(cases: &[Value], run: impl Fn(&Value) -> Result<Value, String>) {
    let mut failures = Vec::new();
    for case in cases {
        match run(case) {
            Ok(actual) if actual == case["expected"] => {}
            Ok(actual) => failures.push(format!(
                "{}:\n  expected {}\n  actual   {}",
                name(case),
                case["expected"],
                actual
            )),
            Err(error) => failures.push(format!("{}: {error}", name(case))),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn raw(value: &Value) -> RawValue {
    serde_json::from_value(value.clone()).expect("any JSON is a RawValue")
}

#[test]
fn the_fixture_holds_the_cases_it_had_when_copied() {
    let fixture = fixture();
    assert_eq!(cases(&fixture, "rule_cases").len(), 74);
    assert_eq!(cases(&fixture, "bill_cases").len(), 24);
}

#[test]
fn every_rule_case_is_reproduced_exactly() {
    let fixture = fixture();
    check_all(cases(&fixture, "rule_cases"), |case| {
        let rule = RawRule(raw(&case["rule"]))
            .validate()
            .map_err(|e| format!("rule rejected: {e}"))?;
        let usage =
            Usage::validate(Some(&raw(&case["usage"]))).map_err(|e| format!("usage rejected: {}", e.message))?;
        let quote = price(&rule, usage).map_err(|e| e.to_string())?;
        Ok(serde_json::to_value(&quote).expect("a quote serializes"))
    });
}

#[test]
fn every_bill_case_is_reproduced_exactly() {
    let fixture = fixture();
    check_all(cases(&fixture, "bill_cases"), |case| {
        let plan: RawPlanPricing = serde_json::from_value(case["plan"].clone()).map_err(|e| e.to_string())?;
        let plan = plan.validate().map_err(|e| format!("plan rejected: {e}"))?;
        let usage = validate_series_usage(Some(&raw(&case["usage"]))).map_err(|e| format!("usage rejected: {e}"))?;
        let bill = plan.quote(&usage).map_err(|e| e.to_string())?;
        Ok(serde_json::to_value(&bill).expect("a bill serializes"))
    });
}

#[test]
fn every_rule_of_the_fixture_survives_storage_unchanged() {
    // A plan is stored as the rule's JSON and read back for billing: the
    // written scales ("0.5000") must survive, or old bills would re-quote
    // with different digits.
    let fixture = fixture();
    for case in cases(&fixture, "rule_cases") {
        let rule = RawRule(raw(&case["rule"])).validate().unwrap();
        assert_eq!(serde_json::to_value(&rule).unwrap(), case["rule"], "{}", name(case));
    }
}
