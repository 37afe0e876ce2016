// What a GenAI convention tells the normalizer about a span: that it is one of its LLM calls, and how to read
// it. Both answers sit on one object, listed once in conventions.ts, so a new convention is its own module plus
// one entry there, and detection can never drift from reading. Whether a span may be a call at all (an agent,
// step, tool or chain span is not) is decided before, by the operation tables of operations.ts.

import type { SpanConvention } from '../schemas/genai.js';
import type { SpanRecord } from '../schemas/telemetry.js';
import type { CallDraft } from './draft.js';
import type { Attrs } from './util.js';

export interface ConventionReader<Name extends SpanConvention = SpanConvention> {
  readonly name: Name;
  /** Whether the span carries this convention's markers. Runs on every span: key lookups and event names only. */
  claims(span: SpanRecord, attrs: Attrs): boolean;
  /** A weaker claim, made only when no convention claims the span (markers that newer conventions share). */
  claimsAsFallback?(span: SpanRecord, attrs: Attrs): boolean;
  /**
   * Fills the draft fields still empty (draft.ts); the conventions before it in the registry had their turn. If it
   * throws on odd input, it loses only its own fields.
   */
  read(span: SpanRecord, attrs: Attrs, draft: CallDraft): void;
}
