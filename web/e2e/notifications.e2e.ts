/**
 * Notification templates end to end: a real opcms, a real Chromium. The admin opens 通知模板,
 * edits the e-mail body of 逾期提醒 to use {{days_overdue}}, sees the server's preview
 * render it (the text compared with what the API renders for the same body: the bill it
 * picks depends on what earlier files issued), saves, finds it kept over a reload, then
 * types {{nope}} and sees the server's words naming it on the field while nothing is
 * saved. The log page opens, and the editor fits a phone. The template is restored to its
 * default at the end, through the API, so the files after this one find the default.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiClient, type Json } from './api';
import { ADMIN_NEW_PASSWORD } from './config';
import { PHONE, adminSession, loginAndSettle, openPage, screenshot } from './browser';

const baseURL = inject('baseURL');
const apiURL = inject('apiURL');
const { api, must, adminToken } = apiClient(apiURL);

const EVENT = 'bill.overdue';
const CHANNEL = 'email';
const TEMPLATE = `/notification-templates/${EVENT}/${CHANNEL}`;
const BODY = '尊敬的{{customer_name}}：账单 {{bill_no}} 已逾期 {{days_overdue}} 天，请尽快付款。（端到端测试）';
const UNKNOWN = `${BODY} {{nope}}`;

let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];
let token: string;

const body = (p: Page) => p.locator('[data-testid="template-editor"] [data-field="body"] textarea');
const previewBody = (p: Page) => p.locator('[data-testid="preview-body"]');
const isCall = (method: string, path: string) => (r: { request(): { method(): string }; url(): string }) =>
  r.request().method() === method && new URL(r.url()).pathname === `/api/v1${path}`;

/** The template as stored. */
async function stored(): Promise<Json> {
  const templates = await must<Json[]>('GET', '/notification-templates', undefined, token);
  const found = templates.find((x) => x.event === EVENT && x.channel === CHANNEL);
  if (!found) throw new Error(`no ${EVENT}/${CHANNEL} template`);
  return found;
}

describe('notification templates', () => {
  beforeAll(async () => {
    token = await adminToken();
    // Whatever ran before, start from the default.
    await must('DELETE', TEMPLATE, undefined, token);
    ({ browser, context, page, errors: pageErrors } = await adminSession(baseURL, ADMIN_NEW_PASSWORD));
  });

  afterAll(async () => {
    if (token) await api('DELETE', TEMPLATE, undefined, token);
    await context?.close();
    await browser?.close();
  });

  it('opens 通知模板, listed in the menu, on the 逾期提醒 e-mail template', async () => {
    await page.locator('.side-menu [data-menu="NotificationTemplates"]').click();
    await page.waitForURL(/\/notification-templates/);
    await page.locator('[data-testid="templates-page"]').waitFor();
    await page.locator(`[data-testid="template-list"] [data-template="${EVENT}/${CHANNEL}"]`).click();
    await page.waitForURL((url) => url.searchParams.get('event') === EVENT && url.searchParams.get('channel') === CHANNEL);
    await page.locator(`[data-testid="template-editor"][data-template="${EVENT}/${CHANNEL}"]`).waitFor();
    // The default text is there, and its preview is rendered (no variable left).
    await expect(body(page).inputValue()).resolves.toBe((await stored()).body);
    await expect.poll(() => previewBody(page).textContent(), { timeout: 10_000 }).not.toContain('{{');
    // The channels are opcms.toml's; the page says what it found either way.
    await page.locator('[data-testid="channel-status"] [data-channel="email"]').waitFor();
  });

  it('renders the new body with the server’s values as it is typed', async () => {
    const [response] = await Promise.all([page.waitForResponse(isCall('POST', '/notification-templates/preview')), body(page).fill(BODY)]);
    expect(JSON.parse(response.request().postData() ?? '{}')).toMatchObject({ event: EVENT, channel: CHANNEL, body: BODY, bill_id: null });
    const subject = await page.locator('[data-testid="template-editor"] [data-field="subject"] input').inputValue();
    const expected = await must<Json>('POST', '/notification-templates/preview', { event: EVENT, channel: CHANNEL, subject, body: BODY }, token);
    await expect.poll(() => previewBody(page).textContent(), { timeout: 10_000 }).toBe(expected.body);
    expect(String(expected.body)).toContain('请尽快付款。（端到端测试）');
    expect(String(expected.body)).toMatch(/已逾期 -?\d+ 天/);
    await page.locator('[data-testid="template-dirty"]').waitFor();
    await screenshot(page, 'notification-template');
  });

  it('saves it, and keeps it over a reload', async () => {
    const [response] = await Promise.all([page.waitForResponse(isCall('PUT', TEMPLATE)), page.locator('[data-testid="template-save"]').click()]);
    expect(response.status()).toBe(200);
    await page.locator('.arco-message').getByText('模板已保存').first().waitFor();
    await page.locator('[data-testid="template-custom"]').waitFor();
    expect((await stored()).body).toBe(BODY);
    expect((await stored()).is_default).toBe(false);

    await page.reload();
    await page.locator(`[data-testid="template-editor"][data-template="${EVENT}/${CHANNEL}"]`).waitFor();
    await expect.poll(() => body(page).inputValue()).toBe(BODY);
    await page.locator('[data-testid="template-custom"]').waitFor();
    await expect(page.locator('[data-testid="template-dirty"]').count()).resolves.toBe(0);
  });

  it('names an unknown variable on the field in the server’s words, and saves nothing', async () => {
    const [response] = await Promise.all([page.waitForResponse(isCall('POST', '/notification-templates/preview')), body(page).fill(UNKNOWN)]);
    expect(response.status()).toBe(400);
    const error = page.locator('[data-error-for="body"]');
    await error.getByText('模板中有未知变量 {{nope}}').waitFor();
    await page.locator('[data-testid="preview-problems"]').getByText('模板中有未知变量 {{nope}}').waitFor();

    const [refused] = await Promise.all([page.waitForResponse(isCall('PUT', TEMPLATE)), page.locator('[data-testid="template-save"]').click()]);
    expect(refused.status()).toBe(400);
    await error.getByText('模板中有未知变量 {{nope}}').waitFor();
    expect((await stored()).body).toBe(BODY);
    await screenshot(page, 'notification-template-error');
  });

  it('opens the notification log', async () => {
    // Leaving unsaved changes asks first; this is a new page load, so it does not.
    await page.goto('/notifications');
    await page.locator('[data-testid="notifications-table"]').waitFor();
    await page.locator('[data-testid="search"]').waitFor();
  });

  it('works at phone size without widening the page', async () => {
    const phone = await openPage(browser, baseURL, PHONE);
    try {
      await loginAndSettle(phone.page, 'admin', ADMIN_NEW_PASSWORD);
      await phone.page.goto(`/notification-templates?event=${EVENT}&channel=${CHANNEL}`);
      await phone.page.locator('[data-testid="template-select"]').waitFor();
      await expect.poll(() => body(phone.page).inputValue()).toBe(BODY);
      await phone.page.locator('[data-testid="preview-body"]').waitFor();
      expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      await screenshot(phone.page, 'notification-template-mobile');
      await phone.page.goto('/notifications');
      await phone.page.locator('[data-testid="search"]').waitFor();
      expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      expect(phone.errors).toEqual([]);
    } finally {
      await phone.context.close();
    }
  });

  it('had no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
