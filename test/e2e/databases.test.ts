/**
 * sql tools against the real PostgreSQL and MariaDB of this machine. Gated by MCP_FACTORY_TEST_PG_URL and
 * MCP_FACTORY_TEST_MYSQL_URL (.ci/run sets both and MCP_FACTORY_REQUIRE_SERVICES=1, turning a skip into a failure).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { type ServerSpec, validateSpec } from '../../src/core/spec/index.js';
import { connectHttp, connectStdio, ERAS, startHttp, textOf } from '../helpers/mcp.js';
import { REQUIRE_SERVICES, serviceGate } from '../helpers/services.js';

const work = mkdtempSync(join(tmpdir(), 'mcpf-db-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function specFor(kind: 'postgresql' | 'mariadb'): ServerSpec {
  const placeholder = kind === 'postgresql' ? '$1' : '?';
  const raw = {
    name: `${kind}-e2e`,
    version: '1.0.0',
    connections: [
      { name: 'db', type: kind, envVar: 'E2E_DB_URL' },
      { name: 'ro', type: kind, envVar: 'E2E_DB_URL', readOnly: true },
    ],
    tools: [
      {
        name: 'search_items',
        description: 'Items whose name matches a LIKE pattern',
        parameters: { pattern: { type: 'string', required: true } },
        sql: {
          connection: 'db',
          paginate: true,
          statement: 'SELECT id, name, qty FROM mcpf_items WHERE name LIKE :pattern ORDER BY id',
        },
        examples: [{ arguments: { pattern: '%' }, expect: { contains: 'bolt' } }],
      },
      {
        name: 'get_item',
        description: 'One item',
        parameters: { id: { type: 'integer', required: true } },
        returns: {
          type: 'object',
          properties: { id: { type: 'integer' }, name: { type: 'string' }, qty: { type: 'integer' } },
        },
        sql: {
          connection: 'db',
          result: 'row',
          statement: 'SELECT id, name, qty FROM mcpf_items WHERE id = :id',
        },
        examples: [{ arguments: { id: 1 }, expect: { contains: 'bolt' } }],
      },
      {
        name: 'count_items',
        description: 'How many items',
        sql: { connection: 'db', result: 'value', statement: 'SELECT COUNT(*) AS n FROM mcpf_items' },
      },
      {
        name: 'add_item',
        description: 'Insert an item',
        parameters: { name: { type: 'string', required: true }, qty: { type: 'integer', default: 0 } },
        sql: {
          connection: 'db',
          result: 'exec',
          statement: 'INSERT INTO mcpf_items (name, qty) VALUES (:name, :qty)',
        },
        examples: [{ arguments: { name: 'washer', qty: 3 }, expect: { contains: '"affectedRows": 1' } }],
      },
      {
        name: 'twice',
        description: 'The same parameter bound twice, plus a literal that looks like a placeholder',
        parameters: { n: { type: 'integer', required: true } },
        sql: {
          connection: 'db',
          result: 'row',
          statement:
            kind === 'postgresql'
              ? "SELECT CAST(:n AS int) + CAST(:n AS int) AS total, ':not_a_param'::text AS lit"
              : "SELECT :n + :n AS total, ':not_a_param' AS lit",
        },
      },
      {
        name: 'count_read_only',
        description: 'A read through the read-only connection',
        sql: { connection: 'ro', result: 'value', statement: 'SELECT COUNT(*) AS n FROM mcpf_items' },
      },
      {
        name: 'write_read_only',
        description: 'A write through the read-only connection must fail',
        sql: {
          connection: 'ro',
          result: 'exec',
          statement: "INSERT INTO mcpf_items (name, qty) VALUES ('ro', 1)",
        },
        examples: [{ arguments: {}, expect: { isError: true } }],
      },
      {
        name: 'heaviest',
        description: 'Code tool using the connection directly',
        parameters: { min: { type: 'integer', default: 0 } },
        code: {
          source: `const { rows } = await ctx.db('db').query('SELECT name, qty FROM mcpf_items WHERE qty >= ${placeholder} ORDER BY qty DESC, name', [args.min]);\nreturn { top: rows[0] ?? null, count: rows.length };`,
        },
      },
    ],
  };
  const result = validateSpec(raw);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.spec!;
}

async function resetPostgres(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('DROP TABLE IF EXISTS mcpf_items');
  await client.query('CREATE TABLE mcpf_items (id serial PRIMARY KEY, name text NOT NULL, qty int NOT NULL)');
  await client.query("INSERT INTO mcpf_items (name, qty) VALUES ('bolt', 10), ('nut', 25), ('screw', 7)");
  await client.end();
}

async function resetMysql(url: string) {
  const conn = await mysql.createConnection(url);
  await conn.query('DROP TABLE IF EXISTS mcpf_items');
  await conn.query(
    'CREATE TABLE mcpf_items (id int AUTO_INCREMENT PRIMARY KEY, name varchar(100) NOT NULL, qty int NOT NULL)',
  );
  await conn.query("INSERT INTO mcpf_items (name, qty) VALUES ('bolt', 10), ('nut', 25), ('screw', 7)");
  await conn.end();
}

const targets = [
  {
    kind: 'postgresql' as const,
    gate: serviceGate('MCP_FACTORY_TEST_PG_URL', 'PostgreSQL'),
    reset: resetPostgres,
  },
  { kind: 'mariadb' as const, gate: serviceGate('MCP_FACTORY_TEST_MYSQL_URL', 'MariaDB'), reset: resetMysql },
];

for (const { kind, gate, reset } of targets) {
  if (gate.missing) {
    if (REQUIRE_SERVICES) it(`${kind}: required service is configured`, () => expect.fail(gate.missing));
    else it.skip(`${kind}: ${gate.missing}`, () => undefined);
    continue;
  }
  const url = gate.url!;
  describe(kind, () => {
    let bundle: string;

    it('creates a server whose generated tests pass against the database', async () => {
      await reset(url);
      const result = await createServerProject({
        spec: specFor(kind),
        specDir: work,
        outDir: join(work, kind),
        testEnv: { E2E_DB_URL: url },
      });
      expect(result.tests?.failed).toBe(0);
      expect(result.tests?.skipped).toEqual([]);
      bundle = result.bundle.file;
    });

    it.each(ERAS)('answers sql and code tools over stdio (%s)', async (era) => {
      await reset(url);
      const client = await connectStdio(bundle, era, { E2E_DB_URL: url });
      try {
        const page = await client.callTool({ name: 'search_items', arguments: { pattern: '%', limit: 2 } });
        const content = page.structuredContent as { rows: Array<{ name: string }>; nextCursor?: string };
        expect(content.rows.map((r) => r.name)).toEqual(['bolt', 'nut']);
        const next = await client.callTool({
          name: 'search_items',
          arguments: { pattern: '%', limit: 2, cursor: content.nextCursor },
        });
        expect((next.structuredContent as { rows: Array<{ name: string }> }).rows.map((r) => r.name)).toEqual(
          ['screw'],
        );

        expect((await client.callTool({ name: 'get_item', arguments: { id: 2 } })).structuredContent).toEqual(
          { result: { id: 2, name: 'nut', qty: 25 } },
        );
        expect(
          (await client.callTool({ name: 'get_item', arguments: { id: 99 } })).structuredContent,
        ).toEqual({ result: null });
        expect(Number(textOf(await client.callTool({ name: 'count_items', arguments: {} })))).toBe(3);
        expect(
          (
            await client.callTool({
              name: 'add_item',
              arguments: { name: "O'Reilly; DROP TABLE mcpf_items; --" },
            })
          ).structuredContent,
        ).toEqual({ affectedRows: 1 });
        expect(Number(textOf(await client.callTool({ name: 'count_items', arguments: {} })))).toBe(4);
        const twice = await client.callTool({ name: 'twice', arguments: { n: 21 } });
        expect(twice.structuredContent).toMatchObject({ total: 42, lit: ':not_a_param' });
        expect(Number(textOf(await client.callTool({ name: 'count_read_only', arguments: {} })))).toBe(4);
        const refused = await client.callTool({ name: 'write_read_only', arguments: {} });
        expect(refused.isError).toBe(true);
        expect(textOf(refused)).toMatch(/read.only/i);
        expect(Number(textOf(await client.callTool({ name: 'count_items', arguments: {} })))).toBe(4);
        const heaviest = await client.callTool({ name: 'heaviest', arguments: { min: 8 } });
        expect(heaviest.structuredContent).toEqual({ top: { name: 'nut', qty: 25 }, count: 2 });
      } finally {
        await client.close();
      }
    });

    it('answers over streamable HTTP and reports database errors as tool errors', async () => {
      const server = await startHttp(bundle, { E2E_DB_URL: url });
      try {
        for (const era of ERAS) {
          const client = await connectHttp(server.url, era);
          expect(textOf(await client.callTool({ name: 'get_item', arguments: { id: 1 } }))).toContain('bolt');
          await client.close();
        }
      } finally {
        await server.stop();
      }
      const broken = await connectStdio(bundle, '2026-07-28', {
        E2E_DB_URL:
          kind === 'postgresql' ? 'postgres://nobody@127.0.0.1:1/none' : 'mysql://nobody@127.0.0.1:1/none',
      });
      try {
        const res = await broken.callTool({ name: 'count_items', arguments: {} });
        expect(res.isError).toBe(true);
        expect(textOf(res)).toMatch(/database error/);
      } finally {
        await broken.close();
      }
    });
  });
}
