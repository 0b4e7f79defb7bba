//! Text normalization applied before any customer rule (DESIGN.md §3): trim
//! ASCII and full-width spaces, fold full-width digits, letters and
//! punctuation to half-width, collapse inner whitespace in names.

/// Full-width ASCII variants (U+FF01–U+FF5E) to their ASCII forms, and the
/// ideographic space (U+3000) to a plain space.
pub fn to_half_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            other => other,
        })
        .collect()
}

/// Half-width, trimmed. Empty becomes None: a blank cell is an absent value.
pub fn clean(text: &str) -> Option<String> {
    let text = to_half_width(text);
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// Like [`clean`], and runs of inner whitespace become one space.
pub fn clean_name(text: &str) -> Option<String> {
    let text = to_half_width(text);
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!collapsed.is_empty()).then_some(collapsed)
}

/// The key two company names are compared by: normalized and case-folded,
/// so「上海ＡＢＣ有限公司」and「上海abc 有限公司 」are the same company.
pub fn name_key(name: &str) -> String {
    clean_name(name).unwrap_or_default().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_characters_and_spaces_are_folded() {
        assert_eq!(clean("\u{3000}ＡＢＣ１２３（北京）\u{3000}").unwrap(), "ABC123(北京)");
    }

    #[test]
    fn blank_is_absent() {
        assert_eq!(clean(" \u{3000}\t"), None);
        assert_eq!(clean_name(""), None);
    }

    #[test]
    fn names_collapse_inner_whitespace() {
        assert_eq!(
            clean_name(" 上海  锦城\u{3000}\u{3000}不动产 ").unwrap(),
            "上海 锦城 不动产"
        );
    }

    #[test]
    fn name_keys_ignore_width_case_and_spacing() {
        assert_eq!(name_key("上海ＡＢＣ  有限公司"), name_key(" 上海abc 有限公司"));
    }
}
