/**
 * The embeddings provider of hybrid tool search (src/core/search/hybrid.ts, src/store/search.ts).
 *
 * - OpenAI and OpenAI-compatible servers (Ollama, vLLM, LM Studio): `POST {baseUrl}/embeddings` with
 *   `{ model, input: string[] }` → `data[].embedding`.
 * - Google Gemini: `POST {baseUrl}/models/{model}:batchEmbedContents` → `embeddings[].values`.
 * Inputs go in batches of EMBEDDING_BATCH; each request has a timeout; an answer is refused unless it holds
 * exactly one vector per input, each of 1 to MAX_EMBEDDING_DIMS finite numbers, all of one length, within
 * MAX_RESPONSE_BYTES. Failures are FactoryErrors (LLM_AUTH, LLM_RATE_LIMITED, LLM_TIMEOUT, LLM_PROVIDER_ERROR)
 * whose messages never hold the key.
 *
 * Configuration, highest first: MCP_FACTORY_EMBEDDINGS_* variables > `embeddings` of the config file
 * (`{ "embeddings": { "provider": "openai", "model": …, "apiKeyEnv": …, "baseUrl": …, "timeoutMs": … } }`) >
 * provider defaults. Off unless a provider is named; off, silently, when the provider needs a key and its
 * variable is empty: search is then keyword only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { FactoryError } from '../core/errors/index.js';
import { normalizeVector, type TextEmbedder } from '../core/search/index.js';
import { ENV_VAR } from '../core/spec/model.js';
import { describeSecretValue } from '../core/spec/secrets.js';
import { readCappedBody } from '../platform/capped-body.js';
import { loadConfig } from '../platform/config.js';
import { redact } from './redact.js';

export const EMBEDDING_PROVIDERS = ['openai', 'google', 'openai-compatible'] as const;
export type EmbeddingProvider = (typeof EMBEDDING_PROVIDERS)[number];

/** Inputs per request. */
export const EMBEDDING_BATCH = 64;
/** Longest vector accepted. */
export const MAX_EMBEDDING_DIMS = 4096;
/** Largest answer read (64 vectors of 4096 numbers as JSON fit easily). */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** Characters of one input sent at most. */
export const MAX_INPUT_CHARS = 8000;
export const DEFAULT_EMBEDDINGS_TIMEOUT_MS = 5000;

export interface EmbeddingsConfig {
  provider: EmbeddingProvider;
  model: string;
  /** The variable holding the key (never the key). */
  apiKeyEnv: string | undefined;
  baseUrl: string;
  timeoutMs: number;
}

const DEFAULTS: Record<
  EmbeddingProvider,
  { model: string | undefined; keyEnvs: string[]; baseUrl: string; needsKey: boolean }
> = {
  openai: {
    model: 'text-embedding-3-small',
    keyEnvs: ['OPENAI_API_KEY'],
    baseUrl: 'https://api.openai.com/v1',
    needsKey: true,
  },
  google: {
    model: 'gemini-embedding-001',
    keyEnvs: ['GOOGLE_GENERATIVE_AI_API_KEY', 'GEMINI_API_KEY'],
    baseUrl: 'https://generativelanguage.googleapis.com/v1beta',
    needsKey: true,
  },
  'openai-compatible': {
    model: undefined,
    keyEnvs: [],
    baseUrl: 'http://127.0.0.1:11434/v1',
    needsKey: false,
  },
};

type Env = Record<string, string | undefined>;

function invalid(message: string, hint: string): FactoryError {
  return new FactoryError('LLM_CONFIG_INVALID', `embeddings: ${message}`, {
    issues: [{ code: 'LLM_CONFIG_INVALID', message: `embeddings: ${message}`, path: 'embeddings', hint }],
  });
}

const FILE_KEYS = new Set(['provider', 'model', 'apiKeyEnv', 'baseUrl', 'timeoutMs']);
const KEY_FIELDS = /^(?:api[-_]?key|key|token|secret|password|authorization)$/i;

/** The `embeddings` section of the config file (checked like the `llm` one: never a key). */
function fileSection(path: string | undefined): Record<string, unknown> {
  if (!path || !existsSync(path)) return {};
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return {}; // llm/config.ts reports unreadable files where an LLM is used; embeddings stay off.
  }
  const section = (data as Record<string, unknown> | null)?.embeddings;
  if (section === undefined) return {};
  if (!section || typeof section !== 'object' || Array.isArray(section))
    throw invalid(`"embeddings" of ${path} must be an object`, 'Write "embeddings": { "provider": … }.');
  for (const [key, value] of Object.entries(section)) {
    if (KEY_FIELDS.test(key) || (typeof value === 'string' && describeSecretValue(value)))
      throw invalid(
        `"embeddings.${key}" of ${path}: the config file must not hold API keys`,
        'Put the key in an environment variable and write its NAME: "apiKeyEnv": "OPENAI_API_KEY".',
      );
    if (!FILE_KEYS.has(key))
      throw invalid(
        `unknown setting "embeddings.${key}" in ${path}`,
        `Allowed: ${[...FILE_KEYS].join(', ')}.`,
      );
  }
  return section as Record<string, unknown>;
}

export type EmbeddingsResolution =
  | { config: EmbeddingsConfig; apiKey: string | undefined; off?: undefined }
  /** Why hybrid search is off (for diagnostics and the benchmark; never printed by the factory itself). */
  | { config?: undefined; apiKey?: undefined; off: string };

/** The embeddings configuration and key of `env`; `off` when none is configured or the key is missing. */
export function resolveEmbeddings(
  options: { env?: Env; configFile?: string | false } = {},
): EmbeddingsResolution {
  const env = options.env ?? process.env;
  const factory = loadConfig(env);
  const file = fileSection(
    options.configFile === false ? undefined : (options.configFile ?? factory.configFile.path),
  );
  const fromEnv = factory.embeddings;
  const text = (v: unknown, name: string): string | undefined => {
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw invalid(`${name} must be a string`, '');
    return v.trim() || undefined;
  };
  const provider = fromEnv.provider ?? text(file.provider, 'provider');
  if (!provider) return { off: 'no embeddings provider is configured (MCP_FACTORY_EMBEDDINGS_PROVIDER)' };
  if (!(EMBEDDING_PROVIDERS as readonly string[]).includes(provider))
    throw invalid(`unknown provider "${provider}"`, `Use one of: ${EMBEDDING_PROVIDERS.join(', ')}.`);
  const defaults = DEFAULTS[provider as EmbeddingProvider];
  const model = fromEnv.model ?? text(file.model, 'model') ?? defaults.model;
  if (!model)
    return { off: `the ${provider} embeddings provider needs a model (MCP_FACTORY_EMBEDDINGS_MODEL)` };
  const configuredKeyEnv = fromEnv.apiKeyEnv ?? text(file.apiKeyEnv, 'apiKeyEnv');
  if (configuredKeyEnv !== undefined && !ENV_VAR.test(configuredKeyEnv))
    throw invalid(
      'apiKeyEnv must be the NAME of an environment variable, not the key itself',
      'Write the name, e.g. OPENAI_API_KEY, and export the key in that variable.',
    );
  const apiKeyEnv =
    configuredKeyEnv ?? defaults.keyEnvs.find((n) => env[n]?.trim()) ?? defaults.keyEnvs[0] ?? undefined;
  const apiKey = apiKeyEnv ? env[apiKeyEnv]?.trim() || undefined : undefined;
  if (!apiKey && (defaults.needsKey || configuredKeyEnv !== undefined))
    return { off: `the embeddings API key variable ${apiKeyEnv ?? '(none)'} is not set` };
  let baseUrl = fromEnv.baseUrl ?? text(file.baseUrl, 'baseUrl') ?? defaults.baseUrl;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw invalid(`baseUrl "${baseUrl}" is not a URL`, 'e.g. https://api.openai.com/v1');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password)
    throw invalid('baseUrl must be http(s) without credentials', 'e.g. https://api.openai.com/v1');
  baseUrl = baseUrl.replace(/\/+$/, '');
  const rawTimeout = fromEnv.timeoutMs ?? file.timeoutMs;
  const timeoutMs = rawTimeout === undefined ? DEFAULT_EMBEDDINGS_TIMEOUT_MS : Number(rawTimeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000)
    throw invalid('timeoutMs must be an integer from 1 to 600000', '');
  return {
    config: { provider: provider as EmbeddingProvider, model, apiKeyEnv, baseUrl, timeoutMs },
    apiKey,
  };
}

/** The embedder configured in `env` (and the config file), or undefined: search stays keyword only. */
export function embedderFromEnvironment(
  options: { env?: Env; configFile?: string | false; fetch?: typeof globalThis.fetch } = {},
): TextEmbedder | undefined {
  const resolved = resolveEmbeddings(options);
  return resolved.config ? createEmbedder(resolved.config, resolved.apiKey, options.fetch) : undefined;
}

function failure(
  config: EmbeddingsConfig,
  code: 'LLM_AUTH' | 'LLM_RATE_LIMITED' | 'LLM_TIMEOUT' | 'LLM_PROVIDER_ERROR',
  problem: string,
  hint: string,
  apiKey: string | undefined,
  status?: number,
): FactoryError {
  let text = redact(problem);
  if (apiKey) text = text.split(apiKey).join('[REDACTED]');
  const message = `embeddings ${config.provider} (${config.model}): ${text}`;
  return new FactoryError(code, message, {
    issues: [{ code, message, path: '', hint }],
    details: { provider: config.provider, model: config.model, ...(status ? { status } : {}) },
  });
}

/** The body as text, refused past MAX_RESPONSE_BYTES (counted as it arrives, whatever Content-Length says). */
async function readCapped(response: Response): Promise<string | null> {
  const bytes = await readCappedBody(response, MAX_RESPONSE_BYTES);
  return bytes && Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** The vectors of one answer, checked; a string says what is wrong. */
function vectorsOf(config: EmbeddingsConfig, data: unknown, count: number): Float32Array[] | string {
  const root = data && typeof data === 'object' ? (data as Record<string, unknown>) : {};
  let raw: unknown[];
  if (config.provider === 'google') {
    if (!Array.isArray(root.embeddings)) return 'the answer has no "embeddings" array';
    raw = root.embeddings.map((e) => (e && typeof e === 'object' ? (e as { values?: unknown }).values : e));
  } else {
    if (!Array.isArray(root.data)) return 'the answer has no "data" array';
    const items = root.data as Array<{ index?: unknown; embedding?: unknown } | null>;
    const indexed = items.every((e) => e && typeof e.index === 'number');
    const ordered = indexed ? [...items].sort((a, b) => (a!.index as number) - (b!.index as number)) : items;
    if (indexed && ordered.some((e, i) => e!.index !== i))
      return 'the answer\'s "index" values are not 0…n-1';
    raw = ordered.map((e) => e?.embedding);
  }
  if (raw.length !== count) return `the answer holds ${raw.length} vectors for ${count} inputs`;
  const out: Float32Array[] = [];
  for (const [i, values] of raw.entries()) {
    if (!Array.isArray(values)) return `vector ${i} is not an array of numbers`;
    if (values.length < 1 || values.length > MAX_EMBEDDING_DIMS)
      return `vector ${i} has ${values.length} dimensions (1 to ${MAX_EMBEDDING_DIMS} accepted)`;
    if (out.length && values.length !== out[0]!.length)
      return `vector ${i} has ${values.length} dimensions, vector 0 has ${out[0]!.length}`;
    const vector = normalizeVector(values as number[]);
    if (!vector) return `vector ${i} holds a value that is not a finite number, or is zero`;
    out.push(vector);
  }
  return out;
}

/** A TextEmbedder over the provider's HTTP API (`fetch` for tests; default the global one). */
export function createEmbedder(
  config: EmbeddingsConfig,
  apiKey: string | undefined,
  fetchImpl: typeof globalThis.fetch = globalThis.fetch,
): TextEmbedder {
  const google = config.provider === 'google';
  const url = google
    ? `${config.baseUrl}/models/${encodeURIComponent(config.model)}:batchEmbedContents`
    : `${config.baseUrl}/embeddings`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (apiKey) {
    if (google) headers['x-goog-api-key'] = apiKey;
    else headers.authorization = `Bearer ${apiKey}`;
  }
  const fail = (
    code: Parameters<typeof failure>[1],
    problem: string,
    hint: string,
    status?: number,
  ): FactoryError => failure(config, code, problem, hint, apiKey, status);

  async function batch(texts: string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    const input = texts.map((t) => t.slice(0, MAX_INPUT_CHARS));
    const body = google
      ? {
          requests: input.map((text) => ({
            model: `models/${config.model}`,
            content: { parts: [{ text }] },
          })),
        }
      : { model: config.model, input, encoding_format: 'float' };
    const timeout = AbortSignal.timeout(config.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let response: Response;
    let text: string | null;
    try {
      response = await fetchImpl(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: combined,
      });
      text = await readCapped(response);
    } catch (error) {
      if (timeout.aborted)
        throw fail(
          'LLM_TIMEOUT',
          `no answer within ${config.timeoutMs} ms`,
          'Raise MCP_FACTORY_EMBEDDINGS_TIMEOUT_MS or check the provider.',
        );
      const cause = (error as { cause?: { message?: string } }).cause?.message;
      throw fail(
        'LLM_PROVIDER_ERROR',
        `cannot reach ${config.baseUrl}: ${cause ?? (error as Error).message}`,
        'Check MCP_FACTORY_EMBEDDINGS_BASE_URL and the network.',
      );
    }
    if (text === null)
      throw fail(
        'LLM_PROVIDER_ERROR',
        `the answer is larger than ${MAX_RESPONSE_BYTES} bytes`,
        'Check the model and endpoint.',
        response.status,
      );
    if (!response.ok) {
      const status = response.status;
      const detail = text.slice(0, 300);
      if (status === 401 || status === 403)
        throw fail(
          'LLM_AUTH',
          `the provider rejected the API key (HTTP ${status}): ${detail}`,
          `Check the key in ${config.apiKeyEnv ?? 'the key variable'}.`,
          status,
        );
      if (status === 429)
        throw fail(
          'LLM_RATE_LIMITED',
          `rate-limited (HTTP 429): ${detail}`,
          'Wait, or check the quota.',
          status,
        );
      throw fail(
        'LLM_PROVIDER_ERROR',
        `HTTP ${status}: ${detail}`,
        'Check MCP_FACTORY_EMBEDDINGS_MODEL and MCP_FACTORY_EMBEDDINGS_BASE_URL.',
        status,
      );
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw fail('LLM_PROVIDER_ERROR', 'the answer is not JSON', 'Check the endpoint.', response.status);
    }
    const vectors = vectorsOf(config, data, texts.length);
    if (typeof vectors === 'string')
      throw fail('LLM_PROVIDER_ERROR', `malformed answer: ${vectors}`, 'Check the model and endpoint.');
    return vectors;
  }

  return {
    model: `${config.provider}:${config.model}`,
    async embed(texts, options = {}) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += EMBEDDING_BATCH) {
        const vectors = await batch(texts.slice(i, i + EMBEDDING_BATCH), options.signal);
        if (out.length && vectors.length && vectors[0]!.length !== out[0]!.length)
          throw fail(
            'LLM_PROVIDER_ERROR',
            'malformed answer: batches returned vectors of different lengths',
            'Check the model.',
          );
        out.push(...vectors);
      }
      return out;
    },
  };
}
