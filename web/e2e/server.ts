/**
 * Starting a real `opcms serve` (and, when that binary was built without web/dist, a Vite
 * preview of web/dist in front of it) on free ports with a fresh data directory. The
 * suite's shared server (global-setup.ts) and files that need a server of their own (a
 * configured usage source, say: month-close.e2e.ts) both use it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { preview, type PreviewServer } from 'vite';
import { ADMIN_PASSWORD, CHROMIUM_PATH } from './config';

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function opcmsBinary(): string {
  const target = process.env.CARGO_TARGET_DIR || join(homedir(), '.cache', 'opcms-target');
  const binary = process.env.OPCMS_BIN || join(target, 'debug', 'opcms');
  if (!existsSync(binary)) {
    throw new Error(`E2E: the opcms binary was not found at ${binary}. Build it first (cargo build -p opcms) or point OPCMS_BIN at it.`);
  }
  return binary;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Poll `url` until it answers 2xx, or fail with the process's log. */
export async function waitForUrl(url: string, child: ChildProcess, logFile: string, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`${url}: the process exited with code ${child.exitCode} before it was ready. Log:\n${tail(logFile)}`);
    }
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000}s. Log:\n${tail(logFile)}`);
}

async function stopProcess(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** A child process of the suite with its output in `logFile`, stopped by `stop()`. */
export function startProcess(binary: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; logFile: string }) {
  const log = createWriteStream(options.logFile);
  const child = spawn(binary, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return {
    child,
    stop: async () => {
      await stopProcess(child);
      log.end();
    },
  };
}

async function servesThisApp(url: string): Promise<boolean> {
  try {
    const html = await (await fetch(`${url}/`)).text();
    return html.includes('<meta name="application-name" content="OP_CMS"');
  } catch {
    return false;
  }
}

export interface RunningOpcms {
  /** Where the browser opens the app. */
  baseURL: string;
  /** The opcms server itself. */
  apiURL: string;
  uiSource: 'backend' | 'preview';
  dataDir: string;
  stop: () => Promise<void>;
}

/** What `opcms <command>` printed, once it has exited 0 (else it throws with its output). */
export function runOpcmsCommand(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<string> {
  return new Promise((resolveRun, reject) => {
    execFile(opcmsBinary(), args, { cwd: options.cwd, env: options.env, timeout: options.timeoutMs ?? 600_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      // execFile's message repeats stderr; the exit code (or the signal of a timeout) and the output say it once.
      if (error) reject(new Error(`opcms ${args.join(' ')} failed (${error.code ?? error.signal ?? 'error'}):\n${stderr}${stdout}`));
      else resolveRun(stdout);
    });
  });
}

export interface StartOptions {
  /** Runs on the fresh data directory before `serve` starts, with the server's environment (e.g. `opcms demo`). */
  prepare?: (context: { dataDir: string; env: NodeJS.ProcessEnv }) => Promise<void>;
}

/** A fresh opcms on SQLite with the known admin password; `env` adds settings. */
export async function startOpcms(env: Record<string, string> = {}, options: StartOptions = {}): Promise<RunningOpcms> {
  const binary = opcmsBinary();
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`E2E: Chromium was not found at ${CHROMIUM_PATH}. Install it with: apt-get install -y chromium`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'opcms-e2e-'));
  const logFile = join(dataDir, 'opcms.log');
  const port = await freePort();
  const apiURL = `http://127.0.0.1:${port}`;
  const serverEnv: NodeJS.ProcessEnv = {
    ...process.env,
    OPCMS_BIND: `127.0.0.1:${port}`,
    OPCMS_DATA_DIR: dataDir,
    OPCMS_ADMIN_PASSWORD: ADMIN_PASSWORD,
    OPCMS_LOG: process.env.OPCMS_LOG || 'info',
    // No scheduled job runs behind a test's back (one running across 08:00
    // would move statuses); a test that wants the scheduler passes it on.
    OPCMS_JOBS_ENABLED: 'false',
    ...env,
  };
  if (options.prepare) {
    try {
      await options.prepare({ dataDir, env: serverEnv });
    } catch (error) {
      rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
  }
  const server = startProcess(binary, ['serve'], { cwd: dataDir, logFile, env: serverEnv });

  let previewServer: PreviewServer | undefined;
  const stop = async () => {
    await previewServer?.close();
    await server.stop();
    if (process.env.OPCMS_E2E_KEEP_DATA) console.log(`E2E: opcms data and log kept in ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await waitForUrl(`${apiURL}/readyz`, server.child, logFile);
    // A debug opcms built before web/dist existed serves only the API. Then (unless told
    // to insist on the embedded app) Vite serves the built app and proxies the API to it.
    // OPCMS_E2E_UI=preview: always this checkout's web/dist (a debug opcms serves the
    // web/dist of the checkout it was built from, which may be another worktree's).
    if (process.env.OPCMS_E2E_UI !== 'preview' && (await servesThisApp(apiURL))) {
      return { baseURL: apiURL, apiURL, uiSource: 'backend', dataDir, stop };
    }
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
    return { baseURL: `http://127.0.0.1:${uiPort}`, apiURL, uiSource: 'preview', dataDir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
