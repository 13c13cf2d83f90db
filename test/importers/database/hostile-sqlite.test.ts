/**
 * Hostile identifiers in a SQLite fixture: the generated statements are compiled exactly as the generator does
 * (compileSql) and run with better-sqlite3, so quoting, placeholder lexing and renaming are checked on a real
 * database without building a server (the Chinook suites do that).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageQuery } from '../../../runtime/sql-page.js';
import { compileSql, IDENTIFIER, type Tool, validateSpec } from '../../../src/core/spec/index.js';
import { type ImportDatabaseResult, importDatabase } from '../../../src/sources/database/index.js';

const TABLE = 't:x"; DROP TABLE y; --';
const COLUMNS = [
  'a"b',
  'x; DROP TABLE y',
  ':x',
  '$1',
  '?',
  '--c',
  '/*c*/',
  "'q'",
  'back\\slash',
  'é',
  'limit',
  'Sort',
];

let work: string;
let db: Database.Database;
let imported: ImportDatabaseResult;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-hostile-'));
  const file = join(work, 'hostile.db');
  db = new Database(file);
  const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
  db.exec(`CREATE TABLE y (id INTEGER PRIMARY KEY); INSERT INTO y VALUES (1);`);
  db.exec(
    `CREATE TABLE ${q(TABLE)} ("id" INTEGER PRIMARY KEY, ${COLUMNS.map((c) => `${q(c)} ${c === 'limit' ? 'INTEGER' : 'TEXT'}`).join(', ')})`,
  );
  const insert = db.prepare(
    `INSERT INTO ${q(TABLE)} VALUES (${Array(COLUMNS.length + 1)
      .fill('?')
      .join(', ')})`,
  );
  insert.run(1, ...COLUMNS.map((c, i) => (c === 'limit' ? 10 : `v${i}: ${c}`)));
  insert.run(2, ...COLUMNS.map((c, i) => (c === 'limit' ? 20 : `w${i}'; DROP TABLE y; --`)));
  db.exec(`CREATE VIEW ${q('v"; DELETE FROM y')} AS SELECT "id", "a""b" FROM ${q(TABLE)}`);
  imported = await importDatabase(`sqlite:${file}`, { writes: true });
});

afterAll(() => {
  db?.close();
  rmSync(work, { recursive: true, force: true });
});

/** What the generated server does with a sql tool: compile, apply defaults, bind by name, page. */
function run(
  tool: Tool,
  args: Record<string, unknown> = {},
): Array<Record<string, unknown>> | { changes: number } {
  const sql = tool.sql!;
  const { text, params } = compileSql(sql.statement, 'sqlite');
  const defaults = Object.fromEntries(
    Object.entries(tool.parameters)
      .filter(([, p]) => p.default !== undefined)
      .map(([k, p]) => [k, p.default]),
  );
  const all: Record<string, unknown> = { ...defaults, ...args };
  const values = params.map((p) => (all[p] === undefined ? null : all[p]));
  if (sql.paginate) {
    // The page query exactly as the runtime builds it (keyset order over the hostile column names).
    const page = pageQuery(
      {
        defaultLimit: 50,
        maxLimit: 1000,
        tool: tool.name,
        dialect: 'sqlite',
        ...(typeof sql.paginate === 'object' ? { keyset: sql.paginate } : {}),
      },
      text,
      values,
      all,
    );
    return db.prepare(page.text).all(...page.values) as Array<Record<string, unknown>>;
  }
  const statement = db.prepare(text);
  if (statement.reader) return statement.all(...values) as Array<Record<string, unknown>>;
  return { changes: statement.run(...values).changes };
}

describe('hostile identifiers (SQLite)', () => {
  const tool = (name: string) => {
    const result = validateSpec(imported.spec);
    expect(result.issues).toEqual([]);
    const t = result.spec!.tools.find((x) => x.name === name);
    if (!t) throw new Error(`no tool ${name}: ${result.spec!.tools.map((x) => x.name).join(', ')}`);
    return t;
  };
  const ids = (rows: unknown) => (rows as Array<{ id: number }>).map((r) => r.id);

  it('introspects the names exactly and maps them to valid, unique parameter names', () => {
    const table = imported.schema.tables.find((t) => t.name === TABLE)!;
    expect(table.columns.map((c) => c.name)).toEqual(['id', ...COLUMNS]);
    const list = tool('list_t_x_drop_table_y');
    const params = Object.keys(list.parameters);
    for (const p of params) expect(p).toMatch(IDENTIFIER);
    expect(new Set(params.map((p) => p.toLowerCase())).size).toBe(params.length);
    expect(imported.report.renamed.filter((r) => r.table === TABLE)).toEqual([
      { table: TABLE, column: 'a"b', parameter: 'a_b' },
      { table: TABLE, column: 'x; DROP TABLE y', parameter: 'x_DROP_TABLE_y' },
      { table: TABLE, column: ':x', parameter: 'x' },
      { table: TABLE, column: '$1', parameter: 'c_1' },
      { table: TABLE, column: '?', parameter: 'column' },
      { table: TABLE, column: '--c', parameter: 'c' },
      { table: TABLE, column: '/*c*/', parameter: 'c_2' },
      { table: TABLE, column: "'q'", parameter: 'q' },
      { table: TABLE, column: 'back\\slash', parameter: 'back_slash' },
      { table: TABLE, column: 'é', parameter: 'e' },
      { table: TABLE, column: 'limit', parameter: 'limit_2' },
      { table: TABLE, column: 'Sort', parameter: 'Sort_2' },
    ]);
    expect(list.sql!.statement).toContain(`FROM "t:x""; DROP TABLE y; --"`);
  });

  it('lists, filters, sorts by every column, gets and searches without touching other tables', () => {
    const list = tool('list_t_x_drop_table_y');
    expect(ids(run(list))).toEqual([1, 2]);
    expect(ids(run(list, { x_DROP_TABLE_y: 'v1: x; DROP TABLE y' }))).toEqual([1]);
    expect(ids(run(list, { x: "w2'; DROP TABLE y; --" }))).toEqual([2]);
    expect(ids(run(list, { limit_2_min: 15 }))).toEqual([2]);
    for (const sort of list.parameters.sort!.enum as string[]) {
      expect(ids(run(list, { sort, direction: 'desc' })), sort).toEqual([2, 1]);
      expect(ids(run(list, { sort, direction: 'asc' })), sort).toEqual([1, 2]);
    }
    expect(run(tool('get_t_x_drop_table_y'), { id: 1 })).toEqual([
      expect.objectContaining({ id: 1, 'x; DROP TABLE y': 'v1: x; DROP TABLE y', '?': 'v4: ?' }),
    ]);
    const search = tool('search_t_x_drop_table_y');
    expect(ids(run(search, { query: "'; DROP TABLE y; --" }))).toEqual([2]);
    expect(ids(run(search, { query: 'v8: back\\slash' }))).toEqual([1]);
    expect(ids(run(search, { query: '%' }))).toEqual([]);
    expect(ids(run(tool('list_v_delete_from_y')))).toEqual([1, 2]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM y').get()).toEqual({ n: 1 });
  });

  it('writes through quoted identifiers with bound values only', () => {
    const created = run(tool('create_t_x_drop_table_y'), {
      id: 3,
      a_b: "Robert'); DROP TABLE y;--",
      limit_2: 5,
    });
    expect(created).toEqual([
      expect.objectContaining({ id: 3, 'a"b': "Robert'); DROP TABLE y;--", limit: 5 }),
    ]);
    const updated = run(tool('update_t_x_drop_table_y'), { id: 3, e: 'ü' });
    expect(updated).toEqual([expect.objectContaining({ id: 3, é: 'ü', 'a"b': "Robert'); DROP TABLE y;--" })]);
    expect(run(tool('delete_t_x_drop_table_y'), { id: 3 })).toEqual({ changes: 1 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM y').get()).toEqual({ n: 1 });
  });
});
