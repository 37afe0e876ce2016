#!/usr/bin/env node
// The arithmetic agent as a worker: stock OpenTelemetry (tracer and logger providers, OTLP/HTTP exporters that
// read OTEL_EXPORTER_OTLP_ENDPOINT, and @opentelemetry/instrumentation-openai with message content on), the
// `openai` SDK (OPENAI_BASE_URL / OPENAI_API_KEY / OPENAI_MODEL), and tracelight's runner(), which claims
// rollouts from the queue, hands the agent the prompt version pinned to each one, and reports the reward the
// agent returns.
//
//   OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 OPENAI_BASE_URL=... node dist/examples/arithmetic-agent/worker.js
import { createRequire } from 'node:module';
import { context, logs, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type OpenAIClient from 'openai';
import { runner } from '../../instrumentation/sdk/runner.js';
import { solve } from './agent.js';
import type { ArithmeticTask } from './tasks.js';

const resourceName = process.env.PROMPT_RESOURCE ?? 'arithmetic-prompt';
const model = process.env.OPENAI_MODEL ?? 'gpt-4.1-mini';
const concurrency = Number(process.env.AGENT_CONCURRENCY ?? 8);

// ---- stock OpenTelemetry --------------------------------------------------------------------------------
const resource = resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME ?? 'arithmetic-agent' });
// A rollout is short and the trainer reads its telemetry right after: export every 100 ms.
const tracerProvider = new TracerProvider({
  resource,
  spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), scheduledDelayMillis: 100 })],
});
const loggerProvider = new LoggerProvider({
  resource,
  processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter(), scheduledDelayMillis: 100 })],
});
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
trace.setGlobalTracerProvider(tracerProvider);
logs.setGlobalLoggerProvider(loggerProvider);
const instrumentation = new OpenAIInstrumentation({ captureMessageContent: true, enabled: false });
instrumentation.setTracerProvider(tracerProvider);
instrumentation.setLoggerProvider(loggerProvider);
instrumentation.enable();
// Loaded after the instrumentation is on, through require, so its hook patches the client.
const { OpenAI } = createRequire(import.meta.url)('openai') as typeof import('openai');

const client: OpenAIClient = new OpenAI();

// ---- the worker loop ------------------------------------------------------------------------------------
const worker = runner<ArithmeticTask>({
  concurrency,
  init: false,
  agent: async (task, resources) => {
    const prompt = resources[resourceName];
    const template = (prompt?.content as { template?: unknown } | undefined)?.template;
    if (typeof template !== 'string') throw new Error(`the rollout carries no prompt template "${resourceName}"`);
    return solve(client, model, template, task);
  },
});
process.stderr.write(`arithmetic agent: worker ${worker.workerId}, ${concurrency} at once, model ${model}, prompt "${resourceName}"\n`);
try {
  await worker.done;
} finally {
  await tracerProvider.shutdown().catch(() => undefined);
  await loggerProvider.shutdown().catch(() => undefined);
}
