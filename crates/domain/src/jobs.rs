//! Scheduled jobs (定时任务, DESIGN.md §16) as rules: which jobs exist, which
//! period a scheduled time stands for, what a schedule means in words, when a
//! failed run is retried and how far back a down time is caught up. The
//! runner (server) brings the clock and the database; nothing here reads either.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Months, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use serde::Serialize;

use crate::period::Period;
use crate::validation::FieldError;

/// The jobs this system runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Job {
    UsageCollect,
    BillsGenerate,
    ReceivablesDaily,
    MaintenancePrune,
    AnalyticsRefresh,
    BackupDaily,
    ErpCustomers,
}

/// How often a job's work comes round, which fixes the shape of its period key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Cadence {
    Daily,
    Monthly,
}

impl Job {
    pub const ALL: [Job; 7] = [
        Job::UsageCollect,
        Job::BillsGenerate,
        Job::ReceivablesDaily,
        Job::AnalyticsRefresh,
        Job::MaintenancePrune,
        Job::BackupDaily,
        Job::ErpCustomers,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Job::UsageCollect => "usage.collect",
            Job::BillsGenerate => "bills.generate",
            Job::ReceivablesDaily => "receivables.daily",
            Job::MaintenancePrune => "maintenance.prune",
            Job::AnalyticsRefresh => "analytics.refresh",
            Job::BackupDaily => "backup.daily",
            Job::ErpCustomers => "erp.customers",
        }
    }

    pub fn parse(name: &str) -> Option<Job> {
        Job::ALL.into_iter().find(|job| job.name() == name)
    }

    pub fn title(self) -> &'static str {
        match self {
            Job::UsageCollect => "用量采集",
            Job::BillsGenerate => "账单生成",
            Job::ReceivablesDaily => "应收与账号状态",
            Job::MaintenancePrune => "数据清理",
            Job::AnalyticsRefresh => "经营分析快照",
            Job::BackupDaily => "数据备份",
            Job::ErpCustomers => "ERP 客户资料同步",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Job::UsageCollect => "从所有已配置的用量来源采集前一天的用量",
            Job::BillsGenerate => "生成上月账单草稿；开启「自动开具无预警账单」时开具没有预警的草稿",
            Job::ReceivablesDaily => "检查逾期账单，按规则自动变更账号状态（正式 → 欠费 → 暂停，结清后恢复正式）",
            Job::MaintenancePrune => "清理过期的登录令牌、旧的登录失败记录和 400 天前的任务记录",
            Job::AnalyticsRefresh => {
                "更新经营看板与分析列表的预计算快照，并预先生成当天的流失预警、信用评分和本月、上月的客户分层"
            }
            Job::BackupDaily => {
                "把整个数据库备份为一个归档（数据目录的 backups 下），写完即校验，保留最近若干份（设置「保留备份份数」）"
            }
            Job::ErpCustomers => {
                "从 ERP 拉取变更的客户资料，按导入规则校验后写入；本地修改过的客户不被覆盖，冲突在「集成」页处理（未配置 ERP 时跳过）"
            }
        }
    }

    pub fn cadence(self) -> Cadence {
        match self {
            Job::BillsGenerate => Cadence::Monthly,
            _ => Cadence::Daily,
        }
    }

    pub fn default_schedule(self) -> &'static str {
        match self {
            Job::UsageCollect => "0 2 * * *",
            Job::BillsGenerate => "0 3 1 * *",
            Job::ReceivablesDaily => "0 8 * * *",
            Job::MaintenancePrune => "0 5 * * *",
            Job::AnalyticsRefresh => "0 4 * * *",
            Job::BackupDaily => "0 1 * * *",
            Job::ErpCustomers => "30 0 * * *",
        }
    }

    /// The period a run on `day` (the schedule's local date) works on:
    /// collection takes the day before, generation the month before, the
    /// others the day itself.
    pub fn period_for(self, day: NaiveDate) -> PeriodKey {
        match self {
            Job::UsageCollect => PeriodKey::Day(day.pred_opt().unwrap_or(day)),
            Job::BillsGenerate => PeriodKey::Month(Period::of_date(day).previous().unwrap_or(Period::of_date(day))),
            Job::ReceivablesDaily
            | Job::MaintenancePrune
            | Job::AnalyticsRefresh
            | Job::BackupDaily
            | Job::ErpCustomers => PeriodKey::Day(day),
        }
    }

    /// The period key a person typed for a manual run, checked against the
    /// job's cadence and the latest period its schedule has reached.
    pub fn manual_period(self, text: &str, latest: PeriodKey) -> Result<PeriodKey, FieldError> {
        let text = text.trim();
        let parsed = match self.cadence() {
            Cadence::Daily => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .filter(|_| text.len() == 10)
                .map(PeriodKey::Day),
            Cadence::Monthly => Period::parse(text).ok().map(PeriodKey::Month),
        };
        let Some(period) = parsed else {
            let example = match self.cadence() {
                Cadence::Daily => "2026-12-04（按日任务填日期）",
                Cadence::Monthly => "2026-11（按月任务填月份）",
            };
            return Err(FieldError::new(
                "period_key",
                "INVALID_PERIOD",
                format!("期间格式应为 {example}"),
            ));
        };
        if period > latest {
            return Err(FieldError::new(
                "period_key",
                "FUTURE_PERIOD",
                format!("期间不能晚于 {latest}"),
            ));
        }
        Ok(period)
    }
}

impl fmt::Display for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What one run of a job is for: a day or a month. Ordered by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PeriodKey {
    Day(NaiveDate),
    Month(Period),
}

impl PeriodKey {
    /// The period key as the job table stores it (`2026-12-04`, `2026-11`).
    pub fn parse_for(job: Job, text: &str) -> Option<PeriodKey> {
        match job.cadence() {
            Cadence::Daily => NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().map(PeriodKey::Day),
            Cadence::Monthly => Period::parse(text).ok().map(PeriodKey::Month),
        }
    }
}

impl fmt::Display for PeriodKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeriodKey::Day(day) => write!(f, "{}", day.format("%Y-%m-%d")),
            PeriodKey::Month(period) => write!(f, "{period}"),
        }
    }
}

/// The message for a schedule that is not a five-field cron expression.
pub const INVALID_CRON: &str = "定时表达式无效（应为五段：分 时 日 月 周，如 0 2 * * *）";
/// The message for a time zone the IANA database does not know.
pub const UNKNOWN_TIMEZONE: &str = "未知的时区（应为 IANA 时区名，如 Asia/Shanghai）";

/// A job's schedule: a five-field cron expression read in a time zone.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    zone: Tz,
}

/// Parses a five-field cron expression (minute hour day month weekday); no
/// seconds, no years, nothing that fires more than once a minute.
pub fn parse_cron(text: &str) -> Option<Cron> {
    let text = text.trim();
    if text.split_whitespace().count() != 5 || text.len() > 100 {
        return None;
    }
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build()
        .parse(text)
        .ok()
}

pub fn parse_timezone(text: &str) -> Option<Tz> {
    Tz::from_str(text.trim()).ok()
}

/// Checks a schedule text for the field `field`.
pub fn check_cron(field: &str, text: &str) -> Result<String, FieldError> {
    match parse_cron(text) {
        Some(_) => Ok(text.split_whitespace().collect::<Vec<_>>().join(" ")),
        None => Err(FieldError::new(field, "INVALID_CRON", INVALID_CRON)),
    }
}

impl Schedule {
    pub fn new(cron: &str, zone: &str) -> Option<Schedule> {
        Some(Schedule {
            cron: parse_cron(cron)?,
            zone: parse_timezone(zone)?,
        })
    }

    /// The first scheduled time strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_next_occurrence(&after.with_timezone(&self.zone), false)
            .ok()
            .map(|at| at.with_timezone(&Utc))
    }

    /// The first scheduled time of each local day in (`after`, `until`],
    /// oldest first, at most `limit` days. A run's period is fixed by its
    /// day, so later times of a day add nothing; skipping them keeps an
    /// every-minute schedule from spending the limit on one day and never
    /// reaching the days after it (a scheduler down for hours, a test clock
    /// moved on).
    pub fn first_of_each_day(&self, after: DateTime<Utc>, until: DateTime<Utc>, limit: usize) -> Vec<DateTime<Utc>> {
        let mut times = Vec::new();
        let mut cursor = after;
        while times.len() < limit {
            match self.next_after(cursor) {
                Some(at) if at <= until => {
                    times.push(at);
                    cursor = self.last_second_of_day(at).max(at);
                }
                _ => break,
            }
        }
        times
    }

    /// One second before the local midnight after `at` (the cron has no
    /// seconds, so nothing of the next day is skipped); `at` itself where a
    /// zone's midnight does not exist.
    fn last_second_of_day(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        use chrono::TimeZone;
        self.local_date(at)
            .succ_opt()
            .and_then(|next| {
                self.zone
                    .from_local_datetime(&next.and_time(chrono::NaiveTime::MIN))
                    .earliest()
            })
            .map(|midnight| midnight.with_timezone(&Utc) - TimeDelta::seconds(1))
            .unwrap_or(at)
    }

    /// The newest scheduled time at or before `now`.
    pub fn last_at_or_before(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_previous_occurrence(&now.with_timezone(&self.zone), true)
            .ok()
            .map(|at| at.with_timezone(&Utc))
    }

    /// The schedule's local date of an instant (which fixes a run's period).
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.zone).date_naive()
    }
}

/// How far back a down time is caught up: 7 days for a daily job, 2 months
/// for a monthly one (DESIGN.md §16).
pub fn catch_up_since(cadence: Cadence, now: DateTime<Utc>) -> DateTime<Utc> {
    match cadence {
        Cadence::Daily => now - TimeDelta::days(7),
        Cadence::Monthly => now.checked_sub_months(Months::new(2)).unwrap_or(now),
    }
}

/// Tries a run gets in all: the first and 3 retries.
pub const MAX_ATTEMPTS: i32 = 4;

/// When a run that failed on attempt `attempt` (1-based) is tried again:
/// 1, 5, then 25 minutes later; None once the retries are spent.
pub fn retry_delay(attempt: i32) -> Option<TimeDelta> {
    match attempt {
        1 => Some(TimeDelta::minutes(1)),
        2 => Some(TimeDelta::minutes(5)),
        3 => Some(TimeDelta::minutes(25)),
        _ => None,
    }
}

/// A schedule in Chinese words, for the shapes people write; anything else
/// is shown as its expression.
pub fn describe(cron: &str) -> String {
    let fields: Vec<&str> = cron.split_whitespace().collect();
    let [minute, hour, day, month, weekday] = fields.as_slice() else {
        return format!("按表达式 {cron}");
    };
    let (Ok(minute), Ok(hour)) = (minute.parse::<u32>(), hour.parse::<u32>()) else {
        return format!("按表达式 {cron}");
    };
    if minute > 59 || hour > 23 {
        return format!("按表达式 {cron}");
    }
    let time = format!("{hour:02}:{minute:02}");
    const WEEKDAYS: [&str; 8] = ["日", "一", "二", "三", "四", "五", "六", "日"];
    match (*day, *month, *weekday) {
        ("*", "*", "*") => format!("每天 {time}"),
        ("*", "*", "1-5") => format!("每个工作日（周一至周五）{time}"),
        ("*", "*", w) => match w.parse::<usize>() {
            Ok(w) if w < WEEKDAYS.len() => format!("每周{} {time}", WEEKDAYS[w]),
            _ => format!("按表达式 {cron}"),
        },
        (d, "*", "*") => match d.parse::<u32>() {
            Ok(d) if (1..=31).contains(&d) => format!("每月 {d} 日 {time}"),
            _ if d.eq_ignore_ascii_case("L") => format!("每月最后一天 {time}"),
            _ => format!("按表达式 {cron}"),
        },
        _ => format!("按表达式 {cron}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn each_job_works_on_its_own_period() {
        assert_eq!(
            Job::UsageCollect.period_for(day("2026-03-01")).to_string(),
            "2026-02-28"
        );
        assert_eq!(
            Job::UsageCollect.period_for(day("2028-03-01")).to_string(),
            "2028-02-29"
        );
        assert_eq!(Job::BillsGenerate.period_for(day("2027-01-01")).to_string(), "2026-12");
        assert_eq!(
            Job::ReceivablesDaily.period_for(day("2026-12-31")).to_string(),
            "2026-12-31"
        );
    }

    #[test]
    fn schedules_are_read_in_their_time_zone() {
        let shanghai = Schedule::new("0 2 * * *", "Asia/Shanghai").unwrap();
        // 2 a.m. in Shanghai is 18:00 UTC the day before.
        assert_eq!(
            shanghai.next_after(at("2026-02-28T12:00:00Z")),
            Some(at("2026-02-28T18:00:00Z"))
        );
        assert_eq!(shanghai.local_date(at("2026-02-28T18:00:00Z")), day("2026-03-01"));
        let utc = Schedule::new("0 2 * * *", "UTC").unwrap();
        assert_eq!(
            utc.next_after(at("2026-02-28T12:00:00Z")),
            Some(at("2026-03-01T02:00:00Z"))
        );
        let monthly = Schedule::new("0 3 1 * *", "Asia/Shanghai").unwrap();
        assert_eq!(
            monthly.first_of_each_day(at("2026-01-15T00:00:00Z"), at("2026-03-15T00:00:00Z"), 10),
            vec![at("2026-01-31T19:00:00Z"), at("2026-02-28T19:00:00Z")]
        );
        assert_eq!(
            monthly.last_at_or_before(at("2026-03-15T00:00:00Z")),
            Some(at("2026-02-28T19:00:00Z"))
        );
    }

    #[test]
    fn a_leap_day_is_a_day_like_any_other() {
        let daily = Schedule::new("0 2 * * *", "Asia/Shanghai").unwrap();
        let runs = daily.first_of_each_day(at("2028-02-28T00:00:00+08:00"), at("2028-03-01T03:00:00+08:00"), 10);
        let periods: Vec<String> = runs
            .iter()
            .map(|t| Job::UsageCollect.period_for(daily.local_date(*t)).to_string())
            .collect();
        assert_eq!(periods, ["2028-02-27", "2028-02-28", "2028-02-29"]);
    }

    #[test]
    fn an_every_minute_schedule_reaches_each_day_once() {
        let minutely = Schedule::new("* * * * *", "Asia/Shanghai").unwrap();
        // Three days and a quarter of an hour away: one time a day, the
        // first of each, down to the last day's.
        let times = minutely.first_of_each_day(at("2026-12-07T03:53:30+08:00"), at("2026-12-10T00:15:00+08:00"), 64);
        assert_eq!(
            times,
            [
                at("2026-12-07T03:54:00+08:00"),
                at("2026-12-08T00:00:00+08:00"),
                at("2026-12-09T00:00:00+08:00"),
                at("2026-12-10T00:00:00+08:00"),
            ]
        );
        let days: Vec<NaiveDate> = times.iter().map(|t| minutely.local_date(*t)).collect();
        assert_eq!(
            days,
            [
                day("2026-12-07"),
                day("2026-12-08"),
                day("2026-12-09"),
                day("2026-12-10")
            ]
        );
        assert_eq!(
            minutely.first_of_each_day(at("2026-12-07T03:53:30+08:00"), at("2026-12-10T00:15:00+08:00"), 2),
            times[..2]
        );
    }

    #[test]
    fn bad_schedules_and_zones_are_refused() {
        for bad in [
            "",
            "0 2 * *",
            "* * * * * *",
            "61 2 * * *",
            "0 25 * * *",
            "every day",
            "0 2 * * * 2027",
        ] {
            assert!(parse_cron(bad).is_none(), "{bad}");
        }
        assert_eq!(check_cron("schedule", "0  2 * * *"), Ok("0 2 * * *".into()));
        assert_eq!(check_cron("schedule", "0 2").unwrap_err().code, "INVALID_CRON");
        assert!(parse_timezone("Asia/Shanghai").is_some());
        assert!(parse_timezone("Mars/Olympus").is_none());
        assert!(Schedule::new("0 2 * * *", "Mars/Olympus").is_none());
    }

    #[test]
    fn a_manual_period_follows_the_cadence_and_is_not_in_the_future() {
        let latest = PeriodKey::Day(day("2026-12-04"));
        assert_eq!(
            Job::UsageCollect.manual_period("2026-12-01", latest),
            Ok(PeriodKey::Day(day("2026-12-01")))
        );
        assert_eq!(
            Job::UsageCollect.manual_period("2026-12-05", latest).unwrap_err().code,
            "FUTURE_PERIOD"
        );
        assert_eq!(
            Job::UsageCollect.manual_period("2026-12", latest).unwrap_err().code,
            "INVALID_PERIOD"
        );
        assert_eq!(
            Job::UsageCollect.manual_period("2026-2-3", latest).unwrap_err().code,
            "INVALID_PERIOD"
        );
        let month = PeriodKey::Month(Period::parse("2026-11").unwrap());
        assert!(Job::BillsGenerate.manual_period("2026-10", month).is_ok());
        assert_eq!(
            Job::BillsGenerate.manual_period("2026-12", month).unwrap_err().code,
            "FUTURE_PERIOD"
        );
        assert_eq!(
            Job::BillsGenerate.manual_period("2026-13", month).unwrap_err().code,
            "INVALID_PERIOD"
        );
    }

    #[test]
    fn failures_retry_three_times_with_growing_pauses() {
        let delays: Vec<_> = (1..=MAX_ATTEMPTS).map(retry_delay).collect();
        assert_eq!(
            delays,
            [
                Some(TimeDelta::minutes(1)),
                Some(TimeDelta::minutes(5)),
                Some(TimeDelta::minutes(25)),
                None
            ]
        );
    }

    #[test]
    fn catch_up_reaches_seven_days_or_two_months_back() {
        let now = at("2026-03-31T12:00:00Z");
        assert_eq!(catch_up_since(Cadence::Daily, now), at("2026-03-24T12:00:00Z"));
        assert_eq!(catch_up_since(Cadence::Monthly, now), at("2026-01-31T12:00:00Z"));
    }

    #[test]
    fn schedules_read_in_words() {
        assert_eq!(describe("0 2 * * *"), "每天 02:00");
        assert_eq!(describe("0 3 1 * *"), "每月 1 日 03:00");
        assert_eq!(describe("30 8 * * 1"), "每周一 08:30");
        assert_eq!(describe("0 9 * * 1-5"), "每个工作日（周一至周五）09:00");
        assert_eq!(describe("*/5 * * * *"), "按表达式 */5 * * * *");
        for job in Job::ALL {
            assert!(parse_cron(job.default_schedule()).is_some(), "{job}");
            assert_eq!(Job::parse(job.name()), Some(job));
        }
    }
}
