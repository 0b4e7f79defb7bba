import { describe, expect, it } from 'vitest';
import type { SettingsView } from '@/api/types';
import {
  SETTINGS_MESSAGES,
  backupModel,
  backupRequest,
  billingRequest,
  checkBackupKeep,
  checkChurnDropPct,
  checkChurnIdleDays,
  checkCompany,
  checkContractEndingDays,
  churnModel,
  churnRequest,
  checkCron,
  checkPaymentTerms,
  checkReminderDays,
  checkSuspendAfter,
  checkTimezone,
  checkUsageLimit,
  companyRequest,
  notificationModel,
  notificationRequest,
  scheduleModel,
  scheduleRequest,
  statusRequest,
  usageModel,
  usageRequest,
  validateBackup,
  validateSchedule,
  validateUsage,
} from '@/utils/settings-rules';
import { settingsFixture } from './support/settings';

const message = (e: { message: string } | null) => e?.message ?? null;

const settings: SettingsView = settingsFixture({
  company: { name: '甲公司', address: '', phone: '', tax_id: '', bank_name: '', bank_account: '', payment_note: '' },
});

describe('days (settings.rs whole_days)', () => {
  it('takes whole days 0–365 for the payment terms, 1–365 before suspension', () => {
    for (const ok of [0, 15, 365, '7']) expect(checkPaymentTerms(ok), String(ok)).toBeNull();
    for (const ok of [1, 30, 365]) expect(checkSuspendAfter(ok), String(ok)).toBeNull();
  });

  it('words a value out of range, a fraction or an empty input as the server does, on its key', () => {
    for (const bad of [-1, 366, 1.5, undefined, null, '']) {
      expect(message(checkPaymentTerms(bad)), String(bad)).toBe('账期天数须为 0–365 的整数');
    }
    for (const bad of [0, 366, 2.5, undefined]) {
      expect(message(checkSuspendAfter(bad)), String(bad)).toBe('自动暂停天数须为 1–365 的整数');
    }
    expect(checkPaymentTerms(400)?.field).toBe('payment_terms_days');
    expect(checkSuspendAfter(0)?.field).toBe('suspend_after_days');
  });
});

describe('company (CompanyInfo::LABELS)', () => {
  it('allows 200 characters once trimmed, counted as characters, and names the field by its label', () => {
    const company = { ...settings.company, name: `  ${'公'.repeat(200)}  `, tax_id: '𠮷'.repeat(200), bank_account: 'x'.repeat(201) };
    const errors = checkCompany(company);
    expect(errors.map((e) => [e.field, e.message])).toEqual([['company.bank_account', '银行账号不能超过 200 个字符']]);
    expect(checkCompany({ ...company, bank_account: '', payment_note: '说'.repeat(201) })[0]?.message).toBe('付款说明不能超过 200 个字符');
  });

  it('sends the whole object, trimmed (it replaces the stored one)', () => {
    expect(companyRequest({ ...settings.company, phone: ' 010-12345678 ' })).toEqual({
      company: { name: '甲公司', address: '', phone: '010-12345678', tax_id: '', bank_name: '', bank_account: '', payment_note: '' },
    });
  });
});

describe('usage thresholds (settings.rs usage_limit)', () => {
  it('takes empty (no limit) and plain decimals above 0 up to 1000000000 with four decimals', () => {
    for (const ok of ['', '  ', '5000', '0.0001', '1000000000', '1000000000.0000', '1234.50000', ' 12 ']) expect(checkUsageLimit('X', ok), ok).toBeNull();
  });

  it('refuses zero, negatives, five decimals, above the bound and text, in the server’s words for the series', () => {
    for (const bad of ['0', '-5', '0.00001', '1000000000.0001', 'abc', '1,000']) {
      expect(message(checkUsageLimit('N', bad)), bad).toBe('N 系列用量阈值须为大于 0、不超过 1000000000 的数，最多 4 位小数');
    }
    expect(checkUsageLimit('L', '0')?.field).toBe('usage_limits.L');
  });

  it('sends the three thresholds together, empty as null, with the discard flag', () => {
    const model = usageModel(settings);
    expect(model.limits).toEqual({ X: '5000', N: '', L: '1234.5' });
    model.limits.X = '';
    model.limits.N = ' 800.50 ';
    model.usage_discard_closed = true;
    expect(validateUsage(model)).toEqual([]);
    expect(usageRequest(model)).toEqual({ usage_limits: { X: null, N: '800.5', L: '1234.5' }, usage_discard_closed: true });
  });
});

describe('time zone and schedules (jobs.rs)', () => {
  it('knows IANA zone names and refuses the rest with the server’s message', () => {
    expect(checkTimezone('Asia/Shanghai')).toBeNull();
    expect(checkTimezone('Europe/Berlin')).toBeNull();
    expect(checkTimezone('UTC')).toBeNull();
    for (const bad of ['', 'Mars/Olympus', 'Asia/Shanghai; drop', '+08:00']) expect(message(checkTimezone(bad)), bad).toBe(SETTINGS_MESSAGES.timezone);
    expect(message(checkTimezone('Mars/Olympus'))).toBe('未知的时区（应为 IANA 时区名，如 Asia/Shanghai）');
  });

  it('wants five space-separated fields, on the field it is told', () => {
    expect(checkCron('0 2 * * *')).toBeNull();
    expect(checkCron('  0   3 1 * *  ')).toBeNull();
    for (const bad of ['', '0 2 * *', '0 0 2 * * *', `0 2 * * ${'1,'.repeat(60)}1`]) {
      expect(message(checkCron(bad)), bad).toBe('定时表达式无效（应为五段：分 时 日 月 周，如 0 2 * * *）');
    }
    expect(checkCron('bad', 'job_schedules.usage.collect')?.field).toBe('job_schedules.usage.collect');
  });

  it('checks each job’s schedule on its own path', () => {
    const model = scheduleModel(settings);
    model.schedules['bills.generate'] = '0 3 1 *';
    model.timezone = 'Nowhere';
    expect(validateSchedule(model).map((e) => e.field)).toEqual(['timezone', 'job_schedules.bills.generate']);
  });

  it('sends the time zone and only the schedules that changed, normalized', () => {
    const model = scheduleModel(settings);
    expect(scheduleRequest(model, settings.job_schedules)).toEqual({ timezone: 'Asia/Shanghai' });
    model.schedules['usage.collect'] = ' 30  1 * * * ';
    model.schedules['bills.generate'] = '0  3 1 * *';
    expect(scheduleRequest(model, settings.job_schedules)).toEqual({ timezone: 'Asia/Shanghai', job_schedules: { 'usage.collect': '30 1 * * *' } });
  });
});

describe('reminder days (notify.rs check_reminder_days)', () => {
  it('takes up to ten whole days of 1–365 in any order, none twice, and no day at all', () => {
    for (const ok of [[], ['1'], ['30', '1', '7'], [' 365 '], ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'], [1, 7]]) expect(checkReminderDays(ok), String(ok)).toBeNull();
  });

  it('refuses 0, 366, fractions, text, a repeat and an eleventh day with the server’s one message', () => {
    for (const bad of [['0'], ['366'], ['1.5'], ['七'], ['-1'], [''], ['7', '07'], ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11']]) {
      expect(message(checkReminderDays(bad)), String(bad)).toBe('提醒天数须为 1–365 之间的整数，不重复，最多 10 个');
    }
    expect(checkReminderDays(['0'])?.field).toBe('reminder_days');
    expect(SETTINGS_MESSAGES.reminderDays).toBe('提醒天数须为 1–365 之间的整数，不重复，最多 10 个');
  });

  it('sends the days as sorted numbers, with the channels and events whole', () => {
    const model = notificationModel(settings);
    expect(model.reminder_days).toEqual(['1', '7', '15', '30']);
    model.reminder_days = ['30', ' 3 ', '1'];
    model.notification_events.payment_received = true;
    expect(notificationRequest(model)).toEqual({
      reminder_days: [1, 3, 30],
      notification_channels: { email: true, sms: true },
      notification_events: { bill_issued: true, bill_overdue: true, customer_suspended: true, payment_received: true, staff_digests: true },
    });
    // The model is a copy: the settings read stay as they were.
    expect(settings.notification_events.payment_received).toBe(false);
  });
});

describe('the other sections send only their own keys', () => {
  it('结算规则 and 状态规则', () => {
    expect(billingRequest({ payment_terms_days: 30, auto_issue_clean_bills: true, bill_trial_customers: false })).toEqual({
      payment_terms_days: 30,
      auto_issue_clean_bills: true,
      bill_trial_customers: false,
    });
    expect(statusRequest({ suspend_after_days: 45 })).toEqual({ suspend_after_days: 45 });
  });
});

describe('流失预警 (settings.rs churn thresholds)', () => {
  it('takes a drop of 1–100 %, 1–365 idle days and 1–365 days before a contract ends', () => {
    for (const ok of [1, 50, 100, '75']) expect(checkChurnDropPct(ok), String(ok)).toBeNull();
    for (const ok of [1, 15, 365]) expect(checkChurnIdleDays(ok), String(ok)).toBeNull();
    for (const ok of [1, 60, 365]) expect(checkContractEndingDays(ok), String(ok)).toBeNull();
  });

  it('words a value out of range, a fraction or an empty input as the server does, on its key', () => {
    for (const bad of [0, 101, 12.5, undefined, '']) expect(message(checkChurnDropPct(bad)), String(bad)).toBe('用量下降阈值须为 1–100 的整数');
    for (const bad of [0, 366, 1.5, null]) expect(message(checkChurnIdleDays(bad)), String(bad)).toBe('无用量天数须为 1–365 的整数');
    for (const bad of [0, 366, undefined]) expect(message(checkContractEndingDays(bad)), String(bad)).toBe('合同到期提醒天数须为 1–365 的整数');
    expect(checkChurnDropPct(0)?.field).toBe('churn_drop_pct');
    expect(checkChurnIdleDays(0)?.field).toBe('churn_idle_days');
    expect(checkContractEndingDays(0)?.field).toBe('contract_ending_days');
  });

  it('reads and sends only its own three keys', () => {
    expect(churnModel(settings)).toEqual({ churn_drop_pct: 50, churn_idle_days: 15, contract_ending_days: 60 });
    expect(churnRequest({ churn_drop_pct: 40, churn_idle_days: 30, contract_ending_days: 90 })).toEqual({
      churn_drop_pct: 40,
      churn_idle_days: 30,
      contract_ending_days: 90,
    });
  });
});

describe('数据备份 (settings.rs backup_keep)', () => {
  it('keeps 1–365 archives', () => {
    for (const ok of [1, 14, 365, '30']) expect(checkBackupKeep(ok), String(ok)).toBeNull();
  });

  it('words none, a fraction, too many or an empty input as the server does, on its key', () => {
    for (const bad of [0, 366, 2.5, -1, undefined, null, '']) expect(message(checkBackupKeep(bad)), String(bad)).toBe(SETTINGS_MESSAGES.backupKeep);
    expect(SETTINGS_MESSAGES.backupKeep).toBe('保留备份份数须为 1–365 的整数');
    expect(checkBackupKeep(0)?.field).toBe('backup_keep');
    expect(validateBackup({ backup_keep: 0 }).map((e) => e.field)).toEqual(['backup_keep']);
    expect(validateBackup({ backup_keep: 14 })).toEqual([]);
  });

  it('reads and sends only its own key', () => {
    expect(backupModel(settings)).toEqual({ backup_keep: 14 });
    expect(backupRequest({ backup_keep: 30 })).toEqual({ backup_keep: 30 });
  });
});
