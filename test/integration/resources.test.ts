// Versioned resources end to end: the REST API of an in-process server over real HTTP, the built CLI
// (`node dist/cli/main.js resources …`) against that server and directly on a store, and a restart on the
// same data directory.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/server.js';
import { CLI_PATH, cliBuilt, REPO_ROOT } from '../support/cli-process.js';

interface Res<T = Record<string, unknown>> {
  status: number;
  body: T;
  etag: string | null;
  headers: Headers;
}

let dataDir: string;
let server: RunningServer;

async function api<T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res<T>> {
  const res = await fetch(`${server.httpUrl}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T, etag: res.headers.get('etag'), headers: res.headers };
}

const post = (name: string, body: unknown) => api('POST', `/api/v1/resources/${name}/versions`, body);
const prompt = (template: string, extra: Record<string, unknown> = {}) => ({ kind: 'prompt_template', content: template, ...extra });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tl-resources-'));
  server = await startServer({ host: '127.0.0.1', port: 0, grpcPort: null, store: { dataDir } });
});

afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('resources REST API', () => {
  it('creates numbered versions per name and answers 201 with the version', async () => {
    const r1 = await post('greeter', prompt('Hello {{name}}!', { author: 'ada', metrics: { accuracy: 0.5 } }));
    expect(r1.status).toBe(201);
    expect(r1.body).toEqual({
      name: 'greeter',
      version: 1,
      kind: 'prompt_template',
      content: { template: 'Hello {{name}}!' },
      parent: null,
      metrics: { accuracy: 0.5 },
      labels: [],
      author: 'ada',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(r1.headers.get('location')).toBe('/api/v1/resources/greeter/versions/1');
    const r2 = await post('greeter', prompt('Hello {{name}}, welcome!', { parent: 1, metrics: { accuracy: 0.8 }, author: 'apo-run-7' }));
    expect(r2.body).toMatchObject({ version: 2, parent: 1, author: 'apo-run-7' });
    const other = await post('solver.llm', {
      kind: 'llm',
      content: { endpoint: 'http://127.0.0.1:8000/v1', model: 'qwen2.5-7b', sampling: { temperature: 0.2 } },
    });
    expect(other.body).toMatchObject({ name: 'solver.llm', version: 1, kind: 'llm' });
  });

  it('gives concurrent posts to one name distinct consecutive versions', async () => {
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => post('busy', { kind: 'json', content: { i } })));
    expect(results.every((r) => r.status === 201)).toBe(true);
    const versions = results.map((r) => r.body.version as number).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    // Each number holds the content its writer sent.
    for (const r of results) {
      const got = await api('GET', `/api/v1/resources/busy?version=${r.body.version as number}`);
      expect(got.body.content).toEqual(r.body.content);
    }
  });

  it('resolves production, else the latest; by label; by version', async () => {
    expect((await api('GET', '/api/v1/resources/greeter')).body.version).toBe(2); // no production yet: latest
    const moved = await api('POST', '/api/v1/resources/greeter/labels/production', { version: 1 });
    expect(moved).toMatchObject({ status: 200, body: { name: 'greeter', label: 'production', version: 1, previous: null } });
    const def = await api('GET', '/api/v1/resources/greeter');
    expect(def.body).toMatchObject({ version: 1, labels: ['production'] });
    const cand = await post('greeter', prompt('Hi {{name}}.', { parent: 2, labels: ['candidate'] }));
    expect(cand.body).toMatchObject({ version: 3, labels: ['candidate'] });
    expect((await api('GET', '/api/v1/resources/greeter?label=candidate')).body).toMatchObject({ version: 3, content: { template: 'Hi {{name}}.' } });
    expect((await api('GET', '/api/v1/resources/greeter?version=2')).body).toMatchObject({ version: 2, labels: [] });
    expect((await api('GET', '/api/v1/resources/greeter/versions/1')).body).toMatchObject({ version: 1, labels: ['production'] });
    // Labels move.
    expect((await api('POST', '/api/v1/resources/greeter/labels/production', { version: 3 })).body).toMatchObject({ version: 3, previous: 1 });
    expect((await api('GET', '/api/v1/resources/greeter')).body).toMatchObject({ version: 3, labels: ['candidate', 'production'] });
    expect((await api('GET', '/api/v1/resources/greeter?label=production')).body.version).toBe(3);
  });

  it('answers If-None-Match with 304 until the version or its labels change', async () => {
    const first = await api('GET', '/api/v1/resources/greeter?label=production');
    expect(first.etag).toBe('"greeter@3;candidate,production"');
    expect(first.headers.get('cache-control')).toBe('no-cache');
    const again = await api('GET', '/api/v1/resources/greeter?label=production', undefined, { 'if-none-match': first.etag as string });
    expect(again.status).toBe(304);
    expect(again.body).toBeNull();
    expect(again.etag).toBe(first.etag);
    expect((await api('GET', '/api/v1/resources/greeter?label=production', undefined, { 'if-none-match': `W/"x", W/${first.etag}` })).status).toBe(304);
    // Another label leaving this version changes its ETag.
    await api('POST', '/api/v1/resources/greeter/labels/candidate', { version: 2 });
    const afterCandidate = await api('GET', '/api/v1/resources/greeter?label=production', undefined, { 'if-none-match': first.etag as string });
    expect(afterCandidate.status).toBe(200);
    expect(afterCandidate.etag).toBe('"greeter@3;production"');
    // The label moving changes what is served and its ETag.
    await api('POST', '/api/v1/resources/greeter/labels/production', { version: 2 });
    const moved = await api('GET', '/api/v1/resources/greeter?label=production', undefined, { 'if-none-match': afterCandidate.etag as string });
    expect(moved.status).toBe(200);
    expect(moved.body.version).toBe(2);
    expect(moved.etag).toBe('"greeter@2;candidate,production"');
    expect((await api('GET', '/api/v1/resources/greeter/versions/2', undefined, { 'if-none-match': moved.etag as string })).status).toBe(304);
  });

  it('refuses a version of another kind with 409', async () => {
    const r = await post('greeter', { kind: 'json', content: { a: 1 } });
    expect(r.status).toBe(409);
    expect(r.body.error).toBe('resource "greeter" is a prompt_template; a new version cannot be a json (the kind of a name is fixed: use another name)');
  });

  it('answers malformed input with 400 naming the field', async () => {
    const cases: [string, unknown, string | RegExp][] = [
      ['greeter', { content: 'x' }, /^kind: /],
      ['greeter', { kind: 'prompt_template' }, 'content: is required'],
      ['greeter', prompt('{{#open}} never closed'), /^content\.template: invalid template: Unclosed section "open"/],
      ['greeter', prompt('x', { metrics: { accuracy: 'good' } }), /^metrics\.accuracy: /],
      ['greeter', prompt('x', { labels: ['no spaces'] }), /^labels\.0: must be 1 to 64 characters/],
      ['greeter', prompt('x', { parent: 'one' }), /^parent: /],
      ['greeter', prompt('x', { extra: true }), 'body: Unrecognized key: "extra"'],
      ['m1', { kind: 'llm', content: { endpoint: 'not a url', model: 'm' } }, 'content.endpoint: must be an http(s) URL'],
      ['m1', { kind: 'llm', content: { endpoint: 'http://x', model: 'm', sampling: { top_p: 2 } } }, /^content\.sampling\.top_p: Too big/],
      ['m2', { kind: 'model', content: { type: 'adapter', uri: '/lora/1' } }, 'content.base_model: an adapter needs base_model'],
      ['-bad', { kind: 'json', content: 1 }, /^name: must be 1 to 128 characters/],
      ['x'.repeat(129), { kind: 'json', content: 1 }, /^name: /],
    ];
    for (const [name, body, message] of cases) {
      const r = await post(name, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      if (typeof message === 'string') expect(r.body.error).toBe(message);
      else expect(r.body.error).toMatch(message);
    }
    // The longest name (128 characters) is accepted.
    expect((await post(`z${'x'.repeat(127)}`, { kind: 'json', content: 1 })).status).toBe(201);
    const notJson = await api('POST', '/api/v1/resources/greeter/versions', '{"kind": ', {});
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toMatch(/not valid JSON/);
    expect((await api('POST', '/api/v1/resources/greeter/labels/production', { version: 'latest' })).body.error).toMatch(/^version: /);
    expect((await api('POST', '/api/v1/resources/greeter/labels/bad label', { version: 1 })).body.error).toMatch(/^label: /);
    expect((await api('GET', '/api/v1/resources/greeter?version=0')).body.error).toBe('query.version: must be 1 or more');
    expect((await api('GET', '/api/v1/resources/greeter?version=2&label=production')).body.error).toBe('query: give label or version, not both');
    expect((await api('GET', '/api/v1/resources/greeter?colour=red')).status).toBe(400);
    // Nothing was written by the refused requests.
    expect((await api('GET', '/api/v1/resources/m1')).status).toBe(404);
  });

  it('answers unknown names, versions and labels with 404', async () => {
    expect(await api('GET', '/api/v1/resources/nope')).toMatchObject({ status: 404, body: { error: 'no resource "nope"' } });
    expect(await api('GET', '/api/v1/resources/greeter?version=99')).toMatchObject({
      status: 404,
      body: { error: 'resource "greeter" has no version 99 (latest is 3)' },
    });
    expect(await api('GET', '/api/v1/resources/greeter?label=staging')).toMatchObject({
      status: 404,
      body: { error: expect.stringContaining('has no label "staging"') },
    });
    expect(await api('GET', '/api/v1/resources/nope/versions')).toMatchObject({ status: 404 });
    expect(await api('POST', '/api/v1/resources/greeter/labels/production', { version: 42 })).toMatchObject({
      status: 404,
      body: { error: 'resource "greeter" has no version 42 (latest is 3)' },
    });
    expect(await api('POST', '/api/v1/resources/nope/labels/production', { version: 1 })).toMatchObject({ status: 404, body: { error: 'no resource "nope"' } });
    expect(await post('greeter', prompt('x', { parent: 7 }))).toMatchObject({
      status: 404,
      body: { error: 'parent: resource "greeter" has no version 7 (latest is 3)' },
    });
    expect(await api('DELETE', '/api/v1/resources/greeter/labels/staging')).toMatchObject({ status: 404 });
  });

  it('lists names with kind, latest version and labels, and each history newest first', async () => {
    const list = await api<{ resources: Record<string, unknown>[] }>('GET', '/api/v1/resources');
    expect(list.body.resources.map((r) => [r.name, r.kind, r.latest_version, r.labels])).toEqual([
      ['busy', 'json', 16, {}],
      ['greeter', 'prompt_template', 3, { candidate: 2, production: 2 }],
      ['solver.llm', 'llm', 1, {}],
      [`z${'x'.repeat(127)}`, 'json', 1, {}],
    ]);
    const h = await api<{ name: string; kind: string; labels: Record<string, number>; versions: Record<string, unknown>[] }>(
      'GET',
      '/api/v1/resources/greeter/versions',
    );
    expect(h.body.labels).toEqual({ candidate: 2, production: 2 });
    expect(h.body.versions.map((v) => [v.version, v.parent, v.labels, v.author])).toEqual([
      [3, 2, [], null],
      [2, 1, ['candidate', 'production'], 'apo-run-7'],
      [1, null, [], 'ada'],
    ]);
    const page = await api<{ versions: { version: number }[] }>('GET', '/api/v1/resources/busy/versions?limit=3&before=10');
    expect(page.body.versions.map((v) => v.version)).toEqual([9, 8, 7]);
  });

  it('removes a label', async () => {
    await api('POST', '/api/v1/resources/busy/labels/old', { version: 4 });
    expect((await api('DELETE', '/api/v1/resources/busy/labels/old')).body).toMatchObject({ label: 'old', previous: 4 });
    expect((await api('GET', '/api/v1/resources/busy?label=old')).status).toBe(404);
  });
});

const run = promisify(execFile);

async function cli(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const child = run(process.execPath, [CLI_PATH, ...args], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1' } });
    if (input !== undefined) {
      child.child.stdin?.end(input);
    }
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe.skipIf(!cliBuilt())('tracelight resources (built CLI)', () => {
  const s = (): string[] => ['--server', server.httpUrl];

  it('put (from a file and inline), get, promote, diff and list through the server', async () => {
    const file = join(dataDir, '..', `tl-res-prompt-${process.pid}.txt`);
    await writeFile(file, 'You are a careful solver.\nSolve: {{task}}\nAnswer briefly.\n');
    const put1 = await cli([
      'resources',
      'put',
      'solver',
      '--kind',
      'prompt_template',
      '--file',
      file,
      '--metrics',
      'accuracy=0.61',
      '--author',
      'ada',
      ...s(),
    ]);
    expect(put1).toMatchObject({ code: 0, stdout: 'created solver@1 (prompt_template)\n' });
    const put2 = await cli([
      'resources',
      'put',
      'solver',
      '--kind',
      'prompt_template',
      '--content',
      'You are a careful solver.\nThink step by step, then solve: {{task}}\nAnswer briefly.',
      '--parent',
      '1',
      '--label',
      'candidate',
      '--label',
      'staging',
      '--metrics',
      'accuracy=0.74',
      '--metrics',
      'cost=1.5',
      ...s(),
    ]);
    expect(put2).toMatchObject({ code: 0, stdout: 'created solver@2 (prompt_template; labels: candidate, staging)\n' });
    await rm(file, { force: true });

    const json = await cli(['resources', 'get', 'solver', '--version', '2', '--format', 'json', ...s()]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      name: 'solver',
      version: 2,
      parent: 1,
      metrics: { accuracy: 0.74, cost: 1.5 },
      labels: ['candidate', 'staging'],
    });
    const text = await cli(['resources', 'get', 'solver', '--label', 'candidate', ...s()]);
    expect(text.stdout).toContain('solver@2  prompt_template  [candidate, staging]');
    expect(text.stdout).toContain('metrics: accuracy=0.74  cost=1.5');
    expect(text.stdout).toMatch(/\n\nYou are a careful solver\.\nThink step by step, then solve: \{\{task\}\}\nAnswer briefly\.\n$/);

    expect(await cli(['resources', 'promote', 'solver', '--version', '1', ...s()])).toMatchObject({
      code: 0,
      stdout: 'solver: production → version 1 (new label)\n',
    });
    expect(await cli(['resources', 'promote', 'solver', '--version', '2', '--label', 'production', ...s()])).toMatchObject({
      code: 0,
      stdout: 'solver: production → version 2 (was 1)\n',
    });
    expect((await cli(['resources', 'get', 'solver', '--format', 'json', ...s()])).stdout).toContain('"version": 2');

    const unified = await cli(['resources', 'diff', 'solver', '1', 'production', ...s()]);
    expect(unified.code).toBe(0);
    expect(unified.stdout).toBe(
      [
        '--- solver@1',
        '+++ solver@2 (candidate, production, staging)',
        '@@ -1,3 +1,3 @@',
        ' You are a careful solver.',
        '-Solve: {{task}}',
        '+Think step by step, then solve: {{task}}',
        ' Answer briefly.',
        '',
      ].join('\n'),
    );
    expect(unified.stdout).not.toContain('\u001b['); // no colour when not on a terminal
    const side = await cli(['resources', 'diff', 'solver', '1', '2', '--side-by-side', '--width', '100', ...s()]);
    const lines = side.stdout.split('\n');
    expect(lines[0]).toMatch(/^solver@1 +\| solver@2 \(candidate, production, staging\)$/);
    expect(lines).toContain(`${'You are a careful solver.'.padEnd(48)}   You are a careful solver.`);
    expect(lines).toContain(`${'Solve: {{task}}'.padEnd(48)} | Think step by step, then solve: {{task}}`);
    expect((await cli(['resources', 'diff', 'solver', '2', 'production', ...s()])).stdout).toBe(
      'solver@2 (candidate, production, staging) and solver@2 (candidate, production, staging) have the same content\n',
    );

    const list = await cli(['resources', 'list', '--format', 'jsonl', ...s()]);
    const solver = list.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((r) => r.name === 'solver');
    expect(solver).toMatchObject({ kind: 'prompt_template', latest_version: 2, labels: { candidate: 2, production: 2, staging: 2 } });
    const history = await cli(['resources', 'history', 'solver', '--format', 'jsonl', ...s()]);
    expect(
      history.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { version: number }).version),
    ).toEqual([2, 1]);
  });

  it('reads JSON content for other kinds (stdin too) and reports errors on one line with exit code 1', async () => {
    const llm = await cli(
      ['resources', 'put', 'solver-llm', '--kind', 'llm', '--file', '-', '--label', 'production', ...s()],
      JSON.stringify({ endpoint: 'http://127.0.0.1:8000/v1', model: 'sim-small' }),
    );
    expect(llm).toMatchObject({ code: 0, stdout: 'created solver-llm@1 (llm; labels: production)\n' });
    const conflict = await cli(['resources', 'put', 'solver', '--kind', 'json', '--content', '{}', ...s()]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toBe(
      'tracelight: resource "solver" is a prompt_template; a new version cannot be a json (the kind of a name is fixed: use another name)\n',
    );
    const badJson = await cli(['resources', 'put', 'x', '--kind', 'json', '--content', '{oops', ...s()]);
    expect(badJson.stderr).toMatch(/^tracelight: --content is not valid JSON/);
    const badField = await cli(['resources', 'put', 'solver-llm', '--kind', 'llm', '--content', '{"endpoint":"http://x","model":""}', ...s()]);
    expect(badField.stderr).toBe('tracelight: content.model: must not be empty\n');
    expect((await cli(['resources', 'get', 'nope', ...s()])).stderr).toBe('tracelight: no resource "nope"\n');
    expect((await cli(['resources', 'promote', 'solver', '--version', '9', ...s()])).stderr).toBe(
      'tracelight: resource "solver" has no version 9 (latest is 2)\n',
    );
    expect((await cli(['resources', 'put', 'x', '--kind', 'json', ...s()])).stderr).toMatch(/--file <path>.*or --content <string>/);
    expect((await cli(['resources', 'put', 'x', '--kind', 'json', '--content', '1', '--metrics', 'acc', ...s()])).stderr).toBe(
      'tracelight: --metrics must look like name=number, got "acc"\n',
    );
  });

  it('works directly on a store when no server is involved', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-res-direct-'));
    try {
      expect((await cli(['resources', 'put', 'p', '--kind', 'prompt_template', '--content', 'A {{x}}', '--data', dir])).stdout).toBe(
        'created p@1 (prompt_template)\n',
      );
      expect((await cli(['resources', 'put', 'p', '--kind', 'prompt_template', '--content', 'B {{x}}', '--label', 'production', '--data', dir])).stdout).toBe(
        'created p@2 (prompt_template; labels: production)\n',
      );
      expect((await cli(['resources', 'promote', 'p', '--version', '1', '--data', dir])).stdout).toBe('p: production → version 1 (was 2)\n');
      expect(JSON.parse((await cli(['resources', 'get', 'p', '--format', 'json', '--data', dir])).stdout)).toMatchObject({
        version: 1,
        content: { template: 'A {{x}}' },
      });
      expect((await cli(['resources', 'diff', 'p', '1', '2', '--data', dir])).stdout).toContain('-A {{x}}\n+B {{x}}');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('after a restart on the same data directory', () => {
  it('keeps every version and label, and numbering goes on', async () => {
    const before = await api('GET', '/api/v1/resources');
    await server.close();
    server = await startServer({ host: '127.0.0.1', port: 0, grpcPort: null, store: { dataDir } });
    expect((await api('GET', '/api/v1/resources')).body).toEqual(before.body);
    expect((await api('GET', '/api/v1/resources/greeter')).body).toMatchObject({
      version: 2,
      labels: ['candidate', 'production'],
      content: { template: 'Hello {{name}}, welcome!' },
    });
    expect((await api('GET', '/api/v1/resources/busy?version=16')).status).toBe(200);
    expect((await post('busy', { kind: 'json', content: { after: 'restart' } })).body.version).toBe(17);
    expect((await post('busy', { kind: 'llm', content: { endpoint: 'http://x', model: 'm' } })).status).toBe(409);
  });
});
