// Wires APO's ports to tracelight's parts: resources and job runs through the store, the rollout queue of the
// serving process (in-process, or over HTTP when another process serves), training data through the
// triplet reader.
import type { RolloutQueue } from '../queue/rollout-queue.js';
import { queryTriplets } from '../training/training-data.js';
import { buildRollouts, primaryReward, type Rollout } from '../training/triplets.js';
import type { Driver } from '../store/driver.js';
import { ResourceStore } from '../store/resources.js';
import { loadCalls, loadContents, loadIdentities, loadRewards, tracesOfRollouts, cmpNs } from '../store/training-queries.js';
import type { EnqueueRequest, FinishedRollout, RecordedCall, ResourcePort, RolloutQueuePort, RolloutResult, TrainingDataPort } from '../algorithms/apo/ports.js';
import { messageText } from '../algorithms/apo/template.js';

export function resourcePort(db: Driver): ResourcePort {
  const rs = new ResourceStore(db);
  return {
    resolve: (name, sel) => rs.resolve(name, sel),
    createVersion: (name, input) => rs.createVersion(name, input),
    moveLabel: (name, label, version, author) => rs.moveLabel(name, label, version, author),
  };
}

interface WaitView {
  rollout_id: string;
  status: string;
  attempts?: { error?: string | null }[];
}

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

function finished(views: WaitView[]): FinishedRollout[] {
  return views.filter((v) => FINAL.has(v.status)).map((v) => ({ rollout_id: v.rollout_id, status: v.status, error: v.attempts?.at(-1)?.error ?? null }));
}

/** The queue of this process's server. */
export function inProcessQueue(queue: RolloutQueue): RolloutQueuePort {
  return {
    async enqueue(items: EnqueueRequest[]): Promise<string[]> {
      const created = await queue.enqueue(items as Parameters<RolloutQueue['enqueue']>[0], true);
      return created.map((c) => c.rollout_id);
    },
    async wait(ids: string[], timeoutMs: number): Promise<FinishedRollout[]> {
      const res = await queue.wait(ids, Math.min(timeoutMs, 60_000));
      return finished(res.rollouts as WaitView[]);
    },
  };
}

/** The queue of a tracelight server elsewhere (REST). */
export function httpQueue(server: string, apiKey?: string): RolloutQueuePort {
  const call = async <T>(path: string, body: unknown): Promise<T> => {
    const res = await fetch(`${server}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
      body: JSON.stringify(body),
    });
    const parsed = (await res.json().catch(() => ({}))) as T & { error?: string };
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}${parsed.error ? `: ${parsed.error}` : ''}`);
    return parsed;
  };
  return {
    async enqueue(items) {
      const created = await call<{ rollout_id: string }[]>('/api/v1/rollouts', items);
      return created.map((c) => c.rollout_id);
    },
    async wait(ids, timeoutMs) {
      const res = await call<{ rollouts: WaitView[] }>('/api/v1/rollouts/wait', { rollout_ids: ids, timeout_ms: Math.min(timeoutMs, 60_000) });
      return finished(res.rollouts);
    },
  };
}

function lastOutput(r: Rollout | undefined): string {
  const call = r?.calls[r.calls.length - 1];
  return call ? messageText(call.output[0]) : '';
}

export function trainingDataPort(db: Driver): TrainingDataPort {
  return {
    async rolloutResults(ids, opts = {}): Promise<Map<string, RolloutResult>> {
      const out = new Map<string, RolloutResult>();
      if (ids.length === 0) return out;
      let rollouts: Rollout[];
      if (opts.calls) {
        const traces = await tracesOfRollouts(db, ids);
        const [calls, contents, identities] = await Promise.all([loadCalls(db, traces), loadContents(db, traces), loadIdentities(db, traces)]);
        const rewards = await loadRewards(db, ids, traces);
        rollouts = buildRollouts(calls, contents, identities, rewards);
      } else {
        // Rewards only: one query.
        const rewards = await loadRewards(db, ids, []);
        const byId = new Map<string, Rollout>();
        for (const w of rewards) {
          let r = byId.get(w.rollout_id);
          if (!r) byId.set(w.rollout_id, (r = { rollout_id: w.rollout_id, attempt_ids: [], trace_ids: [], calls: [], rewards: [] }));
          r.rewards.push(w);
        }
        rollouts = [...byId.values()];
      }
      const byRollout = new Map(rollouts.map((r) => [r.rollout_id, r]));
      for (const id of ids) {
        const r = byRollout.get(id);
        const primary = r ? primaryReward(r) : null;
        const explained = r?.rewards.filter((w) => w.explanation).sort((a, b) => cmpNs(a.time_ns, b.time_ns)).pop();
        out.set(id, { rollout_id: id, reward: primary ? primary.value : null, explanation: explained?.explanation ?? '', output: lastOutput(r), calls: r?.calls.length ?? 0 });
      }
      return out;
    },

    async recordedCalls(q): Promise<RecordedCall[]> {
      const out: RecordedCall[] = [];
      let cursor: string | undefined;
      do {
        const page = await queryTriplets(db, { sinceNs: q.sinceNs, agent: q.agent, policy: 'final', limit: 500, cursor });
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

