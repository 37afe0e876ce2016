// The rollouts a training step reads: those with LLM calls in a time window, optionally only those with a call
// of an agent matching an RE2 pattern. The engine matches the pattern (no user regex runs here); the agent
// names it matched come back so callers can keep those agents' calls.
import { cmpNs } from '../store/training-queries.js';
import type { Rollout } from '../training/triplets.js';
import type { TracelightClient } from './contract.js';

export async function rolloutsInWindow(
  client: TracelightClient,
  q: { sinceNs?: string; untilNs?: string; agent?: string },
): Promise<{ rollouts: Rollout[]; agents: Set<string> }> {
  const ids = new Set<string>();
  const agents = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await client.triplets({ sinceNs: q.sinceNs, agent: q.agent, policy: 'final', limit: 1000, cursor });
    for (const t of page.triplets) {
      if (q.untilNs !== undefined && cmpNs(t.start_time_unix_nano, q.untilNs) >= 0) continue;
      ids.add(t.rollout_id);
      agents.add(t.agent);
    }
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return { rollouts: await client.rollouts([...ids], { calls: true }), agents };
}
