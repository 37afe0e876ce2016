// The optimizer role, as used by prompt-optimization algorithms (textual gradients, APO, beam
// search): CRITIQUE a prompt from its failures, or REWRITE it given a critique. The critique
// names defects it can actually see in the failures; the rewrite keeps every placeholder and adds
// instructions from a generic catalogue. Like a real model it is not always right: some children
// are partial fixes, some are unchanged, some are worse.

import { hash32, pick, unitHash } from './hash.js';
import { parseDirectives } from './instructions.js';
import { findPromptUnderEdit, numbersIn, parseFailures, placeholders, type FailureRecord } from './prompt-analysis.js';

export type Defect = 'extra-text' | 'buried-answer' | 'no-format' | 'arithmetic' | 'no-reasoning' | 'rounding' | 'units' | 'json' | 'wrong-answer';

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
    String.raw`|\b(?:prompt|template)(?:'s)?\s+(?:weakness(?:es)?|flaws?|defects?|shortcomings?)\b`,
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

interface Finding {
  defect: Defect;
  count: number;
  example?: string;
}

const isNumeric = (s: string) => /^\s*\$?-?\d[\d,]*(\.\d+)?\s*$/.test(s);
const approx = (a: number, b: number) => Math.abs(a - b) < 1e-6 * Math.max(1, Math.abs(b));

/** Defects visible in the failures and in the prompt itself. */
export function findDefects(prompt: string, failures: FailureRecord[]): Finding[] {
  const counts = new Map<Defect, Finding>();
  const note = (defect: Defect, example?: string) => {
    const f = counts.get(defect) ?? { defect, count: 0 };
    f.count++;
    if (!f.example && example) f.example = example;
    counts.set(defect, f);
  };
  for (const f of failures) {
    const out = (f.output ?? '').trim();
    const expected = (f.expected ?? '').trim();
    const shortOut = out.length > 90 ? `${out.slice(0, 87)}...` : out;
    const example = `output "${shortOut.replace(/\n/g, ' ')}" where "${expected}" was expected`;
    if (expected && out === expected) continue;
    if (expected && isNumeric(expected)) {
      const want = Number(expected.replace(/[$,]/g, ''));
      const got = numbersIn(out);
      const hasWords = /[A-Za-z]{2,}/.test(out);
      if (got.some((n) => approx(n, want))) {
        if (hasWords) note('extra-text', example);
        const last = got[got.length - 1];
        if (last !== undefined && !approx(last, want)) note('buried-answer', example);
      } else if (got.some((n) => Math.abs(n - want) < 0.01 * Math.max(1, Math.abs(want)) && String(n).length > expected.length + 2)) {
        note('rounding', example);
      } else {
        note('arithmetic', `expected ${expected} but the answer was ${got[got.length - 1] ?? 'missing'}`);
        if (hasWords) note('extra-text', example);
      }
    } else if (expected.startsWith('{')) {
      try {
        JSON.parse(out);
      } catch {
        note('json', example);
      }
    } else if (expected && out.toLowerCase().includes(expected.toLowerCase())) {
      note('extra-text', example);
    } else if (expected) {
      note('wrong-answer', example);
    }
    const why = (f.explanation ?? '').toLowerCase();
    if (/\bunits?\b/.test(why)) note('units');
    if (/\bround|decimal/.test(why)) note('rounding');
  }
  const d = parseDirectives(prompt);
  const findings = [...counts.values()];
  if (d.format.kind === 'free') findings.push({ defect: 'no-format', count: 0 });
  if (d.reasoning === 'none' || d.reasoning === 'careful') findings.push({ defect: 'no-reasoning', count: 0 });
  return findings;
}

const DEFECT_TEXT: Record<Defect, (f: Finding, total: number) => string> = {
  'extra-text': (f, n) =>
    `Answers contain extra text around the answer (${f.count} of ${n} failures), e.g. ${f.example ?? 'a full sentence instead of the value'}.`,
  'buried-answer': (f, n) =>
    `The correct number is buried among other numbers, so the last number in the reply is not the answer (${f.count} of ${n} failures).`,
  'no-format': () => 'No output format specified: the prompt never says how the final answer must be written.',
  arithmetic: (f, n) =>
    `Multi-step arithmetic errors: the model drops or confuses a step (${f.count} of ${n} failures), e.g. ${f.example ?? 'a wrong final value'}.`,
  'no-reasoning': () => 'No instruction to reason step by step or to check the arithmetic, so multi-step problems are answered in one hurried jump.',
  rounding: (f, n) => `Answers are not rounded the way the expected answers are (${f.count} of ${n} failures).`,
  units: (f, n) => `Units are missing or inconsistent (${f.count} of ${n} failures).`,
  json: (f, n) => `Answers are not valid JSON although JSON is expected (${f.count} of ${n} failures).`,
  'wrong-answer': (f, n) => `Answers are incorrect (${f.count} of ${n} failures), e.g. ${f.example ?? 'a wrong value'}.`,
};

const FIX_TEXT: Record<Defect, string> = {
  'extra-text': 'state that the reply must contain only the final answer',
  'buried-answer': 'ask for the final answer alone, or on a clearly labelled last line',
  'no-format': 'specify the exact output format',
  arithmetic: 'ask the model to work step by step and double-check each calculation',
  'no-reasoning': 'ask the model to reason step by step before answering',
  rounding: 'say how to round the final answer',
  units: 'say whether to include units',
  json: 'require a JSON object with the expected key',
  'wrong-answer': 'ask the model to reason carefully and verify the answer',
};

export function writeCritique(text: string, jsonMode = false): string {
  const prompt = findPromptUnderEdit(text) ?? '';
  const failures = parseFailures(text.replace(prompt, ''));
  const findings = findDefects(prompt, failures);
  const lines = [
    `Critique of the current prompt${failures.length ? ` (based on ${failures.length} failing example${failures.length === 1 ? '' : 's'})` : ''}:`,
  ];
  findings.forEach((f, i) => lines.push(`${i + 1}. ${DEFECT_TEXT[f.defect](f, failures.length)}`));
  if (findings.length === 0) lines.push('1. No clear defect is visible; the failures may come from ambiguous questions.');
  const fixes = [...new Set(findings.map((f) => FIX_TEXT[f.defect]))];
  if (fixes.length) lines.push(`Suggested fixes: ${fixes.join('; ')}.`);
  const critique = lines.join('\n');
  const request = text.replace(prompt, '');
  if (jsonMode || /\b(respond|reply|answer|return|output|format)\b[^.\n]{0,40}\bjson\b/i.test(request)) {
    return JSON.stringify({ critique, defects: findings.map((f) => f.defect) });
  }
  const tag = /\b(?:between|inside|within|in|wrapped in|enclosed in)\s+(?:the\s+)?<([A-Za-z_][\w-]*)>/i.exec(request)?.[1];
  return tag ? `<${tag}>\n${critique}\n</${tag}>` : critique;
}

// The catalogue of instruction snippets. None contains braces, so templates formatted with
// str.format or {{mustache}} stay valid.
type Need = 'format' | 'reasoning' | 'rounding' | 'units' | 'json';
const STRONG: Record<Exclude<Need, 'json' | 'rounding'>, string[]> = {
  reasoning: [
    'Think step by step and show your work before giving the final answer.',
    'Work through the problem one step at a time, writing out each calculation.',
    'Break the problem into steps and solve each step explicitly, in order.',
    'Show your work: list every intermediate calculation before you answer.',
  ],
  format: [
    'Answer with only the final number, no other text.',
    'Respond with just the number and nothing else.',
    'Give only the numeric answer, without units or explanation.',
    'End your response with a final line of the form `Answer: <number>`.',
  ],
  units: ['Do not include units in the answer.', 'Include the units in your answer.'],
};
const VERIFY = ['Double-check your arithmetic before answering.', 'Verify each calculation before you give the final answer.'];
const VAGUE = ['Be careful with the math.', 'Think carefully before answering.', 'Keep your answer short.', 'Make sure the answer is correct.'];

function needsFromCritique(critique: string): Need[] {
  const needs: Need[] = [];
  if (
    /extra text|verbose|chatty|buried|extraneous|output format|answer format|format (is )?(not )?specified|only the (final )?(number|answer)|parse|exact match/i.test(
      critique,
    )
  )
    needs.push('format');
  if (/arithmetic|calculation|step[- ]by[- ]step|reason|miscalculat|(wrong|incorrect) (answer|number|result|value)s?|drops? (a )?step|hurried/i.test(critique))
    needs.push('reasoning');
  if (/\bround|decimal/i.test(critique)) needs.push('rounding');
  if (/\bunits?\b/i.test(critique)) needs.push('units');
  if (/\bjson\b/i.test(critique)) needs.push('json');
  return needs;
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

/** One edited child of `prompt`; `key` makes children of one request differ from each other. */
export function editPrompt(
  prompt: string,
  needs: Need[],
  expectedShape: { decimals: number | null; jsonKey: string | null; answerLine: boolean },
  key: string,
): string {
  const roll = unitHash(`outcome|${key}`);
  if (roll < 0.1) return prompt;
  const snippets: string[] = [];
  let base = prompt;
  if (roll < 0.22) {
    // A worse child: vague advice, and a recognised instruction lost in the rewrite.
    snippets.push(pick(VAGUE, `vague|${key}`));
    base = dropOneInstruction(prompt, key);
  } else {
    const chosen = roll < 0.4 && needs.length > 1 ? [pick(needs, `one|${key}`)] : needs;
    for (const need of chosen) {
      if (need === 'format') {
        if (expectedShape.jsonKey) snippets.push(`Respond in JSON with a single key "${expectedShape.jsonKey}".`);
        else if (expectedShape.answerLine) snippets.push('End your response with a final line of the form `Answer: <number>`.');
        else snippets.push(pick(STRONG.format, `format|${key}`));
      } else if (need === 'reasoning') {
        snippets.push(pick(STRONG.reasoning, `reasoning|${key}`));
        if (hash32(`verify|${key}`) % 2 === 0) snippets.push(pick(VERIFY, `verify-text|${key}`));
      } else if (need === 'rounding') {
        const d = expectedShape.decimals ?? 2;
        snippets.push(d === 0 ? 'Round the final answer to the nearest whole number.' : `Round the final answer to ${d} decimal places.`);
      } else if (need === 'units') snippets.push(pick(STRONG.units, `units|${key}`));
      else if (need === 'json') snippets.push(`Respond in JSON with a single key "${expectedShape.jsonKey ?? 'answer'}".`);
    }
    if (snippets.length === 0) snippets.push(pick(VERIFY, `verify-only|${key}`));
  }
  const fresh = snippets.filter((s) => !base.includes(s));
  return insertSnippets(base, fresh, key);
}

function dropOneInstruction(prompt: string, key: string): string {
  const lines = prompt.split('\n');
  const candidates = lines.map((line, i) => ({ line, i })).filter(({ line }) => line.trim() && placeholders(line).length === 0 && isDirective(line));
  if (candidates.length === 0) return prompt;
  const victim = pick(candidates, `drop|${key}`);
  return lines.filter((_, i) => i !== victim.i).join('\n');
}

function isDirective(line: string): boolean {
  const d = parseDirectives(line);
  return d.format.kind !== 'free' || d.reasoning !== 'none' || d.decimals !== null || d.units !== null;
}

function insertSnippets(prompt: string, snippets: string[], key: string): string {
  if (snippets.length === 0) return prompt;
  const block = snippets.join(' ');
  const where = hash32(`where|${key}`) % 3;
  const lines = prompt.split('\n');
  const firstPlaceholderLine = lines.findIndex((l) => placeholders(l).length > 0);
  if (where === 0) return `${block}\n\n${prompt}`;
  if (where === 1 && firstPlaceholderLine > 0) {
    return [...lines.slice(0, firstPlaceholderLine), block, ...lines.slice(firstPlaceholderLine)].join('\n');
  }
  return `${prompt.replace(/\s+$/, '')}\n\n${block}`;
}

const COUNT_WORDS: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10 };

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
  const critique = critiqueIn(request);
  const failures = parseFailures(request.replace(critique, ''));
  let needs = needsFromCritique(critique);
  if (needs.length === 0) {
    const findings = findDefects(prompt, failures);
    needs = needsFromCritique(findings.map((f) => DEFECT_TEXT[f.defect](f, failures.length)).join('\n'));
  }
  // Fixing what the prompt already does well changes nothing; prefer what it lacks.
  const d = parseDirectives(prompt);
  needs = needs.filter((n) => !(n === 'format' && d.format.kind !== 'free') && !(n === 'reasoning' && d.reasoning === 'stepwise'));
  const expected = failures.map((f) => f.expected ?? '').filter(Boolean);
  const decimals = Math.max(-1, ...expected.filter(isNumeric).map((e) => (e.split('.')[1] ?? '').length));
  const jsonKey = expected.map((e) => /^\s*\{\s*"(\w+)"/.exec(e)?.[1]).find(Boolean) ?? null;
  const shape = { decimals: decimals >= 0 ? decimals : null, jsonKey, answerLine: expected.some((e) => /^answer\s*:/i.test(e)) };

  const countMatch =
    /\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:[\w-]+\s+){0,3}?(?:prompts|variants|versions|candidates|rewrites|edits|alternatives|options|children)\b/i.exec(
      request,
    );
  const count = Math.min(10, Math.max(1, countMatch ? (COUNT_WORDS[countMatch[1]!.toLowerCase()] ?? Number(countMatch[1])) : 1));
  const base = `${hash32(prompt)}|${hash32(critique)}|${opts.salt}`;
  const children: string[] = [];
  for (let i = 0; i < count; i++) {
    children.push(ensurePlaceholders(prompt, editPrompt(prompt, needs, shape, `${base}|${opts.variant * count + i}`)));
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
    /\b(return|output|give|reply with)( only| just)? (only |just )?the (new|revised|improved|edited|rewritten|updated) (prompt|template)|\bno other text\b|\bnothing else\b/i.test(
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
