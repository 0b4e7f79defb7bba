/**
 * 系统设置 against the contract (docs/api/settings.md), the HTTP client answered by a
 * mock: each section checks its inputs in the server's words before sending, sends only
 * its own keys, shows the server's field errors on the inputs they name, and leaves what
 * is being typed in the other sections alone.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import MockAdapter from 'axios-mock-adapter';
import { http } from '@/api/http';
import type { JobView, SettingsView } from '@/api/types';
import i18n from '@/locale';
import SettingsPage from '@/views/settings/index.vue';
import { flush, mountPage } from './support/mount';
import { settingsFixture } from './support/settings';

const MANAGE = ['settings.manage', 'jobs.view', 'users.manage', 'audit.view'];

const settings = settingsFixture;

const job = (name: string, title: string, schedule: string, words: string): JobView => ({
  name, title, description: '', cadence: name === 'bills.generate' ? 'monthly' : 'daily', schedule, schedule_text: words, timezone: 'Asia/Shanghai',
  paused: false, next_run_at: null, latest_period: '2026-11', last_run: null, failing: false,
});
const JOBS = [job('usage.collect', '用量采集', '0 2 * * *', '每天 02:00'), job('bills.generate', '账单生成', '0 3 1 * *', '每月 1 日 03:00')];

const validation = (field: string, message: string) => ({ error: { code: 'VALIDATION', message, details: [{ field, code: 'INVALID', message }] } });

let mock: MockAdapter;
beforeEach(() => {
  mock = new MockAdapter(http);
  i18n.global.locale.value = 'zh-CN';
  mock.onGet('/settings').reply(200, settings());
  mock.onGet('/jobs').reply(200, JOBS);
});
afterEach(() => mock.restore());

const mount = (permissions = MANAGE) => mountPage('/settings', SettingsPage, permissions);

const section = (el: HTMLElement, name: string) => el.querySelector<HTMLElement>(`[data-section="${name}"]`);
const input = (root: ParentNode | null, field: string) =>
  root?.querySelector<HTMLInputElement | HTMLTextAreaElement>(`[data-field="${field}"] input, [data-field="${field}"] textarea, input[data-field="${field}"], textarea[data-field="${field}"]`);
async function type(root: ParentNode | null, field: string, value: string) {
  const el = input(root, field);
  if (!el) throw new Error(`no input for ${field}`);
  el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
  await flush();
}
const errorOn = (root: ParentNode | null, field: string) =>
  root?.querySelector(`[data-error-for="${field}"] .arco-form-item-message, p[data-error-for="${field}"]`)?.textContent?.trim() ?? null;
async function save(el: HTMLElement, name: string) {
  el.querySelector<HTMLElement>(`[data-testid="save-${name}"]`)?.click();
  await flush();
}
const puts = () => mock.history.put ?? [];
const body = (i = -1) => JSON.parse(String(puts().at(i)?.data)) as Record<string, unknown>;

describe('系统设置', () => {
  it('shows every section with the stored values, the job titles and their schedules in words', async () => {
    const el = await mount();
    for (const name of ['company', 'billing', 'status', 'usage', 'backup', 'schedule', 'notification', 'churn']) expect(section(el, name), name).not.toBeNull();
    expect(input(section(el, 'company'), 'company.name')?.value).toBe('星河科技有限公司');
    expect(input(section(el, 'billing'), 'payment_terms_days')?.value).toBe('15');
    expect(input(section(el, 'usage'), 'usage_limits.X')?.value).toBe('5000');
    expect(input(section(el, 'usage'), 'usage_limits.N')?.value).toBe('');
    const schedule = section(el, 'schedule');
    expect(input(schedule, 'timezone')?.value).toBe('Asia/Shanghai');
    expect(input(schedule, 'job_schedules.usage.collect')?.value).toBe('0 2 * * *');
    // The jobs in the server's order, by title, with the saved schedule in words.
    const labels = [...(schedule?.querySelectorAll('.arco-form-item-label') ?? [])].map((l) => l.textContent?.replace('*', '').trim());
    expect(labels).toEqual(['时区', '用量采集', '账单生成']);
    expect(schedule?.textContent).toContain('当前：每天 02:00');
  });

  it('结算规则: refuses 400 days in the server’s words without sending, then sends only its own three keys', async () => {
    mock.onPut('/settings').reply((config) => [200, settings(JSON.parse(String(config.data)) as Partial<SettingsView>)]);
    const el = await mount();
    const billing = section(el, 'billing');
    await type(billing, 'payment_terms_days', '400');
    await save(el, 'billing');
    expect(errorOn(billing, 'payment_terms_days')).toBe('账期天数须为 0–365 的整数');
    expect(puts()).toHaveLength(0);

    await type(billing, 'payment_terms_days', '2.5');
    await save(el, 'billing');
    expect(errorOn(billing, 'payment_terms_days')).toBe('账期天数须为 0–365 的整数');
    expect(puts()).toHaveLength(0);

    await type(billing, 'payment_terms_days', '30');
    billing?.querySelector<HTMLElement>('[data-field="auto_issue_clean_bills"]')?.click();
    await flush();
    await save(el, 'billing');
    expect(body()).toEqual({ payment_terms_days: 30, auto_issue_clean_bills: true, bill_trial_customers: false });
    expect(errorOn(billing, 'payment_terms_days')).toBeNull();
    expect(document.body.textContent).toContain('设置已保存');
  });

  it('状态规则: 0 days is refused, 45 is sent alone', async () => {
    mock.onPut('/settings').reply(200, settings({ suspend_after_days: 45 }));
    const el = await mount();
    const status = section(el, 'status');
    await type(status, 'suspend_after_days', '0');
    await save(el, 'status');
    expect(errorOn(status, 'suspend_after_days')).toBe('自动暂停天数须为 1–365 的整数');
    expect(puts()).toHaveLength(0);
    await type(status, 'suspend_after_days', '45');
    await save(el, 'status');
    expect(body()).toEqual({ suspend_after_days: 45 });
  });

  it('流失预警: refuses a drop over 100 % and 0 days in the server’s words without sending, then sends only its own three keys', async () => {
    mock.onPut('/settings').reply((config) => [200, settings(JSON.parse(String(config.data)) as Partial<SettingsView>)]);
    const el = await mount();
    const churn = section(el, 'churn');
    expect(input(churn, 'churn_drop_pct')?.value).toBe('50');
    expect(input(churn, 'contract_ending_days')?.value).toBe('60');
    await type(churn, 'churn_drop_pct', '101');
    await type(churn, 'churn_idle_days', '0');
    await type(churn, 'contract_ending_days', '400');
    await save(el, 'churn');
    expect(errorOn(churn, 'churn_drop_pct')).toBe('用量下降阈值须为 1–100 的整数');
    expect(errorOn(churn, 'churn_idle_days')).toBe('无用量天数须为 1–365 的整数');
    expect(errorOn(churn, 'contract_ending_days')).toBe('合同到期提醒天数须为 1–365 的整数');
    expect(puts()).toHaveLength(0);

    await type(churn, 'churn_drop_pct', '40');
    await type(churn, 'churn_idle_days', '30');
    await type(churn, 'contract_ending_days', '90');
    await save(el, 'churn');
    expect(body()).toEqual({ churn_drop_pct: 40, churn_idle_days: 30, contract_ending_days: 90 });
    expect(errorOn(churn, 'churn_idle_days')).toBeNull();
  });

  it('流失预警: the server’s refusal lands on the input it names', async () => {
    mock.onPut('/settings').reply(400, validation('churn_idle_days', '无用量天数须为 1–365 的整数'));
    const el = await mount();
    await save(el, 'churn');
    expect(errorOn(section(el, 'churn'), 'churn_idle_days')).toBe('无用量天数须为 1–365 的整数');
  });

  it('数据备份: refuses 0 and 400 archives in the server’s words without sending, then sends only backup_keep', async () => {
    mock.onPut('/settings').reply((config) => [200, settings(JSON.parse(String(config.data)) as Partial<SettingsView>)]);
    const el = await mount();
    const backup = section(el, 'backup');
    expect(input(backup, 'backup_keep')?.value).toBe('14');
    expect(backup?.textContent).toContain('保留备份份数');
    for (const bad of ['0', '400', '1.5', '']) {
      await type(backup, 'backup_keep', bad);
      await save(el, 'backup');
      expect(errorOn(backup, 'backup_keep'), bad).toBe('保留备份份数须为 1–365 的整数');
    }
    expect(puts()).toHaveLength(0);

    await type(backup, 'backup_keep', '30');
    await save(el, 'backup');
    expect(body()).toEqual({ backup_keep: 30 });
    expect(errorOn(backup, 'backup_keep')).toBeNull();
  });

  it('数据备份: the server’s refusal lands on the input; the 数据备份 page is linked only with backups.manage', async () => {
    mock.onPut('/settings').reply(400, validation('backup_keep', '保留备份份数须为 1–365 的整数'));
    const el = await mount();
    expect(section(el, 'backup')?.querySelector('a[href="/backups"]')).toBeNull();
    await save(el, 'backup');
    expect(errorOn(section(el, 'backup'), 'backup_keep')).toBe('保留备份份数须为 1–365 的整数');

    const manager = await mount([...MANAGE, 'backups.manage']);
    expect(section(manager, 'backup')?.querySelector('a[href="/backups"]')?.textContent).toBe('查看数据备份');
  });

  it('公司信息: a too long field is marked by its label; the server’s field error lands on the input it names', async () => {
    mock.onPut('/settings').reply(400, validation('company.bank_name', '开户银行不能超过 200 个字符'));
    const el = await mount();
    const company = section(el, 'company');
    await type(company, 'company.address', '路'.repeat(201));
    await save(el, 'company');
    expect(errorOn(company, 'company.address')).toBe('公司地址不能超过 200 个字符');
    expect(puts()).toHaveLength(0);

    await type(company, 'company.address', ' 北京市海淀区 ');
    await save(el, 'company');
    expect(body()).toEqual({
      company: { name: '星河科技有限公司', address: '北京市海淀区', phone: '021-12345678', tax_id: '', bank_name: '招商银行', bank_account: '6225 0000 1111', payment_note: '' },
    });
    expect(errorOn(company, 'company.bank_name')).toBe('开户银行不能超过 200 个字符');
    expect(errorOn(company, 'company.address')).toBeNull();
    expect(el.querySelector('[data-testid="failure-company"]')).toBeNull();
  });

  it('用量阈值: a zero threshold is refused for its series; the three are sent together, empty as null', async () => {
    mock.onPut('/settings').reply(200, settings({ usage_limits: { X: null, N: '800', L: '1234.5' } }));
    const el = await mount();
    const usage = section(el, 'usage');
    await type(usage, 'usage_limits.N', '0');
    await type(usage, 'usage_limits.X', '');
    await save(el, 'usage');
    expect(errorOn(usage, 'usage_limits.N')).toBe('N 系列用量阈值须为大于 0、不超过 1000000000 的数，最多 4 位小数');
    expect(errorOn(usage, 'usage_limits.X')).toBeNull();
    expect(puts()).toHaveLength(0);

    await type(usage, 'usage_limits.N', '800.0');
    await save(el, 'usage');
    expect(body()).toEqual({ usage_limits: { X: null, N: '800', L: '1234.5' }, usage_discard_closed: false });
    expect(errorOn(usage, 'usage_limits.N')).toBeNull();
  });

  it('任务计划: checks the five fields and the zone, sends the zone and only the changed schedule, and reads the jobs again', async () => {
    mock.onPut('/settings').replyOnce(400, validation('job_schedules.usage.collect', '定时表达式无效（应为五段：分 时 日 月 周，如 0 2 * * *）'));
    mock.onPut('/settings').reply(200, settings({ job_schedules: { 'bills.generate': '0 3 1 * *', 'usage.collect': '30 1 * * *' } }));
    const el = await mount();
    const schedule = section(el, 'schedule');
    await type(schedule, 'timezone', 'Mars/Olympus');
    await type(schedule, 'job_schedules.usage.collect', '0 2 * *');
    await save(el, 'schedule');
    expect(errorOn(schedule, 'timezone')).toBe('未知的时区（应为 IANA 时区名，如 Asia/Shanghai）');
    expect(errorOn(schedule, 'job_schedules.usage.collect')).toBe('定时表达式无效（应为五段：分 时 日 月 周，如 0 2 * * *）');
    expect(errorOn(schedule, 'job_schedules.bills.generate')).toBeNull();
    expect(puts()).toHaveLength(0);

    await type(schedule, 'timezone', 'Asia/Shanghai');
    await type(schedule, 'job_schedules.usage.collect', '61 1 * * *');
    await save(el, 'schedule');
    expect(body()).toEqual({ timezone: 'Asia/Shanghai', job_schedules: { 'usage.collect': '61 1 * * *' } });
    expect(errorOn(schedule, 'job_schedules.usage.collect')).toBe('定时表达式无效（应为五段：分 时 日 月 周，如 0 2 * * *）');
    expect(errorOn(schedule, 'timezone')).toBeNull();

    const jobsRead = mock.history.get?.filter((r) => r.url === '/jobs').length ?? 0;
    await type(schedule, 'job_schedules.usage.collect', '30 1 * * *');
    await save(el, 'schedule');
    expect(body()).toEqual({ timezone: 'Asia/Shanghai', job_schedules: { 'usage.collect': '30 1 * * *' } });
    expect(mock.history.get?.filter((r) => r.url === '/jobs').length).toBe(jobsRead + 1);
    // Saved: nothing is sent again for it.
    await save(el, 'schedule');
    expect(body()).toEqual({ timezone: 'Asia/Shanghai' });
  });

  it('通知: refuses a day out of range in the server’s words, then sends only its own three keys, the days sorted', async () => {
    mock.onPut('/settings').reply((config) => [200, settings(JSON.parse(String(config.data)) as Partial<SettingsView>)]);
    const el = await mount();
    const card = section(el, 'notification');
    const tags = () => [...(card?.querySelectorAll('[data-field="reminder_days"] .arco-tag') ?? [])].map((t) => t.textContent?.trim());
    expect(tags()).toEqual(['1', '7', '15', '30']);
    async function addDay(day: string) {
      const field = input(card, 'reminder_days')!;
      field.value = day;
      field.dispatchEvent(new Event('input', { bubbles: true }));
      field.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', code: 'Enter', bubbles: true }));
      await flush();
    }
    await addDay('400');
    expect(tags()).toEqual(['1', '7', '15', '30', '400']);
    await save(el, 'notification');
    expect(errorOn(card, 'reminder_days')).toBe('提醒天数须为 1–365 之间的整数，不重复，最多 10 个');
    expect(puts()).toHaveLength(0);

    card?.querySelectorAll<HTMLElement>('[data-field="reminder_days"] .arco-tag .arco-tag-close-btn')[4]?.click();
    await flush();
    await addDay('3');
    card?.querySelector<HTMLElement>('[data-field="notification_channels.sms"]')?.click();
    card?.querySelector<HTMLElement>('[data-field="notification_events.payment_received"]')?.click();
    await flush();
    await save(el, 'notification');
    expect(body()).toEqual({
      reminder_days: [1, 3, 7, 15, 30],
      notification_channels: { email: true, sms: false },
      notification_events: { bill_issued: true, bill_overdue: true, customer_suspended: true, payment_received: true, staff_digests: true },
    });
    expect(errorOn(card, 'reminder_days')).toBeNull();
    // Saved as the server sorted them.
    expect(tags()).toEqual(['1', '3', '7', '15', '30']);
  });

  it('通知: puts the server’s refusal of the days on the days', async () => {
    mock.onPut('/settings').reply(400, validation('reminder_days', '提醒天数须为 1–365 之间的整数，不重复，最多 10 个'));
    const el = await mount();
    await save(el, 'notification');
    expect(body()).toMatchObject({ reminder_days: [1, 7, 15, 30] });
    expect(errorOn(section(el, 'notification'), 'reminder_days')).toBe('提醒天数须为 1–365 之间的整数，不重复，最多 10 个');
  });

  it('通知: says a channel that is not configured sends nothing, read-only, with notifications.view', async () => {
    mock.onGet('/notifications/channels').reply(200, { email: { configured: false, from: null }, sms: { configured: true } });
    const el = await mount([...MANAGE, 'notifications.view']);
    const status = section(el, 'notification')?.querySelector('[data-testid="channel-status"]');
    expect(status?.querySelector('[data-channel="email"]')?.textContent).toContain('未配置 SMTP，邮件不会发送');
    expect(status?.querySelector('[data-channel="sms"]')?.textContent).toContain('短信已配置');
    expect(status?.querySelector('input, button')).toBeNull();
    const none = await mount();
    expect(section(none, 'notification')?.querySelector('[data-testid="channel-status"]')).toBeNull();
    expect(mock.history.get?.filter((r) => r.url === '/notifications/channels')).toHaveLength(1);
  });

  it('shows a failure that names no field above its own section only', async () => {
    mock.onPut('/settings').reply(409, { error: { code: 'CONFLICT', message: '设置正在被他人修改，请稍后重试', details: [] } });
    const el = await mount();
    await save(el, 'status');
    expect(el.querySelector('[data-testid="failure-status"]')?.textContent).toContain('设置正在被他人修改，请稍后重试');
    expect(el.querySelector('[data-testid="failure-billing"]')).toBeNull();
  });

  it('keeps what is typed in one section when another is saved', async () => {
    mock.onPut('/settings').reply(200, settings({ suspend_after_days: 60 }));
    const el = await mount();
    await type(section(el, 'company'), 'company.name', '新名称');
    await type(section(el, 'status'), 'suspend_after_days', '60');
    await save(el, 'status');
    expect(body()).toEqual({ suspend_after_days: 60 });
    expect(input(section(el, 'company'), 'company.name')?.value).toBe('新名称');
  });

  it('still edits the schedules by job name when the jobs cannot be read, and says when the settings cannot', async () => {
    mock.onGet('/jobs').reply(500, { error: { code: 'INTERNAL', message: '服务器内部错误', details: [] } });
    const el = await mount();
    const schedule = section(el, 'schedule');
    const labels = [...(schedule?.querySelectorAll('.arco-form-item-label') ?? [])].map((l) => l.textContent?.replace('*', '').trim());
    expect(labels).toEqual(['时区', 'bills.generate', 'usage.collect']);

    mock.onGet('/settings').reply(500, { error: { code: 'INTERNAL', message: '服务器内部错误', details: [] } });
    const failed = await mount();
    expect(failed.querySelector('[data-testid="settings-error"]')?.textContent).toContain('服务器内部错误');
    expect(section(failed, 'company')).toBeNull();
  });

  it('does not ask for the jobs without jobs.view', async () => {
    await mount(['settings.manage']);
    expect(mock.history.get?.some((r) => r.url === '/jobs')).toBe(false);
  });
});
