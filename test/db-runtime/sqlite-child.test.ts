/**
 * The SQLite child processes of a generated server, checked by effect on the process tree and the database file:
 *  - the pool is lazy: no child before the first query, one for sequential calls, none again after the idle time;
 *  - the node:sqlite child path (taken on Node >= 22.16; this machine's Node 20 takes better-sqlite3) under the
 *    Node 22 binary that `node scripts/conformance.mjs --install-only` puts in .tools/node22, with the
 *    better-sqlite3 binding removed from the server so nothing else could answer: the guard refuses writes and
 *    nothing changes, a runaway recursive CTE is killed at its timeout while another call is answered, the row
 *    limit stops the read, big integers stay exact, and the generated write tools work.
 * Skipped visibly when Node 22 is absent (a failure under MCP_FACTORY_REQUIRE_SERVICES, as CI installs it).
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { importDatabase } from '../../src/sources/database/index.js';
import { newClient, textOf } from '../helpers/mcp.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';

const TIMEOUT_MS = 5000; // a runaway outlives a call answered beside it even on a busy 2-core machine
const IDLE_MS = 1500;
const BIG = '9007199254740993';
const RUNAWAY = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) AS n FROM c';
const MANY =
  'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 3000000) SELECT x FROM c';

/** The Node 22 binary of the conformance tools (src/conformance/suite.ts installs it there). */
function findNode22(): { bin: string; sqlite: string } | undefined {
  const nm = resolve('.tools/node22/node_modules');
  const arch = `node-${process.platform}-${process.arch}`;
  for (const bin of [
    join(nm, 'node/bin/node'),
    join(nm, 'node/node_modules', arch, 'bin/node'),
    join(nm, arch, 'bin/node'),
  ]) {
    if (!existsSync(bin)) continue;
    const r = spawnSync(bin, ['-p', 'process.versions.node + " " + (process.versions.sqlite ?? "")'], {
      encoding: 'utf8',
    });
    const [version = '', sqlite = ''] = r.stdout.trim().split(' ');
    const [major = 0, minor = 0] = version.split('.').map(Number);
    if (r.status === 0 && major === 22 && minor >= 16 && sqlite) return { bin, sqlite };
  }
  return undefined;
}

function childPids(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return text ? text.split(/\s+/).map(Number) : [];
  } catch {
    return [];
  }
}

const alive = (pid: number) => existsSync(`/proc/${pid}`);

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Connected {
  client: Client;
  pid: number;
  call(name: string, args?: Record<string, unknown>): Promise<Record<string, unknown>>;
}

async function connect(node: string, bundle: string, env: Record<string, string>): Promise<Connected> {
  const client = newClient('2026-07-28');
  const transport = new StdioClientTransport({
    command: node,
    args: [bundle, '--transport', 'stdio'],
    env: { ...(process.env as Record<string, string>), LOG_LEVEL: 'warn', ...env },
    stderr: 'inherit',
  });
  await client.connect(transport);
  return {
    client,
    pid: transport.pid ?? 0,
    async call(name, args = {}) {
      const res = await client.callTool({ name, arguments: args });
      if (res.isError) return { error: textOf(res) };
      return (res.structuredContent ?? {}) as Record<string, unknown>;
    },
  };
}

let work: string;
let file: string;
let bundle: string;
let env: Record<string, string>;
const clients: Client[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-sqlite-child-'));
  // The database sits in a folder of its own, so a file written beside it shows in the state.
  mkdirSync(join(work, 'data'));
  file = join(work, 'data', 'shop.db');
  const db = new Database(file);
  db.exec(`CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL, big INTEGER NOT NULL);
    INSERT INTO item VALUES (1, 'alpha', ${BIG}), (2, 'beta', 42), (3, 'gamma', -7);`);
  db.close();
  const imported = await importDatabase(`sqlite:${file}`, {
    writes: true,
    query: { timeoutMs: TIMEOUT_MS, maxRows: 1000 },
  });
  const validated = validateSpec(imported.spec);
  if (!validated.spec) throw new Error(`invalid spec: ${JSON.stringify(validated.issues)}`);
  const outDir = join(work, 'server');
  await createServerProject({
    spec: validated.spec,
    specDir: work,
    outDir,
    force: true,
    typecheck: false,
    runTests: false,
  });
  bundle = join(outDir, 'dist/server.mjs');
  env = { DATABASE_PATH: file, MCP_FACTORY_SQLITE_IDLE_MS: String(IDLE_MS) };
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('SQLite child pool (this Node)', () => {
  it('starts no child before the first query, one for sequential calls, and none after the idle time', async () => {
    const server = await connect(process.execPath, bundle, env);
    clients.push(server.client);
    expect(childPids(server.pid), 'no child at start').toEqual([]);
    expect(await server.call('query', { sql: 'SELECT 1 AS one' })).toMatchObject({ rows: [{ one: 1 }] });
    const first = childPids(server.pid);
    expect(first, 'one child after the first query').toHaveLength(1);
    for (let id = 1; id <= 3; id++) {
      for (let i = 0; i < 3; i++)
        expect((await server.call('get_item', { id })).result).toMatchObject({ id });
    }
    expect(childPids(server.pid), 'the same child serves sequential calls').toEqual(first);
    // A statement running long starts one spare (so a call arriving meanwhile need not wait for a process start).
    const runaway = server.call('query', { sql: RUNAWAY });
    await until('a spare child', () => childPids(server.pid).length === 2, TIMEOUT_MS);
    expect((await runaway).error).toMatch(/timeout/);
    await until('the runaway child to be gone', () => !alive(first[0]!), 2000);
    expect((await server.call('get_item', { id: 1 })).result).toMatchObject({ id: 1, big: BIG });
    const spare = childPids(server.pid);
    expect(spare, 'the spare answered; the killed child was not replaced').toHaveLength(1);
    await until('the idle child to exit', () => childPids(server.pid).length === 0, IDLE_MS + 5000);
    expect(alive(spare[0]!), 'the idle child process is gone').toBe(false);
    expect((await server.call('get_item', { id: 2 })).result).toMatchObject({ id: 2, big: 42 });
    expect(childPids(server.pid), 'a new child after the idle exit').toHaveLength(1);
  });
});

describe('SQLite child during a runaway query when its server goes away (this Node)', () => {
  it.each(['SIGTERM', 'SIGKILL'] as const)('ends the busy child when the server gets %s', async (signal) => {
    const server = await connect(process.execPath, bundle, env);
    clients.push(server.client);
    expect(await server.call('query', { sql: 'SELECT 1 AS one' })).toMatchObject({ rows: [{ one: 1 }] });
    // The one warm child takes the runaway (a spare started meanwhile may still be loading: not checked here).
    const busy = childPids(server.pid);
    expect(busy).toHaveLength(1);
    const runaway = server.call('query', { sql: RUNAWAY }).catch(() => ({ error: 'connection closed' }));
    await new Promise((r) => setTimeout(r, 500)); // the guard's EXPLAIN is done; the runaway step is running
    process.kill(server.pid, signal);
    // SIGTERM: the server's shutdown kills it; SIGKILL: its watchdog thread sees the new parent (≤ 1 s).
    await until(`the busy child to end after ${signal}`, () => busy.every((pid) => !alive(pid)), 5000);
    await runaway;
  });
});

const node22 = findNode22();
const missing = node22
  ? undefined
  : 'the node:sqlite tests need Node >= 22.16 in .tools/node22 (`node scripts/conformance.mjs --install-only`)';
if (missing && !REQUIRE_SERVICES) process.stderr.write(`\n[skip] ${missing}\n`);

describe.skipIf(missing !== undefined && !REQUIRE_SERVICES)('SQLite child on node:sqlite (Node 22)', () => {
  let server: Connected;
  /** Everything a write could change: the file's bytes, the folder's entries and the rows. */
  const state = () => {
    const db = new Database(file, { readonly: true });
    try {
      return {
        sha: createHash('sha256').update(readFileSync(file)).digest('hex'),
        files: readdirSync(join(work, 'data')).sort(),
        rows: db.prepare('SELECT id, name, CAST(big AS TEXT) AS big FROM item ORDER BY id').all(),
        schema: db.prepare('SELECT count(*) AS n FROM sqlite_schema').get(),
      };
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    if (!node22) throw new Error(missing);
    // A copy of the server without the better-sqlite3 binding (built for Node 20 anyway): only node:sqlite can answer.
    const copy = join(work, 'server-node22');
    cpSync(join(work, 'server'), copy, { recursive: true });
    rmSync(join(copy, 'dist/native'), { recursive: true, force: true });
    server = await connect(node22.bin, join(copy, 'dist/server.mjs'), {
      ...env,
      MCP_FACTORY_SQLITE_IDLE_MS: '60000',
    });
    clients.push(server.client);
  }, 60_000);

  it('answers from node:sqlite in Node 22 child processes, with big integers exact', async () => {
    const res = await server.call('query', { sql: 'SELECT sqlite_version() AS v' });
    expect(res).toEqual({ rows: [{ v: node22!.sqlite }], truncated: false });
    const kids = childPids(server.pid);
    expect(kids.length).toBeGreaterThan(0);
    for (const kid of kids)
      expect(realpathSync(readlinkSync(`/proc/${kid}/exe`))).toBe(realpathSync(node22!.bin));
    expect((await server.call('get_item', { id: 1 })).result).toEqual({ id: 1, name: 'alpha', big: BIG });
    const page = await server.call('list_item', { limit: 2 });
    expect((page.rows as Array<{ id: number }>).map((r) => r.id)).toEqual([1, 2]);
    expect(page.nextCursor).toEqual(expect.any(String));
  });

  it.each([
    'DELETE FROM item',
    "UPDATE item SET name = 'x'",
    "INSERT INTO item VALUES (9, 'x', 1)",
    "REPLACE INTO item VALUES (1, 'x', 1)",
    'DROP TABLE item',
    'CREATE TABLE x (a)',
    "ATTACH DATABASE 'DATA/evil.db' AS evil",
    "VACUUM INTO 'DATA/copy.db'",
    'PRAGMA query_only = OFF',
    'PRAGMA writable_schema = ON',
    'SELECT 1; DELETE FROM item',
    'SELECT 1 /* x */; DELETE FROM item',
    'EXPLAIN DELETE FROM item',
    "WITH d AS (SELECT 1) INSERT INTO item SELECT 9, 'x', 1 FROM d",
    "SELECT load_extension('/tmp/evil.so')",
    "SELECT * FROM pragma_table_info('item'), (SELECT writefile('DATA/x', 'y'))",
  ])('refuses %s and nothing changes', async (text) => {
    const sql = text.replace('DATA', join(work, 'data')); // files would land beside the database
    const before = state();
    const res = await server.call('query', { sql });
    expect(res.error, 'refused').toEqual(expect.any(String));
    expect(state(), 'nothing changed').toEqual(before);
    expect(await server.call('query', { sql: 'SELECT count(*) AS n FROM item' })).toMatchObject({
      rows: [{ n: 3 }],
    });
  });

  it('kills a runaway recursive CTE at its timeout while another call is answered', async () => {
    // Two concurrent calls leave two warm children, so the other call below needs no process start (which
    // takes seconds on a loaded 2-core machine): what is checked is that a stuck child blocks nothing else.
    const warm = await Promise.all(
      [1, 2].map((v) => server.call('query', { sql: 'SELECT ? AS v', params: [v] })),
    );
    expect(warm).toMatchObject([{ rows: [{ v: 1 }] }, { rows: [{ v: 2 }] }]);
    const started = performance.now();
    const runaway = server
      .call('query', { sql: RUNAWAY })
      .then((r) => ({ r, endMs: performance.now() - started }));
    await new Promise((r) => setTimeout(r, 300));
    const during = childPids(server.pid);
    expect((await server.call('get_item', { id: 3 })).result).toMatchObject({ id: 3, big: -7 });
    const otherEndMs = performance.now() - started;
    const { r, endMs } = await runaway;
    process.stderr.write(
      `[node:sqlite] get_item answered at ${Math.round(otherEndMs)} ms; runaway stopped at ${Math.round(endMs)} ms (timeout ${TIMEOUT_MS})\n`,
    );
    expect(otherEndMs, 'the other call was answered while the runaway ran').toBeLessThan(endMs);
    expect(r.error, 'the runaway query failed at its timeout').toMatch(/timeout/);
    expect(endMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(endMs).toBeLessThan(TIMEOUT_MS + 3000);
    // The runaway's child process was killed (idle children live 60 s here, so nothing else ends one).
    await until('the runaway child to be gone', () => during.some((pid) => !alive(pid)), 2000);
    expect(await server.call('query', { sql: 'SELECT count(*) AS n FROM item' })).toMatchObject({
      rows: [{ n: 3 }],
    });
  });

  it('stops reading at the row limit', async () => {
    const t0 = performance.now();
    const res = await server.call('query', { sql: MANY });
    const ms = performance.now() - t0;
    expect(res.truncated).toBe(true);
    expect((res.rows as unknown[]).length).toBe(1000);
    expect(ms, 'did not read 3,000,000 rows').toBeLessThan(TIMEOUT_MS);
  });

  it('runs the generated write tools (INSERT … RETURNING, UPDATE, DELETE) on node:sqlite', async () => {
    expect((await server.call('create_item', { id: 4, name: 'delta', big: 5 })).result).toMatchObject({
      id: 4,
    });
    expect((await server.call('get_item', { id: 4 })).result).toEqual({ id: 4, name: 'delta', big: 5 });
    expect((await server.call('update_item', { id: 4, name: 'epsilon' })).result).toMatchObject({
      name: 'epsilon',
    });
    expect(await server.call('delete_item', { id: 4 })).toEqual({ affectedRows: 1 });
    expect(await server.call('delete_item', { id: 4 })).toEqual({ affectedRows: 0 });
    expect(state().rows).toHaveLength(3);
  });
});
