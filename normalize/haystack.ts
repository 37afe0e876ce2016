// Haystack's own OpenTelemetry tracer (opentelemetry-haystack, with HAYSTACK_CONTENT_TRACING_ENABLED=true). Its
// spans carry no GenAI markers: an Agent's model step is a `haystack.agent.step.llm` span with
// `haystack.agent.step.llm.input` (`{messages: [ChatMessage], tools}`) and `.output` (`{replies: [ChatMessage]}`),
// and a chat generator run in a pipeline is a `haystack.component.run` span whose `haystack.component.type` ends in
// `ChatGenerator`, with `haystack.component.input` / `.output` of the same shapes. A ChatMessage is
// `{role, name, meta, content: [{text} | {tool_call: {tool_name, arguments, id}} | {tool_call_result: {result,
// origin: {id}}}]}` (messages.ts reads the blocks); a reply's `meta` holds the model, the finish reason and the
// provider's usage. When an Agent's step and its generator are both traced, the step is the call's wrapper
// (index.ts keeps the innermost call).

import type { ConventionReader } from './convention.js';
import { setFinish, setMessages, setStr, setTokens, setTools, setUsageDetail } from './draft.js';
import { toMessages } from './messages.js';
import { int, isRecord, str, structuredOnly } from './util.js';
import type { Attrs } from './util.js';

const STEP_INPUT = 'haystack.agent.step.llm.input';
const STEP_OUTPUT = 'haystack.agent.step.llm.output';

function isChatGenerator(attrs: Attrs): boolean {
  const type = attrs['haystack.component.type'];
  return typeof type === 'string' && type.endsWith('ChatGenerator');
}

export const haystack: ConventionReader<'haystack'> = {
  name: 'haystack',
  claims(_span, attrs) {
    return attrs[STEP_INPUT] !== undefined || attrs[STEP_OUTPUT] !== undefined || (isChatGenerator(attrs) && attrs['haystack.component.input'] !== undefined);
  },
  read(_span, attrs, d) {
    const input = structuredOnly(attrs[STEP_INPUT] ?? attrs['haystack.component.input']);
    const output = structuredOnly(attrs[STEP_OUTPUT] ?? attrs['haystack.component.output']);
    if (isRecord(input)) {
      setMessages(d, 'input', toMessages(input.messages, 'user'));
      if (Array.isArray(input.tools))
        setTools(
          d,
          input.tools.map((t) => (isRecord(t) && isRecord(t.data) ? t.data : t)),
        );
    }
    if (!isRecord(output) || !Array.isArray(output.replies)) return;
    const reply = output.replies[0];
    const meta = isRecord(reply) && isRecord(reply.meta) ? reply.meta : {};
    const replies = toMessages(output.replies.slice(0, 1), 'assistant');
    if (replies[0] && str(meta.finish_reason)) replies[0].finish_reason = str(meta.finish_reason);
    setMessages(d, 'output', replies);
    setStr(d, 'response_model', str(meta.model));
    if (str(meta.finish_reason)) setFinish(d, [str(meta.finish_reason)]);
    const usage = isRecord(meta.usage) ? meta.usage : {};
    setTokens(d, int(usage.prompt_tokens), int(usage.completion_tokens));
    const prompt = isRecord(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
    const completion = isRecord(usage.completion_tokens_details) ? usage.completion_tokens_details : {};
    setUsageDetail(d, 'cache_read_input_tokens', int(prompt.cached_tokens));
    setUsageDetail(d, 'cache_creation_input_tokens', int(prompt.cache_write_tokens));
    setUsageDetail(d, 'reasoning_tokens', int(completion.reasoning_tokens));
  },
};
