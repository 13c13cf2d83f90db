/** Shared helpers: real provider clients pointed at the fake, and the scripted transcripts of test/fixtures/llm. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FactoryError } from '../../src/core/errors/index.js';
import { createLlmClient, type LlmClient, type LlmClientOptions } from '../../src/llm/client.js';
import { type LlmSettings, type ProviderName, resolveLlmConfig } from '../../src/llm/config.js';
import type { FakeProvider, FakeStep } from './fake-provider.js';

export const FAKE_KEY = 'fake-test-key-0000';

export const MODELS: Record<ProviderName, string> = {
  openai: 'gpt-4.1-mini',
  anthropic: 'claude-sonnet-4-5',
  google: 'gemini-2.5-flash',
  'openai-compatible': 'qwen2.5-coder:32b',
};

export function baseUrlFor(provider: ProviderName, fake: FakeProvider): string {
  return provider === 'google' ? `${fake.url}/v1beta` : `${fake.url}/v1`;
}

/** The configuration layers as a user would give them (flags), resolved without reading any config file. */
export function fakeSettings(
  provider: ProviderName,
  fake: FakeProvider,
  extra: LlmSettings = {},
): LlmSettings {
  return {
    provider,
    model: MODELS[provider],
    baseUrl: baseUrlFor(provider, fake),
    apiKeyEnv: 'FAKE_LLM_KEY',
    maxRetries: 2,
    timeoutMs: 10_000,
    ...extra,
  };
}

export const FAKE_ENV = { FAKE_LLM_KEY: FAKE_KEY };

/** A real @ai-sdk client for `provider`, aimed at the fake, with a short backoff. */
export async function fakeClient(
  provider: ProviderName,
  fake: FakeProvider,
  extra: LlmSettings = {},
  options: Omit<LlmClientOptions, 'env'> = {},
): Promise<LlmClient> {
  const config = resolveLlmConfig({
    flags: fakeSettings(provider, fake, extra),
    env: FAKE_ENV,
    configFile: false,
  });
  return createLlmClient(config, { env: FAKE_ENV, retryBaseMs: 10, ...options });
}

export interface TranscriptTurn {
  note?: string;
  /** Strings the request answered by this turn must contain (in its last user message). */
  expectInRequest?: string[];
  respond: FakeStep;
}

export interface Transcript {
  description: string;
  prompt: string;
  specDir?: string;
  turns: TranscriptTurn[];
  expect: { tools: string[]; envRefs: string[] };
}

export function loadTranscript(name: string): Transcript {
  return JSON.parse(readFileSync(join('test', 'fixtures', 'llm', `${name}.json`), 'utf8')) as Transcript;
}

export const TRANSCRIPTS = [
  'inventory-postgres',
  'inventory-sqlite',
  'malformed-json',
  'schema-invalid',
  'code-compile-error',
  'failing-tests',
  'literal-secret',
  'shell-backdoor',
] as const;

/** The FactoryError a promise rejects with (anything else fails the test). */
export async function failure(promise: Promise<unknown>): Promise<FactoryError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FactoryError) return error;
    throw error;
  }
  throw new Error('expected a FactoryError');
}
