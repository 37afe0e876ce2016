// The quick starts of README.md as the test runs them. A quick start is the text from a
// `<!-- quickstart: NAME -->` marker to the next heading; its ```sh blocks are what a user types and its
// "Save as `PATH`:" blocks the files a user saves, in the order printed. One quick start becomes one bash
// session, as in a terminal: files are written where the session stands at that point.
import { readFileSync } from 'node:fs';

export type Step = { kind: 'sh'; script: string } | { kind: 'file'; path: string; content: string };

export interface QuickStart {
  name: string;
  steps: Step[];
}

const MARKER = /^<!-- quickstart: ([a-z0-9-]+) -->$/;
const SAVE_AS = /Save (?:it )?as `([^`]+)`/;
const FENCE = /^```(\S*)/;

export function readQuickStarts(readmePath: string): QuickStart[] {
  const lines = readFileSync(readmePath, 'utf8').split('\n');
  const out: QuickStart[] = [];
  let current: QuickStart | null = null;
  let saveAs: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const marker = MARKER.exec(line.trim());
    if (marker) {
      current = { name: marker[1] as string, steps: [] };
      out.push(current);
      continue;
    }
    if (/^#{1,6} /.test(line)) {
      current = null;
      continue;
    }
    if (!current) continue;
    const save = SAVE_AS.exec(line);
    if (save) saveAs = save[1] as string;
    const fence = FENCE.exec(line);
    if (!fence) continue;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] as string).startsWith('```'); i++) body.push(lines[i] as string);
    const text = body.join('\n') + '\n';
    if (saveAs) current.steps.push({ kind: 'file', path: saveAs, content: text });
    else if (fence[1] === 'sh') current.steps.push({ kind: 'sh', script: text });
    saveAs = null;
  }
  return out;
}

/** A quick start as one bash script; the output of its last command block follows `LAST_BLOCK`. */
export const LAST_BLOCK = '@@quickstart: last block@@';

export function toScript(qs: QuickStart): string {
  const lastSh = qs.steps.map((s) => s.kind).lastIndexOf('sh');
  const parts = ['set -eo pipefail'];
  qs.steps.forEach((step, i) => {
    if (i === lastSh) parts.push(`echo '${LAST_BLOCK}'`);
    if (step.kind === 'sh') parts.push(step.script);
    else {
      const eof = 'TRACELIGHT_QUICKSTART_EOF';
      if (step.content.includes(eof)) throw new Error(`${qs.name}: ${step.path} contains ${eof}`);
      parts.push(`mkdir -p "$(dirname '${step.path}')" && cat > '${step.path}' <<'${eof}'\n${step.content}${eof}`);
    }
  });
  return parts.join('\n');
}
