// tracelight's LLM proxy: an OpenAI-compatible endpoint in front of a token-id-capable server (vLLM, SGLang, or
// anything OpenAI-compatible) that records every call as an OTel GenAI span with the exact token ids, for agents
// whose code cannot be instrumented. `tracelight proxy` runs it from the command line (command.ts).
export { startLlmProxy, type LlmProxy } from './server.js';
export { DEFAULT_PROXY_OPTIONS, type LlmProxyOptions, type RouteFn, type RouteTarget } from './options.js';
export { resourceRoute, targetOf, DEFAULT_POLL_MS, type ResourceRouteOptions } from './resource-route.js';
export { ROLLOUT_HEADER, ATTEMPT_HEADER, AGENT_HEADER } from './attribution.js';
export { PROMPT_TOKEN_IDS, RESPONSE_TOKEN_IDS, RESPONSE_LOGPROBS } from './genai-span.js';
export { SseAccumulator } from './sse.js';
