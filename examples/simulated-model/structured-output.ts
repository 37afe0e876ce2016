// Structured outputs (response_format json_schema / Responses text.format): fills the requested
// schema with the answer, so clients that parse the reply (the Agents SDK's output_type, the
// Vercel AI SDK's generateObject, LangChain's withStructuredOutput) get a valid object.

export interface Facts {
  /** The answer as a number, when there is one. */
  number: number | null;
  /** The answer as text. */
  text: string;
  /** A longer explanation (the steps). */
  explanation: string;
}

type Schema = Record<string, unknown>;

const ANSWER_NAMES = /^(answer|final_answer|finalanswer|result|value|output|solution|response|total|number|score|prompt|text|content|reply)$/i;
const EXPLANATION_NAMES = /^(reasoning|explanation|steps|rationale|thoughts?|work|analysis|critique|justification)$/i;

export function fillSchema(schema: Schema | undefined, facts: Facts): unknown {
  return fill(schema ?? { type: 'object', properties: { answer: {} } }, facts, 'answer', schema ?? {});
}

function resolveRef(schema: Schema, root: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return schema;
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown> | undefined)?.[part];
  return (node as Schema) ?? {};
}

function fill(raw: Schema, facts: Facts, name: string, root: Schema): unknown {
  const schema = resolveRef(raw, root);
  const variants = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (Array.isArray(variants) && variants.length > 0) {
    const nonNull = variants.find((v) => resolveRef(v, root).type !== 'null') ?? variants[0];
    return fill(nonNull as Schema, facts, name, root);
  }
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    const wanted = schema.enum.find((e) => String(e).toLowerCase() === facts.text.toLowerCase());
    return wanted ?? schema.enum[0];
  }
  if (schema.const !== undefined) return schema.const;
  let type = schema.type;
  if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? type[0];
  if (type === undefined) type = schema.properties ? 'object' : ANSWER_NAMES.test(name) && facts.number !== null ? 'number' : 'string';
  switch (type) {
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      const out: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries(props)) out[key] = fill(sub, facts, key, root);
      return out;
    }
    case 'array': {
      const items = (schema.items ?? {}) as Schema;
      if (EXPLANATION_NAMES.test(name))
        return facts.explanation
          .split(/\n|; /)
          .filter(Boolean)
          .map((line) => fill(items, { ...facts, text: line }, 'text', root));
      return [fill(items, facts, name, root)];
    }
    case 'number':
      return facts.number ?? 0;
    case 'integer':
      return Math.round(facts.number ?? 0);
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return EXPLANATION_NAMES.test(name) ? facts.explanation : facts.text;
  }
}
