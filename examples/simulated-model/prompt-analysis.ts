// Reading the material an optimizer request carries: the prompt under optimization, its
// placeholders, and the failed examples (input, output, expected answer, reward, explanation),
// whether written as labelled text or as JSON.

export interface FailureRecord {
  input?: string;
  output?: string;
  expected?: string;
  reward?: number;
  explanation?: string;
}

const PROMPT_TAGS = [
  'current_prompt',
  'original_prompt',
  'old_prompt',
  'prompt_template',
  'current_template',
  'system_prompt',
  'template',
  'prompt',
  'instructions',
  'system_message',
];

function looksLikeMetaPlaceholder(body: string): boolean {
  const t = body.trim();
  return (
    t.length < 8 ||
    /^(\.\.\.|…|your (new |improved |revised |edited )?prompt|the (new |improved |revised |edited )?prompt|new prompt|improved prompt|revised prompt|\[.*\])( here)?\.?$/i.test(
      t,
    )
  );
}

/** Finds the prompt being optimized: a tagged block, a fenced block, or a "Prompt:" section. */
export function findPromptUnderEdit(text: string): string | null {
  for (const tag of PROMPT_TAGS) {
    const re = new RegExp(`<${tag}>\\n?([\\s\\S]*?)\\n?</${tag}>`, 'gi');
    for (const m of text.matchAll(re)) {
      const body = m[1] ?? '';
      if (!looksLikeMetaPlaceholder(body)) return body;
    }
  }
  for (const m of text.matchAll(/```[a-z]*\n([\s\S]*?)\n?```/g)) {
    const body = m[1] ?? '';
    if (!looksLikeMetaPlaceholder(body) && !/^\s*[[{]/.test(body)) return body;
  }
  const triple = /"""\n?([\s\S]*?)\n?"""/.exec(text);
  if (triple?.[1] && !looksLikeMetaPlaceholder(triple[1])) return triple[1];
  // Rendered templates (POML, markdown) put the prompt under a heading such as "# Current Prompt Template".
  const heading =
    /(?:^|\n)#+[ \t]*(?:current|original|existing|old|the)?[ \t]*(?:system[ \t]+)?prompt(?:[ \t]+template)?[ \t]*\n+([\s\S]+?)(?=\n#+[ \t]|$)/i.exec(text);
  if (heading?.[1] && !looksLikeMetaPlaceholder(heading[1])) return heading[1].trim();
  const section =
    /(?:^|\n)[ \t]*(?:#+[ \t]*)?(?:current|original|existing|old|the)?[ \t]*(?:system[ \t]+)?(?:prompt|template|instructions)(?:[ \t]+template)?[ \t]*:[ \t]*\n?([\s\S]+?)(?:\n[ \t]*\n|$)/i.exec(
      text,
    );
  if (section?.[1] && !looksLikeMetaPlaceholder(section[1])) return section[1].trim();
  return null;
}

/** `{{question}}` and `{question}` placeholders, in order of appearance, without repeats. */
export function placeholders(template: string): string[] {
  const found = template.match(/\{\{\s*[\w.-]+\s*\}\}|(?<!\{)\{[A-Za-z_][\w.-]*\}(?!\})/g) ?? [];
  return [...new Set(found)];
}

const FIELD_PATTERNS: [keyof FailureRecord, RegExp][] = [
  ['expected', /^(?:expected(?:[ _](?:answer|output|result))?|reference(?:[ _]answer)?|gold(?:[ _]answer)?|ground[ _]truth|target|correct[ _]answer|label)$/i],
  [
    'output',
    /^(?:output|response|model[ _](?:answer|output|response)|prediction|predicted(?:[ _]answer)?|actual(?:[ _](?:answer|output))?|got|agent[ _](?:answer|output)|completion|answer[ _]given|generated(?:[ _]answer)?|answer)$/i,
  ],
  ['input', /^(?:input|question|problem|task|query|prompt[ _]input|sample|example)$/i],
  ['reward', /^(?:reward|score|grade)$/i],
  ['explanation', /^(?:explanation|reason|feedback|comment|judge(?:[ _]feedback)?|critique|error|why)$/i],
];

function fieldFor(label: string): keyof FailureRecord | null {
  const clean = label.trim().replace(/^[-*\d.)\s]+/, '');
  for (const [field, re] of FIELD_PATTERNS) if (re.test(clean)) return field;
  return null;
}

function assign(rec: FailureRecord, field: keyof FailureRecord, value: unknown): void {
  if (field === 'reward') {
    const n = typeof value === 'number' ? value : Number(String(value).match(/-?\d+(\.\d+)?/)?.[0]);
    if (Number.isFinite(n)) rec.reward = n;
  } else {
    rec[field] = typeof value === 'string' ? value.trim() : JSON.stringify(value);
  }
}

/** Failed examples found in the text, from JSON objects and from "Label: value" lines. */
export function parseFailures(text: string): FailureRecord[] {
  const records: FailureRecord[] = [];
  for (const obj of jsonObjects(text)) {
    const rec: FailureRecord = {};
    for (const [k, v] of Object.entries(obj)) {
      const field = fieldFor(k);
      if (field && v !== null && v !== undefined) assign(rec, field, v);
    }
    if (rec.output !== undefined && (rec.expected !== undefined || rec.reward !== undefined)) records.push(rec);
  }
  if (records.length > 0) return records;
  let current: FailureRecord = {};
  const flush = () => {
    if (current.output !== undefined && (current.expected !== undefined || current.reward !== undefined)) records.push(current);
    current = {};
  };
  for (const line of text.split('\n')) {
    const m = /^\s*(?:[-*]\s*)?([A-Za-z][A-Za-z _]{0,30}?)\s*[:=]\s*(.*)$/.exec(line);
    const field = m ? fieldFor(m[1] ?? '') : null;
    if (!m || !field) {
      if (/^\s*(#+|example|failure|case|sample|rollout)\b.*\d|^\s*-{3,}\s*$/i.test(line)) flush();
      continue;
    }
    if (current[field] !== undefined) flush();
    assign(current, field, m[2] ?? '');
  }
  flush();
  return records;
}

/** Every top-level JSON object (or array of objects) embedded in the text. */
function jsonObjects(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"' && depth > 0) inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if ((c === '}' || c === ']') && depth > 0) {
      depth--;
      if (depth === 0 && start >= 0) {
        try {
          const parsed: unknown = JSON.parse(text.slice(start, i + 1));
          const list = Array.isArray(parsed) ? parsed : [parsed];
          for (const item of list) if (item && typeof item === 'object' && !Array.isArray(item)) out.push(...flatten(item as Record<string, unknown>));
        } catch {
          // Not JSON (a template's braces, prose): ignore.
        }
        start = -1;
      }
    }
  }
  return out;
}

// Records are often nested ({"failures": [...]} or {"rollout": {"input": ...}}).
function flatten(obj: Record<string, unknown>): Record<string, unknown>[] {
  const nested: Record<string, unknown>[] = [];
  for (const v of Object.values(obj)) {
    if (Array.isArray(v))
      for (const item of v) if (item && typeof item === 'object' && !Array.isArray(item)) nested.push(...flatten(item as Record<string, unknown>));
  }
  return nested.length > 0 ? nested : [obj];
}

export function numbersIn(text: string): number[] {
  return (text.match(/-?\d+(?:,\d{3})*(?:\.\d+)?/g) ?? []).map((n) => Number(n.replace(/,/g, '')));
}
