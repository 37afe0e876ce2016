// Encodes normalized GenAI records as JSONEachRow lines for tracelight's training tables.
import type { LlmCall, LlmContent, NormalizedBatch, Reward, TraceIdentity } from '../schemas/genai.js';
import { jsonLine } from './json-line.js';

export function llmCallRow(c: LlmCall): string {
  return jsonLine({
    trace_id: c.trace_id,
    span_id: c.span_id,
    parent_span_id: c.parent_span_id,
    rollout_id: c.rollout_id,
    attempt_id: c.attempt_id,
    conversation_id: c.conversation_id,
    agent: c.agent,
    service: c.service,
    provider: c.provider,
    operation: c.operation,
    request_model: c.request_model,
    response_model: c.response_model,
    input: JSON.stringify(c.input),
    output: JSON.stringify(c.output),
    finish_reasons: c.finish_reasons,
    input_tokens: c.input_tokens,
    output_tokens: c.output_tokens,
    prompt_token_ids: c.prompt_token_ids,
    response_token_ids: c.response_token_ids,
    response_logprobs: c.response_logprobs,
    resources: c.resources,
    tools: JSON.stringify(c.tools),
    conventions: c.conventions,
    status: c.status,
    error: c.error,
  }, { start_time: c.start_time_unix_nano, end_time: c.end_time_unix_nano });
}

export function llmContentRow(c: LlmContent): string {
  return jsonLine({
    trace_id: c.trace_id,
    span_id: c.span_id,
    seq: c.seq,
    convention: c.convention,
    input: JSON.stringify(c.input),
    output: JSON.stringify(c.output),
  }, { time: c.time_unix_nano });
}

export function rewardRow(r: Reward): string {
  return jsonLine({
    reward_id: r.reward_id,
    rollout_id: r.rollout_id,
    attempt_id: r.attempt_id,
    trace_id: r.trace_id,
    span_id: r.span_id,
    name: r.name,
    value: Number.isFinite(r.value) ? r.value : 0,
    label: r.label,
    explanation: r.explanation,
    source: r.source,
    is_primary: r.primary,
  }, { time: r.time_unix_nano });
}

export function traceIdentityRow(t: TraceIdentity): string {
  return jsonLine({ trace_id: t.trace_id, rollout_id: t.rollout_id, attempt_id: t.attempt_id }, { time: t.time_unix_nano });
}

export function genaiBatches(n: NormalizedBatch): { table: string; lines: string[] }[] {
  return [
    { table: 'llm_calls', lines: n.calls.map(llmCallRow) },
    { table: 'llm_contents', lines: n.contents.map(llmContentRow) },
    { table: 'rewards', lines: n.rewards.map(rewardRow) },
    { table: 'trace_identities', lines: n.identities.map(traceIdentityRow) },
  ];
}
