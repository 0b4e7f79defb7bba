/**
 * 数据备份 end to end on the suite's server: management opens 数据备份 from the menu,
 * starts a backup, which appears once written with its record counts (as the server
 * reports them; at least the two users this suite has) and status 已校验; verifies it again; downloads it and
 * gets the archive itself (its name, its size, the zstd magic bytes). A sales user has
 * no such menu entry and is turned away from the address. Screenshots at desktop and
 * phone size.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiClient, type Tokens } from './api';
import { ADMIN_NEW_PASSWORD } from './config';
import { PHONE, adminSession, loginAndSettle, openPage, screenshot } from './browser';

const baseURL = inject('baseURL');
const apiURL = inject('apiURL');
const SALES = { username: 'backups_sales', password: 'Sales-backups-2026' };

interface BackupRow {
  name: string;
  size_bytes: number;
  status: string;
  counts: Record<string, number>;
}

const { api, must, adminToken } = apiClient(apiURL);

let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];
let token: string;
const before = new Set<string>();

const rowOf = (p: Page, name: string) => p.locator('[data-testid="backups-table"] tr', { has: p.locator(`[data-backup="${name}"]`) });

describe('数据备份', () => {
  beforeAll(async () => {
    token = await adminToken();
    const existing = await must<{ items: BackupRow[] }>('GET', '/backups', undefined, token);
    for (const b of existing.items) before.add(b.name);
    const created = await api('POST', '/users', { username: SALES.username, password: SALES.password, role: 'sales', display_name: '钱备份' }, token);
    if (created.status !== 201 && created.status !== 200 && created.status !== 409) throw new Error(`POST /users → ${created.status}`);
    ({ browser, context, page, errors: pageErrors } = await adminSession(baseURL, ADMIN_NEW_PASSWORD));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  it('management starts a backup from 数据备份; it appears with the counts and 已校验', async () => {
    await page.locator('.side-menu [data-menu="Backups"]').click();
    await page.waitForURL((url) => url.pathname === '/backups');
    await page.locator('[data-testid="backups-page"]').waitFor();
    await page.locator('[data-testid="backup-start"]').click();

    // The server writes it in the background; the page follows the list until it is there.
    const deadline = Date.now() + 90_000;
    let fresh: BackupRow | undefined;
    while (!fresh && Date.now() < deadline) {
      const list = await must<{ running: boolean; items: BackupRow[] }>('GET', '/backups', undefined, token);
      fresh = list.running ? undefined : list.items.find((b) => !before.has(b.name));
      if (!fresh) await page.waitForTimeout(500);
    }
    expect(fresh, 'a new backup within 90 s').toBeDefined();
    const name = fresh?.name ?? '';
    const row = rowOf(page, name);
    await row.waitFor({ timeout: 30_000 });
    await expect(row.locator('[data-status="verified"]').textContent()).resolves.toBe('已校验');
    await expect(row.textContent()).resolves.toContain('手动');

    // The archive counts table rows (soft-deleted ones too), so the page is compared with the
    // server's answer; the users are at least the admin and the sales user made above.
    const count = async (key: string) => Number(((await row.locator(`[data-count="${key}"]`).textContent()) ?? '').replace(/,/g, ''));
    for (const key of ['customers', 'bills', 'payments', 'users']) expect(await count(key)).toBe(fresh?.counts[key]);
    expect(fresh?.counts.users).toBeGreaterThanOrEqual(2);
    await screenshot(page, 'backups-desktop');

    // 校验 reads it again: still 已校验.
    await page.locator(`[data-testid="verify-${name}"]`).click();
    await page.locator('.arco-message', { hasText: `备份「${name}」校验通过` }).waitFor();
    await expect(row.locator('[data-status="verified"]').count()).resolves.toBe(1);
  });

  it('downloads the archive itself', async () => {
    const list = await must<{ items: BackupRow[] }>('GET', '/backups', undefined, token);
    const fresh = list.items.find((b) => !before.has(b.name));
    const name = fresh?.name ?? '';
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`[data-testid="download-${name}"]`).click()]);
    expect(download.suggestedFilename()).toBe(name);
    const bytes = readFileSync(await download.path());
    expect(bytes.length).toBe(fresh?.size_bytes);
    // zstd frame magic: 28 B5 2F FD.
    expect([...bytes.subarray(0, 4)]).toEqual([0x28, 0xb5, 0x2f, 0xfd]);
    expect(pageErrors).toEqual([]);
  });

  it('sales sees no 数据备份 in the menu and is turned away from its address', async () => {
    const first = await api<Tokens>('POST', '/auth/login', { username: SALES.username, password: SALES.password });
    expect(first.status).toBe(200);
    const phone = await openPage(browser, baseURL, PHONE);
    await loginAndSettle(phone.page, SALES.username, SALES.password, 'Sales-backups-2027');
    await phone.page.locator('[data-testid="menu-toggle"]').click();
    await phone.page.locator('.side-menu [data-menu="Customers"]').waitFor();
    await expect(phone.page.locator('.side-menu [data-menu="Backups"]').count()).resolves.toBe(0);
    await phone.page.goto('/backups');
    await phone.page.locator('[data-testid="page-403"]').waitFor();
    await phone.context.close();

    // Management's phone view of the page: cards.
    const mgmt = await openPage(browser, baseURL, PHONE);
    await loginAndSettle(mgmt.page, 'admin', ADMIN_NEW_PASSWORD);
    await mgmt.page.goto('/backups');
    await mgmt.page.locator('[data-testid="backup-card"]').first().waitFor();
    await screenshot(mgmt.page, 'backups-phone');
    await mgmt.context.close();
  });
});
