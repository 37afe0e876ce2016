// An honest, small solver for grade-school word problems. It reads quantities left to right and
// decides each operation from the relation words around the number ("boxes of", "each", "per",
// "gives away", "more", "split equally among", "times as many"). Multiplication binds to the
// latest term ("gives 4 to each of 3 friends"), division applies to the running total ("splits
// them equally"), the way people read these problems. It does not know any dataset's answers.

export type Op = '+' | '-' | '*' | '/';

export interface Operand {
  value: number;
  /** Index of the step that produced this value, when it is an intermediate result. */
  fromStep?: number;
}

export interface Step {
  op: Op;
  left: Operand;
  right: Operand;
  result: number;
}

export interface Solution {
  steps: Step[];
  answer: number;
  quantities: number[];
  /** The thing counted ("apples"), from "How many apples ...". */
  unit: string | null;
  money: boolean;
}

interface Quantity {
  value: number;
  start: number;
  end: number;
  forced?: Op;
}

const SMALL: Record<string, number> = {
  one: 1,
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
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
  hundred: 100,
  dozen: 12,
};
const MULTIPLIERS: Record<string, [Op, number]> = {
  twice: ['*', 2],
  double: ['*', 2],
  doubles: ['*', 2],
  doubled: ['*', 2],
  triple: ['*', 3],
  triples: ['*', 3],
  tripled: ['*', 3],
  thrice: ['*', 3],
  half: ['/', 2],
};

const QUANTITY = new RegExp(
  String.raw`\$?\d{1,3}(?:,\d{3})+(?:\.\d+)?%?|\$?\d+(?:\.\d+)?%?|\b(?:${[...Object.keys(SMALL), ...Object.keys(MULTIPLIERS)].join('|')})\b`,
  'gi',
);

function extractQuantities(text: string): Quantity[] {
  const out: Quantity[] = [];
  for (const m of text.matchAll(QUANTITY)) {
    const raw = m[0];
    const start = m.index;
    const end = start + raw.length;
    const before = text.slice(Math.max(0, start - 12), start).toLowerCase();
    const after = text.slice(end, end + 12).toLowerCase();
    const word = raw.toLowerCase();
    if (/^(st|nd|rd|th)\b/.test(after)) continue;
    if (word === 'one' && (/^\s+(of|another|day|time)\b/.test(after) || /\b(each|every|no|any|which|this|that|the)\s+$/.test(before))) continue;
    if (word === 'double' && /^[- ]check/.test(after)) continue;
    if (word === 'dozen' && /\b\d+\s*$/.test(before)) {
      // "3 dozen": the previous number scales by twelve rather than adding a new quantity.
      const prev = out[out.length - 1];
      if (prev) {
        prev.value *= 12;
        prev.end = end;
        continue;
      }
    }
    if (MULTIPLIERS[word]) {
      const [op, value] = MULTIPLIERS[word];
      out.push({ value, start, end, forced: op });
      continue;
    }
    let value = SMALL[word] ?? Number(raw.replace(/[$,%]/g, ''));
    if (raw.endsWith('%') || /^\s*percent\b/.test(after)) value /= 100;
    if (Number.isFinite(value)) out.push({ value, start, end });
  }
  return out;
}

const DIVIDE_BEFORE =
  /\b(split|splits|shares?|shared|divid\w*|among|equally|evenly|distribut\w*|per (person|friend|child|student|kid|guest|team))\b|\binto\s*$|\b(put|packed|packs|arranged|sorted|placed|grouped)\b[^.]*\b(groups|bags|boxes|rows|piles|teams|stacks) of\s*$/;
const DIVIDE_AFTER = /^\s*(equal|even)\w*\s+(groups|parts|piles|shares|portions|teams|bags|boxes|slices|pieces)/;
const RECEIVE_BEFORE = /\b(gives?|gave|hands?|handed|sends?|sent|lends?|lent) (him|her|them|me|us|it)\s*$/;
const SUBTRACT_BEFORE =
  /\b(gives?|gave|given) away\b|\b(gives?|gave|given|hands? out|handed out|lends?|lent|donat\w*|sells?|sold|loses?|lost|spends?|spent|eats?|ate|eaten|uses?|used|breaks?|broke|broken|removes?|removed|takes? away|took away|throws? away|threw away|minus|subtract\w*|pays?|paid|drops?|dropped|returns?|returned|ships?|shipped|mails?|mailed|sends?|sent|fewer|less|leaves|deliver\w*|withdr\w*|burn\w*|cuts? off)\b/;
const SUBTRACT_AFTER =
  /^\s*(\w+\s+){0,2}(each\s+|also\s+)?(fewer|less|eat|eats|ate|take|takes|took|use|uses|spend|spends|are removed|were removed|die|died|dies|are eaten|were eaten|get eaten|break|broke|are broken|were broken|are sold|were sold|left the|leave|fell|fall|are lost|were lost|ran away|run away|melt|melted|go missing|went missing|are used|were used|are given away|were given away|are taken|were taken)\b/;
const MULTIPLY_AFTER = /^\s*(times|x)\b|^\s*(\w+\s+){0,2}(each|apiece)\b/;
const MULTIPLY_BEFORE =
  /\b(each|every|per|times|multipl\w*)\b|\b(a|an)\s+(day|week|month|year|hour|minute|night|session|lesson|game|trip|box|bag|row|page|shelf|crate|pack)\b|\b\w+s\s+(of|with|holding|containing|that (hold|contain|have))\s*$/;
const ADD_BEFORE =
  /\b(buys?|bought|gets?|got|finds?|found|receiv\w*|adds?|added|plus|another|earns?|earned|collects?|collected|picks?|picked|gains?|gained|wins?|won|join\w*|arriv\w*|came|comes|grows?|grew|saves?|saved|more|in addition|additional|extra|plants?|planted|makes|made|bakes?|baked|catch\w*|caught|scores?|scored|borrow\w*)\b/;
const ADD_AFTER = /^\s*(\w+\s+)?more\b/;
// A quantity stated as a rate ("12 apples per box", "each bag holds 6") scales the next one.
const RATE_AFTER =
  /^\s*\w*\s*(per|each|a|an|every)\s+(day|week|month|year|hour|minute|box|bag|row|person|page|crate|pack|shelf|basket|tray|jar|team|class|bus|car|table)\b/;
const RATE_BEFORE_IN_SENTENCE = /\b(each|every)\s+\w+\s+(has|holds|contains|costs|weighs|gets|needs|is|has room for|can hold)\s*$/;

function classify(pre: string, post: string, previous: Op, previousIsRate: boolean): Op {
  if (DIVIDE_BEFORE.test(pre) || DIVIDE_AFTER.test(post)) return '/';
  if (RECEIVE_BEFORE.test(pre)) return '+';
  // "3 friends each eat 2 slices": the verb belongs to the group, the number to each member.
  if (/\beach\s+\w+\s*$/.test(pre)) return '*';
  if (SUBTRACT_AFTER.test(post)) return '-';
  if (SUBTRACT_BEFORE.test(pre)) return '-';
  if (MULTIPLY_AFTER.test(post) || MULTIPLY_BEFORE.test(pre)) return '*';
  if (ADD_BEFORE.test(pre) || ADD_AFTER.test(post)) return '+';
  if (previousIsRate) return '*';
  return previous === '-' ? '-' : '+';
}

/** The counted noun of the question, used for units ("29 apples"). */
function findUnit(text: string): string | null {
  const m = /how (?:many|much) (?:more |fewer |less )?([a-z]+)/i.exec(text);
  const word = m?.[1]?.toLowerCase();
  if (!word || /^(does|do|did|is|are|was|were|will|would|can|could|has|have|had|of|in|total|altogether|money)$/.test(word)) return null;
  return word;
}

export function solveWordProblem(problem: string): Solution | null {
  const quantities = extractQuantities(problem);
  if (quantities.length === 0) return null;
  const lower = problem.toLowerCase();
  const steps: Step[] = [];
  type Term = { sign: 1 | -1; operand: Operand };
  const first = quantities[0] as Quantity;
  let terms: Term[] = [{ sign: 1, operand: { value: first.value } }];
  const record = (op: Op, left: Operand, right: Operand): Operand => {
    const result = apply(op, left.value, right.value);
    steps.push({ op, left, right, result });
    return { value: result, fromStep: steps.length - 1 };
  };
  const collapse = (): Operand => {
    let acc = (terms[0] as Term).operand;
    for (const t of terms.slice(1)) acc = record(t.sign === 1 ? '+' : '-', acc, t.operand);
    terms = [{ sign: 1, operand: acc }];
    return acc;
  };

  const comparison = /how (many|much) (more|fewer|less)\b/.test(lower) && quantities.length === 2;
  let previous: Op = '+';
  let previousIsRate = isRate(problem, first);
  for (let i = 1; i < quantities.length; i++) {
    const q = quantities[i] as Quantity;
    const prev = quantities[i - 1] as Quantity;
    const pre = lower.slice(prev.end, q.start);
    const next = quantities[i + 1];
    const post = lower.slice(q.end, Math.min(next ? next.start : lower.length, q.end + 40)).split(/[.?!]/)[0] ?? '';
    // Only the current clause speaks for this number: "$3 each and a pen that costs $2" must not
    // let the first item's "each" multiply the pen.
    const clause = pre.split(/,|;|[.?!]|\band\b|\bthen\b/).pop() ?? pre;
    const op: Op = comparison ? '-' : (q.forced ?? classify(clause, post, previous, previousIsRate));
    const operand: Operand = { value: q.value };
    if (op === '+' || op === '-') {
      terms.push({ sign: op === '+' ? 1 : -1, operand });
      previous = op;
    } else if (op === '*') {
      // "3 times as many as that" scales the total; "4 to each of 3 friends" scales the latest term.
      if (/\b(them|that|this|the total|it all|all of it)\b/.test(pre) && terms.length > 1) collapse();
      const target = terms[terms.length - 1] as Term;
      target.operand = record('*', target.operand, operand);
    } else {
      const total = collapse();
      terms = [{ sign: 1, operand: record('/', total, operand) }];
    }
    previousIsRate = isRate(problem, q);
  }
  const final = collapse();
  let answer = final.value;
  if (comparison) answer = Math.abs(answer);
  return {
    steps,
    answer,
    quantities: quantities.map((q) => q.value),
    unit: findUnit(problem),
    money: /\$|\bdollars?\b|\bcents?\b|\bmoney\b/i.test(problem),
  };
}

function isRate(text: string, q: Quantity): boolean {
  const lower = text.toLowerCase();
  const sentenceStart = Math.max(lower.lastIndexOf('.', q.start), lower.lastIndexOf('?', q.start), 0);
  return RATE_AFTER.test(lower.slice(q.end, q.end + 30)) || RATE_BEFORE_IN_SENTENCE.test(lower.slice(sentenceStart, q.start));
}

export function apply(op: Op, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return b === 0 ? NaN : a / b;
  }
}

export const OP_SYMBOL: Record<Op, string> = { '+': '+', '-': '-', '*': '×', '/': '÷' };

/** The kinds of slip a hurried model makes on a multi-step problem. */
export type Mistake = 'drop-last-step' | 'first-step-only' | 'wrong-operation';

/** The answer a hurried solver gives; equals the right answer when there is nothing to get wrong. */
export function mistakenAnswer(solution: Solution, mistake: Mistake): number {
  const { steps } = solution;
  if (steps.length < 2) return solution.answer;
  switch (mistake) {
    case 'drop-last-step':
      return (steps[steps.length - 2] as Step).result;
    case 'first-step-only':
      return (steps[0] as Step).result;
    case 'wrong-operation': {
      const last = steps[steps.length - 1] as Step;
      const swapped: Record<Op, Op> = { '+': '-', '-': '+', '*': '+', '/': '-' };
      return apply(swapped[last.op], last.left.value, last.right.value);
    }
  }
}
