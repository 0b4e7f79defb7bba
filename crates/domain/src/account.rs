//! Rules for staff accounts: usernames, display names, password strength.

use crate::validation::FieldError;

pub const PASSWORD_MIN_LEN: usize = 8;
pub const PASSWORD_MAX_LEN: usize = 128;
pub const PASSWORD_RULE: &str = "密码至少 8 位，且须同时包含字母和数字";

/// 3–32 characters: letters, digits, `_`, `.`, `-`; starts with a letter.
pub fn parse_username(field: &str, raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    let valid = (3..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if valid {
        Ok(name.to_ascii_lowercase())
    } else {
        Err(FieldError::new(
            field,
            "INVALID_USERNAME",
            "用户名须为 3–32 位字母、数字、下划线、点或短横线，并以字母开头",
        ))
    }
}

/// 1–50 characters after trimming (full-width spaces included).
pub fn parse_display_name(field: &str, raw: &str) -> Result<String, FieldError> {
    let name = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}');
    let length = name.chars().count();
    if length == 0 {
        Err(FieldError::new(field, "REQUIRED", "姓名不能为空"))
    } else if length > 50 {
        Err(FieldError::new(field, "TOO_LONG", "姓名不能超过 50 个字符"))
    } else {
        Ok(name.to_string())
    }
}

/// A new password must be 8–128 characters with letters and digits, and may
/// not repeat the username or the current password.
pub fn check_new_password(
    field: &str,
    username: &str,
    new_password: &str,
    current_password: Option<&str>,
) -> Result<(), FieldError> {
    let length = new_password.chars().count();
    let has_letter = new_password.chars().any(|c| c.is_ascii_alphabetic());
    let has_digit = new_password.chars().any(|c| c.is_ascii_digit());
    if length < PASSWORD_MIN_LEN || !has_letter || !has_digit {
        return Err(FieldError::new(field, "PASSWORD_TOO_WEAK", PASSWORD_RULE));
    }
    if length > PASSWORD_MAX_LEN {
        return Err(FieldError::new(field, "PASSWORD_TOO_LONG", "密码不能超过 128 位"));
    }
    if new_password.eq_ignore_ascii_case(username) {
        return Err(FieldError::new(
            field,
            "PASSWORD_EQUALS_USERNAME",
            "密码不能与用户名相同",
        ));
    }
    if current_password == Some(new_password) {
        return Err(FieldError::new(field, "PASSWORD_UNCHANGED", "新密码不能与当前密码相同"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_or_one_class_password_is_too_weak() {
        for weak in ["abc123", "abcdefghij", "1234567890", ""] {
            let err = check_new_password("p", "zhang", weak, None).unwrap_err();
            assert_eq!(err.code, "PASSWORD_TOO_WEAK", "{weak}");
            assert_eq!(err.message, PASSWORD_RULE);
        }
    }

    #[test]
    fn a_password_equal_to_the_username_or_the_current_one_is_refused() {
        assert_eq!(
            check_new_password("p", "zhang123", "Zhang123", None).unwrap_err().code,
            "PASSWORD_EQUALS_USERNAME"
        );
        assert_eq!(
            check_new_password("p", "u", "secret99", Some("secret99"))
                .unwrap_err()
                .code,
            "PASSWORD_UNCHANGED"
        );
        assert!(check_new_password("p", "u", "secret99", Some("secret98")).is_ok());
    }

    #[test]
    fn usernames_are_lowercased_and_restricted() {
        assert_eq!(parse_username("u", " Li.Ming ").unwrap(), "li.ming");
        for bad in ["ab", "1abc", "li ming", "李明", "a'; drop table users;--"] {
            assert!(parse_username("u", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn display_names_are_trimmed_including_full_width_spaces() {
        assert_eq!(parse_display_name("d", "\u{3000}张三 ").unwrap(), "张三");
        assert_eq!(parse_display_name("d", "   ").unwrap_err().code, "REQUIRED");
        assert_eq!(parse_display_name("d", &"字".repeat(51)).unwrap_err().code, "TOO_LONG");
    }
}
