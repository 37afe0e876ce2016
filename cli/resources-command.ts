// `tracelight resources list|get|put|promote|history|diff`: versioned resources, through a running server
// (the REST API under /api/v1/resources) or directly on the store when none runs.
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createTwoFilesPatch, diffLines } from 'diff';
import {
  LABEL_NAME_PATTERN,
  MAX_VERSION,
  parseNewVersion,
  RESOURCE_KINDS,
  resourceText,
  type ResourceKind,
  type ResourceVersion,
} from '../schemas/resources.js';
import { withClient, type ClientTarget, type ResourcesClient } from '../client/index.js';
import { chosenFormat, CliError, formatOption, renderObject, renderRows } from './output.js';

/** The flags main.ts's withReadOptions adds (server or store). */
export interface ResourceTargetOptions {
  server?: string;
  apiKey?: string;
  data?: string;
  clickhouseUrl?: string;
  clickhouseUser?: string;
  clickhousePassword?: string;
  clickhouseDatabase?: string;
}

function versionArg(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > MAX_VERSION) throw new InvalidArgumentError(`${name} must be a version number (an integer from 1)`);
    return n;
  };
}

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

function parseRef(v: string): { version?: number; label?: string } {
  if (/^\d+$/.test(v)) return { version: versionArg('version')(v) };
  if (LABEL_NAME_PATTERN.test(v)) return { label: v };
  throw new CliError(`"${v}" is neither a version number nor a label name`);
}

const useColour = (): boolean => Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const paint = (code: string, s: string): string => (useColour() ? `\u001b[${code}m${s}\u001b[0m` : s);

function describeVersion(v: ResourceVersion): string {
  const metrics = Object.entries(v.metrics).map(([k, n]) => `${k}=${n}`);
  const lines = [
    `${v.name}@${v.version}  ${v.kind}${v.labels.length ? `  [${v.labels.join(', ')}]` : ''}`,
    `parent: ${v.parent ?? '-'}   author: ${v.author ?? '-'}   created: ${v.created_at}`,
    ...(metrics.length ? [`metrics: ${metrics.join('  ')}`] : []),
    '',
    resourceText(v.kind, v.content),
  ];
  return `${lines.join('\n')}\n`;
}

function splitLines(s: string): string[] {
  const lines = s.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function fit(s: string, width: number): string {
  const t = s.replace(/\t/g, '  ');
  return t.length > width ? `${t.slice(0, Math.max(0, width - 1))}…` : t.padEnd(width);
}

/** Two columns, old left and new right; `|` changed, `<` only left, `>` only right. */
export function sideBySide(a: string, b: string, titles: [string, string], totalWidth: number): string {
  const w = Math.max(10, Math.floor((totalWidth - 3) / 2));
  const rows: [string, string, string][] = [];
  const changes = diffLines(a, b);
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i]!;
    const lines = splitLines(c.value);
    const next = changes[i + 1];
    if (c.removed && next?.added) {
      const added = splitLines(next.value);
      for (let j = 0; j < Math.max(lines.length, added.length); j++) {
        const l = lines[j];
        const r = added[j];
        rows.push([l ?? '', l !== undefined && r !== undefined ? '|' : l !== undefined ? '<' : '>', r ?? '']);
      }
      i++;
    } else if (c.removed) for (const l of lines) rows.push([l, '<', '']);
    else if (c.added) for (const r of lines) rows.push(['', '>', r]);
    else for (const l of lines) rows.push([l, ' ', l]);
  }
  const colour = (mark: string, s: string, side: 'l' | 'r'): string => (mark === ' ' ? s : paint(mark === '|' ? '33' : side === 'l' ? '31' : '32', s));
  const out = [`${fit(titles[0], w)} | ${titles[1]}`, `${'-'.repeat(w)}-+-${'-'.repeat(w)}`];
  for (const [l, mark, r] of rows)
    out.push(`${colour(mark, fit(l, w), 'l')} ${mark} ${colour(mark, r.length > w ? fit(r, w) : r.replace(/\t/g, '  '), 'r')}`.trimEnd());
  return `${out.join('\n')}\n`;
}

export function unifiedDiff(a: string, b: string, titles: [string, string], context: number): string {
  const patch = createTwoFilesPatch(titles[0], titles[1], a.endsWith('\n') ? a : `${a}\n`, b.endsWith('\n') ? b : `${b}\n`, undefined, undefined, { context });
  // Drop the "Index:"/"===" preamble some versions print; keep ---/+++ and hunks.
  const lines = patch.split('\n').filter((l) => !/^(Index: |={10,})/.test(l));
  return `${lines
    .map((l) =>
      l.startsWith('@@')
        ? paint('36', l)
        : l.startsWith('+') && !l.startsWith('+++')
          ? paint('32', l)
          : l.startsWith('-') && !l.startsWith('---')
            ? paint('31', l)
            : l,
    )
    .join('\n')
    .trimEnd()}\n`;
}

function readContent(kind: ResourceKind, o: { file?: string; content?: string }): unknown {
  if ((o.file === undefined) === (o.content === undefined))
    throw new CliError('give the content with --file <path> (- for stdin) or --content <string>, one of them');
  let text: string;
  if (o.file !== undefined) {
    try {
      text = readFileSync(o.file === '-' ? 0 : o.file, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read --file ${o.file}: ${(err as Error).message}`);
    }
  } else text = o.content as string;
  // A prompt template is text (a .json file may hold {"template"} or {"messages"}); other kinds are JSON.
  if (kind === 'prompt_template' && !o.file?.endsWith('.json')) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CliError(`${o.file !== undefined ? `--file ${o.file}` : '--content'} is not valid JSON (a ${kind} resource is JSON): ${(err as Error).message}`);
  }
}

function parseMetrics(items: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const i = item.indexOf('=');
    const value = Number(item.slice(i + 1));
    if (i <= 0 || item.slice(i + 1).trim() === '' || !Number.isFinite(value)) throw new CliError(`--metrics must look like name=number, got "${item}"`);
    out[item.slice(0, i)] = value;
  }
  return out;
}

export function registerResourcesCommands(
  program: Command,
  withReadOptions: (cmd: Command) => Command,
  targetFlags: (o: ResourceTargetOptions) => ClientTarget,
): void {
  const resources = program.command('resources').description('versioned resources agents fetch: prompt templates, LLM endpoints, model checkpoints, JSON');
  const using = <T>(o: ResourceTargetOptions, fn: (rs: ResourcesClient) => Promise<T>, read = true): Promise<T> =>
    withClient({ ...targetFlags(o), read }, (client) => fn(client.resources));

  withReadOptions(resources.command('list').description('resource names with kind, latest version and labels').addOption(formatOption())).action(
    async (o: ResourceTargetOptions & { format?: string }) => {
      const format = chosenFormat(o.format);
      const list = await using(o, (rs) => rs.list());
      const rows =
        format === 'table'
          ? list.map((r) => ({
              name: r.name,
              kind: r.kind,
              latest: r.latest_version,
              labels: Object.entries(r.labels)
                .map(([l, v]) => `${l}=${v}`)
                .join(' '),
              updated: r.updated_at,
            }))
          : list;
      process.stdout.write(renderRows(rows as unknown as Record<string, unknown>[], format));
    },
  );

  withReadOptions(
    resources
      .command('get')
      .description('print one version: by label, by number, or (default) production, else the latest')
      .argument('<name>', 'resource name')
      .option('--label <label>', 'the version this label points at')
      .addOption(new Option('--version <n>', 'this version').argParser(versionArg('--version')))
      .addOption(formatOption('table', 'table: header and content; json, jsonl: the API object')),
  ).action(async (name: string, o: ResourceTargetOptions & { label?: string; version?: number; format: string }) => {
    if (o.label !== undefined && o.version !== undefined) throw new CliError('give --label or --version, not both');
    const v = await using(o, (rs) => rs.resolve(name, { label: o.label, version: o.version }));
    process.stdout.write(renderObject(v, chosenFormat(o.format), () => describeVersion(v)));
  });

  withReadOptions(
    resources
      .command('put')
      .description('add the next version of a resource (created on its first version)')
      .argument('<name>', 'resource name: [A-Za-z0-9._-], up to 128 characters')
      .addOption(new Option('--kind <kind>', 'resource kind (fixed per name)').choices([...RESOURCE_KINDS]).makeOptionMandatory())
      .option('--file <path>', 'content from a file (- for stdin): a prompt template as text (or .json), other kinds as JSON')
      .option('--content <string>', 'content inline: template text, or JSON for other kinds')
      .addOption(new Option('--parent <n>', 'the version this one derives from').argParser(versionArg('--parent')))
      .option('--label <label>', 'point this label at the new version (repeatable)', collect)
      .option('--metrics <name=value>', 'an evaluation metric (repeatable)', collect)
      .option('--author <author>', 'who made it: a user, or an algorithm run id')
      .addOption(formatOption('table')),
  ).action(
    async (
      name: string,
      o: ResourceTargetOptions & {
        kind: ResourceKind;
        file?: string;
        content?: string;
        parent?: number;
        label?: string[];
        metrics?: string[];
        author?: string;
        format: string;
      },
    ) => {
      const body = {
        kind: o.kind,
        content: readContent(o.kind, o),
        ...(o.parent !== undefined ? { parent: o.parent } : {}),
        ...(o.metrics?.length ? { metrics: parseMetrics(o.metrics) } : {}),
        ...(o.label?.length ? { labels: o.label } : {}),
        ...(o.author !== undefined ? { author: o.author } : {}),
      };
      const input = parseNewVersion(body);
      const v = await using(o, (rs) => rs.createVersion(name, input), false);
      process.stdout.write(
        renderObject(
          v,
          chosenFormat(o.format),
          () => `created ${v.name}@${v.version} (${v.kind}${v.labels.length ? `; labels: ${v.labels.join(', ')}` : ''})\n`,
        ),
      );
    },
  );

  withReadOptions(
    resources
      .command('promote')
      .description('point a label (default production) at a version')
      .argument('<name>', 'resource name')
      .addOption(new Option('--version <n>', 'the version to label').argParser(versionArg('--version')).makeOptionMandatory())
      .option('--label <label>', 'the label to move', 'production')
      .option('--author <author>', 'who moved it'),
  ).action(async (name: string, o: ResourceTargetOptions & { version: number; label: string; author?: string }) => {
    if (!LABEL_NAME_PATTERN.test(o.label)) throw new CliError(`--label must be 1 to 64 characters [A-Za-z0-9._-], got "${o.label}"`);
    const m = await using(o, (rs) => rs.moveLabel(name, o.label, o.version, o.author ?? null), false);
    process.stdout.write(
      `${m.name}: ${m.label} → version ${m.version}${m.previous === null ? ' (new label)' : m.previous === m.version ? ' (unchanged)' : ` (was ${m.previous})`}\n`,
    );
  });

  withReadOptions(
    resources
      .command('history')
      .description('the versions of a resource, newest first')
      .argument('<name>', 'resource name')
      .addOption(new Option('--limit <n>', 'at most this many versions').argParser(versionArg('--limit')).default(100))
      .addOption(formatOption()),
  ).action(async (name: string, o: ResourceTargetOptions & { limit: number; format?: string }) => {
    const format = chosenFormat(o.format);
    const h = await using(o, (rs) => rs.history(name, { limit: Math.min(o.limit, 1000) }));
    const rows =
      format === 'table'
        ? h.versions.map((v) => ({
            version: v.version,
            labels: v.labels.join(' '),
            parent: v.parent,
            author: v.author,
            metrics: Object.entries(v.metrics)
              .map(([k, n]) => `${k}=${n}`)
              .join(' '),
            created: v.created_at,
          }))
        : h.versions;
    process.stdout.write(renderRows(rows as unknown as Record<string, unknown>[], format));
  });

  withReadOptions(
    resources
      .command('diff')
      .description('compare two versions of a resource (numbers or labels): unified line diff, or --side-by-side')
      .argument('<name>', 'resource name')
      .argument('<a>', 'old version: a number or a label')
      .argument('<b>', 'new version: a number or a label')
      .option('--side-by-side', 'two columns instead of a unified diff')
      .addOption(new Option('--width <columns>', 'total width for --side-by-side (default: the terminal width, else 160)').argParser(versionArg('--width')))
      .addOption(
        new Option('--context <lines>', 'unchanged lines around each change (unified)')
          .argParser((v) => {
            const n = Number(v);
            if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('--context must be an integer from 0');
            return n;
          })
          .default(3),
      ),
  ).action(async (name: string, a: string, b: string, o: ResourceTargetOptions & { sideBySide?: boolean; width?: number; context: number }) => {
    const refA = parseRef(a);
    const refB = parseRef(b);
    const [va, vb] = await using(o, (rs) => Promise.all([rs.resolve(name, refA), rs.resolve(name, refB)]));
    const title = (v: ResourceVersion): string => `${v.name}@${v.version}${v.labels.length ? ` (${v.labels.join(', ')})` : ''}`;
    const ta = resourceText(va.kind, va.content);
    const tb = resourceText(vb.kind, vb.content);
    if (ta === tb) {
      process.stdout.write(`${title(va)} and ${title(vb)} have the same content\n`);
      return;
    }
    process.stdout.write(
      o.sideBySide
        ? sideBySide(ta, tb, [title(va), title(vb)], o.width ?? process.stdout.columns ?? 160)
        : unifiedDiff(ta, tb, [title(va), title(vb)], o.context),
    );
  });
}
