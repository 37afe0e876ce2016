// Errors the proxy itself answers with, in OpenAI's shape (`{error: {message, type, param, code}}`), so an agent's
// OpenAI SDK raises its usual typed exception and tells a proxy failure from an upstream one by its `code`.

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export class ProxyError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
  ) {
    // One line that names the problem, whatever the cause carried.
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'ProxyError';
  }

  toBody(): OpenAIErrorBody {
    const type = this.status >= 500 ? 'server_error' : this.status === 404 ? 'not_found_error' : 'invalid_request_error';
    return { error: { message: this.message, type, param: null, code: this.code } };
  }
}

/** The network failure under a fetch error (`ECONNREFUSED`, `ENOTFOUND`, ...), for a message that says why. */
export function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
