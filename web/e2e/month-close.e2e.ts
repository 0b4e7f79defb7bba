/**
 * A whole month close from the 月结工作台, at the scale of the users' month: the 1,320
 * customers of the messy import fixture, a vendor (`opcms mock-vendor`) serving their
 * usage plus two accounts nobody knows, and this file's own opcms configured to collect
 * from it. From the cockpit the clerk collects last month in one action, discards the
 * quarantined records in bulk, gives every customer the plan with one batch action over
 * the filter, generates the month, issues every clean draft at once (the dialog shows
 * count and total), imports a bank statement whose exact matches are allocated
 * automatically, and prints a customer's statement of account; then the cockpit says
 * the close is done but for the receipts and the overdue. Desktop and phone screenshots.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { apiClient } from './api';
import { ADMIN_NEW_PASSWORD } from './config';
import { PHONE, adminSession, loginAndSettle, openPage, screenshot } from './browser';
import { freePort, opcmsBinary, startOpcms, startProcess, waitForUrl, type RunningOpcms } from './server';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURE = resolve(here, '../../crates/server/tests/fixtures/customers_1320.xlsx');
const PLAN = '月结测试标准方案';
/** Accounts the vendor reports that no customer has: quarantined as unknown. */
const GHOSTS = ['ghost_acc_01', 'ghost_acc_02'];

/** Last month in China, `YYYY-MM`, and its number of days. */
function lastMonthChina(): { period: string; days: number } {
  const china = new Date(Date.now() + 8 * 3600 * 1000);
  const first = new Date(Date.UTC(china.getUTCFullYear(), china.getUTCMonth() - 1, 1));
  const days = new Date(Date.UTC(china.getUTCFullYear(), china.getUTCMonth(), 0)).getUTCDate();
  return { period: `${first.getUTCFullYear()}-${String(first.getUTCMonth() + 1).padStart(2, '0')}`, days };
}
const { period: PERIOD, days: DAYS } = lastMonthChina();

let opcms: RunningOpcms;
let stopVendor: () => Promise<void> = async () => {};
let client: ReturnType<typeof apiClient>;
let token = '';
let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];

let customerCount = 0;
let statementCustomer = '';
let pendingQuarantine = 0;

const okButton = (dialog: Locator) => dialog.locator('.arco-modal-footer .arco-btn-primary');
const isPost = (path: string) => (r: { request(): { method(): string }; url(): string }) =>
  r.request().method() === 'POST' && new URL(r.url()).pathname === path;
const nextStep = (p: Page) => p.locator('[data-testid="close-next"]').getAttribute('data-step');
const step = (p: Page, name: string) => p.locator(`[data-testid="close-step"][data-step="${name}"]`);
const openCount = async (p: Page, name: string) => Number(await step(p, name).getAttribute('data-open'));

async function cockpit(p: Page) {
  await p.goto('/workplace');
  await p.locator('[data-testid="close-next"]').waitFor();
  await expect(p.locator('[data-testid="close-period"] input').inputValue()).resolves.toBe(PERIOD);
}

describe('a month close from the 月结工作台', () => {
  beforeAll(async () => {
    const vendorPort = await freePort();
    const source = {
      name: 'vendor',
      base_url: `http://127.0.0.1:${vendorPort}`,
      path: '/v1/usage',
      records_path: 'data.items',
      pagination: { kind: 'page', page_size: 500 },
      fields: { account_id: 'account', series: 'series', day: 'date', quantity: 'qty', source_id: 'id' },
    };
    opcms = await startOpcms({ OPCMS_USAGE_SOURCES: JSON.stringify([source]) });
    client = apiClient(opcms.apiURL);
    token = await client.adminToken();

    // The 1,320 customers, through the import.
    const form = new FormData();
    form.append('file', new Blob([readFileSync(FIXTURE)]), 'customers_1320.xlsx');
    const imported = await fetch(`${opcms.apiURL}/api/v1/customers/import?dry_run=false`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: form,
    });
    expect(imported.status).toBe(200);

    // The vendor serves every imported account, and two unknown ones.
    const accounts: string[] = [];
    for (let pageNo = 1; ; pageNo += 1) {
      const list = await client.must<{ items: { account_id: string | null }[]; total: number }>(
        'GET',
        `/customers?page=${pageNo}&page_size=200`,
        undefined,
        token,
      );
      accounts.push(...list.items.map((c) => c.account_id).filter((a): a is string => !!a));
      customerCount = list.total;
      if (pageNo * 200 >= list.total) break;
    }
    expect(accounts.length).toBeGreaterThan(1000);
    const vendorDir = mkdtempSync(join(tmpdir(), 'opcms-vendor-'));
    const logFile = join(vendorDir, 'vendor.log');
    const vendor = startProcess(
      opcmsBinary(),
      ['mock-vendor', '--bind', `127.0.0.1:${vendorPort}`, '--accounts', [...accounts, ...GHOSTS].join(',')],
      { cwd: vendorDir, env: { ...process.env, OPCMS_DATA_DIR: vendorDir }, logFile },
    );
    stopVendor = vendor.stop;
    await waitForUrl(`http://127.0.0.1:${vendorPort}/v1/usage?date=2026-01-01&page=1&page_size=1`, vendor.child, logFile);

    await client.must('POST', '/price-plans', {
      name: PLAN,
      effective_from: PERIOD,
      reason: '月结测试',
      rules: {
        X: { mode: 'graduated', tiers: [{ up_to: '1000', unit_price: '0.05' }, { up_to: null, unit_price: '0.04' }] },
        N: { mode: 'flat', unit_price: '0.03' },
        L: { mode: 'volume', tiers: [{ up_to: '5000', unit_price: '0.02' }, { up_to: null, unit_price: '0.015' }] },
      },
    }, token);

    ({ browser, context, page, errors: pageErrors } = await adminSession(opcms.baseURL, ADMIN_NEW_PASSWORD));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stopVendor();
    await opcms?.stop();
  });

  it('opens on the cockpit: last month, every day still to collect', async () => {
    await cockpit(page);
    await expect(nextStep(page)).resolves.toBe('collect');
    expect(await openCount(page, 'collect')).toBe(DAYS);
    await screenshot(page, 'month-close-start');
  });

  it('collects the whole month in one action, with progress', async () => {
    await page.locator('[data-testid="close-collect"]').click();
    const dialog = page.locator('[data-testid="collect-modal"]');
    const range = dialog.locator('[data-field="range"]');
    await range.waitFor();
    await expect(range.locator('input').first().inputValue()).resolves.toBe(`${PERIOD}-01`);
    await expect(range.locator('input').nth(1).inputValue()).resolves.toBe(`${PERIOD}-${String(DAYS).padStart(2, '0')}`);
    const started = Date.now();
    const [response] = await Promise.all([
      page.waitForResponse(isPost('/api/v1/usage/collect'), { timeout: 600_000 }),
      okButton(dialog).click(),
    ]);
    expect(response.status()).toBe(200);
    const { runs } = (await response.json()) as { runs: { status: string }[] };
    expect(runs).toHaveLength(DAYS);
    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
    console.log(`E2E month close: collected ${DAYS} days for 1,320 customers in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await expect.poll(() => openCount(page, 'collect'), { timeout: 30_000 }).toBe(0);
    // Quarantined: the vendor's two unknown accounts, and the usage it still reports for
    // closed customers (one pending record per account and series, counting days).
    pendingQuarantine = await openCount(page, 'quarantine');
    expect(pendingQuarantine).toBeGreaterThan(GHOSTS.length * 3);
    await expect(nextStep(page)).resolves.toBe('quarantine');
  });

  it('discards every pending record in bulk from 异常数据', async () => {
    await page.locator('[data-testid="close-next-action"]').click();
    await page.waitForURL(/\/usage\/quarantine/);
    await page.goto('/usage/quarantine?status=pending');
    const all = page.locator('[data-testid="filter-resolve"]');
    await expect.poll(() => all.getAttribute('data-count')).toBe(String(pendingQuarantine));
    await screenshot(page, 'month-close-quarantine');
    await all.click();
    const dialog = page.locator('[data-testid="resolve-modal"]');
    await dialog.locator('[data-action="discard"]').click();
    await dialog.locator('textarea').first().fill('未知账号与已注销客户的用量，不计费');
    const [response] = await Promise.all([page.waitForResponse(isPost('/api/v1/usage/quarantine/resolve')), okButton(dialog).click()]);
    expect(response.status()).toBe(200);
    await cockpit(page);
    expect(await openCount(page, 'quarantine')).toBe(0);
    await expect(nextStep(page)).resolves.toBe('generate');
  });

  it('gives every customer the plan with one batch action over the filter', async () => {
    await page.goto('/customers?page_size=20');
    const table = page.locator('[data-testid="customers-table"]');
    await table.locator('tbody .arco-table-tr').nth(19).waitFor();
    await table.locator('thead .arco-checkbox').first().click();
    await page.locator('[data-testid="select-all-matching"]').click();
    await page.locator('[data-testid="batch-set_price_plan"]').click();
    const dialog = page.locator('[data-testid="batch-modal"]');
    await dialog.locator('[data-field="plan"]').click();
    await page.locator('.arco-select-option:visible', { hasText: PLAN }).first().click();
    const started = Date.now();
    const [response] = await Promise.all([page.waitForResponse(isPost('/api/v1/customers/batch')), okButton(dialog).click()]);
    expect(response.status()).toBe(200);
    const answer = (await response.json()) as { succeeded: number; failed: number };
    expect(answer.failed).toBe(0);
    expect(answer.succeeded).toBe(customerCount);
    console.log(`E2E month close: plan set for ${answer.succeeded} customers in ${Date.now() - started} ms`);
    await dialog.locator('[data-testid="batch-succeeded"]').waitFor();
    await okButton(dialog).click();
    await table.locator('tbody .arco-table-tr', { hasText: PLAN }).first().waitFor();
  });

  it('generates the month from the cockpit', async () => {
    await cockpit(page);
    await expect(nextStep(page)).resolves.toBe('generate');
    await page.locator('[data-testid="close-generate"]').click();
    const started = Date.now();
    const [response] = await Promise.all([
      page.waitForResponse(isPost('/api/v1/bills/generate'), { timeout: 300_000 }),
      okButton(page.locator('.arco-modal').last()).click(),
    ]);
    expect(response.status()).toBe(200);
    const run = (await response.json()) as { created: number };
    expect(run.created).toBeGreaterThan(1000);
    console.log(`E2E month close: generated ${run.created} drafts in ${Date.now() - started} ms`);
    await expect.poll(() => openCount(page, 'generate')).toBe(0);
    expect(await openCount(page, 'issue')).toBeGreaterThan(0);
    await screenshot(page, 'month-close-generated');
  });

  it('issues every clean draft at once after the count and total', async () => {
    const clean = await openCount(page, 'issue');
    await page.locator('[data-testid="close-link-issue"]').click();
    await page.waitForURL(/\/bills\/generate/);
    await page.locator('[data-testid="issue-all-clean"]').click();
    const dialog = page.locator('[data-testid="issue-all-clean-modal"]');
    const confirm = dialog.locator('[data-testid="issue-all-clean-confirm"]');
    await confirm.waitFor();
    await expect(confirm.getAttribute('data-count')).resolves.toBe(String(clean));
    await screenshot(page, 'month-close-issue-all');
    const started = Date.now();
    const [response] = await Promise.all([
      page.waitForResponse(isPost('/api/v1/bills/batch-issue'), { timeout: 300_000 }),
      okButton(dialog).click(),
    ]);
    expect(response.status()).toBe(200);
    expect(((await response.json()) as { issued: number }).issued).toBe(clean);
    console.log(`E2E month close: issued ${clean} clean drafts in ${Date.now() - started} ms`);
    await cockpit(page);
    expect(await openCount(page, 'issue')).toBe(0);
  });

  it('imports a bank statement and allocates the exact matches automatically', async () => {
    const bills = await client.must<{ items: { customer: { customer_code: string; company_name: string }; outstanding: string }[] }>(
      'GET',
      `/bills?period=${PERIOD}&status=issued&page_size=3`,
      undefined,
      token,
    );
    expect(bills.items).toHaveLength(3);
    const received = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
    const lines = [
      '到账日期,金额,付款人,流水号,收款方式,客户编号,备注',
      ...bills.items.map((b, i) => `${received},${b.outstanding},${b.customer.company_name},MC${PERIOD.replace('-', '')}${i},银行转账,${b.customer.customer_code},${PERIOD} 服务费`),
    ];
    await page.goto('/payments/import');
    await page.locator('[data-testid="payment-import-auto"]').click();
    await page
      .locator('[data-testid="import-upload"] input[type="file"]')
      .setInputFiles({ name: '银行流水.csv', mimeType: 'text/csv', buffer: Buffer.from(`\ufeff${lines.join('\r\n')}\r\n`, 'utf8') });
    const review = page.locator('[data-testid="payment-import-review"]');
    await review.locator('[data-testid="auto-allocations"]').waitFor();
    const [response] = await Promise.all([
      page.waitForResponse((r) => isPost('/api/v1/payments/import')(r) && new URL(r.url()).searchParams.get('dry_run') === 'false'),
      review.locator('[data-testid="payment-import-confirm"]').click(),
    ]);
    expect(response.status()).toBe(200);
    const done = page.locator('[data-testid="payment-import-done"]');
    await done.waitFor();
    await expect.poll(() => done.locator('[data-testid="auto-allocations"] [data-testid="auto-allocation"], [data-testid="auto-allocations-table"] tbody .arco-table-tr').count()).toBe(3);
    await screenshot(page, 'month-close-statement-import');
    statementCustomer = bills.items[0]!.customer.customer_code;
  });

  it('prints a customer’s statement of account', async () => {
    const found = await client.must<{ items: { id: number }[] }>('GET', `/customers?q=${statementCustomer}`, undefined, token);
    await page.goto(`/customers/${found.items[0]!.id}?tab=statement`);
    const ledger = page.locator('[data-testid="statement-ledger"]');
    await ledger.waitFor();
    const [pdf] = await Promise.all([
      page.waitForResponse((r) => /\/customers\/\d+\/statement\/pdf$/.test(new URL(r.url()).pathname)),
      ledger.locator('[data-testid="statement-print"]').click(),
    ]);
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()['content-type']).toBe('application/pdf');
    await page.locator('[data-testid="statement-pdf-frame"]').waitFor();
    await screenshot(page, 'month-close-statement');
    await page.keyboard.press('Escape');
  });

  it('ends on a cockpit with only warnings, receipts and overdue left, at desktop and phone size', async () => {
    await cockpit(page);
    for (const done of ['collect', 'quarantine', 'generate', 'issue']) expect(await openCount(page, done)).toBe(0);
    await expect(nextStep(page)).resolves.toBe('review_warnings');
    await screenshot(page, 'month-close-desktop');
    const phone = await openPage(browser, opcms.baseURL, PHONE);
    try {
      await loginAndSettle(phone.page, 'admin', ADMIN_NEW_PASSWORD);
      await cockpit(phone.page);
      const width = await phone.page.evaluate(() => document.documentElement.scrollWidth);
      expect(width).toBeLessThanOrEqual(PHONE.width);
      await screenshot(phone.page, 'month-close-phone');
    } finally {
      await phone.context.close();
    }
    expect(pageErrors).toEqual([]);
  });
});
