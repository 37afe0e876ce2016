// REST access to training data: GET /api/v1/triplets (cursor-paginated), POST /api/v1/rewards (offline
// evaluators, user feedback), GET /api/v1/rollouts/:id/calls (the material of a transcript).
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Reward } from '../schemas/genai.js';
import type { Store } from '../store/index.js';
import { InvalidCursorError, loadRollout, queryTriplets } from './training-data.js';
import { REWARD_POLICIES } from './triplets.js';

const ID = z.string().min(1).max(256);
const HEX32 = z.string().regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hex characters');
const HEX16 = z.string().regex(/^[0-9a-fA-F]{16}$/, 'must be 16 hex characters');

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

/** Accepts an ISO date-time, or nanoseconds / milliseconds since the epoch. */
export function parseSince(v: string): string {
  if (/^\d{19}$/.test(v)) return v;
  if (/^\d{13}$/.test(v)) return `${v}000000`;
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new Error(`since must be an ISO date-time or epoch milliseconds/nanoseconds, got "${v}"`);
  return `${BigInt(ms) * 1_000_000n}`;
}

export const MAX_AGENT_PATTERN = 256;

/**
 * An agent filter is an RE2 pattern matched by ClickHouse (linear time), never a JavaScript RegExp on the
 * event loop, where `^(a+)+$` backtracks exponentially.
 */
export function parseAgentPattern(v: string): string {
  if (v.length > MAX_AGENT_PATTERN) throw new Error(`agent pattern is longer than ${MAX_AGENT_PATTERN} characters`);
  return v;
}

function badRequest(reply: FastifyReply, error: z.ZodError | Error, what: string): FastifyReply {
  if (error instanceof z.ZodError) {
    const issue = error.issues[0];
    const path = issue?.path.join('.') || 'body';
    return reply.code(400).send({ error: `invalid ${what}: ${path}: ${issue?.message}` });
  }
  return reply.code(400).send({ error: `invalid ${what}: ${error.message}` });
}

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

export function registerTrainingApi(app: FastifyInstance, store: Store): void {
  app.get('/api/v1/triplets', { config: { scope: 'read' } }, async (req, reply) => {
    const parsed = TripletsQuery.safeParse(req.query);
    if (!parsed.success) return badRequest(reply, parsed.error, 'triplets query');
    const q = parsed.data;
    let agent: string | undefined;
    let sinceNs: string | undefined;
    try {
      agent = q.agent ? parseAgentPattern(q.agent) : undefined;
      sinceNs = q.since ? parseSince(q.since) : undefined;
      return await queryTriplets(store.driver, { rollout: q.rollout, agent, sinceNs, policy: q.policy, limit: q.limit, cursor: q.cursor });
    } catch (err) {
      if (err instanceof InvalidCursorError || /^(since|agent) /.test((err as Error).message)) return badRequest(reply, err as Error, 'triplets query');
      throw err;
    }
  });

  app.post('/api/v1/rewards', { config: { scope: 'ingest' } }, async (req, reply) => {
    const items = Array.isArray(req.body) ? req.body : [req.body];
    if (items.length === 0 || items.length > 10_000) return reply.code(400).send({ error: 'invalid rewards: send one reward object or an array of 1 to 10000' });
    const rewards: Reward[] = [];
    for (const [i, item] of items.entries()) {
      const parsed = RewardBody.safeParse(item);
      if (!parsed.success) return badRequest(reply, parsed.error, Array.isArray(req.body) ? `reward [${i}]` : 'reward');
      const b = parsed.data;
      let traceId = b.trace_id?.toLowerCase() ?? '';
      if (b.span_id && !traceId) {
        const rows = await store.driver.query<{ trace_id: string }>('SELECT TraceId AS trace_id FROM otel_traces WHERE SpanId = {s:String} LIMIT 1', { s: b.span_id.toLowerCase() });
        if (!rows[0]) return reply.code(404).send({ error: `no span ${b.span_id} is stored; give trace_id with span_id, or wait until the span arrives` });
        traceId = rows[0].trace_id;
      }
      rewards.push(rewardFromBody(b, traceId));
    }
    await store.writeRewards(rewards);
    return reply.code(201).send({ accepted: rewards.length, reward_ids: rewards.map((r) => r.reward_id) });
  });

  app.get<{ Params: { id: string } }>('/api/v1/rollouts/:id/calls', { config: { scope: 'read' } }, async (req, reply) => {
    const r = await loadRollout(store.driver, req.params.id);
    if (!r) return reply.code(404).send({ error: `no LLM calls or rewards are stored for rollout ${req.params.id}` });
    return r;
  });
}
