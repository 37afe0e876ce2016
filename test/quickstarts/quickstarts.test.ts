// Every quick start of README.md, run as printed, from the checkout, on the standard ports, against the
// simulated model: each must end in a triplet with its reward, as a user following it would see. This suite
// runs after the rest (its own vitest config) because it takes the standard ports 4317, 4318 and 8000.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli-process.js';
import { LAST_BLOCK, readQuickStarts, toScript, type QuickStart } from './readme.js';

const README = join(REPO_ROOT, 'README.md');
const PORTS = [4317, 4318, 8000];
const quickStarts = readQuickStarts(README);
const background = quickStarts.find((q) => q.name === 'background');
const agents = quickStarts.filter((q) => q.name !== 'background');

function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

let dataDir: string;
let env: NodeJS.ProcessEnv;
let services: ChildProcess | null = null;
let rootBefore: Set<string>;

/** Runs one quick start in a bash session of its own (a process group, so whatever it leaves running can be stopped). */
function session(qs: QuickStart, detached = false): { child: ChildProcess; done: Promise<{ code: number | null; out: string }> } {
  // Five minutes is far beyond any quick start (installs included); a hung one is stopped rather than waited on.
  const child = spawn('bash', ['-c', toScript(qs)], { cwd: REPO_ROOT, env, detached, timeout: 300_000, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  // A background block's services keep the pipes open after bash exits; its end is bash's exit.
  const done = new Promise<{ code: number | null; out: string }>((resolve) => child.once('exit', (code) => resolve({ code, out })));
  return { child, done };
}

beforeAll(async () => {
  expect(background, 'README.md has a <!-- quickstart: background --> block').toBeDefined();
  const taken = [];
  for (const p of PORTS) if (await portTaken(p)) taken.push(p);
  if (taken.length > 0) throw new Error(`the quick starts need ports ${PORTS.join(', ')}, and ${taken.join(', ')} ${taken.length === 1 ? 'is' : 'are'} in use`);
  rootBefore = new Set(readdirSync(REPO_ROOT));
  dataDir = mkdtempSync(join(tmpdir(), 'tracelight-quickstart-'));
  // A user's environment, minus anything this test process carries: the store goes to a scratch directory.
  env = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', TRACELIGHT_DATA: dataDir };
  const run = session(background!, true);
  services = run.child;
  const { code, out } = await run.done;
  expect(code, out).toBe(0);
}, 180_000);

afterAll(async () => {
  if (services?.pid) {
    try {
      process.kill(-services.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    for (let i = 0; i < 50 && (await portTaken(4318)); i++) await new Promise((r) => setTimeout(r, 200));
  }
  // What the quick starts made in the checkout (their agent directories, the packed tarball) goes again.
  for (const name of readdirSync(REPO_ROOT)) if (!rootBefore?.has(name)) rmSync(join(REPO_ROOT, name), { recursive: true, force: true });
  if (dataDir && existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
});

describe('README quick starts, run as printed', () => {
  it('README.md has the quick starts for Python, Node.js and any language', () => {
    expect(agents.map((q) => q.name)).toEqual(expect.arrayContaining(['python-distro', 'python-sdk', 'python-sdk-worker', 'node-sdk', 'node-otel', 'rest']));
    for (const q of agents)
      expect(
        q.steps.some((s) => s.kind === 'sh'),
        q.name,
      ).toBe(true);
  });

  for (const qs of agents) {
    it(`${qs.name}: ends in a triplet with its reward`, async () => {
      const { code, out } = await session(qs).done;
      expect(code, out).toBe(0);
      const last = out.slice(out.indexOf(LAST_BLOCK) + LAST_BLOCK.length);
      const triplets = last
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { reward: number | null; response: { parts: { content?: string }[] } | null; prompt: unknown[] });
      expect(triplets.length, out).toBeGreaterThan(0);
      const t = triplets.at(-1)!;
      expect(typeof t.reward, out).toBe('number');
      expect(t.prompt.length).toBeGreaterThan(0);
      expect(
        t.response?.parts
          .map((p) => p.content ?? '')
          .join('')
          .trim(),
        out,
      ).not.toBe('');
      // Every signal an exporter sends with its default settings is taken: none logs a failed export.
      expect(out).not.toMatch(/Failed to export|UNIMPLEMENTED|StatusCode\.NOT_FOUND|exporting .* failed/i);
    }, 600_000);
  }
});
