/**
 * Month-close bulk work end to end (issue 21, items 2, 3, 5, 7 for bills): twelve active
 * customers seeded through the API without a plan; on 客户列表 the admin narrows to them,
 * selects the page, then "all 12 matching the filter", and sets their 价格方案 in one
 * batch. Bills for a month of their usage are generated; one customer's usage is on a
 * series it does not have, so its draft carries SERIES_NOT_SUBSCRIBED. 出账全部无警告草稿
 * shows the server's count and total and issues the eleven clean drafts. The bills list
 * keeps 状态/未结金额/到期日 in view at 1440 px and turns into cards at 390 px; a bill's
 * line opens to its tiers and each day's source.
 *
 * The month is two months back (China time) so the other bill tests' month is untouched.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiClient } from './api';
import { ADMIN_NEW_PASSWORD } from './config';
import { PHONE, adminSession, openPage, loginAndSettle, screenshot } from './browser';

const baseURL = inject('baseURL');
const apiURL = inject('apiURL');
const { must, adminToken } = apiClient(apiURL);

const PREFIX = '批量月结测试';
const PLAN = '批量月结方案';

function monthsBackChina(n: number): string {
  const china = new Date(Date.now() + 8 * 3600 * 1000);
  const first = new Date(Date.UTC(china.getUTCFullYear(), china.getUTCMonth() - n, 1));
  return `${first.getUTCFullYear()}-${String(first.getUTCMonth() + 1).padStart(2, '0')}`;
}
const PERIOD = monthsBackChina(2);

let browser: Browser;
let context: BrowserContext;
let page: Page;
const ids: number[] = [];
let planId = 0;
let token = '';

const isPost = (path: RegExp) => (r: { request(): { method(): string }; url(): string }) =>
  r.request().method() === 'POST' && path.test(new URL(r.url()).pathname);

describe('bulk month close', () => {
  beforeAll(async () => {
    token = await adminToken();
    for (let i = 0; i < 12; i += 1) {
      const name = `${PREFIX}${String(i + 1).padStart(2, '0')}有限公司`;
      ids.push((await must<{ id: number }>('POST', '/customers', { company_name: name, account_status: 'active', device_series: ['N'] }, token)).id);
    }
    const rules = { X: { mode: 'flat', unit_price: '2' }, N: { mode: 'flat', unit_price: '1.5' }, L: { mode: 'flat', unit_price: '1' } };
    planId = (await must<{ id: number }>('POST', '/price-plans', { name: PLAN, effective_from: PERIOD, rules }, token)).id;
    ({ browser, context, page } = await adminSession(baseURL, ADMIN_NEW_PASSWORD));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  it('sets the 价格方案 of every customer matching the filter in one batch', async () => {
    await page.goto(`/customers?q=${encodeURIComponent(PREFIX)}&page_size=10`);
    await page.locator('[data-testid="customers-table"] tbody .arco-table-tr').nth(9).waitFor();
    await page.locator('[data-testid="customers-table"] thead .arco-checkbox').first().click();
    await page.locator('[data-testid="select-all-matching"]').click();
    await page.locator('[data-testid="batch-count"]').getByText('已选择全部 12 个筛选结果').waitFor();
    await page.locator('[data-testid="batch-set_price_plan"]').click();
    const dialog = page.locator('[data-testid="batch-modal"]');
    await dialog.locator('[data-testid="batch-scope"]').getByText('全部 12 个符合当前筛选条件的客户').waitFor();
    await dialog.locator('[data-field="plan"]').click();
    await page.locator('.arco-select-option:visible', { hasText: PLAN }).first().click();
    await screenshot(page, 'customers-batch-plan');
    const [response] = await Promise.all([
      page.waitForResponse(isPost(/^\/api\/v1\/customers\/batch$/)),
      dialog.locator('.arco-modal-footer .arco-btn-primary').click(),
    ]);
    const sent = JSON.parse(response.request().postData() ?? '{}');
    expect(sent).toEqual({ action: 'set_price_plan', plan_id: planId, filter: { q: PREFIX } });
    await dialog.locator('[data-testid="batch-succeeded"]').getByText('成功 12 个').waitFor();
    await dialog.locator('.arco-modal-footer .arco-btn-primary').click();
    // The 价格方案 column shows it.
    await page.locator('[data-testid="customers-table"] tbody .arco-table-tr', { hasText: PLAN }).first().waitFor();
  });

  it('issues all clean drafts after showing the server’s count and total', async () => {
    const records = ids.map((id, i) => ({ customer_id: id, series: i === 0 ? 'X' : 'N', day: `${PERIOD}-15`, quantity: String(1000 + i) }));
    await must('POST', '/usage', { records }, token);
    await must('POST', '/bills/generate', { period: PERIOD, customer_ids: ids }, token);
    await page.goto(`/bills/generate?period=${PERIOD}`);
    await page.locator('[data-warning="SERIES_NOT_SUBSCRIBED"]').first().waitFor();
    await page.locator('[data-testid="issue-all-clean"]').click();
    const dialog = page.locator('[data-testid="issue-all-clean-modal"]');
    const confirm = dialog.locator('[data-testid="issue-all-clean-confirm"]');
    await confirm.waitFor();
    // Eleven N customers: Σ (1001…1011) × 1.5 = 16,599.00.
    await expect(confirm.getAttribute('data-count')).resolves.toBe('11');
    await expect(confirm.getAttribute('data-total')).resolves.toBe('16599.00');
    await confirm.getByText('合计 16,599.00 元').waitFor();
    await screenshot(page, 'bills-issue-all-clean');
    const [response] = await Promise.all([
      page.waitForResponse(isPost(/^\/api\/v1\/bills\/batch-issue$/)),
      dialog.locator('.arco-modal-footer .arco-btn-primary').click(),
    ]);
    expect(JSON.parse(response.request().postData() ?? '{}')).toEqual({
      filter: { period: PERIOD, has_warnings: false },
      expected_count: 11,
      expected_total: '16599.00',
    });
    const answer = await response.json();
    expect(answer.issued).toBe(11);
  });

  it('keeps 状态, 未结金额 and 到期日 in view at 1440 px', async () => {
    await page.goto(`/bills?period=${PERIOD}&q=${encodeURIComponent(PREFIX)}`);
    const row = page.locator('[data-testid="bills-table"] tbody .arco-table-tr').first();
    await row.waitFor();
    for (const name of ['outstanding']) {
      const box = await row.locator(`[data-amount="${name}"]`).first().boundingBox();
      expect(box && box.x + box.width <= 1440).toBe(true);
    }
    const header = page.locator('[data-testid="bills-table"] thead');
    for (const title of ['状态', '未结金额', '到期日']) {
      const box = await header.getByText(title, { exact: true }).first().boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= 1440, title).toBe(true);
    }
    await screenshot(page, 'bills-list-desktop', { fullPage: false });
  });

  it('opens a bill line to its tiers and each day’s source', async () => {
    const bill = await must<{ items: { id: number }[] }>('GET', `/bills?period=${PERIOD}&customer_id=${ids[1]}`, undefined, token);
    await page.goto(`/bills/${bill.items[0]!.id}`);
    await page.locator('[data-testid="line-unit-price"]').getByText('1.5').waitFor();
    await page.locator('[data-testid="bill-lines"] .arco-table-expand-btn').first().click();
    const day = page.locator('[data-testid="line-days"] [data-day]').first();
    await expect(day.getAttribute('data-source')).resolves.toBe('manual');
    await day.getByText('手工录入').waitFor();
    await screenshot(page, 'bill-line-days');
  });

  it('shows the bills list as cards on a phone', async () => {
    const phone = await openPage(browser, baseURL, PHONE);
    await loginAndSettle(phone.page, 'admin', ADMIN_NEW_PASSWORD);
    await phone.page.goto(`/bills?period=${PERIOD}&q=${encodeURIComponent(PREFIX)}`);
    await phone.page.locator('[data-testid="bill-card"]').first().waitFor();
    expect(await phone.page.locator('[data-testid="bills-table"]').count()).toBe(0);
    await screenshot(phone.page, 'bills-list-phone');
    await phone.context.close();
  });
});
