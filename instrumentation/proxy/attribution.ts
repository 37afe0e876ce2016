// Which rollout a call belongs to, and which trace it joins. Agents that cannot carry OpenTelemetry context (a
// closed-source binary, a shell script) still can be pointed at a base URL or given headers, so those come first:
// the URL prefix `/rollout/{rolloutId}/attempt/{attemptId}/v1/...`, then `x-tracelight-rollout-id` /
// `x-tracelight-attempt-id`, then W3C baggage (`tracelight.rollout.id` / `tracelight.attempt.id`). Ids come as a
// pair from the first source naming a rollout, so an attempt id from one source never joins a rollout from another.
// The incoming `traceparent` makes the proxy's span a child of the agent's, so the call sits in the agent's trace.
import { propagation, ROOT_CONTEXT, type Context, type TextMapGetter } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { TL } from '../../schemas/genai.js';

export const ROLLOUT_HEADER = 'x-tracelight-rollout-id';
export const ATTEMPT_HEADER = 'x-tracelight-attempt-id';
/** Names the agent (`gen_ai.agent.name`), since every call through one proxy shares the proxy's service name. */
export const AGENT_HEADER = 'x-tracelight-agent';

/** Ids longer than this are cut: a header is the sender's to fill, a span attribute should stay small. */
const MAX_ID_CHARS = 256;

export type IncomingHeaders = Record<string, string | string[] | undefined>;

export interface Attribution {
  rolloutId: string;
  attemptId: string;
  agent: string;
  /** How the rollout id arrived: `url`, `header`, `baggage` or '' (none). */
  source: 'url' | 'header' | 'baggage' | '';
  /** The extracted context: parent span (traceparent) and baggage, for the proxy's span and the upstream call. */
  context: Context;
}

/** One propagator for both W3C formats, built here rather than taken from the global API: the proxy may share its process. */
export const W3C_PROPAGATOR = new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });

const headerGetter: TextMapGetter<IncomingHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key.toLowerCase()],
};

function one(value: string | string[] | undefined): string {
  const v = Array.isArray(value) ? value[0] : value;
  return (v ?? '').trim().slice(0, MAX_ID_CHARS);
}

export function attribute(params: { rolloutId?: string; attemptId?: string }, headers: IncomingHeaders): Attribution {
  const context = W3C_PROPAGATOR.extract(ROOT_CONTEXT, headers, headerGetter);
  const agent = one(headers[AGENT_HEADER]);
  const fromUrl = one(params.rolloutId);
  if (fromUrl) return { rolloutId: fromUrl, attemptId: one(params.attemptId), agent, source: 'url', context };
  const fromHeader = one(headers[ROLLOUT_HEADER]);
  if (fromHeader) return { rolloutId: fromHeader, attemptId: one(headers[ATTEMPT_HEADER]), agent, source: 'header', context };
  const baggage = propagation.getBaggage(context);
  const fromBaggage = one(baggage?.getEntry(TL.rolloutId)?.value);
  if (fromBaggage) return { rolloutId: fromBaggage, attemptId: one(baggage?.getEntry(TL.attemptId)?.value), agent, source: 'baggage', context };
  return { rolloutId: '', attemptId: '', agent, source: '', context };
}
