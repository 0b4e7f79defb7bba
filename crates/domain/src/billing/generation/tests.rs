//! What a generation run decides, customer by customer and as a whole.

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
