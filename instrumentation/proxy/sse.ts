// The side parser of a passed-through stream. The agent gets the upstream's bytes as they arrive; this reads a copy
// of the same bytes and rebuilds what the span records: text and reasoning deltas, tool-call deltas (addressed by
// index, arguments in fragments), finish reasons, usage, and vLLM's token ids (prompt ids on the first chunk, each
// chunk's own `token_ids`). It never throws: a chunk it cannot read costs the span that chunk, never the agent's
// stream. Past the size cap it stops keeping content (the record says truncated) and keeps passing bytes along.
import { choiceAt, emptyCompletion, isRecord, readChoiceCommon, readEnvelope, type CompletionRecord } from './completion.js';

export class SseAccumulator {
  readonly record: CompletionRecord = emptyCompletion();
  private readonly decoder = new TextDecoder();
  private pending = '';
  private seen = 0;
  /** Chunks that were not JSON (or not objects): counted, so the span can say its content may be incomplete. */
  unreadable = 0;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Uint8Array): void {
    if (this.record.truncated) return;
    this.seen += chunk.byteLength;
    if (this.seen > this.maxBytes) {
      this.record.truncated = true;
      this.pending = '';
      return;
    }
    this.pending += this.decoder.decode(chunk, { stream: true });
    this.drain();
  }

  /** The end of the stream: an event not followed by a blank line still counts. */
  end(): CompletionRecord {
    if (!this.record.truncated) {
      this.pending += this.decoder.decode();
      if (this.pending.trim() !== '') this.event(this.pending);
      this.pending = '';
    }
    return this.record;
  }

  private drain(): void {
    for (;;) {
      const m = /\r\n\r\n|\n\n|\r\r/.exec(this.pending);
      if (!m) return;
      const block = this.pending.slice(0, m.index);
      this.pending = this.pending.slice(m.index + m[0].length);
      this.event(block);
    }
  }

  private event(block: string): void {
    const data: string[] = [];
    for (const line of block.split(/\r\n|\n|\r/)) {
      if (line.startsWith('data:')) data.push(line.slice(line[5] === ' ' ? 6 : 5));
    }
    if (data.length === 0) return;
    const text = data.join('\n');
    if (text.trim() === '[DONE]') return;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch {
      this.unreadable++;
      return;
    }
    if (!isRecord(obj)) {
      this.unreadable++;
      return;
    }
    this.chunk(obj);
  }

  private chunk(obj: Record<string, unknown>): void {
    const r = this.record;
    readEnvelope(r, obj);
    if (!Array.isArray(obj.choices)) return;
    for (const raw of obj.choices) {
      if (!isRecord(raw)) continue;
      const choice = choiceAt(r, typeof raw.index === 'number' ? raw.index : 0);
      readChoiceCommon(r, choice, raw);
      if (typeof raw.text === 'string') choice.text += raw.text; // legacy completions
      const delta = raw.delta;
      if (!isRecord(delta)) continue;
      if (typeof delta.content === 'string') choice.text += delta.content;
      const reasoning = typeof delta.reasoning_content === 'string' ? delta.reasoning_content : typeof delta.reasoning === 'string' ? delta.reasoning : '';
      choice.reasoning += reasoning;
      if (!Array.isArray(delta.tool_calls)) continue;
      for (const tc of delta.tool_calls) {
        if (!isRecord(tc)) continue;
        const k = typeof tc.index === 'number' ? tc.index : choice.toolCalls.length;
        const call = (choice.toolCalls[k] ??= { id: '', name: '', arguments: '' });
        if (typeof tc.id === 'string' && tc.id) call.id = tc.id;
        const fn = isRecord(tc.function) ? tc.function : {};
        if (typeof fn.name === 'string' && fn.name) call.name = fn.name;
        if (typeof fn.arguments === 'string') call.arguments += fn.arguments;
      }
    }
  }
}
