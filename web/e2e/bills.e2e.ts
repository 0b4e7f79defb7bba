/**
 * Bills end to end: a real opcms, a real Chromium. Two active customers, a graduated
 * price plan and last month's usage are seeded through the API; the admin generates last
 * month's bills for those two on the 账单生成 page, sees each draft with its amount and
 * the first one's warning (its N series has no usage), issues it in a batch only after
 * ticking 已核对警告, opens it to read the lines and the X series' tiers, voids the second
 * one with a reason, and credits part of the first. Steps build on each other.
 *
 * Last month is counted in China (UTC+8), as the server counts periods.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { apiClient } from './api';
import { ADMIN_NEW_PASSWORD } from './config';
import { adminSession, screenshot } from './browser';

const baseURL = inject('baseURL');
const apiURL = inject('apiURL');
const { must, adminToken } = apiClient(apiURL);

const FIRST = '杭州滨江账单测试物业有限公司';
const SECOND = '宁波鄞州账单测试公寓管理有限公司';
const PLAN = '账单测试阶梯方案';
const VOID_REASON = '客户合同变更，需重新出账';
const CREDIT_REASON = '设备故障期间减免服务费';

/** Last month in China, `YYYY-MM`. */
function lastMonthChina(): string {
  const china = new Date(Date.now() + 8 * 3600 * 1000);
  const first = new Date(Date.UTC(china.getUTCFullYear(), china.getUTCMonth() - 1, 1));
  return `${first.getUTCFullYear()}-${String(first.getUTCMonth() + 1).padStart(2, '0')}`;
}
const PERIOD = lastMonthChina();

let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];
let firstId = 0;
let secondId = 0;
let firstBillId = 0;
let secondBillId = 0;

/** An Arco modal puts its attributes (our data-testid) on its container. */
const modal = (p: Page, testId: string) => p.locator(`[data-testid="${testId}"]`);
const okButton = (dialog: Locator) => dialog.locator('.arco-modal-footer .arco-btn-primary');
const draftRow = (p: Page, customer: string) => p.locator('[data-testid="bills-table"] tbody .arco-table-tr', { hasText: customer });
const amountIn = (scope: Locator, name: string) => scope.locator(`[data-amount="${name}"]`).first().getAttribute('data-value');
const isPost = (path: RegExp) => (r: { request(): { method(): string }; url(): string }) =>
  r.request().method() === 'POST' && path.test(new URL(r.url()).pathname);

async function pickCustomer(p: Page, name: string) {
  const picker = p.locator('[data-field="customers"]');
  await picker.click();
  await picker.locator('input').fill(name);
  await p.locator('.arco-select-option', { hasText: name }).first().click();
}

describe('bills', () => {
  beforeAll(async () => {
    const token = await adminToken();
    const customer = (name: string, series: string[]) =>
      must<{ id: number }>('POST', '/customers', { company_name: name, account_status: 'active', device_series: series, payment_terms_days: 15 }, token);
    firstId = (await customer(FIRST, ['X', 'N'])).id;
    secondId = (await customer(SECOND, ['X'])).id;
    const rules = {
      X: { mode: 'graduated', tiers: [{ up_to: '1000', unit_price: '0.5' }, { up_to: '5000', unit_price: '0.4' }, { up_to: null, unit_price: '0.3' }] },
      N: { mode: 'flat', unit_price: '0.2' },
      L: { mode: 'flat', unit_price: '0.2' },
    };
    const plan = await must<{ id: number }>('POST', '/price-plans', { name: PLAN, effective_from: PERIOD, rules }, token);
    for (const id of [firstId, secondId]) await must('PUT', `/customers/${id}/pricing`, { plan_id: plan.id }, token);
    // X 6000 → 1000×0.5 + 4000×0.4 + 1000×0.3 = 2400.00; X 1000 → 500.00.
    await must('POST', '/usage', {
      records: [
        { customer_id: firstId, series: 'X', day: `${PERIOD}-10`, quantity: '2500' },
        { customer_id: firstId, series: 'X', day: `${PERIOD}-20`, quantity: '3500' },
        { customer_id: secondId, series: 'X', day: `${PERIOD}-15`, quantity: '1000' },
      ],
    }, token);

    ({ browser, context, page, errors: pageErrors } = await adminSession(baseURL, ADMIN_NEW_PASSWORD));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  it('opens 账单生成 from the 账单管理 menu, on last month', async () => {
    await page.locator('.side-menu').getByText('账单管理').waitFor();
    await page.locator('.side-menu [data-menu="BillGenerate"]').click();
    await page.waitForURL(/\/bills\/generate/);
    await expect(page.locator('[data-field="period"] input').inputValue()).resolves.toBe(PERIOD);
    await page.locator('.side-menu [data-menu="Bills"]').waitFor();
  });

  it('generates last month’s bills for the two customers and shows the run', async () => {
    await pickCustomer(page, FIRST);
    await pickCustomer(page, SECOND);
    await page.locator('[data-testid="generate-customers"] [data-customer]').nth(1).waitFor();

    const [response] = await Promise.all([
      page.waitForResponse(isPost(/^\/api\/v1\/bills\/generate$/)),
      page.locator('[data-testid="generate-bills"]').click(),
    ]);
    expect(response.status()).toBe(200);
    expect(JSON.parse(response.request().postData() ?? '{}')).toEqual({ period: PERIOD, customer_ids: [firstId, secondId] });
    const result = page.locator('[data-testid="run-result"]');
    await expect(result.locator('[data-count="created"]').getAttribute('data-value')).resolves.toBe('2');
    await expect(result.locator('[data-count="warnings"]').getAttribute('data-value')).resolves.toBe('1');
    await page.locator('[data-testid="bill-runs"] tbody .arco-table-tr').first().waitFor();
  });

  it('lists each draft with its amount, the first with its warning highlighted', async () => {
    const first = draftRow(page, FIRST);
    const second = draftRow(page, SECOND);
    await first.waitFor();
    await expect(amountIn(first, 'total')).resolves.toBe('2400.00');
    await expect(amountIn(second, 'total')).resolves.toBe('500.00');
    await first.locator('[data-warning="USAGE_MISSING"]').waitFor();
    await expect(first.getAttribute('class')).resolves.toContain('has-warnings');
    expect(await second.locator('[data-warning]').count()).toBe(0);
    firstBillId = Number((await first.locator('[data-bill-no]').getAttribute('href'))?.split('/').pop());
    secondBillId = Number((await second.locator('[data-bill-no]').getAttribute('href'))?.split('/').pop());
    await screenshot(page, 'bills-generate');
  });

  it('issues the first draft only after 已核对警告', async () => {
    await draftRow(page, FIRST).locator('.arco-checkbox').click();
    await page.locator('[data-testid="batch-issue"]').click();
    const dialog = modal(page, 'batch-issue-modal');
    await expect(dialog.locator('[data-testid="batch-issue-count"]').getAttribute('data-warned')).resolves.toBe('1');
    await dialog.locator('[data-testid="batch-issue-warned"]').getByText(FIRST).waitFor();

    await okButton(dialog).click();
    await dialog.locator('[data-error-for="acknowledge_warnings"]').getByText('请先核对警告并勾选「已核对警告」').waitFor();

    await dialog.locator('[data-testid="acknowledge-warnings"]').click();
    const [response] = await Promise.all([page.waitForResponse(isPost(/^\/api\/v1\/bills\/batch-issue$/)), okButton(dialog).click()]);
    expect(response.status()).toBe(200);
    expect(JSON.parse(response.request().postData() ?? '{}')).toEqual({ ids: [firstBillId], acknowledge_warnings: true });
    await expect(page.locator('[data-testid="batch-issue-result"]').getAttribute('data-issued')).resolves.toBe('1');
    // Issued: no longer a draft of the period.
    await expect.poll(() => draftRow(page, FIRST).count()).toBe(0);
    await draftRow(page, SECOND).waitFor();
  });

  it('shows the issued bill: acknowledgement, due date, lines and the X series’ tiers', async () => {
    await page.goto(`/bills/${firstBillId}`);
    await expect(page.locator('[data-testid="bill-status"]').textContent()).resolves.toBe('未结算');
    await expect(page.locator('[data-testid="warnings-acknowledged"]').textContent()).resolves.toContain('核对并确认出账');
    await expect(page.locator('[data-testid="bill-due-date"]').textContent()).resolves.toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await expect(amountIn(page.locator('[data-testid="bill-amounts"]'), 'outstanding')).resolves.toBe('2400.00');

    const lines = page.locator('[data-testid="bill-lines"]');
    const x = lines.locator('.arco-table-tr', { has: page.locator('[data-line="X"]') });
    await expect(x.locator('[data-amount="line"]').getAttribute('data-value')).resolves.toBe('2400.00');
    await x.locator('.arco-table-expand-btn').click();
    const tiers = lines.locator('[data-testid="line-tiers"]');
    await tiers.getByText('(1000, 5000]').waitFor();
    await expect(tiers.locator('tbody .arco-table-tr').count()).resolves.toBe(3);
    await expect(tiers.textContent()).resolves.toContain('1600');
    await screenshot(page, 'bill-detail');

    await page.locator('[data-testid="bill-tabs"] .arco-tabs-tab', { hasText: 'PDF' }).click();
    await expect.poll(() => page.locator('[data-testid="bill-pdf-frame"]').getAttribute('src')).toMatch(/^blob:/);
  });

  it('voids the second bill with a reason', async () => {
    await page.goto(`/bills/${secondBillId}`);
    await page.locator('[data-testid="void-bill"]').click();
    const dialog = modal(page, 'void-modal');
    await okButton(dialog).click();
    await dialog.locator('[data-error-for="reason"]').getByText('请填写作废原因').waitFor();
    await dialog.locator('[data-field="reason"] textarea').fill(VOID_REASON);
    const [response] = await Promise.all([page.waitForResponse(isPost(/\/void$/)), okButton(dialog).click()]);
    expect(response.status()).toBe(200);
    await expect.poll(() => page.locator('[data-testid="bill-status"]').textContent()).toBe('作废');
    await expect(page.locator('[data-testid="bill-void-reason"]').textContent()).resolves.toBe(VOID_REASON);
  });

  it('credits part of the first bill, refusing more than is outstanding', async () => {
    await page.goto(`/bills/${firstBillId}`);
    await page.locator('[data-testid="credit-bill"]').click();
    const dialog = modal(page, 'credit-modal');
    await dialog.locator('[data-field="amount"] input').fill('2400.01');
    await dialog.locator('[data-field="reason"] textarea').fill(CREDIT_REASON);
    await okButton(dialog).click();
    await dialog.locator('[data-error-for="amount"]').getByText('红冲金额 2400.01 超过账单未结金额 2400.00').waitFor();

    await dialog.locator('[data-field="amount"] input').fill('84');
    const [response] = await Promise.all([page.waitForResponse(isPost(/\/credit-notes$/)), okButton(dialog).click()]);
    expect(response.status()).toBe(200);
    expect(JSON.parse(response.request().postData() ?? '{}')).toEqual({ amount: '84', reason: CREDIT_REASON });
    const amounts = page.locator('[data-testid="bill-amounts"]');
    await expect.poll(() => amountIn(amounts, 'credited')).toBe('84.00');
    await expect(amountIn(amounts, 'total')).resolves.toBe('2316.00');
    await expect(amountIn(amounts, 'outstanding')).resolves.toBe('2316.00');
    await page.locator('[data-testid="bill-tabs"] .arco-tabs-tab', { hasText: '红冲记录' }).click();
    await page.locator('[data-testid="credit-notes"]').getByText(CREDIT_REASON).waitFor();
    await page.locator('[data-testid="bill-tabs"] .arco-tabs-tab', { hasText: '操作记录' }).click();
    await page.locator('[data-testid="audit-entry"]').first().waitFor();
  });

  it('finds both in the list with the totals, and on the customer’s 账单 tab', async () => {
    await page.goto(`/bills?period=${PERIOD}&q=${encodeURIComponent('账单测试')}`);
    const table = page.locator('[data-testid="bills-table"]');
    await table.locator('tbody .arco-table-tr', { hasText: FIRST }).waitFor();
    await expect(table.locator('[data-testid="bills-totals"]').textContent()).resolves.toBe('合计 1 张（作废除外）');
    await table.locator('tbody .arco-table-tr', { hasText: SECOND }).locator('[data-status="void"]').waitFor();
    await screenshot(page, 'bills-list');

    await page.goto(`/customers/${firstId}?tab=bills`);
    const tab = page.locator('[data-testid="customer-bills"]');
    await tab.locator('[data-status="issued"]').waitFor();
    await expect(amountIn(tab.locator('tbody .arco-table-tr').first(), 'outstanding')).resolves.toBe('2316.00');
  });

  it('had no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
