// The Pareto front of a candidate pool, GEPA-style: each candidate has a reward per example of the Pareto
// set; a candidate is on the front when it is among the best on at least one example and no other candidate
// is at least as good everywhere and better somewhere. Sampling parents from the front, weighted by how many
// examples each leads on, keeps candidates that are the only ones solving a few examples alive, which a beam
// ranked on the mean would drop.

export interface Scored {
  id: string;
  /** Reward per example of the Pareto set, in the same order for every candidate. */
  scores: readonly number[];
}

export interface FrontMember {
  id: string;
  /** Examples of the Pareto set on which it has the best reward (ties count for everyone tied). */
  leads: number;
}

/** True when `a` is at least as good as `b` on every example and better on one. */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x < y) return false;
    if (x > y) better = true;
  }
  return better;
}

/** The front, in pool order. An empty pool has an empty front; any other pool has a member. */
export function paretoFront(pool: readonly Scored[]): FrontMember[] {
  if (pool.length === 0) return [];
  const n = Math.max(...pool.map((c) => c.scores.length));
  const leaders = new Set<string>();
  for (let i = 0; i < n; i++) {
    const top = Math.max(...pool.map((c) => c.scores[i] ?? 0));
    for (const c of pool) if ((c.scores[i] ?? 0) === top) leaders.add(c.id);
  }
  const onFront = pool.filter((c) => leaders.has(c.id) && !pool.some((o) => o.id !== c.id && dominates(o.scores, c.scores)));
  return onFront.map((c) => ({
    id: c.id,
    leads: Array.from({ length: n }, (_, i) => i).filter((i) => (c.scores[i] ?? 0) === Math.max(...onFront.map((o) => o.scores[i] ?? 0))).length,
  }));
}

/** A front member, with probability proportional to its leads (uniform when none leads anywhere). */
export function sampleFront(front: readonly FrontMember[], random: () => number): FrontMember {
  if (front.length === 0) throw new Error('sampleFront: the front is empty');
  const total = front.reduce((s, m) => s + m.leads, 0);
  if (total === 0) return front[Math.min(front.length - 1, Math.floor(random() * front.length))] as FrontMember;
  let r = random() * total;
  for (const m of front) {
    r -= m.leads;
    if (r < 0) return m;
  }
  return front[front.length - 1] as FrontMember;
}
