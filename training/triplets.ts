// Triplet assembly: LLM calls + late content + rewards → (prompt, response, reward) per call, grouped by
// rollout. Assembly happens at read time over the stored rows, so a reward that arrives minutes later is
// reflected the next time triplets are read, and re-sent data changes nothing (rows are keyed).
import { toolCallSignature, USAGE_DETAIL_FIELDS, type Message, type UsageDetailField } from '../schemas/genai.js';
import { cmpNs, type StoredCall, type StoredContent, type StoredIdentity, type StoredReward } from '../store/training-queries.js';

export const REWARD_POLICIES = ['final', 'last-call', 'per-span'] as const;
export type RewardPolicy = (typeof REWARD_POLICIES)[number];

export interface ResolvedCall extends StoredCall {
  /** The rollout this call belongs to after identity resolution (declared id, trace identity, conversation, trace). */
  rollout: string;
  attempt: string;
}

export interface Rollout {
  rollout_id: string;
  attempt_ids: string[];
  trace_ids: string[];
  calls: ResolvedCall[];
  rewards: StoredReward[];
}

export interface Triplet {
  rollout_id: string;
  attempt_id: string;
  trace_id: string;
  span_id: string;
  /** 0-based position of the call within its rollout. */
  step: number;
  agent: string;
  model: string;
  start_time_unix_nano: string;
  prompt: Message[];
  response: Message | null;
  reward: number | null;
  reward_name: string | null;
  /** Every named reward of the rollout (latest value per name). */
  rewards: Record<string, number>;
  /** Token counts; the cache and reasoning counts only where the instrumentation reported more than zero. */
  usage: { input_tokens: number | null; output_tokens: number | null; cost_usd?: number } & Partial<Record<UsageDetailField, number>>;
  finish_reason: string | null;
  token_ids?: { prompt: number[]; response: number[] };
  logprobs?: number[];
  /** Tool definitions offered to the model, as sent (when there were any). */
  tools?: unknown[];
  resources: Record<string, string>;
}

/**
 * The call's finish reason; a response that ends in tool calls finished with tool_call even where the span's
 * reasons say stop (Gemini's STOP, with the content arriving in log records apart from the span).
 */
function finishReason(c: ResolvedCall): string | null {
  const reason = c.finish_reasons[0] ?? c.output[0]?.finish_reason ?? null;
  return reason === 'stop' && c.output[0]?.parts.some((p) => p.type === 'tool_call') ? 'tool_call' : reason;
}

function usageOf(c: StoredCall): Triplet['usage'] {
  const usage: Triplet['usage'] = { input_tokens: c.input_tokens, output_tokens: c.output_tokens };
  for (const k of USAGE_DETAIL_FIELDS) {
    const v = c[k];
    // Instrumentations report 0 for "no cache, no reasoning"; a triplet carries only counts that say something.
    if (typeof v === 'number' && v > 0) usage[k] = v;
  }
  if (typeof c.cost_usd === 'number' && c.cost_usd > 0) usage.cost_usd = c.cost_usd;
  return usage;
}

/** Fills calls whose content arrived separately (log events), then resolves rollout identity. */
export function buildRollouts(calls: StoredCall[], contents: StoredContent[], identities: StoredIdentity[], rewards: StoredReward[]): Rollout[] {
  const contentBySpan = new Map<string, StoredContent[]>();
  for (const c of contents) {
    const key = `${c.trace_id}/${c.span_id}`;
    const list = contentBySpan.get(key);
    if (list) list.push(c);
    else contentBySpan.set(key, [c]);
  }
  const identityByTrace = new Map<string, StoredIdentity>();
  for (const id of identities) if (!identityByTrace.has(id.trace_id)) identityByTrace.set(id.trace_id, id);

  const resolved: ResolvedCall[] = calls.map((c) => {
    const extra = contentBySpan.get(`${c.trace_id}/${c.span_id}`) ?? [];
    const input = mergeInput(
      c.input,
      extra.flatMap((e) => e.input),
    );
    const output = c.output.length > 0 ? c.output : extra.flatMap((e) => e.output);
    const ident = identityByTrace.get(c.trace_id);
    const rollout = c.rollout_id || ident?.rollout_id || c.conversation_id || c.trace_id;
    const attempt = c.attempt_id || (ident && ident.rollout_id === rollout ? ident.attempt_id : '');
    return { ...c, input, output, rollout, attempt };
  });

  const rolloutOfTrace = new Map<string, string>();
  for (const id of identities) if (!rolloutOfTrace.has(id.trace_id)) rolloutOfTrace.set(id.trace_id, id.rollout_id);
  for (const c of resolved) if (!rolloutOfTrace.has(c.trace_id)) rolloutOfTrace.set(c.trace_id, c.rollout);

  const byRollout = new Map<string, Rollout>();
  const get = (id: string): Rollout => {
    let r = byRollout.get(id);
    if (!r) {
      r = { rollout_id: id, attempt_ids: [], trace_ids: [], calls: [], rewards: [] };
      byRollout.set(id, r);
    }
    return r;
  };
  for (const c of resolved) {
    const r = get(c.rollout);
    r.calls.push(c);
    if (!r.trace_ids.includes(c.trace_id)) r.trace_ids.push(c.trace_id);
    if (c.attempt && !r.attempt_ids.includes(c.attempt)) r.attempt_ids.push(c.attempt);
  }
  for (const w of rewards) {
    const rollout = w.rollout_id || rolloutOfTrace.get(w.trace_id) || w.trace_id;
    if (!rollout) continue;
    const r = byRollout.get(rollout);
    if (r) r.rewards.push(w);
  }
  for (const r of byRollout.values()) {
    r.calls.sort((a, b) => cmpNs(a.start_ns, b.start_ns) || cmpNs(a.end_ns, b.end_ns));
    r.rewards.sort((a, b) => cmpNs(a.time_ns, b.time_ns));
    linkToolCallIds(r.calls);
    restoreToolCallTurns(r.calls);
  }
  return [...byRollout.values()];
}

type ToolCallPart = { type: 'tool_call'; id?: string; name: string; arguments: unknown };

const partId = (p: object): string => {
  const id = (p as { id?: unknown }).id;
  return typeof id === 'string' ? id : '';
};

/**
 * Puts back the assistant turn that asked for a tool into a history that keeps the tool's result but lost the
 * turn (OpenLIT records no tool calls in its input messages): the turn is the earlier call's response that made
 * the call with that id. A history is left alone when it already has the turn, or no earlier call made it.
 */
function restoreToolCallTurns(calls: ResolvedCall[]): void {
  const turnOfCall = new Map<string, Message>();
  for (const c of calls) {
    const out = c.output[0];
    if (out)
      for (const p of out.parts)
        if (p.type === 'tool_call' && partId(p) && !turnOfCall.has(partId(p))) {
          const { finish_reason: _f, ...turn } = out;
          turnOfCall.set(partId(p), turn);
        }
  }
  if (turnOfCall.size === 0) return;
  for (const c of calls) {
    const announced = new Set<string>();
    const input: Message[] = [];
    let changed = false;
    for (const m of c.input) {
      for (const p of m.parts) if (p.type === 'tool_call' && partId(p)) announced.add(partId(p));
      const missing = m.parts.find((p) => p.type === 'tool_call_response' && partId(p) && !announced.has(partId(p)) && turnOfCall.has(partId(p)));
      if (missing) {
        const turn = turnOfCall.get(partId(missing)) as Message;
        input.push(turn);
        for (const p of turn.parts) if (p.type === 'tool_call' && partId(p)) announced.add(partId(p));
        changed = true;
      }
      input.push(m);
    }
    if (changed) c.input = input;
  }
}

/**
 * Gives a tool call recorded without its id the id the same call (tool name and arguments) has elsewhere in the
 * rollout. Some instrumentations drop the id from the response (LiteLLM reports it only in the next request's
 * history), and without it a triplet's tool call cannot be linked to its result.
 */
function linkToolCallIds(calls: ResolvedCall[]): void {
  const idByCall = new Map<string, string>();
  const each = (f: (p: ToolCallPart, m: Message) => void): void => {
    for (const c of calls) for (const m of [...c.input, ...c.output]) for (const p of m.parts) if (p.type === 'tool_call') f(p as ToolCallPart, m);
  };
  each((p) => {
    if (typeof p.id === 'string' && p.id !== '') {
      const key = toolCallSignature(p.name, p.arguments);
      if (!idByCall.has(key)) idByCall.set(key, p.id);
    }
  });
  if (idByCall.size === 0) return;
  each((p, m) => {
    if (p.id) return;
    const id = idByCall.get(toolCallSignature(p.name, p.arguments));
    if (id) m.parts[m.parts.indexOf(p)] = { type: 'tool_call', id, name: p.name, arguments: p.arguments };
  });
}

/**
 * A call's prompt from what its span carried and what arrived as log events. The span's messages win when it
 * carries the conversation itself. A span that carries only system instructions (@opentelemetry/instrumentation-
 * openai puts Responses API `instructions` in `gen_ai.system_instructions` on the span and the input items in a
 * `gen_ai.client.inference.operation.details` log record) takes the logged messages, keeping its system message
 * in front unless the log repeats one.
 */
function mergeInput(own: Message[], logged: Message[]): Message[] {
  if (logged.length === 0 || own.some((m) => m.role !== 'system')) return own;
  if (own.length === 0 || logged.some((m) => m.role === 'system')) return logged;
  return [...own, ...logged];
}

/**
 * The rollout's primary reward: one explicitly marked primary, else the latest reward that judges the
 * rollout as a whole (not attached to one of its LLM calls), else the latest reward.
 */
export function primaryReward(r: Rollout): StoredReward | null {
  const latest = (ws: StoredReward[]): StoredReward | null => ws[ws.length - 1] ?? null;
  const marked = r.rewards.filter((w) => w.is_primary);
  if (marked.length) return latest(marked);
  const callSpans = new Set(r.calls.map((c) => c.span_id));
  const whole = r.rewards.filter((w) => !callSpans.has(w.span_id));
  return latest(whole) ?? latest(r.rewards);
}

export interface AssembleOptions {
  policy: RewardPolicy;
  /** Only calls whose agent this accepts. */
  agent?: (agent: string) => boolean;
}

export function assembleTriplets(r: Rollout, opts: AssembleOptions): Triplet[] {
  const calls = opts.agent ? r.calls.filter((c) => (opts.agent as (a: string) => boolean)(c.agent)) : r.calls;
  const primary = primaryReward(r);
  const named = primary ? r.rewards.filter((w) => w.name === primary.name) : [];
  const latestByName: Record<string, number> = {};
  for (const w of r.rewards) latestByName[w.name] = w.value;

  const assigned = new Map<string, StoredReward>();
  if (opts.policy === 'final' && primary) {
    for (const c of calls) assigned.set(c.span_id, primary);
  } else if (opts.policy === 'last-call') {
    for (const w of named) {
      let target: ResolvedCall | undefined;
      for (const c of calls) if (cmpNs(c.end_ns, w.time_ns) <= 0 && !assigned.has(c.span_id)) target = c;
      if (target) assigned.set(target.span_id, w);
    }
  } else if (opts.policy === 'per-span') {
    for (const c of calls) {
      const own = r.rewards.filter((w) => w.span_id === c.span_id);
      const pick = own.filter((w) => w.name === primary?.name).pop() ?? own.pop();
      if (pick) assigned.set(c.span_id, pick);
    }
  }

  return calls.map((c, step) => {
    const w = assigned.get(c.span_id) ?? null;
    const t: Triplet = {
      rollout_id: r.rollout_id,
      attempt_id: c.attempt,
      trace_id: c.trace_id,
      span_id: c.span_id,
      step,
      agent: c.agent,
      model: c.response_model || c.request_model,
      start_time_unix_nano: c.start_ns,
      prompt: c.input,
      response: c.output[0] ?? null,
      reward: w ? w.value : null,
      reward_name: w ? w.name : null,
      rewards: latestByName,
      usage: usageOf(c),
      finish_reason: finishReason(c),
      resources: c.resources,
    };
    if (c.prompt_token_ids.length || c.response_token_ids.length) t.token_ids = { prompt: c.prompt_token_ids, response: c.response_token_ids };
    if (c.response_logprobs.length) t.logprobs = c.response_logprobs;
    if (c.tools.length) t.tools = c.tools;
    return t;
  });
}
