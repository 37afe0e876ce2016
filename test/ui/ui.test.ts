// The web UI end to end: the demo's data served by the built CLI with an admin and a read-only key, every view
// opened in a real browser (Debian's chromium through playwright-core), and what a user reads there compared
// with what the REST API answers for the same thing. A screenshot of each view lands in test-artifacts/ui/.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startCliServer, type CliServer } from '../support/cli-process.js';
import { ADMIN_KEY, READ_KEY, RESOURCE, checkPrerequisites, launchBrowser, openPage, scriptErrors, runDemo, type DemoSummary } from './harness.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'ui');
const dir = mkdtempSync(join(tmpdir(), 'tl-ui-'));
let server: CliServer;
let browser: Browser;
let demo: DemoSummary;
const pages: Page[] = [];

async function get<T = any>(path: string, key: string = READ_KEY): Promise<T> {
  const res = await fetch(`${server.httpUrl}/api/v1${path}`, { headers: { authorization: `Bearer ${key}` } });
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function open(path: string, key: string | null = READ_KEY): Promise<Page> {
  const page = await openPage(browser, key);
  pages.push(page);
  await page.goto(`${server.httpUrl}${path}`);
  return page;
}

async function shot(page: Page, view: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${view}.png`), fullPage: true, scale: 'css' });
}

function textOfParts(m: { parts: { type: string; content?: string }[] }): string {
  return m.parts
    .filter((p) => p.type === 'text')
    .map((p) => p.content ?? '')
    .join('');
}

// Without chromium or a build every test fails with the one line saying what to install, none is skipped.
let missing: Error | null = null;

function test(name: string, fn: () => Promise<void>): void {
  it(name, async () => {
    if (missing) throw missing;
    await fn();
  });
}

beforeAll(async () => {
  try {
    checkPrerequisites();
  } catch (err) {
    missing = err as Error;
    return;
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const data = join(dir, 'store');
  demo = await runDemo(data);
  server = await startCliServer({ dataDir: data, args: ['--api-key', ADMIN_KEY, `read:${READ_KEY}`] });
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  for (const p of pages)
    await p
      .context()
      .close()
      .catch(() => undefined);
  await browser?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the web UI on the demo data (built CLI, real browser)', () => {
  test('the overview shows the LLM calls per agent and model and the rollout counts the API gives, labelled as the simulated model', async () => {
    const o = await get('/overview?minutes=60');
    const page = await open('/');
    await page.locator('[data-table="calls"] tbody tr').first().waitFor();
    expect(o.calls.length).toBeGreaterThan(0);
    for (const c of o.calls) {
      const row = page.locator(`[data-table="calls"] tr[data-agent="${c.agent}"][data-model="${c.model}"]`);
      await expect.poll(() => row.locator('[data-cell="calls"]').textContent()).toBe(c.calls.toLocaleString('en-US'));
      if (c.simulated) expect(await row.locator('[data-simulated]').textContent()).toBe('simulated model');
    }
    for (const [status, n] of Object.entries(o.rollouts.counts as Record<string, number>)) {
      expect(await page.locator(`[data-status-count="${status}"] .tile-value`).textContent()).toBe(n.toLocaleString('en-US'));
    }
    expect(o.simulated).toBe(true);
    const banner = page.locator('.banner.sim');
    await expect.poll(() => banner.isVisible()).toBe(true);
    expect(await banner.textContent()).toMatch(/simulated model.*sim-small/);
    expect(await page.locator('[data-chart="activity"] canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-table="runs"] tr[data-run]').first().getAttribute('data-run')).toBe(demo.run_id);
    await shot(page, 'overview');
    expect(scriptErrors(page)).toEqual([]);
  });

  test('a rollout that failed shows its transcript: the question, the model answer and the reward', async () => {
    const failed = (await get<{ rollouts: { rollout_id: string; reward: number | null }[] }>('/rollouts?limit=1000&max_reward=0')).rollouts;
    expect(failed.length).toBeGreaterThan(0);
    const id = (failed[0] as { rollout_id: string }).rollout_id;
    const calls = await get(`/rollouts/${id}/calls`);
    const question = textOfParts(calls.calls[0].input.find((m: { role: string }) => m.role === 'user'));
    const answer = textOfParts(calls.calls[0].output[0]);
    const primary = calls.rewards.find((w: { is_primary: boolean }) => w.is_primary) ?? calls.rewards[calls.rewards.length - 1];

    const page = await open(`/rollouts/${id}`);
    const transcript = page.locator('[data-call="0"]');
    await transcript.waitFor();
    expect(await transcript.locator('[data-role="user"]').textContent()).toContain(question);
    expect(await transcript.locator('[data-output="true"]').textContent()).toContain(answer);
    const reward = page.locator(`[data-table="rewards"] tr[data-reward-name="${primary.name}"]`);
    expect(await reward.getAttribute('data-reward-value')).toBe(String(primary.value));
    expect(await reward.locator('.reward').textContent()).toBe(String(primary.value));
    expect(primary.value).toBe(0);
    expect(await page.locator('.banner.sim').textContent()).toContain('simulated model');
    expect(await transcript.locator(`a[href="/traces/${calls.calls[0].trace_id}"]`).count()).toBe(1);
    await shot(page, 'rollout');
  });

  test("the resources page lists the demo's versions, and the diff of the start and the best version shows the lines the run added and removed", async () => {
    const h = await get(`/resources/${RESOURCE}/versions`);
    const page = await open(`/resources/${RESOURCE}`);
    await page.locator('[data-table="versions"] tbody tr').first().waitFor();
    const shown = await page.locator('[data-table="versions"] tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-version'))));
    expect(shown).toEqual(h.versions.map((v: { version: number }) => v.version));
    expect(await page.locator('tr.is-production').getAttribute('data-version')).toBe(String(h.labels.production));

    // Pick A and B as a user does; the pick lands in the URL.
    await page.getByLabel(`diff A: v${demo.start_version}`).check();
    await page.getByLabel(`diff B: v${demo.best_version}`).check();
    await expect.poll(() => new URL(page.url()).search).toBe(`?a=${demo.start_version}&b=${demo.best_version}`);
    const text = (v: number): string[] =>
      (h.versions.find((x: { version: number }) => x.version === v).content.template as string).split('\n').filter((l: string) => l.trim() !== '');
    const start = text(demo.start_version);
    const best = text(demo.best_version);
    const added = best.filter((l) => !start.includes(l));
    const removed = start.filter((l) => !best.includes(l));
    expect(added.length + removed.length).toBeGreaterThan(0);
    const addedCells = await page.locator('.diff [data-diff="added"]').allTextContents();
    const removedCells = await page.locator('.diff [data-diff="removed"]').allTextContents();
    for (const l of added) expect(addedCells).toContain(l);
    for (const l of removed) expect(removedCells).toContain(l);
    // A line both versions hold is no change on either side.
    for (const l of start.filter((x) => best.includes(x))) {
      expect(addedCells).not.toContain(l);
      expect(removedCells).not.toContain(l);
    }
    await shot(page, 'resources-diff');
  });

  test("the APO run's chart has one point per round plus the baseline, and the page names the winner", async () => {
    const run = await get(`/training/runs/${demo.run_id}`);
    const rounds = run.events.filter((e: { event: string }) => e.event === 'round_finished').length;
    expect(rounds).toBeGreaterThan(0);
    const winner = run.report.candidates.find((c: { version?: number }) => c.version === run.report.best_version);

    const page = await open(`/runs/${demo.run_id}`);
    const chart = page.locator('[data-chart="apo-curve"]');
    await chart.waitFor();
    expect(Number(await chart.getAttribute('data-points'))).toBe(1 + rounds);
    expect(JSON.parse((await chart.getAttribute('data-series')) as string)).toMatchObject({ 'best validation': 1 + rounds, baseline: 1 });
    expect(await chart.locator('canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-table="rounds"] tbody tr').count()).toBe(1 + rounds);
    const w = page.locator('[data-winner]');
    expect(await w.getAttribute('data-winner')).toBe(winner.id);
    expect(await w.textContent()).toContain(`${RESOURCE} v${run.report.best_version}`);
    expect(await page.locator(`[data-candidate="${winner.id}"]`).textContent()).toContain('winner');
    expect(await page.locator(`a[href="/resources/${RESOURCE}?a=${demo.start_version}&b=${demo.best_version}"]`).count()).toBeGreaterThan(0);
    await shot(page, 'run');
  });

  test('promoting through the UI moves production with the admin key; with the read-only key the button is disabled and the API refuses', async () => {
    const target = demo.best_version;
    const before = await get(`/resources/${RESOURCE}`);
    expect(before.version).not.toBe(target);

    const readPage = await open(`/resources/${RESOURCE}`, READ_KEY);
    const readButton = readPage.locator(`[data-action="promote"][data-version="${target}"]`);
    await readButton.waitFor();
    expect(await readButton.isDisabled()).toBe(true);
    expect(await readButton.textContent()).toBe('promoting needs an admin key');
    const direct = await fetch(`${server.httpUrl}/api/v1/resources/${RESOURCE}/labels/production`, {
      method: 'POST',
      headers: { authorization: `Bearer ${READ_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ version: target }),
    });
    expect(direct.status).toBe(403);
    expect(((await direct.json()) as { error: string }).error).toMatch(/admin/);

    const page = await open(`/resources/${RESOURCE}`, ADMIN_KEY);
    const button = page.locator(`[data-action="promote"][data-version="${target}"]`);
    await button.waitFor();
    expect(await button.textContent()).toBe('Promote to production');
    await button.click();
    await page.locator('[data-action="confirm-promote"]').click();
    await page.locator('.notice').waitFor();
    expect(await page.locator('.notice').textContent()).toContain(`to v${target}`);
    const after = await get(`/resources/${RESOURCE}`);
    expect(after.version).toBe(target);
    expect(after.labels).toContain('production');
    await expect.poll(() => page.locator('tr.is-production').getAttribute('data-version')).toBe(String(target));
    await shot(page, 'resources-promoted');
  });

  test("the trace view shows a rollout's trace as its span tree", async () => {
    const [r] = (await get('/rollouts?limit=1')).rollouts;
    const calls = await get(`/rollouts/${r.rollout_id}/calls`);
    const traceId = calls.trace_ids[0] as string;
    const trace = await get(`/traces/${traceId}`);
    expect(trace.spans.length).toBeGreaterThan(1);

    const page = await open(`/traces/${traceId}`);
    await page.locator('[data-span]').first().waitFor();
    const rows = await page
      .locator('.trace-row')
      .evaluateAll((els) =>
        els.map((e) => ({ span: e.getAttribute('data-span'), parent: e.getAttribute('data-parent'), depth: Number(e.getAttribute('data-depth')) })),
      );
    expect(rows.map((x) => x.span).sort()).toEqual(trace.spans.map((s: { span_id: string }) => s.span_id).sort());
    const depth = new Map(rows.map((x) => [x.span, x.depth]));
    for (const s of trace.spans as { span_id: string; parent_span_id: string }[]) {
      const parentDepth = depth.get(s.parent_span_id);
      expect(depth.get(s.span_id)).toBe(parentDepth === undefined ? 0 : parentDepth + 1);
    }
    // Picking the LLM call shows its attributes; collapsing its parent hides it.
    const call = trace.spans.find((s: { attributes: Record<string, string> }) => s.attributes['gen_ai.request.model']);
    await page.locator(`[data-span="${call.span_id}"] .span-name`).click();
    const details = page.locator(`[data-selected-span="${call.span_id}"]`);
    await details.waitFor();
    expect(await details.textContent()).toContain(call.attributes['gen_ai.request.model']);
    await shot(page, 'trace');
    await page.locator(`[data-span="${call.parent_span_id}"] button.toggle`).click();
    expect(await page.locator(`[data-span="${call.span_id}"]`).count()).toBe(0);
  });

  test('deep links open their view directly, and the keyboard reaches the navigation', async () => {
    const [r] = (await get('/rollouts?limit=1')).rollouts;
    const page = await open(`/rollouts/${r.rollout_id}`);
    await page.locator(`[data-view="rollout"][data-rollout="${r.rollout_id}"] [data-call="0"]`).waitFor();

    await page.goto(`${server.httpUrl}/resources/${RESOURCE}?a=1&b=2`);
    await page.locator('.diff').waitFor();
    expect(await page.locator('#diff').textContent()).toContain('Diff v1 → v2');
    expect(await page.getByLabel('diff A: v1').isChecked()).toBe(true);
    expect(await page.getByLabel('diff B: v2').isChecked()).toBe(true);

    // Tab from the top of the page reaches every section link of the navigation.
    await page.goto(`${server.httpUrl}/`);
    await page.locator('[data-view="overview"]').waitFor();
    const reached: string[] = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      reached.push((await page.evaluate('document.activeElement && document.activeElement.textContent')) as string);
    }
    for (const name of ['Overview', 'Rollouts', 'Triplets', 'Resources', 'Training runs', 'Traces']) expect(reached).toContain(name);
    while ((await page.evaluate('document.activeElement && document.activeElement.textContent')) !== 'Rollouts') await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await page.locator('[data-view="rollouts"]').waitFor();
    expect(new URL(page.url()).pathname).toBe('/rollouts');
    // A table row's link opens with Enter, and `g n` goes to the runs.
    await page.locator('[data-table="rollouts"] tbody tr a').first().focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-view="rollout"]').waitFor();
    await page.keyboard.press('g');
    await page.keyboard.press('n');
    await page.locator('[data-view="runs"]').waitFor();
    await page.keyboard.press('/');
    expect(await page.evaluate('document.activeElement && document.activeElement.hasAttribute("data-search")')).toBe(true);
  });

  test('the triplets page shows the triplets the API gives and exports exactly those rows as JSONL', async () => {
    const api = await get('/triplets?limit=100');
    const page = await open('/triplets');
    await page.locator('[data-table="triplets"] tbody tr').first().waitFor();
    expect(await page.locator('[data-table="triplets"] tbody tr').count()).toBe(api.triplets.length);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-action="export-jsonl"]').click()]);
    const file = join(dir, 'export.jsonl');
    await download.saveAs(file);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual(api.triplets);
    await shot(page, 'triplets');
  });

  test('without a key the UI shows the key form and no data, and a wrong key is refused', async () => {
    const page = await openPage(browser, null);
    pages.push(page);
    const asked: string[] = [];
    page.on('request', (req) => {
      const u = new URL(req.url());
      if (u.pathname.startsWith('/api/')) asked.push(u.pathname);
    });
    await page.goto(`${server.httpUrl}/rollouts`);
    await page.locator('#api-key').waitFor();
    expect(await page.locator('[data-view]').count()).toBe(0);
    expect(await page.locator('nav a').count()).toBe(0);
    expect(await page.locator('body').textContent()).not.toContain('ro-');
    await shot(page, 'key-form');
    await page.locator('#api-key').fill('not-a-key-of-this-server');
    await page.locator('.key-form button[type="submit"]').click();
    await page.locator('.key-form .error-box').waitFor();
    expect(await page.locator('.key-form .error-box').textContent()).toContain('does not accept this key');
    expect(new Set(asked)).toEqual(new Set(['/api/v1/session']));

    await page.locator('#api-key').fill(READ_KEY);
    await page.locator('.key-form button[type="submit"]').click();
    await page.locator('[data-view="rollouts"] [data-table="rollouts"]').waitFor();
    expect(await page.locator('[data-scopes]').getAttribute('data-scopes')).toBe('read');
    await page.getByRole('button', { name: 'forget key' }).click();
    await page.locator('#api-key').waitFor();
  });
});
