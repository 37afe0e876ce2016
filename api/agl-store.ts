// Agent Lightning's LightningStore REST API (agentlightning 0.3's `LightningStoreServer`), under /v1/agl on the HTTP
// port, so `LightningStoreClient("http://host:4318")` works against tracelight unchanged: same paths, methods,
// status codes (201 for creations, 200 with `null` for a missing item), bodies, paging, sorting and filtering. The
// semantics are in queue/agl-store.ts, the shapes in schemas/agl.ts.
//
//   GET  /health                                   {"status": "ok"} (open: the client probes it before retrying)
//   POST /queues/rollouts/enqueue                  {rollouts: [...]} → 201 [Rollout]
//   POST /queues/rollouts/dequeue                  {limit?, worker_id?} → [AttemptedRollout] (never waits)
//   POST /rollouts                                 start_rollout → 201 AttemptedRollout
//   GET  /rollouts · POST /rollouts/search          query_rollouts → {items, limit, offset, total}
//   GET  /rollouts/{id} · POST /rollouts/{id}       get (null when missing) · update_rollout
//   POST /rollouts/{id}/attempts                   start_attempt → 201 AttemptedRollout
//   GET  /rollouts/{id}/attempts · POST …/search   query_attempts;  GET …/attempts/latest
//   POST /rollouts/{id}/attempts/{attempt_id}      update_attempt (`latest` names the last one)
//   POST /spans · GET /spans · POST /spans/search  add_span (201; null for a span id stored already) · query_spans
//   POST /spans/next                               {rollout_id, attempt_id} → {sequence_id}
//   GET|POST /resources, GET /resources/latest, GET|POST /resources/{id}
//   GET /workers · POST /workers/search · GET|POST /workers/{id}  · GET /statistics · POST /waits/rollouts
//
// Access, as everywhere in tracelight: `worker` for what a runner calls, `admin` for enqueueing, changing rollouts
// and writing resources, `read` (or `worker`) for queries. Without API keys the server is open, and Agent Lightning's
// client sends no Authorization header, so it works as is; with keys, see the README. Errors answer in FastAPI's
// shape, {"detail": "..."}, with FastAPI's 422 for a body or query its models refuse.
import type { FastifyError, FastifyPluginAsync, FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AglLightningStore } from '../queue/agl-store.js';
import {
  AglDequeueBody,
  AglEnqueueManyBody,
  AglNamedResources,
  AglNextSequenceBody,
  AglQueryAttemptsBody,
  AglQueryAttemptsQuery,
  AglQueryResourcesQuery,
  AglQueryRolloutsBody,
  AglQueryRolloutsQuery,
  AglQuerySpansBody,
  AglQuerySpansQuery,
  AglQueryWorkersBody,
  AglQueryWorkersQuery,
  AglSpanBody,
  AglStartRolloutBody,
  AglUpdateAttemptBody,
  AglUpdateRolloutBody,
  AglUpdateWorkerBody,
  AglWaitBody,
  AglWorkerIdBody,
} from '../schemas/agl.js';
import { HTTP_STATUS, TracelightError } from '../schemas/errors.js';

const RolloutParams = z.object({ rollout_id: z.string() });
const AttemptParams = z.object({ rollout_id: z.string(), attempt_id: z.string() });
const ResourcesParams = z.object({ resources_id: z.string() });
const WorkerParams = z.object({ worker_id: z.string() });

const WORKER = { scope: 'worker' } as const;
const ADMIN = { scope: 'admin' } as const;
const READ = { scope: ['read', 'worker'] } as const;
const SPANS = { scope: ['worker', 'ingest'] } as const;

/** FastAPI answers a missing optional item with a JSON `null`. */
function orNull(reply: FastifyReply, value: unknown): FastifyReply {
  if (value !== null && value !== undefined) return reply.send(value);
  return reply.header('content-type', 'application/json; charset=utf-8').send('null');
}

export const aglStoreArea: FastifyPluginAsync<{ aglStore: AglLightningStore }> = async (base, { aglStore: agl }) => {
  const app = base.withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  // The client posts `json=None` for an optional body (start_attempt, update_worker): aiohttp then sends an empty
  // body as application/octet-stream, which FastAPI reads as no body.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => {
    const text = (body as Buffer).toString('utf8').trim();
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(new TracelightError('invalid', `request body is not valid JSON: ${(err as Error).message}`), undefined);
    }
  });

  // FastAPI's error shape for every route here (the client reads only the status; people read `detail`).
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const first = err.validation[0];
      const part = err.validationContext === 'querystring' ? 'query' : (err.validationContext ?? 'body');
      const path = [part, ...(first?.instancePath ?? '').split('/')].filter((p) => p !== '').join('.');
      return reply.code(422).send({ detail: `${path}: ${first?.message ?? 'invalid'}` });
    }
    if ((err as unknown) instanceof TracelightError) {
      const e = err as unknown as TracelightError;
      if (e.retryAfterSeconds !== undefined) reply.header('Retry-After', String(e.retryAfterSeconds));
      if (e.kind === 'unauthorized') reply.header('WWW-Authenticate', 'Bearer');
      if (e.kind === 'internal' || e.kind === 'unavailable') req.log.error(err);
      return reply.code(HTTP_STATUS[e.kind]).send({ detail: e.message });
    }
    if (err.statusCode !== undefined && err.statusCode < 500) return reply.code(err.statusCode).send({ detail: err.message });
    req.log.error(err);
    return reply.code(500).send({ detail: 'Internal server error', error_type: err.name });
  });

  app.get('/health', { config: { public: true } }, async () => ({ status: 'ok' }));

  // ---- queue ---------------------------------------------------------------------------------------------

  app.post('/queues/rollouts/enqueue', { schema: { body: AglEnqueueManyBody }, config: ADMIN }, async (req, reply) =>
    reply.code(201).send(await agl.enqueue(req.body.rollouts)),
  );

  app.post('/queues/rollouts/dequeue', { schema: { body: AglDequeueBody.nullish() }, config: WORKER }, async (req) =>
    agl.dequeue(req.body?.limit ?? 1, req.body?.worker_id),
  );

  // ---- rollouts ------------------------------------------------------------------------------------------

  app.post('/rollouts', { schema: { body: AglStartRolloutBody }, config: WORKER }, async (req, reply) =>
    reply.code(201).send(await agl.startRollout(req.body)),
  );

  app.get('/rollouts', { schema: { querystring: AglQueryRolloutsQuery }, config: READ }, async (req) => agl.queryRollouts(req.query));

  app.post('/rollouts/search', { schema: { body: AglQueryRolloutsBody }, config: READ }, async (req) => agl.queryRollouts(req.body));

  app.get('/rollouts/:rollout_id', { schema: { params: RolloutParams }, config: READ }, async (req, reply) =>
    orNull(reply, await agl.getRollout(req.params.rollout_id)),
  );

  app.post('/rollouts/:rollout_id', { schema: { params: RolloutParams, body: AglUpdateRolloutBody }, config: ADMIN }, async (req) =>
    agl.updateRollout(req.params.rollout_id, req.body),
  );

  // ---- attempts ------------------------------------------------------------------------------------------

  app.post('/rollouts/:rollout_id/attempts', { schema: { params: RolloutParams, body: AglWorkerIdBody.nullish() }, config: WORKER }, async (req, reply) =>
    reply.code(201).send(await agl.startAttempt(req.params.rollout_id, req.body?.worker_id)),
  );

  app.get('/rollouts/:rollout_id/attempts', { schema: { params: RolloutParams, querystring: AglQueryAttemptsQuery }, config: READ }, async (req) =>
    agl.queryAttempts(req.params.rollout_id, req.query),
  );

  app.post('/rollouts/:rollout_id/attempts/search', { schema: { params: RolloutParams, body: AglQueryAttemptsBody }, config: READ }, async (req) =>
    agl.queryAttempts(req.params.rollout_id, req.body),
  );

  app.get('/rollouts/:rollout_id/attempts/latest', { schema: { params: RolloutParams }, config: READ }, async (req, reply) =>
    orNull(reply, await agl.latestAttempt(req.params.rollout_id)),
  );

  app.post('/rollouts/:rollout_id/attempts/:attempt_id', { schema: { params: AttemptParams, body: AglUpdateAttemptBody }, config: WORKER }, async (req) =>
    agl.updateAttempt(req.params.rollout_id, req.params.attempt_id, req.body),
  );

  // ---- workers -------------------------------------------------------------------------------------------

  app.get('/workers', { schema: { querystring: AglQueryWorkersQuery }, config: READ }, async (req) => agl.queryWorkers(req.query));

  app.post('/workers/search', { schema: { body: AglQueryWorkersBody }, config: READ }, async (req) => agl.queryWorkers(req.body));

  app.get('/workers/:worker_id', { schema: { params: WorkerParams }, config: READ }, async (req, reply) => orNull(reply, agl.getWorker(req.params.worker_id)));

  app.post('/workers/:worker_id', { schema: { params: WorkerParams, body: AglUpdateWorkerBody.nullish() }, config: WORKER }, async (req) =>
    agl.updateWorker(req.params.worker_id, req.body),
  );

  app.get('/statistics', { config: READ }, async () => agl.statistics());

  // ---- resources -----------------------------------------------------------------------------------------

  app.get('/resources', { schema: { querystring: AglQueryResourcesQuery }, config: READ }, async (req) => agl.queryResources(req.query));

  app.post('/resources', { schema: { body: AglNamedResources }, config: ADMIN }, async (req, reply) => reply.code(201).send(await agl.addResources(req.body)));

  app.get('/resources/latest', { config: READ }, async (_req, reply) => orNull(reply, await agl.latestResources()));

  app.post('/resources/:resources_id', { schema: { params: ResourcesParams, body: AglNamedResources }, config: ADMIN }, async (req) =>
    agl.updateResources(req.params.resources_id, req.body),
  );

  app.get('/resources/:resources_id', { schema: { params: ResourcesParams }, config: READ }, async (req, reply) =>
    orNull(reply, await agl.getResources(req.params.resources_id)),
  );

  // ---- spans ---------------------------------------------------------------------------------------------

  app.post('/spans', { schema: { body: AglSpanBody }, config: SPANS }, async (req, reply) => {
    const stored = await agl.addSpan(req.body);
    reply.code(201);
    return orNull(reply, stored);
  });

  app.get('/spans', { schema: { querystring: AglQuerySpansQuery }, config: READ }, async (req) => agl.querySpans(req.query));

  app.post('/spans/search', { schema: { body: AglQuerySpansBody }, config: READ }, async (req) => agl.querySpans(req.body));

  app.post('/spans/next', { schema: { body: AglNextSequenceBody }, config: SPANS }, async (req) => ({
    sequence_id: await agl.nextSequenceId(req.body.rollout_id),
  }));

  app.post('/waits/rollouts', { schema: { body: AglWaitBody }, config: READ }, async (req) => agl.waitForRollouts(req.body.rollout_ids, req.body.timeout));
};
