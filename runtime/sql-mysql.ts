/**
 * MySQL/MariaDB driver (mysql2), loaded only by servers that declare such a connection.
 * Statements with a caller's text run as server-side prepared statements (one statement by construction);
 * prepared statements are cached per connection (bounded LRU). Ad-hoc SQL is streamed and the read stops at
 * the row and byte limits (the connection is then dropped, which stops the server sending); otherwise its
 * connection is reset (COM_RESET_CONNECTION: user variables, GET_LOCK locks, temporary tables, session
 * settings) before reuse. DATE/DATETIME/TIMESTAMP come back as stored (ISO text, microseconds kept;
 * TIMESTAMP in UTC with `Z`), whatever the server process's time zone; BIGINT/DECIMAL exact.
 */
import type { Connection as CoreConnection } from 'mysql2';
import type { FieldPacket, Pool, PoolConnection } from 'mysql2/promise';
import { requireEnv } from './errors.js';
import { toJsonSafe } from './json.js';
import {
  type PooledConnection,
  type QueryOptions,
  RowBudget,
  runPooled,
  type SqlDriver,
  type SqlResult,
  wrapDbError,
} from './sql.js';

/** Prepared statements kept per connection (mysql2 evicts the least recently used past it). */
const STATEMENT_CACHE_SIZE = 100;
/** TIMESTAMP is an instant: the session shows it in UTC so it can be returned with `Z`. */
const SESSION_TIME_ZONE = "SET time_zone = '+00:00'";
const MYSQL_TIMESTAMP = 7;
const MYSQL_DATETIME = 12;
const MYSQL_TIME = 11;

let flavour: 'mariadb' | 'mysql' | undefined;

/** MariaDB: max_statement_time (seconds, any statement); MySQL: max_execution_time (ms, SELECT only). */
async function statementTimeout(conn: PooledConnection, ms: number): Promise<{ set: string; reset: string }> {
  if (!flavour) {
    const { rows } = await conn.run('SELECT VERSION() AS v');
    flavour = /mariadb/i.test(String(rows[0]?.v ?? '')) ? 'mariadb' : 'mysql';
  }
  return flavour === 'mariadb'
    ? { set: `SET SESSION max_statement_time = ${ms / 1000}`, reset: 'SET SESSION max_statement_time = 0' }
    : {
        set: `SET SESSION max_execution_time = ${Math.trunc(ms)}`,
        reset: 'SET SESSION max_execution_time = 0',
      };
}

/** The binary protocol trims TIME fractions (`12:34:56.5`); show them at the column's precision, as stored. */
function withFraction(text: string, decimals: number): string {
  if (decimals <= 0 || decimals > 6) return text;
  const m = /^(.*:\d\d)(?:\.(\d*))?$/.exec(text);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(decimals, '0')}` : text;
}

/** Turns rows into JSON-safe records with date-time text in ISO form (`dateStrings` keeps the stored text). */
function rowShaper(
  fields: FieldPacket[] | undefined,
): (row: Record<string, unknown>) => Record<string, unknown> {
  const stamps = (fields ?? []).filter(
    (f) => f.columnType === MYSQL_DATETIME || f.columnType === MYSQL_TIMESTAMP || f.columnType === MYSQL_TIME,
  );
  return (row) => {
    const out = toJsonSafe(row) as Record<string, unknown>;
    for (const f of stamps) {
      const v = out[f.name];
      if (typeof v !== 'string') continue;
      const text = withFraction(v, Number(f.decimals ?? 0));
      if (f.columnType === MYSQL_TIME || !/^\d{4}-\d\d-\d\d \d/.test(text)) out[f.name] = text;
      else
        out[f.name] = `${text.slice(0, 10)}T${text.slice(11)}${f.columnType === MYSQL_TIMESTAMP ? 'Z' : ''}`;
    }
    return out;
  };
}

/**
 * Streams one prepared statement's rows into a budget. When a limit is reached the read stops at once and
 * `abandoned` is set: the rest of the result is still on the wire, so the caller must drop the connection.
 */
function streamRows(
  core: CoreConnection,
  text: string,
  values: unknown[],
  options: QueryOptions,
): Promise<SqlResult & { abandoned: boolean }> {
  return new Promise((resolve, reject) => {
    const budget = new RowBudget(options.maxRows, options.maxBytes);
    let shape = rowShaper(undefined);
    let settled = false;
    const command = core.execute(text, values as never[]);
    command.on('fields', (fields: FieldPacket[]) => {
      shape = rowShaper(fields);
    });
    command.on('result', (row: Record<string, unknown>) => {
      if (settled || budget.add(shape(row))) return;
      settled = true;
      resolve({ ...budget.result(), abandoned: true });
    });
    command.on('error', (error: Error) => {
      if (!settled) reject(error);
      settled = true;
    });
    command.on('end', () => {
      if (!settled) resolve({ ...budget.result(), abandoned: false });
      settled = true;
    });
  });
}

export const mysqlDriver: SqlDriver = (config) => {
  let pool: Pool | undefined;
  let connectOne: typeof import('mysql2/promise').createConnection | undefined;
  const getPool = async () => {
    if (!pool) {
      const mysql = await import('mysql2/promise');
      const createPool = mysql.default?.createPool ?? mysql.createPool;
      connectOne = mysql.default?.createConnection ?? mysql.createConnection;
      pool = createPool({
        uri: requireEnv(config.envVar ?? 'DATABASE_URL'),
        connectionLimit: config.poolMax ?? 10,
        supportBigNumbers: true,
        dateStrings: true,
        maxPreparedStatements: STATEMENT_CACHE_SIZE,
      });
      // Queued ahead of the connection's first statement (mysql2 runs a connection's commands in order).
      pool.pool.on('connection', (core) => {
        core.query(SESSION_TIME_ZONE, () => undefined);
      });
    }
    return pool;
  };

  /** Clears all session state of ad-hoc SQL; a connection that cannot be reset is dropped instead. */
  async function resetOrDrop(pooled: PoolConnection): Promise<void> {
    try {
      await pooled.reset();
      await pooled.query(SESSION_TIME_ZONE);
      pooled.release();
    } catch {
      pooled.destroy();
    }
  }

  /** Stops the statement running on connection `threadId` (a side connection: the pool may be full). */
  async function killQuery(threadId: number): Promise<void> {
    if (!connectOne) return;
    const side = await connectOne({ uri: requireEnv(config.envVar ?? 'DATABASE_URL') });
    try {
      await side.query(`KILL QUERY ${Math.trunc(threadId)}`);
    } finally {
      await side.end().catch(() => undefined);
    }
  }

  return {
    async query(text, values, options = {}) {
      const pooled = await (await getPool()).getConnection().catch((error: unknown) => {
        throw wrapDbError(error);
      });
      if (options.signal?.aborted) {
        pooled.release(); // cancelled while waiting for a pooled connection: nothing ran
        throw wrapDbError(options.signal.reason);
      }
      // A cancelled call (client cancel, timeout, shutdown) stops its statement in the database too; the
      // connection is then dropped, so a late KILL QUERY can never hit another call's statement.
      let cancelled = false;
      const onAbort = () => {
        cancelled = true;
        if (pooled.threadId) killQuery(pooled.threadId).catch(() => undefined);
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const wasCancelled = () => {
        options.signal?.removeEventListener('abort', onAbort);
        return cancelled;
      };
      let abandoned = false;
      const conn: PooledConnection = {
        async run(sql, params, runOptions) {
          if (abandoned) return { rows: [], affectedRows: 0 }; // connection is dropped below
          if (runOptions?.adHoc || runOptions?.maxRows !== undefined) {
            const res = await streamRows(
              pooled.connection as unknown as CoreConnection,
              sql,
              params ?? [],
              runOptions,
            );
            abandoned = res.abandoned;
            return { rows: res.rows, affectedRows: 0, truncated: res.truncated ?? false };
          }
          // Prepared statements for tool SQL; plain queries for transaction control (not preparable in MariaDB).
          const [result, fields] = params
            ? await pooled.execute(sql, params as never[])
            : await pooled.query(sql);
          if (Array.isArray(result)) {
            const shape = rowShaper(fields);
            return { rows: (result as Record<string, unknown>[]).map(shape), affectedRows: 0 };
          }
          return { rows: [], affectedRows: (result as { affectedRows?: number }).affectedRows ?? 0 };
        },
        release: () => {
          if (!options.adHoc && !abandoned && !wasCancelled()) pooled.release();
        },
      };
      const readOnly = config.readOnly || options.readOnly;
      const timeout = options.timeoutMs ? await statementTimeout(conn, options.timeoutMs) : undefined;
      try {
        return await runPooled(
          conn,
          text,
          values,
          {
            begin: readOnly ? 'START TRANSACTION READ ONLY' : undefined,
            setup: timeout ? [timeout.set] : [],
            teardown: timeout && !options.adHoc ? [timeout.reset] : [],
          },
          options,
        );
      } finally {
        if (abandoned || wasCancelled()) pooled.destroy();
        else if (options.adHoc) await resetOrDrop(pooled);
      }
    },
    async close() {
      await pool?.end();
    },
  };
};
