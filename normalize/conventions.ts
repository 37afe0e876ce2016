// The registry: one ordered list of the span conventions, walked by both detection and reading, so a span is
// claimed by exactly the readers that will read it, and the list order is the precedence (readers only fill what
// is still empty, so the first to provide a field wins it). Adding a convention: its module, its entry here, and
// its name in CONVENTION_NAMES (schemas/genai.ts), which types this list, so the two cannot disagree.

import { CONVENTION_NAMES, type Convention, type SpanConvention } from '../schemas/genai.js';
import type { SpanRecord } from '../schemas/telemetry.js';
import { agentLightning } from './agentlightning.js';
import type { ConventionReader } from './convention.js';
import type { CallDraft } from './draft.js';
import { haystack } from './haystack.js';
import { llmProxy } from './llm-proxy.js';
import { logfire } from './logfire.js';
import { openInference } from './openinference.js';
import { openLLMetry } from './openllmetry.js';
import { classifyOperation, type SpanOperation } from './operations.js';
import { otelGenAI, otelGenAILegacy } from './otel-genai.js';
import type { Attrs } from './util.js';
import { vercelAI } from './vercel-ai.js';

/** One reader per name of `Names`, in the same order: a missing, extra or misplaced reader does not compile. */
type ReadersFor<Names extends readonly SpanConvention[]> = { readonly [I in keyof Names]: ConventionReader<Names[I]> };

/** Most precise first. */
export const CONVENTIONS: ReadersFor<typeof CONVENTION_NAMES> = [
  otelGenAI,
  llmProxy,
  vercelAI,
  openInference,
  openLLMetry,
  logfire,
  haystack,
  otelGenAILegacy,
  agentLightning,
];

export interface Detection {
  /** The conventions that claim the span as an LLM call, in precedence order ([] when it is not one). */
  conventions: SpanConvention[];
  /** The operation its markers name (operations.ts), or null when it carries none. */
  operation: SpanOperation | null;
}

/** Whether a span is an LLM call, and by which conventions: the operation tables decide, then the claims. */
export function detectCall(span: SpanRecord): Detection {
  const attrs = span.attributes ?? {};
  const operation = classifyOperation(span, attrs);
  if (operation !== null && operation.kind !== 'inference') return { conventions: [], operation };
  const claims: SpanConvention[] = [];
  for (const c of CONVENTIONS) if (c.claims(span, attrs)) claims.push(c.name);
  if (claims.length === 0) for (const c of CONVENTIONS) if (c.claimsAsFallback?.(span, attrs)) claims.push(c.name);
  return { conventions: claims, operation };
}

/** The conventions that claim a span as an LLM call, in precedence order ([] when it is not one). */
export function detectConventions(span: SpanRecord): SpanConvention[] {
  return detectCall(span).conventions;
}

/** Runs the readers of `conventions` on the draft, in precedence order. */
export function readConventions(span: SpanRecord, attrs: Attrs, conventions: readonly Convention[], d: CallDraft): void {
  for (const c of CONVENTIONS) {
    if (!conventions.includes(c.name)) continue;
    try {
      c.read(span, attrs, d);
    } catch {
      // A reader that trips over odd input loses only its own fields.
    }
  }
}
