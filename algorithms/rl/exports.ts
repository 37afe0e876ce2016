// Training data in the formats the trainers people already use read: OpenAI chat fine-tuning JSONL and TRL's
// conversational prompt/completion and preference formats for SFT and DPO, and verl's RL dataset rows (written
// to Parquet by the CLI). Built from rollouts grouped by task (grpo.ts), so rejection sampling ("keep the best
// k % of each task's rollouts") and preference pairs ("best vs worst answer to the same prompt") are per task.
import { primaryReward, type Rollout, type Triplet } from '../../training/triplets.js';
import { assembleTriplets } from '../../training/triplets.js';
import { toChat, type ChatMessage } from './chat-messages.js';
import type { RolloutGroup } from './grpo.js';

export interface Selection {
  /** Keep rollouts whose reward is at least this. */
  minReward?: number;
  /** Keep the best k % of each group's rewarded rollouts (at least one per group). */
  topPercent?: number;
}

export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: unknown };
}

/** Tool definitions as sent, in the chat-completions `tools` shape (flat `{name, parameters}` ones are wrapped). */
export function toChatTools(tools: readonly unknown[] | undefined): ChatTool[] | undefined {
  if (!tools || tools.length === 0) return undefined;
  const out: ChatTool[] = [];
  for (const t of tools) {
    if (!t || typeof t !== 'object') continue;
    const o = t as Record<string, unknown>;
    if (o.function && typeof o.function === 'object') out.push({ type: 'function', function: o.function as ChatTool['function'] });
    else if (typeof o.name === 'string') {
      out.push({
        type: 'function',
        function: {
          name: o.name,
          ...(typeof o.description === 'string' ? { description: o.description } : {}),
          ...(o.parameters ? { parameters: o.parameters } : {}),
        },
      });
    }
  }
  return out.length ? out : undefined;
}

/** The rollouts of a group that rejection sampling keeps, best first. */
export function selectRollouts(group: RolloutGroup, sel: Selection): { rollout: Rollout; reward: number }[] {
  const scored = group.rollouts
    .map((rollout) => ({ rollout, reward: primaryReward(rollout)?.value }))
    .filter((x): x is { rollout: Rollout; reward: number } => x.reward !== undefined)
    .sort((a, b) => b.reward - a.reward);
  let kept = sel.minReward === undefined ? scored : scored.filter((x) => x.reward >= (sel.minReward as number));
  if (sel.topPercent !== undefined && kept.length > 0) kept = kept.slice(0, Math.max(1, Math.floor((scored.length * sel.topPercent) / 100)));
  return kept;
}

function callsOf(r: Rollout, agent?: (a: string) => boolean): Triplet[] {
  return assembleTriplets(r, { policy: 'final', agent }).filter((t) => t.response !== null);
}

export interface SftOptions extends Selection {
  format: 'openai' | 'trl';
  agent?: (a: string) => boolean;
}

export type SftRecord =
  | { messages: ChatMessage[]; tools?: ChatTool[] }
  | { prompt: ChatMessage[]; completion: ChatMessage[]; tools?: ChatTool[]; reward: number; rollout_id: string };

/**
 * One record per LLM call of each kept rollout: the call's prompt and its answer. OpenAI's format trains the
 * final assistant message (earlier assistant turns are context, `weight: 0`); TRL's prompt/completion format
 * trains the completion only.
 */
export function sftRecords(groups: readonly RolloutGroup[], o: SftOptions): SftRecord[] {
  const out: SftRecord[] = [];
  for (const g of groups) {
    for (const { rollout, reward } of selectRollouts(g, o)) {
      for (const t of callsOf(rollout, o.agent)) {
        const prompt = toChat(t.prompt);
        const completion = toChat([t.response as NonNullable<Triplet['response']>]);
        const tools = toChatTools(t.tools);
        if (o.format === 'trl') out.push({ prompt, completion, ...(tools ? { tools } : {}), reward, rollout_id: rollout.rollout_id });
        else {
          const context = prompt.map((m) => (m.role === 'assistant' ? { ...m, weight: 0 } : m));
          out.push({ messages: [...context, ...completion], ...(tools ? { tools } : {}) });
        }
      }
    }
  }
  return out;
}

function withoutIds(ms: ChatMessage[]): unknown[] {
  return ms.map((m) => ({ ...m, tool_call_id: undefined, tool_calls: m.tool_calls?.map((c) => c.function) }));
}

export interface DpoRecord {
  prompt: ChatMessage[];
  chosen: ChatMessage[];
  rejected: ChatMessage[];
  score_chosen: number;
  score_rejected: number;
  tools?: ChatTool[];
}

/**
 * Preference pairs within each group: among calls that saw the same prompt (the same task's first turn, or a
 * shared prefix of a multi-turn run), the answer of the best-rewarded rollout is chosen over the worst's. Pairs
 * with equal rewards say nothing and are left out.
 */
export function dpoRecords(groups: readonly RolloutGroup[], agent?: (a: string) => boolean): DpoRecord[] {
  const out: DpoRecord[] = [];
  for (const g of groups) {
    const byPrompt = new Map<string, { t: Triplet; reward: number }[]>();
    for (const r of g.rollouts) {
      const reward = primaryReward(r)?.value;
      if (reward === undefined) continue;
      for (const t of callsOf(r, agent)) {
        const key = JSON.stringify(t.prompt);
        const list = byPrompt.get(key);
        if (list) list.push({ t, reward });
        else byPrompt.set(key, [{ t, reward }]);
      }
    }
    for (const list of byPrompt.values()) {
      if (list.length < 2) continue;
      list.sort((a, b) => b.reward - a.reward);
      const best = list[0] as { t: Triplet; reward: number };
      const worst = list[list.length - 1] as { t: Triplet; reward: number };
      const chosen = toChat([best.t.response as NonNullable<Triplet['response']>]);
      const rejected = toChat([worst.t.response as NonNullable<Triplet['response']>]);
      // Equal rewards, or answers that differ only in tool-call ids, teach no preference.
      if (best.reward === worst.reward || JSON.stringify(withoutIds(chosen)) === JSON.stringify(withoutIds(rejected))) continue;
      const tools = toChatTools(best.t.tools);
      out.push({
        prompt: toChat(best.t.prompt),
        chosen,
        rejected,
        score_chosen: best.reward,
        score_rejected: worst.reward,
        ...(tools ? { tools } : {}),
      });
    }
  }
  return out;
}

export interface VerlRow {
  data_source: string;
  /** The task's opening prompt, as chat messages (verl rolls it out itself). */
  prompt: { role: string; content: string }[];
  ability: string;
  reward_model: { style: string; ground_truth: string };
  extra_info: { index: number; split: string; group_id: string; rollouts: number; mean_reward: number | null; best_reward: number | null; tools: string };
}

/**
 * verl's RL dataset: one row per task (group), its opening prompt, and as `ground_truth` the text of the
 * best-rewarded answer seen (for rule-based reward functions; a user's own reward function may ignore it).
 */
export function verlRows(groups: readonly RolloutGroup[], o: { dataSource: string; ability: string; split: string }): VerlRow[] {
  const rows: VerlRow[] = [];
  for (const g of groups) {
    const first = g.rollouts.map((r) => callsOf(r)[0]).find((t) => t !== undefined);
    if (!first) continue;
    const scored = selectRollouts(g, {});
    const best = scored[0];
    const bestAnswer = best ? callsOf(best.rollout).at(-1)?.response : undefined;
    const mean = scored.length ? scored.reduce((a, b) => a + b.reward, 0) / scored.length : null;
    rows.push({
      data_source: o.dataSource,
      prompt: toChat(first.prompt).map((m) => ({ role: m.role, content: m.content ?? '' })),
      ability: o.ability,
      reward_model: { style: 'rule', ground_truth: bestAnswer ? (toChat([bestAnswer])[0]?.content ?? '') : '' },
      extra_info: {
        index: rows.length,
        split: o.split,
        group_id: g.group_id,
        rollouts: g.rollouts.length,
        mean_reward: mean,
        best_reward: best?.reward ?? null,
        tools: JSON.stringify(toChatTools(first.tools) ?? []),
      },
    });
  }
  return rows;
}
