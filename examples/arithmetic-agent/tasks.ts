// The demo's task set: grade-school arithmetic word problems with known answers, generated from a seed so
// every run (and every machine) gets the same train / validation split. Most problems take two steps,
// which is where a model that is not told to reason slips.

export interface ArithmeticTask {
  /** Stable id, e.g. `train-07`. */
  id: string;
  question: string;
  /** The correct final answer. */
  answer: number;
}

export interface TaskSplit {
  train: ArithmeticTask[];
  validation: ArithmeticTask[];
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

const NAMES: [string, 'He' | 'She'][] = [
  ['Tom', 'He'],
  ['Mia', 'She'],
  ['Sam', 'He'],
  ['Ana', 'She'],
  ['Leo', 'He'],
  ['Zoe', 'She'],
  ['Ben', 'He'],
  ['Ivy', 'She'],
  ['Max', 'He'],
  ['Eva', 'She'],
  ['Raj', 'He'],
  ['Lin', 'She'],
];
const ITEMS = ['apples', 'stickers', 'marbles', 'pencils', 'cards', 'shells', 'stamps', 'beads'];

type Pick = <T>(xs: readonly T[]) => T;
type Int = (lo: number, hi: number) => number;

/** Each template builds one problem; the answer is computed here, never by a model. */
const TEMPLATES: ((p: Pick, int: Int) => { question: string; answer: number })[] = [
  (p, int) => {
    const [name, he] = p(NAMES);
    const item = p(ITEMS);
    const a = int(2, 9),
      b = int(3, 12),
      c = int(1, a * b - 1);
    return {
      question: `${name} has ${a} boxes of ${item}. Each box holds ${b} ${item}. ${he} gives away ${c} ${item}. How many ${item} does ${name} have left?`,
      answer: a * b - c,
    };
  },
  (p, int) => {
    const [name] = p(NAMES);
    const item = p(ITEMS);
    const a = int(2, 9),
      b = int(3, 12),
      c = int(2, 15);
    return {
      question: `${name} buys ${a} packs of ${item} with ${b} ${item} in each pack, then finds ${c} more ${item}. How many ${item} does ${name} have now?`,
      answer: a * b + c,
    };
  },
  (p, int) => {
    const [name, he] = p(NAMES);
    const item = p(ITEMS);
    const k = int(2, 6),
      each = int(2, 9),
      b = int(2, 12);
    const a = k * each - b;
    if (a < 2)
      return {
        question: `${name} has ${k * each} ${item}. ${he} splits them equally among ${k} friends. How many ${item} does each friend get?`,
        answer: each,
      };
    return {
      question: `${name} has ${a} ${item} and buys ${b} more. ${he} splits them equally among ${k} friends. How many ${item} does each friend get?`,
      answer: each,
    };
  },
  (_p, int) => {
    const a = int(2, 9),
      b = int(4, 12),
      c = int(1, a * b - 1);
    return {
      question: `A baker makes ${a} trays of cookies with ${b} cookies per tray. ${c} cookies are eaten. How many cookies are left?`,
      answer: a * b - c,
    };
  },
  (p, int) => {
    const [name] = p(NAMES);
    const item = p(ITEMS);
    const a = int(10, 40),
      b = int(2, 15),
      c = int(1, a + b - 1);
    return { question: `${name} had ${a} ${item}, won ${b} more, then lost ${c}. How many ${item} does ${name} have now?`, answer: a + b - c };
  },
  (_p, int) => {
    const a = int(3, 9),
      b = int(4, 12),
      c = int(2, 15);
    return {
      question: `A farmer has ${a} rows of trees with ${b} trees in each row. He plants ${c} more trees. How many trees are there in all?`,
      answer: a * b + c,
    };
  },
  (p, int) => {
    const [name] = p(NAMES);
    const a = int(5, 25),
      b = int(3, 9);
    return { question: `${name} reads ${a} pages a day for ${b} days. How many pages does ${name} read in total?`, answer: a * b };
  },
  (_p, int) => {
    const k = int(2, 8),
      each = int(3, 9),
      c = int(1, 5);
    return {
      question: `There are ${k * each} students split equally into ${k} teams. Then ${c} more students join each team. How many students are on each team?`,
      answer: each + c,
    };
  },
];

/** `train` + `validation` problems from `seed` (disjoint, no repeated question). */
export function generateTasks(opts: { seed?: number; train?: number; validation?: number } = {}): TaskSplit {
  const rand = prng(opts.seed ?? 7);
  const pick: Pick = (xs) => xs[Math.floor(rand() * xs.length)] as (typeof xs)[number];
  const int: Int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const want = (opts.train ?? 40) + (opts.validation ?? 40);
  const seen = new Set<string>();
  const all: { question: string; answer: number }[] = [];
  for (let i = 0; all.length < want && i < want * 50; i++) {
    const t = (TEMPLATES[i % TEMPLATES.length] as (typeof TEMPLATES)[number])(pick, int);
    if (seen.has(t.question)) continue;
    seen.add(t.question);
    all.push(t);
  }
  const nTrain = opts.train ?? 40;
  const id = (prefix: string, i: number) => `${prefix}-${String(i).padStart(2, '0')}`;
  return {
    train: all.slice(0, nTrain).map((t, i) => ({ id: id('train', i), ...t })),
    validation: all.slice(nTrain).map((t, i) => ({ id: id('val', i), ...t })),
  };
}
