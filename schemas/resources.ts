// Versioned resources: what agents fetch and algorithms write back — prompt templates, LLM endpoints,
// model checkpoints or adapters, arbitrary JSON. A resource is a name with a fixed kind and immutable
// numbered versions (1, 2, 3 … per name); labels (`production`, `candidate`, any name) point at one version
// each and move. This file holds the types, the validators (zod) and the domain errors; store/resources.ts
// holds the SQL.
import { z } from 'zod';
import { checkTemplate } from './prompt-template.js';
import { describeZodError, errorClass } from './errors.js';

export {
  MissingVariablesError,
  TemplateError,
  checkTemplate,
  renderPrompt,
  templatePlaceholders,
  templateVariables,
  type Placeholder,
} from './prompt-template.js';

export const RESOURCE_KINDS = ['prompt_template', 'llm', 'model', 'json'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

export const RESOURCE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const LABEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** The label agents fetch by default. */
export const DEFAULT_LABEL = 'production';
/** Largest content, serialized as JSON. */
export const MAX_CONTENT_BYTES = 4 * 1024 * 1024;
export const MAX_VERSION = 4_294_967_295;

export const ResourceName = z.string().regex(RESOURCE_NAME_PATTERN, 'must be 1 to 128 characters [A-Za-z0-9._-], starting with a letter or digit');
export const LabelName = z.string().regex(LABEL_NAME_PATTERN, 'must be 1 to 64 characters [A-Za-z0-9._-], starting with a letter or digit');
export const VersionNumber = z.number().int('must be an integer').min(1, 'must be 1 or more').max(MAX_VERSION);

// ---- content, per kind ----------------------------------------------------------------------------------

const TemplateText = z
  .string()
  .min(1, 'must not be empty')
  .superRefine((s, ctx) => {
    try {
      checkTemplate(s);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  });

/**
 * A mustache template (see prompt-template.ts): either one text, `{"template": "..."}` (a bare string is
 * taken as that), or chat messages whose contents are templates, `{"messages": [{"role", "content"}]}`.
 */
export const PromptTemplateContent = z.preprocess(
  (v) => (typeof v === 'string' ? { template: v } : v),
  z
    .strictObject({
      template: TemplateText.optional(),
      messages: z
        .array(z.strictObject({ role: z.string().min(1, 'must not be empty').max(64), content: TemplateText }))
        .min(1, 'must hold at least one message')
        .max(1000)
        .optional(),
    })
    .refine((c) => (c.template === undefined) !== (c.messages === undefined), {
      message: 'give either template (text) or messages ([{role, content}]), not both',
    }),
);
export type PromptTemplateContent = z.infer<typeof PromptTemplateContent>;

/** An OpenAI-compatible endpoint and how to sample from it. Never a secret: name the variable holding the key. */
export const LlmContent = z.strictObject({
  endpoint: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  model: z.string().min(1, 'must not be empty').max(256),
  provider: z.string().min(1).max(64).optional(),
  api_key_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name (the key itself is never stored)')
    .optional(),
  sampling: z
    .strictObject({
      temperature: z.number().min(0).max(2).optional(),
      top_p: z.number().gt(0).max(1).optional(),
      top_k: z.number().int().min(1).optional(),
      max_tokens: z.number().int().min(1).optional(),
      stop: z.array(z.string()).max(16).optional(),
      presence_penalty: z.number().min(-2).max(2).optional(),
      frequency_penalty: z.number().min(-2).max(2).optional(),
      seed: z.number().int().optional(),
    })
    .optional(),
  /** Provider-specific request fields, sent as they are. */
  extra_body: z.record(z.string(), z.json()).optional(),
});
export type LlmContent = z.infer<typeof LlmContent>;

/** A trained checkpoint or adapter (e.g. LoRA), by reference: a path or URI, never the weights. */
export const ModelContent = z
  .strictObject({
    type: z.enum(['checkpoint', 'adapter']),
    uri: z.string().min(1, 'must not be empty').max(2048),
    base_model: z.string().min(1).max(512).optional(),
    format: z.string().min(1).max(64).optional(),
    step: z.number().int().min(0).optional(),
    /** The name a serving endpoint exposes it under. */
    served_model: z.string().min(1).max(256).optional(),
    metadata: z.record(z.string(), z.json()).optional(),
  })
  .refine((c) => c.type !== 'adapter' || c.base_model !== undefined, { message: 'an adapter needs base_model', path: ['base_model'] });
export type ModelContent = z.infer<typeof ModelContent>;

export const JsonContent = z.json();

const CONTENT_SCHEMAS: Record<ResourceKind, z.ZodType> = {
  prompt_template: PromptTemplateContent,
  llm: LlmContent,
  model: ModelContent,
  json: JsonContent,
};

// ---- versions -------------------------------------------------------------------------------------------

export interface ResourceVersion {
  name: string;
  version: number;
  kind: ResourceKind;
  content: unknown;
  parent: number | null;
  metrics: Record<string, number>;
  /** Labels that point at this version now. */
  labels: string[];
  /** A user, or the id of the algorithm run that made it. */
  author: string | null;
  created_at: string;
}

export interface ResourceSummary {
  name: string;
  kind: ResourceKind;
  latest_version: number;
  versions: number;
  labels: Record<string, number>;
  updated_at: string;
}

export interface ResourceHistory {
  name: string;
  kind: ResourceKind;
  labels: Record<string, number>;
  versions: ResourceVersion[];
}

export interface LabelMove {
  name: string;
  label: string;
  version: number;
  /** The version the label pointed at before, or null. */
  previous: number | null;
}

/** POST /api/v1/resources/{name}/versions */
export const CreateVersionBody = z.strictObject({
  kind: z.enum(RESOURCE_KINDS),
  content: z.unknown().refine((v) => v !== undefined, 'is required'),
  parent: VersionNumber.nullable().optional(),
  metrics: z
    .record(z.string().min(1, 'metric names must not be empty').max(200), z.number())
    .refine((m) => Object.keys(m).length <= 1000, 'at most 1000 metrics')
    .optional(),
  labels: z.array(LabelName).max(32).optional(),
  author: z.string().min(1, 'must not be empty').max(256).optional(),
});

export interface NewVersion {
  kind: ResourceKind;
  content: unknown;
  parent: number | null;
  metrics: Record<string, number>;
  labels: string[];
  author: string | null;
}

/** POST /api/v1/resources/{name}/labels/{label} */
export const MoveLabelBody = z.strictObject({
  version: VersionNumber,
  author: z.string().min(1).max(256).optional(),
});

// ---- errors ---------------------------------------------------------------------------------------------

/** Bad input; the message starts with the field it is about (`content.sampling.temperature: …`). */
export const ResourceValidationError = errorClass('ResourceValidationError', 'invalid');

export const ResourceNotFoundError = errorClass('ResourceNotFoundError', 'not_found');

/** A new version of another kind than the name's. */
export const ResourceConflictError = errorClass('ResourceConflictError', 'conflict');

/** Validates content for its kind and returns it normalized (a prompt template's bare string becomes {template}). */
export function parseResourceContent(kind: ResourceKind, content: unknown): unknown {
  const parsed = CONTENT_SCHEMAS[kind].safeParse(content);
  if (!parsed.success) throw new ResourceValidationError(describeZodError(parsed.error, 'content'));
  const size = new TextEncoder().encode(JSON.stringify(parsed.data)).length;
  if (size > MAX_CONTENT_BYTES) throw new ResourceValidationError(`content: ${size} bytes of JSON, more than the limit of ${MAX_CONTENT_BYTES}`);
  return parsed.data;
}

/** Validates a new-version body (fields, then content for its kind). */
export function parseNewVersion(body: unknown): NewVersion {
  const parsed = CreateVersionBody.safeParse(body);
  if (!parsed.success) throw new ResourceValidationError(describeZodError(parsed.error));
  const b = parsed.data;
  return {
    kind: b.kind,
    content: parseResourceContent(b.kind, b.content),
    parent: b.parent ?? null,
    metrics: b.metrics ?? {},
    labels: [...new Set(b.labels ?? [])],
    author: b.author ?? null,
  };
}

export function checkResourceName(name: string): string {
  const r = ResourceName.safeParse(name);
  if (!r.success) throw new ResourceValidationError(describeZodError(r.error, 'name'));
  return name;
}

export function checkLabelName(label: string): string {
  const r = LabelName.safeParse(label);
  if (!r.success) throw new ResourceValidationError(describeZodError(r.error, 'label'));
  return label;
}

/**
 * The entity tag of a fetched version: `"name@version"`, plus `;label,label` for the labels pointing at it,
 * so a label moving to or away from the version changes the tag as well as a new version does.
 */
export function resourceEtag(v: Pick<ResourceVersion, 'name' | 'version' | 'labels'>): string {
  const labels = [...v.labels].sort();
  return `"${v.name}@${v.version}${labels.length ? `;${labels.join(',')}` : ''}"`;
}

/** The text of a version for people and diffs: a prompt's template (or its messages), otherwise indented JSON. */
export function resourceText(kind: ResourceKind, content: unknown): string {
  if (kind === 'prompt_template' && content && typeof content === 'object') {
    const c = content as PromptTemplateContent;
    if (typeof c.template === 'string') return c.template;
    if (Array.isArray(c.messages)) return c.messages.map((m) => `[${m.role}]\n${m.content}`).join('\n\n');
  }
  return JSON.stringify(content, null, 2);
}
