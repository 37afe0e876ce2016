// Wires APO's ports to a TracelightClient: resources, the rollout queue and training data go wherever the
// client was opened on (the store of this process, its serving queue, or a server elsewhere).
import type { EnqueueRequest, FinishedRollout, RecordedCall, RolloutQueuePort, RolloutResult, TrainingDataPort, ResourcePort } from '../algorithms/ports.js';
import { messageText } from '../algorithms/apo/template.js';
import { LocalClient, rolloutsInWindow, type TracelightClient } from '../client/index.js';
import type { RunningServer } from '../server/server.js';
import type { EnqueueItem, RolloutView } from '../schemas/rollouts.js';
import { cmpNs } from '../store/training-queries.js';
import { primaryReward, type Rollout } from '../training/triplets.js';

export interface ApoPorts {
  resources: ResourcePort;
  data: TrainingDataPort;
  queue: RolloutQueuePort;
}

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

function finished(views: readonly RolloutView[]): FinishedRollout[] {
  return views.filter((v) => FINAL.has(v.status)).map((v) => ({ rollout_id: v.rollout_id, status: v.status, error: v.attempts.at(-1)?.error ?? null }));
}

export function apoPorts(client: TracelightClient): ApoPorts {
  return {
    resources: {
      resolve: (name, sel) => client.resources.resolve(name, sel),
      createVersion: (name, input) => client.resources.createVersion(name, input),
      moveLabel: (name, label, version, author) => client.resources.moveLabel(name, label, version, author),
    },
    queue: {
      async enqueue(items: EnqueueRequest[]): Promise<string[]> {
        return (await client.queue.enqueue(items as EnqueueItem[])).map((c) => c.rollout_id);
      },
      async wait(ids: string[], timeoutMs: number): Promise<FinishedRollout[]> {
        return finished((await client.queue.wait(ids, timeoutMs)).rollouts);
      },
    },
    data: trainingDataPort(client),
  };
}

function lastOutput(r: Rollout | undefined): string {
  const call = r?.calls[r.calls.length - 1];
  return call ? messageText(call.output[0]) : '';
}

function trainingDataPort(client: TracelightClient): TrainingDataPort {
  return {
    async rolloutResults(ids, opts = {}): Promise<Map<string, RolloutResult>> {
      const out = new Map<string, RolloutResult>();
      if (ids.length === 0) return out;
      const rollouts = await client.rollouts(ids, opts);
      const byRollout = new Map(rollouts.map((r) => [r.rollout_id, r]));
      for (const id of ids) {
        const r = byRollout.get(id);
        const primary = r ? primaryReward(r) : null;
        const explained = r?.rewards
          .filter((w) => w.explanation)
          .sort((a, b) => cmpNs(a.time_ns, b.time_ns))
          .pop();
        out.set(id, {
          rollout_id: id,
          reward: primary ? primary.value : null,
          explanation: explained?.explanation ?? '',
          output: lastOutput(r),
          calls: r?.calls.length ?? 0,
        });
      }
      return out;
    },

    rollouts: (ids) => client.rollouts(ids, { calls: true }),

    async rolloutsInWindow(q) {
      const { rollouts, agents } = await rolloutsInWindow(client, q);
      return { rollouts, ...(q.agent !== undefined ? { agents } : {}) };
    },

    async recordedCalls(q): Promise<RecordedCall[]> {
      const out: RecordedCall[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.triplets({ sinceNs: q.sinceNs, agent: q.agent, policy: 'final', limit: 500, cursor });
        for (const t of page.triplets) {
          if (cmpNs(t.start_time_unix_nano, q.untilNs) >= 0) continue;
          out.push({
            rollout_id: t.rollout_id,
            trace_id: t.trace_id,
            span_id: t.span_id,
            agent: t.agent,
            model: t.model,
            start_ns: t.start_time_unix_nano,
            input: t.prompt,
            output: t.response,
            reward: t.reward,
            explanation: '',
            resources: t.resources,
          });
        }
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      return out.slice(-q.limit);
    },
  };
}

/** Ports for a server running in this process (its store and its serving queue). */
export function portsFor(server: RunningServer): ApoPorts {
  return apoPorts(new LocalClient(server.store, server.queue ? { queue: server.queue } : {}));
}
