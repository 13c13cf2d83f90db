/**
 * MariaDB driver as shipped: one prepared statement per call, no session state (user variables, GET_LOCK
 * locks, temporary tables, session settings) surviving on a pooled connection after ad-hoc SQL, row and byte
 * limits applied while streaming, and exact dates/times/bigints whatever the server's TZ. Checked by effect.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../../runtime/sql.js';
import { mysqlDriver } from '../../runtime/sql-mysql.js';
import { serviceGate } from '../helpers/services.js';
import { buildDbServer, callOn, type DbServer, rssMb } from './server.js';

const gate = serviceGate('MCP_FACTORY_TEST_MYSQL_URL', 'MariaDB');
const NAME = `mcpf_h2_${randomBytes(4).toString('hex')}`;
const EXPECTED_ROW = {
  id: 1,
  big: '9007199254740993',
  small: 42,
  d: '1996-07-04',
  dt: '1996-07-04T12:34:56.123456',
  ts: '1996-07-04T12:34:56.654321Z',
  tm: '12:34:56.500000',
  num: '12345678901234567890.0123456789',
};

describe.skipIf(gate.missing && !process.env.MCP_FACTORY_REQUIRE_SERVICES)('MariaDB driver', () => {
  let admin: mysql.Connection;
  let url: string;
  let work: string;
  let server: DbServer;
  const opened: SqlDatabase[] = [];
  const driver = (poolMax = 1): SqlDatabase => {
    const db = mysqlDriver({ name: 'db', type: 'mariadb', envVar: 'MCPF_H2_MY_URL', poolMax }, '.');
    opened.push(db);
    return db;
  };
  const adHoc = { readOnly: true, adHoc: true, maxRows: 10, timeoutMs: 5000 } as const;
  /** Effect probe from an independent connection: rows of t, and whether a table x exists. */
  const state = async () => {
    const [rows] = await admin.query(
      `SELECT count(*) AS n, sum(id) AS s, (SELECT count(*) FROM information_schema.tables
         WHERE table_schema = ? AND table_name = 'x') AS x FROM ${NAME}.t`,
      [NAME],
    );
    return (rows as Array<Record<string, unknown>>)[0];
  };

  beforeAll(async () => {
    if (gate.missing) throw new Error(gate.missing);
    admin = await mysql.createConnection({ uri: gate.url!, multipleStatements: true });
    await admin.query(`CREATE DATABASE ${NAME}`);
    const u = new URL(gate.url!);
    u.pathname = `/${NAME}`;
    url = u.toString();
    process.env.MCPF_H2_MY_URL = url;
    await admin.query(`CREATE TABLE ${NAME}.t (id int PRIMARY KEY, big bigint, small bigint, d date,
      dt datetime(6), ts timestamp(6) NULL, tm time(6), num decimal(30,10));
      SET time_zone = '+00:00';
      INSERT INTO ${NAME}.t VALUES (1, 9007199254740993, 42, '1996-07-04', '1996-07-04 12:34:56.123456',
        '1996-07-04 12:34:56.654321', '12:34:56.5', 12345678901234567890.0123456789),
        (2, 2, 2, '2024-02-29', '2024-02-29 00:00:00', '2024-02-29 00:00:00', '00:00:00', 0);
      SET time_zone = DEFAULT`);
    work = mkdtempSync(join(tmpdir(), 'mcpf-dbrt-my-'));
    server = await buildDbServer(url, work, { DATABASE_URL: url }, { timeoutMs: 5000 });
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(opened.map((d) => d.close()));
    await server?.close();
    await admin?.query(`DROP DATABASE IF EXISTS ${NAME}`);
    await admin?.end();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('runs exactly one statement per call (no guard involved)', async () => {
    const before = await state();
    const db = driver();
    for (const sql of ['SELECT 1; DELETE FROM t', 'SELECT 1; CREATE TABLE x (i int)']) {
      await expect(db.query(sql, [])).rejects.toThrow();
      await expect(db.query(sql, [], adHoc)).rejects.toThrow();
    }
    expect(await state()).toEqual(before);
    expect(before).toMatchObject({ n: 2, x: 0 });
  });

  it('leaves no session state on a pooled connection after ad-hoc SQL', async () => {
    const db = driver(1); // one connection: the next call gets the very same session
    await db.query("SELECT GET_LOCK('mcpf_h2_lock', 0) AS l", [], adHoc);
    await db.query('SELECT @left_behind := 5 AS v', [], adHoc);
    await db.query("SET SESSION sql_mode = 'ANSI_QUOTES'", [], adHoc).catch(() => undefined);
    await db.query('CREATE TEMPORARY TABLE tmp_left (i int)', [], adHoc).catch(() => undefined);
    const [free] = await admin.query("SELECT IS_FREE_LOCK('mcpf_h2_lock') AS f");
    expect((free as Array<{ f: number }>)[0]?.f).toBe(1);
    const after = await db.query(
      "SELECT @left_behind AS v, @@session.sql_mode LIKE '%ANSI_QUOTES%' AS ansi, @@session.time_zone AS tz",
      [],
      adHoc,
    );
    expect(after.rows[0]).toEqual({ v: null, ansi: 0, tz: '+00:00' });
    await expect(db.query('SELECT * FROM tmp_left', [], adHoc)).rejects.toThrow(/doesn't exist/);
  });

  it('streams no more than maxRows + 1 rows and caps result bytes', async () => {
    await server.call('query', { sql: 'SELECT seq FROM seq_1_to_2000' }); // warm: modules, pool, JIT
    const before = rssMb(server.pid);
    const t0 = performance.now();
    const many = await server.call('query', {
      sql: "SELECT seq, REPEAT('x', 20) AS pad FROM seq_1_to_3000000",
    });
    const ms = performance.now() - t0;
    const afterMany = rssMb(server.pid);
    expect(many.truncated).toBe(true);
    expect((many.rows as unknown[]).length).toBe(1000);
    const wide = await server.call('query', {
      sql: "SELECT seq, REPEAT('x', 100000) AS pad FROM seq_1_to_1000",
    });
    const kept = (wide.rows as unknown[]).length;
    process.stderr.write(
      `[mariadb] 3,000,000-row query: ${Math.round(ms)} ms, server RSS ${before.toFixed(1)} → ${afterMany.toFixed(1)} MB; 100 KB rows kept: ${kept}\n`,
    );
    expect(wide.truncated).toBe(true);
    expect(kept).toBeGreaterThan(10);
    expect(kept).toBeLessThan(60);
    expect(afterMany - before).toBeLessThan(10);
    expect(await server.call('query', { sql: 'SELECT count(*) AS n FROM t' })).toMatchObject({
      rows: [{ n: 2 }],
    });
  });

  it.each(['Asia/Tokyo', 'America/Los_Angeles'])('returns exact data under TZ=%s', async (tz) => {
    const client = await server.connect({ TZ: tz });
    const viaQuery = await callOn(client, 'query', {
      sql: 'SELECT id, big, small, d, dt, ts, tm, num FROM t WHERE id = 1',
    });
    expect(viaQuery.rows).toEqual([EXPECTED_ROW]);
    const viaGet = await callOn(client, 'get_t', { id: 1 });
    expect(viaGet.result ?? viaGet).toMatchObject({ ...EXPECTED_ROW });
  });
});
