/**
 * The query guard on a real SQLite file (scratch copy per run). The runtime's SQLite driver runs in a child
 * process built from the bundle, so here a same-shape connection (query_only while reading, one prepared
 * statement per call) stands in for it; the Chinook suite passes the generated server end to end.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import '../../runtime/sql-guard-sqlite.js';
import type { SqlDatabase } from '../../runtime/sql.js';
import { guardSuite } from './harness.js';

const SETUP = `
CREATE TABLE canary (id INTEGER PRIMARY KEY, name TEXT NOT NULL, payload TEXT, created TEXT NOT NULL);
CREATE TABLE orders (id INTEGER PRIMARY KEY, canary_id INTEGER REFERENCES canary (id), total NUMERIC);
INSERT INTO canary VALUES (1, 'alpha', '{"k": 1}', '2024-01-31 10:00'), (2, 'beta', NULL, '2024-02-29 23:59'),
  (3, 'gamma', '{"k": "x"}', '2023-12-31 00:00');
INSERT INTO orders VALUES (1, 1, 5), (2, 1, 25), (3, 2, 12.5), (4, 3, 30);
`;

guardSuite('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcpf-guard-sqlite-'));
  const file = join(dir, 'guard.db');
  const direct = new Database(file);
  direct.exec(SETUP);
  const conn = new Database(file);
  const db: SqlDatabase = {
    async query(text, values, options) {
      conn.pragma(`query_only = ${options?.readOnly ? 'ON' : 'OFF'}`);
      const stmt = conn.prepare(text);
      if (!stmt.reader) return { rows: [], affectedRows: Number(stmt.run(...values).changes) };
      return { rows: stmt.all(...values) as Array<Record<string, unknown>>, affectedRows: 0 };
    },
    async close() {
      conn.close();
    },
  };
  const one = (sql: string) => direct.prepare(sql).get();
  return {
    db,
    kind: 'sqlite',
    state: async () => ({
      canary: one(
        "SELECT count(*) AS n, group_concat(id || ':' || name || ':' || ifnull(payload, ''), ',') AS s FROM canary",
      ),
      orders: one('SELECT count(*) AS n, sum(total) AS s FROM orders'),
      schema: one('SELECT count(*) AS n, group_concat(name) AS names FROM sqlite_schema'),
      pragmas: one('SELECT * FROM pragma_user_version, pragma_journal_mode'),
      files: readdirSync(dir).sort(),
      // A guard hole that ran on the driver's connection shows here: query_only must still hold.
      readOnly: (await db.query('SELECT 1 AS x', [], { readOnly: true })).rows,
    }),
    direct: async (sql, params) => {
      const stmt = direct.prepare(sql);
      return stmt.reader ? stmt.all(...params).length : 0;
    },
    close: async () => {
      await db.close();
      direct.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
