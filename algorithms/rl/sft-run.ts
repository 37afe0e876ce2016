// SFT as a job: the rollouts recorded since the job's watermark, kept by reward (rejection sampling per task),
// become chat fine-tuning examples; the reference trainer fine-tunes the current model version on them, and the
// result is published as its next version, like a GRPO update. Too few examples skip the run (its data is read
// again next time), they do not fail it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AlgorithmResult, JobPorts, RunContext } from '../algorithm.js';
import { ConfigError } from '../apo/config.js';
import type { SftConfig } from './config.js';
import { sftRecords } from './exports.js';
import { groupRollouts } from './grpo.js';
import { checkpointOf, publish, runDir } from './publish.js';
import { trainSft } from './trainer-bridge.js';

export async function runSft(cfg: SftConfig, ports: JobPorts, ctx: RunContext): Promise<AlgorithmResult & { reason?: string }> {
  if (!ports.data?.rolloutsInWindow) throw new ConfigError('sft needs the training data of the job window');
  const parent = await ports.resources.resolve(cfg.model, { label: cfg.label });
  const checkpoint = checkpointOf(parent);
  const { rollouts, agents } = await ports.data.rolloutsInWindow({ sinceNs: ctx.window.sinceNs, untilNs: ctx.window.untilNs, agent: cfg.select.agent });
  const groups = groupRollouts(rollouts);
  const examples = sftRecords(groups, {
    format: 'openai',
    minReward: cfg.select.min_reward,
    topPercent: cfg.select.top_percent,
    ...(agents ? { agent: (a: string) => agents.has(a) } : {}),
  });
  ctx.emit({
    event: 'run_started',
    run_id: ctx.runId,
    job: ctx.job,
    algorithm: 'sft',
    model: cfg.model,
    start_version: parent.version,
    rollouts: rollouts.length,
    tasks: groups.length,
    examples: examples.length,
  });
  const base = { rollouts: rollouts.length, baseline: null, best: null, bestVersion: null, promoted: false };
  if (examples.length < cfg.min_examples) {
    return {
      ...base,
      status: 'skipped',
      reason: `${examples.length} examples selected, fewer than min_examples (${cfg.min_examples})`,
      metrics: { examples: examples.length },
      resources: null,
    };
  }
  const dir = runDir(ctx, cfg.checkpoints);
  const dataFile = join(dir, 'sft.jsonl');
  writeFileSync(dataFile, examples.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const out = join(dir, 'sft');
  const t0 = performance.now();
  const train = await trainSft(
    { python: cfg.trainer.python, device: cfg.trainer.device, timeoutMs: cfg.trainer.timeout_seconds * 1000 },
    checkpoint,
    dataFile,
    out,
    {
      lr: cfg.trainer.lr,
      epochs: cfg.trainer.epochs,
      lora: cfg.trainer.lora,
    },
  );
  const num = (k: string): number | null => (typeof train[k] === 'number' ? (train[k] as number) : null);
  const metrics: Record<string, number> = {
    examples: examples.length,
    rollouts: rollouts.length,
    'train.seconds': Math.round((performance.now() - t0) / 100) / 10,
  };
  for (const k of ['loss_before', 'loss_after', 'tokens']) if (num(k) !== null) metrics[`sft.${k}`] = num(k) as number;
  const v = await publish(ports.resources, {
    model: cfg.model,
    label: cfg.label,
    parent,
    checkpoint: out,
    step: 1,
    metrics,
    runId: ctx.runId,
    policyServer: cfg.policy_server,
  });
  ctx.emit({ event: 'trained', algorithm: 'sft', examples: examples.length, train, version: v.version });
  return {
    ...base,
    status: 'succeeded',
    baseline: num('loss_before'),
    best: num('loss_after'),
    bestVersion: v.version,
    promoted: true,
    metrics,
    resources: { resource: cfg.model, versions: [v.version], labels: { [cfg.label]: v.version } },
  };
}
