/**
 * The query tool's guard: one read-only statement, checked by the dialect's own parser (sql-guard-<dialect>.ts,
 * imported by the generated server next to its driver, so a server bundles only the parsers it needs).
 * Contract: a guard returns the exact text to run, or throws a ToolError saying what was refused and how to
 * fix it. Anything it does not understand is refused (fail closed). The read-only transaction, the timeout
 * and least-privilege database roles stay in place behind it.
 */
import { ToolError } from './errors.js';
import type { SqlDatabase, SqlKind } from './sql.js';

export interface GuardContext {
  /** The connection the query will run on (SQLite asks its own engine to compile the statement). */
  db: SqlDatabase;
  /** The caller's parameter values, bound when the engine compiles the statement. */
  params: unknown[];
}

export type QueryGuard = (sql: string, context: GuardContext) => Promise<string>;

const guards = new Map<SqlKind, QueryGuard>();

/** Called by each dialect's guard module when it is loaded. */
export function registerQueryGuard(kinds: SqlKind[], guard: QueryGuard): void {
  for (const kind of kinds) guards.set(kind, guard);
}

/** Check `sql` for the query tool of a `dialect` connection; returns the statement to run. */
export async function guardQuery(
  dialect: SqlKind | undefined,
  sql: string,
  context: GuardContext,
): Promise<string> {
  const guard = dialect ? guards.get(dialect) : undefined;
  if (!guard) {
    throw new ToolError(
      `the query tool has no SQL guard for ${dialect ?? 'this'} connections in this server, so it runs nothing; regenerate the server with mcp-factory`,
    );
  }
  if (sql.trim() === '') throw new ToolError('the query is empty: pass one SELECT statement in `sql`');
  if (sql.length > MAX_QUERY_CHARS) {
    throw new ToolError(`the query is ${sql.length} characters; at most ${MAX_QUERY_CHARS} are accepted`);
  }
  if (sql.includes('\0')) throw new ToolError('the query contains a NUL character; remove it');
  return guard(sql, context);
}

/** Longer texts are refused before parsing (parse time grows with size). */
export const MAX_QUERY_CHARS = 100_000;

/** A refusal with the shared wording: what was found, and how to write the query instead. */
export function refuse(what: string, fix: string): never {
  throw new ToolError(`query refused: ${what}. ${fix}`);
}

export const READ_ONLY_FIX =
  'Only one read-only statement is accepted (SELECT, WITH … SELECT, VALUES, or EXPLAIN of one)';

/** Refuse a function that is not on the dialect's allow-list of what read-only queries need. */
export function refuseFunction(name: string): never {
  refuse(
    `function ${name}() is not on the allow-list of read-only functions (file, lock, admin, session, sleep and user-defined functions are refused)`,
    'Use built-in aggregate, window, math, string, date/time, JSON and conditional functions only',
  );
}

/** Names as listed in one space-separated string, lower-cased. */
export function nameSet(...lists: string[]): ReadonlySet<string> {
  return new Set(lists.flatMap((l) => l.trim().toLowerCase().split(/\s+/)));
}
