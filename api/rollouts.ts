// REST API of the rollout queue (queue/rollout-queue.ts), so a worker in any language can take part:
//   POST /api/v1/rollouts                                         enqueue one or an array → 201 [{rollout_id, status}]
//   POST /api/v1/rollouts/claim                                   {worker_id, wait_ms?} → a new attempt, or 204
//   POST /api/v1/rollouts/{id}/attempts/{attempt}/heartbeat       the worker is alive (a span with the attempt id is too)
//   POST /api/v1/rollouts/activity                                {attempt_ids}: spans a receiver process saw → heartbeats
//   POST /api/v1/rollouts/{id}/attempts/{attempt}/complete        {status: succeeded|failed, reward?, error?}
//   POST /api/v1/rollouts/{id}/cancel
//   POST /api/v1/rollouts/wait                                    {rollout_ids, timeout_ms?} → states when all are final
//   GET  /api/v1/rollouts/{id}                                    status, input, resources, config, attempts, timings
//   GET  /api/v1/rollouts?status=&mode=&limit=                    newest first
// (GET /api/v1/rollouts/{id}/calls, the rollout's LLM calls, is in training.ts.)
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { parseAgentPattern, parseSince } from '../training/filters.js';
import { z } from 'zod';
import { parseOrThrow, TracelightError } from '../schemas/errors.js';
import { ActivityBody, ClaimBody, CompleteBody, EnqueueItem, HeartbeatBody, ListQuery, MAX_ENQUEUE_BATCH, MAX_WAIT_MS, WaitBody } from '../schemas/rollouts.js';
import { clientGone, type ApiContext } from './context.js';

const IdParams = z.object({ id: z.string() });
const AttemptParams = z.object({ id: z.string(), attempt: z.string() });

export const rolloutsArea: FastifyPluginAsync<ApiContext> = async (base, { queue }) => {
  const app = base.withTypeProvider<ZodTypeProvider>();

  // One rollout object or an array: validated item by item so the error names the item.
  app.post('', { config: { scope: 'admin' } }, async (req, reply) => {
    const many = Array.isArray(req.body);
    const items = many ? (req.body as unknown[]) : [req.body];
    if (items.length === 0 || items.length > MAX_ENQUEUE_BATCH) {
      throw new TracelightError('invalid', `invalid rollouts: send one rollout object or an array of 1 to ${MAX_ENQUEUE_BATCH}`);
    }
    const parsed = items.map((item, i) => parseOrThrow(EnqueueItem, item, many ? 'rollouts' : 'rollout', many ? `[${i}]` : ''));
    return reply.code(201).send(await queue.enqueue(parsed, many));
  });

  app.post('/claim', { schema: { body: ClaimBody }, config: { scope: 'worker', subject: 'claim' } }, async (req, reply) => {
    const claimed = await queue.claim(req.body.worker_id, req.body.wait_ms ?? 0, clientGone(reply));
    if (!claimed) return reply.code(204).send();
    return claimed;
  });

  app.post('/wait', { schema: { body: WaitBody }, config: { scope: ['read', 'worker'], subject: 'wait' } }, async (req, reply) =>
    queue.wait(req.body.rollout_ids, req.body.timeout_ms ?? MAX_WAIT_MS, clientGone(reply)),
  );

  app.get('', { schema: { querystring: ListQuery }, config: { scope: 'read', subject: 'rollouts query' } }, async (req) => {
    const q = req.query;
    const list = await queue.list({
      statuses: q.status,
      mode: q.mode,
      agent: q.agent === undefined ? undefined : parseAgentPattern(q.agent),
      sinceNs: q.since === undefined ? undefined : parseSince(q.since),
      minReward: q.min_reward,
      maxReward: q.max_reward,
      limit: q.limit,
    });
    const summaries = await queue.summaries(list.map((r) => r.rollout_id));
    return { rollouts: list.map((r) => ({ ...r, ...(summaries.get(r.rollout_id) ?? { reward: null, agents: [] }) })) };
  });

  // A receiver process (`serve --role receiver`) has no queue: the attempt ids in the spans it took are sent
  // here, where they count as heartbeats exactly as spans received by this process do. Its key has the ingest
  // scope, as sending spans needs no more.
  app.post('/activity', { schema: { body: ActivityBody }, config: { scope: 'ingest', subject: 'forwarded activity' } }, async (req, reply) => {
    queue.onActivity(new Set(req.body.attempt_ids));
    return reply.code(202).send({ accepted: req.body.attempt_ids.length });
  });

  app.get('/:id', { schema: { params: IdParams }, config: { scope: ['read', 'worker'] } }, async (req) => queue.get(req.params.id));

  app.post('/:id/cancel', { schema: { params: IdParams }, config: { scope: 'admin' } }, async (req) => queue.cancel(req.params.id));

  app.post(
    '/:id/attempts/:attempt/heartbeat',
    { schema: { params: AttemptParams, body: HeartbeatBody.optional() }, config: { scope: 'worker', subject: 'heartbeat' } },
    async (req) => queue.heartbeat(req.params.id, req.params.attempt),
  );

  app.post(
    '/:id/attempts/:attempt/complete',
    { schema: { params: AttemptParams, body: CompleteBody }, config: { scope: 'worker', subject: 'completion' } },
    async (req) => queue.complete(req.params.id, req.params.attempt, req.body),
  );
};
