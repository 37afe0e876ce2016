// The example agent: answers an arithmetic word problem with one chat completion, then grades its own answer
// and reports the grade with reward() — the only tracelight-specific line. The prompt comes from a versioned
// prompt template (the `{{question}}` placeholder is filled with mustache), so tracelight can optimize it.
import Mustache from 'mustache';
import type OpenAI from 'openai';
import { reward } from '../../instrumentation/sdk/reward.js';
import type { ArithmeticTask } from './tasks.js';

export interface Grade {
  reward: number;
  explanation: string;
}

/** The numbers in a reply, in order ("1,200" is one number). */
export function numbersIn(text: string): number[] {
  return (text.match(/-?\d+(?:,\d{3})*(?:\.\d+)?/g) ?? []).map((n) => Number(n.replace(/,/g, '')));
}

/** 1 when the reply's final number is the correct answer (a program reads the last number as the answer), else 0. */
export function gradeAnswer(expected: number, reply: string): Grade {
  const nums = numbersIn(reply);
  const last = nums[nums.length - 1];
  if (last === expected) return { reward: 1, explanation: `correct: ${expected}` };
  if (last === undefined) return { reward: 0, explanation: `expected ${expected}; the reply holds no number` };
  if (nums.includes(expected)) return { reward: 0, explanation: `expected ${expected}; the reply mentions it, but its final number is ${last}` };
  return { reward: 0, explanation: `expected ${expected}; the reply's final number is ${last}` };
}

/** Renders the template: `{{question}}` → the question (no HTML escaping: prompts are text). */
export function renderTemplate(template: string, vars: Record<string, unknown>): string {
  return Mustache.render(template, vars, {}, { escape: (s: string) => s });
}

/** One rollout: prompt the model, grade the reply, report the reward; returns the reward. */
export async function solve(client: OpenAI, model: string, template: string, task: ArithmeticTask): Promise<number> {
  const res = await client.chat.completions.create({
    model,
    messages: [{ role: 'user', content: renderTemplate(template, { question: task.question }) }],
  });
  const reply = res.choices[0]?.message?.content ?? '';
  const grade = gradeAnswer(task.answer, reply);
  reward(grade.reward, { name: 'correct', explanation: grade.explanation });
  return grade.reward;
}
