// OpenInference (Arize): @arizeai/openinference-instrumentation-openai, openinference-instrumentation-langchain,
// Python openinference-instrumentation-openai, ... An LLM span has `openinference.span.kind` = "LLM" and
// flattened message lists:
//   llm.input_messages.{i}.message.role | .content | .name | .tool_call_id
//   llm.input_messages.{i}.message.contents.{j}.message_content.type | .text | .image.image.url
//   llm.input_messages.{i}.message.tool_calls.{k}.tool_call.id | .function.name | .function.arguments
//   llm.output_messages.{i}.message.*   (same shape)
// plus `llm.model_name` (`llm.request.model_name` / `llm.response.model_name` in newer releases),
// `llm.provider`, `llm.system`, `llm.token_count.prompt` / `.completion` / `.total`, `llm.invocation_parameters`
// (JSON), `llm.tools.{i}.tool.json_schema` (JSON), `llm.finish_reason`, completions-API `llm.prompts.{i}.prompt.text`
// / `llm.choices.{i}.completion.text`, and the raw `input.value` / `output.value` (JSON request / response, or
// plain text) used here only when no message list is present.
// Every OpenInference span declares its kind, so a CHAIN / AGENT / TOOL / EMBEDDING span is no call, whatever
// other convention's keys it carries; a span that also has `gen_ai.operation.name` is judged by that first
// (operations.ts).

import type { Message, MessagePart } from '../schemas/genai.js';
import type { ConventionReader } from './convention.js';
import type { CallDraft } from './draft.js';
import { setFinish, setMessages, setStr, setTokens, setTools } from './draft.js';
import { alias, contentPart, looseMessages, parseArgs, textPart, toolCallPart, toolResponsePart } from './messages.js';
import { groupIndexed, int, isRecord, parseJson, str, structuredOnly } from './util.js';
import type { Attrs } from './util.js';

function oiMessage(rec: Record<string, unknown>, defaultRole: string): Message | null {
  const role = alias(str(rec['message.role'])) || defaultRole;
  const parts: MessagePart[] = [];
  const toolCallId = str(rec['message.tool_call_id']);
  const content = rec['message.content'];
  const contents = groupIndexed(rec, 'message.contents.');
  if (role === 'tool' || role === 'function') {
    let text = typeof content === 'string' ? content : '';
    if (!text) for (const c of contents) text += str(c['message_content.text']);
    parts.push(toolResponsePart(toolCallId || (role === 'function' ? str(rec['message.name']) : ''), text));
  } else {
    if (typeof content === 'string' && content !== '') parts.push(textPart(content));
    for (const c of contents) {
      const type = str(c['message_content.type']) || 'text';
      if (type === 'text' || type === 'reasoning') {
        const text = str(c['message_content.text']);
        parts.push(type === 'text' ? textPart(text) : { type: 'reasoning', content: text });
      } else if (type === 'image') {
        parts.push({ type: 'uri', modality: 'image', uri: str(c['message_content.image.image.url']) });
      } else {
        const generic: Record<string, unknown> = { type };
        for (const k in c) if (k !== 'message_content.type') generic[k.replace(/^message_content\./, '')] = c[k];
        const part = contentPart(generic);
        if (part) parts.push(part);
      }
    }
  }
  for (const tc of groupIndexed(rec, 'message.tool_calls.')) {
    parts.push(toolCallPart(str(tc['tool_call.id']), str(tc['tool_call.function.name']), parseArgs(tc['tool_call.function.arguments'])));
  }
  const fnName = str(rec['message.function_call_name']);
  if (fnName) parts.push(toolCallPart('', fnName, parseArgs(rec['message.function_call_arguments_json'])));
  if (parts.length === 0 && rec['message.role'] === undefined) return null;
  const msg: Message = { role, parts };
  // A tool message's name is its tool's (LangChain's ToolMessage), which the chat API does not send.
  const name = str(rec['message.name']);
  if (name && role !== 'tool') msg.name = name;
  return msg;
}

function oiMessages(attrs: Attrs, prefix: string, defaultRole: string): Message[] {
  const out: Message[] = [];
  for (const rec of groupIndexed(attrs, prefix)) {
    const m = oiMessage(rec, defaultRole);
    if (m) out.push(m);
  }
  return out;
}

function textList(attrs: Attrs, prefix: string, key: string, role: string): Message[] {
  return groupIndexed(attrs, prefix)
    .map((r) => str(r[key]))
    .filter((t) => t !== '')
    .map((t) => ({ role, parts: [textPart(t)] }));
}

function rawValueMessages(value: unknown, mime: unknown, role: string): Message[] {
  if (typeof value !== 'string' || value === '') return [];
  const isJson = typeof mime === 'string' ? mime.includes('json') : /^\s*[[{]/.test(value);
  if (!isJson) return [{ role, parts: [textPart(value)] }];
  const parsed = parseJson(value);
  if (parsed === undefined) return [{ role, parts: [textPart(value)] }];
  return looseMessages(parsed, role);
}

export const openInference: ConventionReader<'openinference'> = {
  name: 'openinference',
  claims(_span, attrs) {
    return attrs['openinference.span.kind'] === 'LLM';
  },
  read(_span, attrs, d) {
    readLlmSpan(attrs, d);
  },
};

/** An LLM span's flattened `llm.*` attributes (raw `input.value` / `output.value` as the last resort). */
function readLlmSpan(attrs: Attrs, d: CallDraft): void {
  let params: Record<string, unknown> | undefined;
  const rawParams = attrs['llm.invocation_parameters'];
  if (typeof rawParams === 'string') {
    const p = parseJson(rawParams);
    if (isRecord(p)) params = p;
  }
  const modelName = str(attrs['llm.model_name']);
  setStr(d, 'provider', str(attrs['llm.provider']) || str(attrs['llm.system']));
  setStr(d, 'request_model', str(attrs['llm.request.model_name']) || str(params?.model) || modelName);
  setStr(d, 'response_model', str(attrs['llm.response.model_name']) || modelName);
  setTokens(d, int(attrs['llm.token_count.prompt']), int(attrs['llm.token_count.completion']));

  let input = oiMessages(attrs, 'llm.input_messages.', 'user');
  let operation = input.length > 0 ? 'chat' : '';
  if (input.length === 0) {
    input = textList(attrs, 'llm.prompts.', 'prompt.text', 'user');
    if (input.length > 0) operation = 'text_completion';
  }
  const rawInput = rawValueMessages(attrs['input.value'], attrs['input.mime_type'], 'user');
  setMessages(d, 'input', input.length > 0 ? input : rawInput);
  // The flattened messages of some instrumentations (LangChain.js) leave out the tool-call ids the raw request
  // keeps: merged turn by turn, the raw value gives them back.
  if (input.length > 0) setMessages(d, 'input', rawInput);

  let output = oiMessages(attrs, 'llm.output_messages.', 'assistant');
  if (output.length === 0) output = textList(attrs, 'llm.choices.', 'completion.text', 'assistant');
  const rawOutput = rawValueMessages(attrs['output.value'], attrs['output.mime_type'], 'assistant');
  setMessages(d, 'output', output.length > 0 ? output : rawOutput);
  if (output.length > 0) setMessages(d, 'output', rawOutput);
  setStr(d, 'operation', operation);

  const finish = str(attrs['llm.finish_reason']);
  if (finish) setFinish(d, [finish]);

  const tools: unknown[] = [];
  for (const t of groupIndexed(attrs, 'llm.tools.')) {
    const schema = structuredOnly(t['tool.json_schema']);
    if (schema !== undefined) tools.push(schema);
    else if (str(t['tool.name'])) {
      const def: Record<string, unknown> = { type: 'function', name: str(t['tool.name']) };
      if (str(t['tool.description'])) def.description = str(t['tool.description']);
      const params2 = structuredOnly(t['tool.parameters']);
      if (params2 !== undefined) def.parameters = params2;
      tools.push(def);
    }
  }
  setTools(d, tools);
}
