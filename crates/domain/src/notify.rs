//! Notifications (提醒与通知, DESIGN.md §17): the events, the channels, the
//! templates and their variables, the overdue reminder stages and the key
//! that makes each notification unique. The server writes the outbox rows
//! and sends them; what is sent, to whom and how often is decided here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::validation::{FieldError, FieldErrors};

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Event {
    #[serde(rename = "bill.issued")]
    BillIssued,
    #[serde(rename = "bill.overdue")]
    BillOverdue,
    #[serde(rename = "customer.suspended")]
    CustomerSuspended,
    #[serde(rename = "payment.received")]
    PaymentReceived,
    /// To each sales owner: the overdue bills of their customers.
    #[serde(rename = "digest.sales")]
    SalesDigest,
    /// To operations: quarantined usage and failed jobs.
    #[serde(rename = "digest.operations")]
    OperationsDigest,
}

impl Event {
    pub const ALL: [Event; 6] = [
        Event::BillIssued,
        Event::BillOverdue,
        Event::CustomerSuspended,
        Event::PaymentReceived,
        Event::SalesDigest,
        Event::OperationsDigest,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Event::BillIssued => "bill.issued",
            Event::BillOverdue => "bill.overdue",
            Event::CustomerSuspended => "customer.suspended",
            Event::PaymentReceived => "payment.received",
            Event::SalesDigest => "digest.sales",
            Event::OperationsDigest => "digest.operations",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Event::BillIssued => "账单出账通知",
            Event::BillOverdue => "逾期提醒",
            Event::CustomerSuspended => "停机通知",
            Event::PaymentReceived => "收款确认",
            Event::SalesDigest => "销售逾期摘要",
            Event::OperationsDigest => "运营日报",
        }
    }

    pub fn parse(code: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.code() == code)
    }

    /// Sent to staff accounts rather than to customers.
    pub fn to_staff(self) -> bool {
        matches!(self, Event::SalesDigest | Event::OperationsDigest)
    }

    /// The variables a template of this event may use.
    pub fn variables(self) -> &'static [&'static str] {
        const BILL: &[&str] = &[
            "customer_name",
            "customer_code",
            "bill_no",
            "period",
            "total",
            "outstanding",
            "due_date",
            "company_name",
            "company_phone",
            "bank_name",
            "bank_account",
        ];
        const OVERDUE: &[&str] = &[
            "customer_name",
            "customer_code",
            "bill_no",
            "period",
            "total",
            "outstanding",
            "due_date",
            "days_overdue",
            "company_name",
            "company_phone",
            "bank_name",
            "bank_account",
        ];
        match self {
            Event::BillIssued => BILL,
            Event::BillOverdue => OVERDUE,
            Event::CustomerSuspended => &[
                "customer_name",
                "customer_code",
                "outstanding",
                "days_overdue",
                "company_name",
                "company_phone",
                "bank_name",
                "bank_account",
            ],
            Event::PaymentReceived => &[
                "customer_name",
                "customer_code",
                "amount",
                "received_on",
                "outstanding",
                "company_name",
                "company_phone",
            ],
            Event::SalesDigest => &["user_name", "date", "count", "outstanding", "items", "company_name"],
            Event::OperationsDigest => &["user_name", "date", "count", "items", "company_name"],
        }
    }

    /// Whether the settings send this event at all.
    pub fn enabled(self, events: &NotificationEvents) -> bool {
        match self {
            Event::BillIssued => events.bill_issued,
            Event::BillOverdue => events.bill_overdue,
            Event::CustomerSuspended => events.customer_suspended,
            Event::PaymentReceived => events.payment_received,
            Event::SalesDigest | Event::OperationsDigest => events.staff_digests,
        }
    }
}

/// How a notification travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::Email, Channel::Sms];

    pub fn code(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Channel::Email => "邮件",
            Channel::Sms => "短信",
        }
    }

    pub fn parse(code: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The longest body a template of this channel may have (an SMS is
    /// split by the carrier beyond 70 characters; a few parts are fine).
    pub fn body_max(self) -> usize {
        match self {
            Channel::Email => 4000,
            Channel::Sms => 300,
        }
    }

    /// The recipient in its canonical form, or None when it is not an
    /// address of this channel.
    pub fn parse_recipient(self, text: &str) -> Option<String> {
        match self {
            Channel::Email => crate::customer::fields::parse_email(text),
            Channel::Sms => crate::customer::fields::parse_phone(text),
        }
    }

    /// The recipient as people may see it: `z***@example.com`, `138****5678`.
    pub fn mask(self, recipient: &str) -> String {
        match self {
            Channel::Email => match recipient.split_once('@') {
                Some((local, domain)) => {
                    let first: String = local.chars().take(1).collect();
                    format!("{first}***@{domain}")
                }
                None => "***".into(),
            },
            Channel::Sms => {
                let chars: Vec<char> = recipient.chars().collect();
                if chars.len() < 7 {
                    return "***".into();
                }
                let head: String = chars[..3].iter().collect();
                let tail: String = chars[chars.len() - 4..].iter().collect();
                format!("{head}****{tail}")
            }
        }
    }
}

/// Where an outbox row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for the sender (first try or a retry at `next_attempt_at`).
    Queued,
    /// A sender holds it; if its holder died, the outcome is unknown and it
    /// is not sent again by itself (see [`UNKNOWN_OUTCOME`]).
    Sending,
    Sent,
    /// Given up (retries spent, or the outcome unknown): a person may resend.
    Failed,
    /// Never sent, for the reason in `last_error` (no address, opted out,
    /// the bill was paid meanwhile).
    Skipped,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Queued,
        Status::Sending,
        Status::Sent,
        Status::Failed,
        Status::Skipped,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Sending => "sending",
            Status::Sent => "sent",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
        }
    }

    pub fn parse(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// Attempts before a notification is given up: the first and three retries.
pub const MAX_ATTEMPTS: i32 = crate::jobs::MAX_ATTEMPTS;

/// When a notification whose attempt `attempt` (1-based) failed is tried
/// again: the jobs' backoff (1, 5, 25 minutes); None once spent.
pub fn retry_delay(attempt: i32) -> Option<chrono::TimeDelta> {
    crate::jobs::retry_delay(attempt)
}

/// Why a row left in `sending` by a holder that died is not retried: the
/// message may have gone out, and a customer must never get it twice.
pub const UNKNOWN_OUTCOME: &str =
    "发送过程中服务中断，无法确认是否已送达；为避免重复发送未自动重发，如需补发请手动重新发送";

/// Which events are sent (`notification_events` setting).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationEvents {
    pub bill_issued: bool,
    pub bill_overdue: bool,
    pub customer_suspended: bool,
    /// Off by default: customers do not expect a message for every receipt.
    pub payment_received: bool,
    pub staff_digests: bool,
}

impl Default for NotificationEvents {
    fn default() -> Self {
        NotificationEvents {
            bill_issued: true,
            bill_overdue: true,
            customer_suspended: true,
            payment_received: false,
            staff_digests: true,
        }
    }
}

/// Which channels are used (`notification_channels` setting); a channel
/// must also be configured (`[smtp]`, `[sms]`) to send anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationChannels {
    pub email: bool,
    pub sms: bool,
}

impl Default for NotificationChannels {
    fn default() -> Self {
        NotificationChannels { email: true, sms: true }
    }
}

impl NotificationChannels {
    pub fn allows(&self, channel: Channel) -> bool {
        match channel {
            Channel::Email => self.email,
            Channel::Sms => self.sms,
        }
    }
}

/// The default overdue reminder days.
pub const DEFAULT_REMINDER_DAYS: [u32; 4] = [1, 7, 15, 30];
pub const REMINDER_DAYS_MAX_COUNT: usize = 10;
pub const REMINDER_DAYS_MESSAGE: &str = "提醒天数须为 1–365 之间的整数，不重复，最多 10 个";

/// The reminder days as given, sorted; None when one is not a whole number
/// of 1–365 days, one repeats, or there are too many.
pub fn check_reminder_days(values: &[serde_json::Value]) -> Option<Vec<u32>> {
    let mut days: Vec<u32> = values
        .iter()
        .map(|v| v.as_u64().filter(|d| (1..=365).contains(d)).map(|d| d as u32))
        .collect::<Option<_>>()?;
    days.sort_unstable();
    let unique = days.windows(2).all(|w| w[0] != w[1]);
    (unique && days.len() <= REMINDER_DAYS_MAX_COUNT).then_some(days)
}

/// The reminder stage a bill `days_overdue` past due has reached: the
/// largest configured day not after it. One reminder per stage; a stage
/// passed while nothing ran (a long outage) is not sent late on top of the
/// current one.
pub fn overdue_stage(days_overdue: i64, reminder_days: &[u32]) -> Option<u32> {
    reminder_days
        .iter()
        .copied()
        .filter(|day| i64::from(*day) <= days_overdue)
        .max()
}

/// The outbox's unique key: the event, what it is about (`bill:12`,
/// `customer:7`, `user:3`), the stage (an overdue day, a digest's date)
/// and the channel. The same reminder is written at most once, however
/// many times or on however many instances the job runs.
pub fn dedupe_key(event: Event, subject: &str, stage: &str, channel: Channel) -> String {
    format!("{}|{subject}|{stage}|{}", event.code(), channel.code())
}

/// A template: the subject (e-mail only) and the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub subject: Option<String>,
    pub body: String,
}

pub const SUBJECT_MAX: usize = 200;

/// A template text, split into literal text and variables.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Variable(&'a str),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("模板中有未知变量 {{{{{0}}}}}")]
    UnknownVariable(String),
    #[error("模板中的 {{{{ 没有对应的 }}}}")]
    Unclosed,
    #[error("模板中有空的变量 {{{{}}}}")]
    Empty,
}

impl TemplateError {
    pub fn code(&self) -> &'static str {
        match self {
            TemplateError::UnknownVariable(_) => "UNKNOWN_VARIABLE",
            TemplateError::Unclosed => "UNCLOSED_VARIABLE",
            TemplateError::Empty => "EMPTY_VARIABLE",
        }
    }
}

fn pieces(text: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            out.push(Piece::Text(&rest[..start]));
        }
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or(TemplateError::Unclosed)?;
        let name = after[..end].trim();
        if name.is_empty() {
            return Err(TemplateError::Empty);
        }
        out.push(Piece::Variable(name));
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

/// Checks that `text` uses only `event`'s variables.
pub fn check_text(event: Event, text: &str) -> Result<(), TemplateError> {
    for piece in pieces(text)? {
        if let Piece::Variable(name) = piece
            && !event.variables().contains(&name)
        {
            return Err(TemplateError::UnknownVariable(name.to_string()));
        }
    }
    Ok(())
}

/// Fills in the variables; a variable without a value renders empty (the
/// text was checked against the event's variables when it was saved).
pub fn render(text: &str, values: &BTreeMap<&str, String>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(text.len() + 64);
    for piece in pieces(text)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Variable(name) => out.push_str(values.get(name).map(String::as_str).unwrap_or("")),
        }
    }
    Ok(out)
}

/// A template as edited, checked: the subject is required for e-mail and
/// ignored for SMS; every error is named by its field.
pub fn check_template(
    event: Event,
    channel: Channel,
    subject: Option<&str>,
    body: &str,
) -> Result<Template, Vec<FieldError>> {
    let mut errors = FieldErrors::new();
    let subject = match channel {
        Channel::Sms => None,
        Channel::Email => {
            let subject = subject.unwrap_or("").trim();
            if subject.is_empty() {
                errors.push(FieldError::new("subject", "REQUIRED", "请填写邮件主题"));
            } else if subject.chars().count() > SUBJECT_MAX {
                errors.push(FieldError::new(
                    "subject",
                    "TOO_LONG",
                    format!("邮件主题不能超过 {SUBJECT_MAX} 个字符"),
                ));
            } else if subject.contains(['\r', '\n']) {
                errors.push(FieldError::new("subject", "INVALID_SUBJECT", "邮件主题不能换行"));
            } else if let Err(e) = check_text(event, subject) {
                errors.push(FieldError::new("subject", e.code(), e.to_string()));
            }
            Some(subject.to_string())
        }
    };
    let body = body.trim();
    if body.is_empty() {
        errors.push(FieldError::new("body", "REQUIRED", "请填写通知内容"));
    } else if body.chars().count() > channel.body_max() {
        errors.push(FieldError::new(
            "body",
            "TOO_LONG",
            format!("{}内容不能超过 {} 个字符", channel.label(), channel.body_max()),
        ));
    } else if let Err(e) = check_text(event, body) {
        errors.push(FieldError::new("body", e.code(), e.to_string()));
    }
    errors.into_result()?;
    Ok(Template {
        subject,
        body: body.to_string(),
    })
}

/// What each variable means, for the template editor.
pub fn variable_label(name: &str) -> &'static str {
    match name {
        "customer_name" => "客户名称",
        "customer_code" => "客户编号",
        "bill_no" => "账单号",
        "period" => "账期",
        "total" => "账单金额",
        "outstanding" => "未付金额",
        "due_date" => "到期日",
        "days_overdue" => "逾期天数",
        "company_name" => "本公司名称",
        "company_phone" => "本公司电话",
        "bank_name" => "开户银行",
        "bank_account" => "银行账号",
        "amount" => "收款金额",
        "received_on" => "收款日期",
        "user_name" => "员工姓名",
        "date" => "日期",
        "count" => "条数",
        "items" => "明细",
        _ => "",
    }
}

/// The Chinese default of each event and channel.
pub fn default_template(event: Event, channel: Channel) -> Template {
    let (subject, email, sms): (&str, &str, &str) = match event {
        Event::BillIssued => (
            "{{company_name}}：{{period}} 账单 {{bill_no}} 已出具",
            "尊敬的{{customer_name}}：\n\n您 {{period}} 的账单 {{bill_no}} 已出具，应付金额 {{total}} 元，请于 {{due_date}} 前付款。账单 PDF 见附件。\n\n收款账户：{{bank_name}} {{bank_account}}\n如有疑问，请致电 {{company_phone}}。\n\n{{company_name}}",
            "【{{company_name}}】{{customer_name}}，您{{period}}账单{{bill_no}}应付{{total}}元，请于{{due_date}}前付款。",
        ),
        Event::BillOverdue => (
            "{{company_name}}：账单 {{bill_no}} 已逾期 {{days_overdue}} 天",
            "尊敬的{{customer_name}}：\n\n您 {{period}} 的账单 {{bill_no}}（金额 {{total}} 元）已于 {{due_date}} 到期，现已逾期 {{days_overdue}} 天，尚未支付 {{outstanding}} 元。请尽快付款，以免影响服务。\n\n收款账户：{{bank_name}} {{bank_account}}\n如已付款，请忽略本提醒；如有疑问，请致电 {{company_phone}}。\n\n{{company_name}}",
            "【{{company_name}}】{{customer_name}}，您的账单{{bill_no}}已逾期{{days_overdue}}天，未付{{outstanding}}元，请尽快付款。如已付款请忽略。",
        ),
        Event::CustomerSuspended => (
            "{{company_name}}：您的服务已暂停",
            "尊敬的{{customer_name}}：\n\n因账单逾期 {{days_overdue}} 天未付（未付金额 {{outstanding}} 元），您的服务已暂停。付清欠款后服务将自动恢复。\n\n收款账户：{{bank_name}} {{bank_account}}\n如有疑问，请致电 {{company_phone}}。\n\n{{company_name}}",
            "【{{company_name}}】{{customer_name}}，因欠费{{outstanding}}元逾期未付，您的服务已暂停，付清后自动恢复。",
        ),
        Event::PaymentReceived => (
            "{{company_name}}：已收到您的付款 {{amount}} 元",
            "尊敬的{{customer_name}}：\n\n我们已于 {{received_on}} 收到您的付款 {{amount}} 元，谢谢！目前尚未支付 {{outstanding}} 元。\n\n{{company_name}}",
            "【{{company_name}}】{{customer_name}}，已收到您{{received_on}}的付款{{amount}}元，谢谢！",
        ),
        Event::SalesDigest => (
            "逾期客户摘要（{{date}}）：{{count}} 张账单未付",
            "{{user_name}}，您好：\n\n截至 {{date}}，您负责的客户有 {{count}} 张账单逾期未付，合计 {{outstanding}} 元：\n\n{{items}}\n\n请及时跟进回款。\n\n{{company_name}} OP_CMS",
            "【{{company_name}}】{{user_name}}，截至{{date}}您的客户有{{count}}张逾期账单，合计{{outstanding}}元，请及时跟进。",
        ),
        Event::OperationsDigest => (
            "运营日报（{{date}}）：{{count}} 项待处理",
            "{{user_name}}，您好：\n\n截至 {{date}}，有 {{count}} 项需要处理：\n\n{{items}}\n\n{{company_name}} OP_CMS",
            "【{{company_name}}】{{user_name}}，截至{{date}}有{{count}}项待处理（隔离用量或失败任务），请登录系统查看。",
        ),
    };
    match channel {
        Channel::Email => Template {
            subject: Some(subject.into()),
            body: email.into(),
        },
        Channel::Sms => Template {
            subject: None,
            body: sms.into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&'static str, &str)]) -> BTreeMap<&'static str, String> {
        pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
    }

    #[test]
    fn every_default_template_uses_only_its_events_variables() {
        for event in Event::ALL {
            for channel in Channel::ALL {
                let t = default_template(event, channel);
                let checked = check_template(event, channel, t.subject.as_deref(), &t.body);
                assert!(checked.is_ok(), "{event:?} {channel:?}: {checked:?}");
                for name in event.variables() {
                    assert!(!variable_label(name).is_empty(), "{name} has no label");
                }
            }
        }
    }

    #[test]
    fn rendering_fills_variables_with_or_without_spaces() {
        let text = "{{customer_name}}，账单{{ bill_no }}逾期{{days_overdue}}天";
        let out = render(
            text,
            &values(&[
                ("customer_name", "甲公司"),
                ("bill_no", "B202611-0001"),
                ("days_overdue", "7"),
            ]),
        )
        .unwrap();
        assert_eq!(out, "甲公司，账单B202611-0001逾期7天");
        assert_eq!(
            render("单个 { 括号 } 不是变量", &BTreeMap::new()).unwrap(),
            "单个 { 括号 } 不是变量"
        );
    }

    #[test]
    fn an_unknown_or_broken_variable_is_named() {
        let err = check_text(Event::BillIssued, "您好 {{days_overdue}}").unwrap_err();
        assert_eq!(err.to_string(), "模板中有未知变量 {{days_overdue}}");
        assert_eq!(err.code(), "UNKNOWN_VARIABLE");
        assert_eq!(check_text(Event::BillOverdue, "逾期 {{days_overdue}} 天"), Ok(()));
        assert_eq!(
            check_text(Event::BillOverdue, "逾期 {{days_overdue 天"),
            Err(TemplateError::Unclosed)
        );
        assert_eq!(check_text(Event::BillOverdue, "{{ }}"), Err(TemplateError::Empty));
        let errors = check_template(Event::BillOverdue, Channel::Email, Some(""), "{{nope}}").unwrap_err();
        let named: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(named, [("subject", "REQUIRED"), ("body", "UNKNOWN_VARIABLE")]);
        assert_eq!(errors[1].message, "模板中有未知变量 {{nope}}");
    }

    #[test]
    fn sms_templates_have_no_subject_and_a_short_body() {
        let t = check_template(Event::BillIssued, Channel::Sms, Some("ignored"), " 出账了 ").unwrap();
        assert_eq!(
            t,
            Template {
                subject: None,
                body: "出账了".into()
            }
        );
        let long = "字".repeat(301);
        let errors = check_template(Event::BillIssued, Channel::Sms, None, &long).unwrap_err();
        assert_eq!(errors[0].message, "短信内容不能超过 300 个字符");
        let errors = check_template(Event::BillIssued, Channel::Email, Some("a\nb"), "x").unwrap_err();
        assert_eq!(errors[0].code, "INVALID_SUBJECT");
    }

    #[test]
    fn the_stage_is_the_latest_reminder_day_reached() {
        let days = DEFAULT_REMINDER_DAYS;
        assert_eq!(overdue_stage(0, &days), None);
        assert_eq!(overdue_stage(1, &days), Some(1));
        assert_eq!(overdue_stage(6, &days), Some(1));
        assert_eq!(overdue_stage(7, &days), Some(7));
        assert_eq!(overdue_stage(29, &days), Some(15));
        assert_eq!(overdue_stage(400, &days), Some(30));
        assert_eq!(overdue_stage(5, &[]), None);
    }

    #[test]
    fn reminder_days_are_checked_and_sorted() {
        use serde_json::json;
        let check = |v: serde_json::Value| check_reminder_days(v.as_array().unwrap());
        assert_eq!(check(json!([15, 1, 7])), Some(vec![1, 7, 15]));
        assert_eq!(check(json!([])), Some(vec![]));
        assert_eq!(check(json!([0])), None);
        assert_eq!(check(json!([366])), None);
        assert_eq!(check(json!([7, 7])), None);
        assert_eq!(check(json!(["7"])), None);
        assert_eq!(check(json!([1.5])), None);
        assert_eq!(check(json!((1..=11).collect::<Vec<_>>())), None);
    }

    #[test]
    fn recipients_are_masked() {
        assert_eq!(Channel::Email.mask("zhang@example.com"), "z***@example.com");
        assert_eq!(Channel::Sms.mask("13812345678"), "138****5678");
        assert_eq!(Channel::Sms.mask("123"), "***");
        assert_eq!(
            Channel::Email.parse_recipient(" A@Example.COM "),
            Some("A@example.com".into())
        );
        assert_eq!(Channel::Sms.parse_recipient("not a phone"), None);
    }

    #[test]
    fn the_dedupe_key_names_event_subject_stage_and_channel() {
        assert_eq!(
            dedupe_key(Event::BillOverdue, "bill:12", "7", Channel::Email),
            "bill.overdue|bill:12|7|email"
        );
    }
}
