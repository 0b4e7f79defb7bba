//! Value tiers (价值分层 A/B/C) and the revenue trend of DESIGN.md §9.

use serde::Serialize;

use super::rate::change;
use crate::money::Total;

/// A customer's computed value tier; distinct from the manual `level` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
pub enum ValueTier {
    A,
    B,
    C,
}

impl ValueTier {
    pub const ALL: [ValueTier; 3] = [ValueTier::A, ValueTier::B, ValueTier::C];

    pub fn code(self) -> &'static str {
        match self {
            ValueTier::A => "A",
            ValueTier::B => "B",
            ValueTier::C => "C",
        }
    }

    pub fn parse(text: &str) -> Option<ValueTier> {
        ValueTier::ALL.into_iter().find(|tier| tier.code() == text)
    }
}

/// Ranks customers by revenue (largest first, ties by the key — the customer
/// code — ascending) and gives each its tier, in the order given: A is the
/// smallest top set whose cumulative revenue reaches 70 % of the total, B the
/// customers after A in the smallest top set reaching 90 %, C the rest and
/// every customer without revenue.
pub fn value_tiers<K: Ord>(revenues: &[(K, Total)]) -> Vec<ValueTier> {
    let mut order: Vec<usize> = (0..revenues.len()).collect();
    order.sort_by(|&a, &b| {
        revenues[b]
            .1
            .cmp(&revenues[a].1)
            .then_with(|| revenues[a].0.cmp(&revenues[b].0))
    });
    let total: i128 = revenues.iter().map(|(_, revenue)| revenue.units().max(0)).sum();
    let mut tiers = vec![ValueTier::C; revenues.len()];
    let mut before = 0i128;
    for index in order {
        let revenue = revenues[index].1.units();
        if revenue <= 0 {
            break;
        }
        // In the set iff the revenue ranked above it has not yet reached the
        // share: 10·before < 7·total (A) or < 9·total (B).
        tiers[index] = if before * 10 < total * 7 {
            ValueTier::A
        } else if before * 10 < total * 9 {
            ValueTier::B
        } else {
            break;
        };
        before += revenue;
    }
    tiers
}

/// Where the tiers end in the ranking (revenue descending, key ascending):
/// A is the prefix up to and including `a`, B the customers after it up to
/// and including `b`, C the rest. The tiers are prefixes of the ranking, so
/// two cut points decide every customer's tier; a snapshot keeps them
/// instead of a tier per row, which would all move with one bill.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TierCuts<K> {
    /// The last customer in A (none when nobody has revenue).
    pub a: Option<(Total, K)>,
    /// The last customer in B (none when B is empty).
    pub b: Option<(Total, K)>,
    pub count_a: u64,
    pub count_b: u64,
    pub count_c: u64,
}

impl<K: Ord + Clone> TierCuts<K> {
    /// The cuts of [`value_tiers`] over these customers.
    pub fn of(revenues: &[(K, Total)]) -> TierCuts<K> {
        let tiers = value_tiers(revenues);
        let mut cuts = TierCuts {
            a: None,
            b: None,
            count_a: 0,
            count_b: 0,
            count_c: 0,
        };
        for ((key, revenue), tier) in revenues.iter().zip(tiers) {
            let slot = match tier {
                ValueTier::A => {
                    cuts.count_a += 1;
                    &mut cuts.a
                }
                ValueTier::B => {
                    cuts.count_b += 1;
                    &mut cuts.b
                }
                ValueTier::C => {
                    cuts.count_c += 1;
                    continue;
                }
            };
            // The cut is the lowest-ranked member: least revenue, then greatest key.
            let later = slot
                .as_ref()
                .is_none_or(|(r, k)| revenue < r || (revenue == r && key > k));
            if later {
                *slot = Some((*revenue, key.clone()));
            }
        }
        cuts
    }

    /// The tier of a customer with this revenue and key.
    pub fn tier(&self, revenue: Total, key: &K) -> ValueTier {
        if ranks_within(revenue, key, self.a.as_ref()) {
            ValueTier::A
        } else if ranks_within(revenue, key, self.b.as_ref()) {
            ValueTier::B
        } else {
            ValueTier::C
        }
    }
}

/// Whether (revenue, key) ranks at or above the cut.
fn ranks_within<K: Ord>(revenue: Total, key: &K, cut: Option<&(Total, K)>) -> bool {
    cut.is_some_and(|(r, k)| revenue > *r || (revenue == *r && key <= k))
}

/// The direction of a customer's revenue: the last 3 periods against the 3
/// before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[schema(as = RevenueTrend)]
pub enum Trend {
    #[serde(rename = "增长")]
    Growing,
    #[serde(rename = "稳定")]
    Stable,
    #[serde(rename = "下滑")]
    Declining,
    #[serde(rename = "新增")]
    New,
}

impl Trend {
    pub const ALL: [Trend; 4] = [Trend::Growing, Trend::Stable, Trend::Declining, Trend::New];

    pub fn label(self) -> &'static str {
        match self {
            Trend::Growing => "增长",
            Trend::Stable => "稳定",
            Trend::Declining => "下滑",
            Trend::New => "新增",
        }
    }

    pub fn parse(text: &str) -> Option<Trend> {
        Trend::ALL.into_iter().find(|trend| trend.label() == text)
    }
}

/// A trend with its growth (`last ÷ earlier − 1`, four places; `None` for 新增).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Growth {
    pub trend: Trend,
    pub growth: Option<String>,
}

/// ≥ +10 % 增长, ≤ −10 % 下滑, else 稳定; no revenue in the earlier three
/// periods → 新增. Compared exactly, not on the rounded growth.
pub fn trend(last3: Total, earlier3: Total) -> Growth {
    let (last, earlier) = (last3.units(), earlier3.units());
    if earlier <= 0 {
        return Growth {
            trend: Trend::New,
            growth: None,
        };
    }
    let difference = (last - earlier) * 10;
    let trend = if difference >= earlier {
        Trend::Growing
    } else if difference <= -earlier {
        Trend::Declining
    } else {
        Trend::Stable
    };
    Growth {
        trend,
        growth: change(last3, earlier3),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ValueTier::*;

    fn yuan(n: i128) -> Total {
        Total::from_units(n * 10_000)
    }

    #[test]
    fn tiers_take_the_smallest_sets_reaching_70_and_90_percent() {
        // total 100: 50 → A (0 before), 20 → A (50 < 70), 15 → B (70 reached), 10 → B (85 < 90), 5 → C
        let revenues = [
            ("c5", yuan(5)),
            ("c1", yuan(50)),
            ("c3", yuan(15)),
            ("c2", yuan(20)),
            ("c4", yuan(10)),
        ];
        assert_eq!(value_tiers(&revenues), vec![C, A, B, A, B]);
    }

    #[test]
    fn ties_rank_by_code_and_zero_revenue_is_c() {
        // 40/40/20: the first 40 reaches 40 %, the second 80 % → both A; the 20 is B (80 < 90)
        let revenues = [("b", yuan(40)), ("a", yuan(40)), ("c", yuan(20)), ("d", yuan(0))];
        assert_eq!(value_tiers(&revenues), vec![A, A, B, C]);
        // one customer holds everything: A, the rest C
        let revenues = [("a", yuan(0)), ("b", yuan(9)), ("c", yuan(0))];
        assert_eq!(value_tiers(&revenues), vec![C, A, C]);
        // equal revenue at the boundary: code decides who is in A
        let revenues = [("z", yuan(35)), ("y", yuan(35)), ("x", yuan(30))];
        // ranked y(35), z(35), x(30): y → A (0), z → A (35 < 70), x → B (70 reached)
        assert_eq!(value_tiers(&revenues), vec![A, A, B]);
    }

    #[test]
    fn exactly_reaching_the_share_closes_the_set() {
        // 70 then 20 then 10: 70 alone reaches 70 % → A = {70}; 20 → B (70 < 90) reaches 90; 10 → C
        let revenues = [("a", yuan(70)), ("b", yuan(20)), ("c", yuan(10))];
        assert_eq!(value_tiers(&revenues), vec![A, B, C]);
        assert!(value_tiers::<&str>(&[]).is_empty());
        assert_eq!(value_tiers(&[("a", yuan(0))]), vec![C]);
    }

    #[test]
    fn trend_boundaries_are_exact() {
        assert_eq!(trend(yuan(110), yuan(100)).trend, Trend::Growing);
        assert_eq!(trend(yuan(110), yuan(100)).growth.as_deref(), Some("0.1000"));
        assert_eq!(trend(yuan(90), yuan(100)).trend, Trend::Declining);
        assert_eq!(trend(yuan(90) + Total::from_units(1), yuan(100)).trend, Trend::Stable);
        assert_eq!(trend(Total::from_units(1_099_999), yuan(100)).trend, Trend::Stable);
        assert_eq!(
            trend(yuan(5), yuan(0)),
            Growth {
                trend: Trend::New,
                growth: None
            }
        );
        assert_eq!(trend(yuan(0), yuan(3)).growth.as_deref(), Some("-1.0000"));
    }

    #[test]
    fn cuts_give_every_customer_the_tier_of_the_full_ranking() {
        // A pseudo-random spread with ties, zeros and a negative revenue.
        let mut seed = 7u64;
        for size in [0usize, 1, 2, 5, 40, 300] {
            let revenues: Vec<(String, Total)> = (0..size)
                .map(|i| {
                    seed = seed
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    let units = i128::from((seed >> 33) % 7) * 10_000 - if i == 3 { 20_000 } else { 0 };
                    (format!("C{:03}-{i}", (seed >> 20) % 1000), Total::from_units(units))
                })
                .collect();
            let tiers = value_tiers(&revenues);
            let cuts = TierCuts::of(&revenues);
            for ((key, revenue), tier) in revenues.iter().zip(&tiers) {
                assert_eq!(cuts.tier(*revenue, key), *tier, "{key} {revenue} of {size}");
            }
            let count = |t: ValueTier| tiers.iter().filter(|x| **x == t).count() as u64;
            assert_eq!(
                (cuts.count_a, cuts.count_b, cuts.count_c),
                (count(A), count(B), count(C))
            );
        }
        let cuts = TierCuts::of(&[("a", yuan(70)), ("b", yuan(20)), ("c", yuan(10))]);
        assert_eq!(cuts.a, Some((yuan(70), "a")));
        assert_eq!(cuts.b, Some((yuan(20), "b")));
        assert_eq!(TierCuts::<&str>::of(&[("a", yuan(0))]).a, None);
    }
}
