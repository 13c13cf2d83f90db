/**
 * Provider failures → what to do (retry or not, how long to wait) and, finally, a FactoryError with a stable
 * code and a hint: LLM_AUTH, LLM_RATE_LIMITED, LLM_TIMEOUT, LLM_PROVIDER_ERROR, LLM_NOT_CONFIGURED.
 */
import type { APICallError } from 'ai';
import { type ErrorCode, FactoryError } from '../core/errors/index.js';
import { redact } from './redact.js';

export type FailureKind =
  | 'auth'
  | 'rate-limit'
  | 'timeout'
  | 'server'
  | 'network'
  | 'not-found'
  | 'request'
  | 'not-configured'
  | 'unknown';

export interface FailureClass {
  kind: FailureKind;
  retryable: boolean;
  status?: number;
  /** From Retry-After / retry-after-ms, when the provider sent one. */
  retryAfterMs?: number;
  /** The provider's own message (redacted). */
  message: string;
}

/** Marks an abort caused by our per-attempt timer (as opposed to the caller's signal). */
export class AttemptTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'AttemptTimeout';
  }
}

export function parseRetryAfter(
  headers: Record<string, string> | undefined,
  now = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const ms = lower['retry-after-ms'];
  if (ms !== undefined && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const after = lower['retry-after'];
  if (after === undefined || after.trim() === '') return undefined;
  if (Number.isFinite(Number(after))) return Math.max(0, Number(after) * 1000);
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function providerMessage(error: APICallError): string {
  let message = error.message;
  const body = error.responseBody;
  if (body && (!message || /^(?:Bad Request|Unauthorized|Forbidden|Too Many Requests)$/i.test(message))) {
    message = body.slice(0, 500);
  }
  return redact(message);
}

/** The AI SDK's error classes (passed in: the SDK is loaded only when a provider is used). */
export interface SdkErrors {
  APICallError: { isInstance(error: unknown): error is APICallError };
  LoadAPIKeyError: { isInstance(error: unknown): error is Error };
  RetryError: { isInstance(error: unknown): error is Error & { lastError: unknown } };
}

export function classifyError(error: unknown, timedOut: boolean, sdk: SdkErrors): FailureClass {
  const { APICallError, LoadAPIKeyError, RetryError } = sdk;
  if (error instanceof AttemptTimeout || timedOut) {
    return { kind: 'timeout', retryable: true, message: 'the provider did not answer in time' };
  }
  if (RetryError.isInstance(error) && error.lastError !== undefined)
    return classifyError(error.lastError, false, sdk);
  if (LoadAPIKeyError.isInstance(error)) {
    return { kind: 'not-configured', retryable: false, message: redact(error.message) };
  }
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    const message = providerMessage(error);
    const retryAfterMs = parseRetryAfter(error.responseHeaders);
    const extra = retryAfterMs === undefined ? {} : { retryAfterMs };
    if (status === undefined) return { kind: 'network', retryable: true, message };
    if (status === 401 || status === 403) return { kind: 'auth', retryable: false, status, message };
    // Gemini answers 400 INVALID_ARGUMENT for a wrong key.
    if (
      status === 400 &&
      /api[ _]?key (?:not valid|invalid)|API_KEY_INVALID/i.test(message + (error.responseBody ?? ''))
    )
      return { kind: 'auth', retryable: false, status, message };
    if (status === 429) return { kind: 'rate-limit', retryable: true, status, message, ...extra };
    if (status === 408 || status === 504)
      return { kind: 'timeout', retryable: true, status, message, ...extra };
    if (status === 404) return { kind: 'not-found', retryable: false, status, message };
    if (status >= 500) return { kind: 'server', retryable: true, status, message, ...extra };
    return { kind: 'request', retryable: error.isRetryable, status, message };
  }
  if (error instanceof TypeError && /fetch failed|failed to fetch/i.test(error.message)) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    return { kind: 'network', retryable: true, message: cause ?? error.message };
  }
  return { kind: 'unknown', retryable: false, message: redact((error as Error)?.message ?? String(error)) };
}

export interface FailureContext {
  provider: string;
  model: string;
  apiKeyEnv: string | undefined;
  baseUrl: string | undefined;
  timeoutMs: number;
  attempts: number;
}

/** The FactoryError for a call that failed for good (after the retries it was allowed). */
export function toFactoryError(failure: FailureClass, ctx: FailureContext, cause?: unknown): FactoryError {
  const who = `${ctx.provider} (${ctx.model})`;
  const tries = ctx.attempts > 1 ? ` after ${ctx.attempts} attempts` : '';
  const status = failure.status ? ` ${failure.status}` : '';
  let code: ErrorCode;
  let message: string;
  let hint: string;
  switch (failure.kind) {
    case 'auth':
      code = 'LLM_AUTH';
      message = `${who} rejected the API key (HTTP${status}): ${failure.message}`;
      hint = ctx.apiKeyEnv
        ? `Check the key in ${ctx.apiKeyEnv} and that the account may use ${ctx.model}.`
        : 'Set --api-key-env to the variable that holds the key for this endpoint.';
      break;
    case 'rate-limit':
      code = 'LLM_RATE_LIMITED';
      message = `${who} is rate-limiting requests (HTTP 429)${tries}${
        failure.retryAfterMs !== undefined
          ? `; it asks to wait ${Math.ceil(failure.retryAfterMs / 1000)} s`
          : ''
      }: ${failure.message}`;
      hint = 'Wait and retry, raise --max-retries, or check the quota of the account.';
      break;
    case 'timeout':
      code = 'LLM_TIMEOUT';
      message = `${who} did not answer within ${ctx.timeoutMs} ms${tries}`;
      hint = 'Retry, or raise --timeout (MCP_FACTORY_LLM_TIMEOUT_MS); local models may need several minutes.';
      break;
    case 'not-configured':
      code = 'LLM_NOT_CONFIGURED';
      message = `${who}: ${failure.message}`;
      hint = `Export the API key${ctx.apiKeyEnv ? ` in ${ctx.apiKeyEnv}` : ''}.`;
      break;
    case 'network':
      code = 'LLM_PROVIDER_ERROR';
      message = `cannot reach ${who}${ctx.baseUrl ? ` at ${ctx.baseUrl}` : ''}${tries}: ${failure.message}`;
      hint = ctx.baseUrl
        ? `Check --base-url ${ctx.baseUrl} (is the server, e.g. Ollama, running?) and the network.`
        : 'Check the network connection (and any proxy).';
      break;
    case 'not-found':
      code = 'LLM_PROVIDER_ERROR';
      message = `${who}: not found (HTTP 404): ${failure.message}`;
      hint = `Check --model (${ctx.model}) and --base-url.`;
      break;
    case 'server':
      code = 'LLM_PROVIDER_ERROR';
      message = `${who} failed (HTTP${status})${tries}: ${failure.message}`;
      hint = 'The provider had a server error; retry later.';
      break;
    default:
      code = 'LLM_PROVIDER_ERROR';
      message = `${who} call failed${status ? ` (HTTP${status})` : ''}: ${failure.message}`;
      hint = 'Check --model and --base-url; the message shows the provider answer.';
  }
  return new FactoryError(code, message, {
    issues: [{ code, message, path: '', hint }],
    details: {
      provider: ctx.provider,
      model: ctx.model,
      attempts: ctx.attempts,
      ...(failure.status ? { status: failure.status } : {}),
      ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}),
    },
    cause,
  });
}
