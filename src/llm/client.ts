/**
 * One JSON-producing LLM call through the Vercel AI SDK, with what MCP Factory needs around it: a per-attempt
 * timeout, retries with exponential backoff that honour Retry-After (429, 5xx, network errors, timeouts), refusal
 * detection, clear FactoryErrors, and an execution-log record of every call (prompts, raw answer, tokens, latency,
 * estimated cost, retries). The answer is returned as text plus a lenient parse: it is data, never executed.
 *
 * The SDK's own retries are off (maxRetries: 0) so the retry count is exact, a Retry-After longer than
 * `maxRetryAfterMs` fails fast with LLM_RATE_LIMITED instead of hammering the provider, and tests can shorten the
 * backoff.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { JSONSchema7, LanguageModel, ModelMessage } from 'ai';
import { FactoryError } from '../core/errors/index.js';
import type { ExecutionLog } from '../platform/execution-log.js';
import { type LlmConfig, resolveApiKey, type StructuredOutputMode } from './config.js';
import { AttemptTimeout, classifyError, type FailureClass, toFactoryError } from './errors.js';
import { type JsonAnswer, looksLikeRefusal, parseJsonAnswer } from './json.js';
import { estimateCostUsd, type ModelPrice } from './pricing.js';
import { createLanguageModel, providerOptionsFor } from './providers.js';
import { redact } from './redact.js';

export interface LlmMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface JsonRequest {
  /** What the call is for (shown in progress events), e.g. "extract spec". */
  purpose: string;
  system: string;
  messages: LlmMessage[];
  /** JSON Schema of the expected object (sent as structured output in `schema` mode). */
  schema?: Record<string, unknown>;
  schemaName?: string;
  signal?: AbortSignal;
  /** Overrides the client's log for this call. */
  log?: ExecutionLog;
}

export interface JsonReply {
  /** The raw answer text (for Anthropic's JSON tool: the tool input as JSON). */
  text: string;
  json: JsonAnswer;
  finishReason: string;
  tokensIn: number;
  tokensOut: number;
  latencyMs: number;
  retries: number;
  estimatedCostUsd: number | undefined;
}

export type LlmEvent =
  | { type: 'retry'; purpose: string; attempt: number; delayMs: number; reason: string }
  | {
      type: 'call';
      purpose: string;
      latencyMs: number;
      tokensIn: number;
      tokensOut: number;
      retries: number;
    };

/** What the NL pipeline needs from a model; implement it to plug in any other backend. */
export interface LlmClient {
  readonly provider: string;
  readonly model: string;
  readonly structuredOutput: StructuredOutputMode;
  generateJson(request: JsonRequest): Promise<JsonReply>;
}

export interface LlmClientOptions {
  env?: Record<string, string | undefined>;
  log?: ExecutionLog;
  /** Custom fetch for the provider client (proxies, tests). */
  fetch?: typeof globalThis.fetch;
  /** A ready model instead of one built from the config (custom providers). */
  languageModel?: LanguageModel;
  /** First backoff delay; doubled per retry, ±20 % jitter, capped at 30 s. Default 1000 ms. */
  retryBaseMs?: number;
  /** A Retry-After longer than this fails at once with LLM_RATE_LIMITED. Default 60 s. */
  maxRetryAfterMs?: number;
  prices?: Readonly<Record<string, ModelPrice>>;
  onEvent?: (event: LlmEvent) => void;
}

/** Build the client for a resolved configuration (reads the API key from its variable now). */
export async function createLlmClient(config: LlmConfig, options: LlmClientOptions = {}): Promise<LlmClient> {
  const apiKey = options.languageModel ? undefined : resolveApiKey(config, options.env ?? process.env);
  // Loaded here, not at import time: the SDK costs ~150 ms to load and only NL sources need it.
  const sdk = await import('ai');
  const model = options.languageModel ?? (await createLanguageModel(config, apiKey, options.fetch));
  return new SdkLlmClient(config, model, options, sdk);
}

type Sdk = typeof import('ai');

const loggedSystemPrompts = new WeakMap<ExecutionLog, Map<string, number>>();

class SdkLlmClient implements LlmClient {
  readonly provider: string;
  readonly model: string;
  readonly structuredOutput: StructuredOutputMode;

  constructor(
    private readonly config: LlmConfig,
    private readonly languageModel: LanguageModel,
    private readonly options: LlmClientOptions,
    private readonly sdk: Sdk,
  ) {
    this.provider = config.provider;
    this.model = config.model;
    this.structuredOutput = config.structuredOutput;
  }

  async generateJson(request: JsonRequest): Promise<JsonReply> {
    const { config, options } = this;
    const { generateText, jsonSchema, NoObjectGeneratedError, Output } = this.sdk;
    const log = request.log ?? options.log;
    const messages: ModelMessage[] = request.messages.map((m) => ({ role: m.role, content: m.content }));
    const started = performance.now();
    let attempt = 0;
    for (;;) {
      attempt++;
      const timer = new AbortController();
      const timeout = setTimeout(() => timer.abort(new AttemptTimeout(config.timeoutMs)), config.timeoutMs);
      const signal = request.signal ? AbortSignal.any([request.signal, timer.signal]) : timer.signal;
      let text: string;
      let finishReason: string;
      let usage: { inputTokens?: number | undefined; outputTokens?: number | undefined } | undefined;
      try {
        const result = await generateText({
          model: this.languageModel,
          system: request.system,
          messages,
          output:
            request.schema && config.structuredOutput === 'schema'
              ? Output.object({
                  schema: jsonSchema(request.schema as JSONSchema7),
                  ...(request.schemaName ? { name: request.schemaName } : {}),
                })
              : Output.json(request.schemaName ? { name: request.schemaName } : {}),
          temperature: config.temperature,
          ...(config.maxOutputTokens ? { maxOutputTokens: config.maxOutputTokens } : {}),
          maxRetries: 0,
          abortSignal: signal,
          providerOptions: providerOptionsFor(config),
        });
        text = result.text;
        finishReason = result.finishReason;
        usage = result.usage;
      } catch (error) {
        if (NoObjectGeneratedError.isInstance(error)) {
          // The model answered, but not with parseable JSON: a repairable answer, not a transport failure.
          text = error.text ?? '';
          finishReason = error.finishReason ?? 'other';
          usage = error.usage;
        } else {
          clearTimeout(timeout);
          if (request.signal?.aborted) throw request.signal.reason ?? error;
          const failure = classifyError(error, timer.signal.aborted, this.sdk);
          const delay = this.retryDelay(failure, attempt);
          if (delay !== undefined) {
            options.onEvent?.({
              type: 'retry',
              purpose: request.purpose,
              attempt,
              delayMs: delay,
              reason: failure.status ? `HTTP ${failure.status}` : failure.kind,
            });
            await sleep(delay, undefined, request.signal ? { signal: request.signal } : undefined);
            continue;
          }
          const latencyMs = performance.now() - started;
          const factoryError = toFactoryError(
            failure,
            {
              provider: config.provider,
              model: config.model,
              apiKeyEnv: config.apiKeyEnv,
              baseUrl: config.baseUrl,
              timeoutMs: config.timeoutMs,
              attempts: attempt,
            },
            error,
          );
          this.record(
            log,
            request,
            `ERROR ${factoryError.code}: ${factoryError.message}`,
            0,
            0,
            latencyMs,
            attempt - 1,
          );
          throw factoryError;
        }
      } finally {
        clearTimeout(timeout);
      }
      const latencyMs = performance.now() - started;
      const tokensIn = usage?.inputTokens ?? 0;
      const tokensOut = usage?.outputTokens ?? 0;
      const estimatedCostUsd = this.record(log, request, text, tokensIn, tokensOut, latencyMs, attempt - 1);
      options.onEvent?.({
        type: 'call',
        purpose: request.purpose,
        latencyMs,
        tokensIn,
        tokensOut,
        retries: attempt - 1,
      });
      const json = parseJsonAnswer(text);
      if (finishReason === 'content-filter' || (!json.ok && looksLikeRefusal(text))) {
        const why =
          finishReason === 'content-filter'
            ? 'the answer was refused or blocked by a content filter'
            : 'the model declined';
        const message = `${config.provider} (${config.model}) refused: ${why}${text ? `: ${redact(text).slice(0, 300)}` : ''}`;
        throw new FactoryError('LLM_REFUSED', message, {
          issues: [
            {
              code: 'LLM_REFUSED',
              message,
              path: '',
              hint: 'Describe the server differently; harmful tools (shell access, backdoors, exfiltration) are refused by design.',
            },
          ],
          details: { provider: config.provider, model: config.model, finishReason },
        });
      }
      return {
        text,
        json:
          !json.ok && finishReason === 'length'
            ? { ok: false, error: `${json.error} (the answer was cut off at the output token limit)` }
            : json,
        finishReason,
        tokensIn,
        tokensOut,
        latencyMs,
        retries: attempt - 1,
        estimatedCostUsd,
      };
    }
  }

  /** Milliseconds to wait before the next attempt, or undefined when the failure is final. */
  private retryDelay(failure: FailureClass, attempt: number): number | undefined {
    if (!failure.retryable || attempt > this.config.maxRetries) return undefined;
    const maxAfter = this.options.maxRetryAfterMs ?? 60_000;
    if (failure.retryAfterMs !== undefined) {
      return failure.retryAfterMs > maxAfter ? undefined : failure.retryAfterMs;
    }
    const base = this.options.retryBaseMs ?? 1000;
    const jitter = 0.8 + Math.random() * 0.4;
    return Math.min(30_000, Math.round(base * 2 ** (attempt - 1) * jitter));
  }

  private record(
    log: ExecutionLog | undefined,
    request: JsonRequest,
    rawResponse: string,
    tokensIn: number,
    tokensOut: number,
    latencyMs: number,
    retries: number,
  ): number | undefined {
    const estimatedCostUsd = estimateCostUsd(this.config.model, tokensIn, tokensOut, this.options.prices);
    if (!log) return estimatedCostUsd;
    let seen = loggedSystemPrompts.get(log);
    if (!seen) {
      seen = new Map();
      loggedSystemPrompts.set(log, seen);
    }
    const earlier = seen.get(request.system);
    const systemPrompt =
      earlier === undefined
        ? redact(request.system)
        : `(the same system prompt as LLM call ${earlier}, ${request.system.length} characters)`;
    if (earlier === undefined) seen.set(request.system, log.llmCalls.length + 1);
    log.logLlmCall({
      provider: this.config.provider,
      model: this.config.model,
      systemPrompt,
      userPrompt: renderMessages(request.messages),
      rawResponse: redact(rawResponse),
      tokensIn,
      tokensOut,
      latencyMs: Math.round(latencyMs),
      ...(estimatedCostUsd !== undefined ? { estimatedCostUsd } : {}),
      retries,
    });
    return estimatedCostUsd;
  }
}

const ASSISTANT_LOG_LIMIT = 2000;

/** The conversation as one text for the log; earlier answers are shortened (they are logged as responses). */
function renderMessages(messages: LlmMessage[]): string {
  if (messages.length === 1 && messages[0]?.role === 'user') return redact(messages[0].content);
  return messages
    .map((m) => {
      const content =
        m.role === 'assistant' && m.content.length > ASSISTANT_LOG_LIMIT
          ? `${m.content.slice(0, ASSISTANT_LOG_LIMIT)}… (${m.content.length - ASSISTANT_LOG_LIMIT} more characters: the response of an earlier call)`
          : m.content;
      return `[${m.role}]\n${redact(content)}`;
    })
    .join('\n\n');
}
