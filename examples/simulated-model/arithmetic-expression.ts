// Plain arithmetic ("What is 12 * (3 + 4)?", "15 divided by 3"): a small recursive-descent
// evaluator, never eval(), because the input is whatever a client sends. It records the binary
// steps it performs, so an expression can be shown worked out or sent to a calculator tool.

import type { Op, Operand, Step } from './word-problem.js';

export interface Expression {
  text: string;
  value: number;
  steps: Step[];
}

const WORD_OPS: [RegExp, string][] = [
  [/\bmultiplied by\b/gi, '*'],
  [/\bdivided by\b/gi, '/'],
  [/\bplus\b/gi, '+'],
  [/\bminus\b/gi, '-'],
  [/(\d)\s*(?:times|[x×])\s*(?=[\d(])/gi, '$1 * '],
  [/÷/g, '/'],
  [/−/g, '-'],
];

/** Finds an arithmetic expression in free text, if there is one with at least one operator. */
export function findExpression(text: string): Expression | null {
  let t = text;
  for (const [re, sym] of WORD_OPS) t = t.replace(re, sym);
  let best: Expression | null = null;
  for (const m of t.matchAll(/[\d.(][\d.\s+\-*/()]*[\d.)]/g)) {
    const candidate = m[0].trim();
    if (!/\d\s*\)*\s*[+\-*/]\s*\(*\s*-?\d/.test(candidate)) continue;
    const steps: Step[] = [];
    const value = evaluate(candidate, steps);
    if (value === null) continue;
    if (!best || candidate.length > best.text.length) best = { text: candidate.replace(/\s+/g, ' '), value, steps };
  }
  return best;
}

/** Evaluates + - * / and parentheses; null when the text is not a well-formed expression. */
export function evaluate(text: string, steps: Step[] = []): number | null {
  const tokens = text.match(/\d+(?:\.\d+)?|[+\-*/()]|\S/g) ?? [];
  let pos = 0;
  const peek = () => tokens[pos];
  const combine = (op: Op, left: Operand, right: Operand): Operand => {
    const l = left.value;
    const r = right.value;
    const result = op === '+' ? l + r : op === '-' ? l - r : op === '*' ? l * r : l / r;
    steps.push({ op, left, right, result });
    return { value: result, fromStep: steps.length - 1 };
  };
  const expr = (): Operand | null => {
    let left = term();
    while (left !== null && (peek() === '+' || peek() === '-')) {
      const op = tokens[pos++] as Op;
      const right = term();
      if (right === null) return null;
      left = combine(op, left, right);
    }
    return left;
  };
  const term = (): Operand | null => {
    let left = factor();
    while (left !== null && (peek() === '*' || peek() === '/')) {
      const op = tokens[pos++] as Op;
      const right = factor();
      if (right === null || (op === '/' && right.value === 0)) return null;
      left = combine(op, left, right);
    }
    return left;
  };
  const factor = (): Operand | null => {
    const tok = tokens[pos++];
    if (tok === undefined) return null;
    if (tok === '-') {
      const v = factor();
      return v === null ? null : { value: -v.value };
    }
    if (tok === '(') {
      const v = expr();
      if (tokens[pos++] !== ')') return null;
      return v;
    }
    const n = Number(tok);
    return Number.isFinite(n) ? { value: n } : null;
  };
  const value = expr();
  return value !== null && pos === tokens.length && Number.isFinite(value.value) ? value.value : null;
}
