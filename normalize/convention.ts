// What a GenAI convention tells the normalizer about a span: that it is certainly not an LLM call, that it is
// one, and how to read it. The three answers sit on one object, listed once in conventions.ts, so a new
// convention is its own module plus one entry there, and detection can never drift from reading.

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
  /** True when, by this convention, the span is certainly not an LLM call: then no convention claims it. */
  veto?(span: SpanRecord, attrs: Attrs): boolean;
  /**
   * Fills the draft fields still empty (draft.ts); the conventions before it in the registry had their turn. If it
   * throws on odd input, it loses only its own fields.
   */
  read(span: SpanRecord, attrs: Attrs, draft: CallDraft): void;
}
