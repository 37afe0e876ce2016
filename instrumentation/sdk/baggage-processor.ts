// Copies baggage entries onto every span as it starts. withRollout() puts the rollout identity in baggage, so
// every span started inside it (an LLM call made by an instrumentation three awaits and a setTimeout later)
// carries `tracelight.rollout.id` / `tracelight.attempt.id` itself, and the server can group calls into the
// rollout even when spans of one trace arrive in different batches.
import { propagation, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

export type BaggageKeyPredicate = (key: string) => boolean;

/** By default only tracelight's own keys travel onto spans (baggage may hold things a user never meant to export). */
export const TRACELIGHT_BAGGAGE_KEYS: BaggageKeyPredicate = (key) => key.startsWith('tracelight.');

export class BaggageSpanProcessor implements SpanProcessor {
  constructor(private readonly keep: BaggageKeyPredicate = TRACELIGHT_BAGGAGE_KEYS) {}

  onStart(span: Span, parentContext: Context): void {
    const baggage = propagation.getBaggage(parentContext);
    if (!baggage) return;
    for (const [key, entry] of baggage.getAllEntries()) {
      // A span's own attribute (set at start) wins over inherited baggage.
      if (this.keep(key) && span.attributes[key] === undefined) span.setAttribute(key, entry.value);
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
