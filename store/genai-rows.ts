// Encodes normalized GenAI records for tracelight's training tables: llm_calls (one row per LLM call span,
// with the messages: large) as TabSeparated rows (tsv.ts), the small ones as JSONEachRow lines.
import type { LlmCall, LlmContent, NormalizedBatch, Reward, TraceIdentity, TraceResource } from '../schemas/genai.js';
import type { RowFormat } from './driver.js';
import type { TableRows } from './batch-writer.js';
import { jsonLine } from './json-line.js';
import { nullableNumber, numberArray, stringArray, stringMap, tsvNanos, tsvString } from './tsv.js';

export const LLM_CALLS_FORMAT: RowFormat = Object.freeze({
  name: 'TabSeparated',
  columns: Object.freeze([
    'trace_id',
    'span_id',
    'parent_span_id',
    'rollout_id',
    'attempt_id',
    'conversation_id',
    'start_time',
    'end_time',
    'agent',
    'service',
    'provider',
    'operation',
    'request_model',
    'response_model',
    'input',
    'output',
    'finish_reasons',
    'input_tokens',
    'output_tokens',
    'cache_read_input_tokens',
    'cache_creation_input_tokens',
    'reasoning_tokens',
    'cost_usd',
    'prompt_token_ids',
    'response_token_ids',
    'response_logprobs',
    'resources',
    'tools',
    'conventions',
    'status',
    'error',
  ]),
} as const);

/** llm_calls rows, one line each. */
export function encodeLlmCalls(calls: readonly LlmCall[]): string {
  let out = '';
  for (const c of calls) {
    out +=
      `${tsvString(c.trace_id)}\t${tsvString(c.span_id)}\t${tsvString(c.parent_span_id)}\t${tsvString(c.rollout_id)}\t${tsvString(c.attempt_id)}\t` +
      `${tsvString(c.conversation_id)}\t${tsvNanos(c.start_time_unix_nano)}\t${tsvNanos(c.end_time_unix_nano)}\t${tsvString(c.agent)}\t${tsvString(c.service)}\t` +
      `${tsvString(c.provider)}\t${tsvString(c.operation)}\t${tsvString(c.request_model)}\t${tsvString(c.response_model)}\t` +
      `${tsvString(JSON.stringify(c.input))}\t${tsvString(JSON.stringify(c.output))}\t${stringArray(c.finish_reasons)}\t` +
      `${nullableNumber(c.input_tokens)}\t${nullableNumber(c.output_tokens)}\t` +
      `${nullableNumber(c.cache_read_input_tokens ?? null)}\t${nullableNumber(c.cache_creation_input_tokens ?? null)}\t${nullableNumber(c.reasoning_tokens ?? null)}\t${nullableNumber(c.cost_usd ?? null)}\t` +
      `${numberArray(c.prompt_token_ids)}\t${numberArray(c.response_token_ids)}\t` +
      `${numberArray(c.response_logprobs)}\t${stringMap(c.resources)}\t${tsvString(JSON.stringify(c.tools))}\t${stringArray(c.conventions)}\t` +
      `${tsvString(c.status)}\t${tsvString(c.error)}\n`;
  }
  return out;
}

export function llmContentRow(c: LlmContent): string {
  return jsonLine(
    {
      trace_id: c.trace_id,
      span_id: c.span_id,
      seq: c.seq,
      convention: c.convention,
      input: JSON.stringify(c.input),
      output: JSON.stringify(c.output),
    },
    { time: c.time_unix_nano },
  );
}

export function rewardRow(r: Reward): string {
  return jsonLine(
    {
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
    },
    { time: r.time_unix_nano },
  );
}

export function traceIdentityRow(t: TraceIdentity): string {
  return jsonLine({ trace_id: t.trace_id, rollout_id: t.rollout_id, attempt_id: t.attempt_id }, { time: t.time_unix_nano });
}

export function traceResourceRow(t: TraceResource): string {
  return jsonLine({ trace_id: t.trace_id, name: t.name, version: t.version }, { time: t.time_unix_nano });
}

export function genaiBatches(n: NormalizedBatch): TableRows[] {
  return [
    { table: 'llm_calls', format: LLM_CALLS_FORMAT, data: Buffer.from(encodeLlmCalls(n.calls)), rows: n.calls.length },
    { table: 'llm_contents', lines: n.contents.map(llmContentRow) },
    { table: 'rewards', lines: n.rewards.map(rewardRow) },
    { table: 'trace_identities', lines: n.identities.map(traceIdentityRow) },
    { table: 'trace_resources', lines: n.traceResources.map(traceResourceRow) },
  ];
}
