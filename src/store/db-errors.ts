/**
 * Database errors → registry errors. Lock contention (SQLITE_BUSY, PostgreSQL deadlocks and serialization
 * failures) is retried with jittered backoff; what remains becomes a FactoryError, never a raw driver error.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { FactoryError } from '../core/errors/index.js';

interface DriverError {
  code?: unknown;
  message?: unknown;
  constraint?: unknown;
}

function codeOf(error: unknown): string {
  const code = (error as DriverError | null)?.code;
  return typeof code === 'string' ? code : '';
}

function messageOf(error: unknown): string {
  const message = (error as DriverError | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

/** Lock contention that a retry of the whole transaction resolves. */
export function isRetryable(error: unknown): boolean {
  const code = codeOf(error);
  return (
    code.startsWith('SQLITE_BUSY') ||
    code.startsWith('SQLITE_LOCKED') ||
    code === '40001' || // serialization_failure
    code === '40P01' // deadlock_detected
  );
}

export function isUniqueViolation(error: unknown): boolean {
  const code = codeOf(error);
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '3D000', // invalid_catalog_name (database does not exist)
  '28000', // invalid_authorization_specification
  '28P01', // invalid_password
]);

function isUnavailable(error: unknown): boolean {
  const code = codeOf(error);
  if (UNAVAILABLE_CODES.has(code) || code.startsWith('08')) return true;
  if (/^SQLITE_(CANTOPEN|READONLY|IOERR|FULL|PERM|AUTH)/.test(code)) return true;
  return /Connection terminated|timeout expired|Client has encountered a connection error/i.test(
    messageOf(error),
  );
}

/** The file is not a database, or a damaged one: retrying or waiting cannot help; a backup can. */
export function isCorrupt(error: unknown): boolean {
  return (
    /^SQLITE_(CORRUPT|NOTADB)/.test(codeOf(error)) ||
    /file is not a database|database disk image is malformed/i.test(messageOf(error))
  );
}

/** Wrap anything that is not already a FactoryError. */
export function toRegistryError(error: unknown, what: string): FactoryError {
  if (error instanceof FactoryError) return error;
  const code = codeOf(error);
  const message = messageOf(error);
  if (isCorrupt(error)) {
    return new FactoryError('REGISTRY_CORRUPT', `${what}: ${message}`, {
      details: { driverCode: code },
      cause: error,
    });
  }
  if (isRetryable(error)) {
    return new FactoryError('REGISTRY_UNAVAILABLE', `${what}: the registry stayed locked by other writers`, {
      details: { driverCode: code },
      cause: error,
    });
  }
  if (isUnavailable(error)) {
    return new FactoryError('REGISTRY_UNAVAILABLE', `${what}: ${message}`, {
      details: { driverCode: code },
      cause: error,
    });
  }
  if (isUniqueViolation(error)) {
    return new FactoryError('REGISTRY_CONFLICT', `${what}: a concurrent change created the same entry`, {
      details: { driverCode: code },
      cause: error,
    });
  }
  return new FactoryError('INTERNAL', `${what}: ${message}`, { details: { driverCode: code }, cause: error });
}

export interface RetryOptions {
  /** Attempts in all (≥ 1). */
  attempts: number;
  /** First backoff; doubled per attempt, with full jitter, capped at 1 s. */
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 8, baseDelayMs: 10 };

/**
 * Run `fn`, re-running it on lock contention. `fn` must be a whole transaction (or a single statement):
 * a failed attempt has been rolled back, so running it again is safe.
 */
export async function withRetry<T>(
  what: string,
  fn: () => Promise<T>,
  options: RetryOptions = DEFAULT_RETRY,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof FactoryError) throw error;
      if (!isRetryable(error) || attempt >= options.attempts) throw toRegistryError(error, what);
      const cap = Math.min(1000, options.baseDelayMs * 2 ** (attempt - 1));
      await sleep(Math.random() * cap);
    }
  }
}
