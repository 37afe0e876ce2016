// Pydantic Logfire's OpenAI instrumentation in its first span format (`logfire.instrument_openai(version=1)`,
// and both formats with `version=[1, 2]`): the OTel GenAI identification keys, but the exchange itself as
// `request_data` (the Chat Completions request JSON: model, messages, tools) and `response_data` (`{message,
// usage}`, the returned choice's message), plus `gen_ai.usage.raw` (the provider's usage JSON, with the cached and
// reasoning token counts). Version 2, Logfire's default, writes `gen_ai.input.messages` / `output.messages`,
// which the OTel GenAI reader reads first; this reader fills only what is still empty.

import type { ConventionReader } from './convention.js';
import { setMessages, setTools, setUsageDetail } from './draft.js';
import { looseMessages, toMessage } from './messages.js';
import { int, isRecord, structuredOnly } from './util.js';

export const logfire: ConventionReader<'logfire'> = {
  name: 'logfire',
  claims(_span, attrs) {
    return attrs['logfire.span_type'] !== undefined && (attrs['request_data'] !== undefined || attrs['response_data'] !== undefined);
  },
  read(_span, attrs, d) {
    const request = structuredOnly(attrs['request_data']);
    if (isRecord(request)) {
      setMessages(d, 'input', looseMessages({ messages: request.messages }, 'user'));
      if (Array.isArray(request.tools)) setTools(d, request.tools);
    }
    const response = structuredOnly(attrs['response_data']);
    if (isRecord(response) && isRecord(response.message)) {
      const m = toMessage(response.message, 'assistant');
      if (m) setMessages(d, 'output', [m]);
    }
    const usage = structuredOnly(attrs['gen_ai.usage.raw']);
    if (isRecord(usage)) {
      const prompt = isRecord(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
      const completion = isRecord(usage.completion_tokens_details) ? usage.completion_tokens_details : {};
      setUsageDetail(d, 'cache_read_input_tokens', int(prompt.cached_tokens));
      setUsageDetail(d, 'reasoning_tokens', int(completion.reasoning_tokens));
    }
  },
};
