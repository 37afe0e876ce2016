// The rollout queue (Agent Lightning's LightningStore rollout/attempt API). The serving process owns it:
// its authoritative state lives here, in memory — a FIFO of claimable rollouts, the rollouts themselves,
// the attempts waiting for heartbeats — and every change is persisted to ClickHouse (store/rollouts.ts)
// before it is acknowledged.
//
// Why two workers never hold the same attempt: a claim takes the next rollout id off the FIFO
// synchronously (one event loop, so no two claims can take the same id), and every change of a rollout runs
// under that rollout's lock: build the next state, write it, and only then make it the state in memory.
// A failed write changes nothing (a claim puts its rollout back at the head of the FIFO) and the request
// gets 503 to retry. A rollout completes exactly once because completing requires the attempt to be the
// rollout's current, active one, checked under the same lock.
//
// Deadlines: a sweep every `sweepIntervalMs` (1 s) finds attempts past `timeout_seconds` (since the claim)
// or `unresponsive_seconds` (since the last heartbeat, or span carrying the attempt id) and ends them; the
// rollout is requeued (a new attempt on the next claim) when `retry_on` names the outcome and attempts are
// left, else it fails. After a restart the queue reloads every unfinished rollout from the store, in
// queue order; attempts that were running keep their timeout deadline, and their unresponsive clock
// restarts at the reload (workers could not heartbeat while the server was down).
import { randomUUID } from 'node:crypto';
import type { Reward } from '../schemas/genai.js';
import {
  ACTIVE_ATTEMPT_STATUSES,
  CLAIMABLE_ROLLOUT_STATUSES,
  FINAL_ROLLOUT_STATUSES,
  QueueClosedError,
  rolloutConfig,
  RolloutConflictError,
  RolloutNotFoundError,
  RolloutValidationError,
  type AttemptRecord,
  type AttemptStatus,
  type AttemptView,
  type ClaimedRollout,
  type EnqueueItem,
  type PinnedResource,
  type RolloutConfig,
  type RolloutMode,
  type RolloutRecord,
  type RolloutStatus,
  type RolloutView,
} from '../schemas/rollouts.js';
import { ResourceNotFoundError } from '../schemas/resources.js';
import {
  KeyedMutex,
  RolloutStore,
  type BatchWriterOptions,
  type ResourceStore,
  type RolloutListQuery,
  type RolloutSummary,
  type Store,
} from '../store/index.js';

export interface ResolvedResource {
  name: string;
  version: number;
  kind: string;
  content: unknown;
}

/**
 * Where rollouts' resources come from. `ref` is a version number or a label; a name, version or label that
 * does not exist throws ResourceNotFoundError (schemas/resources.ts) with a message saying which.
 */
export interface ResourceResolver {
  resolve(name: string, ref: number | string): Promise<ResolvedResource>;
}

/** The versioned resources of store/resources.ts as a resolver. */
export function resourceStoreResolver(resources: ResourceStore): ResourceResolver {
  return {
    async resolve(name, ref) {
      const v = await resources.resolve(name, typeof ref === 'number' ? { version: ref } : { label: ref });
      return { name: v.name, version: v.version, kind: v.kind, content: v.content };
    },
  };
}

export interface QueueOptions {
  /** How often attempt deadlines are checked, in ms. */
  sweepIntervalMs: number;
  /** False: deadlines are never checked (the CLI's direct mode, which only enqueues, reads and cancels). */
  sweep: boolean;
  /** Finished rollouts kept in memory for fast reads and waits; older ones are read from the store. */
  finishedCacheSize: number;
  /** Null: rollouts cannot name resources. */
  resources: ResourceResolver | null;
  /** The queue's own batch writer (default: a 2 ms interval). */
  writer?: Partial<BatchWriterOptions>;
}

export const DEFAULT_QUEUE_OPTIONS: QueueOptions = {
  sweepIntervalMs: 1000,
  sweep: true,
  finishedCacheSize: 10_000,
  resources: null,
};

export interface EnqueueResult {
  rollout_id: string;
  status: RolloutStatus;
}

export interface AttemptResult {
  rollout_id: string;
  attempt_id: string;
  attempt_status: AttemptStatus;
  /** The rollout's status after the change. */
  status: RolloutStatus;
}

export interface WaitResult {
  rollouts: RolloutView[];
  /** True when every rollout is final (else the time ran out). */
  all_final: boolean;
}

/** Told of every state the queue makes current (`prev`: the state before, when it was in memory). */
export type CommitListener = (next: RolloutRecord, prev: RolloutRecord | undefined) => void;

/** A rollout as Agent Lightning makes one: its config as given (no tracelight defaults), its resources snapshot. */
export interface NewRollout {
  input: unknown;
  mode: RolloutMode | null;
  config: RolloutConfig;
  metadata: Record<string, unknown>;
  resources_id: string | null;
}

/** Agent Lightning's update_rollout: each field present is set. */
export interface RolloutPatch {
  input?: unknown;
  mode?: RolloutMode | null;
  resources_id?: string | null;
  status?: RolloutStatus;
  config?: RolloutConfig;
  metadata?: Record<string, unknown>;
}

/** Agent Lightning's update_attempt: each field present is set (`last_heartbeat_at` in ms). */
export interface AttemptPatch {
  status?: AttemptStatus;
  worker_id?: string;
  last_heartbeat_at?: number;
  metadata?: Record<string, unknown> | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The API's shape of a rollout; `heartbeatOf` supplies heartbeats newer than the persisted ones. */
export function toRolloutView(r: RolloutRecord, heartbeatOf: (a: AttemptRecord) => number | null = (a) => a.last_heartbeat_at, now = Date.now()): RolloutView {
  const attempts: AttemptView[] = r.attempts.map((a) => {
    const hb = heartbeatOf(a);
    return {
      attempt_id: a.attempt_id,
      sequence: a.sequence,
      worker_id: a.worker_id,
      status: a.status,
      started_at: iso(a.started_at),
      ended_at: a.ended_at === null ? null : iso(a.ended_at),
      last_heartbeat_at: hb === null ? null : iso(hb),
      error: a.error === '' ? null : a.error,
    };
  });
  const final = FINAL_ROLLOUT_STATUSES.has(r.status);
  const firstClaim = r.started_at ?? (final ? (r.ended_at ?? r.updated_at) : now);
  return {
    rollout_id: r.rollout_id,
    status: r.status,
    input: r.input,
    mode: r.mode,
    resources: r.resources,
    config: r.config,
    metadata: r.metadata,
    attempt_count: r.attempts.length,
    latest_attempt_id: r.attempts[r.attempts.length - 1]?.attempt_id ?? null,
    attempts,
    timings: {
      enqueued_at: iso(r.enqueued_at),
      started_at: r.started_at === null ? null : iso(r.started_at),
      ended_at: r.ended_at === null ? null : iso(r.ended_at),
      updated_at: iso(r.updated_at),
      queued_seconds: Math.max(0, firstClaim - r.enqueued_at) / 1000,
      run_seconds: r.started_at === null ? null : Math.max(0, (r.ended_at ?? now) - r.started_at) / 1000,
    },
  };
}

/** Agent Lightning's `rollout_status_from_attempt`: the rollout's status as its last attempt's status implies. */
export function rolloutStatusFromAttempt(a: AttemptRecord, config: RolloutConfig): RolloutStatus {
  if (a.status === 'preparing' || a.status === 'running' || a.status === 'succeeded') return a.status;
  if ((config.retry_on as string[]).includes(a.status) && a.sequence < config.max_attempts) return 'requeuing';
  return 'failed';
}

/** A FIFO of rollout ids with O(1) shift and unshift. */
class Fifo {
  private items: string[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(id: string): void {
    this.items.push(id);
  }

  unshift(id: string): void {
    if (this.head > 0) this.items[--this.head] = id;
    else this.items.unshift(id);
  }

  shift(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const id = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return id;
  }
}

const RESOURCE_CACHE_SIZE = 1000;
const FOREIGN_ROLLOUTS_KEPT = 10_000;

// Also the ingest path's ActivityListener (receiver/activity.ts), structurally: the queue does not import the receiver.
export class RolloutQueue {
  readonly db: RolloutStore;
  private readonly opts: QueueOptions;
  /** Every unfinished rollout, and the most recently finished ones. */
  private readonly rollouts = new Map<string, RolloutRecord>();
  /** Finished rollouts in memory, oldest first (evicted beyond finishedCacheSize). */
  private readonly finished = new Set<string>();
  private readonly fifo = new Fifo();
  /** attempt id → rollout id, for attempts that are preparing or running. */
  private readonly active = new Map<string, string>();
  /** attempt id → last heartbeat (ms); persisted with the attempt's next change, not on every beat. */
  private readonly heartbeats = new Map<string, number>();
  private readonly expiring = new Set<string>();
  private readonly locks = new KeyedMutex();
  /** Long-polling claims, in arrival order (a Set keeps insertion order). */
  private readonly claimWaiters = new Set<() => void>();
  private readonly finalWatchers = new Set<(rolloutId: string) => void>();
  /** Pending waits, released at stop. */
  private readonly waits = new Set<() => void>();
  /** Resource versions are immutable: (name, version) → content, kept for claims. */
  private readonly resourceCache = new Map<string, ResolvedResource>();
  private readonly commitListeners = new Set<CommitListener>();
  /** Rollout ids seen in spans that no rollout of this queue has (oldest first). */
  private readonly foreignRollouts = new Set<string>();
  private clock = 0;
  private loadedAt = 0;
  private sweeper: NodeJS.Timeout | null = null;
  private state: 'new' | 'open' | 'stopping' | 'closed' = 'new';

  constructor(
    private readonly store: Store,
    opts: Partial<QueueOptions> = {},
  ) {
    this.opts = { ...DEFAULT_QUEUE_OPTIONS, ...opts };
    this.db = new RolloutStore(store.driver, this.opts.writer);
  }

  /** Reloads every unfinished rollout from the store and starts checking deadlines. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('the rollout queue was started already');
    const [live, maxVersion] = await Promise.all([this.db.loadLive(), this.db.maxVersion()]);
    this.clock = Math.max(this.clock, maxVersion);
    this.loadedAt = Date.now();
    for (const r of live) {
      this.rollouts.set(r.rollout_id, r);
      for (const a of r.attempts) if (ACTIVE_ATTEMPT_STATUSES.has(a.status)) this.active.set(a.attempt_id, r.rollout_id);
      if (CLAIMABLE_ROLLOUT_STATUSES.has(r.status)) this.fifo.push(r.rollout_id);
    }
    this.state = 'open';
    if (this.opts.sweep) {
      this.sweeper = setInterval(() => this.sweep(), this.opts.sweepIntervalMs);
      this.sweeper.unref();
    }
  }

  /** Stops deadlines and answers every waiting claim (nothing) and wait (states so far); changes still go through. */
  stop(): void {
    if (this.state === 'new' || this.state === 'open') this.state = 'stopping';
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    for (const w of [...this.claimWaiters]) w();
    for (const w of [...this.waits]) w();
  }

  /** Stops, then writes everything still buffered. */
  async close(): Promise<void> {
    this.stop();
    if (this.state === 'closed') return;
    this.state = 'closed';
    await this.db.close();
  }

  get stats(): { live: number; claimable: number; active_attempts: number; waiting_claims: number } {
    return {
      live: this.rollouts.size - this.finished.size,
      claimable: this.fifo.size,
      active_attempts: this.active.size,
      waiting_claims: this.claimWaiters.size,
    };
  }

  // ---- enqueue ---------------------------------------------------------------------------------------------

  /** `indexed`: name items as `[i]` in error messages (the request body was an array). */
  async enqueue(items: readonly EnqueueItem[], indexed = false): Promise<EnqueueResult[]> {
    if (this.state !== 'open') throw new QueueClosedError('the rollout queue is shutting down; retry against the restarted server');
    const pinned = await this.pinResources(items, indexed);
    const now = Date.now();
    const records: RolloutRecord[] = items.map((it, i) => {
      const seq = this.tick();
      return {
        rollout_id: `ro-${randomUUID()}`,
        status: 'queuing',
        input: it.input,
        mode: it.mode ?? null,
        resources: pinned[i] ?? {},
        config: rolloutConfig(it.config),
        metadata: it.metadata ?? {},
        attempts: [],
        queue_seq: seq,
        enqueued_at: now,
        started_at: null,
        ended_at: null,
        updated_at: now,
        version: this.tick(),
        created_seq: seq,
      };
    });
    await this.db.write(records, []);
    for (const r of records) this.commit(r);
    return records.map((r) => ({ rollout_id: r.rollout_id, status: r.status }));
  }

  /** Resolves every (name, ref) once and pins it to a version, so all attempts of a rollout see the same resources. */
  private async pinResources(items: readonly EnqueueItem[], indexed: boolean): Promise<Record<string, PinnedResource>[]> {
    const resolved = new Map<string, Promise<ResolvedResource>>();
    const out: Record<string, PinnedResource>[] = [];
    for (const [i, it] of items.entries()) {
      const pins: Record<string, PinnedResource> = {};
      for (const [name, ref] of Object.entries(it.resources ?? {})) {
        const where = `${indexed ? `[${i}].` : ''}resources.${name}`;
        if (!this.opts.resources) throw new RolloutValidationError(`${where}: this server has no resource store, so rollouts cannot name resources`);
        const r = typeof ref === 'string' && /^\d+$/.test(ref) ? Number(ref) : ref;
        const key = `${name}\u0000${typeof r}\u0000${r}`;
        let p = resolved.get(key);
        if (!p) {
          p = this.opts.resources.resolve(name, r);
          p.catch(() => undefined);
          resolved.set(key, p);
        }
        let v: ResolvedResource;
        try {
          v = await p;
        } catch (err) {
          if (err instanceof ResourceNotFoundError) throw new RolloutValidationError(`${where}: ${err.message}`);
          throw err;
        }
        this.cacheResource(v);
        pins[name] = { ref, version: v.version };
      }
      out.push(pins);
    }
    return out;
  }

  private cacheResource(v: ResolvedResource): void {
    const key = `${v.name}\u0000${v.version}`;
    this.resourceCache.delete(key);
    this.resourceCache.set(key, v);
    if (this.resourceCache.size > RESOURCE_CACHE_SIZE) {
      const oldest = this.resourceCache.keys().next().value;
      if (oldest !== undefined) this.resourceCache.delete(oldest);
    }
  }

  private async contentOf(r: RolloutRecord): Promise<ClaimedRollout['resources']> {
    const out: ClaimedRollout['resources'] = {};
    for (const [name, pin] of Object.entries(r.resources)) {
      let v = this.resourceCache.get(`${name}\u0000${pin.version}`);
      if (!v) {
        if (!this.opts.resources) throw new Error(`rollout ${r.rollout_id} names resource "${name}" but this server has no resource store`);
        v = await this.opts.resources.resolve(name, pin.version);
        this.cacheResource(v);
      }
      out[name] = { version: v.version, kind: v.kind, content: v.content };
    }
    return out;
  }

  // ---- claim -----------------------------------------------------------------------------------------------

  /**
   * The next claimable rollout, as a new attempt held by `workerId`; null when none is queued within
   * `waitMs` (long poll) or the signal aborts (the client went away).
   */
  async claim(workerId: string, waitMs = 0, signal?: AbortSignal): Promise<ClaimedRollout | null> {
    if (this.state !== 'open') return null;
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (signal?.aborted || this.state !== 'open') {
        if (this.fifo.size > 0) this.wake(); // a wake-up meant for this claim goes to the next one
        return null;
      }
      const got = await this.claimNext(workerId);
      if (got) return got;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await this.waitForWork(left, signal);
    }
  }

  private async claimNext(workerId: string): Promise<ClaimedRollout | null> {
    for (;;) {
      const id = this.fifo.shift();
      if (id === undefined) return null;
      const claimed = await this.locks.run(id, () => this.claimOne(id, workerId));
      if (claimed) return claimed;
    }
  }

  /** The rollout with a new preparing attempt held by `workerId` (not yet written). */
  private newAttempt(r: RolloutRecord, workerId: string): { attempt: AttemptRecord; next: RolloutRecord } {
    const now = Date.now();
    const attempt: AttemptRecord = {
      rollout_id: r.rollout_id,
      attempt_id: `at-${randomUUID()}`,
      sequence: r.attempts.length + 1,
      worker_id: workerId,
      status: 'preparing',
      started_at: now,
      ended_at: null,
      last_heartbeat_at: null,
      error: '',
      version: this.tick(),
    };
    const next: RolloutRecord = {
      ...r,
      status: 'preparing',
      attempts: [...r.attempts, attempt],
      started_at: r.started_at ?? now,
      updated_at: now,
      version: this.tick(),
    };
    return { attempt, next };
  }

  private async claimOne(rolloutId: string, workerId: string): Promise<ClaimedRollout | null> {
    const r = this.rollouts.get(rolloutId);
    if (!r || !CLAIMABLE_ROLLOUT_STATUSES.has(r.status)) return null; // cancelled while queued
    try {
      const resources = await this.contentOf(r);
      const { attempt, next } = this.newAttempt(r, workerId);
      await this.db.write([next], [attempt]);
      this.commit(next);
      return {
        rollout_id: rolloutId,
        attempt_id: attempt.attempt_id,
        sequence: attempt.sequence,
        input: r.input,
        mode: r.mode,
        resources,
        config: r.config,
        metadata: r.metadata,
      };
    } catch (err) {
      // Nothing changed: the rollout goes back to the head of the queue for the next claim.
      this.fifo.unshift(rolloutId);
      this.wake();
      throw err;
    }
  }

  private waitForWork(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.claimWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.claimWaiters.add(done);
    });
  }

  /** Wakes as many waiting claims (oldest first) as there are queued rollouts. */
  private wake(): void {
    let n = this.fifo.size;
    for (const w of this.claimWaiters) {
      if (n-- <= 0) break;
      w();
    }
  }

  // ---- heartbeats ------------------------------------------------------------------------------------------

  async heartbeat(rolloutId: string, attemptId: string): Promise<AttemptResult> {
    const found = await this.find(rolloutId);
    const r = this.rollouts.get(rolloutId) ?? found;
    const a = this.currentAttempt(r, attemptId, 'heartbeat');
    if (this.active.has(attemptId)) this.heartbeats.set(attemptId, Date.now());
    if (a.status === 'preparing') await this.markRunning(rolloutId, attemptId);
    const now = this.rollouts.get(rolloutId) ?? r;
    const a2 = this.currentAttempt(now, attemptId, 'heartbeat'); // it may have ended meanwhile
    return { rollout_id: rolloutId, attempt_id: attemptId, attempt_status: a2.status, status: now.status };
  }

  wantsActivity(): boolean {
    return this.active.size > 0;
  }

  /** Spans (or log records) carrying these attempt ids arrived: each counts as a heartbeat. */
  onActivity(attemptIds: ReadonlySet<string>): void {
    const now = Date.now();
    for (const id of attemptIds) {
      const rolloutId = this.active.get(id);
      if (rolloutId === undefined) continue;
      this.heartbeats.set(id, now);
      const a = this.rollouts.get(rolloutId)?.attempts.at(-1);
      if (a?.attempt_id === id && a.status === 'preparing') {
        // Not awaited: ingest stays fast. A failed write leaves the attempt preparing until the next beat.
        this.markRunning(rolloutId, id).catch(() => undefined);
      }
    }
  }

  private async markRunning(rolloutId: string, attemptId: string): Promise<void> {
    await this.locks.run(rolloutId, async () => {
      const r = this.rollouts.get(rolloutId);
      const a = r?.attempts.at(-1);
      if (!r || !a || a.attempt_id !== attemptId || a.status !== 'preparing') return;
      const now = Date.now();
      const a2: AttemptRecord = { ...a, status: 'running', last_heartbeat_at: this.lastHeartbeat(a) ?? now, version: this.tick() };
      // A rollout whose status was set by hand (Agent Lightning's update_rollout) keeps it; else it runs with its attempt.
      const status = r.status === 'preparing' || r.status === 'requeuing' ? 'running' : r.status;
      const next: RolloutRecord = { ...r, status, attempts: [...r.attempts.slice(0, -1), a2], updated_at: now, version: this.tick() };
      await this.db.write([next], [a2]);
      this.commit(next);
    });
  }

  // ---- completion, cancellation, deadlines ----------------------------------------------------------------

  async complete(rolloutId: string, attemptId: string, body: { status: 'succeeded' | 'failed'; reward?: number; error?: string }): Promise<AttemptResult> {
    await this.find(rolloutId);
    return this.locks.run(rolloutId, async () => {
      const r = await this.find(rolloutId);
      const a = this.currentAttempt(r, attemptId, 'complete');
      const now = Date.now();
      const next = this.finish(r, a, body.status, body.error ?? '', now);
      const a2 = next.attempts.at(-1) as AttemptRecord;
      const writes = [this.db.write([next], [a2])];
      if (body.reward !== undefined) {
        const reward: Reward = {
          reward_id: `rollout-complete:${attemptId}`,
          rollout_id: rolloutId,
          attempt_id: attemptId,
          trace_id: '',
          span_id: '',
          name: 'reward',
          value: body.reward,
          label: '',
          explanation: '',
          source: 'rollout-complete',
          time_unix_nano: BigInt(now) * 1_000_000n,
          primary: true,
        };
        writes.push(this.store.writeRewards([reward]));
      }
      await Promise.all(writes);
      this.commit(next);
      return { rollout_id: rolloutId, attempt_id: attemptId, attempt_status: a2.status, status: next.status };
    });
  }

  async cancel(rolloutId: string): Promise<RolloutView> {
    await this.find(rolloutId);
    return this.locks.run(rolloutId, async () => {
      const r = await this.find(rolloutId);
      if (FINAL_ROLLOUT_STATUSES.has(r.status)) {
        throw new RolloutConflictError(`rollout ${rolloutId} is already ${r.status}; only a queuing, requeuing, preparing or running rollout can be cancelled`);
      }
      const now = Date.now();
      const last = r.attempts.at(-1);
      let attempts = r.attempts;
      const changed: AttemptRecord[] = [];
      if (last && ACTIVE_ATTEMPT_STATUSES.has(last.status)) {
        const a2: AttemptRecord = {
          ...last,
          status: 'failed',
          ended_at: now,
          last_heartbeat_at: this.lastHeartbeat(last),
          error: 'cancelled',
          version: this.tick(),
        };
        attempts = [...r.attempts.slice(0, -1), a2];
        changed.push(a2);
      }
      const next: RolloutRecord = { ...r, status: 'cancelled', attempts, ended_at: now, updated_at: now, version: this.tick() };
      await this.db.write([next], changed);
      this.commit(next);
      return this.view(next);
    });
  }

  /** The rollout after its current attempt ends with `status`: retried when its config allows, else final. */
  private finish(r: RolloutRecord, a: AttemptRecord, status: Exclude<AttemptStatus, 'preparing' | 'running'>, error: string, now: number): RolloutRecord {
    const a2: AttemptRecord = { ...a, status, ended_at: now, last_heartbeat_at: this.lastHeartbeat(a), error, version: this.tick() };
    let next: RolloutStatus;
    if (status === 'succeeded') next = 'succeeded';
    else if ((r.config.retry_on as string[]).includes(status) && r.attempts.length < r.config.max_attempts) next = 'requeuing';
    else next = 'failed';
    return {
      ...r,
      status: next,
      attempts: r.attempts.map((x) => (x.attempt_id === a.attempt_id ? a2 : x)),
      ended_at: FINAL_ROLLOUT_STATUSES.has(next) ? now : null,
      updated_at: now,
      queue_seq: next === 'requeuing' ? this.tick() : r.queue_seq,
      version: this.tick(),
    };
  }

  private overdue(r: RolloutRecord, a: AttemptRecord, now: number): { status: 'timeout' | 'unresponsive'; error: string } | null {
    const { timeout_seconds: timeout, unresponsive_seconds: unresponsive } = r.config;
    if (timeout !== null && now - a.started_at >= timeout * 1000) {
      return { status: 'timeout', error: `attempt did not finish within timeout_seconds=${timeout} of its claim` };
    }
    const since = Math.max(this.lastHeartbeat(a) ?? a.started_at, this.loadedAt);
    if (unresponsive !== null && now - since >= unresponsive * 1000) {
      return { status: 'unresponsive', error: `no heartbeat (or span carrying the attempt id) for unresponsive_seconds=${unresponsive}` };
    }
    return null;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [attemptId, rolloutId] of this.active) {
      if (this.expiring.has(attemptId)) continue;
      const r = this.rollouts.get(rolloutId);
      const a = r?.attempts.at(-1);
      if (!r || !a || a.attempt_id !== attemptId || !this.overdue(r, a, now)) continue;
      // Agent Lightning may set a rollout's status under a live attempt (update_rollout); like its own health
      // check, only a preparing or running rollout has its attempt ended.
      if (r.status !== 'preparing' && r.status !== 'running') continue;
      this.expiring.add(attemptId);
      this.expire(rolloutId, attemptId)
        .catch((err: Error) => process.emitWarning(`tracelight: could not end overdue attempt ${attemptId} (retrying): ${err.message}`))
        .finally(() => this.expiring.delete(attemptId));
    }
  }

  private async expire(rolloutId: string, attemptId: string): Promise<void> {
    await this.locks.run(rolloutId, async () => {
      const r = this.rollouts.get(rolloutId);
      const a = r?.attempts.at(-1);
      if (!r || !a || a.attempt_id !== attemptId || !ACTIVE_ATTEMPT_STATUSES.has(a.status)) return;
      const now = Date.now();
      const verdict = this.overdue(r, a, now); // a heartbeat may have come in meanwhile
      if (!verdict) return;
      const next = this.finish(r, a, verdict.status, verdict.error, now);
      await this.db.write([next], [next.attempts.at(-1) as AttemptRecord]);
      this.commit(next);
    });
  }

  // ---- reads -----------------------------------------------------------------------------------------------

  async get(rolloutId: string): Promise<RolloutView> {
    return this.view(await this.find(rolloutId));
  }

  async list(q: RolloutListQuery): Promise<RolloutView[]> {
    const rows = await this.db.list(q);
    return rows.map((r) => this.view(this.rollouts.get(r.rollout_id) ?? r));
  }

  /** The primary reward and the agents of each rollout, for a list. */
  summaries(rolloutIds: readonly string[]): Promise<Map<string, RolloutSummary>> {
    return this.db.summaries(rolloutIds);
  }

  /** The rollouts' states once all are final, or when `timeoutMs` has passed (or the signal aborts). */
  async wait(rolloutIds: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<WaitResult> {
    const ids = [...new Set(rolloutIds)];
    const stored = new Map((await this.db.getMany(ids.filter((id) => !this.rollouts.has(id)))).map((r) => [r.rollout_id, r]));
    const current = (id: string): RolloutRecord | undefined => this.rollouts.get(id) ?? stored.get(id);
    const unknown = ids.find((id) => current(id) === undefined);
    if (unknown !== undefined) throw new RolloutNotFoundError(`no rollout ${unknown}`);
    const pending = new Set(ids.filter((id) => !FINAL_ROLLOUT_STATUSES.has((current(id) as RolloutRecord).status)));
    if (pending.size > 0 && timeoutMs > 0 && this.state === 'open' && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.finalWatchers.delete(watch);
          this.waits.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const watch = (id: string): void => {
          if (pending.delete(id) && pending.size === 0) done();
        };
        const timer = setTimeout(done, timeoutMs);
        this.finalWatchers.add(watch);
        this.waits.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
    // A rollout that finished meanwhile may have left memory since; the store has it.
    const gone = ids.filter((id) => !this.rollouts.has(id) && !stored.has(id));
    for (const r of await this.db.getMany(gone)) stored.set(r.rollout_id, r);
    const rollouts = ids.map((id) => this.view(current(id) as RolloutRecord));
    return { rollouts, all_final: rollouts.every((r) => FINAL_ROLLOUT_STATUSES.has(r.status)) };
  }

  // ---- Agent Lightning's state changes (queue/agl-store.ts) -------------------------------------------------
  //
  // Agent Lightning's LightningStore lets its callers set states tracelight's own API never does (a rollout's
  // status by hand, an attempt's status, a new attempt on any rollout); each change still runs under the rollout's
  // lock and is written before it becomes the state in memory, so the queue's guarantees hold for both APIs.

  /** Told of every change made current, in order (Agent Lightning's workers follow their attempts this way). */
  onCommit(listener: CommitListener): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  /** New rollouts: queued (enqueue), or with a first attempt held by `startedBy` (start_rollout, never queued). */
  async create(items: readonly NewRollout[], startedBy?: string): Promise<RolloutRecord[]> {
    if (this.state !== 'open') throw new QueueClosedError('the rollout queue is shutting down; retry against the restarted server');
    const now = Date.now();
    const records = items.map((it): RolloutRecord => {
      const seq = this.tick();
      const id = `ro-${randomUUID()}`;
      const attempts: AttemptRecord[] =
        startedBy === undefined
          ? []
          : [
              {
                rollout_id: id,
                attempt_id: `at-${randomUUID()}`,
                sequence: 1,
                worker_id: startedBy,
                status: 'preparing',
                started_at: now,
                ended_at: null,
                last_heartbeat_at: null,
                error: '',
                version: this.tick(),
              },
            ];
      return {
        rollout_id: id,
        status: startedBy === undefined ? 'queuing' : 'preparing',
        input: it.input,
        mode: it.mode,
        resources: {},
        config: it.config,
        metadata: it.metadata,
        attempts,
        queue_seq: seq,
        enqueued_at: now,
        started_at: startedBy === undefined ? null : now,
        ended_at: null,
        updated_at: now,
        version: this.tick(),
        resources_id: it.resources_id,
        created_seq: seq,
      };
    });
    await this.db.write(
      records,
      records.flatMap((r) => r.attempts),
    );
    for (const r of records) this.commit(r);
    return records;
  }

  /** A new attempt of any rollout, whatever its state (Agent Lightning's start_attempt); the rollout is preparing. */
  async startAttempt(rolloutId: string, workerId: string): Promise<RolloutRecord> {
    await this.find(rolloutId);
    return this.locks.run(rolloutId, async () => {
      const r = await this.find(rolloutId);
      const { attempt, next } = this.newAttempt(r, workerId);
      await this.db.write([next], [attempt]);
      this.commit(next, r);
      return next;
    });
  }

  /** Sets a rollout's fields (Agent Lightning's update_rollout); its attempts are left as they are. */
  async update(rolloutId: string, patch: RolloutPatch): Promise<RolloutRecord> {
    await this.find(rolloutId);
    return this.locks.run(rolloutId, async () => {
      const r = await this.find(rolloutId);
      const now = Date.now();
      const next: RolloutRecord = { ...r, updated_at: now, version: this.tick() };
      if ('input' in patch) next.input = patch.input;
      if (patch.mode !== undefined) next.mode = patch.mode;
      if (patch.resources_id !== undefined) next.resources_id = patch.resources_id;
      if (patch.config !== undefined) next.config = patch.config;
      if (patch.metadata !== undefined) next.metadata = patch.metadata;
      if (patch.status !== undefined) this.setStatus(next, patch.status, now);
      await this.db.write([next], []);
      this.commit(next, r);
      return next;
    });
  }

  /**
   * Sets an attempt's fields (Agent Lightning's update_attempt; `latest`: the rollout's last attempt). When it is
   * the last attempt, the rollout's status follows it: retried when the config allows, else final.
   */
  async updateAttempt(rolloutId: string, attemptId: string, patch: AttemptPatch): Promise<{ rollout: RolloutRecord; attempt: AttemptRecord }> {
    await this.find(rolloutId);
    return this.locks.run(rolloutId, async () => {
      const r = await this.find(rolloutId);
      const latest = r.attempts.at(-1);
      if (!latest) throw new RolloutNotFoundError(`rollout ${rolloutId} has no attempts`);
      const a = attemptId === 'latest' ? latest : r.attempts.find((x) => x.attempt_id === attemptId);
      if (!a) throw new RolloutNotFoundError(`rollout ${rolloutId} has no attempt ${attemptId}`);
      const now = Date.now();
      const a2: AttemptRecord = { ...a, last_heartbeat_at: this.lastHeartbeat(a), version: this.tick() };
      if (patch.worker_id !== undefined) a2.worker_id = patch.worker_id;
      if (patch.status !== undefined) {
        a2.status = patch.status;
        // Agent Lightning ends the clock of a succeeded or failed attempt only; a timed-out one keeps running.
        if (patch.status === 'succeeded' || patch.status === 'failed') a2.ended_at = now;
      }
      if (patch.last_heartbeat_at !== undefined) {
        a2.last_heartbeat_at = patch.last_heartbeat_at;
        this.heartbeats.delete(a.attempt_id); // the value set wins over the beats counted in memory
      }
      if (patch.metadata !== undefined) a2.metadata = patch.metadata;
      const next: RolloutRecord = {
        ...r,
        attempts: r.attempts.map((x) => (x.attempt_id === a.attempt_id ? a2 : x)),
        updated_at: now,
        version: this.tick(),
      };
      if (a.attempt_id === latest.attempt_id) {
        const status = rolloutStatusFromAttempt(a2, r.config);
        if (status !== r.status) this.setStatus(next, status, now);
      }
      await this.db.write([next], [a2]);
      this.commit(next, r);
      return { rollout: next, attempt: a2 };
    });
  }

  /**
   * A span of the attempt arrived (Agent Lightning's heartbeat): the attempt is running again if it was preparing or
   * unresponsive, and the rollout too while it is preparing or requeuing (Agent Lightning 0.3 also names
   * "queueing" there, a status that does not exist, so a queuing rollout stays queuing). Unknown ids are ignored.
   */
  async spanHeartbeat(rolloutId: string, attemptId: string): Promise<void> {
    const now = Date.now();
    const known = this.rollouts.get(rolloutId);
    const a = known?.attempts.find((x) => x.attempt_id === attemptId);
    if (known && a && ACTIVE_ATTEMPT_STATUSES.has(a.status)) this.heartbeats.set(attemptId, now);
    const latestOf = (r: RolloutRecord): boolean => r.attempts.at(-1)?.attempt_id === attemptId;
    const needsWrite = (r: RolloutRecord, x: AttemptRecord): boolean =>
      x.status === 'preparing' ||
      x.status === 'unresponsive' ||
      !ACTIVE_ATTEMPT_STATUSES.has(x.status) ||
      (latestOf(r) && (r.status === 'preparing' || r.status === 'requeuing'));
    if (known && a && !needsWrite(known, a)) return;
    // Agents also trace under rollout ids of their own (not this queue's): one lookup each, not one per batch.
    if (!known && this.foreignRollouts.has(rolloutId)) return;
    const found = known ?? (await this.db.get(rolloutId));
    if (!found) {
      this.foreignRollouts.add(rolloutId);
      if (this.foreignRollouts.size > FOREIGN_ROLLOUTS_KEPT) this.foreignRollouts.delete(this.foreignRollouts.values().next().value as string);
      return;
    }
    if (!found.attempts.some((x) => x.attempt_id === attemptId)) return;
    await this.locks.run(rolloutId, async () => {
      const r = await this.find(rolloutId);
      const x = r.attempts.find((y) => y.attempt_id === attemptId) as AttemptRecord;
      if (!needsWrite(r, x)) return;
      const a2: AttemptRecord = { ...x, last_heartbeat_at: Math.max(this.lastHeartbeat(x) ?? 0, now), version: this.tick() };
      if (x.status === 'preparing' || x.status === 'unresponsive') a2.status = 'running';
      const next: RolloutRecord = { ...r, attempts: r.attempts.map((y) => (y.attempt_id === attemptId ? a2 : y)), updated_at: now, version: this.tick() };
      if (latestOf(r) && (r.status === 'preparing' || r.status === 'requeuing')) next.status = 'running';
      await this.db.write([next], [a2]);
      this.commit(next, r);
    });
  }

  /** A rollout's current state with the heartbeats counted in memory (null: no such rollout). */
  async snapshot(rolloutId: string): Promise<RolloutRecord | null> {
    const r = this.rollouts.get(rolloutId) ?? (await this.db.get(rolloutId));
    return r ? this.withHeartbeats(r) : null;
  }

  /** The current states of the rollouts that exist, in the order asked. */
  async snapshots(rolloutIds: readonly string[]): Promise<RolloutRecord[]> {
    const stored = new Map((await this.db.getMany(rolloutIds.filter((id) => !this.rollouts.has(id)))).map((r) => [r.rollout_id, r]));
    return rolloutIds.flatMap((id) => {
      const r = this.rollouts.get(id) ?? stored.get(id);
      return r ? [this.withHeartbeats(r)] : [];
    });
  }

  private withHeartbeats(r: RolloutRecord): RolloutRecord {
    if (!r.attempts.some((a) => this.heartbeats.has(a.attempt_id))) return r;
    return { ...r, attempts: r.attempts.map((a) => (this.heartbeats.has(a.attempt_id) ? { ...a, last_heartbeat_at: this.lastHeartbeat(a) } : a)) };
  }

  /** Sets a status by hand: a final one ends the rollout now, a claimable one puts it at the back of the queue. */
  private setStatus(next: RolloutRecord, status: RolloutStatus, now: number): void {
    next.status = status;
    if (FINAL_ROLLOUT_STATUSES.has(status)) next.ended_at = now;
    if (CLAIMABLE_ROLLOUT_STATUSES.has(status)) next.queue_seq = this.tick();
  }

  // ---- internals -------------------------------------------------------------------------------------------

  private async find(rolloutId: string): Promise<RolloutRecord> {
    const r = this.rollouts.get(rolloutId) ?? (await this.db.get(rolloutId));
    if (!r) throw new RolloutNotFoundError(`no rollout ${rolloutId}`);
    return r;
  }

  /** The attempt if it is the rollout's current, active one; else 404 (no such attempt) or 409 (it ended). */
  private currentAttempt(r: RolloutRecord, attemptId: string, action: 'heartbeat' | 'complete'): AttemptRecord {
    const a = r.attempts.find((x) => x.attempt_id === attemptId);
    if (!a) throw new RolloutNotFoundError(`rollout ${r.rollout_id} has no attempt ${attemptId}`);
    const latest = r.attempts.at(-1) as AttemptRecord;
    const verb = action === 'complete' ? 'cannot be completed' : 'cannot send heartbeats';
    if (r.status === 'cancelled') throw new RolloutConflictError(`rollout ${r.rollout_id} was cancelled; attempt ${attemptId} ${verb} (stop working on it)`);
    if (!ACTIVE_ATTEMPT_STATUSES.has(a.status)) {
      const now =
        latest.attempt_id !== a.attempt_id
          ? `; the rollout is ${r.status} with attempt ${latest.attempt_id} (${latest.status})`
          : `; the rollout is ${r.status}`;
      throw new RolloutConflictError(`attempt ${attemptId} of rollout ${r.rollout_id} is already ${a.status} and ${verb}${now}`);
    }
    if (latest.attempt_id !== a.attempt_id)
      throw new RolloutConflictError(`attempt ${attemptId} is not the current attempt of rollout ${r.rollout_id} (that is ${latest.attempt_id})`);
    return a;
  }

  private lastHeartbeat(a: AttemptRecord): number | null {
    const mem = this.heartbeats.get(a.attempt_id);
    if (mem === undefined) return a.last_heartbeat_at;
    return a.last_heartbeat_at === null ? mem : Math.max(mem, a.last_heartbeat_at);
  }

  private view(r: RolloutRecord): RolloutView {
    return toRolloutView(r, (a) => (ACTIVE_ATTEMPT_STATUSES.has(a.status) ? this.lastHeartbeat(a) : a.last_heartbeat_at));
  }

  /**
   * Makes a written state the state in memory: queue, attempt index, finished cache, watchers. `base`: the state the
   * change was made from, when it was read from the store rather than memory (for the commit listeners).
   */
  private commit(next: RolloutRecord, base?: RolloutRecord): void {
    const id = next.rollout_id;
    const prev = this.rollouts.get(id);
    this.rollouts.set(id, next);
    for (const a of next.attempts) {
      if (ACTIVE_ATTEMPT_STATUSES.has(a.status)) this.active.set(a.attempt_id, id);
      else if (this.active.delete(a.attempt_id)) this.heartbeats.delete(a.attempt_id);
    }
    if (CLAIMABLE_ROLLOUT_STATUSES.has(next.status) && !(prev && CLAIMABLE_ROLLOUT_STATUSES.has(prev.status))) {
      this.fifo.push(id);
      this.wake();
    }
    for (const l of this.commitListeners) {
      try {
        l(next, prev ?? base);
      } catch (err) {
        process.emitWarning(`tracelight: a rollout change listener failed: ${(err as Error).message}`);
      }
    }
    // Agent Lightning can bring a finished rollout back (a new attempt, a status set by hand): it is live again.
    if (!FINAL_ROLLOUT_STATUSES.has(next.status)) this.finished.delete(id);
    if (FINAL_ROLLOUT_STATUSES.has(next.status)) {
      this.finished.add(id);
      for (const w of [...this.finalWatchers]) w(id);
      while (this.finished.size > this.opts.finishedCacheSize) {
        const oldest = this.finished.values().next().value as string;
        this.finished.delete(oldest);
        this.rollouts.delete(oldest);
      }
    }
  }

  /** A microsecond hybrid clock: increasing across changes and restarts, near wall-clock time. */
  private tick(): number {
    this.clock = Math.max(this.clock + 1, Date.now() * 1000);
    return this.clock;
  }
}
