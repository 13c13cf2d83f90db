/**
 * PostgreSQL driver (pg), loaded only by servers that declare a postgresql connection.
 * Every statement goes through the extended protocol, so one call is one statement by construction (the simple
 * protocol would run `SELECT 1; COMMIT; DELETE …` as three). Tool SQL runs as named prepared statements, cached
 * per connection (bounded LRU); ad-hoc SQL runs through a cursor that fetches no more than the row and byte
 * limits, and its connection is reset with DISCARD ALL (locks, settings, temp tables) before reuse.
 * Dates, times and timestamps come back as the database stores them (ISO text, microseconds kept), bigints exact.
 */
import { createHash } from 'node:crypto';
import type { Pool, PoolClient, QueryConfig, QueryResult } from 'pg';
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

/** Named statements kept per connection; past it the least recently used one is deallocated. */
const STATEMENT_CACHE_SIZE = 100;
/** Rows per cursor read: small enough that a result is never held much past the limits. */
const CURSOR_BATCH = 500;
const FIRST_BATCH = 20;

type TextParser = (text: string) => unknown;
type PgTypes = { getTypeParser(oid: number, format?: 'text' | 'binary'): unknown };

const exactInteger: TextParser = (t) => (Number.isSafeInteger(Number(t)) ? Number(t) : t);
/** `1996-07-04 12:00:00.123456` → `1996-07-04T12:00:00.123456` (no zone: the type has none). */
const localTimestamp: TextParser = (t) => t.replace(/^(\d{4,}-\d\d-\d\d) (?=\d)/, '$1T');

/** timestamptz text in any session TimeZone → UTC ISO with `Z`, microseconds kept. */
const utcTimestamp: TextParser = (t) => {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?$/.exec(
    t,
  );
  if (!m) return t; // infinity, BC dates, years past 9999: already unambiguous text
  const [, y, mo, d, h, mi, s, frac = '', sign, oh, om = '0', os = '0'] = m;
  const offsetMs = (sign === '-' ? -1 : 1) * ((Number(oh) * 60 + Number(om)) * 60 + Number(os)) * 1000;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) - offsetMs;
  return `${new Date(utc).toISOString().slice(0, 19)}${frac}Z`;
};

/** Element parsers by type oid, and the array types built from them. */
const SCALAR_PARSERS: Record<number, TextParser> = {
  20: exactInteger, // int8
  1082: (t) => t, // date
  1083: (t) => t, // time
  1266: (t) => t, // timetz
  1114: localTimestamp, // timestamp
  1184: utcTimestamp, // timestamptz
};
const ARRAY_ELEMENT: Record<number, number> = {
  1016: 20,
  1182: 1082,
  1183: 1083,
  1270: 1266,
  1115: 1114,
  1185: 1184,
};

function typesFor(pg: { types: PgTypes }): PgTypes {
  const textArray = pg.types.getTypeParser(1009, 'text') as (t: string) => unknown;
  const mapDeep = (v: unknown, parse: TextParser): unknown =>
    Array.isArray(v) ? v.map((e) => mapDeep(e, parse)) : v === null ? null : parse(String(v));
  return {
    getTypeParser(oid, format = 'text') {
      if (format === 'text') {
        const scalar = SCALAR_PARSERS[oid];
        if (scalar) return scalar;
        const element = ARRAY_ELEMENT[oid];
        if (element !== undefined) return (t: string) => mapDeep(textArray(t), SCALAR_PARSERS[element]!);
      }
      return pg.types.getTypeParser(oid, format);
    },
  };
}

/** One statement through the extended protocol (pg's types lack `queryMode`, pg 8.23 honours it). */
function extended(
  client: PoolClient,
  text: string,
  values: unknown[] = [],
  extra: { name?: string; types?: PgTypes } = {},
): Promise<QueryResult<Record<string, unknown>>> {
  return client.query({ text, values, queryMode: 'extended', ...extra } as QueryConfig);
}

/** pg's per-connection record of parsed named statements (so a deallocated one is parsed again). */
function parsedStatementsOf(client: PoolClient): Record<string, string> | undefined {
  return (client as unknown as { connection?: { parsedStatements?: Record<string, string> } }).connection
    ?.parsedStatements;
}

export const postgresDriver: SqlDriver = (config) => {
  let pool: Pool | undefined;
  let pgModule: typeof import('pg') | undefined;
  let types: PgTypes | undefined;
  let Cursor: typeof import('pg-cursor') | undefined;
  /** Named statements per pooled client, oldest first (Map keeps insertion order). */
  const cached = new WeakMap<PoolClient, Map<string, true>>();

  const getPool = async () => {
    if (!pool) {
      const pg = await import('pg');
      const mod = (pg.default ?? pg) as unknown as typeof import('pg');
      pgModule = mod;
      Cursor = ((await import('pg-cursor')) as { default?: typeof import('pg-cursor') }).default;
      types = typesFor(mod as unknown as { types: PgTypes });
      pool = new mod.Pool({
        connectionString: requireEnv(config.envVar ?? 'DATABASE_URL'),
        max: config.poolMax ?? 10,
      });
      pool.on('error', () => {
        /* idle client errors surface on the next query */
      });
    }
    return pool;
  };

  /** A stable statement name for `text` on `client`, evicting the least recently used past the bound. */
  async function statementName(client: PoolClient, text: string): Promise<string | undefined> {
    const parsed = parsedStatementsOf(client);
    if (!parsed) return undefined; // pg internals changed: stay correct, skip the cache
    const name = `mcp_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    const names = cached.get(client) ?? new Map<string, true>();
    cached.set(client, names);
    if (names.delete(name)) {
      names.set(name, true);
      return name;
    }
    if (names.size >= STATEMENT_CACHE_SIZE) {
      const oldest = names.keys().next().value as string;
      names.delete(oldest);
      await extended(client, `DEALLOCATE ${oldest}`);
      delete parsed[oldest];
    }
    names.set(name, true);
    return name;
  }

  async function runCursor(client: PoolClient, text: string, values: unknown[], options: QueryOptions) {
    if (!Cursor) throw new Error('pg-cursor is not loaded');
    const cursor = client.query(new Cursor(text, values, { types: types as never }));
    const budget = new RowBudget(options.maxRows, options.maxBytes);
    try {
      // The first batch is small; later ones are sized from the rows seen, so wide rows are not over-fetched.
      for (let want = budget.batch(FIRST_BATCH); want > 0; want = budget.batch(CURSOR_BATCH)) {
        const batch = await cursor.read(want);
        if (batch.length === 0) break;
        if (!batch.every((r) => budget.add(toJsonSafe(r) as Record<string, unknown>))) break;
      }
    } finally {
      await cursor.close().catch(() => undefined);
    }
    return budget.result();
  }

  /**
   * Ad-hoc SQL may leave session state (advisory locks, set_config, prepared statements, LISTEN, temp tables):
   * DISCARD ALL clears it before the connection is pooled again; if that fails the connection is dropped.
   */
  async function resetAndRelease(client: PoolClient): Promise<void> {
    try {
      await extended(client, 'DISCARD ALL');
      cached.delete(client);
      const parsed = parsedStatementsOf(client);
      for (const key of Object.keys(parsed ?? {})) delete parsed?.[key];
      client.release();
    } catch (error) {
      client.release(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Stops the statement running on backend `pid` (a side connection: the pool may be full). */
  async function cancelBackend(pid: number): Promise<void> {
    if (!pgModule) return;
    const side = new pgModule.Client({ connectionString: requireEnv(config.envVar ?? 'DATABASE_URL') });
    try {
      await side.connect();
      await side.query('SELECT pg_cancel_backend($1)', [pid]);
    } finally {
      await side.end().catch(() => undefined);
    }
  }

  return {
    async query(text, values, options = {}) {
      const client = await (await getPool()).connect().catch((error: unknown) => {
        throw wrapDbError(error);
      });
      // A cancelled call (client cancel, timeout, shutdown) stops its statement in the database too; the
      // connection is then dropped rather than pooled, so a late cancel can never hit another call's statement.
      let cancelled = false;
      const onAbort = () => {
        cancelled = true;
        const pid = (client as unknown as { processID?: number | null }).processID;
        if (pid) cancelBackend(pid).catch(() => undefined);
      };
      if (options.signal?.aborted) {
        client.release(); // cancelled while waiting for a pooled connection: nothing ran
        throw wrapDbError(options.signal.reason);
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const dropIfCancelled = () => {
        options.signal?.removeEventListener('abort', onAbort);
        if (cancelled) client.release(new Error('statement cancelled'));
        return cancelled;
      };
      const conn: PooledConnection = {
        async run(sql, params, runOptions): Promise<SqlResult> {
          if (runOptions?.adHoc || runOptions?.maxRows !== undefined || runOptions?.maxBytes !== undefined)
            return runCursor(client, sql, params ?? [], runOptions);
          const name = runOptions ? await statementName(client, sql) : undefined;
          const res = await extended(client, sql, params, {
            ...(types ? { types } : {}),
            ...(name ? { name } : {}),
          });
          return {
            rows: (res.rows ?? []).map((r) => toJsonSafe(r) as Record<string, unknown>),
            affectedRows: res.rowCount ?? 0,
          };
        },
        release: () => {
          if (!options.adHoc && !dropIfCancelled()) client.release();
        },
      };
      const readOnly = config.readOnly || options.readOnly;
      const timeout = options.timeoutMs
        ? [`SET LOCAL statement_timeout = ${Math.max(1, Math.trunc(options.timeoutMs))}`]
        : [];
      const begin = readOnly ? 'BEGIN READ ONLY' : timeout.length ? 'BEGIN' : undefined;
      try {
        return await runPooled(conn, text, values, { begin, setup: timeout }, options);
      } finally {
        if (options.adHoc && !dropIfCancelled()) await resetAndRelease(client);
      }
    },
    async close() {
      await pool?.end();
    },
  };
};
