// Turns a result into the text the SIMULATED model writes, obeying the format the prompt asked for
// and, where the prompt is silent, answering the way chat models do: a friendly sentence with the
// number somewhere inside, sometimes followed by other numbers from the question. That is the
// failure a prompt optimizer has to discover and fix. The working written here is the working the
// slip model (slips.ts) credits: full steps, a squeezed single line, or none.

import { pick } from './hash.js';
import type { Directives } from './instructions.js';
import type { Rounding } from './order-problem.js';
import { OP_SYMBOL, type Step } from './word-problem.js';

export interface NumericResult {
  value: number;
  unit: string | null;
  money: boolean;
  /** The computation, as shown when the prompt asks for the work. */
  steps: Step[];
  /** Numbers from the question; chatty answers mention some of them. */
  quantities: number[];
  /** For plain expressions: "12 * (3 + 4)". */
  expression?: string;
  /** A count that ends by rounding the last step's result (boxes needed). */
  rounding?: Rounding;
}

export function formatNumber(value: number, decimals: number | null): string {
  if (!Number.isFinite(value)) return 'undefined';
  if (decimals !== null) {
    const rounded = Number(value.toFixed(decimals));
    return Number.isInteger(rounded) ? String(rounded) : rounded.toFixed(decimals);
  }
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(12)));
}

function withUnit(n: string, r: NumericResult, d: Directives): string {
  if (r.money) return `$${n}`;
  // The counted noun comes from the English question; other languages get the bare number.
  return r.unit && d.language === 'en' ? `${n} ${r.unit}` : n;
}

function stepLines(r: NumericResult, d: Directives): string[] {
  const fmt = (v: number) => formatNumber(v, null);
  const lines =
    r.steps.length > 0
      ? r.steps.map((s, i) => `Step ${i + 1}: ${fmt(s.left.value)} ${OP_SYMBOL[s.op]} ${fmt(s.right.value)} = ${fmt(s.result)}`)
      : r.expression
        ? [`Step 1: ${r.expression} = ${fmt(r.value)}`]
        : [`Step 1: the quantity asked for is ${fmt(r.value)}`];
  if (r.rounding) {
    const how = r.rounding.how === 'up' ? 'rounded up' : 'rounded to the nearest whole number';
    lines.push(`Step ${lines.length + 1}: ${fmt(Number(r.rounding.from.toFixed(4)))} ${r.rounding.noun}, ${how}, is ${fmt(r.rounding.to)} ${r.rounding.noun}`);
  }
  const last = r.steps[r.steps.length - 1];
  if (d.verify && last) {
    const inverse: Record<string, string> = { '+': '-', '-': '+', '*': '÷', '/': '×' };
    lines.push(`Check: ${fmt(last.result)} ${inverse[last.op]} ${fmt(last.right.value)} = ${fmt(last.left.value)}, so the arithmetic is consistent.`);
  }
  return lines;
}

const CHATTY_EN: ((v: string, r: NumericResult) => string)[] = [
  (v) => `Great question! After working through it, I get ${v}. Let me know if you need anything else!`,
  (v, r) => `Sure! The answer is ${v}, based on the ${mention(r, 0)} and the ${mention(r, -1)} mentioned in the problem.`,
  (v, r) =>
    `Looking at the numbers ${r.quantities
      .slice(0, 3)
      .map((q) => formatNumber(q, null))
      .join(', ')}, the result comes out to ${v}.`,
  (v, r) => `I believe it works out to ${v} in the end, once you account for the ${mention(r, -1)} from the last part of the question.`,
  (v) => `That would be ${v}.`,
  (v, r) => `Okay, so the total comes to ${v} (the problem starts from ${mention(r, 0)}).`,
];
const CHATTY: Record<Directives['language'], ((v: string, r: NumericResult) => string)[]> = {
  en: CHATTY_EN,
  fr: [(v) => `La réponse est ${v}.`, (v) => `Après calcul, on obtient ${v}.`],
  es: [(v) => `La respuesta es ${v}.`, (v) => `Después de calcular, el resultado es ${v}.`],
  de: [(v) => `Die Antwort ist ${v}.`, (v) => `Nach der Rechnung ergibt sich ${v}.`],
};
const SO_THE_ANSWER: Record<Directives['language'], string> = {
  en: 'So the answer is',
  fr: 'Donc la réponse est',
  es: 'Así que la respuesta es',
  de: 'Also ist die Antwort',
};

function mention(r: NumericResult, index: number): string {
  const q = index < 0 ? r.quantities[r.quantities.length + index] : r.quantities[index];
  return q === undefined ? 'numbers' : formatNumber(q, null);
}

function politeWrap(text: string, d: Directives): string {
  return d.polite ? `Certainly! ${text}\nI hope this helps!` : text;
}

/**
 * Writes a numeric answer. `styleKey` picks the chatty phrasing (a hash of the prompt), so a
 * given prompt always gets the same wording but different prompts get different ones.
 */
/** The one line of working a reply squeezes in when told both to show it and to give only the number. */
function squeezed(r: NumericResult, spoken: string): string {
  const fmt = (v: number) => formatNumber(v, null);
  const last = r.steps[r.steps.length - 1];
  const eq = last ? `${fmt(last.left.value)} ${OP_SYMBOL[last.op]} ${fmt(last.right.value)} = ${fmt(last.result)}` : (r.expression ?? '');
  return eq ? `${eq}, so ${spoken}.` : `${spoken}.`;
}

export function writeNumericAnswer(r: NumericResult, d: Directives, styleKey: string): string {
  const bare = formatNumber(r.value, d.decimals);
  const unitWanted = d.units === 'include';
  const plain = unitWanted ? withUnit(bare, r, d) : bare;
  const spoken = d.units === 'omit' ? bare : withUnit(bare, r, d);
  const f = d.format;
  if (d.working === 'compressed' && f.kind !== 'json') return politeWrap(squeezed(r, spoken), d);
  switch (f.kind) {
    case 'final-number':
      return `${d.showWork ? stepLines(r, d).join('\n') + '\n' : ''}${plain}`;
    case 'number-only':
      return plain;
    case 'labelled-line': {
      const body = d.showWork ? stepLines(r, d).join('\n') : `${SO_THE_ANSWER[d.language]} ${spoken}.`;
      return politeWrap(`${body}\n${f.label}: ${plain}`, d);
    }
    case 'boxed': {
      const body = d.showWork ? stepLines(r, d).join('\n') + '\n' : '';
      return `${body}The final answer is \\boxed{${plain}}.`;
    }
    case 'json': {
      const obj: Record<string, unknown> = {};
      for (const k of f.extraKeys) obj[k] = stepLines(r, d).join('; ');
      obj[f.key ?? 'answer'] = unitWanted ? plain : Number(bare);
      return JSON.stringify(obj);
    }
    case 'free': {
      if (d.showWork) {
        return politeWrap(`Let's work through it step by step.\n${stepLines(r, d).join('\n')}\n${SO_THE_ANSWER[d.language]} ${spoken}.`, d);
      }
      if (d.concise) return politeWrap(`${SO_THE_ANSWER[d.language]} ${spoken}.`, d);
      // Phrasings that cite the question's numbers need some to cite.
      const phrasings = r.quantities.length >= 2 ? CHATTY[d.language] : CHATTY[d.language].filter((_, i) => d.language !== 'en' || i === 0 || i === 4);
      return politeWrap(pick(phrasings, `chatty|${styleKey}`)(spoken, r), d);
    }
  }
}

/** Writes a non-numeric answer ("Paris", a tool's weather report) under the same directives. */
export function writeTextAnswer(short: string, sentence: string, d: Directives): string {
  const f = d.format;
  switch (f.kind) {
    case 'number-only':
    case 'final-number':
      return short;
    case 'labelled-line':
      return politeWrap(`${sentence}\n${f.label}: ${short}`, d);
    case 'boxed':
      return `${sentence} \\boxed{${short}}`;
    case 'json':
      return JSON.stringify({ [f.key ?? 'answer']: short });
    case 'free':
      return politeWrap(d.concise ? short : sentence, d);
  }
}
