// Field-by-field merging of the conventions one span carries (normalize/draft.ts) and the content shapes the
// message builders read (normalize/messages.ts): provider-native blocks as JSON strings, Responses items, Gemini
// parts, LangChain dicts. Each case is a shape an instrumentation sends today; the call must come out as the
// exchange that happened.

import { describe, expect, it } from 'vitest';
import { normalizeSpans } from '../../../normalize/index.js';
import { toMessages } from '../../../normalize/messages.js';
import { span } from '../../support/span-builders.js';

const CALL_ID = 'tooluse_Qx1';
const toolCall = { type: 'tool_call', id: CALL_ID, name: 'calculator', arguments: { expression: '3 + 4' } };

describe('merging the conventions of one span', () => {
  it('an empty gen_ai.output.messages does not hide the tool call in the indexed legacy attributes beside it', () => {
    const batch = normalizeSpans([
      span({
        spanId: 'm1',
        name: 'chat sim-small',
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'sim-small',
          'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [] }]),
          'gen_ai.completion.0.role': 'assistant',
          'gen_ai.completion.0.finish_reason': 'tool_calls',
          'gen_ai.completion.0.tool_calls.0.id': CALL_ID,
          'gen_ai.completion.0.tool_calls.0.name': 'calculator',
          'gen_ai.completion.0.tool_calls.0.arguments': '{"expression": "3 + 4"}',
        },
      }),
    ]);
    expect(batch.calls).toHaveLength(1);
    // Finish reasons come out in the OTel vocabulary (tool_calls → tool_call).
    expect(batch.calls[0]?.output).toEqual([{ role: 'assistant', parts: [toolCall], finish_reason: 'tool_call' }]);
  });

  it("the next call's history gets back the assistant's tool call another source gives for the same turns", () => {
    const otelInput = [
      { role: 'user', parts: [{ type: 'text', content: 'What is 3 + 4?' }] },
      { role: 'assistant', parts: [{ type: 'text', content: '' }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: CALL_ID, response: '7' }] },
    ];
    const batch = normalizeSpans([
      span({
        spanId: 'm2',
        name: 'chat sim-small',
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.input.messages': JSON.stringify(otelInput),
          'gen_ai.prompt.0.role': 'user',
          'gen_ai.prompt.0.content': 'What is 3 + 4?',
          'gen_ai.prompt.1.role': 'assistant',
          'gen_ai.prompt.1.tool_calls.0.id': CALL_ID,
          'gen_ai.prompt.1.tool_calls.0.name': 'calculator',
          'gen_ai.prompt.1.tool_calls.0.arguments': '{"expression": "3 + 4"}',
          'gen_ai.prompt.2.role': 'tool',
          'gen_ai.prompt.2.tool_call_id': CALL_ID,
          'gen_ai.prompt.2.content': '7',
          'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: '7' }] }]),
        },
      }),
    ]);
    expect(batch.calls[0]?.input).toEqual([otelInput[0], { role: 'assistant', parts: [toolCall] }, otelInput[2]]);
  });

  it('two full values keep the more precise convention; a zero token count gives way to a real one', () => {
    const batch = normalizeSpans([
      span({
        spanId: 'm3',
        name: 'chat sim-small',
        attributes: {
          'gen_ai.operation.name': 'chat',
          'openinference.span.kind': 'LLM',
          'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'from otel' }] }]),
          'llm.output_messages.0.message.role': 'assistant',
          'llm.output_messages.0.message.content': 'from openinference',
          'gen_ai.usage.input_tokens': 0,
          'llm.token_count.prompt': 31,
          'gen_ai.usage.output_tokens': 5,
          'llm.token_count.completion': 9,
        },
      }),
    ]);
    const call = batch.calls[0];
    expect(call?.output).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'from otel' }] }]);
    expect([call?.input_tokens, call?.output_tokens]).toEqual([31, 5]);
  });

  it('tool calls told twice with different ids (two sources for one turn) stay one set', () => {
    const batch = normalizeSpans([
      span({
        spanId: 'm4',
        name: 'chat',
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [toolCall] }]),
          'gen_ai.completion.0.role': 'assistant',
          'gen_ai.completion.0.tool_calls.0.id': 'other-id',
          'gen_ai.completion.0.tool_calls.0.name': 'calculator',
          'gen_ai.completion.0.tool_calls.0.arguments': '{"expression": "3 + 4"}',
        },
      }),
    ]);
    expect(batch.calls[0]?.output).toEqual([{ role: 'assistant', parts: [toolCall] }]);
  });
});

describe('content shapes', () => {
  it('Bedrock Converse blocks as JSON strings in the per-message events (strands-agents): text, toolUse, toolResult', () => {
    const batch = normalizeSpans([
      span({
        spanId: 's1',
        name: 'chat',
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'sim-small' },
        events: [
          { name: 'gen_ai.system.message', attributes: { content: JSON.stringify([{ text: 'You solve arithmetic.' }]) } },
          { name: 'gen_ai.user.message', attributes: { content: JSON.stringify([{ text: 'What is 3 + 4?' }]) } },
          {
            name: 'gen_ai.assistant.message',
            attributes: { content: JSON.stringify([{ toolUse: { toolUseId: CALL_ID, name: 'calculator', input: { expression: '3 + 4' } } }]) },
          },
          {
            name: 'gen_ai.tool.message',
            attributes: { content: JSON.stringify([{ toolResult: { toolUseId: CALL_ID, status: 'success', content: [{ text: '7' }] } }]) },
          },
          { name: 'gen_ai.choice', attributes: { message: JSON.stringify([{ text: 'The answer is 7.' }]), finish_reason: 'end_turn' } },
        ],
      }),
    ]);
    const call = batch.calls[0];
    expect(call?.input).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'You solve arithmetic.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'What is 3 + 4?' }] },
      { role: 'assistant', parts: [toolCall] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: CALL_ID, response: '7' }] },
    ]);
    expect(call?.output).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'The answer is 7.' }], finish_reason: 'stop' }]);
  });

  it('Anthropic content blocks, a JSON string of them, and reasoning blocks', () => {
    const msgs = toMessages([
      {
        role: 'assistant',
        content: JSON.stringify([
          { type: 'thinking', thinking: 'add first' },
          { type: 'tool_use', id: CALL_ID, name: 'calculator', input: { expression: '3 + 4' } },
        ]),
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: CALL_ID, content: [{ type: 'text', text: '7' }] }] },
      { role: 'assistant', content: [{ reasoningContent: { reasoningText: { text: 'done' } } }, { text: '7' }] },
    ]);
    expect(msgs).toEqual([
      { role: 'assistant', parts: [{ type: 'reasoning', content: 'add first' }, toolCall] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: CALL_ID, response: '7' }] },
      {
        role: 'assistant',
        parts: [
          { type: 'reasoning', content: 'done' },
          { type: 'text', content: '7' },
        ],
      },
    ]);
  });

  it('OpenAI Responses items: message, function_call, function_call_output', () => {
    expect(
      toMessages([
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'What is 3 + 4?' }] },
        { type: 'function_call', id: 'fc_1', call_id: CALL_ID, name: 'calculator', arguments: '{"expression":"3 + 4"}' },
        { type: 'function_call_output', call_id: CALL_ID, output: '7' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: '7' }] },
      ]),
    ).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'What is 3 + 4?' }] },
      { role: 'assistant', parts: [toolCall] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: CALL_ID, response: '7' }] },
      { role: 'assistant', parts: [{ type: 'text', content: '7' }] },
    ]);
  });

  it('Gemini contents: role model, functionCall and functionResponse parts', () => {
    expect(
      toMessages([
        { role: 'user', parts: [{ text: 'What is 3 + 4?' }] },
        { role: 'model', parts: [{ functionCall: { id: CALL_ID, name: 'calculator', args: { expression: '3 + 4' } } }] },
        { role: 'user', parts: [{ functionResponse: { id: CALL_ID, name: 'calculator', response: { result: 7 } } }] },
      ]),
    ).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'What is 3 + 4?' }] },
      { role: 'assistant', parts: [toolCall] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: CALL_ID, response: { result: 7 } }] },
    ]);
  });

  it('LangChain message dicts, plain and serialized', () => {
    expect(
      toMessages([
        { type: 'system', content: 'You solve arithmetic.' },
        { type: 'human', content: 'What is 3 + 4?' },
        { type: 'ai', content: '', tool_calls: [{ id: CALL_ID, name: 'calculator', args: { expression: '3 + 4' } }] },
        { type: 'tool', content: '7', tool_call_id: CALL_ID },
        { lc: 1, type: 'constructor', id: ['langchain', 'schema', 'messages', 'AIMessage'], kwargs: { content: '7' } },
      ]),
    ).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'You solve arithmetic.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'What is 3 + 4?' }] },
      { role: 'assistant', parts: [toolCall] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: CALL_ID, response: '7' }] },
      { role: 'assistant', parts: [{ type: 'text', content: '7' }] },
    ]);
  });

  it('text that only looks like JSON stays text', () => {
    expect(
      toMessages([
        { role: 'user', content: '[1, 2, 3]' },
        { role: 'user', content: '{"a": 1}' },
      ]),
    ).toEqual([
      { role: 'user', parts: [{ type: 'text', content: '[1, 2, 3]' }] },
      { role: 'user', parts: [{ type: 'text', content: '{"a": 1}' }] },
    ]);
  });
});
