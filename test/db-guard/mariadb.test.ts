/** The query guard on a real MariaDB (scratch database per run; gated by MCP_FACTORY_TEST_MYSQL_URL). */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { expect, it } from 'vitest';
import '../../runtime/sql-guard-mysql.js';
import { mysqlDriver } from '../../runtime/sql-mysql.js';
import { REQUIRE_SERVICES, serviceGate } from '../helpers/services.js';
import { guardSuite } from './harness.js';

const SETUP = `
CREATE TABLE canary (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, payload TEXT, created DATETIME NOT NULL);
CREATE TABLE orders (id INT PRIMARY KEY, canary_id INT, total DECIMAL(10, 2));
CREATE SEQUENCE canary_seq;
INSERT INTO canary VALUES (1, 'alpha', '{"k": 1}', '2024-01-31 10:00'), (2, 'beta', NULL, '2024-02-29 23:59'),
  (3, 'gamma', '{"k": "x"}', '2023-12-31 00:00');
INSERT INTO orders VALUES (1, 1, 5), (2, 1, 25), (3, 2, 12.5), (4, 3, 30);
`;

const gate = serviceGate('MCP_FACTORY_TEST_MYSQL_URL', 'MariaDB');
if (gate.missing) {
  const why = gate.missing;
  if (REQUIRE_SERVICES) it('mariadb: required service is configured', () => expect.fail(why));
  else it.skip(`mariadb: ${why}`, () => undefined);
} else {
  const admin = gate.url!;
  guardSuite('mariadb', async () => {
    const name = `mcpf_guard_${process.pid}_${randomBytes(3).toString('hex')}`;
    const a = await mysql.createConnection({ uri: admin });
    await a.query(`CREATE DATABASE \`${name}\``);
    await a.end();
    const u = new URL(admin);
    u.pathname = `/${name}`;
    process.env.MCPF_GUARD_MYSQL_URL = u.toString();
    const direct = await mysql.createConnection({ uri: u.toString(), multipleStatements: true });
    await direct.query(SETUP);
    const db = mysqlDriver({ name: 'db', type: 'mariadb', envVar: 'MCPF_GUARD_MYSQL_URL' }, process.cwd());
    const one = async (sql: string) => ((await direct.query(sql))[0] as Array<Record<string, unknown>>)[0];
    return {
      db,
      kind: 'mariadb',
      state: async () => ({
        canary: await one(
          "SELECT COUNT(*) AS n, SUM(CRC32(CONCAT_WS(':', id, name, payload, created))) AS sum FROM canary",
        ),
        orders: await one('SELECT COUNT(*) AS n, SUM(total) AS s FROM orders'),
        tables: await one(
          `SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = '${name}'`,
        ),
        users: await one('SELECT COUNT(*) AS n FROM mysql.user'),
        sequence: await one('SELECT next_not_cached_value AS v FROM canary_seq'),
        // Asked from another connection: a lock left on a pooled connection shows as not free.
        lock: await one("SELECT IS_FREE_LOCK('mcpf_guard_lock') AS free"),
      }),
      direct: async (sql, params) => ((await direct.query(sql, params))[0] as unknown[]).length,
      close: async () => {
        await db.close();
        await direct.query(`DROP DATABASE IF EXISTS \`${name}\``);
        await direct.end();
      },
    };
  });
}
