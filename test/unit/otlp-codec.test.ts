import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import {
  countProtoItems,
  decodeLogsJson,
  decodeLogsProto,
  decodeTracesJson,
  decodeTracesProto,
  decodeTraceResponse,
  encodeTraceResponse,
  OtlpDecodeError,
  partialSuccessOf,
  traceResponseJson,
} from '../../receiver/codec/index.js';
import { attrValueToString } from '../../schemas/telemetry.js';

const root = protobuf.loadSync(fileURLToPath(new URL('../../schemas/otlp/otlp.proto', import.meta.url)));
const TraceRequest = root.lookupType('opentelemetry.proto.ExportTraceServiceRequest');

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';

function protoRequest(spans: Record<string, unknown>[]): Uint8Array {
  return TraceRequest.encode(
    TraceRequest.fromObject({
      resourceSpans: [
        { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeSpans: [{ scope: { name: 'sc', version: '1' }, spans }] },
      ],
    }),
  ).finish();
}

describe('OTLP protobuf decoding', () => {
  it('decodes ids as hex, timestamps as exact nanoseconds and every attribute type', () => {
    const d = decodeTracesProto(
      protoRequest([
        {
          traceId: Buffer.from(TRACE, 'hex'),
          spanId: Buffer.from(SPAN, 'hex'),
          name: 'chat',
          kind: 3,
          startTimeUnixNano: '1700000000123456789',
          endTimeUnixNano: '1700000000999999999',
          attributes: [
            { key: 's', value: { stringValue: 'x' } },
            { key: 'i', value: { intValue: '-42' } },
            { key: 'huge', value: { intValue: '9223372036854775807' } },
            { key: 'd', value: { doubleValue: 1.5 } },
            { key: 'b', value: { boolValue: true } },
            { key: 'bytes', value: { bytesValue: Buffer.from([1, 2, 3]) } },
            { key: 'arr', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 2 }] } } },
            { key: 'kv', value: { kvlistValue: { values: [{ key: 'k', value: { boolValue: false } }] } } },
          ],
          status: { code: 2, message: 'bad' },
        },
      ]),
    );
    expect(d.rejected).toBe(0);
    const s = d.items[0]!;
    expect(s.traceId).toBe(TRACE);
    expect(s.spanId).toBe(SPAN);
    expect(s.parentSpanId).toBe('');
    expect(s.startTimeUnixNano).toBe(1_700_000_000_123_456_789n);
    expect(s.endTimeUnixNano).toBe(1_700_000_000_999_999_999n);
    expect(s.attributes).toEqual({
      s: 'x',
      i: -42,
      huge: 9223372036854775807n,
      d: 1.5,
      b: true,
      bytes: Buffer.from([1, 2, 3]),
      arr: ['a', 2],
      kv: { k: false },
    });
    expect(s.resource).toEqual({ 'service.name': 'svc' });
    expect(s.scope).toEqual({ name: 'sc', version: '1', attributes: {} });
    expect([s.statusCode, s.statusMessage, s.kind]).toEqual([2, 'bad', 3]);
  });

  it('rejects bad items one by one and keeps the rest', () => {
    const good = { traceId: Buffer.from(TRACE, 'hex'), spanId: Buffer.from(SPAN, 'hex'), name: 'ok' };
    const d = decodeTracesProto(
      protoRequest([
        good,
        { ...good, traceId: Buffer.alloc(5, 1) },
        { ...good, spanId: Buffer.alloc(8, 0) },
        { ...good, kind: 9 },
        { ...good, startTimeUnixNano: '18446744073709551615' },
      ]),
    );
    expect(d.items.map((s) => s.name)).toEqual(['ok']);
    expect(d.rejected).toBe(4);
    expect(d.errors.join('\n')).toMatch(/traceId must be 16 bytes, got 5/);
    expect(d.errors.join('\n')).toMatch(/spanId is all zeros/);
    expect(d.errors.join('\n')).toMatch(/kind 9 is not a SpanKind/);
    expect(d.errors.join('\n')).toMatch(/past year 2262/);
    expect(partialSuccessOf(d)?.rejected).toBe(4);
  });

  it('raises a decode error naming the problem for bytes that are not protobuf', () => {
    expect(() => decodeTracesProto(Buffer.from('this is not protobuf at all, just text'))).toThrow(OtlpDecodeError);
    expect(() => decodeTracesProto(protoRequest([{ name: 'x'.repeat(100) }]).slice(0, 20))).toThrow(/malformed protobuf ExportTraceServiceRequest/);
  });

  it('follows protobuf wire semantics: unknown fields and unexpected wire types skipped, last scalar wins, messages merged', () => {
    // Hand-written wire bytes (the OTLP decoder is hand-written too, so it is checked against the spec, not itself).
    const varint = (n: number): Buffer => {
      const out: number[] = [];
      for (let v = n; ; v = Math.floor(v / 128)) {
        if (v < 128) {
          out.push(v);
          return Buffer.from(out);
        }
        out.push((v % 128) | 128);
      }
    };
    const len = (field: number, payload: Buffer): Buffer => Buffer.concat([varint(field * 8 + 2), varint(payload.length), payload]);
    const str = (field: number, v: string): Buffer => len(field, Buffer.from(v));
    const vint = (field: number, v: number): Buffer => Buffer.concat([varint(field * 8), varint(v)]);
    const fixed64 = (field: number, v: bigint): Buffer => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(v);
      return Buffer.concat([varint(field * 8 + 1), b]);
    };
    const kv = (key: string, value: Buffer): Buffer => len(1, Buffer.concat([str(1, key), len(2, value)]));
    const span = Buffer.concat([
      len(1, Buffer.from(TRACE, 'hex')),
      len(2, Buffer.from(SPAN, 'hex')),
      str(5, 'first'),
      vint(99, 7), // unknown field
      vint(5, 3), // Span.name with the wrong wire type: skipped, as protobufjs skips it
      str(5, 'last'), // a scalar seen twice: the last wins
      vint(6, 2),
      fixed64(7, 5n),
      fixed64(8, 6n),
      len(9, Buffer.concat([str(1, 'a'), len(2, str(1, 'x'))])),
      len(9, Buffer.concat([str(1, 'arr'), len(2, Buffer.concat([len(5, len(1, vint(3, 1))), len(5, len(1, vint(3, 2)))]))])), // two array_value fields merge
      len(15, str(2, 'msg')), // status seen twice is merged
      len(15, vint(3, 1)),
      Buffer.concat([varint(16 * 8 + 5), Buffer.from([1, 0, 0, 0])]),
    ]);
    const body = len(1, Buffer.concat([len(1, kv('service.name', str(1, 'svc'))), len(2, len(2, span)), len(1, kv('host', str(1, 'h')))]));
    expect(countProtoItems(body)).toBe(1);
    const d = decodeTracesProto(body);
    expect(d.rejected).toBe(0);
    expect(d.items[0]).toMatchObject({
      name: 'last',
      kind: 2,
      startTimeUnixNano: 5n,
      endTimeUnixNano: 6n,
      flags: 1,
      statusCode: 1,
      statusMessage: 'msg',
      attributes: { a: 'x', arr: [1, 2] },
    });
    // Two Resource fields are merged, as protobufjs merges message fields.
    expect(d.items[0]!.resource).toEqual({ 'service.name': 'svc', host: 'h' });
    // Invalid UTF-8 in any string fails the request; a length past the end, or field number 0, too.
    expect(() =>
      decodeTracesProto(len(1, len(2, len(2, Buffer.concat([len(1, Buffer.from(TRACE, 'hex')), len(5, Buffer.from([0x61, 0xed, 0xa0, 0x80]))]))))),
    ).toThrow(/malformed protobuf .*utf-8/i);
    expect(() => decodeTracesProto(Buffer.concat([varint(10), varint(50), Buffer.alloc(3)]))).toThrow(/index out of range/);
    expect(() => decodeTracesProto(Buffer.from([0x00, 0x01]))).toThrow(/field number 0/);
    expect(countProtoItems(Buffer.concat([varint(10), varint(50)]))).toBe(-1);
  });

  it('decodes log records with every field, and stops reading a value nested past the limit', () => {
    const LogsRequest = root.lookupType('opentelemetry.proto.ExportLogsServiceRequest');
    let deep: Record<string, unknown> = { stringValue: 'leaf' };
    for (let i = 0; i < 40; i++) deep = { arrayValue: { values: [deep] } };
    const body = LogsRequest.encode(
      LogsRequest.fromObject({
        resourceLogs: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
            schemaUrl: 'r-url',
            scopeLogs: [
              {
                scope: { name: 'sc', version: '2', attributes: [{ key: 'a', value: { intValue: 1 } }] },
                schemaUrl: 's-url',
                logRecords: [
                  {
                    timeUnixNano: '12',
                    observedTimeUnixNano: '13',
                    severityNumber: 9,
                    severityText: 'INFO',
                    body: { kvlistValue: { values: [{ key: 'k', value: { doubleValue: 2.5 } }] } },
                    attributes: [{ key: 'x', value: { stringValue: 'y' } }],
                    flags: 1,
                    traceId: Buffer.from(TRACE, 'hex'),
                    spanId: Buffer.from(SPAN, 'hex'),
                    eventName: 'gen_ai.choice',
                  },
                  { body: deep },
                  { severityNumber: 30 },
                ],
              },
            ],
          },
        ],
      }),
    ).finish();
    expect(countProtoItems(body)).toBe(3);
    const d = decodeLogsProto(body);
    expect(d.items).toEqual([
      {
        timeUnixNano: 12n,
        observedTimeUnixNano: 13n,
        traceId: TRACE,
        spanId: SPAN,
        flags: 1,
        severityNumber: 9,
        severityText: 'INFO',
        body: { k: 2.5 },
        attributes: { x: 'y' },
        eventName: 'gen_ai.choice',
        resource: { 'service.name': 'svc' },
        resourceSchemaUrl: 'r-url',
        scope: { name: 'sc', version: '2', attributes: { a: 1 } },
        scopeSchemaUrl: 's-url',
      },
    ]);
    expect(d.rejected).toBe(2);
    expect(d.errors[0]).toMatch(/logRecords\[1\]: attribute value nested deeper than 32 levels/);
    expect(d.errors[1]).toMatch(/logRecords\[2\]: severityNumber 30 is outside 0..24/);
  });

  it('encodes partial success in the response', () => {
    const bytes = encodeTraceResponse({ rejected: 3, errorMessage: 'three bad' });
    const r = decodeTraceResponse(bytes);
    expect(Number(r.partialSuccess?.rejectedSpans)).toBe(3);
    expect(r.partialSuccess?.errorMessage).toBe('three bad');
    expect(encodeTraceResponse().length).toBe(0);
    expect(traceResponseJson({ rejected: 2, errorMessage: 'e' })).toEqual({ partialSuccess: { rejectedSpans: '2', errorMessage: 'e' } });
  });
});

describe('OTLP/JSON decoding', () => {
  const body = (spans: unknown[]): string =>
    JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 's' }, spans }] }] });

  it('follows the OTLP/JSON mapping: hex ids, int64 as strings, enums as numbers, snake_case accepted', () => {
    const d = decodeTracesJson(
      body([
        {
          traceId: TRACE.toUpperCase(),
          spanId: SPAN,
          name: 'a',
          kind: 2,
          startTimeUnixNano: '1700000000000000001',
          endTimeUnixNano: 1700000000,
          attributes: [
            { key: 'n', value: { intValue: '7' } },
            { key: 'f', value: { doubleValue: 'NaN' } },
          ],
        },
        { trace_id: TRACE, span_id: SPAN, name: 'b', kind: 'SPAN_KIND_CLIENT', start_time_unix_nano: '5', status: { code: 'STATUS_CODE_ERROR' } },
      ]),
    );
    expect(d.rejected).toBe(0);
    expect(d.items[0]!.traceId).toBe(TRACE);
    expect(d.items[0]!.startTimeUnixNano).toBe(1_700_000_000_000_000_001n);
    expect(d.items[0]!.attributes.n).toBe(7);
    expect(Number.isNaN(d.items[0]!.attributes.f)).toBe(true);
    expect([d.items[1]!.kind, d.items[1]!.statusCode, d.items[1]!.startTimeUnixNano]).toEqual([3, 2, 5n]);
  });

  it('names the field when ids are base64 instead of hex', () => {
    const d = decodeTracesJson(body([{ traceId: Buffer.from(TRACE, 'hex').toString('base64'), spanId: SPAN }]));
    expect(d.rejected).toBe(1);
    expect(d.errors[0]).toMatch(/resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.traceId must be 32 hex characters/);
  });

  it('rejects over-deep values as an item, not the request', () => {
    let v: unknown = { stringValue: 'leaf' };
    for (let i = 0; i < 100; i++) v = { arrayValue: { values: [v] } };
    const d = decodeTracesJson(
      body([
        { traceId: TRACE, spanId: SPAN, attributes: [{ key: 'deep', value: v }] },
        { traceId: TRACE, spanId: SPAN, name: 'fine' },
      ]),
    );
    expect(d.rejected).toBe(1);
    expect(d.errors[0]).toMatch(/nested deeper than 32 levels/);
    expect(d.items.map((s) => s.name)).toEqual(['fine']);
  });

  it('refuses payloads that are not an OTLP JSON object', () => {
    expect(() => decodeTracesJson('{"resourceSpans": [')).toThrow(/malformed JSON ExportTraceServiceRequest/);
    expect(() => decodeTracesJson('[1,2]')).toThrow(/must be a JSON object/);
    expect(() => decodeTracesJson('{"resourceSpans": 5}')).toThrow(/resourceSpans must be an array/);
  });

  it('decodes log records with bodies of any type', () => {
    const d = decodeLogsJson(
      JSON.stringify({
        resourceLogs: [
          {
            scopeLogs: [
              {
                logRecords: [
                  {
                    timeUnixNano: '10',
                    severityNumber: 9,
                    severityText: 'INFO',
                    body: { kvlistValue: { values: [{ key: 'content', value: { stringValue: 'hi' } }] } },
                    traceId: TRACE,
                    spanId: SPAN,
                    eventName: 'gen_ai.user.message',
                  },
                  { observedTimeUnixNano: '11', body: { stringValue: 'plain' } },
                ],
              },
            ],
          },
        ],
      }),
    );
    expect(d.rejected).toBe(0);
    expect(d.items[0]!.body).toEqual({ content: 'hi' });
    expect(d.items[0]!.eventName).toBe('gen_ai.user.message');
    expect(d.items[1]!.traceId).toBe('');
    expect(attrValueToString(d.items[0]!.body)).toBe('{"content":"hi"}');
  });
});
