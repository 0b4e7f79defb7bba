//! Usage quantities as vendors and spreadsheets write them.

use crate::customer::normalize::to_half_width;
use crate::money::{AmountError, Fixed4, MAX_QUANTITY};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("缺少用量")]
    Missing,
    #[error("用量不是有效的数字")]
    NotANumber,
    #[error("用量不能为负数")]
    Negative,
    #[error("用量小数位数不能超过 4 位")]
    TooManyDecimals,
    #[error("用量超出允许范围")]
    OutOfRange,
}

/// Quantity text: `1234.5`, ` 1,234.5 `, full-width digits, `+3`, and the
/// exponent form spreadsheets give long numbers (`1.2345E3`). Never through
/// a binary float: the digits are shifted, not multiplied. At most
/// [`MAX_QUANTITY`] (999,999,999,999.9999), so a month's total of the
/// records stays within what a stored quantity holds.
pub fn parse_quantity(text: &str) -> Result<Fixed4, QuantityError> {
    let quantity = parse_any_quantity(text)?;
    if quantity > MAX_QUANTITY {
        return Err(QuantityError::OutOfRange);
    }
    Ok(quantity)
}

fn parse_any_quantity(text: &str) -> Result<Fixed4, QuantityError> {
    let text = to_half_width(text);
    let text = text.trim();
    if text.is_empty() {
        return Err(QuantityError::Missing);
    }
    let text = without_thousands_separators(text).ok_or(QuantityError::NotANumber)?;
    let text = expand_exponent(&text).ok_or(QuantityError::NotANumber)?;
    let unsigned = text.strip_prefix('+').unwrap_or(&text);
    if let Some(magnitude) = unsigned.strip_prefix('-') {
        // "-0" is zero, not a negative quantity.
        return match magnitude.parse::<Fixed4>() {
            Ok(value) if value == Fixed4::ZERO => Ok(Fixed4::ZERO),
            Ok(_) => Err(QuantityError::Negative),
            Err(e) => Err(e.into()),
        };
    }
    Ok(unsigned.parse::<Fixed4>()?)
}

impl From<AmountError> for QuantityError {
    fn from(e: AmountError) -> Self {
        match e {
            AmountError::NotANumber => QuantityError::NotANumber,
            AmountError::TooManyDecimals => QuantityError::TooManyDecimals,
            AmountError::OutOfRange => QuantityError::OutOfRange,
        }
    }
}

/// `1,234,567.5` → `1234567.5`; commas only where thousands separators go.
fn without_thousands_separators(text: &str) -> Option<String> {
    if !text.contains(',') {
        return Some(text.to_string());
    }
    let (sign, digits) = match text.strip_prefix(['-', '+']) {
        Some(rest) => (&text[..1], rest),
        None => ("", text),
    };
    let (int_part, frac_part) = digits.split_once('.').map_or((digits, None), |(i, f)| (i, Some(f)));
    let groups: Vec<&str> = int_part.split(',').collect();
    let well_grouped = !groups[0].is_empty()
        && groups[0].len() <= 3
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()));
    if !well_grouped {
        return None;
    }
    let mut out = format!("{sign}{}", groups.concat());
    if let Some(frac) = frac_part {
        out.push('.');
        out.push_str(frac);
    }
    Some(out)
}

/// `1.5E3` → `1500`, `2.5e-2` → `0.025`; text without an exponent as is.
fn expand_exponent(text: &str) -> Option<String> {
    let Some((mantissa, exponent)) = text.split_once(['e', 'E']) else {
        return Some(text.to_string());
    };
    let exponent: i32 = exponent.strip_prefix('+').unwrap_or(exponent).parse().ok()?;
    if exponent.abs() > 30 {
        return None;
    }
    let (sign, mantissa) = match mantissa.strip_prefix(['-', '+']) {
        Some(rest) => (&mantissa[..1], rest),
        None => ("", mantissa),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() || !(int_part.bytes().chain(frac_part.bytes())).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{int_part}{frac_part}");
    let point = int_part.len() as i32 + exponent;
    let sign = if sign == "-" { "-" } else { "" };
    let body = if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        format!("{}.{}", &digits[..point as usize], &digits[point as usize..])
    };
    Some(format!("{sign}{body}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(text: &str) -> Result<i64, QuantityError> {
        parse_quantity(text).map(Fixed4::units)
    }

    #[test]
    fn the_forms_people_and_vendors_write() {
        assert_eq!(units("1234.5"), Ok(12_345_000));
        assert_eq!(units(" 1,234.5 "), Ok(12_345_000));
        assert_eq!(units("1,234,567"), Ok(12_345_670_000));
        assert_eq!(units("１２３"), Ok(1_230_000));
        assert_eq!(units("+3"), Ok(30_000));
        assert_eq!(units("0"), Ok(0));
        assert_eq!(units("-0"), Ok(0));
        assert_eq!(units("1.2345E3"), Ok(12_345_000));
        assert_eq!(units("2.5e-2"), Ok(250));
        assert_eq!(units("0.0001"), Ok(1));
    }

    #[test]
    fn what_is_not_a_quantity() {
        assert_eq!(units(""), Err(QuantityError::Missing));
        assert_eq!(units("abc"), Err(QuantityError::NotANumber));
        assert_eq!(units("1,23"), Err(QuantityError::NotANumber));
        assert_eq!(units("12,345,67.5"), Err(QuantityError::NotANumber));
        assert_eq!(units("1.2.3"), Err(QuantityError::NotANumber));
        assert_eq!(units("NaN"), Err(QuantityError::NotANumber));
        assert_eq!(units("1e999"), Err(QuantityError::NotANumber));
        assert_eq!(units("-5"), Err(QuantityError::Negative));
        assert_eq!(units("-1,000"), Err(QuantityError::Negative));
        assert_eq!(units("0.00001"), Err(QuantityError::TooManyDecimals));
        assert_eq!(units("99999999999999999999"), Err(QuantityError::OutOfRange));
    }

    #[test]
    fn the_largest_quantity_is_just_below_a_trillion() {
        assert_eq!(units("999999999999.9999"), Ok(MAX_QUANTITY.units()));
        assert_eq!(units("999,999,999,999.9999"), Ok(MAX_QUANTITY.units()));
        assert_eq!(units("1000000000000"), Err(QuantityError::OutOfRange));
        assert_eq!(units("1E12"), Err(QuantityError::OutOfRange));
        assert_eq!(units("922337203685477.5807"), Err(QuantityError::OutOfRange));
        assert_eq!(QuantityError::OutOfRange.to_string(), "用量超出允许范围");
    }
}
