/** The query guard on a real PostgreSQL (scratch database per run; gated by MCP_FACTORY_TEST_PG_URL). */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { expect, it } from 'vitest';
import '../../runtime/sql-guard-postgres.js';
import { postgresDriver } from '../../runtime/sql-postgres.js';
import { REQUIRE_SERVICES, serviceGate } from '../helpers/services.js';
import { guardSuite } from './harness.js';

const SETUP = `
CREATE TABLE canary (id int PRIMARY KEY, name text NOT NULL, payload text, created timestamp NOT NULL);
CREATE TABLE orders (id int PRIMARY KEY, canary_id int REFERENCES canary (id), total numeric(10, 2));
CREATE SEQUENCE canary_seq;
INSERT INTO canary VALUES (1, 'alpha', '{"k": 1}', '2024-01-31 10:00'), (2, 'beta', NULL, '2024-02-29 23:59'),
  (3, 'gamma', '{"k": "x"}', '2023-12-31 00:00');
INSERT INTO orders VALUES (1, 1, 5), (2, 1, 25), (3, 2, 12.5), (4, 3, 30);
`;

const gate = serviceGate('MCP_FACTORY_TEST_PG_URL', 'PostgreSQL');
if (gate.missing) {
  const why = gate.missing;
  if (REQUIRE_SERVICES) it('postgresql: required service is configured', () => expect.fail(why));
  else it.skip(`postgresql: ${why}`, () => undefined);
} else {
  const admin = gate.url!;
  guardSuite('postgresql', async () => {
    const name = `mcpf_guard_${process.pid}_${randomBytes(3).toString('hex')}`;
    const a = new pg.Client({ connectionString: admin });
    await a.connect();
    await a.query(`CREATE DATABASE ${name}`);
    await a.end();
    const u = new URL(admin);
    u.pathname = `/${name}`;
    process.env.MCPF_GUARD_PG_URL = u.toString();
    const direct = new pg.Client({ connectionString: u.toString() });
    await direct.connect();
    await direct.query(SETUP);
    const db = postgresDriver({ name: 'db', type: 'postgresql', envVar: 'MCPF_GUARD_PG_URL' }, process.cwd());
    const one = async (sql: string) => (await direct.query(sql)).rows[0];
    return {
      db,
      kind: 'postgresql',
      state: async () => ({
        canary: await one(
          "SELECT count(*) AS n, md5(string_agg(id || ':' || name || ':' || coalesce(payload, ''), ',' ORDER BY id)) AS sum FROM canary",
        ),
        orders: await one('SELECT count(*) AS n, sum(total) AS s FROM orders'),
        relations: await one(
          "SELECT count(*) AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace",
        ),
        roles: await one('SELECT count(*) AS n FROM pg_roles'),
        largeObjects: await one('SELECT count(*) AS n FROM pg_largeobject_metadata'),
        sequence: await one('SELECT last_value, is_called FROM canary_seq'),
        locks: await one("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory'"),
        backends: await one(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = '${name}'`),
      }),
      direct: async (sql, params) => (await direct.query(sql, params)).rows.length,
      close: async () => {
        await db.close();
        await direct.end();
        const d = new pg.Client({ connectionString: admin });
        await d.connect();
        await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await d.end();
      },
    };
  });
}
