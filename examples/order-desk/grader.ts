// The order-desk task's reward function, with the contract of tracelight's offline replay
// (`evaluation.grader.module`): 1 when the reply's final answer is the expected integer. The final
// answer is a last line "Answer: <integer>", or a reply that is nothing but the integer; anything
// else (a sentence, a dollar amount, a decimal) is not an answer a program can take.
import { generateOrderTasks } from './tasks.js';

let answers: Map<string, number> | null = null;

function answerOf(question: string): number | undefined {
  if (!answers) {
    const { train, validation, test } = generateOrderTasks();
    answers = new Map([...train, ...validation, ...test].map((t) => [t.question, t.answer]));
  }
  return answers.get(question.trim());
}

const FORMAT = 'the grader reads a final "Answer: <integer>" line, or a reply that is only the integer';

/** The integer the reply commits to, or null when it has no final answer in a readable shape. */
export function finalAnswer(output: string): number | null {
  const text = output.trim();
  if (/^-?\d+$/.test(text)) return Number(text);
  const last = text.split('\n').pop()?.trim() ?? '';
  const m = /^\**\s*answer\s*\**\s*:\s*\**\s*(-?\d[\d,]*)\s*\**$/i.exec(last);
  return m?.[1] ? Number(m[1].replace(/,/g, '')) : null;
}

export default function grade(input: { vars: Record<string, unknown>; output: string; expected?: unknown }): {
  reward: number;
  explanation: string;
  expected?: string;
} {
  const expected = input.expected !== undefined ? Number(input.expected) : answerOf(String(input.vars.question ?? ''));
  if (expected === undefined || !Number.isFinite(expected)) return { reward: 0, explanation: 'no known answer for this question' };
  const got = finalAnswer(input.output);
  const base = { expected: String(expected) };
  if (got === null) return { ...base, reward: 0, explanation: `expected ${expected}; the reply has no final answer in the required form (${FORMAT})` };
  if (got !== expected) return { ...base, reward: 0, explanation: `expected ${expected}, got ${got} (${FORMAT})` };
  return { ...base, reward: 1, explanation: `correct: ${expected}` };
}
