// One APO run, start to end: read the start prompt, load the examples, search, and — only when the search
// succeeded — write what it found.
//
// What a run writes, and when (the failure contract):
// - OFFLINE REPLAY writes nothing until the search has finished: then every candidate becomes a version of the
//   resource (parent = the version it was edited from, author = the run id, metrics = its train/validation
//   scores), and the winner gets the `candidate` label. A run that fails (the optimizer endpoint errs or
//   answers garbage, the agent's model errs, a grader throws) writes no version and moves no label.
// - ACTIVE evaluation runs the real agent, and a rollout can only pin a stored version, so each candidate is
//   written (parent, author, metrics {round}) the first time it is evaluated; its scores are in the run's
//   record. A failed active run moves no label, so nothing any agent fetches changes.
// - `production` moves only with --promote (`promote.always`) or when the winner beats production on
//   validation by `promote.min_improvement`.
import type { NewVersion, ResourceVersion } from '../../schemas/resources.js';
import { ActiveEvaluator } from './active.js';
import { ConfigError, type ApoConfig } from './config.js';
import { loadData } from './dataset.js';
import { mean, Scorer, type Evaluator } from './evaluation.js';
import type { GradeFn } from './graders.js';
import { loadGrader } from './graders.js';
import { OpenAIOptimizer, type OptimizerModel } from './optimizer.js';
import type { ResourcePort, RolloutQueuePort, TrainingDataPort } from '../ports.js';
import { ReplayEvaluator } from './replay.js';
import { fewShotSearch } from './few-shot.js';
import { gepaSearch } from './gepa.js';
import { beamSearch, startOnly, type SearchInput, type SearchResult } from './search.js';
import { contentWith, promptShape, shapeText } from './template.js';
import type { Candidate, CandidateSummary, CurvePoint, EmitFn, Example } from './types.js';

export interface ApoDeps {
  resources: ResourcePort;
  queue?: RolloutQueuePort;
  data?: TrainingDataPort;
  /** Injected in tests; otherwise built from config.optimizer. */
  optimizer?: OptimizerModel;
  grader?: GradeFn;
  emit: EmitFn;
  runId: string;
  job: string;
  /** Relative paths in the config (data files, grader modules) are read from here. */
  baseDir: string;
  /** The data window: calls recorded in [sinceNs, untilNs). */
  window: { sinceNs: string; untilNs: string };
  /** --promote */
  promote?: boolean;
}

export interface WrittenVersion {
  candidate: string;
  version: number;
  parent: number | null;
}

export interface ApoResult {
  status: 'succeeded' | 'skipped';
  reason?: string;
  baseline: number | null;
  best: number | null;
  rollouts: number;
  startVersion: number;
  bestVersion: number | null;
  promoted: boolean;
  labels: Record<string, number>;
  written: WrittenVersion[];
  metrics: Record<string, number>;
  /** Every candidate: scores, text, lineage. */
  summaries: CandidateSummary[];
  /** Best validation so far against rollouts spent, naming the best-so-far candidate. */
  curve: CurvePoint[];
  stopReason: string;
  startText: string;
  bestText: string;
  /**
   * The start prompt and the winner on data.test (null without one). Test rollouts are not part of
   * `rollouts` nor of the budget: they are counted here.
   */
  test: TestFigures | null;
  /** Kept with the run (job_runs.report) for its page: every candidate, the curve, why the search stopped. */
  report?: {
    candidates: CandidateSummary[];
    curve: CurvePoint[];
    stop_reason: string;
    start_version: number;
    best_version: number | null;
    method?: string;
    test?: TestFigures | null;
  };
}

export interface TestFigures {
  baseline: number;
  best: number;
  examples: number;
  /** Rollouts the test scoring ran (outside the search budget). */
  rollouts: number;
}

function candidateMetrics(s: CandidateSummary): Record<string, number> {
  const m: Record<string, number> = { 'apo.round': s.round };
  if (s.train !== null) {
    m['train.reward'] = s.train;
    m['train.n'] = s.train_n;
  }
  if (s.validation !== null) m['validation.reward'] = s.validation;
  if (s.test !== null) m['test.reward'] = s.test;
  if (s.demonstrations !== undefined) m['apo.demonstrations'] = s.demonstrations;
  return m;
}

export async function runApo(cfg: ApoConfig, deps: ApoDeps): Promise<ApoResult> {
  const sel = typeof cfg.start === 'number' || /^\d+$/.test(cfg.start) ? { version: Number(cfg.start) } : { label: cfg.start };
  let start: ResourceVersion;
  try {
    start = await deps.resources.resolve(cfg.resource, sel);
  } catch (err) {
    throw new ConfigError(
      `resource: cannot read ${cfg.resource} (${'label' in sel ? `label ${sel.label}` : `version ${sel.version}`}): ${(err as Error).message}`,
    );
  }
  if (start.kind !== 'prompt_template') throw new ConfigError(`resource: ${cfg.resource} is a ${start.kind}, APO optimizes prompt_template resources`);
  const shape = promptShape(start.content, cfg.message);
  const startText = shapeText(shape);

  const { train, validation, test } = await loadData(cfg.data, {
    baseDir: deps.baseDir,
    data: deps.data,
    template: startText,
    resource: { name: cfg.resource, version: start.version },
    window: deps.window,
  });
  const skipped = (reason: string): ApoResult => ({
    status: 'skipped',
    reason,
    baseline: null,
    best: null,
    rollouts: 0,
    startVersion: start.version,
    bestVersion: null,
    promoted: false,
    labels: {},
    written: [],
    metrics: { train_examples: train.length, validation_examples: validation.length, test_examples: test.length },
    summaries: [],
    curve: [],
    stopReason: reason,
    startText,
    bestText: startText,
    test: null,
  });
  if (train.length < cfg.data.min_examples)
    return skipped(`${train.length} train example${train.length === 1 ? '' : 's'} (data.min_examples is ${cfg.data.min_examples})`);
  if (validation.length === 0) return skipped('no validation example');

  deps.emit({
    event: 'run_started',
    run_id: deps.runId,
    job: deps.job,
    resource: cfg.resource,
    start_version: start.version,
    mode: cfg.evaluation.mode,
    train: train.length,
    validation: validation.length,
    ...(test.length > 0 ? { test: test.length } : {}),
    method: cfg.search.method,
    budget: cfg.budget.rollouts,
  });

  const optimizer = deps.optimizer ?? new OpenAIOptimizer(cfg.optimizer);
  const startCandidate: Candidate = { id: 'c0', text: startText, parentId: null, round: 0, version: start.version };
  const byId = new Map<string, Candidate>([[startCandidate.id, startCandidate]]);
  const written: WrittenVersion[] = [];
  const newVersion = (c: Candidate, metrics: Record<string, number>): NewVersion => ({
    kind: 'prompt_template',
    content: contentWith(shape, c.text),
    parent: (c.parentId ? byId.get(c.parentId)?.version : undefined) ?? start.version,
    metrics,
    labels: [],
    author: deps.runId,
  });

  let evaluator: Evaluator;
  // Test rollouts of active evaluation are enqueued in the queue's test mode, apart from the search's.
  let testEvaluator: Evaluator;
  if (cfg.evaluation.mode === 'active') {
    const { queue, data } = deps;
    if (!queue || !data) throw new ConfigError('evaluation.mode: active evaluation needs the rollout queue and the store');
    const pinning = new Map<string, Promise<number>>();
    const pin = (c: Candidate): Promise<number> => {
      if (c.version !== undefined) return Promise.resolve(c.version);
      let p = pinning.get(c.id);
      if (!p) {
        byId.set(c.id, c);
        const metrics: Record<string, number> = { 'apo.round': c.round, ...(c.demonstrations !== undefined ? { 'apo.demonstrations': c.demonstrations } : {}) };
        p = deps.resources.createVersion(cfg.resource, newVersion(c, metrics)).then((v) => {
          c.version = v.version;
          written.push({ candidate: c.id, version: v.version, parent: v.parent });
          return v.version;
        });
        pinning.set(c.id, p);
      }
      return p;
    };
    const active = (config: typeof cfg.evaluation): ActiveEvaluator =>
      new ActiveEvaluator({ resource: cfg.resource, queue, data, config, metadata: { run_id: deps.runId }, pin });
    evaluator = active(cfg.evaluation);
    testEvaluator = active({ ...cfg.evaluation, rollout_mode: 'test' });
  } else {
    const grade = deps.grader ?? (await loadGrader(cfg.evaluation.grader, deps.baseDir));
    evaluator = new ReplayEvaluator(shape, { model: cfg.evaluation.model, grade, role: cfg.evaluation.role, concurrency: cfg.evaluation.concurrency });
    testEvaluator = evaluator;
  }

  const scorer = new Scorer(evaluator, cfg.budget.rollouts, (c, outs, set, spent) =>
    deps.emit({ event: 'evaluated', candidate: c.id, examples: outs.length, mean: mean(outs), set, rollouts: spent }),
  );
  const input: SearchInput = { start: startCandidate, train, validation, scorer, evaluator, optimizer, search: cfg.search, emit: deps.emit };
  let result: SearchResult =
    cfg.search.method === 'gepa' ? await gepaSearch(input) : cfg.search.method === 'none' ? await startOnly(input) : await beamSearch(input);
  if (cfg.few_shot) result = await fewShotSearch(input, result, cfg.few_shot);
  deps.emit({ event: 'stopped', reason: result.stopReason, rollouts: scorer.spent });
  for (const c of result.candidates) byId.set(c.id, c);

  // ---- test: the start prompt and the winner, outside the budget ----
  const testScores = new Map<string, number>();
  let testFigures: TestFigures | null = null;
  if (test.length > 0) {
    const testScorer = new Scorer(testEvaluator, Number.MAX_SAFE_INTEGER, (c, outs, set) =>
      deps.emit({ event: 'evaluated', candidate: c.id, examples: outs.length, mean: mean(outs), set, rollouts: scorer.spent }),
    );
    const tested = result.best.id === startCandidate.id ? [startCandidate] : [startCandidate, result.best];
    const outs = await testScorer.scoreAll(tested, test, { set: 'test' });
    tested.forEach((c, i) => testScores.set(c.id, mean(outs[i] ?? [])));
    testFigures = {
      baseline: testScores.get(startCandidate.id) as number,
      best: testScores.get(result.best.id) as number,
      examples: test.length,
      rollouts: testScorer.spent,
    };
    deps.emit({
      event: 'test',
      examples: test.length,
      baseline: testFigures.baseline,
      best: testFigures.best,
      candidate: result.best.id,
      rollouts: testScorer.spent,
    });
  }

  // ---- success: write (replay) and label ----
  const summaryOf = new Map(summarize(result, scorer, train, testScores).map((s) => [s.id, s]));
  for (const c of result.candidates) {
    if (c.version !== undefined) continue;
    const v = await deps.resources.createVersion(cfg.resource, newVersion(c, candidateMetrics(summaryOf.get(c.id) as CandidateSummary)));
    c.version = v.version;
    written.push({ candidate: c.id, version: v.version, parent: v.parent });
  }
  const bestVersion = result.best.version as number;
  const labels: Record<string, number> = {};
  await deps.resources.moveLabel(cfg.resource, cfg.candidate_label, bestVersion, deps.runId);
  labels[cfg.candidate_label] = bestVersion;

  let promoted = false;
  if (result.best.id !== startCandidate.id) {
    let wins = deps.promote === true || cfg.promote.always;
    if (!wins && cfg.promote.min_improvement !== undefined) {
      // "Beats production": the start prompt's score when it is production, else production's own.
      let productionScore = result.baseline;
      const production = await deps.resources.resolve(cfg.resource, { label: cfg.promote.label }).catch(() => null);
      if (production && production.version !== start.version) {
        const prodCandidate: Candidate = {
          id: 'production',
          text: shapeText(promptShape(production.content, cfg.message)),
          parentId: null,
          round: 0,
          version: production.version,
        };
        productionScore = mean(await scorer.score(prodCandidate, validation, { set: 'validation' }).catch(() => []));
      }
      wins = result.bestValidation >= productionScore + cfg.promote.min_improvement;
    }
    if (wins) {
      await deps.resources.moveLabel(cfg.resource, cfg.promote.label, bestVersion, deps.runId);
      labels[cfg.promote.label] = bestVersion;
      promoted = true;
    }
  }
  deps.emit({ event: 'resources_written', resource: cfg.resource, versions: written, labels });

  const metrics: Record<string, number> = {
    baseline: result.baseline,
    best: result.bestValidation,
    improvement: result.bestValidation - result.baseline,
    rollouts: scorer.spent,
    cache_hits: scorer.cacheHits,
    candidates: result.candidates.length,
    rejected_children: result.rejected,
    rounds: result.rounds,
    optimizer_calls: optimizer.calls,
    train_examples: train.length,
    validation_examples: validation.length,
    start_version: start.version,
    best_version: bestVersion,
    ...result.metrics,
    ...(testFigures
      ? { 'test.baseline': testFigures.baseline, 'test.best': testFigures.best, 'test.examples': testFigures.examples, 'test.rollouts': testFigures.rollouts }
      : {}),
  };
  const summaries = [...summaryOf.values()].map((s) => ({ ...s, version: byId.get(s.id)?.version }));
  return {
    status: 'succeeded',
    baseline: result.baseline,
    best: result.bestValidation,
    rollouts: scorer.spent,
    startVersion: start.version,
    bestVersion,
    promoted,
    labels,
    written,
    metrics,
    summaries,
    curve: result.curve,
    stopReason: result.stopReason,
    startText,
    bestText: result.best.text,
    test: testFigures,
    report: {
      candidates: summaries,
      curve: result.curve,
      stop_reason: result.stopReason,
      start_version: start.version,
      best_version: bestVersion,
      method: cfg.search.method,
      test: testFigures,
    },
  };
}

function summarize(result: SearchResult, scorer: Scorer, train: readonly Example[], test: Map<string, number>): CandidateSummary[] {
  return result.candidates.map((c) => {
    const t = scorer.known(c, train);
    return {
      id: c.id,
      parent: c.parentId,
      round: c.round,
      version: c.version,
      train: t.length ? mean(t) : null,
      train_n: t.length,
      validation: result.validated.get(c.id) ?? null,
      test: test.get(c.id) ?? null,
      text: c.text,
      ...(c.demonstrations !== undefined ? { demonstrations: c.demonstrations } : {}),
    };
  });
}
