// What the web UI reads, over real HTTP from the built CLI: the demo's data served by `tracelight serve` with
// keys, then the overview, a trace's spans, the filtered rollouts list, a run's events, the key's session, and
// the UI's own pages and assets (open, with their security headers; nothing else open beside them).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, REPO_ROOT, cliBuilt, startCliServer, type CliServer } from '../support/cli-process.js';

const ADMIN = 'admin-key-0123456789';
const READ = 'read-key-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'tl-web-api-'));
let server: CliServer;
let runId = '';

async function get(path: string, key: string | null = READ): Promise<{ status: number; body: any; headers: Headers; text: string }> {
  const res = await fetch(`${server.httpUrl}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: res.status, body, headers: res.headers, text };
}

async function sql<T>(q: string): Promise<T[]> {
  const res = await fetch(`${server.httpUrl}/api/v1/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${READ}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sql: q }),
  });
  return ((await res.json()) as { rows: T[] }).rows;
}

beforeAll(async () => {
  const data = join(dir, 'store');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [CLI_PATH, 'demo', '--data', data, '--train', '8', '--validation', '8', '--budget', '120', '--rounds', '2', '--format', 'json'],
    { cwd: REPO_ROOT, timeout: 120_000 },
  );
  runId = (JSON.parse(stdout) as { run_id: string }).run_id;
  server = await startCliServer({ dataDir: data, args: ['--api-key', ADMIN, `read:${READ}`] });
}, 180_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(cliBuilt())('the REST API behind the web UI (built CLI, demo data)', () => {
  it('the overview counts the LLM calls per agent and model the store holds, marks the simulated model, and counts rollouts by status', async () => {
    const o = await get('/api/v1/overview?minutes=120');
    expect(o.status).toBe(200);
    const stored = await sql<{ agent: string; model: string; n: string }>(
      `SELECT agent, response_model AS model, uniqExact(trace_id, span_id) AS n FROM llm_calls GROUP BY agent, model ORDER BY n DESC`,
    );
    expect(o.body.calls.map((c: any) => [c.agent, c.model, c.calls])).toEqual(stored.map((r) => [r.agent, r.model, Number(r.n)]));
    expect(o.body.calls[0]).toMatchObject({ agent: 'arithmetic-agent', model: 'sim-small', simulated: true });
    expect(o.body.simulated).toBe(true);
    expect(o.body.series.reduce((n: number, b: any) => n + b.llm_calls, 0)).toBe(Number(stored[0]?.n));
    expect(o.body.bucket_seconds).toBe(60);
    const all = (await get('/api/v1/rollouts?limit=10000')).body.rollouts as { status: string }[];
    const byStatus: Record<string, number> = {};
    for (const r of all) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    expect(o.body.rollouts.counts).toEqual(byStatus);
    expect(o.body.training.recent.map((r: any) => r.run_id)).toContain(runId);
    expect(o.body.workers.length).toBeGreaterThan(0);

    expect((await get('/api/v1/overview?minutes=0')).body.error).toMatch(/invalid overview query: (query\.)?minutes: must be 1 or more/);
    expect((await get('/api/v1/overview', null)).status).toBe(401);
  });

  it('a rollout trace reads back as its span tree: the agent root span and the LLM call under it', async () => {
    const [r] = (await get('/api/v1/rollouts?limit=1')).body.rollouts;
    const calls = (await get(`/api/v1/rollouts/${r.rollout_id}/calls`)).body;
    const traceId = calls.calls[0].trace_id as string;
    const t = await get(`/api/v1/traces/${traceId.toUpperCase()}`);
    expect(t.status).toBe(200);
    expect(t.body.source).toBe('otel_traces');
    const root = t.body.spans.find((s: any) => s.parent_span_id === '');
    const chat = t.body.spans.find((s: any) => s.span_id === calls.calls[0].span_id);
    expect(root).toBeDefined();
    expect(chat.parent_span_id).not.toBe('');
    expect(BigInt(chat.duration_ns)).toBeGreaterThan(0n);
    expect(chat.attributes['gen_ai.request.model'] ?? chat.attributes['gen_ai.response.model']).toMatch(/sim-small/);

    expect((await get(`/api/v1/traces/${'0'.repeat(32)}`)).body.error).toMatch(/no spans of trace 0{32} are stored/);
    expect((await get('/api/v1/traces/nothex')).body.error).toMatch(/trace_id: must be 32 hex characters/);
  });

  it('the rollouts list filters by reward, agent and age, and says each rollout’s reward and agents', async () => {
    const all = (await get('/api/v1/rollouts?limit=10000')).body.rollouts as { rollout_id: string; reward: number | null; agents: string[] }[];
    expect(all.every((r) => r.agents.includes('arithmetic-agent'))).toBe(true);
    const failed = all.filter((r) => r.reward === 0);
    expect(failed.length).toBeGreaterThan(0);
    const low = (await get('/api/v1/rollouts?limit=10000&max_reward=0.5')).body.rollouts as typeof all;
    expect(low.map((r) => r.rollout_id).sort()).toEqual(
      all
        .filter((r) => (r.reward ?? 1) <= 0.5)
        .map((r) => r.rollout_id)
        .sort(),
    );
    // The list's reward is the one the rollout's triplets carry under the default policy.
    const one = failed[0] as (typeof all)[number];
    const triplets = (await get(`/api/v1/triplets?rollout=${one.rollout_id}`)).body.triplets as { reward: number | null }[];
    expect(triplets[0]?.reward).toBe(0);
    expect((await get('/api/v1/rollouts?agent=%5Earith&since=1h&limit=10000')).body.rollouts).toHaveLength(all.length);
    expect((await get('/api/v1/rollouts?agent=nobody')).body.rollouts).toEqual([]);
    expect((await get(`/api/v1/rollouts?since=${Date.now() + 60_000}`)).body.rollouts).toEqual([]);
    expect((await get('/api/v1/rollouts?since=yesterday')).body.error).toMatch(/since must be an ISO date-time, epoch milliseconds\/nanoseconds or an age/);

    // The CLI's list takes the same filters.
    const cli = await promisify(execFile)(
      process.execPath,
      [
        CLI_PATH,
        'rollouts',
        'list',
        '--server',
        server.httpUrl,
        '--api-key',
        READ,
        '--max-reward',
        '0.5',
        '--since',
        '1h',
        '--limit',
        '10000',
        '--format',
        'json',
      ],
      { cwd: REPO_ROOT },
    );
    expect((JSON.parse(cli.stdout) as { rollout_id: string }[]).map((r) => r.rollout_id).sort()).toEqual(low.map((r) => r.rollout_id).sort());
  });

  it('a run’s record keeps its milestone events (one round_finished per round) and its report of candidates', async () => {
    const run = (await get(`/api/v1/training/runs/${runId}`)).body;
    const names = (run.events as { event: string }[]).map((e) => e.event);
    expect(names).toContain('baseline');
    expect(names.filter((n) => n === 'round_finished')).toHaveLength(run.metrics.rounds);
    expect(names).not.toContain('progress');
    expect(run.report.candidates).toHaveLength(run.metrics.candidates);
    expect(run.report.best_version).toBe(run.metrics.best_version);
    // A list of runs leaves the events and the report to the run's own page.
    const listed = (await get('/api/v1/training/runs')).body.runs.find((r: any) => r.run_id === runId);
    expect(listed).toMatchObject({ events: [], report: null, status: 'succeeded' });
  });

  it('the session says whether a key is needed and what the one sent may do', async () => {
    expect((await get('/api/v1/session', null)).body).toEqual({ auth: true, scopes: [] });
    expect((await get('/api/v1/session', 'wrong-key-0123456789')).body).toEqual({ auth: true, scopes: [] });
    expect((await get('/api/v1/session', READ)).body).toEqual({ auth: true, scopes: ['read'] });
    expect((await get('/api/v1/session', ADMIN)).body).toEqual({ auth: true, scopes: ['ingest', 'worker', 'read', 'admin'] });
  });

  it('serves the UI’s pages and assets without a key, with a content security policy, and nothing else without one', async () => {
    for (const page of ['/', '/rollouts', '/rollouts/ro-anything', '/resources/demo-prompt', '/runs/x', '/traces/abc']) {
      const p = await get(page, null);
      expect(p.status, page).toBe(200);
      expect(p.headers.get('content-type')).toMatch(/text\/html/);
      expect(p.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
      expect(p.headers.get('x-frame-options')).toBe('DENY');
    }
    const html = (await get('/', null)).text;
    expect(html).toBe(readFileSync(join(REPO_ROOT, 'dist', 'web', 'index.html'), 'utf8'));
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1] as string;
    const asset = await get(script, null);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toMatch(/immutable/);
    expect((await get('/assets/..%2Fpackage.json', null)).status).toBe(404);
    expect((await get('/assets/nothing-here.js', null)).status).toBe(404);
    expect((await get('/not-a-page', null)).status).toBe(401);
  });
});
