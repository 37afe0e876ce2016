// The simulated OpenAI-compatible model over real HTTP, driven by the official `openai` SDK
// where a client would use it: prompt quality must change accuracy, format instructions must be
// obeyed, tool calls must round-trip (streamed and not), token ids must be there when asked, the
// optimizer role must keep placeholders, and bad requests must fail like OpenAI's.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTasks } from '../../examples/arithmetic-agent/tasks.js';
import { startSimulatedModel, type SimulatedModelServer } from '../../examples/simulated-model/index.js';

let server: SimulatedModelServer;
let client: OpenAI;

beforeAll(async () => {
  server = await startSimulatedModel({ port: 0 });
  client = new OpenAI({ baseURL: server.url, apiKey: 'not-needed', maxRetries: 0 });
});
afterAll(async () => {
  await server?.close();
});

const PROBLEMS: [string, number][] = [
  ['Tom has 3 boxes of 12 apples and gives away 7. How many apples are left?', 29],
  ['Sara has 5 apples. She buys 3 more. How many apples does she have?', 8],
  ['A baker makes 24 cookies and splits them equally among 4 friends. How many cookies does each friend get?', 6],
  ['John earns $15 per hour and works 8 hours. He spends $30. How much money does he have left?', 90],
  ['A store had 50 shirts. It sold 18 on Monday and 12 on Tuesday. How many shirts are left?', 20],
  ['Mia reads 12 pages a day for 5 days, then 8 more pages. How many pages did she read in total?', 68],
  ['Amy has 20 candies. She gives 4 to each of her 3 friends. How many candies does she have left?', 8],
  ['A farmer has 5 rows of 8 trees. 6 trees die. How many trees are left?', 34],
  ['Jake had 45 stickers. He gave 12 to his sister and then bought 9 more. How many stickers does he have now?', 42],
  ['There are 6 packs of 10 pencils. The teacher hands out 25 pencils. How many pencils remain?', 35],
  ['Nina saves $8 each week for 6 weeks and then spends $15 on a book. How much money does she have left?', 33],
  ['Tim has 3 dozen eggs. He uses 10 eggs to bake. How many eggs does he have left?', 26],
];

async function ask(system: string, user: string, extra: Partial<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming> = {}): Promise<string> {
  const res = await client.chat.completions.create({
    model: 'sim-small',
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: user },
    ],
    ...extra,
  });
  return res.choices[0]?.message.content ?? '';
}

/** Strict grader: the reply must be exactly the number. */
const exact = (reply: string, want: number) => reply.trim() === String(want);
/** Lenient grader: the last number in the reply. */
const lastNumber = (reply: string, want: number) => Number(reply.match(/-?\d+(?:\.\d+)?/g)?.at(-1)) === want;

async function accuracy(system: string, grade: (reply: string, want: number) => boolean): Promise<number> {
  let ok = 0;
  for (const [q, want] of PROBLEMS) if (grade(await ask(system, q), want)) ok++;
  return ok / PROBLEMS.length;
}

/** Many two- and three-step problems, for rates rather than single answers. */
const MANY: [string, number][] = generateTasks({ seed: 7, train: 40, validation: 40 }).train.map((t) => [t.question, t.answer]);

async function rate(system: string, problems: [string, number][], grade: (reply: string, want: number) => boolean): Promise<number> {
  const oks = await Promise.all(problems.map(async ([q, want]) => grade(await ask(system, q), want)));
  return oks.filter(Boolean).length / problems.length;
}

const showsWork = (reply: string) => /Step 1: .* = /.test(reply);
const answerLine = (reply: string, want: number) => reply.trim().split('\n').at(-1) === `Answer: ${want}`;

describe('simulated model: prompt quality matters', () => {
  it('a weak prompt scores measurably worse than a good one', async () => {
    const weak = 'You are a helpful assistant.';
    const good = 'Solve the problem step by step, then end with a final line "Answer: <n>".';
    expect(await accuracy(weak, exact)).toBe(0); // chatty sentences never match exactly
    expect(await accuracy(weak, lastNumber)).toBeLessThanOrEqual(0.5); // slips and trailing numbers
    expect(await rate(good, MANY, answerLine)).toBeGreaterThanOrEqual(0.9);
  });

  it('benefits only from reasoning it writes: a bare-number reply slips as often with a reasoning instruction as without one', async () => {
    const bare = await rate('Answer with only the number.', MANY, exact);
    for (const told of [
      'Think step by step. Answer with only the number.',
      'Double-check your arithmetic. Answer with only the number.',
      'Be careful. Answer with only the number.',
    ]) {
      expect(await rate(told, MANY, exact), told).toBe(bare);
    }
    const written = await rate('Show your work, then give the final answer on a last line "Answer: <n>".', MANY, answerLine);
    expect(bare).toBeLessThan(0.9);
    expect(written).toBeGreaterThan(bare + 0.1);
  });

  it('understands paraphrases: "Reason through the problem before answering" and "Think step by step" both make it show its work', async () => {
    const q = PROBLEMS[0]![0];
    for (const p of [
      'Reason through the problem before answering.',
      'Think step by step.',
      'Walk me through your calculations.',
      'Lay out the intermediate results.',
    ]) {
      expect(showsWork(await ask(p, q)), p).toBe(true);
    }
    for (const p of ['Reply with the number alone.', 'Do not explain.', 'Give nothing but the final number.', 'Your reply: a single bare number.']) {
      expect(await ask(p, q), p).toMatch(/^\d+$/);
    }
    expect(showsWork(await ask('Do not show your work. Reply with the number alone.', q))).toBe(false);
  });

  it('conflicting instructions conflict: the later one wins and the other is broken, unless the answer gets a marked final line', async () => {
    const q = PROBLEMS[0]![0];
    // "Only the number" last: a bare number, no working.
    expect(await ask('Think step by step. Respond with just the number and nothing else.', q)).toMatch(/^\d+$/);
    // The working last: some working, squeezed, and no longer a bare number.
    const squeezed = await ask('Give only the numeric answer. Think step by step and show your work.', q);
    expect(squeezed).not.toMatch(/^\d+$/);
    expect(showsWork(squeezed)).toBe(false);
    // Both, reconciled: the working, then the marked answer.
    const both = await ask('Give only the numeric answer. Think step by step and show your work. End with a final line `Answer: <n>`.', q);
    expect(showsWork(both)).toBe(true);
    expect(both.split('\n').at(-1)).toMatch(/^Answer: \d+$/);
    // Contradictory prompts score below the reconciled one, whatever grader reads them.
    const contradictory = await rate('Give only the numeric answer. Think step by step and show your work.', MANY, lastNumber);
    const reconciled = await rate('Think step by step and show your work. End with a final line `Answer: <n>`.', MANY, lastNumber);
    expect(contradictory).toBeLessThan(reconciled);
  });

  it('makes rare seeded errors even when everything is right, and they move with seed and temperature', async () => {
    const good = 'Show your work step by step. End with a final line `Answer: <n>`.';
    const all = [...MANY, ...generateTasks({ seed: 7, train: 40, validation: 40 }).validation.map((t): [string, number] => [t.question, t.answer])];
    const wrong = async (extra: Partial<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming>) => {
      const miss: string[] = [];
      for (const [q, want] of all) if (!answerLine(await ask(good, q, extra), want)) miss.push(q);
      return miss;
    };
    const base = await wrong({});
    expect(base.length).toBeGreaterThan(0);
    expect(base.length).toBeLessThan(all.length * 0.12);
    const seeded = await wrong({ seed: 42 });
    const warm = await wrong({ temperature: 0.9 });
    expect(seeded).not.toEqual(base);
    expect(warm).not.toEqual(base);
  });

  it('is deterministic: the same request gives the same answer', async () => {
    const a = await ask('You are a helpful assistant.', PROBLEMS[0]![0]);
    const b = await ask('You are a helpful assistant.', PROBLEMS[0]![0]);
    expect(a).toBe(b);
  });
});

describe('simulated model: format instructions', () => {
  const q = 'Tom has 3 boxes of 12 apples and gives away 7. How many apples are left?';

  it('answers with only the number', async () => {
    expect(await ask('Think step by step. Respond with just the number and nothing else.', q)).toBe('29');
  });

  it('ends with a labelled answer line and shows the steps', async () => {
    const reply = await ask('Show your work step by step. End with a final line `Answer: <n>`.', q);
    const lines = reply.split('\n');
    expect(lines.at(-1)).toBe('Answer: 29');
    expect(reply).toContain('3 × 12 = 36');
  });

  it('responds in JSON with the requested key', async () => {
    const reply = await ask('Work step by step. Respond in JSON with key "result".', q);
    expect(JSON.parse(reply)).toEqual({ result: 29 });
  });

  it('rounds and includes units when told to', async () => {
    const split = 'Ann splits $10 equally among 3 friends. How much money does each friend get?';
    expect(await ask('Answer with only the number.', split)).toBe('3.33333333333');
    expect(await ask('Answer with only the number. Round to 2 decimal places.', split)).toBe('3.33');
    expect(await ask('Think step by step. Answer with only the number and include units.', q)).toBe('29 apples');
  });

  it('fills a json_schema response_format', async () => {
    const res = await client.chat.completions.create({
      model: 'sim-small',
      messages: [{ role: 'user', content: 'What is 12 * (3 + 4)?' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'answer',
          strict: true,
          schema: {
            type: 'object',
            properties: { answer: { type: 'number' }, reasoning: { type: 'string' } },
            required: ['answer', 'reasoning'],
            additionalProperties: false,
          },
        },
      },
    });
    const parsed = JSON.parse(res.choices[0]!.message.content!);
    expect(parsed.answer).toBe(84);
    expect(typeof parsed.reasoning).toBe('string');
  });
});

const calculator: ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'calculator',
    description: 'Evaluate an arithmetic expression.',
    parameters: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] },
  },
};

/** The agent's side of the tool: a tiny evaluator for "a op b". */
function runCalculator(args: string): string {
  const { expression } = JSON.parse(args) as { expression: string };
  const m = /^\s*(-?[\d.]+)\s*([-+*/])\s*(-?[\d.]+)\s*$/.exec(expression);
  if (!m) return 'error: unsupported expression';
  const [a, op, b] = [Number(m[1]), m[2], Number(m[3])];
  return String(op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : a / b);
}

describe('simulated model: tool use', () => {
  it('runs a multi-turn tool loop: one calculator call per step, then the answer', async () => {
    const before = server.requests;
    const messages: ChatCompletionMessageParam[] = [
      { role: 'system', content: 'Use the calculator for arithmetic. Answer with only the final number.' },
      { role: 'user', content: 'Tom has 3 boxes of 12 apples and gives away 7. How many apples are left?' },
    ];
    const expressions: string[] = [];
    for (let turn = 0; turn < 6; turn++) {
      const res = await client.chat.completions.create({ model: 'sim-small', messages, tools: [calculator] });
      const msg = res.choices[0]!.message;
      if (!msg.tool_calls?.length) {
        expect(res.choices[0]!.finish_reason).toBe('stop');
        expect(msg.content).toBe('29');
        break;
      }
      expect(res.choices[0]!.finish_reason).toBe('tool_calls');
      messages.push(msg);
      for (const call of msg.tool_calls) {
        if (call.type !== 'function') continue;
        expressions.push((JSON.parse(call.function.arguments) as { expression: string }).expression);
        messages.push({ role: 'tool', tool_call_id: call.id, content: runCalculator(call.function.arguments) });
      }
    }
    expect(expressions).toEqual(['3 * 12', '36 - 7']);
    expect(server.requests - before).toBe(3);
  });

  it('uses the tool result, not its own arithmetic', async () => {
    const messages: ChatCompletionMessageParam[] = [
      { role: 'system', content: 'Answer with only the number.' },
      { role: 'user', content: 'What is 6 * 7?' },
    ];
    const first = await client.chat.completions.create({ model: 'sim-small', messages, tools: [calculator] });
    const call = first.choices[0]!.message.tool_calls![0]!;
    messages.push(first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '{"result": 43}' });
    const second = await client.chat.completions.create({ model: 'sim-small', messages, tools: [calculator] });
    expect(second.choices[0]!.message.content).toBe('43');
  });

  it('fills two-operand tools and weather tools from their schemas', async () => {
    const multiply: ChatCompletionTool = {
      type: 'function',
      function: {
        name: 'multiply',
        description: 'Multiply two numbers',
        parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
      },
    };
    const weather: ChatCompletionTool = {
      type: 'function',
      function: {
        name: 'get_weather',
        parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['fahrenheit', 'celsius'] } }, required: ['city'] },
      },
    };
    const m = await client.chat.completions.create({
      model: 'sim-small',
      messages: [{ role: 'user', content: 'Each bag holds 6 marbles. There are 7 bags. How many marbles?' }],
      tools: [multiply, weather],
    });
    const mc = m.choices[0]!.message.tool_calls![0]!;
    expect(mc.type === 'function' && mc.function.name).toBe('multiply');
    expect(mc.type === 'function' && JSON.parse(mc.function.arguments)).toEqual({ a: 6, b: 7 });
    const w = await client.chat.completions.create({
      model: 'sim-small',
      messages: [{ role: 'user', content: 'What is the weather in Paris today?' }],
      tools: [multiply, weather],
    });
    const wc = w.choices[0]!.message.tool_calls![0]!;
    expect(wc.type === 'function' && JSON.parse(wc.function.arguments)).toEqual({ city: 'Paris', unit: 'celsius' });
  });

  it('streams tool-call deltas that the SDK reassembles', async () => {
    const stream = client.chat.completions.stream({
      model: 'sim-small',
      messages: [{ role: 'user', content: 'Tom has 3 boxes of 12 apples and gives away 7. How many apples are left?' }],
      tools: [calculator],
      stream_options: { include_usage: true },
    });
    let deltas = 0;
    stream.on('chunk', (chunk) => {
      if (chunk.choices[0]?.delta.tool_calls) deltas++;
    });
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]!;
    expect(deltas).toBeGreaterThan(2);
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.type === 'function' && call.function.name).toBe('calculator');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ expression: '3 * 12' });
    expect(call.id).toMatch(/^call_/);
    expect(final.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('streams text that matches the non-streamed answer', async () => {
    const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'Sara has 5 apples. She buys 3 more. How many apples does she have?' }];
    const plain = await client.chat.completions.create({ model: 'sim-small', messages });
    const stream = await client.chat.completions.create({ model: 'sim-small', messages, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(plain.choices[0]!.message.content);
    expect(usage).toEqual(plain.usage);
  });
});

describe('simulated model: Responses API', () => {
  it('answers, streams standard events, and round-trips a function call', async () => {
    const res = await client.responses.create({ model: 'sim-small', instructions: 'Answer with only the number.', input: 'What is 15 divided by 3?' });
    expect(res.output_text).toBe('5');
    expect(res.usage?.total_tokens).toBeGreaterThan(0);

    const tools = [
      {
        type: 'function' as const,
        name: 'calculator',
        description: 'Evaluate arithmetic',
        parameters: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] },
        strict: false,
      },
    ];
    const stream = client.responses.stream({ model: 'sim-small', instructions: 'Answer with only the number.', input: 'What is 6 * 7?', tools });
    const types = new Set<string>();
    stream.on('event', (e) => types.add(e.type));
    const first = await stream.finalResponse();
    expect([...types]).toEqual(
      expect.arrayContaining([
        'response.created',
        'response.output_item.added',
        'response.function_call_arguments.delta',
        'response.output_item.done',
        'response.completed',
      ]),
    );
    const call = first.output.find((o) => o.type === 'function_call');
    expect(call?.type === 'function_call' && JSON.parse(call.arguments)).toEqual({ expression: '6 * 7' });
    if (call?.type !== 'function_call') throw new Error('no function call');
    const second = await client.responses.create({
      model: 'sim-small',
      instructions: 'Answer with only the number.',
      input: [
        { role: 'user', content: 'What is 6 * 7?' },
        { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: 'function_call_output', call_id: call.call_id, output: '42' },
      ],
      tools,
    });
    expect(second.output_text).toBe('42');
    const third = await client.responses.create({ model: 'sim-small', previous_response_id: second.id, input: 'Hello' });
    expect(third.output_text).toContain('Hello');
  });
});

describe('simulated model: token ids and logprobs', () => {
  it('returns vLLM-style token ids when asked, and logprobs in OpenAI shape', async () => {
    const body = {
      model: 'sim-small',
      messages: [{ role: 'user' as const, content: 'What is 2 + 2?' }],
      logprobs: true,
      top_logprobs: 2,
      return_token_ids: true,
    };
    const res = (await client.chat.completions.create(body)) as OpenAI.ChatCompletion & { prompt_token_ids?: number[]; choices: { token_ids?: number[] }[] };
    expect(res.prompt_token_ids?.length).toBe(res.usage?.prompt_tokens);
    expect(res.choices[0]!.token_ids?.length).toBe(res.usage?.completion_tokens);
    expect(res.prompt_token_ids!.every((t) => Number.isInteger(t) && t >= 0)).toBe(true);
    const content = res.choices[0]!.logprobs!.content!;
    expect(content.map((c) => c.token).join('')).toBe(res.choices[0]!.message.content);
    expect(content[0]!.top_logprobs).toHaveLength(2);
    expect(content.every((c) => c.logprob < 0)).toBe(true);

    const plain = await client.chat.completions.create({ model: 'sim-small', messages: body.messages });
    expect(plain).not.toHaveProperty('prompt_token_ids');
    const nested = (await client.chat.completions.create({
      model: 'sim-small',
      messages: body.messages,
      extra_body: { return_token_ids: true },
    } as OpenAI.ChatCompletionCreateParamsNonStreaming)) as OpenAI.ChatCompletion & { prompt_token_ids?: number[] };
    expect(nested.prompt_token_ids).toEqual(res.prompt_token_ids);
  });

  it('includes token ids on every response when the server is started with returnTokenIds, streamed too', async () => {
    const vllm = await startSimulatedModel({ returnTokenIds: true });
    try {
      const c = new OpenAI({ baseURL: vllm.url, apiKey: 'x', maxRetries: 0 });
      const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'Tom has 3 boxes of 12 apples and gives away 7. How many apples are left?' }];
      const res = (await c.chat.completions.create({ model: 'sim-small', messages, tools: [calculator] })) as OpenAI.ChatCompletion & {
        prompt_token_ids?: number[];
        choices: { token_ids?: number[] }[];
      };
      expect(res.prompt_token_ids!.length).toBeGreaterThan(10);
      const stream = await c.chat.completions.create({ model: 'sim-small', messages, tools: [calculator], stream: true });
      let promptIds: number[] | undefined;
      const ids: number[] = [];
      for await (const chunk of stream) {
        const raw = chunk as typeof chunk & { prompt_token_ids?: number[]; choices: { token_ids?: number[] }[] };
        promptIds ??= raw.prompt_token_ids;
        ids.push(...(raw.choices[0]?.token_ids ?? []));
      }
      expect(promptIds).toEqual(res.prompt_token_ids);
      expect(ids).toEqual(res.choices[0]!.token_ids);
    } finally {
      await vllm.close();
    }
  });
});

describe('simulated model: optimizer and judge roles', () => {
  const template = 'You are a helpful assistant.\nContext: {context}\nQuestion: {{question}}';
  const failures = [
    'Input: Tom has 3 boxes of 12 apples and gives away 7. How many apples are left?',
    'Output: Okay, so the total comes to 29 apples (the problem starts from 3).',
    'Expected: 29',
    'Reward: 0',
    '',
    'Input: A store had 50 shirts. It sold 18 on Monday and 12 on Tuesday. How many shirts are left?',
    'Output: Looking at the numbers 50, 18, 12, the result comes out to 32 shirts.',
    'Expected: 20',
    'Reward: 0',
  ].join('\n');

  it('critiques a prompt by naming defects visible in the failures, in varied words', async () => {
    const request = `Critique the prompt below given these failures. Identify its weaknesses.\n\n<prompt>\n${template}\n</prompt>\n\nFailures:\n${failures}`;
    const critiques = await Promise.all([0, 1, 2, 3, 4, 5].map((seed) => ask('You are an expert prompt engineer.', request, { seed })));
    const all = critiques.join('\n');
    // The first failure has the right number buried before another one; the second a wrong total and no working.
    expect(all).toMatch(/buried|not the last one/i);
    expect(all).toMatch(/no working|no intermediate steps|one leap/i);
    expect(new Set(critiques).size).toBeGreaterThan(2);
  });

  it('a critique names only defects present in the failures it was shown', async () => {
    const unitsOnly = [
      'Input: Omar orders 3 mugs at $4 each and 2 lamps at $5 each. What is the order total?',
      'Output: Answer: 22',
      'Expected: 2200',
      'Reward: 0',
    ].join('\n');
    for (const seed of [0, 1, 2, 3]) {
      const json = await ask(
        'You are an expert prompt engineer.',
        `Critique the prompt below given these failures. Respond in JSON with keys "critique" and "defects".\n\n<prompt>\nShow your work. End with "Answer: <n>".\n{{question}}\n</prompt>\n\nFailures:\n${unitsOnly}`,
        { seed },
      );
      const { defects } = JSON.parse(json) as { defects: string[] };
      for (const d of defects) expect(['units', 'guess']).toContain(d);
    }
  });

  it('rewrites the template keeping every placeholder, with varied paraphrased children', async () => {
    const request = `Rewrite the prompt template to fix the problems in the critique. Keep every placeholder. Return the new prompt between <prompt></prompt> tags.\n\n<current_prompt>\n${template}\n</current_prompt>\n\n<critique>\nAnswers contain extra text around the number. Multi-step arithmetic errors.\n</critique>`;
    const res = await client.chat.completions.create({ model: 'sim-small', n: 6, messages: [{ role: 'user', content: request }] });
    const children = res.choices.map((c) => /<prompt>\n([\s\S]*?)\n<\/prompt>/.exec(c.message.content ?? '')?.[1]);
    for (const child of children) {
      expect(child).toBeDefined();
      expect(child).toContain('{context}');
      expect(child).toContain('{{question}}');
    }
    expect(new Set(children).size).toBeGreaterThanOrEqual(3);
    // At least one child is a real improvement by the model's own standards.
    const scores = await Promise.all(children.map((c) => accuracyWithTemplate(c!)));
    expect(Math.max(...scores)).toBeGreaterThan(await accuracyWithTemplate(template));

    const json = await ask(
      'You improve prompts.',
      `Improve the prompt below given the critique. Propose 3 new prompts. Respond in JSON: {"prompts": ["..."]}\n\nPrompt:\n${template}\n\nCritique: answers contain extra text.`,
    );
    const prompts = (JSON.parse(json) as { prompts: string[] }).prompts;
    expect(prompts).toHaveLength(3);
    for (const p of prompts) expect(p).toContain('{{question}}');
  });

  it('reads Agent Lightning APO requests: experiments with messages and rewards in, a critique from them out; apply-edit returns only the template', async () => {
    const experiment = (n: number, question: string, answer: string, reward: number) =>
      `## Experiment ${n}\n\nThis experiment has succeeded. It gets a final reward: ${reward}\n\n### Rollout Traces (Chat Messages, Grader Requests included)\n\n` +
      JSON.stringify([
        {
          messages: [
            { content: `Solve this math problem: ${question}`, role: 'user' },
            { role: 'assistant', content: answer },
          ],
          tools: null,
        },
      ]);
    const gradient = [
      'You optimize a prompt template.',
      '# Original Prompt Template\n\nSolve this math problem: {question}',
      '# Experiments with Original Prompt Template',
      experiment(1, PROBLEMS[0]![0], 'Okay, so the total comes to 29 apples (the problem starts from 3).', 0),
      experiment(2, PROBLEMS[4]![0], 'Looking at the numbers 50, 18, 12, the result comes out to 32 shirts.', 0),
      experiment(3, PROBLEMS[1]![0], 'That would be 8.', 1),
      '# Your Task\n\nProduce a brief critique listing specific causes for the error or ways to raise reward next time. Return a bullet list with concrete, testable changes (format, constraints, ordering, definitions).',
    ].join('\n\n');
    const critique = await ask('', gradient, { temperature: 1 });
    expect(critique).toMatch(/2 failing examples|2 examined|of 2/);
    expect(critique).toMatch(/buried|not the last one|no working|no intermediate steps|one leap/i);
    expect(() => JSON.parse(critique)).toThrow();
    for (const [system, user] of [
      [
        'Revise the given prompt template using the critique as constraints and improvement guide.\n\n# Output Format\n\nReturn only the improved prompt template with placeholders intact. Do not include other explanations on how you did it, or headers and introductory texts.',
        `# Prompt Template\n\nSolve this math problem: {question}\n\n# Critique\n\n${critique}`,
      ],
      [
        'Revise the prompt to address ONE critique point clearly and effectively. Preserve all variable names in curly-brackets.\n\n# Output Format\n\nReturn only the revised full prompt. Do not include explanations, comparisons, or other text.',
        `### PROMPT\n\nSolve this math problem: {question}\n\n### CRITIQUE\n\n${critique}`,
      ],
    ]) {
      const edited = await ask(system!, user!, { temperature: 1 });
      expect(edited.startsWith('Solve this math problem: {question}') || edited.includes('\nSolve this math problem: {question}')).toBe(true);
      expect(edited).not.toMatch(/<prompt>|Here is|^#/m);
      expect(edited).not.toContain('{{');
    }
  });

  it('follows markdown-rendered optimizer prompts (Agent Lightning APO style)', async () => {
    const gradient = await ask(
      '',
      'You optimize a prompt template.\n\n# Original Prompt Template\n\nSolve: {question}\n\n# Your Task\n\nProduce a brief critique listing specific causes for the error.',
    );
    expect(gradient).toMatch(/no output format specified/i);
    const edit = await ask(
      '',
      `You will revise the current prompt using the critique.\nReturn only the new prompt template. Keep the placeholders. No other text.\n\n# Current Prompt Template\n\nSolve: {question}\n\n# Critique\n\n${gradient}`,
    );
    expect(edit).toContain('Solve: {question}');
    expect(edit).not.toContain('<prompt>');
  });

  it('grades an answer against a reference in the requested format', async () => {
    const verdict = await ask(
      'You are a strict grader.',
      'Grade the answer against the reference answer on a scale from 1 to 10. Respond in JSON with key "score".\nReference answer: 29\nCandidate answer: 29',
    );
    expect(JSON.parse(verdict).score).toBe(10);
    expect(await ask('Grade the response against the expected answer. Reply with PASS or FAIL only.', 'Expected: 12\nResponse: 13')).toBe('FAIL');
  });
});

async function accuracyWithTemplate(template: string): Promise<number> {
  let ok = 0;
  for (const [q, want] of PROBLEMS) {
    const prompt = template.replace('{context}', 'math homework').replace('{{question}}', q);
    const res = await client.chat.completions.create({ model: 'sim-small', messages: [{ role: 'user', content: prompt }] });
    if (lastNumber(res.choices[0]!.message.content ?? '', want)) ok++;
  }
  return ok / PROBLEMS.length;
}

describe('simulated model: wire format and errors', () => {
  it('lists its models as simulated', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['sim-small', 'sim-large']);
    for (const m of models.data) expect(m.owned_by).toBe('simulated');
  });

  it('echoes the model and labels itself in system_fingerprint', async () => {
    const res = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }] });
    expect(res.model).toBe('gpt-4o-mini');
    expect(res.system_fingerprint).toBe('simulated');
    expect(res.choices[0]!.message.content).not.toMatch(/simulated/i);
  });

  it('rejects bad requests with OpenAI error JSON naming the field', async () => {
    const post = async (body: unknown) => {
      const r = await fetch(`${server.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: r.status, body: (await r.json()) as { error: { message: string; type: string; param: string | null; code: string | null } } };
    };
    const badRole = await post({ model: 'sim-small', messages: [{ role: 'robot', content: 'hi' }] });
    expect(badRole.status).toBe(400);
    expect(badRole.body.error).toMatchObject({ type: 'invalid_request_error', param: 'messages[0].role' });
    expect(badRole.body.error.message).toContain('messages[0].role');
    const missing = await post({ messages: [{ role: 'user', content: 'hi' }] });
    expect(missing.body.error).toMatchObject({ param: 'model', code: 'missing_required_parameter' });
    const badTemp = await post({ model: 'm', messages: [{ role: 'user', content: 'hi' }], temperature: 9 });
    expect(badTemp.body.error.param).toBe('temperature');
    const badJson = await post('{"model": ');
    expect(badJson.status).toBe(400);
    expect(badJson.body.error.type).toBe('invalid_request_error');

    await expect(
      client.chat.completions.create({ model: 'sim-small', messages: [{ role: 'tool', content: 'x' } as ChatCompletionMessageParam] }),
    ).rejects.toMatchObject({
      status: 400,
      param: 'messages[0].tool_call_id',
    });
    await expect(client.responses.create({ model: 'sim-small', input: 'x', previous_response_id: 'resp_missing' })).rejects.toBeInstanceOf(
      OpenAI.BadRequestError,
    );
  });

  it('serves legacy completions with token ids', async () => {
    const res = (await client.completions.create({
      model: 'sim-small',
      prompt: 'What is 2 + 3? Answer with only the number.',
      max_tokens: 5,
      return_token_ids: true,
    } as OpenAI.CompletionCreateParamsNonStreaming)) as OpenAI.Completion & { choices: { token_ids?: number[]; prompt_token_ids?: number[] }[] };
    expect(res.choices[0]!.text).toBe('5');
    expect(res.choices[0]!.token_ids?.length).toBe(res.usage?.completion_tokens);
    expect(res.choices[0]!.prompt_token_ids?.length).toBe(res.usage?.prompt_tokens);
  });

  it('main.ts prints the startup line', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/simulated-model/main.ts', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.setEncoding('utf8');
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: string) => {
          out += d;
          if (out.includes('\n')) resolve(out.trim());
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
      });
      expect(line).toMatch(/^simulated OpenAI-compatible model \(not a real LLM\) listening on http:\/\/127\.0\.0\.1:\d+\/v1$/);
      const port = /:(\d+)\/v1$/.exec(line)![1];
      const models = (await (await fetch(`http://127.0.0.1:${port}/v1/models`)).json()) as { data: unknown[] };
      expect(models.data).toHaveLength(2);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
