// Prompt templates: `{{variable}}` placeholders, rendered with mustache (the npm package `mustache`).
//
// Why mustache: it is logic-less — a template can look values up, loop over lists ({{#items}}…{{/items}})
// and test for presence ({{^x}}…{{/x}}), but it cannot call code or evaluate expressions, so a template
// written by an optimizer (or an LLM rewriting a prompt) can never execute anything in the process that
// renders it. Its `{{name}}` syntax is the one prompt authors already use; it has no dependencies and a
// spec implemented in many languages, so a Python agent can render the same template. Handlebars adds
// helpers, nunjucks and liquid add filters and expressions: more power than a prompt needs.
//
// Two deliberate differences from plain `Mustache.render`:
// - strict: every placeholder must have a value (false, null, 0, "" and [] are values); a missing one is an
//   error that names all missing placeholders, instead of silently rendering an empty string;
// - no HTML escaping: prompts are text, so `{{x}}` and `{{{x}}}` render the same. Partials (`{{> p}}`) are
//   refused. Lookups read own properties only, so `{{constructor}}` is "missing", not Object's function.
import Mustache from 'mustache';
import { TracelightError } from './errors.js';

export class TemplateError extends TracelightError {
  override name = 'TemplateError';
  constructor(message: string) {
    super('invalid', message);
  }
}

export class MissingVariablesError extends TemplateError {
  override name = 'MissingVariablesError';
  constructor(readonly missing: string[]) {
    super(`missing template variable${missing.length === 1 ? '' : 's'}: ${missing.join(', ')}`);
  }
}

export type PlaceholderKind = 'variable' | 'section' | 'inverted';

export interface Placeholder {
  /** The name as written, dotted paths included (`user.name`). */
  name: string;
  kind: PlaceholderKind;
  /** Names of the sections this placeholder sits inside, outermost first (empty at top level). */
  within: string[];
}

type Token = [string, string, number, number, ...unknown[]];

function parse(template: string): Token[] {
  try {
    // A fresh Writer per call: the module-level one caches every template it ever parsed.
    return new Mustache.Writer().parse(template) as Token[];
  } catch (err) {
    throw new TemplateError(`invalid template: ${(err as Error).message}`);
  }
}

/** Every placeholder in the template, in order of appearance (each name/kind/position once). */
export function templatePlaceholders(template: string): Placeholder[] {
  const out: Placeholder[] = [];
  const seen = new Set<string>();
  const walk = (tokens: Token[], within: string[]): void => {
    for (const t of tokens) {
      const [type, name] = t;
      if (type === '>') throw new TemplateError(`partials are not supported in prompt templates ({{> ${name}}})`);
      let kind: PlaceholderKind | null = null;
      if (type === 'name' || type === '&') kind = 'variable';
      else if (type === '#') kind = 'section';
      else if (type === '^') kind = 'inverted';
      if (kind && name !== '.') {
        const key = `${kind}\u0000${name}\u0000${within.join('\u0000')}`;
        if (!seen.has(key)) {
          seen.add(key);
          out.push({ name, kind, within });
        }
      }
      if ((type === '#' || type === '^') && Array.isArray(t[4])) walk(t[4] as Token[], [...within, name]);
    }
  };
  walk(parse(template), []);
  return out;
}

/**
 * The names a template uses, in order of first appearance, each once: variables and section names alike
 * (what an optimizer must keep when it rewrites the text). `.` (the current list item) is not a name.
 */
export function templateVariables(template: string): string[] {
  return [...new Set(templatePlaceholders(template).map((p) => p.name))];
}

/** Throws a TemplateError when the text is not a valid template (unclosed tag or section, partials). */
export function checkTemplate(template: string): void {
  templatePlaceholders(template);
}

function ownLookup(view: unknown, name: string): { hit: boolean; value: unknown } {
  let cur: unknown = view;
  for (const part of name.split('.')) {
    if (cur === null || cur === undefined) return { hit: false, value: undefined };
    const holder = typeof cur === 'object' || typeof cur === 'function' ? cur : Object(cur);
    if (!Object.hasOwn(holder as object, part)) return { hit: false, value: undefined };
    cur = (holder as Record<string, unknown>)[part];
  }
  return { hit: true, value: cur };
}

class StrictContext extends Mustache.Context {
  constructor(
    view: unknown,
    parent: Mustache.Context | undefined,
    private readonly missing: Set<string>,
  ) {
    super(view, parent);
  }

  override push(view: unknown): Mustache.Context {
    return new StrictContext(view, this, this.missing);
  }

  override lookup(name: string): unknown {
    if (name === '.') return this.view;
    for (let ctx: Mustache.Context | undefined = this; ctx; ctx = ctx.parent) {
      const r = ownLookup(ctx.view, name);
      if (r.hit) return typeof r.value === 'function' ? (r.value as () => unknown).call(ctx.view) : r.value;
    }
    this.missing.add(name);
    return undefined;
  }
}

const noEscape = (v: unknown): string => String(v);

/**
 * Renders the template with the variables. Throws MissingVariablesError naming every placeholder that has
 * no value (so the caller sees all of them at once), TemplateError when the template does not parse.
 */
export function renderPrompt(template: string, vars: Record<string, unknown>): string {
  checkTemplate(template);
  const missing = new Set<string>();
  const writer = new Mustache.Writer();
  let out: string;
  try {
    out = writer.render(template, new StrictContext(vars, undefined, missing), undefined, { escape: noEscape });
  } catch (err) {
    throw new TemplateError(`cannot render template: ${(err as Error).message}`);
  }
  if (missing.size > 0) throw new MissingVariablesError([...missing]);
  return out;
}
