/**
 * Usage end to end: a real opcms, a real Chromium. The admin enters a day's usage for a
 * customer seeded through the API (the form first refuses five decimals), sees it in the
 * monthly totals and the chart, uploads a small CSV whose second row is negative (the
 * dry run shows it bound for quarantine), imports it, corrects the quarantined row on
 * the 异常数据 page, and opens the collection log, where collecting without a configured
 * source answers 409 NO_USAGE_SOURCE with the server's message. Steps build on each other.
 *
 * The day used is yesterday in China (UTC+8), as the entry form proposes; the pages are
 * opened on that day's month.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { apiClient } from './api';
import { ADMIN_NEW_PASSWORD } from './config';
import { adminSession, screenshot } from './browser';

const baseURL = inject('baseURL');
const apiURL = inject('apiURL');
const { must, adminToken } = apiClient(apiURL);

const CUSTOMER = '常州用量测试物业服务有限公司';
const ACCOUNT = 'acc_e2e_usage_01';
const FILE_NAME = '用量导入-e2e.csv';
/** Header on line 1, then N 30 (good) on line 2 and L -5 (bad) on line 3. */
const BAD_ROW = 3;

/** Yesterday in China, `YYYY-MM-DD` (what the entry form and 立即采集 default to). */
function yesterdayChina(): string {
  const china = new Date(Date.now() + 8 * 3600 * 1000 - 24 * 3600 * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${china.getUTCFullYear()}-${pad(china.getUTCMonth() + 1)}-${pad(china.getUTCDate())}`;
}
const DAY = yesterdayChina();
const MONTH = DAY.slice(0, 7);

/** UTF-8 with a BOM and CRLF, as Excel saves "CSV UTF-8". */
function usageCsv(): Buffer {
  const lines = [
    ['平台账号', '设备系列', '日期', '用量'],
    [ACCOUNT, 'N', DAY, '30'],
    [ACCOUNT, 'L', DAY, '-5'],
  ].map((cells) => cells.join(','));
  return Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`, 'utf8');
}

let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];
let customerId = 0;

/** An Arco modal puts its attributes (our data-testid) on its container. */
const modal = (p: Page, testId: string) => p.locator(`[data-testid="${testId}"]`);
const okButton = (dialog: Locator) => dialog.locator('.arco-modal-footer .arco-btn-primary');
const monthlyRow = (p: Page) => p.locator('[data-testid="usage-monthly-table"] tbody .arco-table-tr', { hasText: CUSTOMER });
const monthlyValue = (p: Page, series: string) => monthlyRow(p).locator(`[data-series="${series}"]`).getAttribute('data-value');
const totalsValue = (p: Page, series: string) =>
  p.locator(`[data-testid="usage-monthly-table"] .arco-table-tr-summary [data-series="${series}"]`).getAttribute('data-value');
const isImport = (dryRun: boolean) => (url: string) => {
  const u = new URL(url);
  return u.pathname === '/api/v1/usage/import' && u.searchParams.get('dry_run') === String(dryRun);
};

describe('usage', () => {
  beforeAll(async () => {
    const token = await adminToken();
    const created = await must<{ id: number }>('POST', '/customers', { company_name: CUSTOMER, account_id: ACCOUNT, device_series: ['X', 'N', 'L'] }, token);
    customerId = created.id;

    ({ browser, context, page, errors: pageErrors } = await adminSession(baseURL, ADMIN_NEW_PASSWORD));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  it('opens 用量数据 from the 用量管理 menu', async () => {
    await page.locator('.side-menu').getByText('用量管理').waitFor();
    await page.locator('.side-menu [data-menu="UsageRecords"]').click();
    await page.waitForURL(/\/usage\/records/);
    await page.locator('[data-testid="usage-monthly-table"]').waitFor();
    await page.locator('.side-menu [data-menu="UsageQuarantine"]').waitFor();
    await page.locator('.side-menu [data-menu="UsageCollections"]').waitFor();
  });

  it('enters a day’s usage through the form, refusing five decimals first', async () => {
    await page.goto(`/usage/records?month=${MONTH}`);
    await page.locator('[data-testid="usage-entry"]').click();
    const dialog = modal(page, 'usage-entry-modal');
    await dialog.locator('.arco-modal-footer').waitFor();

    // Nothing chosen yet: the form says what is missing, and sends nothing.
    await okButton(dialog).click();
    await dialog.locator('[data-error-for="records[0].customer_id"]').getByText('未提供客户或平台账号').waitFor();
    await dialog.locator('[data-error-for="records[0].quantity"]').getByText('缺少用量').waitFor();

    await dialog.locator('[data-field="records[0].customer_id"]').click();
    await dialog.locator('[data-field="records[0].customer_id"] input').fill(CUSTOMER);
    await page.locator('.arco-select-option', { hasText: CUSTOMER }).first().click();
    await dialog.locator('[data-series="X"]').click();
    // The day defaults to yesterday (China time).
    await expect(dialog.locator('[data-field="records[0].day"] input').inputValue()).resolves.toBe(DAY);
    await dialog.locator('[data-field="records[0].quantity"] input').fill('1.23456');
    await okButton(dialog).click();
    await dialog.locator('[data-error-for="records[0].quantity"]').getByText('用量小数位数不能超过 4 位').waitFor();

    await dialog.locator('[data-field="records[0].quantity"] input').fill('120.5');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/usage'),
      okButton(dialog).click(),
    ]);
    expect(response.status()).toBe(200);
    const sent = JSON.parse(response.request().postData() ?? '{}') as { strict?: boolean; records?: { quantity: unknown; customer_id: unknown }[] };
    expect(sent.strict).toBe(true);
    expect(sent.records?.[0]).toMatchObject({ customer_id: customerId, quantity: '120.5', series: 'X', day: DAY });
    await page.locator('.arco-message').getByText('用量已录入').waitFor();
    await dialog.waitFor({ state: 'hidden' });
  });

  it('shows it in the monthly totals, the chart and the daily records', async () => {
    await monthlyRow(page).waitFor();
    await expect.poll(() => monthlyValue(page, 'X')).toBe('120.5');
    await expect(totalsValue(page, 'X')).resolves.toBe('120.5');
    await page.locator('[data-testid="usage-monthly-totals"]').getByText('合计').waitFor();
    await page.locator('[data-testid="usage-daily-chart"] canvas').first().waitFor();
    await expect(page.locator('[data-testid="usage-daily-chart"] [data-series-total="X"]').getAttribute('data-value')).resolves.toBe('120.5');

    await page.locator('[data-testid="usage-tabs"] .arco-tabs-tab', { hasText: '每日明细' }).click();
    const record = page.locator('[data-testid="usage-records-table"] .arco-table-tr', { hasText: CUSTOMER });
    await record.first().waitFor();
    await expect(record.first().textContent()).resolves.toMatch(new RegExp(`${DAY}.*X.*120\\.5.*手工录入`));
    await page.locator('[data-testid="usage-tabs"] .arco-tabs-tab', { hasText: '月度汇总' }).click();
    await screenshot(page, 'usage-data');
  });

  it('dry-runs an uploaded CSV: one row to write, the negative one bound for quarantine', async () => {
    await page.locator('[data-testid="usage-import"]').click();
    const dialog = modal(page, 'usage-import-modal');
    const upload = dialog.locator('[data-testid="import-upload"] input[type="file"]');
    const dryRun = page.waitForResponse((r) => r.request().method() === 'POST' && isImport(true)(r.url()));
    await upload.setInputFiles({ name: FILE_NAME, mimeType: 'text/csv', buffer: usageCsv() });
    expect((await dryRun).status()).toBe(200);

    const review = page.locator('[data-testid="usage-import-review"]');
    await review.waitFor();
    const count = (key: string) => review.locator(`[data-count="${key}"]`).getAttribute('data-value');
    await expect(count('total_rows')).resolves.toBe('2');
    await expect(count('accepted')).resolves.toBe('1');
    await expect(count('quarantined')).resolves.toBe('1');
    await expect(count('created')).resolves.toBe('1');
    const bad = review.locator('[data-testid="usage-import-rows"] .arco-table-tr', { has: page.locator(`[data-row="${BAD_ROW}"]`) });
    await bad.waitFor();
    await bad.locator('[data-status="quarantined"]').waitFor();
    await expect(bad.textContent()).resolves.toContain('用量不能为负数');
    await screenshot(page, 'usage-import-review');

    const real = page.waitForResponse((r) => r.request().method() === 'POST' && isImport(false)(r.url()));
    await review.locator('[data-testid="usage-import-confirm"]').click();
    expect((await real).status()).toBe(200);
    const done = page.locator('[data-testid="usage-import-done"]');
    await done.waitFor();
    await expect(done.locator('[data-count="accepted"]').getAttribute('data-value')).resolves.toBe('1');
    await expect(done.locator('[data-count="quarantined"]').getAttribute('data-value')).resolves.toBe('1');
    await done.locator('[data-testid="usage-import-close"]').click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => monthlyValue(page, 'N')).toBe('30');
  });

  it('corrects the quarantined row on the 异常数据 page', async () => {
    await page.goto('/usage/quarantine');
    const tags = page.locator('[data-testid="pending-by-reason"]');
    await tags.locator('[data-reason="INVALID_QUANTITY"]').waitFor();
    await expect(tags.locator('[data-reason="INVALID_QUANTITY"]').textContent()).resolves.toContain('用量无效');

    // The only quantity problem in this database is the file's row 3.
    const row = page.locator('[data-testid="quarantine-table"] tbody .arco-table-tr', { has: page.locator('[data-reason="INVALID_QUANTITY"]') });
    await row.first().waitFor();
    await expect(row.first().textContent()).resolves.toContain('用量不能为负数');
    await row.first().locator('[data-testid^="resolve-"]').click();

    const dialog = modal(page, 'resolve-modal');
    await dialog.locator('[data-action="correct"]').click();
    // accept is only for OVER_LIMIT.
    expect(await dialog.locator('[data-action="accept"]').count()).toBe(0);
    await dialog.locator('[data-field="quantity"] input').fill('12.25');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && /\/api\/v1\/usage\/quarantine\/\d+\/resolve$/.test(new URL(r.url()).pathname)),
      okButton(dialog).click(),
    ]);
    expect(response.status()).toBe(200);
    expect(JSON.parse(response.request().postData() ?? '{}')).toEqual({ action: 'correct', quantity: '12.25' });
    await page.locator('.arco-message').getByText('已处理 1 条，0 条仍待处理').waitFor();
    await expect.poll(() => row.count()).toBe(0);
    await screenshot(page, 'usage-quarantine');

    await page.goto('/usage/quarantine?status=resolved');
    const resolved = page.locator('[data-testid="quarantine-table"] tbody .arco-table-tr', { has: page.locator('[data-reason="INVALID_QUANTITY"]') });
    await resolved.first().locator('[data-status="resolved"]').getByText('已修正').waitFor();
  });

  it('counts the corrected row in the month', async () => {
    await page.goto(`/usage/records?month=${MONTH}`);
    await expect.poll(() => monthlyValue(page, 'L')).toBe('12.25');
    await expect(monthlyValue(page, 'X')).resolves.toBe('120.5');
    await expect(monthlyValue(page, 'N')).resolves.toBe('30');
    await expect(totalsValue(page, 'L')).resolves.toBe('12.25');
  });

  it('shows the collection log, and the server’s 409 when no source is configured', async () => {
    await page.locator('.side-menu [data-menu="UsageCollections"]').click();
    await page.waitForURL(/\/usage\/collections/);
    await page.locator('[data-testid="collections-table"]').waitFor();
    await page.locator('[data-testid="no-sources"]').waitFor();

    await page.locator('[data-testid="collect-now"]').click();
    const dialog = modal(page, 'collect-modal');
    await expect(dialog.locator('[data-field="date"] input').inputValue()).resolves.toBe(DAY);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/usage/collect'),
      okButton(dialog).click(),
    ]);
    expect(response.status()).toBe(409);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('NO_USAGE_SOURCE');
    await expect(dialog.locator('[data-testid="collect-error"]').textContent()).resolves.toContain(body.error.message);
    await screenshot(page, 'usage-collections');
    await dialog.locator('.arco-modal-footer .arco-btn-secondary').click();
    await dialog.waitFor({ state: 'hidden' });
  });

  it('shows the usage tab on the customer’s page', async () => {
    await page.goto(`/customers/${customerId}?tab=usage`);
    const tab = page.locator('[data-testid="customer-usage"]');
    await tab.locator('[data-testid="customer-usage-trend"] canvas').first().waitFor();
    await screenshot(page, 'customer-usage');
  });

  it('had no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
