// The nouns of automatic prompt optimization (APO): examples to evaluate on, candidate prompt templates,
// the outcome of running one candidate on one example, and the events a run reports as it goes.
import type { Message } from '../../schemas/genai.js';

export interface Example {
  /** Stable id (a task id, a rollout id); the evaluation cache is keyed by (candidate, example id). */
  id: string;
  /** Template variables (`{{question}}` → vars.question). */
  vars: Record<string, unknown>;
  /** What ACTIVE evaluation enqueues as the rollout's input (default: vars). */
  input?: unknown;
  /** The reference answer, when known (shown to the optimizer next to a failure, given to graders). */
  expected?: unknown;
  /**
   * A recorded LLM call (OFFLINE REPLAY of a single-call agent): its messages, with `templateMessage` the index
   * of the message the template rendered; replay swaps that message for the candidate's rendering.
   */
  recorded?: {
    messages: Message[];
    templateMessage: number;
    model: string;
    rolloutId: string;
    /** What the agent answered in the recorded call, and the reward its rollout got (few-shot demonstrations). */
    output?: string;
    reward?: number | null;
  };
}

export interface Candidate {
  /** `c0` (the start prompt), `c1`, `c2`, … in order of creation. */
  id: string;
  /** The template text being optimized. */
  text: string;
  parentId: string | null;
  /** 0 for the start prompt, else the round that produced it. */
  round: number;
  /** The resource version holding it, once written (the start prompt's is known from the outset). */
  version?: number;
  /** How many few-shot demonstrations its text holds (absent: none were added). */
  demonstrations?: number;
}

export interface Outcome {
  exampleId: string;
  reward: number;
  /** The input as a person reads it (the template variables, or the rollout's input). */
  input: string;
  /** The answer the agent / model gave ('' when unknown). */
  output: string;
  expected?: string;
  explanation?: string;
  rolloutId?: string;
}

/** A failed example as the optimizer sees it. */
export interface Failure {
  input: string;
  output: string;
  expected?: string;
  reward: number;
  explanation?: string;
}

export interface CandidateSummary {
  id: string;
  parent: string | null;
  round: number;
  version?: number;
  /** Mean reward on the train examples it was evaluated on, and how many. */
  train: number | null;
  train_n: number;
  /** Mean reward on the validation set, when it was validated. */
  validation: number | null;
  /** Mean reward on the test set: only the start prompt and the winner are tested. */
  test: number | null;
  /** The template text. */
  text: string;
  /** Few-shot demonstrations in the text. */
  demonstrations?: number;
}

/** Best validation score so far against rollouts spent, with the candidate holding it. */
export interface CurvePoint {
  rollouts: number;
  best_validation: number;
  /** Id of the best-so-far candidate (see the summaries for its text). */
  best: string;
}

/** One JSON object per event with `--format jsonl`; the progress display reads the same events. */
export type ApoEvent =
  | {
      event: 'run_started';
      run_id: string;
      job: string;
      resource: string;
      start_version: number;
      mode: string;
      train: number;
      validation: number;
      test?: number;
      method?: string;
      budget: number;
    }
  | { event: 'baseline'; validation: number; rollouts: number }
  | { event: 'round_started'; round: number; rounds: number; beam: string[] }
  | { event: 'critique'; round: number; candidate: string; failures: number; critique: string }
  | { event: 'candidate'; round: number; candidate: string; parent: string; status: 'new' | 'rejected'; reason?: string; version?: number }
  | { event: 'evaluated'; candidate: string; examples: number; mean: number; set: 'train' | 'validation' | 'test'; rollouts: number }
  | {
      event: 'round_finished';
      round: number;
      beam: { id: string; train: number | null }[];
      validation: number | null;
      best_validation: number;
      rollouts: number;
    }
  | { event: 'stopped'; reason: string; rollouts: number }
  | { event: 'pareto'; iteration: number; front: { id: string; leads: number }[]; pool: number; rollouts: number }
  | {
      event: 'few_shot';
      base: string;
      /** Demonstrations found, subsets tried, the best subset validated (null: none did as well as the base on the minibatch). */
      demonstrations: number;
      trials: number;
      candidate: string | null;
      validation: number | null;
      /** Whether that subset beat the base on validation and became the winner. */
      kept: boolean;
      rollouts: number;
    }
  | { event: 'test'; examples: number; baseline: number; best: number; candidate: string; rollouts: number }
  | { event: 'resources_written'; resource: string; versions: { candidate: string; version: number; parent: number | null }[]; labels: Record<string, number> }
  | {
      event: 'run_finished';
      run_id: string;
      status: 'succeeded' | 'failed' | 'skipped';
      baseline?: number;
      best?: number;
      rollouts: number;
      error?: string;
      best_version?: number;
      promoted?: boolean;
    };

export type EmitFn = (e: ApoEvent) => void;
