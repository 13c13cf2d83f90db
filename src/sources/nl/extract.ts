/**
 * Natural language → validated spec. `specFromPrompt` validates the description, optionally researches, asks the
 * configured model for the spec through structured output, validates the answer exactly like a hand-written spec
 * and sends the problems back for repair (default 3 rounds). Nothing the model returns is executed here.
 */

import type { ProgressEvent } from '../../build/create.js';
import { FactoryError } from '../../core/errors/index.js';
import type { ServerSpec, ServerSpecInput } from '../../core/spec/model.js';
import { createLlmClient, type LlmClient, type LlmClientOptions } from '../../llm/client.js';
import {
  type LlmSettings,
  type ResearchSettings,
  resolveLlmConfig,
  resolveResearchSettings,
} from '../../llm/config.js';
import { loadConfig } from '../../platform/config.js';
import { ExecutionLog } from '../../platform/execution-log.js';
import { type EnvReference, envReferences } from './checks.js';
import { type PromptInput, validatePrompt } from './input.js';
import { systemPrompt, userPrompt } from './prompts.js';
import {
  formatUntrustedContext,
  type ResearchProvider,
  type ResearchSnippet,
  researchQuery,
  TavilyResearch,
} from './research.js';
import { NlSession, type RoundRecord, type ValidSpec } from './session.js';

export const DEFAULT_MAX_REPAIRS = 3;

export interface SpecFromPromptOptions {
  /** A ready client (tests, custom backends); otherwise one is built from the configuration layers. */
  llm?: LlmClient;
  /** The highest configuration layer (CLI flags / API options): provider, model, apiKeyEnv, baseUrl, … */
  llmSettings?: LlmSettings;
  /** Environment for MCP_FACTORY_LLM_* settings and API keys (default process.env). */
  env?: Record<string, string | undefined>;
  /** Config file path, or false to read none (default: MCP_FACTORY_CONFIG or ~/.mcp-factory/config.json). */
  configFile?: string | false;
  /** Passed to the provider client: fetch, retryBaseMs, maxRetryAfterMs, prices, onEvent. */
  clientOptions?: Omit<LlmClientOptions, 'log' | 'env'>;
  /** A log to continue; by default a new one titled with the server's name. */
  log?: ExecutionLog;
  /** Repair rounds after the first answer when the spec is invalid. Default 3. */
  maxRepairs?: number;
  /**
   * Web research before extraction: a provider, true (Tavily, needs TAVILY_API_KEY), false (off). Default: the
   * `research.enabled` setting of the config file or MCP_FACTORY_RESEARCH, else off.
   */
  research?: ResearchProvider | boolean;
  /** Where relative SQLite paths resolve (default: the current directory). */
  specDir?: string;
  /** Force the server name. */
  name?: string;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}

export interface ResearchReport {
  provider: string;
  query: string;
  snippets: ResearchSnippet[];
  error?: string;
}

export interface SpecFromPromptResult {
  spec: ServerSpec;
  /** The spec as the model wrote it (no defaults filled in): what --emit-spec writes. */
  input: ServerSpecInput;
  log: ExecutionLog;
  /** Environment variables the server needs: connection strings, keys, … (never invented values). */
  envRefs: EnvReference[];
  /** The cleaned description that was sent. */
  prompt: PromptInput;
  /** Things the user should check (values the model chose that were not in the description, redactions). */
  warnings: string[];
  rounds: RoundRecord[];
  llm: { provider: string; model: string };
  research?: ResearchReport;
}

export interface StartedSession {
  session: NlSession;
  prompt: PromptInput;
  warnings: string[];
  research: ResearchReport | undefined;
  ownLog: boolean;
}

/** Everything before the first model call: input validation, client, research, prompts. */
export async function startSession(
  rawPrompt: unknown,
  options: SpecFromPromptOptions,
): Promise<StartedSession> {
  const ownLog = !options.log;
  const log = options.log ?? new ExecutionLog('natural-language request');
  const prompt = await log.step(
    'nl: validate description',
    () => validatePrompt(rawPrompt),
    (p) => ({ chars: p.chars, strippedControlChars: p.strippedControlChars, redacted: p.redacted.length }),
  );
  const warnings: string[] = [];
  if (prompt.redacted.length) {
    warnings.push(
      `the description contained ${prompt.redacted.join(', ')}; it was replaced by [REDACTED] before reaching the model — keep secrets in environment variables`,
    );
  }
  if (prompt.strippedControlChars) {
    warnings.push(`${prompt.strippedControlChars} control or invisible formatting character(s) were removed`);
  }
  const env = options.env ?? process.env;
  const llm =
    options.llm ??
    (await createLlmClient(
      resolveLlmConfig({
        ...(options.llmSettings ? { flags: options.llmSettings } : {}),
        env,
        ...(options.configFile !== undefined ? { configFile: options.configFile } : {}),
      }),
      { ...(options.clientOptions ?? {}), env, log },
    ));
  const provider = researchProvider(options, env);
  let research: ResearchReport | undefined;
  if (provider) {
    const query = researchQuery(prompt.text);
    try {
      const snippets = await log.step(
        'research',
        () => provider.search(query, options.signal ? { signal: options.signal } : {}),
        (s) => ({ provider: provider.name, query, results: s.length }),
      );
      research = { provider: provider.name, query, snippets };
    } catch (error) {
      if (options.signal?.aborted) throw error;
      // Research is best effort: the description alone is enough to continue.
      research = { provider: provider.name, query, snippets: [], error: (error as Error).message };
      warnings.push(`research failed and was skipped: ${(error as Error).message}`);
    }
  } else log.skip('research', 'off');
  const context = research?.snippets.length
    ? formatUntrustedContext(research.snippets, `web search (${research.provider})`)
    : '';
  const session = new NlSession({
    llm,
    log,
    system: systemPrompt({ includeSchema: llm.structuredOutput === 'json' }),
    request: userPrompt(prompt.text, { serverName: options.name, research: context }),
    maxRepairs: options.maxRepairs ?? DEFAULT_MAX_REPAIRS,
    specDir: options.specDir ?? process.cwd(),
    knownText: `${prompt.text}\n${research?.snippets.map((s) => `${s.url} ${s.content}`).join('\n') ?? ''}`,
    serverName: options.name,
    signal: options.signal,
    onProgress: options.onProgress,
  });
  return { session, prompt, warnings, research, ownLog };
}

function researchProvider(
  options: SpecFromPromptOptions,
  env: Record<string, string | undefined>,
): ResearchProvider | undefined {
  if (options.research === false) return undefined;
  if (typeof options.research === 'object') return options.research;
  const settings: ResearchSettings = resolveResearchSettings({
    env,
    ...(options.configFile !== undefined ? { configFile: options.configFile } : {}),
  });
  if (options.research !== true && !settings.enabled) return undefined;
  const keyEnv = settings.apiKeyEnv ?? 'TAVILY_API_KEY';
  const apiKey = env[keyEnv]?.trim();
  if (!apiKey) {
    throw new FactoryError('RESEARCH_FAILED', `research is on but ${keyEnv} is not set`, {
      issues: [
        {
          code: 'RESEARCH_FAILED',
          message: `research is on but ${keyEnv} is not set`,
          path: '',
          hint: `export ${keyEnv}=… (a Tavily API key), or turn research off.`,
        },
      ],
    });
  }
  const baseUrl = settings.baseUrl ?? loadConfig(env).research.tavilyUrl;
  return new TavilyResearch({
    apiKey,
    ...(baseUrl ? { baseUrl } : {}),
    ...(settings.maxResults ? { maxResults: settings.maxResults } : {}),
    ...(options.clientOptions?.fetch ? { fetch: options.clientOptions.fetch } : {}),
  });
}

/**
 * A description → a validated spec, with the env-var references the user must set. Throws FactoryErrors:
 * NL_PROMPT_EMPTY / NL_PROMPT_TOO_LONG, LLM_* for provider failures, the validator's codes (SPEC_*) or
 * LLM_BAD_OUTPUT when the repair rounds are spent. `nlFailureContext(error)` gives the log of a failed run.
 */
export async function specFromPrompt(
  prompt: string,
  options: SpecFromPromptOptions = {},
): Promise<SpecFromPromptResult> {
  const started = await startSession(prompt, options);
  const { session } = started;
  let valid: ValidSpec;
  try {
    valid = await session.untilValid('extract spec', [{ role: 'user', content: session.options.request }]);
  } catch (error) {
    throw session.fail(error);
  }
  if (started.ownLog) session.rebrand(`${valid.spec.name}@${valid.spec.version}`);
  return extractionResult(started, valid);
}

/** The result of a (possibly repaired) extraction, from the session's current state. */
export function extractionResult(started: StartedSession, valid: ValidSpec): SpecFromPromptResult {
  const { session } = started;
  return {
    spec: valid.spec,
    input: valid.input,
    log: session.log,
    envRefs: envReferences(valid.spec),
    prompt: started.prompt,
    warnings: [...started.warnings, ...valid.warnings],
    rounds: session.rounds,
    llm: { provider: session.options.llm.provider, model: session.options.llm.model },
    ...(started.research ? { research: started.research } : {}),
  };
}
