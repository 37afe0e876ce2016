// What the normalize tests (test/unit/normalize/) share, so each convention's file spells out only the spans its
// instrumentation emits: builders for decoded OTLP records (SpanRecord / LogRecordRecord) and the few
// assertions every file makes on a batch.

import { expect } from 'vitest';
import type { LlmCall, Message, NormalizedBatch } from '../../schemas/genai.js';
import type { Attributes, AttrValue, LogRecordRecord, SpanEventRecord, SpanRecord } from '../../schemas/telemetry.js';

export const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
export const T0 = 1_717_000_000_000_000_000n;

export interface SpanInit {
  traceId?: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  start?: bigint;
  end?: bigint;
  attributes?: Attributes;
  events?: Array<{ name: string; time?: bigint; attributes?: Attributes }>;
  statusCode?: number;
  statusMessage?: string;
  resource?: Attributes;
  scope?: string;
}

export function span(init: SpanInit): SpanRecord {
  const start = init.start ?? T0;
  return {
    traceId: init.traceId ?? TRACE,
    spanId: init.spanId,
    parentSpanId: init.parentSpanId ?? '',
    traceState: '',
    flags: 1,
    name: init.name,
    kind: init.kind ?? 3,
    startTimeUnixNano: start,
    endTimeUnixNano: init.end ?? start + 1_500_000_000n,
    attributes: init.attributes ?? {},
    events: (init.events ?? []).map((e): SpanEventRecord => ({ name: e.name, timeUnixNano: e.time ?? start + 1_000_000n, attributes: e.attributes ?? {} })),
    links: [],
    statusCode: init.statusCode ?? 0,
    statusMessage: init.statusMessage ?? '',
    resource: init.resource ?? { 'service.name': 'test-agent' },
    resourceSchemaUrl: '',
    scope: { name: init.scope ?? 'test', version: '1.0.0', attributes: {} },
    scopeSchemaUrl: '',
  };
}

export interface LogInit {
  traceId?: string;
  spanId?: string;
  time?: bigint;
  eventName?: string;
  attributes?: Attributes;
  body?: AttrValue;
  resource?: Attributes;
  scope?: string;
}

export function log(init: LogInit): LogRecordRecord {
  const time = init.time ?? T0 + 10_000_000n;
  return {
    timeUnixNano: time,
    observedTimeUnixNano: time + 1_000n,
    traceId: init.traceId ?? TRACE,
    spanId: init.spanId ?? '',
    flags: 1,
    severityNumber: 9,
    severityText: '',
    body: init.body ?? null,
    attributes: init.attributes ?? {},
    eventName: init.eventName ?? '',
    resource: init.resource ?? { 'service.name': 'test-agent' },
    resourceSchemaUrl: '',
    scope: { name: init.scope ?? 'test', version: '1.0.0', attributes: {} },
    scopeSchemaUrl: '',
  };
}

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
