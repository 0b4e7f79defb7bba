/** The seeded admin's first password (OPCMS_ADMIN_PASSWORD for the server under test). */
export const ADMIN_PASSWORD = 'E2e-admin-2026';
/** What app.e2e.ts changes it to at the forced change; later files sign in with it. */
export const ADMIN_NEW_PASSWORD = 'Admin-new-2026';
/** Chromium from the distribution; the suite never downloads a browser. */
export const CHROMIUM_PATH = process.env.OPCMS_E2E_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
