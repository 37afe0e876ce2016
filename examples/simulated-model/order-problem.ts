// The SIMULATED model's reading of order-desk questions: line items with unit prices ("4 notebooks
// at $3.25 each"), flat fees, packing into boxes ("each box holds 12 mugs, how many boxes"), and
// job durations ("each pallet takes 2 hours to pack, loading takes 1.5 hours more"). It computes in
// the question's own units and applies a shop rule only when the prompt states it (ShopRules):
// cents or minutes when asked, rounding partial boxes up when told, and a bulk discount whose
// threshold and percent come from the prompt. Untold, it rounds box counts to the nearest whole
// number, as a hurried reader does.

import type { ShopRules } from './shop-rules.js';
import { apply, type Op, type Operand, type Solution, type Step } from './word-problem.js';

export interface Rounding {
  how: 'up' | 'nearest';
  from: number;
  to: number;
  noun: string;
}

export interface OrderSolution extends Solution {
  kind: 'order-total' | 'boxes' | 'duration';
  /** Box counts end with a rounding of the last step's result. */
  rounding?: Rounding;
}

const NUMBER = String.raw`(\d+(?:\.\d+)?)`;
const LINE_ITEM = new RegExp(
  String.raw`\b(\d+)\s+(?:more\s+)?([a-z][a-z-]*(?:\s+[a-z][a-z-]*){0,2}?)\s+(?:at|for|priced at|costing|that cost|which cost)\s+\$${NUMBER}\s*(?:each|apiece|a piece|per (?:unit|item|piece|[a-z]+))?`,
  'g',
);
const FEE = new RegExp(
  String.raw`(?:\$${NUMBER}\s+(?:flat\s+)?(?:shipping|delivery|handling|service)(?:\s+(?:fee|charge))?)|(?:(?:shipping|delivery|handling|service)(?:\s+(?:fee|charge))?\s+(?:is|of|costs?|adds)\s+(?:a flat\s+|another\s+)?\$${NUMBER})`,
  'g',
);

function recorder(steps: Step[]) {
  return (op: Op, left: Operand, right: Operand): Operand => {
    const result = apply(op, left.value, right.value);
    steps.push({ op, left, right, result });
    return { value: result, fromStep: steps.length - 1 };
  };
}

function numbersOf(text: string): number[] {
  return (text.match(/\d+(?:\.\d+)?/g) ?? []).map(Number);
}

function orderTotal(q: string, rules: ShopRules): OrderSolution | null {
  if (!/\b(?:total|how much|cost|owe|pay|charge|bill|come to|amount due)\b/.test(q)) return null;
  const items = [...q.matchAll(LINE_ITEM)].map((m) => ({ qty: Number(m[1]), price: Number(m[3]) }));
  if (items.length === 0) return null;
  const steps: Step[] = [];
  const record = recorder(steps);
  const lines: Operand[] = [];
  for (const it of items) {
    let line = record('*', { value: it.qty }, { value: it.price });
    if (rules.discount && it.qty >= rules.discount.minQty) line = record('*', line, { value: 1 - rules.discount.percent / 100 });
    lines.push(line);
  }
  let total = lines[0] as Operand;
  for (const l of lines.slice(1)) total = record('+', total, l);
  for (const m of q.matchAll(FEE)) total = record('+', total, { value: Number(m[1] ?? m[2]) });
  const cents = rules.money === 'cents';
  if (cents) total = record('*', total, { value: 100 });
  return {
    kind: 'order-total',
    steps,
    answer: roundMoney(total.value, cents),
    quantities: numbersOf(q),
    unit: cents ? 'cents' : null,
    money: !cents,
  };
}

/** Money carries floating-point dust (0.1 + 0.2); a clerk writes cents exactly. */
function roundMoney(v: number, cents: boolean): number {
  return cents ? Math.round(v * 1e6) / 1e6 : Math.round(v * 1e8) / 1e8;
}

const CONTAINER = String.raw`(?:box|boxes|carton|cartons|crate|crates|case|cases|package|packages|bin|bins)`;

function boxes(q: string, rules: ShopRules): OrderSolution | null {
  const ask = new RegExp(String.raw`\bhow many\s+(?:\w+\s+)?(${CONTAINER})\b`).exec(q);
  if (!ask) return null;
  const perBox =
    new RegExp(String.raw`\b(?:each|every|one|a|per)\s+(?:\w+\s+)?${CONTAINER}\s+(?:holds|fits|takes|contains|can hold|has room for|carries)\s+(\d+)`).exec(
      q,
    ) ??
    new RegExp(String.raw`\b(\d+)\s+(?:\w+\s+){0,2}(?:fit|go|are packed|are packaged)\s+(?:in|into)\s+(?:each|one|a|every)\s+(?:\w+\s+)?${CONTAINER}`).exec(
      q,
    ) ??
    new RegExp(String.raw`\b${CONTAINER}\s+(?:of|holding)\s+(\d+)\b`).exec(q);
  if (!perBox?.[1]) return null;
  const cap = Number(perBox[1]);
  const before = q.slice(0, perBox.index);
  const sets = /\b(\d+)\s+(?:sets|packs|bundles|dozen|rolls|sleeves|kits)\s+of\s+(\d+)\b/.exec(before);
  const single = /\b(?:orders?|ordered|wants|needs|buys|requests|ships?|sends?)\s+(\d+)\b/.exec(before) ?? /\b(\d+)\b/.exec(before);
  const steps: Step[] = [];
  const record = recorder(steps);
  let count: Operand;
  if (sets) count = record('*', { value: Number(sets[1]) }, { value: Number(sets[2]) });
  else if (single?.[1]) count = { value: Number(single[1]) };
  else return null;
  const extra = /\bplus\s+(\d+)\s+(?:spare|extra|more|loose)\b|\b(\d+)\s+(?:spare|extra|more)\s+(?:\w+\s+)?(?:for|as)\b/.exec(before);
  if (extra) count = record('+', count, { value: Number(extra[1] ?? extra[2]) });
  const exact = record('/', count, { value: cap });
  const how: Rounding['how'] = rules.roundUp ? 'up' : 'nearest';
  const to = how === 'up' ? Math.ceil(exact.value - 1e-9) : Math.round(exact.value);
  const noun = ask[1] ?? 'boxes';
  return { kind: 'boxes', steps, answer: to, quantities: numbersOf(q), unit: noun, money: false, rounding: { how, from: exact.value, to, noun } };
}

function duration(q: string, rules: ShopRules): OrderSolution | null {
  if (!/\bhow long\b|\bhow much time\b|\bhow many hours\b/.test(q)) return null;
  const per = new RegExp(
    String.raw`\b(?:each|every|one|a|per)\s+([a-z]+)\s+(?:takes|needs|requires|is)\s+${NUMBER}\s+hours?|\b${NUMBER}\s+hours?\s+(?:per|for each|each|a)\s+([a-z]+)`,
  ).exec(q);
  if (!per) return null;
  const hoursEach = Number(per[2] ?? per[3]);
  const noun = (per[1] ?? per[4] ?? '').replace(/s$/, '');
  const count = new RegExp(String.raw`\b(\d+)\s+${noun}s?\b`).exec(q);
  if (!count) return null;
  const steps: Step[] = [];
  const record = recorder(steps);
  let total = record('*', { value: Number(count[1]) }, { value: hoursEach });
  const rest = q.slice(0, per.index) + q.slice(per.index + per[0].length);
  for (const m of rest.matchAll(new RegExp(String.raw`\b${NUMBER}\s+(?:more\s+)?hours?\b`, 'g'))) total = record('+', total, { value: Number(m[1]) });
  const minutes = rules.time === 'minutes';
  if (minutes) total = record('*', total, { value: 60 });
  return { kind: 'duration', steps, answer: total.value, quantities: numbersOf(q), unit: minutes ? 'minutes' : 'hours', money: false };
}

/** An order-desk question solved under the shop rules the prompt stated, or null for other questions. */
export function solveOrderProblem(question: string, rules: ShopRules): OrderSolution | null {
  const q = question.toLowerCase();
  return boxes(q, rules) ?? orderTotal(q, rules) ?? duration(q, rules);
}
