/** PostgreSQL driver (pg), loaded only by servers that declare a postgresql connection. */
import { requireEnv } from './errors.js';
import { toJsonSafe } from './json.js';
import { type PooledConnection, runPooled, type SqlDriver, wrapDbError } from './sql.js';

export const postgresDriver: SqlDriver = (config) => {
  let pool: import('pg').Pool | undefined;
  const getPool = async () => {
    if (!pool) {
      const pg = await import('pg');
      const Pool = pg.default?.Pool ?? pg.Pool;
      pool = new Pool({
        connectionString: requireEnv(config.envVar ?? 'DATABASE_URL'),
        max: config.poolMax ?? 10,
      });
      pool.on('error', () => {
        /* idle client errors surface on the next query */
      });
    }
    return pool;
  };
  return {
    async query(text, values, options) {
      const client = await (await getPool()).connect().catch((error: unknown) => {
        throw wrapDbError(error);
      });
      const conn: PooledConnection = {
        async run(sql, params) {
          const res = await client.query<Record<string, unknown>>(sql, params as unknown[] | undefined);
          return {
            rows: (res.rows ?? []).map((r) => toJsonSafe(r) as Record<string, unknown>),
            affectedRows: res.rowCount ?? 0,
          };
        },
        release: () => client.release(),
      };
      const readOnly = config.readOnly || options?.readOnly;
      const timeout = options?.timeoutMs
        ? [`SET LOCAL statement_timeout = ${Math.max(1, Math.trunc(options.timeoutMs))}`]
        : [];
      const begin = readOnly ? 'BEGIN READ ONLY' : timeout.length ? 'BEGIN' : undefined;
      return runPooled(conn, text, values, { begin, setup: timeout });
    },
    async close() {
      await pool?.end();
    },
  };
};
