// GRPO batches on hand-computed groups: each credit policy, normalized advantages with and without the std,
// and the degenerate cases (no groups, one member, equal rewards, missing token ids, too long) reported, not thrown.
import { describe, expect, it } from 'vitest';
import { buildGrpoBatch, creditCalls, groupRollouts, type RolloutGroup } from '../../../algorithms/rl/grpo.js';
import { ids, rollout } from '../../support/rollout-builders.js';

const tok = { tokens: ids([1, 2, 3], [4, 5]) };
const group = (...rs: ReturnType<typeof rollout>[]): RolloutGroup => ({ group_id: 'g', rollouts: rs });

describe('GRPO batches', () => {
  it('final: broadcasts the rollout reward to every call; advantages are (r − mean) / (std + ε) over rollouts', () => {
    // Rewards 1, 0, 0, 1 → mean 0.5, std 0.5 → advantages ±1 (less ε). The first rollout has two calls.
    const g = group(rollout('a', 1, [tok, tok]), rollout('b', 0, [tok]), rollout('c', 0, [tok]), rollout('d', 1, [tok]));
    const b = buildGrpoBatch([g], { epsilon: 0 });
    expect(b.samples.map((s) => [s.rollout_id, s.step, s.reward, s.advantage])).toEqual([
      ['a', 0, 1, 1],
      ['a', 1, 1, 1],
      ['b', 0, 0, -1],
      ['c', 0, 0, -1],
      ['d', 0, 1, 1],
    ]);
    expect(b.metrics).toMatchObject({ groups: 1, groups_used: 1, rollouts: 4, samples: 5, mean_reward: 0.5 });
    // Without the std: r − mean.
    expect(buildGrpoBatch([g], { scaleByStd: false }).samples.map((s) => s.advantage)).toEqual([0.5, 0.5, -0.5, -0.5, 0.5]);
  });

  it('last: only the last call of each rollout is trained, with the final reward', () => {
    const g = group(rollout('a', 3, [tok, tok, tok]), rollout('b', 1, [tok]));
    const b = buildGrpoBatch([g], { credit: 'last', epsilon: 0 });
    expect(b.samples.map((s) => [s.rollout_id, s.step, s.advantage])).toEqual([
      ['a', 2, 1],
      ['b', 0, -1],
    ]);
  });

  it('per-step: a call with its own reward gets it, the others the final reward; normalized over the samples', () => {
    const a = rollout('a', 1, [{ ...tok, stepReward: 0 }, tok]);
    const b = rollout('b', 0, [tok, { ...tok, stepReward: 1 }]);
    expect(creditCalls(a, 'per-step').map((c) => c.value)).toEqual([0, 1]);
    expect(creditCalls(b, 'per-step').map((c) => c.value)).toEqual([0, 1]);
    // Values 0, 1, 0, 1 → mean 0.5, std 0.5.
    expect(buildGrpoBatch([group(a, b)], { credit: 'per-step', epsilon: 0 }).samples.map((s) => s.advantage)).toEqual([-1, 1, -1, 1]);
  });

  it('discounted: G_t = Σ γ^(k−t) r_k over step rewards, the final reward at the last step', () => {
    const a = rollout('a', 1, [{ ...tok, stepReward: 0.5 }, tok, tok]);
    // Steps 0.5, 0, 1 with γ = 0.5: G2 = 1, G1 = 0 + 0.5·1 = 0.5, G0 = 0.5 + 0.5·0.5 = 0.75.
    expect(creditCalls(a, 'discounted', 0.5).map((c) => c.value)).toEqual([0.75, 0.5, 1]);
    expect(creditCalls(a, 'discounted', 1).map((c) => c.value)).toEqual([1.5, 1, 1]);
  });

  it('reports instead of crashing: no groups, a single member, equal rewards, no reward, no token ids, too long', () => {
    const empty = buildGrpoBatch([]);
    expect(empty.samples).toEqual([]);
    expect(empty.metrics).toMatchObject({ groups: 0, groups_used: 0, samples: 0, mean_reward: null });

    const b = buildGrpoBatch(
      [
        group(rollout('solo', 1, [tok])),
        { group_id: 'same', rollouts: [rollout('s1', 1, [tok]), rollout('s2', 1, [tok])] },
        {
          group_id: 'mixed',
          rollouts: [rollout('m1', 1, [tok, {}]), rollout('m2', 0, [{ tokens: ids(new Array(20).fill(1), [1]) }]), rollout('m3', null, [tok])],
        },
      ],
      { maxTokens: 10 },
    );
    expect(b.metrics.dropped).toEqual({ no_reward: 1, single_member: 1, zero_variance: 1, no_token_ids: 1, too_long: 1, no_response: 0 });
    expect(b.samples.map((s) => s.rollout_id)).toEqual(['m1']);
    expect(b.metrics.groups_used).toBe(1);
    // Zero-variance groups can be kept on request (all-zero advantages).
    expect(
      buildGrpoBatch([{ group_id: 'same', rollouts: [rollout('s1', 1, [tok]), rollout('s2', 1, [tok])] }], { keepZeroVariance: true }).samples.map(
        (s) => s.advantage,
      ),
    ).toEqual([0, 0]);
  });

  it("prefers the engine's token ids and logprobs; retokenizes only calls without ids, and counts them", () => {
    const recorded = { tokens: ids([7], [8, 9]), logprobs: [-0.1, -0.2] };
    const g = group(rollout('a', 1, [recorded]), rollout('b', 0, [{}]));
    const b = buildGrpoBatch([g], { retokenize: () => ids([1], [2]) });
    expect(b.samples.map((s) => [s.rollout_id, s.prompt_token_ids, s.response_token_ids, s.response_logprobs])).toEqual([
      ['a', [7], [8, 9], [-0.1, -0.2]],
      ['b', [1], [2], null],
    ]);
    expect(b.metrics.retokenized).toBe(1);
  });

  it('groups rollouts by their opening prompt unless the caller names the task', () => {
    const rs = [rollout('a', 1, [{}], 'add 2+2'), rollout('b', 0, [{}], 'add 2+2'), rollout('c', 1, [{}], 'spell cat')];
    const groups = groupRollouts(rs);
    expect(groups.map((g) => g.rollouts.map((r) => r.rollout_id))).toEqual([['a', 'b'], ['c']]);
    expect(groups[0]!.group_id).toMatch(/^task-[0-9a-f]{16}$/);
    expect(groupRollouts(rs, (r) => (r.rollout_id === 'c' ? 'x' : 'x')).map((g) => g.group_id)).toEqual(['x']);
  });
});
