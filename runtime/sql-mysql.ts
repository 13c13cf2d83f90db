/** MySQL/MariaDB driver (mysql2), loaded only by servers that declare such a connection. */
import { requireEnv } from './errors.js';
import { toJsonSafe } from './json.js';
import { type PooledConnection, runPooled, type SqlDriver, wrapDbError } from './sql.js';

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
    async query(text, values, options) {
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
      const readOnly = config.readOnly || options?.readOnly;
      const timeout = options?.timeoutMs ? await statementTimeout(conn, options.timeoutMs) : undefined;
      return runPooled(conn, text, values, {
        begin: readOnly ? 'START TRANSACTION READ ONLY' : undefined,
        setup: timeout ? [timeout.set] : [],
        teardown: timeout ? [timeout.reset] : [],
      });
    },
    async close() {
      await pool?.end();
    },
  };
};
