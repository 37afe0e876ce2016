// Request schemas for the three OpenAI endpoints. Objects are "loose" on purpose: real clients
// (the OpenAI SDKs, LangChain, the Vercel AI SDK, the Agents SDK, vLLM-aware trainers) send many
// fields we do not act on, and OpenAI itself accepts them. Only fields the simulation reads, or
// whose shape a client could get wrong, are checked.

import { z } from 'zod';

const nonEmptyName = z.string().min(1);

// Content parts: text is what the simulation reads; images, audio and files are accepted and ignored.
const contentPart = z.looseObject({ type: z.string(), text: z.string().optional(), refusal: z.string().optional() }).superRefine((part, ctx) => {
  if ((part.type === 'text' || part.type === 'input_text' || part.type === 'output_text') && typeof part.text !== 'string') {
    ctx.addIssue({ code: 'custom', path: ['text'], message: "Missing required parameter: text parts need a 'text' string." });
  }
});
const content = z.union([z.string(), z.array(contentPart)]);

const toolCall = z.looseObject({
  id: z.string(),
  type: z.literal('function').optional(),
  function: z.looseObject({ name: nonEmptyName, arguments: z.string() }),
});

const systemMessage = z.looseObject({ role: z.literal('system'), content, name: z.string().optional() });
const developerMessage = z.looseObject({ role: z.literal('developer'), content, name: z.string().optional() });
const userMessage = z.looseObject({ role: z.literal('user'), content, name: z.string().optional() });
const assistantMessage = z.looseObject({
  role: z.literal('assistant'),
  content: content.nullable().optional(),
  tool_calls: z.array(toolCall).optional(),
  name: z.string().optional(),
  refusal: z.string().nullable().optional(),
});
const toolMessage = z.looseObject({ role: z.literal('tool'), content, tool_call_id: z.string() });
// The deprecated "function" role is still sent by some older LangChain versions.
const functionMessage = z.looseObject({ role: z.literal('function'), content: z.string().nullable(), name: z.string() });

export const chatMessageSchema = z.discriminatedUnion('role', [systemMessage, developerMessage, userMessage, assistantMessage, toolMessage, functionMessage]);
export type ChatMessage = z.infer<typeof chatMessageSchema>;

const functionDefinition = z.looseObject({
  name: z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/, 'function names must match ^[a-zA-Z0-9_.-]{1,64}$'),
  description: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  strict: z.boolean().nullable().optional(),
});
const chatTool = z.looseObject({ type: z.literal('function'), function: functionDefinition });

const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: nonEmptyName }) }),
  z.looseObject({ type: z.literal('allowed_tools') }),
]);

const responseFormat = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    json_schema: z.looseObject({ name: z.string(), schema: z.record(z.string(), z.unknown()).optional(), strict: z.boolean().nullable().optional() }),
  }),
]);

const stop = z
  .union([z.string(), z.array(z.string()).max(4)])
  .nullable()
  .optional();

/** Fields shared by the generation endpoints, including vLLM's `return_token_ids`. */
const sampling = {
  model: z.string().min(1),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  n: z.number().int().min(1).max(16).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  seed: z.number().int().nullable().optional(),
  stop,
  return_token_ids: z.boolean().nullable().optional(),
  extra_body: z.looseObject({ return_token_ids: z.boolean().optional() }).nullable().optional(),
};

export const chatRequestSchema = z.looseObject({
  ...sampling,
  messages: z.array(chatMessageSchema).min(1),
  tools: z.array(chatTool).nullable().optional(),
  tool_choice: toolChoice.nullable().optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  max_tokens: z.number().int().min(1).nullable().optional(),
  max_completion_tokens: z.number().int().min(1).nullable().optional(),
  logprobs: z.boolean().nullable().optional(),
  top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
  response_format: responseFormat.nullable().optional(),
});
export type ChatRequest = z.infer<typeof chatRequestSchema>;

// Responses API input items. Item kinds the simulation does not use (reasoning, item_reference,
// built-in tool calls) pass through untouched, as the real API keeps them in context.
const responseInputItem = z
  .looseObject({
    type: z.string().optional(),
    role: z.string().optional(),
    content: content.optional(),
    call_id: z.string().optional(),
    name: z.string().optional(),
    arguments: z.string().optional(),
    output: z.union([z.string(), z.array(contentPart)]).optional(),
  })
  .superRefine((item, ctx) => {
    const type = item.type ?? 'message';
    if (type === 'message') {
      if (!item.role || !['user', 'assistant', 'system', 'developer'].includes(item.role)) {
        ctx.addIssue({ code: 'custom', path: ['role'], message: "expected one of 'user', 'assistant', 'system', 'developer'" });
      }
      if (item.content === undefined) ctx.addIssue({ code: 'custom', path: ['content'], message: 'Missing required parameter.' });
    } else if (type === 'function_call') {
      for (const key of ['call_id', 'name', 'arguments'] as const) {
        if (typeof item[key] !== 'string') ctx.addIssue({ code: 'custom', path: [key], message: 'Missing required parameter.' });
      }
    } else if (type === 'function_call_output') {
      if (typeof item.call_id !== 'string') ctx.addIssue({ code: 'custom', path: ['call_id'], message: 'Missing required parameter.' });
      if (item.output === undefined) ctx.addIssue({ code: 'custom', path: ['output'], message: 'Missing required parameter.' });
    }
  });
export type ResponseInputItem = z.infer<typeof responseInputItem>;

const responseTool = z
  .looseObject({
    type: z.string(),
    name: z.string().optional(),
    description: z.string().nullable().optional(),
    parameters: z.record(z.string(), z.unknown()).nullable().optional(),
    strict: z.boolean().nullable().optional(),
  })
  .superRefine((tool, ctx) => {
    if (tool.type === 'function' && !(typeof tool.name === 'string' && /^[a-zA-Z0-9_.-]{1,64}$/.test(tool.name))) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'function tools need a name matching ^[a-zA-Z0-9_.-]{1,64}$' });
    }
  });

export const responsesRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(responseInputItem)]),
  instructions: z.string().nullable().optional(),
  tools: z.array(responseTool).nullable().optional(),
  tool_choice: z
    .union([z.enum(['none', 'auto', 'required']), z.looseObject({ type: z.string(), name: z.string().optional() })])
    .nullable()
    .optional(),
  text: z
    .looseObject({
      format: z
        .looseObject({
          type: z.enum(['text', 'json_object', 'json_schema']),
          schema: z.record(z.string(), z.unknown()).optional(),
          name: z.string().optional(),
        })
        .optional(),
    })
    .nullable()
    .optional(),
  stream: z.boolean().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  max_output_tokens: z.number().int().min(1).nullable().optional(),
  previous_response_id: z.string().nullable().optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
  seed: z.number().int().nullable().optional(),
  return_token_ids: z.boolean().nullable().optional(),
});
export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;

export const completionsRequestSchema = z.looseObject({
  ...sampling,
  prompt: z.union([z.string(), z.array(z.string()).min(1), z.array(z.number().int()).min(1), z.array(z.array(z.number().int()).min(1)).min(1)]),
  max_tokens: z.number().int().min(1).nullable().optional(),
  logprobs: z.number().int().min(0).max(5).nullable().optional(),
  echo: z.boolean().nullable().optional(),
  suffix: z.string().nullable().optional(),
});
export type CompletionsRequest = z.infer<typeof completionsRequestSchema>;
