// A readable transcript of one rollout: each LLM call's messages, tool use, and the rewards.
import type { Message, MessagePart } from '../schemas/genai.js';
import type { Rollout } from '../training/triplets.js';
import { primaryReward } from '../training/triplets.js';

const MAX_TEXT = 2000;

function clip(s: string): string {
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}… (${s.length - MAX_TEXT} more characters)` : s;
}

function indent(s: string, pad: string): string {
  return s
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

function json(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function part(p: MessagePart): string {
  switch (p.type) {
    case 'text':
      return clip(String(p.content ?? ''));
    case 'reasoning':
      return `(reasoning) ${clip(String(p.content ?? ''))}`;
    case 'tool_call':
      return `→ tool call ${String(p.name)}(${clip(json(p.arguments))})${p.id ? `  [${String(p.id)}]` : ''}`;
    case 'tool_call_response':
      return `← tool result${p.id ? ` [${String(p.id)}]` : ''}: ${clip(json(p.response))}`;
    default:
      return `(${p.type}) ${clip(json(p))}`;
  }
}

function message(m: Message): string {
  const head = `${m.role}${m.name ? ` (${m.name})` : ''}${m.finish_reason ? ` [${m.finish_reason}]` : ''}:`;
  const body = m.parts.map(part).join('\n');
  return `${head}\n${indent(body || '(empty)', '    ')}`;
}

function time(ns: string): string {
  return new Date(Number(BigInt(ns) / 1_000_000n)).toISOString();
}

export function renderTranscript(r: Rollout): string {
  const out: string[] = [];
  const primary = primaryReward(r);
  out.push(`rollout ${r.rollout_id}`);
  if (r.attempt_ids.length) out.push(`attempts ${r.attempt_ids.join(', ')}`);
  out.push(`traces ${r.trace_ids.join(', ')}`);
  out.push(
    `${r.calls.length} LLM call${r.calls.length === 1 ? '' : 's'}, ${r.rewards.length} reward${r.rewards.length === 1 ? '' : 's'}${primary ? `, primary reward ${primary.name} = ${primary.value}` : ''}`,
  );
  let seen = 0;
  r.calls.forEach((c, i) => {
    out.push('');
    const usage = c.input_tokens !== null || c.output_tokens !== null ? `  tokens ${c.input_tokens ?? '?'} in / ${c.output_tokens ?? '?'} out` : '';
    out.push(`── call ${i + 1}  ${time(c.start_ns)}  agent ${c.agent || '?'}  model ${c.response_model || c.request_model || '?'}${usage}  span ${c.span_id}`);
    // Conversations grow call by call; show only the messages this call added to its prompt.
    const fresh = c.input.length >= seen ? c.input.slice(seen) : c.input;
    if (fresh.length < c.input.length)
      out.push(`   (${c.input.length - fresh.length} earlier message${c.input.length - fresh.length === 1 ? '' : 's'} not repeated)`);
    for (const m of fresh) out.push(indent(message(m), '   '));
    for (const m of c.output) out.push(indent(message(m), '   '));
    if (c.status === 'error') out.push(`   ERROR ${c.error}`);
    seen = c.input.length + c.output.length;
    for (const w of r.rewards.filter((w) => w.span_id === c.span_id))
      out.push(`   ★ reward ${w.name} = ${w.value}${w.label ? ` (${w.label})` : ''}${w.explanation ? ` — ${w.explanation}` : ''}`);
  });
  const spans = new Set(r.calls.map((c) => c.span_id));
  const rest = r.rewards.filter((w) => !spans.has(w.span_id));
  if (rest.length) {
    out.push('');
    out.push('── rewards');
    for (const w of rest)
      out.push(
        `   ★ ${w.name} = ${w.value}${w.label ? ` (${w.label})` : ''}  source ${w.source}  ${time(w.time_ns)}${w.explanation ? `\n     ${w.explanation}` : ''}`,
      );
  }
  return out.join('\n') + '\n';
}
