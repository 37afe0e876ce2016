// The toy RL task of `tracelight train grpo --example toy`: "write the class of characters the prompt names".
// Prompts ask for digits or for capital letters; the reward is the share of the answer's first MAX_TOKENS
// characters that belong to that class. A model created from scratch answers near-uniformly over its ~100
// characters (about 0.15), and must read the prompt to do better than about 0.5, so a rising mean reward is
// learning, not luck. The same task as the reference trainer's selfcheck (algorithms/rl/trainer/).
export const MAX_TOKENS = 8;

export interface ToyTask {
  prompt: string;
  kind: 'digit' | 'capital';
}

export const TOY_TASKS: readonly ToyTask[] = [
  { prompt: 'Write digits', kind: 'digit' },
  { prompt: 'digits please', kind: 'digit' },
  { prompt: 'Write capitals', kind: 'capital' },
  { prompt: 'capitals please', kind: 'capital' },
];

const CLASSES: Record<ToyTask['kind'], RegExp> = { digit: /[0-9]/, capital: /[A-Z]/ };

export function toyReward(text: string, kind: ToyTask['kind']): number {
  let hits = 0;
  for (const ch of [...text].slice(0, MAX_TOKENS)) if (CLASSES[kind].test(ch)) hits++;
  return hits / MAX_TOKENS;
}
