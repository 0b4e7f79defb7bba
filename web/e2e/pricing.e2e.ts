/**
 * Pricing end to end: a real opcms, a real Chromium. The admin builds a plan in the
 * editor (client checks, live quotes, the volume cliff), changes its prices in a second
 * version, compares and rolls back, assigns it to a customer seeded through the API; then
 * an operations user may only look, and a sales user does not see pricing at all.
 * Steps build on each other.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { apiClient, type Tokens } from './api';
import { ADMIN_NEW_PASSWORD } from './config';
import { DESKTOP, PHONE, launchBrowser, loginAndSettle, openPage, screenshot } from './browser';

const baseURL = inject('baseURL');
const apiURL = inject('apiURL');
const OPS = { username: 'zhou.min', displayName: '周敏', initial: 'Ops-init-31', password: 'Ops-mine-32' };
const SALES = { username: 'sun.li', displayName: '孙丽', initial: 'Sales-init-31', password: 'Sales-mine-32' };
const PLAN = '华东标准定价方案';
const CUSTOMER = '苏州金鸡湖智慧社区服务有限公司';
const CLIFF_1000 = '用量超过 1000 后总价反而下降：1000 时 500.00，1000.0001 时 400.00，用量在 (1000, 1250) 区间内比 1000 时更便宜';

const { must, adminToken } = apiClient(apiURL);

let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];
let planId = 0;
let customerId = 0;
let salesCustomerId = 0;

const series = (p: Page, s: string) => p.locator(`[data-series="${s}"]`);
const input = (scope: Page | Locator, path: string) => scope.locator(`[data-field="${path}"] input`).first();
const errorFor = (scope: Page | Locator, path: string) => scope.locator(`[data-error-for="${path}"]`);

/** Fill a tier table: rows of [up_to, unit_price]; the last row is the unbounded one. */
async function fillTiers(p: Page, s: string, rows: [string, string][]) {
  const card = series(p, s);
  while ((await card.locator('[data-tier]').count()) < rows.length) await card.locator('[data-testid="add-tier"]').click();
  for (const [i, [upTo, price]] of rows.entries()) {
    if (i < rows.length - 1) await input(card, `rules.${s}.tiers[${i}].up_to`).fill(upTo);
    await input(card, `rules.${s}.tiers[${i}].unit_price`).fill(price);
  }
}

async function createUser(token: string, user: typeof OPS, role: string): Promise<number> {
  const created = await must<{ id: number }>('POST', '/users', { username: user.username, password: user.initial, role, display_name: user.displayName }, token);
  const first = await must<Tokens>('POST', '/auth/login', { username: user.username, password: user.initial });
  await must('POST', '/auth/password', { current_password: user.initial, new_password: user.password }, first.access_token);
  return created.id;
}

describe('pricing', () => {
  beforeAll(async () => {
    const token = await adminToken();
    await createUser(token, OPS, 'operations');
    const salesId = await createUser(token, SALES, 'sales');
    const own = { company_name: '无锡太湖物业销售自管有限公司', device_series: ['X'], sales_owner_id: salesId };
    salesCustomerId = (await must<{ id: number }>('POST', '/customers', own, token)).id;
    customerId = (await must<{ id: number }>('POST', '/customers', { company_name: CUSTOMER, device_series: ['X', 'N', 'L'] }, token)).id;

    browser = await launchBrowser();
    ({ context, page, errors: pageErrors } = await openPage(browser, baseURL, DESKTOP));
    await loginAndSettle(page, 'admin', ADMIN_NEW_PASSWORD);
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  it('opens the plan list from the 定价配置 menu', async () => {
    await page.locator('.side-menu').getByText('定价配置').waitFor();
    await page.locator('.side-menu [data-menu="PricePlans"]').click();
    await page.waitForURL(/\/pricing\/plans$/);
    await page.locator('[data-testid="plans-table"]').waitFor();
    await page.locator('[data-testid="create-plan"]').click();
    await page.waitForURL(/\/pricing\/plans\/new$/);
    await expect(page.locator('[data-testid="editor-title"]').textContent()).resolves.toBe('新建定价方案');
  });

  it('builds the X rule, flags bounds that do not increase, and quotes it live', async () => {
    await input(page, 'name').fill(PLAN);
    const x = series(page, 'X');
    await x.locator('[data-mode="graduated"]').click();
    await fillTiers(page, 'X', [['1000', '0.5'], ['1000', '0.4'], ['', '0.3']]);
    await errorFor(x, 'rules.X.tiers[1].up_to').getByText('阶梯上限必须大于上一阶梯的上限 1000').waitFor();
    await x.getByText('规则填写完整后即可试算').waitFor();

    await input(x, 'rules.X.tiers[1].up_to').fill('5000');
    expect(await errorFor(x, 'rules.X.tiers[1].up_to').count()).toBe(0);
    await x.locator('[data-testid="tier-unbounded"]').getByText('以上 / 无上限').waitFor();
    await input(x, 'usage.X').fill('6000');
    await x.locator('[data-testid="quote-amount"]', { hasText: '2400.00' }).waitFor();
    await expect(x.locator('[data-testid="quote-raw"]').textContent()).resolves.toMatch(/^2400\.0+$/);
    await expect(x.locator('[data-testid="breakdown"] .arco-table-tr').count()).resolves.toBe(4); // header + 3 tiers
    await x.locator('[data-testid="chart-note"]').getByText('金额以上方试算结果为准', { exact: false }).waitFor();
    await x.locator('[data-testid="price-chart"] canvas').waitFor();
  });

  it('warns about the price cliff of a volume rule and totals the plan with its minimum', async () => {
    await input(series(page, 'N'), 'rules.N.unit_price').fill('0.2');
    const l = series(page, 'L');
    await l.locator('[data-mode="volume"]').click();
    await fillTiers(page, 'L', [['1000', '0.5'], ['5000', '0.4'], ['', '0.3']]);
    const cliff = l.locator('[data-testid="cliff-warning"]');
    await cliff.getByText(CLIFF_1000).waitFor();
    await expect(cliff.textContent()).resolves.toContain('用量超过 5000 后总价反而下降');
    // Graduated prices never drop: no warning there.
    expect(await series(page, 'X').locator('[data-testid="cliff-warning"]').count()).toBe(0);

    await input(page, 'minimum_charge').fill('3000');
    const total = page.locator('[data-testid="plan-total"]');
    await total.locator('[data-testid="bill-total"]', { hasText: '3000.00' }).waitFor();
    await expect(total.locator('[data-line="minimum_topup"]').textContent()).resolves.toContain('保底补差');
    await expect(total.textContent()).resolves.toContain('600.00');
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'pricing-editor');
  });

  it('saves the plan and shows it with its rules', async () => {
    const request = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/api/v1/price-plans'));
    await page.locator('[data-testid="plan-submit"]').click();
    const body = (await request).postData() ?? '';
    // Money travels as strings only.
    expect(body).not.toMatch(/"(unit_price|up_to|minimum_charge)":\s*\d/);
    await page.waitForURL(/\/pricing\/plans\/\d+$/);
    planId = Number(new URL(page.url()).pathname.split('/').pop());
    await page.locator('.arco-message').getByText(`方案「${PLAN}」已创建`).waitFor();
    // The server's warnings about what was saved stay on the plan page.
    await page.locator('[data-testid="save-warnings"]').getByText('L 系列阶梯定价在用量 1000 处有价格断崖', { exact: false }).waitFor();
    await expect(page.locator('[data-testid="plan-name"]').textContent()).resolves.toBe(PLAN);
    await expect(page.locator('[data-testid="plan-minimum"]').textContent()).resolves.toBe('3000.00');
    await expect(page.locator('[data-series-rule="N"]').textContent()).resolves.toMatch(/单层定价.*0\.2/);
    await expect(page.locator('[data-series-rule="L"]').textContent()).resolves.toContain('阶梯定价');
  });

  it('makes version 2 with a new price and a required reason, and diffs it', async () => {
    await page.locator('[data-testid="new-version"]').click();
    await page.waitForURL(new RegExp(`/pricing/plans/${planId}/versions/new$`));
    await page.getByText('保存后生成版本 v2', { exact: false }).waitFor();
    await expect(input(page, 'rules.N.unit_price').inputValue()).resolves.toBe('0.2');
    await input(page, 'rules.N.unit_price').fill('0.18');
    await page.locator('[data-testid="plan-submit"]').click();
    await errorFor(page, 'reason').getByText('请填写调整原因').waitFor();
    await input(page, 'reason').fill('N 系列单价下调');
    await page.locator('[data-testid="plan-submit"]').click();
    await page.waitForURL(new RegExp(`/pricing/plans/${planId}$`));
    await page.locator('.arco-message').getByText('已保存为版本 v2').waitFor();

    const history = page.locator('[data-testid="version-history"]');
    await history.locator('[data-version="2"]').waitFor();
    await expect(history.locator('.arco-table-tr').count()).resolves.toBe(3); // header + 2
    await expect(history.textContent()).resolves.toContain('N 系列单价下调');
    const diff = page.locator('[data-testid="version-diff"]');
    await diff.locator('[data-testid="diff-summary"]', { hasText: 'v1' }).waitFor();
    const change = diff.locator('.arco-table-tr', { has: page.locator('[data-diff-field="rules.N.unit_price"]') });
    await expect(change.textContent()).resolves.toMatch(/N 系列 · 单价.*rules\.N\.unit_price.*0\.2.*0\.18/);
  });

  it('rolls back to version 1, which becomes version 3', async () => {
    await page.locator('[data-testid="rollback-1"]').click();
    const dialog = page.locator('.arco-modal', { hasText: '回滚到版本 v1' });
    await dialog.getByText('将以 v1 的保底金额与计价规则生成新版本 v3', { exact: false }).waitFor();
    await dialog.locator('[data-field="rollback-reason"] input').fill('N 系列降价暂缓');
    await dialog.locator('.arco-modal-footer .arco-btn-primary').click();
    await page.locator('.arco-message').getByText('已回滚到 v1，生成版本 v3').waitFor();
    const history = page.locator('[data-testid="version-history"]');
    await history.locator('[data-version="3"]').waitFor();
    await expect(history.locator('[data-version="3"] [data-testid="rolled-back-from"]').textContent()).resolves.toBe('回滚自 v1');
    await expect(history.locator('.arco-table-tr').count()).resolves.toBe(4);
    await page.locator('[data-testid="diff-summary"]', { hasText: 'v2' }).waitFor();
    await expect(page.locator('[data-diff-field="rules.N.unit_price"]').count()).resolves.toBe(1);
    await expect(page.locator('[data-testid="plan-version"]').textContent()).resolves.toContain('v3');
    await screenshot(page, 'pricing-plan-detail');
  });

  it('assigns the plan to a customer with its own N price, and quotes for the customer', async () => {
    await page.goto(`/customers/${customerId}?tab=pricing`);
    const tab = page.locator('[data-testid="customer-pricing"]');
    await tab.locator('[data-testid="no-plan"]').waitFor();
    await tab.locator('[data-testid="assign-pricing"]').click();
    const dialog = page.locator('.arco-modal', { hasText: '设置定价方案' });
    await dialog.locator('[data-field="plan_id"]').click();
    await page.locator('.arco-select-option', { hasText: PLAN }).click();
    await dialog.locator('[data-testid="override-N"]').click();
    await expect.poll(() => input(dialog, 'overrides.N.unit_price').inputValue()).toBe('0.2');
    await input(dialog, 'overrides.N.unit_price').fill('0.123456');
    await dialog.locator('.arco-modal-footer .arco-btn-primary').click();
    await errorFor(dialog, 'overrides.N.unit_price').getByText('单价最多保留 4 位小数').waitFor();
    await input(dialog, 'overrides.N.unit_price').fill('0.15');
    await dialog.locator('.arco-modal-footer .arco-btn-primary').click();
    await page.locator('.arco-message').getByText('定价已保存').waitFor();

    await expect(tab.locator('[data-testid="customer-plan"]').textContent()).resolves.toBe(PLAN);
    await expect(tab.locator('[data-testid="customer-plan-version"]').textContent()).resolves.toContain('v3');
    const rules = tab.locator('[data-testid="effective-rules"]');
    await expect(rules.locator('[data-series-rule="N"] [data-source]').getAttribute('data-source')).resolves.toBe('override');
    await expect(rules.locator('[data-series-rule="N"]').textContent()).resolves.toContain('0.15');
    await expect(rules.locator('[data-series-rule="X"] [data-source]').getAttribute('data-source')).resolves.toBe('plan');
    await expect(tab.locator('[data-testid="customer-override"]').textContent()).resolves.toContain('N 系列');

    await input(tab, 'usage.X').fill('6000');
    await input(tab, 'usage.N').fill('1000');
    await tab.locator('[data-testid="run-quote"]').click();
    // 2400.00 + 1000 × 0.15 = 2550.00, under the 3000.00 minimum: topped up.
    await tab.locator('[data-testid="bill-total"]', { hasText: '3000.00' }).waitFor();
    await expect(tab.locator('[data-line="minimum_topup"]').count()).resolves.toBe(1);
    await expect(tab.locator('[data-testid="bill-lines"]').textContent()).resolves.toContain('150.00');
    await screenshot(page, 'customer-pricing');
  });

  it('refuses to delete a plan that a customer uses, with the server’s words', async () => {
    await page.goto(`/pricing/plans/${planId}`);
    await page.locator('[data-testid="delete-plan"]').click();
    const dialog = page.locator('.arco-modal', { hasText: `确定删除方案「${PLAN}」` });
    await dialog.locator('.arco-modal-footer .arco-btn-primary').click();
    await page.locator('.arco-message').getByText('仍有 1 个客户使用该方案，请先为他们更换方案').waitFor();
    await dialog.locator('.arco-modal-footer .arco-btn-secondary').click();
    await dialog.waitFor({ state: 'hidden' });
  });

  it('stacks the editor on a phone and scrolls the tier table, not the page', async () => {
    const phone = await openPage(browser, baseURL, PHONE);
    try {
      await loginAndSettle(phone.page, 'admin', ADMIN_NEW_PASSWORD);
      await phone.page.goto('/pricing/plans');
      await phone.page.locator('[data-testid="plan-card"]', { hasText: PLAN }).waitFor();
      await phone.page.goto(`/pricing/plans/${planId}/versions/new`);
      await input(series(phone.page, 'X'), 'rules.X.tiers[0].up_to').waitFor();
      expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      await screenshot(phone.page, 'pricing-editor-mobile');
      await phone.page.goto(`/pricing/plans/${planId}`);
      await phone.page.locator('[data-testid="version-history"]').waitFor();
      expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      await screenshot(phone.page, 'pricing-plan-detail-mobile');
      expect(phone.errors).toEqual([]);
    } finally {
      await phone.context.close();
    }
  });

  it('lets operations see plans and quote, but not create or change them', async () => {
    const ops = await openPage(browser, baseURL, DESKTOP);
    try {
      await loginAndSettle(ops.page, OPS.username, OPS.password);
      await ops.page.locator('.side-menu [data-menu="PricePlans"]').click();
      await ops.page.locator('[data-testid="plans-table"]').getByText(PLAN).waitFor();
      expect(await ops.page.locator('[data-testid="create-plan"]').count()).toBe(0);
      await ops.page.locator('[data-testid="plans-table"]').getByText(PLAN).click();
      await ops.page.locator('[data-testid="version-history"]').waitFor();
      expect(await ops.page.locator('[data-testid="new-version"]').count()).toBe(0);
      expect(await ops.page.locator('[data-testid="delete-plan"]').count()).toBe(0);
      expect(await ops.page.locator('[data-testid="rollback-1"]').count()).toBe(0);
      await ops.page.goto('/pricing/plans/new');
      await ops.page.locator('[data-testid="page-403"]').waitFor();
      await ops.page.goto(`/customers/${customerId}?tab=pricing`);
      await ops.page.locator('[data-testid="customer-plan"]').waitFor();
      expect(await ops.page.locator('[data-testid="assign-pricing"]').count()).toBe(0);
      expect(ops.errors).toEqual([]);
    } finally {
      await ops.context.close();
    }
  });

  it('hides pricing from sales: no menu, no tab, the 403 page', async () => {
    const sales = await openPage(browser, baseURL, DESKTOP);
    try {
      await loginAndSettle(sales.page, SALES.username, SALES.password);
      await sales.page.locator('.side-menu').waitFor();
      expect(await sales.page.locator('.side-menu [data-menu="PricePlans"]').count()).toBe(0);
      expect(await sales.page.locator('.side-menu').getByText('定价配置').count()).toBe(0);
      await sales.page.goto('/pricing/plans');
      await sales.page.locator('[data-testid="page-403"]').waitFor();
      // The own customer opens, without a pricing tab.
      await sales.page.goto(`/customers/${salesCustomerId}?tab=pricing`);
      await sales.page.locator('[data-testid="customer-profile"]').waitFor();
      expect(await sales.page.locator('[data-testid="customer-tabs"] .arco-tabs-tab', { hasText: '定价' }).count()).toBe(0);
      expect(await sales.page.locator('[data-testid="customer-pricing"]').count()).toBe(0);
      expect(sales.errors).toEqual([]);
    } finally {
      await sales.context.close();
    }
  });

  it('had no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
