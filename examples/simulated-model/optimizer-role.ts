// The optimizer role of the SIMULATED model, as used by prompt-optimization algorithms (textual
// gradients, APO, beam search; tracelight's and Agent Lightning's): recognise a CRITIQUE request
// or a REWRITE request, find the prompt under edit and the failures shown, and answer in the shape
// the request asks for. What the critique says comes from critic.ts, the edits from rewriter.ts.

import { parseExperiments } from './agl-experiments.js';
import { critique as writeCritiqueText } from './critic.js';
import { hash32 } from './hash.js';
import { findPromptUnderEdit, parseFailures, placeholders, type FailureRecord } from './prompt-analysis.js';
import { editPrompt, needsFromCritique } from './rewriter.js';

const TARGET = String.raw`(?:the|this|that|current|given|following|above|below|existing|original|my|our|its)\s+(?:[\w-]+\s+){0,2}?(?:prompts?|templates?|instructions|system prompt|system message)\b`;
const REWRITE_REQUEST = new RegExp(
  String.raw`\b(?:rewrite|re-write|revise|improve|edit|refine|optimi[sz]e|update|modify|fix)\s+${TARGET}` +
    String.raw`|\b(?:write|generate|produce|propose|return|output|give|create)\b[^.\n]{0,30}\b(?:new|improved|revised|better|edited|updated|rewritten|optimi[sz]ed|alternative)\s+(?:versions? of the\s+)?(?:prompts?|templates?|instructions)\b` +
    String.raw`|\bapply\b[^.\n]{0,40}\b(?:critique|feedback|gradient)\b`,
  'i',
);
const CRITIQUE_REQUEST = new RegExp(
  String.raw`\b(?:critique|criticize|criticise|diagnose|assess|analy[sz]e|review|evaluate)\s+${TARGET}` +
    String.raw`|\bcritique\b[^.\n]{0,40}\b(?:prompt|template|instructions)\b` +
    String.raw`|\b(?:produce|write|give|provide|generate|return)\b[^.\n]{0,20}\bcritique\b` +
    String.raw`|\b(?:weakness(?:es)?|flaws?|defects?|shortcomings?|problems?|issues?|what(?:'s| is) wrong)\b[^.\n]{0,40}\b${TARGET}` +
    String.raw`|\b(?:prompt|template)(?:'s)?\s+(?:weakness(?:es)?|flaws?|defects?|shortcomings?)\b` +
    String.raw`|\btitled\s+["'‘’]?critique\b|\banaly[sz]e\s+where\b[^.\n]{0,40}\b(?:prompt|template)\b`,
  'i',
);
const CRITIQUE_INPUT =
  /<(critique|feedback|gradient|criticism|analysis)>[\s\S]*?\S[\s\S]*?<\/\1>|(?:^|\n)[ \t]*(?:#+[ \t]*)?(critique|feedback|gradient|criticism|textual gradient)[ \t]*:[ \t]*\S|(?:^|\n)#+[ \t]*(critique|feedback|gradient|criticism)[ \t]*\n+\s*\S/i;

export type OptimizerTask = 'critique' | 'rewrite' | null;

export function optimizerTask(text: string): OptimizerTask {
  const wantsRewrite = REWRITE_REQUEST.test(text);
  const wantsCritique = CRITIQUE_REQUEST.test(text);
  if (!wantsRewrite && !wantsCritique) return null;
  // A prompt to critique or rewrite must be present; otherwise it is an ordinary question.
  if (!findPromptUnderEdit(text)) return null;
  if (wantsRewrite && (CRITIQUE_INPUT.test(text) || !wantsCritique)) return 'rewrite';
  return wantsCritique ? 'critique' : 'rewrite';
}

// Asked to answer in JSON, not a checklist that merely names JSON among formats ("Markdown, JSON, XML").
const JSON_ANSWER =
  /\b(?:respond|reply|answer|return|output)\s+(?:\w+\s+){0,3}?(?:in|as|with)\s+(?:a\s+|valid\s+)?json\b|\bjson\s+object\b|\bformat(?:ted)?\s+as\s+json\b/i;

/** Failures shown in the request: Agent Lightning's experiment sections, or records / labelled lines. */
function failuresIn(request: string): FailureRecord[] {
  const runs = parseExperiments(request);
  if (runs.length > 0) return runs.filter((r) => r.reward === undefined || r.reward < 1);
  return parseFailures(request).filter((r) => r.reward === undefined || r.reward < 1 || r.expected !== undefined);
}

export function writeCritique(text: string, opts: { jsonMode: boolean; salt: string }): string {
  const prompt = findPromptUnderEdit(text) ?? '';
  const request = text.replace(prompt, '');
  const failures = failuresIn(request);
  const { text: critique, findings } = writeCritiqueText(prompt, failures, opts.salt);
  if (opts.jsonMode || JSON_ANSWER.test(request)) {
    return JSON.stringify({ critique, defects: findings.map((f) => f.kind) });
  }
  const tag = /\b(?:between|inside|within|in|wrapped in|enclosed in)\s+(?:the\s+)?<([A-Za-z_][\w-]*)>/i.exec(request)?.[1];
  return tag ? `<${tag}>\n${critique}\n</${tag}>` : critique;
}

function critiqueIn(text: string): string {
  const tagged = /<(critique|feedback|gradient|criticism|analysis)>([\s\S]*?)<\/\1>/i.exec(text);
  if (tagged?.[2]) return tagged[2];
  const heading = /(?:^|\n)#+[ \t]*(?:critique|feedback|gradient|criticism)[ \t]*\n([\s\S]*?)(?=\n#+[ \t]|$)/i.exec(text);
  if (heading?.[1]?.trim()) return heading[1];
  const section =
    /(?:^|\n)[ \t]*(?:#+[ \t]*)?(?:critique|feedback|gradient|criticism|textual gradient)[ \t]*:([\s\S]*?)(?:\n[ \t]*\n(?=[ \t]*(?:#|[A-Z][\w ]{0,30}:))|$)/i.exec(
      text,
    );
  return section?.[1] ?? '';
}

const COUNT_WORDS: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10 };
const isNumeric = (s: string) => /^\s*\$?-?\d[\d,]*(\.\d+)?\s*$/.test(s);

export interface RewriteOptions {
  /** Choice index (n > 1) and sampling salt: more variety across calls. */
  variant: number;
  salt: string;
  /** The request asked for structured output through response_format. */
  jsonMode: boolean;
}

export function writeRewrite(text: string, opts: RewriteOptions): string {
  const prompt = findPromptUnderEdit(text) ?? '';
  const request = text.replace(prompt, '');
  let critique = critiqueIn(request);
  const failures = failuresIn(request.replace(critique, ''));
  const expected = failures.map((f) => f.expected ?? '').filter(Boolean);
  const decimals = Math.max(-1, ...expected.filter(isNumeric).map((e) => (e.split('.')[1] ?? '').length));
  const jsonKey = expected.map((e) => /^\s*\{\s*"(\w+)"/.exec(e)?.[1]).find(Boolean) ?? null;
  const shape = { decimals: decimals >= 0 ? decimals : null, jsonKey };
  // With no critique to apply, the rewriter forms its own from the failures.
  if (!critique.trim()) critique = writeCritiqueText(prompt, failures, opts.salt).text;
  const needs = needsFromCritique(critique, shape);

  const countMatch =
    /\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:[\w-]+\s+){0,3}?(?:prompts|variants|versions|candidates|rewrites|edits|alternatives|options|children)\b/i.exec(
      request,
    );
  const count = Math.min(10, Math.max(1, countMatch ? (COUNT_WORDS[countMatch[1]!.toLowerCase()] ?? Number(countMatch[1])) : 1));
  // "Address ONE critique point" (a conservative edit) applies the first need only.
  const oneOnly = /\b(?:address|fix|apply)\s+(?:only\s+)?one\s+(?:critique\s+)?(?:point|issue|thing)\b|\bsingle most critical issue\b/i.test(request);
  const base = `${hash32(prompt)}|${hash32(critique)}|${opts.salt}`;
  const children: string[] = [];
  for (let i = 0; i < count; i++) {
    children.push(ensurePlaceholders(prompt, editPrompt(prompt, oneOnly ? needs.slice(0, 1) : needs, `${base}|${opts.variant * count + i}`)));
  }

  const jsonKeyMatch = /["'`](\w+)["'`]\s*:\s*\[/.exec(request) ?? /\b(?:key|field|property)\s+["'`]?(\w+)["'`]?[^.\n]{0,40}\b(?:list|array)\b/i.exec(request);
  const singleKey = /["'`](prompt|new_prompt|improved_prompt|template)["'`]\s*:\s*["'`<]/i.exec(request)?.[1];
  if (opts.jsonMode || /\bjson\b/i.test(request)) {
    if (singleKey && count === 1) return JSON.stringify({ [singleKey]: children[0] });
    return JSON.stringify({ [jsonKeyMatch?.[1] ?? 'prompts']: children });
  }
  const tag = outputTag(request);
  if (
    !tag &&
    count === 1 &&
    /\b(return|output|give|reply with)( only| just)? (only |just )?the (new|revised|improved|edited|rewritten|updated)( full| complete| whole)? (prompt|template)|\bno other text\b|\bnothing else\b/i.test(
      request,
    )
  ) {
    return children[0] as string;
  }
  const blocks = children.map((c) => `<${tag ?? 'prompt'}>\n${c}\n</${tag ?? 'prompt'}>`).join('\n\n');
  return count === 1 ? `Here is the revised prompt:\n\n${blocks}` : `Here are ${count} revised prompts:\n\n${blocks}`;
}

function outputTag(request: string): string | null {
  const m =
    /<([A-Za-z_][\w-]*)>\s*(?:<\/\1>|\.\.\.|…|\[|your\b|new\b|the new\b|improved\b|revised\b)/i.exec(request) ??
    /\b(?:between|inside|within|in|wrapped in|wrap it in|enclosed in|enclose it in|surrounded by)\s+(?:the\s+)?(?:xml\s+)?<([A-Za-z_][\w-]*)>/i.exec(request);
  return m?.[1] ?? null;
}

/** Placeholders are the contract with the caller: a child missing one falls back to the parent's text. */
function ensurePlaceholders(original: string, child: string): string {
  const missing = placeholders(original).filter((p) => !child.includes(p));
  return missing.length === 0 ? child : original;
}
