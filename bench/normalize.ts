// bench/normalize: how fast spans become training data.
//  1. Throughput without a store: protobuf decode, normalization of a mixed-convention workload (OTel GenAI,
//     OpenInference, OpenLLMetry, Vercel AI SDK spans in equal parts) and triplet assembly, per span.
//  2. End-to-end freshness: a tracelight server (in this process, embedded store) under a steady open-loop
//     load of GenAI spans; probe spans with their own rollout id are sent meanwhile, and each probe's
//     triplet is polled until visible. Prints p50/p99 from send and from acknowledgement.
// Usage: npm run build && node dist/bench/normalize.js [--rate 10000] [--seconds 10]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeTracesProto } from '../receiver/codec/index.js';
import type { AttrValue, SpanRecord } from '../schemas/telemetry.js';
import type { LlmCall } from '../schemas/genai.js';
import { normalizeSpans } from '../normalize/index.js';
import { assembleTriplets, buildRollouts } from '../training/triplets.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StoredCall } from '../store/training-queries.js';
import { DEFAULT_PAYLOAD_OPTIONS, RequestPool } from './genai-spans.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

interface Msg {
  role: string;
  parts: { type: string; content?: string }[];
}

function text(m: Msg): string {
  return m.parts.map((p) => p.content ?? '').join('');
}

/** Re-expresses an OTel GenAI chat span in another convention's attributes, as that instrumentation would. */
function asConvention(s: SpanRecord, k: number): SpanRecord {
  const a = s.attributes;
  if (k === 0 || typeof a['gen_ai.input.messages'] !== 'string') return s;
  const input = JSON.parse(a['gen_ai.input.messages'] as string) as Msg[];
  const output = JSON.parse(String(a['gen_ai.output.messages'] ?? '[]')) as Msg[];
  const model = String(a['gen_ai.request.model'] ?? 'm');
  const inTok = a['gen_ai.usage.input_tokens'] ?? 0;
  const outTok = a['gen_ai.usage.output_tokens'] ?? 0;
  const attrs: Record<string, AttrValue> = {};
  if (k === 1) {
    attrs['openinference.span.kind'] = 'LLM';
    attrs['llm.model_name'] = model;
    attrs['llm.token_count.prompt'] = inTok;
    attrs['llm.token_count.completion'] = outTok;
    input.forEach((m, i) => {
      attrs[`llm.input_messages.${i}.message.role`] = m.role;
      attrs[`llm.input_messages.${i}.message.content`] = text(m);
    });
    output.forEach((m, i) => {
      attrs[`llm.output_messages.${i}.message.role`] = m.role;
      attrs[`llm.output_messages.${i}.message.content`] = text(m);
    });
  } else if (k === 2) {
    attrs['llm.request.type'] = 'chat';
    attrs['gen_ai.system'] = 'openai';
    attrs['gen_ai.request.model'] = model;
    attrs['gen_ai.usage.prompt_tokens'] = inTok;
    attrs['gen_ai.usage.completion_tokens'] = outTok;
    input.forEach((m, i) => {
      attrs[`gen_ai.prompt.${i}.role`] = m.role;
      attrs[`gen_ai.prompt.${i}.content`] = text(m);
    });
    output.forEach((m, i) => {
      attrs[`gen_ai.completion.${i}.role`] = m.role;
      attrs[`gen_ai.completion.${i}.content`] = text(m);
    });
  } else {
    attrs['ai.operationId'] = 'ai.generateText.doGenerate';
    attrs['ai.model.id'] = model;
    attrs['ai.model.provider'] = 'openai.chat';
    attrs['ai.prompt.messages'] = JSON.stringify(input.map((m) => ({ role: m.role, content: text(m) })));
    attrs['ai.response.text'] = output[0] ? text(output[0]) : '';
    attrs['ai.usage.promptTokens'] = inTok;
    attrs['ai.usage.completionTokens'] = outTok;
  }
  return { ...s, name: k === 3 ? 'ai.generateText.doGenerate' : s.name, attributes: attrs };
}

function stored(c: LlmCall): StoredCall {
  return {
    trace_id: c.trace_id,
    span_id: c.span_id,
    parent_span_id: c.parent_span_id,
    rollout_id: c.rollout_id,
    attempt_id: c.attempt_id,
    conversation_id: c.conversation_id,
    start_ns: c.start_time_unix_nano.toString(),
    end_ns: c.end_time_unix_nano.toString(),
    agent: c.agent,
    service: c.service,
    provider: c.provider,
    operation: c.operation,
    request_model: c.request_model,
    response_model: c.response_model,
    input: c.input,
    output: c.output,
    finish_reasons: c.finish_reasons,
    input_tokens: c.input_tokens,
    output_tokens: c.output_tokens,
    prompt_token_ids: c.prompt_token_ids,
    response_token_ids: c.response_token_ids,
    response_logprobs: c.response_logprobs,
    resources: c.resources,
    tools: c.tools,
    status: c.status,
    error: c.error,
  };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number) : NaN;
}

async function throughput(): Promise<void> {
  const pool = new RequestPool({ ...DEFAULT_PAYLOAD_OPTIONS, poolSize: 32 });
  const bodies = pool.bodies.map((b) => b.body);
  const decoded = bodies.map((b) => decodeTracesProto(b).items);
  // One convention per trace (4 spans a trace), cycling through the four.
  const mixed = decoded.map((spans, r) => spans.map((s, i) => asConvention(s, (r * 25 + Math.floor(i / 4)) % 4)));
  const rounds = 20;
  let spans = 0;
  let t = performance.now();
  for (let r = 0; r < rounds; r++) for (const b of bodies) spans += decodeTracesProto(b).items.length;
  const decodeUs = ((performance.now() - t) * 1000) / spans;
  let calls = 0;
  spans = 0;
  const normalized = [];
  t = performance.now();
  for (let r = 0; r < rounds; r++)
    for (const m of mixed) {
      const n = normalizeSpans(m);
      calls += n.calls.length;
      spans += m.length;
      if (r === 0) normalized.push(n);
    }
  const normalizeUs = ((performance.now() - t) * 1000) / spans;
  const allCalls = normalized.flatMap((n) => n.calls.map(stored));
  const identities = normalized.flatMap((n) => n.identities.map((i) => ({ trace_id: i.trace_id, rollout_id: i.rollout_id, attempt_id: i.attempt_id })));
  let triplets = 0;
  t = performance.now();
  for (let r = 0; r < rounds; r++) for (const ro of buildRollouts(allCalls, [], identities, [])) triplets += assembleTriplets(ro, { policy: 'final' }).length;
  const assembleUs = ((performance.now() - t) * 1000) / (allCalls.length * rounds);
  const perSpan = decodeUs + normalizeUs + assembleUs * (calls / spans);
  console.log(
    `mixed workload: ${mixed.flat().length} spans per round (OTel GenAI, OpenInference, OpenLLMetry, Vercel AI SDK in equal parts), ${((calls / spans) * 100).toFixed(0)}% LLM calls, ~${Math.round(pool.bytesPerSpan)} B/span`,
  );
  console.log(`  decode     ${decodeUs.toFixed(1)} µs/span`);
  console.log(`  normalize  ${normalizeUs.toFixed(1)} µs/span`);
  console.log(`  assemble   ${assembleUs.toFixed(1)} µs/call (${triplets} triplets)`);
  console.log(`  pipeline   ${Math.round(1e6 / perSpan).toLocaleString('en-US')} spans/s on one core (decode → normalize → assemble, no store)`);
}

async function freshness(rate: number, seconds: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tl-bench-normalize-'));
  // The built server in its own process, so the load generator does not share its event loop.
  const child = spawn(process.execPath, [fileURLToPath(new URL('../cli/main.js', import.meta.url)), 'serve', '--port', '0', '--no-grpc', '--data', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const httpUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = /OTLP\/HTTP\s+(http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const server = {
    httpUrl,
    close: () =>
      new Promise<void>((r) => {
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
  const pool = new RequestPool({ ...DEFAULT_PAYLOAD_OPTIONS, poolSize: 32 });
  const perReq = pool.bodies[0]?.spans ?? 100;
  const intervalMs = (1000 * perReq) / rate;
  const fromSend: number[] = [];
  const fromAck: number[] = [];
  let sent = 0;
  let refused = 0;
  const started = performance.now();
  const inflight = new Set<Promise<void>>();
  const send = (body: Buffer, type: string): Promise<Response> =>
    fetch(`${server.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': type }, body });
  const probe = async (n: number): Promise<void> => {
    const rollout = `fresh-${n}`;
    const now = BigInt(Date.now()) * 1_000_000n;
    const span = {
      traceId: (n + 1).toString(16).padStart(32, 'f'),
      spanId: (n + 1).toString(16).padStart(16, 'e'),
      name: 'chat m',
      kind: 3,
      startTimeUnixNano: String(now),
      endTimeUnixNano: String(now + 1000n),
      attributes: [
        { key: 'tracelight.rollout.id', value: { stringValue: rollout } },
        { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
        { key: 'gen_ai.input.messages', value: { stringValue: '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]' } },
        { key: 'gen_ai.output.messages', value: { stringValue: '[{"role":"assistant","parts":[{"type":"text","content":"hello"}]}]' } },
      ],
    };
    const t0 = performance.now();
    const res = await send(Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] })), 'application/json');
    await res.arrayBuffer();
    if (res.status !== 200) return;
    const tAck = performance.now();
    for (;;) {
      const r = await fetch(`${server.httpUrl}/api/v1/triplets?rollout=${rollout}`);
      const body = (await r.json()) as { triplets: unknown[] };
      if (body.triplets.length > 0) break;
      await new Promise((w) => setTimeout(w, 100));
    }
    const done = performance.now();
    fromSend.push(done - t0);
    fromAck.push(done - tAck);
  };
  let probes = 0;
  let nextProbe = started;
  for (let i = 0; performance.now() - started < seconds * 1000; i++) {
    const due = started + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((w) => setTimeout(w, wait));
    const { body } = pool.next();
    const p = send(body, 'application/x-protobuf').then(async (res) => {
      await res.arrayBuffer();
      if (res.status === 200) sent += perReq;
      else refused++;
    });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    if (performance.now() >= nextProbe) {
      const q = probe(probes++);
      inflight.add(q);
      void q.finally(() => inflight.delete(q));
      nextProbe += 1000;
    }
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - started) / 1000;
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(
    `freshness under load: target ${rate.toLocaleString('en-US')} spans/s, achieved ${Math.round(sent / elapsed).toLocaleString('en-US')} spans/s, ${refused} refused requests, ${fromSend.length} probes`,
  );
  console.log(`  span sent → triplet visible   p50 ${pct(fromSend, 50).toFixed(0)} ms   p99 ${pct(fromSend, 99).toFixed(0)} ms`);
  console.log(`  span acked → triplet visible  p50 ${pct(fromAck, 50).toFixed(0)} ms   p99 ${pct(fromAck, 99).toFixed(0)} ms`);
}

console.log(`command: node dist/bench/normalize.js ${process.argv.slice(2).join(' ')}`.trim());
await throughput();
await freshness(flag('rate', 10_000), flag('seconds', 10));
process.exit(0);
