// The order-desk task set: questions a shop's order desk gets (order totals, boxes needed, packing
// time, stock left), generated from a seed, with answers computed here under the shop's rules
// (shop.ts): totals in cents with the bulk discount applied, durations in minutes, partial boxes
// rounded up. Several defects of a prompt show up in different questions, so a prompt optimizer
// needs several rounds of edits to fix them all.

import { BULK_MIN_QTY, BULK_PERCENT } from './shop.js';

export interface OrderTask {
  id: string;
  question: string;
  answer: number;
}

/** mulberry32: a tiny seeded PRNG, so the task set does not depend on Math.random. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Pick = <T>(xs: readonly T[]) => T;
type Int = (lo: number, hi: number) => number;
type Template = (p: Pick, int: Int) => { question: string; answer: number };

const NAMES = ['Rosa', 'Omar', 'Priya', 'Jonas', 'Keiko', 'Dante', 'Amara', 'Felix', 'Ines', 'Tariq', 'Mei', 'Lukas'];
const GOODS = ['notebooks', 'binders', 'lamps', 'mugs', 'folders', 'staplers', 'desk fans', 'cables', 'chairs', 'whiteboards'];
const PRICES = [2.5, 3.25, 4, 4.75, 6, 7.5, 8, 9.25, 12, 12.5, 15, 18, 22, 24.5];
const PACKED = ['mugs', 'plates', 'glasses', 'candles', 'jars', 'bowls'];
const STOCK = ['cups', 'pens', 'rolls of tape', 'erasers', 'markers'];

const cents = (dollars: number): number => Math.round(dollars * 100);
const money = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(2));
const discounted = (qty: number, price: number): number => qty * price * (qty >= BULK_MIN_QTY ? 1 - BULK_PERCENT / 100 : 1);

function twoGoods(p: Pick): [string, string] {
  const a = p(GOODS);
  let b = p(GOODS);
  for (let i = 0; b === a && i < 10; i++) b = p(GOODS);
  return [a, b === a ? 'folders' : b];
}

function orderTotal(bulk: boolean): Template {
  return (p, int) => {
    const name = p(NAMES);
    const [itemA, itemB] = twoGoods(p);
    const qa = bulk ? int(BULK_MIN_QTY, BULK_MIN_QTY + 8) : int(2, BULK_MIN_QTY - 1);
    const qb = int(2, 6);
    const pa = p(PRICES);
    const pb = p(PRICES);
    const fee = int(0, 2) === 0 ? int(4, 9) : 0;
    const feeText = fee ? ` Shipping is a flat $${fee}.` : '';
    const question =
      int(0, 1) === 0
        ? `${name} orders ${qa} ${itemA} at $${money(pa)} each and ${qb} ${itemB} at $${money(pb)} each.${feeText} What is the order total?`
        : `A customer wants ${qa} ${itemA} priced at $${money(pa)} each and ${qb} ${itemB} for $${money(pb)} each.${feeText} How much does the order cost?`;
    return { question, answer: cents(discounted(qa, pa) + discounted(qb, pb) + fee) };
  };
}

const boxesSingle: Template = (p, int) => {
  const name = p(NAMES);
  const item = p(PACKED);
  const cap = int(6, 15);
  let n = int(20, 90);
  if (n % cap === 0) n += int(1, cap - 1);
  return { question: `${name} orders ${n} ${item}. Each shipping box holds ${cap} ${item}. How many boxes does the order need?`, answer: Math.ceil(n / cap) };
};

const boxesSets: Template = (p, int) => {
  const name = p(NAMES);
  const item = p(PACKED);
  const cap = int(6, 15);
  const sets = int(2, 7);
  let per = int(4, 12);
  if ((sets * per) % cap === 0) per += 1;
  return {
    question: `${name} orders ${sets} packs of ${per} ${item}. Each box holds ${cap} ${item}. How many boxes are needed?`,
    answer: Math.ceil((sets * per) / cap),
  };
};

const duration: Template = (p, int) => {
  const pallets = int(2, 6);
  const hours = p([1, 1.5, 2, 2.5, 3]);
  const extra = p([0.5, 1, 1.5, 2]);
  const h = (v: number) => `${v} hour${v === 1 ? '' : 's'}`;
  return {
    question: `The warehouse is packing an order of ${pallets} pallets. Each pallet takes ${h(hours)} to pack, and loading the truck takes ${h(extra)} more. How long does the whole job take?`,
    answer: Math.round((pallets * hours + extra) * 60),
  };
};

const stock: Template = (p, int) => {
  const item = p(STOCK);
  const cartons = int(4, 12);
  const per = int(12, 30);
  const orders = int(2, 5);
  const each = int(5, Math.floor((cartons * per) / orders) - 1);
  return {
    question: `The shop has ${cartons} cartons of ${per} ${item} in stock. It ships ${orders} orders of ${each} ${item} each. How many ${item} are left in stock?`,
    answer: cartons * per - orders * each,
  };
};

/** One cycle of question shapes: each defect of a prompt shows up in a fifth or more of the questions. */
const CYCLE: Template[] = [orderTotal(false), orderTotal(true), boxesSingle, duration, stock, orderTotal(false), orderTotal(true), boxesSets, stock, duration];

/** `train`, `validation` and `test` questions from `seed`: disjoint, no repeated question. */
export function generateOrderTasks(opts: { seed?: number; train?: number; validation?: number; test?: number } = {}): {
  train: OrderTask[];
  validation: OrderTask[];
  test: OrderTask[];
} {
  const nTrain = opts.train ?? 40;
  const nValidation = opts.validation ?? 40;
  const nTest = opts.test ?? 60;
  const rand = prng(opts.seed ?? 11);
  const pick: Pick = (xs) => xs[Math.floor(rand() * xs.length)] as (typeof xs)[number];
  const int: Int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const want = nTrain + nValidation + nTest;
  const seen = new Set<string>();
  const all: { question: string; answer: number }[] = [];
  for (let i = 0; all.length < want && i < want * 50; i++) {
    const t = (CYCLE[i % CYCLE.length] as Template)(pick, int);
    if (seen.has(t.question)) continue;
    seen.add(t.question);
    all.push(t);
  }
  const id = (prefix: string, i: number) => `${prefix}-${String(i).padStart(2, '0')}`;
  return {
    train: all.slice(0, nTrain).map((t, i) => ({ id: id('train', i), ...t })),
    validation: all.slice(nTrain, nTrain + nValidation).map((t, i) => ({ id: id('val', i), ...t })),
    test: all.slice(nTrain + nValidation).map((t, i) => ({ id: id('test', i), ...t })),
  };
}
