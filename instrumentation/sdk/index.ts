// tracelight's TypeScript SDK (`tracelight/sdk`): what an agent needs to be trained by tracelight.
//   init()         OpenTelemetry → tracelight (OTLP/HTTP), GenAI instrumentations, content capture on
//   withRollout()  a root span + baggage carrying the rollout identity onto every span inside
//   reward()       the OTel GenAI `gen_ai.evaluation.result` event
//   resources      versioned prompt templates & co., cached with ETag revalidation
//   runner()       the worker loop over tracelight's rollout queue
export { init, instrumentOpenAI, flush, currentHandle, type InitOptions, type TracelightHandle } from './otel.js';
export { withRollout, currentRollout, ROLLOUT_SPAN_NAME, type RolloutInfo, type ActiveRollout } from './rollout.js';
export { reward, EVALUATION_EVENT, REWARD_SPAN_NAME, type RewardOptions } from './reward.js';
export {
  resources,
  createResourceClient,
  ResourceClient,
  ResourceNotFoundError,
  type Resource,
  type GetResourceOptions,
  type ResourceClientOptions,
  type ResourceClientStats,
} from './resources.js';
export { runner, type Runner, type RunnerOptions, type RunnerStats, type RunnerLogger, type Agent, type AgentContext, type ClaimedRollout } from './runner.js';
export { ApiError } from './http.js';
export { BaggageSpanProcessor, TRACELIGHT_BAGGAGE_KEYS } from './baggage-processor.js';
export { renderPrompt, templateVariables, MissingVariablesError, TemplateError } from '../../schemas/prompt-template.js';
