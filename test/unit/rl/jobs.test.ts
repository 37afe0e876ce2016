// GRPO and SFT as scheduled jobs: a `jobs:` file names each job's algorithm by key, and their configs are
// checked like APO's (field-named errors, unknown keys refused).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jobFromFile, jobsFromFile } from '../../../algorithms/jobs/spec.js';
import type { GrpoConfig, SftConfig } from '../../../algorithms/rl/config.js';

describe('RL jobs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tl-rl-jobs-'));
  it('reads grpo and sft entries of a jobs file, each config from a file or inline', () => {
    writeFileSync(join(dir, 'grpo.yaml'), 'model: policy\ntasks: [{q: 1}, {q: 2}]\nrollouts_per_task: 4\ncredit: discounted\ngamma: 0.9\n');
    writeFileSync(
      join(dir, 'jobs.yaml'),
      'jobs:\n  - {name: rl, schedule: "0 * * * *", grpo: ./grpo.yaml}\n  - {name: ft, schedule: "0 3 * * *", sft: {model: policy, select: {top_percent: 10}}}\n',
    );
    const [rl, ft] = jobsFromFile(join(dir, 'jobs.yaml'));
    expect(rl).toMatchObject({ name: 'rl', algorithm: 'grpo', schedule: '0 * * * *' });
    expect(rl!.config as GrpoConfig).toMatchObject({
      model: 'policy',
      rollouts_per_task: 4,
      credit: 'discounted',
      gamma: 0.9,
      iterations: 10,
      label: 'production',
      scale_by_std: true,
    });
    expect(ft).toMatchObject({ name: 'ft', algorithm: 'sft' });
    expect((ft!.config as SftConfig).select).toEqual({ top_percent: 10 });
  });

  it('names the field of a bad config, and refuses an entry naming two algorithms or none', () => {
    writeFileSync(join(dir, 'bad.yaml'), 'model: policy\ntasks: []\n');
    expect(() => jobFromFile('grpo', join(dir, 'bad.yaml'))).toThrow(/bad\.yaml: tasks: give at least one task/);
    writeFileSync(join(dir, 'typo.yaml'), 'model: policy\ntasks: [1]\nrollout_per_task: 4\n');
    expect(() => jobFromFile('grpo', join(dir, 'typo.yaml'))).toThrow(/unknown key "rollout_per_task"/);
    writeFileSync(join(dir, 'two.yaml'), 'jobs:\n  - {name: x, schedule: "0 * * * *", grpo: {model: p, tasks: [1]}, sft: {model: p}}\n');
    expect(() => jobsFromFile(join(dir, 'two.yaml'))).toThrow(/name exactly one algorithm: apo, grpo, sft/);
    writeFileSync(join(dir, 'none.yaml'), 'jobs:\n  - {name: x, schedule: "0 * * * *"}\n');
    expect(() => jobsFromFile(join(dir, 'none.yaml'))).toThrow(/name exactly one algorithm/);
  });
});
