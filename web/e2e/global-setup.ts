/**
 * Starts the suite's shared `opcms serve` (server.ts: a free port, a fresh data directory,
 * a known admin password), waits for /readyz, and hands the URLs to the tests. Missing
 * prerequisites (the binary, Chromium, the built web app) fail the run with a message
 * that says what to do; the Makefile decides whether to run this suite at all.
 */
import type { TestProject } from 'vitest/node';
import { startOpcms } from './server';

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

export default async function setup(project: TestProject) {
  const opcms = await startOpcms();
  console.log(
    opcms.uiSource === 'backend'
      ? `E2E: opcms at ${opcms.apiURL} serves the web app`
      : `E2E: opcms at ${opcms.apiURL} serves no web app; serving web/dist with Vite at ${opcms.baseURL}`,
  );
  project.provide('baseURL', opcms.baseURL);
  project.provide('apiURL', opcms.apiURL);
  project.provide('uiSource', opcms.uiSource);
  return opcms.stop;
}
