// `tracelight export sft|dpo|verl|grpo`: training data from the stored traces, in the files trainers load —
// OpenAI chat fine-tuning or TRL JSONL, TRL preference pairs, verl's Parquet RL dataset, and GRPO batches for
// the reference trainer. Reads through a running server or the store, like every reading command.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Option, type Command } from 'commander';
import parquet from '@dsnp/parquetjs';
import { dpoRecords, sftRecords, verlRows } from '../algorithms/rl/exports.js';
import { buildGrpoBatch, CREDIT_POLICIES, groupRollouts, type CreditPolicy, type RolloutGroup } from '../algorithms/rl/grpo.js';
import { rolloutsInWindow, withClient, type ClientTarget, type TracelightClient } from '../client/index.js';
import { parseAgentPattern, parseSince } from '../training/filters.js';
import { numberArg } from './args.js';

export interface ExportWiring<F> {
  withReadOptions(cmd: Command): Command;
  targetFlags(o: F): ClientTarget;
}

interface CommonFlags {
  out: string;
  since?: string;
  agent?: string;
}

interface Loaded {
  groups: RolloutGroup[];
  /** With --agent: the agent names the engine matched (the pattern is RE2, never run as a JavaScript RegExp). */
  agent?: (name: string) => boolean;
}

/** Every rollout with calls since `since` (with a call of a matching agent), grouped by task. */
async function load(client: TracelightClient, f: CommonFlags): Promise<Loaded> {
  const agent = f.agent ? parseAgentPattern(f.agent) : undefined;
  const { rollouts, agents } = await rolloutsInWindow(client, { sinceNs: f.since ? parseSince(f.since) : undefined, agent });
  return { groups: groupRollouts(rollouts), ...(agent !== undefined ? { agent: (name: string) => agents.has(name) } : {}) };
}

async function writeJsonl(path: string, rows: readonly unknown[]): Promise<void> {
  const out = createWriteStream(path);
  for (const r of rows) if (!out.write(`${JSON.stringify(r)}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

const VERL_SCHEMA = new parquet.ParquetSchema({
  data_source: { type: 'UTF8' },
  prompt: { repeated: true, fields: { role: { type: 'UTF8' }, content: { type: 'UTF8' } } },
  ability: { type: 'UTF8' },
  reward_model: { fields: { style: { type: 'UTF8' }, ground_truth: { type: 'UTF8' } } },
  extra_info: {
    fields: {
      index: { type: 'INT64' },
      split: { type: 'UTF8' },
      group_id: { type: 'UTF8' },
      rollouts: { type: 'INT64' },
      mean_reward: { type: 'DOUBLE', optional: true },
      best_reward: { type: 'DOUBLE', optional: true },
      tools: { type: 'UTF8' },
    },
  },
});

const number = numberArg;

function report(what: string, n: number, path: string, extra = ''): void {
  process.stdout.write(`wrote ${n} ${what} to ${path}${extra}\n`);
}

export function registerExportCommands<F extends CommonFlags>(program: Command, w: ExportWiring<F>): void {
  const exp = program
    .command('export')
    .description('training data for other trainers: sft (OpenAI, TRL), dpo (TRL), verl (Parquet), grpo (the reference trainer)');
  const common = (cmd: Command): Command =>
    w.withReadOptions(
      cmd
        .requiredOption('--out <file>', 'where to write')
        .option('--since <time>', 'only rollouts with calls since this ISO time or epoch ms')
        .option('--agent <regex>', 'only calls whose agent name matches (RE2)'),
    );

  common(
    exp
      .command('sft')
      .description('supervised fine-tuning data from the best rollouts of each task: chat JSONL with tool calls and tool definitions')
      .addOption(new Option('--format <format>', 'openai: {messages, tools}; trl: {prompt, completion, tools}').choices(['openai', 'trl']).default('openai'))
      .addOption(new Option('--min-reward <x>', 'keep rollouts whose reward is at least this').argParser(number('--min-reward', -1e9, 1e9)))
      .addOption(new Option('--top-percent <k>', "keep the best k % of each task's rollouts").argParser(number('--top-percent', 0.001, 100))),
  ).action(async (o: F & { format: 'openai' | 'trl'; minReward?: number; topPercent?: number }) => {
    const { groups, agent } = await withClient(w.targetFlags(o), (c) => load(c, o));
    const rows = sftRecords(groups, { format: o.format, minReward: o.minReward, topPercent: o.topPercent, agent });
    await writeJsonl(o.out, rows);
    report('examples', rows.length, o.out, ` (${groups.length} tasks)`);
  });

  common(exp.command('dpo').description("preference pairs within each task: the best rollout's answer chosen over the worst's, for the same prompt")).action(
    async (o: F) => {
      const { groups, agent } = await withClient(w.targetFlags(o), (c) => load(c, o));
      const rows = dpoRecords(groups, agent);
      await writeJsonl(o.out, rows);
      report('pairs', rows.length, o.out, ` (${groups.length} tasks)`);
    },
  );

  common(
    exp
      .command('verl')
      .description("verl's RL dataset (Parquet): each task's opening prompt, the best answer seen as ground_truth")
      .option('--data-source <name>', 'the data_source column', 'tracelight')
      .option('--ability <name>', 'the ability column', 'agent')
      .option('--split <name>', 'extra_info.split', 'train'),
  ).action(async (o: F & { dataSource: string; ability: string; split: string }) => {
    const { groups } = await withClient(w.targetFlags(o), (c) => load(c, o));
    const rows = verlRows(groups, { dataSource: o.dataSource, ability: o.ability, split: o.split });
    const writer = await parquet.ParquetWriter.openFile(VERL_SCHEMA, o.out);
    for (const r of rows)
      await writer.appendRow({ ...r, extra_info: { ...r.extra_info, index: BigInt(r.extra_info.index), rollouts: BigInt(r.extra_info.rollouts) } });
    await writer.close();
    report('tasks', rows.length, o.out);
  });

  common(
    exp
      .command('grpo')
      .description('a GRPO batch (JSONL) for the reference trainer: token ids, recorded logprobs, group-normalized advantages')
      .addOption(new Option('--credit <policy>', 'reward each call is credited with').choices([...CREDIT_POLICIES]).default('final'))
      .addOption(new Option('--gamma <g>', 'discount for --credit discounted').default(1).argParser(number('--gamma', 0, 1)))
      .option('--no-std', 'advantage = reward − group mean (no division by the group std)')
      .addOption(
        new Option('--max-tokens <n>', 'drop samples longer than this (prompt + response)').default(8192).argParser(number('--max-tokens', 1, 10_000_000)),
      ),
  ).action(async (o: F & { credit: CreditPolicy; gamma: number; std: boolean; maxTokens: number }) => {
    const { groups } = await withClient(w.targetFlags(o), (c) => load(c, o));
    const batch = buildGrpoBatch(groups, { credit: o.credit, gamma: o.gamma, scaleByStd: o.std, maxTokens: o.maxTokens });
    await writeJsonl(o.out, batch.samples);
    const d = Object.entries(batch.metrics.dropped).filter(([, n]) => n > 0);
    report(
      'samples',
      batch.samples.length,
      o.out,
      ` (${batch.metrics.groups_used} of ${batch.metrics.groups} groups${d.length ? `; dropped ${d.map(([k, n]) => `${k} ${n}`).join(', ')}` : ''})`,
    );
  });
}
