export {
  createLlmClient,
  type JsonReply,
  type JsonRequest,
  type LlmClient,
  type LlmClientOptions,
  type LlmEvent,
  type LlmMessage,
} from './client.js';
export {
  configFilePath,
  DEFAULT_MAX_RETRIES,
  DEFAULT_TEMPERATURE,
  DEFAULT_TIMEOUT_MS,
  ENV_SETTINGS,
  type FactoryConfigFile,
  type LlmConfig,
  type LlmSettings,
  normaliseSettings,
  PROVIDER_DEFAULTS,
  PROVIDERS,
  type ProviderName,
  type ResearchSettings,
  type ResolveLlmConfigOptions,
  readConfigFile,
  resolveApiKey,
  resolveLlmConfig,
  resolveResearchSettings,
  type StructuredOutputMode,
} from './config.js';
export {
  createEmbedder,
  EMBEDDING_PROVIDERS,
  type EmbeddingProvider,
  type EmbeddingsConfig,
  type EmbeddingsResolution,
  embedderFromEnvironment,
  resolveEmbeddings,
} from './embeddings.js';
export { classifyError, type FailureClass, parseRetryAfter, toFactoryError } from './errors.js';
export { looksLikeRefusal, parseJsonAnswer } from './json.js';
export { estimateCostUsd, type ModelPrice, PRICE_TABLE, priceOf } from './pricing.js';
export { createLanguageModel, providerOptionsFor } from './providers.js';
export { redact, redactSecrets } from './redact.js';
