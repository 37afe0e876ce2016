// The instruction parser of the SIMULATED model: what the prompt asks for, read from
// system/developer/user text through the tolerant intent parser (intent-parser.ts). It also
// resolves conflicts the way a model does: asking for the work and for "only the number" cannot
// both be obeyed, so the stronger (or, at equal strength, the later) one wins and the other is
// broken; a prompt gets both only by asking for the work followed by a clearly marked final
// answer line ("Answer: <n>", \boxed{}, a JSON reasoning field, or "then give only the final
// number" on a last line of its own).

import {
  affirmedHits,
  ANSWER_ONLY_PATTERNS,
  BRIEF_PATTERNS,
  clauses,
  EXPLAIN_PATTERNS,
  hits,
  negatedHits,
  NO_WORK_PATTERNS,
  VERIFY_PATTERNS,
  WORK_PATTERNS,
  type Hit,
} from './intent-parser.js';
import { isShopRuleSentence, lastSide, parseShopRules, type ShopRules } from './shop-rules.js';

export type AnswerFormat =
  | { kind: 'free' }
  | { kind: 'number-only' }
  | { kind: 'labelled-line'; label: string }
  | { kind: 'final-number' }
  | { kind: 'json'; key: string | null; extraKeys: string[] }
  | { kind: 'boxed' };

/** How much working the reply will contain: what decides how often multi-step arithmetic slips. */
export type Working = 'full' | 'compressed' | 'none';

export interface Directives {
  /** The working the reply writes, after conflicts are resolved. */
  working: Working;
  /** Print the steps (full working). */
  showWork: boolean;
  /** Verification was asked for; a reply with full working adds a check line. */
  verify: boolean;
  /** The prompt holds instructions that cannot both be obeyed (reported by the critic too). */
  conflict: boolean;
  format: AnswerFormat;
  units: 'include' | 'omit' | null;
  decimals: number | null;
  concise: boolean;
  polite: boolean;
  language: 'en' | 'fr' | 'es' | 'de';
  shop: ShopRules;
}

const INCLUDE_UNITS = [
  /\b(?:include|with|state|add|give|keep|use|write|show|append|attach)\s+(?:the\s+)?(?:appropriate |correct |proper |relevant )?units?\b/,
  /\bunits?\s+(?:in|with|after)\s+(?:your|the)\s+(?:answer|number|result)/,
];
const OMIT_UNITS = [/\b(?:no|without|omit|omitting|exclude|drop|leave out|strip)\s+(?:the\s+|any\s+)?(?:units?|currency (?:signs?|symbols?)|dollar signs?)\b/];
const POLITE = [/\b(?:polite|politely|friendly|courteous|warm|kind and)\b/];

const LANGUAGES: [RegExp, Directives['language']][] = [
  [/\b(respond|answer|reply|write|speak)( only)? in french\b|\ben français\b/i, 'fr'],
  [/\b(respond|answer|reply|write|speak)( only)? in spanish\b|\ben español\b/i, 'es'],
  [/\b(respond|answer|reply|write|speak)( only)? in german\b|\bauf deutsch\b/i, 'de'],
];

/** `Answer: <n>`, `Final answer: X`, "after 'Result:'" and similar: returns the label to write. */
function findLabelledLine(text: string): string | null {
  const placeholder = String.raw`(?:<[^>\n]{1,30}>|\[[^\]\n]{1,30}\]|\$?\b[XxNn]\b|\.\.\.|\{\{?[^}\n]{1,30}\}?\}|your (?:final )?answer|the (?:final )?(?:number|answer))`;
  const direct = new RegExp(String.raw`([A-Za-z][A-Za-z ]{0,20}?)\s*:\s*${placeholder}`, 'g');
  for (const m of text.matchAll(direct)) {
    const label = (m[1] ?? '').trim();
    const words = label.split(/\s+/);
    const last2 = words.slice(-2).join(' ');
    const candidate = /^(final answer|the answer|answer|result|solution|final result|final)$/i.test(last2) ? last2 : (words[words.length - 1] ?? '');
    if (/^(answer|result|solution|final|final answer|final result)$/i.test(candidate)) {
      // "Reference answer: <x>" in a judge prompt is data, not a format request.
      if (/(reference|expected|correct|gold)\s*$/i.test(text.slice(0, m.index + m[0].indexOf(candidate)).trimEnd())) continue;
      return candidate.replace(/^the /i, '');
    }
  }
  const after =
    /(?:after|prefix(?:ed)?(?: it| the answer| your answer)? with|preceded by|starting with|that starts with|that begins with|begin(?:ning|s)? with|start(?:s|ing)? with|labell?ed|marked(?: with)?)\s*["'`*]*((?:final )?answer|result|solution|total)\s*:/i.exec(
      text,
    ) ?? /["'`]((?:final )?answer|result|solution)\s*:\s*["'`]?\s*(?:followed by|and then|then)\b/i.exec(text);
  if (after?.[1]) return /^[a-z]/.test(after[1]) && /\banswer\b/i.test(after[1]) ? capitalize(after[1]) : after[1];
  return null;
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Sentences, for the JSON format request. */
function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function findJsonFormat(text: string): AnswerFormat | null {
  const sentence = sentences(text).find((s) =>
    /\b(respond|reply|answer|return|output|format|formatted|write|give|provide|produce)\b[^.\n]{0,50}\bjson\b|\bjson (object|format|output|response|only)\b|\bas (a )?json\b|\bin json\b/i.test(
      s,
    ),
  );
  if (!sentence) return null;
  // Several quoted keys ("reasoning" and "answer"): the answer-like one holds the value.
  const quoted = [...sentence.matchAll(/["'`]([A-Za-z_]\w*)["'`]/g)].map((m) => m[1] as string).filter((k) => k.toLowerCase() !== 'json');
  const key =
    quoted.find((k) => /answer|result|value|output|number|total|score/i.test(k)) ??
    quoted[quoted.length - 1] ??
    /\b(?:key|field|property)\s+([A-Za-z_]\w*)\b/i.exec(sentence)?.[1] ??
    null;
  const extraKeys = quoted.filter((k) => k !== key);
  return { kind: 'json', key, extraKeys };
}

function findDecimals(text: string): number | null {
  const t = text.toLowerCase();
  if (/round(ed|ing)?\b[^.\n]{0,40}\b(nearest )?(whole number|integer)\b|nearest whole number|\bno decimals?\b/.test(t)) return 0;
  const words: Record<string, number> = { one: 1, two: 2, three: 3, four: 4 };
  const m = /\b(\d|one|two|three|four)\s+(decimal|decimal places?|decimal digits?|digits after the decimal point)\b/.exec(t);
  if (m && /round|decimal places?|precision|format|give|answer|report/.test(t)) {
    const n = m[1] ?? '';
    return words[n] ?? Number(n);
  }
  if (/nearest tenth/.test(t)) return 1;
  if (/nearest hundredth/.test(t)) return 2;
  return null;
}

const lastOf = (h: Hit[]): Hit | undefined => h[h.length - 1];

export function parseDirectives(text: string): Directives {
  const list = clauses(text);
  const work = hits(list, WORK_PATTERNS);
  const workOn = affirmedHits(work);
  const noWork = [...negatedHits(work), ...negatedHits(hits(list, EXPLAIN_PATTERNS)), ...affirmedHits(hits(list, NO_WORK_PATTERNS))].sort(
    (a, b) => a.at - b.at,
  );
  const answerOnly = affirmedHits(hits(list, ANSWER_ONLY_PATTERNS));
  const brief = affirmedHits(hits(list, BRIEF_PATTERNS));

  let format: AnswerFormat = { kind: 'free' };
  const label = findLabelledLine(text);
  const json = findJsonFormat(text);
  if (/\\boxed/.test(text)) format = { kind: 'boxed' };
  else if (json) format = json;
  else if (label) format = { kind: 'labelled-line', label };
  else if (answerOnly.length > 0 || noWork.length > 0) format = { kind: 'number-only' };

  // A marked answer leaves room for working above it; a JSON object only when it has a field for it.
  const marked = format.kind === 'labelled-line' || format.kind === 'boxed' || (format.kind === 'json' && format.extraKeys.length > 0);
  const lastWork = lastOf(workOn);
  let working: Working = lastWork ? 'full' : 'none';
  let conflict = false;
  if (lastWork) {
    let blockers = marked ? noWork : [...noWork, ...answerOnly];
    // "Work it out step by step, then give only the final number": the number gets a last line of its own.
    const sequel = answerOnly.find((h) => h.sequenced && h.sentence === lastWork.sentence && h.at > lastWork.at);
    if (!marked && sequel && !noWork.some((h) => h.at > lastWork.at)) {
      format = { kind: 'final-number' };
      blockers = noWork;
    }
    const lastBlock = lastOf(blockers);
    if (lastBlock) {
      conflict = true;
      if (lastBlock.at > lastWork.at) {
        working = 'none';
      } else {
        // The working wins, squeezed by the instruction it overrides; the bare answer is lost.
        working = 'compressed';
        if (format.kind === 'number-only') format = { kind: 'free' };
      }
    }
  }
  if (format.kind === 'json' && format.extraKeys.length === 0 && working !== 'none') working = 'none';

  const units = lastSide(list, INCLUDE_UNITS, OMIT_UNITS);
  let language: Directives['language'] = 'en';
  for (const [re, lang] of LANGUAGES) if (re.test(text)) language = lang;

  return {
    working,
    showWork: working === 'full',
    verify: affirmedHits(hits(list, VERIFY_PATTERNS)).length > 0,
    conflict,
    format,
    units: units === null ? null : units ? 'include' : 'omit',
    decimals: findDecimals(text),
    concise: brief.length > 0,
    polite: affirmedHits(hits(list, POLITE)).length > 0,
    language,
    shop: parseShopRules(text),
  };
}

const INSTRUCTION_PATTERNS = [
  ...WORK_PATTERNS,
  ...ANSWER_ONLY_PATTERNS,
  ...NO_WORK_PATTERNS,
  ...BRIEF_PATTERNS,
  ...VERIFY_PATTERNS,
  ...INCLUDE_UNITS,
  ...OMIT_UNITS,
  ...POLITE,
];

/** Sentences that are instructions rather than task content; the solvers skip them. */
export function isInstructionSentence(sentence: string): boolean {
  const s = sentence.toLowerCase().trim();
  if (/\?\s*$/.test(s) && /\b(how|what|which|who|when|where)\b/.test(s)) return false;
  if (INSTRUCTION_PATTERNS.some((p) => p.test(s))) return true;
  if (isShopRuleSentence(s)) return true;
  if (findLabelledLine(sentence) || findDecimals(s) !== null || findJsonFormat(sentence)) return true;
  // Imperative openers mark instructions only when the sentence carries no quantities of its own.
  if (/\d/.test(s)) return false;
  return /^(please |you must |always |never |make sure |ensure |remember |note:|do not |don't )?(answer|respond|reply|return|output|format|round|use|include|end|begin|start|think|solve|show|explain|write|give|provide|keep|be|you are|your task|remember|make sure|ensure|never|always|note|reason|work|finish|report|express|convert|apply|treat|count|rules?|policy)\b/.test(
    s,
  );
}
