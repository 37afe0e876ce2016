// Rollouts built by hand (the shape training/triplets.ts assembles from stored rows), for tests of what is
// computed from them: GRPO batches, credit assignment, exports.
import type { Message } from '../../schemas/genai.js';
import type { StoredReward } from '../../store/training-queries.js';
import type { ResolvedCall, Rollout } from '../../training/triplets.js';

export interface CallSpec {
  prompt?: Message[];
  answer?: string | Message;
  tokens?: { prompt: number[]; response: number[] };
  logprobs?: number[];
  tools?: unknown[];
  agent?: string;
  /** A reward recorded on this call's span. */
  stepReward?: number;
}

const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', content: text }] });

/** A rollout of `calls` LLM calls with the final reward `final` (none when null). */
export function rollout(id: string, final: number | null, calls: CallSpec[] = [{}], task = 'task'): Rollout {
  const built: ResolvedCall[] = calls.map((c, i) => {
    const answer: Message =
      typeof c.answer === 'object'
        ? c.answer
        : { role: 'assistant', parts: [{ type: 'text', content: c.answer ?? `answer ${id}.${i}` }], finish_reason: 'stop' };
    return {
      trace_id: `${id}`.padEnd(32, '0').slice(0, 32),
      span_id: `${id}-${i}`.padEnd(16, '0').slice(0, 16),
      parent_span_id: '',
      rollout_id: id,
      attempt_id: '',
      conversation_id: '',
      start_ns: `${1_000 + i * 100}`,
      end_ns: `${1_050 + i * 100}`,
      agent: c.agent ?? 'solver',
      service: 'svc',
      provider: 'openai',
      operation: 'chat',
      request_model: 'm',
      response_model: 'm',
      input: c.prompt ?? [user(i === 0 ? task : `${task} step ${i}`)],
      output: [answer],
      finish_reasons: ['stop'],
      input_tokens: null,
      output_tokens: null,
      prompt_token_ids: c.tokens?.prompt ?? [],
      response_token_ids: c.tokens?.response ?? [],
      response_logprobs: c.logprobs ?? [],
      resources: {},
      tools: c.tools ?? [],
      status: 'ok',
      error: '',
      rollout: id,
      attempt: '',
    };
  });
  const reward = (rid: string, value: number, span: string, time: number): StoredReward => ({
    reward_id: rid,
    rollout_id: id,
    attempt_id: '',
    trace_id: '',
    span_id: span,
    name: 'score',
    value,
    label: '',
    explanation: '',
    source: 'test',
    is_primary: false,
    time_ns: `${time}`,
  });
  const rewards: StoredReward[] = [];
  calls.forEach((c, i) => {
    if (c.stepReward !== undefined) rewards.push(reward(`${id}-s${i}`, c.stepReward, built[i]!.span_id, 1_060 + i * 100));
  });
  if (final !== null) rewards.push({ ...reward(`${id}-final`, final, '', 9_000), is_primary: true });
  return { rollout_id: id, attempt_ids: [], trace_ids: [built[0]?.trace_id ?? ''], calls: built, rewards };
}

export const ids = (p: number[], r: number[]): { prompt: number[]; response: number[] } => ({ prompt: p, response: r });
