// `tracelight proxy`: the proxy as a command, for agents that are run rather than imported. It lives beside the
// proxy (cli/ only registers it) so the command and the options it maps onto change together.
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_LABEL } from '../schemas/resources.js';
import { DEFAULT_POLL_MS, DEFAULT_PROXY_OPTIONS, resourceRoute, startLlmProxy, type LlmProxyOptions } from '../instrumentation/proxy/index.js';
import { intArg, stopOnSignals } from './args.js';

interface ProxyFlags {
  upstream?: string;
  port: number;
  host: string;
  tracelight?: string;
  apiKey?: string;
  resource?: string;
  label: string;
  pollMs: number;
  tokenIds: boolean;
  streamTokenIds: boolean;
  timeoutS: number;
  maxBodyMb: number;
  serviceName?: string;
}

const MB = 1024 * 1024;

const int = intArg;

function url(name: string) {
  return (v: string): string => {
    try {
      const u = new URL(v);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      throw new InvalidArgumentError(`${name} must be an http(s) URL, got "${v}"`);
    }
    return v;
  };
}

export function registerProxyCommand(program: Command): void {
  const d = DEFAULT_PROXY_OPTIONS;
  program
    .command('proxy')
    .description('run an OpenAI-compatible LLM proxy that records every call, with its token ids, as a GenAI span in tracelight')
    .addOption(new Option('--upstream <url>', 'OpenAI-compatible base URL to forward to, e.g. http://127.0.0.1:8000/v1').argParser(url('--upstream')))
    .addOption(new Option('--port <port>', 'port to listen on').default(d.port).argParser(int('--port', 0, 65535)))
    .addOption(new Option('--host <host>', 'address to listen on').default(d.host))
    .addOption(
      new Option('--tracelight <url>', 'tracelight server: spans go to its OTLP endpoint, resources come from its API (default OTEL_EXPORTER_OTLP_ENDPOINT)')
        .argParser(url('--tracelight'))
        .env('TRACELIGHT_URL'),
    )
    .addOption(new Option('--api-key <key>', 'tracelight API key (ingest scope for spans, worker or read for --resource)').env('TRACELIGHT_API_KEY'))
    .addOption(new Option('--resource <name>', 'route to the llm or model resource under --label, following the label as it moves'))
    .addOption(new Option('--label <label>', 'label of --resource').default(DEFAULT_LABEL))
    .addOption(
      new Option('--poll-ms <ms>', 'how long a fetched resource version is used before asking again')
        .default(DEFAULT_POLL_MS)
        .argParser(int('--poll-ms', 100, 3_600_000)),
    )
    .option('--no-token-ids', 'do not ask the upstream for token ids and logprobs')
    .option('--no-stream-token-ids', 'do not ask for token ids on streamed calls (streams then stay byte-identical to a direct call)')
    .addOption(
      new Option('--timeout-s <s>', 'longest wait for a whole answer, or between two chunks of a stream')
        .default(d.upstreamTimeoutMs / 1000)
        .argParser(int('--timeout-s', 1, 86_400)),
    )
    .addOption(new Option('--max-body-mb <mb>', 'largest request body').default(d.bodyLimitBytes / MB).argParser(int('--max-body-mb', 1, 1024)))
    .addOption(new Option('--service-name <name>', 'service.name of the spans').default(d.serviceName).env('OTEL_SERVICE_NAME'))
    .action(async (o: ProxyFlags) => {
      if (!o.upstream && !o.resource) throw new InvalidArgumentError('give --upstream, --resource, or both');
      const options: LlmProxyOptions = {
        upstream: o.upstream,
        route: o.resource
          ? resourceRoute({ server: o.tracelight, apiKey: o.apiKey, resource: o.resource, label: o.label, pollMs: o.pollMs, upstream: o.upstream })
          : undefined,
        port: o.port,
        host: o.host,
        captureTokenIds: o.tokenIds,
        streamTokenIds: o.streamTokenIds,
        otlpEndpoint: o.tracelight,
        apiKey: o.apiKey,
        serviceName: o.serviceName,
        upstreamTimeoutMs: o.timeoutS * 1000,
        bodyLimitBytes: o.maxBodyMb * MB,
      };
      const proxy = await startLlmProxy(options);
      const lines = [
        'tracelight LLM proxy listening',
        `  OpenAI base URL  ${proxy.url}   (per rollout: ${proxy.origin}/rollout/{rolloutId}/attempt/{attemptId}/v1)`,
        `  upstream         ${o.resource ? `resource ${o.resource}@${o.label}${o.upstream ? `, else ${o.upstream}` : ''}` : o.upstream}`,
        `  spans to         ${o.tracelight ?? (process.env.OTEL_EXPORTER_OTLP_ENDPOINT || 'http://localhost:4318')}`,
        `  token ids        ${o.tokenIds ? (o.streamTokenIds ? 'on (streams too)' : 'on (not on streams)') : 'off'}`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
      stopOnSignals('finishing calls in flight and exporting their spans', () => proxy.close());
    });
}
