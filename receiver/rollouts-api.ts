// REST API of the rollout queue (receiver/rollout-queue.ts), so a worker in any language can take part:
//   POST /api/v1/rollouts                                         enqueue one or an array → 201 [{rollout_id, status}]
//   POST /api/v1/rollouts/claim                                   {worker_id, wait_ms?} → a new attempt, or 204
//   POST /api/v1/rollouts/{id}/attempts/{attempt}/heartbeat       the worker is alive (a span with the attempt id is too)
//   POST /api/v1/rollouts/{id}/attempts/{attempt}/complete        {status: succeeded|failed, reward?, error?}
//   POST /api/v1/rollouts/{id}/cancel
//   POST /api/v1/rollouts/wait                                    {rollout_ids, timeout_ms?} → states when all are final
//   GET  /api/v1/rollouts/{id}                                    status, input, resources, config, attempts, timings
//   GET  /api/v1/rollouts?status=&mode=&limit=                    newest first
// (GET /api/v1/rollouts/{id}/calls, the rollout's LLM calls, is in training-api.ts.)
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { z } from 'zod';
import {
  ClaimBody,
  CompleteBody,
  describeIssue,
  EnqueueItem,
  HeartbeatBody,
  ListQuery,
  MAX_ENQUEUE_BATCH,
  MAX_WAIT_MS,
  QueueClosedError,
  RolloutConflictError,
  RolloutNotFoundError,
  RolloutValidationError,
  WaitBody,
} from '../schemas/rollouts.js';
import type { RolloutQueue } from './rollout-queue.js';

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string, prefix = ''): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new RolloutValidationError(`invalid ${what}: ${describeIssue(r.error, prefix)}`);
  return r.data;
}

/** Maps the queue's errors to HTTP; anything else (store back-pressure or failure) goes to the server's handler. */
async function answer(reply: FastifyReply, fn: () => Promise<unknown>): Promise<unknown> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RolloutValidationError) return reply.code(400).send({ error: err.message });
    if (err instanceof RolloutNotFoundError) return reply.code(404).send({ error: err.message });
    if (err instanceof RolloutConflictError) return reply.code(409).send({ error: err.message });
    if (err instanceof QueueClosedError) return reply.code(503).header('Retry-After', '1').send({ error: err.message });
    throw err;
  }
}

/** Aborts when the client goes away before the answer is sent (a long poll must not hand work to no one). */
function clientGone(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) ac.abort();
  });
  return ac.signal;
}

type IdParams = { Params: { id: string } };
type AttemptParams = { Params: { id: string; attempt: string } };

export function registerRolloutsApi(app: FastifyInstance, queue: RolloutQueue): void {
  app.post('/api/v1/rollouts', { config: { scope: 'admin' } }, async (req, reply) =>
    answer(reply, async () => {
      const many = Array.isArray(req.body);
      const items = many ? (req.body as unknown[]) : [req.body];
      if (items.length === 0 || items.length > MAX_ENQUEUE_BATCH) {
        throw new RolloutValidationError(`invalid rollouts: send one rollout object or an array of 1 to ${MAX_ENQUEUE_BATCH}`);
      }
      const parsed = items.map((item, i) => parse(EnqueueItem, item, many ? 'rollouts' : 'rollout', many ? `[${i}]` : ''));
      const created = await queue.enqueue(parsed, many);
      return reply.code(201).send(created);
    }),
  );

  app.post('/api/v1/rollouts/claim', { config: { scope: 'worker' } }, async (req, reply) =>
    answer(reply, async () => {
      const b = parse(ClaimBody, req.body, 'claim');
      const claimed = await queue.claim(b.worker_id, b.wait_ms ?? 0, clientGone(reply));
      if (!claimed) return reply.code(204).send();
      return claimed;
    }),
  );

  app.post('/api/v1/rollouts/wait', { config: { scope: ['read', 'worker'] } }, async (req, reply) =>
    answer(reply, async () => {
      const b = parse(WaitBody, req.body, 'wait');
      return queue.wait(b.rollout_ids, b.timeout_ms ?? MAX_WAIT_MS, clientGone(reply));
    }),
  );

  app.get('/api/v1/rollouts', { config: { scope: 'read' } }, async (req, reply) =>
    answer(reply, async () => {
      const q = parse(ListQuery, req.query, 'rollouts query', 'query');
      return { rollouts: await queue.list({ statuses: q.status, mode: q.mode, limit: q.limit }) };
    }),
  );

  app.get<IdParams>('/api/v1/rollouts/:id', { config: { scope: ['read', 'worker'] } }, async (req, reply) => answer(reply, () => queue.get(req.params.id)));

  app.post<IdParams>('/api/v1/rollouts/:id/cancel', { config: { scope: 'admin' } }, async (req, reply) => answer(reply, () => queue.cancel(req.params.id)));

  app.post<AttemptParams>('/api/v1/rollouts/:id/attempts/:attempt/heartbeat', { config: { scope: 'worker' } }, async (req, reply) =>
    answer(reply, async () => {
      parse(HeartbeatBody, req.body ?? {}, 'heartbeat');
      return queue.heartbeat(req.params.id, req.params.attempt);
    }),
  );

  app.post<AttemptParams>('/api/v1/rollouts/:id/attempts/:attempt/complete', { config: { scope: 'worker' } }, async (req, reply) =>
    answer(reply, async () => {
      const b = parse(CompleteBody, req.body, 'completion');
      return queue.complete(req.params.id, req.params.attempt, b);
    }),
  );
}
