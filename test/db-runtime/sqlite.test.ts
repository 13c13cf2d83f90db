/**
 * SQLite driver as shipped in a generated server: statements run in child processes, so a runaway statement
 * is stopped at its timeout while other calls keep being answered; row and byte limits stop the read early;
 * integers beyond 2^53 stay exact. Each case is checked by its effect (latency, rows, RSS), not by a message.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDbServer, type DbServer, rssMb } from './server.js';

const RUNAWAY = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) AS n FROM c';
const MANY = (n: number, extra = '') =>
  `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < ${n}) SELECT x${extra} FROM c`;
const TIMEOUT_MS = 1500;

let work: string;
let server: DbServer;
let file: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-dbrt-sqlite-'));
  file = join(work, 'scratch.db');
  const db = new Database(file);
  db.exec(`CREATE TABLE item (id INTEGER PRIMARY KEY, big INTEGER NOT NULL, born TEXT NOT NULL);
    INSERT INTO item VALUES (1, 9007199254740993, '1996-07-04'), (2, 42, '2024-02-29 23:59:59.123456');`);
  db.close();
  server = await buildDbServer(`sqlite:${file}`, work, { DATABASE_PATH: file }, { timeoutMs: TIMEOUT_MS });
}, 120_000);

afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('SQLite: off the event loop', () => {
  it('answers other calls during a runaway query, stops it at its timeout, then still answers', async () => {
    // Children start on demand: two concurrent calls leave two warm ones, so the calls below need no process start.
    const warm = await Promise.all(
      [1, 2].map((v) => server.call('query', { sql: 'SELECT ? AS v', params: [v] })),
    );
    expect(warm).toMatchObject([{ rows: [{ v: 1 }] }, { rows: [{ v: 2 }] }]);
    const started = performance.now();
    const runaway = server
      .call('query', { sql: RUNAWAY })
      .then((r) => ({ r, ms: performance.now() - started }));
    await new Promise((r) => setTimeout(r, 300));
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      expect(await server.call('query', { sql: 'SELECT 1 AS one' })).toMatchObject({ rows: [{ one: 1 }] });
      latencies.push(performance.now() - t0);
    }
    const { r, ms } = await runaway;
    process.stderr.write(
      `[sqlite] SELECT 1 during runaway: ${latencies.map((l) => l.toFixed(1)).join(', ')} ms; runaway ended after ${Math.round(ms)} ms\n`,
    );
    expect(Math.max(...latencies)).toBeLessThan(250);
    expect(r.error).toBeDefined();
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(TIMEOUT_MS + 1500);
    expect(await server.call('query', { sql: 'SELECT count(*) AS n FROM item' })).toMatchObject({
      rows: [{ n: 2 }],
    });
  });

  it('stops reading at maxRows + 1 and at the byte cap, without the server growing', async () => {
    const before = rssMb(server.pid);
    const t0 = performance.now();
    const limited = await server.call('query', { sql: MANY(3_000_000) });
    const ms = performance.now() - t0;
    expect(limited.truncated).toBe(true);
    expect((limited.rows as unknown[]).length).toBe(1000);
    const afterMany = rssMb(server.pid);
    const wide = await server.call('query', { sql: MANY(1000, ", printf('%.*c', 100000, 'x') AS pad") });
    expect(wide.truncated).toBe(true);
    const rows = (wide.rows as unknown[]).length;
    expect(rows).toBeGreaterThan(10);
    expect(rows).toBeLessThan(60); // 5 MB of 100 KB rows
    process.stderr.write(
      `[sqlite] 3,000,000-row query: ${Math.round(ms)} ms, server RSS ${before.toFixed(1)} → ${afterMany.toFixed(1)} MB; 100 KB rows kept: ${rows}, RSS then ${rssMb(server.pid).toFixed(1)} MB\n`,
    );
    expect(ms).toBeLessThan(TIMEOUT_MS); // did not read to the end (that takes seconds)
    expect(afterMany - before).toBeLessThan(10);
  });

  it('keeps integers beyond 2^53 exact and text dates as stored', async () => {
    const res = await server.call('query', { sql: 'SELECT id, big, born FROM item ORDER BY id' });
    expect(res.rows).toEqual([
      { id: 1, big: '9007199254740993', born: '1996-07-04' },
      { id: 2, big: 42, born: '2024-02-29 23:59:59.123456' },
    ]);
  });

  it('answers concurrent calls and keeps the database file unchanged by refused writes', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => server.call('query', { sql: 'SELECT ? AS v', params: [i] })),
    );
    expect(results.map((r) => (r.rows as Array<{ v: number }>)[0]?.v)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM item').get()).toEqual({ n: 2 });
    db.close();
  });
});
