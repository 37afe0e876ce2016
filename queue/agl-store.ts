// Agent Lightning's LightningStore (agentlightning 0.3) over tracelight, not beside it: its rollouts and attempts
// are the rollout queue's (queue/rollout-queue.ts), so a rollout enqueued by an Agent Lightning algorithm can be
// claimed by a tracelight worker and the other way round; its spans are tracelight's spans (otel_traces, and the
// LLM calls and rewards the normalizers derive from them), with Agent Lightning's JSON and sequence ids beside them
// (agl_spans); its resources snapshots are sets of tracelight resource versions. What tracelight has no notion of
// (workers, snapshots, sequence counters) lives here, persisted through store/agl.ts.
//
// The semantics are those of Agent Lightning's in-memory store (`CollectionBasedLightningStore`), quirks included
// where a caller could tell: listings filter, sort (stable; a missing *_time sorts last) and page as its
// collections do; sequence ids count per rollout; a span is a heartbeat of its attempt.
// Deliberate differences: an unknown rollout or attempt is a 404 (Agent Lightning 0.3 answers an unhandled
// ValueError with a 500, which its client retries for ~8 s before raising the same aiohttp.ClientResponseError);
// a wait without a timeout waits at most MAX_WAIT_MS; `retry_condition` keeps only the statuses a retry can follow
// (failed, timeout, unresponsive), once each; a null metadata is stored as {}.
import { randomBytes } from 'node:crypto';
import {
  AGL_FIELDS,
  AGL_TO_TRACELIGHT_ATTEMPT_STATUS,
  AGL_TO_TRACELIGHT_ROLLOUT_STATUS,
  aglIdsOf,
  aglSpanFromRecord,
  spanRecordFromAgl,
  TRACELIGHT_TO_AGL_ATTEMPT_STATUS,
  TRACELIGHT_TO_AGL_ROLLOUT_STATUS,
  type AglAttempt,
  type AglAttemptedRollout,
  type AglEnqueueRollout,
  type AglModel,
  type AglNamedResources,
  type AglPage,
  type AglQueryAttempts,
  type AglQueryResources,
  type AglQueryRollouts,
  type AglQuerySpans,
  type AglQueryWorkers,
  type AglResource,
  type AglResourcesUpdate,
  type AglRollout,
  type AglRolloutConfigBody,
  type AglSpan,
  type AglUpdateAttemptBody,
  type AglUpdateRolloutBody,
  type AglWorker,
} from '../schemas/agl.js';
import { TracelightError } from '../schemas/errors.js';
import { checkResourceName, parseResourceContent, ResourceNotFoundError } from '../schemas/resources.js';
import {
  FINAL_ROLLOUT_STATUSES,
  MAX_WAIT_MS,
  RETRYABLE_ATTEMPT_STATUSES,
  type AttemptRecord,
  type RetryableAttemptStatus,
  type RolloutConfig,
  type RolloutRecord,
} from '../schemas/rollouts.js';
import type { SpanRecord } from '../schemas/telemetry.js';
import { AglStore, type AglSnapshotRow, type ResourceStore, type Store, type TableRows } from '../store/index.js';
import type { AttemptPatch, RolloutPatch, RolloutQueue } from './rollout-queue.js';

export interface AglStoreOptions {
  store: Store;
  queue: RolloutQueue;
  resources: ResourceStore;
  /** Writes spans as OTLP ingest does (raw rows and what the normalizers derive), with `extra` rows, in one acknowledged write. */
  writeSpans: (spans: SpanRecord[], extra: TableRows[]) => Promise<void>;
}

/** What the OTLP ingest path asks for each batch of spans (receiver/ingest.ts SpanSideRows, structurally). */
export interface AglOtlpRows {
  rows: TableRows[];
  onWritten: () => void;
}

const AUTHOR = 'agentlightning';
/** Sequence counters kept in memory; a rollout beyond them reads its largest stored id again. */
const MAX_COUNTERS = 100_000;

const sec = (ms: number | null): number | null => (ms === null ? null : ms / 1000);
const notFound = (message: string): TracelightError => new TracelightError('not_found', message);
const invalid = (message: string): TracelightError => new TracelightError('invalid', message);

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

// ---- Agent Lightning's collection semantics (agentlightning.store.collection.memory) ------------------------

type Op = 'exact' | 'within' | 'contains';
interface Cond {
  field: string;
  op: Op;
  value: unknown;
}

function condHolds(item: Record<string, unknown>, c: Cond): boolean {
  const v = item[c.field] ?? null;
  if (c.op === 'exact') return canonical(v) === canonical(c.value);
  if (c.op === 'within') return Array.isArray(c.value) && c.value.some((x) => canonical(x) === canonical(v));
  if (v === null) return false;
  if (typeof v === 'string' && typeof c.value === 'string') return v.includes(c.value);
  return Array.isArray(v) && v.some((x) => canonical(x) === canonical(c.value));
}

/**
 * `fieldsNamed`: the filter names fields at all. Agent Lightning pools every condition under one and/or; a filter
 * that names fields but holds no condition matches everything under `and` and nothing under `or`.
 */
function matches(item: Record<string, unknown>, conds: readonly Cond[], logic: 'and' | 'or', fieldsNamed: boolean): boolean {
  if (!fieldsNamed) return true;
  return logic === 'and' ? conds.every((c) => condHolds(item, c)) : conds.some((c) => condHolds(item, c));
}

function sortKey(item: Record<string, unknown>, field: string): unknown {
  const v = item[field] ?? null;
  if (field.endsWith('_time')) return v === null ? Infinity : v;
  return v === null ? '' : v;
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const x = typeof a === 'string' ? a : canonical(a);
  const y = typeof b === 'string' ? b : canonical(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Agent Lightning's `PaginatedResult` of a query: stable sort, then offset and limit (-1: no limit). */
function page<T extends object>(items: readonly T[], sortBy: string | null | undefined, order: 'asc' | 'desc', limit: number, offset: number): AglPage<T> {
  let sorted = [...items];
  if (sortBy) {
    const sign = order === 'desc' ? -1 : 1;
    sorted = sorted.sort((a, b) => sign * compare(sortKey(a as Record<string, unknown>, sortBy), sortKey(b as Record<string, unknown>, sortBy)));
  }
  return { items: limit === -1 ? sorted.slice(offset) : sorted.slice(offset, offset + limit), limit, offset, total: items.length };
}

/** The checks of Agent Lightning's server on every listing (`_validate_paginated_request`), with its messages. */
export function checkPage(model: AglModel, q: { sort_by?: string | null; limit: number; offset: number }): void {
  const fields = AGL_FIELDS[model] as readonly string[];
  if (q.sort_by !== null && q.sort_by !== undefined && !fields.includes(q.sort_by))
    throw invalid(`Invalid sort_by: ${q.sort_by}, allowed fields are: ${fields.join(', ')}`);
  if (q.limit === 0 || (q.limit < 0 && q.limit !== -1)) throw invalid('Limit must be greater than 0 or -1 for no limit');
  if (q.offset < 0) throw invalid('Offset must be greater than or equal to 0');
}

function nonNull<T>(body: Record<string, unknown>, field: string): T | undefined {
  if (!(field in body)) return undefined;
  const v = body[field];
  if (v === null || v === undefined) throw invalid(`${field} is invalid; it cannot be a null value.`);
  return v as T;
}

function tracelightConfig(c: AglRolloutConfigBody | null | undefined): RolloutConfig {
  const retry = (c?.retry_condition ?? []).filter((s): s is RetryableAttemptStatus => (RETRYABLE_ATTEMPT_STATUSES as readonly string[]).includes(s));
  return {
    timeout_seconds: c?.timeout_seconds ?? null,
    unresponsive_seconds: c?.unresponsive_seconds ?? null,
    max_attempts: c?.max_attempts ?? 1,
    retry_on: [...new Set(retry)],
  };
}

export function aglAttempt(a: AttemptRecord): AglAttempt {
  return {
    rollout_id: a.rollout_id,
    attempt_id: a.attempt_id,
    sequence_id: a.sequence,
    start_time: a.started_at / 1000,
    end_time: sec(a.ended_at),
    status: TRACELIGHT_TO_AGL_ATTEMPT_STATUS[a.status],
    worker_id: a.worker_id === '' ? null : a.worker_id,
    last_heartbeat_time: sec(a.last_heartbeat_at),
    metadata: a.metadata ?? null,
  };
}

export function aglRollout(r: RolloutRecord): AglRollout {
  return {
    rollout_id: r.rollout_id,
    input: r.input,
    start_time: r.enqueued_at / 1000,
    end_time: sec(r.ended_at),
    mode: r.mode,
    resources_id: r.resources_id ?? null,
    status: TRACELIGHT_TO_AGL_ROLLOUT_STATUS[r.status],
    config: {
      timeout_seconds: r.config.timeout_seconds,
      unresponsive_seconds: r.config.unresponsive_seconds,
      max_attempts: r.config.max_attempts,
      retry_condition: r.config.retry_on.map((s) => TRACELIGHT_TO_AGL_ATTEMPT_STATUS[s]),
    },
    metadata: r.metadata,
  };
}

/** The rollout with its latest attempt, as Agent Lightning returns a rollout that has been attempted. */
export function aglAttempted(r: RolloutRecord): AglRollout | AglAttemptedRollout {
  const latest = r.attempts.at(-1);
  return latest ? { ...aglRollout(r), attempt: aglAttempt(latest) } : aglRollout(r);
}

type WorkerCategory = 'busy' | 'idle' | 'unknown';
const categoryOf = (a: AttemptRecord): WorkerCategory =>
  a.status === 'succeeded' || a.status === 'failed' ? 'idle' : a.status === 'timeout' || a.status === 'unresponsive' ? 'unknown' : 'busy';

const newWorker = (id: string): AglWorker => ({
  worker_id: id,
  status: 'unknown',
  heartbeat_stats: null,
  last_heartbeat_time: null,
  last_dequeue_time: null,
  last_busy_time: null,
  last_idle_time: null,
  current_rollout_id: null,
  current_attempt_id: null,
});

type Snapshot = AglSnapshotRow;

export class AglLightningStore {
  readonly db: AglStore;
  private readonly queue: RolloutQueue;
  private readonly resources: ResourceStore;
  private readonly writeSpans: AglStoreOptions['writeSpans'];
  private readonly launchedAt = Date.now();
  private readonly workers = new Map<string, AglWorker>();
  private readonly pendingWorkerWrites = new Set<Promise<void>>();
  private readonly snapshots = new Map<string, Snapshot>();
  private latestResourcesId: string | null = null;
  /** Immutable tracelight resource versions: `name\0version` → the Agent Lightning resource it holds. */
  private readonly contents = new Map<string, AglResource>();
  private readonly counters = new Map<string, number>();
  private readonly counterLoads = new Map<string, Promise<void>>();
  private clock = 0;
  private unsubscribe: (() => void) | null = null;

  constructor(opts: AglStoreOptions) {
    this.db = new AglStore(opts.store.driver);
    this.queue = opts.queue;
    this.resources = opts.resources;
    this.writeSpans = opts.writeSpans;
  }

  /** Reloads workers and snapshots, and follows the queue's changes so workers track their attempts. */
  async start(): Promise<void> {
    const [workers, snapshots] = await Promise.all([this.db.loadWorkers(), this.db.loadSnapshots()]);
    for (const w of workers) this.workers.set(w.worker_id, w);
    let latest: Snapshot | null = null;
    for (const s of snapshots) {
      this.snapshots.set(s.resources_id, s);
      if (!latest || s.update_time > latest.update_time || (s.update_time === latest.update_time && s.write_seq > latest.write_seq)) latest = s;
    }
    this.latestResourcesId = latest?.resources_id ?? null;
    this.unsubscribe = this.queue.onCommit((next, prev) => this.followAttempts(next, prev));
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    await Promise.allSettled([...this.pendingWorkerWrites]);
    await this.db.close();
  }

  private tick(): number {
    this.clock = Math.max(this.clock + 1, Date.now() * 1000);
    return this.clock;
  }

  // ---- rollouts and attempts ---------------------------------------------------------------------------------

  async enqueue(items: readonly AglEnqueueRollout[]): Promise<AglRollout[]> {
    if (items.length === 0) return [];
    const records = await this.queue.create(items.map((it) => this.newRollout(it)));
    return records.map(aglRollout);
  }

  async startRollout(item: AglEnqueueRollout & { worker_id?: string | null | undefined }): Promise<AglAttemptedRollout> {
    const [r] = await this.queue.create([this.newRollout(item)], item.worker_id ?? '');
    await this.flushWorkers();
    return aglAttempted(r as RolloutRecord) as AglAttemptedRollout;
  }

  private newRollout(it: AglEnqueueRollout): Parameters<RolloutQueue['create']>[0][number] {
    return {
      input: it.input ?? null,
      mode: it.mode ?? null,
      // Agent Lightning gives a rollout without resources the latest snapshot.
      resources_id: it.resources_id ?? this.latestResourcesId,
      config: tracelightConfig(it.config),
      metadata: it.metadata ?? {},
    };
  }

  /** Up to `limit` queued rollouts, each with a new attempt (never waits: Agent Lightning's runners poll). */
  async dequeue(limit: number, workerId: string | null | undefined): Promise<AglAttemptedRollout[]> {
    if (limit <= 0) return [];
    const ids: string[] = [];
    while (ids.length < limit) {
      const claimed = await this.queue.claim(workerId ?? '', 0);
      if (!claimed) break;
      ids.push(claimed.rollout_id);
    }
    if (workerId) {
      const now = Date.now() / 1000;
      const w = this.worker(workerId);
      if (ids.length === 0 && w.status !== 'idle') Object.assign(w, { status: 'idle', last_idle_time: now });
      w.last_dequeue_time = now;
      this.persistWorker(w);
    }
    await this.flushWorkers();
    return (await this.queue.snapshots(ids)).map((r) => aglAttempted(r) as AglAttemptedRollout);
  }

  async startAttempt(rolloutId: string, workerId: string | null | undefined): Promise<AglAttemptedRollout> {
    await this.mustExist(rolloutId);
    const r = await this.queue.startAttempt(rolloutId, workerId ?? '');
    await this.flushWorkers();
    return aglAttempted(r) as AglAttemptedRollout;
  }

  async queryRollouts(q: AglQueryRollouts): Promise<AglPage<AglRollout | AglAttemptedRollout>> {
    checkPage('Rollout', q);
    const { ids, total } = await this.db.rolloutPage({
      statuses: q.status_in ? q.status_in.map((s) => AGL_TO_TRACELIGHT_ROLLOUT_STATUS[s]) : null,
      ids: q.rollout_id_in ?? null,
      contains: q.rollout_id_contains ?? null,
      logic: q.filter_logic,
      sortBy: q.sort_by ?? null,
      order: q.sort_order,
      limit: q.limit,
      offset: q.offset,
    });
    return { items: (await this.queue.snapshots(ids)).map(aglAttempted), limit: q.limit, offset: q.offset, total };
  }

  async getRollout(rolloutId: string): Promise<AglRollout | AglAttemptedRollout | null> {
    const r = await this.queue.snapshot(rolloutId);
    return r ? aglAttempted(r) : null;
  }

  async updateRollout(rolloutId: string, body: AglUpdateRolloutBody): Promise<AglRollout> {
    const raw = body as Record<string, unknown>;
    const patch: RolloutPatch = {};
    if ('input' in raw) patch.input = body.input ?? null;
    if ('mode' in raw) patch.mode = body.mode ?? null;
    if ('resources_id' in raw) patch.resources_id = body.resources_id ?? null;
    const status = nonNull<AglRollout['status']>(raw, 'status');
    if (status !== undefined) patch.status = AGL_TO_TRACELIGHT_ROLLOUT_STATUS[status];
    const config = nonNull<AglRolloutConfigBody>(raw, 'config');
    if (config !== undefined) patch.config = tracelightConfig(config);
    if ('metadata' in raw) patch.metadata = body.metadata ?? {};
    await this.mustExist(rolloutId);
    return aglRollout(await this.queue.update(rolloutId, patch));
  }

  async queryAttempts(rolloutId: string, q: AglQueryAttempts): Promise<AglPage<AglAttempt>> {
    checkPage('Attempt', q);
    const r = await this.queue.snapshot(rolloutId);
    return page((r?.attempts ?? []).map(aglAttempt), q.sort_by, q.sort_order, q.limit, q.offset);
  }

  async latestAttempt(rolloutId: string): Promise<AglAttempt | null> {
    const a = (await this.queue.snapshot(rolloutId))?.attempts.at(-1);
    return a ? aglAttempt(a) : null;
  }

  async updateAttempt(rolloutId: string, attemptId: string, body: AglUpdateAttemptBody): Promise<AglAttempt> {
    const raw = body as Record<string, unknown>;
    const patch: AttemptPatch = {};
    const status = nonNull<AglAttempt['status']>(raw, 'status');
    if (status !== undefined) patch.status = AGL_TO_TRACELIGHT_ATTEMPT_STATUS[status];
    const worker = nonNull<string>(raw, 'worker_id');
    if (worker !== undefined) patch.worker_id = worker;
    const beat = nonNull<number>(raw, 'last_heartbeat_time');
    if (beat !== undefined) patch.last_heartbeat_at = Math.round(beat * 1000);
    const metadata = nonNull<Record<string, unknown>>(raw, 'metadata');
    if (metadata !== undefined) patch.metadata = metadata;
    await this.mustExist(rolloutId);
    const { attempt } = await this.queue.updateAttempt(rolloutId, attemptId, patch);
    await this.flushWorkers();
    return aglAttempt(attempt);
  }

  /** The rollouts among `rolloutIds` that are finished, once all are or `timeoutSeconds` passed; unknown ids are left out. */
  async waitForRollouts(rolloutIds: readonly string[], timeoutSeconds: number | null | undefined): Promise<AglRollout[]> {
    const known = [...new Set((await this.queue.snapshots([...new Set(rolloutIds)])).map((r) => r.rollout_id))];
    const ms = timeoutSeconds === null || timeoutSeconds === undefined ? MAX_WAIT_MS : Math.min(MAX_WAIT_MS, Math.max(0, Math.round(timeoutSeconds * 1000)));
    const states = new Map<string, RolloutRecord>();
    if (known.length > 0) {
      await this.queue.wait(known, ms);
      for (const r of await this.queue.snapshots(known)) states.set(r.rollout_id, r);
    }
    return rolloutIds.flatMap((id) => {
      const r = states.get(id);
      return r && FINAL_ROLLOUT_STATUSES.has(r.status) ? [aglRollout(r)] : [];
    });
  }

  private async mustExist(rolloutId: string): Promise<RolloutRecord> {
    const r = await this.queue.snapshot(rolloutId);
    if (!r) throw notFound(`Rollout ${rolloutId} not found`);
    return r;
  }

  // ---- workers -------------------------------------------------------------------------------------------

  private worker(id: string): AglWorker {
    let w = this.workers.get(id);
    if (!w) this.workers.set(id, (w = newWorker(id)));
    return w;
  }

  private persistWorker(w: AglWorker): void {
    const p = this.db.writeWorkers([{ worker: { ...w }, version: this.tick() }]);
    this.pendingWorkerWrites.add(p);
    p.catch((err: Error) => process.emitWarning(`tracelight: Agent Lightning worker ${w.worker_id} not persisted: ${err.message}`)).finally(() =>
      this.pendingWorkerWrites.delete(p),
    );
  }

  /** Waits for the worker changes made so far (a request that changed a worker answers once it is written). */
  private async flushWorkers(): Promise<void> {
    await Promise.all([...this.pendingWorkerWrites]);
  }

  /** Agent Lightning's `_unlocked_sync_worker_with_attempt`, for every attempt whose worker or kind of status changed. */
  private followAttempts(next: RolloutRecord, prev: RolloutRecord | undefined): void {
    for (const a of next.attempts) {
      if (!a.worker_id) continue;
      const before = prev?.attempts.find((x) => x.attempt_id === a.attempt_id);
      if (before && before.worker_id === a.worker_id && categoryOf(before) === categoryOf(a)) continue;
      const w = this.worker(a.worker_id);
      const now = Date.now() / 1000;
      const category = categoryOf(a);
      if (category === 'busy') Object.assign(w, { status: 'busy', last_busy_time: now, current_rollout_id: a.rollout_id, current_attempt_id: a.attempt_id });
      else Object.assign(w, { status: category, last_idle_time: now, current_rollout_id: null, current_attempt_id: null });
      this.persistWorker(w);
    }
  }

  queryWorkers(q: AglQueryWorkers): AglPage<AglWorker> {
    checkPage('Worker', q);
    const conds: Cond[] = [];
    if (q.status_in !== null && q.status_in !== undefined) conds.push({ field: 'status', op: 'within', value: q.status_in });
    if (q.worker_id_contains !== null && q.worker_id_contains !== undefined) conds.push({ field: 'worker_id', op: 'contains', value: q.worker_id_contains });
    const items = [...this.workers.values()].filter((w) => matches(w as unknown as Record<string, unknown>, conds, q.filter_logic, conds.length > 0));
    return page(
      items.map((w) => ({ ...w })),
      q.sort_by,
      q.sort_order,
      q.limit,
      q.offset,
    );
  }

  getWorker(workerId: string): AglWorker | null {
    const w = this.workers.get(workerId);
    return w ? { ...w } : null;
  }

  async updateWorker(workerId: string, body: { heartbeat_stats?: Record<string, unknown> | null } | null | undefined): Promise<AglWorker> {
    const stats = body ? nonNull<Record<string, unknown>>(body as Record<string, unknown>, 'heartbeat_stats') : undefined;
    const w = this.worker(workerId);
    w.last_heartbeat_time = Date.now() / 1000;
    if (stats !== undefined) w.heartbeat_stats = { ...stats };
    this.persistWorker(w);
    await this.flushWorkers();
    return { ...w };
  }

  // ---- resources -----------------------------------------------------------------------------------------

  async addResources(named: AglNamedResources): Promise<AglResourcesUpdate> {
    const pins = await this.pin(named);
    const now = Date.now() / 1000;
    const s: Snapshot = { resources_id: `rs-${randomBytes(6).toString('hex')}`, version: 1, create_time: now, update_time: now, pins, write_seq: this.tick() };
    await this.db.writeSnapshot(s);
    this.snapshots.set(s.resources_id, s);
    this.latestResourcesId = s.resources_id;
    return this.snapshotView(s);
  }

  async updateResources(resourcesId: string, named: AglNamedResources): Promise<AglResourcesUpdate> {
    const pins = await this.pin(named);
    const now = Date.now() / 1000;
    const prev = this.snapshots.get(resourcesId);
    const s: Snapshot = prev
      ? { ...prev, pins, update_time: now, version: prev.version + 1, write_seq: this.tick() }
      : { resources_id: resourcesId, version: 1, create_time: now, update_time: now, pins, write_seq: this.tick() };
    await this.db.writeSnapshot(s);
    this.snapshots.set(resourcesId, s);
    this.latestResourcesId = resourcesId;
    return this.snapshotView(s);
  }

  async getResources(resourcesId: string): Promise<AglResourcesUpdate | null> {
    const s = this.snapshots.get(resourcesId);
    return s ? this.snapshotView(s) : null;
  }

  async latestResources(): Promise<AglResourcesUpdate | null> {
    return this.latestResourcesId === null ? null : this.getResources(this.latestResourcesId);
  }

  async queryResources(q: AglQueryResources): Promise<AglPage<AglResourcesUpdate>> {
    checkPage('ResourcesUpdate', q);
    const conds: Cond[] = [];
    if (q.resources_id !== undefined) conds.push({ field: 'resources_id', op: 'exact', value: q.resources_id });
    if (q.resources_id_contains !== undefined) conds.push({ field: 'resources_id', op: 'contains', value: q.resources_id_contains });
    const all = await Promise.all([...this.snapshots.values()].map((s) => this.snapshotView(s)));
    const items = all.filter((s) => matches(s as unknown as Record<string, unknown>, conds, 'and', conds.length > 0));
    return page(items, q.sort_by, q.sort_order, q.limit, q.offset);
  }

  /**
   * Each named resource as a version of the tracelight resource of that name (kind json, its content the Agent
   * Lightning resource as validated): the latest version when it holds the same content, else a new one.
   */
  private async pin(named: AglNamedResources): Promise<Record<string, number>> {
    const pins: Record<string, number> = {};
    for (const [name, resource] of Object.entries(named)) {
      try {
        checkResourceName(name);
      } catch (err) {
        throw invalid(
          `resource name ${JSON.stringify(name)}: ${(err as Error).message.replace(/^name: /, '')} (tracelight stores it as a resource of that name)`,
        );
      }
      const content = parseResourceContent('json', resource) as AglResource;
      const latest = await this.resources.history(name, { limit: 1 }).then(
        (h) => h.versions[0] ?? null,
        (err: unknown) => {
          if (err instanceof ResourceNotFoundError) return null;
          throw err;
        },
      );
      let version: number;
      if (latest && latest.kind === 'json' && canonical(latest.content) === canonical(content)) version = latest.version;
      else {
        const v = await this.resources.createVersion(name, { kind: 'json', content, parent: latest?.version ?? null, metrics: {}, labels: [], author: AUTHOR });
        version = v.version;
      }
      this.contents.set(`${name}\u0000${version}`, content);
      pins[name] = version;
    }
    return pins;
  }

  private async snapshotView(s: Snapshot): Promise<AglResourcesUpdate> {
    const resources: Record<string, AglResource> = {};
    for (const [name, version] of Object.entries(s.pins)) {
      const key = `${name}\u0000${version}`;
      let content = this.contents.get(key);
      if (!content) {
        const v = await this.resources.getVersion(name, version);
        if (!v) throw new TracelightError('internal', `resources ${s.resources_id}: tracelight resource "${name}" has no version ${version}`);
        content = v.content as AglResource;
        this.contents.set(key, content);
      }
      resources[name] = content;
    }
    return { resources_id: s.resources_id, create_time: s.create_time, update_time: s.update_time, version: s.version, resources };
  }

  // ---- spans ---------------------------------------------------------------------------------------------

  private async loadCounter(rolloutId: string): Promise<void> {
    if (this.counters.has(rolloutId)) return;
    let p = this.counterLoads.get(rolloutId);
    if (!p) {
      p = this.db.maxSequence(rolloutId).then((max) => {
        this.counters.set(rolloutId, Math.max(this.counters.get(rolloutId) ?? 0, max));
        if (this.counters.size > MAX_COUNTERS) this.counters.delete(this.counters.keys().next().value as string);
      });
      this.counterLoads.set(rolloutId, p);
      p.then(
        () => this.counterLoads.delete(rolloutId),
        () => this.counterLoads.delete(rolloutId),
      );
    }
    await p;
  }

  /** `n` new sequence ids of the rollout (strictly increasing per rollout, never issued twice). */
  private async issue(rolloutId: string, n: number): Promise<number[]> {
    await this.loadCounter(rolloutId);
    const base = this.counters.get(rolloutId) ?? 0;
    this.counters.set(rolloutId, base + n);
    return Array.from({ length: n }, (_, i) => base + i + 1);
  }

  /** A span's own sequence id keeps the counter above it. */
  private async raiseCounter(rolloutId: string, sequenceId: number): Promise<void> {
    await this.loadCounter(rolloutId);
    if ((this.counters.get(rolloutId) ?? 0) < sequenceId) this.counters.set(rolloutId, sequenceId);
  }

  async nextSequenceId(rolloutId: string): Promise<number> {
    const [id] = await this.issue(rolloutId, 1);
    await this.db.writeSequence(rolloutId, id as number);
    return id as number;
  }

  /** Stores a span of an existing attempt (null: that span id was stored for the attempt already). */
  async addSpan(span: AglSpan): Promise<AglSpan | null> {
    const r = await this.mustExist(span.rollout_id);
    if (!r.attempts.some((a) => a.attempt_id === span.attempt_id)) throw notFound(`Attempt ${span.attempt_id} not found for rollout ${span.rollout_id}`);
    await this.raiseCounter(span.rollout_id, span.sequence_id);
    if (await this.db.hasSpan(span.rollout_id, span.attempt_id, span.span_id)) return null;
    await this.writeSpans([spanRecordFromAgl(span)], [this.db.spanRows([{ span, writeSeq: this.tick() }])]);
    await this.queue.spanHeartbeat(span.rollout_id, span.attempt_id);
    return span;
  }

  /**
   * agl_spans rows for the spans of an OTLP batch that carry Agent Lightning's rollout and attempt ids (null when
   * none does), numbered as Agent Lightning's server numbers them; `onWritten` counts them as heartbeats.
   */
  async otlpRows(spans: readonly SpanRecord[]): Promise<AglOtlpRows | null> {
    const picked: { rec: SpanRecord; rollout: string; attempt: string; seq: number | null }[] = [];
    for (const rec of spans) {
      const ids = aglIdsOf(rec);
      if (ids) picked.push({ rec, rollout: ids.rollout_id, attempt: ids.attempt_id, seq: ids.sequence_id });
    }
    if (picked.length === 0) return null;
    const missing = new Map<string, number>();
    for (const p of picked) if (p.seq === null) missing.set(p.rollout, (missing.get(p.rollout) ?? 0) + 1);
    const issued = new Map<string, number[]>();
    for (const [rollout, n] of missing) issued.set(rollout, await this.issue(rollout, n));
    for (const p of picked) {
      if (p.seq === null) p.seq = issued.get(p.rollout)?.shift() ?? 0;
      else await this.raiseCounter(p.rollout, p.seq);
    }
    const rows = this.db.spanRows(picked.map((p) => ({ span: aglSpanFromRecord(p.rec, p.rollout, p.attempt, p.seq as number), writeSeq: this.tick() })));
    const pairs = new Map(picked.map((p) => [`${p.rollout}\u0000${p.attempt}`, p]));
    return {
      rows: [rows],
      onWritten: () => {
        for (const p of pairs.values()) this.queue.spanHeartbeat(p.rollout, p.attempt).catch(() => undefined);
      },
    };
  }

  async querySpans(q: AglQuerySpans): Promise<AglPage<AglSpan>> {
    checkPage('Span', q);
    let attempt: string | null = q.attempt_id ?? null;
    if (attempt === 'latest') {
      const latest = (await this.queue.snapshot(q.rollout_id))?.attempts.at(-1);
      if (!latest) return { items: [], limit: q.limit, offset: q.offset, total: 0 };
      attempt = latest.attempt_id;
    }
    const conds: Cond[] = [];
    for (const field of ['trace_id', 'span_id', 'parent_id', 'name'] as const) {
      const exact = q[field];
      const contains = q[`${field}_contains`];
      if (exact !== null && exact !== undefined) conds.push({ field, op: 'exact', value: exact });
      if (contains !== null && contains !== undefined) conds.push({ field, op: 'contains', value: contains });
    }
    const spans = (await this.db.spans(q.rollout_id, attempt)).filter((s) => matches(s, conds, q.filter_logic, true));
    return page(spans, q.sort_by, q.sort_order, q.limit, q.offset);
  }

  // ---- statistics ----------------------------------------------------------------------------------------

  async statistics(): Promise<Record<string, unknown>> {
    const [totals, spans] = await Promise.all([this.db.rolloutTotals(), this.db.countSpans()]);
    return {
      name: 'TracelightLightningStore',
      total_rollouts: totals.rollouts,
      total_attempts: totals.attempts,
      total_spans: spans,
      total_resources: this.snapshots.size,
      total_workers: this.workers.size,
      uptime: (Date.now() - this.launchedAt) / 1000,
    };
  }
}
