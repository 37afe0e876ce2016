// Public API of the simulated OpenAI-compatible model (NOT a real LLM). It stands in for a paid
// model in tracelight's demo and tests; see README.md beside this file for its behaviours.

export { startSimulatedModel, type SimulatedModelOptions, type SimulatedModelServer } from './server.js';
export { generate, type Generation, type GenerateOptions } from './model.js';
export { slipRate, HURRIED_SLIP_PER_STEP, WRITTEN_SLIP_PER_STEP, BASE_NOISE } from './slips.js';
export { parseDirectives, type Directives } from './instructions.js';
export { solveWordProblem, type Solution } from './word-problem.js';
export { solveOrderProblem, type OrderSolution } from './order-problem.js';
export { parseShopRules, type ShopRules } from './shop-rules.js';
export { tokenize, countTokens } from './tokenizer.js';
export { placeholders } from './prompt-analysis.js';
export { MODELS } from './models-route.js';
