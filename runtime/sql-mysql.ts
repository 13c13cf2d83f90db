/** MySQL/MariaDB driver (mysql2), loaded only by servers that declare such a connection. */
import { requireEnv } from './errors.js';
import { toJsonSafe } from './json.js';
import { type SqlDriver, wrapDbError } from './sql.js';

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
      const conn = await (await getPool()).getConnection().catch((error: unknown) => {
        throw wrapDbError(error);
      });
      try {
        if (config.readOnly) await conn.query('START TRANSACTION READ ONLY');
        const [result] = await conn.execute(text, values as never[]);
        if (config.readOnly) await conn.query('COMMIT');
        if (Array.isArray(result))
          return { rows: result.map((r) => toJsonSafe(r) as Record<string, unknown>), affectedRows: 0 };
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
};
