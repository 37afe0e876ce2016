// A receiver process (`serve --role receiver`) owns no rollout queue, yet a span that carries an attempt id is
// that attempt's heartbeat. This listener collects the ids it sees and posts them to the queue's owner about
// once a second (POST /api/v1/rollouts/activity). Heartbeats are best effort: a failed post is dropped and the
// next span beats again, so ingest never waits on the owner.
import { MAX_ACTIVITY_IDS } from '../schemas/rollouts.js';
import type { ActivityListener } from './activity.js';

export interface ActivityForwarderOptions {
  /** The owner's base URL (its HTTP port). */
  ownerUrl: string;
  /** Bearer key with the ingest scope, when the owner requires keys. */
  apiKey?: string;
  intervalMs?: number;
  /** Told of each post's outcome, for /metrics. */
  onPost?: (outcome: 'sent' | 'failed', ids: number) => void;
  warn?: (line: string) => void;
}

/** Ids held beyond this between two posts are dropped: an owner that is down must not grow a receiver's memory. */
const MAX_PENDING = MAX_ACTIVITY_IDS * 5;
const POST_TIMEOUT_MS = 5_000;
const WARN_EVERY_MS = 60_000;

export class ActivityForwarder implements ActivityListener {
  private pending = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private readonly endpoint: string;
  private inFlight: Promise<void> | null = null;
  private lastWarn = 0;

  constructor(private readonly opts: ActivityForwarderOptions) {
    this.endpoint = new URL('/api/v1/rollouts/activity', opts.ownerUrl).toString();
    this.timer = setInterval(() => void this.flush(), opts.intervalMs ?? 1000);
    this.timer.unref();
  }

  // The receiver cannot know which attempts the owner is waiting on, so every batch is scanned.
  wantsActivity(): boolean {
    return true;
  }

  onActivity(attemptIds: ReadonlySet<string>): void {
    for (const id of attemptIds) {
      if (this.pending.size >= MAX_PENDING) return;
      this.pending.add(id);
    }
  }

  /** Posts what is pending (one post at a time); resolves when it is sent or given up. */
  flush(): Promise<void> {
    if (this.inFlight || this.pending.size === 0) return this.inFlight ?? Promise.resolve();
    const ids = [...this.pending];
    this.pending = new Set();
    this.inFlight = (async () => {
      for (let i = 0; i < ids.length; i += MAX_ACTIVITY_IDS) await this.post(ids.slice(i, i + MAX_ACTIVITY_IDS));
    })().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async post(ids: string[]): Promise<void> {
    try {
      const res = await fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}) },
        body: JSON.stringify({ attempt_ids: ids }),
        signal: AbortSignal.timeout(POST_TIMEOUT_MS),
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`the owner answered ${res.status}`);
      this.opts.onPost?.('sent', ids.length);
    } catch (err) {
      this.opts.onPost?.('failed', ids.length);
      const now = Date.now();
      if (now - this.lastWarn >= WARN_EVERY_MS) {
        this.lastWarn = now;
        (this.opts.warn ?? ((l: string) => process.stderr.write(`${l}\n`)))(
          `tracelight: heartbeats from spans not forwarded to ${this.endpoint}: ${(err as Error).message} (${ids.length} attempt id(s) dropped; later spans beat again)`,
        );
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
