/**
 * One small interface over PostgreSQL, MySQL/MariaDB and SQLite. Statements arrive already compiled to the
 * driver's placeholder style; values are always bound, never spliced into SQL text.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { requireEnv, ToolError } from './errors.js';
import { toJsonSafe } from './json.js';

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
}

export interface SqlDatabase {
  query(text: string, values: unknown[], options?: { signal?: AbortSignal }): Promise<SqlResult>;
  close(): Promise<void>;
}

const requireCjs = createRequire(import.meta.url);

export function openDatabase(config: SqlConnectionConfig, projectRoot: string): SqlDatabase {
  switch (config.type) {
    case 'postgresql':
      return openPostgres(config);
    case 'mysql':
    case 'mariadb':
      return openMysql(config);
    case 'sqlite':
      return openSqlite(config, projectRoot);
  }
}

function openPostgres(config: SqlConnectionConfig): SqlDatabase {
  let pool: import('pg').Pool | undefined;
  const getPool = async () => {
    if (!pool) {
      const pg = await import('pg');
      const Pool = pg.default?.Pool ?? pg.Pool;
      pool = new Pool({ connectionString: requireEnv(config.envVar ?? 'DATABASE_URL'), max: config.poolMax ?? 10 });
      pool.on('error', () => {
        /* idle client errors are reported on the next query */
      });
    }
    return pool;
  };
  return {
    async query(text, values) {
      const client = await (await getPool()).connect();
      try {
        if (config.readOnly) await client.query('BEGIN READ ONLY');
        const res = await client.query<Record<string, unknown>>(text, values as unknown[]);
        if (config.readOnly) await client.query('COMMIT');
        return { rows: (res.rows ?? []).map((r) => toJsonSafe(r) as Record<string, unknown>), affectedRows: res.rowCount ?? 0 };
      } catch (error) {
        if (config.readOnly) await client.query('ROLLBACK').catch(() => undefined);
        throw wrapDbError(error);
      } finally {
        client.release();
      }
    },
    async close() {
      await pool?.end();
    },
  };
}

function openMysql(config: SqlConnectionConfig): SqlDatabase {
  let pool: import('mysql2/promise').Pool | undefined;
  const getPool = async () => {
    if (!pool) {
      const mysql = await import('mysql2/promise');
      const createPool = mysql.default?.createPool ?? mysql.createPool;
      pool = createPool({ uri: requireEnv(config.envVar ?? 'DATABASE_URL'), connectionLimit: config.poolMax ?? 10, dateStrings: false, supportBigNumbers: true });
    }
    return pool;
  };
  return {
    async query(text, values) {
      const conn = await (await getPool()).getConnection();
      try {
        if (config.readOnly) await conn.query('START TRANSACTION READ ONLY');
        const [result] = await conn.execute(text, values as never[]);
        if (config.readOnly) await conn.query('COMMIT');
        if (Array.isArray(result)) return { rows: result.map((r) => toJsonSafe(r) as Record<string, unknown>), affectedRows: 0 };
        return { rows: [], affectedRows: (result as { affectedRows?: number }).affectedRows ?? 0 };
      } catch (error) {
        if (config.readOnly) await conn.query('ROLLBACK').catch(() => undefined);
        throw wrapDbError(error);
      } finally {
        conn.release();
      }
    },
    async close() {
      await pool?.end();
    },
  };
}

interface SqliteStatement {
  reader?: boolean;
  all(...values: unknown[]): unknown[];
  run(...values: unknown[]): { changes: number | bigint };
  columns?(): unknown[];
}
interface SqliteHandle {
  prepare(sql: string): SqliteStatement;
  close(): void;
}

function openSqlite(config: SqlConnectionConfig, projectRoot: string): SqlDatabase {
  let db: SqliteHandle | undefined;
  const open = (): SqliteHandle => {
    if (db) return db;
    const configured = config.envVar ? process.env[config.envVar] || config.path : config.path;
    if (!configured) requireEnv(config.envVar ?? 'SQLITE_PATH');
    const file = isAbsolute(configured!) ? configured! : resolve(projectRoot, configured!);
    if (!existsSync(file) && config.readOnly) throw new ToolError(`SQLite database ${file} does not exist`);
    db = openSqliteFile(file, config.readOnly ?? false, projectRoot);
    return db;
  };
  return {
    async query(text, values) {
      try {
        const stmt = open().prepare(text);
        const bound = values.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v === undefined ? null : v));
        const returnsRows = stmt.reader ?? (typeof stmt.columns === 'function' && stmt.columns().length > 0);
        if (returnsRows) {
          return { rows: stmt.all(...bound).map((r) => toJsonSafe(r) as Record<string, unknown>), affectedRows: 0 };
        }
        return { rows: [], affectedRows: Number(stmt.run(...bound).changes) };
      } catch (error) {
        throw wrapDbError(error);
      }
    },
    async close() {
      db?.close();
      db = undefined;
    },
  };
}

/** node:sqlite where the runtime has it (Node >= 22.13), else better-sqlite3 with the binding shipped in dist/native. */
function openSqliteFile(file: string, readOnly: boolean, projectRoot: string): SqliteHandle {
  const getBuiltin = (process as unknown as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  const builtin = getBuiltin?.('node:sqlite') as { DatabaseSync?: new (f: string, o?: object) => SqliteHandle } | undefined;
  if (builtin?.DatabaseSync) return new builtin.DatabaseSync(file, { readOnly });
  const Database = requireCjs('better-sqlite3') as new (f: string, o?: object) => SqliteHandle;
  const shipped = resolve(projectRoot, 'dist/native/better_sqlite3.node');
  return new Database(file, { readonly: readOnly, ...(existsSync(shipped) ? { nativeBinding: shipped } : {}) });
}

function wrapDbError(error: unknown): Error {
  if (error instanceof ToolError) return error;
  const e = error as { message?: string; code?: string };
  return new ToolError(`database error${e.code ? ` (${e.code})` : ''}: ${e.message ?? String(error)}`, { cause: error });
}

export interface SqlToolDefinition {
  connection: string;
  text: string;
  params: string[];
  result: 'rows' | 'row' | 'value' | 'exec';
  paginate?: { defaultLimit: number; maxLimit: number };
}

/** Run a compiled statement with arguments bound by name; shapes the result as declared. */
export async function runSql(db: SqlDatabase, def: SqlToolDefinition, args: Record<string, unknown>, signal?: AbortSignal): Promise<unknown> {
  const values = def.params.map((p) => normaliseValue(args[p]));
  if (def.paginate) {
    const limit = clamp(Number(args.limit ?? def.paginate.defaultLimit), 1, def.paginate.maxLimit);
    const offset = decodeCursor(args.cursor);
    const res = await db.query(`SELECT * FROM (${def.text}) AS mcp_page LIMIT ${limit + 1} OFFSET ${offset}`, values, { signal });
    const rows = res.rows.slice(0, limit);
    const more = res.rows.length > limit;
    return more ? { rows, nextCursor: encodeCursor(offset + limit) } : { rows };
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

function clamp(n: number, min: number, max: number): number {
  return Number.isFinite(n) ? Math.min(Math.max(Math.trunc(n), min), max) : min;
}

function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

function decodeCursor(cursor: unknown): number {
  if (typeof cursor !== 'string' || cursor === '') return 0;
  try {
    const o = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o?: unknown }).o;
    if (typeof o === 'number' && Number.isSafeInteger(o) && o >= 0) return o;
  } catch {
    /* fall through */
  }
  throw new ToolError('invalid cursor: pass the nextCursor value from the previous page');
}
