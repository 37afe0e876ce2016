// The task's reward function as a module, for tracelight's OFFLINE REPLAY (`evaluation.grader.module`):
// replay re-runs a recorded call with a candidate prompt and asks this module how good the answer is. The
// expected answer comes with the example, or — for recorded calls — from the generated task set.
import { gradeAnswer } from './agent.js';
import { generateTasks } from './tasks.js';

let answers: Map<string, number> | null = null;

function answerOf(question: string): number | undefined {
  if (!answers) {
    const { train, validation } = generateTasks();
    answers = new Map([...train, ...validation].map((t) => [t.question, t.answer]));
  }
  return answers.get(question.trim());
}

export default function grade(input: { vars: Record<string, unknown>; output: string; expected?: unknown }): {
  reward: number;
  explanation: string;
  expected?: string;
} {
  const expected = input.expected !== undefined ? Number(input.expected) : answerOf(String(input.vars.question ?? ''));
  if (expected === undefined || !Number.isFinite(expected)) return { reward: 0, explanation: 'no known answer for this question' };
  return { ...gradeAnswer(expected, input.output), expected: String(expected) };
}
