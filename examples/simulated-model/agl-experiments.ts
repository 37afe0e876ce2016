// Agent Lightning's APO asks for critiques with the rollouts rendered from POML: one section per
// "Experiment N" / "Sample Run #N", a line with the run's final reward, and the rollout's chat
// messages (or its spans) as JSON. This reads them into the same failure records the critic uses
// for tracelight's requests, so both optimizers get the same critic.

import type { FailureRecord } from './prompt-analysis.js';

const SECTION = /(?:^|\n)[ \t]*#+[ \t]*(?:experiment|sample run)[ \t]*#?[ \t]*(\d+)[^\n]*\n/gi;

/** The runs in an Agent Lightning critique request, in order; [] when the text has none. */
export function parseExperiments(text: string): FailureRecord[] {
  const heads = [...text.matchAll(SECTION)];
  const runs: FailureRecord[] = [];
  heads.forEach((h, i) => {
    const start = h.index + h[0].length;
    const end = heads[i + 1]?.index ?? text.length;
    const body = text.slice(start, end);
    const reward = /final (?:reward|score)(?:\s+is)?\s*[:=]?\s*(-?\d+(?:\.\d+)?)/i.exec(body)?.[1];
    const turns = collectTurns(body);
    const user = turns.filter((t) => t.role === 'user').pop();
    const assistant = turns.filter((t) => t.role === 'assistant').pop();
    if (!assistant) return;
    const others = turns.filter((t) => t !== user && t !== assistant && t.role !== 'system').map((t) => t.text);
    const expectedLine = /\bexpected(?:\s+answer)?\s*[:=]?\s*\$?(-?[\d,]*\.?\d+)/i.exec([...others, body.replace(assistant.text, '')].join('\n'));
    runs.push({
      input: user?.text ?? '',
      output: assistant.text,
      ...(reward !== undefined ? { reward: Number(reward) } : {}),
      ...(expectedLine?.[1] ? { expected: expectedLine[1].replace(/,/g, '') } : {}),
      ...(others.length ? { explanation: others.join('\n') } : {}),
    });
  });
  return runs;
}

interface Turn {
  role: string;
  text: string;
}

/** Chat turns from the JSON in a section: message lists, or spans whose attributes hold prompts and completions. */
function collectTurns(body: string): Turn[] {
  const turns: Turn[] = [];
  for (const value of jsonValues(body)) walk(value, turns);
  return turns;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content
      .map((p) => (typeof p === 'string' ? p : textOf((p as { text?: unknown; content?: unknown })?.text ?? (p as { content?: unknown })?.content)))
      .join('');
  return '';
}

function walk(v: unknown, turns: Turn[]): void {
  if (Array.isArray(v)) {
    for (const x of v) walk(x, turns);
    return;
  }
  if (!v || typeof v !== 'object') return;
  const o = v as Record<string, unknown>;
  if (typeof o.role === 'string' && ('content' in o || 'parts' in o)) {
    const text = textOf(o.content ?? o.parts);
    if (text) turns.push({ role: o.role, text });
    return;
  }
  // OpenTelemetry GenAI span attributes: gen_ai.prompt.N.role / .content, gen_ai.completion.N.content.
  const keys = Object.keys(o).sort();
  let matched = false;
  for (const k of keys) {
    const m = /(?:^|\.)(prompt|completion)\.(\d+)\.content$/.exec(k);
    if (!m || typeof o[k] !== 'string') continue;
    matched = true;
    const role = typeof o[k.replace(/content$/, 'role')] === 'string' ? String(o[k.replace(/content$/, 'role')]) : m[1] === 'prompt' ? 'user' : 'assistant';
    turns.push({ role, text: o[k] as string });
  }
  if (matched) return;
  for (const x of Object.values(o)) walk(x, turns);
}

/** Every top-level JSON value ({…} or […]) embedded in the text. */
function jsonValues(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"' && depth > 0) inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if ((c === '}' || c === ']') && depth > 0) {
      depth--;
      if (depth === 0 && start >= 0) {
        try {
          out.push(JSON.parse(text.slice(start, i + 1)));
        } catch {
          // A template's braces or prose, not JSON.
        }
        start = -1;
      }
    }
  }
  return out;
}
