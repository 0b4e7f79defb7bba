/**
 * The test clock (DESIGN.md §16) end to end: a server of its own started with
 * OPCMS_TEST_CLOCK=true, its clock set by management through the API to the first
 * night of March; every page then carries the red banner with that time, at desktop and
 * phone size, and the month the 月结工作台 opens on is the clock's previous month.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiClient } from './api';
import { ADMIN_NEW_PASSWORD } from './config';
import { PHONE, adminSession, openPage, loginAndSettle, screenshot } from './browser';
import { startOpcms, type RunningOpcms } from './server';

let opcms: RunningOpcms;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];

const BANNER = '测试时钟已启用：系统时间为 2026-03-01 02:00';

describe('the test clock', () => {
  beforeAll(async () => {
    opcms = await startOpcms({ OPCMS_TEST_CLOCK: 'true' });
    const client = apiClient(opcms.apiURL);
    const token = await client.adminToken();
    await client.must('PUT', '/system/clock', { now: '2026-03-01T02:00:00+08:00' }, token);
    ({ browser, context, page, errors: pageErrors } = await adminSession(opcms.baseURL, ADMIN_NEW_PASSWORD));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await opcms?.stop();
  });

  it('shows the red banner with the clock’s time on every page', async () => {
    await page.goto('/workplace');
    const banner = page.locator('[data-testid="test-clock-banner"]');
    await banner.getByText(BANNER).waitFor();
    await expect(banner.textContent()).resolves.toContain('业务日期 2026-03-01');
    // The cockpit opens on the month before the clock's: February.
    // Polled: the cockpit mounts below the dashboard once its figures are in.
    await expect.poll(() => page.locator('[data-testid="close-period"] input').inputValue()).toBe('2026-02');
    await screenshot(page, 'test-clock-banner');
    await page.goto('/customers');
    await banner.getByText(BANNER).waitFor();
  });

  it('shows it on a phone too, without widening the page', async () => {
    const phone = await openPage(browser, opcms.baseURL, PHONE);
    try {
      await loginAndSettle(phone.page, 'admin', ADMIN_NEW_PASSWORD);
      await phone.page.locator('[data-testid="test-clock-banner"]').getByText(BANNER).waitFor();
      expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      await screenshot(phone.page, 'test-clock-banner-mobile');
      expect(phone.errors).toEqual([]);
    } finally {
      await phone.context.close();
    }
  });

  it('had no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
