// The compatibility table of the README, from the interop suite's own results. A suite records its row only after
// its field-by-field assertions passed (recordCompat, called by the harnesses' wire checks), into
// test-artifacts/compat/; `npm run compat:table` writes the table from those rows and the list of frameworks that
// cannot run here, and the README check after the main suite fails when the README's table differs from what this
// run proved.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/cli-process.js';

export const COMPAT_DIR = join(REPO_ROOT, 'test-artifacts', 'compat');

/** What one framework's interop run proved. */
export interface CompatRow {
  /** File-safe id, one per framework and instrumentation. */
  id: string;
  framework: string;
  version: string;
  language: 'Python' | 'TypeScript';
  /** The instrumentation that produced the spans (native, OpenInference, OpenLLMetry, ...). */
  instrumentation: string;
  /** Prompts and responses equal what went over the wire, message by message. */
  content: boolean;
  /** Tool calls and their results, with their ids linked. */
  toolCalls: boolean;
  /** Token usage as the model reported it. */
  usage: boolean;
  /** The rollout's reward on its triplets. */
  rewards: boolean;
  /** Exactly one triplet per request the model served. */
  callCount: boolean;
  /** What the instrumentation does not record, or how it must be set up. */
  notes?: string;
}

export function recordCompat(row: CompatRow): void {
  mkdirSync(COMPAT_DIR, { recursive: true });
  writeFileSync(join(COMPAT_DIR, `${row.id}.json`), `${JSON.stringify(row, null, 2)}\n`);
}

export function recordedRows(): CompatRow[] {
  let files: string[] = [];
  try {
    files = readdirSync(COMPAT_DIR).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files.map((f) => JSON.parse(readFileSync(join(COMPAT_DIR, f), 'utf8')) as CompatRow);
}

/** Frameworks the suite does not run, and exactly why. */
export interface Unsupported {
  framework: string;
  language: 'Python' | 'TypeScript';
  reason: string;
}

export const UNSUPPORTED: Unsupported[] = [
  {
    framework: 'LlamaIndex + OpenLLMetry (opentelemetry-instrumentation-llamaindex 0.62.4)',
    language: 'Python',
    reason:
      'the instrumentation drops every tool call that is not a dict, and llama-index-llms-openai passes ChatCompletionMessageToolCall objects, so tool-call turns reach tracelight empty (the calls survive only in traceloop.entity.output); use OpenInference',
  },
  {
    framework: 'Haystack + OpenInference (openinference-instrumentation-haystack 0.1.46)',
    language: 'Python',
    reason: "the instrumentation records no tool calls or tool results in the prompt and no tool-call ids; use Haystack's own OpenTelemetryTracer",
  },
  {
    framework: 'Google ADK, legacy telemetry schema (ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN=1)',
    language: 'Python',
    reason:
      "the model call's content is only in gcp.vertex.agent.* JSON on call_llm, and its generate_content child logs '<elided>' placeholders; use ADK's default schema",
  },
];

const mark = (b: boolean): string => (b ? 'yes' : 'no');

/** The README's table: every recorded row (sorted by language, then framework), then the frameworks that cannot run. */
export function compatTable(rows: CompatRow[], unsupported: Unsupported[] = UNSUPPORTED): string {
  const sorted = [...rows].sort((a, b) => a.language.localeCompare(b.language) || a.framework.localeCompare(b.framework) || a.id.localeCompare(b.id));
  const lines = [
    '| framework | version | language | instrumentation | content | tool calls | usage | rewards | one triplet per model call | notes |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of sorted)
    lines.push(
      `| ${r.framework} | ${r.version} | ${r.language} | ${r.instrumentation} | ${mark(r.content)} | ${mark(r.toolCalls)} | ${mark(r.usage)} | ${mark(r.rewards)} | ${mark(r.callCount)} | ${r.notes ?? ''} |`,
    );
  for (const u of [...unsupported].sort((a, b) => a.framework.localeCompare(b.framework)))
    lines.push(`| ${u.framework} | – | ${u.language} | – | – | – | – | – | – | not supported: ${u.reason} |`);
  return lines.join('\n');
}

export const README_START = '<!-- compat-table:start (npm run compat:table) -->';
export const README_END = '<!-- compat-table:end -->';

/** The README with its table replaced by `table`; throws when the markers are missing. */
export function withTable(readme: string, table: string): string {
  const a = readme.indexOf(README_START);
  const b = readme.indexOf(README_END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${README_START} … ${README_END} section`);
  return `${readme.slice(0, a + README_START.length)}\n${table}\n${readme.slice(b)}`;
}
