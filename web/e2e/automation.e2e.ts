/**
 * Automation in the browser (issue 23): a server of its own with the scheduler and the
 * test clock on, and one usage source that cannot be reached. Management edits the
 * settings (a bad value refused with the server's words, the good ones kept over a
 * reload), reschedules and pauses a job, runs jobs by hand (a failure shows on the jobs
 * page and as a banner on the home page; a period that already succeeded needs 强制重跑),
 * reads a run's history, and sees the system move an overdue customer to 欠费 on its
 * timeline. The jobs page is checked at phone size too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { apiClient, type Json } from './api';
import { ADMIN_NEW_PASSWORD } from './config';
import { PHONE, adminSession, loginAndSettle, openPage, screenshot } from './browser';
import { freePort, startOpcms, type RunningOpcms } from './server';

let opcms: RunningOpcms;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];
let token: string;
let client: ReturnType<typeof apiClient>;

/** A source on a port nothing listens on: every collection fails. */
async function deadSource() {
  const port = await freePort();
  return {
    name: 'vendor', base_url: `http://127.0.0.1:${port}`, path: '/v1/usage', retries: 0, timeout_ms: 1000,
    records_path: 'data.items',
    fields: { account_id: 'account', series: 'series', day: 'date', quantity: 'qty' },
  };
}

/** Every job the server schedules, as `GET /jobs` lists them (read once the server is up). */
const EXPECTED_JOBS = ['usage.collect', 'bills.generate', 'receivables.daily', 'analytics.refresh', 'maintenance.prune', 'backup.daily', 'erp.customers'];
let JOBS: string[] = [];

/**
 * Moves the test clock with every job paused, so that the jump catches nothing up (a
 * jump forward is a down time to the scheduler): the jobs count from the new time on.
 */
async function jumpQuietly(now: string) {
  for (const job of JOBS) await client.must('PATCH', `/jobs/${job}`, { paused: true }, token);
  await client.must('PUT', '/system/clock', { now }, token);
  // A few ticks of the scheduler (200 ms) to move its marks while paused.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  for (const job of JOBS) await client.must('PATCH', `/jobs/${job}`, { paused: false }, token);
}

const field = (scope: Page | Locator, name: string) => scope.locator(`[data-field="${name}"]`);
const section = (p: Page, name: string) => p.locator(`[data-section="${name}"]`);

async function lastRunStatus(p: Page, job: string) {
  return p.locator(`[data-testid="last-run-${job}"]`).getAttribute('data-status');
}

/** 立即执行 with the period the dialog proposes: the latest the schedule has reached. */
async function runNow(p: Page, job: string) {
  await p.locator(`[data-testid="run-${job}"]`).click();
  const modal = p.locator('[data-testid="run-job-modal"]');
  await modal.waitFor();
  await modal.locator('[data-field="period_key"] input').waitFor();
  await p.locator('.arco-modal-footer .arco-btn-primary').last().click();
  return modal;
}

describe('settings and scheduled jobs', () => {
  beforeAll(async () => {
    opcms = await startOpcms({
      OPCMS_TEST_CLOCK: 'true',
      OPCMS_JOBS_ENABLED: 'true',
      OPCMS_JOB_TICK_MS: '200',
      OPCMS_USAGE_SOURCES: JSON.stringify([await deadSource()]),
    });
    client = apiClient(opcms.apiURL);
    token = await client.adminToken();
    // Paused by the server's own list, so a job added later cannot run on a jump unnoticed.
    JOBS = (await client.must<Json[]>('GET', '/jobs', undefined, token)).map((j) => String(j.name));
    expect([...JOBS].sort()).toEqual([...EXPECTED_JOBS].sort());
    await jumpQuietly('2027-03-20T10:00:00+08:00');
    ({ browser, context, page, errors: pageErrors } = await adminSession(opcms.baseURL, ADMIN_NEW_PASSWORD));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await opcms?.stop();
  });

  it('refuses a bad setting with the server’s words and keeps the good ones', async () => {
    await page.goto('/settings');
    await page.locator('[data-testid="settings-page"]').waitFor();
    const company = section(page, 'company');
    await field(company, 'company.name').locator('input').fill('上海示例物联科技有限公司');
    await field(company, 'company.tax_id').locator('input').fill('91310115MA1K4XXXX0');
    await company.locator('[data-testid="save-company"]').click();
    await page.locator('.arco-message').getByText('设置已保存').first().waitFor();

    const billing = section(page, 'billing');
    await field(billing, 'payment_terms_days').locator('input').fill('400');
    await billing.locator('[data-testid="save-billing"]').click();
    await billing.locator('[data-error-for="payment_terms_days"]').getByText('账期天数须为 0–365 的整数').waitFor();
    await field(billing, 'payment_terms_days').locator('input').fill('30');
    await field(billing, 'auto_issue_clean_bills').click();
    await billing.locator('[data-testid="save-billing"]').click();
    await expect.poll(async () => (await client.must<Json>('GET', '/settings', undefined, token)).payment_terms_days).toBe(30);

    const backup = section(page, 'backup');
    await field(backup, 'backup_keep').locator('input').fill('0');
    await backup.locator('[data-testid="save-backup"]').click();
    await backup.locator('[data-error-for="backup_keep"]').getByText('保留备份份数须为 1–365 的整数').waitFor();
    await field(backup, 'backup_keep').locator('input').fill('30');
    await backup.locator('[data-testid="save-backup"]').click();
    await expect.poll(async () => (await client.must<Json>('GET', '/settings', undefined, token)).backup_keep).toBe(30);

    const schedule = section(page, 'schedule');
    await field(schedule, 'job_schedules.usage.collect').locator('input').fill('30 1 * * *');
    await schedule.locator('[data-testid="save-schedule"]').click();
    await schedule.getByText('每天 01:30').waitFor();
    await screenshot(page, 'settings');

    await page.reload();
    await expect.poll(() => field(page, 'company.name').locator('input').inputValue()).toBe('上海示例物联科技有限公司');
    await expect(field(page, 'payment_terms_days').locator('input').inputValue()).resolves.toBe('30');
    const saved = await client.must<Json>('GET', '/settings', undefined, token);
    expect(saved.auto_issue_clean_bills).toBe(true);
    expect((saved.company as Json).tax_id).toBe('91310115MA1K4XXXX0');
    expect((saved.job_schedules as Json)['usage.collect']).toBe('30 1 * * *');
    expect(saved.backup_keep).toBe(30);
  });

  it('pauses and resumes a job', async () => {
    await page.goto('/jobs');
    await page.locator('[data-testid="jobs-table"]').waitFor();
    await page.locator('[data-testid="schedule-usage.collect"]').getByText('每天 01:30').waitFor();
    const toggle = page.locator('[data-testid="pause-receivables.daily"]');
    await toggle.click();
    await page.locator('[data-testid="paused-receivables.daily"]').waitFor();
    await expect.poll(async () => {
      const jobs = await client.must<Json[]>('GET', '/jobs', undefined, token);
      return jobs.find((j) => j.name === 'receivables.daily')?.paused;
    }).toBe(true);
    await toggle.click();
    await page.locator('[data-testid="paused-receivables.daily"]').waitFor({ state: 'hidden' });
  });

  it('shows a failed run on the jobs page, in its history and as a banner at home', async () => {
    await runNow(page, 'usage.collect');
    await expect.poll(() => lastRunStatus(page, 'usage.collect'), { timeout: 20_000 }).toBe('failed');
    await page.locator('[data-testid="history-usage.collect"]').click();
    const drawer = page.locator('[data-testid="job-runs-drawer"]');
    await drawer.locator('[data-testid="run-error"]').first().waitFor();
    await expect(drawer.locator('[data-testid="run-error"]').first().textContent()).resolves.toContain('vendor');
    await screenshot(page, 'jobs-history');
    await page.keyboard.press('Escape');

    await page.goto('/workplace');
    const banner = page.locator('[data-testid="failing-jobs-banner"]');
    await banner.waitFor();
    await expect(banner.getAttribute('data-jobs')).resolves.toContain('usage.collect');
    await page.locator('[data-testid="failing-jobs-link"]').click();
    await page.waitForURL('**/jobs');
  });

  it('runs a period by hand once, and again only when forced', async () => {
    await page.locator('[data-testid="jobs-table"]').waitFor();
    await runNow(page, 'maintenance.prune');
    await expect.poll(() => lastRunStatus(page, 'maintenance.prune'), { timeout: 20_000 }).toBe('succeeded');
    const modal = await runNow(page, 'maintenance.prune');
    await modal.locator('[data-testid="run-job-error"]').getByText('已成功执行').waitFor();
    await modal.locator('[data-testid="force-rerun"]').click();
    await page.locator('.arco-modal-footer .arco-btn-primary', { hasText: '强制重跑' }).click();
    await modal.waitFor({ state: 'hidden' });
    await expect.poll(async () => {
      const runs = await client.must<{ items: Json[] }>('GET', '/jobs/maintenance.prune/runs', undefined, token);
      return runs.items.map((r) => `${r.period_key} ${r.status} ${r.trigger}`);
    }, { timeout: 20_000 }).toEqual(['2027-03-20 succeeded manual']);
    const audit = await client.must<{ total: number }>('GET', '/audit-logs?action=job.run', undefined, token);
    expect(audit.total).toBe(3);
    // Nothing else ran: the clock's jump caught nothing up.
    for (const job of ['bills.generate', 'receivables.daily', 'backup.daily']) {
      const runs = await client.must<{ total: number }>('GET', `/jobs/${job}/runs`, undefined, token);
      expect(runs.total, job).toBe(0);
    }
  });

  it('moves an overdue customer to 欠费 by the system, on the customer’s timeline', async () => {
    const customer = await client.must<Json>('POST', '/customers', {
      company_name: '逾期测试有限公司', device_series: ['X'], account_status: 'active', payment_terms_days: 15,
    }, token);
    // Issued on 1 February (the clock set back for it): due 15 February, overdue 33 days
    // on 20 March, more than the 30 of the setting.
    await jumpQuietly('2027-02-01T10:00:00+08:00');
    const bill = await client.must<Json>('POST', '/bills', {
      customer_id: customer.id, period: '2027-01', lines: [{ description: '服务费', amount: '100' }],
    }, token);
    const issued = await client.must<Json>('POST', `/bills/${bill.id}/issue`, {}, token);
    expect(issued.due_date).toBe('2027-02-15');
    await jumpQuietly('2027-03-20T10:00:00+08:00');
    await page.goto('/jobs');
    await runNow(page, 'receivables.daily');
    await expect.poll(() => lastRunStatus(page, 'receivables.daily'), { timeout: 20_000 }).toBe('succeeded');
    await page.goto(`/customers/${customer.id}`);
    await expect(page.locator('[data-testid="customer-status"]').textContent()).resolves.toBe('暂停');
    await page.locator('[data-testid="customer-tabs"] .arco-tabs-tab', { hasText: '状态记录' }).click();
    const timeline = page.locator('[data-testid="status-timeline"]');
    await timeline.getByText('账单逾期 33 天').first().waitFor();
    await expect(page.locator('[data-testid="status-entry"]').first().textContent()).resolves.toMatch(/欠费.*→.*暂停/);
    await expect(timeline.textContent()).resolves.toContain('系统');
    await screenshot(page, 'customer-system-transitions');
  });

  it('works at phone size without widening the page', async () => {
    const phone = await openPage(browser, opcms.baseURL, PHONE);
    try {
      await loginAndSettle(phone.page, 'admin', ADMIN_NEW_PASSWORD);
      await phone.page.goto('/jobs');
      await phone.page.locator('[data-testid="job-card"]').first().waitFor();
      await expect(phone.page.locator('[data-testid="job-card"]').count()).resolves.toBe(JOBS.length);
      expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      await screenshot(phone.page, 'jobs-mobile');
      await phone.page.goto('/settings');
      await phone.page.locator('[data-testid="settings-page"]').waitFor();
      expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      expect(phone.errors).toEqual([]);
    } finally {
      await phone.context.close();
    }
  });

  it('had no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
