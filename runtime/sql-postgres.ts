/** PostgreSQL driver (pg), loaded only by servers that declare a postgresql connection. */
import { requireEnv } from './errors.js';
import { toJsonSafe } from './json.js';
import { type SqlDriver, wrapDbError } from './sql.js';

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
    async query(text, values) {
      const client = await (await getPool()).connect().catch((error: unknown) => {
        throw wrapDbError(error);
      });
      try {
        if (config.readOnly) await client.query('BEGIN READ ONLY');
        const res = await client.query<Record<string, unknown>>(text, values as unknown[]);
        if (config.readOnly) await client.query('COMMIT');
        return {
          rows: (res.rows ?? []).map((r) => toJsonSafe(r) as Record<string, unknown>),
          affectedRows: res.rowCount ?? 0,
        };
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
};
