// Realistic OTel GenAI traffic for the ingest bench: OTLP ExportTraceServiceRequest protobuf bodies whose
// spans carry prompt and response content in the current OTel GenAI attributes (gen_ai.input.messages /
// gen_ai.output.messages as JSON strings, usage, model, provider). Each trace is one agent root span
// (`invoke_agent`) with LLM children (`chat <model>`). Bodies are encoded once, before any timing, with
// protobufjs from the project's own schemas/otlp/otlp.proto; `RequestPool.next()` then hands out a copy
// with fresh trace ids so that every request stores distinct traces.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Long from 'long';
import protobuf from 'protobufjs';

export interface GenAiPayloadOptions {
  /** Spans per export request. */
  spansPerRequest: number;
  /** Spans per trace: one agent root plus (spansPerTrace - 1) chat spans. */
  spansPerTrace: number;
  /** Approximate bytes of prompt + response content per span. */
  contentBytes: number;
  /** Distinct pre-encoded request bodies. */
  poolSize: number;
  /** PRNG seed, so two runs send the same bytes. */
  seed: number;
}

export const DEFAULT_PAYLOAD_OPTIONS: GenAiPayloadOptions = {
  spansPerRequest: 100,
  spansPerTrace: 4,
  contentBytes: 2048,
  poolSize: 64,
  seed: 42,
};

function protoPath(): string {
  // dist/bench/ -> dist/schemas/otlp (copied by `npm run build`); bench/ under tsx -> schemas/otlp.
  for (const rel of ['../schemas/otlp/otlp.proto', '../../schemas/otlp/otlp.proto']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error('cannot find schemas/otlp/otlp.proto (run `npm run build` first)');
}

protobuf.util.Long = Long;
protobuf.configure();
const TraceRequest = protobuf.loadSync(protoPath()).lookupType('opentelemetry.proto.ExportTraceServiceRequest');

/** mulberry32: small, fast, seeded. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the customer order refund shipping account invoice policy product warranty return delivery address payment card ' +
  'subscription plan upgrade downgrade cancel status tracking number support ticket agent escalate priority request ' +
  'please could you check whether my package arrived yesterday today tomorrow week month year because since although ' +
  'database query latency error timeout retry service deployment cluster region memory cpu disk network configuration ' +
  'summarize explain compare recommend analyze draft translate classify extract answer question context document ' +
  'section paragraph table figure result value total average median percent increase decrease trend forecast risk ' +
  'we they it this that these those with without about into from over under between during before after while ' +
  'is are was were be been has have had will would should can may might must do does did not only also very more'
).split(' ');

const PROVIDERS: { provider: string; models: string[]; server: string }[] = [
  { provider: 'openai', models: ['gpt-4o-mini', 'gpt-4.1', 'o4-mini'], server: 'api.openai.com' },
  { provider: 'anthropic', models: ['claude-sonnet-4-5', 'claude-haiku-4-5'], server: 'api.anthropic.com' },
  { provider: 'aws.bedrock', models: ['anthropic.claude-3-5-sonnet-20240620-v1:0'], server: 'bedrock-runtime.us-east-1.amazonaws.com' },
];
const AGENTS = ['support-agent', 'research-agent', 'sql-agent', 'triage-agent'];

class Gen {
  constructor(readonly rand: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rand() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rand() * xs.length)] as T;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(this.rand() * 256);
    b[0] = (b[0] as number) | 1; // never all zeros
    return b;
  }
  hex(n: number): string {
    return Buffer.from(this.bytes(n)).toString('hex');
  }
  /** Prose of about `len` characters. */
  text(len: number): string {
    const out: string[] = [];
    let n = 0;
    let sentence = 0;
    while (n < len) {
      let w = this.pick(WORDS);
      if (sentence === 0) w = w[0]!.toUpperCase() + w.slice(1);
      sentence++;
      if (sentence > this.int(6, 16)) {
        w += '.';
        sentence = 0;
      }
      out.push(w);
      n += w.length + 1;
    }
    return out.join(' ');
  }
}

type Attr = { key: string; value: Record<string, unknown> };
const str = (key: string, v: string): Attr => ({ key, value: { stringValue: v } });
const int = (key: string, v: number): Attr => ({ key, value: { intValue: Long.fromNumber(v) } });
const dbl = (key: string, v: number): Attr => ({ key, value: { doubleValue: v } });
const strs = (key: string, v: string[]): Attr => ({ key, value: { arrayValue: { values: v.map((s) => ({ stringValue: s })) } } });

const textMsg = (role: string, content: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  role,
  parts: [{ type: 'text', content }],
  ...extra,
});

/** One trace: agent root + chat children, all sharing the trace id. Content split ~70% prompt / 30% response. */
function traceSpans(g: Gen, o: GenAiPayloadOptions, nSpans: number, baseNs: bigint, traceId: Uint8Array): Record<string, unknown>[] {
  const agent = g.pick(AGENTS);
  const conversation = g.hex(16);
  const rootId = g.bytes(8);
  const p = g.pick(PROVIDERS);
  const model = g.pick(p.models);
  const inputLen = Math.round(o.contentBytes * 0.7);
  const outputLen = o.contentBytes - inputLen;
  const question = g.text(Math.min(300, Math.round(inputLen * 0.2)));
  const spans: Record<string, unknown>[] = [];
  let t = baseNs + BigInt(g.int(0, 1_000_000_000));
  const rootStart = t;
  let inTotal = 0;
  let outTotal = 0;
  for (let i = 1; i < nSpans; i++) {
    t += BigInt(g.int(1, 20) * 1_000_000);
    const dur = BigInt(g.int(300, 4000) * 1_000_000);
    const system = 'You are a helpful ' + agent.replace('-', ' ') + '. ' + g.text(Math.min(150, Math.round(inputLen * 0.1)));
    const input = [
      textMsg('system', system),
      textMsg('user', question),
      ...(i > 1 ? [textMsg('assistant', g.text(Math.max(0, Math.round(inputLen * 0.25))))] : []),
    ];
    const used = JSON.stringify(input).length;
    if (used < inputLen) input.push(textMsg('tool', g.text(inputLen - used - 40)));
    const output = [textMsg('assistant', g.text(Math.max(10, outputLen - 80)), { finish_reason: 'stop' })];
    const inputTokens = Math.round(JSON.stringify(input).length / 4);
    const outputTokens = Math.round(JSON.stringify(output).length / 4);
    inTotal += inputTokens;
    outTotal += outputTokens;
    spans.push({
      traceId,
      spanId: g.bytes(8),
      parentSpanId: rootId,
      name: `chat ${model}`,
      kind: 3, // CLIENT
      startTimeUnixNano: Long.fromString(t.toString(), true),
      endTimeUnixNano: Long.fromString((t + dur).toString(), true),
      attributes: [
        str('gen_ai.operation.name', 'chat'),
        str('gen_ai.provider.name', p.provider),
        str('gen_ai.request.model', model),
        str('gen_ai.response.model', model),
        str('gen_ai.response.id', `chatcmpl-${g.hex(12)}`),
        dbl('gen_ai.request.temperature', 0.2),
        int('gen_ai.request.max_tokens', 1024),
        strs('gen_ai.response.finish_reasons', ['stop']),
        int('gen_ai.usage.input_tokens', inputTokens),
        int('gen_ai.usage.output_tokens', outputTokens),
        str('gen_ai.conversation.id', conversation),
        str('server.address', p.server),
        int('server.port', 443),
        str('gen_ai.input.messages', JSON.stringify(input)),
        str('gen_ai.output.messages', JSON.stringify(output)),
      ],
      status: { code: 0, message: '' },
    });
    t += dur;
  }
  const answer = g.text(Math.max(10, o.contentBytes - question.length - 120));
  spans.unshift({
    traceId,
    spanId: rootId,
    name: `invoke_agent ${agent}`,
    kind: 1, // INTERNAL
    startTimeUnixNano: Long.fromString(rootStart.toString(), true),
    endTimeUnixNano: Long.fromString((t + 5_000_000n).toString(), true),
    attributes: [
      str('gen_ai.operation.name', 'invoke_agent'),
      str('gen_ai.provider.name', p.provider),
      str('gen_ai.agent.name', agent),
      str('gen_ai.agent.id', `agent_${agent}`),
      str('gen_ai.request.model', model),
      str('gen_ai.conversation.id', conversation),
      int('gen_ai.usage.input_tokens', inTotal),
      int('gen_ai.usage.output_tokens', outTotal),
      str('gen_ai.input.messages', JSON.stringify([textMsg('user', question)])),
      str('gen_ai.output.messages', JSON.stringify([textMsg('assistant', answer, { finish_reason: 'stop' })])),
    ],
    status: { code: 1, message: '' },
  });
  return spans;
}

export interface PooledBody {
  body: Buffer;
  spans: number;
  /** Byte offsets of every trace id occurrence in `body` (16 bytes each). */
  traceIdOffsets: number[];
}

/** Builds one encoded request: `spansPerRequest` spans from one service (resource) and one scope. */
function buildBody(g: Gen, o: GenAiPayloadOptions, index: number): PooledBody {
  const baseNs = BigInt(Date.now()) * 1_000_000n - 60_000_000_000n;
  const spans: Record<string, unknown>[] = [];
  const traceIds: Uint8Array[] = [];
  while (spans.length < o.spansPerRequest) {
    const n = Math.min(o.spansPerTrace, o.spansPerRequest - spans.length);
    const traceId = g.bytes(16);
    traceIds.push(traceId);
    spans.push(...traceSpans(g, o, Math.max(1, n), baseNs, traceId));
  }
  const service = AGENTS[index % AGENTS.length] as string;
  const msg = {
    resourceSpans: [
      {
        resource: {
          attributes: [
            str('service.name', service),
            str('service.version', '1.4.2'),
            str('service.instance.id', g.hex(8)),
            str('deployment.environment.name', 'production'),
            str('telemetry.sdk.name', 'opentelemetry'),
            str('telemetry.sdk.language', 'nodejs'),
            str('telemetry.sdk.version', '2.0.1'),
            str('host.name', `worker-${index % 16}`),
          ],
        },
        scopeSpans: [{ scope: { name: '@opentelemetry/instrumentation-openai', version: '0.3.0' }, spans, schemaUrl: '' }],
        schemaUrl: 'https://opentelemetry.io/schemas/1.37.0',
      },
    ],
  };
  const err = TraceRequest.verify(msg);
  if (err) throw new Error(`bench payload does not match otlp.proto: ${err}`);
  const body = Buffer.from(TraceRequest.encode(TraceRequest.fromObject(msg)).finish());
  const traceIdOffsets: number[] = [];
  for (const id of traceIds) {
    for (let at = body.indexOf(id); at >= 0; at = body.indexOf(id, at + 16)) traceIdOffsets.push(at);
  }
  return { body, spans: spans.length, traceIdOffsets };
}

export class RequestPool {
  readonly bodies: PooledBody[];
  private seq = 0;

  constructor(readonly options: GenAiPayloadOptions) {
    const g = new Gen(prng(options.seed));
    this.bodies = Array.from({ length: options.poolSize }, (_, i) => buildBody(g, options, i));
  }

  get totalBytes(): number {
    return this.bodies.reduce((n, b) => n + b.body.length, 0);
  }

  get avgBodyBytes(): number {
    return this.totalBytes / this.bodies.length;
  }

  get bytesPerSpan(): number {
    return this.totalBytes / this.bodies.reduce((n, b) => n + b.spans, 0);
  }

  /** A copy of the next pooled body with its trace ids' first 4 bytes replaced by a request sequence number. */
  next(): { body: Buffer; spans: number } {
    const seq = ++this.seq;
    const src = this.bodies[seq % this.bodies.length] as PooledBody;
    const body = Buffer.from(src.body);
    for (const at of src.traceIdOffsets) body.writeUInt32BE(seq >>> 0, at);
    return { body, spans: src.spans };
  }

  /** Decodes a body back to a plain object (for sanity checks). */
  static decode(body: Uint8Array): Record<string, unknown> {
    return TraceRequest.toObject(TraceRequest.decode(body), { longs: String, bytes: String }) as Record<string, unknown>;
  }
}
