// Server-sent events in OpenAI's framing: Chat/Completions send bare `data:` lines and finish
// with `data: [DONE]`; the Responses API names each event (`event: response.created`) and has
// no [DONE] sentinel.

import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';

export class SseWriter {
  private readonly raw: ServerResponse;

  constructor(reply: FastifyReply) {
    reply.hijack();
    this.raw = reply.raw;
    this.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-simulated-model': 'true',
    });
  }

  data(payload: unknown): void {
    this.raw.write(`data: ${JSON.stringify(payload)}\n\n`);
  }

  event(name: string, payload: unknown): void {
    this.raw.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
  }

  done(): void {
    this.raw.write('data: [DONE]\n\n');
    this.raw.end();
  }

  end(): void {
    this.raw.end();
  }
}

/** Splits tool-call arguments into small fragments, as OpenAI streams them. */
export function fragments(text: string, size = 8): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length ? out : [''];
}
