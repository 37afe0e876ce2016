// `tracelight rollouts enqueue | list | cancel` and the queue half of `rollouts show`: through a running
// server (which owns the queue), or directly on the store when none runs (the next `serve` picks the
// changes up when it reloads the queue).
import { describeZodError } from '../schemas/errors.js';
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { EnqueueItem, ListQuery, MAX_ENQUEUE_BATCH, RETRYABLE_ATTEMPT_STATUSES, ROLLOUT_MODES, type RolloutView } from '../schemas/rollouts.js';
import type { EnqueueResult } from '../queue/rollout-queue.js';
import { withClient, type ClientTarget } from '../client/index.js';
import { parseAgentPattern, parseSince } from '../training/filters.js';
import { chosenFormat, CliError, formatOption, renderRows } from './output.js';

export interface RolloutCommandWiring<F> {
  /** Adds --server, --api-key and the store options. */
  withReadOptions(cmd: Command): Command;
  targetFlags(o: F): ClientTarget;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CliError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

/** A JSON array of inputs, or JSON lines (one input per line). */
export function parseInputsFile(text: string, file: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed === '') throw new CliError(`${file} holds no inputs`);
  if (trimmed.startsWith('[')) {
    const v = parseJson(trimmed, file);
    if (Array.isArray(v)) {
      if (v.length === 0) throw new CliError(`${file} holds an empty array`);
      return v;
    }
  }
  return text
    .split('\n')
    .map((l, i) => ({ l: l.trim(), i }))
    .filter(({ l }) => l !== '')
    .map(({ l, i }) => parseJson(l, `${file} line ${i + 1}`));
}

function seconds(flag: string) {
  return (v: string): number | null => {
    if (v === 'none' || v === 'off') return null;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new CliError(`${flag} must be a number of seconds above 0, or "none"`);
    return n;
  };
}

const clip = (s: string, n = 300): string => (s.length > n ? `${s.slice(0, n)}… (${s.length - n} more characters)` : s);

/** The queue half of `rollouts show`: status, config, resources and attempts. */
export function renderQueueState(v: RolloutView): string {
  const t = v.timings;
  const c = v.config;
  const secs = (x: number | null): string => (x === null ? 'none' : `${x} s`);
  const out = [
    `queue status ${v.status}${v.mode ? `  mode ${v.mode}` : ''}  attempts ${v.attempt_count} of ${c.max_attempts}`,
    `  enqueued ${t.enqueued_at}${t.started_at ? `  started ${t.started_at}` : ''}${t.ended_at ? `  ended ${t.ended_at}` : ''}  (queued ${t.queued_seconds} s${t.run_seconds !== null ? `, ran ${t.run_seconds} s` : ''})`,
    `  config timeout ${secs(c.timeout_seconds)}, unresponsive ${secs(c.unresponsive_seconds)}, retry on ${c.retry_on.join(', ') || 'nothing'}`,
  ];
  const res = Object.entries(v.resources);
  if (res.length) out.push(`  resources ${res.map(([n, p]) => `${n}=${p.ref}${String(p.ref) === String(p.version) ? '' : ` (v${p.version})`}`).join(', ')}`);
  out.push(`  input ${clip(JSON.stringify(v.input))}`);
  if (Object.keys(v.metadata).length) out.push(`  metadata ${clip(JSON.stringify(v.metadata))}`);
  for (const a of v.attempts) {
    out.push(
      `  attempt ${a.sequence} ${a.attempt_id}  worker ${a.worker_id}  ${a.status}  started ${a.started_at}${a.ended_at ? `  ended ${a.ended_at}` : ''}${a.last_heartbeat_at ? `  last heartbeat ${a.last_heartbeat_at}` : ''}`,
    );
    if (a.error) out.push(`    error: ${clip(a.error)}`);
  }
  return out.join('\n') + '\n';
}

function summary(v: RolloutView): Record<string, unknown> {
  const last = v.attempts.at(-1);
  return {
    rollout_id: v.rollout_id,
    status: v.status,
    mode: v.mode ?? '',
    attempts: v.attempt_count,
    worker: last?.worker_id ?? '',
    enqueued_at: v.timings.enqueued_at,
    ended_at: v.timings.ended_at ?? '',
    input: JSON.stringify(v.input),
  };
}

interface EnqueueFlags {
  input?: string;
  file?: string;
  mode?: string;
  resource?: string[];
  timeoutSeconds?: number | null;
  unresponsiveSeconds?: number | null;
  maxAttempts?: number;
  retryOn?: string;
  metadata?: string;
  format?: string;
}

export function registerRolloutQueueCommands<F extends object>(rollouts: Command, w: RolloutCommandWiring<F>): void {
  w.withReadOptions(
    rollouts
      .command('enqueue')
      .description('queue rollouts for workers to claim (POST /api/v1/rollouts); prints their ids')
      .option('--input <json>', 'one rollout input (any JSON)')
      .option('--file <path>', 'many inputs: a JSON array, or JSON lines (one input per line)')
      .addOption(new Option('--mode <mode>', 'train, val or test').choices([...ROLLOUT_MODES]))
      .option('--resource <name=ref...>', 'a resource the worker gets, by version number or label (repeatable)')
      .addOption(
        new Option('--timeout-seconds <s>', 'an attempt must finish this soon after its claim ("none": no limit; default 600)').argParser(
          seconds('--timeout-seconds'),
        ),
      )
      .addOption(
        new Option('--unresponsive-seconds <s>', 'an attempt silent this long is unresponsive ("none": no limit; default 120)').argParser(
          seconds('--unresponsive-seconds'),
        ),
      )
      .addOption(
        new Option('--max-attempts <n>', 'attempts in all, retries included (default 1)').argParser((v) => {
          const n = Number(v);
          if (!Number.isInteger(n) || n < 1 || n > 100) throw new CliError('--max-attempts must be an integer from 1 to 100');
          return n;
        }),
      )
      .option('--retry-on <statuses>', `comma-separated attempt outcomes that retry: ${RETRYABLE_ATTEMPT_STATUSES.join(', ')} (default timeout,unresponsive)`)
      .option('--metadata <json>', 'a JSON object stored with each rollout')
      .addOption(formatOption()),
  ).action(async (o: F & EnqueueFlags) => {
    const format = chosenFormat(o.format);
    if ((o.input === undefined) === (o.file === undefined))
      throw new CliError('give the input with --input JSON, or many with --file F (a JSON array or JSON lines)');
    const inputs =
      o.input !== undefined
        ? [parseJson(o.input, '--input')]
        : parseInputsFile(
            await readFile(o.file as string, 'utf8').catch((err: Error) => Promise.reject(new CliError(`cannot read ${o.file}: ${err.message}`))),
            o.file as string,
          );
    const resources: Record<string, string | number> = {};
    for (const r of o.resource ?? []) {
      const i = r.indexOf('=');
      if (i <= 0 || i === r.length - 1) throw new CliError(`--resource must look like name=version or name=label, got "${r}"`);
      const ref = r.slice(i + 1);
      resources[r.slice(0, i)] = /^\d+$/.test(ref) ? Number(ref) : ref;
    }
    const config: Record<string, unknown> = {};
    if (o.timeoutSeconds !== undefined) config.timeout_seconds = o.timeoutSeconds;
    if (o.unresponsiveSeconds !== undefined) config.unresponsive_seconds = o.unresponsiveSeconds;
    if (o.maxAttempts !== undefined) config.max_attempts = o.maxAttempts;
    if (o.retryOn !== undefined)
      config.retry_on = o.retryOn
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    const metadata = o.metadata !== undefined ? parseJson(o.metadata, '--metadata') : undefined;
    const items = inputs.map((input, i) => {
      const raw = {
        input,
        ...(o.mode ? { mode: o.mode } : {}),
        ...(Object.keys(resources).length ? { resources } : {}),
        ...(Object.keys(config).length ? { config } : {}),
        ...(metadata !== undefined ? { metadata } : {}),
      };
      const parsed = EnqueueItem.safeParse(raw);
      if (!parsed.success) throw new CliError(`invalid rollout${inputs.length > 1 ? ` ${i + 1}` : ''}: ${describeZodError(parsed.error)}`);
      return parsed.data;
    });
    const created: EnqueueResult[] = [];
    await withClient({ ...w.targetFlags(o), read: false }, async (client) => {
      for (let start = 0; start < items.length; start += MAX_ENQUEUE_BATCH)
        created.push(...(await client.queue.enqueue(items.slice(start, start + MAX_ENQUEUE_BATCH))));
    });
    process.stdout.write(renderRows(created as unknown as Record<string, unknown>[], format));
  });

  w.withReadOptions(
    rollouts
      .command('list')
      .description('list queued, running and finished rollouts, newest first')
      .option('--status <statuses>', 'only these statuses (comma-separated: queuing, preparing, running, succeeded, failed, cancelled, requeuing)')
      .addOption(new Option('--mode <mode>', 'only this mode').choices([...ROLLOUT_MODES]))
      .option('--agent <pattern>', 'only rollouts with an LLM call of an agent matching this RE2 pattern')
      .option('--since <time>', 'only rollouts enqueued since: ISO date-time, epoch ms/ns, or an age (30m, 1h, 7d)')
      .option('--min-reward <x>', 'only rollouts whose primary reward is at least this')
      .option('--max-reward <x>', 'only rollouts whose primary reward is at most this')
      .option('--limit <n>', 'at most this many (default 100)', '100')
      .addOption(formatOption()),
  ).action(
    async (
      o: F & { status?: string; mode?: string; agent?: string; since?: string; minReward?: string; maxReward?: string; limit: string; format?: string },
    ) => {
      const format = chosenFormat(o.format);
      const query: Record<string, string> = { limit: o.limit };
      for (const [k, v] of [
        ['status', o.status],
        ['mode', o.mode],
        ['agent', o.agent],
        ['since', o.since],
        ['min_reward', o.minReward],
        ['max_reward', o.maxReward],
      ] as const)
        if (v !== undefined) query[k] = v;
      const q = ListQuery.safeParse(query);
      if (!q.success)
        throw new CliError(
          describeZodError(q.error).replace(/^(status|limit|agent|since|min_reward|max_reward)(\.\d+)?:/, (_m, f: string) => `--${f.replace('_', '-')}:`),
        );
      const { since, agent: pattern } = q.data;
      const sinceNs = since === undefined ? undefined : flagged('--since', () => parseSince(since));
      const agent = pattern === undefined ? undefined : flagged('--agent', () => parseAgentPattern(pattern));
      const views = await withClient(w.targetFlags(o), (client) =>
        client.queue.list({
          statuses: q.data.status,
          mode: q.data.mode,
          agent,
          sinceNs,
          minReward: q.data.min_reward,
          maxReward: q.data.max_reward,
          limit: q.data.limit,
        }),
      );
      process.stdout.write(renderRows(format === 'table' ? views.map(summary) : (views as unknown as Record<string, unknown>[]), format));
    },
  );

  w.withReadOptions(
    rollouts
      .command('cancel')
      .description('cancel a rollout that is not finished (its running attempt ends; the worker learns it on its next heartbeat)')
      .argument('<rollout-id>', 'the rollout id enqueue printed'),
  ).action(async (id: string, o: F) => {
    const view = await withClient({ ...w.targetFlags(o), read: false }, (client) => client.queue.cancel(id));
    process.stdout.write(`rollout ${view.rollout_id} cancelled\n`);
  });
}

/** Runs a flag's parser, naming the flag in its error. */
function flagged<T>(flag: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new CliError(`${flag}: ${(err as Error).message}`);
  }
}
