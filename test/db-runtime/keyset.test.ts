/**
 * Keyset pages of list_ tools, on real PostgreSQL, MariaDB and SQLite servers as generated: every sort column
 * (NULLs and duplicates included) in both directions pages through exactly the rows, in exactly the order, that
 * the database's own ORDER BY gives; cursors are bound to the tool, sort, direction and filters, and a forged or
 * edited cursor is refused — checked by effect (rows returned, table intact), never by trusting a message alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageQuery } from '../../runtime/sql-page.js';
import { createScratchDb, type ScratchDb, type ScratchDialect, skipDialect } from './scratch-db.js';
import { buildDbServer, callOn, type DbServer } from './server.js';

const ROWS = 61;
const SEEN_TYPE: Record<ScratchDialect, string> = {
  postgresql: 'timestamptz(6)',
  mariadb: 'timestamp(6) NULL DEFAULT NULL',
  sqlite: 'TEXT',
};

function ddl(dialect: ScratchDialect): string[] {
  const values = Array.from({ length: ROWS }, (_, n) => {
    const i = n + 1;
    const grp = i % 4 === 0 ? 'NULL' : String(i % 5);
    const name = `'${['b', 'a', 'c'][i % 3]}${i % 2 ? ' x' : ''}'`;
    const seen = i % 7 === 0 ? 'NULL' : `'2024-01-0${(i % 9) + 1} 10:00:0${i % 2}.500000'`;
    return `(${i}, ${grp}, ${name}, ${seen})`;
  });
  return [
    `CREATE TABLE k (id INTEGER PRIMARY KEY, grp INTEGER NULL, name VARCHAR(40) NOT NULL, seen ${SEEN_TYPE[dialect]})`,
    'CREATE TABLE other (id INTEGER PRIMARY KEY, v VARCHAR(20))',
    `INSERT INTO k (id, grp, name, seen) VALUES ${values.join(', ')}`,
    "INSERT INTO other (id, v) VALUES (1, 'one'), (2, 'two'), (3, 'three')",
  ];
}

type Page = { rows?: Array<Record<string, unknown>>; nextCursor?: string; error?: string };

describe('keyset pages: unit', () => {
  it('binds hostile key values as parameters and never puts them in the SQL text', () => {
    const def = {
      defaultLimit: 2,
      maxLimit: 10,
      tool: 'list_t',
      dialect: 'postgresql' as const,
      keyset: {
        key: [{ column: 'id' }],
        sort: { parameter: 'sort', columns: { name: { column: 'name', nullable: true } } },
        direction: 'direction',
      },
    };
    const args = { sort: 'name', direction: 'asc' };
    const first = pageQuery(def, 'SELECT id, name FROM t WHERE $1::int IS NULL', [null], args);
    const hostile = "x'); DROP TABLE t; --";
    const cursor = first.next([{ id: '1 OR 1=1', name: hostile }]);
    const second = pageQuery(def, 'SELECT id, name FROM t WHERE $1::int IS NULL', [null], {
      ...args,
      cursor,
    });
    expect(second.text).not.toContain('DROP');
    expect(second.text).not.toContain('1=1');
    expect(second.values).toContain(hostile);
    expect(second.values).toContain('1 OR 1=1');
    expect(second.text).toMatch(/"name" >= \$2/);
    // Another statement (another tool or filters) refuses the cursor.
    expect(() =>
      pageQuery(def, 'SELECT id, name FROM t WHERE $1::int = 1', [null], { ...args, cursor }),
    ).toThrow(/does not match/);
    expect(() =>
      pageQuery(def, 'SELECT id, name FROM t WHERE $1::int IS NULL', [3], { ...args, cursor }),
    ).toThrow(/does not match/);
  });
});

for (const dialect of ['postgresql', 'mariadb', 'sqlite'] as const) {
  describe.skipIf(skipDialect(dialect))(`keyset pages on ${dialect}`, () => {
    let db: ScratchDb;
    let work: string;
    let server: DbServer;
    const list = (args: Record<string, unknown>) => server.call('list_k', args) as Promise<Page>;

    /** Every page from the first: the ids in order; fails on a cursor loop. */
    const walk = async (args: Record<string, unknown>) => {
      const ids: unknown[] = [];
      let cursor: string | undefined;
      for (let calls = 0; calls <= ROWS + 1; calls++) {
        const page = await list({ ...args, ...(cursor ? { cursor } : {}) });
        if (page.error) throw new Error(page.error);
        ids.push(...(page.rows ?? []).map((r) => r.id));
        cursor = page.nextCursor;
        if (!cursor) return ids;
      }
      throw new Error('pages never ended');
    };
    const reference = async (column: string, dir: 'asc' | 'desc', where = '') =>
      (await db.query(`SELECT id FROM k ${where} ORDER BY ${column} ${dir}, id ${dir}`)).map((r) =>
        Number(r.id),
      );

    beforeAll(async () => {
      db = await createScratchDb(dialect, ddl(dialect));
      work = mkdtempSync(join(tmpdir(), `mcpf-keyset-${dialect}-`));
      server = await buildDbServer(db.url, work, db.env);
    }, 180_000);

    afterAll(async () => {
      await server?.close();
      await db?.drop();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('pages every sort column in both directions exactly as the database orders them', async () => {
      for (const sort of ['id', 'grp', 'name', 'seen'])
        for (const direction of ['asc', 'desc'] as const) {
          const ids = await walk({ sort, direction, limit: 7 });
          expect(ids, `${sort} ${direction}`).toEqual(await reference(sort, direction));
        }
    });

    it('keeps the order with a filter and with one row per page (NULL boundaries)', async () => {
      for (const direction of ['asc', 'desc'] as const) {
        expect(await walk({ sort: 'grp', direction, grp_min: 1, limit: 4 })).toEqual(
          await reference('grp', direction, 'WHERE grp >= 1'),
        );
        expect(await walk({ sort: 'seen', direction, limit: 1 })).toEqual(await reference('seen', direction));
      }
    });

    it('accepts another limit on later pages', async () => {
      const first = await list({ sort: 'name', limit: 5 });
      const next = await list({ sort: 'name', limit: 9, cursor: first.nextCursor });
      const ids = [...(first.rows ?? []), ...(next.rows ?? [])].map((r) => r.id);
      expect(ids).toEqual((await reference('name', 'asc')).slice(0, 14));
    });

    it('refuses a cursor replayed with another sort, direction or filter, or on another tool', async () => {
      const first = await list({ sort: 'grp', limit: 5 });
      const cursor = first.nextCursor!;
      expect(cursor).toBeTruthy();
      for (const args of [
        { sort: 'name', cursor },
        { sort: 'grp', direction: 'desc', cursor },
        { sort: 'grp', grp_min: 2, cursor },
        { sort: 'grp', name: 'a', cursor },
      ]) {
        const page = await list(args);
        expect(page.rows, JSON.stringify(args)).toBeUndefined();
        expect(page.error).toMatch(/does not match this call/);
      }
      const elsewhere = (await server.call('list_other', { cursor })) as Page;
      expect(elsewhere.rows).toBeUndefined();
      expect(elsewhere.error).toMatch(/does not match this call/);
    });

    it('refuses edited and forged cursors; the table is intact afterwards', async () => {
      const before = await db.query('SELECT count(*) AS n, sum(id) AS s FROM k');
      const { nextCursor } = await list({ sort: 'grp', limit: 5 });
      const [payload, tag] = nextCursor!.split('.');
      const decoded = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
      const edited = Buffer.from(
        JSON.stringify({ ...decoded, k: [null, '0 OR 1=1; DROP TABLE k'] }),
      ).toString('base64url');
      const attempts = [
        `${edited}.${tag}`,
        `${payload}.${Buffer.alloc(16).toString('base64url')}`,
        `${payload}`,
        `${payload}.${tag}.x`,
        Buffer.from(JSON.stringify({ o: 0 })).toString('base64url'),
        'x'.repeat(20_000),
      ];
      for (const cursor of attempts) {
        const page = await list({ sort: 'grp', limit: 5, cursor });
        expect(page.rows).toBeUndefined();
        expect(page.error).toMatch(/invalid cursor/);
      }
      expect(await db.query('SELECT count(*) AS n, sum(id) AS s FROM k')).toEqual(before);
      expect((await list({ sort: 'grp', limit: 5, cursor: nextCursor })).rows).toHaveLength(5);
    });

    it('binds cursors to the server secret: refused by another process, accepted with a shared MCP_CURSOR_SECRET', async () => {
      const { nextCursor } = await list({ limit: 3 });
      const other = await server.connect();
      expect((await callOn(other, 'list_k', { limit: 3, cursor: nextCursor })).error).toMatch(
        /invalid cursor/,
      );
      const env = { MCP_CURSOR_SECRET: 'shared-test-secret' };
      const a = await server.connect(env);
      const b = await server.connect(env);
      const fromA = (await callOn(a, 'list_k', { limit: 3 })) as Page;
      const onB = (await callOn(b, 'list_k', { limit: 3, cursor: fromA.nextCursor })) as Page;
      expect(onB.rows?.map((r) => r.id)).toEqual([4, 5, 6]);
    });

    it('tamper-checks OFFSET cursors of search_ tools and binds them to the query', async () => {
      const first = (await server.call('search_k', { query: 'a', limit: 2 })) as Page;
      expect(first.nextCursor).toBeTruthy();
      const next = (await server.call('search_k', {
        query: 'a',
        limit: 2,
        cursor: first.nextCursor,
      })) as Page;
      expect(next.rows).toHaveLength(2);
      expect(next.rows?.[0]?.id).not.toBe(first.rows?.[1]?.id);
      const replay = (await server.call('search_k', { query: 'b', cursor: first.nextCursor })) as Page;
      expect(replay.error).toMatch(/does not match this call/);
      const forged = Buffer.from(JSON.stringify({ o: 1 })).toString('base64url');
      expect(((await server.call('search_k', { query: 'a', cursor: forged })) as Page).error).toMatch(
        /invalid cursor/,
      );
    });
  });
}
