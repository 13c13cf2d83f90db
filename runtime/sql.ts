/**
 * One small interface over PostgreSQL, MySQL/MariaDB and SQLite. Statements arrive already compiled to the
 * driver's placeholder style; values are always bound, never spliced into SQL text.
 */
import { ToolError } from './errors.js';
import { guardQuery } from './sql-guard.js';
import { type PageDefinition, pageQuery } from './sql-page.js';

export type SqlKind = 'postgresql' | 'mysql' | 'mariadb' | 'sqlite';

export interface SqlConnectionConfig {
  name: string;
  type: SqlKind;
  envVar?: string;
  path?: string;
  readOnly?: boolean;
  poolMax?: number;
}

export interface SqlResult {
  rows: Record<string, unknown>[];
  affectedRows: number;
  /** Set when the driver stopped fetching at `maxRows` or `maxBytes` (more rows existed). */
  truncated?: boolean;
}

export interface QueryOptions {
  signal?: AbortSignal | undefined;
  /** Run inside a read-only transaction (or with writes disabled). */
  readOnly?: boolean;
  /** Server-side statement timeout where the database supports one. */
  timeoutMs?: number;
  /** Fetch at most this many rows (the driver stops reading, the database stops producing). */
  maxRows?: number;
  /** Stop fetching once the rows' JSON reaches this many bytes. */
  maxBytes?: number;
  /** Ad-hoc SQL from a caller: never cached as a prepared statement; the session is reset afterwards. */
  adHoc?: boolean;
}

/** Result size cap of the query tool (JSON bytes of the rows); past it the result is marked truncated. */
export const DEFAULT_MAX_RESULT_BYTES = 5_000_000;

/**
 * Counts rows and their JSON bytes while a driver fetches; `add` says whether to keep reading.
 * The row that crosses a limit is dropped, so what is kept always fits both limits.
 */
export class RowBudget {
  readonly rows: Record<string, unknown>[] = [];
  truncated = false;
  private bytes = 2;
  constructor(
    private readonly maxRows = Number.POSITIVE_INFINITY,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  /** Keep `row` if it fits; false once a limit is reached (stop fetching). */
  add(row: Record<string, unknown>): boolean {
    if (this.truncated) return false;
    const size = Number.isFinite(this.maxBytes) ? JSON.stringify(row).length + 1 : 0;
    if (this.rows.length >= this.maxRows || this.bytes + size > this.maxBytes) {
      this.truncated = true;
      return false;
    }
    this.bytes += size;
    this.rows.push(row);
    return true;
  }

  /** How many more rows are worth fetching (one past the row limit tells that more exist). */
  get wanted(): number {
    return this.truncated ? 0 : Math.max(0, Math.min(this.maxRows - this.rows.length + 1, 2 ** 31 - 1));
  }

  /** A batch size for drivers that fetch in batches: at most `max`, fewer when rows are wide. */
  batch(max: number): number {
    const left = this.wanted;
    if (left === 0 || this.rows.length === 0 || !Number.isFinite(this.maxBytes)) return Math.min(left, max);
    const perRow = this.bytes / this.rows.length;
    return Math.max(1, Math.min(left, max, Math.ceil((this.maxBytes - this.bytes) / perRow) + 1));
  }

  result(): SqlResult {
    return { rows: this.rows, affectedRows: 0, truncated: this.truncated };
  }
}

export interface SqlDatabase {
  query(text: string, values: unknown[], options?: QueryOptions): Promise<SqlResult>;
  close(): Promise<void>;
}

/** Opens a connection pool (or file) for one connection; one driver per database kind. */
export type SqlDriver = (config: SqlConnectionConfig, projectRoot: string) => SqlDatabase;
export type SqlDrivers = Partial<Record<SqlKind, SqlDriver>>;

export function openDatabase(
  config: SqlConnectionConfig,
  projectRoot: string,
  drivers: SqlDrivers,
): SqlDatabase {
  const driver = drivers[config.type];
  if (!driver) throw new ToolError(`no driver for ${config.type} connections in this server`);
  return driver(config, projectRoot);
}

/** A pooled connection as the drivers see it: run a statement, give the connection back. */
export interface PooledConnection {
  /** `options` (limits, adHoc) are passed for the tool's own statement only. */
  run(text: string, values?: unknown[], options?: QueryOptions): Promise<SqlResult>;
  release(): void;
}

/**
 * Run one statement on a pooled connection; for read-only connections inside a read-only transaction
 * (`begin` is the dialect's statement). Errors become tool errors; the connection is always released.
 */
export interface StatementPlan {
  /** Transaction start (e.g. BEGIN READ ONLY); COMMIT/ROLLBACK follow automatically. */
  begin?: string | undefined;
  /** Statements run before the tool's statement (after `begin`). */
  setup?: string[];
  /** Statements run afterwards whatever happened, before the connection goes back to the pool. */
  teardown?: string[];
}

/**
 * Test-only: a generated server's own tests set this to run its write tools against the real database without
 * changing it (every statement in a transaction that is rolled back). Read once at start-up from the process
 * environment: no tool argument, request or later change of process.env can switch it on.
 */
const ROLLBACK_EVERY_STATEMENT = process.env.MCP_FACTORY_ROLLBACK_WRITES === '1';

export async function runPooled(
  conn: PooledConnection,
  text: string,
  values: unknown[],
  plan: StatementPlan = {},
  options?: QueryOptions,
): Promise<SqlResult> {
  const begin = plan.begin ?? (ROLLBACK_EVERY_STATEMENT ? 'BEGIN' : undefined);
  try {
    if (begin) await conn.run(begin);
    for (const statement of plan.setup ?? []) await conn.run(statement);
    const result = await conn.run(text, values, options);
    if (begin) await conn.run(ROLLBACK_EVERY_STATEMENT ? 'ROLLBACK' : 'COMMIT');
    return result;
  } catch (error) {
    if (begin) await conn.run('ROLLBACK').catch(() => undefined);
    throw wrapDbError(error);
  } finally {
    for (const statement of plan.teardown ?? []) await conn.run(statement).catch(() => undefined);
    conn.release();
  }
}

export function wrapDbError(error: unknown): Error {
  if (error instanceof ToolError) return error;
  const e = error as { message?: string; code?: string };
  return new ToolError(`database error${e.code ? ` (${e.code})` : ''}: ${e.message ?? String(error)}`, {
    cause: error,
  });
}

export interface QueryToolDefinition {
  connection: string;
  maxRows: number;
  timeoutMs: number;
  /** The connection's database kind: picks the dialect's guard (set by the runtime). */
  dialect?: SqlKind;
}

/** The guarded ad-hoc query tool: one read-only statement, read-only transaction, timeout, row limit. */
export async function runQuery(
  db: SqlDatabase,
  def: QueryToolDefinition,
  args: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<unknown> {
  const params = Array.isArray(args.params) ? args.params.map(normaliseValue) : [];
  const statement = await guardQuery(def.dialect, String(args.sql ?? ''), { db, params });
  const res = await db.query(statement, params, {
    signal,
    readOnly: true,
    adHoc: true,
    timeoutMs: def.timeoutMs,
    maxRows: def.maxRows,
    maxBytes: DEFAULT_MAX_RESULT_BYTES,
  });
  // Drivers stop at the limits; the slice only guards a driver that returned more.
  const truncated = Boolean(res.truncated) || res.rows.length > def.maxRows;
  return { rows: res.rows.slice(0, def.maxRows), truncated };
}

export interface SqlToolDefinition {
  connection: string;
  text: string;
  params: string[];
  result: 'rows' | 'row' | 'value' | 'exec';
  /** Pages: keyset pages when a key is given, else OFFSET over the statement's order (sql-page.ts). */
  paginate?: PageDefinition;
}

/** Run a compiled statement with arguments bound by name; shapes the result as declared. */
export async function runSql(
  db: SqlDatabase,
  def: SqlToolDefinition,
  args: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<unknown> {
  const values = def.params.map((p) => normaliseValue(args[p]));
  if (def.paginate) {
    const page = pageQuery(def.paginate, def.text, values, args);
    const res = await db.query(page.text, page.values, { signal });
    const rows = res.rows.slice(0, page.limit);
    return res.rows.length > page.limit ? { rows, nextCursor: page.next(rows) } : { rows };
  }
  const res = await db.query(def.text, values, { signal });
  switch (def.result) {
    case 'rows':
      return { rows: res.rows };
    case 'row':
      return res.rows[0] ?? null;
    case 'value': {
      const first = res.rows[0];
      return first ? (Object.values(first)[0] ?? null) : null;
    }
    case 'exec':
      return { affectedRows: res.affectedRows };
  }
}

function normaliseValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (Array.isArray(v) || (typeof v === 'object' && v !== null)) return JSON.stringify(v);
  return v;
}
