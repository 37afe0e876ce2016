// Exports on hand-built rollouts: chat messages in OpenAI's shape (tool calls, tool results with ids, tool
// definitions), rejection sampling per task, preference pairs, verl rows.
import { describe, expect, it } from 'vitest';
import { toChat } from '../../../algorithms/rl/chat-messages.js';
import { dpoRecords, selectRollouts, sftRecords, toChatTools, verlRows } from '../../../algorithms/rl/exports.js';
import type { RolloutGroup } from '../../../algorithms/rl/grpo.js';
import type { Message } from '../../../schemas/genai.js';
import { rollout } from '../../support/rollout-builders.js';

const toolTurn: Message[] = [
  { role: 'system', parts: [{ type: 'text', content: 'use the calculator' }] },
  { role: 'user', parts: [{ type: 'text', content: 'what is 6*7?' }] },
  { role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'calc', arguments: { expr: '6*7' } }] },
  { role: 'tool', parts: [{ type: 'tool_call_response', id: 'c1', response: '42' }] },
];
const calcTool = { type: 'function', name: 'calc', description: 'evaluates', parameters: { type: 'object', properties: { expr: { type: 'string' } } } };

describe('chat messages', () => {
  it("writes tool calls and results in OpenAI's shape, with ids (minted where the instrumentation recorded none)", () => {
    expect(toChat(toolTurn)).toEqual([
      { role: 'system', content: 'use the calculator' },
      { role: 'user', content: 'what is 6*7?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'calc', arguments: '{"expr":"6*7"}' } }] },
      { role: 'tool', content: '42', tool_call_id: 'c1' },
    ]);
    const noIds = toChat([
      {
        role: 'assistant',
        parts: [
          { type: 'tool_call', name: 'calc', arguments: '1+1' },
          { type: 'tool_call', name: 'calc', arguments: '2+2' },
        ],
      },
      { role: 'tool', parts: [{ type: 'tool_call_response', response: 2 }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', response: 4 }] },
    ]);
    expect(noIds.map((m) => m.tool_call_id ?? m.tool_calls?.map((c) => c.id))).toEqual([['call_0', 'call_1'], 'call_0', 'call_1']);
    expect(toChatTools([calcTool])).toEqual([{ type: 'function', function: { name: 'calc', description: 'evaluates', parameters: calcTool.parameters } }]);
  });
});

describe('exports', () => {
  const group: RolloutGroup = {
    group_id: 'g1',
    rollouts: [
      rollout('best', 1, [{ prompt: toolTurn, answer: 'It is 42.', tools: [calcTool] }]),
      rollout('mid', 0.5, [{ prompt: toolTurn, answer: '42?', tools: [calcTool] }]),
      rollout('worst', 0, [{ prompt: toolTurn, answer: 'No idea.', tools: [calcTool] }]),
      rollout('unscored', null, [{ prompt: toolTurn }]),
    ],
  };

  it('rejection sampling keeps the best k % of a task, or those above a threshold', () => {
    expect(selectRollouts(group, { topPercent: 34 }).map((x) => x.rollout.rollout_id)).toEqual(['best']);
    expect(selectRollouts(group, { minReward: 0.5 }).map((x) => x.rollout.rollout_id)).toEqual(['best', 'mid']);
    expect(selectRollouts(group, { topPercent: 1 }).map((x) => x.rollout.rollout_id)).toEqual(['best']);
  });

  it('SFT: OpenAI chat fine-tuning lines (assistant last, tools attached) and TRL prompt/completion lines', () => {
    const [openai] = sftRecords([group], { format: 'openai', topPercent: 34 });
    expect(openai).toEqual({
      messages: [...toChat(toolTurn).map((m) => (m.role === 'assistant' ? { ...m, weight: 0 } : m)), { role: 'assistant', content: 'It is 42.' }],
      tools: toChatTools([calcTool]),
    });
    const [trl] = sftRecords([group], { format: 'trl', minReward: 1 });
    expect(trl).toMatchObject({ prompt: toChat(toolTurn), completion: [{ role: 'assistant', content: 'It is 42.' }], reward: 1, rollout_id: 'best' });
  });

  it('DPO: the best answer to a prompt chosen over the worst, equal rewards left out', () => {
    expect(dpoRecords([group])).toEqual([
      {
        prompt: toChat(toolTurn),
        chosen: [{ role: 'assistant', content: 'It is 42.' }],
        rejected: [{ role: 'assistant', content: 'No idea.' }],
        score_chosen: 1,
        score_rejected: 0,
        tools: toChatTools([calcTool]),
      },
    ]);
    expect(dpoRecords([{ group_id: 'tie', rollouts: [rollout('a', 1), rollout('b', 1)] }])).toEqual([]);
  });

  it('verl: one row per task with its opening prompt and the best answer as ground truth', () => {
    const [row] = verlRows([group], { dataSource: 'tl', ability: 'math', split: 'train' });
    expect(row).toMatchObject({
      data_source: 'tl',
      ability: 'math',
      reward_model: { style: 'rule', ground_truth: 'It is 42.' },
      extra_info: { index: 0, split: 'train', group_id: 'g1', rollouts: 4, mean_reward: 0.5, best_reward: 1 },
    });
    expect(row!.prompt[0]).toEqual({ role: 'system', content: 'use the calculator' });
  });
});
