// Rollout identity, conversation id, resource versions and agent name of a span or log record
// (docs/architecture.md "Conventions for identity and reward").
//
// Rollout/attempt precedence: `tracelight.rollout.id` / `tracelight.attempt.id` on the span (baggage copied by a
// baggage span processor lands here too), then on the resource; then Agent Lightning's
// `agentlightning.rollout_id` / `agentlightning.attempt_id` on the span, then on the resource. The attempt is
// read from the same namespace as the rollout it belongs to, so ids from two systems are never mixed. Empty
// strings count as absent (Agent Lightning resets its resource attributes to '' between rollouts).

import { TL } from '../schemas/genai.js';
import type { TraceIdentity, TraceResource } from '../schemas/genai.js';
import type { SpanRecord } from '../schemas/telemetry.js';
import { str } from './util.js';
import type { Attrs } from './util.js';

export const AGL_ROLLOUT_ID = 'agentlightning.rollout_id';
export const AGL_ATTEMPT_ID = 'agentlightning.attempt_id';

export interface RolloutIdentity {
  rollout_id: string;
  attempt_id: string;
}

const NONE: RolloutIdentity = Object.freeze({ rollout_id: '', attempt_id: '' }) as RolloutIdentity;

function fromNamespace(attrs: Attrs, resource: Attrs, rolloutKey: string, attemptKey: string): RolloutIdentity | null {
  let rollout = str(attrs[rolloutKey]);
  let source: Attrs = attrs;
  if (!rollout) {
    rollout = str(resource[rolloutKey]);
    source = resource;
  }
  if (!rollout) return null;
  const attempt = str(source[attemptKey]) || str(source === attrs ? resource[attemptKey] : attrs[attemptKey]);
  return { rollout_id: rollout, attempt_id: attempt };
}

export function readRolloutIdentity(attrs: Attrs, resource: Attrs): RolloutIdentity {
  return fromNamespace(attrs, resource, TL.rolloutId, TL.attemptId) ?? fromNamespace(attrs, resource, AGL_ROLLOUT_ID, AGL_ATTEMPT_ID) ?? NONE;
}

/** `gen_ai.conversation.id`, else OpenInference's `session.id` (span first, then resource). */
export function readConversationId(attrs: Attrs, resource: Attrs): string {
  return str(attrs['gen_ai.conversation.id']) || str(attrs['session.id']) || str(resource['gen_ai.conversation.id']) || str(resource['session.id']);
}

/** Every `tracelight.resource.<name>.version` (span attributes override resource attributes). */
export function readResourceVersions(attrs: Attrs, resource: Attrs): Record<string, string> {
  const out: Record<string, string> = {};
  collectVersions(resource, out);
  collectVersions(attrs, out);
  return out;
}

function collectVersions(attrs: Attrs, out: Record<string, string>): void {
  const prefix = TL.resourceVersionPrefix;
  const suffix = TL.resourceVersionSuffix;
  for (const key in attrs) {
    if (key.length <= prefix.length + suffix.length || !key.startsWith(prefix) || !key.endsWith(suffix)) continue;
    const name = key.slice(prefix.length, key.length - suffix.length);
    const version = str(attrs[key]);
    if (name && version) out[name] = version;
  }
}

export function serviceName(resource: Attrs): string {
  return str(resource['service.name']);
}

/**
 * The agent name a span declares itself: `gen_ai.agent.name`, else `agent.name` (OpenInference, OpenAI Agents),
 * else the `graph.node.id` of an OpenInference AGENT span (@arizeai/openinference-instrumentation-openai-agents
 * names each agent's span that way and sets no `agent.name`).
 */
export function ownAgentName(attrs: Attrs): string {
  return str(attrs['gen_ai.agent.name']) || str(attrs['agent.name']) || (attrs['openinference.span.kind'] === 'AGENT' ? str(attrs['graph.node.id']) : '');
}

/** Collects one TraceIdentity per (trace, rollout, attempt) in a batch, keeping the earliest time. */
export class IdentityCollector {
  private readonly byKey = new Map<string, TraceIdentity>();

  add(traceId: string, identity: RolloutIdentity, timeUnixNano: bigint): void {
    if (!traceId || !identity.rollout_id) return;
    const key = `${traceId}\u0000${identity.rollout_id}\u0000${identity.attempt_id}`;
    const existing = this.byKey.get(key);
    if (existing) {
      if (timeUnixNano < existing.time_unix_nano) existing.time_unix_nano = timeUnixNano;
      return;
    }
    this.byKey.set(key, {
      trace_id: traceId,
      rollout_id: identity.rollout_id,
      attempt_id: identity.attempt_id,
      time_unix_nano: timeUnixNano,
    });
  }

  list(): TraceIdentity[] {
    return [...this.byKey.values()];
  }
}

/** Collects one TraceResource per (trace, name, version) in a batch, keeping the earliest time. */
export class TraceResourceCollector {
  private readonly byKey = new Map<string, TraceResource>();

  add(traceId: string, versions: Record<string, string>, timeUnixNano: bigint): void {
    if (!traceId) return;
    for (const [name, version] of Object.entries(versions)) {
      const key = `${traceId}\u0000${name}\u0000${version}`;
      const existing = this.byKey.get(key);
      if (existing) {
        if (timeUnixNano < existing.time_unix_nano) existing.time_unix_nano = timeUnixNano;
      } else this.byKey.set(key, { trace_id: traceId, name, version, time_unix_nano: timeUnixNano });
    }
  }

  list(): TraceResource[] {
    return [...this.byKey.values()];
  }
}

/**
 * The agent name for a span: its own `gen_ai.agent.name`, else the nearest ancestor in the same batch that
 * declares one (invoke_agent spans usually wrap the chat spans), else ''. The span index is built lazily, on
 * the first lookup, so batches without LLM calls never pay for it.
 */
export class AgentResolver {
  private index: Map<string, { parent: string; agent: string }> | null = null;

  constructor(private readonly spans: readonly SpanRecord[]) {}

  resolve(span: SpanRecord): string {
    const own = ownAgentName(span.attributes ?? {});
    if (own) return own;
    const index = this.buildIndex();
    let parent = span.parentSpanId;
    for (let depth = 0; parent && depth < 256; depth++) {
      const node = index.get(`${span.traceId}/${parent}`);
      if (!node) return '';
      if (node.agent) return node.agent;
      parent = node.parent;
    }
    return '';
  }

  private buildIndex(): Map<string, { parent: string; agent: string }> {
    if (this.index) return this.index;
    const index = new Map<string, { parent: string; agent: string }>();
    for (const s of this.spans) {
      index.set(`${s.traceId}/${s.spanId}`, { parent: s.parentSpanId, agent: ownAgentName(s.attributes ?? {}) });
    }
    this.index = index;
    return index;
  }
}
