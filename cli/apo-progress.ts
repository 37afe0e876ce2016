// How a training run shows itself: on a terminal, a live line with bars (rounds, evaluations against the
// budget, best validation score) above which each round's summary is printed; elsewhere plain lines; with
// --format jsonl, one JSON object per event.
import type { RunEvent } from '../algorithms/algorithm.js';
import type { ApoEvent } from '../algorithms/apo/types.js';
import type { OutputFormat } from './output.js';
import { rlPrinter } from './rl-progress.js';

function bar(done: number, total: number, width = 16): string {
  const f = total > 0 ? Math.max(0, Math.min(1, done / total)) : 0;
  const full = Math.round(f * width);
  return `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
}

const score = (v: number | null | undefined): string => (v === null || v === undefined ? '  -  ' : v.toFixed(3));

export interface Progress {
  emit: (event: RunEvent) => void;
  /** Clears the live line (call before printing anything else). */
  done(): void;
}

export function progress(format: OutputFormat, out: NodeJS.WriteStream = process.stdout): Progress {
  // Live progress is for a terminal; a JSON stream gets the events that say what happened; one JSON document
  // (json) is the command's to print at the end.
  if (format === 'jsonl') return { emit: (e) => (e.event === 'progress' ? undefined : out.write(`${JSON.stringify(e)}\n`)), done: () => undefined };
  if (format === 'json') return { emit: () => undefined, done: () => undefined };
  const live = Boolean(out.isTTY);
  let rounds = 0;
  let round = 0;
  let budget = 0;
  let spent = 0;
  let best: number | null = null;
  let baseline: number | null = null;
  let lineShown = false;
  let children = 0;
  let rejected = 0;

  const clear = (): void => {
    if (live && lineShown) out.write('\r\x1b[K');
    lineShown = false;
  };
  const print = (s: string): void => {
    clear();
    out.write(`${s}\n`);
    redraw();
  };
  const redraw = (): void => {
    if (!live || budget === 0) return;
    out.write(
      `\r\x1b[Kround ${bar(round, rounds, 8)} ${round}/${rounds}  evaluations ${bar(spent, budget)} ${spent}/${budget}  best ${score(best)} (baseline ${score(baseline)})`,
    );
    lineShown = true;
  };

  let rl: ((e: RunEvent) => void) | null = null;
  const emit = (event: RunEvent): void => {
    if (event.event === 'run_started' && (event.algorithm === 'grpo' || event.algorithm === 'sft'))
      rl = rlPrinter(print, (line) => {
        if (!live) return;
        clear();
        out.write(line);
        lineShown = true;
      });
    if (rl) {
      rl(event);
      if (event.event === 'run_finished') clear();
      return;
    }
    const e = event as ApoEvent;
    switch (e.event) {
      case 'run_started':
        budget = e.budget;
        print(
          `APO on ${e.resource} v${e.start_version}: ${e.mode} evaluation, ${e.train} train / ${e.validation} validation${e.test ? ` / ${e.test} test` : ''} examples, budget ${e.budget} rollouts`,
        );
        break;
      case 'baseline':
        baseline = e.validation;
        best = e.validation;
        spent = e.rollouts;
        print(`baseline: validation reward ${score(e.validation)} (${e.rollouts} rollouts)`);
        break;
      case 'round_started':
        rounds = e.rounds;
        round = e.round;
        children = 0;
        rejected = 0;
        redraw();
        break;
      case 'candidate':
        if (e.status === 'new') children++;
        else rejected++;
        break;
      case 'evaluated':
        spent = e.rollouts;
        redraw();
        break;
      case 'round_finished':
        spent = e.rollouts;
        best = e.best_validation;
        print(
          `round ${e.round}/${rounds}: ${children} new prompt${children === 1 ? '' : 's'}${rejected ? ` (${rejected} rejected)` : ''}; beam ${e.beam.map((b) => `${b.id} ${score(b.train)}`).join(', ')}; validation ${score(e.validation)}, best ${score(e.best_validation)}; ${e.rollouts} rollouts`,
        );
        break;
      case 'stopped':
        print(`stopped: ${e.reason}`);
        break;
      case 'test':
        print(
          `test: reward ${score(e.baseline)} (start) → ${score(e.best)} (${e.candidate}) on ${e.examples} examples, ${e.rollouts} rollouts outside the budget`,
        );
        break;
      case 'resources_written':
        print(
          `wrote ${e.versions.length} version${e.versions.length === 1 ? '' : 's'} of ${e.resource}${e.versions.length ? ` (v${e.versions[0]?.version}…v${e.versions[e.versions.length - 1]?.version})` : ''}; labels ${
            Object.entries(e.labels)
              .map(([l, v]) => `${l}→v${v}`)
              .join(', ') || 'none'
          }`,
        );
        break;
      case 'run_finished':
        if (e.status === 'failed') print(`run ${e.run_id} FAILED: ${e.error ?? ''}`);
        else if (e.status === 'skipped') print(`run ${e.run_id} ${String(e.error ?? 'skipped').startsWith('skipped') ? '' : 'skipped: '}${e.error ?? ''}`);
        else print(`run ${e.run_id} succeeded: validation ${score(e.baseline)} → ${score(e.best)} in ${e.rollouts} rollouts`);
        clear();
        break;
      default:
        break;
    }
  };
  return { emit, done: clear };
}
