// The client over a tracelight server's REST API, on the SDK's ApiClient (one HTTP client for the
// product). A server's refusal comes back as the TracelightError of its status, carrying the server's own
// one-line message, so a caller handles both clients' errors the same way.
import { ApiClient, ApiError } from '../instrumentation/sdk/http.js';
import { kindOfStatus, TracelightError } from '../schemas/errors.js';
import type { RolloutView } from '../schemas/rollouts.js';
import type { TripletPage } from '../training/training-data.js';
import type { Rollout } from '../training/triplets.js';
import type { JobRun } from '../store/job-runs.js';
import type { QueueClient, ResourcesClient, Row, RunsClient, TracelightClient } from './contract.js';

const enc = encodeURIComponent;
/** The answer is an object holding an array under `key`. */
const has =
  (key: string) =>
  (b: unknown): boolean =>
    typeof b === 'object' && b !== null && Array.isArray((b as Record<string, unknown>)[key]);
const hasString =
  (key: string) =>
  (b: unknown): boolean =>
    typeof b === 'object' && b !== null && typeof (b as Record<string, unknown>)[key] === 'string';
/** Concurrent requests when one call of the contract needs several (rollouts by id). */
const FAN_OUT = 8;

export class HttpClient implements TracelightClient {
  readonly where: string;
  readonly resources: ResourcesClient;
  readonly queue: QueueClient;
  readonly runs: RunsClient;
  private readonly api: ApiClient;

  constructor(server: string, apiKey?: string) {
    this.api = new ApiClient({ server, apiKey, timeoutMs: 120_000 });
    this.where = `the tracelight server at ${this.api.server}`;
    this.resources = {
      list: async () =>
        (await this.call<{ resources: Awaited<ReturnType<ResourcesClient['list']>> }>('GET', '/api/v1/resources', undefined, has('resources'))).resources,
      resolve: (name, sel = {}) => {
        const qs = new URLSearchParams();
        if (sel.version !== undefined) qs.set('version', String(sel.version));
        if (sel.label !== undefined) qs.set('label', sel.label);
        return this.call('GET', `/api/v1/resources/${enc(name)}${qs.size ? `?${qs}` : ''}`);
      },
      history: (name, o = {}) => {
        const qs = new URLSearchParams();
        if (o.limit !== undefined) qs.set('limit', String(o.limit));
        if (o.before !== undefined) qs.set('before', String(o.before));
        return this.call('GET', `/api/v1/resources/${enc(name)}/versions${qs.size ? `?${qs}` : ''}`);
      },
      createVersion: (name, { author, ...rest }) =>
        this.call('POST', `/api/v1/resources/${enc(name)}/versions`, { ...rest, ...(author !== null ? { author } : {}) }),
      moveLabel: (name, label, version, author) =>
        this.call('POST', `/api/v1/resources/${enc(name)}/labels/${enc(label)}`, { version, ...(author ? { author } : {}) }),
      removeLabel: (name, label) => this.call('DELETE', `/api/v1/resources/${enc(name)}/labels/${enc(label)}`),
    };
    this.queue = {
      enqueue: (items) => this.call('POST', '/api/v1/rollouts', [...items]),
      list: async (q) => {
        const qs = new URLSearchParams({ limit: String(q.limit) });
        if (q.statuses?.length) qs.set('status', q.statuses.join(','));
        if (q.mode) qs.set('mode', q.mode);
        if (q.agent !== undefined) qs.set('agent', q.agent);
        if (q.sinceNs !== undefined) qs.set('since', q.sinceNs);
        if (q.minReward !== undefined) qs.set('min_reward', String(q.minReward));
        if (q.maxReward !== undefined) qs.set('max_reward', String(q.maxReward));
        return (await this.call<{ rollouts: RolloutView[] }>('GET', `/api/v1/rollouts?${qs}`, undefined, has('rollouts'))).rollouts;
      },
      get: (id) => this.orNull(this.call<RolloutView>('GET', `/api/v1/rollouts/${enc(id)}`)),
      cancel: (id) => this.call('POST', `/api/v1/rollouts/${enc(id)}/cancel`),
      wait: (ids, timeoutMs) => this.call('POST', '/api/v1/rollouts/wait', { rollout_ids: [...ids], timeout_ms: Math.min(timeoutMs, 60_000) }),
    };
    this.runs = {
      write: async (run) => {
        await this.call('PUT', `/api/v1/training/runs/${enc(run.run_id)}`, run, hasString('run_id'));
      },
      watermark: async (job) =>
        (await this.call<{ watermark_ns: string }>('GET', `/api/v1/training/watermarks/${enc(job)}`, undefined, hasString('watermark_ns'))).watermark_ns,
      list: async (q) => {
        const qs = new URLSearchParams({ limit: String(q.limit) });
        if (q.job) qs.set('job', q.job);
        return (await this.call<{ runs: JobRun[] }>('GET', `/api/v1/training/runs?${qs}`, undefined, has('runs'))).runs;
      },
      get: (id) => this.orNull(this.call<JobRun>('GET', `/api/v1/training/runs/${enc(id)}`)),
    };
  }

  async sql(sql: string, params: Record<string, string | number | boolean | null> = {}): Promise<Row[]> {
    return (await this.call<{ rows: Row[] }>('POST', '/api/v1/query', { sql, params }, has('rows'))).rows;
  }

  triplets(q: Parameters<TracelightClient['triplets']>[0]): Promise<TripletPage> {
    const qs = new URLSearchParams({ policy: q.policy, limit: String(q.limit) });
    if (q.rollout) qs.set('rollout', q.rollout);
    if (q.agent) qs.set('agent', q.agent);
    if (q.sinceNs) qs.set('since', q.sinceNs);
    if (q.cursor) qs.set('cursor', q.cursor);
    return this.call('GET', `/api/v1/triplets?${qs}`, undefined, has('triplets'));
  }

  rollout(id: string): Promise<Rollout | null> {
    return this.orNull(this.call<Rollout>('GET', `/api/v1/rollouts/${enc(id)}/calls`));
  }

  async rollouts(ids: readonly string[]): Promise<Rollout[]> {
    const out: Rollout[] = [];
    for (let i = 0; i < ids.length; i += FAN_OUT) {
      const batch = await Promise.all(ids.slice(i, i + FAN_OUT).map((id) => this.rollout(id)));
      for (const r of batch) if (r) out.push(r);
    }
    return out;
  }

  async close(): Promise<void> {}

  /**
   * One request. `shape` checks a successful answer is what tracelight sends: a server that is something else
   * gets one clear line, not a crash on a missing field.
   */
  private async call<T>(method: string, path: string, body?: unknown, shape?: (b: unknown) => boolean): Promise<T> {
    let answer: unknown;
    try {
      answer = (await this.api.request(method, path, { body })).body;
    } catch (err) {
      if (err instanceof ApiError) throw new TracelightError(kindOfStatus(err.status), this.refusal(err), { cause: err });
      throw new TracelightError('unavailable', `cannot reach ${this.where}: ${(err as Error).message}`, { cause: err });
    }
    if (shape && !shape(answer))
      throw new TracelightError('unavailable', `${this.where} gave an unexpected answer to ${method} ${path}: is it a tracelight server?`);
    return answer as T;
  }

  /** The server's own one-line reason, whatever shape its error body has. */
  private refusal(err: ApiError): string {
    const b = err.body as { error?: unknown } | string | null;
    const said = b && typeof b === 'object' && 'error' in b ? b.error : b;
    if (typeof said === 'string' && said.trim()) {
      const line = said.trim().split('\n')[0] as string;
      return typeof b === 'string'
        ? `${this.where} answered HTTP ${err.status}: ${line.slice(0, 200)}${err.status === 404 ? ' (is it a tracelight server?)' : ''}`
        : line;
    }
    if (said && typeof said === 'object' && typeof (said as { message?: unknown }).message === 'string') return (said as { message: string }).message;
    return `${this.where} answered HTTP ${err.status}${said ? `: ${JSON.stringify(said).slice(0, 200)}` : ''}`;
  }

  private async orNull<T>(p: Promise<T>): Promise<T | null> {
    try {
      return await p;
    } catch (err) {
      if (err instanceof TracelightError && err.kind === 'not_found') return null;
      throw err;
    }
  }
}
