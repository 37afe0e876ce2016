// How numbers, times and ids read on screen, in one place so every view says them the same way.

const SIMULATED_MODEL_IDS = ['sim-small', 'sim-large'];

/** The simulated model's ids (schemas/genai.ts isSimulatedModel), for data whose answer carries no `simulated` field. */
export function isSimulatedModel(model: string | null | undefined): boolean {
  return !!model && SIMULATED_MODEL_IDS.some((id) => model === id || model.startsWith(`${id}-`));
}

/** The simulated model ids named by `model` fields anywhere in a JSON value (a run's config). */
export function simulatedModelsIn(v: unknown, out = new Set<string>(), depth = 0): Set<string> {
  if (depth > 8 || v === null || typeof v !== 'object') return out;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x === 'string' && /model/i.test(k) && isSimulatedModel(x)) out.add(x);
    else simulatedModelsIn(x, out, depth + 1);
  }
  return out;
}

export function int(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '–' : Math.round(n).toLocaleString('en-US');
}

/** A reward or score: three decimals, integers as they are (a 0/1 reward reads 0 and 1). */
export function score(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return Number.isInteger(n) ? String(n) : n.toFixed(3);
}

export function seconds(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '–';
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} m ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} m`;
}

/** A bucket or interval length: `30 s`, `5 min`, `1 h`. */
export function span(s: number): string {
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

export function nsDuration(ns: number): string {
  if (ns < 1000) return `${ns} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(ns < 1e7 ? 2 : 1)} ms`;
  return seconds(ns / 1e9);
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** Local date and time to the second: `2026-01-31 14:05:09`. */
export function time(v: string | number | null | undefined): string {
  if (v === null || v === undefined || v === '') return '–';
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return String(v);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Nanoseconds since the epoch (a decimal string) as milliseconds. */
export function nsToMs(ns: string): number {
  return /^\d+$/.test(ns) ? Number(BigInt(ns) / 1_000_000n) : Number.NaN;
}

export function ago(v: string | number | null | undefined, now = Date.now()): string {
  if (v === null || v === undefined) return '–';
  const ms = typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(ms)) return '–';
  const s = Math.max(0, (now - ms) / 1000);
  if (s < 60) return `${Math.round(s)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

export function pretty(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v, null, 2);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** An RE2 pattern matching exactly this agent name (the API's agent filters are patterns). */
export function agentPattern(agent: string): string {
  return `^${agent.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
}

/** A route parameter as typed: the router leaves %-escapes of reserved characters in place. */
export function param(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
