// The rewriter of the SIMULATED optimizer role: reads a critique (its own or anyone's) for what to
// change and edits the prompt in its own words, drawn from pools of paraphrases — the model under
// optimization has to understand them through its intent parser like any other wording. Like a
// real model it is uneven: some children fix everything the critique names, some one thing, some
// are unchanged or worse, and when it adds "show your work" to a prompt that says "only the
// number" it does not always notice the contradiction it leaves behind.

import { hash32, pick, unitHash } from './hash.js';
import { ANSWER_ONLY_PATTERNS, clauses, hits, NO_WORK_PATTERNS } from './intent-parser.js';
import { parseDirectives } from './instructions.js';
import { placeholders } from './prompt-analysis.js';
import { parseShopRules, type BulkDiscount } from './shop-rules.js';

export type Need =
  | { kind: 'work' }
  | { kind: 'answer-line'; label: string }
  | { kind: 'answer-only' }
  | { kind: 'verify' }
  | { kind: 'money'; to: 'cents' | 'dollars' }
  | { kind: 'time'; to: 'minutes' | 'hours' }
  | { kind: 'round-up' }
  | { kind: 'discount'; rule: BulkDiscount }
  | { kind: 'rounding'; decimals: number }
  | { kind: 'units'; include: boolean }
  | { kind: 'json'; key: string }
  | { kind: 'resolve-conflict' }
  | { kind: 'persona' };

/** What a critique asks for, read tolerantly (it may come from this critic, another model or a person). */
export function needsFromCritique(critique: string, expectedShape: { decimals: number | null; jsonKey: string | null }): Need[] {
  const c = critique.toLowerCase();
  const needs: Need[] = [];
  if (
    /\b(?:steps?|working|workings|reason\w*|intermediate|calculations?|arithmetic|leap|jumps?|hurried|slips?|miscalculat\w*|drops? (?:a )?step|chain of thought)\b/.test(
      c,
    )
  )
    needs.push({ kind: 'work' });
  const label = /["'`]((?:final )?answer|result)\s*:\s*(?:<|["'`]|followed|\[|n\b|x\b)/i.exec(critique)?.[1];
  if (label) needs.push({ kind: 'answer-line', label: label.charAt(0).toUpperCase() + label.slice(1) });
  else if (/\b(?:answer line|labell?ed (?:final |last )?line|marked (?:final |last )?line|clearly marked)\b/.test(c))
    needs.push({ kind: 'answer-line', label: 'Answer' });
  else if (
    /\b(?:extra text|chatty|sentences?|verbose|buried|output format|answer format|format (?:is )?(?:not )?specified|machine-readable|only the (?:final )?(?:number|answer)|nothing else|answer alone|exact match|loose)\b/.test(
      c,
    )
  ) {
    needs.push({ kind: 'answer-only' });
  }
  if (/\b(?:verif\w*|double-check|check each|check the|re-?check|verification)\b/.test(c)) needs.push({ kind: 'verify' });
  const rules = parseShopRules(critique);
  if (rules.money) needs.push({ kind: 'money', to: rules.money });
  else if (/\bcents\b/.test(c)) needs.push({ kind: 'money', to: 'cents' });
  if (rules.time) needs.push({ kind: 'time', to: rules.time });
  else if (/\bminutes\b/.test(c)) needs.push({ kind: 'time', to: 'minutes' });
  if (rules.roundUp || /\bone short\b|\banother box\b|\bpartly filled\b/.test(c)) needs.push({ kind: 'round-up' });
  if (rules.discount) needs.push({ kind: 'discount', rule: rules.discount });
  if (/\bround(?:ed|ing)?\b[^.\n]{0,40}\bdecimal/.test(c)) needs.push({ kind: 'rounding', decimals: expectedShape.decimals ?? 2 });
  if (!rules.money && !rules.time && /\bunits?\b/.test(c) && !/\bunits? or more\b/.test(c))
    needs.push({ kind: 'units', include: !/\b(?:no|without|omit|drop)\s+(?:the\s+)?units?\b/.test(c) });
  if (/\bjson\b/.test(c)) needs.push({ kind: 'json', key: expectedShape.jsonKey ?? 'answer' });
  if (/\b(?:contradict\w*|conflict\w*|cannot coexist|inconsistent instructions)\b/.test(c)) needs.push({ kind: 'resolve-conflict' });
  if (/\b(?:persona|role|tone|professional)\b/.test(c) && needs.length === 0) needs.push({ kind: 'persona' });
  return needs;
}

const WORK = [
  'Work through the order one step at a time, writing each calculation on its own line.',
  'Before answering, reason through the problem and write out every intermediate result.',
  'Lay out your calculations step by step.',
  'Show how you get the result, one calculation per line.',
  'Think it through out loud and list the steps you take.',
];
const VERIFY = ['Check each calculation again before the final line.', 'Double-check the totals before you answer.', 'Verify every step of the arithmetic.'];
const ANSWER_ONLY = [
  'Reply with the figure alone, no sentence around it.',
  'Give nothing but the final number.',
  'Your whole reply should be one bare number.',
];
const ANSWER_LINE = [
  (l: string) => `End your reply with a final line of the form "${l}: <integer>".`,
  (l: string) => `Finish with a last line that reads ${l}: <number>.`,
  (l: string) => `Put the result on the last line, written as "${l}: N".`,
  (l: string) => `Close with the line "${l}:" followed by the whole number.`,
];
const WORK_THEN_LINE = [
  (l: string) => `Show your working step by step, then finish with a line "${l}: <integer>".`,
  (l: string) => `Write out each calculation first; the last line must be "${l}: <number>".`,
];
const CENTS = [
  'Quote every money amount in cents (multiply dollars by 100).',
  'Money in the answer must be expressed as cents, not dollars.',
  'Convert dollar totals into cents before answering.',
];
const DOLLARS = ['Give money amounts in dollars.'];
const MINUTES = ['Report durations in minutes.', 'Convert hours to minutes in the final answer.', 'Time must be given as minutes, not hours.'];
const HOURS = ['Give durations in hours.'];
const ROUND_UP = [
  'A partly filled box still counts as a whole box, so round box counts up.',
  'Never round down the number of boxes: leftover items need an extra box.',
  'Box counts are always rounded up to the next whole number.',
];
const DISCOUNT = [
  (d: BulkDiscount) => `Shop rule: any item bought in a quantity of ${d.minQty} or more gets ${d.percent}% off that item.`,
  (d: BulkDiscount) => `Apply a ${d.percent}% bulk discount to every line with at least ${d.minQty} units.`,
  (d: BulkDiscount) => `Lines of ${d.minQty}+ units of one product are ${d.percent} percent cheaper.`,
];
const VAGUE = ['Be careful with the math.', 'Pay close attention to the details.', 'Keep your answer short.', 'Make sure the answer is correct.'];
const PERSONA = ['You are a meticulous, friendly assistant.', 'Answer as a professional and courteous clerk.'];

/** Sentences of the prompt (with their line structure kept), for removing one instruction. */
function splitSentences(prompt: string): string[] {
  return prompt.split(/(?<=[.!?])[ \t]+(?=[A-Z"'`])/);
}

/** Drops every sentence whose intent matches; placeholders are never removed. */
function withoutSentences(prompt: string, test: (s: string) => boolean): string {
  return prompt
    .split('\n')
    .map((line) => {
      if (placeholders(line).length > 0) return line;
      const kept = splitSentences(line).filter((s) => !test(s));
      return kept.join(' ');
    })
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const forbidsOrBaresAnswer = (s: string): boolean => {
  const list = clauses(s);
  return (
    hits(list, ANSWER_ONLY_PATTERNS).some((h) => !h.negated) ||
    hits(list, NO_WORK_PATTERNS).some((h) => !h.negated) ||
    parseDirectives(s).format.kind === 'number-only'
  );
};
const statesDiscount = (s: string): boolean => parseShopRules(s).discount !== null;

/** One edited child of `prompt`; `key` makes children of one request differ from each other. */
export function editPrompt(prompt: string, needs: Need[], key: string): string {
  const roll = unitHash(`outcome|${key}`);
  if (roll < 0.08) return prompt;
  const d = parseDirectives(prompt);
  const snippets: string[] = [];
  let base = prompt;
  if (roll < 0.2 || needs.length === 0) {
    // A worse child: vague advice, and a recognised instruction lost in the rewrite.
    snippets.push(pick(VAGUE, `vague|${key}`));
    base = dropOneInstruction(prompt, key);
    return insertSnippets(
      base,
      snippets.filter((s) => !base.includes(s)),
      key,
    );
  }
  const chosen = roll < 0.4 && needs.length > 1 ? [pick(needs, `one|${key}`)] : needs;
  const wantsLine = chosen.find((n): n is Extract<Need, { kind: 'answer-line' }> => n.kind === 'answer-line');
  const has = (kind: Need['kind']) => chosen.some((n) => n.kind === kind);
  const noticesConflict = unitHash(`notice|${key}`) < 0.65 || has('resolve-conflict');
  for (const need of chosen) {
    switch (need.kind) {
      case 'work': {
        if (d.working === 'full') break;
        if (noticesConflict) base = withoutSentences(base, forbidsOrBaresAnswer);
        // Working plus a bare answer is only possible with the answer on a marked line of its own.
        const wantsBare = has('answer-only') || (noticesConflict && d.format.kind === 'number-only');
        const label = wantsLine?.label ?? (d.format.kind === 'labelled-line' ? null : wantsBare ? 'Answer' : null);
        if (label && d.format.kind !== 'labelled-line') snippets.push(pick(WORK_THEN_LINE, `work-line|${key}`)(label));
        else snippets.push(pick(WORK, `work|${key}`));
        break;
      }
      case 'answer-line':
        if (d.format.kind === 'labelled-line' || (has('work') && d.working !== 'full')) break;
        base = withoutSentences(base, (s) => parseDirectives(s).format.kind === 'number-only');
        snippets.push(pick(ANSWER_LINE, `line|${key}`)(need.label));
        break;
      case 'answer-only':
        if (d.format.kind !== 'free' || has('work')) break;
        if (d.working === 'full') snippets.push(pick(ANSWER_LINE, `line|${key}`)('Answer'));
        else snippets.push(pick(ANSWER_ONLY, `bare|${key}`));
        break;
      case 'verify':
        if (!d.verify) snippets.push(pick(VERIFY, `verify|${key}`));
        break;
      case 'money':
        if (d.shop.money !== need.to) snippets.push(pick(need.to === 'cents' ? CENTS : DOLLARS, `money|${key}`));
        break;
      case 'time':
        if (d.shop.time !== need.to) snippets.push(pick(need.to === 'minutes' ? MINUTES : HOURS, `time|${key}`));
        break;
      case 'round-up':
        if (!d.shop.roundUp) snippets.push(pick(ROUND_UP, `round-up|${key}`));
        break;
      case 'discount': {
        const old = d.shop.discount;
        if (old && old.minQty === need.rule.minQty && old.percent === need.rule.percent) break;
        // A restated rule replaces the old one rather than sitting beside it.
        if (old) base = withoutSentences(base, statesDiscount);
        snippets.push(pick(DISCOUNT, `discount|${key}`)(need.rule));
        break;
      }
      case 'rounding':
        if (d.decimals === null)
          snippets.push(
            need.decimals === 0 ? 'Round the final answer to the nearest whole number.' : `Round the final answer to ${need.decimals} decimal places.`,
          );
        break;
      case 'units':
        if (d.units === null) snippets.push(need.include ? 'Write the unit after the number.' : 'Leave units out of the answer.');
        break;
      case 'json':
        if (d.format.kind !== 'json') snippets.push(`Respond in JSON with a single key "${need.key}".`);
        break;
      case 'resolve-conflict':
        if (d.conflict) {
          base = withoutSentences(base, forbidsOrBaresAnswer);
          if (d.format.kind !== 'labelled-line' && !wantsLine) snippets.push(pick(ANSWER_LINE, `line|${key}`)('Answer'));
        }
        break;
      case 'persona':
        snippets.push(pick(PERSONA, `persona|${key}`));
        break;
    }
  }
  if (snippets.length === 0 && base === prompt) snippets.push(pick(VERIFY, `verify-only|${key}`));
  return insertSnippets(
    base,
    snippets.filter((s) => !base.includes(s)),
    key,
  );
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
  const s = d.shop;
  return (
    d.format.kind !== 'free' ||
    d.working !== 'none' ||
    d.decimals !== null ||
    d.units !== null ||
    s.money !== null ||
    s.time !== null ||
    s.roundUp ||
    s.discount !== null
  );
}

function insertSnippets(prompt: string, snippets: string[], key: string): string {
  if (snippets.length === 0) return prompt;
  const block = snippets.join(' ');
  const where = hash32(`where|${key}`) % 3;
  const lines = prompt.split('\n');
  const firstPlaceholderLine = lines.findIndex((l) => placeholders(l).length > 0);
  if (where === 0 && firstPlaceholderLine !== 0) return `${block}\n\n${prompt}`;
  if (where === 1 && firstPlaceholderLine > 0) {
    return [...lines.slice(0, firstPlaceholderLine), block, ...lines.slice(firstPlaceholderLine)].join('\n');
  }
  return `${prompt.replace(/\s+$/, '')}\n\n${block}`;
}
