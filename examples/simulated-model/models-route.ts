// GET /v1/models: the model ids the simulation answers to, each labelled as simulated so nobody
// mistakes a demo run for a real model. Requests naming any other model are still served (agents
// configured for "gpt-4o-mini" work unchanged); the name is echoed back.

import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors.js';

export const MODELS = [
  {
    id: 'sim-small',
    object: 'model',
    created: 1_700_000_000,
    owned_by: 'simulated',
    description:
      'simulated model (not a real LLM): follows instructions found in the prompt, slips on multi-step arithmetic when not told to reason step by step',
  },
  {
    id: 'sim-large',
    object: 'model',
    created: 1_700_000_000,
    owned_by: 'simulated',
    description: 'simulated model (not a real LLM): like sim-small, with half the arithmetic slip rate',
  },
] as const;

export function registerModelsRoute(app: FastifyInstance): void {
  app.get('/v1/models', async () => ({ object: 'list', data: MODELS }));
  app.get<{ Params: { id: string } }>('/v1/models/:id', async (request) => {
    const model = MODELS.find((m) => m.id === request.params.id);
    if (!model) throw new ApiError(404, `The model '${request.params.id}' does not exist`, 'model', 'model_not_found');
    return model;
  });
}
