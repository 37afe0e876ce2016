// Tool use: which offered tool fits the question, and the JSON arguments for it, read from the
// tool's own JSON schema (property names and types), never from a fixed list of demo tools.
// Arithmetic is done one step per call and each call uses the previous tool result, so an agent
// with a calculator makes several model calls with tool results in between, as real ones do.

import type { ToolCall, ToolSpec, Turn } from './conversation.js';
import { hash32, hex } from './hash.js';
import { apply, type Op, type Step } from './word-problem.js';

export type ToolKind = 'calculator' | Op | 'weather' | 'search' | 'other';

const OP_WORDS: Record<Op, RegExp> = {
  '+': /^(add|addition|sum|plus|\+)$/i,
  '-': /^(sub|subtract|subtraction|minus|difference|-)$/i,
  '*': /^(mul|multiply|multiplication|times|product|\*|x)$/i,
  '/': /^(div|divide|division|quotient|over|\/)$/i,
};

export function toolKind(tool: ToolSpec): ToolKind {
  const name = tool.name.toLowerCase();
  const text = `${name} ${tool.description.toLowerCase()}`;
  for (const op of ['+', '-', '*', '/'] as Op[]) {
    if (OP_WORDS[op].test(name) || new RegExp(`^(${OP_WORDS[op].source.slice(2, -2)})(_?(numbers|two|nums|values))?$`, 'i').test(name)) return op;
  }
  if (/calc|math|arith|compute|evaluat|expression|equation/.test(text)) return 'calculator';
  if (/weather|forecast|temperature/.test(text)) return 'weather';
  if (/search|lookup|look_up|find|retriev|query|wiki|fetch|knowledge|get_/.test(text)) return 'search';
  return 'other';
}

type JsonSchema = { type?: unknown; properties?: Record<string, JsonSchema>; required?: string[]; enum?: unknown[]; items?: JsonSchema };

function typeOf(s: JsonSchema | undefined): string {
  const t = s?.type;
  if (Array.isArray(t)) return String(t.find((x) => x !== 'null') ?? 'string');
  return typeof t === 'string' ? t : s?.enum ? 'string' : 'string';
}

export type Intent =
  | { kind: 'arith'; op: Op; a: number; b: number }
  | { kind: 'weather'; location: string }
  | { kind: 'search'; query: string }
  | { kind: 'generic'; question: string; numbers: number[] };

/** Arguments for `tool` that express `intent`, shaped by the tool's parameter schema. */
export function buildArguments(tool: ToolSpec, intent: Intent): Record<string, unknown> {
  const schema = tool.parameters as JsonSchema;
  const props = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const names = Object.keys(props);
  if (names.length === 0) {
    if (intent.kind === 'arith') return { expression: `${intent.a} ${intent.op} ${intent.b}` };
    if (intent.kind === 'weather') return { location: intent.location };
    return { query: intent.kind === 'search' ? intent.query : intent.question };
  }
  const out: Record<string, unknown> = {};
  const numbers = intent.kind === 'arith' ? [intent.a, intent.b] : intent.kind === 'generic' ? [...intent.numbers] : [];
  const stringProps = names.filter((n) => typeOf(props[n]) === 'string' && !props[n]?.enum);
  for (const name of names) {
    const s = props[name] ?? {};
    const t = typeOf(s);
    const n = name.toLowerCase();
    let value: unknown;
    if (intent.kind === 'arith') {
      if (/^(op|operation|operator|action|fn|function)$/.test(n)) value = pickOp(s, intent.op);
      else if (t === 'string' && (/^(expression|expr|formula|input|query|calculation|equation|math|problem|text|q)$/.test(n) || stringProps.length === 1))
        value = `${fmt(intent.a)} ${intent.op} ${fmt(intent.b)}`;
      else if (t === 'array') value = [intent.a, intent.b];
      else if (/^(a|x|first|num1|number1|n1|left|lhs|operand1|value1|first_number|firstnumber|augend|multiplicand|dividend|minuend)$/.test(n)) value = intent.a;
      else if (/^(b|y|second|num2|number2|n2|right|rhs|operand2|value2|second_number|secondnumber|addend|multiplier|divisor|subtrahend)$/.test(n))
        value = intent.b;
      else if (t === 'number' || t === 'integer') value = numbers.shift();
    } else if (intent.kind === 'weather') {
      if (/location|city|place|town|region|where|^q$|query|address|area/.test(n)) value = intent.location;
      else if (/unit/.test(n)) value = Array.isArray(s.enum) ? (s.enum.find((e) => /c(elsius)?$/i.test(String(e))) ?? s.enum[0]) : 'celsius';
    } else if (intent.kind === 'search') {
      if (t === 'string' && !s.enum) value = intent.query;
    } else if (t === 'string' && !s.enum) value = intent.question;
    else if (t === 'number' || t === 'integer') value = numbers.shift();
    if (value === undefined && required.has(name)) value = defaultFor(s, t, intent);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(12)));
}

function pickOp(s: JsonSchema, op: Op): unknown {
  if (Array.isArray(s.enum)) return s.enum.find((e) => OP_WORDS[op].test(String(e))) ?? s.enum[0];
  return { '+': 'add', '-': 'subtract', '*': 'multiply', '/': 'divide' }[op];
}

function defaultFor(s: JsonSchema, t: string, intent: Intent): unknown {
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  switch (t) {
    case 'number':
    case 'integer':
      return 0;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object':
      return {};
    default:
      return intent.kind === 'search' ? intent.query : intent.kind === 'weather' ? intent.location : intent.kind === 'generic' ? intent.question : '';
  }
}

export function callId(seed: string): string {
  return `call_${hex(hash32(seed))}${hex(hash32(`${seed}#2`))}`;
}

export function makeCall(tool: ToolSpec, intent: Intent, seed: string): ToolCall {
  return { id: callId(seed), name: tool.name, arguments: JSON.stringify(buildArguments(tool, intent)) };
}

/** The number in a tool result: `36`, `{"result": 36}`, "3 * 12 = 36". */
export function resultNumber(text: string): number | null {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'number') return parsed;
    if (parsed && typeof parsed === 'object') {
      const obj = parsed as Record<string, unknown>;
      for (const key of ['result', 'value', 'answer', 'output', 'total', 'sum', 'product', 'quotient', 'difference']) {
        const v = obj[key];
        if (typeof v === 'number') return v;
        if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
      }
    }
  } catch {
    // Not JSON: fall through to the text.
  }
  const nums = text.match(/-?\d+(?:\.\d+)?/g);
  return nums ? Number(nums[nums.length - 1]) : null;
}

export interface ArithmeticToolPlan {
  /** The next call to make, or null when every step has its result. */
  next: { step: number; tool: ToolSpec; intent: Intent } | null;
  /** Step results, tool results taking precedence over the model's own arithmetic. */
  values: number[];
  /** The steps with tool results substituted, for showing the work. */
  steps: Step[];
}

/**
 * Maps steps onto tools: a calculator takes every step, add/subtract/multiply/divide tools take
 * theirs, and steps without a tool are done "in the head". `results` are the tool messages since
 * the user's question, in order; result i answers the i-th tool-backed step.
 */
export function planArithmetic(steps: Step[], tools: ToolSpec[], results: Turn[]): ArithmeticToolPlan {
  const calculator = tools.find((t) => toolKind(t) === 'calculator');
  const toolFor = (op: Op) => tools.find((t) => toolKind(t) === op) ?? calculator;
  const values: number[] = [];
  const shown: Step[] = [];
  let used = 0;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i] as Step;
    const left = s.left.fromStep !== undefined ? (values[s.left.fromStep] as number) : s.left.value;
    const right = s.right.fromStep !== undefined ? (values[s.right.fromStep] as number) : s.right.value;
    const tool = toolFor(s.op);
    let value = apply(s.op, left, right);
    if (tool) {
      const result = results[used];
      if (!result) return { next: { step: i, tool, intent: { kind: 'arith', op: s.op, a: left, b: right } }, values, steps: shown };
      used++;
      value = resultNumber(result.text) ?? value;
    }
    values.push(value);
    shown.push({ ...s, left: { ...s.left, value: left }, right: { ...s.right, value: right }, result: value });
  }
  return { next: null, values, steps: shown };
}

/** "weather in Paris" → "Paris". */
export function findLocation(question: string): string {
  const m = /\b(?:in|for|at|of)\s+([A-Z][\w.'-]*(?:[ ,]+[A-Z][\w.'-]*)*)/.exec(question);
  if (m?.[1]) return m[1].replace(/[ ,]+$/, '');
  const caps = question.match(/(?<!^|[.?!]\s)\b[A-Z][a-z]+\b/g);
  return caps?.[caps.length - 1] ?? question.replace(/\?$/, '');
}

/** Reads a tool result for the final answer: JSON objects become "key: value" lists. */
export function summarizeResult(text: string): string {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return Object.entries(parsed as Record<string, unknown>)
        .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
        .join(', ');
    }
  } catch {
    // Plain text result.
  }
  const trimmed = text.trim();
  const first = /^[\s\S]{0,400}?[.!?](\s|$)/.exec(trimmed)?.[0] ?? trimmed.slice(0, 400);
  return first.trim();
}
