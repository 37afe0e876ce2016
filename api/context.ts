// What every REST area is handed when the server registers it: the parts it serves, nothing global.
import type { RolloutQueue } from '../queue/rollout-queue.js';
import type { ResourceStore, Store } from '../store/index.js';
import type { ApiKeys } from './auth.js';

export interface ApiContext {
  store: Store;
  resources: ResourceStore;
  queue: RolloutQueue;
  keys: ApiKeys;
  /** The receiver's counters since start (spans and logs received, accepted, rejected; errors). */
  ingestTotals: () => Promise<Record<string, number>>;
}

/** Aborts when the client goes away before the answer is sent (a long poll or a query must not run for no one). */
export function clientGone(reply: { raw: { once(e: 'close', f: () => void): unknown; writableFinished: boolean } }): AbortSignal {
  const ac = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) ac.abort();
  });
  return ac.signal;
}
