// What every REST area is handed when the server registers it: the parts it serves, nothing global.
import type { AglLightningStore } from '../queue/agl-store.js';
import type { RolloutQueue } from '../queue/rollout-queue.js';
import type { ResourceStore, Store } from '../store/index.js';
import type { AglGatewayOptions } from './agl-gateway.js';
import type { ApiKeys } from './auth.js';

export interface ApiContext {
  store: Store;
  resources: ResourceStore;
  queue: RolloutQueue;
  keys: ApiKeys;
  /** The receiver's counters since start (spans and logs received, accepted, rejected; errors). */
  ingestTotals: () => Promise<Record<string, number>>;
  /** Agent Lightning's LightningStore over the queue (api/agl-store.ts); absent: /v1/agl is not served. */
  aglStore?: AglLightningStore;
  /** Agent Lightning v1's gateway (api/agl-gateway.ts): its model routing and the LLM proxy's call path. */
  agl?: Partial<AglGatewayOptions>;
}

/** Aborts when the client goes away before the answer is sent (a long poll or a query must not run for no one). */
export function clientGone(reply: { raw: { once(e: 'close', f: () => void): unknown; writableFinished: boolean } }): AbortSignal {
  const ac = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) ac.abort();
  });
  return ac.signal;
}
