/**
 * 自定义报表 end to end: a real opcms, a real Chromium. Through the HTTP API two customers
 * get a flat plan and issued bills — the first, owned by a sales user, one bill in each of
 * the last two months (2000.00 and 1000.00), the second one bill (2500.00). Management
 * opens 自定义报表 from the 经营分析 menu and builds a report on 账单: 客户名称 ticked
 * (the grouping rule then asks for it to be a key: 设为分组), grouped by 客户编号, the sum
 * of 应收金额, filtered to these two customers (属于); runs it and reads the figures
 * (3000.00 over 2 bills, 2500.00 over 1, 合计 5500.00); saves it; reloads and finds it
 * still there; starts a new one and reopens it from 我的报表; exports it as CSV. The sales
 * user opens the same definition and sees only their customer's row, and not management's
 * saved report. Screenshots at desktop and phone size.
 *
 * The months are counted in China (UTC+8), as the server counts periods.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { apiClient, type Tokens } from './api';
import { ADMIN_NEW_PASSWORD } from './config';
import { PHONE, adminSession, loginAndSettle, openPage, screenshot } from './browser';

const baseURL = inject('baseURL');
const apiURL = inject('apiURL');
const { must, adminToken } = apiClient(apiURL);

const OWNED = '杭州报表测试物业有限公司';
const OTHER = '宁波报表测试公寓管理有限公司';
const PLAN = '报表测试单一价方案';
const REPORT = 'E2E 客户应收汇总';
const SALES = { username: 'reports_sales', initial: 'Sales-init-2026', password: 'Sales-reports-2026', displayName: '钱报表' };

/** `YYYY-MM` of `back` months before this one, in China. */
function monthsAgoChina(back: number): string {
  const china = new Date(Date.now() + 8 * 3600 * 1000);
  const first = new Date(Date.UTC(china.getUTCFullYear(), china.getUTCMonth() - back, 1));
  return `${first.getUTCFullYear()}-${String(first.getUTCMonth() + 1).padStart(2, '0')}`;
}
const EARLIER = monthsAgoChina(2);
const LAST = monthsAgoChina(1);

let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];
const codes: Record<string, string> = {};

/** The report built below, as the page sends it. */
const DEFINITION = () => ({
  dataset: 'bills',
  columns: ['company_name', 'customer_code', 'total'],
  filters: [{ column: 'customer_code', op: 'in', value: `${codes[OWNED]},${codes[OTHER]}` }],
  group_by: ['customer_code', 'company_name'],
  sums: ['total'],
});
const title = (p: Page, text: string) => p.locator('[data-testid="report-title"]', { hasText: text });
/** Open a select, pick the option, and wait for its list to close (a closing list still shows its options). */
async function pick(p: Page, select: Locator, text: string) {
  await select.click();
  await p.locator('.arco-select-option:visible:not(.arco-select-option-disabled)', { hasText: text }).first().click();
  const open = p.locator('.arco-select-dropdown:visible');
  if (await open.count()) await p.keyboard.press('Escape');
  await expect.poll(() => open.count()).toBe(0);
}
const resultRow = (p: Page, code: string) => p.locator('[data-testid="report-result-table"] tbody .arco-table-tr', { hasText: code });
const moneyIn = (scope: Locator, key: string) => scope.locator(`[data-amount="${key}"]`).first().getAttribute('data-value');
const isReportRun = (r: { request(): { method(): string }; url(): string }) =>
  r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/reports/run';

/** The figures of the two customers and the totals row, as the table shows them. */
async function expectFigures(p: Page) {
  const owned = resultRow(p, codes[OWNED]!);
  await owned.waitFor();
  await expect(moneyIn(owned, 'total')).resolves.toBe('3000.00');
  await expect(owned.locator('[data-cell="count"]').textContent()).resolves.toBe('2');
  await expect(owned.textContent()).resolves.toContain(OWNED);
  const other = resultRow(p, codes[OTHER]!);
  await expect(moneyIn(other, 'total')).resolves.toBe('2500.00');
  await expect(other.locator('[data-cell="count"]').textContent()).resolves.toBe('1');
  const totals = p.locator('[data-testid="report-result-table"] .arco-table-tr-summary');
  await expect(totals.locator('[data-total="total"] [data-amount="total"]').getAttribute('data-value')).resolves.toBe('5500.00');
}

describe('custom reports', () => {
  beforeAll(async () => {
    const token = await adminToken();
    const sales = await must<{ id: number }>('POST', '/users', {
      username: SALES.username, password: SALES.initial, role: 'sales', display_name: SALES.displayName,
    }, token);
    const first = await must<Tokens>('POST', '/auth/login', { username: SALES.username, password: SALES.initial });
    await must('POST', '/auth/password', { current_password: SALES.initial, new_password: SALES.password }, first.access_token);

    const ids: Record<string, number> = {};
    for (const [name, extra] of [[OWNED, { sales_owner_id: sales.id }], [OTHER, {}]] as const) {
      const created = await must<{ id: number; customer_code: string }>('POST', '/customers', {
        company_name: name, account_status: 'active', device_series: ['X'], payment_terms_days: 15, ...extra,
      }, token);
      ids[name] = created.id;
      codes[name] = created.customer_code;
    }
    const rules = { X: { mode: 'flat', unit_price: '0.5' }, N: { mode: 'flat', unit_price: '0.2' }, L: { mode: 'flat', unit_price: '0.2' } };
    const plan = await must<{ id: number }>('POST', '/price-plans', { name: PLAN, effective_from: EARLIER, rules }, token);
    for (const id of Object.values(ids)) await must('PUT', `/customers/${id}/pricing`, { plan_id: plan.id }, token);
    // X × 0.5: 4000 → 2000.00 and 2000 → 1000.00 for the first; 5000 → 2500.00 for the second.
    await must('POST', '/usage', {
      records: [
        { customer_id: ids[OWNED], series: 'X', day: `${EARLIER}-10`, quantity: '4000' },
        { customer_id: ids[OWNED], series: 'X', day: `${LAST}-10`, quantity: '2000' },
        { customer_id: ids[OTHER], series: 'X', day: `${LAST}-12`, quantity: '5000' },
      ],
    }, token);
    for (const period of [EARLIER, LAST]) {
      const customers = period === EARLIER ? [ids[OWNED]] : [ids[OWNED], ids[OTHER]];
      await must('POST', '/bills/generate', { period, customer_ids: customers }, token);
      for (const id of customers) {
        const list = await must<{ items: { id: number }[] }>('GET', `/bills?customer_id=${id}&period=${period}`, undefined, token);
        for (const bill of list.items) await must('POST', `/bills/${bill.id}/issue`, { acknowledge_warnings: true }, token);
      }
    }

    ({ browser, context, page, errors: pageErrors } = await adminSession(baseURL, ADMIN_NEW_PASSWORD));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  it('builds bills grouped by customer with the sum of 应收金额, the grouping rule explained on the way', async () => {
    await page.locator('.side-menu [data-menu="AnalyticsReports"]').click();
    await page.waitForURL(/\/analytics\/reports/);
    await page.locator('[data-testid="report-dataset"] [data-dataset="bills"]').click();
    await page.locator('[data-testid="report-columns"] [data-column="company_name"]').click();

    await pick(page, page.locator('[data-testid="report-group-by"]'), '客户编号');
    // 客户名称 is shown but neither a key nor a sum: the row says so and offers the fix.
    const hint = page.locator('[data-hint-for="columns.company_name"]');
    await expect(hint.textContent()).resolves.toContain('分组时须为分组列或求和列');
    await page.locator('[data-testid="group-rule"]').waitFor();
    await hint.getByText('设为分组').click();
    await expect(hint.count()).resolves.toBe(0);

    await pick(page, page.locator('[data-testid="report-sums"]'), '应收金额');

    await page.locator('[data-testid="filter-add"]').click();
    const filter = page.locator('[data-filter="0"]');
    await pick(page, filter.locator('[data-testid="filter-column"]'), '客户编号');
    await pick(page, filter.locator('[data-testid="filter-op"]'), '属于');
    const values = filter.locator('[data-testid="filter-value"] input');
    for (const code of [codes[OWNED]!, codes[OTHER]!]) {
      await values.fill(code);
      await values.press('Enter');
    }

    const selected = page.locator('[data-selected-column]');
    await expect(selected.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-selected-column')))).resolves.toEqual([
      'company_name', 'customer_code', 'total',
    ]);
  });

  it('runs it and shows each customer’s sum and count, and the total over both', async () => {
    const [response] = await Promise.all([page.waitForResponse(isReportRun), page.locator('[data-testid="report-run"]').click()]);
    expect(response.status()).toBe(200);
    expect(JSON.parse(response.request().postData() ?? '{}')).toEqual(DEFINITION());
    await expectFigures(page);
    const headers = page.locator('[data-testid="report-result-table"] thead th');
    await expect(headers.evaluateAll((ths) => ths.map((th) => th.textContent?.trim()))).resolves.toEqual(['客户编号', '客户名称', '应收金额', '行数']);
    await screenshot(page, 'reports-builder');
  });

  it('saves it under a name, keeps it across a reload, and reopens it from 我的报表', async () => {
    await page.locator('[data-testid="report-save"]').click();
    const dialog = page.locator('[data-testid="report-name-dialog"]');
    await dialog.locator('[data-testid="report-name"] input, input[data-testid="report-name"]').fill(REPORT);
    await dialog.locator('.arco-modal-footer .arco-btn-primary').click();
    await title(page, REPORT).waitFor();
    const saved = page.locator(`[data-testid="saved-reports"] [data-report="${REPORT}"]`);
    await saved.waitFor();
    await page.waitForURL((url) => url.searchParams.has('report') && !url.searchParams.has('def'));

    await page.reload();
    await title(page, REPORT).waitFor();
    await expectFigures(page);

    await page.locator('[data-testid="report-new"]').click();
    await title(page, '未保存的报表').waitFor();
    await expect(page.locator('[data-testid="report-result-table"]').count()).resolves.toBe(0);
    await saved.locator('[data-testid="saved-report-open"]').click();
    await title(page, REPORT).waitFor();
    await expectFigures(page);
  });

  it('exports the saved report as CSV with the same figures', async () => {
    await page.locator('[data-testid="report-export"]').click();
    // Saved and unchanged: asked for by id.
    const [download, request] = await Promise.all([
      page.waitForEvent('download'),
      page.waitForRequest((r) => /^\/api\/v1\/reports\/\d+\/export$/.test(new URL(r.url()).pathname)),
      page.locator('[data-testid="export-csv"]').click(),
    ]);
    expect([request.method(), new URL(request.url()).searchParams.get('format')]).toEqual(['GET', 'csv']);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    const failure = await download.failure();
    expect(failure).toBeNull();
    const csv = readFileSync(await download.path(), 'utf8');
    expect(csv).toContain(codes[OWNED]);
    expect(csv).toContain(codes[OTHER]);
    expect(csv).toMatch(/3000(\.00)?/);
    expect(csv).toMatch(/2500(\.00)?/);
  });

  it('shows a sales user only their own customer’s rows, and not management’s saved report', async () => {
    const sales = await openPage(browser, baseURL);
    try {
      await loginAndSettle(sales.page, SALES.username, SALES.password);
      await sales.page.goto('/analytics/reports');
      await sales.page.locator('[data-testid="saved-reports"]').getByText('还没有保存的报表').waitFor();
      await expect(sales.page.locator(`[data-report="${REPORT}"]`).count()).resolves.toBe(0);
      // The same report, unsaved, as a link carries it.
      const def = JSON.stringify(DEFINITION());
      await sales.page.goto(`/analytics/reports?def=${encodeURIComponent(def)}&page=1`);
      const owned = resultRow(sales.page, codes[OWNED]!);
      await owned.waitFor();
      await expect(moneyIn(owned, 'total')).resolves.toBe('3000.00');
      await expect(resultRow(sales.page, codes[OTHER]!).count()).resolves.toBe(0);
      const totals = sales.page.locator('[data-testid="report-result-table"] .arco-table-tr-summary');
      await expect(totals.locator('[data-amount="total"]').getAttribute('data-value')).resolves.toBe('3000.00');
      expect(sales.errors).toEqual([]);
      await screenshot(sales.page, 'reports-sales');
    } finally {
      await sales.context.close();
    }
  });

  it('lays the report out as cards on a phone', async () => {
    const phone = await openPage(browser, baseURL, PHONE);
    try {
      await loginAndSettle(phone.page, 'admin', ADMIN_NEW_PASSWORD);
      await phone.page.goto(page.url());
      await phone.page.locator('[data-testid="report-result-card"]').first().waitFor();
      await expect(phone.page.locator('[data-testid="report-result-table"]').count()).resolves.toBe(0);
      await expect(phone.page.locator('[data-testid="report-totals-card"] [data-amount="total"]').getAttribute('data-value')).resolves.toBe('5500.00');
      expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      await screenshot(phone.page, 'reports-mobile');
    } finally {
      await phone.context.close();
    }
  });

  it('had no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
