/**
 * One error shape for every failure of the HTTP API: `{ error, message, details, timestamp }`, where `error` is a
 * stable code from src/core/errors/codes.ts and `details` carries the hint and, for spec validation, the issues.
 * The response status is the code's `status` in that same table.
 */
import { ERROR_CODES, type ErrorCode, FactoryError, type Issue } from '../../core/errors/index.js';

export interface ErrorBody {
  error: ErrorCode;
  message: string;
  details: Record<string, unknown>;
  timestamp: string;
}

/** The HTTP status of an error code: the `status` column of the error table (src/core/errors/codes.ts). */
export function statusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
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
