// One call through the proxy, from the agent's request to its span: attribute, route, ask for token ids, forward,
// answer the agent, record. The agent's answer always comes first: whatever the span cannot record costs the span.
//
// Streams: the upstream's bytes go to the agent as they arrive, unchanged (never parsed and re-serialized), while
// SseAccumulator reads a copy. Stripping fields from a stream would mean rewriting every chunk, and a proxy that
// rewrites a stream can corrupt it in ways nobody notices until an agent misparses; so for streams the proxy adds
// nothing the agent would need taken out again, except `return_token_ids` (streamTokenIds, default on), whose
// `prompt_token_ids` / `token_ids` chunk fields OpenAI-compatible clients ignore as unknown fields. Logprobs are not
// asked for on streams (they would change `logprobs: null` into objects). Turn streamTokenIds off for streams
// byte-identical to a direct call; the span then has no ids for them.
import { SpanKind, SpanStatusCode, defaultTextMapSetter, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { attribute, W3C_PROPAGATOR, type IncomingHeaders } from './attribution.js';
import { isRecord, readAnswer } from './completion.js';
import { ProxyError } from './errors.js';
import { requestAttributes, responseAttributes, startAttributes } from './genai-span.js';
import type { RouteFn, RouteTarget } from './options.js';
import { SseAccumulator } from './sse.js';
import { apply, NOTHING_ADDED, plan, rejectsExtension, strip, type Added, type Operation } from './token-ids.js';
import { Deadline, fetchFailure, joinUrl, readBounded, responseHeaders, send, upstreamHeaders } from './upstream.js';

export interface CallSettings {
  upstream?: string;
  route?: RouteFn;
  captureTokenIds: boolean;
  streamTokenIds: boolean;
  provider: string;
  maxResponseBytes: number;
  upstreamTimeoutMs: number;
  tracer: Tracer;
  /** Upstreams that refused the token-id extension: asked without it from then on. */
  rejecting: BoundedSet;
  /** Told what was sent and what came back (whole answers, errors included) before the agent gets it. */
  observe?: (call: ObservedCall) => Promise<void>;
  /** Set on every call's span at its start, beside the call's own. */
  spanAttributes?: Attributes;
}

export interface ObservedCall {
  /** The request as sent upstream. */
  sent: Record<string, unknown>;
  status: number;
  /** The answer parsed as JSON; null when it was not JSON. */
  body: unknown;
  latencyMs: number;
}

type Observe = (status: number, raw: Buffer) => Promise<void>;

function parsedOrNull(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return null;
  }
}

/** A set that forgets everything when full: enough to stop asking a refusing upstream twice per call. */
export class BoundedSet {
  private readonly items = new Set<string>();
  constructor(private readonly max: number) {}
  has(v: string): boolean {
    return this.items.has(v);
  }
  add(v: string): void {
    if (this.items.size >= this.max) this.items.clear();
    this.items.add(v);
  }
}

const PATHS: Record<Operation, string> = { chat: '/chat/completions', text_completion: '/completions' };

type Params = { rolloutId?: string; attemptId?: string };

function parseBody(raw: unknown): { bytes: Buffer; body: Record<string, unknown> } {
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(typeof raw === 'string' ? raw : '');
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ProxyError(400, `the request body is not valid JSON (${(err as Error).message})`, 'invalid_json');
  }
  if (!isRecord(body)) throw new ProxyError(400, 'the request body must be a JSON object', 'invalid_json');
  return { bytes, body };
}

async function resolveTarget(s: CallSettings, requestedModel: string): Promise<RouteTarget> {
  let target: RouteTarget | null = null;
  if (s.route) {
    try {
      target = await s.route(requestedModel);
    } catch (err) {
      throw new ProxyError(502, `cannot route model "${requestedModel}": ${(err as Error).message}`, 'route_failed');
    }
  }
  if (target) return target;
  if (!s.upstream) throw new ProxyError(404, `no upstream serves model "${requestedModel}"`, 'model_not_found');
  return { upstream: s.upstream, model: requestedModel };
}

/** The request as the upstream gets it: the routed model, a resource's defaults under the agent's fields. */
function routedBody(body: Record<string, unknown>, requestedModel: string, target: RouteTarget): { body: Record<string, unknown>; changed: boolean } {
  let out = body;
  let changed = false;
  if (target.model !== requestedModel) {
    out = { ...out, model: target.model };
    changed = true;
  }
  for (const [key, value] of Object.entries(target.params ?? {})) {
    if (out[key] !== undefined) continue;
    if (!changed) out = { ...out };
    out[key] = value;
    changed = true;
  }
  return { body: out, changed };
}

function errorMessage(text: string): string {
  try {
    const parsed: unknown = JSON.parse(text);
    if (isRecord(parsed) && isRecord(parsed.error) && typeof parsed.error.message === 'string') return parsed.error.message;
    if (isRecord(parsed) && typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 500);
}

function fail(span: Span, status: number | string, message: string): void {
  span.setAttribute('error.type', String(status));
  span.setStatus({ code: SpanStatusCode.ERROR, message: message.split('\n')[0]?.slice(0, 500) ?? '' });
}

export async function handleCall(s: CallSettings, op: Operation, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { bytes, body } = parseBody(request.body);
  const headers = request.headers as IncomingHeaders;
  const who = attribute(request.params as Params, headers);
  const requestedModel = typeof body.model === 'string' ? body.model : '';
  const span = s.tracer.startSpan(
    `${op} ${requestedModel}`.trim(),
    { kind: SpanKind.CLIENT, attributes: { ...s.spanAttributes, ...startAttributes(op, requestedModel, who) } },
    who.context,
  );
  const deadline = new Deadline(s.upstreamTimeoutMs);
  const started = performance.now();
  // The agent hanging up abandons the upstream call too.
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) deadline.abort('the agent closed the connection');
  });
  try {
    const target = await resolveTarget(s, requestedModel);
    const routed = routedBody(body, requestedModel, target);
    let added = s.rejecting.has(target.upstream) ? NOTHING_ADDED : plan(op, routed.body, { capture: s.captureTokenIds, streamTokenIds: s.streamTokenIds });
    span.setAttributes(requestAttributes(op, routed.body, target, target.provider ?? s.provider));

    const url = joinUrl(target.upstream, PATHS[op]);
    const out = upstreamHeaders(headers, target.apiKey);
    W3C_PROPAGATOR.inject(trace.setSpan(who.context, span), out, defaultTextMapSetter);
    const payload = (a: Added): Uint8Array | string => (routed.changed || a.returnTokenIds || a.logprobs ? JSON.stringify(apply(op, routed.body, a)) : bytes);
    const told = s.observe;
    const observe: Observe | null = told
      ? (status, raw) => told({ sent: apply(op, routed.body, added), status, body: parsedOrNull(raw), latencyMs: performance.now() - started })
      : null;

    let res = await send(url, { headers: out, body: payload(added) }, deadline);
    if (!res.ok && (added.returnTokenIds || added.logprobs)) {
      const errBytes = await readBounded(res, s.maxResponseBytes, url, deadline);
      if (!rejectsExtension(res.status, errBytes.toString('utf8'), added)) return await answerError(reply, span, res, errBytes, deadline, observe);
      s.rejecting.add(target.upstream);
      span.setAttribute('tracelight.llm.token_ids_refused', true);
      added = NOTHING_ADDED;
      deadline.arm();
      res = await send(url, { headers: out, body: payload(added) }, deadline);
    }
    if (!res.ok) return await answerError(reply, span, res, await readBounded(res, s.maxResponseBytes, url, deadline), deadline, observe);
    if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) return await answerStream(s, reply, span, res, url, deadline);
    return await answerWhole(reply, span, res, await readBounded(res, s.maxResponseBytes, url, deadline), added, deadline, observe);
  } catch (err) {
    deadline.clear();
    const e = err instanceof ProxyError ? err : new ProxyError(500, `the proxy failed: ${(err as Error).message}`, 'proxy_error');
    fail(span, e.status, e.message);
    span.end();
    if (reply.raw.headersSent) {
      reply.raw.destroy();
      return reply;
    }
    throw e;
  }
}

async function answerError(
  reply: FastifyReply,
  span: Span,
  res: Response,
  errBytes: Buffer,
  deadline: Deadline,
  observe: Observe | null,
): Promise<FastifyReply> {
  deadline.clear();
  await observe?.(res.status, errBytes);
  fail(span, res.status, `upstream answered ${res.status}: ${errorMessage(errBytes.toString('utf8'))}`);
  span.end();
  return reply.code(res.status).headers(responseHeaders(res.headers)).send(errBytes);
}

async function answerWhole(
  reply: FastifyReply,
  span: Span,
  res: Response,
  raw: Buffer,
  added: Added,
  deadline: Deadline,
  observe: Observe | null,
): Promise<FastifyReply> {
  deadline.clear();
  await observe?.(res.status, raw);
  let sendBytes: Buffer | string = raw;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    parsed = undefined; // not JSON: passed on as it came, recorded without a response
  }
  if (parsed !== undefined) {
    span.setAttributes(responseAttributes(readAnswer(parsed)));
    if (added.returnTokenIds || added.logprobs) {
      strip(parsed, added);
      sendBytes = JSON.stringify(parsed);
    }
  }
  span.end();
  return reply.code(res.status).headers(responseHeaders(res.headers)).send(sendBytes);
}

/** Back-pressure: a slow agent slows the read from the upstream instead of filling the proxy's memory. */
function drained(raw: FastifyReply['raw']): Promise<void> {
  if (!raw.writableNeedDrain) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      raw.off('drain', done);
      raw.off('close', done);
      resolve();
    };
    raw.on('drain', done);
    raw.on('close', done);
  });
}

async function answerStream(s: CallSettings, reply: FastifyReply, span: Span, res: Response, url: string, deadline: Deadline): Promise<FastifyReply> {
  const acc = new SseAccumulator(s.maxResponseBytes);
  const raw = reply.raw;
  reply.hijack();
  raw.writeHead(res.status, responseHeaders(res.headers));
  try {
    if (res.body) {
      for await (const chunk of res.body) {
        deadline.arm();
        if (raw.destroyed) throw new Error('the agent closed the connection');
        if (!raw.write(chunk)) await drained(raw);
        acc.push(chunk);
      }
    }
    deadline.clear();
    raw.end();
  } catch (err) {
    deadline.clear();
    const e = fetchFailure(url, err, deadline);
    span.setAttributes(responseAttributes(acc.end()));
    fail(span, e.code, `the stream broke off: ${e.message}`);
    span.end();
    raw.destroy();
    return reply;
  }
  span.setAttributes(responseAttributes(acc.end()));
  if (acc.unreadable > 0) span.setAttribute('tracelight.llm.unreadable_chunks', acc.unreadable);
  span.end();
  return reply;
}
