// How a GRPO or SFT run shows itself on a terminal: one line per iteration (mean reward, samples, the version
// it published, where the time went), and at the end the reward curve as a small chart, so learning is visible
// without a notebook. With --format jsonl the events themselves are printed instead (apo-progress.ts).
import type { RunEvent } from '../algorithms/algorithm.js';

const fmt = (v: unknown): string => (typeof v === 'number' ? v.toFixed(3) : '  -  ');

/** A bar chart of `values` (one column per value), `height` rows, y axis from the lowest to the highest. */
export function rewardChart(values: readonly (number | null)[], height = 6): string {
  const known = values.filter((v): v is number => v !== null);
  if (known.length === 0) return '';
  const lo = Math.min(0, ...known);
  const hi = Math.max(...known, lo + 1e-9);
  const blocks = ' ▁▂▃▄▅▆▇█';
  const rows: string[] = [];
  for (let r = height - 1; r >= 0; r--) {
    const cells = values.map((v) => {
      if (v === null) return '  ';
      const level = ((v - lo) / (hi - lo)) * height - r;
      return (level >= 1 ? '█' : level <= 0 ? ' ' : (blocks[Math.round(level * 8)] ?? ' ')).repeat(2);
    });
    const axis = r === height - 1 ? hi.toFixed(2) : r === 0 ? lo.toFixed(2) : '';
    rows.push(`${axis.padStart(6)} │${cells.join(' ')}`);
  }
  rows.push(`${''.padStart(6)} └${values.map(() => '──').join('─')}`);
  rows.push(`${''.padStart(8)}${values.map((_, i) => String(i + 1).padEnd(3)).join('')}  iteration`);
  return `${rows.join('\n')}\n`;
}

function bar(done: number, total: number, width = 20): string {
  const full = total > 0 ? Math.round(Math.max(0, Math.min(1, done / total)) * width) : 0;
  return `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
}

/** `print` writes a finished line; `live` redraws the one live line (a terminal only). */
export function rlPrinter(print: (line: string) => void, live: (line: string) => void = () => undefined): (e: RunEvent) => void {
  const rewards: (number | null)[] = [];
  return (e) => {
    if (e.event === 'progress') {
      const it = Number(e.iteration);
      const its = Number(e.iterations);
      const last = rewards.filter((r): r is number => r !== null).at(-1);
      const phase = e.phase === 'rollouts' ? `rollouts ${bar(Number(e.done), Number(e.total))} ${String(e.done)}/${String(e.total)}` : 'training…';
      live(`iteration ${it}/${its} ${bar(it - 1, its, 10)}  ${phase}${last !== undefined ? `  last mean reward ${last.toFixed(3)}` : ''}`);
    } else if (e.event === 'run_started') {
      const what =
        e.algorithm === 'sft'
          ? `SFT of ${String(e.model)} v${String(e.start_version)}: ${String(e.examples)} examples from ${String(e.rollouts)} rollouts`
          : `GRPO on ${String(e.model)} v${String(e.start_version)}: ${String(e.tasks)} tasks × ${String(e.rollouts_per_task)} rollouts, ${String(e.iterations)} iterations`;
      print(what);
    } else if (e.event === 'iteration') {
      rewards.push(typeof e.mean_reward === 'number' ? e.mean_reward : null);
      const s = e.seconds as { rollouts: number; batch: number; training: number; publishing: number };
      print(
        `iteration ${String(e.iteration)}/${String(e.iterations)}: mean reward ${fmt(e.mean_reward)}, ${String(e.samples)} samples, ${e.version === null ? 'no update' : `published v${String(e.version)}`} (rollouts ${s.rollouts} s, batch ${s.batch} s, training ${s.training} s, publishing ${s.publishing} s)`,
      );
    } else if (e.event === 'trained') {
      const t = e.train as Record<string, unknown>;
      print(`trained on ${String(e.examples)} examples: loss ${fmt(t.loss_before)} → ${fmt(t.loss_after)}; published v${String(e.version)}`);
    } else if (e.event === 'run_finished') {
      if (rewards.length > 1) print(`mean reward per iteration:\n${rewardChart(rewards)}`);
      print(
        e.status === 'failed'
          ? `run ${String(e.run_id)} FAILED: ${String(e.error ?? '')}`
          : `run ${String(e.run_id)} ${String(e.status)}${e.error ? `: ${String(e.error)}` : ''}`,
      );
    }
  };
}
