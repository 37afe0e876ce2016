// The mutable LLM-call record that convention readers fill in. Readers run in a fixed order (most precise
// convention first) and only fill fields that are still empty, so a span that carries two conventions (a
// Vercel AI SDK span with gen_ai.* duplicates, an Agent Lightning span with OpenLLMetry content) becomes one
// call, never two, and the better source wins field by field.

import type { Convention, Message } from '../schemas/genai.js';

export interface CallDraft {
  provider: string;
  operation: string;
  request_model: string;
  response_model: string;
  system: Message[] | null;
  input: Message[] | null;
  output: Message[] | null;
  finish_reasons: string[] | null;
  input_tokens: number | null;
  output_tokens: number | null;
  prompt_token_ids: number[] | null;
  response_token_ids: number[] | null;
  response_logprobs: number[] | null;
  tools: unknown[] | null;
  conventions: Convention[];
}

export function newDraft(): CallDraft {
  return {
    provider: '',
    operation: '',
    request_model: '',
    response_model: '',
    system: null,
    input: null,
    output: null,
    finish_reasons: null,
    input_tokens: null,
    output_tokens: null,
    prompt_token_ids: null,
    response_token_ids: null,
    response_logprobs: null,
    tools: null,
    conventions: [],
  };
}

type StringField = 'provider' | 'operation' | 'request_model' | 'response_model';
type ListField = 'system' | 'input' | 'output';

export function setStr(d: CallDraft, field: StringField, value: string): void {
  if (!d[field] && value) d[field] = value;
}

export function setMessages(d: CallDraft, field: ListField, value: Message[]): void {
  if (d[field] === null && value.length > 0) d[field] = value;
}

export function setFinish(d: CallDraft, value: string[]): void {
  if (d.finish_reasons === null && value.length > 0) d.finish_reasons = value;
}

export function setTokens(d: CallDraft, input: number | null, output: number | null): void {
  if (d.input_tokens === null && input !== null) d.input_tokens = input;
  if (d.output_tokens === null && output !== null) d.output_tokens = output;
}

export function setNumbers(d: CallDraft, field: 'prompt_token_ids' | 'response_token_ids' | 'response_logprobs', value: number[] | null): void {
  if (d[field] === null && value !== null && value.length > 0) d[field] = value;
}

export function setTools(d: CallDraft, value: unknown[]): void {
  if (d.tools === null && value.length > 0) d.tools = value;
}
