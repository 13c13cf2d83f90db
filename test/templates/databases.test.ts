/**
 * postgres and mysql templates against the real PostgreSQL and MariaDB of this machine: list_tables, describe_table,
 * the guarded query tool and (readOnly=false) execute. Gated by MCP_FACTORY_TEST_PG_URL / MCP_FACTORY_TEST_MYSQL_URL;
 * MCP_FACTORY_REQUIRE_SERVICES=1 turns a skip into a failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectStdio } from '../helpers/mcp.js';
import { REQUIRE_SERVICES, serviceGate } from '../helpers/services.js';
import { buildTemplate, fails, ok } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'mcpf-tpl-db-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SETUP = {
  postgres: [
    'DROP VIEW IF EXISTS tpl_big_orders',
    'DROP TABLE IF EXISTS tpl_orders',
    'DROP TABLE IF EXISTS tpl_customers',
    'CREATE TABLE tpl_customers (id serial PRIMARY KEY, name text NOT NULL, email text)',
    "COMMENT ON TABLE tpl_customers IS 'People who order'",
    'CREATE TABLE tpl_orders (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES tpl_customers(id), total numeric(10,2) NOT NULL DEFAULT 0)',
    'CREATE VIEW tpl_big_orders AS SELECT * FROM tpl_orders WHERE total > 100',
    "INSERT INTO tpl_customers (name, email) VALUES ('Ada', 'ada@example.com'), ('Linus', NULL)",
    'INSERT INTO tpl_orders (customer_id, total) VALUES (1, 250), (2, 20)',
  ],
  mysql: [
    'DROP VIEW IF EXISTS tpl_big_orders',
    'DROP TABLE IF EXISTS tpl_orders',
    'DROP TABLE IF EXISTS tpl_customers',
    "CREATE TABLE tpl_customers (id int AUTO_INCREMENT PRIMARY KEY, name varchar(100) NOT NULL, email varchar(200)) COMMENT='People who order'",
    'CREATE TABLE tpl_orders (id int AUTO_INCREMENT PRIMARY KEY, customer_id int NOT NULL, total decimal(10,2) NOT NULL DEFAULT 0, FOREIGN KEY (customer_id) REFERENCES tpl_customers(id))',
    'CREATE VIEW tpl_big_orders AS SELECT * FROM tpl_orders WHERE total > 100',
    "INSERT INTO tpl_customers (name, email) VALUES ('Ada', 'ada@example.com'), ('Linus', NULL)",
    'INSERT INTO tpl_orders (customer_id, total) VALUES (1, 250), (2, 20)',
  ],
};

async function setup(kind: 'postgres' | 'mysql', url: string): Promise<void> {
  if (kind === 'postgres') {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    for (const sql of SETUP.postgres) await client.query(sql);
    await client.end();
  } else {
    const conn = await mysql.createConnection(url);
    for (const sql of SETUP.mysql) await conn.query(sql);
    await conn.end();
  }
}

const targets = [
  { kind: 'postgres' as const, gate: serviceGate('MCP_FACTORY_TEST_PG_URL', 'PostgreSQL') },
  { kind: 'mysql' as const, gate: serviceGate('MCP_FACTORY_TEST_MYSQL_URL', 'MariaDB') },
];

for (const { kind, gate } of targets) {
  if (gate.missing) {
    if (REQUIRE_SERVICES) it(`${kind}: required service is configured`, () => expect.fail(gate.missing));
    else it.skip(`${kind}: ${gate.missing}`, () => undefined);
    continue;
  }
  const url = gate.url!;
  const pgsql = kind === 'postgres';
  describe(`${kind} template`, () => {
    let client: Client;

    beforeAll(async () => {
      await setup(kind, url);
      const { bundle } = await buildTemplate(
        kind,
        { envVar: 'TPL_DB_URL', readOnly: 'false', maxRows: '1' },
        work,
      );
      client = await connectStdio(bundle, '2026-07-28', { TPL_DB_URL: url });
    });
    afterAll(async () => {
      await client?.close();
    });

    it('list_tables lists tables and views with their type and comment', async () => {
      const { rows } = (await ok(client, 'list_tables')) as { rows: Array<Record<string, unknown>> };
      const mine = rows.filter((r) => String(r.name).startsWith('tpl_'));
      expect(mine.map((r) => [r.name, r.type])).toEqual([
        ['tpl_big_orders', 'view'],
        ['tpl_customers', 'table'],
        ['tpl_orders', 'table'],
      ]);
      expect(mine[1]).toMatchObject({ comment: 'People who order', schema: pgsql ? 'public' : 'test' });
      const scoped = (await ok(client, 'list_tables', { schema: 'no_such_schema' })) as { rows: unknown[] };
      expect(scoped.rows).toEqual([]);
    });

    it('describe_table returns columns with types, nullability, defaults, keys and references', async () => {
      const { rows } = (await ok(client, 'describe_table', { table: 'tpl_orders' })) as {
        rows: Array<Record<string, unknown>>;
      };
      expect(rows.map((r) => r.column)).toEqual(['id', 'customer_id', 'total']);
      expect(rows[0]).toMatchObject({ primaryKey: pgsql ? true : 1, nullable: pgsql ? false : 0 });
      expect(rows[1]).toMatchObject({
        primaryKey: pgsql ? false : 0,
        references: pgsql ? 'public.tpl_customers(id)' : 'test.tpl_customers(id)',
      });
      expect(String(rows[2]!.type)).toMatch(/^(numeric|decimal)\(10,2\)$/);
      expect(String(rows[2]!.default)).toMatch(/^0/);
      const email = (
        (await ok(client, 'describe_table', { table: 'tpl_customers' })) as {
          rows: Array<Record<string, unknown>>;
        }
      ).rows[2];
      expect(email).toMatchObject({ column: 'email', nullable: pgsql ? true : 1, references: null });
      expect(((await ok(client, 'describe_table', { table: 'nope' })) as { rows: unknown[] }).rows).toEqual(
        [],
      );
      // A table name is a bound value, never SQL.
      expect(
        ((await ok(client, 'describe_table', { table: "tpl_orders' OR '1'='1" })) as { rows: unknown[] })
          .rows,
      ).toEqual([]);
    });

    it('query runs read-only SQL with bound params and a row limit, and refuses writes', async () => {
      const sql = `SELECT name FROM tpl_customers WHERE id >= ${pgsql ? '$1' : '?'} ORDER BY id`;
      expect(await ok(client, 'query', { sql, params: [1] })).toEqual({
        rows: [{ name: 'Ada' }],
        truncated: true,
      });
      for (const bad of [
        'DELETE FROM tpl_customers',
        'SELECT 1; DELETE FROM tpl_customers',
        'WITH x AS (SELECT 1) DELETE FROM tpl_customers',
      ])
        await fails(client, 'query', { sql: bad });
      if (pgsql)
        expect(
          await fails(client, 'query', {
            sql: 'SELECT nextval(pg_get_serial_sequence($1, $2))',
            params: ['tpl_customers', 'id'],
          }),
        ).toMatch(/read-only/);
      const count = await ok(client, 'query', { sql: 'SELECT COUNT(*) AS n FROM tpl_customers' });
      expect(Number((count as { rows: Array<{ n: unknown }> }).rows[0]!.n)).toBe(2);
    });

    it('execute (readOnly=false) writes with bound values, one statement only', async () => {
      const insert = pgsql
        ? 'INSERT INTO tpl_customers (name) VALUES ($1), ($2) RETURNING id'
        : 'INSERT INTO tpl_customers (name) VALUES (?), (?)';
      const res = (await ok(client, 'execute', {
        sql: insert,
        params: ["O'Brien; DROP TABLE tpl_orders", 'Grace'],
      })) as {
        affectedRows: number;
        rows: unknown[];
      };
      expect(res.affectedRows).toBe(2);
      if (pgsql) expect(res.rows).toHaveLength(2);
      expect(
        await fails(client, 'execute', { sql: "UPDATE tpl_customers SET name = 'x'; DROP TABLE tpl_orders" }),
      ).toContain('only one statement');
      // A ; inside a string literal or comment is not a separator.
      await ok(client, 'execute', {
        sql: "UPDATE tpl_customers SET email = 'a;b' WHERE name = 'Grace' -- ; not a statement",
      });
      const { rows } = (await ok(client, 'query', {
        sql: "SELECT COUNT(*) AS n FROM tpl_customers WHERE email = 'a;b' OR name LIKE 'O''Brien%'",
      })) as { rows: Array<{ n: unknown }> };
      expect(Number(rows[0]!.n)).toBe(2);
      const tables = (await ok(client, 'list_tables')) as { rows: Array<{ name: string }> };
      expect(tables.rows.some((r) => r.name === 'tpl_orders')).toBe(true);
    });
  });
}
