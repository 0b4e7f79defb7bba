/**
 * The user manual's screenshots (docs/manual/images/), made from the demo company so they
 * never go stale: a server of its own on a fresh database filled by `opcms demo`, each
 * role signed in as the demo's staff, every page the manual shows opened, checked to
 * show demo data (the dashboard's receivable, customer rows, money in the aging) and to
 * carry its 帮助 link, and photographed at desktop size (two at phone size). A binary
 * without `opcms demo`, or a demo that fails, fails the test with what it printed.
 *
 * The pictures go to docs/manual/images/ only with OPCMS_MANUAL_SCREENSHOTS=1 (to refresh
 * the manual); otherwise to a temporary folder, so a test run leaves the work tree alone.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiClient, type Tokens } from './api';
import { DESKTOP, PHONE, launchBrowser, openPage, submitLogin, submitPasswordChange } from './browser';
import { runOpcmsCommand, startOpcms, type RunningOpcms } from './server';

const DEMO_PASSWORD = 'Demo-manual-2026';
/** The demo's staff must change the password at first login; this is the new one. */
const CHANGED_PASSWORD = 'Demo-manual-changed-2026';
const DEMO_CUSTOMERS = process.env.OPCMS_MANUAL_CUSTOMERS || '120';

const imageDir =
  process.env.OPCMS_MANUAL_SCREENSHOTS === '1'
    ? resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'manual', 'images')
    : mkdtempSync(join(tmpdir(), 'opcms-manual-'));

type Role = 'operations' | 'sales' | 'management';
const ROLES: Role[] = ['operations', 'sales', 'management'];

let opcms: RunningOpcms;
let browser: Browser;
let demoOutput = '';
const staff: Partial<Record<Role, string>> = {};
/** Each account's password as it is now (the first sign-in changes it). */
const passwords = new Map<string, string>();
const sessions: BrowserContext[] = [];
/** Errors thrown in any page; each test ends by checking there were none. */
const pageErrors: string[] = [];

/**
 * The demo's staff, one account per role: the first active user of each (by id, as
 * `GET /users` lists them), asked of the API as the admin, whose password the demo set
 * from OPCMS_ADMIN_PASSWORD (the admin is never photographed).
 */
async function demoStaff(): Promise<Partial<Record<Role, string>>> {
  const { must, adminToken } = apiClient(opcms.apiURL);
  const token = await adminToken();
  const found: Partial<Record<Role, string>> = {};
  for (const role of ROLES) {
    const users = await must<{ items: { username: string }[] }>('GET', `/users?role=${role}&status=active&page_size=50`, undefined, token);
    found[role] = users.items.map((u) => u.username).find((name) => name !== 'admin');
  }
  return found;
}

/** Sign `role`'s demo account in on a fresh page, through the forced password change the first time. */
async function signIn(role: Role, viewport = DESKTOP): Promise<Page> {
  const username = staff[role];
  if (!username) throw new Error(`the demo has no ${role} account`);
  const { context, page } = await openPage(browser, opcms.baseURL, viewport);
  sessions.push(context);
  page.on('pageerror', (error) => pageErrors.push(`${role}: ${error.message}`));
  await submitLogin(page, username, passwords.get(username) ?? DEMO_PASSWORD);
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  if (page.url().includes('/change-password')) {
    await submitPasswordChange(page, passwords.get(username) ?? DEMO_PASSWORD, CHANGED_PASSWORD);
    await page.waitForURL((url) => !url.pathname.startsWith('/change-password'));
    passwords.set(username, CHANGED_PASSWORD);
  }
  return page;
}

/** The role's API token (after signIn has settled its password). */
async function tokenOf(role: Role): Promise<string> {
  const username = staff[role] ?? '';
  const { must } = apiClient(opcms.apiURL);
  return (await must<Tokens>('POST', '/auth/login', { username, password: passwords.get(username) ?? DEMO_PASSWORD })).access_token;
}

/** Open a page, let its requests settle, check it links to the manual, and photograph it. */
async function shoot(page: Page, path: string, name: string, ready: string, options: { help?: boolean } = {}) {
  if (path) await page.goto(path);
  await page.locator(ready).first().waitFor({ state: 'visible', timeout: 30_000 });
  await page.waitForLoadState('networkidle');
  if (options.help !== false) await expect(page.locator('[data-testid="page-help"]').count()).resolves.toBe(1);
  // Transitions, charts' animations and messages settle before the picture.
  await page.waitForTimeout(800);
  await page.screenshot({ path: join(imageDir, `${name}.png`) });
}

const values = (page: Page, selector: string) =>
  page.locator(selector).evaluateAll((nodes) => nodes.map((n) => Number(n.getAttribute('data-value') || '0')));
const customerLinks = (page: Page) =>
  page.locator('a[href^="/customers/"]').evaluateAll((links) => links.filter((a) => /^\/customers\/\d+/.test(a.getAttribute('href') ?? '')).length);

/** `YYYY-MM`, `back` months before this one. */
function monthOf(back: number): string {
  const now = new Date();
  const month = new Date(now.getFullYear(), now.getMonth() - back, 1);
  return `${month.getFullYear()}-${String(month.getMonth() + 1).padStart(2, '0')}`;
}
/** The last month whose bills are out (the demo's current month has none yet). */
const lastMonth = () => monthOf(1);
const thisMonth = () => monthOf(0);

describe('user manual screenshots from the demo company', () => {
  beforeAll(async () => {
    mkdirSync(imageDir, { recursive: true });
    opcms = await startOpcms(
      { OPCMS_DEMO_PASSWORD: DEMO_PASSWORD },
      {
        prepare: async ({ dataDir, env }) => {
          demoOutput = await runOpcmsCommand(['demo', '--customers', DEMO_CUSTOMERS], { cwd: dataDir, env });
        },
      },
    );
    Object.assign(staff, await demoStaff());
    browser = await launchBrowser();
    console.log(`manual: demo staff ${JSON.stringify(staff)}; screenshots in ${imageDir}`);
  }, 900_000);

  afterAll(async () => {
    for (const context of sessions) await context.close();
    await browser?.close();
    await opcms?.stop();
  });

  it('has a demo account for each role, the ones the demo printed', () => {
    expect(ROLES.filter((role) => !staff[role])).toEqual([]);
    // `    zhao.min     赵敏  (management)` in its list of staff accounts.
    const printed = demoOutput.split('\n').map((line) => line.trim());
    for (const role of ROLES) expect(printed.some((line) => line.startsWith(`${staff[role]} `) && line.endsWith(`(${role})`)), `${role} ${staff[role]}`).toBe(true);
  });

  it('operations: the month close, quarantine, billing, write-off, jobs and customer import', async () => {
    const page = await signIn('operations');
    await shoot(page, '/', 'operations-workplace', '[data-testid="month-close"] [data-testid="close-next"]');
    await shoot(page, '/usage/quarantine', 'operations-quarantine', '.arco-table, .arco-empty');
    // The demo issued every month's bills; this month's drafts (its usage so far) give the review something to show.
    const token = await tokenOf('operations');
    const { must } = apiClient(opcms.apiURL);
    const run = await must<{ created: number; updated: number }>('POST', '/bills/generate', { period: thisMonth() }, token);
    expect(run.created + run.updated).toBeGreaterThan(0);
    await shoot(page, `/bills/generate?period=${thisMonth()}`, 'operations-bill-generate', '.arco-table-tr [data-amount]');
    await shoot(page, '/bills', 'operations-bills', '.arco-table-tr');
    expect(Math.max(...(await values(page, '[data-amount="total"]')))).toBeGreaterThan(0);

    // The write-off workbench of a receipt that still has money to allocate (the demo's prepayment, its unknown payer).
    const receipts = await must<{ items: { id: number; customer_id: number | null; unapplied: string }[] }>('GET', '/payments?page_size=200', undefined, token);
    const open = receipts.items.filter((p) => Number(p.unapplied) > 0);
    const payment = open.find((p) => p.customer_id !== null) ?? open[0];
    if (!payment) throw new Error('the demo has no receipt with money left to write off');
    await shoot(page, `/payments/${payment.id}/allocate`, 'operations-allocate', '.arco-table, .arco-empty');

    await shoot(page, '/jobs', 'operations-jobs', '[data-testid="jobs-page"] .arco-table-tr');
    await shoot(page, '/customers/import', 'operations-customer-import', '.arco-upload, .arco-steps');
    await page.close();
    expect(pageErrors).toEqual([]);
  });

  it('sales: my customers, a customer, churn risk and my receivables', async () => {
    const page = await signIn('sales');
    await shoot(page, '/', 'sales-workplace', '[data-testid="welcome"]');
    await shoot(page, '/customers', 'sales-customers', '.arco-table-tr a[href^="/customers/"]');
    expect(await customerLinks(page)).toBeGreaterThan(0);

    await page.locator('.arco-table-tr a[href^="/customers/"]').first().click();
    await shoot(page, '', 'sales-customer-detail', '[data-testid="customer-tabs"]');
    await shoot(page, '/analytics/churn', 'sales-churn', '.arco-table, .arco-empty');
    await shoot(page, '/receivables/aging', 'sales-aging', '[data-testid="aging-table"] [data-testid="aging-totals"]');
    expect(Math.max(...(await values(page, '[data-testid="aging-table"] [data-amount="outstanding"]')))).toBeGreaterThan(0);
    await page.close();

    const phone = await signIn('sales', PHONE);
    await shoot(phone, '/customers', 'phone-customers', 'a[href^="/customers/"]');
    expect(await customerLinks(phone)).toBeGreaterThan(0);
    await phone.close();
    expect(pageErrors).toEqual([]);
  });

  it('management: the dashboard, analytics, settings, users, backups and audit', async () => {
    const page = await signIn('management');
    await shoot(page, `/workplace?period=${lastMonth()}`, 'management-workplace', '[data-testid="dashboard-figures"] [data-amount="receivable"]');
    const receivable = await page.locator('[data-testid="figure-receivable"] [data-amount="receivable"]').getAttribute('data-value');
    expect(Number(receivable)).toBeGreaterThan(0);

    await shoot(page, '/analytics/segments', 'management-segments', '.arco-table-tr a[href^="/customers/"]');
    await shoot(page, '/analytics/churn', 'management-churn', '.arco-table-tr a[href^="/customers/"]');
    await shoot(page, '/settings', 'management-settings', 'form');
    await shoot(page, '/users', 'management-users', '.arco-table-tr');
    // One backup written and checked, as the daily job would have left it.
    const { must } = apiClient(opcms.apiURL);
    const token = await tokenOf('management');
    const { name } = await must<{ name: string }>('POST', '/backups', undefined, token);
    await expect
      .poll(async () => {
        const list = await must<{ running: boolean; items: { name: string; status: string }[] }>('GET', '/backups', undefined, token);
        return list.running ? 'running' : (list.items.find((b) => b.name === name)?.status ?? 'missing');
      }, { timeout: 120_000, interval: 500 })
      .toBe('verified');
    await shoot(page, '/backups', 'management-backups', `[data-backup="${name}"]`);
    await shoot(page, '/audit', 'management-audit', '.arco-table-tr');

    // A page's 帮助 link lands on its section of the manual.
    await page.goto('/users');
    await page.locator('[data-testid="page-help"]').click();
    await page.waitForURL((url) => url.pathname === '/help/management');
    // The chapter renders after the route changes: wait for the heading rather than look once.
    await page.locator('[data-testid="help-article"] h2#用户与团队').waitFor({ state: 'visible' });
    await page.close();

    const phone = await signIn('management', PHONE);
    await shoot(phone, `/workplace?period=${lastMonth()}`, 'phone-workplace', '[data-testid="dashboard-figures"] [data-amount="receivable"]');
    await phone.close();
    expect(pageErrors).toEqual([]);
  });
});
