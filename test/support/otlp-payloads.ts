// Builds OTLP trace export requests for tests: valid protobuf / JSON requests with N spans of a chosen
// content size (unique ids, so a test can check exactly which spans were stored), and a tiny protobuf
// wire writer for payloads protobufjs refuses to encode (hand-made nesting, wrong field contents).
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

export const OTLP_PROTO_PATH = fileURLToPath(new URL('../../schemas/otlp/otlp.proto', import.meta.url));

const root = protobuf.loadSync(OTLP_PROTO_PATH);
export const TraceRequestType = root.lookupType('opentelemetry.proto.ExportTraceServiceRequest');
export const TraceResponseType = root.lookupType('opentelemetry.proto.ExportTraceServiceResponse');
export const SpanType = root.lookupType('opentelemetry.proto.Span');

/** 1.7e18 ns: 2023-11-14, a plausible span start. */
export const BASE_TIME_NS = 1_700_000_000_000_000_000n;

export function randomTraceId(): string {
  return randomBytes(16).toString('hex');
}

export function randomSpanId(): string {
  return randomBytes(8).toString('hex');
}

export interface SpanSpec {
  traceId?: string;
  spanId?: string;
  name?: string;
  kind?: number;
  startTimeUnixNano?: bigint;
  endTimeUnixNano?: bigint;
  /** Extra string attributes. */
  attributes?: Record<string, string>;
  /** Raw fields merged over the built span object (protobufjs object form, or OTLP/JSON form). */
  raw?: Record<string, unknown>;
}

export interface SpanBatchOptions {
  count: number;
  /** Approximate bytes of attribute content per span (default 2 KiB). */
  contentBytes?: number;
  /** Stored as the span attribute `test.run`, so a test can select its own spans. */
  run?: string;
  serviceName?: string;
}

export interface BuiltRequest {
  body: Buffer;
  spanIds: string[];
}

function filler(bytes: number, seed: string): string {
  const unit = `${seed} lorem ipsum dolor sit amet, consectetur adipiscing elit; `;
  return unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
}

/** Plain-object spans with unique ids and ~contentBytes of attribute content each. */
export function makeSpans(opts: SpanBatchOptions): (SpanSpec & { spanId: string })[] {
  const traceId = randomTraceId();
  const content = opts.contentBytes ?? 2048;
  return Array.from({ length: opts.count }, (_, i) => {
    const spanId = randomSpanId();
    const start = BASE_TIME_NS + BigInt(i) * 1_000_000n;
    return {
      traceId,
      spanId,
      name: `test-span-${i}`,
      kind: 1,
      startTimeUnixNano: start,
      endTimeUnixNano: start + 500_000n,
      attributes: { ...(opts.run ? { 'test.run': opts.run } : {}), 'test.content': filler(content, spanId) },
    };
  });
}

export function protoSpan(s: SpanSpec): Record<string, unknown> {
  return {
    traceId: Buffer.from(s.traceId ?? randomTraceId(), 'hex'),
    spanId: Buffer.from(s.spanId ?? randomSpanId(), 'hex'),
    name: s.name ?? 'span',
    kind: s.kind ?? 1,
    startTimeUnixNano: (s.startTimeUnixNano ?? BASE_TIME_NS).toString(),
    endTimeUnixNano: (s.endTimeUnixNano ?? BASE_TIME_NS + 1000n).toString(),
    attributes: Object.entries(s.attributes ?? {}).map(([key, v]) => ({ key, value: { stringValue: v } })),
    ...s.raw,
  };
}

export function jsonSpan(s: SpanSpec): Record<string, unknown> {
  return {
    traceId: s.traceId ?? randomTraceId(),
    spanId: s.spanId ?? randomSpanId(),
    name: s.name ?? 'span',
    kind: s.kind ?? 1,
    startTimeUnixNano: (s.startTimeUnixNano ?? BASE_TIME_NS).toString(),
    endTimeUnixNano: (s.endTimeUnixNano ?? BASE_TIME_NS + 1000n).toString(),
    attributes: Object.entries(s.attributes ?? {}).map(([key, v]) => ({ key, value: { stringValue: v } })),
    ...s.raw,
  };
}

/** A protobuf ExportTraceServiceRequest holding the given spans. */
export function encodeProtoRequest(spans: SpanSpec[], serviceName = 'tracelight-test'): Buffer {
  const req = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: serviceName } }] },
        scopeSpans: [{ scope: { name: 'tracelight-test' }, spans: spans.map(protoSpan) }],
      },
    ],
  };
  return Buffer.from(TraceRequestType.encode(TraceRequestType.fromObject(req)).finish());
}

/** An OTLP/JSON ExportTraceServiceRequest body. */
export function encodeJsonRequest(spans: SpanSpec[], serviceName = 'tracelight-test'): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: serviceName } }] },
        scopeSpans: [{ scope: { name: 'tracelight-test' }, spans: spans.map(jsonSpan) }],
      },
    ],
  });
}

export function protoSpanRequest(opts: SpanBatchOptions): BuiltRequest {
  const spans = makeSpans(opts);
  return { body: encodeProtoRequest(spans, opts.serviceName), spanIds: spans.map((s) => s.spanId) };
}

export function jsonSpanRequest(opts: SpanBatchOptions): { body: string; spanIds: string[] } {
  const spans = makeSpans(opts);
  return { body: encodeJsonRequest(spans, opts.serviceName), spanIds: spans.map((s) => s.spanId) };
}

// ---------------------------------------------------------------- raw protobuf wire writer

export function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 127) {
    out.push((v & 127) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

/** A length-delimited field (wire type 2). */
export function lenField(field: number, payload: Buffer): Buffer {
  return Buffer.concat([varint((field << 3) | 2), varint(payload.length), payload]);
}

/** How nested attribute values nest: kvlist and array levels in turn, or arrays only. */
export type Nesting = 'kvlist+array' | 'array';

/**
 * The bytes of an AnyValue nested `depth` levels deep (built inside out, without recursion, so any depth
 * is cheap to make).
 */
export function nestedAnyValueBytes(depth: number, nesting: Nesting = 'kvlist+array'): Buffer {
  // AnyValue: string_value = 1, array_value = 5, kvlist_value = 6; ArrayValue / KeyValueList: values = 1;
  // KeyValue: key = 1, value = 2.
  let v = lenField(1, Buffer.from('leaf'));
  for (let i = 0; i < depth; i++) {
    const array = nesting === 'array' || i % 2 === 1;
    v = array ? lenField(5, lenField(1, v)) : lenField(6, lenField(1, Buffer.concat([lenField(1, Buffer.from('k')), lenField(2, v)])));
  }
  return v;
}

/** A nested AnyValue in OTLP/JSON, `depth` levels deep. */
export function nestedAnyValueJson(depth: number, nesting: Nesting = 'kvlist+array'): Record<string, unknown> {
  let v: Record<string, unknown> = { stringValue: 'leaf' };
  for (let i = 0; i < depth; i++) {
    const array = nesting === 'array' || i % 2 === 1;
    v = array ? { arrayValue: { values: [v] } } : { kvlistValue: { values: [{ key: 'k', value: v }] } };
  }
  return v;
}

/** Encoded Span bytes (without the ResourceSpans/ScopeSpans envelope). */
export function encodeSpanBytes(s: SpanSpec): Buffer {
  return Buffer.from(SpanType.encode(SpanType.fromObject(protoSpan(s))).finish());
}

/** Wraps encoded Span messages in ExportTraceServiceRequest { resource_spans { scope_spans { spans } } }. */
export function wrapSpanBytes(spans: Buffer[]): Buffer {
  // ExportTraceServiceRequest.resource_spans = 1, ResourceSpans.scope_spans = 2, ScopeSpans.spans = 2.
  return lenField(1, lenField(2, Buffer.concat(spans.map((s) => lenField(2, s)))));
}

/** A span whose attribute `deep` holds the given AnyValue bytes (Span.attributes = 9). */
export function spanBytesWithAttribute(s: SpanSpec, key: string, anyValue: Buffer): Buffer {
  return Buffer.concat([encodeSpanBytes(s), lenField(9, Buffer.concat([lenField(1, Buffer.from(key)), lenField(2, anyValue)]))]);
}
