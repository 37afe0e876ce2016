// Small pieces of bench/apo.ts: placeholder syntax between tracelight (mustache `{{name}}`) and Agent Lightning's
// f-string PromptTemplate (`{name}`, literal braces doubled), and the per-method figures over seeds.

/** `{{question}}` → `{question}`; a literal brace is doubled, as str.format reads it. */
export function mustacheToFstring(template: string): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}|[{}]/g, (m, name: string | undefined) => (name ? `{${name}}` : m + m));
}

/** `{question}` → `{{question}}`; a doubled brace back to one. Anything str.format could not read is left as it is. */
export function fstringToMustache(template: string): string {
  return template.replace(/\{\{|\}\}|\{(\w+)\}/g, (m, name: string | undefined) => (name ? `{{${name}}}` : (m[0] as string)));
}

export interface Stats {
  n: number;
  mean: number;
  sd: number;
  min: number;
  max: number;
}

export function summarize(xs: readonly number[]): Stats {
  const n = xs.length;
  if (n === 0) return { n, mean: NaN, sd: NaN, min: NaN, max: NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { n, mean, sd, min: Math.min(...xs), max: Math.max(...xs) };
}
