/**
 * Starts a real `opcms serve` on a free port with a fresh data directory and a known
 * admin password, waits for /readyz, and hands the URLs to the tests. Missing
 * prerequisites (the binary, Chromium, the built web app) fail the run with a message
 * that says what to do; the Makefile decides whether to run this suite at all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { preview, type PreviewServer } from 'vite';
import { ADMIN_PASSWORD, CHROMIUM_PATH } from './config';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the browser opens the app. */
    baseURL: string;
    /** The opcms server itself. */
    apiURL: string;
    /** `backend` when opcms serves the app, `preview` when Vite serves web/dist in front of it. */
    uiSource: 'backend' | 'preview';
  }
}

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function defaultBinary(): string {
  const target = process.env.CARGO_TARGET_DIR || join(homedir(), '.cache', 'opcms-target');
  return join(target, 'debug', 'opcms');
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForReady(url: string, server: ChildProcess, logFile: string, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) {
      throw new Error(`opcms exited with code ${server.exitCode} before it was ready. Log:\n${tail(logFile)}`);
    }
    try {
      const response = await fetch(`${url}/readyz`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`opcms did not answer GET /readyz within ${timeoutMs / 1000}s. Log:\n${tail(logFile)}`);
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function servesThisApp(url: string): Promise<boolean> {
  try {
    const html = await (await fetch(`${url}/`)).text();
    return html.includes('<meta name="application-name" content="OP_CMS"');
  } catch {
    return false;
  }
}

export default async function setup(project: TestProject) {
  const binary = process.env.OPCMS_BIN || defaultBinary();
  if (!existsSync(binary)) {
    throw new Error(
      `E2E: the opcms binary was not found at ${binary}. Build it first (cargo build -p opcms) ` +
        'or point OPCMS_BIN at it.',
    );
  }
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`E2E: Chromium was not found at ${CHROMIUM_PATH}. Install it with: apt-get install -y chromium`);
  }

  const dataDir = mkdtempSync(join(tmpdir(), 'opcms-e2e-'));
  const logFile = join(dataDir, 'opcms.log');
  const port = await freePort();
  const apiURL = `http://127.0.0.1:${port}`;
  const log = createWriteStream(logFile);
  const server = spawn(binary, ['serve'], {
    cwd: dataDir,
    env: {
      ...process.env,
      OPCMS_BIND: `127.0.0.1:${port}`,
      OPCMS_DATA_DIR: dataDir,
      OPCMS_ADMIN_PASSWORD: ADMIN_PASSWORD,
      OPCMS_LOG: process.env.OPCMS_LOG || 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout?.pipe(log);
  server.stderr?.pipe(log);

  let previewServer: PreviewServer | undefined;
  const teardown = async () => {
    await previewServer?.close();
    if (server.exitCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      const timer = setTimeout(() => server.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    log.end();
    if (process.env.OPCMS_E2E_KEEP_DATA) console.log(`E2E: opcms data and log kept in ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await waitForReady(apiURL, server, logFile);

    // A debug opcms built before web/dist existed serves only the API. Then (unless told
    // to insist on the embedded app) Vite serves the built app and proxies the API to it.
    let baseURL = apiURL;
    let uiSource: 'backend' | 'preview' = 'backend';
    // OPCMS_E2E_UI=preview: always this worktree's web/dist (a debug opcms serves the
    // web/dist of the checkout it was built from, which may be another worktree's).
    if (process.env.OPCMS_E2E_UI === 'preview' || !(await servesThisApp(apiURL))) {
      if (process.env.OPCMS_E2E_UI === 'backend') {
        throw new Error('E2E: opcms does not serve the web app (OPCMS_E2E_UI=backend). Run `npm run build`, then rebuild opcms.');
      }
      if (!existsSync(join(webDir, 'dist', 'index.html'))) {
        throw new Error('E2E: web/dist is missing and opcms does not serve the web app. Run `npm run build` first.');
      }
      const uiPort = await freePort();
      previewServer = await preview({
        configFile: false,
        root: webDir,
        logLevel: 'warn',
        build: { outDir: 'dist' },
        preview: {
          host: '127.0.0.1',
          port: uiPort,
          strictPort: true,
          proxy: { '/api': apiURL, '/readyz': apiURL, '/healthz': apiURL },
        },
      });
      baseURL = `http://127.0.0.1:${uiPort}`;
      uiSource = 'preview';
      console.log(`E2E: opcms at ${apiURL} serves no web app; serving web/dist with Vite at ${baseURL}`);
    } else {
      console.log(`E2E: opcms at ${apiURL} serves the web app`);
    }

    project.provide('baseURL', baseURL);
    project.provide('apiURL', apiURL);
    project.provide('uiSource', uiSource);
  } catch (error) {
    await teardown();
    throw error;
  }

  return teardown;
}
