//! 人民币大写金额: an amount written in Chinese financial capitals, as on
//! invoices, bills and bank forms (壹仟零伍元整).
//!
//! Conventions (中国人民银行《支付结算办法》附件《正确填写票据和结算凭证的基本规定》,
//! choosing one form where it allows two):
//! - The amount is first rounded half-up (四舍五入) to 0.01, as every amount
//!   (DESIGN.md §2); a leading 1 is written 壹拾, never a bare 拾 (¥15 → 壹拾伍元整).
//! - 「整」 follows 元 when there are no 角 and no 分 (¥1005.00 → 壹仟零伍元整).
//!   The rules allow 整 after 角 or not; we do not write it (¥10.50 → 壹拾元零伍角),
//!   and never after 分.
//! - Zeros inside the number become one 零 however many there are
//!   (¥6007 → 陆仟零柒元整, ¥100010000 → 壹亿零壹万元整); trailing zeros are silent.
//! - Where the rules make a 零 optional (a zero in the 万 or 元 place before a
//!   non-zero 千 or 角), we write it: ¥107000.53 → 壹拾万零柒仟元零伍角叁分,
//!   ¥100000.10 → 壹拾万元零壹角, ¥1680.32 → 壹仟陆佰捌拾元零叁角贰分,
//!   ¥1234567890.12 → 壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元零壹角贰分.
//! - 角 zero and 分 not: 零 after 元 (¥325.04 → 叁佰贰拾伍元零肆分).
//! - Below one yuan there is no 元: ¥0.05 → 伍分, ¥0.50 → 伍角; zero is 零元整.
//! - A negative amount is prefixed 负 (−¥12.30 → 负壹拾贰元叁角); one that rounds
//!   to zero is plain 零元整.
//! - Groups above 亿 repeat the units: ¥10¹² → 壹万亿元整, ¥10¹⁶ → 壹亿亿元整.

use rust_decimal::Decimal;

use crate::money::round_to_cents;

const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
const PLACES: [&str; 4] = ["", "拾", "佰", "仟"];

const WAN: u128 = 10_000;
const YI: u128 = 100_000_000;

/// The amount in 人民币大写, e.g. `1005.00` → `壹仟零伍元整`. See the module
/// documentation for the conventions.
pub fn amount_in_chinese_capitals(amount: Decimal) -> String {
    let rounded = round_to_cents(amount);
    // After rounding the scale is at most 2, so the mantissa times a power of
    // ten is the amount in fen; even Decimal::MAX × 100 fits in u128.
    let scale = rounded.scale().min(2);
    let fen = rounded.mantissa().unsigned_abs() * 10u128.pow(2 - scale);
    if fen == 0 {
        return "零元整".to_owned();
    }

    let yuan = fen / 100;
    let jiao = (fen / 10 % 10) as usize;
    let fen = (fen % 10) as usize;

    let mut out = String::new();
    if rounded.is_sign_negative() {
        out.push('负');
    }
    if yuan > 0 {
        write_integer(&mut out, yuan);
        out.push('元');
    }
    if jiao == 0 && fen == 0 {
        out.push('整');
        return out;
    }
    if jiao > 0 {
        if yuan > 0 && yuan.is_multiple_of(10) {
            out.push('零');
        }
        out.push(DIGITS[jiao]);
        out.push('角');
    } else if yuan > 0 {
        out.push('零');
    }
    if fen > 0 {
        out.push(DIGITS[fen]);
        out.push('分');
    }
    out
}

/// Writes a positive integer: 亿 and 万 split it into groups, each written by
/// `write_group`; zeros between two groups become one 零.
fn write_integer(out: &mut String, n: u128) {
    debug_assert!(n > 0);
    for (unit, word, gap) in [(YI, '亿', YI / 10), (WAN, '万', WAN / 10)] {
        if n >= unit {
            let high = n / unit;
            write_integer(out, high);
            out.push(word);
            let rest = n % unit;
            if rest > 0 {
                // Zeros right below the unit (1001 万 → …零…) or right above it
                // (10 万 1000 → 壹拾万零壹仟) are read as one 零.
                if rest < gap || high.is_multiple_of(10) {
                    out.push('零');
                }
                write_integer(out, rest);
            }
            return;
        }
    }
    write_group(out, n as usize);
}

/// Writes 1..=9999 with 零 for inner zeros (1005 → 壹仟零伍, 1010 → 壹仟零壹拾).
fn write_group(out: &mut String, n: usize) {
    let digits = [n / 1000, n / 100 % 10, n / 10 % 10, n % 10];
    let mut started = false;
    let mut pending_zero = false;
    for (index, &digit) in digits.iter().enumerate() {
        if digit == 0 {
            pending_zero |= started;
            continue;
        }
        if pending_zero {
            out.push('零');
            pending_zero = false;
        }
        started = true;
        out.push(DIGITS[digit]);
        out.push_str(PLACES[3 - index]);
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn words(text: &str) -> String {
        amount_in_chinese_capitals(Decimal::from_str(text).unwrap())
    }

    #[test]
    fn zero_and_small_amounts() {
        assert_eq!(words("0"), "零元整");
        assert_eq!(words("0.00"), "零元整");
        assert_eq!(words("0.05"), "伍分");
        assert_eq!(words("0.5"), "伍角");
        assert_eq!(words("0.50"), "伍角");
        assert_eq!(words("0.56"), "伍角陆分");
        assert_eq!(words("0.01"), "壹分");
        assert_eq!(words("1"), "壹元整");
        assert_eq!(words("9.99"), "玖元玖角玖分");
    }

    #[test]
    fn tens_always_carry_a_digit() {
        assert_eq!(words("10.00"), "壹拾元整");
        assert_eq!(words("15"), "壹拾伍元整");
        assert_eq!(words("110"), "壹佰壹拾元整");
        assert_eq!(words("100000"), "壹拾万元整");
        assert_eq!(words("1100000"), "壹佰壹拾万元整");
    }

    #[test]
    fn jiao_and_fen() {
        assert_eq!(words("10.50"), "壹拾元零伍角");
        assert_eq!(words("12.50"), "壹拾贰元伍角");
        assert_eq!(words("10.05"), "壹拾元零伍分");
        assert_eq!(words("325.04"), "叁佰贰拾伍元零肆分");
        assert_eq!(words("16409.02"), "壹万陆仟肆佰零玖元零贰分");
        assert_eq!(words("1409.50"), "壹仟肆佰零玖元伍角");
        assert_eq!(words("6007.14"), "陆仟零柒元壹角肆分");
        assert_eq!(words("1680.32"), "壹仟陆佰捌拾元零叁角贰分");
        assert_eq!(words("100000.10"), "壹拾万元零壹角");
        assert_eq!(words("40000.04"), "肆万元零肆分");
    }

    #[test]
    fn zeros_inside_the_number() {
        assert_eq!(words("101"), "壹佰零壹元整");
        assert_eq!(words("1005.00"), "壹仟零伍元整");
        assert_eq!(words("1010"), "壹仟零壹拾元整");
        assert_eq!(words("1001"), "壹仟零壹元整");
        assert_eq!(words("10001"), "壹万零壹元整");
        assert_eq!(words("10010"), "壹万零壹拾元整");
        assert_eq!(words("10100"), "壹万零壹佰元整");
        assert_eq!(words("11000"), "壹万壹仟元整");
        assert_eq!(words("101000"), "壹拾万零壹仟元整");
        assert_eq!(words("107000.53"), "壹拾万零柒仟元零伍角叁分");
        assert_eq!(words("1000100"), "壹佰万零壹佰元整");
        assert_eq!(words("20000000"), "贰仟万元整");
        assert_eq!(words("20300000"), "贰仟零叁拾万元整");
    }

    #[test]
    fn yi_and_above() {
        assert_eq!(words("100000000"), "壹亿元整");
        assert_eq!(words("100000001"), "壹亿零壹元整");
        assert_eq!(words("100010000"), "壹亿零壹万元整");
        assert_eq!(words("110000000"), "壹亿壹仟万元整");
        assert_eq!(
            words("1234567890.12"),
            "壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元零壹角贰分"
        );
        assert_eq!(words("1000000000000"), "壹万亿元整");
        assert_eq!(words("1000200000000"), "壹万零贰亿元整");
        assert_eq!(words("10000000000000000"), "壹亿亿元整");
    }

    #[test]
    fn rounds_half_up_to_cents_first() {
        assert_eq!(words("0.004"), "零元整");
        assert_eq!(words("0.005"), "壹分");
        assert_eq!(words("9.995"), "壹拾元整");
        assert_eq!(words("1.2345"), "壹元贰角叁分");
        assert_eq!(words("99999.999"), "壹拾万元整");
    }

    #[test]
    fn negatives() {
        assert_eq!(words("-12.30"), "负壹拾贰元叁角");
        assert_eq!(words("-0.05"), "负伍分");
        assert_eq!(words("-1005"), "负壹仟零伍元整");
        assert_eq!(words("-0.004"), "零元整");
    }

    #[test]
    fn the_largest_decimal_does_not_overflow() {
        let text = amount_in_chinese_capitals(Decimal::MAX);
        assert!(text.starts_with("柒万玖仟贰佰贰拾捌亿"), "{text}");
        assert!(text.ends_with("元整"), "{text}");
        let negative = amount_in_chinese_capitals(Decimal::MIN);
        assert_eq!(negative, format!("负{text}"));
    }

    #[test]
    fn every_amount_up_to_a_hundred_thousand_reads_back() {
        // Independent parser of the produced text: a wrong place name, a missing
        // unit or a misplaced 零 would change the value read back.
        for cents in (0..10_000_000u64).step_by(997) {
            let amount = Decimal::new(cents as i64, 2);
            let text = amount_in_chinese_capitals(amount);
            assert_eq!(read_back(&text), cents, "{amount} → {text}");
            assert!(!text.contains("零零"), "{amount} → {text}");
            assert!(!text.starts_with('零') || text == "零元整", "{amount} → {text}");
        }
    }

    /// Parses capitals below 亿 back into fen (角 and 分 add to the fen total).
    fn read_back(text: &str) -> u64 {
        let mut total = 0u64;
        let mut section = 0u64;
        let mut digit = 0u64;
        for ch in text.chars() {
            if let Some(d) = DIGITS.iter().position(|&c| c == ch) {
                digit = d as u64;
                continue;
            }
            match ch {
                '拾' => section += digit * 10,
                '佰' => section += digit * 100,
                '仟' => section += digit * 1000,
                '万' => {
                    total += (section + digit) * 10_000;
                    section = 0;
                }
                '元' => {
                    total = (total + section + digit) * 100;
                    section = 0;
                }
                '角' => total += digit * 10,
                '分' => total += digit,
                '整' => {}
                other => panic!("unexpected {other} in {text}"),
            }
            digit = 0;
        }
        total
    }
}
