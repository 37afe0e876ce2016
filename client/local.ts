// The client over a store this process opened (or a server in this process). Queue writes go through a
// RolloutQueue: the serving one when there is one, else a short-lived one without deadline sweeps (the next
// `serve` reloads what it wrote).
import { RolloutQueue, resourceStoreResolver, toRolloutView } from '../queue/rollout-queue.js';
import { TracelightError } from '../schemas/errors.js';
import { ResourceStore, RolloutStore, Store, type StoreConfig } from '../store/index.js';
import { loadRollout, loadRolloutsById, queryTriplets } from '../training/training-data.js';
import { JobRunStore } from '../store/job-runs.js';
import type { QueueClient, ResourcesClient, Row, RunsClient, TracelightClient } from './contract.js';

export class LocalClient implements TracelightClient {
  readonly resources: ResourcesClient;
  readonly queue: QueueClient;
  readonly runs: RunsClient;

  /** `queue`: the serving process's queue; `ownsStore`: close the store with the client. */
  constructor(
    readonly store: Store,
    opts: { queue?: RolloutQueue; ownsStore?: boolean; where?: string } = {},
  ) {
    this.where = opts.where ?? `the store (${store.driver.kind}) at ${store.driver.location}`;
    this.ownsStore = opts.ownsStore ?? false;
    const rs = new ResourceStore(store.driver);
    this.resources = {
      list: () => rs.list(),
      resolve: (name, sel) => rs.resolve(name, sel ?? {}),
      history: (name, o) => rs.history(name, o ?? {}),
      createVersion: (name, input) => rs.createVersion(name, input),
      moveLabel: (name, label, version, author) => rs.moveLabel(name, label, version, author ?? null),
      removeLabel: (name, label) => rs.removeLabel(name, label),
    };
    const runs = new JobRunStore(store.driver);
    this.runs = { write: (r) => runs.write(r), watermark: (j) => runs.watermark(j), list: (q) => runs.list(q), get: (id) => runs.get(id) };
    const live = opts.queue;
    const rollouts = new RolloutStore(store.driver);
    const withQueue = async <T>(fn: (q: RolloutQueue) => Promise<T>): Promise<T> => {
      if (live) return fn(live);
      const q = new RolloutQueue(store, { sweep: false, resources: resourceStoreResolver(rs) });
      await q.start();
      try {
        return await fn(q);
      } finally {
        await q.close();
      }
    };
    this.queue = {
      enqueue: (items) => withQueue((q) => q.enqueue(items, true)),
      cancel: (id) => withQueue((q) => q.cancel(id)),
      list: async (q) => (live ? live.list(q) : (await rollouts.list(q)).map((r) => toRolloutView(r))),
      get: async (id) => {
        if (!live) {
          const r = await rollouts.get(id);
          return r ? toRolloutView(r) : null;
        }
        return live.get(id).catch((err: unknown) => {
          if (err instanceof TracelightError && err.kind === 'not_found') return null;
          throw err;
        });
      },
      wait: (ids, timeoutMs) => {
        if (!live) throw new TracelightError('unavailable', 'waiting for rollouts needs the serving process (its workers finish them): go through the server');
        return live.wait(ids, Math.min(timeoutMs, 60_000));
      },
    };
  }

  readonly where: string;
  private readonly ownsStore: boolean;

  static async open(config: StoreConfig): Promise<LocalClient> {
    const store = await Store.open(config);
    return new LocalClient(store, { ownsStore: true });
  }

  sql(sql: string, params: Record<string, string | number | boolean | null> = {}): Promise<Row[]> {
    return this.store.readOnlyQuery(sql, params);
  }

  triplets(q: Parameters<TracelightClient['triplets']>[0]): ReturnType<TracelightClient['triplets']> {
    return queryTriplets(this.store.driver, q);
  }

  rollout(id: string): ReturnType<TracelightClient['rollout']> {
    return loadRollout(this.store.driver, id);
  }

  rollouts(ids: readonly string[], opts: { calls?: boolean } = {}): ReturnType<TracelightClient['rollouts']> {
    return loadRolloutsById(this.store.driver, ids, opts);
  }

  async close(): Promise<void> {
    if (this.ownsStore) await this.store.close();
  }
}
