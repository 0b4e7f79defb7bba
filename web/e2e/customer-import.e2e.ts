/**
 * Customer import and export end to end: a real opcms, a real Chromium. The admin
 * downloads the template, uploads a small CSV built here (BOM, a title row above the
 * header, three good rows and one bad phone number), reads the dry run, imports, finds
 * the customers in the list and exports the filtered list. Steps build on each other.
 *
 * The imported codes start with `B-`, below the generated `C000001`…, so files that run
 * later (customers.e2e.ts sorts by code) still see their own customers first.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Download, Page } from 'playwright-core';
import { apiClient } from './api';
import { ADMIN_NEW_PASSWORD } from './config';
import { DESKTOP, PHONE, launchBrowser, loginAndSettle, openPage, screenshot } from './browser';

const baseURL = inject('baseURL');
const apiURL = inject('apiURL');
const { adminToken } = apiClient(apiURL);

const HEADERS = ['客户编号', '公司名称', '行业类型', '客户等级', '账号状态', '设备系列', '联系电话'];
const GOOD = [
  ['B-E2E-001', '杭州西湖导入测试物业有限公司', '物业管理', 'A', '正式', 'X、N', '13800138001'],
  ['B-E2E-002', '苏州园区导入测试酒店管理有限公司', '酒店', 'B', '试用', 'L', '0512-66668888'],
  ['B-E2E-003', '宁波导入测试长租公寓有限公司', '长租公寓', 'C', '试用', 'X', '13900139002'],
] as const;
const BAD = ['B-E2E-004', '温州导入测试商业地产有限公司', '商业地产', 'B', '试用', 'N', '12345'] as const;
/** Line 1 is the title, line 2 the header, then the rows: the bad one is line 6. */
const BAD_ROW = 6;
const FILE_NAME = '客户导入-e2e.csv';

/** UTF-8 with a BOM and CRLF, as Excel saves "CSV UTF-8"; the title row padded to the header's width. */
function importCsv(): Buffer {
  const title = ['客户导入（E2E 测试）', ...HEADERS.slice(1).map(() => '')];
  const lines = [title, HEADERS, ...GOOD, BAD].map((cells) => cells.join(','));
  return Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`, 'utf8');
}

let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];

const upload = (p: Page) =>
  p.locator('[data-testid="import-upload"] input[type="file"]').setInputFiles({ name: FILE_NAME, mimeType: 'text/csv', buffer: importCsv() });
const count = (p: Page, key: string) => p.locator(`[data-testid="import-counts"] [data-count="${key}"]`).getAttribute('data-value');
const row = (p: Page, text: string) => p.locator('[data-testid="customers-table"] .arco-table-tr', { hasText: text });
const isImport = (dryRun: boolean) => (url: string) => {
  const u = new URL(url);
  return u.pathname === '/api/v1/customers/import' && u.searchParams.get('dry_run') === String(dryRun);
};

/** The saved file's bytes; an .xlsx is a zip, so it starts with `PK`. */
async function bytesOf(download: Download): Promise<Buffer> {
  const failure = await download.failure();
  if (failure) throw new Error(`download failed: ${failure}`);
  return readFileSync(await download.path());
}

describe('customer import and export', () => {
  beforeAll(async () => {
    await adminToken();
    browser = await launchBrowser();
    ({ context, page, errors: pageErrors } = await openPage(browser, baseURL, DESKTOP));
    await loginAndSettle(page, 'admin', ADMIN_NEW_PASSWORD);
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  it('opens the wizard from the list toolbar, with a menu entry', async () => {
    await page.goto('/customers');
    await page.locator('[data-testid="import-customers"]').click();
    await page.waitForURL(/\/customers\/import$/);
    await page.locator('[data-testid="import-steps"]').waitFor();
    await page.locator('.side-menu [data-menu="CustomerImport"]').waitFor();
  });

  it('downloads the template as a non-empty .xlsx', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="download-template"]').click()]);
    expect(download.suggestedFilename()).toMatch(/\.xlsx$/);
    const bytes = await bytesOf(download);
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');
  });

  it('dry-runs the uploaded CSV: 3 importable, 1 rejected naming 联系电话', async () => {
    const dryRun = page.waitForResponse((r) => r.request().method() === 'POST' && isImport(true)(r.url()));
    await upload(page);
    expect((await dryRun).status()).toBe(200);
    await page.locator('[data-testid="import-review"]').waitFor();

    await expect(count(page, 'total')).resolves.toBe('4');
    await expect(count(page, 'imported')).resolves.toBe('3');
    await expect(count(page, 'imported_with_warnings')).resolves.toBe('0');
    await expect(count(page, 'rejected')).resolves.toBe('1');
    await expect(count(page, 'created')).resolves.toBe('3');

    const bad = page.locator('[data-testid="import-issues"] .arco-table-tr', { has: page.locator(`[data-row="${BAD_ROW}"]`) });
    await bad.waitFor();
    const text = await bad.textContent();
    expect(text).toContain('联系电话');
    expect(text).toContain('12345');
    await bad.locator('[data-status="rejected"]').waitFor();
    await page.locator('[data-testid="download-report"]').waitFor();
    expect(await page.locator('[data-testid="import-confirm"]').isDisabled()).toBe(false);
    await screenshot(page, 'customer-import-review');
  });

  it('imports for real, shows the result and the history', async () => {
    const real = page.waitForResponse((r) => r.request().method() === 'POST' && isImport(false)(r.url()));
    await page.locator('[data-testid="import-confirm"]').click();
    expect((await real).status()).toBe(200);
    const done = page.locator('[data-testid="import-done"]');
    await done.waitFor();
    await expect(done.locator('[data-count="imported"]').getAttribute('data-value')).resolves.toBe('3');
    await expect(done.locator('[data-count="rejected"]').getAttribute('data-value')).resolves.toBe('1');

    // The dry run and the real run, newest first.
    const history = page.locator('[data-testid="import-history"] .arco-table-tr', { hasText: FILE_NAME });
    await expect.poll(() => history.count()).toBeGreaterThanOrEqual(2);
    await history.first().locator('[data-kind="import"]').waitFor();
    await screenshot(page, 'customer-import-done');

    await page.locator('[data-testid="import-view-list"]').click();
    await page.waitForURL(/\/customers$/);
    await row(page, GOOD[0][1]).waitFor();
  });

  it('lists the imported customers, not the rejected one', async () => {
    await page.goto(`/customers?q=${encodeURIComponent('导入测试')}`);
    for (const good of GOOD) await row(page, good[1]).waitFor();
    expect(await row(page, BAD[1]).count()).toBe(0);
    await expect(row(page, GOOD[0][1]).textContent()).resolves.toMatch(/B-E2E-001.*正式.*A/);
  });

  it('exports the filtered list as Excel', async () => {
    await page.locator('[data-testid="export-customers"]').click();
    const [download, request] = await Promise.all([
      page.waitForEvent('download'),
      page.waitForRequest((r) => new URL(r.url()).pathname === '/api/v1/customers/export'),
      page.locator('[data-testid="export-xlsx"]').click(),
    ]);
    const params = new URL(request.url()).searchParams;
    expect(params.get('format')).toBe('xlsx');
    expect(params.get('q')).toBe('导入测试');
    expect(params.has('page')).toBe(false);
    expect(download.suggestedFilename()).toMatch(/\.xlsx$/);
    const bytes = await bytesOf(download);
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');
    await page.locator('.arco-message').getByText(/^已导出「.+\.xlsx」$/).waitFor();
  });

  it('fits a phone: stacked counts, the issue table scrolls inside the page', async () => {
    const phone = await openPage(browser, baseURL, PHONE);
    try {
      await loginAndSettle(phone.page, 'admin', ADMIN_NEW_PASSWORD);
      await phone.page.goto('/customers/import');
      await phone.page.locator('[data-testid="import-upload"]').waitFor();
      expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);

      // The same file again: nothing new to create now, the bad row still rejected.
      await upload(phone.page);
      await phone.page.locator('[data-testid="import-review"]').waitFor();
      await expect(count(phone.page, 'rejected')).resolves.toBe('1');
      await expect(count(phone.page, 'created')).resolves.toBe('0');
      await phone.page.locator('[data-testid="import-issues"]').waitFor();
      expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      await screenshot(phone.page, 'customer-import-mobile');
      await phone.page.locator('[data-testid="import-reselect"]').click();
      await phone.page.locator('[data-testid="import-upload"]').waitFor();
      expect(phone.errors).toEqual([]);
    } finally {
      await phone.context.close();
    }
  });

  it('had no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
