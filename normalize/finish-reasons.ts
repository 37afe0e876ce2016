// Finish reasons in one vocabulary, the OTel GenAI one (stop, length, content_filter, tool_call, error), whatever
// the provider or instrumentation called them: OpenAI's tool_calls, the Vercel AI SDK's tool-calls, Anthropic's
// and Bedrock's end_turn / tool_use / max_tokens, Gemini's STOP / MAX_TOKENS / SAFETY. A dataset filtered on
// "the model stopped by itself" then means one value across frameworks. A value not listed is kept, lower-cased.

const FINISH_REASONS: Readonly<Record<string, string>> = {
  stop: 'stop',
  end_turn: 'stop',
  stop_sequence: 'stop',
  end: 'stop',
  eos: 'stop',
  complete: 'stop',
  completed: 'stop',
  finish_reason_stop: 'stop',
  length: 'length',
  max_tokens: 'length',
  max_output_tokens: 'length',
  model_length: 'length',
  model_context_window_exceeded: 'length',
  token_limit: 'length',
  content_filter: 'content_filter',
  'content-filter': 'content_filter',
  safety: 'content_filter',
  recitation: 'content_filter',
  blocklist: 'content_filter',
  prohibited_content: 'content_filter',
  spii: 'content_filter',
  image_safety: 'content_filter',
  guardrail_intervened: 'content_filter',
  refusal: 'content_filter',
  tool_call: 'tool_call',
  tool_calls: 'tool_call',
  'tool-calls': 'tool_call',
  'tool-call': 'tool_call',
  tool_use: 'tool_call',
  function_call: 'tool_call',
  error: 'error',
  malformed_function_call: 'error',
};

export function normalizeFinishReason(value: string): string {
  const key = value.trim().toLowerCase();
  return Object.prototype.hasOwnProperty.call(FINISH_REASONS, key) ? (FINISH_REASONS[key] as string) : key;
}
