//! The web form validates customers before the server does and must say the
//! same words (issue: "messages in Chinese identical to the server's rules").
//! Every Chinese string literal in the customer rules must appear verbatim in
//! the UI's port of them.

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

/// `status::automatic_reason`: written by `receivables.daily`, read on the timeline.
const SYSTEM_REASONS: &[&str] = &["逾期账单已全部结清", "账单逾期 "];

#[test]
fn every_customer_rule_message_appears_in_the_web_rules() {
    let root = crate_dir();
    let web = std::fs::read_to_string(root.join("../../web/src/utils/customer-rules.ts"))
        .expect("web/src/utils/customer-rules.ts exists");
    let mut missing = Vec::new();
    let mut checked = 0;
    for file in ["fields.rs", "profile.rs", "status.rs", "normalize.rs", "credit_code.rs"] {
        let source = std::fs::read_to_string(root.join("src/customer").join(file)).expect("domain source");
        for literal in chinese_literals(&source) {
            // Dictionary values (synonyms in match arms) are data, not messages;
            // the reasons the system writes on its own moves are shown from the
            // history as stored, never produced by the UI.
            if literal.chars().count() <= 6 || SYSTEM_REASONS.iter().any(|r| literal.contains(r)) {
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

/// The Chinese fragments of a message, split at its `{…}` placeholders: the
/// UI builds the same message with template literals.
fn fragments(literal: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = literal;
    while let Some(open) = rest.find('{') {
        parts.push(rest[..open].to_string());
        rest = rest[open..].find('}').map_or("", |close| &rest[open + close + 1..]);
    }
    parts.push(rest.to_string());
    parts
        .into_iter()
        .filter(|p| p.chars().filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c)).count() >= 2)
        .collect()
}

/// The messages of `files` under `src/{dir}` whose Chinese fragments (longer
/// than `data_chars`, so labels and dictionary words are left out) the web
/// rules file does not contain verbatim; `skip` leaves out messages the UI
/// cannot produce. Returns how many fragments were checked and the misses.
fn unmirrored(web_rules: &str, dir: &str, files: &[&str], data_chars: usize, skip: &[&str]) -> (usize, Vec<String>) {
    let root = crate_dir();
    let web = std::fs::read_to_string(root.join("../../web/src/utils").join(web_rules))
        .unwrap_or_else(|_| panic!("web/src/utils/{web_rules} exists"));
    let mut missing = Vec::new();
    let mut checked = 0;
    for file in files {
        let source = std::fs::read_to_string(root.join("src").join(dir).join(file)).expect("domain source");
        for literal in chinese_literals(&source) {
            if skip.iter().any(|s| literal.contains(s)) {
                continue;
            }
            for fragment in fragments(&literal) {
                if fragment.chars().count() <= data_chars {
                    continue;
                }
                checked += 1;
                if !web.contains(&fragment) {
                    missing.push(format!("{file}: {literal}"));
                }
            }
        }
    }
    (checked, missing)
}

/// Messages about a rule's shape as JSON (a list where an object belongs, a
/// number sent as a number, a flat rule with tiers…) that the editor cannot
/// produce: it always sends well-formed rules with string values and a fixed
/// unbounded last tier.
const STRUCTURAL: &[&str] = &[
    "须以字符串提交",
    "不能是 JSON 数字",
    "应为 flat（单层定价）",
    "的单价填写在各阶梯中",
    "单层定价不设阶梯",
    "最后一个阶梯不能设上限",
    "未知的计价模式",
    "计价规则格式不正确",
    "阶梯应为列表",
    "阶梯格式不正确",
];

#[test]
fn every_pricing_input_message_appears_in_the_web_rules() {
    // Mode names and field labels are data, checked as part of messages.
    let (checked, missing) = unmirrored("pricing-rules.ts", "pricing", &["raw.rs", "rule.rs"], 4, STRUCTURAL);
    assert!(
        checked >= 8,
        "found only {checked} messages: is the scan still reading the rules?"
    );
    assert!(
        missing.is_empty(),
        "pricing messages the UI does not show verbatim:\n{}",
        missing.join("\n")
    );
}

/// Usage messages about what only the server knows (who the account is,
/// the customer's status, the configured limit, a collection's day, records
/// of other sources already there) or what the entry form cannot send (no
/// customer chosen is a required field).
const SERVER_ONLY_USAGE: &[&str] = &[
    "未知账号",
    "客户账号已注销",
    "超出合理上限",
    "采集日期为",
    "未提供客户或平台账号",
    "已有其他来源的记录",
];

#[test]
fn every_usage_input_message_appears_in_the_web_rules() {
    // Reason labels are data (the UI's locale maps codes to them).
    let (checked, missing) = unmirrored(
        "usage-rules.ts",
        "usage",
        &["mod.rs", "quantity.rs"],
        6,
        SERVER_ONLY_USAGE,
    );
    assert!(
        checked >= 6,
        "found only {checked} messages: is the scan still reading the rules?"
    );
    assert!(
        missing.is_empty(),
        "usage messages the UI does not show verbatim:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_bill_input_message_appears_in_the_web_rules() {
    // Manual lines, credit notes and reasons (lines.rs); the status rules the
    // dialogs apply before a click (status.rs). Warnings are the server's own
    // findings and are shown as sent. Labels (数量, 单价, 出账, 作废…) are data.
    let (checked, missing) = unmirrored("bill-rules.ts", "billing", &["lines.rs", "status.rs"], 3, &[]);
    assert!(
        checked >= 8,
        "found only {checked} messages: is the scan still reading the rules?"
    );
    assert!(
        missing.is_empty(),
        "bill messages the UI does not show verbatim:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_payment_input_message_appears_in_the_web_rules() {
    // The receipt form's checks (input.rs) and the workbench's (allocation.rs).
    // Method labels and their synonyms (银行转账, 支付宝转账…) are data.
    let (checked, missing) = unmirrored("payment-rules.ts", "payments", &["input.rs", "allocation.rs"], 5, &[]);
    assert!(
        checked >= 12,
        "found only {checked} messages: is the scan still reading the rules?"
    );
    assert!(
        missing.is_empty(),
        "payment messages the UI does not show verbatim:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_settings_input_message_appears_in_the_web_rules() {
    // A job name the page never sends wrong, and a stored value's own check,
    // are the server's to say. Labels (公司名称…) are data, checked in messages.
    let (checked, missing) = unmirrored(
        "settings-rules.ts",
        "",
        &["settings.rs"],
        4,
        &["的定时任务", "用量阈值无效"],
    );
    assert!(
        checked >= 4,
        "found only {checked} messages: is the scan still reading the rules?"
    );
    assert!(
        missing.is_empty(),
        "settings messages the UI does not show verbatim:\n{}",
        missing.join("\n")
    );
    // The schedule and time-zone messages are shared constants of jobs.rs.
    let web = std::fs::read_to_string(crate_dir().join("../../web/src/utils/settings-rules.ts")).expect("web rules");
    for message in [
        opcms_domain::jobs::INVALID_CRON,
        opcms_domain::jobs::UNKNOWN_TIMEZONE,
        opcms_domain::notify::REMINDER_DAYS_MESSAGE,
        opcms_domain::analytics::CHURN_DROP_PCT_MESSAGE,
        opcms_domain::analytics::CHURN_IDLE_DAYS_MESSAGE,
        opcms_domain::analytics::CONTRACT_ENDING_DAYS_MESSAGE,
    ] {
        assert!(web.contains(message), "the UI does not show verbatim: {message}");
    }
}

/// The crate's directory as cargo gives it to the running test, not as it
/// was at compile time: checkouts that share a target directory reuse each
/// other's test binaries, and these tests read the sources beside them.
fn crate_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| env!("CARGO_MANIFEST_DIR").into(), Into::into)
}
