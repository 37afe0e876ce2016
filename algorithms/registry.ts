// The training algorithms a job may name. A `jobs:` entry names one by its key (`apo: ./apo.yaml`).
import type { TrainingAlgorithm } from './algorithm.js';
import { apoAlgorithm } from './apo/algorithm.js';
import { grpoAlgorithm, sftAlgorithm } from './rl/algorithm.js';

export const ALGORITHMS: readonly TrainingAlgorithm[] = [apoAlgorithm, grpoAlgorithm, sftAlgorithm];

export function algorithmNamed(name: string): TrainingAlgorithm | undefined {
  return ALGORITHMS.find((a) => a.name === name);
}
