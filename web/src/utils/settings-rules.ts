/**
 * The settings rules of the server (`crates/domain/src/settings.rs`, jobs.rs for the
 * schedules and the time zone, notify.rs for the reminder days), mirrored so the 系统设置 page marks a problem before
 * anything is sent, at the path the server's 400 names (`company.name`,
 * `usage_limits.X`, `job_schedules.usage.collect`). The server stays the authority: it
 * parses the schedules for real (the page only counts their five fields) and knows its
 * own time zone database.
 *
 * Every Chinese message is the server's, character for character; templates are filled
 * in order, as Rust's `format!` does (`{}`, `{limit}`).
 *
 * Pure TypeScript, no Vue: the page and the tests share it.
 */
import type { CompanyInfo, NotificationChannelsSetting, NotificationEventsSetting, SettingsUpdate, SettingsView, UsageLimitsSetting } from '@/api/types';
import { compareDecimal, normalizeDecimal, toScaled } from './decimal';
import { fill, SCALE, type RuleError } from './rules';

// ---- messages (verbatim from the domain crate) ------------------------------------

export const SETTINGS_MESSAGES = {
  paymentTerms: '账期天数须为 0–365 的整数',
  suspendAfter: '自动暂停天数须为 1–365 的整数',
  tooLong: '{}不能超过 {limit} 个字符',
  usageLimit: '{} 系列用量阈值须为大于 0、不超过 1000000000 的数，最多 4 位小数',
  timezone: '未知的时区（应为 IANA 时区名，如 Asia/Shanghai）',
  cron: '定时表达式无效（应为五段：分 时 日 月 周，如 0 2 * * *）',
  reminderDays: '提醒天数须为 1–365 之间的整数，不重复，最多 10 个',
  churnDropPct: '用量下降阈值须为 1–100 的整数',
  churnIdleDays: '无用量天数须为 1–365 的整数',
  contractEndingDays: '合同到期提醒天数须为 1–365 的整数',
  backupKeep: '保留备份份数须为 1–365 的整数',
} as const;
export type SettingsMessageKey = keyof typeof SETTINGS_MESSAGES;

// ---- bounds ---------------------------------------------------------------------------

export const PAYMENT_TERMS_RANGE = [0, 365] as const;
export const SUSPEND_AFTER_RANGE = [1, 365] as const;
export const COMPANY_TEXT_MAX = 200;
export const USAGE_LIMIT_MAX = '1000000000';
/** jobs.rs `parse_cron`: longer text is refused whatever it says. */
export const CRON_MAX = 100;
export const DEFAULT_TIMEZONE = 'Asia/Shanghai';
/** notify.rs `check_reminder_days`: whole days after the due date, at most 10, none twice. */
export const REMINDER_DAYS_RANGE = [1, 365] as const;
export const REMINDER_DAYS_MAX_COUNT = 10;
/** 流失预警 (DESIGN.md §9): a usage drop in percent, days without usage, days before a contract ends. */
export const CHURN_DROP_PCT_RANGE = [1, 100] as const;
export const CHURN_IDLE_DAYS_RANGE = [1, 365] as const;
export const CONTRACT_ENDING_DAYS_RANGE = [1, 365] as const;
/** `backup.daily` keeps this many archives (DESIGN.md §16). */
export const BACKUP_KEEP_RANGE = [1, 365] as const;

/** `CompanyInfo::LABELS`, in the server's (and the page's) order. */
export const COMPANY_LABELS: Record<keyof CompanyInfo, string> = {
  name: '公司名称',
  address: '公司地址',
  phone: '联系电话',
  tax_id: '税号',
  bank_name: '开户银行',
  bank_account: '银行账号',
  payment_note: '付款说明',
};
export const COMPANY_KEYS = Object.keys(COMPANY_LABELS) as (keyof CompanyInfo)[];

export const LIMIT_SERIES = ['X', 'N', 'L'] as const;
export type LimitSeries = (typeof LIMIT_SERIES)[number];

/** i18n keys of the messages for other languages live under `settings.rules.`. */
function problem(field: string, code: string, key: SettingsMessageKey, params: Record<string, string | number> = {}, values: (string | number)[] = []): RuleError {
  return { field, code, key, params, message: fill(SETTINGS_MESSAGES[key], ...values) };
}

// ---- one value ------------------------------------------------------------------------

/** A whole number of days within `[min, max]`; what an empty number input holds (undefined, null, '') is not one. */
function wholeDays(value: number | string | null | undefined, [min, max]: readonly [number, number]): boolean {
  if (value === null || value === undefined || value === '') return false;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  return Number.isInteger(n) && n >= min && n <= max;
}

export function checkPaymentTerms(value: number | string | null | undefined): RuleError | null {
  return wholeDays(value, PAYMENT_TERMS_RANGE) ? null : problem('payment_terms_days', 'OUT_OF_RANGE', 'paymentTerms');
}

export function checkSuspendAfter(value: number | string | null | undefined): RuleError | null {
  return wholeDays(value, SUSPEND_AFTER_RANGE) ? null : problem('suspend_after_days', 'OUT_OF_RANGE', 'suspendAfter');
}

/** Each company field at most 200 characters once trimmed (the server trims, then counts characters). */
export function checkCompany(company: CompanyInfo): RuleError[] {
  return COMPANY_KEYS.flatMap((key) => {
    const text = (company[key] ?? '').trim();
    if (Array.from(text).length <= COMPANY_TEXT_MAX) return [];
    return [problem(`company.${key}`, 'TOO_LONG', 'tooLong', { label: key, limit: COMPANY_TEXT_MAX }, [COMPANY_LABELS[key], COMPANY_TEXT_MAX])];
  });
}

/**
 * A series' usage threshold: empty is no limit; else a plain decimal > 0 and at most
 * 1,000,000,000 with at most four decimals (trailing zeros do not count). The server
 * reads more forms (`1,000`, full-width digits); the page asks for plain ones.
 */
export function checkUsageLimit(series: LimitSeries, text: string | null | undefined): RuleError | null {
  const trimmed = (text ?? '').trim();
  if (trimmed === '') return null;
  const bad = problem(`usage_limits.${series}`, 'INVALID_LIMIT', 'usageLimit', { series }, [series]);
  const scaled = toScaled(trimmed);
  if (!scaled || scaled.value <= 0n) return bad;
  const decimals = (trimmed.split('.')[1] ?? '').replace(/0+$/, '').length;
  if (decimals > SCALE) return bad;
  return compareDecimal(trimmed, USAGE_LIMIT_MAX) > 0 ? bad : null;
}

export function checkChurnDropPct(value: number | string | null | undefined): RuleError | null {
  return wholeDays(value, CHURN_DROP_PCT_RANGE) ? null : problem('churn_drop_pct', 'OUT_OF_RANGE', 'churnDropPct');
}

export function checkChurnIdleDays(value: number | string | null | undefined): RuleError | null {
  return wholeDays(value, CHURN_IDLE_DAYS_RANGE) ? null : problem('churn_idle_days', 'OUT_OF_RANGE', 'churnIdleDays');
}

export function checkContractEndingDays(value: number | string | null | undefined): RuleError | null {
  return wholeDays(value, CONTRACT_ENDING_DAYS_RANGE) ? null : problem('contract_ending_days', 'OUT_OF_RANGE', 'contractEndingDays');
}

export function checkBackupKeep(value: number | string | null | undefined): RuleError | null {
  return wholeDays(value, BACKUP_KEEP_RANGE) ? null : problem('backup_keep', 'OUT_OF_RANGE', 'backupKeep');
}

/** An IANA zone name the browser knows (the server checks against its own copy of the database). */
export function isTimeZone(text: string): boolean {
  if (text === '' || !/^[A-Za-z0-9_+\-/]+$/.test(text)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: text });
    return true;
  } catch {
    return false;
  }
}

export function checkTimezone(text: string | null | undefined): RuleError | null {
  return isTimeZone((text ?? '').trim()) ? null : problem('timezone', 'UNKNOWN_TIMEZONE', 'timezone');
}

/** Five space-separated fields (`分 时 日 月 周`), at most 100 characters; what each field says the server checks. */
export function checkCron(text: string | null | undefined, field = 'schedule'): RuleError | null {
  const trimmed = (text ?? '').trim();
  const ok = trimmed.length <= CRON_MAX && trimmed.split(/\s+/).filter(Boolean).length === 5;
  return ok ? null : problem(field, 'INVALID_CRON', 'cron');
}

/**
 * The overdue reminder days as typed (one tag each): whole numbers of 1–365 days, none
 * twice, at most 10; any order (the server sorts them). One message for all, as the server's.
 */
export function checkReminderDays(days: readonly (number | string)[]): RuleError | null {
  const bad = problem('reminder_days', 'INVALID_REMINDER_DAYS', 'reminderDays');
  if (days.length > REMINDER_DAYS_MAX_COUNT) return bad;
  const seen = new Set<number>();
  for (const day of days) {
    const text = String(day).trim();
    if (!/^\d+$/.test(text)) return bad;
    const n = Number(text);
    if (n < REMINDER_DAYS_RANGE[0] || n > REMINDER_DAYS_RANGE[1] || seen.has(n)) return bad;
    seen.add(n);
  }
  return null;
}

/** A schedule as the server stores it: fields separated by one space. */
export const normalizeCron = (text: string) => text.trim().split(/\s+/).join(' ');

// ---- the page's sections: their model, their problems, their request --------------------

/** 公司信息: the whole object is sent, and replaces the stored one. */
export const companyModel = (s: SettingsView): CompanyInfo => ({ ...s.company });
export const validateCompany = checkCompany;
export const companyRequest = (company: CompanyInfo): SettingsUpdate => ({
  company: Object.fromEntries(COMPANY_KEYS.map((k) => [k, (company[k] ?? '').trim()])) as CompanyInfo,
});

/** 结算规则. `payment_terms_days` is what a number input holds: undefined when emptied. */
export interface BillingModel {
  payment_terms_days: number | undefined;
  auto_issue_clean_bills: boolean;
  bill_trial_customers: boolean;
}
export const billingModel = (s: SettingsView): BillingModel => ({
  payment_terms_days: s.payment_terms_days,
  auto_issue_clean_bills: s.auto_issue_clean_bills,
  bill_trial_customers: s.bill_trial_customers,
});
export const validateBilling = (m: BillingModel): RuleError[] => [checkPaymentTerms(m.payment_terms_days)].filter((e) => e !== null);
export const billingRequest = (m: BillingModel): SettingsUpdate => ({
  payment_terms_days: m.payment_terms_days,
  auto_issue_clean_bills: m.auto_issue_clean_bills,
  bill_trial_customers: m.bill_trial_customers,
});

/** 状态规则. */
export interface StatusModel {
  suspend_after_days: number | undefined;
}
export const statusModel = (s: SettingsView): StatusModel => ({ suspend_after_days: s.suspend_after_days });
export const validateStatus = (m: StatusModel): RuleError[] => [checkSuspendAfter(m.suspend_after_days)].filter((e) => e !== null);
export const statusRequest = (m: StatusModel): SettingsUpdate => ({ suspend_after_days: m.suspend_after_days });

/** 流失预警: the three thresholds of the churn flags (a number input holds undefined when emptied). */
export interface ChurnModel {
  churn_drop_pct: number | undefined;
  churn_idle_days: number | undefined;
  contract_ending_days: number | undefined;
}
export const churnModel = (s: SettingsView): ChurnModel => ({
  churn_drop_pct: s.churn_drop_pct,
  churn_idle_days: s.churn_idle_days,
  contract_ending_days: s.contract_ending_days,
});
export const validateChurn = (m: ChurnModel): RuleError[] =>
  [checkChurnDropPct(m.churn_drop_pct), checkChurnIdleDays(m.churn_idle_days), checkContractEndingDays(m.contract_ending_days)].filter((e) => e !== null);
export const churnRequest = (m: ChurnModel): SettingsUpdate => ({
  churn_drop_pct: m.churn_drop_pct,
  churn_idle_days: m.churn_idle_days,
  contract_ending_days: m.contract_ending_days,
});

/** 数据备份: how many archives the `backup.daily` job keeps (a number input holds undefined when emptied). */
export interface BackupModel {
  backup_keep: number | undefined;
}
export const backupModel = (s: SettingsView): BackupModel => ({ backup_keep: s.backup_keep });
export const validateBackup = (m: BackupModel): RuleError[] => [checkBackupKeep(m.backup_keep)].filter((e) => e !== null);
export const backupRequest = (m: BackupModel): SettingsUpdate => ({ backup_keep: m.backup_keep });

/** 用量阈值: each series as text, empty for no limit; the three are sent together (they replace the stored ones). */
export interface UsageModel {
  limits: Record<LimitSeries, string>;
  usage_discard_closed: boolean;
}
export const usageModel = (s: SettingsView): UsageModel => ({
  limits: { X: s.usage_limits.X ?? '', N: s.usage_limits.N ?? '', L: s.usage_limits.L ?? '' },
  usage_discard_closed: s.usage_discard_closed,
});
export const validateUsage = (m: UsageModel): RuleError[] =>
  LIMIT_SERIES.map((series) => checkUsageLimit(series, m.limits[series])).filter((e) => e !== null);
export function usageRequest(m: UsageModel): SettingsUpdate {
  const limit = (series: LimitSeries) => {
    const text = m.limits[series].trim();
    return text === '' ? null : normalizeDecimal(text);
  };
  const usage_limits: UsageLimitsSetting = { X: limit('X'), N: limit('N'), L: limit('L') };
  return { usage_limits, usage_discard_closed: m.usage_discard_closed };
}

/** 任务计划: the time zone and each job's schedule, by job name. */
export interface ScheduleModel {
  timezone: string;
  schedules: Record<string, string>;
}
export const scheduleModel = (s: SettingsView): ScheduleModel => ({ timezone: s.timezone, schedules: { ...s.job_schedules } });
export const scheduleField = (job: string) => `job_schedules.${job}`;
export const validateSchedule = (m: ScheduleModel): RuleError[] => [
  ...[checkTimezone(m.timezone)].filter((e) => e !== null),
  ...Object.entries(m.schedules)
    .map(([job, cron]) => checkCron(cron, scheduleField(job)))
    .filter((e) => e !== null),
];
/**
 * The time zone, and only the schedules that differ from `saved` (the server merges
 * them by job), so a schedule changed meanwhile elsewhere (`PATCH /jobs/{name}`) is kept.
 */
export function scheduleRequest(m: ScheduleModel, saved: Record<string, string>): SettingsUpdate {
  const changed = Object.entries(m.schedules)
    .map(([job, cron]) => [job, normalizeCron(cron)] as const)
    .filter(([job, cron]) => cron !== normalizeCron(saved[job] ?? ''));
  return { timezone: m.timezone.trim(), ...(changed.length ? { job_schedules: Object.fromEntries(changed) } : {}) };
}

/**
 * 通知: the overdue reminder days (as tags of text), which channels and which events are
 * sent. The channels and events are sent whole (each replaces the stored object).
 */
export interface NotificationModel {
  reminder_days: string[];
  notification_channels: NotificationChannelsSetting;
  notification_events: NotificationEventsSetting;
}
export const notificationModel = (s: SettingsView): NotificationModel => ({
  reminder_days: s.reminder_days.map(String),
  notification_channels: { ...s.notification_channels },
  notification_events: { ...s.notification_events },
});
export const validateNotification = (m: NotificationModel): RuleError[] => [checkReminderDays(m.reminder_days)].filter((e) => e !== null);
export const notificationRequest = (m: NotificationModel): SettingsUpdate => ({
  reminder_days: m.reminder_days.map((d) => Number(d.trim())).sort((a, b) => a - b),
  notification_channels: { ...m.notification_channels },
  notification_events: { ...m.notification_events },
});
