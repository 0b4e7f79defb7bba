/**
 * Usage at month close (issue 21), end to end. A customer's day already has a record
 * (another source id, as a collection would have left it). The admin enters usage for that
 * day by hand: nothing is written, the dialog names the record there, and 修正已有记录
 * corrects it (its version sent) — after which the page shows the month entered, not the
 * current one. A second entry is kept on purpose with 另行追加. A file with a row for that
 * day shows the conflict and the matched customer in the dry run and is confirmed with
 * 跳过. Thirty records of unknown accounts are discarded at once with 全部匹配的 N 条.
 * Collecting a date range without a configured source answers the server's 409.
 *
 * Everything is on a day of last month, so the other usage tests' month is untouched.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiClient } from './api';
import { ADMIN_NEW_PASSWORD } from './config';
import { adminSession, screenshot } from './browser';

const baseURL = inject('baseURL');
const apiURL = inject('apiURL');
const { must, adminToken } = apiClient(apiURL);

const CUSTOMER = '无锡月结用量测试有限公司';
const ACCOUNT = 'acc_e2e_close_01';

/** The 10th of last month (China time), `YYYY-MM-DD`. */
function lastMonthDay(): string {
  const china = new Date(Date.now() + 8 * 3600 * 1000);
  const first = new Date(Date.UTC(china.getUTCFullYear(), china.getUTCMonth() - 1, 10));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${first.getUTCFullYear()}-${pad(first.getUTCMonth() + 1)}-${pad(first.getUTCDate())}`;
}
const DAY = lastMonthDay();
const MONTH = DAY.slice(0, 7);

let browser: Browser;
let context: BrowserContext;
let page: Page;
let token = '';
let customerId = 0;
let collectedId = 0;

const modal = (p: Page, testId: string) => p.locator(`[data-testid="${testId}"]`);
const isPost = (path: string | RegExp) => (r: { request(): { method(): string }; url(): string }) =>
  r.request().method() === 'POST' && (typeof path === 'string' ? new URL(r.url()).pathname === path : path.test(new URL(r.url()).pathname));
const monthlyValue = (p: Page, series: string) =>
  p.locator('[data-testid="usage-monthly-table"] tbody .arco-table-tr', { hasText: CUSTOMER }).locator(`[data-series="${series}"]`).getAttribute('data-value');

async function fillEntry(p: Page, quantity: string) {
  const dialog = modal(p, 'usage-entry-modal');
  await dialog.locator('.arco-modal-footer').waitFor();
  await dialog.locator('[data-field="records[0].customer_id"]').click();
  await dialog.locator('[data-field="records[0].customer_id"] input').fill(CUSTOMER);
  await p.locator('.arco-select-option', { hasText: CUSTOMER }).first().click();
  await dialog.locator('[data-series="N"]').click();
  const day = dialog.locator('[data-field="records[0].day"] input');
  await day.click();
  await day.fill(DAY);
  await day.press('Enter');
  await expect(day.inputValue()).resolves.toBe(DAY);
  await dialog.locator('[data-field="records[0].quantity"] input').fill(quantity);
  return dialog;
}

describe('usage at month close', () => {
  beforeAll(async () => {
    token = await adminToken();
    const created = await must<{ id: number }>('POST', '/customers', { company_name: CUSTOMER, account_id: ACCOUNT, device_series: ['X', 'N', 'L'] }, token);
    customerId = created.id;
    // What a collection leaves: a record of that day under the vendor's own id.
    const written = await must<{ results: { record_id: number }[] }>(
      'POST',
      '/usage',
      { records: [{ customer_id: customerId, series: 'N', day: DAY, quantity: '4836.31', source_id: 'vendor-rec-1' }] },
      token,
    );
    collectedId = written.results[0]!.record_id;
    ({ browser, context, page } = await adminSession(baseURL, ADMIN_NEW_PASSWORD));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  it('refuses a hand entry over that day, names the record, and corrects it; the page shows the month entered', async () => {
    await page.goto('/usage/records');
    await page.locator('[data-testid="usage-entry"]').click();
    const dialog = await fillEntry(page, '1234.5');
    const [refused] = await Promise.all([page.waitForResponse(isPost('/api/v1/usage')), dialog.locator('[data-testid="usage-entry-save"]').click()]);
    expect(refused.status()).toBe(409);
    const exists = dialog.locator('[data-testid="usage-entry-exists"]');
    await exists.waitFor();
    await expect(exists.textContent()).resolves.toContain('4836.31');
    await expect(dialog.textContent()).resolves.not.toContain('会更新原记录');
    await screenshot(page, 'usage-entry-exists');

    const [patched] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'PATCH' && new URL(r.url()).pathname === `/api/v1/usage/${collectedId}`),
      dialog.locator('[data-testid="usage-entry-correct"]').click(),
    ]);
    expect(patched.status()).toBe(200);
    expect(JSON.parse(patched.request().postData() ?? '{}')).toMatchObject({ quantity: '1234.5', version: 0 });
    await page.locator('.arco-message').getByText('已修正已有记录').waitFor();
    await dialog.waitFor({ state: 'hidden' });
    await page.waitForURL(new RegExp(`month=${MONTH}`));
    await expect.poll(() => monthlyValue(page, 'N')).toBe('1234.5');
  });

  it('keeps a second record only when told to (另行追加)', async () => {
    await page.locator('[data-testid="usage-entry"]').click();
    const dialog = await fillEntry(page, '10');
    await dialog.locator('[data-testid="usage-entry-save"]').click();
    await dialog.locator('[data-testid="usage-entry-exists"]').waitFor();
    const [added] = await Promise.all([page.waitForResponse(isPost('/api/v1/usage')), dialog.locator('[data-testid="usage-entry-add"]').click()]);
    expect(added.status()).toBe(200);
    expect(JSON.parse(added.request().postData() ?? '{}')).toMatchObject({ add: true });
    await page.locator('.arco-message').getByText('已另行追加一条记录').waitFor();
    await expect.poll(() => monthlyValue(page, 'N')).toBe('1244.5');
  });

  it('lists a file row for that day as a conflict with its customer, and skips it on confirm', async () => {
    const csv = Buffer.from(`平台账号,设备系列,日期,用量\r\n${ACCOUNT},N,${DAY},99\r\n${ACCOUNT},L,${DAY},7\r\n`, 'utf8');
    await page.locator('[data-testid="usage-import"]').click();
    const dialog = modal(page, 'usage-import-modal');
    const dryRun = page.waitForResponse((r) => isPost('/api/v1/usage/import')(r) && new URL(r.url()).searchParams.get('dry_run') === 'true');
    await dialog.locator('[data-testid="import-upload"] input[type="file"]').setInputFiles({ name: '冲突.csv', mimeType: 'text/csv', buffer: csv });
    expect((await dryRun).status()).toBe(200);
    const review = page.locator('[data-testid="usage-import-review"]');
    await review.waitFor();
    await expect(review.locator('[data-count="conflicts"]').getAttribute('data-value')).resolves.toBe('1');
    const conflict = review.locator('[data-testid="usage-import-rows"] .arco-table-tr', { has: page.locator('[data-status="conflict"]') });
    await expect(conflict.textContent()).resolves.toContain(CUSTOMER);
    const created = review.locator('[data-testid="usage-import-rows"] .arco-table-tr', { has: page.locator('[data-status="created"]') });
    await expect(created.textContent()).resolves.toContain(CUSTOMER);
    await review.locator('[data-testid="usage-import-conflicts"]').waitFor();
    await screenshot(page, 'usage-import-conflicts');

    const real = page.waitForResponse((r) => isPost('/api/v1/usage/import')(r) && new URL(r.url()).searchParams.get('dry_run') === 'false');
    await review.locator('[data-testid="usage-import-confirm"]').click();
    const answer = await real;
    expect(answer.status()).toBe(200);
    expect(new URL(answer.url()).searchParams.get('on_conflict')).toBe('skip');
    await page.locator('[data-testid="usage-import-done"]').waitFor();
    await page.locator('[data-testid="usage-import-close"]').click();
    await expect.poll(() => monthlyValue(page, 'L')).toBe('7');
    await expect(monthlyValue(page, 'N')).resolves.toBe('1244.5');
  });

  it('discards every quarantined record matching the filter at once', async () => {
    const records = Array.from({ length: 30 }, (_, i) => ({ account_id: `ghost_e2e_${i}`, series: 'X', day: DAY, quantity: '1' }));
    await must('POST', '/usage', { records }, token);
    await page.goto('/usage/quarantine?q=ghost_e2e_');
    const all = page.locator('[data-testid="filter-resolve"]');
    await expect.poll(() => all.getAttribute('data-count')).toBe('30');
    await all.click();
    const dialog = modal(page, 'resolve-modal');
    await dialog.locator('[data-testid="resolve-filter"]').waitFor();
    await dialog.locator('[data-action="discard"]').click();
    await dialog.locator('textarea').first().fill('无此账号');
    const [response] = await Promise.all([
      page.waitForResponse(isPost('/api/v1/usage/quarantine/resolve')),
      dialog.locator('.arco-modal-footer .arco-btn-primary').click(),
    ]);
    expect(response.status()).toBe(200);
    expect(JSON.parse(response.request().postData() ?? '{}')).toMatchObject({ action: 'discard', filter: { status: 'pending', q: 'ghost_e2e_' } });
    await page.locator('.arco-message').getByText('匹配 30 条：已处理 30 条，0 条仍待处理').waitFor();
    await expect.poll(() => page.locator('[data-testid="filter-resolve"]').count()).toBe(0);
    await screenshot(page, 'usage-quarantine-filter');
  });

  it('collects a date range from one dialog (here: no source, the server’s 409)', async () => {
    await page.goto('/usage/collections');
    await page.locator('[data-testid="collect-now"]').click();
    const dialog = modal(page, 'collect-modal');
    await dialog.locator('[data-mode="range"]').click();
    await dialog.locator('[data-field="range"]').waitFor();
    const [response] = await Promise.all([page.waitForResponse(isPost('/api/v1/usage/collect')), dialog.locator('.arco-modal-footer .arco-btn-primary').click()]);
    expect(response.status()).toBe(409);
    const sent = JSON.parse(response.request().postData() ?? '{}') as { from?: string; to?: string; date?: string };
    expect(sent.date).toBeUndefined();
    expect(sent.from && sent.to && sent.from <= sent.to).toBeTruthy();
    await dialog.locator('[data-testid="collect-error"]').waitFor();
    await screenshot(page, 'usage-collect-range');
  });
});
