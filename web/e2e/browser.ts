import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './config';

const screenshotDir = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');

export const DESKTOP = { width: 1440, height: 900 };
export const PHONE = { width: 390, height: 844 };

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** A fresh session (own localStorage) at the given viewport, with the page's errors collected. */
export async function openPage(browser: Browser, baseURL: string, viewport = DESKTOP) {
  const context: BrowserContext = await browser.newContext({
    baseURL,
    viewport,
    locale: 'zh-CN',
    deviceScaleFactor: 1,
    isMobile: viewport.width < 768,
    hasTouch: viewport.width < 768,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return { context, page, errors };
}

export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}) {
  mkdirSync(screenshotDir, { recursive: true });
  // Let transitions and messages settle so the picture shows the page at rest.
  await page.waitForTimeout(400);
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: options.fullPage ?? true });
}

/** Fill the login form and submit it. */
export async function submitLogin(page: Page, username: string, password: string) {
  if (!page.url().includes('/login')) await page.goto('/login');
  await page.locator('[data-testid="login-username"] input').fill(username);
  await page.locator('[data-testid="login-password"] input').fill(password);
  await page.locator('[data-testid="login-submit"]').click();
}

/** Fill the change-password form (forced page or account page) and submit it. */
export async function submitPasswordChange(page: Page, current: string, next: string) {
  await page.locator('[data-testid="current-password"] input').fill(current);
  await page.locator('[data-testid="new-password"] input').fill(next);
  await page.locator('[data-testid="confirm-password"] input').fill(next);
  await page.locator('[data-testid="password-submit"]').click();
}

/** Log in, and go through the forced change when the server asks for one. */
export async function loginAndSettle(page: Page, username: string, password: string, newPassword?: string) {
  await submitLogin(page, username, password);
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  if (page.url().includes('/change-password')) {
    if (!newPassword) throw new Error(`${username} must change the password but no new one was given`);
    await submitPasswordChange(page, password, newPassword);
    await page.waitForURL((url) => !url.pathname.startsWith('/change-password'));
  }
}

/** A browser with the admin signed in at desktop size (the password already changed). */
export async function adminSession(baseURL: string, adminPassword: string) {
  const browser = await launchBrowser();
  const { context, page, errors } = await openPage(browser, baseURL, DESKTOP);
  await loginAndSettle(page, 'admin', adminPassword);
  return { browser, context, page, errors };
}
