// How the SIMULATED model goes wrong on multi-step problems. What matters is the working the reply
// itself writes, never the words of the prompt: a reply that writes every step rarely slips (a
// small seeded chance per step, cut by 30 % when it also writes a check line); a reply with no written
// working slips on a growing share of inputs as the steps pile up; working squeezed by a
// conflicting "only the number" instruction helps only half as much. Which inputs slip is decided
// by a hash of the question and the sampling salt, so the same request always gives the same reply.

import { pick, unitHash } from './hash.js';
import type { Working } from './instructions.js';
import { apply, mistakenAnswer, type Mistake, type Step } from './word-problem.js';

/** Chance that each step after the first goes wrong when the reply writes no working. */
export const HURRIED_SLIP_PER_STEP = 0.2;
/** Chance per written step of a copying or carrying error. */
export const WRITTEN_SLIP_PER_STEP = 0.015;
/** The occasional error of a multi-step reply even when everything is right. */
export const BASE_NOISE = 0.02;

export function slipRate(steps: number, working: Working, opts: { large: boolean; verify: boolean }): number {
  if (steps < 2) return 0;
  let rate: number;
  if (working === 'full') rate = (BASE_NOISE + WRITTEN_SLIP_PER_STEP * steps) * (opts.verify ? 0.7 : 1);
  else {
    const hurried = 1 - (1 - HURRIED_SLIP_PER_STEP) ** (steps - 1);
    rate = BASE_NOISE + (working === 'compressed' ? hurried / 2 : hurried);
  }
  return opts.large ? rate / 2 : rate;
}

const MISTAKES: Mistake[] = ['drop-last-step', 'first-step-only', 'wrong-operation'];

export interface Slip {
  steps: Step[];
  value: number;
  slipped: boolean;
}

/**
 * The reply's computation after a slip, when one happens. Written working slips inside one step
 * (a wrong digit, carried through the rest); unwritten working skips or confuses a step.
 */
export function maybeSlip(steps: Step[], value: number, working: Working, key: string, rate: number): Slip {
  if (steps.length < 2 || unitHash(`slip|${key}`) >= rate) return { steps, value, slipped: false };
  if (working === 'full') {
    const at = Math.floor(unitHash(`slip-step|${key}`) * steps.length);
    const step = steps[at] as Step;
    const delta = pick([1, -1, 2, 10, -10], `slip-delta|${key}`) * (Number.isInteger(step.result) ? 1 : 0.5);
    const changed = recompute(steps, at, step.result + delta);
    return { steps: changed, value: (changed[changed.length - 1] as Step).result, slipped: true };
  }
  const wrong = mistakenAnswer({ steps, answer: value, quantities: [], unit: null, money: false }, pick(MISTAKES, `mistake|${key}`));
  return { steps, value: wrong, slipped: wrong !== value };
}

/** Re-derives every step from its operands after one result changed, so shown work stays consistent. */
export function recompute(steps: Step[], changed: number, value: number): Step[] {
  const out: Step[] = steps.map((s) => ({ ...s, left: { ...s.left }, right: { ...s.right } }));
  (out[changed] as Step).result = value;
  for (let i = changed + 1; i < out.length; i++) {
    const s = out[i] as Step;
    if (s.left.fromStep !== undefined) s.left.value = (out[s.left.fromStep] as Step).result;
    if (s.right.fromStep !== undefined) s.right.value = (out[s.right.fromStep] as Step).result;
    s.result = apply(s.op, s.left.value, s.right.value);
  }
  return out;
}
