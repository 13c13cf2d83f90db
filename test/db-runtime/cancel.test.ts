/**
 * A cancelled tool call stops its statement in the database, not only in the server: PostgreSQL through
 * pg_cancel_backend, MariaDB through KILL QUERY (SQLite kills its worker child: sqlite-child.test.ts). Checked
 * by effect from an independent connection (the statement leaves the server's activity list at once), and the
 * pool keeps answering afterwards.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../../runtime/sql.js';
import { mysqlDriver } from '../../runtime/sql-mysql.js';
import { postgresDriver } from '../../runtime/sql-postgres.js';
import { GATES, skipDialect } from './scratch-db.js';

const opened: SqlDatabase[] = [];
afterAll(async () => {
  await Promise.allSettled(opened.map((d) => d.close()));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) return false;
    await sleep(50);
  }
  return true;
}

/** Starts a 5 s statement, aborts it once the database runs it; how long the call took to settle. */
async function cancelRunning(
  db: SqlDatabase,
  sql: string,
  running: () => Promise<boolean>,
  options: { adHoc?: boolean } = {},
): Promise<number> {
  const cancel = new AbortController();
  const call = db.query(sql, [], {
    signal: cancel.signal,
    ...(options.adHoc ? { adHoc: true, readOnly: true, maxRows: 10 } : {}),
  });
  call.catch(() => undefined);
  expect(await until(running, 3_000)).toBe(true);
  const aborted = Date.now();
  cancel.abort(new Error('cancelled by the test'));
  await call.then(
    () => undefined,
    () => undefined,
  );
  return Date.now() - aborted;
}

describe.skipIf(skipDialect('postgresql'))('PostgreSQL: a cancelled call cancels its statement', () => {
  const url = GATES.postgresql.url!;
  const active = async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const { rows } = await c.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(5)%'",
      );
      return rows[0].n as number;
    } finally {
      await c.end();
    }
  };

  it.each([false, true])(
    'adHoc=%s: the statement stops at once and the pool keeps working',
    async (adHoc) => {
      process.env.MCPF_CANCEL_PG_URL = url;
      const db = postgresDriver(
        { name: 'db', type: 'postgresql', envVar: 'MCPF_CANCEL_PG_URL', poolMax: 1 },
        '.',
      );
      opened.push(db);
      const settledMs = await cancelRunning(db, 'SELECT pg_sleep(5)', async () => (await active()) > 0, {
        adHoc,
      });
      expect(settledMs).toBeLessThan(2_000);
      expect(await until(async () => (await active()) === 0, 2_000)).toBe(true);
      expect((await db.query('SELECT 1 AS one', [])).rows).toEqual([{ one: 1 }]);
    },
  );

  it('a call cancelled before it got a connection never runs', async () => {
    process.env.MCPF_CANCEL_PG_URL = url;
    const db = postgresDriver(
      { name: 'db', type: 'postgresql', envVar: 'MCPF_CANCEL_PG_URL', poolMax: 1 },
      '.',
    );
    opened.push(db);
    const cancel = new AbortController();
    cancel.abort(new Error('cancelled early'));
    await expect(db.query('SELECT pg_sleep(5)', [], { signal: cancel.signal })).rejects.toThrow(
      'cancelled early',
    );
    expect(await active()).toBe(0);
  });
});

describe.skipIf(skipDialect('mariadb'))('MariaDB: a cancelled call kills its query', () => {
  const url = GATES.mariadb.url!;
  const running = async () => {
    const c = await mysql.createConnection({ uri: url });
    try {
      const [rows] = await c.query(
        "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(5)%'",
      );
      return Number((rows as Array<{ n: number }>)[0]?.n ?? 0);
    } finally {
      await c.end();
    }
  };

  it.each([false, true])('adHoc=%s: the query stops at once and the pool keeps working', async (adHoc) => {
    process.env.MCPF_CANCEL_MY_URL = url;
    const db = mysqlDriver({ name: 'db', type: 'mariadb', envVar: 'MCPF_CANCEL_MY_URL', poolMax: 1 }, '.');
    opened.push(db);
    const settledMs = await cancelRunning(db, 'SELECT SLEEP(5)', async () => (await running()) > 0, {
      adHoc,
    });
    expect(settledMs).toBeLessThan(2_000);
    expect(await until(async () => (await running()) === 0, 2_000)).toBe(true);
    expect((await db.query('SELECT 1 AS one', [])).rows).toEqual([{ one: 1 }]);
  });
});
