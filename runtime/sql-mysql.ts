/** MySQL/MariaDB driver (mysql2), loaded only by servers that declare such a connection. */
import { requireEnv } from './errors.js';
import { toJsonSafe } from './json.js';
import { type PooledConnection, runPooled, type SqlDriver, wrapDbError } from './sql.js';

export const mysqlDriver: SqlDriver = (config) => {
  let pool: import('mysql2/promise').Pool | undefined;
  const getPool = async () => {
    if (!pool) {
      const mysql = await import('mysql2/promise');
      const createPool = mysql.default?.createPool ?? mysql.createPool;
      pool = createPool({
        uri: requireEnv(config.envVar ?? 'DATABASE_URL'),
        connectionLimit: config.poolMax ?? 10,
        supportBigNumbers: true,
      });
    }
    return pool;
  };
  return {
    async query(text, values) {
      const pooled = await (await getPool()).getConnection().catch((error: unknown) => {
        throw wrapDbError(error);
      });
      const conn: PooledConnection = {
        async run(sql, params) {
          // Prepared statements for tool SQL; plain queries for transaction control (not preparable in MariaDB).
          const [result] = params ? await pooled.execute(sql, params as never[]) : await pooled.query(sql);
          if (Array.isArray(result))
            return { rows: result.map((r) => toJsonSafe(r) as Record<string, unknown>), affectedRows: 0 };
          return { rows: [], affectedRows: (result as { affectedRows?: number }).affectedRows ?? 0 };
        },
        release: () => pooled.release(),
      };
      return runPooled(conn, text, values, config.readOnly ? 'START TRANSACTION READ ONLY' : undefined);
    },
    async close() {
      await pool?.end();
    },
  };
};
