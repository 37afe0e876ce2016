// What the browser tests and the README screenshots share: Debian's chromium through playwright-core, the demo's
// data made by the built CLI, a served store with keys, and pages opened with a key already given.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CLI_PATH, REPO_ROOT, cliBuilt } from '../support/cli-process.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const WEB_INDEX = join(REPO_ROOT, 'dist', 'web', 'index.html');
export const ADMIN_KEY = 'ui-admin-key-0123456789';
export const READ_KEY = 'ui-read-key-0123456789';
export const RESOURCE = 'arithmetic-prompt';

/** Throws one line saying what is missing: the tests fail, never skip, without a browser or a build. */
export function checkPrerequisites(): void {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(`no chromium at ${CHROMIUM_PATH}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH to a Chromium binary`);
  if (!cliBuilt() || !existsSync(WEB_INDEX)) throw new Error(`the CLI or the web UI is not built (${CLI_PATH}, ${WEB_INDEX}): run npm run build`);
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface DemoSummary {
  run_id: string;
  start_version: number;
  best_version: number;
}

/** The demo (simulated model, example agent, APO) into `dataDir`, small enough for a test's setup. */
export async function runDemo(dataDir: string, sizes = { train: 8, validation: 8, budget: 120, rounds: 2 }): Promise<DemoSummary> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      CLI_PATH,
      'demo',
      '--data',
      dataDir,
      '--train',
      String(sizes.train),
      '--validation',
      String(sizes.validation),
      '--budget',
      String(sizes.budget),
      '--rounds',
      String(sizes.rounds),
      '--format',
      'json',
    ],
    { cwd: REPO_ROOT, timeout: 120_000 },
  );
  return JSON.parse(stdout) as DemoSummary;
}

/** A fresh page (its own storage) at 1280x800, holding `key` in sessionStorage as the key form leaves it. */
export async function openPage(browser: Browser, key: string | null): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  if (key !== null) await ctx.addInitScript({ content: `sessionStorage.setItem('tracelight.key', ${JSON.stringify(key)});` });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  uncaught.set(page, errors);
  return page;
}

const uncaught = new WeakMap<Page, string[]>();

/** The uncaught errors of the page's scripts so far. */
export function scriptErrors(page: Page): string[] {
  return uncaught.get(page) ?? [];
}
