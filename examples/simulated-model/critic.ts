// The critic of the SIMULATED optimizer role: what a prompt engineer can tell from the failures it is
// shown, and nothing else. Each failure is read for its symptom — the right number in the wrong
// shape, an answer 100 or 60 times too small (dollars for cents, hours for minutes), a box count one
// short, a total that is some percent of one line item off (a discount rule nobody stated), a
// wrong number with no working written — and the grader's explanation is read for the format it
// wants. Like a real critic it is not always right: hash-seeded, it sometimes misses a symptom
// (the discount most often, since it must be inferred from the numbers), sometimes adds a guess the
// failures do not support, and it words each point in one of several ways.

import { findExpression } from './arithmetic-expression.js';
import { hash32, pick, unitHash } from './hash.js';
import { parseDirectives } from './instructions.js';
import { solveOrderProblem } from './order-problem.js';
import { numbersIn, type FailureRecord } from './prompt-analysis.js';
import { extractQuestion } from './question.js';
import { parseShopRules } from './shop-rules.js';
import { solveWordProblem } from './word-problem.js';

export type Finding =
  | { kind: 'extra-text'; count: number; example: string }
  | { kind: 'buried-answer'; count: number }
  | { kind: 'answer-line'; count: number; label: string }
  | { kind: 'no-work'; count: number; example: string }
  | { kind: 'slip-in-work'; count: number }
  | { kind: 'units'; count: number; from: string; to: string }
  | { kind: 'round-up'; count: number; example: string }
  | { kind: 'discount'; count: number; percent: number; minQty: number }
  | { kind: 'rounding'; count: number; decimals: number }
  | { kind: 'json'; count: number }
  | { kind: 'unexplained'; count: number }
  | { kind: 'conflict' }
  | { kind: 'no-format' }
  | { kind: 'no-reasoning-asked' }
  | { kind: 'guess'; text: string };

const approx = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
const isNumeric = (s: string): boolean => /^\s*\$?-?\d[\d,]*(\.\d+)?\s*$/.test(s);
const clip = (s: string, n = 80): string => {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 3)}...` : one;
};

/** The number a reply commits to: its labelled final line when it has one, else its last number. */
function committed(output: string): number | undefined {
  const line = /(?:^|\n)\s*\**(?:final answer|answer|result)\**\s*[:=]\s*\**\s*\$?(-?[\d,]*\.?\d+)/gi;
  const labelled = [...output.matchAll(line)].pop();
  if (labelled?.[1]) return Number(labelled[1].replace(/,/g, ''));
  return numbersIn(output).pop();
}

const showsWork = (output: string): boolean => (output.match(/=/g) ?? []).length >= 2 || /\bstep\s*\d/i.test(output);

/** Line items ("12 lamps at $18 each") in an input, for checking whether a discount explains a gap. */
function lineItems(input: string): { qty: number; subtotal: number }[] {
  const re = /\b(\d+)\s+[a-z][a-z -]{0,30}?\s+(?:at|for|priced at|costing)\s+\$(\d+(?:\.\d+)?)/gi;
  return [...input.matchAll(re)].map((m) => ({ qty: Number(m[1]), subtotal: Number(m[1]) * Number(m[2]) }));
}

function expectedOf(f: FailureRecord): number | null {
  const e = (f.expected ?? '').trim();
  if (e && isNumeric(e)) return Number(e.replace(/[$,]/g, ''));
  const m = /\bexpected\s*:?\s*\$?(-?[\d,]*\.?\d+)/i.exec(f.explanation ?? '');
  return m?.[1] ? Number(m[1].replace(/,/g, '')) : null;
}

/**
 * Without an expected answer (Agent Lightning shows only the reward), the critic works the question
 * out itself: under the rules the prompt states, plus the common sense that a part-filled box is a box.
 */
function ownAnswer(input: string, prompt: string): number | null {
  const q = extractQuestion(input);
  const order = solveOrderProblem(q, { ...parseShopRules(prompt), roundUp: true });
  if (order) return order.answer;
  const expr = findExpression(q);
  if (expr) return expr.value;
  const word = solveWordProblem(q);
  return word && word.steps.length > 0 ? word.answer : null;
}

/** The final-line format the grader's explanation names ("the final 'Answer: <integer>' line"), if any. */
function labelWanted(failures: FailureRecord[]): string | null {
  for (const f of failures) {
    const m = /["'`]?\b(final answer|answer|result)\s*:\s*<?\s*(?:integer|number|n|value)\s*>?["'`]?\s+line|\b(final answer|answer)\s*:\s*line\b/i.exec(
      f.explanation ?? '',
    );
    if (m) return (m[1] ?? m[2] ?? 'Answer').replace(/^a/, 'A');
  }
  return null;
}

/** The symptoms visible in the failures (before the critic's own misses and guesses). */
export function diagnose(prompt: string, failures: FailureRecord[]): Finding[] {
  const tally = new Map<string, Finding>();
  const note = (key: string, make: () => Finding) => {
    const f = tally.get(key);
    if (f && 'count' in f) f.count++;
    else tally.set(key, make());
  };
  const label = labelWanted(failures);
  for (const f of failures) {
    const out = (f.output ?? '').trim();
    const input = f.input ?? '';
    const given = expectedOf(f);
    const want = given ?? ownAnswer(input, prompt);
    const example =
      given !== null
        ? `"${clip(out)}" where ${given} was expected`
        : `"${clip(out)}" (reward ${f.reward ?? 0}; by my count the answer is ${want ?? 'unclear'})`;
    if (f.expected?.trim().startsWith('{')) {
      try {
        JSON.parse(out);
      } catch {
        note('json', () => ({ kind: 'json', count: 1 }));
      }
      continue;
    }
    if (want === null) continue;
    const got = committed(out);
    const words = /[A-Za-z]{3,}/.test(out.replace(/\b(?:final answer|answer|result)\s*:/gi, ''));
    const hasLabel = /(?:^|\n)\s*(?:final answer|answer|result)\s*:\s*\S+\s*$/i.test(out);
    if (got !== undefined && approx(got, want)) {
      if (label && !hasLabel) note('answer-line', () => ({ kind: 'answer-line', count: 1, label }));
      else if (words && !hasLabel) note('extra-text', () => ({ kind: 'extra-text', count: 1, example }));
      else if (given === null) note('unexplained', () => ({ kind: 'unexplained', count: 1 }));
      continue;
    }
    if (got === undefined) {
      note(label ? 'answer-line' : 'extra-text', () => (label ? { kind: 'answer-line', count: 1, label } : { kind: 'extra-text', count: 1, example }));
      continue;
    }
    if (numbersIn(out).some((n) => approx(n, want))) {
      note('buried-answer', () => ({ kind: 'buried-answer', count: 1 }));
      continue;
    }
    const factors: [number, string, string][] = [
      [1, '', ''],
      [100, 'dollars', 'cents'],
      [60, 'hours', 'minutes'],
    ];
    let explained = false;
    for (const [factor, from, to] of factors) {
      const scaled = got * factor;
      if (factor > 1 && approx(scaled, want)) {
        note(`units|${to}`, () => ({ kind: 'units', count: 1, from, to }));
        explained = true;
        break;
      }
      // A gap worth a round percentage of one line item is a discount the prompt never mentioned.
      for (const item of lineItems(input)) {
        // The gap is in the expected answer's unit: dollars, or cents when the reply already converted.
        const p = [5, 10, 15, 20, 25].find((pct) => [1, 100].some((u) => approx(scaled - want, (item.subtotal * pct * u) / 100)));
        if (p !== undefined) {
          note('discount', () => ({ kind: 'discount', count: 1, percent: p, minQty: item.qty }));
          const d = tally.get('discount');
          if (d?.kind === 'discount') d.minQty = Math.min(d.minQty, item.qty);
          if (factor > 1) note(`units|${to}`, () => ({ kind: 'units', count: 1, from, to }));
          explained = true;
          break;
        }
      }
      if (explained) break;
    }
    if (explained) continue;
    if (/\bhow many\s+(?:\w+\s+)?(?:box|boxes|cartons?|crates?|cases?|packages?|bins?)\b/i.test(input) && want > got && want - got <= 1) {
      note('round-up', () => ({ kind: 'round-up', count: 1, example }));
      continue;
    }
    const decimals = (String(want).split('.')[1] ?? '').length;
    if (Math.abs(got - want) < 0.01 * Math.max(1, Math.abs(want)) && !approx(got, want)) {
      note('rounding', () => ({ kind: 'rounding', count: 1, decimals }));
      continue;
    }
    if (showsWork(out)) note('slip-in-work', () => ({ kind: 'slip-in-work', count: 1 }));
    else note('no-work', () => ({ kind: 'no-work', count: 1, example }));
  }
  const findings = [...tally.values()];
  // A threshold read off a few examples: a critic usually guesses the round number below the smallest one seen.
  const discount = tally.get('discount');
  if (discount?.kind === 'discount' && unitHash(`round-threshold|${prompt}|${discount.minQty}`) < 0.7) {
    discount.minQty = [50, 25, 20, 10, 5].find((n) => n <= discount.minQty) ?? discount.minQty;
  }
  const d = parseDirectives(prompt);
  if (d.conflict) findings.push({ kind: 'conflict' });
  if (failures.length === 0) {
    // Nothing to go on but the prompt itself.
    if (d.format.kind === 'free') findings.push({ kind: 'no-format' });
    if (d.working === 'none') findings.push({ kind: 'no-reasoning-asked' });
  }
  return findings;
}

const GUESSES = [
  'The prompt does not give the assistant a clear role; a short persona line may help.',
  'Some questions may be ambiguous; the prompt could ask the model to restate the question first.',
  'The prompt is short; adding context about the task could help the model.',
  'Tone: replies could be more professional.',
];

/** Each finding as the critic words it, with the fix it proposes; `key` picks the wording. */
function say(f: Finding, n: number, key: string, wantLabel: string | null): string {
  const of = (c: number) => `${c} of ${n}`;
  const v = <T>(xs: T[]) => pick(xs, `${f.kind}|${key}`);
  switch (f.kind) {
    case 'extra-text':
      return v([
        `Replies wrap the answer in extra text, a chatty sentence (${of(f.count)} failures), e.g. ${f.example}. Fix: say exactly how the final answer must be written.`,
        `The answer is surrounded by extra text (${of(f.count)}), so it cannot be read reliably; e.g. ${f.example}. Require a fixed answer format.`,
        `Output format is loose: ${of(f.count)} failing replies are full sentences with extra text. Ask for a precise, machine-readable answer.`,
      ]);
    case 'buried-answer':
      return v([
        `The right number appears but is not the last one in the reply (${of(f.count)}). Ask for the final answer on a clearly marked last line.`,
        `In ${of(f.count)} failures the correct value is buried among other numbers; the reply should end with the answer alone.`,
      ]);
    case 'answer-line':
      return v([
        `The grader reads a final "${f.label}: <integer>" line and ${of(f.count)} replies do not end with one. Fix: end every reply with a line "${f.label}: <integer>".`,
        `Missing answer line (${of(f.count)}): replies must finish with "${f.label}: " followed by the whole number.`,
        `Format: the expected output ends with a "${f.label}:" line; add an instruction to close with "${f.label}: <number>".`,
      ]);
    case 'no-work': {
      const line = wantLabel ? ` then finish with a line "${wantLabel}: <integer>"` : ' then give the final answer on its own last line';
      return v([
        `Wrong results with no working written (${of(f.count)}), e.g. ${f.example}. The model jumps to a number on multi-step problems and the arithmetic goes wrong; have it write out each calculation,${line}.`,
        `Multi-step questions are answered in one leap and the arithmetic slips (${of(f.count)}). Ask it to reason through the problem step by step,${line}.`,
        `The replies show no intermediate steps and ${of(f.count)} totals are wrong (arithmetic slips). Require the intermediate calculations to be written down,${line}.`,
      ]);
    }
    case 'slip-in-work':
      return v([
        `An error inside otherwise written working (${of(f.count)}). Ask the model to check each calculation before the final line.`,
        `Arithmetic mistakes in the written steps (${of(f.count)}); a verification pass over the steps would catch them.`,
      ]);
    case 'units':
      return v([
        `Answers seem to be in ${f.from} where ${f.to} were expected (${of(f.count)} are off by exactly the conversion factor). State that answers must be given in ${f.to}.`,
        `Unit mismatch: the expected values are the replies converted to ${f.to} (${of(f.count)}). Tell the model to convert ${f.from} to ${f.to}.`,
        `${of(f.count)} replies give ${f.from}; the task wants the answer in ${f.to}. Specify the unit of the answer.`,
      ]);
    case 'round-up':
      return v([
        `Box counts come out one short (${of(f.count)}), e.g. ${f.example}: a partly filled box still has to be counted. Tell the model to round box counts up.`,
        `The model rounds to the nearest whole box (${of(f.count)}); any remainder needs another box, so it should always round up.`,
      ]);
    case 'discount':
      return v([
        `Expected totals are lower than the computed ones by ${f.percent}% of one line item (${of(f.count)}); the shop seems to give ${f.percent}% off an item bought ${f.minQty} or more at a time. State that rule.`,
        `${of(f.count)} totals differ by ${f.percent}% of a large line (quantity ${f.minQty}+): there appears to be a bulk discount the prompt never mentions. Add it: ${f.percent}% off items ordered in quantities of ${f.minQty} or more.`,
        `Looks like a quantity discount: lines of ${f.minQty} or more units cost ${f.percent}% less than list price (${of(f.count)}). The prompt should state that discount.`,
      ]);
    case 'rounding':
      return `Answers are not rounded the way the expected answers are (${of(f.count)}); say to round to ${f.decimals} decimal places.`;
    case 'json':
      return `Replies are not valid JSON although JSON is expected (${of(f.count)}); require a JSON object with the expected key.`;
    case 'unexplained':
      return v([
        `Some replies match my own calculation and are cleanly formatted, yet score 0 (${of(f.count)}); the task may follow a convention or shop rule the prompt never states.`,
        `${of(f.count)} failures look correct to me; whatever the grader wants there is not written in the prompt.`,
      ]);
    case 'conflict':
      return v([
        'The prompt contradicts itself: it asks for the working and for nothing but the number. Keep the working and move the number to a marked final line.',
        'Conflicting instructions: "only the number" cannot coexist with "show your work". Ask for the steps followed by a clearly labelled final answer line.',
      ]);
    case 'no-format':
      return v([
        'No output format specified: the prompt never says how the final answer must be written.',
        'No output format specified; the model is free to answer in any shape, which is hard to grade.',
      ]);
    case 'no-reasoning-asked':
      return v([
        'Nothing asks the model to work through the problem, so multi-step questions get a hurried answer.',
        'No instruction to reason before answering; multi-step questions would benefit from written steps.',
      ]);
    case 'guess':
      return f.text;
  }
}

const MISS_CHANCE: Partial<Record<Finding['kind'], number>> = { discount: 0.35, 'round-up': 0.2, units: 0.15, 'no-work': 0.15, 'answer-line': 0.1 };

/** The critique: findings the critic noticed (some missed, sometimes a wrong guess added), in its words. */
export function critique(prompt: string, failures: FailureRecord[], salt: string): { text: string; findings: Finding[] } {
  const key = `${hash32(prompt)}|${hash32(JSON.stringify(failures))}|${salt}`;
  const all = diagnose(prompt, failures);
  const kept = all.filter((f) => unitHash(`miss|${f.kind}|${key}`) >= (MISS_CHANCE[f.kind] ?? 0.05));
  if (unitHash(`guess|${key}`) < 0.12) kept.push({ kind: 'guess', text: pick(GUESSES, `guess-text|${key}`) });
  // Most telling first: the findings with most failures behind them lead the list.
  kept.sort((a, b) => ('count' in b ? b.count : 0) - ('count' in a ? a.count : 0));
  const label = labelWanted(failures);
  const opener = pick(
    [
      `Critique of the current prompt${failures.length ? ` (${failures.length} failing example${failures.length === 1 ? '' : 's'})` : ''}:`,
      'Weaknesses of the prompt, with fixes:',
      `What the failures show${failures.length ? ` (${failures.length} examined)` : ''}:`,
    ],
    `opener|${key}`,
  );
  const lines = [opener];
  kept.forEach((f, i) => lines.push(`${i + 1}. ${say(f, failures.length, key, label)}`));
  if (kept.length === 0) lines.push('1. No clear defect is visible; the failures may come from ambiguous questions.');
  return { text: lines.join('\n'), findings: kept };
}
