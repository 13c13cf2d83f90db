/**
 * `create --prompt "…"`: a natural-language description as a spec source. The model's spec is validated (and
 * repaired) like every other source; the returned `create` builds it with the build repair loop (type errors,
 * security findings and failing tests go back to the same model) and the LLM calls in the execution log.
 * The NL/LLM modules (and the AI SDK) are loaded only when this source is used.
 */
import { readFileSync } from 'node:fs';
import type { CreateOptions, CreateResult, ProgressEvent } from '../../build/create.js';
import { FactoryError } from '../../core/errors/index.js';
import type { LlmSettings, ProviderName } from '../../llm/config.js';
import type { ExecutionLog } from '../../platform/execution-log.js';
import type { EnvReference } from '../../sources/nl/checks.js';
import type { RoundRecord } from '../../sources/nl/session.js';
import type { ResolvedSource } from './sources.js';

export interface PromptSourceOptions {
  /** The description (--prompt). */
  prompt?: string;
  /** Read the description from a file; '-' reads standard input (--prompt-file). */
  promptFile?: string;
  provider?: string;
  model?: string;
  /** Name of the variable holding the API key (--api-key-env). */
  apiKeyEnv?: string;
  baseUrl?: string;
  temperature?: string | number;
  maxRetries?: string | number;
  /** Seconds per LLM call attempt (--timeout). */
  timeout?: string | number;
  /** --research: web search (Tavily, TAVILY_API_KEY) before extraction. */
  research?: boolean;
  /** Spec repair rounds (default 3); also used for build repair rounds. */
  maxRepairs?: string | number;
  name?: string;
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
  /** For tests: environment, config file and provider-client options. */
  env?: Record<string, string | undefined>;
  configFile?: string | false;
  clientOptions?: { fetch?: typeof globalThis.fetch; retryBaseMs?: number };
}

export interface PromptCreateOptions {
  outDir: string;
  force?: boolean;
  typecheck?: boolean;
  runTests?: boolean;
  securityThreshold?: CreateOptions['securityThreshold'];
  testEnv?: NodeJS.ProcessEnv;
  onProgress?: (event: ProgressEvent) => void;
}

export interface PromptReport {
  provider: string;
  model: string;
  envRefs: EnvReference[];
  warnings: string[];
  rounds: RoundRecord[];
}

export interface PromptSource extends ResolvedSource {
  report: PromptReport;
  /** The execution log so far (LLM calls); pass it as `log` if you build with createServerProject yourself. */
  log: ExecutionLog;
  envRefs: EnvReference[];
  /** Lines worth showing the user: environment variables to set, warnings. */
  notes: string[];
  /** Build with the repair loop; use it instead of createServerProject for this source. */
  create(options: PromptCreateOptions): Promise<CreateResult>;
}

function usage(message: string, hint: string): FactoryError {
  return new FactoryError('INVALID_ARGUMENTS', message, {
    issues: [{ code: 'INVALID_ARGUMENTS', message, path: '', hint }],
  });
}

function number(value: string | number | undefined, flag: string, integer: boolean): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value.trim());
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)))
    throw usage(`${flag} ${value}: expected ${integer ? 'an integer' : 'a number'}`, `e.g. ${flag} 2`);
  return n;
}

function readDescription(opts: PromptSourceOptions): string {
  if (opts.prompt !== undefined && opts.promptFile !== undefined)
    throw usage('give --prompt or --prompt-file, not both', 'e.g. --prompt "A server that …"');
  if (opts.promptFile === undefined) return opts.prompt ?? '';
  try {
    return readFileSync(opts.promptFile === '-' ? 0 : opts.promptFile, 'utf8');
  } catch (error) {
    throw usage(
      `cannot read ${opts.promptFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      'Check the path of --prompt-file.',
    );
  }
}

/** The LLM settings given on the command line (the highest configuration layer). */
export function promptFlags(opts: PromptSourceOptions): LlmSettings {
  const timeout = number(opts.timeout, '--timeout', false);
  const settings: LlmSettings = {
    ...(opts.provider !== undefined ? { provider: opts.provider as ProviderName } : {}),
    ...(opts.model !== undefined ? { model: opts.model } : {}),
    ...(opts.apiKeyEnv !== undefined ? { apiKeyEnv: opts.apiKeyEnv } : {}),
    ...(opts.baseUrl !== undefined ? { baseUrl: opts.baseUrl } : {}),
  };
  const temperature = number(opts.temperature, '--temperature', false);
  if (temperature !== undefined) settings.temperature = temperature;
  const maxRetries = number(opts.maxRetries, '--max-retries', true);
  if (maxRetries !== undefined) settings.maxRetries = maxRetries;
  if (timeout !== undefined) settings.timeoutMs = Math.round(timeout * 1000);
  return settings;
}

/** Resolve a --prompt source: the model's validated spec plus a `create` that repairs failed builds. */
export async function resolvePromptSource(opts: PromptSourceOptions): Promise<PromptSource> {
  const description = readDescription(opts);
  const llmSettings = promptFlags(opts);
  const maxRepairs = number(opts.maxRepairs, '--max-repairs', true);
  const { draftFromPrompt, formatEnvReferences } = await import('../../sources/nl/index.js');
  const draft = await draftFromPrompt(description, {
    llmSettings,
    ...(maxRepairs !== undefined ? { maxRepairs } : {}),
    ...(opts.research !== undefined ? { research: opts.research } : {}),
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.configFile !== undefined ? { configFile: opts.configFile } : {}),
    ...(opts.clientOptions ? { clientOptions: opts.clientOptions } : {}),
  });
  const notes = [
    ...(draft.envRefs.length
      ? [
          'Set these environment variables when running the server:',
          ...formatEnvReferences(draft.envRefs).map((l) => `  ${l}`),
        ]
      : []),
    ...draft.warnings.map((w) => `warning: ${w}`),
  ];
  return {
    spec: draft.spec,
    input: draft.input,
    specDir: process.cwd(),
    origin: `prompt (${draft.llm.provider} ${draft.llm.model})`,
    report: {
      provider: draft.llm.provider,
      model: draft.llm.model,
      envRefs: draft.envRefs,
      warnings: draft.warnings,
      rounds: draft.rounds,
    },
    log: draft.log,
    envRefs: draft.envRefs,
    notes,
    async create(options: PromptCreateOptions): Promise<CreateResult> {
      const built = await draft.build({
        outDir: options.outDir,
        ...(options.force !== undefined ? { force: options.force } : {}),
        ...(options.typecheck !== undefined ? { typecheck: options.typecheck } : {}),
        ...(options.runTests !== undefined ? { runTests: options.runTests } : {}),
        ...(options.securityThreshold ? { securityThreshold: options.securityThreshold } : {}),
        ...(options.testEnv ? { testEnv: options.testEnv } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(maxRepairs !== undefined ? { maxBuildRepairs: maxRepairs } : {}),
      });
      return built.result;
    },
  };
}
