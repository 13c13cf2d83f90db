/**
 * The inside of a SQLite child process (see sql-sqlite.ts): one connection, requests over IPC, one at a time.
 * Prepared statements are cached (bounded LRU), integers are read exactly (bigint, text past 2^53), rows are
 * read one by one and the read stops at the row and byte limits.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { toJsonSafe } from './json.js';
import { RowBudget, type SqlResult } from './sql.js';

export interface SqliteRequest {
  id: number;
  sql: string;
  values: unknown[];
  /** Block writes for this statement (PRAGMA query_only) on a connection that may write. */
  queryOnly: boolean;
  maxRows?: number;
  maxBytes?: number;
}
export type SqliteReply =
  | { id: number; ok: true; result: SqlResult }
  | { id: number; ok: false; message: string; code?: string };
/** What a child sends: `ready` once (database opened or failed to open), then one reply per request. */
export type SqliteMessage = SqliteReply | { ready: true };

interface SqliteStatement {
  reader?: boolean;
  all(...values: unknown[]): unknown[];
  iterate?(...values: unknown[]): IterableIterator<unknown>;
  run(...values: unknown[]): { changes: number | bigint };
  columns?(): unknown[];
  safeIntegers?(on: boolean): unknown; // better-sqlite3
  setReadBigInts?(on: boolean): unknown; // node:sqlite
}
interface SqliteHandle {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  close(): void;
}
type SqliteConstructor = new (file: string, options?: object) => SqliteHandle;
interface NodeSqlite {
  DatabaseSync?: SqliteConstructor;
  StatementSync?: { prototype: Partial<SqliteStatement> };
}

const STATEMENT_CACHE_SIZE = 200;
const BUSY_TIMEOUT_MS = 5000;

/**
 * node:sqlite when this Node has all of it that the child uses: columns() tells a query from a write (Node
 * >= 22.16 / 23.11; without it every SELECT would run as a write and return no rows), iterate() stops a read
 * early, setReadBigInts() keeps big integers exact. Otherwise undefined (better-sqlite3 is used).
 */
export function usableNodeSqlite(): SqliteConstructor | undefined {
  const getBuiltin = (process as unknown as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  let builtin: NodeSqlite | undefined;
  try {
    builtin = getBuiltin?.('node:sqlite') as NodeSqlite | undefined;
  } catch {
    return undefined; // node:sqlite behind a flag on this Node version
  }
  const statement = builtin?.StatementSync?.prototype;
  const complete =
    typeof statement?.columns === 'function' &&
    typeof statement.iterate === 'function' &&
    typeof statement.setReadBigInts === 'function';
  return complete ? builtin?.DatabaseSync : undefined;
}

async function openSqliteFile(file: string, readOnly: boolean, projectRoot: string): Promise<SqliteHandle> {
  const NodeDatabase = usableNodeSqlite();
  if (NodeDatabase) return new NodeDatabase(file, { readOnly });
  const mod = (await import('better-sqlite3')) as unknown as { default?: SqliteConstructor };
  const Database = (mod.default ?? mod) as SqliteConstructor;
  const shipped = resolve(projectRoot, 'dist/native/better_sqlite3.node');
  return new Database(file, {
    readonly: readOnly,
    ...(existsSync(shipped) ? { nativeBinding: shipped } : {}),
  });
}

/**
 * 'disconnect' cannot fire while a native sqlite step blocks this thread (a runaway query), so if the server dies
 * without killing this child (SIGKILL, OOM) the query would burn a core for ever. A tiny worker thread, which
 * keeps running while the main thread is blocked, ends the process once it has been re-parented (≈ 2.5 MB).
 */
function watchParent(): void {
  const code = `const { workerData } = require('node:worker_threads');
setInterval(() => { if (process.ppid !== workerData) process.kill(process.pid, 'SIGKILL'); }, 1000);`;
  new Worker(code, { eval: true, workerData: process.ppid }).unref();
}

/** Serves requests until the parent goes away; never resolves (the bundle's server start must not run). */
export async function serveSqliteChild(settingsJson: string): Promise<never> {
  const { file, readOnly, projectRoot } = JSON.parse(settingsJson) as {
    file: string;
    readOnly: boolean;
    projectRoot: string;
  };
  // The parent may have gone while this process was still loading the bundle ('disconnect' then never fires).
  if (!process.connected) process.exit(0);
  process.on('disconnect', () => process.exit(0));
  watchParent();
  // The parent may go away between a request and its answer: then there is no one to answer.
  const send = (message: SqliteMessage) => {
    if (process.connected) process.send?.(message, undefined, {}, () => undefined);
  };
  const opened = openSqliteFile(file, readOnly, projectRoot).then((db) => {
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    return db;
  });
  opened.catch(() => undefined);
  // The parent hands this child to a call only after this (an open error is the answer to that call).
  const ready = () => send({ ready: true });
  opened.then(ready, ready);
  const statements = new Map<string, SqliteStatement>();

  const prepare = (db: SqliteHandle, sql: string): SqliteStatement => {
    let stmt = statements.get(sql);
    if (stmt) statements.delete(sql);
    else {
      stmt = db.prepare(sql);
      stmt.safeIntegers?.(true);
      stmt.setReadBigInts?.(true);
      if (statements.size >= STATEMENT_CACHE_SIZE)
        statements.delete(statements.keys().next().value as string);
    }
    statements.set(sql, stmt); // most recently used last
    return stmt;
  };

  const execute = (db: SqliteHandle, req: SqliteRequest): SqlResult => {
    const stmt = prepare(db, req.sql);
    const returnsRows = stmt.reader ?? (typeof stmt.columns === 'function' && stmt.columns().length > 0);
    if (!returnsRows) return { rows: [], affectedRows: Number(stmt.run(...req.values).changes) };
    const budget = new RowBudget(req.maxRows, req.maxBytes);
    const rows = typeof stmt.iterate === 'function' ? stmt.iterate(...req.values) : stmt.all(...req.values);
    for (const row of rows) if (!budget.add(toJsonSafe(row) as Record<string, unknown>)) break; // break resets
    return budget.result();
  };

  process.on('message', (req: SqliteRequest) => {
    void opened.then(
      (db) => {
        let reply: SqliteReply;
        try {
          if (req.queryOnly) prepare(db, 'PRAGMA query_only = ON').run();
          try {
            reply = { id: req.id, ok: true, result: execute(db, req) };
          } finally {
            if (req.queryOnly) prepare(db, 'PRAGMA query_only = OFF').run();
          }
        } catch (error) {
          const e = error as { message?: string; code?: string };
          reply = {
            id: req.id,
            ok: false,
            message: e.message ?? String(error),
            ...(e.code ? { code: e.code } : {}),
          };
        }
        send(reply);
      },
      (error: unknown) => {
        send({
          id: req.id,
          ok: false,
          message: `cannot open ${file}: ${(error as Error).message}`,
        });
      },
    );
  });
  return new Promise<never>(() => undefined);
}
