// bench/apo: tracelight's APO methods side by side with Agent Lightning's own APO (agentlightning.algorithm.apo.APO
// 0.3.0), on one task and one simulated endpoint (sim-small answers, sim-large optimizes). Each method searches
// with train + validation; afterwards the bench scores its best-so-far prompt on the held-out TEST split at
// common rollout checkpoints, with one replay evaluator and one grader for every method (test scoring is not
// counted as spent on either side). A rollout is one graded agent call on both sides: tracelight's replay call,
// and each run of Agent Lightning's agent (train and validation alike).
//
// Agent Lightning runs in its own pinned venv (.venvs/agentlightning-apo, from bench/apo-agl/requirements.txt,
// built on first use) through bench/apo-agl/run_apo.py; its agent gets rewards from a grading endpoint this
// bench serves, and its optimizer calls pass through a recording proxy (--capture DIR keeps a few of them).
//
//   npm run bench:apo -- [--task order-desk|arithmetic] [--seeds 5] [--train 40] [--validation 32] [--test 64]
//                        [--budget N] [--rounds 6] [--agl-rounds 3] [--agl-beam 2] [--agl-branch 3]
//                        [--agl-gradient-batch 4] [--agl-val-batch 16] [--agl-parallel 2] [--methods a,b] [--no-agl] [--no-agl-feedback]
//                        [--capture DIR] [--json]
import { parseArgs } from 'node:util';
import { parseApoConfig, type ApoConfig } from '../algorithms/apo/config.js';
import { MemoryResources } from '../algorithms/apo/memory-resources.js';
import { ReplayEvaluator } from '../algorithms/apo/replay.js';
import { runApo, type ApoResult } from '../algorithms/apo/run.js';
import { promptShape } from '../algorithms/apo/template.js';
import type { ApoEvent, Example } from '../algorithms/apo/types.js';
import gradeArithmetic from '../examples/arithmetic-agent/grader.js';
import { generateTasks } from '../examples/arithmetic-agent/tasks.js';
import gradeOrders from '../examples/order-desk/grader.js';
import { START_PROMPT as ORDER_START } from '../examples/order-desk/prompt.js';
import { generateOrderTasks } from '../examples/order-desk/tasks.js';
import { startSimulatedModel } from '../examples/simulated-model/index.js';
import {
  aglPython,
  aglRollouts,
  runAgl,
  startGradingEndpoint,
  startRecordingProxy,
  writeCaptured,
  type AglKnobs,
  type AglOutcome,
  type AglTask,
  type GradeFn,
  type RecordedExchange,
} from './apo-agl.js';
import { fstringToMustache, mustacheToFstring, summarize, type Stats } from './apo-figures.js';

const { values } = parseArgs({
  options: {
    task: { type: 'string', default: 'order-desk' },
    seeds: { type: 'string', default: '5' },
    train: { type: 'string', default: '40' },
    validation: { type: 'string', default: '32' },
    test: { type: 'string', default: '64' },
    budget: { type: 'string' },
    rounds: { type: 'string', default: '6' },
    'agl-rounds': { type: 'string', default: '3' },
    'agl-beam': { type: 'string', default: '2' },
    'agl-branch': { type: 'string', default: '3' },
    'agl-gradient-batch': { type: 'string', default: '4' },
    'agl-val-batch': { type: 'string', default: '16' },
    'agl-timeout': { type: 'string', default: '600' },
    'agl-parallel': { type: 'string', default: '2' },
    methods: { type: 'string' },
    'no-agl': { type: 'boolean', default: false },
    'no-agl-feedback': { type: 'boolean', default: false },
    capture: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const num = (k: keyof typeof values): number => {
  const n = Number(values[k]);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${k}: not a number: ${String(values[k])}`);
  return n;
};
const seeds = num('seeds');

interface Task {
  id: string;
  question: string;
  answer: number;
}
interface TaskSet {
  name: string;
  train: Task[];
  validation: Task[];
  test: Task[];
  start: string;
  grade: GradeFn;
}

function loadTask(name: string): TaskSet {
  const sizes = { train: num('train'), validation: num('validation'), test: num('test') };
  if (name === 'order-desk') {
    const t = generateOrderTasks({ seed: 7, ...sizes });
    return { name, ...t, start: ORDER_START, grade: gradeOrders };
  }
  if (name === 'arithmetic') {
    // The demo's generator makes train + validation; the test split is cut from the end of its validation draw.
    const t = generateTasks({ seed: 7, train: sizes.train, validation: sizes.validation + sizes.test });
    return {
      name,
      train: t.train,
      validation: t.validation.slice(0, sizes.validation),
      test: t.validation.slice(sizes.validation).map((x, i) => ({ ...x, id: `test-${String(i).padStart(2, '0')}` })),
      start: 'Solve this math problem: {{question}}',
      grade: gradeArithmetic,
    };
  }
  throw new Error(`--task: "${name}" is not a task (order-desk or arithmetic)`);
}

const task = loadTask(values.task as string);
const asExample = (t: Task): Example => ({ id: t.id, vars: { question: t.question }, expected: t.answer });

const knobs: AglKnobs = {
  beam_width: num('agl-beam'),
  branch_factor: num('agl-branch'),
  beam_rounds: num('agl-rounds'),
  gradient_batch_size: num('agl-gradient-batch'),
  val_batch_size: num('agl-val-batch'),
  // Agent Lightning's shared-memory strategy runs one runner per process (its tracer is process-wide).
  runners: 1,
};
/** tracelight's budget: by default what Agent Lightning's APO spends with its knobs, so both spend the same. */
const aglPlanned = aglRollouts(knobs, task.train.length, task.validation.length);
const budget = values.budget ? num('budget') : aglPlanned;
const rounds = num('rounds');

type Search = Record<string, unknown>;
interface Method {
  name: string;
  search: Search;
  few_shot?: Record<string, unknown>;
}
const beam = (selection: string): Search => ({ method: 'beam', selection, rounds, patience: rounds, beam_width: 2, branch: 3, minibatch: 8 });
const METHODS: Method[] = [
  { name: 'tracelight beam (successive halving)', search: beam('successive-halving') },
  { name: 'tracelight beam (UCB bandit)', search: beam('ucb') },
  // GEPA stops on the budget rather than on its iteration count, as the beams do.
  { name: 'tracelight GEPA', search: { method: 'gepa', minibatch: 8, gepa: { iterations: 200, pareto_size: 16, merge_every: 0 } } },
  { name: 'tracelight few-shot (start prompt)', search: { method: 'none', minibatch: 8 }, few_shot: { k: 3, trials: 6 } },
  { name: 'tracelight beam (SH) + few-shot', search: beam('successive-halving'), few_shot: { k: 3, trials: 6 } },
];
const AGL_NAME = 'Agent Lightning APO 0.3.0';
const wanted = values.methods ? new Set(values.methods.split(',').map((s) => s.trim())) : null;
const methods = METHODS.filter((m) => !wanted || [...wanted].some((w) => m.name.includes(w)));

const sim = await startSimulatedModel({ port: 0 });

/** One run's best-so-far prompt (mustache) against rollouts spent. */
interface Run {
  points: { rollouts: number; prompt: string }[];
  rollouts: number;
  seconds: number;
}
type MethodRuns = { name: string; runs: Run[]; error?: string };

function configFor(m: Method, seed: number): ApoConfig {
  return parseApoConfig({
    resource: 'p',
    optimizer: { base_url: sim.url, model: 'sim-large', max_retries: 0 },
    evaluation: { mode: 'replay', model: { base_url: sim.url, model: 'sim-small' }, grader: { builtin: 'last-number' }, concurrency: 16 },
    data: { train: { examples: task.train.map(asExample) }, validation: { examples: task.validation.map(asExample) } },
    search: { ...m.search, seed },
    ...(m.few_shot ? { few_shot: m.few_shot } : {}),
    budget: { rollouts: budget },
  });
}

/** Curve points name their best candidate, and summaries carry texts; older results leave both to the events and the written versions. */
interface CurveLike {
  rollouts: number;
  best_validation: number;
  best?: string;
}
async function bestTexts(result: ApoResult, events: ApoEvent[], resources: MemoryResources, validationSize: number): Promise<Run['points']> {
  const texts = new Map<string, string>();
  for (const s of result.summaries as { id: string; text?: string }[]) if (typeof s.text === 'string') texts.set(s.id, s.text);
  for (const w of result.written) {
    if (texts.has(w.candidate)) continue;
    const v = await resources.resolve('p', { version: w.version });
    texts.set(w.candidate, (v.content as { template: string }).template);
  }
  texts.set('c0', result.startText);
  const curve = result.curve as CurveLike[];
  if (curve.every((p) => typeof p.best === 'string' && texts.has(p.best))) {
    return [{ rollouts: 0, prompt: result.startText }, ...curve.map((p) => ({ rollouts: p.rollouts, prompt: texts.get(p.best as string) as string }))];
  }
  // The search keeps a candidate as the best when its whole-validation score beats the best's.
  const points: Run['points'] = [{ rollouts: 0, prompt: result.startText }];
  let best = -Infinity;
  for (const e of events) {
    if (e.event !== 'evaluated' || e.set !== 'validation' || e.examples !== validationSize) continue;
    if (e.mean > best) {
      best = e.mean;
      const text = texts.get(e.candidate);
      if (text !== undefined) points.push({ rollouts: e.rollouts, prompt: text });
    }
  }
  points.push({ rollouts: result.rollouts, prompt: result.bestText });
  return points;
}

async function tracelightRun(m: Method, seed: number): Promise<Run> {
  const resources = new MemoryResources();
  await resources.createVersion('p', {
    kind: 'prompt_template',
    content: { template: task.start },
    parent: null,
    metrics: {},
    labels: ['production'],
    author: null,
  });
  const events: ApoEvent[] = [];
  const t0 = performance.now();
  const result = await runApo(configFor(m, seed), {
    resources,
    grader: task.grade,
    emit: (e) => events.push(e),
    runId: `bench-${seed}`,
    job: 'bench',
    baseDir: process.cwd(),
    window: { sinceNs: '0', untilNs: '0' },
  });
  const seconds = (performance.now() - t0) / 1000;
  return { points: await bestTexts(result, events, resources, task.validation.length), rollouts: result.rollouts, seconds };
}

const log = (s: string): void => {
  process.stderr.write(`${s}\n`);
};
const all: MethodRuns[] = [];
for (const m of methods) {
  const entry: MethodRuns = { name: m.name, runs: [] };
  try {
    configFor(m, 1);
    for (let s = 1; s <= seeds; s++) {
      entry.runs.push(await tracelightRun(m, s));
      log(`${m.name}: seed ${s} done (${entry.runs.at(-1)?.rollouts} rollouts, ${entry.runs.at(-1)?.seconds.toFixed(1)} s)`);
    }
  } catch (err) {
    entry.error = (err as Error).message.split('\n')[0];
    log(`${m.name}: ${entry.error}`);
  }
  all.push(entry);
}

// ---- Agent Lightning ----
// As shipped, AGL's critique prompts show each rollout's messages and final reward only, never why the grader
// marked it wrong; tracelight shows the grader's explanation. The second row gives AGL the same information the
// way an AGL user would: the agent emits the grader's explanation with emit_message and the adapter appends it
// to the rollout's messages.
const AGL_FEEDBACK_NAME = `${AGL_NAME} + grader feedback`;
const aglNames = new Set([AGL_NAME, AGL_FEEDBACK_NAME]);
let exchanges: RecordedExchange[] = [];
let graded = 0;
let aglPythonPath: string | null = null;
let aglPythonError: string | null = null;
if (!values['no-agl']) {
  try {
    aglPythonPath = await aglPython();
  } catch (err) {
    aglPythonError = (err as Error).message.split('\n')[0] ?? 'the venv could not be built';
  }
}

async function runAglVariant(name: string, feedback: boolean): Promise<MethodRuns> {
  const agl: MethodRuns = { name, runs: [] };
  if (values['no-agl']) agl.error = 'not run (--no-agl)';
  else if (!aglPythonPath) agl.error = aglPythonError ?? 'no Python for Agent Lightning';
  if (agl.error || !aglPythonPath) return agl;
  const python = aglPythonPath;
  const proxy = await startRecordingProxy(sim.url);
  const grader = await startGradingEndpoint(task.grade);
  const toAgl = (t: Task): AglTask => ({ id: t.id, question: t.question, answer: t.answer });
  // Seeds run a few at a time: most of an AGL run is waiting on POML's renderer, one Node process per request.
  const parallel = Math.max(1, num('agl-parallel'));
  const results: AglOutcome[] = [];
  for (let first = 1; first <= seeds; first += parallel) {
    const batch = Array.from({ length: Math.min(parallel, seeds - first + 1) }, (_, i) => first + i);
    results.push(
      ...(await Promise.all(
        batch.map((s) =>
          runAgl({
            python,
            seed: s,
            start: mustacheToFstring(task.start),
            train: task.train.map(toAgl),
            validation: task.validation.map(toAgl),
            agentUrl: sim.url,
            optimizerUrl: proxy.url,
            gradeUrl: grader.url,
            knobs,
            feedback,
            timeoutMs: num('agl-timeout') * 1000,
          }),
        ),
      )),
    );
  }
  for (const [i, r] of results.entries()) {
    const s = i + 1;
    if (!r.ok) {
      agl.error = r.reason;
      log(`${name}: seed ${s}: ${r.reason}`);
      continue;
    }
    // The agent's grading calls are a second count of the rollouts AGL ran; the two must agree.
    if (grader.graded(s) !== r.rollouts) log(`${name}: seed ${s}: the algorithm counted ${r.rollouts} rollouts, the grader ${grader.graded(s)}`);
    agl.runs.push({ points: r.points.map((p) => ({ rollouts: p.rollouts, prompt: fstringToMustache(p.prompt) })), rollouts: r.rollouts, seconds: r.seconds });
    log(`${name}: seed ${s} done (${r.rollouts} rollouts, ${r.seconds.toFixed(1)} s)`);
  }
  graded += grader.graded();
  exchanges = exchanges.concat(proxy.exchanges);
  await grader.close();
  await proxy.close();
  return agl;
}
all.push(await runAglVariant(AGL_NAME, false));
if (!values['no-agl-feedback']) all.push(await runAglVariant(AGL_FEEDBACK_NAME, true));
if (values.capture) writeCaptured(values.capture, exchanges, 6);

// ---- test scoring: one evaluator, one grader, each distinct prompt once ----
const testExamples = task.test.map(asExample);
const tester = new ReplayEvaluator(promptShape({ template: task.start }), {
  model: { base_url: sim.url, model: 'sim-small', max_retries: 0 },
  grade: task.grade,
  role: 'user',
  concurrency: 16,
});
const testCache = new Map<string, Promise<number>>();
let testCalls = 0;
const testScore = (prompt: string): Promise<number> => {
  let p = testCache.get(prompt);
  if (!p) {
    testCalls += testExamples.length;
    p = tester
      .evaluate({ id: `t${testCache.size}`, text: prompt, parentId: null, round: 0 }, testExamples)
      .then((outs) => outs.reduce((s, o) => s + o.reward, 0) / Math.max(1, outs.length));
    testCache.set(prompt, p);
  }
  return p;
};
/** Test reward of the run's best-so-far prompt after spending `spent`. */
async function testAt(run: Run, spent: number): Promise<number> {
  let prompt = run.points[0]?.prompt ?? task.start;
  for (const p of run.points) if (p.rollouts <= spent) prompt = p.prompt;
  return testScore(prompt);
}
/** The first rollout count at which the run's best-so-far prompt scores at least `target` on test (null: never). */
async function reach(run: Run, target: number): Promise<number | null> {
  for (const p of run.points) if ((await testScore(p.prompt)) >= target - 1e-9) return p.rollouts;
  return null;
}

const maxSpent = Math.max(budget, ...all.flatMap((m) => m.runs.map((r) => r.rollouts)));
const step = Math.max(10, Math.ceil(maxSpent / 6 / 10) * 10);
const checkpoints = Array.from({ length: Math.ceil(maxSpent / step) }, (_, i) => (i + 1) * step);

interface Row {
  name: string;
  error?: string;
  cells: Stats[];
  final: Stats;
  rollouts: Stats;
  seconds: Stats;
  toAgl: { mean: number | null; max: number | null; reached: number; of: number } | null;
}
const rows: Row[] = [];
for (const m of all) {
  if (m.runs.length === 0) {
    rows.push({ name: m.name, error: m.error ?? 'no run', cells: [], final: summarize([]), rollouts: summarize([]), seconds: summarize([]), toAgl: null });
    continue;
  }
  const cells: Stats[] = [];
  for (const c of checkpoints) cells.push(summarize(await Promise.all(m.runs.map((r) => testAt(r, c)))));
  rows.push({
    name: m.name,
    error: m.error,
    cells,
    final: summarize(await Promise.all(m.runs.map((r) => testAt(r, Infinity)))),
    rollouts: summarize(m.runs.map((r) => r.rollouts)),
    seconds: summarize(m.runs.map((r) => r.seconds)),
    toAgl: null,
  });
}
// The reference is Agent Lightning's better row, so the comparison never rests on starving it of feedback.
const aglRows = rows.filter((r) => aglNames.has(r.name) && r.final.n > 0).sort((a, b) => b.final.mean - a.final.mean);
const aglRow = aglRows[0];
const aglFinal = aglRow ? aglRow.final.mean : null;
type Reach = NonNullable<Row['toAgl']>;
/** How many rollouts each of tracelight's rows needed to reach every AGL row's final test score. */
const reachOf = new Map<string, Map<string, Reach>>();
for (const a of aglRows) {
  const byRow = new Map<string, Reach>();
  for (const [i, m] of all.entries()) {
    if (aglNames.has(m.name) || m.runs.length === 0) continue;
    const hits = (await Promise.all(m.runs.map((r) => reach(r, a.final.mean)))).filter((x): x is number => x !== null);
    byRow.set((rows[i] as Row).name, {
      mean: hits.length ? hits.reduce((x, y) => x + y, 0) / hits.length : null,
      max: hits.length ? Math.max(...hits) : null,
      reached: hits.length,
      of: m.runs.length,
    });
  }
  reachOf.set(a.name, byRow);
}
if (aglRow) for (const r of rows) r.toAgl = reachOf.get(aglRow.name)?.get(r.name) ?? null;
const startTest = await testScore(task.start);
await sim.close();

const fmt = (s: Stats, d = 3): string => (s.n === 0 ? '-' : `${s.mean.toFixed(d)}±${s.sd.toFixed(d)}`);
const range = (s: Stats, d = 2): string => (s.n === 0 ? '' : ` [${s.min.toFixed(d)}–${s.max.toFixed(d)}]`);
const kinds = { gradient: 0, 'apply-edit': 0, other: 0 };
for (const e of exchanges) kinds[e.kind]++;

if (values.json) {
  process.stdout.write(
    `${JSON.stringify({
      task: task.name,
      seeds,
      train: task.train.length,
      validation: task.validation.length,
      test: task.test.length,
      budget,
      agl_knobs: knobs,
      start_test: startTest,
      checkpoints,
      methods: rows.map((r, i) => ({ ...r, final_prompts: all[i]?.runs.map((run) => run.points.at(-1)?.prompt ?? task.start) ?? [] })),
      agl_optimizer_requests: kinds,
      agl_graded: graded,
      test_calls: testCalls,
    })}\n`,
  );
} else {
  const out: string[] = [];
  out.push(
    `APO on ${task.name} (simulated model: sim-small answers, sim-large optimizes; ${task.train.length} train / ${task.validation.length} validation / ${task.test.length} test, ${seeds} seeds)`,
  );
  out.push(
    `tracelight budget ${budget} rollouts; Agent Lightning APO: beam_width ${knobs.beam_width}, branch_factor ${knobs.branch_factor}, ${knobs.beam_rounds} rounds, gradient_batch_size ${knobs.gradient_batch_size}, val_batch_size ${knobs.val_batch_size} (${aglPlanned} rollouts planned)`,
  );
  out.push(`start prompt on test: ${startTest.toFixed(3)}`);
  out.push('');
  out.push('best-so-far prompt on TEST after N rollouts spent (mean±sd over seeds):');
  const w = Math.max(...rows.map((r) => r.name.length));
  const cw = 12;
  out.push(`${'N ='.padStart(w)}  ${checkpoints.map((c) => String(c).padStart(cw)).join('')}`);
  for (const r of rows) {
    if (r.cells.length === 0) {
      out.push(`${r.name.padStart(w)}  not run: ${r.error ?? ''}`);
      continue;
    }
    out.push(`${r.name.padStart(w)}  ${r.cells.map((c) => fmt(c).padStart(cw)).join('')}`);
  }
  out.push('');
  out.push(
    `${'method'.padStart(w)}  ${'final test [min–max]'.padEnd(26)}${'rollouts spent'.padEnd(18)}${"rollouts to reach AGL's final test".padEnd(38)}seconds/seed`,
  );
  for (const r of rows) {
    if (r.cells.length === 0) {
      out.push(`${r.name.padStart(w)}  not run: ${r.error ?? ''}`);
      continue;
    }
    const toAgl =
      r === aglRow
        ? '(reference)'
        : aglNames.has(r.name)
          ? '-'
          : !r.toAgl
            ? '-'
            : r.toAgl.mean === null
              ? `never (0/${r.toAgl.of} seeds)`
              : `${r.toAgl.mean.toFixed(0)} (max ${r.toAgl.max}, ${r.toAgl.reached}/${r.toAgl.of} seeds)`;
    out.push(
      `${r.name.padStart(w)}  ${(fmt(r.final) + range(r.final)).padEnd(26)}${fmt(r.rollouts, 0).padEnd(18)}${toAgl.padEnd(38)}${r.seconds.mean.toFixed(1)}`,
    );
    if (r.error) out.push(`${''.padStart(w)}  (stopped early: ${r.error})`);
  }
  if (aglRow && aglRow.cells.length > 0 && aglFinal !== null) {
    for (const a of aglRows) {
      out.push('');
      const spent = a.rollouts.mean;
      for (const r of rows) {
        const hit = reachOf.get(a.name)?.get(r.name);
        if (!hit || r.cells.length === 0) continue;
        const half = hit.max !== null && hit.reached === hit.of && hit.max <= spent / 2;
        const higher = r.final.mean > a.final.mean;
        out.push(
          `${r.name}: ${half ? 'reached' : 'did not reach'} the final test score of ${a.name} (${a.final.mean.toFixed(3)}) within half its rollouts (${(spent / 2).toFixed(0)}) on every seed` +
            ` (${hit.reached}/${hit.of} seeds reached it${hit.max !== null ? `, after ${hit.mean?.toFixed(0)} on average, the slowest after ${hit.max}` : ''}); final test ${higher ? 'higher' : 'not higher'} (${r.final.mean.toFixed(3)} vs ${a.final.mean.toFixed(3)})`,
        );
      }
    }
    out.push(
      `AGL optimizer requests: ${kinds.gradient} gradient, ${kinds['apply-edit']} apply-edit${kinds.other ? `, ${kinds.other} other` : ''}; AGL rollouts graded by the bench: ${graded}`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
