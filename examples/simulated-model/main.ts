// Runs the simulated model as a standalone server:
//   npx tsx examples/simulated-model/main.ts --port 8000 [--host 127.0.0.1] [--return-token-ids] [--latency-ms 50]

import { parseArgs } from 'node:util';
import { startSimulatedModel } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8000' },
    host: { type: 'string', default: '127.0.0.1' },
    'return-token-ids': { type: 'boolean', default: false },
    'latency-ms': { type: 'string', default: '0' },
  },
});

const port = Number(values.port);
const latencyMs = Number(values['latency-ms']);
if (!Number.isInteger(port) || port < 0 || port > 65535 || !Number.isFinite(latencyMs) || latencyMs < 0) {
  console.error('usage: main.ts [--port N] [--host H] [--return-token-ids] [--latency-ms N]');
  process.exit(2);
}

const server = await startSimulatedModel({ port, host: values.host, returnTokenIds: values['return-token-ids'], latencyMs });
console.log(`simulated OpenAI-compatible model (not a real LLM) listening on ${server.url}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
