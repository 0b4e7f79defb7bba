/**
 * The walking skeleton end to end: a real opcms, a real Chromium. The steps build on
 * each other (the admin's password changes, a user is created), so they run in order.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN_NEW_PASSWORD, ADMIN_PASSWORD } from './config';
import {
  DESKTOP,
  PHONE,
  launchBrowser,
  loginAndSettle,
  openPage,
  screenshot,
  submitLogin,
  submitPasswordChange,
} from './browser';

const baseURL = inject('baseURL');
const SALES = { username: 'zhang.wei', displayName: '张伟', initial: 'Sales-init-01', changed: 'Sales-mine-02' };

let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];

const menuItem = (p: Page, key: string) => p.locator(`.side-menu [data-menu="${key}"]`);

describe('OP_CMS web app', () => {
  beforeAll(async () => {
    browser = await launchBrowser();
    ({ context, page, errors: pageErrors } = await openPage(browser, baseURL, DESKTOP));
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('sends a visitor to the login page', async () => {
    await page.goto('/users');
    await page.waitForURL(/\/login\?redirect=/);
    await expect(page.locator('h1').textContent()).resolves.toContain('账号登录');
    await expect(page.title()).resolves.toContain('登录');
    await screenshot(page, 'login');
  });

  it('validates the login form in Chinese', async () => {
    await page.goto('/login');
    await page.locator('[data-testid="login-submit"]').click();
    await page.getByText('请输入用户名').waitFor();
    await page.getByText('请输入密码').waitFor();
  });

  it('shows the server message for a wrong password', async () => {
    await submitLogin(page, 'admin', 'not-the-password-1');
    const alert = page.locator('[data-testid="login-error"]');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toContain('用户名或密码错误');
    expect(page.url()).toContain('/login');
    await screenshot(page, 'login-error');
  });

  it('makes the admin change the initial password, then lands on the workplace', async () => {
    await submitLogin(page, 'admin', ADMIN_PASSWORD);
    await page.waitForURL(/\/change-password/);
    await page.getByText('请修改初始密码').waitFor();

    // Nowhere else to go until the password is changed.
    await page.goto('/users');
    await page.waitForURL(/\/change-password\?redirect=(%2F|\/)users/);
    await page.goto('/change-password');

    // The rule is checked before anything is sent.
    await page.locator('[data-testid="current-password"] input').fill(ADMIN_PASSWORD);
    await page.locator('[data-testid="new-password"] input').fill('short');
    await page.locator('[data-testid="confirm-password"] input').fill('short');
    await page.locator('[data-testid="password-submit"]').click();
    await page.getByText('密码至少 8 位，且须同时包含字母和数字').first().waitFor();
    await screenshot(page, 'change-password');

    await submitPasswordChange(page, ADMIN_PASSWORD, ADMIN_NEW_PASSWORD);
    await page.waitForURL(/\/workplace$/);
    await page.locator('[data-testid="greeting"]').waitFor();
    await expect(page.locator('[data-testid="greeting"]').textContent()).resolves.toContain('系统管理员');
  });

  it('shows a real overview on the workplace', async () => {
    const welcome = page.locator('[data-testid="welcome"]');
    await expect(welcome.textContent()).resolves.toContain('管理');
    // Management's home: the 经营看板 of this month and the month close (last month, nothing to do yet).
    await page.locator('[data-testid="figure-outstanding"] [data-amount="outstanding"]').getByText('0.00').waitFor();
    expect(await page.locator('[data-testid="home-summary"]').count()).toBe(0);
    await page.locator('[data-testid="close-next"][data-step="done"]').waitFor();
    expect(await page.locator('[data-testid="close-step"]').count()).toBe(7);
    // Server status comes from /readyz.
    await page.locator('[data-testid="server-status-text"]').getByText('运行正常').waitFor();
    // Management sees the system menu.
    await menuItem(page, 'Users').waitFor();
    await menuItem(page, 'Audit').waitFor();
    await screenshot(page, 'home');
  });

  it('lets the admin create a sales user on the users page', async () => {
    await menuItem(page, 'Users').click();
    await page.waitForURL(/\/users$/);
    await page.locator('[data-testid="users-table"]').getByText('admin').first().waitFor();

    await page.locator('[data-testid="create-user"]').click();
    const modal = page.locator('.arco-modal');
    await modal.getByText('新建用户').waitFor();
    await modal.locator('[data-field="username"] input').fill(SALES.username);
    await modal.locator('[data-field="display_name"] input').fill(SALES.displayName);
    await modal.locator('[data-field="role"]').getByText('销售').click();
    // A weak initial password is refused in the dialog.
    await modal.locator('[data-field="password"] input').fill('abc');
    await modal.locator('.arco-modal-footer .arco-btn-primary').click();
    await modal.getByText('密码至少 8 位，且须同时包含字母和数字').waitFor();
    await modal.locator('[data-field="password"] input').fill(SALES.initial);
    await screenshot(page, 'users-create');
    await modal.locator('.arco-modal-footer .arco-btn-primary').click();
    await page.locator('.arco-message').getByText(`用户「${SALES.displayName}」已创建`).waitFor();
    await modal.waitFor({ state: 'hidden' });

    const row = page.locator('[data-testid="users-table"] tr', { hasText: SALES.username });
    await row.waitFor();
    await expect(row.textContent()).resolves.toMatch(/销售.*正常/);
    await expect(row.textContent()).resolves.toContain('待改密');
  });

  it('edits a user in the dialog, sending only what changed', async () => {
    await page.locator(`[data-testid="edit-${SALES.username}"]`).click();
    const modal = page.locator('.arco-modal');
    await modal.getByText('编辑用户').waitFor();
    expect(await modal.locator('[data-field="username"] input').isDisabled()).toBe(true);
    await modal.locator('[data-field="display_name"] input').fill(`${SALES.displayName}（华东）`);
    await screenshot(page, 'users-edit');
    await modal.locator('.arco-modal-footer .arco-btn-primary').click();
    await page.locator('.arco-message').getByText(`用户「${SALES.displayName}（华东）」已更新`).waitFor();
    await page.locator('[data-testid="users-table"] tr', { hasText: `${SALES.displayName}（华东）` }).waitFor();
  });

  it('keeps filters and pages in the URL', async () => {
    await page.locator('.search-form [data-field="q"] input').fill('zhang');
    await page.locator('[data-testid="search"]').click();
    await page.waitForURL(/\/users\?q=zhang$/);
    await page.locator('[data-testid="users-table"]').getByText(SALES.username).waitFor();
    await page.reload();
    await page.locator('[data-testid="users-table"]').getByText(SALES.username).waitFor();
    await expect(page.locator('.search-form [data-field="q"] input').inputValue()).resolves.toBe('zhang');
    await page.locator('[data-testid="reset"]').click();
    await page.waitForURL(/\/users$/);
    await page.locator('[data-testid="users-table"] tr', { hasText: 'admin' }).first().waitFor();
    await screenshot(page, 'users');
  });

  it('puts the sales user in a new sales team, with the team scope', async () => {
    const TEAM = '华东销售一组';
    await page.locator('[data-testid="open-teams"]').click();
    const drawer = page.locator('[data-testid="teams-drawer"]');
    await drawer.locator('[data-testid="create-team"]').click();
    const teamModal = page.locator('[data-testid="team-modal"]');
    await teamModal.locator('[data-field="name"] input, input[data-field="name"]').fill(TEAM);
    await teamModal.locator('.arco-modal-footer .arco-btn-primary').click();
    await page.locator('.arco-message').getByText(`团队「${TEAM}」已创建`).waitFor();
    await expect(drawer.locator(`[data-team="${TEAM}"]`).textContent()).resolves.toContain('0 名成员');
    await screenshot(page, 'users-teams');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'hidden' });

    await page.locator(`[data-testid="edit-${SALES.username}"]`).click();
    const modal = page.locator('[data-testid="user-modal"]');
    await modal.getByText('编辑用户').waitFor();
    await modal.locator('[data-field="team_id"]').click();
    await page.locator('.arco-select-option', { hasText: TEAM }).click();
    await modal.locator('[data-field="data_scope"]').click();
    await page.locator('.arco-select-option', { hasText: '本团队客户' }).click();
    await modal.getByText('看所在团队全体成员负责的客户').waitFor();
    await modal.locator('.arco-modal-footer .arco-btn-primary').click();
    await page.locator('.arco-message').getByText(`用户「${SALES.displayName}（华东）」已更新`).waitFor();
    const row = page.locator('[data-testid="users-table"] tr', { hasText: SALES.username });
    await expect(row.locator('[data-team-id]').textContent()).resolves.toBe(TEAM);
    await expect(row.locator('[data-status="team"]').textContent()).resolves.toBe('本团队客户');

    await page.locator('[data-testid="open-teams"]').click();
    await expect(drawer.locator(`[data-team="${TEAM}"]`).textContent()).resolves.toContain('1 名成员');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'hidden' });
  });

  it('shows the audit log with the changes of each entry', async () => {
    await menuItem(page, 'Audit').click();
    await page.waitForURL(/\/audit$/);
    const table = page.locator('[data-testid="audit-table"]');
    const created = table.locator('tr', { hasText: SALES.username }).or(table.locator('tr', { hasText: '新建' })).first();
    await created.waitFor();
    await table.locator('.arco-table-expand-btn').first().click();
    await page.locator('[data-testid="audit-changes"]').first().waitFor();
    await screenshot(page, 'audit');
  });

  it('signs out from the user menu', async () => {
    await page.locator('[data-testid="user-menu"]').click();
    await page.locator('[data-testid="menu-logout"]').click();
    await page.waitForURL(/\/login/);
    const stored = await page.evaluate(() => localStorage.getItem('opcms.access_token'));
    expect(stored).toBeNull();
  });

  it('makes the new sales user change the password, then hides what sales may not use', async () => {
    await loginAndSettle(page, SALES.username, SALES.initial, SALES.changed);
    await page.waitForURL(/\/workplace$/);
    await expect(page.locator('[data-testid="greeting"]').textContent()).resolves.toContain(SALES.displayName);
    await menuItem(page, 'Workplace').waitFor();
    expect(await menuItem(page, 'Users').count()).toBe(0);
    expect(await menuItem(page, 'Audit').count()).toBe(0);
    expect(await page.getByText('管理系统用户').count()).toBe(0);
    // Sales' home: their own customers' figures, no month close.
    await page.locator('[data-testid="home-summary"]').getByText('我的客户').waitFor();
    expect(await page.locator('[data-testid="month-close"]').count()).toBe(0);
    await screenshot(page, 'home-sales');

    await page.goto('/users');
    await page.locator('[data-testid="page-403"]').waitFor();
    await expect(page.locator('[data-testid="page-403"]').textContent()).resolves.toContain('无权访问');
    await screenshot(page, 'forbidden');

    await page.goto('/no/such/page');
    await page.locator('[data-testid="page-404"]').waitFor();
  });

  it('renews an expired access token with the refresh token, once', async () => {
    const before = await page.evaluate(() => localStorage.getItem('opcms.refresh_token'));
    await page.evaluate(() => localStorage.setItem('opcms.access_token', 'expired-or-garbage'));
    await page.goto('/workplace');
    await page.locator('[data-testid="greeting"]').waitFor();
    const after = await page.evaluate(() => ({
      access: localStorage.getItem('opcms.access_token'),
      refresh: localStorage.getItem('opcms.refresh_token'),
    }));
    expect(after.access).not.toBe('expired-or-garbage');
    expect(after.refresh).not.toBe(before);
  });

  it('sends the user to the login page when the session cannot be renewed', async () => {
    const saved = await page.evaluate(() => ({
      access: localStorage.getItem('opcms.access_token'),
      refresh: localStorage.getItem('opcms.refresh_token'),
    }));
    await page.evaluate(() => {
      localStorage.setItem('opcms.access_token', 'garbage');
      localStorage.setItem('opcms.refresh_token', 'garbage');
    });
    await page.goto('/account');
    await page.waitForURL(/\/login\?redirect=(%2F|\/)account/);
    // Back to the real session for the next steps.
    await page.evaluate((tokens) => {
      localStorage.setItem('opcms.access_token', tokens.access ?? '');
      localStorage.setItem('opcms.refresh_token', tokens.refresh ?? '');
    }, saved);
  });

  it('lets a user change the own password on the account page', async () => {
    await page.goto('/account');
    // The role's permissions, in Chinese: sales may not manage users.
    await page.locator('[data-testid="capabilities"]').getByText('查看账单').waitFor();
    expect(await page.locator('[data-testid="capabilities"]').getByText('管理系统用户').count()).toBe(0);
    await submitPasswordChange(page, SALES.changed, 'Sales-again-03');
    await page.locator('.arco-message').getByText('密码已修改').waitFor();
    SALES.changed = 'Sales-again-03';
  });

  it('switches the interface to English and back', async () => {
    await page.goto('/account');
    await page.locator('[data-testid="locale-switch"]').click();
    await page.locator('.arco-dropdown-option', { hasText: 'English' }).click();
    await page.locator('[data-testid="capabilities"]').getByText('My permissions').waitFor();
    await page.locator('[data-testid="locale-switch"]').click();
    await page.locator('.arco-dropdown-option', { hasText: '中文' }).click();
    await page.locator('[data-testid="capabilities"]').getByText('我的权限').waitFor();
  });

  it('works on a phone-sized screen', async () => {
    const phone = await openPage(browser, baseURL, PHONE);
    try {
      await phone.page.goto('/login');
      await screenshot(phone.page, 'login-mobile');
      await loginAndSettle(phone.page, 'admin', ADMIN_NEW_PASSWORD);
      await phone.page.locator('[data-testid="greeting"]').waitFor();
      // No side bar on a phone: the menu is a drawer behind the toggle.
      expect(await phone.page.locator('.layout-sider').count()).toBe(0);
      await screenshot(phone.page, 'home-mobile');

      await phone.page.locator('[data-testid="menu-toggle"]').click();
      await menuItem(phone.page, 'Users').waitFor();
      await screenshot(phone.page, 'menu-mobile', { fullPage: false });
      await menuItem(phone.page, 'Users').click();
      await phone.page.waitForURL(/\/users$/);
      await phone.page.locator('[data-testid="user-card"]', { hasText: SALES.username }).waitFor();
      await screenshot(phone.page, 'users-mobile');
      const noHorizontalScroll = () => phone.page.evaluate(() => document.documentElement.scrollWidth);
      expect(await noHorizontalScroll()).toBeLessThanOrEqual(PHONE.width);

      // Filters fold away on a phone.
      expect(await phone.page.locator('.search-form [data-field="role"]').count()).toBe(0);
      await phone.page.locator('[data-testid="toggle-filters"]').click();
      await phone.page.locator('.search-form [data-field="role"]').waitFor();

      // The audit table scrolls sideways inside its card, not the whole page.
      await phone.page.goto('/audit');
      await phone.page.locator('[data-testid="audit-table"] .arco-table-tr').nth(1).waitFor();
      await screenshot(phone.page, 'audit-mobile');
      expect(await noHorizontalScroll()).toBeLessThanOrEqual(PHONE.width);
    } finally {
      await phone.context.close();
    }
  });

  // Last, so the throttle it trips cannot get in the way of other logins.
  it('shows the server message when logins are throttled', async () => {
    const fresh = await openPage(browser, baseURL, DESKTOP);
    try {
      const alert = fresh.page.locator('[data-testid="login-error"]');
      for (let attempt = 1; attempt <= 12; attempt += 1) {
        await submitLogin(fresh.page, 'ghost.user', `wrong-password-${attempt}`);
        await alert.waitFor();
        // Wait for this attempt's answer (the button stops loading) before reading it.
        await fresh.page.locator('[data-testid="login-submit"].arco-btn-loading').waitFor({ state: 'detached' });
        if ((await alert.textContent())?.includes('次数过多')) break;
      }
      await expect(alert.textContent()).resolves.toMatch(/次数过多.*后再试/);
      await screenshot(fresh.page, 'login-throttled');
    } finally {
      await fresh.context.close();
    }
  });

  it('had no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });

  afterAll(async () => {
    await context?.close();
  });
});
