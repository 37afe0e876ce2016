// Seeded, time-bounded fuzzing of everything the network hands the decoders: mutated valid OTLP protobuf
// and JSON requests, and random bytes. A decoder may refuse input only with OtlpDecodeError (which the
// server answers as 400); any other exception would be a 500 or a crash. Failures print the seed.
import { describe, expect, it } from 'vitest';
import { countProtoItems, decodeLogsJson, decodeLogsProto, decodeTracesJson, decodeTracesProto, OtlpDecodeError } from '../../receiver/codec/index.js';
import { normalizeLogs, normalizeSpans } from '../../normalize/index.js';
import { encodeJsonRequest, encodeProtoRequest, makeSpans } from '../support/otlp-payloads.js';
import { prng } from '../../algorithms/apo/search.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const BUDGET_MS = Number(process.env.FUZZ_MS ?? 3000);

const rng = prng;

function mutate(input: Uint8Array, r: () => number): Uint8Array {
  const out = Buffer.from(input);
  const edits = 1 + Math.floor(r() * 8);
  let buf: Buffer = out;
  for (let i = 0; i < edits; i++) {
    const pos = Math.floor(r() * Math.max(1, buf.length));
    switch (Math.floor(r() * 5)) {
      case 0:
        buf[pos] = Math.floor(r() * 256);
        break; // flip a byte
      case 1:
        buf = buf.subarray(0, pos);
        break; // truncate
      case 2:
        buf = Buffer.concat([buf.subarray(0, pos), buf.subarray(pos, pos + Math.floor(r() * 64)), buf.subarray(pos)]);
        break; // duplicate a run
      case 3:
        buf = Buffer.concat([buf.subarray(0, pos), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), buf.subarray(pos)]);
        break; // huge varint
      default:
        buf = Buffer.concat([buf.subarray(0, pos), buf.subarray(pos + 1 + Math.floor(r() * 8))]); // delete
    }
  }
  return buf;
}

function survives(decode: () => unknown, seed: number, what: string): void {
  try {
    decode();
  } catch (err) {
    if (err instanceof OtlpDecodeError) return;
    throw new Error(`${what} threw ${(err as Error).name}: ${(err as Error).message} (FUZZ_SEED=${seed})`);
  }
}

describe('OTLP decoders under fuzzing', () => {
  it('refuse mutated protobuf and JSON only with a decode error, and what they accept normalizes', () => {
    const r = rng(SEED);
    const spans = makeSpans({ count: 5, contentBytes: 64 }).map((s, i) => ({
      ...s,
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': String(i), 'gen_ai.prompt.0.content': 'hi' },
    }));
    const proto = encodeProtoRequest(spans);
    const json = Buffer.from(encodeJsonRequest(spans));
    const deadline = Date.now() + BUDGET_MS;
    let cases = 0;
    while (Date.now() < deadline) {
      const seed = Math.floor(r() * 2 ** 31);
      const m = rng(seed);
      const p = mutate(proto, m);
      countProtoItems(p);
      survives(() => normalizeSpans(decodeTracesProto(p).items), seed, 'decodeTracesProto');
      survives(() => normalizeLogs(decodeLogsProto(p).items), seed, 'decodeLogsProto');
      const j = mutate(json, m);
      survives(() => normalizeSpans(decodeTracesJson(j).items), seed, 'decodeTracesJson');
      survives(() => normalizeLogs(decodeLogsJson(j).items), seed, 'decodeLogsJson');
      const noise = Buffer.from(Array.from({ length: Math.floor(m() * 512) }, () => Math.floor(m() * 256)));
      survives(() => decodeTracesProto(noise), seed, 'decodeTracesProto(noise)');
      survives(() => decodeTracesJson(noise), seed, 'decodeTracesJson(noise)');
      cases++;
    }
    expect(cases).toBeGreaterThan(100);
  }, 30_000);
});
