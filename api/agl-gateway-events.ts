// How Agent Lightning v1 reads a rollout attempt's events back (agentlightning.server.routes.events, 1.0.2): the
// routed-expert tensors that a later call supersedes, the `format=triplet` trimming of model_request and reward
// events, and the de-duplication of model requests by prompt token ids. Pure functions over the stored events,
// which are kept exactly as posted; v1 drops superseded tensors when an event is written, and replaying that
// rule over the events in order gives the same list.
import type { AglEvent } from '../schemas/agl-gateway.js';

type Data = Record<string, unknown>;

function isRecord(v: unknown): v is Data {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Python's truthiness, for the v1 rules written with `or` and `if not`. */
function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isRecord(v)) return Object.keys(v).length > 0;
  return true;
}

function get(d: Data, key: string, fallback: unknown): unknown {
  return key in d ? d[key] : fallback;
}

/** Python's float() of a JSON value: null when it would raise. */
function pyFloat(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'string') return null;
  const s = v.trim().toLowerCase();
  if (/^[+-]?(inf|infinity|nan)$/.test(s)) return Number.NaN;
  if (!/^[+-]?(\d(_?\d)*(\.(\d(_?\d)*)?)?|\.\d(_?\d)*)(e[+-]?\d(_?\d)*)?$/.test(s)) return null;
  return Number(s.replace(/_/g, ''));
}

function choiceLogProbs(choice: Data): number[] | null {
  const lp = choice.logprobs;
  if (!isRecord(lp)) return null;
  let raw: unknown[];
  if (Array.isArray(lp.content)) {
    raw = [];
    for (const item of lp.content) {
      if (!isRecord(item) || !('logprob' in item)) return null;
      raw.push(item.logprob);
    }
  } else if (Array.isArray(lp.token_logprobs)) raw = [...lp.token_logprobs];
  else return null;
  const out: number[] = [];
  for (const v of raw) {
    const f = pyFloat(v);
    if (f === null || !Number.isFinite(f)) return null;
    out.push(f);
  }
  return out;
}

/** A model_request's token ids, log-probs and server, as `format=triplet` answers it. */
export function trimModelRequest(data: Data): Data {
  const resp = data.response;
  let promptIds: unknown = [];
  let responseIds: unknown = [];
  let logProbs: number[] | null = null;
  if (isRecord(resp)) {
    promptIds = get(resp, 'prompt_token_ids', []);
    const choices = get(resp, 'choices', []);
    if (truthy(choices) && Array.isArray(choices) && isRecord(choices[0])) {
      const first = choices[0];
      if (!truthy(promptIds)) promptIds = get(first, 'prompt_token_ids', []);
      responseIds = get(first, 'token_ids', []);
      logProbs = choiceLogProbs(first);
    }
  } else if (Array.isArray(resp)) {
    // Raw stream chunks, the shape of older gateways.
    const ids: unknown[] = [];
    for (const chunk of resp) {
      if (!isRecord(chunk)) continue;
      if (!truthy(promptIds) && truthy(chunk.prompt_token_ids)) promptIds = chunk.prompt_token_ids;
      const choices = get(chunk, 'choices', []);
      if (Array.isArray(choices) && choices.length > 0 && isRecord(choices[0])) {
        const tids = choices[0].token_ids;
        if (Array.isArray(tids) && tids.length > 0) ids.push(...tids);
      }
    }
    responseIds = ids;
  }
  const srv = isRecord(data.server) ? data.server : {};
  const out: Data = {
    prompt_token_ids: promptIds,
    response_token_ids: responseIds,
    response_log_probs: logProbs,
    server: { model: srv.model ?? null, version: srv.version ?? null },
  };
  if (data.routed_experts !== undefined && data.routed_experts !== null) out.routed_experts = data.routed_experts;
  for (const key of ['http_status', 'status']) if (key in data) out[key] = data[key];
  if (isRecord(resp) && 'error' in resp) out.error = resp.error;
  return out;
}

function trimReward(data: Data): Data {
  const out: Data = { value: data.value ?? null };
  for (const key of ['source', 'reason']) if (key in data) out[key] = data[key];
  return out;
}

function sameList(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Replays v1's rule at each write: a call carrying routed experts takes them off the call it continues. */
export function dropSupersededRoutedExperts(events: readonly AglEvent[]): AglEvent[] {
  const out: AglEvent[] = [];
  for (const e of events) {
    if (e.event_type === 'model_request' && e.data.routed_experts !== undefined && e.data.routed_experts !== null) {
      const prompt = asList(trimModelRequest(e.data).prompt_token_ids);
      for (let i = out.length - 1; i >= 0; i--) {
        const prev = out[i] as AglEvent;
        if (prev.event_type !== 'model_request') continue;
        const p = trimModelRequest(prev.data);
        const context = [...asList(p.prompt_token_ids), ...asList(p.response_token_ids)];
        const samePrompt = sameList(prompt, p.prompt_token_ids);
        const extends_ = sameList(prompt.slice(0, context.length), context);
        if ((samePrompt || extends_) && 'routed_experts' in prev.data) {
          const { routed_experts: _dropped, ...rest } = prev.data;
          out[i] = { ...prev, data: rest };
        }
        break;
      }
    }
    out.push(e);
  }
  return out;
}

export function toTripletFormat(e: AglEvent): AglEvent {
  if (e.event_type === 'model_request') return { ...e, data: trimModelRequest(e.data) };
  if (e.event_type === 'reward') return { ...e, data: trimReward(e.data) };
  return e;
}

/** Keeps the last model request of each non-empty prompt (a retried call); one without usable ids is kept. */
export function dedupeModelRequests(events: readonly AglEvent[]): AglEvent[] {
  const last = new Map<string, number>();
  const kept = new Set<number>();
  events.forEach((e, i) => {
    if (e.event_type !== 'model_request') return;
    const ids = e.data.prompt_token_ids;
    if (!Array.isArray(ids) || ids.length === 0 || ids.some((t) => typeof t !== 'number' || !Number.isInteger(t))) kept.add(i);
    else last.set(JSON.stringify(ids), i);
  });
  for (const i of last.values()) kept.add(i);
  return events.filter((e, i) => e.event_type !== 'model_request' || kept.has(i));
}

export function withoutRoutedExperts(e: AglEvent): AglEvent {
  if (e.event_type !== 'model_request' || !('routed_experts' in e.data)) return e;
  const { routed_experts: _dropped, ...rest } = e.data;
  return { ...e, data: rest };
}

/** `data_id` of a terminal listing item: the input's data_id, else its instance_id, as text. */
export function dataIdOf(input: unknown): string {
  if (!isRecord(input)) return '';
  const v = truthy(input.data_id) ? input.data_id : truthy(input.instance_id) ? input.instance_id : '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  return JSON.stringify(v);
}
