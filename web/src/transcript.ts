// A rollout's calls as a transcript, the logic of the CLI's (cli/transcript.ts) for a page instead of a
// terminal: each call shows only the messages it added to the conversation, then its answer, and every reward
// sits beside the call it judges or, when it judges the rollout, after the last call.
import type { Message, RolloutCalls, StoredCall, StoredReward } from './types';

export interface TranscriptStep {
  call: StoredCall;
  index: number;
  /** The messages this call added to its prompt (a multi-turn agent's history is not repeated). */
  fresh: Message[];
  /** How many earlier messages of its prompt were shown with previous calls. */
  repeated: number;
  rewards: StoredReward[];
}

export interface Transcript {
  steps: TranscriptStep[];
  /** Rewards that judge the rollout (or a span that is not one of its calls). */
  rest: StoredReward[];
  primary: StoredReward | null;
}

/**
 * The rollout's primary reward (training/triplets.ts primaryReward): one marked primary, else the latest that
 * judges the rollout as a whole, else the latest.
 */
function primaryReward(r: RolloutCalls): StoredReward | null {
  const latest = (ws: StoredReward[]): StoredReward | null => ws[ws.length - 1] ?? null;
  const marked = r.rewards.filter((w) => w.is_primary);
  if (marked.length) return latest(marked);
  const callSpans = new Set(r.calls.map((c) => c.span_id));
  return latest(r.rewards.filter((w) => !callSpans.has(w.span_id))) ?? latest(r.rewards);
}

export function buildTranscript(r: RolloutCalls): Transcript {
  let seen = 0;
  const steps = r.calls.map((call, index): TranscriptStep => {
    // Conversations grow call by call; a prompt shorter than what was seen starts a new conversation.
    const fresh = call.input.length >= seen ? call.input.slice(seen) : call.input;
    seen = call.input.length + call.output.length;
    return { call, index, fresh, repeated: call.input.length - fresh.length, rewards: r.rewards.filter((w) => w.span_id === call.span_id) };
  });
  const spans = new Set(r.calls.map((c) => c.span_id));
  return { steps, rest: r.rewards.filter((w) => !spans.has(w.span_id)), primary: primaryReward(r) };
}

export function modelOf(c: StoredCall): string {
  return c.response_model || c.request_model;
}

/** The plain text of a message's text parts (what a table cell shows of a prompt or an answer). */
export function textOf(m: Message | null | undefined): string {
  if (!m) return '';
  return m.parts
    .map((p) => {
      if (p.type === 'text' || p.type === 'reasoning') return String((p as { content?: unknown }).content ?? '');
      if (p.type === 'tool_call') return `→ ${String((p as { name?: unknown }).name)}(…)`;
      if (p.type === 'tool_call_response') return '← tool result';
      return `(${p.type})`;
    })
    .join(' ');
}
