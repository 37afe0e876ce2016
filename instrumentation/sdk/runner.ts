// runner(): the worker loop. Each of `concurrency` slots claims a rollout from tracelight's queue (long poll),
// runs the agent inside withRollout() for the claimed ids (so its spans carry them), heartbeats while it runs,
// and completes the attempt: `succeeded` with the reward the agent returned (if a number), or `failed` with the
// thrown error's message. Network trouble backs off and retries; SIGTERM/SIGINT or stop() finish the running
// attempts and the pending claims (at most waitMs) and claim no more (a second signal exits at once).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { MAX_WAIT_MS, type ClaimedRollout } from '../../schemas/rollouts.js';
import { ApiClient, ApiError, abortError, backoffDelay, isRetryable, pause, type FetchLike } from './http.js';
import { currentHandle, defaultApiTarget, init, type InitOptions } from './otel.js';
import type { Resource } from './resources.js';
import { withRollout } from './rollout.js';

export type { ClaimedRollout };

export interface AgentContext {
  rolloutId: string;
  attemptId: string;
  /** `train`, `val` or `test` as enqueued ('' when none was given). */
  mode: string;
  workerId: string;
  /** Aborted when the server says this attempt is no longer ours (timed out, cancelled). */
  signal: AbortSignal;
  /** The claim as the server sent it. */
  claim: ClaimedRollout;
}

/** The agent: returns its reward (a number) or anything else; throws to fail the attempt. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Agent<I = any> = (input: I, resources: Record<string, Resource>, ctx: AgentContext) => unknown;

export interface RunnerLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface RunnerOptions<I = unknown> {
  agent: Agent<I>;
  /** Attempts run at once (default 1). */
  concurrency?: number;
  /** tracelight's base URL (default: init()'s endpoint, TRACELIGHT_URL, OTEL_EXPORTER_OTLP_ENDPOINT, http://localhost:4318). */
  server?: string;
  /** Default: `<host>-<pid>-<random>`. */
  workerId?: string;
  /** Bearer key (default: init()'s, TRACELIGHT_API_KEY, or the one in OTEL_EXPORTER_OTLP_HEADERS). */
  apiKey?: string;
  /** Long-poll wait per claim (default 5000 ms, at most 60000). */
  waitMs?: number;
  /** Heartbeat interval while an attempt runs (default 10000 ms). */
  heartbeatMs?: number;
  /** Back-off after a failed request: from `initialMs` doubling to `maxMs` (default 500 → 30000). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Stop each slot when a claim finds the queue empty (drain the queue, then end). Default false. */
  untilEmpty?: boolean;
  /** Stop after this many attempts in all. */
  maxAttempts?: number;
  /** Stop gracefully on SIGTERM / SIGINT (default true). */
  handleSignals?: boolean;
  /** Flush spans before completing each attempt, so its telemetry is stored when it shows as done (default true). */
  flushBeforeComplete?: boolean;
  /** Start OpenTelemetry when init() has not been called (default true; these options go to init(), with `server` / `apiKey` as its endpoint / key). */
  init?: boolean | InitOptions;
  fetch?: FetchLike;
  logger?: RunnerLogger;
}

export interface RunnerStats {
  claimed: number;
  succeeded: number;
  failed: number;
  /** Requests that failed (and were retried or given up). */
  requestErrors: number;
  /** Attempts whose completion could not be delivered. */
  completeErrors: number;
}

export interface Runner {
  readonly workerId: string;
  readonly stats: RunnerStats;
  /** Attempts running now. */
  readonly running: number;
  /** Stop claiming, finish running attempts (and what a pending claim brings, at most `waitMs` away); resolves like `done`. */
  stop(): Promise<RunnerStats>;
  /** Settles when every slot has ended (rejects on a fatal error such as a rejected API key). */
  readonly done: Promise<RunnerStats>;
}

/** Longer error messages are cut (the queue stores up to 100 000 characters). */
const MAX_ERROR_CHARS = 10_000;

const consoleLogger: RunnerLogger = {
  info: (m) => console.error(`tracelight runner: ${m}`),
  warn: (m) => console.error(`tracelight runner: ${m}`),
  error: (m) => console.error(`tracelight runner: ${m}`),
};

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err));
}

function parseClaim(body: unknown): ClaimedRollout {
  const c = body as ClaimedRollout | null;
  if (!c || typeof c !== 'object' || typeof c.rollout_id !== 'string' || typeof c.attempt_id !== 'string') {
    throw new Error(`claim: the server's answer lacks rollout_id / attempt_id: ${JSON.stringify(body)?.slice(0, 200)}`);
  }
  return c;
}

/** Starts the worker loop and returns its handle. */
export function runner<I = unknown>(options: RunnerOptions<I>): Runner {
  if (typeof options?.agent !== 'function') throw new TypeError('runner: agent must be a function');
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new TypeError('runner: concurrency must be a positive integer');
  const target = defaultApiTarget();
  const server = options.server ?? target.server;
  const apiKey = options.apiKey ?? target.apiKey;
  const workerId = options.workerId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const waitMs = Math.min(Math.max(0, Math.round(options.waitMs ?? 5000)), MAX_WAIT_MS);
  const heartbeatMs = options.heartbeatMs ?? 10_000;
  const initialBackoff = options.backoff?.initialMs ?? 500;
  const maxBackoff = options.backoff?.maxMs ?? 30_000;
  const log = options.logger ?? consoleLogger;
  const api = new ApiClient({ server, apiKey, fetch: options.fetch });

  if (options.init !== false && !currentHandle()) {
    // Explicit server / key go to the exporters too; otherwise init() reads the OTEL_* environment itself.
    init({ endpoint: options.server, apiKey: options.apiKey, ...(typeof options.init === 'object' ? options.init : {}) });
  }

  const stats: RunnerStats = { claimed: 0, succeeded: 0, failed: 0, requestErrors: 0, completeErrors: 0 };
  const stopController = new AbortController();
  let running = 0;
  let reserved = 0;
  let fatal: unknown = null;

  const stop = (): Promise<RunnerStats> => {
    if (!stopController.signal.aborted) stopController.abort(abortError('runner stopped'));
    return done;
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopController.signal.aborted) {
      log.warn(`${signal} again: exiting now`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    log.info(`${signal}: finishing ${running} running attempt(s), claiming no more (send it again to exit now)`);
    void stop().catch(() => undefined);
  };
  const handleSignals = options.handleSignals ?? true;
  if (handleSignals) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }

  async function claim(): Promise<ClaimedRollout | null> {
    const res = await api.request('POST', '/api/v1/rollouts/claim', {
      body: { worker_id: workerId, wait_ms: waitMs },
      timeoutMs: waitMs + 30_000,
      // Not aborted by stop(): a claim answered while the client hung up would leave an attempt nobody runs
      // (it fails as unresponsive later). Stopping waits for the pending claim instead (at most waitMs), and
      // runs what it brings.
      accept: [204],
    });
    return res.status === 204 || res.body === null ? null : parseClaim(res.body);
  }

  async function heartbeat(c: ClaimedRollout, lost: AbortController): Promise<void> {
    try {
      await api.request('POST', attemptPath(c, 'heartbeat'), { body: {}, timeoutMs: Math.max(heartbeatMs, 5000) });
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 409 || err.status === 410)) {
        if (!lost.signal.aborted) {
          log.warn(`attempt ${c.attempt_id} of rollout ${c.rollout_id} is no longer ours (${err.message})`);
          lost.abort(new Error(err.message));
        }
        return;
      }
      stats.requestErrors++;
      log.warn(`heartbeat failed (will retry): ${errorMessage(err)}`);
    }
  }

  async function complete(c: ClaimedRollout, body: Record<string, unknown>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await api.request('POST', attemptPath(c, 'complete'), { body });
        return;
      } catch (err) {
        stats.requestErrors++;
        if (!isRetryable(err) || attempt >= 7) {
          stats.completeErrors++;
          log.error(`could not complete attempt ${c.attempt_id} of rollout ${c.rollout_id}: ${errorMessage(err)}`);
          return;
        }
        await pause(backoffDelay(attempt, initialBackoff, maxBackoff));
      }
    }
  }

  async function runAttempt(c: ClaimedRollout): Promise<void> {
    stats.claimed++;
    running++;
    const lost = new AbortController();
    const resources: Record<string, Resource> = {};
    const versions: Record<string, string | number> = {};
    for (const [name, r] of Object.entries(c.resources ?? {})) {
      resources[name] = { ...r, name, version: Number(r.version), kind: r.kind, content: r.content };
      versions[name] = r.version;
    }
    const ctx: AgentContext = {
      rolloutId: c.rollout_id,
      attemptId: c.attempt_id,
      mode: typeof c.mode === 'string' ? c.mode : '',
      workerId,
      signal: lost.signal,
      claim: c,
    };
    let beating = false;
    const timer = setInterval(() => {
      if (beating) return;
      beating = true;
      void heartbeat(c, lost).finally(() => (beating = false));
    }, heartbeatMs);
    timer.unref();
    let body: Record<string, unknown>;
    try {
      const result = await withRollout({ rolloutId: c.rollout_id, attemptId: c.attempt_id, resources: versions }, () =>
        options.agent(c.input as I, resources, ctx),
      );
      body = { status: 'succeeded' };
      if (typeof result === 'number') {
        if (Number.isFinite(result)) body.reward = result;
        else log.warn(`agent returned ${result} for rollout ${c.rollout_id}; completing without a reward`);
      }
      stats.succeeded++;
    } catch (err) {
      body = { status: 'failed', error: errorMessage(err).slice(0, MAX_ERROR_CHARS) };
      stats.failed++;
    } finally {
      clearInterval(timer);
    }
    try {
      if (options.flushBeforeComplete ?? true) await currentHandle()?.forceFlush();
    } catch (err) {
      log.warn(`flushing telemetry failed: ${errorMessage(err)}`);
    }
    await complete(c, body);
    running--;
  }

  async function slot(): Promise<void> {
    let failures = 0;
    while (!stopController.signal.aborted) {
      if (options.maxAttempts !== undefined && reserved >= options.maxAttempts) return;
      reserved++;
      let c: ClaimedRollout | null;
      try {
        c = await claim();
        failures = 0;
      } catch (err) {
        reserved--;
        if (stopController.signal.aborted) return;
        stats.requestErrors++;
        if (!isRetryable(err)) {
          fatal ??= err;
          log.error(`stopping: ${errorMessage(err)}`);
          stopController.abort(abortError('runner stopped after a fatal error'));
          return;
        }
        const delay = backoffDelay(failures++, initialBackoff, maxBackoff);
        log.warn(`claim failed, retrying in ${delay} ms: ${errorMessage(err)}`);
        await pause(delay, stopController.signal);
        continue;
      }
      if (!c) {
        reserved--;
        if (options.untilEmpty) return;
        continue;
      }
      // A claim the server handed out is run even when stop() came meanwhile: it is ours now.
      await runAttempt(c);
    }
  }

  const done: Promise<RunnerStats> = Promise.all(Array.from({ length: concurrency }, () => slot())).then(async () => {
    if (handleSignals) {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
    await currentHandle()
      ?.forceFlush()
      .catch(() => undefined);
    if (fatal) throw fatal;
    return stats;
  });
  // A fatal error is logged above; callers that await `done` or `stop()` still see it.
  done.catch(() => undefined);

  return {
    workerId,
    stats,
    get running() {
      return running;
    },
    stop,
    done,
  };
}

function attemptPath(c: ClaimedRollout, action: 'heartbeat' | 'complete'): string {
  return `/api/v1/rollouts/${encodeURIComponent(c.rollout_id)}/attempts/${encodeURIComponent(c.attempt_id)}/${action}`;
}
