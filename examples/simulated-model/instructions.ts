// The instruction parser: what the prompt asks for, read from system/developer/user text.
// This is where prompt quality becomes measurable. Each behaviour is switched on by several
// paraphrases (case-insensitive), and a negation just before a phrase ("do not show your work")
// switches it off, so a prompt optimizer has to write real instructions, not magic words.

export type ReasoningLevel = 'none' | 'careful' | 'verify' | 'stepwise';

export type AnswerFormat =
  | { kind: 'free' }
  | { kind: 'number-only' }
  | { kind: 'labelled-line'; label: string }
  | { kind: 'json'; key: string | null; extraKeys: string[] }
  | { kind: 'boxed' };

export interface Directives {
  /** The strongest reasoning instruction found; decides how often multi-step arithmetic goes wrong. */
  reasoning: ReasoningLevel;
  /** Whether verification was asked for in addition to the strongest level. */
  verify: boolean;
  /** Print the steps (step-by-step / show your work), unless the format forbids extra text. */
  showWork: boolean;
  format: AnswerFormat;
  units: 'include' | 'omit' | null;
  decimals: number | null;
  concise: boolean;
  polite: boolean;
  language: 'en' | 'fr' | 'es' | 'de';
}

const NEGATION = /\b(not|don't|dont|do not|never|no need to|avoid|without|stop)\b[^.!?\n]{0,20}$/i;

/** Sentences, so a negation only reaches the phrase it belongs to. */
function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** True when one of the patterns occurs in a sentence without a negation right before it. */
function affirmed(sentenceList: string[], patterns: RegExp[]): boolean {
  return sentenceList.some((s) =>
    patterns.some((p) => {
      const re = new RegExp(p.source, 'gi');
      for (const m of s.matchAll(re)) {
        if (!NEGATION.test(s.slice(0, m.index))) return true;
      }
      return false;
    }),
  );
}

function negated(sentenceList: string[], patterns: RegExp[]): boolean {
  return sentenceList.some((s) =>
    patterns.some((p) => {
      const re = new RegExp(p.source, 'gi');
      for (const m of s.matchAll(re)) if (NEGATION.test(s.slice(0, m.index))) return true;
      return false;
    }),
  );
}

export const STEPWISE_PHRASES = [
  /step[- ]by[- ]step/,
  /show (all )?(of )?(your|the) (work|working|steps|reasoning|calculations?|math)/,
  /(explain|walk through|lay out|write out|list|describe) (all )?(your|the|each|every) (reasoning|steps?|calculations?|intermediate (steps|results))/,
  /one step at a time/,
  /break (the problem|the question|it|this) (down )?into (smaller |simple |separate )?steps/,
  /chain[- ]of[- ]thought/,
  /(think|reason|work) (it |this )?through (each|every|all the|the) (step|steps|calculation|calculations)/,
  /(solve|work through) (each|every) (step|part|calculation) (explicitly|in order|separately)/,
  /intermediate (steps|results|calculations)/,
];

export const VERIFY_PHRASES = [
  /double[- ]check/,
  /(verify|check|re-?check|validate|confirm) (all |each |every |your |the )*(arithmetic|math|calculations?|computations?|answers?|results?|work|steps)/,
  /re-?calculate|recompute/,
];

export const CAREFUL_PHRASES = [
  /\bbe careful\b/,
  /\bcarefully\b/,
  /pay (close )?attention/,
  /think (hard|carefully|before answering)/,
  /take your time/,
  /make sure (that )?(the |your )?(answer|result|math) is (correct|right|accurate)/,
  /you are an? (expert|skilled|careful|meticulous|precise|excellent) (mathematician|math|maths|tutor|teacher|solver|problem solver|calculator)/,
];

export const NUMBER_ONLY_PHRASES = [
  /(answer|respond|reply|output|return|give|provide|write|print|state)( back)? (with )?(only|just|solely) (the |a |your )?(final )?(numeric(al)? )?(number|value|integer|answer|result)/,
  /(only|just) (the |a )?(final )?(numeric(al)? )?(number|value|integer)\b/,
  /(number|numeric answer|numerical answer|value) only\b/,
  /(output|return|respond with|reply with|answer with|give) (a single|one single|one|a bare|a plain) (number|integer|value)/,
  /nothing (else )?(but|other than|except) the (final )?(number|answer|value)/,
  /(no|without( any)?) (explanations?|extra text|other text|additional text|words|commentary|prose|reasoning)\b/,
  /(do not|don't|never) (include|add|give|write|provide|output)( any)? (explanations?|extra text|other text|additional text|commentary|words|reasoning)/,
];

const INCLUDE_UNITS = [
  /(include|with|state|add|give|keep|use) (the )?(appropriate |correct |proper |relevant )?units?\b/,
  /units? (in|with) (your|the) answer/,
];
const OMIT_UNITS = [/(no|without|omit|exclude|drop|leave out) (the |any )?units?\b/, /(do not|don't) (include|add|write|give) (the |any )?units?\b/];
const CONCISE = [/\b(concise|brief|briefly|succinct|terse|short answer|keep it short|keep (your|the) answer short|one sentence)\b/];
const POLITE = [/\b(polite|politely|friendly|courteous|warm|kind and)\b/];

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
    /(after|prefix(ed)?( it| the answer| your answer)? with|preceded by|starting with|begin(ning)? with|line (that )?(starts|begins) with)\s*["'`]((final )?answer|result|solution)\s*:["'`]/i.exec(
      text,
    );
  if (after?.[4]) return after[4];
  return null;
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

export function parseDirectives(text: string): Directives {
  const s = sentences(text.toLowerCase());
  const stepwise = affirmed(s, STEPWISE_PHRASES);
  const verify = affirmed(s, VERIFY_PHRASES);
  const careful = affirmed(s, CAREFUL_PHRASES);
  const reasoning: ReasoningLevel = stepwise ? 'stepwise' : verify ? 'verify' : careful ? 'careful' : 'none';

  let format: AnswerFormat = { kind: 'free' };
  const label = findLabelledLine(text);
  const json = findJsonFormat(text);
  if (/\\boxed/.test(text)) format = { kind: 'boxed' };
  else if (json) format = json;
  else if (label) format = { kind: 'labelled-line', label };
  else if (affirmed(s, NUMBER_ONLY_PHRASES)) format = { kind: 'number-only' };

  const showWork = stepwise && !negated(s, STEPWISE_PHRASES);
  let units: Directives['units'] = null;
  if (affirmed(s, OMIT_UNITS) || negated(s, INCLUDE_UNITS)) units = 'omit';
  else if (affirmed(s, INCLUDE_UNITS)) units = 'include';

  let language: Directives['language'] = 'en';
  for (const [re, lang] of LANGUAGES) if (re.test(text)) language = lang;

  return {
    reasoning,
    verify,
    showWork,
    format,
    units,
    decimals: findDecimals(text),
    concise: affirmed(s, CONCISE),
    polite: affirmed(s, POLITE),
    language,
  };
}

/** Sentences that are instructions rather than task content; the solvers skip them. */
export function isInstructionSentence(sentence: string): boolean {
  const s = sentence.toLowerCase().trim();
  if (/\?\s*$/.test(s) && /\b(how|what|which|who|when|where)\b/.test(s)) return false;
  const all = [...STEPWISE_PHRASES, ...VERIFY_PHRASES, ...CAREFUL_PHRASES, ...NUMBER_ONLY_PHRASES, ...INCLUDE_UNITS, ...OMIT_UNITS, ...CONCISE, ...POLITE];
  if (all.some((p) => new RegExp(p.source, 'i').test(s))) return true;
  if (findLabelledLine(sentence) || findDecimals(s) !== null || findJsonFormat(sentence)) return true;
  // Imperative openers mark instructions only when the sentence carries no quantities of its own.
  if (/\d/.test(s)) return false;
  return /^(please |you must |always |never |make sure |ensure |remember |note:|do not |don't )?(answer|respond|reply|return|output|format|round|use|include|end|begin|start|think|solve|show|explain|write|give|provide|keep|be|you are|your task|remember|make sure|ensure|never|always|note)\b/.test(
    s,
  );
}
