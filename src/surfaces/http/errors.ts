/**
 * One error shape for every failure of the HTTP API: `{ error, message, details, timestamp }`, where `error` is a
 * stable code from src/errors/codes.ts and `details` carries the hint and, for spec validation, the issues.
 */
import { ERROR_CODES, type ErrorCode, FactoryError, type Issue } from '../../core/errors/index.js';

export interface ErrorBody {
  error: ErrorCode;
  message: string;
  details: Record<string, unknown>;
  timestamp: string;
}

/**
 * HTTP status by error code. Keyed by plain strings so that codes other modules add or rename never break this
 * table; codes not listed fall back by name (`*_NOT_FOUND` 404, `*_EXISTS`/`*_CONFLICT` 409, `*_UNAVAILABLE`
 * 503, `SPEC_*` 422) and then by kind (user 400, internal 500).
 */
const STATUS: Record<string, number> = {
  API_UNAUTHORIZED: 401,
  API_FORBIDDEN_HOST: 403,
  API_SERVER_QUOTA_EXCEEDED: 403,
  API_NOT_FOUND: 404,
  TOOL_NOT_FOUND: 404,
  API_METHOD_NOT_ALLOWED: 405,
  OUTPUT_EXISTS: 409,
  NOT_DEPLOYED: 409,
  DEPLOYMENT_NOT_RUNNING: 409,
  SUPERVISOR_RUNNING: 409,
  API_BODY_TOO_LARGE: 413,
  SPEC_TOO_LARGE: 413,
  NL_PROMPT_TOO_LONG: 413,
  SECURITY_BLOCKED: 422,
  TYPECHECK_FAILED: 422,
  GENERATED_TESTS_FAILED: 422,
  DEPLOY_MISSING_ENV: 422,
  API_RATE_LIMITED: 429,
  TOKEN_STORE_INVALID: 500,
  REGISTRY_INCOMPATIBLE: 500,
  NO_LLM_PROVIDER: 501,
  LLM_NOT_CONFIGURED: 501,
  SERVER_START_FAILED: 502,
  TOOL_CALL_FAILED: 502,
  DEPLOY_FAILED: 502,
  DOCKER_BUILD_FAILED: 502,
  DOCKER_RUN_FAILED: 502,
  LLM_AUTH: 502,
  LLM_RATE_LIMITED: 502,
  LLM_REFUSED: 502,
  LLM_BAD_OUTPUT: 502,
  LLM_PROVIDER_ERROR: 502,
  RESEARCH_FAILED: 502,
  API_BUSY: 503,
  DEPLOY_TARGET_UNAVAILABLE: 503,
  DEPLOY_TIMEOUT: 504,
  LLM_TIMEOUT: 504,
};

/** The HTTP status of an error code. */
export function statusOf(code: ErrorCode): number {
  const known = STATUS[code];
  if (known !== undefined) return known;
  if (code.startsWith('SPEC_')) return 422;
  if (code.endsWith('_NOT_FOUND')) return 404;
  if (code.endsWith('_CONFLICT') || code.endsWith('_EXISTS')) return 409;
  if (code.endsWith('_UNAVAILABLE')) return 503;
  return ERROR_CODES[code]?.kind === 'internal' ? 500 : 400;
}

/** `message` and `details` of any thrown value; unknown errors become INTERNAL without leaking stack traces. */
export function errorBody(error: unknown, now: Date = new Date()): ErrorBody {
  const timestamp = now.toISOString();
  if (error instanceof FactoryError) {
    const details: Record<string, unknown> = {
      hint: typeof error.details?.hint === 'string' ? error.details.hint : ERROR_CODES[error.code].hint,
      ...(error.issues.length ? { issues: error.issues.map(plainIssue) } : {}),
      ...withoutHint(error.details),
    };
    return { error: error.code, message: error.message, details, timestamp };
  }
  return {
    error: 'INTERNAL',
    message: 'internal error',
    details: { hint: ERROR_CODES.INTERNAL.hint },
    timestamp,
  };
}

function withoutHint(details: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!details) return {};
  const { hint: _hint, output, ...rest } = details;
  // Compiler / test output can be long; keep the start, which holds the first error.
  return typeof output === 'string' ? { ...rest, output: output.slice(0, 4000) } : rest;
}

function plainIssue(issue: Issue): Issue {
  return {
    code: issue.code,
    message: issue.message,
    path: issue.path,
    hint: issue.hint,
    ...(issue.file !== undefined ? { file: issue.file } : {}),
    ...(issue.line !== undefined ? { line: issue.line } : {}),
    ...(issue.column !== undefined ? { column: issue.column } : {}),
  };
}

export function errorResponse(error: unknown, headers: Record<string, string> = {}): Response {
  const body = errorBody(error);
  const status = error instanceof FactoryError ? statusOf(error.code) : 500;
  return json(status, body, headers);
}

export function apiError(
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
  issues?: Issue[],
): FactoryError {
  return new FactoryError(code, message, {
    ...(details ? { details } : {}),
    ...(issues ? { issues } : {}),
  });
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(`${JSON.stringify(body)}\n`, {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}
