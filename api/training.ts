// Training data over REST: GET /api/v1/triplets (cursor-paginated), POST /api/v1/rewards (offline
// evaluators, user feedback), GET /api/v1/rollouts/:id/calls (the material of a transcript); and the record of
// training runs (/api/v1/training/runs, /api/v1/training/watermarks/:job), so a run started elsewhere (`tracelight
// train` while `serve` owns the store) is recorded where the scheduled ones are.
import { createHash } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { parseOrThrow, TracelightError } from '../schemas/errors.js';
import type { Reward } from '../schemas/genai.js';
import { parseAgentPattern, parseSince } from '../training/filters.js';
import { JobRunStore } from '../store/job-runs.js';
import { loadRollout, queryTriplets, traceOfSpan } from '../training/training-data.js';
import { REWARD_POLICIES } from '../training/triplets.js';
import type { ApiContext } from './context.js';

const ID = z.string().min(1).max(256);
const HEX32 = z.string().regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hex characters');
const HEX16 = z.string().regex(/^[0-9a-fA-F]{16}$/, 'must be 16 hex characters');
const MAX_REWARDS_PER_REQUEST = 10_000;

export const RewardBody = z
  .object({
    rollout_id: ID.optional(),
    attempt_id: ID.optional(),
    trace_id: HEX32.optional(),
    span_id: HEX16.optional(),
    name: z.string().min(1).max(200).default('reward'),
    value: z.number().finite(),
    label: z.string().max(200).optional(),
    explanation: z.string().max(100_000).optional(),
    source: z.string().min(1).max(100).default('api'),
    primary: z.boolean().optional(),
    /** Re-posting with the same reward_id replaces the earlier value. */
    reward_id: ID.optional(),
    time: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .refine((b) => b.rollout_id || b.trace_id || b.span_id, { message: 'name the target: rollout_id, trace_id or span_id' });

export const TripletsQuery = z
  .object({
    rollout: ID.optional(),
    agent: z.string().max(500).optional(),
    since: z.string().optional(),
    policy: z.enum(REWARD_POLICIES).default('final'),
    limit: z.coerce.number().int().min(1).max(10_000).default(100),
    cursor: z.string().max(1000).optional(),
  })
  .strict();

const RolloutParams = z.object({ id: ID });

const NS = z.string().regex(/^\d{1,20}$/, 'must be nanoseconds since the epoch, as a decimal string');
const MS = z.number().int().min(0).max(8_640_000_000_000_000);

export const JobRunBody = z
  .object({
    run_id: ID,
    job: z.string().min(1).max(256),
    algorithm: z.string().min(1).max(100),
    trigger: z.string().min(1).max(100),
    status: z.enum(['running', 'succeeded', 'failed', 'skipped']),
    config: z.unknown(),
    started_at: MS,
    ended_at: MS.nullable(),
    window_start_ns: NS,
    window_end_ns: NS,
    metrics: z.record(z.string().max(200), z.number()),
    resources: z.unknown(),
    error: z.string().max(100_000),
    events: z
      .array(z.looseObject({ event: z.string().min(1).max(100) }))
      .max(2001)
      .optional(),
    report: z.unknown().optional(),
  })
  .strict();

const RunsQuery = z.object({ job: z.string().max(256).optional(), limit: z.coerce.number().int().min(1).max(1000).default(20) }).strict();
const JobParams = z.object({ job: z.string().min(1).max(256) });

export function rewardFromBody(b: z.infer<typeof RewardBody>, traceId: string): Reward {
  const target = `${b.rollout_id ?? ''}|${traceId}|${b.span_id?.toLowerCase() ?? ''}|${b.name}|${b.source}`;
  const time = b.time ? BigInt(Date.parse(b.time)) * 1_000_000n : BigInt(Date.now()) * 1_000_000n;
  return {
    reward_id: b.reward_id ?? `api:${createHash('sha1').update(target).digest('hex')}`,
    rollout_id: b.rollout_id ?? '',
    attempt_id: b.attempt_id ?? '',
    trace_id: traceId,
    span_id: b.span_id?.toLowerCase() ?? '',
    name: b.name,
    value: b.value,
    label: b.label ?? '',
    explanation: b.explanation ?? '',
    source: b.source,
    time_unix_nano: time,
    primary: b.primary ?? false,
  };
}

export const trainingArea: FastifyPluginAsync<ApiContext> = async (base, { store }) => {
  const app = base.withTypeProvider<ZodTypeProvider>();

  app.get('/triplets', { schema: { querystring: TripletsQuery }, config: { scope: 'read', subject: 'triplets query' } }, async (req) => {
    const q = req.query;
    try {
      const agent = q.agent ? parseAgentPattern(q.agent) : undefined;
      const sinceNs = q.since ? parseSince(q.since) : undefined;
      return await queryTriplets(store.driver, { rollout: q.rollout, agent, sinceNs, policy: q.policy, limit: q.limit, cursor: q.cursor });
    } catch (err) {
      if (err instanceof TracelightError && err.kind === 'invalid')
        throw new TracelightError('invalid', `invalid triplets query: ${err.message}`, { cause: err });
      throw err;
    }
  });

  // One reward object or an array: validated item by item so the error names the item.
  app.post('/rewards', { config: { scope: 'ingest' } }, async (req, reply) => {
    const many = Array.isArray(req.body);
    const items = many ? (req.body as unknown[]) : [req.body];
    if (items.length === 0 || items.length > MAX_REWARDS_PER_REQUEST) {
      throw new TracelightError('invalid', `invalid rewards: send one reward object or an array of 1 to ${MAX_REWARDS_PER_REQUEST}`);
    }
    const rewards: Reward[] = [];
    for (const [i, item] of items.entries()) {
      const b = parseOrThrow(RewardBody, item, many ? `reward [${i}]` : 'reward');
      let traceId = b.trace_id?.toLowerCase() ?? '';
      if (b.span_id && !traceId) {
        const found = await traceOfSpan(store.driver, b.span_id);
        if (found === null)
          throw new TracelightError('not_found', `no span ${b.span_id} is stored; give trace_id with span_id, or wait until the span arrives`);
        traceId = found;
      }
      rewards.push(rewardFromBody(b, traceId));
    }
    await store.writeRewards(rewards);
    return reply.code(201).send({ accepted: rewards.length, reward_ids: rewards.map((r) => r.reward_id) });
  });

  const runs = new JobRunStore(store.driver);
  app.get('/training/runs', { schema: { querystring: RunsQuery }, config: { scope: 'read', subject: 'runs query' } }, async (req) => ({
    runs: await runs.list({ job: req.query.job, limit: req.query.limit }),
  }));
  app.get('/training/runs/:id', { schema: { params: RolloutParams }, config: { scope: 'read', subject: 'run id' } }, async (req) => {
    const run = await runs.get(req.params.id);
    if (!run) throw new TracelightError('not_found', `no training run ${req.params.id} is recorded`);
    return run;
  });
  app.put('/training/runs/:id', { schema: { params: RolloutParams, body: JobRunBody }, config: { scope: 'admin', subject: 'training run' } }, async (req) => {
    if (req.body.run_id !== req.params.id)
      throw new TracelightError('invalid', `invalid training run: run_id ${req.body.run_id} is not the ${req.params.id} of the path`);
    await runs.write(req.body);
    return { run_id: req.body.run_id, status: req.body.status };
  });
  app.get('/training/watermarks/:job', { schema: { params: JobParams }, config: { scope: 'read', subject: 'job name' } }, async (req) => ({
    job: req.params.job,
    watermark_ns: await runs.watermark(req.params.job),
  }));

  app.get('/rollouts/:id/calls', { schema: { params: RolloutParams }, config: { scope: 'read', subject: 'rollout id' } }, async (req) => {
    const r = await loadRollout(store.driver, req.params.id);
    if (!r) throw new TracelightError('not_found', `no LLM calls or rewards are stored for rollout ${req.params.id}`);
    return r;
  });
};
