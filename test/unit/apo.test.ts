// APO's pure parts: config validation (clear errors naming the field), jobs files and cron checks, the child
// checks (variables kept), template inversion for offline replay, parsing optimizer answers, selection, and
// the demo's task set agreeing with the simulated model's solver.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseApoConfig, readConfigFile, type ApoConfig } from '../../algorithms/apo/config.js';
import { Scorer, type Evaluator } from '../../algorithms/apo/evaluation.js';
import { lastNumberGrade } from '../../algorithms/apo/graders.js';
import { loadSource } from '../../algorithms/apo/dataset.js';
import { parsePrompts } from '../../algorithms/apo/optimizer.js';
import type { RecordedCall, TrainingDataPort } from '../../algorithms/ports.js';
import { select } from '../../algorithms/apo/selection.js';
import { checkChild, extractVariables, matchRecorded, promptShape, contentWith } from '../../algorithms/apo/template.js';
import type { Candidate, Example } from '../../algorithms/apo/types.js';
import { apoJobFromFile, cronError, jobsFromFile } from '../../algorithms/jobs/spec.js';
import { generateTasks } from '../../examples/arithmetic-agent/tasks.js';
import { gradeAnswer } from '../../examples/arithmetic-agent/agent.js';
import { solveWordProblem } from '../../examples/simulated-model/index.js';

const minimal = {
  resource: 'p',
  evaluation: { mode: 'replay', grader: { builtin: 'last-number' } },
  data: { train: { file: 'train.jsonl' } },
};

function errorOf(value: unknown): string {
  try {
    parseApoConfig(value, 'apo.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('APO config', () => {
  it('fills defaults', () => {
    const c = parseApoConfig(minimal);
    expect(c.start).toBe('production');
    expect(c.search).toMatchObject({ beam_width: 2, branch: 3, rounds: 3, minibatch: 8, selection: 'successive-halving' });
    expect(c.budget.rollouts).toBe(1000);
    expect(c.candidate_label).toBe('candidate');
    expect(c.promote).toEqual({ label: 'production', always: false });
    expect(c.data.validation).toEqual({ holdout: 0.5 });
  });

  it('names the field of every error', () => {
    expect(errorOf({ ...minimal, search: { beam_width: 0 } })).toMatch(/^apo\.yaml: search\.beam_width: must be at least 1/);
    expect(errorOf({ ...minimal, search: { beam_width: 1.5 } })).toMatch(/search\.beam_width: must be an integer/);
    expect(errorOf({ ...minimal, search: { beamwidth: 2 } })).toMatch(/search: unknown key "beamwidth"/);
    expect(errorOf({ ...minimal, resource: undefined })).toMatch(/resource: is required/);
    expect(errorOf({ ...minimal, resource: 'bad name!' })).toMatch(/resource: must be a resource name/);
    expect(errorOf({ ...minimal, evaluation: { mode: 'sometimes' } })).toMatch(/evaluation\.mode.*"active" or "replay"/);
    expect(errorOf({ ...minimal, evaluation: { mode: 'replay' } })).toMatch(/evaluation\.grader/);
    expect(errorOf({ ...minimal, evaluation: { mode: 'replay', grader: { builtin: 'last-number' }, model: { base_url: 'ftp://x' } } })).toMatch(
      /evaluation\.model\.base_url: must be an http\(s\) URL/,
    );
    expect(errorOf({ ...minimal, data: { train: { fil: 'x' } } })).toMatch(/data\.train/);
    expect(errorOf({ ...minimal, optimizer: { api_key_env: 'sk-123' } })).toMatch(/optimizer\.api_key_env: must be an environment variable name/);
    expect(errorOf({ ...minimal, search: { selection: 'random' } })).toMatch(/search\.selection/);
  });

  it('reads YAML and JSON files, and says which file does not parse', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-apo-cfg-'));
    writeFileSync(join(dir, 'a.yaml'), 'resource: p\nevaluation:\n  mode: replay\n  grader: {builtin: last-number}\ndata:\n  train: {file: t.jsonl}\n');
    expect(apoJobFromFile(join(dir, 'a.yaml'))).toMatchObject({ name: 'apo:p', config: { resource: 'p' } });
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ ...minimal, name: 'nightly' }));
    expect(apoJobFromFile(join(dir, 'b.json')).name).toBe('nightly');
    writeFileSync(join(dir, 'bad.yaml'), 'resource: [unclosed\n');
    expect(() => readConfigFile(join(dir, 'bad.yaml'))).toThrow(/bad\.yaml is not valid YAML/);
    expect(() => readConfigFile(join(dir, 'missing.yaml'))).toThrow(/cannot read config file .*missing\.yaml: no such file/);
    writeFileSync(
      join(dir, 'c.yaml'),
      'resource: p\nevaluation: {mode: replay, grader: {builtin: last-number}}\ndata: {train: {file: t.jsonl}}\nbudget: {rollouts: -3}\n',
    );
    expect(() => apoJobFromFile(join(dir, 'c.yaml'))).toThrow(/c\.yaml: budget\.rollouts: must be at least 1/);
  });

  it('checks jobs files: cron expressions, names, inline or file APO configs', () => {
    expect(cronError('*/5 * * * *')).toBeNull();
    expect(cronError('* * * * * *')).toBeNull();
    expect(cronError('61 * * * *')).not.toBeNull();
    const dir = mkdtempSync(join(tmpdir(), 'tl-jobs-'));
    writeFileSync(join(dir, 'apo.yaml'), 'resource: p\nevaluation: {mode: replay, grader: {builtin: last-number}}\ndata: {train: {file: t.jsonl}}\n');
    writeFileSync(
      join(dir, 'jobs.yaml'),
      `jobs:\n  - name: nightly\n    schedule: "0 3 * * *"\n    apo: ./apo.yaml\n  - name: inline\n    schedule: "*/10 * * * *"\n    apo: ${JSON.stringify(minimal)}\n`,
    );
    const jobs = jobsFromFile(join(dir, 'jobs.yaml'));
    expect(jobs.map((j) => [j.name, j.schedule, (j.config as ApoConfig).resource])).toEqual([
      ['nightly', '0 3 * * *', 'p'],
      ['inline', '*/10 * * * *', 'p'],
    ]);
    writeFileSync(join(dir, 'badcron.yaml'), 'jobs:\n  - name: x\n    schedule: "every day"\n    apo: ./apo.yaml\n');
    expect(() => jobsFromFile(join(dir, 'badcron.yaml'))).toThrow(/jobs\[0\]\.schedule: invalid cron expression "every day"/);
    writeFileSync(join(dir, 'badapo.yaml'), 'jobs:\n  - name: x\n    schedule: "0 * * * *"\n    apo: {resource: p}\n');
    expect(() => jobsFromFile(join(dir, 'badapo.yaml'))).toThrow(/jobs\[0\]\.apo: (evaluation|data)/);
    writeFileSync(join(dir, 'nojobs.yaml'), 'jobz: []\n');
    expect(() => jobsFromFile(join(dir, 'nojobs.yaml'))).toThrow(/jobs: (is required|must be a list)/);
  });
});

describe('candidate prompts', () => {
  it('rejects a child that loses a variable or does not parse', () => {
    expect(checkChild('Solve: {{question}}', 'Think step by step. Solve: {{question}}')).toEqual({ ok: true });
    expect(checkChild('Solve: {{question}} for {{user}}', 'Solve: {{question}}')).toEqual({ ok: false, reason: 'lost template variable {{user}}' });
    expect(checkChild('Solve: {{question}}', 'Solve: {{#question}}')).toMatchObject({ ok: false });
    expect(checkChild('Solve: {{question}}', '  ')).toMatchObject({ ok: false, reason: 'empty prompt' });
  });

  it('recovers the variables a recorded prompt was rendered with', () => {
    expect(extractVariables('Solve this: {{question}}', 'Solve this: What is 2 + 2?')).toEqual({ question: 'What is 2 + 2?' });
    expect(extractVariables('Q: {{q}} ({{unit}}) again {{q}}', 'Q: 3 apples (kg) again 3 apples')).toEqual({ q: '3 apples', unit: 'kg' });
    expect(extractVariables('Solve this: {{question}}', 'Something else')).toBeNull();
    expect(extractVariables('{{#items}}x{{/items}}', 'xx')).toBeNull();
    const messages = [
      { role: 'system', parts: [{ type: 'text', content: 'You are helpful.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'Solve this: 1 + 1' }] },
    ];
    expect(matchRecorded('Solve this: {{question}}', messages)).toEqual({ index: 1, vars: { question: '1 + 1' } });
  });

  it('takes recorded calls rendered from the start version only, though a child that appends to it matches its text too', async () => {
    const call = (id: string, content: string, resources: Record<string, string>): RecordedCall => ({
      rollout_id: id,
      trace_id: 't',
      span_id: id,
      agent: 'a',
      model: 'm',
      start_ns: '1',
      input: [{ role: 'user', parts: [{ type: 'text', content }] }],
      output: null,
      reward: null,
      explanation: '',
      resources,
    });
    const calls = [
      call('r1', 'Solve: 2 + 2', { arith: '1' }),
      call('r2', 'Solve: 3 + 3\n\nGive only the number.', { arith: '4' }),
      call('r3', 'Solve: 5 + 5', {}),
      call('r4', 'Solve: 6 + 6', { arith: '1', other: '9' }),
    ];
    const data = { recordedCalls: async () => calls } as unknown as TrainingDataPort;
    const ctx = { baseDir: '.', data, template: 'Solve: {{q}}', resource: { name: 'arith', version: 1 }, window: { sinceNs: '0', untilNs: '9' } };
    const examples = await loadSource({ recorded: { agent: '', limit: 100 } }, 'data.train', ctx);
    // r2 used version 4 (its text also parses as version 1 with q = "3 + 3\n\nGive only the number."); r3 names no version.
    expect(examples.map((e) => [e.id, e.vars.q])).toEqual([
      ['r1', '2 + 2'],
      ['r3', '5 + 5'],
      ['r4', '6 + 6'],
    ]);
  });

  it('edits the template text or one message of a messages template', () => {
    expect(contentWith(promptShape({ template: 'a {{x}}' }), 'b {{x}}')).toEqual({ template: 'b {{x}}' });
    const shape = promptShape({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: '{{q}}' },
      ],
    });
    expect(shape.message).toBe(0);
    expect(contentWith(shape, 'Be exact.')).toEqual({
      messages: [
        { role: 'system', content: 'Be exact.' },
        { role: 'user', content: '{{q}}' },
      ],
    });
  });

  it('reads prompts from JSON, fenced JSON or tags, and finds none in garbage', () => {
    expect(parsePrompts('{"prompts": ["a {{q}}", "b {{q}}"]}')).toEqual(['a {{q}}', 'b {{q}}']);
    expect(parsePrompts('Here you go:\n```json\n{"prompts": ["a"]}\n```')).toEqual(['a']);
    expect(parsePrompts('<prompt>\nx {{q}}\n</prompt>\n<prompt>y {{q}}</prompt>')).toEqual(['x {{q}}', 'y {{q}}']);
    expect(parsePrompts('lorem ipsum dolor sit amet')).toEqual([]);
    expect(parsePrompts('{"error": 42}')).toEqual([]);
  });
});

describe('evaluation budget and selection', () => {
  const examples: Example[] = Array.from({ length: 16 }, (_, i) => ({ id: `e${i}`, vars: { i } }));
  // Candidate k solves example i when i % 4 < k (so c4 is perfect, c0 never right).
  const evaluator: Evaluator & { runs: number } = {
    mode: 'replay',
    runs: 0,
    async evaluate(c: Candidate, xs: Example[]) {
      this.runs += xs.length;
      const k = Number(c.id.slice(1));
      return xs.map((e) => ({ exampleId: e.id, reward: Number(e.vars.i) % 4 < k ? 1 : 0, input: '', output: '' }));
    },
  };
  const cands: Candidate[] = [0, 1, 2, 3, 4].map((k) => ({ id: `c${k}`, text: `t${k}`, parentId: null, round: 1 }));

  it('caches (candidate, example) results and keeps the budget', async () => {
    const scorer = new Scorer(evaluator, 20);
    evaluator.runs = 0;
    await scorer.score(cands[1] as Candidate, examples.slice(0, 8), { set: 'train' });
    await scorer.score(cands[1] as Candidate, examples.slice(0, 8), { set: 'train' });
    expect(evaluator.runs).toBe(8);
    expect(scorer.cacheHits).toBe(8);
    await expect(scorer.score(cands[2] as Candidate, examples, { set: 'train' })).rejects.toThrow(/budget \(20\) is spent/);
    expect(scorer.spent).toBe(8);
  });

  it('successive halving finds the best with fewer evaluations than the full beam', async () => {
    const full = new Scorer(evaluator, 1000);
    const rankedFull = await select(full, cands, examples, { strategy: 'full', keep: 2, minExamples: 4, eta: 2, ucbC: 0.5 });
    const halving = new Scorer(evaluator, 1000);
    const rankedHalving = await select(halving, cands, examples, { strategy: 'successive-halving', keep: 2, minExamples: 4, eta: 2, ucbC: 0.5 });
    const bandit = new Scorer(evaluator, 1000);
    const rankedUcb = await select(bandit, cands, examples, { strategy: 'ucb', keep: 2, minExamples: 4, eta: 2, ucbC: 0.5 });
    expect(rankedFull[0]?.candidate.id).toBe('c4');
    expect(rankedHalving[0]?.candidate.id).toBe('c4');
    expect(rankedUcb[0]?.candidate.id).toBe('c4');
    expect(full.spent).toBe(80);
    expect(halving.spent).toBeLessThan(full.spent);
    expect(bandit.spent).toBeLessThan(full.spent);
  });
});

describe('the demo task set', () => {
  it("is deterministic, split without overlap, and agrees with the simulated model's solver", () => {
    const a = generateTasks({ seed: 7 });
    expect(generateTasks({ seed: 7 })).toEqual(a);
    expect(a.train).toHaveLength(40);
    expect(a.validation).toHaveLength(40);
    const questions = new Set(a.train.map((t) => t.question));
    expect(a.validation.some((t) => questions.has(t.question))).toBe(false);
    for (const t of [...a.train, ...a.validation]) expect(solveWordProblem(t.question)?.answer).toBe(t.answer);
    const multiStep = [...a.train, ...a.validation].filter((t) => (solveWordProblem(t.question)?.steps.length ?? 0) >= 2).length;
    expect(multiStep).toBeGreaterThan(60);
  });

  it('grades by the final number of the reply', () => {
    expect(gradeAnswer(29, 'Step 1: 3 × 12 = 36\nStep 2: 36 - 7 = 29\nSo the answer is 29.')).toMatchObject({ reward: 1 });
    expect(gradeAnswer(29, 'The answer is 29, based on the 3 and the 7 mentioned.')).toMatchObject({
      reward: 0,
      explanation: expect.stringMatching(/mentions it/),
    });
    expect(gradeAnswer(29, 'I am not sure.')).toMatchObject({ reward: 0, explanation: expect.stringMatching(/no number/) });
    expect(lastNumberGrade('so 1,200 in all', 1200)).toMatchObject({ reward: 1 });
  });
});

describe('the example configs', () => {
  it('validate', () => {
    const here = (f: string): string => new URL(`../../examples/arithmetic-agent/${f}`, import.meta.url).pathname;
    expect(apoJobFromFile(here('apo.yaml')).config.evaluation.mode).toBe('active');
    expect(apoJobFromFile(here('apo-replay.yaml')).config.evaluation.mode).toBe('replay');
    expect(jobsFromFile(here('jobs.yaml'))[0]).toMatchObject({ name: 'nightly-arithmetic-apo', schedule: '0 3 * * *' });
  });
});
