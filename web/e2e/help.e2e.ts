/**
 * 帮助 on the suite's server: the header's 帮助 opens the manual's first page; a page's
 * 帮助 link (here 用户管理's) opens its section of the management chapter, scrolled to;
 * links between chapters stay in the app; on a phone the chapters are a select.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiClient } from './api';
import { ADMIN_NEW_PASSWORD } from './config';
import { PHONE, adminSession, loginAndSettle, openPage, screenshot } from './browser';

const baseURL = inject('baseURL');
const apiURL = inject('apiURL');

let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];

describe('帮助', () => {
  beforeAll(async () => {
    // The admin's first password is changed here when this file runs alone.
    await apiClient(apiURL).adminToken();
    ({ browser, context, page, errors: pageErrors } = await adminSession(baseURL, ADMIN_NEW_PASSWORD));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  it('opens the manual from the header', async () => {
    await page.locator('[data-testid="help-button"]').click();
    await page.waitForURL((url) => url.pathname === '/help');
    await expect(page.locator('[data-testid="help-article"] h1').textContent()).resolves.toBe('OP_CMS 用户手册');
    await expect(page.locator('[data-testid="help-toc"] [data-chapter]').allTextContents()).resolves.toEqual(['OP_CMS 用户手册', '运营手册', '销售手册', '管理手册']);
  });

  it('a page’s 帮助 link opens its section, and chapter links stay in the app', async () => {
    await page.goto('/users');
    await page.locator('[data-testid="page-help"]').click();
    await page.waitForURL((url) => url.pathname === '/help/management' && decodeURIComponent(url.hash) === '#用户与团队');
    const heading = page.locator('[data-testid="help-article"] h2[id="用户与团队"]');
    await heading.waitFor({ state: 'visible' });
    // Scrolled to: the heading settles near the top of the window, below the fixed header
    // (the page scrolls again once the images above it have loaded, later on a busy machine).
    const top = () => heading.evaluate((el) => Math.round(el.getBoundingClientRect().top));
    await expect.poll(async () => { const t = await top(); return t >= 40 && t < 200 ? 'near the top' : `at ${t}px`; }, { timeout: 10_000 }).toBe('near the top');
    await screenshot(page, 'help-desktop', { fullPage: false });

    await page.locator('[data-testid="help-article"] a[href^="/help/sales"]').first().click();
    await page.waitForURL((url) => url.pathname === '/help/sales');
    await expect(page.locator('[data-testid="help-article"]').getAttribute('data-chapter')).resolves.toBe('sales');
    expect(pageErrors).toEqual([]);
  });

  it('lists the chapters in a select on a phone', async () => {
    const phone = await openPage(browser, baseURL, PHONE);
    await loginAndSettle(phone.page, 'admin', ADMIN_NEW_PASSWORD);
    await phone.page.goto('/help/operations');
    await phone.page.locator('[data-testid="help-chapter-select"]').waitFor();
    await expect(phone.page.locator('[data-testid="help-toc"]').count()).resolves.toBe(0);
    const width = await phone.page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    await screenshot(phone.page, 'help-phone', { fullPage: false });
    expect(phone.errors).toEqual([]);
    await phone.context.close();
  });
});
