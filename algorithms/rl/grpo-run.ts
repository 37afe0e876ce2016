// The GRPO loop over live agents: each iteration enqueues n rollouts of every task pinned to the current policy
// version, waits for the workers (running the agent through the LLM proxy, which records token ids), builds the
// batch from the traces, runs one trainer update, and publishes the result as the next version of the model
// resource under the label the proxy routes by. The next iteration's rollouts then sample the new policy.
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { assembleTriplets, type Rollout } from '../../training/triplets.js';
import type { AlgorithmResult, JobPorts, RunContext } from '../algorithm.js';
import { ConfigError } from '../apo/config.js';
import type { EnqueueRequest } from '../ports.js';
import type { GrpoConfig } from './config.js';
import { buildGrpoBatch, groupRollouts } from './grpo.js';
import { checkpointOf, publish, runDir } from './publish.js';
import { tokenizeCalls, trainGrpo, type TrainerMetrics } from './trainer-bridge.js';
import { toChat } from './chat-messages.js';

export interface IterationSummary {
  iteration: number;
  mean_reward: number | null;
  rollouts: number;
  samples: number;
  version: number | null;
  seconds: { rollouts: number; batch: number; training: number; publishing: number };
}

export interface GrpoResult extends AlgorithmResult {
  iterations: IterationSummary[];
}

/** Short waits, so progress shows while the workers run. */
const WAIT_SLICE_MS = 1000;

/** The rollouts that reached a final status in time, by id, with that status. */
async function waitAll(
  queue: NonNullable<JobPorts['queue']>,
  ids: string[],
  timeoutMs: number,
  progress: (done: number) => void,
): Promise<Map<string, string>> {
  const done = new Map<string, string>();
  const deadline = Date.now() + timeoutMs;
  while (done.size < ids.length && Date.now() < deadline) {
    const open = ids.filter((id) => !done.has(id));
    const before = done.size;
    for (const f of await queue.wait(open, Math.min(WAIT_SLICE_MS, Math.max(1, deadline - Date.now())))) done.set(f.rollout_id, f.status);
    if (done.size !== before) progress(done.size);
  }
  return done;
}

/**
 * The finished rollouts' traces: a worker may complete an attempt before the proxy's spans of it are stored, so
 * this reads again (briefly) until every rollout in `expected` (the succeeded ones: a failed attempt may have
 * made no call) shows its calls.
 */
async function rolloutsWithCalls(
  read: (ids: string[]) => Promise<Rollout[]>,
  ids: string[],
  expected: readonly string[],
  patienceMs = 15_000,
): Promise<Rollout[]> {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    const rs = await read(ids);
    const seen = new Set(rs.filter((r) => r.calls.length > 0).map((r) => r.rollout_id));
    if (expected.every((id) => seen.has(id)) || Date.now() >= deadline) return rs;
    await sleep(250);
  }
}

type Ids = { prompt: number[]; response: number[] };

/**
 * Token ids for the calls that were recorded without them (an agent that did not go through the proxy): the
 * engine's ids are always preferred, and these are counted as retokenized in the iteration's metrics.
 */
async function idsForCallsWithout(
  rollouts: readonly Rollout[],
  tokenize: (calls: { key: string; messages: unknown[]; response: string }[]) => Promise<Map<string, Ids>>,
): Promise<Map<string, Ids>> {
  const calls = rollouts
    .flatMap((r) => assembleTriplets(r, { policy: 'final' }))
    .filter((t) => t.response !== null && !t.token_ids?.response.length)
    .map((t) => ({
      key: `${t.trace_id}/${t.span_id}`,
      messages: toChat(t.prompt),
      response: toChat([t.response as NonNullable<typeof t.response>])[0]?.content ?? '',
    }));
  return calls.length ? tokenize(calls) : new Map();
}

const secs = (t0: number): number => Math.round((performance.now() - t0) / 100) / 10;

export async function runGrpo(cfg: GrpoConfig, ports: JobPorts, ctx: RunContext): Promise<GrpoResult> {
  const { queue, data } = ports;
  if (!queue) throw new ConfigError('grpo needs workers running the agent: run it where the rollout queue is served (train grpo, or serve --config)');
  if (!data?.rollouts) throw new ConfigError('grpo needs the training data of its rollouts');
  const readRollouts = data.rollouts.bind(data);
  let current = await ports.resources.resolve(cfg.model, { label: cfg.label });
  let checkpoint = checkpointOf(current);
  const dir = runDir(ctx, cfg.checkpoints);
  const trainer = { python: cfg.trainer.python, device: cfg.trainer.device, timeoutMs: cfg.trainer.timeout_seconds * 1000 };
  ctx.emit({
    event: 'run_started',
    run_id: ctx.runId,
    job: ctx.job,
    algorithm: 'grpo',
    model: cfg.model,
    start_version: current.version,
    tasks: cfg.tasks.length,
    rollouts_per_task: cfg.rollouts_per_task,
    iterations: cfg.iterations,
  });

  const iterations: IterationSummary[] = [];
  let rolloutsSpent = 0;
  for (let it = 1; it <= cfg.iterations; it++) {
    let t = performance.now();
    const items: EnqueueRequest[] = [];
    const tasks: number[] = [];
    cfg.tasks.forEach((input, task) => {
      for (let k = 0; k < cfg.rollouts_per_task; k++) {
        items.push({
          input,
          mode: 'train',
          resources: { [cfg.model]: current.version },
          ...(cfg.rollout_config ? { config: cfg.rollout_config } : {}),
          metadata: { run: ctx.runId, iteration: it, task },
        });
      }
    });
    const ids = await queue.enqueue(items);
    const taskOf = new Map(ids.map((id, i) => [id, `task-${tasks[i]}`]));
    const finished = await waitAll(queue, ids, cfg.rollout_timeout_seconds * 1000, (done) =>
      ctx.emit({ event: 'progress', phase: 'rollouts', iteration: it, iterations: cfg.iterations, done, total: ids.length }),
    );
    ctx.emit({ event: 'progress', phase: 'training', iteration: it, iterations: cfg.iterations, done: 0, total: 1 });
    rolloutsSpent += ids.length;
    const rolloutSeconds = secs(t);

    t = performance.now();
    const succeeded = [...finished].filter(([, status]) => status === 'succeeded').map(([id]) => id);
    const rollouts = await rolloutsWithCalls(readRollouts, [...finished.keys()], succeeded);
    const retokenized = await idsForCallsWithout(rollouts, (calls) => tokenizeCalls(trainer, checkpoint, calls, dir));
    const batch = buildGrpoBatch(
      groupRollouts(rollouts, (r) => taskOf.get(r.rollout_id) ?? null),
      {
        credit: cfg.credit,
        gamma: cfg.gamma,
        scaleByStd: cfg.scale_by_std,
        maxTokens: cfg.max_tokens,
        retokenize: (t) => retokenized.get(`${t.trace_id}/${t.span_id}`) ?? null,
      },
    );
    const batchFile = join(dir, `batch-${it}.jsonl`);
    writeFileSync(batchFile, batch.samples.map((s) => JSON.stringify(s)).join('\n') + (batch.samples.length ? '\n' : ''));
    const batchSeconds = secs(t);

    t = performance.now();
    let train: TrainerMetrics | null = null;
    let version: number | null = null;
    let publishSeconds = 0;
    if (batch.samples.length > 0) {
      const out = join(dir, `iter-${it}`);
      train = await trainGrpo(trainer, checkpoint, batchFile, out, {
        lr: cfg.trainer.lr,
        epochs: cfg.trainer.epochs,
        clip: cfg.trainer.clip,
        klBeta: cfg.trainer.kl_beta,
        lora: cfg.trainer.lora,
      });
      const trainSeconds = secs(t);
      t = performance.now();
      current = await publish(ports.resources, {
        model: cfg.model,
        label: cfg.label,
        parent: current,
        checkpoint: out,
        step: it,
        metrics: { 'grpo.iteration': it, ...(batch.metrics.mean_reward !== null ? { 'rollouts.mean_reward': batch.metrics.mean_reward } : {}) },
        runId: ctx.runId,
        policyServer: cfg.policy_server,
      });
      checkpoint = out;
      version = current.version;
      publishSeconds = secs(t);
      iterations.push({
        iteration: it,
        mean_reward: batch.metrics.mean_reward,
        rollouts: ids.length,
        samples: batch.samples.length,
        version,
        seconds: { rollouts: rolloutSeconds, batch: batchSeconds, training: trainSeconds, publishing: publishSeconds },
      });
    } else {
      iterations.push({
        iteration: it,
        mean_reward: batch.metrics.mean_reward,
        rollouts: ids.length,
        samples: 0,
        version: null,
        seconds: { rollouts: rolloutSeconds, batch: batchSeconds, training: 0, publishing: 0 },
      });
    }
    const s = iterations[iterations.length - 1] as IterationSummary;
    ctx.emit({
      event: 'iteration',
      iteration: it,
      iterations: cfg.iterations,
      mean_reward: s.mean_reward,
      rollouts: ids.length,
      finished: finished.size,
      samples: batch.samples.length,
      groups_used: batch.metrics.groups_used,
      dropped: batch.metrics.dropped,
      ...(batch.metrics.retokenized ? { retokenized: batch.metrics.retokenized } : {}),
      version,
      ...(train ? { train } : { update: 'skipped: no usable samples' }),
      seconds: s.seconds,
    });
  }

  const rewards = iterations.map((i) => i.mean_reward).filter((r): r is number => r !== null);
  const metrics: Record<string, number> = { iterations: iterations.length, rollouts: rolloutsSpent };
  for (const i of iterations) if (i.mean_reward !== null) metrics[`reward.iteration.${i.iteration}`] = i.mean_reward;
  const last = iterations.filter((i) => i.version !== null).at(-1);
  return {
    status: 'succeeded',
    rollouts: rolloutsSpent,
    baseline: rewards[0] ?? null,
    best: rewards.length ? Math.max(...rewards) : null,
    bestVersion: last?.version ?? null,
    promoted: last !== undefined,
    metrics,
    resources: {
      resource: cfg.model,
      versions: iterations.filter((i) => i.version !== null).map((i) => ({ iteration: i.iteration, version: i.version })),
      labels: last ? { [cfg.label]: last.version as number } : {},
    },
    iterations,
  };
}
