// The CLI finds its server as a user expects: `serve` on any port records itself in its data directory, so
// commands on that directory go through it; TRACELIGHT_URL names a server for every client command; a reading
// command on a directory with no store says so and creates nothing; a server that is not tracelight gets one
// clear line, not a crash.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
