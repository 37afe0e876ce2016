// The prompt under optimization: which text of a prompt_template resource is edited, how a candidate's text
// goes back into the resource's content, how it renders into chat messages, and how a recorded call is
// matched back to a template (so offline replay can recover the variables a recorded prompt was rendered with).
import Mustache from 'mustache';
import type { Message } from '../../schemas/genai.js';
import { checkTemplate, renderPrompt, templateVariables } from '../../schemas/prompt-template.js';

export interface TemplateContent {
  template?: string;
  messages?: { role: string; content: string }[];
}

/** Where the optimized text sits in a resource's content. */
export interface PromptShape {
  base: TemplateContent;
  /** Index into base.messages, or null for the `{template}` form. */
  message: number | null;
}

export function promptShape(content: unknown, messageIndex?: number): PromptShape {
  const c = (typeof content === 'string' ? { template: content } : content) as TemplateContent | null;
  if (c && typeof c.template === 'string') return { base: { template: c.template }, message: null };
  if (c && Array.isArray(c.messages) && c.messages.length > 0) {
    const idx =
      messageIndex ??
      Math.max(
        0,
        c.messages.findIndex((m) => m.role === 'system'),
      );
    if (idx >= c.messages.length) throw new Error(`message: the template has ${c.messages.length} messages, there is no index ${idx}`);
    return { base: { messages: c.messages.map((m) => ({ ...m })) }, message: idx };
  }
  throw new Error('the resource is not a prompt template ({template} or {messages})');
}

export function shapeText(shape: PromptShape): string {
  return shape.message === null ? (shape.base.template as string) : (shape.base.messages?.[shape.message]?.content as string);
}

export function contentWith(shape: PromptShape, text: string): TemplateContent {
  if (shape.message === null) return { template: text };
  return { messages: (shape.base.messages ?? []).map((m, i) => (i === shape.message ? { ...m, content: text } : { ...m })) };
}

/** The chat messages a candidate renders to for the given variables (`{template}` goes out as `role`). */
export function renderMessages(shape: PromptShape, text: string, vars: Record<string, unknown>, role: 'user' | 'system'): { role: string; content: string }[] {
  const content = contentWith(shape, text);
  if (content.template !== undefined) return [{ role, content: renderPrompt(content.template, vars) }];
  return (content.messages ?? []).map((m) => ({ role: m.role, content: renderPrompt(m.content, vars) }));
}

export type CandidateCheck = { ok: true } | { ok: false; reason: string };

/**
 * A child must parse as a template and keep every variable of its parent (an edit that drops `{{question}}`
 * would send the model a prompt without the question).
 */
export function checkChild(parent: string, child: string): CandidateCheck {
  if (child.trim() === '') return { ok: false, reason: 'empty prompt' };
  try {
    checkTemplate(child);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  const have = new Set(templateVariables(child));
  const lost = templateVariables(parent).filter((v) => !have.has(v));
  if (lost.length > 0) return { ok: false, reason: `lost template variable${lost.length === 1 ? '' : 's'} ${lost.map((v) => `{{${v}}}`).join(', ')}` };
  return { ok: true };
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A regular expression matching the template's renderings, capturing each variable; null when the template
 * uses sections (those renderings cannot be inverted reliably).
 */
export function invertTemplate(template: string): { re: RegExp; names: string[] } | null {
  let tokens: unknown[][];
  try {
    tokens = new Mustache.Writer().parse(template) as unknown as unknown[][];
  } catch {
    return null;
  }
  let source = '';
  const names: string[] = [];
  for (const t of tokens) {
    const [type, value] = t as [string, string];
    if (type === 'text') source += escapeRe(value);
    else if (type === 'name' || type === '&') {
      const seen = names.indexOf(value);
      if (seen >= 0) source += `\\${seen + 1}`;
      else {
        names.push(value);
        source += '([\\s\\S]*?)';
      }
    } else if (type === '!') continue;
    else return null;
  }
  return { re: new RegExp(`^${source}$`), names };
}

/** The variables a text was rendered with, or null when the text is not a rendering of the template. */
export function extractVariables(template: string, rendered: string): Record<string, string> | null {
  const inv = invertTemplate(template);
  if (!inv) return null;
  const m = inv.re.exec(rendered) ?? inv.re.exec(rendered.trim());
  if (!m) return null;
  const vars: Record<string, string> = {};
  inv.names.forEach((n, i) => {
    setPath(vars, n, m[i + 1] ?? '');
  });
  return vars;
}

function setPath(obj: Record<string, unknown>, dotted: string, value: string): void {
  const parts = dotted.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1] as string] = value;
}

/** The text of a message's text parts. */
export function messageText(m: Message | null | undefined): string {
  if (!m) return '';
  return m.parts
    .filter((p) => p.type === 'text')
    .map((p) => String((p as { content?: unknown }).content ?? ''))
    .join('');
}

/** Which recorded message a template rendered, and with what variables (the first match, system first). */
export function matchRecorded(template: string, messages: Message[]): { index: number; vars: Record<string, string> } | null {
  for (let i = 0; i < messages.length; i++) {
    const vars = extractVariables(template, messageText(messages[i]));
    if (vars) return { index: i, vars };
  }
  return null;
}
