/**
 * Analytics end to end, on a server of its own with the test clock (so the figures are
 * exactly this file's data, on fixed dates, whatever ran before): through the HTTP API
 * two customers get a flat plan, October usage and an issued October bill (2000.00 and
 * 3000.00); the first pays its bill in full, received in October; five weeks later a
 * third customer is closed. Management lands on the 工作台 with the 经营看板 (December:
 * one customer lost, in a dialog), picks October and finds its figures exactly (应收
 * 5000.00, 实收/已回款 2000.00, 回款率 40.0%, 逾期 3000.00 in the 1–30 days bucket, one
 * new customer, the top customers in order), clicks 应收 and lands on the bills list
 * filtered to those bills, totalling 5000.00 (and exports the month's dashboard as Excel and PDF). A sales user, owner of the first customer only, sees that customer
 * (idle: high risk) on the home page and on 流失预警, and never the other. Screenshots at
 * desktop and phone size.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiClient, type Tokens } from './api';
import { ADMIN_NEW_PASSWORD } from './config';
import { DESKTOP, PHONE, adminSession, loginAndSettle, openPage, screenshot } from './browser';
import { startOpcms, type RunningOpcms } from './server';

const OWNED = '杭州分析测试物业有限公司';
const OTHER = '宁波分析测试公寓管理有限公司';
const CLOSED = '温州分析测试酒店有限公司';
const PLAN = '分析测试单一价方案';
const SALES = { username: 'analytics_sales', initial: 'Sales-init-2026', password: 'Sales-analytics-2026', displayName: '赵分析' };

/**
 * The business clock (OPCMS_TEST_CLOCK) makes the dates exact: the bills of October are
 * issued on 1 November (due 15 November, October's last day + 15), and the figures are
 * read on 6 December, when the unpaid one is 21 days overdue.
 */
const PERIOD = '2026-10';
const ISSUED_AT = '2026-11-01T10:00:00+08:00';
const NOW = '2026-12-06T10:00:00+08:00';
const TODAY = '2026-12-06';
const THIS_MONTH = '2026-12';
const OVERDUE_BUCKET = '1-30';

interface Bill {
  id: number;
  total: string;
}

let opcms: RunningOpcms;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];
const ids: Record<string, number> = {};
const codes: Record<string, string> = {};

const figure = (p: Page, key: string) => p.locator(`[data-testid="figure-${key}"]`);
const amountOf = (p: Page, key: string) => figure(p, key).locator(`[data-amount="${key}"]`).getAttribute('data-value');
const countOf = (p: Page, key: string) => figure(p, key).locator('[data-value]').getAttribute('data-value');

describe('analytics', () => {
  beforeAll(async () => {
    opcms = await startOpcms({ OPCMS_TEST_CLOCK: 'true' });
    const { must, adminToken } = apiClient(opcms.apiURL);
    const token = await adminToken();
    await must('PUT', '/system/clock', { now: ISSUED_AT }, token);

    const sales = await must<{ id: number }>('POST', '/users', {
      username: SALES.username, password: SALES.initial, role: 'sales', display_name: SALES.displayName,
    }, token);
    const first = await must<Tokens>('POST', '/auth/login', { username: SALES.username, password: SALES.initial });
    await must('POST', '/auth/password', { current_password: SALES.initial, new_password: SALES.password }, first.access_token);

    const customer = async (name: string, extra: Record<string, unknown>) => {
      const created = await must<{ id: number; customer_code: string }>('POST', '/customers', {
        company_name: name, account_status: 'active', device_series: ['X'], payment_terms_days: 15, ...extra,
      }, token);
      ids[name] = created.id;
      codes[name] = created.customer_code;
    };
    // Signed in the billed month (a new customer then), its contract ending within 60 days.
    await customer(OWNED, { sales_owner_id: sales.id, signed_at: `${PERIOD}-05`, contract_end_at: '2027-01-05' });
    await customer(OTHER, { signed_at: '2024-03-01' });
    await customer(CLOSED, { signed_at: '2024-03-01' });

    const rules = { X: { mode: 'flat', unit_price: '0.5' }, N: { mode: 'flat', unit_price: '0.2' }, L: { mode: 'flat', unit_price: '0.2' } };
    const plan = await must<{ id: number }>('POST', '/price-plans', { name: PLAN, effective_from: PERIOD, rules }, token);
    for (const name of [OWNED, OTHER]) await must('PUT', `/customers/${ids[name]}/pricing`, { plan_id: plan.id }, token);
    // X 4000 × 0.5 = 2000.00 and X 6000 × 0.5 = 3000.00; no usage since: both idle now.
    await must('POST', '/usage', {
      records: [
        { customer_id: ids[OWNED], series: 'X', day: `${PERIOD}-10`, quantity: '4000' },
        { customer_id: ids[OTHER], series: 'X', day: `${PERIOD}-10`, quantity: '6000' },
      ],
    }, token);
    await must('POST', '/bills/generate', { period: PERIOD, customer_ids: [ids[OWNED], ids[OTHER]] }, token);
    const bills: Record<string, Bill> = {};
    for (const name of [OWNED, OTHER]) {
      const list = await must<{ items: Bill[] }>('GET', `/bills?customer_id=${ids[name]}&period=${PERIOD}`, undefined, token);
      const bill = list.items[0];
      if (!bill) throw new Error(`no bill for ${name}`);
      await must('POST', `/bills/${bill.id}/issue`, { acknowledge_warnings: true }, token);
      bills[name] = bill;
    }
    expect([bills[OWNED]?.total, bills[OTHER]?.total]).toEqual(['2000.00', '3000.00']);

    // The first customer pays in full, received in the billed month.
    const payment = await must<{ id: number }>('POST', '/payments', {
      customer_id: ids[OWNED], amount: '2000', received_at: `${PERIOD}-20`, method: 'bank_transfer', reference: 'E2E-ANALYTICS-0001',
    }, token);
    await must('POST', `/payments/${payment.id}/allocations`, { allocations: [{ bill_id: bills[OWNED]!.id, amount: '2000.00' }] }, token);

    // Five weeks on: the second bill is overdue, and a third customer is lost this month.
    await must('PUT', '/system/clock', { now: NOW }, token);
    await must('POST', `/customers/${ids[CLOSED]}/status`, { to: 'closed', reason: '客户停止合作' }, token);

    ({ browser, context, page, errors: pageErrors } = await adminSession(opcms.baseURL, ADMIN_NEW_PASSWORD));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await opcms?.stop();
  });

  it('greets management with the 经营看板 of this month on the 工作台, the month close still there', async () => {
    await page.goto('/workplace');
    await page.locator('[data-testid="dashboard-figures"]').waitFor();
    await expect(page.locator('[data-testid="dashboard-period"] input').inputValue()).resolves.toBe(THIS_MONTH);
    await page.locator('[data-testid="close-next"]').waitFor();
    await expect(countOf(page, 'lost_customers')).resolves.toBe('1');
    await figure(page, 'lost_customers').click();
    const lost = page.locator('[data-testid="lost-customers"]');
    await lost.locator(`[data-customer="${codes[CLOSED]}"]`).waitFor();
    await expect(lost.textContent()).resolves.toContain(`注销于 ${TODAY}`);
    await screenshot(page, 'analytics-lost-customers');
    await page.keyboard.press('Escape');
  });

  it('shows the billed month’s figures exactly, from the 经营分析 menu and the URL', async () => {
    await page.locator('.side-menu [data-menu="AnalyticsDashboard"]').click();
    await page.waitForURL(/\/analytics\/dashboard/);
    await page.goto(`/analytics/dashboard?period=${PERIOD}`);
    await page.locator('[data-testid="dashboard-figures"]').waitFor();
    await expect(page.locator('[data-testid="dashboard-period"] input').inputValue()).resolves.toBe(PERIOD);
    await expect(amountOf(page, 'receivable')).resolves.toBe('5000.00');
    await expect(amountOf(page, 'received')).resolves.toBe('2000.00');
    await expect(amountOf(page, 'collected')).resolves.toBe('2000.00');
    await expect(amountOf(page, 'outstanding')).resolves.toBe('3000.00');
    await expect(figure(page, 'collection_rate').locator('.value').textContent()).resolves.toBe('40.0%');
    await expect(amountOf(page, 'overdue')).resolves.toBe('3000.00');
    await expect(
      page.locator(`[data-testid="dashboard-aging"] [data-amount="bucket-${OVERDUE_BUCKET}"]`).getAttribute('data-value'),
    ).resolves.toBe('3000.00');
    await expect(countOf(page, 'new_customers')).resolves.toBe('1');
    const top = page.locator('[data-testid="dashboard-top"] li');
    await expect(top.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-customer')))).resolves.toEqual([codes[OTHER], codes[OWNED]]);
    await screenshot(page, 'analytics-dashboard');
  });

  it('exports the dashboard of the month on screen as Excel and as PDF', async () => {
    const exportAs = async (format: 'xlsx' | 'pdf') => {
      await page.locator('[data-testid="export-dashboard"]').click();
      const [response, download] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/analytics/dashboard/export'),
        page.waitForEvent('download'),
        page.locator(`[data-testid="export-${format}"]`).click(),
      ]);
      const params = new URL(response.url()).searchParams;
      expect([params.get('period'), params.get('format')]).toEqual([PERIOD, format]);
      expect(response.status()).toBe(200);
      expect(decodeURIComponent(response.headers()['content-disposition'] ?? '')).toMatch(/^attachment;.*经营看板/);
      expect(download.suggestedFilename()).toMatch(new RegExp(`\\.${format}$`));
      await page.locator('.arco-message').getByText(new RegExp(`^已导出「.+\\.${format}」$`)).waitFor();
      return response.headers()['content-type'];
    };
    await expect(exportAs('xlsx')).resolves.toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    await expect(exportAs('pdf')).resolves.toBe('application/pdf');
  });

  it('opens the bills behind 应收: the month’s issued bills, totalling the figure', async () => {
    await figure(page, 'receivable').click();
    await page.waitForURL(/\/bills\?/);
    const query = new URL(page.url()).searchParams;
    expect([query.get('period'), query.get('status')]).toEqual([PERIOD, 'issued,partially_paid,paid']);
    const totals = page.locator('[data-testid="bills-table"] .arco-table-tr-summary');
    await totals.waitFor();
    await expect(totals.locator('[data-amount="total"]').getAttribute('data-value')).resolves.toBe('5000.00');
    await expect(totals.locator('[data-amount="allocated"]').getAttribute('data-value')).resolves.toBe('2000.00');
    await expect(page.locator('[data-testid="bills-table"] tbody [data-bill-no]').count()).resolves.toBe(2);
  });

  it('shows a sales user their own customer at risk on the home page and on 流失预警, never the other', async () => {
    const sales = await openPage(browser, opcms.baseURL, DESKTOP);
    try {
      await loginAndSettle(sales.page, SALES.username, SALES.password);
      await sales.page.goto('/workplace');
      const home = sales.page.locator('[data-testid="home-at-risk"]');
      const card = home.locator(`[data-testid="churn-card"][data-customer="${codes[OWNED]}"]`);
      await card.waitFor();
      await expect(card.getAttribute('data-risk')).resolves.toBe('high');
      await expect(card.locator('[data-flag="idle"]').count()).resolves.toBe(1);
      await expect(home.locator(`[data-customer="${codes[OTHER]}"]`).count()).resolves.toBe(0);
      expect(await sales.page.locator('[data-testid="dashboard"]').count()).toBe(0);

      await home.locator('[data-testid="home-at-risk-all"]').click();
      await sales.page.waitForURL(/\/analytics\/churn$/);
      const table = sales.page.locator('[data-testid="churn-table"]');
      const row = table.locator('tbody .arco-table-tr', { hasText: OWNED });
      await row.waitFor();
      await expect(row.textContent()).resolves.toContain('高风险');
      await expect(row.locator('[data-flag="contract_ending"]').count()).resolves.toBe(1);
      await expect(row.textContent()).resolves.toContain(SALES.displayName);
      await expect(table.locator('tbody .arco-table-tr', { hasText: OTHER }).count()).resolves.toBe(0);
      await screenshot(sales.page, 'analytics-churn-sales');
    } finally {
      await sales.context.close();
    }
  });

  it('lays the dashboard and the churn list out for a phone', async () => {
    const phone = await openPage(browser, opcms.baseURL, PHONE);
    try {
      await loginAndSettle(phone.page, 'admin', ADMIN_NEW_PASSWORD);
      const width = () => phone.page.evaluate(() => document.documentElement.scrollWidth);
      await phone.page.goto(`/analytics/dashboard?period=${PERIOD}`);
      await phone.page.locator('[data-testid="dashboard-figures"]').waitFor();
      expect(await width()).toBeLessThanOrEqual(PHONE.width);
      await screenshot(phone.page, 'analytics-dashboard-mobile');
      await phone.page.goto('/analytics/churn');
      await phone.page.locator(`[data-testid="churn-card"][data-customer="${codes[OWNED]}"]`).waitFor();
      expect(await phone.page.locator('[data-testid="churn-table"]').count()).toBe(0);
      expect(await width()).toBeLessThanOrEqual(PHONE.width);
      await screenshot(phone.page, 'analytics-churn-mobile');
    } finally {
      await phone.context.close();
    }
  });

  it('had no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
