//! Bill numbers: `B{YYYYMM}-{6 digits}` (DESIGN.md §7).

use crate::period::Period;

pub const BILL_NO_DIGITS: usize = 6;

/// The `sequence`-th bill number of `period` (from 1). `None` past 999,999
/// bills in one month: the caller refuses rather than widening the format.
pub fn bill_no(period: Period, sequence: i64) -> Option<String> {
    if !(1..=999_999).contains(&sequence) {
        return None;
    }
    Some(format!(
        "B{:04}{:02}-{:0width$}",
        period.year(),
        period.month(),
        sequence,
        width = BILL_NO_DIGITS
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_zero_padded_per_period() {
        let p = Period::parse("2026-03").unwrap();
        assert_eq!(bill_no(p, 1).as_deref(), Some("B202603-000001"));
        assert_eq!(bill_no(p, 999_999).as_deref(), Some("B202603-999999"));
        assert_eq!(bill_no(p, 0), None);
        assert_eq!(bill_no(p, 1_000_000), None);
    }
}
