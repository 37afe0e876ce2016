// What training algorithms need from the rest of tracelight, as small interfaces: cli/apo-ports.ts wires
// them to a TracelightClient, tests to in-memory fakes (algorithms/ imports schemas/ and store/ only).
import type { Message } from '../schemas/genai.js';
import type { NewVersion, ResourceVersion } from '../schemas/resources.js';
import type { Rollout } from '../training/triplets.js';

export interface ResourcePort {
  resolve(name: string, sel: { label?: string; version?: number }): Promise<ResourceVersion>;
  createVersion(name: string, input: NewVersion): Promise<ResourceVersion>;
  moveLabel(name: string, label: string, version: number, author: string | null): Promise<unknown>;
}

export interface EnqueueRequest {
  input: unknown;
  mode?: 'train' | 'val' | 'test';
  /** name → version (a label would float; candidates are always pinned by version). */
  resources: Record<string, number>;
  config?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

export interface FinishedRollout {
  rollout_id: string;
  status: string;
  /** The reward the worker completed it with, when the queue reports it. */
  reward?: number | null;
  error?: string | null;
}

export interface RolloutQueuePort {
  enqueue(items: EnqueueRequest[]): Promise<string[]>;
  /** Rollouts among `ids` that reached a final status within `timeoutMs` (possibly none). */
  wait(ids: string[], timeoutMs: number): Promise<FinishedRollout[]>;
}

/** What the store holds about one rollout, for scoring it and showing its failures to the optimizer. */
export interface RolloutResult {
  rollout_id: string;
  /** The rollout's primary reward (null when none arrived yet). */
  reward: number | null;
  explanation: string;
  /** Text of the last LLM call's answer ('' when no call arrived yet). */
  output: string;
  calls: number;
}

/** A recorded LLM call, for offline replay. */
export interface RecordedCall {
  rollout_id: string;
  trace_id: string;
  span_id: string;
  agent: string;
  model: string;
  start_ns: string;
  input: Message[];
  output: Message | null;
  reward: number | null;
  explanation: string;
  resources: Record<string, string>;
}

export interface TrainingDataPort {
  /** `calls`: also read the rollouts' LLM calls (their answers); without it only the rewards are read. */
  rolloutResults(ids: string[], opts?: { calls?: boolean }): Promise<Map<string, RolloutResult>>;
  /** LLM calls that started in [sinceNs, untilNs), newest last; at most `limit`. */
  recordedCalls(q: { sinceNs: string; untilNs: string; agent?: string; limit: number }): Promise<RecordedCall[]>;
  /** Whole rollouts (calls with token ids, rewards) by id: what RL batches are built from. */
  rollouts?(ids: string[]): Promise<Rollout[]>;
  /**
   * Rollouts with calls in [sinceNs, untilNs) (with a call of an agent matching the RE2 pattern `agent`), and
   * the agent names that matched: what SFT selects from.
   */
  rolloutsInWindow?(q: { sinceNs: string; untilNs: string; agent?: string }): Promise<{ rollouts: Rollout[]; agents?: ReadonlySet<string> }>;
}
