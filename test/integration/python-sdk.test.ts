// tracelight's Python SDK (instrumentation/python, the `tracelight` package) end to end, as a user runs it: the package
// installed with pip from its path into a venv of pinned versions, Python agent scripts (test/integration/python/sdk_*.py)
// on the real `openai` client and the real OTel GenAI instrumentation, an in-process tracelight server (OTLP/HTTP, OTLP/gRPC,
// REST API) and the simulated OpenAI-compatible model (a stand-in for a paid LLM, not a real one). What is asserted is
// what a user would check: the triplets (prompt, response, reward) tracelight serves, the spans and rewards it stored, the
// queue's view of the rollouts the runner worked on, and what went over the wire (a recording proxy in front of the REST API).
//
// Three environments: `python-sdk` (instrumentation/python/requirements-test.txt: OTel 1.45, openai-v2 2.4b0 with util-genai
// 1.1b0, the `openai` extra's versions); `python-sdk-semconv-1.30` (the interop lock with OTel 1.39 and util-genai 0.4b0, the
// low end of the SDK's OpenTelemetry range, where the instrumentation reads `true` and sends content as log events); and
// `python-sdk-openinference` (the interop lock of OpenInference's OpenAI instrumentation, with openai 3.x), the one init()
// turns on when the OTel one is not installed.
// Each venv is rebuilt when the SDK's source changes (its hash is a comment line of the requirements).
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { startSimulatedModel, type SimulatedModelServer } from '../../examples/simulated-model/index.js';
import { renderPrompt, templateVariables } from '../../schemas/prompt-template.js';
import { startServer, type RunningServer } from '../../server/server.js';
import type { Triplet } from '../../training/triplets.js';
import { REPO_ROOT, startCliServer, type CliServer } from '../support/cli-process.js';
import { pythonEnv } from '../support/python-env.js';

const SDK_DIR = join(REPO_ROOT, 'instrumentation', 'python');
const SCRIPTS = join(REPO_ROOT, 'test', 'integration', 'python');
const SYSTEM = 'Answer with only the number.';
const SCRIPT_TIMEOUT_MS = 60_000;

/** Requirement lines of a pinned lock file (comments dropped). */
function lockLines(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** Hash of the SDK's files, so pythonEnv rebuilds a venv whose installed copy of the package is out of date. */
function sdkSourceHash(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      // Tool caches (.mypy_cache, .ruff_cache), bytecode and build leftovers are not the package.
      if (name.startsWith('.') || name === '__pycache__' || name.endsWith('.egg-info') || name === 'build' || name === 'dist') continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(relative(SDK_DIR, path)).update('\0').update(readFileSync(path)).update('\0');
    }
  };
  walk(SDK_DIR);
  return hash.digest('hex');
}

/** The agent's environment: the machine's, minus any OTel / OpenAI / tracelight / Python settings of its own. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(OTEL_|OPENAI_|TRACELIGHT_|OPENINFERENCE_|PYTHON)/.test(k)) continue;
    env[k] = v;
  }
  // No __pycache__ beside the scripts in the repository.
  return { ...env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' };
}

interface ScriptRun<T> {
  result: T;
  stdout: string;
  stderr: string;
}

function lastJsonLine(stdout: string): string | undefined {
  return stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{') || l.startsWith('['))
    .pop();
}

/** Runs `python <script> ...args` and parses the JSON line it printed last; rejects with its stderr when it fails. */
function runScript<T>(python: string, script: string, args: string[], env: Record<string, string>): Promise<ScriptRun<T>> {
  return new Promise((resolve, reject) => {
    execFile(
      python,
      [join(SCRIPTS, script), ...args],
      { env: { ...baseEnv(), ...env }, timeout: SCRIPT_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`${script} ${args.join(' ')} failed (${err.message.split('\n')[0]}):\n${stderr.split('\n').slice(-40).join('\n')}`));
        const last = lastJsonLine(stdout);
        if (!last) return reject(new Error(`${script} printed no result:\n${stdout}\n${stderr}`));
        resolve({ result: JSON.parse(last) as T, stdout, stderr });
      },
    );
  });
}

/** What went through the proxy: one entry per request, with the headers the SDK is judged by. */
interface Recorded {
  method: string;
  path: string;
  status: number;
  ifNoneMatch: string | null;
  authorization: string | null;
}

interface RecordingProxy {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

/** A plain HTTP proxy in front of tracelight's HTTP port that records each request and the status it got. */
async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    const up = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
      const header = (name: string): string | null => {
        const v = req.headers[name];
        return typeof v === 'string' ? v : null;
      };
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        status: upRes.statusCode ?? 0,
        ifNoneMatch: header('if-none-match'),
        authorization: header('authorization'),
      });
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', (err) => {
      res.writeHead(502);
      res.end(String(err));
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const text = (m: { parts: Array<{ type: string; content?: unknown }> } | null | undefined): string =>
  (m?.parts ?? [])
    .filter((p) => p.type === 'text')
    .map((p) => String(p.content ?? ''))
    .join('');

const chat = (t: Triplet): Array<[string, string]> => t.prompt.map((m) => [m.role, text(m)]);

/** What sdk_agent.py prints. */
interface AgentResult {
  answer: string;
  rollout: string;
  async_rollout: string;
  async_answers: string[];
  instrumented: string[];
  instrumentations: string[];
  capture_content: boolean;
  capture_setting: string;
  protocols: { traces: string; logs: string };
  service_name: string;
  idempotent: boolean;
}

type Accepted = Record<'spans' | 'logs', Record<'grpc' | 'http', number>>;

describe('Python SDK (pip install ./instrumentation/python)', () => {
  let python: string;
  let pythonSemconv130: string;
  let pythonOpenInference: string;
  let dataDir: string;
  let server: RunningServer;
  let grpcEndpoint: string;
  let model: SimulatedModelServer;
  let proxy: RecordingProxy;

  beforeAll(async () => {
    const stamp = `# tracelight SDK source sha256 ${sdkSourceHash()}`;
    const interopLock = (name: string): string[] => lockLines(join(REPO_ROOT, 'test', 'interop', 'python', 'requirements', `${name}.txt`));
    [python, pythonSemconv130, pythonOpenInference] = await Promise.all([
      pythonEnv('python-sdk', [...lockLines(join(SDK_DIR, 'requirements-test.txt')), `${SDK_DIR}[openai]`, stamp]),
      pythonEnv('python-sdk-semconv-1.30', [...interopLock('openai-v2-semconv-1.30'), SDK_DIR, stamp]),
      pythonEnv('python-sdk-openinference', [...interopLock('openinference'), SDK_DIR, stamp]),
    ]);
    dataDir = mkdtempSync(join(tmpdir(), 'tl-python-sdk-'));
    server = await startServer({ host: '127.0.0.1', port: 0, grpcPort: 0, store: { dataDir } });
    if (server.grpcPort === null) throw new Error('tracelight started without OTLP/gRPC');
    grpcEndpoint = `http://127.0.0.1:${server.grpcPort}`;
    model = await startSimulatedModel({ port: 0 });
    proxy = await startRecordingProxy(server.httpUrl);
  }, 1_800_000);

  afterAll(async () => {
    await proxy?.close();
    await model?.close();
    await server?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${server.httpUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const raw = await res.text();
    expect(res.status, `${method} ${path}: ${raw}`).toBeLessThan(300);
    return (raw ? JSON.parse(raw) : null) as T;
  }

  async function triplets(rollout: string, count: number): Promise<Triplet[]> {
    return eventually(async () => {
      const { triplets: ts } = await api<{ triplets: Triplet[] }>('GET', `/api/v1/triplets?rollout=${encodeURIComponent(rollout)}`);
      return ts.length === count && ts.every((t) => t.reward !== null) ? ts : null;
    }, `${count} triplet(s) of ${rollout} with their reward`);
  }

  async function accepted(): Promise<Accepted> {
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    const out: Accepted = { spans: { grpc: 0, http: 0 }, logs: { grpc: 0, http: 0 } };
    for (const m of metrics.matchAll(/^tracelight_accepted_total\{signal="(spans|logs)",transport="(grpc|http)"\} (\d+)/gm)) {
      out[m[1] as 'spans' | 'logs'][m[2] as 'grpc' | 'http'] = Number(m[3]);
    }
    return out;
  }

  /** Runs sdk_agent.py and returns its result with the spans / log records tracelight accepted meanwhile. */
  async function runAgent(bin: string, rollout: string, env: Record<string, string>): Promise<{ run: ScriptRun<AgentResult>; accepted: Accepted }> {
    const before = await accepted();
    const run = await runScript<AgentResult>(bin, 'sdk_agent.py', [model.url, rollout, `${rollout}-a1`], env);
    // Everything the script sent was acknowledged before it exited (the SDK's exit hook flushes and waits).
    const after = await accepted();
    const delta: Accepted = { spans: { grpc: 0, http: 0 }, logs: { grpc: 0, http: 0 } };
    for (const signal of ['spans', 'logs'] as const) for (const t of ['grpc', 'http'] as const) delta[signal][t] = after[signal][t] - before[signal][t];
    expect(run.stderr).not.toMatch(/Traceback|Failed to export|UNIMPLEMENTED|metrics/i);
    return { run, accepted: delta };
  }

  /** The two rollouts sdk_agent.py runs, as triplets: one call rewarded `correct`, then two concurrent calls. */
  async function expectAgentTriplets(
    result: AgentResult,
    rollout: string,
    agent: string,
    content = true,
    instrumentation = 'opentelemetry-instrumentation-openai-v2',
  ): Promise<void> {
    expect(result.answer).toBe('84');
    expect(result.async_answers).toEqual(['42', '42']);
    expect(result.rollout).toBe(rollout);
    expect(result.async_rollout).toMatch(/^ro-[0-9a-f]{32}$/);
    expect(result.instrumented).toEqual(['openai']);
    expect(result.instrumentations).toEqual([instrumentation]);
    expect(result.idempotent).toBe(true);

    const [t] = await triplets(rollout, 1);
    expect(t!.attempt_id).toBe(`${rollout}-a1`);
    expect(t!.agent).toBe(agent);
    expect(t!.model).toBe('sim-small');
    expect(t!.reward).toBe(1);
    expect(t!.reward_name).toBe('correct');
    expect(t!.rewards).toEqual({ correct: 1 });
    expect(t!.usage.input_tokens).toBeGreaterThan(0);
    if (content) {
      expect(chat(t!)).toEqual([
        ['system', SYSTEM],
        ['user', 'What is 12 * (3 + 4)?'],
      ]);
      expect(text(t!.response)).toBe('84');
    } else {
      expect(t!.prompt).toEqual([]);
      expect(t!.response).toBeNull();
    }

    const both = await triplets(result.async_rollout, 2);
    expect(both.map((x) => x.attempt_id)).toEqual(['', '']);
    expect(both.map((x) => [x.reward, x.reward_name])).toEqual([
      [1, 'reward'],
      [1, 'reward'],
    ]);
    expect(new Set(both.map((x) => x.trace_id)).size).toBe(1);
    if (content) {
      expect(both.map((x) => chat(x)[1]![1]).sort()).toEqual(['What is 100 - 58?', 'What is 6 * 7?']);
      expect(both.map((x) => text(x.response))).toEqual(['42', '42']);
    }
  }

  describe('init()', () => {
    it('with nothing set but OTEL_EXPORTER_OTLP_ENDPOINT: OTLP/HTTP protobuf, content captured, rollout ids and rewards in the triplets', async () => {
      const { run, accepted: got } = await runAgent(python, 'py-default', { OTEL_EXPORTER_OTLP_ENDPOINT: server.httpUrl });
      expect(run.result).toMatchObject({
        capture_content: true,
        capture_setting: 'SPAN_ONLY', // util-genai 1.1b0's vocabulary; `true` would mean NO_CONTENT there
        protocols: { traces: 'http/protobuf', logs: 'http/protobuf' },
      });
      // Two rollout roots and three chat spans; content on the spans (SPAN_ONLY), so no log records; no metrics at all.
      expect(got).toEqual({ spans: { http: 5, grpc: 0 }, logs: { http: 0, grpc: 0 } });
      await expectAgentTriplets(run.result, 'py-default', run.result.service_name);
      expect(run.result.service_name).toMatch(/^unknown_service/);
    });

    it('OTEL_EXPORTER_OTLP_PROTOCOL=grpc to the gRPC port; OTEL_SERVICE_NAME; the capture variable given as `true` is translated', async () => {
      const { run, accepted: got } = await runAgent(python, 'py-grpc', {
        OTEL_EXPORTER_OTLP_ENDPOINT: grpcEndpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_SERVICE_NAME: 'py-sdk-grpc',
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
      });
      expect(run.result).toMatchObject({ capture_setting: 'SPAN_ONLY', protocols: { traces: 'grpc', logs: 'grpc' }, service_name: 'py-sdk-grpc' });
      expect(got).toEqual({ spans: { grpc: 5, http: 0 }, logs: { grpc: 0, http: 0 } });
      await expectAgentTriplets(run.result, 'py-grpc', 'py-sdk-grpc');
    });

    it('keeps a mode the installed instrumentation understands: EVENT_ONLY sends the content as log records', async () => {
      const { run, accepted: got } = await runAgent(python, 'py-events', {
        OTEL_EXPORTER_OTLP_ENDPOINT: server.httpUrl,
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'EVENT_ONLY',
        OTEL_RESOURCE_ATTRIBUTES: 'service.name=py-sdk-events,deployment.environment=test',
      });
      expect(run.result.capture_setting).toBe('EVENT_ONLY');
      // One gen_ai.client.inference.operation.details record per call, joined to its span by tracelight.
      expect(got).toEqual({ spans: { http: 5, grpc: 0 }, logs: { http: 3, grpc: 0 } });
      await expectAgentTriplets(run.result, 'py-events', 'py-sdk-events');
    });

    it('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=false turns content off (the calls and rewards still arrive)', async () => {
      const off = await runAgent(python, 'py-off', {
        OTEL_EXPORTER_OTLP_ENDPOINT: server.httpUrl,
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'false',
      });
      expect(off.run.result).toMatchObject({ capture_content: false, capture_setting: 'NO_CONTENT' });
      await expectAgentTriplets(off.run.result, 'py-off', off.run.result.service_name, false);
    });

    it('OTel 1.39 with util-genai 0.4b0 (semconv 1.30 path): `true`, content as per-message log records, over gRPC', async () => {
      const { run, accepted: got } = await runAgent(pythonSemconv130, 'py-semconv130', {
        OTEL_EXPORTER_OTLP_ENDPOINT: grpcEndpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_SERVICE_NAME: 'py-sdk-semconv130',
      });
      expect(run.result).toMatchObject({ capture_content: true, capture_setting: 'true', protocols: { traces: 'grpc', logs: 'grpc' } });
      // system + user + choice records for each of the three calls.
      expect(got).toEqual({ spans: { grpc: 5, http: 0 }, logs: { grpc: 9, http: 0 } });
      await expectAgentTriplets(run.result, 'py-semconv130', 'py-sdk-semconv130');
    });

    it('turns on OpenInference’s OpenAI instrumentation when it is the one installed (openai 3.x)', async () => {
      const { run, accepted: got } = await runAgent(pythonOpenInference, 'py-openinference', {
        OTEL_EXPORTER_OTLP_ENDPOINT: server.httpUrl,
        OTEL_SERVICE_NAME: 'py-sdk-openinference',
      });
      expect(run.result.capture_content).toBe(true);
      expect(got).toEqual({ spans: { http: 5, grpc: 0 }, logs: { http: 0, grpc: 0 } });
      await expectAgentTriplets(run.result, 'py-openinference', 'py-sdk-openinference', true, 'openinference-instrumentation-openai');
    });

    it('honours OTEL_TRACES_SAMPLER, OTEL_SDK_DISABLED, OTEL_TRACES_EXPORTER=console, and OTEL_RESOURCE_ATTRIBUTES over the code’s attributes', async () => {
      interface Probe {
        recording: boolean;
        instrumented: string[];
        flushed: boolean;
        resource: Record<string, string | null>;
      }
      const probe = (env: Record<string, string>): Promise<ScriptRun<Probe>> =>
        runScript<Probe>(python, 'sdk_probe.py', [], { OTEL_EXPORTER_OTLP_ENDPOINT: server.httpUrl, ...env });
      const [on, off, disabled, printed] = await Promise.all([
        probe({}),
        probe({ OTEL_TRACES_SAMPLER: 'always_off' }),
        probe({ OTEL_SDK_DISABLED: 'true' }),
        probe({ OTEL_TRACES_EXPORTER: 'console', OTEL_SERVICE_NAME: 'probe', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=from-env' }),
      ]);
      expect([on, off, disabled, printed].map((r) => r.result.recording)).toEqual([true, false, false, true]);
      expect([on, off, disabled, printed].map((r) => r.result.instrumented)).toEqual([['openai'], ['openai'], [], ['openai']]);
      expect(on.result.resource).toEqual({
        'service.name': expect.stringMatching(/^unknown_service/),
        'deployment.environment': 'from-code',
        team: 'from-code',
      });
      // The deployment has the last word over the code's defaults, as in the TypeScript SDK.
      expect(printed.result.resource).toEqual({ 'service.name': 'probe', 'deployment.environment': 'from-env', team: 'from-code' });
      expect(printed.stdout).toContain('"name": "tracelight.rollout"');
      expect(on.stdout).not.toContain('"name": "tracelight.rollout"');
      for (const r of [on, off, disabled, printed]) expect(r.stderr).toBe('');
    });
  });

  describe('against a server that demands a key', () => {
    const KEY = 'k-python-sdk';
    let keyedDir: string;
    let keyed: CliServer;

    beforeAll(async () => {
      keyedDir = mkdtempSync(join(tmpdir(), 'tl-python-sdk-keyed-'));
      keyed = await startCliServer({ dataDir: keyedDir, args: ['--api-key', KEY] });
    }, 120_000);
    afterAll(async () => {
      await keyed?.stop();
      if (keyedDir) rmSync(keyedDir, { recursive: true, force: true });
    });

    async function keyedApi<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await fetch(`${keyed.httpUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const raw = await res.text();
      expect(res.status, `${method} ${path}: ${raw}`).toBeLessThan(300);
      return (raw ? JSON.parse(raw) : null) as T;
    }

    async function keyedTriplet(rollout: string): Promise<Triplet> {
      const [t] = await eventually(async () => {
        const { triplets: ts } = await keyedApi<{ triplets: Triplet[] }>('GET', `/api/v1/triplets?rollout=${encodeURIComponent(rollout)}`);
        return ts.length > 0 && ts.every((x) => x.reward !== null) ? ts : null;
      }, `the triplets of ${rollout} on the keyed server`);
      return t!;
    }

    it('TRACELIGHT_API_KEY is sent as OTLP/gRPC metadata; the bearer key in OTEL_EXPORTER_OTLP_HEADERS lets the runner’s REST calls in; no key stops the runner', async () => {
      const run = await runScript<AgentResult>(python, 'sdk_agent.py', [model.url, 'py-keyed', 'py-keyed-a1'], {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${keyed.grpcPort}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        TRACELIGHT_API_KEY: KEY,
      });
      expect(run.stderr).not.toMatch(/UNAUTHENTICATED|Failed to export|Traceback/i);
      const t = await keyedTriplet('py-keyed');
      expect([t.attempt_id, text(t.response), t.reward, t.reward_name]).toEqual(['py-keyed-a1', '84', 1, 'correct']);

      await keyedApi('POST', '/api/v1/resources/sdk-system/versions', { kind: 'prompt_template', content: { template: SYSTEM }, labels: ['production'] });
      const [rollout] = await keyedApi<Array<{ rollout_id: string }>>('POST', '/api/v1/rollouts', [
        { input: { question: 'What is 6 * 7?', expected: '42' }, mode: 'train', resources: { 'sdk-system': 'production' } },
      ]);
      const worker = await runScript<{ stats: Record<string, number> }>(python, 'sdk_runner.py', [model.url, 'sync'], {
        OTEL_EXPORTER_OTLP_ENDPOINT: keyed.httpUrl,
        OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer%20${KEY}`,
      });
      expect(worker.result.stats).toEqual({ claimed: 1, succeeded: 1, failed: 0, request_errors: 0, complete_errors: 0 });
      const done = await keyedTriplet(rollout!.rollout_id);
      expect([text(done.response), done.reward]).toEqual(['42', 1]);

      await expect(runScript(python, 'sdk_runner.py', [model.url, 'sync'], { OTEL_EXPORTER_OTLP_ENDPOINT: keyed.httpUrl })).rejects.toThrow(
        /ApiError: POST \/api\/v1\/rollouts\/claim: HTTP 401 — [^\n]+/,
      );
    });
  });

  describe('with_rollout(), baggage and reward()', () => {
    it('puts the ids on the root span and on every span inside (await, tasks, a thread given the context); reward() targets and refusals', async () => {
      const { result: r } = await runScript<Record<string, any>>(python, 'sdk_spans.py', [], { OTEL_EXPORTER_OTLP_ENDPOINT: server.httpUrl });
      expect(r.idempotent).toBe(true);
      expect(r.current_rollout).toEqual(['r-bag', 'a-bag']);
      expect(r.current_rollout_after).toBe(true);
      // A rollout is a trace of its own, even when opened inside another span.
      expect(r.root).toEqual({ identity: ['r-bag', 'a-bag', '3'], has_parent: false, same_trace_as_outer: false, scope: 'tracelight-sdk' });
      for (const [name, got] of Object.entries(r.children as Record<string, unknown[]>)) expect(got, name).toEqual(['r-bag', 'a-bag', '3', true]);
      expect(Object.keys(r.children)).toHaveLength(7);
      expect(r.own_id).toBe('explicit'); // a span's own attribute wins over baggage
      expect(r.after_rollout).toEqual([null, null, null]);
      expect(r.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[13]$/);
      expect(decodeURIComponent(r.baggage).split(',').sort()).toEqual([
        'tracelight.attempt.id=a-bag',
        'tracelight.resource.prompt.version=3',
        'tracelight.rollout.id=r-bag',
      ]);

      expect(r.raised).toBe('tool exploded');
      expect(r.error_root).toEqual({ status: 'ERROR', description: 'tool exploded', events: ['exception'] });
      expect(r.empty_id).toBe('with_rollout: rollout_id must be a non-empty string');
      expect(r.decorated_ids).toHaveLength(2);
      expect(r.decorated_ids[0]).not.toBe(r.decorated_ids[1]);

      expect(r.reward).toEqual({
        on_step_is_step: true,
        on_root_is_root: true,
        step_events: [
          {
            'gen_ai.evaluation.name': 'step_quality',
            'gen_ai.evaluation.score.value': 0.25,
            'gen_ai.evaluation.score.label': 'ok',
            'gen_ai.evaluation.explanation': 'close enough',
          },
        ],
        root_events: [{ 'gen_ai.evaluation.name': 'correct', 'gen_ai.evaluation.score.value': 1, 'tracelight.reward.primary': true }],
        lone_name: 'tracelight.reward',
        lone_events: [{ 'gen_ai.evaluation.name': 'reward', 'gen_ai.evaluation.score.value': -2 }],
      });
      expect(r.refused).toEqual({
        nan: 'ValueError: reward: value must be a finite number, got nan',
        inf: 'ValueError: reward: value must be a finite number, got inf',
        string: 'TypeError: reward: value must be a finite number, got str',
        none: 'TypeError: reward: value must be a finite number, got NoneType',
        bool: 'TypeError: reward: value must be a finite number, got bool',
        empty_name: 'ValueError: reward: name must not be empty',
        label: 'TypeError: reward: label must be a string',
        primary: 'TypeError: reward: primary must be a boolean',
      });
      expect(r.flushed).toBe(true);

      // The same spans reached tracelight over OTLP: the rewards became the rollouts' rewards.
      const stored = await eventually(async () => {
        const { triplets: none } = await api<{ triplets: Triplet[] }>('GET', '/api/v1/triplets?rollout=r-rew');
        const { rows } = await api<{ rows: Array<{ n: string }> }>('POST', '/api/v1/query', {
          sql: "SELECT count() AS n FROM otel_traces WHERE SpanAttributes['tracelight.rollout.id'] = 'r-bag'",
        });
        return Number(rows[0]?.n) === 9 ? none : null;
      }, 'the r-bag spans in otel_traces');
      expect(stored).toEqual([]); // no LLM call in r-rew: rewards alone make no triplet
    });
  });

  describe('resources', () => {
    it('fetches by label and version, revalidates with the ETag (304), sees a moved label, records the version on the rollout, fails clearly', async () => {
      const name = 'sdk-prompt';
      proxy.requests.length = 0;
      const { result: r } = await runScript<Record<string, any>>(python, 'sdk_resources.py', [name], {
        TRACELIGHT_URL: proxy.url,
        TRACELIGHT_API_KEY: 'sdk-test-key',
        OTEL_EXPORTER_OTLP_ENDPOINT: proxy.url,
      });
      expect(r.first).toEqual({ name, version: 1, kind: 'prompt_template', content: { template: 'Solve: {{question}}' }, labels: ['production'] });
      expect(r.second_is_first).toBe(true); // the cached object, revalidated
      expect(r.rendered).toBe('Solve: 2 + 2');
      expect(r.stats_after_revalidation).toEqual({ requests: 2, not_modified: 1, cache_hits: 0, stale: 0 });
      expect(r.third).toEqual({ version: 2, content: { template: 'Solve step by step: {{question}}' }, v2: 2 });
      expect(r.pinned).toEqual([1, 1]);
      expect(r.stats).toEqual({ requests: 4, not_modified: 1, cache_hits: 1, stale: 0 });

      // What the server saw and answered: the SDK's GETs, with the ETag it kept.
      const gets = proxy.requests.filter((q) => q.method === 'GET' && q.path.startsWith(`/api/v1/resources/${name}`));
      expect(gets.map((q) => [q.path, q.status, q.ifNoneMatch])).toEqual([
        [`/api/v1/resources/${name}?label=production`, 200, null],
        [`/api/v1/resources/${name}?label=production`, 304, `"${name}@1;production"`],
        [`/api/v1/resources/${name}?label=production`, 200, `"${name}@1;production"`], // the label moved to v2
        [`/api/v1/resources/${name}?version=1`, 200, null], // fetched once, then served from memory
        [`/api/v1/resources/${name}`, 200, null],
      ]);
      // TRACELIGHT_API_KEY is the bearer key of the REST calls and of the OTLP export alike.
      const traces = proxy.requests.filter((q) => q.method === 'POST' && q.path === '/v1/traces');
      expect(traces.length).toBeGreaterThan(0);
      for (const q of [...gets, ...traces]) expect(q.authorization, `${q.method} ${q.path}`).toBe('Bearer sdk-test-key');

      expect(r.errors.not_found).toBe('ResourceNotFoundError: resource no-such-prompt not found');
      expect(r.errors.bad_name).toMatch(/^ApiError: GET \/api\/v1\/resources\/not%20a%20name%21: HTTP 400 — name: [^\n]+$/);
      expect(r.errors.label_and_version).toBe('TypeError: resources.get: give a label or a version, not both');
      expect(r.errors.bad_version).toBe('TypeError: resources.get: version must be a positive integer');
      expect(r.stale_is_live).toBe(true);
      expect(r.stale_stats).toEqual({ requests: 2, not_modified: 0, cache_hits: 0, stale: 1 });
      expect(r.unreachable).toMatch(/^ApiConnectionError: GET \/api\/v1\/resources\/other: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/);

      // The version used went on the rollout's root span (stored in otel_traces).
      const rows = await eventually(async () => {
        const res = await api<{ rows: Array<{ v: string }> }>('POST', '/api/v1/query', {
          sql: "SELECT SpanAttributes[{k:String}] AS v FROM otel_traces WHERE SpanName = 'tracelight.rollout' AND SpanAttributes['tracelight.rollout.id'] = {r:String}",
          params: { k: `tracelight.resource.${name}.version`, r: r.rollout },
        });
        return res.rows.length > 0 ? res.rows : null;
      }, 'the rollout span of the resources script');
      expect(rows).toEqual([{ v: '2' }]);
    });

    it('render_prompt / template_variables give what the server renders (mustache.js), case by case', async () => {
      const cases: Array<[string, Record<string, unknown>]> = [
        ['Solve: {{question}}', { question: '2 + 2' }],
        ['{{#items}}\n- {{name}}\n{{/items}}\nDone', { items: [{ name: 'a' }, { name: 'b' }] }],
        ['  {{#flag}}  \n  yes\n  {{/flag}}  \nend', { flag: true }],
        ['{{^empty}}none{{/empty}}|{{#empty}}x{{/empty}}', { empty: [] }],
        ['{{#obj}}in{{k}}{{/obj}}', { obj: {}, k: '!' }],
        ['{{n}} {{f}} {{g}} {{h}} {{i}} {{j}}', { n: 1, f: 1.5e20, g: 1e-7, h: 123456789012345680000, i: -0.5, j: 2.5e-6 }],
        ['{{b}} {{nul}} {{arr}} {{o}}', { b: false, nul: null, arr: [1, null, 'x', [2, 3]], o: { a: 1 } }],
        ['{{a.b.c}} {{a.b}}', { a: { b: { c: 'deep' } } }],
        ['{{#list}}{{.}},{{/list}} {{list.length}} {{list.0}} {{s.length}}', { list: [3, 4], s: 'abc' }],
        ['{{=<% %>=}}<% x %> {{x}}', { x: 'X' }],
        ['{{! a comment }}\nline\n  {{! standalone }}\nnext', {}],
        ['<b>{{html}}</b> {{{html}}} {{&html}}', { html: '<i>&"\'</i>' }],
        ['{{#outer}}{{inner}} {{top}}{{/outer}}', { outer: { inner: 'I' }, top: 'T' }],
        ['{{missing}} and {{#sec}}{{x}}{{/sec}} {{^inv}}{{/inv}}', {}],
        ['{{#flag}}{{unchecked}}{{/flag}}', { flag: 0 }],
        ['{{#s}}[{{.}}]{{/s}}{{#n}}({{.}}){{/n}}', { s: 'str', n: 5 }],
        ['{{unclosed', {}],
        ['{{#a}}x', { a: 1 }],
        ['x{{/a}}', {}],
        ['{{#a}}x{{/b}}', { a: 1 }],
        ['{{> partial}}', {}],
        ['', {}],
        ['\r\n{{#a}}\r\nA\r\n{{/a}}\r\n', { a: true }],
        ['{{ spaced }} {{# sp }}y{{/ sp }}', { spaced: 'S', sp: 1 }],
        ['{{constructor}} {{toString}}', {}],
        ['{{a}}{{b}}', { a: '', b: 0 }],
        ['{{#list}}{{#.}}{{v}}{{/.}}{{/list}}', { list: [{ v: 1 }, { v: 2 }] }],
      ];
      const expected = cases.map(([template, vars]) => {
        let out: Record<string, unknown>;
        try {
          out = { ok: renderPrompt(template, vars) };
        } catch (err) {
          const e = err as { name: string; missing?: string[] };
          out = { error: e.name, missing: e.missing ?? null };
        }
        try {
          out.vars = templateVariables(template);
        } catch (err) {
          out.vars = (err as Error).name;
        }
        return out;
      });
      const file = join(dataDir, 'template-cases.json');
      writeFileSync(file, JSON.stringify(cases));
      const { result } = await runScript<unknown[]>(python, 'sdk_templates.py', [file], {});
      expect(result).toHaveLength(cases.length);
      result.forEach((got, i) => expect(got, JSON.stringify(cases[i]![0])).toEqual(expected[i]));
    });
  });

  describe('runner()', () => {
    interface RunnerResult {
      stats: { claimed: number; succeeded: number; failed: number; request_errors: number; complete_errors: number };
      seen: Array<{
        rollout_id: string;
        attempt_id: string;
        mode: string;
        worker_id: string;
        in_rollout: [string, string] | null;
        resources: Record<string, unknown>;
      }>;
      worker_id: string;
    }
    interface RolloutView {
      rollout_id: string;
      status: string;
      attempt_count: number;
      attempts: Array<{ attempt_id: string; worker_id: string; status: string; error: string | null; last_heartbeat_at: string | null }>;
    }
    type Input = { question: string; expected: string; slow?: boolean };
    let systemVersion: number;

    beforeAll(async () => {
      const made = await api<{ version: number }>('POST', '/api/v1/resources/sdk-system/versions', {
        kind: 'prompt_template',
        content: { template: SYSTEM },
        labels: ['production'],
      });
      systemVersion = made.version;
    });

    async function enqueue(inputs: Input[], mode?: string): Promise<string[]> {
      const made = await api<Array<{ rollout_id: string }>>(
        'POST',
        '/api/v1/rollouts',
        inputs.map((input) => ({ input, ...(mode ? { mode } : {}), resources: { 'sdk-system': 'production' } })),
      );
      return made.map((m) => m.rollout_id);
    }

    async function expectDone(ids: string[], inputs: Input[], result: RunnerResult): Promise<RolloutView[]> {
      expect(result.seen.map((s) => s.rollout_id).sort()).toEqual([...ids].sort()); // each exactly once
      for (const s of result.seen) {
        expect(s.in_rollout).toEqual([s.rollout_id, s.attempt_id]);
        expect(s.worker_id).toBe(result.worker_id);
        expect(s.resources).toEqual({ 'sdk-system': [systemVersion, 'prompt_template'] });
      }
      const views = await Promise.all(ids.map((id) => api<RolloutView>('GET', `/api/v1/rollouts/${id}`)));
      for (const [i, view] of views.entries()) {
        const input = inputs[i]!;
        const seen = result.seen.find((s) => s.rollout_id === view.rollout_id)!;
        expect(view.attempt_count, input.question).toBe(1);
        expect(view.attempts[0]!.worker_id).toBe(result.worker_id);
        expect(view.attempts[0]!.attempt_id).toBe(seen.attempt_id);
        if (!input.question) {
          expect(view.status).toBe('failed');
          expect(view.attempts[0]!.error).toBe('the agent gave up: empty question');
          continue;
        }
        expect(view.status, input.question).toBe('succeeded');
        const [t] = await triplets(view.rollout_id, 1);
        expect(t!.attempt_id).toBe(seen.attempt_id);
        expect(chat(t!)).toEqual([
          ['system', SYSTEM],
          ['user', input.question],
        ]);
        expect(text(t!.response)).toBe(input.expected);
        expect(t!.reward).toBe(1);
        expect(t!.rewards).toEqual({ reward: 1 }); // the completion's reward, stored by the queue
        // The pinned resource version travelled on the LLM call's span (baggage).
        expect(t!.resources).toEqual({ 'sdk-system': String(systemVersion) });
      }
      return views;
    }

    it('claims every enqueued rollout once (2 slots, until the queue is empty), heartbeats, completes with the reward; a raised error fails the attempt', async () => {
      const inputs: Input[] = [
        { question: 'What is 6 * 7?', expected: '42', slow: true },
        { question: 'What is 100 - 58?', expected: '42' },
        { question: 'What is 12 * (3 + 4)?', expected: '84' },
        { question: 'What is 15 divided by 3?', expected: '5' },
        { question: '', expected: '' },
      ];
      const ids = await enqueue(inputs, 'train');
      const { result } = await runScript<RunnerResult>(python, 'sdk_runner.py', [model.url, 'sync'], { OTEL_EXPORTER_OTLP_ENDPOINT: server.httpUrl });
      expect(result.stats).toEqual({ claimed: 5, succeeded: 4, failed: 1, request_errors: 0, complete_errors: 0 });
      expect(result.worker_id).toBe('py-sdk-sync');
      expect(result.seen.map((s) => s.mode)).toEqual(['train', 'train', 'train', 'train', 'train']);
      const views = await expectDone(ids, inputs, result);
      expect(views[0]!.attempts[0]!.last_heartbeat_at).not.toBeNull(); // the slow one, heartbeating every 50 ms
    });

    it('runs an async def agent (AsyncOpenAI) on the runner’s event loop', async () => {
      const inputs: Input[] = [
        { question: 'What is 6 * 7?', expected: '42' },
        { question: 'What is 15 divided by 3?', expected: '5' },
      ];
      const ids = await enqueue(inputs);
      const { result } = await runScript<RunnerResult>(python, 'sdk_runner.py', [model.url, 'async'], { OTEL_EXPORTER_OTLP_ENDPOINT: server.httpUrl });
      expect(result.stats).toEqual({ claimed: 2, succeeded: 2, failed: 0, request_errors: 0, complete_errors: 0 });
      expect(result.seen.map((s) => s.mode)).toEqual(['', '']);
      await expectDone(ids, inputs, result);
    });

    it('SIGTERM: finishes, claims no more, exits 0 with its stats', async () => {
      const inputs: Input[] = [{ question: 'What is 100 - 58?', expected: '42' }];
      const [id] = await enqueue(inputs, 'val');
      const child = spawn(python, [join(SCRIPTS, 'sdk_runner.py'), model.url, 'serve'], {
        env: { ...baseEnv(), OTEL_EXPORTER_OTLP_ENDPOINT: server.httpUrl },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        await eventually(async () => (await api<RolloutView>('GET', `/api/v1/rollouts/${id}`)).status === 'succeeded', 'the served rollout to succeed');
        child.kill('SIGTERM');
        const code = await Promise.race([exited, sleep(15_000).then(() => 'still running')]);
        expect(code, stderr).toBe(0);
      } finally {
        child.kill('SIGKILL');
      }
      expect(stderr).toContain('tracelight runner: SIGTERM: finishing 0 running attempt(s), claiming no more');
      const result = JSON.parse(lastJsonLine(stdout)!) as RunnerResult;
      expect(result.stats).toEqual({ claimed: 1, succeeded: 1, failed: 0, request_errors: 0, complete_errors: 0 });
      expect(result.seen.map((s) => s.mode)).toEqual(['val']);
      await expectDone([id!], inputs, result);
    });

    it('a rejected key stops it with the error; an unreachable server is retried; a lost attempt is signalled; a failed completion is retried', async () => {
      const { result: r } = await runScript<Record<string, any>>(python, 'sdk_runner_faults.py', [], {});
      expect(r.fatal).toBe('ApiError: POST /api/v1/rollouts/claim: HTTP 401 — unauthorized: missing or invalid API key');
      expect(r.fatal_stats).toEqual({ claimed: 0, succeeded: 0, failed: 0, request_errors: 1, complete_errors: 0 });
      expect(r.unreachable_stats).toMatchObject({ claimed: 0, succeeded: 0, failed: 0, complete_errors: 0 });
      expect(r.unreachable_stats.request_errors).toBeGreaterThanOrEqual(3);
      expect(r.lost_stats).toEqual({ claimed: 1, succeeded: 1, failed: 0, request_errors: 0, complete_errors: 0 });
      expect(r.lost_log.map((e: unknown[]) => e[1])).toEqual(['claim', 'heartbeat', 'complete', 'claim']);
      expect(r.lost_log[2][2]).toEqual({ status: 'succeeded', reward: 1 }); // the agent saw ctx.lost set
      expect(r.flaky_stats).toEqual({ claimed: 1, succeeded: 1, failed: 0, request_errors: 1, complete_errors: 0 });
      expect(r.flaky_completes).toEqual([
        { status: 'succeeded', reward: 0.5 },
        { status: 'succeeded', reward: 0.5 },
      ]);
    });
  });
});
