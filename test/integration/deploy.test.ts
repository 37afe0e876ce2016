// deploy/ checked offline, the way a user would check it before running it: the Dockerfile, the compose setup
// (Compose Specification schema and dclint's rules, every variable defined, the services wired to each other), the
// OpenTelemetry Collector configs (only components of the pinned contrib distribution, only their keys, pipelines
// that reference what is defined), the Kubernetes manifests (the official OpenAPI schemas through kubernetes-models,
// and no field those schemas do not know, which `kubectl apply` would refuse), and every `tracelight ...` command
// line and TRACELIGHT_* variable they use against the built CLI's --help.
//
// kubernetes-models 5.1.0 declares Node >= 22, but it is plain ESM with precompiled validators: it imports and
// validates on Node 20 (this suite runs on the project's Node 20).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { DCLinter } from 'dclint';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { ApiKeys, parseApiKeys } from '../../api/auth.js';
import { jobsFromFile } from '../../algorithms/jobs/spec.js';
import { CLI_PATH, cliBuilt, REPO_ROOT } from '../support/cli-process.js';
import {
  OTELCOL_COMPONENTS,
  OTELCOL_CONFIG_KEYS,
  OTELCOL_CONTRIB_IMAGE,
  OTELCOL_CONTRIB_MODULES,
  OTELCOL_PIPELINE_KEYS,
  OTELCOL_SERVICE_KEYS,
  OTELCOL_SIGNALS,
  type ComponentKind,
} from '../support/otelcol-contrib.js';

const DEPLOY = join(REPO_ROOT, 'deploy');
const COMPOSE_DIR = join(DEPLOY, 'compose');
const K8S_DIR = join(DEPLOY, 'kubernetes');
const COLLECTOR_DIR = join(DEPLOY, 'collector');
const PACKAGE_VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const rel = (p: string): string => relative(REPO_ROOT, p);

function filesUnder(dir: string, pattern: RegExp): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .map((f) => join(dir, f))
    .filter((f) => pattern.test(f) && statSync(f).isFile())
    .sort();
}

function readYaml(path: string): Obj {
  return obj(parseYaml(readFileSync(path, 'utf8')));
}

function readYamlDocs(path: string): Obj[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((d) => d.toJS() as unknown)
    .filter(isObj);
}

// ---------------------------------------------------------------------------------------------------------------
// The CLI: flags, their arity and choices, and environment variables, read from the built CLI's --help.

interface CliOption {
  arity: 'none' | 'one' | 'many';
  choices?: string[];
  default?: string;
}
interface CliCommand {
  name: string;
  options: Map<string, CliOption>;
  envs: Set<string>;
  positionals: number;
  subcommands: string[];
}

const helpCache = new Map<string, CliCommand>();

function cliHelp(path: readonly string[]): CliCommand {
  const key = path.join(' ');
  const cached = helpCache.get(key);
  if (cached) return cached;
  const res = spawnSync(process.execPath, [CLI_PATH, ...path, '--help'], { encoding: 'utf8', cwd: REPO_ROOT });
  if (res.status !== 0) throw new Error(`tracelight ${key} --help exited ${res.status}: ${res.stderr}`);
  const text = res.stdout;
  const options = new Map<string, CliOption>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^ {2}(?:-[A-Za-z], )?(--[A-Za-z0-9-]+)(?: (<[^>]+>|\[[^\]]+\]))?/.exec(lines[i] ?? '');
    if (!m) continue;
    let desc = lines[i] ?? '';
    for (let j = i + 1; j < lines.length && /^ {4,}\S/.test(lines[j] ?? ''); j++) desc += ` ${(lines[j] ?? '').trim()}`;
    desc = desc.replace(/\s+/g, ' ');
    const choices = /\(choices: ([^)]*)\)/.exec(desc)?.[1];
    options.set(m[1] as string, {
      arity: !m[2] ? 'none' : m[2].includes('...') ? 'many' : 'one',
      choices: choices ? [...choices.matchAll(/"([^"]*)"/g)].map((c) => c[1] as string) : undefined,
      default: /\(default: "?([^",)]*)"?/.exec(desc)?.[1],
    });
  }
  const flat = text.replace(/\s+/g, ' ');
  const envs = new Set([...flat.matchAll(/\benv:? (TRACELIGHT_[A-Z0-9_]+)/g)].map((e) => e[1] as string));
  const usage = /^Usage: tracelight (.*)$/m.exec(text)?.[1] ?? '';
  const positionals = [...usage.matchAll(/<[^>]+>|\[[^\]]+\]/g)].filter((t) => t[0] !== '[options]' && t[0] !== '[command]').length;
  const commands = /\nCommands:\n([\s\S]*?)(?:\n\n|$)/.exec(text)?.[1] ?? '';
  const subcommands = [...commands.matchAll(/^ {2}([a-z][a-z0-9-]*)/gm)].map((c) => c[1] as string).filter((c) => c !== 'help');
  const cmd: CliCommand = { name: ['tracelight', ...path].join(' '), options, envs, positionals, subcommands };
  helpCache.set(key, cmd);
  return cmd;
}

/** The command a `tracelight` argv runs (following subcommands) and the arguments left for it. */
function resolveCommand(argv: readonly string[]): { cmd: CliCommand; rest: string[] } {
  const path: string[] = [];
  let cmd = cliHelp([]);
  let i = 0;
  while (cmd.subcommands.length > 0) {
    const next = argv[i];
    if (!next || !cmd.subcommands.includes(next)) throw new Error(`${cmd.name} has no command ${next ?? '(none given)'}`);
    path.push(next);
    i++;
    cmd = cliHelp(path);
  }
  return { cmd, rest: argv.slice(i) };
}

/** What is wrong with a `tracelight` argv (no problems: the CLI would parse it). */
function cliProblems(argv: readonly string[]): string[] {
  let resolved: { cmd: CliCommand; rest: string[] };
  try {
    resolved = resolveCommand(argv);
  } catch (err) {
    return [(err as Error).message];
  }
  const { cmd, rest } = resolved;
  const problems: string[] = [];
  let positionals = 0;
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i] as string;
    if (!token.startsWith('-')) {
      if (++positionals > cmd.positionals) problems.push(`${cmd.name}: unexpected argument "${token}"`);
      continue;
    }
    const [flag, inline] = token.includes('=') ? [token.slice(0, token.indexOf('=')), token.slice(token.indexOf('=') + 1)] : [token, undefined];
    const opt = cmd.options.get(flag);
    if (!opt) {
      problems.push(`${cmd.name}: unknown option ${flag}`);
      while (i + 1 < rest.length && !(rest[i + 1] as string).startsWith('-')) i++; // its value, if it takes one
      continue;
    }
    const values: string[] = [];
    if (opt.arity === 'none') {
      if (inline !== undefined) problems.push(`${cmd.name}: ${flag} takes no value`);
    } else if (inline !== undefined) values.push(inline);
    else {
      while (i + 1 < rest.length && !(rest[i + 1] as string).startsWith('-')) {
        values.push(rest[++i] as string);
        if (opt.arity === 'one') break;
      }
      if (values.length === 0) problems.push(`${cmd.name}: ${flag} needs a value`);
    }
    for (const v of values) if (opt.choices && !opt.choices.includes(v)) problems.push(`${cmd.name}: ${flag} ${v} is not one of ${opt.choices.join(', ')}`);
  }
  return problems;
}

interface CommandLine {
  where: string;
  argv: string[];
  env: string[];
}

// ---------------------------------------------------------------------------------------------------------------
// Compose: the file, its variables (.env.example), and interpolation as `docker compose` does it.

const composePath = join(COMPOSE_DIR, 'compose.yaml');
const composeRaw = readYaml(composePath);

function readEnvFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env[m[1] as string] = m[2] as string;
  }
  return env;
}
const envExample = readEnvFile(join(COMPOSE_DIR, '.env.example'));

/** The variables a compose value names (`${VAR}`, `${VAR:?msg}`, `${VAR:-default}`; `$$` is a literal $). */
const VAR_RE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}/g;

function interpolate(value: unknown, env: Record<string, string>): unknown {
  if (typeof value === 'string') {
    return value.replace(VAR_RE, (all: string, name: string | undefined, op: string | undefined, arg: string | undefined) => {
      if (all === '$$') return '$';
      const v = env[name as string];
      const unset = v === undefined || (op?.startsWith(':') && v === '');
      if (op?.endsWith('?') && unset) throw new Error(`${name} is required: ${arg}`);
      if (op?.endsWith('-') && unset) return arg ?? '';
      if (v === undefined) throw new Error(`${name} is not set`);
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, env));
  if (isObj(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env)]));
  return value;
}

const compose = obj(interpolate(composeRaw, envExample));
const services = obj(compose.services);
const service = (name: string): Obj => obj(services[name]);

function serviceEnv(name: string): Record<string, string> {
  const env = service(name).environment;
  if (Array.isArray(env)) return Object.fromEntries(env.map((e) => String(e).split(/=(.*)/s).slice(0, 2) as [string, string]));
  return Object.fromEntries(Object.entries(obj(env)).map(([k, v]) => [k, String(v)]));
}

/** `source:target[:mode]` bind mounts of a service whose source is a path, resolved against deploy/compose. */
function bindMounts(name: string): { source: string; target: string }[] {
  return arr(service(name).volumes)
    .map((v) => String(v).split(':'))
    .filter((p) => (p[0] ?? '').startsWith('.') || (p[0] ?? '').startsWith('/'))
    .map((p) => ({ source: resolve(COMPOSE_DIR, p[0] as string), target: p[1] as string }));
}

/** The services built from this repository's Dockerfile, i.e. that run the `tracelight` entrypoint. */
function tracelightServices(): string[] {
  return Object.keys(services).filter((name) => {
    const build = service(name).build;
    const context = typeof build === 'string' ? build : String(obj(build).context ?? '');
    const dockerfile = isObj(build) ? String(build.dockerfile ?? 'Dockerfile') : 'Dockerfile';
    return context !== '' && resolve(COMPOSE_DIR, context, dockerfile) === join(REPO_ROOT, 'Dockerfile');
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The Dockerfile.

const dockerfileText = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
/** Instructions with continuation lines joined, comments dropped. */
const dockerInstructions: { op: string; args: string }[] = dockerfileText
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => ({ op: (/^(\S+)/.exec(l)?.[1] ?? '').toUpperCase(), args: l.replace(/^\S+\s*/, '') }));
const dockerOps = (op: string): string[] => dockerInstructions.filter((i) => i.op === op).map((i) => i.args);
const lastJson = (op: string): string[] => JSON.parse(dockerOps(op).at(-1) ?? '[]') as string[];

// ---------------------------------------------------------------------------------------------------------------
// Kubernetes: the manifests kustomization.yaml lists, validated by kubernetes-models, plus unknown fields.

const kustomization = readYaml(join(K8S_DIR, 'kustomization.yaml'));
const k8sFiles = arr(kustomization.resources).map((r) => join(K8S_DIR, String(r)));
const k8sObjects: { file: string; doc: Obj }[] = k8sFiles.filter((f) => existsSync(f)).flatMap((file) => readYamlDocs(file).map((doc) => ({ file, doc })));
const k8s = (kind: string, name: string): Obj => obj(k8sObjects.find((o) => o.doc.kind === kind && obj(o.doc.metadata).name === name)?.doc);
const podSpec = (workload: Obj): Obj => obj(obj(obj(workload.spec).template).spec);
const containersOf = (workload: Obj): Obj[] => arr(podSpec(workload).containers).map(obj);
const workloads = (): Obj[] => k8sObjects.map((o) => o.doc).filter((d) => ['Deployment', 'StatefulSet', 'Job', 'DaemonSet'].includes(String(d.kind)));

const MODELS_DIR = join(REPO_ROOT, 'node_modules', 'kubernetes-models');
const APIMACHINERY_DIR = join(REPO_ROOT, 'node_modules', '@kubernetes-models', 'apimachinery');

interface DtsInterface {
  props: Map<string, string>;
  imports: Map<string, string>;
}
const dtsCache = new Map<string, DtsInterface | null>();

/** The first exported interface of a kubernetes-models .d.ts: its properties' types and where the types it names live. */
function readDts(file: string): DtsInterface | null {
  if (dtsCache.has(file)) return dtsCache.get(file) ?? null;
  const text = readFileSync(file, 'utf8').replace(/\/\*\*[\s\S]*?\*\//g, '');
  const imports = new Map<string, string>();
  for (const m of text.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) {
    const spec = m[2] as string;
    const target = spec.startsWith('@kubernetes-models/apimachinery/')
      ? join(APIMACHINERY_DIR, `${spec.slice('@kubernetes-models/apimachinery/'.length)}.d.ts`)
      : resolve(dirname(file), spec.replace(/\.js$/, '.d.ts'));
    imports.set(m[1] as string, target);
  }
  const start = /export interface \w+(?: extends [^{]+)? \{\n/.exec(text);
  let result: DtsInterface | null = null;
  if (start) {
    const props = new Map<string, string>();
    const body = text.slice(start.index + start[0].length).split('\n');
    let depth = 0;
    let current: { name: string; type: string } | null = null;
    for (const line of body) {
      if (depth === 0 && line.startsWith('}')) break;
      const m = depth === 0 ? /^ {4}"([^"]+)"\??: (.*)$/.exec(line) : null;
      if (m) current = { name: m[1] as string, type: m[2] as string };
      else if (current) current.type += ` ${line.trim()}`;
      depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
      if (current && depth === 0 && current.type.endsWith(';')) {
        props.set(current.name, current.type.slice(0, -1).trim());
        current = null;
      }
    }
    result = { props, imports };
  }
  dtsCache.set(file, result);
  return result;
}

/** Fields of `value` that the model's OpenAPI types do not have (what `kubectl apply` refuses as unknown). */
function unknownFields(file: string, value: unknown, path: string): string[] {
  const iface = readDts(file);
  if (!iface || !isObj(value)) return [];
  const out: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    const type = iface.props.get(key);
    if (type === undefined) {
      out.push(`${path}.${key}`);
      continue;
    }
    const element = /^Array<(\w+)>$/.exec(type)?.[1];
    const target = iface.imports.get(element ?? type);
    if (!target) continue;
    if (element) arr(v).forEach((item, i) => out.push(...unknownFields(target, item, `${path}.${key}[${i}]`)));
    else out.push(...unknownFields(target, v, `${path}.${key}`));
  }
  return out;
}

function modelFile(doc: Obj): string {
  return join(MODELS_DIR, String(doc.apiVersion), `${String(doc.kind)}.d.ts`);
}

async function validateK8s(doc: Obj): Promise<void> {
  const mod = (await import(`kubernetes-models/${String(doc.apiVersion)}/${String(doc.kind)}`)) as Record<string, new (d: unknown) => { validate(): void }>;
  const Model = mod[String(doc.kind)];
  if (!Model) throw new Error(`kubernetes-models has no ${String(doc.apiVersion)} ${String(doc.kind)}`);
  new Model(doc).validate();
}

// ---------------------------------------------------------------------------------------------------------------
// The Collector configs.

function collectorProblems(cfg: Obj): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(cfg)) if (!(OTELCOL_CONFIG_KEYS as readonly string[]).includes(key)) problems.push(`unknown top-level key ${key}`);
  const defined: Record<ComponentKind, string[]> = { receivers: [], processors: [], exporters: [], extensions: [], connectors: [] };
  for (const kind of Object.keys(defined) as ComponentKind[]) {
    for (const [id, value] of Object.entries(obj(cfg[kind]))) {
      defined[kind].push(id);
      const type = id.split('/')[0] as string;
      const schema = OTELCOL_COMPONENTS[type];
      if (!schema || schema.kind !== kind) {
        problems.push(`${kind}.${id}: no ${kind.slice(0, -1)} of type ${type} in the pinned otelcol-contrib components (test/support/otelcol-contrib.ts)`);
        continue;
      }
      if (!OTELCOL_CONTRIB_MODULES[kind].includes(schema.module)) problems.push(`${kind}.${id}: ${schema.module} is not in the otelcol-contrib manifest`);
      if (value !== null && !isObj(value)) {
        problems.push(`${kind}.${id}: must be a mapping`);
        continue;
      }
      for (const key of Object.keys(obj(value))) if (!schema.keys.includes(key)) problems.push(`${kind}.${id}.${key}: not a ${type} setting`);
      for (const [path, keys] of Object.entries(schema.nested ?? {})) {
        const section = path.split('.').reduce<unknown>((v, k) => obj(v)[k], value);
        for (const key of Object.keys(obj(section))) if (!keys.includes(key)) problems.push(`${kind}.${id}.${path}.${key}: not a ${type} setting`);
      }
    }
  }
  const svc = obj(cfg.service);
  for (const key of Object.keys(svc)) if (!(OTELCOL_SERVICE_KEYS as readonly string[]).includes(key)) problems.push(`service.${key}: unknown`);
  const used = new Set<string>();
  for (const ext of arr(svc.extensions).map(String)) {
    used.add(`extensions/${ext}`);
    if (!defined.extensions.includes(ext)) problems.push(`service.extensions: ${ext} is not defined under extensions`);
  }
  const pipelines = Object.entries(obj(svc.pipelines));
  if (pipelines.length === 0) problems.push('service.pipelines: none');
  for (const [id, p] of pipelines) {
    if (!(OTELCOL_SIGNALS as readonly string[]).includes(id.split('/')[0] as string)) problems.push(`service.pipelines.${id}: not a signal`);
    for (const key of Object.keys(obj(p)))
      if (!(OTELCOL_PIPELINE_KEYS as readonly string[]).includes(key)) problems.push(`service.pipelines.${id}.${key}: unknown`);
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      const refs = arr(obj(p)[kind]).map(String);
      if (kind !== 'processors' && refs.length === 0) problems.push(`service.pipelines.${id}: no ${kind}`);
      for (const ref of refs) {
        used.add(`${kind}/${ref}`);
        if (!defined[kind].includes(ref) && !defined.connectors.includes(ref)) problems.push(`service.pipelines.${id}.${kind}: ${ref} is not defined`);
      }
      // The memory limiter must see data first, so it refuses before anything else buffers it (its README).
      if (kind === 'processors' && refs.some((r) => r.startsWith('memory_limiter')) && !(refs[0] ?? '').startsWith('memory_limiter'))
        problems.push(`service.pipelines.${id}.processors: memory_limiter must come first`);
    }
  }
  for (const kind of ['receivers', 'processors', 'exporters', 'extensions'] as const)
    for (const id of defined[kind]) if (!used.has(`${kind}/${id}`)) problems.push(`${kind}.${id}: defined but used by no pipeline`);
  return problems;
}

const collectorConfigs = filesUnder(COLLECTOR_DIR, /\.ya?ml$/).map((file) => ({ file, cfg: readYaml(file) }));
const envRefs = (cfg: unknown): string[] => [...JSON.stringify(cfg).matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1] as string);

/** `tracelight ...` command lines written in backticks in the YAML comments of deploy/ (examples users copy). */
function commentCommandLines(): CommandLine[] {
  const out: CommandLine[] = [];
  for (const file of filesUnder(DEPLOY, /\.ya?ml$/)) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const comment = /(?:^|\s)#(.*)$/.exec(line)?.[1];
        for (const m of (comment ?? '').matchAll(/`tracelight ([^`]+)`/g))
          out.push({ where: `${rel(file)}:${i + 1} (comment)`, argv: (m[1] as string).trim().split(/\s+/), env: [] });
      });
  }
  return out;
}

function allCommandLines(): CommandLine[] {
  const lines: CommandLine[] = [];
  const envNames = dockerOps('ENV')
    .flatMap((a) => a.split(/\s+/))
    .map((kv) => kv.split('=')[0] as string);
  lines.push({ where: 'Dockerfile CMD', argv: lastJson('CMD'), env: envNames });
  for (const name of tracelightServices()) {
    const command = service(name).command;
    const argv = Array.isArray(command) ? command.map(String) : typeof command === 'string' ? command.split(/\s+/) : lastJson('CMD');
    lines.push({ where: `compose service ${name}`, argv, env: Object.keys(serviceEnv(name)) });
  }
  for (const w of workloads())
    for (const c of containersOf(w))
      if (String(c.image).split(':')[0] === 'tracelight')
        lines.push({
          where: `kubernetes ${String(w.kind)} ${String(obj(w.metadata).name)} container ${String(c.name)}`,
          argv: arr(c.command).length ? arr(c.command).map(String).slice(1) : arr(c.args).map(String),
          env: arr(c.env).map((e) => String(obj(e).name)),
        });
  return [...lines, ...commentCommandLines()];
}

// ---------------------------------------------------------------------------------------------------------------

describe('deploy/', () => {
  it('has the built CLI to check command lines against', () => {
    expect(cliBuilt(), 'run `npm run build` first').toBe(true);
  });

  it('every YAML file parses, without duplicate keys', () => {
    const files = filesUnder(DEPLOY, /\.ya?ml$/);
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
        expect(
          doc.errors.map((e) => e.message),
          rel(file),
        ).toEqual([]);
        expect(
          doc.warnings.map((e) => e.message),
          rel(file),
        ).toEqual([]);
      }
    }
  });

  it('pins every image to a version (no latest, no bare name)', () => {
    const images = [
      ...dockerOps('FROM').map((a) => ({ where: 'Dockerfile', image: (a.split(/\s+/)[0] ?? '').replace(/^--platform=\S+\s*/, '') })),
      ...Object.entries(services).flatMap(([name, s]) => (obj(s).image ? [{ where: `compose ${name}`, image: String(obj(s).image) }] : [])),
      ...workloads().flatMap((w) => containersOf(w).map((c) => ({ where: `kubernetes ${String(obj(w.metadata).name)}`, image: String(c.image) }))),
      ...arr(kustomization.images).map((i) => ({ where: 'kustomization images', image: `${String(obj(i).newName)}:${String(obj(i).newTag)}` })),
    ];
    expect(images.length).toBeGreaterThan(8);
    for (const { where, image } of images) {
      const tag = /:([^/:@]+)$/.exec(image)?.[1];
      expect(tag, `${where}: ${image}`).toMatch(/^v?\d+(\.\d+)+/);
    }
  });

  describe('Dockerfile', () => {
    it('builds on Node 20, runs as a numeric non-root user with a /data volume, exposes 4317 and 4318', () => {
      for (const from of dockerOps('FROM')) expect(from).toMatch(/^node:20\.\d+\.\d+-bookworm-slim\b/);
      const user = dockerOps('USER').at(-1) ?? '';
      expect(user).toMatch(/^\d+(:\d+)?$/);
      expect(user.split(':')[0]).not.toBe('0');
      expect(dockerOps('VOLUME').join(' ')).toContain('/data');
      expect(dockerOps('EXPOSE').join(' ').split(/\s+/).sort()).toEqual(['4317', '4318']);
      expect(dockerOps('ENV').join(' ')).toMatch(/TRACELIGHT_DATA=\/data/);
    });

    it('checks /healthz and starts `tracelight serve --host 0.0.0.0`', () => {
      expect(dockerOps('HEALTHCHECK').join(' ')).toMatch(/\/healthz/);
      expect(lastJson('ENTRYPOINT')).toEqual(['tracelight']);
      expect(lastJson('CMD')).toEqual(['serve', '--host', '0.0.0.0']);
      // The entrypoint links to the CLI that `npm run build` writes.
      expect(dockerOps('RUN').join(' ')).toContain('/app/dist/cli/main.js /usr/local/bin/tracelight');
      expect(dockerOps('RUN').join(' ')).toContain('npm run build');
    });

    it('copies only what exists, and .dockerignore leaves out what the build makes and local data', () => {
      for (const copy of dockerOps('COPY').filter((c) => !c.startsWith('--from'))) {
        const sources = copy.split(/\s+/).slice(0, -1);
        for (const s of sources) expect(existsSync(join(REPO_ROOT, s)), `COPY ${s}`).toBe(true);
      }
      const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'));
      for (const p of ['node_modules', 'dist', '.git', '.tracelight']) expect(ignored).toContain(p);
      // The build reads these: they must not be ignored.
      for (const p of ['package.json', 'package-lock.json', 'tsconfig.json', 'web', 'cli', 'schemas', 'algorithms']) expect(ignored).not.toContain(p);
    });
  });

  describe('compose', () => {
    it('passes the Compose Specification schema (as interpolated with .env.example)', () => {
      // dclint's copy of the compose-spec schema (draft-07, Ajv's default draft; its $schema URL is one Ajv does not know).
      const { $schema: _draft, ...schema } = JSON.parse(
        readFileSync(join(REPO_ROOT, 'node_modules', 'dclint', 'schemas', 'compose.schema.json'), 'utf8'),
      ) as Obj;
      const validate = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(schema);
      const ok = validate(compose);
      expect(validate.errors ?? [], 'compose.yaml').toEqual([]);
      expect(ok).toBe(true);
      // The same schema refuses what compose would refuse.
      expect(validate({ services: { a: { image: 'x:1', depends_on: { b: { condition: 'healthy' } } } } })).toBe(false);
    });

    it('has no dclint errors with every dclint rule on', () => {
      const rules = readdirSync(join(REPO_ROOT, 'node_modules', 'dclint', 'dist', 'types', 'src', 'rules'))
        .filter((f) => f.endsWith('-rule.d.ts'))
        .map((f) => f.replace(/-rule\.d\.ts$/, ''));
      expect(rules.length).toBeGreaterThan(10);
      const linter = new DCLinter({ rules: Object.fromEntries(rules.map((r) => [r, 2])), quiet: true, debug: false, exclude: [] });
      const [result] = linter.lintFiles([composePath], false);
      expect(result?.messages.map((m: { line: number; rule: string; message: string }) => `${m.line}: ${m.rule}: ${m.message}`)).toEqual([]);
    });

    it('defines every variable it uses in .env.example, and keeps .env out of git', () => {
      const used = [...JSON.stringify(composeRaw).matchAll(VAR_RE)].map((m) => m[1]).filter((v): v is string => v !== undefined);
      expect(used.length).toBeGreaterThan(5);
      for (const v of used) expect(Object.keys(envExample), v).toContain(v);
      for (const v of Object.keys(envExample)) expect(used, `${v} in .env.example is used`).toContain(v);
      expect(readFileSync(join(COMPOSE_DIR, '.gitignore'), 'utf8').split('\n')).toContain('.env');
      for (const cfg of Object.values(obj(compose.configs))) if (obj(cfg).environment) expect(Object.keys(envExample)).toContain(String(obj(cfg).environment));
    });

    it('mounts files that exist in this repository', () => {
      const mounts = Object.keys(services).flatMap((name) => bindMounts(name).map((m) => ({ name, ...m })));
      expect(mounts.length).toBeGreaterThan(5);
      for (const m of mounts) expect(existsSync(m.source), `${m.name}: ${rel(m.source)}`).toBe(true);
    });

    it('starts each service after the ones it needs, which have healthchecks; one-shot services do not restart', () => {
      for (const [name, s] of Object.entries(services)) {
        for (const [dep, cond] of Object.entries(obj(obj(s).depends_on))) {
          expect(Object.keys(services), `${name} depends on ${dep}`).toContain(dep);
          const condition = String(obj(cond).condition);
          if (condition === 'service_healthy') expect(obj(service(dep).healthcheck).test, `${dep} has a healthcheck (${name} waits for it)`).toBeDefined();
          if (condition === 'service_completed_successfully') expect(String(service(dep).restart ?? 'no'), `${dep} runs once`).toBe('no');
        }
      }
      expect(obj(service('tracelight').depends_on)).toMatchObject({
        clickhouse: { condition: 'service_healthy' },
        migrate: { condition: 'service_completed_successfully' },
      });
      expect(JSON.stringify(obj(service('tracelight').healthcheck).test)).toContain('/healthz');
      expect(obj(service('collector').depends_on)).toMatchObject({
        tracelight: { condition: 'service_healthy' },
        clickhouse: { condition: 'service_healthy' },
      });
    });

    it('runs the pinned ClickHouse and Collector images, and the Collector config of deploy/collector that fans out', () => {
      expect(String(service('clickhouse').image)).toMatch(/^clickhouse\/clickhouse-server:\d+\.\d+\.\d+\.\d+$/);
      expect(service('collector').image).toBe(OTELCOL_CONTRIB_IMAGE);
      const mount = bindMounts('collector').find((m) => m.target === '/etc/otelcol-contrib/config.yaml');
      expect(mount && rel(mount.source)).toBe('deploy/collector/fanout.yaml');
      expect(arr(service('collector').command).join(' ')).toContain('--config=/etc/otelcol-contrib/config.yaml');
    });

    it('fans out: the Collector exports to ClickHouse and to tracelight, so tracelight runs with --no-raw', () => {
      const cfg = readYaml(join(COLLECTOR_DIR, 'fanout.yaml'));
      const exporters = obj(cfg.exporters);
      const pipelines = obj(obj(cfg.service).pipelines);
      for (const signal of ['traces', 'logs']) {
        const used = arr(obj(pipelines[signal]).exporters).map(String);
        expect(
          used.some((e) => e.split('/')[0] === 'clickhouse'),
          signal,
        ).toBe(true);
        expect(
          used.some((e) => e.split('/')[0] === 'otlphttp'),
          signal,
        ).toBe(true);
      }
      expect(arr(service('tracelight').command)).toContain('--no-raw');
      // Each exporter reaches the service of this file that it names.
      const ch = new URL(String(obj(exporters.clickhouse).endpoint));
      expect(ch.hostname).toBe('clickhouse');
      expect(ch.port).toBe('9000');
      const tl = new URL(String(obj(exporters['otlphttp/tracelight']).endpoint));
      expect(tl.hostname).toBe('tracelight');
      expect(tl.port).toBe('4318');
      // The exporter's database is the one the ClickHouse users file grants it, not tracelight's.
      const dbUrl = new URL(serviceEnv('tracelight').TRACELIGHT_CLICKHOUSE_URL ?? '');
      expect(obj(exporters.clickhouse).database).not.toBe(dbUrl.pathname.slice(1));
    });

    it('gives the Collector a key with the ingest scope and Prometheus one with the read scope', () => {
      const keys = new ApiKeys(parseApiKeys(serviceEnv('tracelight').TRACELIGHT_API_KEYS));
      expect(keys.enabled).toBe(true);
      // The Collector's Authorization header, with the Collector's environment.
      const collectorEnv = serviceEnv('collector');
      const cfg = readYaml(join(COLLECTOR_DIR, 'fanout.yaml'));
      for (const v of envRefs(cfg)) expect(Object.keys(collectorEnv), `the Collector's environment has ${v}`).toContain(v);
      const header = String(obj(obj(obj(cfg.exporters)['otlphttp/tracelight']).headers).Authorization).replace(
        /\$\{env:(\w+)\}/g,
        (_, v: string) => collectorEnv[v] ?? '',
      );
      expect(keys.allows(header, 'ingest')).toBe(true);
      expect(keys.allows(header, 'admin')).toBe(false);
      // Prometheus: the read key in the file compose mounts, on the scrape job aimed at tracelight.
      const prom = readYaml(join(COMPOSE_DIR, 'prometheus', 'prometheus.yml'));
      const job = obj(
        arr(prom.scrape_configs)
          .map(obj)
          .find((j) => j.job_name === 'tracelight'),
      );
      expect(arr(obj(arr(job.static_configs)[0]).targets)).toEqual(['tracelight:4318']);
      expect(job.metrics_path).toBe('/metrics');
      const keyFile = String(obj(job.authorization).credentials_file);
      const mounted = arr(service('prometheus').configs)
        .map(obj)
        .find((c) => c.target === keyFile);
      expect(mounted, `compose mounts ${keyFile} into prometheus`).toBeDefined();
      const readKey = envExample[String(obj(obj(compose.configs)[String(mounted?.source)]).environment)] ?? '';
      expect(keys.allows(`Bearer ${readKey}`, 'read')).toBe(true);
      expect(keys.allows(`Bearer ${readKey}`, 'admin')).toBe(false);
    });

    it("points Grafana's provisioned data sources at the compose ClickHouse and Prometheus", () => {
      const grafanaMounts = bindMounts('grafana');
      const provisioning = grafanaMounts.find((m) => m.target === '/etc/grafana/provisioning');
      expect(provisioning && rel(provisioning.source)).toBe('deploy/grafana/provisioning');
      const provider = obj(arr(readYaml(join(DEPLOY, 'grafana', 'provisioning', 'dashboards', 'tracelight.yaml')).providers)[0]);
      const dashboards = grafanaMounts.find((m) => m.target === obj(provider.options).path);
      expect(dashboards && rel(dashboards.source)).toBe('deploy/grafana/dashboards');
      expect(String(serviceEnv('grafana').GF_PLUGINS_PREINSTALL_SYNC)).toMatch(/^grafana-clickhouse-datasource@\d+\.\d+\.\d+$/);

      const sources = arr(readYaml(join(DEPLOY, 'grafana', 'provisioning', 'datasources', 'tracelight.yaml')).datasources).map(obj);
      const ch = obj(sources.find((d) => d.type === 'grafana-clickhouse-datasource'));
      const json = obj(ch.jsonData);
      expect(String(service(String(json.host)).image)).toMatch(/^clickhouse\/clickhouse-server:/);
      expect(json).toMatchObject({ port: 8123, protocol: 'http' });
      // The database tracelight writes to.
      expect(json.defaultDatabase).toBe(new URL(serviceEnv('tracelight').TRACELIGHT_CLICKHOUSE_URL ?? '').pathname.slice(1));
      // Its user exists on that ClickHouse, read only, with the password Grafana is given.
      const passwordVar = /^\$\{?(\w+)\}?$/.exec(String(obj(ch.secureJsonData).password))?.[1] ?? '';
      expect(Object.keys(serviceEnv('grafana'))).toContain(passwordVar);
      const usersFile = bindMounts(String(json.host)).find((m) => m.target.startsWith('/etc/clickhouse-server/users.d/'));
      const users = readFileSync(usersFile?.source ?? '', 'utf8');
      const user = new RegExp(`<${String(json.username)}>([\\s\\S]*?)</${String(json.username)}>`).exec(users)?.[1] ?? '';
      expect(user).toContain(`from_env="${passwordVar}"`);
      expect(serviceEnv(String(json.host))[passwordVar]).toBe(serviceEnv('grafana')[passwordVar]);
      const profile = /<profile>(\w+)<\/profile>/.exec(user)?.[1] ?? '';
      expect(new RegExp(`<${profile}>[\\s\\S]*?<readonly>[12]</readonly>`).test(users), `profile ${profile} is read only`).toBe(true);
      expect(user).not.toMatch(/GRANT (ALL|INSERT|ALTER|CREATE|DROP)/);
      // tracelight's and the Collector's ClickHouse users take their passwords from the same variables as they do.
      const chEnv = serviceEnv(String(json.host));
      expect(chEnv.CLICKHOUSE_TRACELIGHT_PASSWORD).toBe(serviceEnv('tracelight').TRACELIGHT_CLICKHOUSE_PASSWORD);
      expect(chEnv.CLICKHOUSE_OTEL_PASSWORD).toBe(serviceEnv('collector').CLICKHOUSE_OTEL_PASSWORD);
      expect(users).toContain(`<${serviceEnv('tracelight').TRACELIGHT_CLICKHOUSE_USER}>`);
      expect(users).toContain(`<${String(obj(obj(readYaml(join(COLLECTOR_DIR, 'fanout.yaml')).exporters).clickhouse).username)}>`);

      const prom = obj(sources.find((d) => d.type === 'prometheus'));
      const promUrl = new URL(String(prom.url));
      expect(String(service(promUrl.hostname).image)).toMatch(/^prom\/prometheus:/);
      expect(promUrl.port).toBe('9090');
    });

    it('creates the databases that tracelight and the Collector write to', () => {
      const initdb = bindMounts('clickhouse').find((m) => m.target === '/docker-entrypoint-initdb.d');
      const sql = filesUnder(initdb?.source ?? COMPOSE_DIR, /\.sql$/)
        .map((f) => readFileSync(f, 'utf8'))
        .join('\n');
      const databases = [...sql.matchAll(/CREATE DATABASE IF NOT EXISTS (\w+)/g)].map((m) => m[1]);
      expect(databases).toContain(new URL(serviceEnv('tracelight').TRACELIGHT_CLICKHOUSE_URL ?? '').pathname.slice(1));
      expect(databases).toContain(obj(obj(readYaml(join(COLLECTOR_DIR, 'fanout.yaml')).exporters).clickhouse).database);
    });
  });

  describe('Collector configs', () => {
    it('are the three topologies', () => {
      expect(collectorConfigs.map((c) => rel(c.file))).toEqual([
        'deploy/collector/collector-to-clickhouse.yaml',
        'deploy/collector/collector-to-tracelight.yaml',
        'deploy/collector/fanout.yaml',
      ]);
    });

    for (const { file, cfg } of collectorConfigs) {
      it(`${rel(file)}: only otelcol-contrib ${OTELCOL_CONTRIB_IMAGE.split(':')[1]} components and their settings, complete pipelines`, () => {
        expect(collectorProblems(cfg)).toEqual([]);
      });

      it(`${rel(file)}: batches no larger than tracelight's --max-items, sends with a key from the environment`, () => {
        const maxItems = Number(cliHelp(['serve']).options.get('--max-items')?.default);
        expect(maxItems).toBeGreaterThan(0);
        for (const [id, p] of Object.entries(obj(cfg.processors)))
          if (id.split('/')[0] === 'batch') expect(Number(obj(p).send_batch_max_size), id).toBeLessThanOrEqual(maxItems);
        for (const [id, e] of Object.entries(obj(cfg.exporters))) {
          if (id.split('/')[0] !== 'otlphttp') continue;
          expect(String(obj(obj(e).headers).Authorization), id).toMatch(/^Bearer \$\{env:\w+\}$/);
        }
        for (const [id, e] of Object.entries(obj(cfg.exporters)))
          if (id.split('/')[0] === 'clickhouse') expect(String(obj(e).password), id).toMatch(/^\$\{env:\w+\}$/);
      });
    }

    it('the check refuses what the Collector would refuse', () => {
      const good = readYaml(join(COLLECTOR_DIR, 'fanout.yaml'));
      const mutate = (f: (c: Obj) => void): Obj => {
        const c = structuredClone(good);
        f(c);
        return c;
      };
      expect(collectorProblems(good)).toEqual([]);
      expect(collectorProblems(mutate((c) => (obj(c.exporters).kafka = { brokers: ['x'] })))).toContainEqual(expect.stringContaining('exporters.kafka'));
      expect(collectorProblems(mutate((c) => (obj(c.exporters).nosuch = {})))).toContainEqual(expect.stringContaining('no exporter of type nosuch'));
      expect(collectorProblems(mutate((c) => (obj(obj(c.processors).batch).send_batch_max = 1)))).toContainEqual(
        expect.stringContaining('batch.send_batch_max'),
      );
      expect(collectorProblems(mutate((c) => (obj(obj(obj(c.receivers).otlp).protocols).grcp = {})))).toContainEqual(expect.stringContaining('protocols.grcp'));
      expect(collectorProblems(mutate((c) => (obj(obj(obj(c.service).pipelines).traces).exporters = ['otlphttp/elsewhere'])))).toContainEqual(
        expect.stringContaining('otlphttp/elsewhere is not defined'),
      );
      expect(collectorProblems(mutate((c) => (obj(obj(obj(c.service).pipelines).traces).processors = ['batch', 'memory_limiter'])))).toContainEqual(
        expect.stringContaining('memory_limiter must come first'),
      );
    });
  });

  describe('Kubernetes manifests', () => {
    it('kustomization.yaml lists every manifest of the folder, and only files that exist', () => {
      const onDisk = filesUnder(K8S_DIR, /\.ya?ml$/).filter((f) => !f.endsWith('kustomization.yaml'));
      expect(k8sFiles.sort()).toEqual(onDisk);
      expect(kustomization).toMatchObject({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', namespace: 'tracelight' });
      const image = obj(arr(kustomization.images).find((i) => obj(i).name === 'tracelight'));
      expect(image.newTag).toBe(PACKAGE_VERSION);
    });

    it('every object validates against the Kubernetes OpenAPI schemas (kubernetes-models), with no unknown field', async () => {
      expect(k8sObjects.length).toBeGreaterThanOrEqual(9);
      for (const { file, doc } of k8sObjects) {
        const where = `${rel(file)}: ${String(doc.kind)} ${String(obj(doc.metadata).name)}`;
        await expect(validateK8s(doc), where).resolves.toBeUndefined();
        expect(existsSync(modelFile(doc)), where).toBe(true);
        expect(unknownFields(modelFile(doc), doc, String(doc.kind)), where).toEqual([]);
      }
      // Both checks refuse a broken object.
      const receiver = k8s('Deployment', 'tracelight-receiver');
      const broken = structuredClone(receiver);
      const c = containersOf(broken)[0] as Obj;
      c.readinesProbe = c.readinessProbe;
      expect(unknownFields(modelFile(broken), broken, 'Deployment')).toEqual(['Deployment.spec.template.spec.containers[0].readinesProbe']);
      obj(obj(broken.spec).strategy).type = 5;
      await expect(validateK8s(broken)).rejects.toThrow();
    });

    it('the receivers: a Deployment of at least 2, rolled one at a time, behind a Service on 4317/4318, with a PodDisruptionBudget', () => {
      const receiver = k8s('Deployment', 'tracelight-receiver');
      const spec = obj(receiver.spec);
      expect(Number(spec.replicas)).toBeGreaterThanOrEqual(2);
      expect(obj(obj(spec.strategy).rollingUpdate).maxUnavailable).toBe(0);
      const args = arr(containersOf(receiver)[0]?.args).map(String);
      expect(args.slice(0, 1)).toEqual(['serve']);
      expect(args[args.indexOf('--role') + 1]).toBe('receiver');
      const svc = k8s('Service', 'tracelight-receiver');
      expect(
        arr(obj(svc.spec).ports)
          .map((p) => obj(p).port)
          .sort(),
      ).toEqual([4317, 4318]);
      const pdb = k8s('PodDisruptionBudget', 'tracelight-receiver');
      expect(obj(obj(pdb.spec).selector).matchLabels).toEqual(obj(spec.selector).matchLabels);
      expect(Number(obj(pdb.spec).minAvailable)).toBeGreaterThanOrEqual(1);
      expect(Number(obj(pdb.spec).minAvailable)).toBeLessThan(Number(spec.replicas));
    });

    it('the owner: exactly one (replicas 1, Recreate) behind its own Service, which --owner-url names', () => {
      const owner = k8s('Deployment', 'tracelight-owner');
      expect(obj(owner.spec).replicas).toBe(1);
      expect(obj(obj(owner.spec).strategy).type).toBe('Recreate');
      const args = arr(containersOf(owner)[0]?.args).map(String);
      expect(args[0]).toBe('serve');
      expect(args).not.toContain('--role');
      const receiverArgs = arr(containersOf(k8s('Deployment', 'tracelight-receiver'))[0]?.args).map(String);
      const ownerUrl = new URL(receiverArgs[receiverArgs.indexOf('--owner-url') + 1] ?? '');
      const svc = k8s('Service', ownerUrl.hostname);
      expect(obj(obj(svc.spec).selector), `the Service ${ownerUrl.hostname} selects the owner`).toEqual(obj(obj(owner.spec).selector).matchLabels);
      expect(obj(obj(obj(owner.spec).template).metadata).labels).toMatchObject(obj(obj(svc.spec).selector));
      expect(arr(obj(svc.spec).ports).map((p) => obj(p).port)).toContain(Number(ownerUrl.port));
      // Its --config is the file the ConfigMap mounts, and a valid serve config.
      const configPath = args[args.indexOf('--config') + 1] ?? '';
      const mount = arr(containersOf(owner)[0]?.volumeMounts)
        .map(obj)
        .find((m) => configPath.startsWith(`${String(m.mountPath)}/`));
      const volume = obj(
        arr(podSpec(owner).volumes)
          .map(obj)
          .find((v) => v.name === mount?.name),
      );
      const cm = k8s('ConfigMap', String(obj(volume.configMap).name));
      const content = obj(cm.data)[configPath.slice(String(mount?.mountPath).length + 1)];
      expect(typeof content, `${configPath} is in the ConfigMap`).toBe('string');
      const dir = mkdtempSync(join(tmpdir(), 'tl-deploy-'));
      try {
        writeFileSync(join(dir, 'tracelight.yaml'), String(content));
        expect(jobsFromFile(join(dir, 'tracelight.yaml'))).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('every Service selects pods of a workload and targets ports their containers declare', () => {
      const services = k8sObjects.map((o) => o.doc).filter((d) => d.kind === 'Service');
      expect(services.length).toBe(2);
      for (const svc of services) {
        const selector = obj(obj(svc.spec).selector);
        const targets = workloads().filter((w) => Object.entries(selector).every(([k, v]) => obj(obj(obj(obj(w.spec).template).metadata).labels)[k] === v));
        expect(targets.length, String(obj(svc.metadata).name)).toBe(1);
        const ports = containersOf(targets[0] as Obj).flatMap((c) => arr(c.ports).map(obj));
        for (const p of arr(obj(svc.spec).ports).map(obj)) {
          const t = p.targetPort ?? p.port;
          expect(
            ports.some((cp) => cp.name === t || cp.containerPort === t),
            `${String(obj(svc.metadata).name)} port ${String(p.port)}`,
          ).toBe(true);
        }
      }
    });

    it('every container: probes on /healthz and /readyz (servers), requests and limits, non-root, read-only root, no privileges', () => {
      for (const w of workloads()) {
        const name = String(obj(w.metadata).name);
        const pod = podSpec(w);
        expect(obj(pod.securityContext), name).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        const uid = Number(obj(pod.securityContext).runAsUser);
        expect(String(uid)).toBe((dockerOps('USER').at(-1) ?? '').split(':')[0]);
        for (const c of containersOf(w)) {
          expect(obj(c.resources), name).toMatchObject({
            requests: { cpu: expect.anything(), memory: expect.anything() },
            limits: { memory: expect.anything() },
          });
          expect(obj(c.securityContext), name).toMatchObject({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          });
          // A read-only root still needs somewhere to write: /tmp (chDB's temporary files) and the data directory.
          const mounts = arr(c.volumeMounts).map((m) => String(obj(m).mountPath));
          expect(mounts, name).toContain('/tmp');
          const dataDir = arr(c.env)
            .map(obj)
            .find((e) => e.name === 'TRACELIGHT_DATA')?.value;
          expect(mounts, name).toContain(dataDir);
          if (w.kind !== 'Job') {
            expect(obj(obj(c.livenessProbe).httpGet).path, name).toBe('/healthz');
            expect(obj(obj(c.readinessProbe).httpGet).path, name).toBe('/readyz');
            const http = arr(c.ports)
              .map(obj)
              .find((p) => p.containerPort === 4318);
            expect(obj(obj(c.readinessProbe).httpGet).port, name).toBe(http?.name);
          }
        }
      }
    });

    it('references only Secret and ConfigMap keys that exist; the Secret holds placeholders, marked CHANGE-ME', () => {
      for (const w of workloads())
        for (const c of containersOf(w))
          for (const e of arr(c.env).map(obj)) {
            const ref = obj(obj(e.valueFrom).secretKeyRef);
            if (!ref.name) continue;
            const secret = k8s('Secret', String(ref.name));
            expect(Object.keys(obj(secret.stringData)), `${String(obj(w.metadata).name)} ${String(e.name)}`).toContain(ref.key);
          }
      const secret = k8s('Secret', 'tracelight');
      const data = obj(secret.stringData);
      expect(String(data.TRACELIGHT_CLICKHOUSE_PASSWORD)).toMatch(/CHANGE-ME/);
      for (const spec of parseApiKeys(String(data.TRACELIGHT_API_KEYS))) expect(spec, 'every placeholder key says CHANGE-ME').toMatch(/CHANGE-ME/);
      expect(readFileSync(join(K8S_DIR, 'secret.yaml'), 'utf8')).toMatch(/PLACEHOLDER/);
      expect(new URL(String(data.TRACELIGHT_CLICKHOUSE_URL)).pathname.length).toBeGreaterThan(1);
    });

    it('the migrate Job runs `tracelight migrate` once per apply and names the cluster alternative', () => {
      const job = k8s('Job', 'tracelight-migrate');
      expect(arr(containersOf(job)[0]?.args)).toEqual(['migrate']);
      expect(['OnFailure', 'Never']).toContain(podSpec(job).restartPolicy);
      expect(readFileSync(join(K8S_DIR, 'migrate-job.yaml'), 'utf8')).toContain('`tracelight migrate --cluster ');
    });
  });

  describe('tracelight command lines (against the built CLI)', () => {
    it('the check refuses what the CLI would refuse', () => {
      expect(cliProblems(['serve', '--host', '0.0.0.0', '--no-raw'])).toEqual([]);
      expect(cliProblems(['serve', '--hots', '0.0.0.0'])).toEqual(['tracelight serve: unknown option --hots']);
      expect(cliProblems(['serve', '--source', 'kafka'])).toEqual(['tracelight serve: --source kafka is not one of clickhouse']);
      expect(cliProblems(['serve', '--port'])).toEqual(['tracelight serve: --port needs a value']);
      expect(cliProblems(['serve', 'extra'])).toEqual(['tracelight serve: unexpected argument "extra"']);
      expect(cliProblems(['migrat'])).toEqual(['tracelight has no command migrat']);
      expect(cliProblems(['import', 'clickhouse', '--since', '2026-01-01T00:00:00Z'])).toEqual([]);
    });

    const lines = allCommandLines();
    it('finds the command lines of the Dockerfile, compose, Kubernetes and the configs comments', () => {
      expect(lines.length).toBeGreaterThanOrEqual(9);
    });
    for (const line of lines) {
      it(`${line.where}: tracelight ${line.argv.join(' ')}`, () => {
        expect(cliProblems(line.argv)).toEqual([]);
        const { cmd } = resolveCommand(line.argv);
        for (const name of line.env.filter((e) => e.startsWith('TRACELIGHT_'))) expect([...cmd.envs], `${cmd.name} reads ${name}`).toContain(name);
      });
    }
  });
});
