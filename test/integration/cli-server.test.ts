// The CLI finds its server as a user expects: `serve` on any port records itself in its data directory, so
// commands on that directory go through it; TRACELIGHT_URL names a server for every client command; a reading
// command on a directory with no store says so and creates nothing; a server that is not tracelight gets one
// clear line, not a crash.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, cliBuilt, startCliServer, type CliServer } from '../support/cli-process.js';

const run = promisify(execFile);
let dir: string;
let served: CliServer;
let impostor: Server;
let impostorUrl: string;

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI_PATH, ...args], { cwd: dir, env: { ...process.env, TRACELIGHT_URL: '', ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tl-cli-server-'));
  if (!cliBuilt()) return;
  served = await startCliServer({ dataDir: join(dir, 'data') });
  // Something else on a port: answers every request with its own JSON error shape, or HTML.
  impostor = createServer((req, res) => {
    if (req.url?.startsWith('/healthz')) return res.writeHead(200).end('ok');
    if (req.url?.includes('query'))
      return res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'upstream exploded', code: 7 } }));
    if (req.url?.includes('triplets')) return res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello": "world"}');
    res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body>Not Found</body></html>');
  });
  await new Promise<void>((r) => impostor.listen(0, '127.0.0.1', () => r()));
  const a = impostor.address();
  impostorUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}, 60_000);

afterAll(async () => {
  await served?.stop();
  impostor?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!cliBuilt())('the CLI and its server', () => {
  it('finds the server serving --data DIR on its own port, through the address it recorded there', async () => {
    const recorded = JSON.parse(readFileSync(join(dir, 'data', 'server.json'), 'utf8')) as { url: string };
    expect(recorded.url).toBe(served.httpUrl);
    expect(served.httpUrl).not.toMatch(/:4318$/);
    // The embedded store is the server's (chDB allows one process): only going through the server can read it.
    const r = await cli(['sql', 'SELECT 41 + 1 AS n', '--data', join(dir, 'data'), '--format', 'jsonl']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ n: 42 });
    const put = await cli(['resources', 'put', 'greeting', '--kind', 'prompt_template', '--content', 'Hello {{name}}', '--data', join(dir, 'data')]);
    expect(put.stdout).toMatch(/^created greeting@1/);
  });

  it('takes the server from TRACELIGHT_URL for every client command', async () => {
    for (const args of [
      ['sql', 'SELECT 1 AS one', '--format', 'jsonl'],
      ['triplets', '--format', 'jsonl'],
      ['resources', 'list', '--format', 'jsonl'],
      ['rollouts', 'list', '--format', 'jsonl'],
      ['train', 'runs', '--format', 'jsonl'],
    ]) {
      const r = await cli(args, { TRACELIGHT_URL: served.httpUrl });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    expect((await cli(['resources', 'list', '--format', 'jsonl'], { TRACELIGHT_URL: served.httpUrl })).stdout).toMatch(/"name":"greeting"/);
  });

  it('train apo runs through the server that owns the store, and the run is recorded there', async () => {
    const data = join(dir, 'data');
    writeFileSync(
      join(dir, 'through-server.yaml'),
      [
        'name: through-server',
        'resource: greeting',
        'start: 1',
        'optimizer: {base_url: http://127.0.0.1:9/v1, model: sim-small}',
        'evaluation: {mode: replay, model: {base_url: http://127.0.0.1:9/v1, model: sim-small}, grader: {builtin: exact}}',
        "data: {train: {recorded: {agent: '^nobody$'}}, validation: {holdout: 0.5}, min_examples: 10}",
      ].join('\n'),
    );
    // No recorded calls: the run is skipped, which is enough to show where it went (the store is the server's).
    const r = await cli(['train', 'apo', '--config', 'through-server.yaml', '--data', data, '--format', 'jsonl']);
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; status?: string; run_id?: string });
    for (const e of events) expect(typeof e.event).toBe('string');
    const finished = events.find((e) => e.event === 'run_finished');
    expect(finished).toMatchObject({ status: 'skipped' });
    const runs = await cli(['train', 'runs', '--data', data, '--format', 'json']);
    expect(JSON.parse(runs.stdout)).toEqual([expect.objectContaining({ run_id: finished!.run_id, job: 'through-server', status: 'skipped' })]);
    const res = await fetch(`${served.httpUrl}/api/v1/training/runs/${finished!.run_id}`);
    expect(((await res.json()) as { status: string }).status).toBe('skipped');
  });

  it('every data command takes --format table|json|jsonl (text still means table)', async () => {
    const data = join(dir, 'data');
    const get = await cli(['resources', 'get', 'greeting', '--data', data, '--format', 'jsonl']);
    expect(get.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(get.stdout)).toMatchObject({ name: 'greeting', version: 1 });
    const getJson = await cli(['resources', 'get', 'greeting', '--data', data, '--format', 'json']);
    expect(JSON.parse(getJson.stdout)).toEqual(JSON.parse(get.stdout));
    const table = await cli(['resources', 'get', 'greeting', '--data', data, '--format', 'table']);
    const text = await cli(['resources', 'get', 'greeting', '--data', data, '--format', 'text']);
    expect(table.stdout).toContain('Hello {{name}}');
    expect(text.stdout).toBe(table.stdout);
    await cli(['rollouts', 'enqueue', '--input', '{"q": 1}', '--data', data, '--format', 'jsonl']);
    const [queued] = (await cli(['rollouts', 'list', '--data', data, '--format', 'jsonl'])).stdout.trim().split('\n');
    const id = (JSON.parse(queued!) as { rollout_id: string }).rollout_id;
    const show = await cli(['rollouts', 'show', id, '--data', data, '--format', 'jsonl']);
    expect(show.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(show.stdout)).toMatchObject({ rollout_id: id, queue: { status: 'queuing' } });
    for (const args of [['resources', 'get', 'greeting'], ['rollouts', 'show', id], ['train', 'runs'], ['triplets']]) {
      const bad = await cli([...args, '--data', data, '--format', 'xml']);
      expect(bad.code, args.join(' ')).toBe(1);
      expect(bad.stderr).toBe('tracelight: --format must be one of jsonl, json, table, got "xml"\n');
    }
  });

  it('takes the server (and the variable holding its key) from the client settings file', async () => {
    const file = join(dir, 'client.yaml');
    writeFileSync(file, `client:\n  server: ${served.httpUrl}\n  api_key_env: MY_TL_KEY\n`);
    const r = await cli(['resources', 'list', '--format', 'jsonl'], { TRACELIGHT_CONFIG: file, MY_TL_KEY: 'unused-without-auth' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/"name":"greeting"/);
    const unset = await cli(['resources', 'list'], { TRACELIGHT_CONFIG: file });
    expect(unset.stderr).toBe(`tracelight: ${file}: client.api_key_env names MY_TL_KEY, which is not set\n`);
    writeFileSync(file, 'client:\n  server: ftp://nowhere\n');
    const bad = await cli(['triplets'], { TRACELIGHT_CONFIG: file });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^tracelight: invalid client config: .*client\.yaml: client\.server: .*\n$/);
  });

  it('says there is no store instead of creating an empty one', async () => {
    const missing = join(dir, 'nothing-here');
    const r = await cli(['triplets', '--data', missing]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no tracelight store in .*nothing-here and no server running for it/);
    expect(existsSync(missing)).toBe(false);
  });

  it('answers a server that is not tracelight with one clear line', async () => {
    const cases: [string[], RegExp][] = [
      [['sql', 'SELECT 1'], /^tracelight: upstream exploded\n$/],
      [['triplets'], /^tracelight: the tracelight server at .* gave an unexpected answer to GET \/api\/v1\/triplets.*: is it a tracelight server\?\n$/],
      [
        ['resources', 'list'],
        /^tracelight: the tracelight server at .* answered HTTP 404: <html><body>Not Found<\/body><\/html> \(is it a tracelight server\?\)\n$/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await cli([...args, '--server', impostorUrl]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(message);
    }
  });
});
