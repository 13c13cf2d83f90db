/**
 * The provider clients, all from the Vercel AI SDK (@ai-sdk/*): only the configured one is loaded.
 * OpenAI goes through the Chat Completions API (`openai.chat`), the one OpenAI-compatible servers (Ollama, vLLM,
 * LM Studio) also speak.
 */
import type { LanguageModel } from 'ai';
import type { LlmConfig } from './config.js';

type FetchFunction = typeof globalThis.fetch;

/** Provider-options key used for OpenAI-compatible endpoints (the SDK keys options by provider name). */
export const COMPATIBLE_PROVIDER_NAME = 'openaiCompatible';

export async function createLanguageModel(
  config: LlmConfig,
  apiKey: string | undefined,
  fetch?: FetchFunction,
): Promise<LanguageModel> {
  const common = {
    ...(config.baseUrl ? { baseURL: config.baseUrl } : {}),
    ...(fetch ? { fetch } : {}),
  };
  switch (config.provider) {
    case 'anthropic': {
      const { createAnthropic } = await import('@ai-sdk/anthropic');
      return createAnthropic({ ...common, apiKey: apiKey ?? '' })(config.model);
    }
    case 'openai': {
      const { createOpenAI } = await import('@ai-sdk/openai');
      return createOpenAI({ ...common, apiKey: apiKey ?? '' }).chat(config.model);
    }
    case 'google': {
      const { createGoogleGenerativeAI } = await import('@ai-sdk/google');
      return createGoogleGenerativeAI({ ...common, apiKey: apiKey ?? '' })(config.model);
    }
    case 'openai-compatible': {
      const { createOpenAICompatible } = await import('@ai-sdk/openai-compatible');
      return createOpenAICompatible({
        name: COMPATIBLE_PROVIDER_NAME,
        baseURL: config.baseUrl ?? 'http://127.0.0.1:11434/v1',
        ...(apiKey ? { apiKey } : {}),
        ...(fetch ? { fetch } : {}),
        supportsStructuredOutputs: config.structuredOutput === 'schema',
        includeUsage: true,
      }).chatModel(config.model);
    }
  }
}

/**
 * Per-provider options for a JSON answer. The spec schema has optional fields and recursion, so OpenAI's strict
 * mode (every property required) cannot take it: non-strict json_schema instead. Gemini in `json` mode gets
 * responseMimeType application/json without a schema.
 */
export function providerOptionsFor(config: LlmConfig): Record<string, Record<string, boolean | string>> {
  switch (config.provider) {
    case 'openai':
      return { openai: { strictJsonSchema: false } };
    case 'openai-compatible':
      return { [COMPATIBLE_PROVIDER_NAME]: { strictJsonSchema: false } };
    case 'google':
      return { google: { structuredOutputs: config.structuredOutput === 'schema' } };
    case 'anthropic':
      return {};
  }
}
