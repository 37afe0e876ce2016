// The LLM-judge role: grade a candidate answer against a reference (and rubric), and report the
// score on the scale and in the format the request asks for.

import { parseDirectives } from './instructions.js';
import { numbersIn } from './prompt-analysis.js';

const GRADE_VERB =
  /\b(grade|score|judge|evaluate|assess)\b|\b(rate|mark) (the|this|that|each)\b|\byou are an? (strict |fair |impartial )?(grader|judge|evaluator|examiner)\b/i;
const HAS_REFERENCE = /\b(rubric|reference|expected|correct answer|ground truth|gold)\b/i;

export function isJudgeRequest(text: string): boolean {
  return GRADE_VERB.test(text) && HAS_REFERENCE.test(text) && findCandidate(text) !== null;
}

function tagged(text: string, tags: string[]): string | null {
  for (const tag of tags) {
    const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'i').exec(text);
    if (m?.[1]?.trim()) return m[1].trim();
  }
  return null;
}

function labelled(text: string, label: RegExp): string | null {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = label.exec(lines[i] ?? '');
    if (!m) continue;
    const parts = [(m[m.length - 1] ?? '').trim()];
    // Multi-line values run until the next "Label:" line.
    for (let j = i + 1; j < lines.length && !/^\s*[A-Z][\w ]{0,30}:/.test(lines[j] ?? ''); j++) parts.push(lines[j] ?? '');
    const value = parts.join('\n').trim();
    if (value) return value;
  }
  return null;
}

function findReference(text: string): string | null {
  return (
    tagged(text, ['reference', 'reference_answer', 'expected', 'expected_answer', 'gold', 'ground_truth', 'correct_answer']) ??
    labelled(
      text,
      /^\s*(?:[-*]\s*)?(?:the\s+)?(?:reference(?: answer)?|expected(?: answer| output)?|correct answer|ground truth|gold(?: answer)?)\s*:\s*(.*)$/i,
    )
  );
}

function findCandidate(text: string): string | null {
  return (
    tagged(text, ['answer', 'response', 'candidate', 'candidate_answer', 'submission', 'model_answer', 'output', 'prediction']) ??
    labelled(
      text,
      /^\s*(?:[-*]\s*)?(?:the\s+)?(?:candidate|model|student|agent|assistant|submitted|predicted|generated)?\s*(?:answer|response|output|submission|prediction)(?: to (?:grade|evaluate|judge))?\s*:\s*(.*)$/i,
    )
  );
}

interface Scale {
  kind: 'range' | 'labels';
  lo: number;
  hi: number;
  labels?: [string, string];
}

function findScale(text: string): Scale {
  const t = text.toLowerCase();
  const range = /(?:from|between|on a scale of|scale of|scale from|score of)\s*(-?\d+(?:\.\d+)?)\s*(?:to|-|–|and)\s*(\d+(?:\.\d+)?)/.exec(t);
  if (range) return { kind: 'range', lo: Number(range[1]), hi: Number(range[2]) };
  const outOf = /out of (\d+)/.exec(t);
  if (outOf) return { kind: 'range', lo: 0, hi: Number(outOf[1]) };
  if (/\bpass\s*(\/|or)\s*fail\b/.test(t)) return { kind: 'labels', lo: 0, hi: 1, labels: ['FAIL', 'PASS'] };
  if (/\byes\s*(\/|or)\s*no\b/.test(t)) return { kind: 'labels', lo: 0, hi: 1, labels: ['NO', 'YES'] };
  if (/\bcorrect\s*(\/|or)\s*incorrect\b/.test(t)) return { kind: 'labels', lo: 0, hi: 1, labels: ['INCORRECT', 'CORRECT'] };
  return { kind: 'range', lo: 0, hi: 1 };
}

/** 0..1: how well the candidate matches the reference. */
function grade(candidate: string, reference: string, strict: boolean): { fraction: number; why: string } {
  const refNums = numbersIn(reference);
  const candNums = numbersIn(candidate);
  const norm = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9.]+/g, ' ')
      .trim();
  if (norm(candidate) === norm(reference)) return { fraction: 1, why: 'The answer matches the reference exactly.' };
  if (refNums.length === 1 && /^\s*\$?-?[\d,.]+\s*\w*\s*$/.test(reference)) {
    const want = refNums[0] as number;
    const last = candNums[candNums.length - 1];
    if (last !== undefined && Math.abs(last - want) < 1e-6) {
      return strict
        ? { fraction: 0.8, why: `The final value ${want} is correct, but the answer contains extra text.` }
        : { fraction: 1, why: `The final value ${want} matches the reference.` };
    }
    if (candNums.some((n) => Math.abs(n - want) < 1e-6)) {
      return { fraction: strict ? 0.3 : 0.5, why: `The reference value ${want} appears, but it is not the final value stated.` };
    }
    return { fraction: 0, why: `The answer ${last ?? '(none)'} does not match the reference value ${want}.` };
  }
  if (norm(candidate).includes(norm(reference))) return { fraction: strict ? 0.7 : 0.9, why: 'The answer contains the reference answer.' };
  const refWords = new Set(
    norm(reference)
      .split(' ')
      .filter((w) => w.length > 2),
  );
  const overlap = norm(candidate)
    .split(' ')
    .filter((w) => refWords.has(w)).length;
  const fraction = refWords.size ? Math.min(1, overlap / refWords.size) * 0.6 : 0;
  return { fraction, why: fraction > 0 ? 'The answer partially overlaps with the reference.' : 'The answer does not match the reference.' };
}

export function writeJudgement(text: string, jsonMode: boolean): string {
  const reference = findReference(text) ?? '';
  const candidate = findCandidate(text) ?? '';
  const strict = /\bexact(ly)?\b|\bonly the (final )?(number|answer)\b|\bstrict(ly)?\b|\bformat\b/i.test(text);
  const { fraction, why } = grade(candidate, reference, strict);
  const scale = findScale(text);
  let score: number | string;
  if (scale.kind === 'labels' && scale.labels) score = fraction >= 0.75 ? scale.labels[1] : scale.labels[0];
  else {
    const raw = scale.lo + fraction * (scale.hi - scale.lo);
    const integral = Number.isInteger(scale.lo) && Number.isInteger(scale.hi) && scale.hi - scale.lo >= 2;
    score = integral ? Math.round(raw) : Number(raw.toFixed(2));
  }
  const d = parseDirectives(text);
  const f = d.format;
  if (jsonMode || f.kind === 'json') {
    const key = f.kind === 'json' && f.key ? f.key : 'score';
    const obj: Record<string, unknown> = {};
    const explanationKey = /["'`](explanation|reasoning|rationale|justification|feedback)["'`]/i.exec(text)?.[1] ?? 'explanation';
    obj[explanationKey] = why;
    obj[key] = score;
    return JSON.stringify(obj);
  }
  const bareLabel = scale.kind === 'labels' && /\bonly\b|\bjust\b|\bsingle word\b|\bone word\b/i.test(text);
  if (bareLabel || f.kind === 'number-only' || /\b(only|just) (the )?(score|grade|rating)\b|\b(score|grade|rating) only\b/i.test(text)) return String(score);
  const label = /\b(score|grade|rating|verdict)\s*:\s*(?:<|\[|\d|x\b)/i.exec(text)?.[1] ?? 'Score';
  return `${label}: ${score}\nExplanation: ${why}`;
}
