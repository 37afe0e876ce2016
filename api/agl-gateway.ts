// Agent Lightning 1.x's gateway API (agentlightning.server, 1.0.2), served by tracelight at the paths v1 uses, so
// its trainer, controller and agents work against tracelight unchanged (the AGL server's `--url` / `AGL_SERVER_URL`
// pointed here):
//   POST   /api/rollouts                       [RolloutCreate] → 201 [Rollout]; a known rollout_id returns it unchanged
//   GET    /api/rollouts?state_in=…&limit=     rollouts in those states, in creation order
//   GET    /api/rollouts/terminal?after=&limit= terminal rollouts in completion order: {items, next_after, total_terminal}
//   GET    /api/rollouts/{rid}                 {rollout, attempts}
//   PATCH  /api/rollouts/{rid}                 {status: {...}}: the v1 lifecycle; a transition it lacks is 409
//   DELETE /api/rollouts/{rid}                 204, idempotent
//   POST   /api/rollouts/{rid}/attempt/{aid}/events   an event; model_request becomes an LLM call, reward a reward
//   GET    /api/rollouts/{rid}/events          the current attempt's events (?event_type=, ?format=triplet)
//   POST   /api/models, DELETE /api/models     register / drop model servers; GET /api/models lists them (tracelight's)
//   POST   /proxy/rollout/{rid}/attempt/{aid}/mode/{train|val}/openai/v1/{chat/completions|completions}
//   POST   /proxy/pause, POST /proxy/resume, GET /proxy/state
// Errors answer as FastAPI does, `{"detail": ...}` (422 with a list for a refused request), from this plugin's own
// error handler. v1 state lives in the gateway's tables (store/agl-gateway.ts), since v1 ids are the caller's (the
// rollout queue names its own) and v1 keeps a terminal log the queue has not; a rollout that runs is also a rollout
// of the queue, its states mapped by AGL_STATE_MAPPING (schemas/agl-gateway.ts). LLM calls and rewards carry the v1 ids.
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  AGL_DEFAULT_ATTEMPT_ID,
  AGL_MODES,
  AGL_STATE_MAPPING,
  AGL_TERMINAL_STATES,
  AGL_VALID_TRANSITIONS,
  AglAttemptParams,
  AglEventCreate,
  AglEventsQuery,
  AglGatewayError,
  AglListQuery,
  AglModelsBody,
  AglPauseBody,
  AglRolloutCreateBody,
  AglRolloutParams,
  AglRolloutPatch,
  AglTerminalQuery,
  AGL_MAX_ID,
  type AglEvent,
  type AglLlmPort,
  type AglMode,
  type AglModel,
  type AglOperation,
  type AglProxyAnswer,
  type AglRollout,
  type AglRolloutCreate,
  type AglState,
  type AglStatusPatch,
  type AglTarget,
  type AglTerminalItem,
} from '../schemas/agl-gateway.js';
import { HTTP_STATUS, parseOrThrow, TracelightError } from '../schemas/errors.js';
import { LlmContent, type ResourceVersion } from '../schemas/resources.js';
import { AglGatewayStore, type AglStoredRollout } from '../store/agl-gateway.js';
import { KeyedMutex } from '../store/index.js';
import { dataIdOf, dedupeModelRequests, dropSupersededRoutedExperts, toTripletFormat, withoutRoutedExperts } from './agl-gateway-events.js';
import type { ApiContext } from './context.js';
import { RewardBody, rewardFromBody } from './training.js';

export interface AglGatewayOptions {
  /** The `llm` resource every new rollout pins (by label or version); its endpoint serves the proxy route. */
  resource: { name: string; ref: string | number } | null;
  /** The model asked of registered servers (v1's default_proxy.model_name); null: the first one registered. */
  model: string | null;
  /** Forced per mode, as v1's default_proxy.train / .val. */
  temperature: Readonly<Record<AglMode, number>>;
  /** Ask for log-probs on train calls (v1's include_log_probs). */
  includeLogProbs: boolean;
  /** The LLM proxy's call path; null: the proxy route answers 503 and posted model requests stay events only. */
  llm: AglLlmPort | null;
}

export const DEFAULT_AGL_GATEWAY_OPTIONS: AglGatewayOptions = {
  resource: null,
  model: null,
  temperature: { train: 1, val: 0.7 },
  includeLogProbs: true,
  llm: null,
};

const TAGS = ['agent lightning v1'];
const UPSTREAM_PATHS: Readonly<Record<string, AglOperation>> = { 'chat/completions': 'chat', completions: 'text_completion' };
const MAX_TERMINAL_PAGE = 100_000;

const notFound = (rolloutId: string): TracelightError => new TracelightError('not_found', `Rollout not found: ${rolloutId}`);
const nowSeconds = (): number => Date.now() / 1000;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The v1 state, ids and counters over the gateway's tables. Every change runs under one lock, as v1's single event loop does. */
class AglGateway {
  readonly db: AglGatewayStore;
  private readonly lock = new KeyedMutex();
  private counters: Promise<{ created: number; terminal: number; event: number }> | null = null;
  paused = false;
  retryAfterSeconds = 5;
  pauseReason: string | null = null;
  inflight = 0;

  constructor(
    private readonly ctx: ApiContext,
    readonly opts: AglGatewayOptions,
  ) {
    this.db = new AglGatewayStore(ctx.store.driver);
  }

  private change<T>(fn: (c: { created: number; terminal: number; event: number }) => Promise<T>): Promise<T> {
    return this.lock.run('', async () => {
      this.counters ??= Promise.all([this.db.maxCreatedSeq(), this.db.terminalCount(), this.db.maxEventSeq()]).then(([created, terminal, event]) => ({
        created,
        terminal,
        event,
      }));
      let c: { created: number; terminal: number; event: number };
      try {
        c = await this.counters;
      } catch (err) {
        this.counters = null;
        throw err;
      }
      return fn(c);
    });
  }

  async find(rolloutId: string): Promise<AglStoredRollout> {
    const r = await this.db.getRollout(rolloutId);
    if (!r) throw notFound(rolloutId);
    return r;
  }

  private async pin(): Promise<{ name: string; version: number } | null> {
    const res = this.opts.resource;
    if (!res) return null;
    let v: ResourceVersion;
    try {
      v = await this.ctx.resources.resolve(res.name, typeof res.ref === 'number' ? { version: res.ref } : { label: res.ref });
    } catch (err) {
      throw new TracelightError('unavailable', `the gateway's llm resource cannot be pinned: ${(err as Error).message}`, { retryAfterSeconds: 5 });
    }
    if (v.kind !== 'llm') throw new TracelightError('unavailable', `the gateway's resource ${res.name} is a ${v.kind}, not an llm (endpoint and model)`);
    return { name: v.name, version: v.version };
  }

  create(items: readonly AglRolloutCreate[]): Promise<AglRollout[]> {
    return this.change(async (c) => {
      const ids = items.map((it) => it.rollout_id).filter((id): id is string => typeof id === 'string');
      const existing = await this.db.getRollouts(ids);
      const resource = items.some((it) => !it.rollout_id || !existing.has(it.rollout_id)) ? await this.pin() : null;
      const made: AglStoredRollout[] = [];
      const out: AglRollout[] = [];
      let created = c.created;
      for (const it of items) {
        const known = it.rollout_id ? existing.get(it.rollout_id) : undefined;
        if (known) {
          out.push(known.rollout);
          continue;
        }
        const now = nowSeconds();
        const rollout: AglRollout = {
          rollout_id: it.rollout_id ?? randomUUID().replace(/-/g, ''),
          input: it.input,
          is_train: it.is_train,
          config: it.config ?? { timeout_seconds: 3600, local: null, k8s: null },
          metadata: it.metadata ?? { batch_idx: null, sample_idx_in_batch: null },
          status: { state: 'queuing', k8s_job_name: null, last_attempt_id: null, error_message: null, version: 1, created_at: now, updated_at: now },
        };
        const stored: AglStoredRollout = { rollout, generation: randomUUID(), created_seq: ++created, resource, queue: null };
        made.push(stored);
        existing.set(rollout.rollout_id, stored);
        out.push(rollout);
      }
      await this.db.writeRollouts(made);
      c.created = created;
      return out;
    });
  }

  patch(rolloutId: string, status: AglStatusPatch | null | undefined): Promise<AglRollout> {
    return this.change(async (c) => {
      const r = await this.find(rolloutId);
      const updates = status ?? {};
      if (Object.keys(updates).length === 0) return r.rollout;
      const from = r.rollout.status.state;
      if ('state' in updates) {
        const to = updates.state;
        if (to === null || to === undefined || !AGL_VALID_TRANSITIONS[from].includes(to)) {
          throw new TracelightError('conflict', `Rollout ${rolloutId}: cannot transition ${from} -> ${to ?? 'None'}`);
        }
      }
      const rollout: AglRollout = {
        ...r.rollout,
        status: { ...r.rollout.status, ...(updates as Partial<AglRollout['status']>), version: r.rollout.status.version + 1, updated_at: nowSeconds() },
      };
      const queue = 'state' in updates ? await this.mirror(r, rollout) : r.queue;
      await this.db.writeRollout({ ...r, rollout, queue });
      if ('state' in updates && AGL_TERMINAL_STATES.has(rollout.status.state)) {
        // A terminal state has no way out, so each rollout enters the log once per creation.
        await this.db.appendTerminal(c.terminal + 1, rolloutId);
        c.terminal += 1;
      }
      return rollout;
    });
  }

  /**
   * The rollout queue's side of a transition (AGL_STATE_MAPPING): a rollout that starts running becomes a queue
   * rollout with one attempt held by the gateway (never queued, so no tracelight worker claims it), running, with no
   * deadlines of the queue's own (v1's controller keeps its timeouts); its end completes that attempt. A rollout
   * failed before it ran never reaches the queue. v1 stays authoritative: a queue that refuses a change (its
   * rollout cancelled through tracelight's API) is reported, not fatal.
   */
  private async mirror(before: AglStoredRollout, after: AglRollout): Promise<AglStoredRollout['queue']> {
    const to = after.status.state;
    if (to === 'running' && !before.queue) {
      const attemptId = after.status.last_attempt_id || AGL_DEFAULT_ATTEMPT_ID;
      const [q] = await this.ctx.queue.create(
        [
          {
            input: after.input,
            mode: after.is_train ? 'train' : 'val',
            config: { timeout_seconds: null, unresponsive_seconds: null, max_attempts: 1, retry_on: [] },
            metadata: { ...after.metadata, agl_rollout_id: after.rollout_id, agl_attempt_id: attemptId },
            resources_id: null,
          },
        ],
        `agl-gateway:${attemptId}`.slice(0, AGL_MAX_ID),
      );
      const queueAttempt = q?.attempts[0]?.attempt_id;
      if (!q || !queueAttempt) return null;
      await this.ctx.queue.heartbeat(q.rollout_id, queueAttempt);
      return { rollout_id: q.rollout_id, attempt_id: queueAttempt };
    }
    if (before.queue && AGL_TERMINAL_STATES.has(to)) {
      const status = AGL_STATE_MAPPING[to].tracelight === 'succeeded' ? 'succeeded' : 'failed';
      try {
        await this.ctx.queue.complete(before.queue.rollout_id, before.queue.attempt_id, {
          status,
          ...(after.status.error_message ? { error: after.status.error_message } : {}),
        });
      } catch (err) {
        if (!(err instanceof TracelightError && err.kind === 'conflict')) throw err;
        process.emitWarning(`tracelight: agl gateway: rollout ${after.rollout_id} is ${to}, but its queue rollout refused the change: ${err.message}`);
      }
    }
    return before.queue;
  }

  remove(rolloutId: string): Promise<void> {
    return this.change(async () => {
      const r = await this.db.getRollout(rolloutId);
      if (r) await this.db.deleteRollout(r);
    });
  }

  /** Appends an event; `effect` (the tracelight side: an LLM call, a reward) runs first, so a failed one stores nothing. */
  addEvent(
    rolloutId: string,
    attemptId: string,
    eventType: string,
    data: Record<string, unknown>,
    effect?: (e: AglEvent, seq: number) => Promise<void>,
  ): Promise<AglEvent> {
    return this.change(async (c) => {
      const r = await this.find(rolloutId);
      const seq = c.event + 1;
      c.event = seq;
      const event: AglEvent = { event_type: eventType, rollout_id: rolloutId, attempt_id: attemptId, timestamp: nowSeconds(), data };
      await effect?.(event, seq);
      await this.db.appendEvent(r.generation, seq, event);
      return event;
    });
  }

  async terminal(after: number, limit: number): Promise<{ items: AglTerminalItem[]; next_after: number; total_terminal: number }> {
    const from = Math.max(0, after);
    const size = Math.min(Math.max(1, limit), MAX_TERMINAL_PAGE);
    const [total, ids] = await Promise.all([this.db.terminalCount(), this.db.terminalSlice(from, size)]);
    const rollouts = await this.db.getRollouts(ids);
    const items: AglTerminalItem[] = [];
    for (const id of ids) {
      const r = rollouts.get(id)?.rollout;
      if (r) items.push({ rollout_id: id, state: r.status.state, data_id: dataIdOf(r.input), is_train: r.is_train });
    }
    return { items, next_after: from + ids.length, total_terminal: total };
  }

  registerModels(models: readonly AglModel[]): Promise<AglModel[]> {
    return this.change(async () => {
      await this.db.writeModels(models, Date.now());
      return [...models];
    });
  }

  dropModels(): Promise<void> {
    return this.change(() => this.db.deleteAllModels());
  }

  /** Registered servers first, then every `llm` resource's `production` version. */
  async listModels(): Promise<AglModel[]> {
    const out = await this.db.models();
    for (const s of await this.ctx.resources.list()) {
      const version = s.labels.production;
      if (s.kind !== 'llm' || version === undefined) continue;
      const v = await this.ctx.resources.getVersion(s.name, version);
      const content = LlmContent.safeParse(v?.content);
      if (content.success) out.push({ model: content.data.model, endpoint: content.data.endpoint, version });
    }
    return out;
  }

  /** v1's rule: the rollout's pinned resource, else one registered server of the model, the same one for every call of the rollout. */
  async targetOf(r: AglStoredRollout): Promise<{ target: AglTarget; server: AglModel }> {
    if (r.resource) {
      const v = await this.ctx.resources.getVersion(r.resource.name, r.resource.version);
      if (!v)
        throw new TracelightError('unavailable', `resource ${r.resource.name} v${r.resource.version}, pinned by rollout ${r.rollout.rollout_id}, is gone`);
      const content = LlmContent.safeParse(v.content);
      const server = content.success
        ? { model: content.data.model, endpoint: content.data.endpoint, version: v.version }
        : { model: '', endpoint: '', version: v.version };
      return { target: { kind: 'resource', resource: { name: v.name, version: v.version, kind: v.kind, content: v.content } }, server };
    }
    const registered = await this.db.models();
    const model = this.opts.model ?? registered[0]?.model ?? '';
    const pool = registered.filter((m) => m.model === model).sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0));
    if (pool.length === 0) throw new TracelightError('unavailable', `No servers available for model '${model}'`);
    // A rollout keeps one endpoint, for the prefix cache.
    const digest = createHash('sha256').update(r.rollout.rollout_id, 'utf8').digest();
    const server = pool[Number(digest.readBigUInt64BE(0) % BigInt(pool.length))] as AglModel;
    return { target: { kind: 'server', upstream: server.endpoint, model: server.model }, server };
  }

  /** v1's prepare_body: the mode's temperature, token ids always, log-probs on train calls. */
  prepare(body: Record<string, unknown>, mode: AglMode, model: string): Record<string, unknown> {
    const out: Record<string, unknown> = { ...body, model, temperature: this.opts.temperature[mode], return_token_ids: true };
    if (mode === 'train' && this.opts.includeLogProbs) out.logprobs = true;
    return out;
  }
}

// ---- errors in FastAPI's shape ------------------------------------------------------------------------------

const LOC_PART: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

function validationDetail(err: FastifyError): unknown[] {
  const part = LOC_PART[err.validationContext ?? 'body'] ?? 'body';
  return (err.validation ?? []).map((v) => {
    const params = (v.params ?? {}) as { input?: unknown; keys?: string[] };
    const loc: (string | number)[] = [
      part,
      ...v.instancePath
        .split('/')
        .filter((p) => p !== '')
        .map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
    ];
    // pydantic names the unknown field itself, and a missing one as missing.
    if (v.keyword === 'unrecognized_keys' && params.keys?.[0] !== undefined) {
      return { type: 'extra_forbidden', loc: [...loc, params.keys[0]], msg: 'Extra inputs are not permitted', input: null };
    }
    const missing = v.keyword === 'invalid_type' && /received undefined/.test(v.message ?? '');
    return { type: missing ? 'missing' : String(v.keyword), loc, msg: missing ? 'Field required' : v.message, input: params.input ?? null };
  });
}

function installErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const proxied = req.url.startsWith('/proxy/rollout/');
    if (hasZodFastifySchemaValidationErrors(err)) return reply.code(422).send({ detail: validationDetail(err) });
    if ((err as unknown) instanceof AglGatewayError) return reply.code((err as unknown as AglGatewayError).status).send({ detail: err.message });
    if ((err as unknown) instanceof TracelightError) {
      const e = err as unknown as TracelightError;
      if (e.retryAfterSeconds !== undefined) reply.header('Retry-After', String(e.retryAfterSeconds));
      if (e.kind === 'unauthorized') reply.header('WWW-Authenticate', 'Bearer');
      // The server's JSON parser refused the body.
      if (e.kind === 'invalid' && e.message.startsWith('request body is not valid JSON')) {
        if (proxied) return reply.code(400).send({ detail: 'Invalid JSON in request body' });
        return reply.code(422).send({ detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {} }] });
      }
      if (e.kind === 'internal' || e.kind === 'unavailable') req.log.error(err);
      return reply.code(HTTP_STATUS[e.kind]).send({ detail: e.message });
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send({ detail: 'request body exceeds the server limit' });
    const status = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) req.log.error(err);
    return reply.code(status).send({ detail: status >= 500 ? 'Internal Server Error' : err.message });
  });
}

// ---- routes ---------------------------------------------------------------------------------------------

const ProxyParams = z.object({ rollout_id: z.string().max(AGL_MAX_ID), attempt_id: z.string().max(AGL_MAX_ID), mode: z.string().max(64) });
const ProxyParams1 = ProxyParams.extend({ upstream_path: z.string().max(256) });
const ProxyParams2 = ProxyParams.extend({ upstream_head: z.string().max(256), upstream_tail: z.string().max(256) });

export const aglGatewayArea: FastifyPluginAsync<ApiContext & { agl?: Partial<AglGatewayOptions> }> = async (base, ctx) => {
  base.setValidatorCompiler(validatorCompiler);
  installErrors(base);
  const gw = new AglGateway(ctx, { ...DEFAULT_AGL_GATEWAY_OPTIONS, ...(ctx.agl ?? {}) });
  const app = base.withTypeProvider<ZodTypeProvider>();
  const schema = <T extends object>(summary: string, s: T) => ({ summary, tags: TAGS, ...s });

  app.post(
    '/api/rollouts',
    { schema: schema('Create rollouts (v1); a known rollout_id returns the rollout unchanged', { body: AglRolloutCreateBody }), config: { scope: 'admin' } },
    async (req, reply) => reply.code(201).send(await gw.create(req.body)),
  );

  app.get(
    '/api/rollouts',
    { schema: schema('Rollouts in the given states, in creation order (v1)', { querystring: AglListQuery }), config: { scope: ['read', 'worker'] } },
    async (req) => {
      const { state_in, limit } = req.query;
      const states = [...new Set(state_in)] as AglState[];
      // v1 slices with Python's [:limit], so a negative limit drops that many from the end.
      if (limit >= 0) return (await gw.db.listByStates(states, limit)).map((r) => r.rollout);
      return (await gw.db.listByStates(states, null)).slice(0, limit).map((r) => r.rollout);
    },
  );

  app.get(
    '/api/rollouts/terminal',
    {
      schema: schema('Terminal rollouts in completion order from a cursor (v1): {items, next_after, total_terminal}', { querystring: AglTerminalQuery }),
      config: { scope: ['read', 'worker'] },
    },
    async (req) => gw.terminal(req.query.after, req.query.limit),
  );

  app.get(
    '/api/rollouts/:rollout_id',
    { schema: schema('One rollout and its attempts (v1)', { params: AglRolloutParams }), config: { scope: ['read', 'worker'] } },
    async (req) => {
      const r = await gw.find(req.params.rollout_id);
      return { rollout: r.rollout, attempts: await gw.db.attempts(r.rollout.rollout_id, r.generation) };
    },
  );

  app.patch(
    '/api/rollouts/:rollout_id',
    { schema: schema('Patch the lifecycle status of a rollout (v1)', { params: AglRolloutParams, body: AglRolloutPatch }), config: { scope: 'worker' } },
    async (req) => gw.patch(req.params.rollout_id, req.body.status),
  );

  app.delete(
    '/api/rollouts/:rollout_id',
    { schema: schema('Delete a rollout and its events (v1); idempotent', { params: AglRolloutParams }), config: { scope: 'admin' } },
    async (req, reply) => {
      await gw.remove(req.params.rollout_id);
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/rollouts/:rollout_id/attempt/:attempt_id/events',
    {
      schema: schema('Post an event of a rollout attempt (v1): model_request becomes an LLM call, reward a reward', {
        params: AglAttemptParams,
        body: AglEventCreate,
      }),
      config: { scope: ['ingest', 'worker'] },
    },
    async (req) => {
      const { rollout_id: rolloutId, attempt_id: attemptId } = req.params;
      const { event_type: type, data } = req.body;
      return gw.addEvent(rolloutId, attemptId, type, data, async (e, seq) => {
        if (type === 'model_request' && gw.opts.llm) await gw.opts.llm.record({ rolloutId, attemptId, timestamp: e.timestamp, data });
        if (type === 'reward') await writeReward(ctx, e, seq);
      });
    },
  );

  app.get(
    '/api/rollouts/:rollout_id/events',
    {
      schema: schema("The events of a rollout's current attempt (v1)", { params: AglRolloutParams, querystring: AglEventsQuery }),
      config: { scope: ['read', 'worker'] },
    },
    async (req) => {
      const r = await gw.find(req.params.rollout_id);
      const attempt = r.rollout.status.last_attempt_id || AGL_DEFAULT_ATTEMPT_ID;
      let events = dropSupersededRoutedExperts(await gw.db.events(r.rollout.rollout_id, r.generation, attempt));
      const q = req.query;
      if (q.event_type !== undefined) events = events.filter((e) => e.event_type === q.event_type);
      if (q.format === 'triplet') events = dedupeModelRequests(events.map(toTripletFormat));
      if (!q.include_routed_experts) events = events.map(withoutRoutedExperts);
      return events;
    },
  );

  app.post(
    '/api/models',
    { schema: schema('Register model servers (v1), upserted by (model, endpoint)', { body: AglModelsBody }), config: { scope: 'admin' } },
    async (req, reply) => reply.code(201).send(await gw.registerModels(req.body)),
  );

  app.delete('/api/models', { schema: schema('Remove every registered model server (v1)', {}), config: { scope: 'admin' } }, async () => {
    await gw.dropModels();
    return { status: 'ok' };
  });

  // Not in v1 (1.0.2 registers and removes only): the servers registered, then the llm resources labelled production.
  app.get('/api/models', { schema: schema('Registered model servers and llm resources (tracelight)', {}), config: { scope: ['read', 'worker'] } }, async () =>
    gw.listModels(),
  );

  const proxy = async (req: FastifyRequest, reply: FastifyReply, p: z.infer<typeof ProxyParams>, upstreamPath: string): Promise<FastifyReply> => {
    if (!(AGL_MODES as readonly string[]).includes(p.mode)) throw new TracelightError('not_found', `Unsupported proxy mode: ${p.mode}`);
    const op = UPSTREAM_PATHS[upstreamPath];
    if (!op) throw new TracelightError('not_found', `Unsupported upstream path: ${upstreamPath}`);
    const r = await gw.find(p.rollout_id);
    const llm = gw.opts.llm;
    if (!llm) throw new TracelightError('unavailable', 'Proxy not configured');
    if (!isRecord(req.body)) throw new AglGatewayError(400, 'Request body must be a JSON object');
    const mode = p.mode as AglMode;
    const { target, server } = await gw.targetOf(r);
    const body = gw.prepare(req.body, mode, server.model);
    if (gw.paused) {
      return reply
        .code(429)
        .headers({ 'retry-after': String(gw.retryAfterSeconds), 'x-agl-paused': 'true' })
        .send({ error: 'gateway paused', reason: gw.pauseReason });
    }
    gw.inflight += 1;
    try {
      if (body.stream === true) throw new AglGatewayError(400, 'Streaming responses are not supported');
      const onAnswer = async (a: AglProxyAnswer): Promise<void> => {
        const response = isRecord(a.body) ? structuredClone(a.body) : {};
        const routedExperts = popRoutedExperts(response);
        await gw.addEvent(p.rollout_id, p.attempt_id, 'model_request', {
          model: server.model,
          model_version: server.version,
          request: a.sent,
          response,
          server: { model: server.model, endpoint: server.endpoint, version: server.version },
          latency_ms: a.latencyMs,
          http_status: a.status,
          status: a.status < 400 ? 'ok' : 'error',
          retry_count: 0,
          routed_experts: routedExperts,
          usage: isRecord(response.usage) ? response.usage : null,
          finish_reason: finishReason(response),
        });
      };
      return await llm.forward(req, reply, { operation: op, body, target, rolloutId: p.rollout_id, attemptId: p.attempt_id, mode }, onAnswer);
    } finally {
      gw.inflight = Math.max(0, gw.inflight - 1);
    }
  };

  const PROXY = '/proxy/rollout/:rollout_id/attempt/:attempt_id/mode/:mode/openai/v1';
  const proxySummary = 'OpenAI-compatible endpoint of a rollout attempt (v1): the call is forwarded and recorded for the rollout';
  app.post(`${PROXY}/:upstream_path`, { schema: schema(proxySummary, { params: ProxyParams1 }), config: { scope: ['ingest', 'worker'] } }, async (req, reply) =>
    proxy(req, reply, req.params, req.params.upstream_path),
  );
  app.post(
    `${PROXY}/:upstream_head/:upstream_tail`,
    { schema: schema(proxySummary, { params: ProxyParams2 }), config: { scope: ['ingest', 'worker'] } },
    async (req, reply) => proxy(req, reply, req.params, `${req.params.upstream_head}/${req.params.upstream_tail}`),
  );

  const pauseState = () => ({ paused: gw.paused, retry_after_seconds: gw.retryAfterSeconds, reason: gw.pauseReason, inflight: gw.inflight });
  app.post(
    '/proxy/pause',
    { schema: schema('Pause new proxy calls while those in flight drain (v1)', { body: AglPauseBody }), config: { scope: 'admin' } },
    async (req) => {
      gw.paused = true;
      gw.retryAfterSeconds = req.body.retry_after_seconds;
      gw.pauseReason = req.body.reason;
      return pauseState();
    },
  );
  app.post('/proxy/resume', { schema: schema('Resume proxy calls after a pause (v1)', {}), config: { scope: 'admin' } }, async () => {
    gw.paused = false;
    gw.pauseReason = null;
    return pauseState();
  });
  app.get('/proxy/state', { schema: schema('The pause state and calls in flight (v1)', {}), config: { scope: ['read', 'worker'] } }, async () => pauseState());

  base.addHook('onClose', async () => {
    await gw.opts.llm?.close();
  });
};

function popRoutedExperts(response: Record<string, unknown>): unknown {
  if (!Array.isArray(response.choices)) return null;
  for (const c of response.choices) {
    if (isRecord(c) && 'routed_experts' in c) {
      const v = c.routed_experts;
      delete c.routed_experts;
      if (v !== null && v !== undefined) return v;
    }
  }
  return null;
}

function finishReason(response: Record<string, unknown>): string | null {
  const first = Array.isArray(response.choices) ? response.choices[0] : undefined;
  return isRecord(first) && typeof first.finish_reason === 'string' && first.finish_reason ? first.finish_reason : null;
}

/** A reward event as a tracelight reward, by the path of POST /api/v1/rewards; re-posting the same event replaces it. */
async function writeReward(ctx: ApiContext, e: AglEvent, seq: number): Promise<void> {
  const d = e.data;
  if (typeof d.value !== 'number' || !Number.isFinite(d.value)) return; // kept as an event; nothing to train on
  const text = (v: unknown, max: number): string | undefined => (typeof v === 'string' && v !== '' ? v.slice(0, max) : undefined);
  const source = text(d.source, 90);
  const body = parseOrThrow(
    RewardBody,
    {
      rollout_id: e.rollout_id,
      ...(e.attempt_id ? { attempt_id: e.attempt_id } : {}),
      name: 'reward',
      value: d.value,
      ...(text(d.reason, 200) ? { label: text(d.reason, 200) } : {}),
      ...(text(d.message, 100_000) ? { explanation: text(d.message, 100_000) } : {}),
      source: source ? `agl:${source}` : 'agl',
      reward_id: `agl:${e.rollout_id}:${seq}`.slice(0, 256),
    },
    'reward event',
  );
  await ctx.store.writeRewards([rewardFromBody(body, '')]);
}
