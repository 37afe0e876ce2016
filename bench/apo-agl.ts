// Agent Lightning's APO as a contender in bench/apo.ts: its pinned venv (built on first use, reused while the
// requirements stay the same), the grading endpoint its agent asks for rewards (the bench's one grader), a proxy in
// front of the optimizer model that can keep the request bodies AGL sends, and the run of bench/apo-agl/run_apo.py.
import { createHash } from 'node:crypto';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const AGL_DIR = join(process.cwd(), 'bench', 'apo-agl');
export const AGL_VENV = join(process.cwd(), '.venvs', 'agentlightning-apo');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `<venv>.lock` (mkdir is atomic), so two benches never build the venv at once; a dead holder's lock is broken. */
async function lock(dir: string): Promise<() => void> {
  const lockDir = `${dir}.lock`;
  const owner = join(lockDir, 'pid');
  const deadline = Date.now() + 900_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(owner, String(process.pid));
      return () => rmSync(lockDir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(owner, 'utf8'));
    } catch {
      // just created, pid not written yet
    }
    if (Number.isInteger(holder) && holder > 0 && !alive(holder)) rmSync(lockDir, { recursive: true, force: true });
    else if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockDir} (held by process ${holder})`);
    else await sleep(250);
  }
}

/** The venv's python, built from bench/apo-agl/requirements.txt when missing or stale. */
export async function aglPython(interpreter = process.env.AGL_PYTHON): Promise<string> {
  const reqFile = join(AGL_DIR, 'requirements.txt');
  const requirements = readFileSync(reqFile, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const python = join(AGL_VENV, 'bin', 'python');
  const stamp = join(AGL_VENV, '.requirements.sha256');
  const hash = createHash('sha256').update(requirements.join('\n')).digest('hex');
  // POML renders its templates with a bundled cli.js; under this repository Node would read it as an ES module
  // (package.json says "type": "module") and fail, so the venv declares its own files CommonJS.
  const commonjs = join(AGL_VENV, 'package.json');
  const ready = (): boolean => existsSync(python) && existsSync(commonjs) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash;
  if (ready()) return python;
  mkdirSync(join(AGL_VENV, '..'), { recursive: true });
  const unlock = await lock(AGL_VENV);
  try {
    if (ready()) return python;
    process.stderr.write(`building ${AGL_VENV} (pinned agentlightning[apo]; once)...\n`);
    // The lock is for Python 3.11; python3 is the fallback where no python3.11 is on PATH.
    const base =
      interpreter ??
      ((await run('python3.11', ['--version']).then(
        () => true,
        () => false,
      ))
        ? 'python3.11'
        : 'python3');
    await run(base, ['-m', 'venv', '--clear', AGL_VENV]);
    const pinned = join(AGL_VENV, 'requirements.txt');
    writeFileSync(pinned, requirements.join('\n') + '\n');
    try {
      await run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '-q', '-r', pinned], {
        maxBuffer: 64 * 1024 * 1024,
        timeout: 900_000,
      });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      const lines = (e.stderr ?? e.message).split('\n').filter((l) => l.trim() && !l.startsWith('WARNING: Location'));
      throw new Error(`pip could not install agentlightning[apo]: ${lines.slice(-3).join(' | ')}`);
    }
    writeFileSync(commonjs, '{ "type": "commonjs" }\n');
    writeFileSync(stamp, hash);
    return python;
  } finally {
    unlock();
  }
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function listen(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    handler(req, res).catch((err: Error) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: err.message } }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise<void>((r) => server.close(() => r())),
      }),
    ),
  );
}

export type GradeFn = (input: { vars: Record<string, unknown>; output: string; expected?: unknown }) => { reward: number; explanation?: string };

/** POST /grade {run, question, output, expected} → the bench grader's {reward, explanation}; counts the calls it graded per run. */
export async function startGradingEndpoint(grade: GradeFn): Promise<{ url: string; graded: (run?: number) => number; close: () => Promise<void> }> {
  const graded = new Map<number, number>();
  const srv = await listen(async (req, res) => {
    const b = JSON.parse(await body(req)) as { run?: number; question: string; output: string; expected?: unknown };
    graded.set(b.run ?? 0, (graded.get(b.run ?? 0) ?? 0) + 1);
    const g = grade({ vars: { question: b.question }, output: b.output, expected: b.expected });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ reward: g.reward, explanation: g.explanation ?? '' }));
  });
  return {
    url: `${srv.url}/grade`,
    graded: (run) => (run === undefined ? [...graded.values()].reduce((a, b) => a + b, 0) : (graded.get(run) ?? 0)),
    close: srv.close,
  };
}

export type OptimizerRequestKind = 'gradient' | 'apply-edit' | 'other';

/** Which of AGL's two optimizer prompts a request was rendered from (its POML templates' own wording). */
export function aglRequestKind(messages: { role: string; content: unknown }[]): OptimizerRequestKind {
  const text = messages.map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content))).join('\n');
  if (/Revise the given prompt template using the critique|Revise the prompt to address ONE critique point/.test(text)) return 'apply-edit';
  if (/You optimize a prompt template|Analyze where the current prompt failed|provide a critique of the prompt/.test(text)) return 'gradient';
  return 'other';
}

export interface RecordedExchange {
  kind: OptimizerRequestKind;
  request: unknown;
  reply: string | null;
}

/**
 * An OpenAI-compatible proxy to `target` (a base URL ending in /v1) that keeps the chat requests it forwards with
 * the reply text, so the bench can say what AGL asked the optimizer and what came back.
 */
export async function startRecordingProxy(target: string): Promise<{ url: string; exchanges: RecordedExchange[]; close: () => Promise<void> }> {
  const exchanges: RecordedExchange[] = [];
  const base = new URL(target);
  const srv = await listen(async (req, res) => {
    const text = req.method === 'GET' ? undefined : await body(req);
    const path = (req.url ?? '/').replace(/^\/v1/, '');
    const upstream = await fetch(`${base.origin}${base.pathname.replace(/\/$/, '')}${path}`, {
      method: req.method,
      headers: { 'content-type': 'application/json' },
      body: text,
    });
    const out = await upstream.text();
    if (text && path.startsWith('/chat/completions')) {
      const request = JSON.parse(text) as { messages?: { role: string; content: unknown }[] };
      let reply: string | null = null;
      try {
        reply = (JSON.parse(out) as { choices?: { message?: { content?: string | null } }[] }).choices?.[0]?.message?.content ?? null;
      } catch {
        reply = null;
      }
      exchanges.push({ kind: aglRequestKind(request.messages ?? []), request, reply });
    }
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    res.end(out);
  });
  return { url: `${srv.url}/v1`, exchanges, close: srv.close };
}

/** Writes the first `perKind` gradient and apply-edit exchanges as `<kind>-N.json` (the request body) and `<kind>-N.reply.txt`. */
export function writeCaptured(dir: string, exchanges: RecordedExchange[], perKind = 4): void {
  mkdirSync(dir, { recursive: true });
  for (const kind of ['gradient', 'apply-edit'] as const) {
    exchanges
      .filter((e) => e.kind === kind)
      .slice(0, perKind)
      .forEach((e, i) => {
        writeFileSync(join(dir, `${kind}-${i + 1}.json`), `${JSON.stringify(e.request, null, 2)}\n`);
        writeFileSync(join(dir, `${kind}-${i + 1}.reply.txt`), `${e.reply ?? '(no content)'}\n`);
      });
  }
}

export interface AglKnobs {
  beam_width: number;
  branch_factor: number;
  beam_rounds: number;
  gradient_batch_size: number;
  val_batch_size: number;
  runners: number;
}

/** Rollouts AGL's APO runs with these knobs: seed validation, then per round the parents' gradient batches, the beam and its children on a validation batch, and the leader on the whole validation set. */
export function aglRollouts(k: AglKnobs, train: number, validation: number): number {
  let total = validation;
  let beam = 1;
  for (let r = 0; r < k.beam_rounds; r++) {
    const children = k.beam_width * k.branch_factor;
    total += children * Math.min(k.gradient_batch_size, train) + (beam + children) * Math.min(k.val_batch_size, validation) + validation;
    beam = Math.min(k.beam_width, beam + children);
  }
  return total;
}

export interface AglTask {
  id: string;
  question: string;
  answer: number;
}

export interface AglPoint {
  rollouts: number;
  prompt: string;
  validation: number | null;
}

export type AglOutcome = { ok: true; points: AglPoint[]; rollouts: number; seconds: number } | { ok: false; reason: string; seconds: number };

/** One run of AGL's APO (one seed); the best prompt after each round with the rollouts spent by then (f-string templates). */
export async function runAgl(opts: {
  python: string;
  seed: number;
  start: string;
  train: AglTask[];
  validation: AglTask[];
  agentUrl: string;
  optimizerUrl: string;
  gradeUrl: string;
  knobs: AglKnobs;
  /** The agent emits the grader's explanation and the adapter shows it to APO's critic. */
  feedback: boolean;
  timeoutMs: number;
}): Promise<AglOutcome> {
  const cfgFile = join(tmpdir(), `bench-apo-agl-${process.pid}-${opts.seed}.json`);
  writeFileSync(
    cfgFile,
    JSON.stringify({
      seed: opts.seed,
      start: opts.start,
      train: opts.train,
      validation: opts.validation,
      agent_url: opts.agentUrl,
      agent_model: 'sim-small',
      optimizer_url: opts.optimizerUrl,
      optimizer_model: 'sim-large',
      grade_url: opts.gradeUrl,
      knobs: opts.knobs,
      feedback: opts.feedback,
    }),
  );
  const t0 = performance.now();
  const seconds = () => (performance.now() - t0) / 1000;
  const child = spawn(opts.python, [join(AGL_DIR, 'run_apo.py'), cfgFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      AGENTOPS_API_KEY: '',
      AGENTOPS_LOG_LEVEL: 'CRITICAL',
      PYTHONUNBUFFERED: '1',
      LITELLM_LOCAL_MODEL_COST_MAP: 'True',
      OPENAI_API_KEY: 'unused',
    },
  });
  const points: AglPoint[] = [];
  let done: { rollouts: number; best_prompt: string } | null = null;
  let error: string | null = null;
  let stderr = '';
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      const e = JSON.parse(line) as { event: string; rollouts: number; best_prompt?: string; best_score?: number; reason?: string };
      if (e.event === 'start') points.push({ rollouts: 0, prompt: e.best_prompt as string, validation: null });
      else if (e.event === 'round') points.push({ rollouts: e.rollouts, prompt: e.best_prompt as string, validation: e.best_score ?? null });
      else if (e.event === 'done') done = { rollouts: e.rollouts, best_prompt: e.best_prompt as string };
      else if (e.event === 'error') error = e.reason ?? 'unknown error';
    }
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-20_000);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  rmSync(cfgFile, { force: true });
  if (process.env.BENCH_AGL_STDERR) writeFileSync(process.env.BENCH_AGL_STDERR, stderr);
  const finished = done as { rollouts: number; best_prompt: string } | null;
  if (finished) return { ok: true, points, rollouts: finished.rollouts, seconds: seconds() };
  const lastLine =
    stderr
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .pop() ?? '';
  const reason = error ?? (code === null ? `killed after ${Math.round(opts.timeoutMs / 1000)} s` : `exited with ${code}: ${lastLine}`);
  return { ok: false, reason, seconds: seconds() };
}
