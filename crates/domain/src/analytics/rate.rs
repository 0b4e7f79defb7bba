//! Rates as the API writes them: a ratio half-up (away from zero) to four
//! places, computed on integers so no float touches a figure.

use crate::money::Total;

/// `numerator ÷ denominator` to four places, `None` when the denominator is
/// not positive (a rate of nothing is undefined, not zero).
pub fn rate(numerator: Total, denominator: Total) -> Option<String> {
    ratio4(numerator.units(), denominator.units())
}

/// `now ÷ before − 1` to four places (month-over-month, growth), `None`
/// when `before` is not positive.
pub fn change(now: Total, before: Total) -> Option<String> {
    ratio4(now.units().checked_sub(before.units())?, before.units())
}

/// `n ÷ d` half-up to 4 places as text ("0.8125", "-0.5000", "12.0000").
pub(crate) fn ratio4(n: i128, d: i128) -> Option<String> {
    if d <= 0 {
        return None;
    }
    let scaled = n.checked_mul(10_000)?;
    let (mut q, r) = (scaled / d, scaled % d);
    if r.unsigned_abs().checked_mul(2)? >= d.unsigned_abs() {
        q += scaled.signum();
    }
    let sign = if q < 0 { "-" } else { "" };
    let magnitude = q.unsigned_abs();
    Some(format!("{sign}{}.{:04}", magnitude / 10_000, magnitude % 10_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(units: i128) -> Total {
        Total::from_units(units)
    }

    #[test]
    fn rates_are_exact_and_half_up() {
        assert_eq!(rate(t(8125), t(10_000)).as_deref(), Some("0.8125"));
        assert_eq!(rate(t(1), t(3)).as_deref(), Some("0.3333"));
        assert_eq!(rate(t(2), t(3)).as_deref(), Some("0.6667"));
        // 1/80000 = 0.0000125 → 0.0000; 1/20000 = 0.00005 → 0.0001 (half-up)
        assert_eq!(rate(t(1), t(80_000)).as_deref(), Some("0.0000"));
        assert_eq!(rate(t(1), t(20_000)).as_deref(), Some("0.0001"));
        assert_eq!(rate(t(5), t(0)), None);
        assert_eq!(rate(t(0), t(7)).as_deref(), Some("0.0000"));
        assert_eq!(rate(t(30), t(10)).as_deref(), Some("3.0000"));
    }

    #[test]
    fn changes_round_away_from_zero() {
        assert_eq!(change(t(50), t(100)).as_deref(), Some("-0.5000"));
        assert_eq!(change(t(110), t(100)).as_deref(), Some("0.1000"));
        assert_eq!(change(t(0), t(100)).as_deref(), Some("-1.0000"));
        // -1/20000 = -0.00005 → -0.0001
        assert_eq!(change(t(19_999), t(20_000)).as_deref(), Some("-0.0001"));
        assert_eq!(change(t(10), t(0)), None);
    }
}
