/**
 * Customers end to end: a real opcms, a real Chromium. Customers and a sales user are
 * seeded through the API; the admin then creates, edits and moves a customer in the UI,
 * works the list, and a sales user runs into the data scope. Steps build on each other.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiClient, type Json, type Tokens } from './api';
import { ADMIN_NEW_PASSWORD } from './config';
import { DESKTOP, PHONE, launchBrowser, loginAndSettle, openPage, screenshot } from './browser';

const baseURL = inject('baseURL');
const apiURL = inject('apiURL');
const SALES = { username: 'wang.fang', displayName: '王芳', initial: 'Sales-init-11', password: 'Sales-mine-12' };
const PHONE_RULE = '联系电话格式不正确：手机号为 1 开头的 11 位数字，座机为 0 开头的区号加 7–8 位号码';
const NEW_NAME = '上海锦城不动产股份有限公司';

const { must, adminToken } = apiClient(apiURL);

const SEEDS = [
  { company_name: '杭州云栖物业服务有限公司', industry: '物业管理', level: 'A', device_series: ['X', 'N'], region: '浙江省杭州市', tags: ['VIP'], signed_at: '2023-03-01', contract_end_at: '2026-02-28', to: 'active' },
  { company_name: '深圳前海长租公寓管理有限公司', industry: '长租公寓', level: 'B', device_series: ['L'], region: '广东省深圳市', to: 'active' },
  { company_name: '北京望京酒店管理有限公司', industry: '酒店', level: 'C', device_series: ['X'], region: '北京市' },
  { company_name: '成都天府商业地产开发有限公司', industry: '商业地产', level: 'B', device_series: ['N', 'L'], region: '四川省成都市', to: 'closed' },
  { company_name: '南京金陵房地产开发集团', industry: '房地产开发', level: 'A', device_series: ['X', 'N', 'L'], region: '江苏省南京市', tags: ['重点跟进'] },
];

let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];
let createdId = 0;
let adminApiToken = '';
const seeded: Record<string, number> = {};

const field = (p: Page, name: string) => p.locator(`[data-field="${name}"]`);
const row = (p: Page, text: string) => p.locator('[data-testid="customers-table"] .arco-table-tr', { hasText: text });
const chooseOption = async (p: Page, name: string, option: string) => {
  await field(p, name).click();
  await p.locator('.arco-select-option', { hasText: option }).first().click();
};

describe('customers', () => {
  beforeAll(async () => {
    const token = await adminToken();
    adminApiToken = token;
    const sales = await must<{ id: number }>('POST', '/users', {
      username: SALES.username,
      password: SALES.initial,
      role: 'sales',
      display_name: SALES.displayName,
    }, token);
    const first = await must<Tokens>('POST', '/auth/login', { username: SALES.username, password: SALES.initial });
    await must('POST', '/auth/password', { current_password: SALES.initial, new_password: SALES.password }, first.access_token);
    for (const [index, { to, ...seed }] of SEEDS.entries()) {
      const owner = index === 0 ? { sales_owner_id: sales.id } : {};
      const created = await must<{ id: number }>('POST', '/customers', { ...seed, ...owner }, token);
      seeded[seed.company_name] = created.id;
      if (to) await must('POST', `/customers/${created.id}/status`, { to, reason: '初始数据' }, token);
    }

    browser = await launchBrowser();
    ({ context, page, errors: pageErrors } = await openPage(browser, baseURL, DESKTOP));
    await loginAndSettle(page, 'admin', ADMIN_NEW_PASSWORD);
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  it('opens the customer list from the menu', async () => {
    await page.locator('.side-menu [data-menu="Customers"]').click();
    await page.waitForURL(/\/customers$/);
    await row(page, '杭州云栖物业服务有限公司').waitFor();
    await expect(row(page, '杭州云栖物业服务有限公司').textContent()).resolves.toMatch(/正式.*A.*王芳/);
    await expect(row(page, '北京望京酒店管理有限公司').locator('[data-status="trial"]').textContent()).resolves.toBe('试用');
  });

  it('creates a customer after showing the rule messages, then the server ones', async () => {
    await page.locator('[data-testid="create-customer"]').click();
    await page.waitForURL(/\/customers\/new$/);
    await field(page, 'company_name').locator('input').fill('杭州云栖物业服务有限公司');
    await field(page, 'contact_phone').locator('input').fill('1381234');
    await field(page, 'contact_phone').locator('input').press('Tab');
    await page.getByText(PHONE_RULE, { exact: true }).waitFor();
    await field(page, 'credit_code').locator('input').fill('91350100M000100Y44');
    await field(page, 'credit_code').locator('input').press('Tab');
    await page.getByText('统一社会信用代码校验位不正确', { exact: true }).waitFor();
    await page.locator('[data-testid="customer-submit"]').click();
    await page.getByText('设备系列至少选择 X、N、L 中的一个', { exact: true }).waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'customer-form');

    await field(page, 'contact_phone').locator('input').fill('13800138000');
    await field(page, 'credit_code').locator('input').fill('91350100M000100Y43');
    await field(page, 'device_series').getByText('X', { exact: true }).click();
    await field(page, 'device_series').getByText('N', { exact: true }).click();
    expect(await page.getByText(PHONE_RULE).count()).toBe(0);
    await chooseOption(page, 'industry', '物业管理');
    await chooseOption(page, 'level', 'A 类');
    await field(page, 'contact_name').locator('input').fill('马秀芳');
    await field(page, 'tags').locator('input').fill('VIP');
    await field(page, 'tags').locator('input').press('Enter');

    // The name is taken: the server's 409 lands on the field.
    await page.locator('[data-testid="customer-submit"]').click();
    await page.locator('[data-error-for="company_name"]').getByText('公司名称已存在').waitFor();
    await field(page, 'company_name').locator('input').fill(NEW_NAME);
    expect(await page.locator('[data-error-for="company_name"]').count()).toBe(0);

    await page.locator('[data-testid="customer-submit"]').click();
    await page.waitForURL(/\/customers\/\d+$/);
    await page.locator('.arco-message').getByText(`客户「${NEW_NAME}」已创建`).waitFor();
    createdId = Number(new URL(page.url()).pathname.split('/').pop());
    await expect(page.locator('[data-testid="customer-name"]').textContent()).resolves.toBe(NEW_NAME);
    await expect(page.locator('[data-testid="customer-profile"]').textContent()).resolves.toContain('13800138000');
  });

  it('edits it, sending only what changed', async () => {
    await page.locator('[data-testid="edit-customer"]').click();
    await page.waitForURL(/\/customers\/\d+\/edit$/);
    await expect(field(page, 'company_name').locator('input').inputValue()).resolves.toBe(NEW_NAME);
    await field(page, 'region').locator('input').fill('上海市');
    const patch = page.waitForRequest((r) => r.method() === 'PATCH' && r.url().includes(`/customers/${createdId}`));
    await page.locator('[data-testid="customer-submit"]').click();
    const body = JSON.parse((await patch).postData() ?? '{}') as Json;
    expect(body).toEqual({ version: 1, region: '上海市' });
    await page.waitForURL(new RegExp(`/customers/${createdId}$`));
    await page.locator('.arco-message').getByText(`客户「${NEW_NAME}」已保存`).waitFor();
    await page.locator('[data-value="region"]', { hasText: '上海市' }).waitFor();

    await page.locator('[data-testid="customer-tabs"] .arco-tabs-tab', { hasText: '操作记录' }).click();
    const latest = page.locator('[data-testid="audit-entry"]').first();
    await latest.getByText('修改').waitFor();
    await expect(latest.textContent()).resolves.toMatch(/所在地区.*（空）.*上海市/);
  });

  it('offers to reload when someone else saved first', async () => {
    await page.locator('[data-testid="edit-customer"]').click();
    await page.waitForURL(/\/customers\/\d+\/edit$/);
    await field(page, 'address').locator('input').fill('浦东新区世纪大道 100 号');
    // Meanwhile a colleague saves the same customer.
    const current = await must<{ version: number }>('GET', `/customers/${createdId}`, undefined, adminApiToken);
    await must('PATCH', `/customers/${createdId}`, { version: current.version, remarks: '同事补充的备注' }, adminApiToken);
    await page.locator('[data-testid="customer-submit"]').click();
    const conflict = page.locator('.arco-modal', { hasText: '客户已被他人修改' });
    await conflict.waitFor();
    await conflict.locator('.arco-btn-primary', { hasText: '重新加载' }).click();
    await expect.poll(() => field(page, 'remarks').locator('textarea').inputValue()).toBe('同事补充的备注');
    await expect(field(page, 'address').locator('input').inputValue()).resolves.toBe('');
    await page.goto(`/customers/${createdId}`);
  });

  it('changes its status with a reason and shows it on the timeline', async () => {
    await page.locator('[data-testid="change-status"]').click();
    const modal = page.locator('.arco-modal', { hasText: '变更账号状态' });
    await modal.locator('.arco-modal-footer .arco-btn-primary').click();
    await modal.getByText('请选择目标状态').waitFor();
    await modal.getByText('请填写变更原因').waitFor();
    await modal.locator('[data-field="to"]').getByText('正式').click();
    await modal.locator('[data-field="reason"] textarea').fill('合同已签订，转为正式客户');
    await modal.locator('.arco-modal-footer .arco-btn-primary').click();
    await page.locator('.arco-message').getByText('账号状态已变更为「正式」').waitFor();
    await modal.waitFor({ state: 'hidden' });

    const entry = page.locator('[data-testid="status-entry"]').first();
    await entry.waitFor();
    await expect(entry.textContent()).resolves.toMatch(/试用.*→.*正式/);
    await page.locator('[data-testid="status-timeline"]').getByText('合同已签订，转为正式客户').waitFor();
    await expect(page.locator('[data-testid="customer-status"]').textContent()).resolves.toBe('正式');
    await page.waitForFunction(() => !document.querySelector('.arco-message'), undefined, { timeout: 10_000 });
    await screenshot(page, 'customer-status');
    await page.locator('[data-testid="customer-tabs"] .arco-tabs-tab', { hasText: '基本信息' }).click();
    await screenshot(page, 'customer-detail');
  });

  it('filters with removable chips and sorts on the server, all in the URL', async () => {
    await page.goto('/customers?status=active&level=A');
    const chips = page.locator('[data-testid="filter-chips"]');
    await chips.getByText('账号状态：正式').waitFor();
    await chips.getByText('客户等级：A').waitFor();
    await row(page, NEW_NAME).waitFor();
    expect(await row(page, '北京望京酒店管理有限公司').count()).toBe(0);
    await chips.locator('[data-chip="status"] .arco-tag-close-btn').click();
    await page.waitForURL((url) => url.search === '?level=A');
    await row(page, '南京金陵房地产开发集团').waitFor();
    await page.locator('[data-testid="reset"]').click();
    await page.waitForURL(/\/customers$/);

    await page.locator('.arco-table-th', { hasText: '客户编号' }).click();
    await page.waitForURL(/sort=customer_code/);
    await page.locator('.arco-table-th', { hasText: '客户编号' }).click();
    await page.waitForURL(/sort=-customer_code/);
    // The newest code first once the server has answered.
    await page.locator('[data-testid="customers-table"] .arco-table-tr').nth(1).filter({ hasText: NEW_NAME }).waitFor();
    await page.locator('[data-testid="customers-table"] .arco-table-tr').nth(6).filter({ hasText: '杭州云栖物业服务有限公司' }).waitFor();
  });

  it('remembers the chosen columns', async () => {
    const header = page.locator('.arco-table-th', { hasText: '行业类型' });
    await header.waitFor();
    await page.locator('[data-testid="column-chooser"]').click();
    await page.locator('[data-testid="column-chooser-panel"] [data-column="industry"]').click();
    await header.waitFor({ state: 'detached' });
    await page.reload();
    await row(page, NEW_NAME).waitFor();
    expect(await header.count()).toBe(0);
    await page.locator('[data-testid="column-chooser"]').click();
    await page.locator('[data-testid="column-chooser-panel"] [data-column="industry"]').click();
    await header.waitFor();
    await page.keyboard.press('Escape');
  });

  it('runs batch actions and reports each customer', async () => {
    await page.goto('/customers');
    const select = (name: string) => row(page, name).locator('.arco-checkbox').click();
    await select('北京望京酒店管理有限公司');
    await select('成都天府商业地产开发有限公司');
    const toolbar = page.locator('[data-testid="batch-toolbar"]');
    await toolbar.getByText('已选 2 项').waitFor();

    await page.locator('[data-testid="batch-change_status"]').click();
    const dialog = page.locator('.arco-modal', { hasText: '变更状态' });
    await dialog.locator('[data-field="to"]').getByText('正式').click();
    await dialog.getByText('其中 1 个客户当前不能变更为「正式」').waitFor();
    await dialog.locator('[data-field="reason"] textarea').fill('批量签约');
    await dialog.locator('.arco-modal-footer .arco-btn-primary').click();
    const result = page.locator('[data-testid="batch-result"]');
    await result.waitFor();
    await expect(result.locator('[data-testid="batch-succeeded"]').textContent()).resolves.toContain('成功 1 个');
    await expect(result.locator('[data-testid="batch-failed"]').textContent()).resolves.toContain('失败 1 个');
    await result.getByText('成都天府商业地产开发有限公司').waitFor();
    await result.getByText('账号状态不能从「已注销」变更为「正式」').waitFor();
    await screenshot(page, 'customers-batch', { fullPage: false });
    await dialog.locator('.arco-modal-footer .arco-btn-primary').click();
    await dialog.waitFor({ state: 'hidden' });
    await row(page, '北京望京酒店管理有限公司').locator('[data-status="active"]').waitFor();

    await select('南京金陵房地产开发集团');
    await select(NEW_NAME);
    await page.locator('[data-testid="batch-add_tag"]').click();
    const tagDialog = page.locator('.arco-modal', { hasText: '添加标签' });
    await tagDialog.locator('[data-field="tag"] input').fill('华东大区');
    await tagDialog.locator('.arco-modal-footer .arco-btn-primary').click();
    await tagDialog.getByText('全部执行成功。').waitFor();
    await tagDialog.locator('.arco-modal-footer .arco-btn-primary').click();
    await row(page, NEW_NAME).getByText('华东大区').waitFor();
    await row(page, '南京金陵房地产开发集团').getByText('华东大区').waitFor();
    await page.goto('/customers?tags=华东大区');
    await page.locator('[data-testid="filter-chips"]').getByText('标签：华东大区').waitFor();
    await row(page, NEW_NAME).waitFor();
    await screenshot(page, 'customers');
  });

  it('lets management see deleted customers and restore them', async () => {
    await page.goto('/customers');
    await row(page, '深圳前海长租公寓管理有限公司').locator('.arco-checkbox').click();
    await page.locator('[data-testid="batch-delete"]').click();
    const dialog = page.locator('.arco-modal', { has: page.locator('.arco-modal-title', { hasText: /^删除$/ }) });
    await dialog.getByText('确定删除选中的 1 个客户？').waitFor();
    await dialog.locator('.arco-modal-footer .arco-btn-primary').click();
    await dialog.getByText('全部执行成功。').waitFor();
    await dialog.locator('.arco-modal-footer .arco-btn-primary').click();
    await row(page, NEW_NAME).waitFor();
    expect(await row(page, '深圳前海长租公寓管理有限公司').count()).toBe(0);

    await page.locator('[data-testid="show-deleted"]').click();
    await page.waitForURL(/deleted=true/);
    const id = seeded['深圳前海长租公寓管理有限公司'];
    await page.locator(`[data-testid="restore-${id}"]`).click();
    await page.locator('.arco-message').getByText('客户「深圳前海长租公寓管理有限公司」已恢复').waitFor();
    await page.locator('[data-testid="show-deleted"]').click();
    await row(page, '深圳前海长租公寓管理有限公司').waitFor();
  });

  it('shows a sales user only the own customers, tag actions only, and the 404 page for others', async () => {
    const sales = await openPage(browser, baseURL, DESKTOP);
    try {
      await loginAndSettle(sales.page, SALES.username, SALES.password);
      await sales.page.goto('/customers');
      await row(sales.page, '杭州云栖物业服务有限公司').waitFor();
      expect(await sales.page.locator('[data-testid="customers-table"] .arco-table-tr').count()).toBe(2); // header + 1
      expect(await sales.page.locator('[data-testid="create-customer"]').count()).toBe(0);
      expect(await sales.page.locator('[data-testid="show-deleted"]').count()).toBe(0);
      await row(sales.page, '杭州云栖物业服务有限公司').locator('.arco-checkbox').click();
      const buttons = sales.page.locator('[data-testid="batch-toolbar"] button');
      await expect(buttons.allTextContents()).resolves.toEqual(['添加标签', '移除标签']);

      // Contacts only on the own customer.
      await sales.page.goto(`/customers/${seeded['杭州云栖物业服务有限公司']}/edit`);
      await sales.page.getByText('销售角色只能修改联系人').waitFor();
      expect(await field(sales.page, 'company_name').locator('input').isDisabled()).toBe(true);
      expect(await field(sales.page, 'contact_name').locator('input').isDisabled()).toBe(false);

      // Someone else's customer does not exist for sales.
      await sales.page.goto(`/customers/${createdId}`);
      await sales.page.locator('[data-testid="page-404"]').waitFor();
      await sales.page.goto(`/customers/${createdId}/edit`);
      await sales.page.locator('[data-testid="page-404"]').waitFor();
      expect(sales.errors).toEqual([]);
    } finally {
      await sales.context.close();
    }
  });

  it('shows cards instead of the table on a phone', async () => {
    const phone = await openPage(browser, baseURL, PHONE);
    try {
      await loginAndSettle(phone.page, 'admin', ADMIN_NEW_PASSWORD);
      await phone.page.goto('/customers');
      await phone.page.locator('[data-testid="customer-card"]', { hasText: NEW_NAME }).waitFor();
      expect(await phone.page.locator('[data-testid="customers-table"]').count()).toBe(0);
      const width = await phone.page.evaluate(() => document.documentElement.scrollWidth);
      expect(width).toBeLessThanOrEqual(PHONE.width);
      await screenshot(phone.page, 'customers-mobile');

      await phone.page.locator('[data-testid="customer-card"]', { hasText: NEW_NAME }).getByText(NEW_NAME).click();
      await phone.page.waitForURL(new RegExp(`/customers/${createdId}$`));
      await phone.page.locator('[data-testid="customer-profile"]').waitFor();
      expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      await screenshot(phone.page, 'customer-detail-mobile');
      expect(phone.errors).toEqual([]);
    } finally {
      await phone.context.close();
    }
  });

  it('refuses to close an account that owes, and closes it only when forced', async () => {
    const owing = await must<{ id: number }>('POST', '/customers', {
      company_name: '厦门鹭江欠款注销测试物业有限公司', device_series: ['X'], account_status: 'active',
    }, adminApiToken);
    const china = new Date(Date.now() + 8 * 3600 * 1000);
    const last = new Date(Date.UTC(china.getUTCFullYear(), china.getUTCMonth() - 1, 1));
    const period = `${last.getUTCFullYear()}-${String(last.getUTCMonth() + 1).padStart(2, '0')}`;
    const bill = await must<{ id: number }>('POST', '/bills', {
      customer_id: owing.id, period, lines: [{ description: '服务费', amount: '88.00' }],
    }, adminApiToken);
    await must('POST', `/bills/${bill.id}/issue`, {}, adminApiToken);

    await page.goto(`/customers/${owing.id}`);
    await page.locator('[data-testid="change-status"]').click();
    const modal = page.locator('[data-testid="status-modal"]');
    await modal.locator('[data-field="to"]').getByText('已注销').click();
    await modal.locator('[data-field="reason"] textarea').fill('客户解约，欠款转催收');
    await modal.locator('.arco-modal-footer .arco-btn-primary').click();
    await modal.locator('[data-testid="status-error"]')
      .getByText('该客户还有 1 张未结清账单（未收 ¥88.00），确需注销请选择强制注销并填写原因')
      .waitFor();
    await expect(page.locator('[data-testid="customer-status"]').textContent()).resolves.toBe('正式');
    await screenshot(page, 'customer-close-refused');

    await modal.locator('[data-field="force"]').click();
    await expect(modal.locator('.arco-modal-footer .arco-btn-primary').textContent()).resolves.toContain('强制注销');
    await modal.locator('.arco-modal-footer .arco-btn-primary').click();
    await page.locator('.arco-message').getByText('账号状态已变更为「已注销」').waitFor();
    await modal.waitFor({ state: 'hidden' });
    await expect(page.locator('[data-testid="status-entry"]').first().textContent()).resolves.toMatch(/正式.*→.*已注销/);
    await expect(page.locator('[data-testid="customer-status"]').textContent()).resolves.toBe('已注销');
  });

  it('had no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
