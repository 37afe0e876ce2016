// What kind of operation a span is, by the convention that names it: the one place that decides whether a span
// may be an LLM call at all. Agent frameworks wrap each model request in agent, step, event-loop, chain and tool
// spans that carry the same gen_ai.* keys (a model name, summed usage, even the conversation), so a convention
// claiming a span by its content keys alone would turn each wrapper into another, often empty, "LLM call". The
// tables below are data: one per convention marker, most authoritative first. A span whose marker names an
// operation none of them knows is never a call: its name is counted (tracelight_unknown_operations_total), so a
// new framework's gap shows on /metrics instead of in the training data.

import type { SpanRecord } from '../schemas/telemetry.js';
import type { Attrs } from './util.js';

export type OperationKind = 'inference' | 'agent' | 'step' | 'tool' | 'chain' | 'embedding' | 'retrieval' | 'unknown';

/** Where a span's operation was read from. */
export type OperationSource = 'span name' | 'gen_ai.operation.name' | 'openinference.span.kind' | 'llm.request.type' | 'traceloop.span.kind' | 'ai.operationId';

export interface SpanOperation {
  kind: OperationKind;
  source: OperationSource;
  /** The operation as the span names it (the marker's value). */
  operation: string;
}

/**
 * OTel GenAI `gen_ai.operation.name`: the semconv values (current and deprecated), then names agent frameworks
 * put there for their own spans.
 */
export const OTEL_GENAI_OPERATIONS: Readonly<Record<string, OperationKind>> = {
  chat: 'inference',
  text_completion: 'inference',
  generate_content: 'inference',
  completion: 'inference',
  responses: 'inference',
  invoke_agent: 'agent',
  create_agent: 'agent',
  invoke_workflow: 'chain',
  execute_tool: 'tool',
  plan: 'step',
  embeddings: 'embedding',
  embedding: 'embedding',
  retrieval: 'retrieval',
  rerank: 'retrieval',
  create_memory: 'retrieval',
  create_memory_store: 'retrieval',
  delete_memory: 'retrieval',
  delete_memory_store: 'retrieval',
  search_memory: 'retrieval',
  update_memory: 'retrieval',
  upsert_memory: 'retrieval',
  // strands-agents: one span per turn of its event loop, around the model call and the tools it asked for.
  execute_event_loop_cycle: 'step',
  // AG2: the whole chat between its agents.
  conversation: 'chain',
  // OpenLLMetry's LangGraph spans.
  execute_task: 'step',
};

/** OpenInference `openinference.span.kind`. */
export const OPENINFERENCE_KINDS: Readonly<Record<string, OperationKind>> = {
  LLM: 'inference',
  AGENT: 'agent',
  CHAIN: 'chain',
  TOOL: 'tool',
  EMBEDDING: 'embedding',
  RETRIEVER: 'retrieval',
  RERANKER: 'retrieval',
  GUARDRAIL: 'step',
  EVALUATOR: 'step',
  PROMPT: 'step',
  UNKNOWN: 'unknown',
};

/** OpenLLMetry's `llm.request.type` (AgentOps and Agent Lightning's tracer write `gen_ai.request.type`). */
export const LLM_REQUEST_TYPES: Readonly<Record<string, OperationKind>> = {
  chat: 'inference',
  completion: 'inference',
  embedding: 'embedding',
  embeddings: 'embedding',
  rerank: 'retrieval',
  unknown: 'unknown',
};

/** OpenLLMetry's `traceloop.span.kind`: the spans its decorators and framework instrumentations write. */
export const TRACELOOP_SPAN_KINDS: Readonly<Record<string, OperationKind>> = {
  workflow: 'chain',
  task: 'step',
  agent: 'agent',
  tool: 'tool',
  unknown: 'unknown',
};

/** Vercel AI SDK `ai.operationId` (the span name before v7): provider requests are the calls; wrappers repeat them. */
export const VERCEL_AI_OPERATIONS: Readonly<Record<string, OperationKind>> = {
  'ai.generateText.doGenerate': 'inference',
  'ai.streamText.doStream': 'inference',
  'ai.generateObject.doGenerate': 'inference',
  'ai.streamObject.doStream': 'inference',
  'ai.generateText': 'chain',
  'ai.streamText': 'chain',
  'ai.generateObject': 'chain',
  'ai.streamObject': 'chain',
  'ai.toolCall': 'tool',
  'ai.embed': 'embedding',
  'ai.embedMany': 'embedding',
  'ai.embed.doEmbed': 'embedding',
  'ai.embedMany.doEmbed': 'embedding',
  // Media generation is not a chat exchange a triplet can hold.
  'ai.generateImage': 'chain',
  'ai.generateImage.doGenerate': 'step',
  'ai.generateSpeech': 'chain',
  'ai.generateSpeech.doGenerate': 'step',
  'ai.transcribe': 'chain',
  'ai.transcribe.doGenerate': 'step',
};

/**
 * Framework methods that an instrumentation marks as a model call though they only prepare one: matched on the
 * span name, before any marker.
 */
export const SPAN_NAME_PATTERNS: ReadonlyArray<{ pattern: RegExp; kind: OperationKind; framework: string }> = [
  // LlamaIndex's function-calling LLMs build the tool request in a method OpenInference traces as an LLM span.
  { pattern: /\._prepare_chat_with_tools$/, kind: 'step', framework: 'llama-index' },
];

function lookup(table: Readonly<Record<string, OperationKind>>, key: string): OperationKind {
  return Object.prototype.hasOwnProperty.call(table, key) ? (table[key] as OperationKind) : 'unknown';
}

/** The Vercel AI SDK's operation id: the attribute, else a span name in its `ai.` namespace. */
export function vercelOperation(span: SpanRecord, attrs: Attrs): string {
  const op = attrs['ai.operationId'];
  if (typeof op === 'string' && op !== '') return op;
  return span.name.startsWith('ai.') ? span.name : '';
}

/**
 * The span's operation by the most authoritative marker it carries, or null when it carries none (then the
 * conventions' content keys alone decide, as for the deprecated `gen_ai.system` + model spans).
 *
 * Order: an OTel GenAI operation name is the newest and most precise statement; OpenInference's span kind and
 * OpenLLMetry's request type are each instrumentation's own; the Vercel AI SDK's operation id comes last because
 * its releases that adopt the OTel GenAI attributes state both, and the OTel one is the call's. A marker's
 * unknown value still decides (the span is no call) unless a later marker knows the span as an inference, since
 * frameworks write their own names into `gen_ai.operation.name` beside a standard instrumentation's kind.
 */
export function classifyOperation(span: SpanRecord, attrs: Attrs): SpanOperation | null {
  for (const p of SPAN_NAME_PATTERNS) if (p.pattern.test(span.name)) return { kind: p.kind, source: 'span name', operation: span.name };
  const found: SpanOperation[] = [];
  const otel = attrs['gen_ai.operation.name'];
  if (typeof otel === 'string' && otel !== '') found.push({ kind: lookup(OTEL_GENAI_OPERATIONS, otel), source: 'gen_ai.operation.name', operation: otel });
  const oi = attrs['openinference.span.kind'];
  if (typeof oi === 'string' && oi !== '')
    found.push({ kind: lookup(OPENINFERENCE_KINDS, oi.toUpperCase()), source: 'openinference.span.kind', operation: oi });
  const reqType = attrs['llm.request.type'] ?? attrs['gen_ai.request.type'];
  if (typeof reqType === 'string' && reqType !== '') found.push({ kind: lookup(LLM_REQUEST_TYPES, reqType), source: 'llm.request.type', operation: reqType });
  const tlKind = attrs['traceloop.span.kind'];
  if (typeof tlKind === 'string' && tlKind !== '') found.push({ kind: lookup(TRACELOOP_SPAN_KINDS, tlKind), source: 'traceloop.span.kind', operation: tlKind });
  const vercel = vercelOperation(span, attrs);
  if (vercel) found.push({ kind: lookup(VERCEL_AI_OPERATIONS, vercel), source: 'ai.operationId', operation: vercel });
  if (found.length === 0) return null;
  const first = found[0] as SpanOperation;
  if (first.kind === 'unknown') return found.find((f) => f.kind === 'inference') ?? first;
  return first;
}
