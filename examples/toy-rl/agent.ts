// The toy agent: one chat call per rollout through tracelight's LLM proxy (the URL prefix names the rollout and
// attempt, so the agent needs no OpenTelemetry of its own), its reward computed from the answer and reported
// when it completes the attempt. Run by the SDK's runner, like any worker.
import { runner, type Runner } from '../../instrumentation/sdk/runner.js';
import { MAX_TOKENS, toyReward, type ToyTask } from './task.js';

export interface ToyWorkerOptions {
  /** tracelight's base URL (the rollout queue). */
  server: string;
  /** The LLM proxy's base URL (no /v1). */
  proxy: string;
  model: string;
  concurrency?: number;
  temperature?: number;
}

export function startToyWorkers(o: ToyWorkerOptions): Runner {
  return runner<ToyTask>({
    server: o.server,
    concurrency: o.concurrency ?? 4,
    init: false,
    waitMs: 1000,
    heartbeatMs: 5000,
    handleSignals: false,
    logger: { info: () => undefined, warn: () => undefined, error: (m) => process.stderr.write(`toy worker: ${m}\n`) },
    agent: async (task, _resources, ctx) => {
      const res = await fetch(`${o.proxy}/rollout/${encodeURIComponent(ctx.rolloutId)}/attempt/${encodeURIComponent(ctx.attemptId)}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: o.model, messages: [{ role: 'user', content: task.prompt }], max_tokens: MAX_TOKENS, temperature: o.temperature ?? 1 }),
        signal: ctx.signal,
      });
      if (!res.ok) throw new Error(`the model answered HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
      const body = (await res.json()) as { choices: { message: { content: string | null } }[] };
      return toyReward(body.choices[0]?.message.content ?? '', task.kind);
    },
  });
}
