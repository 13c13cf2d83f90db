/**
 * What the repositories share: the Kysely handle type (a connection or a transaction — every repository method
 * takes one, so the Registry decides what runs in which transaction), JSON column parsing, batching, and the
 * not-found error. Repositories check nothing about their inputs: the Registry validates before calling them.
 */
import type { Kysely } from 'kysely';
import { FactoryError } from '../../core/errors/index.js';
import type { Backend, RegistryDatabase } from '../schema.js';

/** A connection or a transaction (Transaction extends Kysely). */
export type Db = Kysely<RegistryDatabase>;

/** What a repository needs to know about the store it runs on. */
export interface StoreTraits {
  backend: Backend;
  /** SQLite with FTS5 and its index table. */
  fts: boolean;
}

/** Rows per multi-row INSERT (keeps statements under the backends' parameter limits). */
const CHUNK = 200;

export const now = (): string => new Date().toISOString();

/** A JSON column: an object on PostgreSQL (jsonb), a string on SQLite. */
export function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

export function asObject(value: unknown): Record<string, unknown> {
  const v = parseJson(value);
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function notFound(message: string, details: Record<string, unknown>): FactoryError {
  return new FactoryError('REGISTRY_NOT_FOUND', message, { details });
}
