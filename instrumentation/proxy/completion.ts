// What the span records from an answer, in one shape whether it arrived whole (JSON) or in pieces (SSE, sse.ts):
// per choice the text, reasoning, tool calls, finish reason, token ids and logprobs; the prompt's token ids; usage.
// Both chat and legacy completions answers fill it, so the span builder (genai-span.ts) has one input.

export interface ToolCallRecord {
  id: string;
  name: string;
  /** The raw argument string, as the model produced it. */
  arguments: string;
}

export interface ChoiceRecord {
  index: number;
  text: string;
  reasoning: string;
  toolCalls: ToolCallRecord[];
  finishReason: string;
  tokenIds: number[];
  logprobs: number[];
  /** False once a logprob was missing or not a number: a partial list would misalign with the ids. */
  logprobsUsable: boolean;
}

export interface CompletionRecord {
  id: string;
  model: string;
  choices: ChoiceRecord[];
  promptTokenIds: number[];
  inputTokens: number | null;
  outputTokens: number | null;
  /** Content stopped being kept past the size cap (the agent still got all of it). */
  truncated: boolean;
}

export function emptyCompletion(): CompletionRecord {
  return { id: '', model: '', choices: [], promptTokenIds: [], inputTokens: null, outputTokens: null, truncated: false };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const asString = (v: unknown): string => (typeof v === 'string' ? v : '');
const asCount = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null);

function ids(v: unknown): number[] | null {
  if (!Array.isArray(v)) return null;
  const out: number[] = [];
  for (const x of v) {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) return null;
    out.push(x);
  }
  return out;
}

export function choiceAt(c: CompletionRecord, index: number): ChoiceRecord {
  let choice = c.choices.find((x) => x.index === index);
  if (!choice) {
    choice = { index, text: '', reasoning: '', toolCalls: [], finishReason: '', tokenIds: [], logprobs: [], logprobsUsable: true };
    c.choices.push(choice);
    c.choices.sort((a, b) => a.index - b.index);
  }
  return choice;
}

function addLogprobs(choice: ChoiceRecord, values: unknown[]): void {
  for (const v of values) {
    if (typeof v === 'number' && Number.isFinite(v)) choice.logprobs.push(v);
    else choice.logprobsUsable = false;
  }
}

/** Chat `logprobs.content[].logprob`, or legacy completions `logprobs.token_logprobs[]`. */
export function readLogprobs(choice: ChoiceRecord, logprobs: unknown): void {
  if (!isRecord(logprobs)) return;
  if (Array.isArray(logprobs.content))
    addLogprobs(
      choice,
      logprobs.content.map((e) => (isRecord(e) ? e.logprob : undefined)),
    );
  else if (Array.isArray(logprobs.token_logprobs)) addLogprobs(choice, logprobs.token_logprobs);
}

/** Top-level fields common to a whole answer and to each stream chunk. */
export function readEnvelope(c: CompletionRecord, obj: Record<string, unknown>): void {
  if (!c.id) c.id = asString(obj.id);
  if (!c.model) c.model = asString(obj.model);
  const prompt = ids(obj.prompt_token_ids);
  if (prompt && c.promptTokenIds.length === 0) c.promptTokenIds = prompt;
  if (isRecord(obj.usage)) {
    c.inputTokens = asCount(obj.usage.prompt_tokens) ?? c.inputTokens;
    c.outputTokens = asCount(obj.usage.completion_tokens) ?? c.outputTokens;
  }
}

/** Per-choice fields common to chat and completions, whole or streamed: finish reason, ids, logprobs. */
export function readChoiceCommon(c: CompletionRecord, choice: ChoiceRecord, raw: Record<string, unknown>): void {
  if (typeof raw.finish_reason === 'string') choice.finishReason = raw.finish_reason;
  const tokens = ids(raw.token_ids);
  if (tokens) choice.tokenIds.push(...tokens);
  // Legacy completions put the prompt's ids on each choice (each choice may answer another prompt): keep the first's.
  const prompt = ids(raw.prompt_token_ids);
  if (prompt && c.promptTokenIds.length === 0) c.promptTokenIds = prompt;
  readLogprobs(choice, raw.logprobs);
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (isRecord(p) && typeof p.text === 'string' ? p.text : '')).join('');
}

/** A whole (non-streamed) chat or completions answer. */
export function readAnswer(body: unknown): CompletionRecord {
  const c = emptyCompletion();
  if (!isRecord(body)) return c;
  readEnvelope(c, body);
  if (!Array.isArray(body.choices)) return c;
  body.choices.forEach((raw, i) => {
    if (!isRecord(raw)) return;
    const choice = choiceAt(c, asCount(raw.index) ?? i);
    readChoiceCommon(c, choice, raw);
    if (isRecord(raw.message)) {
      const m = raw.message;
      choice.text = contentText(m.content);
      choice.reasoning = asString(m.reasoning_content) || asString(m.reasoning);
      if (Array.isArray(m.tool_calls)) {
        for (const tc of m.tool_calls) {
          if (!isRecord(tc)) continue;
          const fn = isRecord(tc.function) ? tc.function : {};
          choice.toolCalls.push({ id: asString(tc.id), name: asString(fn.name), arguments: asString(fn.arguments) });
        }
      }
    } else {
      choice.text = asString(raw.text);
    }
  });
  return c;
}
