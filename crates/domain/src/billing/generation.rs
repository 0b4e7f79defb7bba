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
mod tests {
    use super::*;
    use crate::billing::WarningCode;

    fn customer(status: AccountStatus) -> CustomerFacts {
        CustomerFacts {
            id: 7,
            status,
            series: vec![Series::X],
            payment_terms_days: 30,
        }
    }

    fn usage(pairs: &[(Series, &str)]) -> SeriesMap<Usage> {
        pairs.iter().map(|(s, q)| (*s, q.parse::<Usage>().unwrap())).collect()
    }

    fn plan(json: &str) -> PlanPricing {
        serde_json::from_str(json).unwrap()
    }

    const FLAT: &str = r#"{"minimum_charge":null,"rules":{"X":{"mode":"flat","unit_price":"0.5"},"N":{"mode":"flat","unit_price":"1"},"L":{"mode":"flat","unit_price":"2"}}}"#;

    fn rules() -> RunRules {
        RunRules {
            bill_trial_customers: false,
            detected_at: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
        }
    }

    fn inputs<'a>(
        customer: &'a CustomerFacts,
        usage: &'a SeriesMap<Usage>,
        pricing: Option<PlanInForce<'a>>,
        existing: Option<&'a AutoBill>,
    ) -> CustomerInputs<'a> {
        CustomerInputs {
            customer,
            usage,
            trailing: None,
            pricing,
            pending_quarantine: 0,
            existing,
            named: false,
        }
    }

    fn in_force<'a>(overrides: &'a SeriesMap<Rule>, pricing: &'a PlanPricing) -> PlanInForce<'a> {
        PlanInForce {
            plan_id: 3,
            version: 2,
            version_id: 11,
            overrides,
            pricing,
        }
    }

    fn bill(status: BillStatus, fingerprint: &str, usage_key: &str) -> AutoBill {
        AutoBill {
            id: 90,
            status,
            fingerprint: fingerprint.into(),
            usage_key: Some(usage_key.into()),
            late_usage: None,
            version: 4,
        }
    }

    #[test]
    fn a_new_customer_with_usage_gets_a_priced_draft() {
        let (c, u, p, o) = (
            customer(AccountStatus::Active),
            usage(&[(Series::X, "100")]),
            plan(FLAT),
            SeriesMap::new(),
        );
        let Decision::Create(draft) = decide(&inputs(&c, &u, Some(in_force(&o, &p)), None), &rules()) else {
            panic!("expected a new draft");
        };
        assert_eq!(draft.customer_id, 7);
        assert_eq!(draft.plan, Some((3, 2)));
        assert_eq!(draft.subtotal, 50_0000);
        assert_eq!(draft.usage_key, "X=100");
        assert_eq!(draft.warning_count, 0);
        assert!(draft.lines.contains("\"series\":\"X\""));
        assert_eq!(draft.fingerprint.len(), 64);
    }

    #[test]
    fn a_customer_without_a_plan_is_billed_with_a_warning_and_no_lines() {
        let (c, u) = (customer(AccountStatus::Active), usage(&[(Series::X, "100")]));
        let Decision::Create(draft) = decide(&inputs(&c, &u, None, None), &rules()) else {
            panic!("expected a new draft");
        };
        assert_eq!((draft.plan, draft.subtotal, draft.lines.as_str()), (None, 0, "[]"));
        let warnings: Vec<crate::billing::BillWarning> = serde_json::from_str(&draft.warnings).unwrap();
        assert_eq!(warnings[0].code, WarningCode::NoPricePlan);
        assert_eq!(draft.warning_count, warnings.len() as i32);
    }

    #[test]
    fn a_rerun_leaves_a_draft_with_the_same_inputs_and_recomputes_a_changed_one() {
        let (c, u, p, o) = (
            customer(AccountStatus::Active),
            usage(&[(Series::X, "100")]),
            plan(FLAT),
            SeriesMap::new(),
        );
        let input = inputs(&c, &u, Some(in_force(&o, &p)), None);
        let same = bill(BillStatus::Draft, &fingerprint(&input, "X=100"), "X=100");
        let again = CustomerInputs {
            existing: Some(&same),
            ..input
        };
        assert_eq!(decide(&again, &rules()), Decision::Unchanged);

        let more = usage(&[(Series::X, "120")]);
        let changed = CustomerInputs { usage: &more, ..again };
        match decide(&changed, &rules()) {
            Decision::Update { id, version, draft } => {
                assert_eq!((id, version, draft.subtotal), (90, 4, 60_0000));
            }
            other => panic!("expected an update, got {other:?}"),
        }
    }

    #[test]
    fn the_fingerprint_follows_every_input() {
        let (c, u, p, o) = (
            customer(AccountStatus::Active),
            usage(&[(Series::X, "100")]),
            plan(FLAT),
            SeriesMap::new(),
        );
        let base = inputs(&c, &u, Some(in_force(&o, &p)), None);
        let print = fingerprint(&base, "X=100");
        assert_eq!(print, fingerprint(&base, "X=100"));
        assert_ne!(print, fingerprint(&base, "X=101"));
        assert_ne!(
            print,
            fingerprint(
                &CustomerInputs {
                    pending_quarantine: 1,
                    ..base
                },
                "X=100"
            )
        );
        assert_ne!(print, fingerprint(&CustomerInputs { pricing: None, ..base }, "X=100"));
        let later = PlanInForce {
            version_id: 12,
            ..in_force(&o, &p)
        };
        assert_ne!(
            print,
            fingerprint(
                &CustomerInputs {
                    pricing: Some(later),
                    ..base
                },
                "X=100"
            )
        );
        let own: SeriesMap<Rule> = [(Series::X, Rule::flat("0.4".parse().unwrap()).unwrap())]
            .into_iter()
            .collect();
        let overridden = PlanInForce {
            overrides: &own,
            ..in_force(&o, &p)
        };
        assert_ne!(
            print,
            fingerprint(
                &CustomerInputs {
                    pricing: Some(overridden),
                    ..base
                },
                "X=100"
            )
        );
        let terms = CustomerFacts {
            payment_terms_days: 15,
            ..c.clone()
        };
        assert_ne!(
            print,
            fingerprint(
                &CustomerInputs {
                    customer: &terms,
                    ..base
                },
                "X=100"
            )
        );
        let trailing: SeriesMap<Trailing> = [(
            Series::X,
            Trailing {
                sum: "300".parse().unwrap(),
                months: 3,
            },
        )]
        .into_iter()
        .collect();
        assert_ne!(
            print,
            fingerprint(
                &CustomerInputs {
                    trailing: Some(&trailing),
                    ..base
                },
                "X=100"
            )
        );
    }

    #[test]
    fn an_issued_bill_is_kept_and_flagged_once_when_its_usage_changed() {
        let (c, u) = (
            customer(AccountStatus::Active),
            usage(&[(Series::X, "120"), (Series::N, "1")]),
        );
        let issued = bill(BillStatus::Issued, "old", "X=100");
        let input = inputs(&c, &u, None, Some(&issued));
        let Decision::KeepIssued { late: Some(late) } = decide(&input, &rules()) else {
            panic!("expected a late-usage flag");
        };
        assert_eq!(late.bill_id, 90);
        let flag: serde_json::Value = serde_json::from_str(&late.flag).unwrap();
        assert_eq!(flag["current_key"], "X=120;N=1");
        assert_eq!(flag["detected_at"], "2027-01-15T08:00:00Z");
        assert_eq!(
            flag["series"],
            json!([
                {"series": "X", "billed": "100", "current": "120"},
                {"series": "N", "billed": "0", "current": "1"},
            ])
        );
        let flagged = AutoBill {
            late_usage: Some(late.flag),
            ..issued.clone()
        };
        let again = CustomerInputs {
            existing: Some(&flagged),
            ..input
        };
        assert_eq!(decide(&again, &rules()), Decision::KeepIssued { late: None });
        let unchanged_usage = usage(&[(Series::X, "100")]);
        let same = CustomerInputs {
            usage: &unchanged_usage,
            existing: Some(&issued),
            ..input
        };
        assert_eq!(decide(&same, &rules()), Decision::KeepIssued { late: None });
    }

    #[test]
    fn who_is_not_billed_is_voided_skipped_or_left_alone() {
        let none = SeriesMap::new();
        let some = usage(&[(Series::X, "5")]);
        let closed = customer(AccountStatus::Closed);
        let draft = bill(BillStatus::Draft, "f", "X=5");
        assert_eq!(
            decide(&inputs(&closed, &some, None, Some(&draft)), &rules()),
            Decision::Void { id: 90, version: 4 }
        );
        assert_eq!(
            decide(&inputs(&closed, &some, None, None), &rules()),
            Decision::Skip(SkipReason::CustomerClosed)
        );
        let trial = customer(AccountStatus::Trial);
        assert_eq!(
            decide(&inputs(&trial, &some, None, None), &rules()),
            Decision::Skip(SkipReason::CustomerTrial)
        );
        let billed_trial = RunRules {
            bill_trial_customers: true,
            ..rules()
        };
        assert!(matches!(
            decide(&inputs(&trial, &some, None, None), &billed_trial),
            Decision::Create(_)
        ));
        let active = customer(AccountStatus::Active);
        assert_eq!(decide(&inputs(&active, &none, None, None), &rules()), Decision::Nothing);
        let named = CustomerInputs {
            named: true,
            ..inputs(&active, &none, None, None)
        };
        assert_eq!(decide(&named, &rules()), Decision::Skip(SkipReason::NoUsage));
    }

    #[test]
    fn a_minimum_charge_bills_a_customer_without_usage() {
        let minimum = plan(
            r#"{"minimum_charge":"10","rules":{"X":{"mode":"flat","unit_price":"0.5"},"N":{"mode":"flat","unit_price":"1"},"L":{"mode":"flat","unit_price":"2"}}}"#,
        );
        let (c, none, o) = (customer(AccountStatus::Active), SeriesMap::new(), SeriesMap::new());
        let Decision::Create(draft) = decide(&inputs(&c, &none, Some(in_force(&o, &minimum)), None), &rules()) else {
            panic!("expected a new draft");
        };
        assert_eq!(draft.subtotal, 10_0000);
    }

    #[test]
    fn usage_keys_and_trailing_months() {
        assert_eq!(
            usage_key(&usage(&[(Series::L, "2.5"), (Series::X, "100")])),
            "X=100;L=2.5"
        );
        assert_eq!(usage_key(&SeriesMap::new()), "");
        let months = trailing_months(Period::new(2026, 2).unwrap());
        assert_eq!(
            months,
            [
                Period::new(2026, 1).unwrap(),
                Period::new(2025, 12).unwrap(),
                Period::new(2025, 11).unwrap()
            ]
        );
        let first = Period::new(crate::period::FIRST_YEAR, 1).unwrap();
        assert!(trailing_months(first).is_empty());
    }

    #[test]
    fn changes_count_every_decision_and_void_drafts_of_customers_gone_since() {
        let customers: Vec<CustomerFacts> = (1..=5)
            .map(|id| CustomerFacts {
                id,
                ..customer(AccountStatus::Active)
            })
            .collect();
        let draft = |customer_id: i64, warning_count: i32| Draft {
            customer_id,
            plan: None,
            lines: "[]".into(),
            subtotal: 0,
            warnings: "[]".into(),
            warning_count,
            fingerprint: String::new(),
            usage_key: String::new(),
        };
        let decisions = vec![
            Decision::Create(Box::new(draft(1, 1))),
            Decision::Update {
                id: 20,
                version: 2,
                draft: Box::new(draft(2, 0)),
            },
            Decision::KeepIssued {
                late: Some(LateUsage {
                    bill_id: 30,
                    flag: "{}".into(),
                }),
            },
            Decision::Skip(SkipReason::CustomerTrial),
            Decision::Skip(SkipReason::NoUsage),
        ];
        let gone = |id| AutoBill {
            id,
            ..bill(BillStatus::Draft, "", "")
        };
        let existing: HashMap<i64, AutoBill> = [
            (9, gone(99)),
            (
                8,
                AutoBill {
                    status: BillStatus::Issued,
                    ..gone(88)
                },
            ),
        ]
        .into_iter()
        .collect();
        let run = changes(&customers, decisions.clone(), &existing, None, 1);
        assert_eq!((run.creates.len(), run.updates.len(), run.late.len()), (1, 1, 1));
        assert_eq!(
            (run.unchanged, run.kept_issued, run.skipped_count, run.with_warnings),
            (0, 1, 2, 1)
        );
        assert_eq!(run.voids, [(99, 4)]);
        assert_eq!(run.skipped, [(4, SkipReason::CustomerTrial)]);
        assert_eq!(run.late[0].bill_id, 30);
        assert_eq!((run.creates.len(), run.updates[0].id), (1, 20));

        // A named run leaves the drafts of customers it does not name.
        let named: HashSet<i64> = (1..=5).collect();
        let run = changes(&customers, decisions, &existing, Some(&named), 10);
        assert!(run.voids.is_empty());
        assert_eq!(run.skipped.len(), 2);
    }
}
