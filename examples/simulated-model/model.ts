// The simulated model's "forward pass": picks the role the request calls for (prompt rewriter,
// prompt critic, judge, tool-using agent, plain task) and produces the assistant turn. Pure and
// deterministic: the same conversation and options always give the same output.

import { findExpression } from './arithmetic-expression.js';
import { writeNumericAnswer, writeTextAnswer, formatNumber, type NumericResult } from './answer-writer.js';
import { instructionText, lastUserIndex, toolExchangeSinceLastUser, type Conversation, type ToolCall, type ToolSpec, type Turn } from './conversation.js';
import { answerGeneralQuestion } from './general-knowledge.js';
import { hash32, hex } from './hash.js';
import { parseDirectives, type Directives } from './instructions.js';
import { isJudgeRequest, writeJudgement } from './judge-role.js';
import { optimizerTask, writeCritique, writeRewrite } from './optimizer-role.js';
import { asksForNumber, extractQuestion } from './question.js';
import { fillSchema } from './structured-output.js';
import { findLocation, makeCall, planArithmetic, resultNumber, summarizeResult, toolKind, type Intent } from './tool-use.js';
import { solveOrderProblem, type Rounding } from './order-problem.js';
import type { ShopRules } from './shop-rules.js';
import { maybeSlip, slipRate } from './slips.js';
import { solveWordProblem, type Step } from './word-problem.js';

export interface Generation {
  text: string | null;
  toolCalls: ToolCall[];
}

export interface GenerateOptions {
  /** Requested model id; "large" in it halves the slip rates. */
  model: string;
  /** Sampling salt (seed, temperature): shifts which inputs trigger slips and which phrasing is used. */
  salt: string;
  /** Choice index for n > 1. */
  variant: number;
}

export function generate(conv: Conversation, opts: GenerateOptions): Generation {
  const text = instructionText(conv);
  const jsonMode = conv.json !== null;
  const salt = `${opts.salt}|${opts.variant}`;

  const task = optimizerTask(text);
  if (task === 'rewrite') return reply(asJson(writeRewrite(text, { variant: opts.variant, salt: opts.salt, jsonMode }), conv));
  if (task === 'critique') return reply(writeCritique(text, { jsonMode, salt }));
  if (isJudgeRequest(text)) return reply(writeJudgement(text, jsonMode));

  const directives = parseDirectives(text);
  // Few-shot demonstrations ("Q: … A: 12") set the answer format as firmly as an instruction.
  if (directives.format.kind === 'free' && /(?:^|\n)[ \t]*(?:a|answer)[ \t]*:[ \t]*-?\$?\d[\d,.]*[ \t]*\n/i.test(text)) {
    directives.format = { kind: 'number-only' };
  }
  const lastUser = conv.turns[lastUserIndex(conv)]?.text ?? '';
  const question = extractQuestion(lastUser);
  const styleKey = `${hash32(text)}|${salt}`;
  const numeric = numericProblem(question, directives.shop);

  const toolsAllowed = conv.tools.length > 0 && conv.toolChoice !== 'none';
  if (toolsAllowed) {
    const viaTools = useTools(conv, question, numeric, directives, styleKey);
    if (viaTools) return viaTools;
  }

  if (numeric) {
    // Plain expressions are computed exactly; word problems slip unless the reply writes its steps.
    if (numeric.expression) return reply(numericReply(numeric, directives, styleKey, conv));
    const rate = slipRate(numeric.steps.length, directives.working, { large: /large/i.test(opts.model), verify: directives.verify });
    const slip = maybeSlip(numeric.steps, numeric.value, directives.working, `${question}|${opts.salt}`, rate);
    let value = slip.value;
    let rounding = numeric.rounding;
    if (slip.slipped && rounding) {
      const to = rounding.how === 'up' ? Math.ceil(value - 1e-9) : Math.round(value);
      rounding = { ...rounding, from: value, to };
      value = to;
    }
    return reply(numericReply({ ...numeric, steps: slip.steps, value, rounding }, directives, styleKey, conv));
  }
  const general = answerGeneralQuestion(question || lastUser);
  if (jsonMode) return reply(JSON.stringify(fillSchema(conv.json?.schema, { number: null, text: general.short, explanation: general.sentence })));
  return reply(writeTextAnswer(general.short, general.sentence, directives));
}

function reply(text: string): Generation {
  return { text, toolCalls: [] };
}

/** When a rewrite was requested under response_format json_schema, fit the prompts into it. */
function asJson(text: string, conv: Conversation): string {
  if (!conv.json?.schema) return text;
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const prompts = Object.values(parsed).flat().map(String);
    return JSON.stringify(fillSchema(conv.json.schema, { number: null, text: prompts[0] ?? '', explanation: prompts.join('\n') }));
  } catch {
    return text;
  }
}

interface NumericProblem extends NumericResult {
  answer: number;
  rounding?: Rounding;
}

function numericProblem(question: string, rules: ShopRules): NumericProblem | null {
  const order = solveOrderProblem(question, rules);
  if (order) return { ...order, value: order.answer };
  const expr = findExpression(question);
  if (expr) {
    const quantities = (expr.text.match(/\d+(?:\.\d+)?/g) ?? []).map(Number);
    return { value: expr.value, answer: expr.value, unit: null, money: false, steps: expr.steps, quantities, expression: expr.text };
  }
  const solution = solveWordProblem(question);
  if (!solution) return null;
  if (solution.quantities.length < 2 && !/\bhow (many|much)\b/i.test(question)) return null;
  if (!asksForNumber(question) && solution.steps.length === 0) return null;
  return { ...solution, value: solution.answer };
}

function numericReply(r: NumericResult, d: Directives, styleKey: string, conv: Conversation): string {
  if (conv.json) {
    const explanation = r.steps
      .map((s) => `${formatNumber(s.left.value, null)} ${s.op} ${formatNumber(s.right.value, null)} = ${formatNumber(s.result, null)}`)
      .join('; ');
    const rounded = Number(formatNumber(r.value, d.decimals));
    return JSON.stringify(
      fillSchema(conv.json.schema, { number: Number.isFinite(rounded) ? rounded : r.value, text: formatNumber(r.value, d.decimals), explanation }),
    );
  }
  return writeNumericAnswer(r, d, styleKey);
}

/** The tool-using agent: returns a tool call, a final answer built on tool results, or null. */
function useTools(conv: Conversation, question: string, numeric: NumericProblem | null, d: Directives, styleKey: string): Generation | null {
  const { calls, results } = toolExchangeSinceLastUser(conv);
  const forced = typeof conv.toolChoice === 'object' ? conv.tools.find((t) => t.name === (conv.toolChoice as { name: string }).name) : undefined;
  const seed = `${styleKey}|${conv.turns.length}|${calls.length}`;
  const callTool = (tool: ToolSpec, intent: Intent): Generation => ({ text: null, toolCalls: [makeCall(tool, intent, seed)] });

  if (numeric && numeric.steps.length > 0 && !forced) {
    const plan = planArithmetic(numeric.steps, conv.tools, results);
    if (plan.next) return callTool(plan.next.tool, plan.next.intent);
    if (results.length > 0) {
      const value = plan.values[plan.values.length - 1] ?? numeric.value;
      return reply(numericReply({ ...numeric, value, steps: plan.steps }, d, styleKey, conv));
    }
  }

  if (results.length > 0) return reply(answerFromResults(conv, question, results, calls, numeric, d, styleKey));

  const lower = question.toLowerCase();
  const weather = conv.tools.find((t) => toolKind(t) === 'weather');
  const search = conv.tools.find((t) => toolKind(t) === 'search');
  const other = conv.tools.find((t) => toolKind(t) === 'other');
  const generic: Intent = { kind: 'generic', question, numbers: numeric?.quantities ?? [] };
  const intentFor = (tool: ToolSpec): Intent => {
    const kind = toolKind(tool);
    if (kind === 'weather') return { kind: 'weather', location: findLocation(question) };
    if (kind === 'search') return { kind: 'search', query: question };
    const step = numeric?.steps[0];
    if (step && kind !== 'other') return { kind: 'arith', op: step.op, a: step.left.value, b: step.right.value };
    return generic;
  };
  if (forced) return callTool(forced, intentFor(forced));
  if (weather && /\b(weather|temperature|forecast|rain|sunny|snow|hot|cold)\b/.test(lower)) return callTool(weather, intentFor(weather));
  const known = answerGeneralQuestion(question).known;
  if (search && !numeric && !known && /\?|\b(who|what|when|where|which|find|look up|search)\b/.test(lower)) return callTool(search, intentFor(search));
  if (other && !numeric && !known && nameOverlap(other, lower)) return callTool(other, intentFor(other));
  if (conv.toolChoice === 'required') {
    const best = weather ?? search ?? other ?? (conv.tools[0] as ToolSpec);
    return callTool(best, intentFor(best));
  }
  return null;
}

/** A tool whose name words appear in the question ("get_order_status" for "status of my order"). */
function nameOverlap(tool: ToolSpec, lowerQuestion: string): boolean {
  const words = tool.name
    .toLowerCase()
    .split(/[_\-.\s]+|(?<=[a-z])(?=[A-Z])/)
    .filter((w) => w.length > 3 && !/^(get|set|tool|data|info)$/.test(w));
  return words.some((w) => lowerQuestion.includes(w.replace(/s$/, '')));
}

function answerFromResults(
  conv: Conversation,
  question: string,
  results: Turn[],
  calls: ToolCall[],
  numeric: NumericProblem | null,
  d: Directives,
  styleKey: string,
): string {
  const last = results[results.length - 1] as Turn;
  const call = calls.find((c) => c.id === last.toolCallId) ?? calls[calls.length - 1];
  const tool = conv.tools.find((t) => t.name === call?.name);
  const summary = summarizeResult(last.text);
  const n = resultNumber(last.text);
  if (numeric && n !== null) return numericReply({ ...numeric, value: n, steps: [] as Step[] }, d, styleKey, conv);
  let sentence: string;
  if (tool && toolKind(tool) === 'weather') sentence = `Here is the current weather in ${findLocation(question)}: ${summary}.`;
  else sentence = `According to ${call?.name ?? 'the tool'}: ${summary}`;
  sentence = sentence.replace(/\.\.$/, '.');
  if (conv.json) return JSON.stringify(fillSchema(conv.json.schema, { number: n, text: summary, explanation: sentence }));
  return writeTextAnswer(d.format.kind === 'number-only' && n !== null ? String(n) : summary, sentence, d);
}

/** Ids derived from the request plus a per-server counter: stable content, distinct calls. */
export function responseId(prefix: string, key: string, counter: number): string {
  return `${prefix}${hex(hash32(key))}${counter.toString(16).padStart(6, '0')}`;
}
