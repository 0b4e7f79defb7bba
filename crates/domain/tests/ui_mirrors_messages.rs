//! The web form validates customers before the server does and must say the
//! same words (issue: "messages in Chinese identical to the server's rules").
//! Every Chinese string literal in the customer rules must appear verbatim in
//! the UI's port of them.

use std::path::Path;

fn chinese_literals(source: &str) -> Vec<String> {
    // Only the rules, not their unit tests.
    let code = source.split("#[cfg(test)]").next().unwrap_or(source);
    let mut literals = Vec::new();
    let mut rest = code;
    while let Some(start) = rest.find('"') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('"') else { break };
        let literal = &after[..end];
        if literal.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
            literals.push(literal.to_string());
        }
        rest = &after[end + 1..];
    }
    literals
}

#[test]
fn every_customer_rule_message_appears_in_the_web_rules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let web = std::fs::read_to_string(root.join("../../web/src/utils/customer-rules.ts"))
        .expect("web/src/utils/customer-rules.ts exists");
    let mut missing = Vec::new();
    let mut checked = 0;
    for file in ["fields.rs", "profile.rs", "status.rs", "normalize.rs", "credit_code.rs"] {
        let source = std::fs::read_to_string(root.join("src/customer").join(file)).expect("domain source");
        for literal in chinese_literals(&source) {
            // Dictionary values (synonyms in match arms) are data, not messages.
            if literal.chars().count() <= 6 {
                continue;
            }
            checked += 1;
            if !web.contains(&literal) {
                missing.push(format!("{file}: {literal}"));
            }
        }
    }
    assert!(
        checked >= 20,
        "found only {checked} messages: is the scan still reading the rules?"
    );
    assert!(
        missing.is_empty(),
        "messages the UI does not show verbatim:\n{}",
        missing.join("\n")
    );
}
