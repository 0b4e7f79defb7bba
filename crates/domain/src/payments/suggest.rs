//! What to allocate a payment to (DESIGN.md §8): a bill of exactly the
//! amount, then a set of open bills summing to it, then the oldest first.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::period::Period;

/// Most steps the subset search takes before giving up: with 200 open
/// bills the full search space is 2^200, so the search is bounded and a
/// missing subset suggestion is the price of a quick answer.
pub const SUBSET_SEARCH_BUDGET: usize = 50_000;

/// An open bill of the payment's customer, given oldest first.
#[derive(Debug, Clone)]
pub struct OpenBill {
    pub bill_id: i64,
    pub bill_no: String,
    pub period: Period,
    pub due_date: Option<NaiveDate>,
    pub outstanding: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionKind {
    Exact,
    Subset,
    OldestFirst,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuggestionLine {
    /// Index into the bills given.
    pub bill: usize,
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub kind: SuggestionKind,
    pub reason: String,
    pub lines: Vec<SuggestionLine>,
    pub total: Decimal,
}

/// Whole cents (open amounts are always whole cents), as the 128-bit
/// mantissa itself: every `Decimal` fits, so no two amounts ever read alike.
fn cents(value: Decimal) -> i128 {
    let mut v = value;
    v.rescale(2);
    v.mantissa()
}

/// Back from cents. Every value here is at most an input's own mantissa (a
/// bill's outstanding amount, the unapplied money, or a difference of them),
/// so it always fits a `Decimal`.
fn from_cents(cents: i128) -> Decimal {
    Decimal::from_i128_with_scale(cents, 2)
}

fn two_places(value: Decimal) -> Decimal {
    let mut v = value;
    v.rescale(2);
    v
}

/// Suggestions for `unapplied` money over the customer's open `bills`
/// (oldest first): up to three exact bills, one subset, one oldest-first
/// filling; none repeats another.
pub fn suggest(unapplied: Decimal, bills: &[OpenBill]) -> Vec<Suggestion> {
    let mut result: Vec<Suggestion> = Vec::new();
    let target = cents(unapplied);
    if target <= 0 || bills.is_empty() {
        return result;
    }
    let amounts: Vec<i128> = bills.iter().map(|b| cents(b.outstanding)).collect();
    let shown = two_places(unapplied);

    for (i, bill) in bills.iter().enumerate().filter(|(i, _)| amounts[*i] == target).take(3) {
        result.push(Suggestion {
            kind: SuggestionKind::Exact,
            reason: format!(
                "账单 {}（{}）的未结金额与收款的未核销金额 {shown} 完全相同",
                bill.bill_no, bill.period
            ),
            lines: vec![SuggestionLine {
                bill: i,
                amount: bill.outstanding,
            }],
            total: shown,
        });
    }

    if let Some(set) = subset_summing_to(&amounts, target, SUBSET_SEARCH_BUDGET) {
        result.push(Suggestion {
            kind: SuggestionKind::Subset,
            reason: format!("{} 张账单的未结金额合计正好等于收款的未核销金额 {shown}", set.len()),
            lines: set
                .into_iter()
                .map(|i| SuggestionLine {
                    bill: i,
                    amount: bills[i].outstanding,
                })
                .collect(),
            total: shown,
        });
    }

    let mut remaining = target;
    let mut lines = Vec::new();
    for (i, &amount) in amounts.iter().enumerate() {
        if remaining == 0 {
            break;
        }
        if amount <= 0 {
            continue;
        }
        let take = amount.min(remaining);
        remaining -= take;
        lines.push(SuggestionLine {
            bill: i,
            amount: from_cents(take),
        });
    }
    let repeats = result.iter().any(|s| s.lines == lines);
    if !lines.is_empty() && !repeats {
        let total = from_cents(target - remaining);
        let mut reason = format!("按到期日从早到晚依次核销 {} 张账单", lines.len());
        if remaining > 0 {
            reason.push_str(&format!("，剩余 {} 留作预收款", from_cents(remaining)));
        }
        result.push(Suggestion {
            kind: SuggestionKind::OldestFirst,
            reason,
            lines,
            total,
        });
    }
    result
}

/// A receipt considered for automatic allocation after a statement import.
#[derive(Debug, Clone)]
pub struct ReceiptToMatch {
    pub customer_id: Option<i64>,
    pub amount: Decimal,
}

/// An exact one-to-one match: the receipt (index into those given) pays
/// the bill (index into its customer's open bills) in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExactMatch {
    pub receipt: usize,
    pub bill: usize,
}

/// The exact one-to-one matches of a statement import, the only ones
/// allocated without a person (issue 21). Conservative: a receipt and a
/// bill are paired only when
/// - the receipt has a customer and an amount > 0;
/// - [`suggest`] gives it exactly one suggestion of kind `Exact`: one and
///   only one of the customer's open bills has an outstanding amount equal
///   to the receipt's, to the cent;
/// - no other receipt of the same customer and amount is in the import, and
///   none is among the customer's earlier unapplied money (`earlier`: the
///   unapplied amount of each of the customer's other live payments) — two
///   receipts that could each pay the bill are left for a person to choose.
///
/// Anything else (no customer, several bills of the amount, a partial or
/// combined payment) stays unallocated for the workbench.
pub fn exact_one_to_one(
    receipts: &[ReceiptToMatch],
    open: &HashMap<i64, Vec<OpenBill>>,
    earlier: &HashMap<i64, Vec<Decimal>>,
) -> Vec<ExactMatch> {
    let mut same: HashMap<(i64, i128), usize> = HashMap::new();
    for receipt in receipts {
        if let Some(customer) = receipt.customer_id {
            *same.entry((customer, cents(receipt.amount))).or_default() += 1;
        }
    }
    let mut result = Vec::new();
    for (index, receipt) in receipts.iter().enumerate() {
        let Some(customer) = receipt.customer_id else {
            continue;
        };
        let amount = cents(receipt.amount);
        if amount <= 0 || same.get(&(customer, amount)).copied().unwrap_or(0) != 1 {
            continue;
        }
        if earlier
            .get(&customer)
            .is_some_and(|list| list.iter().any(|e| cents(*e) == amount))
        {
            continue;
        }
        let Some(bills) = open.get(&customer) else {
            continue;
        };
        let mut exact = suggest(receipt.amount, bills)
            .into_iter()
            .filter(|s| s.kind == SuggestionKind::Exact);
        if let (Some(only), None) = (exact.next(), exact.next())
            && let [line] = only.lines.as_slice()
        {
            result.push(ExactMatch {
                receipt: index,
                bill: line.bill,
            });
        }
    }
    result
}

/// Indices of two or more amounts summing exactly to `target`, preferring
/// the earliest (oldest) ones; a depth-first search over "take it or not",
/// pruned when what is left cannot reach the target and remembering dead
/// ends, stopped after `budget` steps.
fn subset_summing_to(amounts: &[i128], target: i128, budget: usize) -> Option<Vec<usize>> {
    // A bill equal to the target is an exact suggestion, and with it no
    // other bill fits; bills above the target never fit.
    let items: Vec<usize> = (0..amounts.len())
        .filter(|&i| amounts[i] > 0 && amounts[i] < target)
        .collect();
    // What the items from k on add up to: the bound that prunes a branch.
    // Exact, as each is below 2^96 and there are far fewer than 2^31.
    let mut suffix = vec![0i128; items.len() + 1];
    for k in (0..items.len()).rev() {
        suffix[k] = suffix[k + 1] + amounts[items[k]];
    }
    let mut search = Search {
        amounts,
        items: &items,
        suffix: &suffix,
        dead: HashSet::new(),
        steps: 0,
        budget,
        chosen: Vec::new(),
    };
    search.find(0, target).then_some(search.chosen)
}

struct Search<'a> {
    amounts: &'a [i128],
    items: &'a [usize],
    suffix: &'a [i128],
    dead: HashSet<(usize, i128)>,
    steps: usize,
    budget: usize,
    chosen: Vec<usize>,
}

impl Search<'_> {
    fn find(&mut self, k: usize, remaining: i128) -> bool {
        if remaining == 0 {
            return true;
        }
        if k == self.items.len() || self.suffix[k] < remaining || self.dead.contains(&(k, remaining)) {
            return false;
        }
        self.steps += 1;
        if self.steps > self.budget {
            return false;
        }
        let index = self.items[k];
        let amount = self.amounts[index];
        if amount <= remaining {
            self.chosen.push(index);
            if self.find(k + 1, remaining - amount) {
                return true;
            }
            self.chosen.pop();
        }
        if self.find(k + 1, remaining) {
            return true;
        }
        if self.steps <= self.budget {
            self.dead.insert((k, remaining));
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn bills(amounts: &[&str]) -> Vec<OpenBill> {
        let period = Period::from_key(202601).unwrap();
        amounts
            .iter()
            .enumerate()
            .map(|(i, a)| OpenBill {
                bill_id: i as i64 + 1,
                bill_no: format!("B202601-{:06}", i + 1),
                period,
                due_date: None,
                outstanding: d(a),
            })
            .collect()
    }

    fn picked(s: &Suggestion) -> Vec<(usize, String)> {
        s.lines.iter().map(|l| (l.bill, l.amount.to_string())).collect()
    }

    #[test]
    fn exact_first_then_subset_then_oldest_first() {
        let open = bills(&["300.00", "500.00", "200.00", "500.00"]);
        let s = suggest(d("500.00"), &open);
        let kinds: Vec<SuggestionKind> = s.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [
                SuggestionKind::Exact,
                SuggestionKind::Exact,
                SuggestionKind::Subset,
                SuggestionKind::OldestFirst
            ]
        );
        assert_eq!(picked(&s[0]), [(1, "500.00".into())]);
        assert_eq!(picked(&s[2]), [(0, "300.00".into()), (2, "200.00".into())]);
        assert_eq!(picked(&s[3]), [(0, "300.00".into()), (1, "200.00".into())]);
        assert!(s[0].reason.contains("B202601-000002"), "{}", s[0].reason);
    }

    #[test]
    fn oldest_first_leaves_the_rest_as_balance() {
        let s = suggest(d("1000"), &bills(&["300", "200"]));
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].kind, SuggestionKind::OldestFirst);
        assert_eq!(s[0].total.to_string(), "500.00");
        assert!(s[0].reason.contains("剩余 500.00 留作预收款"), "{}", s[0].reason);
    }

    #[test]
    fn the_subset_is_found_among_two_hundred_bills() {
        // 197 bills that cannot make 1,000.03 (all multiples of 10.00), and
        // three old ones deep in the list that do.
        let mut amounts: Vec<String> = (0..197).map(|i| format!("{}.00", 10 * (i % 40 + 1))).collect();
        amounts.insert(50, "400.01".into());
        amounts.insert(120, "300.01".into());
        amounts.insert(190, "300.01".into());
        let refs: Vec<&str> = amounts.iter().map(String::as_str).collect();
        let s = suggest(d("1000.03"), &bills(&refs));
        let subset = s.iter().find(|s| s.kind == SuggestionKind::Subset).expect("a subset");
        let mut chosen: Vec<usize> = subset.lines.iter().map(|l| l.bill).collect();
        chosen.sort();
        assert_eq!(chosen, [50, 120, 190]);
        let sum: Decimal = subset.lines.iter().map(|l| l.amount).sum();
        assert_eq!(sum, d("1000.03"));
    }

    #[test]
    fn a_hopeless_search_stops_within_its_budget() {
        // Multiples of 303 never make a target that is not one, and the
        // second target is beyond the sum of all.
        let amounts: Vec<i128> = (1..=200).map(|i| i * 3 * 101).collect();
        assert_eq!(subset_summing_to(&amounts, 1_000_001, 5_000), None);
        let amounts: Vec<i128> = (1..=200).map(|i| i * 3).collect();
        assert_eq!(subset_summing_to(&amounts, 1_000_000_000, SUBSET_SEARCH_BUDGET), None);
    }

    #[test]
    fn amounts_beyond_the_i64_range_of_cents_are_never_taken_for_each_other() {
        // Both used to read as i64::MAX cents: an "exact" match that was not.
        let s = suggest(d("100000000000000000.00"), &bills(&["200000000000000000.00"]));
        assert!(s.iter().all(|s| s.kind != SuggestionKind::Exact), "{s:?}");
        assert_eq!(s[0].total, d("100000000000000000.00"));
        let huge = bills(&["79228162514264337593543950.33", "79228162514264337593543950.33", "1.00"]);
        let s = suggest(d("79228162514264337593543951.33"), &huge);
        assert_eq!(s[0].kind, SuggestionKind::Subset);
        assert_eq!(
            picked(&s[0]),
            [(0, "79228162514264337593543950.33".into()), (2, "1.00".into())]
        );
    }

    #[test]
    fn only_unambiguous_exact_matches_are_paired() {
        let mut open = HashMap::new();
        open.insert(1, bills(&["300.00", "500.00"]));
        open.insert(2, bills(&["500.00", "500.00"]));
        open.insert(3, bills(&["800.00"]));
        open.insert(4, bills(&["120.00"]));
        open.insert(5, bills(&["70.00"]));
        let receipt = |customer: Option<i64>, amount: &str| ReceiptToMatch {
            customer_id: customer,
            amount: d(amount),
        };
        let receipts = [
            receipt(Some(1), "500"),    // 0: the one bill of 500.00 → paired
            receipt(Some(2), "500.00"), // 1: two bills of 500.00 → left
            receipt(Some(3), "800.00"), // 2: two receipts of 800.00 → left
            receipt(Some(3), "800.00"), // 3
            receipt(None, "300.00"),    // 4: no customer → left
            receipt(Some(1), "800.00"), // 5: 300 + 500 is a subset, not exact → left
            receipt(Some(4), "120.00"), // 6: an earlier unapplied 120.00 → left
            receipt(Some(5), "70.01"),  // 7: a cent off → left
            receipt(Some(1), "300.00"), // 8: paired
        ];
        let mut earlier = HashMap::new();
        earlier.insert(4, vec![d("120.00")]);
        earlier.insert(1, vec![d("50.00")]);
        let matches = exact_one_to_one(&receipts, &open, &earlier);
        assert_eq!(
            matches,
            [ExactMatch { receipt: 0, bill: 1 }, ExactMatch { receipt: 8, bill: 0 }]
        );
    }

    #[test]
    fn nothing_to_suggest_without_money_or_bills() {
        assert!(suggest(d("0"), &bills(&["1"])).is_empty());
        assert!(suggest(d("10"), &[]).is_empty());
    }
}
