// Reads tracelight's training tables. Rows written twice (an SDK retry re-sending a batch) are collapsed
// with ORDER BY inserted_at DESC ... LIMIT 1 BY key, which is exact without FINAL.
import type { LlmCall, Message } from '../schemas/genai.js';
import type { Driver } from './driver.js';

/** An LlmCall as read back: times as nanosecond strings (UInt64 does not fit a JS number), no conventions. */
export interface StoredCall extends Omit<LlmCall, 'start_time_unix_nano' | 'end_time_unix_nano' | 'conventions' | 'status'> {
  start_ns: string;
  end_ns: string;
  status: string;
}

export interface StoredContent {
  trace_id: string;
  span_id: string;
  time_ns: string;
  seq: number;
  input: Message[];
  output: Message[];
}

export interface StoredReward {
  reward_id: string;
  rollout_id: string;
  attempt_id: string;
  trace_id: string;
  span_id: string;
  name: string;
  value: number;
  label: string;
  explanation: string;
  source: string;
  is_primary: boolean;
  time_ns: string;
}

export interface StoredIdentity {
  trace_id: string;
  rollout_id: string;
  attempt_id: string;
}

type Raw<T, K extends keyof T> = Omit<T, K> & Record<K, string>;

function parseJson<T>(s: string, fallback: T): T {
  try {
    return JSON.parse(s) as T;
  } catch {
    return fallback;
  }
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

/** Trace ids that belong to the rollouts by any of the identity rules (declared id, conversation id, trace id). */
export async function tracesOfRollouts(db: Driver, rolloutIds: string[]): Promise<string[]> {
  if (rolloutIds.length === 0) return [];
  const rows = await db.query<{ trace_id: string }>(
    `SELECT DISTINCT trace_id FROM (
       SELECT trace_id FROM trace_identities WHERE rollout_id IN {r:Array(String)}
       UNION ALL SELECT trace_id FROM llm_calls WHERE rollout_id IN {r:Array(String)} OR conversation_id IN {r:Array(String)} OR trace_id IN {r:Array(String)}
       UNION ALL SELECT trace_id FROM rewards WHERE rollout_id IN {r:Array(String)} AND trace_id != ''
     )`,
    { r: rolloutIds },
  );
  return rows.map((r) => r.trace_id);
}

export interface TracePage {
  traceIds: string[];
  /** Opaque position after the last trace of this page; null when there are no more. */
  next: { startNs: string; traceId: string } | null;
}

/** Traces with LLM calls, oldest first, for paging through all training data. */
export async function pageTraces(db: Driver, opts: { sinceNs: string; after?: { startNs: string; traceId: string }; limit: number }): Promise<TracePage> {
  const rows = await db.query<{ trace_id: string; first_ns: string }>(
    `SELECT trace_id, toString(toUnixTimestamp64Nano(min(start_time))) AS first_ns
     FROM llm_calls
     WHERE start_time >= fromUnixTimestamp64Nano(toInt64({since:String}))
     GROUP BY trace_id
     HAVING (min(start_time), trace_id) > (fromUnixTimestamp64Nano(toInt64({afterNs:String})), {afterTrace:String})
     ORDER BY min(start_time), trace_id
     LIMIT {limit:UInt32}`,
    { since: opts.sinceNs, afterNs: opts.after?.startNs ?? '0', afterTrace: opts.after?.traceId ?? '', limit: opts.limit + 1 },
  );
  const more = rows.length > opts.limit;
  const page = rows.slice(0, opts.limit);
  const last = page[page.length - 1];
  return { traceIds: page.map((r) => r.trace_id), next: more && last ? { startNs: last.first_ns, traceId: last.trace_id } : null };
}

export async function loadCalls(db: Driver, traceIds: string[]): Promise<StoredCall[]> {
  if (traceIds.length === 0) return [];
  const [calls, declared] = await Promise.all([loadCallRows(db, traceIds), loadTraceResources(db, traceIds)]);
  return inheritResources(calls, declared);
}

interface DeclaredVersion {
  trace_id: string;
  name: string;
  version: string;
  time_ns: string;
}

async function loadTraceResources(db: Driver, traceIds: string[]): Promise<DeclaredVersion[]> {
  return db.query<DeclaredVersion>(
    `SELECT trace_id, name, version, toString(toUnixTimestamp64Nano(time)) AS time_ns FROM trace_resources
     WHERE trace_id IN {ids:Array(String)} ORDER BY inserted_at DESC LIMIT 1 BY trace_id, name, version`,
    { ids: traceIds },
  );
}

/**
 * Each call that declares no version of a resource takes the latest version its trace declared (on a span that
 * is not a call) at or before the call's start: the prompt the agent fetched before it made the call.
 */
export function inheritResources(calls: StoredCall[], declared: readonly DeclaredVersion[]): StoredCall[] {
  if (declared.length === 0) return calls;
  const byTrace = new Map<string, DeclaredVersion[]>();
  for (const d of declared) {
    const list = byTrace.get(d.trace_id);
    if (list) list.push(d);
    else byTrace.set(d.trace_id, [d]);
  }
  for (const list of byTrace.values()) list.sort((x, y) => cmpNs(x.time_ns, y.time_ns));
  return calls.map((c) => {
    const list = byTrace.get(c.trace_id);
    if (!list) return c;
    const inherited: Record<string, string> = {};
    for (const d of list) if (cmpNs(d.time_ns, c.start_ns) <= 0) inherited[d.name] = d.version;
    return Object.keys(inherited).length === 0 ? c : { ...c, resources: { ...inherited, ...c.resources } };
  });
}

async function loadCallRows(db: Driver, traceIds: string[]): Promise<StoredCall[]> {
  const rows = await db.query<Raw<StoredCall, 'input' | 'output' | 'tools'>>(
    `SELECT trace_id, span_id, parent_span_id, rollout_id, attempt_id, conversation_id,
            toString(toUnixTimestamp64Nano(start_time)) AS start_ns, toString(toUnixTimestamp64Nano(end_time)) AS end_ns,
            agent, service, provider, operation, request_model, response_model, input, output, finish_reasons,
            input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens, reasoning_tokens, cost_usd,
            prompt_token_ids, response_token_ids, response_logprobs, resources, tools, status, error
     FROM llm_calls WHERE trace_id IN {ids:Array(String)}
     ORDER BY inserted_at DESC LIMIT 1 BY trace_id, span_id`,
    { ids: traceIds },
  );
  return rows
    .map((r) => ({
      ...r,
      input: parseJson<Message[]>(r.input, []),
      output: parseJson<Message[]>(r.output, []),
      tools: parseJson<unknown[]>(r.tools, []),
      input_tokens: r.input_tokens === null ? null : num(r.input_tokens),
      output_tokens: r.output_tokens === null ? null : num(r.output_tokens),
      cache_read_input_tokens: r.cache_read_input_tokens == null ? null : num(r.cache_read_input_tokens),
      cache_creation_input_tokens: r.cache_creation_input_tokens == null ? null : num(r.cache_creation_input_tokens),
      reasoning_tokens: r.reasoning_tokens == null ? null : num(r.reasoning_tokens),
      cost_usd: r.cost_usd == null ? null : num(r.cost_usd),
      prompt_token_ids: r.prompt_token_ids.map(num),
      response_token_ids: r.response_token_ids.map(num),
    }))
    .sort((a, b) => cmpNs(a.start_ns, b.start_ns) || cmpNs(a.end_ns, b.end_ns) || a.span_id.localeCompare(b.span_id));
}

export async function loadContents(db: Driver, traceIds: string[]): Promise<StoredContent[]> {
  if (traceIds.length === 0) return [];
  const rows = await db.query<Raw<StoredContent, 'input' | 'output'>>(
    `SELECT trace_id, span_id, toString(toUnixTimestamp64Nano(time)) AS time_ns, seq, input, output
     FROM llm_contents WHERE trace_id IN {ids:Array(String)}
     ORDER BY inserted_at DESC LIMIT 1 BY trace_id, span_id, time, seq`,
    { ids: traceIds },
  );
  return rows
    .map((r) => ({ ...r, seq: num(r.seq), input: parseJson<Message[]>(r.input, []), output: parseJson<Message[]>(r.output, []) }))
    .sort((a, b) => cmpNs(a.time_ns, b.time_ns) || a.seq - b.seq);
}

export async function loadIdentities(db: Driver, traceIds: string[]): Promise<StoredIdentity[]> {
  if (traceIds.length === 0) return [];
  return db.query<StoredIdentity>(
    `SELECT trace_id, rollout_id, attempt_id FROM trace_identities WHERE trace_id IN {ids:Array(String)}
     ORDER BY time, inserted_at DESC LIMIT 1 BY trace_id, rollout_id, attempt_id`,
    { ids: traceIds },
  );
}

export async function loadRewards(db: Driver, rolloutIds: string[], traceIds: string[]): Promise<StoredReward[]> {
  if (rolloutIds.length === 0 && traceIds.length === 0) return [];
  const rows = await db.query<Omit<StoredReward, 'value' | 'is_primary'> & { value: number | string; is_primary: boolean | number }>(
    `SELECT reward_id, rollout_id, attempt_id, trace_id, span_id, name, value, label, explanation, source, is_primary,
            toString(toUnixTimestamp64Nano(time)) AS time_ns
     FROM rewards WHERE rollout_id IN {r:Array(String)} OR trace_id IN {t:Array(String)}
     ORDER BY inserted_at DESC LIMIT 1 BY reward_id`,
    { r: rolloutIds, t: traceIds },
  );
  return rows
    .map((r) => ({ ...r, value: num(r.value), is_primary: Boolean(r.is_primary) }))
    .sort((a, b) => cmpNs(a.time_ns, b.time_ns) || a.reward_id.localeCompare(b.reward_id));
}

export function cmpNs(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

/** The names among `names` that match the RE2 `pattern`; an invalid pattern is the caller's error. */
export async function agentsMatching(db: Driver, pattern: string, names: readonly string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  let rows: { m: string[] }[];
  try {
    rows = await db.query<{ m: string[] }>('SELECT arrayFilter(a -> match(a, {re:String}), {names:Array(String)}) AS m', { re: pattern, names });
  } catch (err) {
    throw new Error(`agent is not a valid regular expression (RE2 syntax): ${(err as Error).message}`);
  }
  return new Set(rows[0]?.m ?? []);
}
