// `tracelight simulated-model`: the offline, deterministic OpenAI-compatible model the demo and the quick starts
// run against, as a process of its own, so any agent in any language can be tried without an LLM account.
import { Option, type Command } from 'commander';
import { MODELS, startSimulatedModel } from '../examples/simulated-model/index.js';
import { intArg, stopOnSignals } from './args.js';

export function registerSimulatedModelCommand(program: Command): void {
  program
    .command('simulated-model')
    .description(
      'serve the simulated OpenAI-compatible model (offline, deterministic; not a real LLM) at /v1: chat completions, completions, responses, models',
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .addOption(new Option('--port <port>', 'port; 0 picks a free one').default(8000).argParser(intArg('--port', 0, 65535)))
    .action(async (o: { host: string; port: number }) => {
      const model = await startSimulatedModel({ host: o.host, port: o.port });
      process.stdout.write(
        [
          'simulated model listening (offline, deterministic; not a real LLM)',
          `  OPENAI_BASE_URL=${model.url}`,
          `  models: ${MODELS.map((m) => m.id).join(', ')}`,
        ].join('\n') + '\n',
      );
      stopOnSignals('stopping the simulated model', () => model.close());
    });
}
