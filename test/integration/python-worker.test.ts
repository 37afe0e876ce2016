// The example Python worker (requests + stock OpenTelemetry only) takes part in training like any other:
// it claims rollouts, runs them with the pinned prompt resource, its spans become triplets, and it
// completes each attempt with a reward.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/server.js';
import { startSimulatedModel, type SimulatedModelServer } from '../../examples/simulated-model/index.js';
import { REPO_ROOT } from '../support/cli-process.js';
import { pythonEnv } from '../support/python-env.js';

const run = promisify(execFile);
const WORKER = join(REPO_ROOT, 'examples', 'python-worker', 'worker.py');

describe('example Python worker', () => {
  let dir: string;
  let python: string;
  let server: RunningServer;
  let model: SimulatedModelServer;

  beforeAll(async () => {
    const requirements = (await readFile(join(REPO_ROOT, 'examples', 'python-worker', 'requirements.txt'), 'utf8')).split('\n').filter((l) => l.trim());
    python = await pythonEnv('python-worker', requirements);
    dir = await mkdtemp(join(tmpdir(), 'tl-pyworker-'));
    server = await startServer({ host: '127.0.0.1', port: 0, grpcPort: null, store: { dataDir: dir } });
    model = await startSimulatedModel({ port: 0 });
  }, 600_000);
  afterAll(async () => {
    await server?.close();
    await model?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const api = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await fetch(`${server.httpUrl}${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    expect(res.status, `${method} ${path}`).toBeLessThan(300);
    return res.json();
  };

  it('claims, runs with the pinned prompt, reports spans and rewards, and completes every rollout once', async () => {
    const template = 'Solve the problem step by step, then answer with only the final number.\n{{question}}';
    const version = await api('POST', '/api/v1/resources/prompt/versions', { kind: 'prompt_template', content: { template }, labels: ['production'] });
    const problems = [
      { question: 'Tom has 3 boxes of 12 apples and gives away 7. How many apples are left?', answer: 29 },
      { question: 'A baker makes 24 muffins a day for 5 days. How many muffins does he make?', answer: 120 },
      { question: 'What is 6 * 7?', answer: 42 },
    ];
    const enqueued: { rollout_id: string }[] = await api(
      'POST',
      '/api/v1/rollouts',
      problems.map((input) => ({ input, mode: 'train', resources: { prompt: 'production' } })),
    );
    const { stdout } = await run(python, [WORKER, '--until-empty', '--wait-ms', '300', '--worker-id', 'py-test'], {
      env: { ...process.env, TRACELIGHT_URL: server.httpUrl, OPENAI_BASE_URL: model.url, OPENAI_API_KEY: 'unused', OTEL_SERVICE_NAME: 'python-worker-test' },
      timeout: 120_000,
    });
    expect(JSON.parse(stdout.trim().split('\n').pop() as string)).toEqual({ succeeded: 3, failed: 0 });

    for (const [i, { rollout_id }] of enqueued.entries()) {
      const r = await api('GET', `/api/v1/rollouts/${rollout_id}`);
      expect(r.status).toBe('succeeded');
      expect(r.attempts.map((a: { worker_id: string; status: string }) => [a.worker_id, a.status])).toEqual([['py-test', 'succeeded']]);
      const { triplets } = await api('GET', `/api/v1/triplets?rollout=${rollout_id}&policy=final`);
      expect(triplets).toHaveLength(1);
      const t = triplets[0];
      expect(t.attempt_id).toBe(r.attempts[0].attempt_id);
      expect(t.prompt).toEqual([{ role: 'user', parts: [{ type: 'text', content: template.replace('{{question}}', problems[i]!.question) }] }]);
      expect(t.response.role).toBe('assistant');
      expect(t.response.parts[0].content).toMatch(new RegExp(`${problems[i]!.answer}\\s*$`));
      expect(t.reward).toBe(1);
      expect(t.rewards).toEqual({ correct: 1, reward: 1 });
      expect(t.resources).toEqual({ prompt: String(version.version) });
      expect(t.usage.input_tokens).toBeGreaterThan(0);
    }
  });
});
