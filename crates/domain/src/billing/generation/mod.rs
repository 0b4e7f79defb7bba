//! What a generation run decides (DESIGN.md §7), customer by customer, from
//! what it read: who is billed and who is skipped, what a draft says (its
//! lines, amounts and warnings), and what changes on a re-run: a draft is
//! recomputed only when what it is computed from changed (its fingerprint),
//! an issued bill is never changed but flagged when its usage changed since
//! (late usage), a draft nobody is billed for any more is voided.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{
    BillStatus, PricedLines, SkipReason, StoredLineKind, TRAILING_MONTHS, Trailing, WarningInputs, billability,
    priced_lines, verify,
};
use crate::Period;
use crate::customer::{AccountStatus, Series};
use crate::pricing::{PlanPricing, Rule, SeriesMap, Usage, price_plan};

/// Bumped whenever what a draft says for the same inputs changes (pricing,
/// warnings, the stored line shape), so every draft is recomputed once.
pub const DRAFT_RULES_VERSION: &str = "bills-3";

/// What billing needs of a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerFacts {
    pub id: i64,
    pub status: AccountStatus,
    /// The series the customer has devices of (X, N, L order).
    pub series: Vec<Series>,
    pub payment_terms_days: i32,
}

/// The live auto bill a customer already has for the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoBill {
    pub id: i64,
    pub status: BillStatus,
    pub fingerprint: String,
    /// The usage it was priced from ([`usage_key`]).
    pub usage_key: Option<String>,
    /// Its late-usage flag (JSON), when usage changed after it was issued.
    pub late_usage: Option<String>,
    pub version: i32,
}

/// The pricing a customer is billed with: a plan version, with the
/// customer's own rules laid over it.
#[derive(Debug, Clone, Copy)]
pub struct PlanInForce<'a> {
    pub plan_id: i64,
    pub version: i32,
    /// The version's row id: versions never change in place, so the id
    /// stands for its rules.
    pub version_id: i64,
    pub overrides: &'a SeriesMap<Rule>,
    /// The version's minimum charge and rules with the overrides laid over.
    pub pricing: &'a PlanPricing,
}

/// Everything one customer's decision is made from.
#[derive(Debug, Clone, Copy)]
pub struct CustomerInputs<'a> {
    pub customer: &'a CustomerFacts,
    /// The period's usage.
    pub usage: &'a SeriesMap<Usage>,
    /// The usage of the months before, for the warnings.
    pub trailing: Option<&'a SeriesMap<Trailing>>,
    pub pricing: Option<PlanInForce<'a>>,
    /// Pending quarantined records of the period.
    pub pending_quarantine: u64,
    pub existing: Option<&'a AutoBill>,
    /// The run names this customer (a skipped one is then reported even
    /// without usage).
    pub named: bool,
}

/// What holds for every customer of a run.
#[derive(Debug, Clone, Copy)]
pub struct RunRules {
    /// Config `bill_trial_customers`.
    pub bill_trial_customers: bool,
    /// When the run looked: the time a late-usage flag is stamped with.
    pub detected_at: DateTime<Utc>,
}

/// A draft as computed, ready to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub customer_id: i64,
    /// Plan id and version number.
    pub plan: Option<(i64, i32)>,
    /// The stored lines, as JSON.
    pub lines: String,
    /// In units of 0.0001.
    pub subtotal: i64,
    /// The warnings, as JSON.
    pub warnings: String,
    pub warning_count: i32,
    pub fingerprint: String,
    pub usage_key: String,
}

/// What one customer's generation decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Create(Box<Draft>),
    /// Recompute the draft `id` at `version`.
    Update {
        id: i64,
        version: i32,
        draft: Box<Draft>,
    },
    Unchanged,
    /// An issued (or paid, or void) bill stays; `late` flags it when its
    /// usage changed since.
    KeepIssued {
        late: Option<LateUsage>,
    },
    Void {
        id: i64,
        version: i32,
    },
    Skip(SkipReason),
    /// Not billed and not worth reporting (no usage, not named).
    Nothing,
}

/// A late-usage flag to set on an issued bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateUsage {
    pub bill_id: i64,
    /// The flag, as JSON.
    pub flag: String,
}

pub fn decide(input: &CustomerInputs<'_>, rules: &RunRules) -> Decision {
    let key = usage_key(input.usage);
    if let Some(existing) = input.existing
        && existing.status != BillStatus::Draft
    {
        let changed = existing.usage_key.as_deref().is_some_and(|billed| billed != key);
        let late = changed
            .then(|| late_usage_flag(existing, &key, rules.detected_at))
            .flatten();
        return Decision::KeepIssued {
            late: late.map(|flag| LateUsage {
                bill_id: existing.id,
                flag,
            }),
        };
    }
    let has_minimum = input
        .pricing
        .and_then(|p| p.pricing.minimum_charge)
        .is_some_and(|m| !m.value().is_zero());
    let has_usage = !input.usage.is_empty();
    if let Err(reason) = billability(
        input.customer.status,
        rules.bill_trial_customers,
        has_usage,
        has_minimum,
    ) {
        return match input.existing {
            Some(draft) => Decision::Void {
                id: draft.id,
                version: draft.version,
            },
            None if reason != SkipReason::NoUsage && has_usage => Decision::Skip(reason),
            None if input.named => Decision::Skip(reason),
            None => Decision::Nothing,
        };
    }
    let fingerprint = fingerprint(input, &key);
    if input.existing.is_some_and(|draft| draft.fingerprint == fingerprint) {
        return Decision::Unchanged;
    }
    let draft = Box::new(draft(input, key, fingerprint));
    match input.existing {
        None => Decision::Create(draft),
        Some(existing) => Decision::Update {
            id: existing.id,
            version: existing.version,
            draft,
        },
    }
}

/// `X=100;N=5`: the usage a bill is priced from, in bill order.
pub fn usage_key(usage: &SeriesMap<Usage>) -> String {
    let mut key = String::new();
    for (series, quantity) in usage.iter() {
        if !key.is_empty() {
            key.push(';');
        }
        let _ = write!(key, "{}={}", series.code(), quantity);
    }
    key
}

/// The months before `period` whose usage the warnings compare with, most
/// recent first (fewer at the start of the calendar).
pub fn trailing_months(period: Period) -> Vec<Period> {
    let mut months = Vec::with_capacity(TRAILING_MONTHS as usize);
    let mut current = period;
    for _ in 0..TRAILING_MONTHS {
        match current.previous() {
            Some(previous) => {
                months.push(previous);
                current = previous;
            }
            None => break,
        }
    }
    months
}

/// SHA-256 of everything a draft is computed from: the plan version in
/// force (versions never change in place), the customer's overrides, its
/// series and payment terms, the period's usage, the trailing months' usage
/// and the pending quarantine count. A draft whose inputs hash the same is
/// left unread and unwritten: [`draft`] is a pure function of these.
pub fn fingerprint(input: &CustomerInputs<'_>, usage_key: &str) -> String {
    let mut text = String::with_capacity(160);
    let _ = write!(text, "{DRAFT_RULES_VERSION}|{}|", input.customer.payment_terms_days);
    for series in &input.customer.series {
        text.push_str(series.code());
    }
    match input.pricing {
        Some(p) => {
            let _ = write!(text, "|plan {} v{} #{}|", p.plan_id, p.version, p.version_id);
            if !p.overrides.is_empty() {
                text.push_str(&serde_json::to_string(p.overrides).unwrap_or_default());
            }
        }
        None => text.push_str("|no plan|"),
    }
    text.push_str(usage_key);
    if let Some(trailing) = input.trailing {
        for (series, t) in trailing.iter() {
            let _ = write!(text, "|{}:{}/{}", series.code(), t.sum, t.months);
        }
    }
    let _ = write!(text, "|q{}", input.pending_quarantine);
    hex(&Sha256::digest(text.as_bytes()))
}

/// The late-usage flag of an issued bill, unless it already says this.
pub fn late_usage_flag(existing: &AutoBill, current: &str, detected_at: DateTime<Utc>) -> Option<String> {
    let previous: Option<serde_json::Value> = existing
        .late_usage
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok());
    if previous.as_ref().and_then(|p| p["current_key"].as_str()) == Some(current) {
        return None;
    }
    let parse = |key: &str| -> HashMap<String, String> {
        key.split(';')
            .filter_map(|pair| pair.split_once('='))
            .map(|(s, q)| (s.to_string(), q.to_string()))
            .collect()
    };
    let billed = parse(existing.usage_key.as_deref().unwrap_or_default());
    let now = parse(current);
    let series: Vec<_> = ["X", "N", "L"]
        .into_iter()
        .filter(|s| billed.get(*s) != now.get(*s))
        .map(|s| {
            json!({
                "series": s,
                "billed": billed.get(s).cloned().unwrap_or_else(|| "0".into()),
                "current": now.get(s).cloned().unwrap_or_else(|| "0".into()),
            })
        })
        .collect();
    Some(
        json!({
            "detected_at": detected_at,
            "current_key": current,
            "series": series,
        })
        .to_string(),
    )
}

/// The draft a billable customer gets: priced lines, subtotal, warnings.
pub fn draft(input: &CustomerInputs<'_>, usage_key: String, fingerprint: String) -> Draft {
    // Never a saturated or rounded total: an amount beyond what a bill may
    // hold leaves the draft without lines and with AMOUNT_TOO_LARGE.
    let PricedLines {
        lines,
        subtotal,
        pricing_error,
        amount_too_large,
    } = match input.pricing {
        Some(p) => priced_lines(price_plan(&p.pricing.rules, p.pricing.minimum_charge, input.usage)),
        None => PricedLines::default(),
    };
    let line_amounts = lines
        .iter()
        .filter(|l| l.kind == StoredLineKind::Usage)
        .filter_map(|l| l.series.map(|s| (s, l.amount)))
        .collect();
    let warnings = verify(&WarningInputs {
        line_amounts,
        has_plan: input.pricing.is_some(),
        pricing_error,
        amount_too_large,
        customer_series: input.customer.series.clone(),
        usage: input.usage.clone(),
        trailing: input.trailing.cloned().unwrap_or_default(),
        total: subtotal.to_decimal(),
        pending_quarantine: input.pending_quarantine,
    });
    Draft {
        customer_id: input.customer.id,
        plan: input.pricing.map(|p| (p.plan_id, p.version)),
        subtotal: subtotal.units(),
        warning_count: warnings.len() as i32,
        lines: serde_json::to_string(&lines).unwrap_or_else(|_| "[]".into()),
        warnings: serde_json::to_string(&warnings).unwrap_or_else(|_| "[]".into()),
        fingerprint,
        usage_key,
    }
}

/// A draft to recompute in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftUpdate {
    pub id: i64,
    pub version: i32,
    pub draft: Box<Draft>,
}

/// What a run writes, and what it counts besides.
#[derive(Debug, Default)]
pub struct RunChanges {
    pub creates: Vec<Draft>,
    pub updates: Vec<DraftUpdate>,
    /// Drafts to void: (bill id, version).
    pub voids: Vec<(i64, i32)>,
    pub late: Vec<LateUsage>,
    /// The first skipped customers and why (at most `max_skipped_kept`).
    pub skipped: Vec<(i64, SkipReason)>,
    /// Every skipped customer.
    pub skipped_count: u32,
    /// Drafts left as they were: nothing they are computed from changed.
    pub unchanged: u32,
    /// Issued bills left as they are (flagged or not).
    pub kept_issued: u32,
    /// New and recomputed drafts carrying at least one warning.
    pub with_warnings: u32,
}

/// Gathers the decisions of a run (one per customer, in order) into what it
/// writes. Drafts of customers that are gone since (deleted: no decision of
/// theirs) are voided too, when the run covers them (`named`: only these).
pub fn changes(
    customers: &[CustomerFacts],
    decisions: Vec<Decision>,
    existing: &HashMap<i64, AutoBill>,
    named: Option<&HashSet<i64>>,
    max_skipped_kept: usize,
) -> RunChanges {
    let mut run = RunChanges::default();
    let mut seen = HashSet::with_capacity(customers.len());
    for (customer, decision) in customers.iter().zip(decisions) {
        seen.insert(customer.id);
        match decision {
            Decision::Create(draft) => {
                run.with_warnings += u32::from(draft.warning_count > 0);
                run.creates.push(*draft);
            }
            Decision::Update { id, version, draft } => {
                run.with_warnings += u32::from(draft.warning_count > 0);
                run.updates.push(DraftUpdate { id, version, draft });
            }
            Decision::Unchanged => run.unchanged += 1,
            Decision::KeepIssued { late } => {
                run.kept_issued += 1;
                run.late.extend(late);
            }
            Decision::Void { id, version } => run.voids.push((id, version)),
            Decision::Skip(reason) => {
                run.skipped_count += 1;
                if run.skipped.len() < max_skipped_kept {
                    run.skipped.push((customer.id, reason));
                }
            }
            Decision::Nothing => {}
        }
    }
    for (customer_id, bill) in existing {
        let in_run = named.is_none_or(|ids| ids.contains(customer_id));
        if in_run && !seen.contains(customer_id) && bill.status == BillStatus::Draft {
            run.voids.push((bill.id, bill.version));
        }
    }
    run
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        text.push(char::from(DIGITS[usize::from(b >> 4)]));
        text.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    text
}

#[cfg(test)]
mod tests;
