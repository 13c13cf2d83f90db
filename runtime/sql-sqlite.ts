/**
 * SQLite driver: node:sqlite where the runtime has it (Node >= 22.13), else better-sqlite3 with the native
 * binding shipped in dist/native, so the bundle starts without npm install.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { requireEnv, ToolError } from './errors.js';
import { toJsonSafe } from './json.js';
import { type SqlDriver, wrapDbError } from './sql.js';

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
type SqliteConstructor = new (file: string, options?: object) => SqliteHandle;

async function openSqliteFile(file: string, readOnly: boolean, projectRoot: string): Promise<SqliteHandle> {
  const getBuiltin = (process as unknown as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  const builtin = getBuiltin?.('node:sqlite') as { DatabaseSync?: SqliteConstructor } | undefined;
  if (builtin?.DatabaseSync) return new builtin.DatabaseSync(file, { readOnly });
  const mod = (await import('better-sqlite3')) as unknown as { default?: SqliteConstructor };
  const Database = (mod.default ?? mod) as SqliteConstructor;
  const shipped = resolve(projectRoot, 'dist/native/better_sqlite3.node');
  return new Database(file, {
    readonly: readOnly,
    ...(existsSync(shipped) ? { nativeBinding: shipped } : {}),
  });
}

export const sqliteDriver: SqlDriver = (config, projectRoot) => {
  let db: Promise<SqliteHandle> | undefined;
  const open = (): Promise<SqliteHandle> => {
    if (!db) {
      const configured =
        (config.envVar ? process.env[config.envVar] : undefined) ||
        config.path ||
        requireEnv(config.envVar ?? 'SQLITE_PATH');
      const file = isAbsolute(configured) ? configured : resolve(projectRoot, configured);
      if (!existsSync(file) && config.readOnly) throw new ToolError(`SQLite database ${file} does not exist`);
      db = openSqliteFile(file, config.readOnly ?? false, projectRoot);
      db.catch(() => {
        db = undefined;
      });
    }
    return db;
  };
  return {
    async query(text, values, options) {
      const handle = await open().catch((error: unknown) => {
        throw wrapDbError(error);
      });
      // SQLite runs in-process and synchronously: no server-side timeout; query_only blocks writes.
      const readOnly = options?.readOnly && !config.readOnly;
      try {
        if (readOnly) handle.prepare('PRAGMA query_only = ON').run();
        const stmt = handle.prepare(text);
        const bound = values.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v === undefined ? null : v));
        const returnsRows = stmt.reader ?? (typeof stmt.columns === 'function' && stmt.columns().length > 0);
        if (returnsRows) {
          return {
            rows: stmt.all(...bound).map((r) => toJsonSafe(r) as Record<string, unknown>),
            affectedRows: 0,
          };
        }
        return { rows: [], affectedRows: Number(stmt.run(...bound).changes) };
      } catch (error) {
        throw wrapDbError(error);
      } finally {
        if (readOnly) handle.prepare('PRAGMA query_only = OFF').run();
      }
    },
    async close() {
      const handle = await db?.catch(() => undefined);
      handle?.close();
      db = undefined;
    },
  };
};
