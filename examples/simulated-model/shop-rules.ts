// Rules of a shop's order desk that the SIMULATED model follows only when a prompt states them, in
// whatever wording: which unit answers are wanted in (cents rather than dollars, minutes rather
// than hours), whether partial boxes round up, and a bulk-discount rule it has no way to know
// otherwise. Read through the same intent parser as every other instruction.

import { clauses, hits, type Clause } from './intent-parser.js';

export interface BulkDiscount {
  /** Smallest quantity of one item that gets the discount. */
  minQty: number;
  /** Percent taken off that item's line. */
  percent: number;
}

export interface ShopRules {
  money: 'dollars' | 'cents' | null;
  time: 'hours' | 'minutes' | null;
  /** Partial boxes count as whole boxes. */
  roundUp: boolean;
  discount: BulkDiscount | null;
}

const WORD_NUMBERS: Record<string, number> = {
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  fifteen: 15,
  twenty: 20,
  'a dozen': 12,
};
const NUM = String.raw`(\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|a dozen)`;
const toNumber = (s: string): number => WORD_NUMBERS[s] ?? Number(s);

const CENTS = [
  /\b(?:in|as|into|to|using|of)\s+(?:whole\s+)?cents\b|\bcents\s+(?:rather than|instead of|not)\s+dollars\b|\bamounts?\s+(?:are|is)\s+(?:given\s+)?in\s+cents\b/,
];
const DOLLARS = [/\b(?:in|as|into|to|using)\s+dollars\b|\bdollars\s+(?:rather than|instead of|not)\s+cents\b/];
const MINUTES = [/\b(?:in|as|into|to|using)\s+(?:whole\s+)?minutes\b|\bminutes\s+(?:rather than|instead of|not)\s+hours\b/];
const HOURS = [/\b(?:in|as|into|to|using)\s+hours\b|\bhours\s+(?:rather than|instead of|not)\s+minutes\b/];
const ROUND_UP = [
  /\bround(?:ed|ing|s)?\s+(?:it\s+|them\s+|that\s+|this\s+|the\s+\w+\s+|any\s+\w+\s+|\w+\s+counts?\s+)?up\b/,
  /\bceil(?:ing)?\b/,
  /\b(?:partial|partly (?:filled|full)|partially (?:filled|full)|incomplete|half[- ]empty|unfilled)\s+(?:box|boxes|carton|cartons|crate|crates|pack|packs|package|packages|container|containers)\b/,
  /\b(?:leftover|remaining|left-over|extra)\s+(?:items?|units?|pieces?)\s+(?:need|needs|get|gets|require|requires|go in(?:to)?|take)\s+(?:an?\s+)?(?:extra|another|additional|new|own|separate)\b/,
  /\bnever\s+round\s+down\b|\bno\s+fractional\s+(?:boxes|cartons|crates)\b|\bwhole\s+(?:boxes|cartons|crates|packages)\b/,
];

/** Which of two opposite instructions comes last (a negated one counts for the other side). */
export function lastSide(list: Clause[], yes: RegExp[], no: RegExp[]): boolean | null {
  const a = hits(list, yes).map((h) => ({ at: h.at, v: !h.negated }));
  const b = hits(list, no).map((h) => ({ at: h.at, v: h.negated }));
  const all = [...a, ...b].sort((x, y) => x.at - y.at);
  return all.length ? (all[all.length - 1] as { v: boolean }).v : null;
}

/** A bulk-discount rule stated in the prompt: "10% off any item ordered 10 or more at a time" and its paraphrases. */
function findDiscount(list: Clause[]): BulkDiscount | null {
  let found: BulkDiscount | null = null;
  const bySentence = new Map<number, string>();
  for (const c of list) bySentence.set(c.sentence, `${bySentence.get(c.sentence) ?? ''}${c.text}`);
  for (const s of bySentence.values()) {
    if (!/\b(?:discount|off|reduc\w*|cheaper|markdown|less|savings?|rebate)\b/.test(s)) continue;
    if (/\b(?:no|never|not|don't|do not)\s+(?:\w+\s+){0,3}(?:discount|off)\b/.test(s)) continue;
    const pct = /(\d+(?:\.\d+)?)\s*(?:%|percent|per cent)/.exec(s);
    if (!pct) continue;
    const threshold =
      new RegExp(String.raw`\b(?:at least|minimum of|min\.?|a minimum of)\s+${NUM}\b`).exec(s) ??
      new RegExp(
        String.raw`\b${NUM}\s*(?:\+|or more|or above|or over|and (?:up|above|over|more)|units? or more|items? or more|pieces? or more|of (?:the same|one|an?) \w+ or more)`,
      ).exec(s) ??
      new RegExp(String.raw`\b(?:more than|over|above|exceeding)\s+${NUM}\b`).exec(s);
    if (!threshold?.[1]) continue;
    let minQty = toNumber(threshold[1]);
    if (/\b(?:more than|over|above|exceeding)\s+$/.test(s.slice(0, threshold.index + threshold[0].indexOf(threshold[1])))) minQty += 1;
    const percent = Number(pct[1]);
    if (Number.isFinite(minQty) && percent > 0 && percent < 100) found = { minQty, percent };
  }
  return found;
}

export function parseShopRules(text: string): ShopRules {
  const list = clauses(text);
  const cents = lastSide(list, CENTS, DOLLARS);
  const minutes = lastSide(list, MINUTES, HOURS);
  const up = hits(list, ROUND_UP);
  const lastUp = up[up.length - 1];
  return {
    money: cents === null ? null : cents ? 'cents' : 'dollars',
    time: minutes === null ? null : minutes ? 'minutes' : 'hours',
    roundUp: lastUp ? !lastUp.negated : false,
    discount: findDiscount(list),
  };
}

/** A sentence that states a shop rule (so its numbers are not read as part of the question). */
export function isShopRuleSentence(sentence: string): boolean {
  const r = parseShopRules(sentence);
  return r.money !== null || r.time !== null || r.roundUp || r.discount !== null;
}
