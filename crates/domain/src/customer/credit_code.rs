//! 统一社会信用代码 (Unified Social Credit Identifier), GB 32100-2015:
//! 18 characters from a 31-symbol alphabet, the last one a check character.

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters, or None when one of
/// them is outside the alphabet.
pub fn check_character(first17: &[u8]) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, weight) in first17.iter().zip(WEIGHTS) {
        sum += value_of(*c)? * weight;
    }
    let check = (31 - sum % 31) % 31;
    Some(ALPHABET[check as usize] as char)
}

/// Whether an (uppercased) code is 18 characters with a correct check character.
pub fn is_valid(code: &str) -> bool {
    let bytes = code.as_bytes();
    bytes.len() == 18 && check_character(&bytes[..17]).is_some_and(|c| c as u8 == bytes[17])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_codes_validate() {
        // Codes printed on public business licences.
        for code in ["91350100M000100Y43", "9144030071526726XG"] {
            assert!(is_valid(code), "{code}");
        }
    }

    #[test]
    fn a_changed_character_breaks_the_check() {
        assert!(!is_valid("91350100M000100Y44"));
        assert!(!is_valid("91350100M000100Y4"));
        assert!(!is_valid("91350100M0001O0Y43"), "O is not in the alphabet");
    }
}
