/**
 * LLM configuration: which provider and model, where the API key comes from, and how calls behave.
 * Three layers, highest first: flags (or API options) > MCP_FACTORY_LLM_* environment variables > the config file
 * (`MCP_FACTORY_CONFIG`, else `$MCP_FACTORY_HOME/config.json`, else `~/.mcp-factory/config.json`).
 * The file names the variable that holds the key (`apiKeyEnv`), never the key: a key in the file is refused.
 * Pure apart from reading the config file; never prints.
 */
import { existsSync, readFileSync } from 'node:fs';
import { FactoryError } from '../core/errors/index.js';
import { ENV_VAR } from '../core/spec/model.js';
import { describeSecretValue } from '../core/spec/secrets.js';
import { loadConfig } from '../platform/config.js';

export const PROVIDERS = ['anthropic', 'openai', 'google', 'openai-compatible'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/**
 * How the spec is requested: `schema` sends the spec's JSON Schema as structured output (response_format
 * json_schema / Anthropic output format or JSON tool); `json` asks for plain JSON and puts the schema in the prompt
 * (for providers that cannot take the full, recursive schema: Gemini, many local servers).
 */
export type StructuredOutputMode = 'schema' | 'json';

/** One configuration layer; every field optional. */
export interface LlmSettings {
  provider?: ProviderName | undefined;
  model?: string | undefined;
  /** Name of the environment variable holding the API key (never the key). */
  apiKeyEnv?: string | undefined;
  baseUrl?: string | undefined;
  temperature?: number | undefined;
  /** Retries of one call on 429, 5xx, network errors and timeouts. */
  maxRetries?: number | undefined;
  /** Per attempt. */
  timeoutMs?: number | undefined;
  structuredOutput?: StructuredOutputMode | undefined;
  maxOutputTokens?: number | undefined;
}

export type SettingSource = 'flag' | 'env' | 'file' | 'default' | 'detected';

export interface LlmConfig {
  provider: ProviderName;
  model: string;
  apiKeyEnv: string | undefined;
  baseUrl: string | undefined;
  temperature: number;
  maxRetries: number;
  timeoutMs: number;
  structuredOutput: StructuredOutputMode;
  maxOutputTokens: number | undefined;
  /** Where each value came from (for messages and the execution log). */
  sources: Partial<Record<keyof LlmSettings, SettingSource>>;
  /** The config file that was read, if any. */
  configFile: string | undefined;
}

export interface ResearchSettings {
  enabled?: boolean | undefined;
  provider?: 'tavily' | undefined;
  apiKeyEnv?: string | undefined;
  baseUrl?: string | undefined;
  maxResults?: number | undefined;
}

/** The parts of the factory config file this module reads (other keys are left to other features). */
export interface FactoryConfigFile {
  llm?: LlmSettings;
  research?: ResearchSettings;
}

export const DEFAULT_TEMPERATURE = 0.2;
export const DEFAULT_MAX_RETRIES = 3;
/** Per attempt: a whole spec from a large model can take a few minutes. */
export const DEFAULT_TIMEOUT_MS = 180_000;

export interface ProviderDefaults {
  model: string | undefined;
  apiKeyEnv: string | undefined;
  /** Also accepted when apiKeyEnv is not configured. */
  alternativeKeyEnvs: string[];
  baseUrl: string | undefined;
  structuredOutput: StructuredOutputMode;
}

export const PROVIDER_DEFAULTS: Record<ProviderName, ProviderDefaults> = {
  anthropic: {
    model: 'claude-sonnet-4-5',
    apiKeyEnv: 'ANTHROPIC_API_KEY',
    alternativeKeyEnvs: [],
    baseUrl: undefined,
    structuredOutput: 'schema',
  },
  openai: {
    model: 'gpt-4.1',
    apiKeyEnv: 'OPENAI_API_KEY',
    alternativeKeyEnvs: [],
    baseUrl: undefined,
    structuredOutput: 'schema',
  },
  google: {
    model: 'gemini-2.5-flash',
    apiKeyEnv: 'GOOGLE_GENERATIVE_AI_API_KEY',
    alternativeKeyEnvs: ['GEMINI_API_KEY'],
    baseUrl: undefined,
    // Gemini's responseSchema is an OpenAPI subset without recursion: ask for JSON, schema in the prompt.
    structuredOutput: 'json',
  },
  'openai-compatible': {
    model: undefined,
    apiKeyEnv: undefined,
    alternativeKeyEnvs: [],
    // Ollama's OpenAI-compatible endpoint; vLLM is usually :8000/v1 and LM Studio :1234/v1.
    baseUrl: 'http://127.0.0.1:11434/v1',
    structuredOutput: 'schema',
  },
};

/** Variables checked, in order, when no provider is configured anywhere. */
const DETECTION: Array<[string, ProviderName]> = [
  ['ANTHROPIC_API_KEY', 'anthropic'],
  ['OPENAI_API_KEY', 'openai'],
  ['GOOGLE_GENERATIVE_AI_API_KEY', 'google'],
  ['GEMINI_API_KEY', 'google'],
];

export const ENV_SETTINGS: Record<keyof LlmSettings, string> = {
  provider: 'MCP_FACTORY_LLM_PROVIDER',
  model: 'MCP_FACTORY_LLM_MODEL',
  apiKeyEnv: 'MCP_FACTORY_LLM_API_KEY_ENV',
  baseUrl: 'MCP_FACTORY_LLM_BASE_URL',
  temperature: 'MCP_FACTORY_LLM_TEMPERATURE',
  maxRetries: 'MCP_FACTORY_LLM_MAX_RETRIES',
  timeoutMs: 'MCP_FACTORY_LLM_TIMEOUT_MS',
  structuredOutput: 'MCP_FACTORY_LLM_STRUCTURED_OUTPUT',
  maxOutputTokens: 'MCP_FACTORY_LLM_MAX_OUTPUT_TOKENS',
};

type Env = Record<string, string | undefined>;

function invalid(message: string, hint: string, where: string): FactoryError {
  return new FactoryError('LLM_CONFIG_INVALID', `${where}: ${message}`, {
    issues: [{ code: 'LLM_CONFIG_INVALID', message: `${where}: ${message}`, path: '', hint }],
  });
}

/** `MCP_FACTORY_CONFIG`, else `$MCP_FACTORY_HOME/config.json`, else `~/.mcp-factory/config.json`. */
export function configFilePath(env: Env = process.env): string {
  return loadConfig(env).configFile.path;
}

const LLM_KEYS: ReadonlySet<string> = new Set(Object.keys(ENV_SETTINGS));
const RESEARCH_KEYS: ReadonlySet<string> = new Set([
  'enabled',
  'provider',
  'apiKeyEnv',
  'baseUrl',
  'maxResults',
]);
const KEY_FIELDS = /^(?:api[-_]?key|key|token|secret|password|authorization)$/i;

/**
 * Read the config file. A missing default file is fine (undefined); a missing file named by MCP_FACTORY_CONFIG,
 * unreadable JSON, unknown keys in `llm`/`research` and anything that looks like a key are errors.
 */
export function readConfigFile(path: string, required = false): FactoryConfigFile | undefined {
  if (!existsSync(path)) {
    if (required)
      throw invalid('the file does not exist', 'Fix MCP_FACTORY_CONFIG or create the file.', path);
    return undefined;
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw invalid(
      `not valid JSON (${(error as Error).message})`,
      'The config file is JSON: { "llm": { "provider": "anthropic", "apiKeyEnv": "ANTHROPIC_API_KEY" } }.',
      path,
    );
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw invalid('the root must be an object', 'Write { "llm": { … } }.', path);
  const root = data as Record<string, unknown>;
  const out: FactoryConfigFile = {};
  for (const [section, allowed] of [
    ['llm', LLM_KEYS],
    ['research', RESEARCH_KEYS],
  ] as const) {
    const value = root[section];
    if (value === undefined) continue;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw invalid(`"${section}" must be an object`, `Write "${section}": { … }.`, path);
    for (const [key, v] of Object.entries(value)) {
      if (KEY_FIELDS.test(key))
        throw invalid(
          `"${section}.${key}": the config file must not hold API keys`,
          'Put the key in an environment variable and write its NAME: "apiKeyEnv": "ANTHROPIC_API_KEY".',
          path,
        );
      if (!allowed.has(key))
        throw invalid(`unknown setting "${section}.${key}"`, `Allowed: ${[...allowed].join(', ')}.`, path);
      if (typeof v === 'string' && describeSecretValue(v))
        throw invalid(
          `"${section}.${key}" looks like ${describeSecretValue(v)}; the config file must not hold secrets`,
          'Put the key in an environment variable and write its NAME in apiKeyEnv.',
          path,
        );
    }
    (out as Record<string, unknown>)[section] = value;
  }
  return out;
}

function parseNumber(raw: unknown, where: string, name: string): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isFinite(n)) throw invalid(`${name} must be a number, got ${JSON.stringify(raw)}`, '', where);
  return n;
}

/** Check and normalise one layer (flags, environment or file). */
export function normaliseSettings(raw: Record<string, unknown>, where: string): LlmSettings {
  const out: LlmSettings = {};
  const str = (k: string) => {
    const v = raw[k];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw invalid(`${k} must be a string`, '', where);
    return v.trim() || undefined;
  };
  const provider = str('provider');
  if (provider !== undefined) {
    if (!(PROVIDERS as readonly string[]).includes(provider))
      throw invalid(
        `unknown provider "${provider}"`,
        `Use one of: ${PROVIDERS.join(', ')} (openai-compatible covers Ollama, vLLM and LM Studio).`,
        where,
      );
    out.provider = provider as ProviderName;
  }
  const model = str('model');
  if (model !== undefined) out.model = model;
  const apiKeyEnv = str('apiKeyEnv');
  if (apiKeyEnv !== undefined) {
    if (!ENV_VAR.test(apiKeyEnv))
      throw invalid(
        describeSecretValue(apiKeyEnv) || apiKeyEnv.length > 40
          ? 'apiKeyEnv must be the NAME of an environment variable, not the key itself'
          : `apiKeyEnv "${apiKeyEnv}" is not an environment variable name`,
        'Write the name, e.g. ANTHROPIC_API_KEY, and export the key in that variable.',
        where,
      );
    out.apiKeyEnv = apiKeyEnv;
  }
  const baseUrl = str('baseUrl');
  if (baseUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw invalid(`baseUrl "${baseUrl}" is not a URL`, 'e.g. http://127.0.0.1:11434/v1', where);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw invalid('baseUrl must be http(s)', 'e.g. http://127.0.0.1:11434/v1', where);
    if (url.username || url.password)
      throw invalid(
        'baseUrl must not contain credentials',
        'Put the key in an environment variable named by apiKeyEnv.',
        where,
      );
    out.baseUrl = baseUrl.replace(/\/+$/, '');
  }
  const temperature = parseNumber(raw.temperature, where, 'temperature');
  if (temperature !== undefined) {
    if (temperature < 0 || temperature > 2) throw invalid('temperature must be between 0 and 2', '', where);
    out.temperature = temperature;
  }
  const maxRetries = parseNumber(raw.maxRetries, where, 'maxRetries');
  if (maxRetries !== undefined) {
    if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > 10)
      throw invalid('maxRetries must be an integer from 0 to 10', '', where);
    out.maxRetries = maxRetries;
  }
  const timeoutMs = parseNumber(raw.timeoutMs, where, 'timeoutMs');
  if (timeoutMs !== undefined) {
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 3_600_000)
      throw invalid('timeoutMs must be an integer from 1 to 3600000 (one hour)', '', where);
    out.timeoutMs = timeoutMs;
  }
  const mode = str('structuredOutput');
  if (mode !== undefined) {
    if (mode !== 'schema' && mode !== 'json')
      throw invalid('structuredOutput must be "schema" or "json"', '', where);
    out.structuredOutput = mode;
  }
  const maxOutputTokens = parseNumber(raw.maxOutputTokens, where, 'maxOutputTokens');
  if (maxOutputTokens !== undefined) {
    if (!Number.isInteger(maxOutputTokens) || maxOutputTokens < 256)
      throw invalid('maxOutputTokens must be an integer of at least 256', '', where);
    out.maxOutputTokens = maxOutputTokens;
  }
  return out;
}

export interface ResolveLlmConfigOptions {
  /** Highest layer: command-line flags or API options. */
  flags?: LlmSettings;
  env?: Env;
  /** Config file to read; false: none. Default: configFilePath(env). */
  configFile?: string | false;
}

/** Merge the layers (flags > env > file > provider defaults) and check the result. Does not read the key. */
export function resolveLlmConfig(options: ResolveLlmConfigOptions = {}): LlmConfig {
  const env = options.env ?? process.env;
  const filePath = options.configFile === false ? undefined : (options.configFile ?? configFilePath(env));
  const file = filePath
    ? readConfigFile(filePath, options.configFile !== undefined || loadConfig(env).configFile.explicit)
    : undefined;
  const layers: Array<[SettingSource, LlmSettings]> = [
    ['flag', normaliseSettings({ ...(options.flags ?? {}) }, 'command-line options')],
    ['env', normaliseSettings({ ...loadConfig(env).llm }, 'MCP_FACTORY_LLM_* environment variables')],
    ['file', file?.llm ? normaliseSettings({ ...file.llm }, filePath ?? 'config file') : {}],
  ];
  const sources: LlmConfig['sources'] = {};
  const pick = <K extends keyof LlmSettings>(key: K): LlmSettings[K] => {
    for (const [source, layer] of layers) {
      if (layer[key] !== undefined) {
        sources[key] = source;
        return layer[key];
      }
    }
    return undefined;
  };
  let provider = pick('provider');
  if (!provider) {
    const found = DETECTION.find(([name]) => env[name]?.trim());
    if (!found) {
      throw new FactoryError('LLM_NOT_CONFIGURED', 'no LLM provider is configured', {
        issues: [
          {
            code: 'LLM_NOT_CONFIGURED',
            message: 'no LLM provider is configured',
            path: '',
            hint: `Pass --provider (${PROVIDERS.join(', ')}) and --model, set ${ENV_SETTINGS.provider}, or add "llm": { "provider": … } to ${filePath ?? configFilePath(env)}; export the API key (e.g. ANTHROPIC_API_KEY).`,
          },
        ],
      });
    }
    provider = found[1];
    sources.provider = 'detected';
  }
  const defaults = PROVIDER_DEFAULTS[provider];
  const model = pick('model') ?? defaults.model;
  if (!model) {
    throw new FactoryError('LLM_NOT_CONFIGURED', `the ${provider} provider needs a model name`, {
      issues: [
        {
          code: 'LLM_NOT_CONFIGURED',
          message: `the ${provider} provider needs a model name`,
          path: '',
          hint: 'Pass --model (e.g. qwen2.5-coder:32b for Ollama) or set MCP_FACTORY_LLM_MODEL.',
        },
      ],
    });
  }
  if (!sources.model) sources.model = 'default';
  let apiKeyEnv = pick('apiKeyEnv');
  if (!apiKeyEnv) {
    apiKeyEnv = [defaults.apiKeyEnv, ...defaults.alternativeKeyEnvs].find((n) => n && env[n]?.trim());
    apiKeyEnv ??= defaults.apiKeyEnv;
    if (apiKeyEnv) sources.apiKeyEnv = 'default';
  }
  const baseUrl = pick('baseUrl') ?? defaults.baseUrl;
  if (baseUrl && !sources.baseUrl) sources.baseUrl = 'default';
  const withDefault = <K extends keyof LlmSettings>(key: K, fallback: NonNullable<LlmSettings[K]>) => {
    const v = pick(key);
    if (v === undefined) sources[key] = 'default';
    return (v ?? fallback) as NonNullable<LlmSettings[K]>;
  };
  return {
    provider,
    model,
    apiKeyEnv,
    baseUrl,
    temperature: withDefault('temperature', DEFAULT_TEMPERATURE),
    maxRetries: withDefault('maxRetries', DEFAULT_MAX_RETRIES),
    timeoutMs: withDefault('timeoutMs', DEFAULT_TIMEOUT_MS),
    structuredOutput: withDefault('structuredOutput', defaults.structuredOutput),
    maxOutputTokens: pick('maxOutputTokens'),
    sources,
    configFile: file ? filePath : undefined,
  };
}

/** The API key from the variable the config names; openai-compatible servers may need none. */
export function resolveApiKey(config: LlmConfig, env: Env = process.env): string | undefined {
  if (!config.apiKeyEnv) return undefined;
  const key = env[config.apiKeyEnv]?.trim();
  if (key) return key;
  throw new FactoryError('LLM_NOT_CONFIGURED', `${config.apiKeyEnv} is not set`, {
    issues: [
      {
        code: 'LLM_NOT_CONFIGURED',
        message: `the ${config.provider} API key variable ${config.apiKeyEnv} is not set`,
        path: '',
        hint: `export ${config.apiKeyEnv}=… (or point --api-key-env at the variable that holds the key).`,
      },
    ],
  });
}

/** Research settings: file < environment (TAVILY_API_KEY presence does not turn research on by itself). */
export function resolveResearchSettings(
  options: { env?: Env; configFile?: string | false } = {},
): ResearchSettings {
  const env = options.env ?? process.env;
  const filePath = options.configFile === false ? undefined : (options.configFile ?? configFilePath(env));
  const file = filePath ? readConfigFile(filePath, false) : undefined;
  const fromEnv = loadConfig(env).research.enabled;
  const settings: ResearchSettings = { ...(file?.research ?? {}) };
  if (fromEnv !== undefined) settings.enabled = fromEnv;
  if (settings.apiKeyEnv !== undefined && !ENV_VAR.test(settings.apiKeyEnv))
    throw invalid(
      'research.apiKeyEnv must be the NAME of an environment variable',
      'e.g. "apiKeyEnv": "TAVILY_API_KEY"',
      filePath ?? 'config file',
    );
  return settings;
}
