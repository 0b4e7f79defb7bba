//! Prices are encrypted at rest: a version's rules and minimum charge, a
//! customer's overrides, each bound to its row so that a ciphertext moved to
//! another row does not open. Rules are sealed exactly as written ("0.5000",
//! never Fixed4 units): a re-quote of an old month gives the same digits.

use anyhow::Context;
use opcms_domain::pricing::{MinimumCharge, PlanPricing, Rule, SeriesMap};

use super::entity::{customer_pricing, version};
use crate::crypto::{Binding, Keyring};
use crate::error::AppResult;

/// What a version's sealed rules are bound to: the plan and version number.
pub fn rules_binding(plan_id: i64, version: i32) -> Binding {
    Binding::new("price_plan_versions", "rules_enc", format!("{plan_id}/{version}"))
}

pub fn minimum_binding(plan_id: i64, version: i32) -> Binding {
    Binding::new(
        "price_plan_versions",
        "minimum_charge_enc",
        format!("{plan_id}/{version}"),
    )
}

/// The rule JSON with every price exactly as written ("0.5000"), encrypted.
/// Never Fixed4 units: a re-quote of an old month must give the same
/// digits, and the breakdown's scales come from the written prices.
pub fn seal_rules(keyring: &Keyring, binding: &Binding, rules: &SeriesMap<Rule>) -> AppResult<String> {
    let json = serde_json::to_string(rules).context("serialize rules")?;
    Ok(keyring.encrypt(binding, &json)?)
}

/// Decrypts and re-validates stored rules. `what` names the row in the
/// error (never the ciphertext or the prices).
pub fn open_rules(keyring: &Keyring, binding: &Binding, stored: &str, what: &str) -> AppResult<SeriesMap<Rule>> {
    let json = keyring
        .decrypt(binding, stored)
        .with_context(|| format!("cannot decrypt the rules of {what}"))?;
    Ok(serde_json::from_str(&json).with_context(|| format!("stored rules of {what} are not valid rules"))?)
}

/// Both sealed columns of version `version` of plan `plan_id`.
pub fn seal_version(
    keyring: &Keyring,
    plan_id: i64,
    version: i32,
    pricing: &PlanPricing,
) -> AppResult<(String, Option<String>)> {
    let rules = seal_rules(keyring, &rules_binding(plan_id, version), &pricing.rules)?;
    let minimum = pricing
        .minimum_charge
        .map(|m| keyring.encrypt(&minimum_binding(plan_id, version), &m.to_string()))
        .transpose()?;
    Ok((rules, minimum))
}

fn open_minimum(
    keyring: &Keyring,
    binding: &Binding,
    stored: Option<&str>,
    what: &str,
) -> AppResult<Option<MinimumCharge>> {
    let Some(stored) = stored else { return Ok(None) };
    let text = keyring
        .decrypt(binding, stored)
        .with_context(|| format!("cannot decrypt the minimum charge of {what}"))?;
    let minimum = text
        .parse()
        .map_err(|e| anyhow::anyhow!("stored minimum charge of {what} is invalid: {e}"))?;
    Ok(Some(minimum))
}

/// The minimum charge and rules a stored version fixes.
pub fn pricing_of(keyring: &Keyring, row: &version::Model) -> AppResult<PlanPricing> {
    let what = format!("plan {} version {}", row.plan_id, row.version);
    Ok(PlanPricing {
        minimum_charge: open_minimum(
            keyring,
            &minimum_binding(row.plan_id, row.version),
            row.minimum_charge_enc.as_deref(),
            &what,
        )?,
        rules: open_rules(keyring, &rules_binding(row.plan_id, row.version), &row.rules_enc, &what)?,
    })
}

/// What a customer's sealed overrides are bound to.
pub fn overrides_binding(customer_id: i64) -> Binding {
    Binding::new("customer_pricing", "overrides_enc", customer_id)
}

pub fn open_overrides(keyring: &Keyring, row: &customer_pricing::Model) -> AppResult<SeriesMap<Rule>> {
    open_stored_overrides(keyring, row.customer_id, row.overrides_enc.as_deref())
}

pub fn open_stored_overrides(keyring: &Keyring, customer_id: i64, stored: Option<&str>) -> AppResult<SeriesMap<Rule>> {
    match stored {
        None => Ok(SeriesMap::new()),
        Some(stored) => open_rules(
            keyring,
            &overrides_binding(customer_id),
            stored,
            &format!("customer {customer_id} overrides"),
        ),
    }
}
