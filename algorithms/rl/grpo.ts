// GRPO batches from traces: rollouts of the same task form a group; each LLM call of a rollout becomes one
// training sample whose advantage says how much better its rollout (or its step) did than the group's others.
// Credit assignment decides what reward a call is credited with; filters drop what a policy-gradient step cannot
// use, and every drop is counted with its reason, so an empty or degenerate batch is a report, never a crash.
import { createHash } from 'node:crypto';
import { assembleTriplets, primaryReward, type Rollout, type Triplet } from '../../training/triplets.js';

export const CREDIT_POLICIES = ['final', 'last', 'per-step', 'discounted'] as const;
export type CreditPolicy = (typeof CREDIT_POLICIES)[number];

export interface GrpoOptions {
  /**
   * final: the rollout's final reward for every call (default). last: only the last call, with the final reward.
   * per-step: each call's own reward where one was recorded on its span, else the final reward. discounted: the
   * return from each call on, G_t = Σ γ^(k−t) r_k, over per-step rewards with the final reward at the last step.
   */
  credit: CreditPolicy;
  /** γ for `discounted`. */
  gamma: number;
  /** Divide by the group's standard deviation (GRPO); false keeps only the mean baseline (Dr. GRPO). */
  scaleByStd: boolean;
  epsilon: number;
  /** Longest prompt + response, in tokens; longer samples are dropped. */
  maxTokens: number;
  /** Keep groups whose rewards are all equal (their advantages are all zero: no learning signal). */
  keepZeroVariance: boolean;
  /** Tokenizes a call that carries no token ids; without it such calls are dropped. */
  retokenize?: (t: Triplet) => { prompt: number[]; response: number[] } | null;
}

export const DEFAULT_GRPO_OPTIONS: GrpoOptions = { credit: 'final', gamma: 1, scaleByStd: true, epsilon: 1e-6, maxTokens: 8192, keepZeroVariance: false };

export interface GrpoSample {
  group_id: string;
  rollout_id: string;
  step: number;
  prompt_token_ids: number[];
  response_token_ids: number[];
  /** The engine's logprobs of the response tokens when recorded (the trainer's "old" policy), else null. */
  response_logprobs: number[] | null;
  reward: number;
  advantage: number;
}

export type DropReason = 'no_reward' | 'single_member' | 'zero_variance' | 'no_token_ids' | 'too_long' | 'no_response';

export interface GrpoBatch {
  samples: GrpoSample[];
  metrics: {
    groups: number;
    groups_used: number;
    rollouts: number;
    samples: number;
    mean_reward: number | null;
    retokenized: number;
    /** What was dropped, by reason (rollouts for no_reward; groups for single_member and zero_variance; calls otherwise). */
    dropped: Record<DropReason, number>;
  };
}

export interface RolloutGroup {
  group_id: string;
  rollouts: Rollout[];
}

/** Groups rollouts by task: an explicit key where the caller has one (the queue's task), else the first prompt. */
export function groupRollouts(rollouts: readonly Rollout[], keyOf?: (r: Rollout) => string | null): RolloutGroup[] {
  const groups = new Map<string, Rollout[]>();
  for (const r of rollouts) {
    const key = keyOf?.(r) ?? firstPromptKey(r);
    const list = groups.get(key);
    if (list) list.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.entries()].map(([group_id, rs]) => ({ group_id, rollouts: rs }));
}

/** Rollouts of one task open with the same prompt: its hash names the group. */
function firstPromptKey(r: Rollout): string {
  const first = r.calls[0];
  return first ? `task-${createHash('sha256').update(JSON.stringify(first.input)).digest('hex').slice(0, 16)}` : `rollout-${r.rollout_id}`;
}

interface Credited {
  triplet: Triplet;
  value: number;
}

/** The calls of one rollout with the reward each is credited with (empty when the rollout has no reward). */
export function creditCalls(r: Rollout, policy: CreditPolicy, gamma = 1): Credited[] {
  const final = primaryReward(r)?.value;
  const calls = assembleTriplets(r, { policy: 'per-span' });
  if (final === undefined) return [];
  if (policy === 'final') return calls.map((t) => ({ triplet: t, value: final }));
  if (policy === 'last') return calls.length ? [{ triplet: calls[calls.length - 1] as Triplet, value: final }] : [];
  if (policy === 'per-step') return calls.map((t) => ({ triplet: t, value: t.reward ?? final }));
  // discounted: step rewards (0 where none), the final reward counted once at the last step.
  const steps = calls.map((t, i) => (t.reward ?? 0) + (i === calls.length - 1 && t.reward === null ? final : 0));
  const out: Credited[] = new Array(calls.length);
  let g = 0;
  for (let i = calls.length - 1; i >= 0; i--) {
    g = (steps[i] as number) + gamma * g;
    out[i] = { triplet: calls[i] as Triplet, value: g };
  }
  return out;
}

function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return { mean, std: Math.sqrt(variance) };
}

/**
 * The batch. Advantages are normalized within each group over its rollouts' values (`final`, `last`: one value
 * per rollout, so a long rollout does not weigh more in the baseline) or over its samples (`per-step`,
 * `discounted`, where values differ within a rollout).
 */
export function buildGrpoBatch(groups: readonly RolloutGroup[], options: Partial<GrpoOptions> = {}): GrpoBatch {
  const o: GrpoOptions = { ...DEFAULT_GRPO_OPTIONS, ...options };
  const dropped: Record<DropReason, number> = { no_reward: 0, single_member: 0, zero_variance: 0, no_token_ids: 0, too_long: 0, no_response: 0 };
  const samples: GrpoSample[] = [];
  const rewards: number[] = [];
  let retokenized = 0;
  let used = 0;
  let rolloutCount = 0;
  for (const g of groups) {
    const credited = g.rollouts.map((r) => ({ r, calls: creditCalls(r, o.credit, o.gamma) }));
    const rewarded = credited.filter((c) => {
      if (c.calls.length > 0) return true;
      dropped.no_reward++;
      return false;
    });
    rolloutCount += rewarded.length;
    if (rewarded.length === 0) continue;
    for (const c of rewarded) rewards.push(primaryReward(c.r)?.value ?? 0);
    if (rewarded.length < 2) {
      dropped.single_member++;
      continue;
    }
    const perRollout = o.credit === 'final' || o.credit === 'last';
    const values = perRollout ? rewarded.map((c) => (c.calls[0] as Credited).value) : rewarded.flatMap((c) => c.calls.map((x) => x.value));
    const { mean, std } = meanStd(values);
    if (std === 0 && !o.keepZeroVariance) {
      dropped.zero_variance++;
      continue;
    }
    used++;
    const scale = o.scaleByStd ? std + o.epsilon : 1;
    for (const { r, calls } of rewarded) {
      for (const { triplet: t, value } of calls) {
        if (!t.response) {
          dropped.no_response++;
          continue;
        }
        let ids = t.token_ids && t.token_ids.response.length > 0 ? t.token_ids : null;
        if (!ids && o.retokenize) {
          ids = o.retokenize(t);
          if (ids) retokenized++;
        }
        if (!ids) {
          dropped.no_token_ids++;
          continue;
        }
        if (ids.prompt.length + ids.response.length > o.maxTokens) {
          dropped.too_long++;
          continue;
        }
        const logprobs = t.logprobs && t.logprobs.length === ids.response.length && ids === t.token_ids ? t.logprobs : null;
        samples.push({
          group_id: g.group_id,
          rollout_id: r.rollout_id,
          step: t.step,
          prompt_token_ids: ids.prompt,
          response_token_ids: ids.response,
          response_logprobs: logprobs,
          reward: value,
          advantage: (value - mean) / scale,
        });
      }
    }
  }
  return {
    samples,
    metrics: {
      groups: groups.length,
      groups_used: used,
      rollouts: rolloutCount,
      samples: samples.length,
      mean_reward: rewards.length ? rewards.reduce((a, b) => a + b, 0) / rewards.length : null,
      retokenized,
      dropped,
    },
  };
}
