// What the normalize tests (test/unit/normalize/) share, so each convention's file spells out only the spans its
// instrumentation emits: the OTLP record builders (kept with the fixtures, re-exported here) and the few
// assertions every file makes on a batch.

import { expect } from 'vitest';
import type { LlmCall, Message, NormalizedBatch } from '../../schemas/genai.js';

export { T0, TRACE, log, span } from '../fixtures/normalize/builders.js';

export function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

export function callFor(batch: NormalizedBatch, spanId: string): LlmCall {
  const c = batch.calls.find((x) => x.span_id === spanId);
  if (!c) throw new Error(`no call for span ${spanId}; calls: ${batch.calls.map((x) => x.span_id).join(',')}`);
  return c;
}

export const text = (role: string, content: string): Message => ({ role, parts: [{ type: 'text', content }] });
