/**
 * 集成 end to end: an opcms of its own pushes to `opcms mock-erp` (with a credential).
 * One bill reaches the ERP; the ERP refuses a second (HTTP 422), so it fails at once with
 * the ERP's reason. Management opens 集成 from the menu: the ERP connector is 异常 with
 * the counts and the last error in words, the sync log shows the delivered bill as ERP
 * 已新建 and the refused one with its reason; once the ERP takes documents again,
 * 重新发送 delivers it and the connector is 正常. At phone size the same page shows cards
 * and does not scroll sideways. 立即同步 pulls the ERP's customers: a new one is created,
 * and one edited here shows as a conflict with both values until 采用 ERP 值 takes the
 * ERP's. The suite's own server has no ERP: its 集成 says 未配置.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiClient } from './api';
import { ADMIN_NEW_PASSWORD } from './config';
import { PHONE, adminSession, loginAndSettle, openPage, screenshot } from './browser';
import { freePort, opcmsBinary, startOpcms, startProcess, waitForUrl, type RunningOpcms } from './server';

const ERP_TOKEN = 'Bearer e2e-erp-token-2026';

interface Entry {
  id: number;
  doc_no: string;
  status: string;
  last_error: string | null;
}

let erpURL = '';
let stopErp: (() => Promise<void>) | undefined;
let erpDir = '';
let opcms: RunningOpcms;
let client: ReturnType<typeof apiClient>;
let token = '';
let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];
let delivered = '';
let refused = '';

/** Tells the mock ERP how to behave (`{}`: well). */
async function erpBehaves(behaviour: Record<string, unknown>) {
  const answer = await fetch(`${erpURL}/_control`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(behaviour) });
  expect(answer.status).toBe(204);
}

/** A manual bill, issued: its number. */
async function issuedBill(customerId: number, amount: string): Promise<string> {
  const period = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7);
  const bill = await client.must<{ id: number }>('POST', '/bills', { customer_id: customerId, period, lines: [{ description: '服务费', amount }] }, token);
  const issued = await client.must<{ bill_no: string }>('POST', `/bills/${bill.id}/issue`, {}, token);
  return issued.bill_no;
}

/** Waits until the document numbered `no` is `status` in the sync log. */
async function until(no: string, status: string): Promise<Entry> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const log = await client.must<{ items: Entry[] }>('GET', `/integrations/erp/documents?q=${encodeURIComponent(no)}`, undefined, token);
    const entry = log.items.find((e) => e.doc_no === no && e.status === status);
    if (entry) return entry;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${no} did not become ${status} within 30 s`);
}

describe('集成', () => {
  beforeAll(async () => {
    const port = await freePort();
    erpURL = `http://127.0.0.1:${port}`;
    erpDir = mkdtempSync(join(tmpdir(), 'opcms-erp-'));
    const logFile = join(erpDir, 'erp.log');
    const erp = startProcess(opcmsBinary(), ['mock-erp', '--bind', `127.0.0.1:${port}`], {
      cwd: erpDir,
      env: { ...process.env, OPCMS_MOCK_ERP_TOKEN: ERP_TOKEN },
      logFile,
    });
    stopErp = erp.stop;
    await waitForUrl(`${erpURL}/_stats`, erp.child, logFile);
    const config = {
      base_url: erpURL,
      auth_header: 'Authorization',
      auth_token: ERP_TOKEN,
      backoff_ms: 200,
      tick_ms: 200,
      fields: { bill: { bill_no: 'DocNo' } },
      customers: { fields: { customer_code: 'CustNo', company_name: 'Name', contact_phone: 'Tel', device_series: 'Series' } },
    };
    opcms = await startOpcms({ OPCMS_ERP: JSON.stringify(config) });
    client = apiClient(opcms.apiURL);
    token = await client.adminToken();

    const customer = await client.must<{ id: number }>(
      'POST',
      '/customers',
      { company_name: '集成演示有限公司', customer_code: 'C900001', account_id: 'acc_erp_demo', device_series: ['X'], account_status: 'active' },
      token,
    );
    delivered = await issuedBill(customer.id, '1288.00');
    await until(delivered, 'sent');
    await erpBehaves({ reject_status: 422 });
    refused = await issuedBill(customer.id, '66.50');
    await until(refused, 'failed');
    await erpBehaves({});
    const feed = await fetch(`${erpURL}/_customers`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify([
        { CustNo: 'C900101', Name: 'ERP 新客户有限公司', Tel: '13700137000', Series: ['X'] },
        { CustNo: 'C900001', Name: '集成演示有限公司', Tel: '13900139000' },
      ]),
    });
    expect(feed.status).toBe(204);

    ({ browser, context, page, errors: pageErrors } = await adminSession(opcms.baseURL, ADMIN_NEW_PASSWORD));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await opcms?.stop();
    await stopErp?.();
    if (erpDir) rmSync(erpDir, { recursive: true, force: true });
  });

  it('shows the ERP connector failing, with its counts and the ERP’s reason', async () => {
    await page.locator('.side-menu [data-menu="Integrations"]').click();
    await page.waitForURL((url) => url.pathname === '/integrations');
    const connector = page.locator('[data-testid="connector-erp_push"]');
    await connector.locator('[data-status="failing"]').getByText('异常').waitFor();
    await expect(connector.textContent()).resolves.toContain(erpURL);
    await connector.locator('[data-testid="connector-last-error"]').getByText('ERP 拒收此单据：HTTP 422：document rejected by ERP rules').waitFor();
    await expect(connector.locator('[data-testid="connector-last-sync"]').textContent()).resolves.not.toContain('尚未同步');
    await connector.locator('[data-testid="erp-resend-failed"]').getByText('全部重新发送（1）').waitFor();

    const table = page.locator('[data-testid="erp-log-table"]');
    const rowOf = (no: string) => table.locator('tr', { hasText: no });
    await rowOf(delivered).getByText('ERP 已新建').waitFor();
    await rowOf(delivered).locator('[data-status="sent"]').getByText('已送达').waitFor();
    await rowOf(refused).locator('[data-status="failed"]').getByText('失败').waitFor();
    await rowOf(refused).locator('[data-testid="erp-error"]').getByText('HTTP 422', { exact: false }).waitFor();
    await screenshot(page, 'integrations-failing');
  });

  it('filters the log by status in the address', async () => {
    await page.goto('/integrations?status=failed');
    const table = page.locator('[data-testid="erp-log-table"]');
    await table.locator('tr', { hasText: refused }).waitFor();
    await expect(table.locator('tr', { hasText: delivered }).count()).resolves.toBe(0);
  });

  it('re-sends the refused bill, which reaches the ERP; the connector is healthy again', async () => {
    await page.goto('/integrations');
    const entry = await until(refused, 'failed');
    await page.locator(`[data-testid="erp-resend-${entry.id}"]`).click();
    await page.locator('.arco-modal').getByText(`账单「${refused}」`, { exact: false }).waitFor();
    await page.locator('.arco-modal .arco-btn-primary').click();
    await page.locator('.arco-message').getByText('已重新加入发送队列').first().waitFor();
    await until(refused, 'sent');
    await page.locator('[data-testid="integrations-refresh"]').click();
    const connector = page.locator('[data-testid="connector-erp_push"]');
    await connector.locator('[data-status="idle"]').getByText('正常').waitFor();
    const stats = await (await fetch(`${erpURL}/_stats`)).json();
    const numbers = (stats.documents as { body: { DocNo?: string } }[]).map((d) => d.body.DocNo);
    expect(numbers.sort()).toEqual([delivered, refused].sort());
    await page.locator('[data-testid="erp-log-table"] tr', { hasText: refused }).getByText('ERP 已新建').waitFor();
    await screenshot(page, 'integrations-desktop');
    expect(pageErrors).toEqual([]);
  });

  it('pulls the ERP’s customers now; a customer edited here waits as a conflict until 采用 ERP 值', async () => {
    await page.goto('/integrations');
    const pull = page.locator('[data-testid="connector-erp_pull"]');
    await pull.locator('[data-testid="erp-pull-now"]').click();
    await page.locator('.arco-message').getByText('同步完成：收到 2 条，新增 1，更新 0，冲突 1').waitFor({ timeout: 30_000 });
    await pull.locator('[data-status="ok"]').getByText('正常').waitFor();
    await pull.locator('[data-testid="connector-count-conflicts"]').getByText('1').waitFor();
    const conflict = page.locator('[data-testid="erp-conflict-C900001"]');
    const phone = conflict.locator('[data-testid="conflict-field-contact_phone"]');
    await phone.getByText('13900139000').waitFor();
    await phone.getByText('（空）').waitFor();
    await screenshot(page, 'integrations-conflict');
    await conflict.locator('[data-testid="conflict-accept"]').click();
    await page.locator('.arco-modal').getByText('C900001', { exact: false }).waitFor();
    await page.locator('.arco-modal .arco-btn-primary').click();
    await page.locator('.arco-message').getByText('已采用 ERP 的资料').waitFor();
    await page.locator('[data-testid="erp-conflicts-empty"]').waitFor();
    const phoneOf = async (code: string) => {
      const found = await client.must<{ items: { id: number; customer_code: string }[] }>('GET', `/customers?q=${code}`, undefined, token);
      const id = found.items.find((c) => c.customer_code === code)?.id;
      expect(id).toBeDefined();
      return (await client.must<{ contact_phone: string | null }>('GET', `/customers/${id}`, undefined, token)).contact_phone;
    };
    expect(await phoneOf('C900101')).toBe('13700137000');
    expect(await phoneOf('C900001')).toBe('13900139000');
    expect(pageErrors).toEqual([]);
  });

  it('works at phone size without scrolling sideways', async () => {
    const phone = await openPage(browser, opcms.baseURL, PHONE);
    try {
      await loginAndSettle(phone.page, 'admin', ADMIN_NEW_PASSWORD);
      await phone.page.goto('/integrations');
      await phone.page.locator('[data-testid="connector-erp_push"]').waitFor();
      await phone.page.locator('[data-testid="erp-card"]').first().waitFor();
      await phone.page.locator('[data-testid="connector-erp_pull"]').waitFor();
      await phone.page.locator('[data-testid="erp-conflicts"]').waitFor();
      expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      await screenshot(phone.page, 'integrations-phone');
      expect(phone.errors).toEqual([]);
    } finally {
      await phone.context.close();
    }
  });

  it('says 未配置 on a server without an ERP', async () => {
    const suite = apiClient(inject('apiURL'));
    const suiteToken = await suite.adminToken();
    const overview = await suite.must<{ connectors: { state: string }[] }>('GET', '/integrations', undefined, suiteToken);
    expect(overview.connectors[0]?.state).toBe('not_configured');
    const other = await openPage(browser, inject('baseURL'));
    try {
      await loginAndSettle(other.page, 'admin', ADMIN_NEW_PASSWORD);
      await other.page.goto('/integrations');
      const push = other.page.locator('[data-testid="connector-erp_push"]');
      await push.locator('[data-testid="connector-not-configured"]').getByText('未配置', { exact: false }).waitFor();
      await push.locator('[data-status="not_configured"]').waitFor();
      // Local file storage answers; Redis is optional and not set up here.
      await other.page.locator('[data-testid="connector-storage"] [data-status="ok"]').waitFor();
      await other.page.locator('[data-testid="connector-redis"] [data-status="not_configured"]').waitFor();
      expect(await other.page.locator('[data-testid="erp-conflicts"]').count()).toBe(0);
    } finally {
      await other.context.close();
    }
  });
});
