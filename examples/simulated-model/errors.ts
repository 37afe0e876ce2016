// OpenAI's error body, so SDKs raise their usual typed errors (BadRequestError etc.) with a
// message that names the offending field.

import type { z } from 'zod';

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type = status === 404 ? 'not_found_error' : status >= 500 ? 'server_error' : 'invalid_request_error',
  ) {
    super(message);
  }

  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** `messages[0].content` style, as OpenAI writes `param`. */
export function formatParam(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/** Turns the first zod issue into the 400 OpenAI would send for it. */
export function fromZodError(error: z.ZodError): ApiError {
  const first = error.issues[0];
  if (!first) return new ApiError(400, 'Invalid request body.');
  const { path, detail, missing } = describe(first, []);
  const param = formatParam(path) || null;
  if (missing) return new ApiError(400, `Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
  const code = first.code === 'invalid_type' ? 'invalid_type' : 'invalid_value';
  return new ApiError(400, `Invalid value for '${param ?? 'body'}': ${detail.replace(/\.$/, '')}.`, param, code);
}

type Issue = z.core.$ZodIssue;

function describe(issue: Issue, prefix: PropertyKey[]): { path: PropertyKey[]; detail: string; missing: boolean } {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union') {
    const options = (issue as { options?: unknown[] }).options;
    if (options) return { path, detail: `expected one of ${options.map((o) => `'${String(o)}'`).join(', ')}`, missing: false };
    // The branch that failed deepest is the one the client meant to send.
    const inner = issue.errors.flat();
    const deep = inner.filter((i) => i.path.length > 0).sort((a, b) => b.path.length - a.path.length)[0];
    if (deep) return describe(deep, path);
    const enumIssue = inner.find((i) => i.code === 'invalid_value');
    if (enumIssue) return { path, detail: clean(enumIssue.message), missing: false };
    const expected = [...new Set(inner.map((i) => (i as { expected?: string }).expected).filter(Boolean))];
    const received = /received (\w+)/.exec(inner[0]?.message ?? '')?.[1];
    if (received === 'undefined') return { path, detail: 'missing', missing: true };
    return { path, detail: `expected ${expected.join(' or ')}${received ? `, received ${received}` : ''}`, missing: false };
  }
  const missing =
    (issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined && /received undefined/.test(issue.message)) ||
    issue.message.startsWith('Missing required parameter');
  return { path, detail: clean(issue.message), missing };
}

function clean(message: string): string {
  return message.replace(/^Invalid input: /, '').replace(/^Invalid option: /, '');
}
