/**
 * Page latency at depth on PostgreSQL: the exact SQL the runtime sends (pageQuery + the shipped pg driver, named
 * prepared statements) for a list_ tool of a 1,000,000-row table — keyset pages (tables) against the OFFSET pages
 * with CASE ORDER BY that every list_ tool used before (still used for views, so a view over the same table gives
 * the "before"). Opt-in (it loads a million rows): MCP_FACTORY_TEST_BENCH=1 and MCP_FACTORY_TEST_PG_URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../../runtime/sql.js';
import { type PageDefinition, pageQuery } from '../../runtime/sql-page.js';
import { postgresDriver } from '../../runtime/sql-postgres.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { compileSql } from '../../src/core/spec/sql.js';
import { importDatabase } from '../../src/sources/database/index.js';
import { createScratchDb, type ScratchDb, skipDialect } from './scratch-db.js';

const ROWS = 1_000_000;
const LIMIT = 50;
const enabled = process.env.MCP_FACTORY_TEST_BENCH === '1';
if (!enabled) process.stderr.write('\n[skip] keyset benchmark: set MCP_FACTORY_TEST_BENCH=1 to run it\n');

describe.skipIf(!enabled || skipDialect('postgresql'))('keyset vs OFFSET at depth (PostgreSQL)', () => {
  let db: ScratchDb;
  let driver: SqlDatabase;
  const tools = new Map<string, { text: string; params: string[]; paginate: unknown }>();

  beforeAll(async () => {
    db = await createScratchDb('postgresql', [
      'CREATE TABLE big (id int PRIMARY KEY, grp int, name text NOT NULL, seen timestamptz)',
      `INSERT INTO big SELECT g, CASE WHEN g % 10 = 0 THEN NULL ELSE g % 97 END, md5(g::text),
         timestamptz '2024-01-01' + g * interval '1 second' FROM generate_series(1, ${ROWS}) AS g`,
      'CREATE INDEX big_name ON big (name, id)',
      'CREATE VIEW big_v AS SELECT * FROM big',
      'ANALYZE big',
    ]);
    process.env.MCPF_BENCH_PG_URL = db.url;
    driver = postgresDriver({ name: 'db', type: 'postgresql', envVar: 'MCPF_BENCH_PG_URL', poolMax: 1 }, '.');
    const imported = await importDatabase(db.url, { query: false, search: false });
    const spec = validateSpec(imported.spec).spec!;
    for (const tool of spec.tools) {
      if (!tool.sql) continue;
      tools.set(tool.name, {
        ...compileSql(tool.sql.statement, 'postgresql'),
        paginate: tool.sql.paginate,
      });
    }
  }, 600_000);

  afterAll(async () => {
    await driver?.close();
    await db?.drop();
  });

  const valuesFor = (tool: string, args: Record<string, unknown>) =>
    tools.get(tool)!.params.map((p) => args[p] ?? null);

  /** Median of 5 runs (after one warm-up) of one page query, in ms. */
  async function time(def: PageDefinition, tool: string, args: Record<string, unknown>) {
    const t = tools.get(tool)!;
    const values = valuesFor(tool, args);
    const page = pageQuery(def, t.text, values, args);
    const runs: number[] = [];
    let rows: Record<string, unknown>[] = [];
    for (let i = 0; i < 6; i++) {
      const t0 = performance.now();
      rows = (await driver.query(page.text, page.values, {})).rows;
      if (i > 0) runs.push(performance.now() - t0);
    }
    runs.sort((a, b) => a - b);
    return { ms: runs[2]!, rows, page };
  }

  it('serves the last page of a 1,000,000-row table about as fast as the first', async () => {
    const report: string[] = [];
    for (const sort of ['id', 'name']) {
      const args = { sort, direction: 'asc' };
      const keyset: PageDefinition = {
        defaultLimit: LIMIT,
        maxLimit: 1000,
        tool: 'list_big',
        dialect: 'postgresql',
        keyset: tools.get('list_big')!.paginate as PageDefinition['keyset'],
      };
      const first = await time(keyset, 'list_big', { ...args, limit: LIMIT });
      // The cursor the previous page would have returned: the row just before the last LIMIT rows.
      const [boundary] = await db.query(
        `SELECT id, name FROM big ORDER BY ${sort}, id OFFSET ${ROWS - LIMIT - 1} LIMIT 1`,
      );
      const cursor = first.page.next([boundary!]);
      const deep = await time(keyset, 'list_big', { ...args, limit: LIMIT, cursor });
      expect(deep.rows).toHaveLength(LIMIT);
      expect(deep.rows.at(-1)).toMatchObject(
        (await db.query(`SELECT id FROM big ORDER BY ${sort} DESC, id DESC LIMIT 1`))[0]!,
      );

      // Before: OFFSET over the CASE-ordered statement (the view's list_ tool is built the old way).
      const offset: PageDefinition = {
        defaultLimit: LIMIT,
        maxLimit: ROWS,
        tool: 'list_big_v',
        dialect: 'postgresql',
      };
      const oldFirst = await time(offset, 'list_big_v', { ...args, limit: LIMIT });
      const skip = pageQuery(offset, tools.get('list_big_v')!.text, valuesFor('list_big_v', args), {
        limit: ROWS - LIMIT,
      });
      const oldCursor = skip.next([]);
      const oldDeep = await time(offset, 'list_big_v', { ...args, limit: LIMIT, cursor: oldCursor });
      expect(oldDeep.rows.map((r) => r.id)).toEqual(deep.rows.map((r) => r.id));
      report.push(
        `sort=${sort}: keyset page 1 ${first.ms.toFixed(1)} ms, last page ${deep.ms.toFixed(1)} ms; ` +
          `OFFSET (before) page 1 ${oldFirst.ms.toFixed(1)} ms, last page ${oldDeep.ms.toFixed(1)} ms`,
      );
      expect(deep.ms).toBeLessThan(oldDeep.ms / 5);
    }
    process.stderr.write(`\n[keyset bench, ${ROWS} rows, ${LIMIT} per page]\n${report.join('\n')}\n`);
  }, 600_000);
});
