// Bad input against the real in-process server (fastify + embedded chDB): every malformed, oversized or
// hostile request gets a clear 4xx (or an OTLP partial success naming the rejected item), the server keeps
// serving, and everything acknowledged before is still stored. At the end the number of stored spans
// must equal exactly the number the server acknowledged as accepted.
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/server.js';
import { decodeRpcStatus, decodeTraceResponse } from '../../receiver/codec/index.js';
import {
  BASE_TIME_NS,
  encodeJsonRequest,
  encodeProtoRequest,
  encodeSpanBytes,
  lenField,
  nestedAnyValueBytes,
  nestedAnyValueJson,
  protoSpanRequest,
  randomSpanId,
  randomTraceId,
  spanBytesWithAttribute,
  wrapSpanBytes,
  type SpanSpec,
} from '../support/otlp-payloads.js';

const MAX_BODY_BYTES = 1024 * 1024;
const GRPC_INVALID_ARGUMENT = 3;
const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

interface Outcome {
  status: number;
  /** The response's own Content-Type. */
  responseType: string;
  /** From a google.rpc.Status body (protobuf) or a {code, message} body (JSON), on errors. */
  code?: number;
  message?: string;
  /** From partial_success, on 2xx. */
  rejected: number;
  errorMessage: string;
  /** Spans the server acknowledged as accepted by this request. */
  accepted: number;
}

let server: RunningServer;
let dataDir: string;
/** Spans acknowledged as accepted so far, over every request of this file. */
let acceptedTotal = 0;

function toNumber(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'object' && v !== null && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v);
}

/**
 * POSTs to /v1/traces and decodes the answer by the request's encoding, checking the body is the kind the
 * OTLP spec asks for. `spans` is how many spans the request carries (for the accepted count).
 */
async function send(
  body: Uint8Array | string,
  opts: { contentType?: string; encoding?: string; spans?: number; headers?: Record<string, string> } = {},
): Promise<Outcome> {
  const contentType = opts.contentType ?? PROTOBUF;
  const headers: Record<string, string> = { 'content-type': contentType, ...opts.headers };
  if (opts.encoding) headers['content-encoding'] = opts.encoding;
  const res = await fetch(`${server.httpUrl}/v1/traces`, { method: 'POST', headers, body });
  const raw = new Uint8Array(await res.arrayBuffer());
  const responseType = res.headers.get('content-type') ?? '';
  const isJson = contentType.startsWith(JSON_TYPE);
  const out: Outcome = { status: res.status, responseType, rejected: 0, errorMessage: '', accepted: 0 };
  if (isJson) expect(responseType, 'a JSON request gets a JSON response').toMatch(/^application\/json/);
  else expect(responseType, 'a protobuf request gets a protobuf response').toMatch(/^application\/x-protobuf/);
  if (res.status >= 200 && res.status < 300) {
    if (isJson) {
      const j = JSON.parse(Buffer.from(raw).toString('utf8')) as { partialSuccess?: { rejectedSpans?: string | number; errorMessage?: string } };
      out.rejected = toNumber(j.partialSuccess?.rejectedSpans);
      out.errorMessage = j.partialSuccess?.errorMessage ?? '';
    } else {
      const r = decodeTraceResponse(raw);
      out.rejected = toNumber(r.partialSuccess?.rejectedSpans);
      out.errorMessage = r.partialSuccess?.errorMessage ?? '';
    }
    out.accepted = (opts.spans ?? 0) - out.rejected;
    acceptedTotal += out.accepted;
  } else if (isJson) {
    const j = JSON.parse(Buffer.from(raw).toString('utf8')) as { code?: number; message?: string };
    out.code = j.code;
    out.message = j.message;
  } else {
    const st = decodeRpcStatus(raw);
    out.code = st.code;
    out.message = st.message;
  }
  return out;
}

async function storedSpanCount(): Promise<number> {
  const rows = await server.store.driver.query<{ n: string | number }>('SELECT count() AS n FROM otel_traces');
  return Number(rows[0]?.n);
}

/** The server still serves a valid request, and every span acknowledged so far is stored. */
async function expectStillServingAndNothingLost(): Promise<void> {
  const { body, spanIds } = protoSpanRequest({ count: 3, run: 'health' });
  const ok = await send(body, { spans: spanIds.length });
  expect(ok.status).toBe(200);
  expect(ok.rejected).toBe(0);
  expect(await storedSpanCount()).toBe(acceptedTotal);
  const health = await fetch(`${server.httpUrl}/readyz`);
  expect(health.status).toBe(200);
}

function expectClientError(o: Outcome, status: number, messagePattern: RegExp): void {
  expect({ status: o.status, code: o.code }).toEqual({ status, code: GRPC_INVALID_ARGUMENT });
  expect(o.message).toMatch(messagePattern);
}

function expectPartial(o: Outcome, rejected: number, messagePattern: RegExp): void {
  expect(o.status).toBe(200);
  expect(o.rejected).toBe(rejected);
  expect(o.errorMessage).toMatch(messagePattern);
}

/** Deterministic pseudo-random bytes (xorshift32), so the "random" payload is the same on every run. */
function pseudoRandomBytes(n: number, seed = 0x9e3779b9): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** gzip of `total` zero bytes, made in 1 MiB steps so the test never holds the decompressed data. */
async function gzipBomb(total: number): Promise<Buffer> {
  const gz = createGzip({ level: 9 });
  const parts: Buffer[] = [];
  gz.on('data', (c: Buffer) => parts.push(c));
  const ended = once(gz, 'end');
  const chunk = Buffer.alloc(1024 * 1024);
  for (let written = 0; written < total; written += chunk.length) {
    if (!gz.write(chunk)) await once(gz, 'drain');
  }
  gz.end();
  await ended;
  return Buffer.concat(parts);
}

const validSpan = (extra: Partial<SpanSpec> = {}): SpanSpec => ({ traceId: randomTraceId(), spanId: randomSpanId(), name: 'ok', ...extra });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tracelight-bad-input-'));
  server = await startServer({ host: '127.0.0.1', port: 0, grpcPort: 0, store: { dataDir }, maxBodyBytes: MAX_BODY_BYTES });
});

afterAll(async () => {
  await server?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('OTLP/HTTP bad input', () => {
  it('accepts a valid baseline request', async () => {
    const { body, spanIds } = protoSpanRequest({ count: 20, run: 'baseline' });
    const o = await send(body, { spans: spanIds.length });
    expect(o).toMatchObject({ status: 200, rejected: 0, accepted: 20 });
    expect(await storedSpanCount()).toBe(acceptedTotal);
  });

  it('random bytes as protobuf → 400 naming malformed protobuf', async () => {
    const o = await send(pseudoRandomBytes(4096));
    expectClientError(o, 400, /malformed protobuf ExportTraceServiceRequest/);
    await expectStillServingAndNothingLost();
  });

  it('truncated protobuf → 400', async () => {
    const { body } = protoSpanRequest({ count: 5 });
    const o = await send(body.subarray(0, Math.floor(body.length / 2)), { spans: 5 });
    expectClientError(o, 400, /malformed protobuf/);
    await expectStillServingAndNothingLost();
  });

  it('truncated gzip → 400 naming gzip', async () => {
    const { body } = protoSpanRequest({ count: 5 });
    const gz = gzipSync(body);
    const o = await send(gz.subarray(0, Math.floor(gz.length / 2)), { encoding: 'gzip', spans: 5 });
    expectClientError(o, 400, /not valid gzip data/);
    const garbage = await send(Buffer.from('this is not gzip at all'), { encoding: 'gzip' });
    expectClientError(garbage, 400, /not valid gzip data/);
    await expectStillServingAndNothingLost();
  });

  it('a gzip bomb (1 GiB of zeros) → 413, without the server inflating it in memory', async () => {
    const bombSize = 1024 * 1024 * 1024;
    const bomb = await gzipBomb(bombSize);
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 5);
    let o: Outcome;
    try {
      o = await send(bomb, { encoding: 'gzip' });
    } finally {
      clearInterval(sampler);
    }
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    console.log(
      `gzip bomb: ${bomb.length} bytes compressed, ${bombSize} inflated; RSS ${Math.round(rssBefore / 2 ** 20)} MiB before, peak +${Math.round((rssPeak - rssBefore) / 2 ** 20)} MiB`,
    );
    expectClientError(o, 413, /exceeds the limit of 1048576 bytes \(after decompression\)/);
    expect(rssPeak - rssBefore).toBeLessThan(bombSize / 8);
    await expectStillServingAndNothingLost();
  });

  it('Content-Encoding: br → 415 naming the encoding', async () => {
    const { body } = protoSpanRequest({ count: 2 });
    expectClientError(await send(body, { encoding: 'br' }), 415, /unsupported Content-Encoding "br"/);
    const json = await send(encodeJsonRequest([validSpan()]), { contentType: JSON_TYPE, encoding: 'br' });
    expectClientError(json, 415, /unsupported Content-Encoding "br"/);
    await expectStillServingAndNothingLost();
  });

  it('Content-Type text/plain → 415 naming the content type', async () => {
    const res = await fetch(`${server.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(res.status).toBe(415);
    // Neither OTLP encoding was asked for; the server answers in protobuf, the OTLP default.
    expect(res.headers.get('content-type')).toMatch(/^application\/x-protobuf/);
    const st = decodeRpcStatus(new Uint8Array(await res.arrayBuffer()));
    expect(st.code).toBe(GRPC_INVALID_ARGUMENT);
    expect(st.message).toMatch(/unsupported Content-Type "text\/plain"/);
    await expectStillServingAndNothingLost();
  });

  it('a body over maxBodyBytes → 413 naming the limit', async () => {
    const { body, spanIds } = protoSpanRequest({ count: 700, contentBytes: 2048 });
    expect(body.length).toBeGreaterThan(MAX_BODY_BYTES);
    expectClientError(await send(body, { spans: spanIds.length }), 413, /exceeds the limit of 1048576 bytes/);
    await expectStillServingAndNothingLost();
  });

  it('malformed JSON → 400 with a {code, message} JSON body', async () => {
    const o = await send('{"resourceSpans": [{"scopeSpans": [', { contentType: JSON_TYPE });
    expectClientError(o, 400, /malformed JSON ExportTraceServiceRequest/);
    const notObject = await send('[1,2,3]', { contentType: JSON_TYPE });
    expectClientError(notObject, 400, /must be a JSON object/);
    await expectStillServingAndNothingLost();
  });

  it('JSON with base64 ids instead of hex → partial success naming traceId', async () => {
    const bad = validSpan({ raw: { traceId: Buffer.alloc(16, 7).toString('base64'), spanId: Buffer.alloc(8, 7).toString('base64') } });
    const o = await send(encodeJsonRequest([validSpan(), bad, validSpan()]), { contentType: JSON_TYPE, spans: 3 });
    expectPartial(o, 1, /spans\[1\]\.traceId must be 32 hex characters .*not base64/);
    expect(o.accepted).toBe(2);
    await expectStillServingAndNothingLost();
  });

  it('protobuf span id of the wrong length → partial success naming spanId', async () => {
    const o = await send(encodeProtoRequest([validSpan(), validSpan({ spanId: 'aabbccdd' }), validSpan({ raw: { traceId: Buffer.alloc(8, 1) } })]), {
      spans: 3,
    });
    expectPartial(o, 2, /spans\[1\]: spanId must be 8 bytes, got 4.*spans\[2\]: traceId must be 16 bytes, got 8/);
    expect(o.accepted).toBe(1);
    await expectStillServingAndNothingLost();
  });

  it('absurd timestamps (year 3000 overflowing uint64, past 2262) → rejected items naming the field', async () => {
    // OTLP/JSON can spell values no fixed64 holds: year 3000 in ns is 32503680000000000000 > 2^64.
    const json = await send(
      encodeJsonRequest([
        validSpan({ raw: { startTimeUnixNano: '32503680000000000000' } }),
        validSpan({ raw: { endTimeUnixNano: 32503680000000000000 } }),
        validSpan({ raw: { startTimeUnixNano: '9300000000000000000' } }),
        validSpan({ raw: { events: [{ timeUnixNano: '99999999999999999999', name: 'e' }] } }),
        validSpan(),
      ]),
      { contentType: JSON_TYPE, spans: 5 },
    );
    expectPartial(json, 4, /spans\[0\]\.startTimeUnixNano 32503680000000000000 is out of range/);
    expect(json.errorMessage).toMatch(/spans\[1\]\.endTimeUnixNano/);
    expect(json.errorMessage).toMatch(/spans\[2\]\.startTimeUnixNano 9300000000000000000 .*past year 2262/);
    expect(json.errorMessage).toMatch(/spans\[3\]\.events\[0\]\.timeUnixNano/);
    // In protobuf, fixed64 values past 2262 (DateTime64(9) ends at 2262-04-11).
    const pb = await send(
      encodeProtoRequest([
        validSpan({ startTimeUnixNano: 9_300_000_000_000_000_000n }),
        validSpan({ endTimeUnixNano: 18_446_744_073_709_551_615n }),
        validSpan({ raw: { events: [{ timeUnixNano: '10000000000000000000', name: 'e' }] } }),
        validSpan(),
      ]),
      { spans: 4 },
    );
    expectPartial(pb, 3, /spans\[0\]: startTimeUnixNano 9300000000000000000 is past year 2262/);
    expect(pb.errorMessage).toMatch(/spans\[1\]: endTimeUnixNano 18446744073709551615 is past year 2262/);
    expect(pb.errorMessage).toMatch(/spans\[2\]: event timeUnixNano 10000000000000000000 is past year 2262/);
    await expectStillServingAndNothingLost();
  });

  it('timestamps at the epoch and at the end of DateTime64(9) are stored exactly, without failing the batch', async () => {
    const spans = [
      validSpan({ name: 'epoch-0', startTimeUnixNano: 0n, endTimeUnixNano: 0n, raw: { events: [{ timeUnixNano: '0', name: 'e0' }] } }),
      validSpan({ name: 'epoch-12', startTimeUnixNano: 12n, endTimeUnixNano: 13n }),
      validSpan({ name: 'epoch-1e9', startTimeUnixNano: 1_000_000_000n, endTimeUnixNano: 1_000_000_001n }),
      validSpan({ name: 'max-2262', startTimeUnixNano: 9_223_372_036_854_775_807n, endTimeUnixNano: 9_223_372_036_854_775_807n }),
    ];
    const o = await send(encodeProtoRequest(spans, 'edge-times'), { spans: spans.length });
    expect(o).toMatchObject({ status: 200, rejected: 0 });
    const rows = await server.store.driver.query<{ SpanName: string; ns: string | number; ev: (string | number)[] }>(
      "SELECT SpanName, toString(toUnixTimestamp64Nano(Timestamp)) AS ns, arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Events.Timestamp) AS ev FROM otel_traces WHERE ServiceName = 'edge-times' ORDER BY SpanName",
    );
    expect(rows.map((r) => [r.SpanName, String(r.ns)])).toEqual([
      ['epoch-0', '0'],
      ['epoch-12', '12'],
      ['epoch-1e9', '1000000000'],
      ['max-2262', '9223372036854775807'],
    ]);
    expect(rows[0]?.ev.map(String)).toEqual(['0']);
    await expectStillServingAndNothingLost();
  });

  it('one request spanning 150 days (150 daily partitions) is stored', async () => {
    const day = 86_400_000_000_000n;
    const spans = Array.from({ length: 150 }, (_, i) =>
      validSpan({ startTimeUnixNano: BASE_TIME_NS - BigInt(i) * day, endTimeUnixNano: BASE_TIME_NS - BigInt(i) * day + 1000n }),
    );
    const o = await send(encodeProtoRequest(spans, 'many-days'), { spans: spans.length });
    expect(o).toMatchObject({ status: 200, rejected: 0, accepted: 150 });
    await expectStillServingAndNothingLost();
  });

  it('lone UTF-16 surrogates (OTLP/JSON) are stored as U+FFFD without failing the batch; invalid UTF-8 (protobuf) → 400', async () => {
    // JSON.stringify writes lone surrogates as \udXXX escapes, which JSON.parse on the server turns back into them.
    const json = await send(encodeJsonRequest([validSpan({ name: 'lone-surrogate-\ud800', attributes: { 'k\udc00': 'v\ud83d' } })], 'bad-unicode'), {
      contentType: JSON_TYPE,
      spans: 1,
    });
    expect(json).toMatchObject({ status: 200, rejected: 0 });
    const names = await server.store.driver.query<{ SpanName: string; v: string }>(
      "SELECT SpanName, SpanAttributes['k\uFFFD'] AS v FROM otel_traces WHERE ServiceName = 'bad-unicode'",
    );
    expect(names).toEqual([{ SpanName: 'lone-surrogate-\ufffd', v: 'v\ufffd' }]);

    // Proto3 strings must be valid UTF-8 (ED A0 80 is a UTF-8-encoded surrogate); Span.name = 5, and a
    // later occurrence of a scalar field wins.
    const badName = Buffer.concat([encodeSpanBytes(validSpan()), lenField(5, Buffer.from([0x62, 0x61, 0x64, 0xed, 0xa0, 0x80, 0xff]))]);
    const pb = await send(wrapSpanBytes([badName, encodeSpanBytes(validSpan())]), { spans: 2 });
    expectClientError(pb, 400, /malformed protobuf .*utf-8/i);
    await expectStillServingAndNothingLost();
  });

  it('attribute values nested 100 levels deep → rejected item (JSON) / 400 or rejected item (protobuf); shallower spans still accepted', async () => {
    const json = await send(encodeJsonRequest([validSpan({ raw: { attributes: [{ key: 'deep', value: nestedAnyValueJson(100) }] } }), validSpan()]), {
      contentType: JSON_TYPE,
      spans: 2,
    });
    expectPartial(json, 1, /spans\[0\]\.attributes\[0\]\.value.*nested deeper than 32 levels/);
    expect(json.errorMessage.length).toBeLessThan(16 * 1024);

    const jsonArrays = await send(
      encodeJsonRequest([validSpan({ raw: { attributes: [{ key: 'deep', value: nestedAnyValueJson(100, 'array') }] } }), validSpan()]),
      { contentType: JSON_TYPE, spans: 2 },
    );
    expectPartial(jsonArrays, 1, /nested deeper than 32 levels/);

    // Protobuf: 100 kvlist/array levels are ~250 nested messages, past protobufjs' (and protoc's) limit of
    // 100, so the request cannot be parsed at all; either answer names the nesting.
    const pb = await send(wrapSpanBytes([spanBytesWithAttribute(validSpan(), 'deep', nestedAnyValueBytes(100)), encodeSpanBytes(validSpan())]), { spans: 2 });
    if (pb.status === 200) expectPartial(pb, 1, /nested deeper than/);
    else expectClientError(pb, 400, /malformed protobuf .*(depth|nested)/);

    // 40 array levels fit the protobuf parser but not the data model: that one item is rejected.
    const pbArrays = await send(wrapSpanBytes([spanBytesWithAttribute(validSpan(), 'deep', nestedAnyValueBytes(40, 'array')), encodeSpanBytes(validSpan())]), {
      spans: 2,
    });
    expectPartial(pbArrays, 1, /spans\[0\]: attribute value nested deeper than 32 levels/);
    expect(pbArrays.accepted).toBe(1);
    await expectStillServingAndNothingLost();
  });

  it('10,000 levels of nesting → 400 or rejected, never a crash', async () => {
    const deep = nestedAnyValueBytes(10_000);
    expect(deep.length).toBeLessThan(MAX_BODY_BYTES);
    const pb = await send(wrapSpanBytes([spanBytesWithAttribute(validSpan(), 'deep', deep)]), { spans: 1 });
    if (pb.status === 200) expectPartial(pb, 1, /nested/);
    else expectClientError(pb, 400, /malformed protobuf .*(depth|nested)/);

    const pbArrays = await send(wrapSpanBytes([spanBytesWithAttribute(validSpan(), 'deep', nestedAnyValueBytes(10_000, 'array'))]), { spans: 1 });
    if (pbArrays.status === 200) expectPartial(pbArrays, 1, /nested/);
    else expectClientError(pbArrays, 400, /malformed protobuf .*(depth|nested)/);

    // The same in OTLP/JSON (built as text: 10,000 levels is past what JSON.stringify recursion is for).
    let value = '{"stringValue":"leaf"}';
    for (let i = 0; i < 10_000; i++) value = `{"arrayValue":{"values":[${value}]}}`;
    const body = encodeJsonRequest([validSpan({ attributes: { deep: '@@DEEP@@' } })]).replace('{"stringValue":"@@DEEP@@"}', value);
    const json = await send(body, { contentType: JSON_TYPE, spans: 1 });
    if (json.status === 200) expectPartial(json, 1, /nested deeper than 32 levels/);
    else expectClientError(json, 400, /nested|depth/);
    await expectStillServingAndNothingLost();
  });

  it('unknown enum values (kind 99, status code 7) → rejected items', async () => {
    const pb = await send(encodeProtoRequest([validSpan({ kind: 99 }), validSpan({ raw: { status: { code: 7 } } }), validSpan()]), { spans: 3 });
    expectPartial(pb, 2, /spans\[0\]: kind 99 is not a SpanKind.*spans\[1\]: status\.code 7 is not a StatusCode/);
    const json = await send(encodeJsonRequest([validSpan({ kind: 99 }), validSpan({ raw: { kind: 'SPAN_KIND_BOGUS' } }), validSpan()]), {
      contentType: JSON_TYPE,
      spans: 3,
    });
    expectPartial(json, 2, /spans\[0\]\.kind 99 is not one of 6 known values.*spans\[1\]\.kind "SPAN_KIND_BOGUS"/);
    await expectStillServingAndNothingLost();
  });

  it('stores exactly the spans it acknowledged as accepted', async () => {
    const stored = await storedSpanCount();
    console.log(`bad-input: ${acceptedTotal} spans acknowledged as accepted, ${stored} stored`);
    expect(stored).toBe(acceptedTotal);
    expect(acceptedTotal).toBeGreaterThan(0);
  });
});
