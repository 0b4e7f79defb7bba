//! Which version of a price plan governs which months (DESIGN.md §5).
//!
//! A plan never changes in place: each edit is version n+1 with an
//! `effective_from` month. Billing a period uses the version with the
//! greatest `effective_from` ≤ the period; of two versions effective from
//! the same month the higher number wins (a later correction for that
//! month). Storage answers the same question with one indexed query; these
//! functions are the rule itself, and what the warnings of a new version
//! are computed from.

use crate::period::Period;

/// A version's place in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionKey {
    pub version: i32,
    pub effective_from: Period,
}

/// The version in force for `period`, if any version is effective by then.
pub fn in_force(versions: &[VersionKey], period: Period) -> Option<VersionKey> {
    versions
        .iter()
        .filter(|v| v.effective_from <= period)
        .max_by_key(|v| (v.effective_from, v.version))
        .copied()
}

/// The months one version governs: from its `effective_from` until (not
/// including) `until`, or for good when `until` is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub from: Period,
    pub until: Option<Period>,
    /// The version that takes over at `until`.
    pub then: Option<i32>,
}

/// What `version` governs among `versions`: `None` when it governs no
/// month at all (a higher version is effective from the same month), or
/// when it is not in the list.
pub fn span(versions: &[VersionKey], version: i32) -> Option<Span> {
    let this = versions.iter().find(|v| v.version == version)?;
    let shadowed = versions
        .iter()
        .any(|v| v.effective_from == this.effective_from && v.version > this.version);
    if shadowed {
        return None;
    }
    let successor = versions
        .iter()
        .filter(|v| v.effective_from > this.effective_from)
        .min_by_key(|v| (v.effective_from, std::cmp::Reverse(v.version)));
    Some(Span {
        from: this.effective_from,
        until: successor.map(|v| v.effective_from),
        then: successor.map(|v| v.version),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Period {
        Period::parse(text).unwrap()
    }

    fn v(version: i32, from: &str) -> VersionKey {
        VersionKey {
            version,
            effective_from: p(from),
        }
    }

    fn in_force_at(versions: &[VersionKey], period: &str) -> Option<i32> {
        in_force(versions, p(period)).map(|v| v.version)
    }

    #[test]
    fn a_version_applies_from_its_month_on_and_not_before() {
        let versions = [v(1, "2026-01"), v(2, "2026-03")];
        assert_eq!(in_force_at(&versions, "2025-12"), None);
        assert_eq!(in_force_at(&versions, "2026-01"), Some(1));
        assert_eq!(in_force_at(&versions, "2026-02"), Some(1));
        assert_eq!(in_force_at(&versions, "2026-03"), Some(2));
        assert_eq!(in_force_at(&versions, "2027-07"), Some(2));
    }

    #[test]
    fn of_two_versions_for_the_same_month_the_later_wins() {
        let versions = [v(1, "2026-01"), v(2, "2026-03"), v(3, "2026-03")];
        assert_eq!(in_force_at(&versions, "2026-03"), Some(3));
        assert_eq!(span(&versions, 2), None, "version 2 governs no month");
    }

    #[test]
    fn a_back_dated_version_governs_only_until_a_later_effective_one() {
        // Version 3 was made after version 2 but is effective earlier.
        let versions = [v(1, "2026-01"), v(2, "2026-06"), v(3, "2026-03")];
        assert_eq!(in_force_at(&versions, "2026-04"), Some(3));
        assert_eq!(in_force_at(&versions, "2026-06"), Some(2));
        assert_eq!(
            span(&versions, 3),
            Some(Span {
                from: p("2026-03"),
                until: Some(p("2026-06")),
                then: Some(2)
            })
        );
        assert_eq!(span(&versions, 2).unwrap().until, None);
    }

    #[test]
    fn the_successor_is_the_highest_version_of_the_next_month() {
        let versions = [v(1, "2026-01"), v(2, "2026-05"), v(3, "2026-05")];
        assert_eq!(span(&versions, 1).unwrap().then, Some(3));
    }
}
