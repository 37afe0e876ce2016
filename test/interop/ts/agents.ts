// The two agent scenarios every interop suite runs, written against the plain `openai` SDK (suites whose
// framework drives the model itself write their own loop).

import type OpenAI from 'openai';
import { CALCULATOR_DESCRIPTION, CALCULATOR_PARAMETERS, calculate, SYSTEM_PROMPT, TOOL_QUESTION, TOOL_SYSTEM_PROMPT, USER_QUESTION } from '../harness.js';

export const MODEL = 'sim-small';

/** (a) One chat completion: a system prompt and a user question. */
export async function singleTurnChat(client: OpenAI, opts: { stream?: boolean } = {}): Promise<string> {
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: USER_QUESTION },
  ];
  if (opts.stream) {
    const stream = await client.chat.completions.create({ model: MODEL, messages, stream: true, stream_options: { include_usage: true } });
    let out = '';
    for await (const chunk of stream) out += chunk.choices[0]?.delta?.content ?? '';
    return out;
  }
  const res = await client.chat.completions.create({ model: MODEL, messages });
  return res.choices[0]?.message.content ?? '';
}

export const CALCULATOR_TOOL: OpenAI.Chat.ChatCompletionTool = {
  type: 'function',
  function: { name: 'calculator', description: CALCULATOR_DESCRIPTION, parameters: CALCULATOR_PARAMETERS as unknown as Record<string, unknown> },
};

/** (b) A tool-using agent loop: the model calls the calculator once per arithmetic step, then answers. */
export async function calculatorAgent(client: OpenAI, maxTurns = 6): Promise<{ answer: string; calls: number }> {
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
    { role: 'system', content: TOOL_SYSTEM_PROMPT },
    { role: 'user', content: TOOL_QUESTION },
  ];
  for (let turn = 1; turn <= maxTurns; turn++) {
    const res = await client.chat.completions.create({ model: MODEL, messages, tools: [CALCULATOR_TOOL] });
    const msg = res.choices[0]!.message;
    const toolCalls = msg.tool_calls ?? [];
    if (toolCalls.length === 0) return { answer: msg.content ?? '', calls: turn };
    messages.push({ role: 'assistant', content: msg.content, tool_calls: toolCalls });
    for (const tc of toolCalls) {
      if (tc.type !== 'function') continue;
      const args = JSON.parse(tc.function.arguments) as { expression: string };
      messages.push({ role: 'tool', tool_call_id: tc.id, content: calculate(args.expression) });
    }
  }
  throw new Error(`no answer after ${maxTurns} turns`);
}

export const CALCULATOR_RESPONSES_TOOL: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'calculator',
  description: CALCULATOR_DESCRIPTION,
  parameters: CALCULATOR_PARAMETERS as unknown as Record<string, unknown>,
  strict: true,
};

/** (a) through the Responses API: instructions + a user question. */
export async function singleTurnResponses(client: OpenAI): Promise<string> {
  const res = await client.responses.create({ model: MODEL, instructions: SYSTEM_PROMPT, input: USER_QUESTION });
  return res.output_text;
}

/** (b) through the Responses API: the tool loop with function_call / function_call_output items, stateless. */
export async function calculatorAgentResponses(client: OpenAI, maxTurns = 6): Promise<{ answer: string; calls: number }> {
  const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: TOOL_QUESTION }];
  for (let turn = 1; turn <= maxTurns; turn++) {
    const res = await client.responses.create({ model: MODEL, instructions: TOOL_SYSTEM_PROMPT, input, tools: [CALCULATOR_RESPONSES_TOOL] });
    const calls = res.output.filter((o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === 'function_call');
    if (calls.length === 0) return { answer: res.output_text, calls: turn };
    for (const c of calls) {
      input.push({ type: 'function_call', call_id: c.call_id, name: c.name, arguments: c.arguments });
      const args = JSON.parse(c.arguments) as { expression: string };
      input.push({ type: 'function_call_output', call_id: c.call_id, output: calculate(args.expression) });
    }
  }
  throw new Error(`no answer after ${maxTurns} turns`);
}
