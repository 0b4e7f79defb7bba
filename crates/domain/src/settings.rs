//! Business settings (系统设置, DESIGN.md §18): every key, its default and
//! the rule its value must follow. The server stores each key as a JSON value
//! and reads them back through [`Settings::from_stored`]; `PUT /settings`
//! goes through [`Settings::apply`], so a value that breaks a rule never
//! reaches the table.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::analytics::{CHURN_DROP_PCT_MESSAGE, CHURN_IDLE_DAYS_MESSAGE, CONTRACT_ENDING_DAYS_MESSAGE, ChurnRules};
use crate::jobs::{self, Job};
use crate::money::Fixed4;
use crate::notify::{self, NotificationChannels, NotificationEvents};
use crate::usage::{SanityLimits, parse_quantity};
use crate::validation::{FieldError, FieldErrors};

/// 公司信息: printed on bills and statements.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CompanyInfo {
    pub name: String,
    pub address: String,
    pub phone: String,
    pub tax_id: String,
    pub bank_name: String,
    pub bank_account: String,
    pub payment_note: String,
}

impl CompanyInfo {
    const LABELS: [(&'static str, &'static str); 7] = [
        ("name", "公司名称"),
        ("address", "公司地址"),
        ("phone", "联系电话"),
        ("tax_id", "税号"),
        ("bank_name", "开户银行"),
        ("bank_account", "银行账号"),
        ("payment_note", "付款说明"),
    ];

    fn fields_mut(&mut self) -> [&mut String; 7] {
        [
            &mut self.name,
            &mut self.address,
            &mut self.phone,
            &mut self.tax_id,
            &mut self.bank_name,
            &mut self.bank_account,
            &mut self.payment_note,
        ]
    }
}

/// The longest text a company field may hold.
pub const COMPANY_TEXT_MAX: usize = 200;
/// The largest usage threshold a setting accepts.
pub const USAGE_LIMIT_MAX: Fixed4 = Fixed4::from_units(1_000_000_000 * 10_000);

/// Per-series usage thresholds as the wire carries them: decimal text, or
/// null for no limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct UsageLimitsSetting {
    #[serde(rename = "X")]
    pub x: Option<String>,
    #[serde(rename = "N")]
    pub n: Option<String>,
    #[serde(rename = "L")]
    pub l: Option<String>,
}

/// Every business setting with its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = SettingsView)]
pub struct Settings {
    pub company: CompanyInfo,
    /// The payment terms a new customer gets when none are given (days after
    /// the period ends).
    pub payment_terms_days: u32,
    /// Arrears turn into suspension when a bill is overdue more than this.
    pub suspend_after_days: u32,
    /// `bills.generate` issues the drafts that carry no warning.
    pub auto_issue_clean_bills: bool,
    /// Generation bills trial (试用) customers too.
    pub bill_trial_customers: bool,
    pub usage_limits: UsageLimitsSetting,
    /// Usage of closed customers is discarded instead of quarantined.
    pub usage_discard_closed: bool,
    /// The IANA time zone the job schedules are read in.
    pub timezone: String,
    /// Each job's five-field cron expression.
    pub job_schedules: BTreeMap<String, String>,
    /// Overdue reminders go out this many days after the due date.
    pub reminder_days: Vec<u32>,
    pub notification_channels: NotificationChannels,
    pub notification_events: NotificationEvents,
    /// Churn: last month's usage fell by at least this percentage.
    pub churn_drop_pct: u32,
    /// Churn: no usage in this many days.
    pub churn_idle_days: u32,
    /// Churn: the contract ends within this many days.
    pub contract_ending_days: u32,
    /// `backup.daily` keeps this many archives (DESIGN.md §16).
    pub backup_keep: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            company: CompanyInfo::default(),
            payment_terms_days: crate::customer::profile::DEFAULT_PAYMENT_TERMS_DAYS,
            suspend_after_days: 30,
            auto_issue_clean_bills: false,
            bill_trial_customers: false,
            usage_limits: UsageLimitsSetting::default(),
            usage_discard_closed: false,
            timezone: "Asia/Shanghai".into(),
            job_schedules: Job::ALL
                .into_iter()
                .map(|job| (job.name().to_string(), job.default_schedule().to_string()))
                .collect(),
            reminder_days: notify::DEFAULT_REMINDER_DAYS.to_vec(),
            notification_channels: NotificationChannels::default(),
            notification_events: NotificationEvents::default(),
            churn_drop_pct: ChurnRules::default().drop_pct,
            churn_idle_days: ChurnRules::default().idle_days,
            contract_ending_days: ChurnRules::default().contract_ending_days,
            backup_keep: DEFAULT_BACKUP_KEEP,
        }
    }
}

/// A partial change: only the keys present change. Numbers arrive as any
/// JSON so that `"15"` or `-1` get this module's message, not a parser's.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsUpdate {
    /// Replaces the whole company block (missing members become empty).
    pub company: Option<CompanyInfo>,
    #[schema(value_type = Option<u32>)]
    pub payment_terms_days: Option<Value>,
    #[schema(value_type = Option<u32>)]
    pub suspend_after_days: Option<Value>,
    pub auto_issue_clean_bills: Option<bool>,
    pub bill_trial_customers: Option<bool>,
    /// Replaces all three thresholds (a missing series has no limit).
    pub usage_limits: Option<UsageLimitsSetting>,
    pub usage_discard_closed: Option<bool>,
    pub timezone: Option<String>,
    /// Merged by job name.
    pub job_schedules: Option<BTreeMap<String, String>>,
    #[schema(value_type = Option<Vec<u32>>)]
    pub reminder_days: Option<Vec<Value>>,
    /// Replaces both switches (a missing one becomes its default).
    pub notification_channels: Option<NotificationChannels>,
    /// Replaces every switch (a missing one becomes its default).
    pub notification_events: Option<NotificationEvents>,
    #[schema(value_type = Option<u32>)]
    pub churn_drop_pct: Option<Value>,
    #[schema(value_type = Option<u32>)]
    pub churn_idle_days: Option<Value>,
    #[schema(value_type = Option<u32>)]
    pub contract_ending_days: Option<Value>,
    #[schema(value_type = Option<u32>)]
    pub backup_keep: Option<Value>,
}

/// The stored keys, in the order the page shows them.
pub const KEYS: [&str; 16] = [
    "company",
    "payment_terms_days",
    "suspend_after_days",
    "auto_issue_clean_bills",
    "bill_trial_customers",
    "usage_limits",
    "usage_discard_closed",
    "timezone",
    "job_schedules",
    "reminder_days",
    "notification_channels",
    "notification_events",
    "churn_drop_pct",
    "churn_idle_days",
    "contract_ending_days",
    "backup_keep",
];

pub const PAYMENT_TERMS_MESSAGE: &str = "账期天数须为 0–365 的整数";
pub const SUSPEND_AFTER_MESSAGE: &str = "自动暂停天数须为 1–365 的整数";
pub const BACKUP_KEEP_MESSAGE: &str = "保留备份份数须为 1–365 的整数";
pub const DEFAULT_BACKUP_KEEP: u32 = 14;

fn whole_days(value: &Value, range: std::ops::RangeInclusive<u64>) -> Option<u32> {
    value
        .as_u64()
        .filter(|days| range.contains(days))
        .and_then(|days| u32::try_from(days).ok())
}

fn usage_limit(series: &str, text: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    match parse_quantity(text) {
        Ok(quantity) if quantity > Fixed4::ZERO && quantity <= USAGE_LIMIT_MAX => Ok(Some(quantity.to_string())),
        _ => Err(FieldError::new(
            format!("usage_limits.{series}"),
            "INVALID_LIMIT",
            format!("{series} 系列用量阈值须为大于 0、不超过 1000000000 的数，最多 4 位小数"),
        )),
    }
}

impl Settings {
    /// The settings from the stored key/value pairs; a key missing (or, after a
    /// bad hand edit, unreadable) takes its default.
    pub fn from_stored(stored: &BTreeMap<String, Value>) -> Settings {
        let defaults = Settings::default();
        let mut settings = defaults.clone();
        let read = |key: &str| stored.get(key).cloned();
        if let Some(company) = read("company").and_then(|v| serde_json::from_value(v).ok()) {
            settings.company = company;
        }
        if let Some(days) = read("payment_terms_days").and_then(|v| whole_days(&v, 0..=365)) {
            settings.payment_terms_days = days;
        }
        if let Some(days) = read("suspend_after_days").and_then(|v| whole_days(&v, 1..=365)) {
            settings.suspend_after_days = days;
        }
        for (key, flag) in [
            ("auto_issue_clean_bills", &mut settings.auto_issue_clean_bills),
            ("bill_trial_customers", &mut settings.bill_trial_customers),
            ("usage_discard_closed", &mut settings.usage_discard_closed),
        ] {
            if let Some(value) = read(key).and_then(|v| v.as_bool()) {
                *flag = value;
            }
        }
        if let Some(limits) = read("usage_limits").and_then(|v| serde_json::from_value::<UsageLimitsSetting>(v).ok())
            && limits.sanity_limits().is_ok()
        {
            settings.usage_limits = limits;
        }
        if let Some(zone) = read("timezone").and_then(|v| v.as_str().map(str::to_string))
            && jobs::parse_timezone(&zone).is_some()
        {
            settings.timezone = zone;
        }
        if let Some(schedules) =
            read("job_schedules").and_then(|v| serde_json::from_value::<BTreeMap<String, String>>(v).ok())
        {
            for (name, cron) in schedules {
                if Job::parse(&name).is_some() && jobs::parse_cron(&cron).is_some() {
                    settings.job_schedules.insert(name, cron);
                }
            }
        }
        if let Some(days) = read("reminder_days")
            .and_then(|v| v.as_array().cloned())
            .and_then(|values| notify::check_reminder_days(&values))
        {
            settings.reminder_days = days;
        }
        if let Some(channels) = read("notification_channels").and_then(|v| serde_json::from_value(v).ok()) {
            settings.notification_channels = channels;
        }
        if let Some(events) = read("notification_events").and_then(|v| serde_json::from_value(v).ok()) {
            settings.notification_events = events;
        }
        for (key, slot) in settings.churn_slots() {
            if let Some(value) = read(key.0).and_then(|v| whole_days(&v, key.1)) {
                *slot = value;
            }
        }
        if let Some(keep) = read("backup_keep").and_then(|v| whole_days(&v, 1..=365)) {
            settings.backup_keep = keep;
        }
        settings
    }

    /// Each key with its JSON value, for storing.
    pub fn to_stored(&self) -> BTreeMap<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map.into_iter().collect(),
            _ => BTreeMap::new(),
        }
    }

    /// Applies a partial change, checking every key given; all or nothing.
    pub fn apply(&self, update: SettingsUpdate) -> Result<Settings, Vec<FieldError>> {
        let mut next = self.clone();
        let mut errors = FieldErrors::new();
        if let Some(mut company) = update.company {
            for ((key, label), value) in CompanyInfo::LABELS.into_iter().zip(company.fields_mut()) {
                *value = value.trim().to_string();
                if value.chars().count() > COMPANY_TEXT_MAX {
                    errors.push(FieldError::new(
                        format!("company.{key}"),
                        "TOO_LONG",
                        format!("{label}不能超过 {COMPANY_TEXT_MAX} 个字符"),
                    ));
                }
            }
            next.company = company;
        }
        if let Some(value) = update.payment_terms_days {
            match whole_days(&value, 0..=365) {
                Some(days) => next.payment_terms_days = days,
                None => errors.push(FieldError::new(
                    "payment_terms_days",
                    "OUT_OF_RANGE",
                    PAYMENT_TERMS_MESSAGE,
                )),
            }
        }
        if let Some(value) = update.suspend_after_days {
            match whole_days(&value, 1..=365) {
                Some(days) => next.suspend_after_days = days,
                None => errors.push(FieldError::new(
                    "suspend_after_days",
                    "OUT_OF_RANGE",
                    SUSPEND_AFTER_MESSAGE,
                )),
            }
        }
        next.auto_issue_clean_bills = update.auto_issue_clean_bills.unwrap_or(next.auto_issue_clean_bills);
        next.bill_trial_customers = update.bill_trial_customers.unwrap_or(next.bill_trial_customers);
        next.usage_discard_closed = update.usage_discard_closed.unwrap_or(next.usage_discard_closed);
        if let Some(limits) = update.usage_limits {
            let mut checked = UsageLimitsSetting::default();
            for (series, text, slot) in [
                ("X", limits.x, &mut checked.x),
                ("N", limits.n, &mut checked.n),
                ("L", limits.l, &mut checked.l),
            ] {
                if let Some(value) = errors.check(usage_limit(series, text.as_deref())) {
                    *slot = value;
                }
            }
            next.usage_limits = checked;
        }
        if let Some(zone) = update.timezone {
            let zone = zone.trim().to_string();
            if jobs::parse_timezone(&zone).is_some() {
                next.timezone = zone;
            } else {
                errors.push(FieldError::new("timezone", "UNKNOWN_TIMEZONE", jobs::UNKNOWN_TIMEZONE));
            }
        }
        for (name, cron) in update.job_schedules.unwrap_or_default() {
            let field = format!("job_schedules.{name}");
            if Job::parse(&name).is_none() {
                errors.push(FieldError::new(
                    field,
                    "UNKNOWN_JOB",
                    format!("没有名为 {name} 的定时任务"),
                ));
            } else if let Some(cron) = errors.check(jobs::check_cron(&field, &cron)) {
                next.job_schedules.insert(name, cron);
            }
        }
        if let Some(values) = update.reminder_days {
            match notify::check_reminder_days(&values) {
                Some(days) => next.reminder_days = days,
                None => errors.push(FieldError::new(
                    "reminder_days",
                    "INVALID_REMINDER_DAYS",
                    notify::REMINDER_DAYS_MESSAGE,
                )),
            }
        }
        if let Some(channels) = update.notification_channels {
            next.notification_channels = channels;
        }
        if let Some(events) = update.notification_events {
            next.notification_events = events;
        }
        let churn = [
            update.churn_drop_pct,
            update.churn_idle_days,
            update.contract_ending_days,
        ];
        for (((key, range, message), slot), value) in next.churn_slots().into_iter().zip(churn) {
            let Some(value) = value else { continue };
            match whole_days(&value, range) {
                Some(number) => *slot = number,
                None => errors.push(FieldError::new(key, "OUT_OF_RANGE", message)),
            }
        }
        if let Some(value) = update.backup_keep {
            match whole_days(&value, 1..=365) {
                Some(keep) => next.backup_keep = keep,
                None => errors.push(FieldError::new("backup_keep", "OUT_OF_RANGE", BACKUP_KEEP_MESSAGE)),
            }
        }
        errors.into_result()?;
        Ok(next)
    }

    /// What the churn flags read.
    pub fn churn_rules(&self) -> ChurnRules {
        ChurnRules {
            drop_pct: self.churn_drop_pct,
            idle_days: self.churn_idle_days,
            contract_ending_days: self.contract_ending_days,
        }
    }

    /// The three churn numbers with their key, range and message.
    #[allow(clippy::type_complexity)]
    fn churn_slots(&mut self) -> [((&'static str, std::ops::RangeInclusive<u64>, &'static str), &mut u32); 3] {
        [
            (
                ("churn_drop_pct", 1..=100, CHURN_DROP_PCT_MESSAGE),
                &mut self.churn_drop_pct,
            ),
            (
                ("churn_idle_days", 1..=365, CHURN_IDLE_DAYS_MESSAGE),
                &mut self.churn_idle_days,
            ),
            (
                ("contract_ending_days", 1..=365, CONTRACT_ENDING_DAYS_MESSAGE),
                &mut self.contract_ending_days,
            ),
        ]
    }

    /// The keys whose values differ, with before and after, for the audit.
    pub fn changes(&self, after: &Settings) -> serde_json::Map<String, Value> {
        let (before, after) = (self.to_stored(), after.to_stored());
        KEYS.iter()
            .filter(|key| before.get(**key) != after.get(**key))
            .map(|key| {
                (
                    key.to_string(),
                    serde_json::json!({"before": before.get(*key), "after": after.get(*key)}),
                )
            })
            .collect()
    }

    /// The usage thresholds the quarantine applies.
    pub fn sanity_limits(&self) -> SanityLimits {
        self.usage_limits.sanity_limits().unwrap_or(SanityLimits::NONE)
    }

    /// A job's schedule (its default when none is stored).
    pub fn schedule_of(&self, job: Job) -> &str {
        self.job_schedules
            .get(job.name())
            .map(String::as_str)
            .unwrap_or(job.default_schedule())
    }
}

impl UsageLimitsSetting {
    pub fn sanity_limits(&self) -> Result<SanityLimits, FieldError> {
        let parse = |series: &str, text: &Option<String>| -> Result<Option<Fixed4>, FieldError> {
            usage_limit(series, text.as_deref())?
                .map(|t| parse_quantity(&t))
                .transpose()
                .map_err(|_| FieldError::new(series, "INVALID_LIMIT", "用量阈值无效"))
        };
        Ok(SanityLimits {
            x: parse("X", &self.x)?,
            n: parse("N", &self.n)?,
            l: parse("L", &self.l)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn update(value: Value) -> SettingsUpdate {
        serde_json::from_value(value).unwrap()
    }

    fn fields(errors: Vec<FieldError>) -> Vec<(String, String)> {
        errors.into_iter().map(|e| (e.field, e.message)).collect()
    }

    #[test]
    fn a_partial_change_touches_only_its_keys() {
        let before = Settings::default();
        let after = before
            .apply(update(
                json!({"payment_terms_days": 30, "job_schedules": {"usage.collect": "30 1 * * *"}}),
            ))
            .unwrap();
        assert_eq!(after.payment_terms_days, 30);
        assert_eq!(after.schedule_of(Job::UsageCollect), "30 1 * * *");
        assert_eq!(after.schedule_of(Job::BillsGenerate), "0 3 1 * *");
        assert_eq!(after.suspend_after_days, 30);
        let changed: Vec<_> = before.changes(&after).keys().cloned().collect();
        assert_eq!(changed, ["job_schedules", "payment_terms_days"]);
    }

    #[test]
    fn every_bad_value_is_named_and_nothing_changes() {
        let errors = Settings::default()
            .apply(update(json!({
                "payment_terms_days": -1,
                "suspend_after_days": "30",
                "company": {"name": "公".repeat(201)},
                "usage_limits": {"X": "0", "N": "abc", "L": "1000000001"},
                "timezone": "Mars/Olympus",
                "job_schedules": {"usage.collect": "every day", "coffee.make": "0 9 * * *"},
            })))
            .unwrap_err();
        let fields = fields(errors);
        let names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            names,
            [
                "company.name",
                "payment_terms_days",
                "suspend_after_days",
                "usage_limits.X",
                "usage_limits.N",
                "usage_limits.L",
                "timezone",
                "job_schedules.coffee.make",
                "job_schedules.usage.collect",
            ]
        );
        assert_eq!(fields[0].1, "公司名称不能超过 200 个字符");
        assert_eq!(fields[1].1, PAYMENT_TERMS_MESSAGE);
        assert_eq!(
            fields[3].1,
            "X 系列用量阈值须为大于 0、不超过 1000000000 的数，最多 4 位小数"
        );
    }

    #[test]
    fn stored_values_round_trip_and_bad_ones_fall_back_to_defaults() {
        let mut settings = Settings::default();
        settings.company.name = "示例科技有限公司".into();
        settings.usage_limits.x = Some("5000".into());
        let mut stored = settings.to_stored();
        assert_eq!(Settings::from_stored(&stored), settings);
        stored.insert("payment_terms_days".into(), json!(9999));
        stored.insert("timezone".into(), json!("Nowhere/Land"));
        let read = Settings::from_stored(&stored);
        assert_eq!((read.payment_terms_days, read.timezone.as_str()), (15, "Asia/Shanghai"));
        assert_eq!(read.sanity_limits().x, Some("5000".parse().unwrap()));
    }

    #[test]
    fn limits_are_normalized_and_empty_means_none() {
        let after = Settings::default()
            .apply(update(json!({"usage_limits": {"X": " 1,000.5 ", "N": ""}})))
            .unwrap();
        assert_eq!(
            after.usage_limits,
            UsageLimitsSetting {
                x: Some("1000.50".into()),
                n: None,
                l: None
            }
        );
    }
}
