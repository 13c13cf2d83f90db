#!/usr/bin/env node
/**
 * Database runtime benchmark (see bench/README.md, section 4): generated servers over a SQLite, a PostgreSQL and
 * a MariaDB database created here with a few 100k rows, compared with the same SQL run directly with the driver
 * in this process. Every figure is a ratio against a baseline measured in the same run; nothing is asserted on time.
 *
 *   npm run build && node bench/db.mjs                 # SQLite always; PostgreSQL / MariaDB when their URL is set
 *   node bench/db.mjs --quick --only=sqlite --keep
 *   node bench/run.mjs --only=db                       # the same, from the main harness
 *
 * URLs: BENCH_PG_URL or MCP_FACTORY_TEST_PG_URL, BENCH_MYSQL_URL or MCP_FACTORY_TEST_MYSQL_URL (a scratch database
 * is created on the server and dropped afterwards). Knobs: BENCH_DB_ROWS (200000), BENCH_DB_CALLS (calls per
 * round, 300), BENCH_DB_ROUNDS (6), BENCH_DB_SOAK (5000 calls), BENCH_DB_STARTS (5).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  killAll,
  LEGACY,
  median,
  onJsonLines,
  ROOT,
  r1,
  r2,
  sleep,
  stopChild,
  table,
  tail,
  track,
} from './lib.mjs';

const ROW_SHAPE = { categories: 20 };

// ---------- process memory ----------

function rssKb(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
function childPids(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}
/** RSS of a server and of its children (the SQLite query processes), in MB. */
export function memory(pid) {
  const kids = childPids(pid);
  const own = rssKb(pid) / 1024;
  const children = kids.reduce((n, k) => n + rssKb(k), 0) / 1024;
  return { serverMb: r1(own), childrenMb: r1(children), children: kids.length, totalMb: r1(own + children) };
}

// ---------- a bare stdio JSON-RPC client (no SDK cost per call) ----------

/** Spawns the bundle, writes initialize + tools/list at once; `ready` resolves with ms from spawn to the list. */
export function startServer(bundle, env) {
  const t0 = performance.now();
  const child = track(
    spawn(process.execPath, [bundle, '--transport', 'stdio'], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  const stderr = tail(child.stderr);
  const waiting = new Map();
  let nextId = 10;
  child.stdin.on('error', () => undefined);
  onJsonLines(child.stdout, (msg) => {
    waiting.get(msg.id)?.(msg);
    waiting.delete(msg.id);
  });
  const exited = new Promise((_, reject) =>
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${stderr()}`))),
  );
  exited.catch(() => undefined);
  const request = (id, method, params) => {
    const answer = new Promise((resolveMsg) => waiting.set(id, resolveMsg));
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) })}\n`);
    return Promise.race([answer, exited]);
  };
  child.stdin.write(
    `${JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: 'bench-db', version: '1' } },
    })}\n${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`,
  );
  const ready = request(2, 'tools/list').then((msg) => {
    if (!msg.result?.tools?.length)
      throw new Error(`tools/list answered ${JSON.stringify(msg).slice(0, 300)}`);
    return performance.now() - t0;
  });
  /** A tool call's structured result; throws on a tool error (a benchmark must not time failures). */
  const call = async (name, args) => {
    const msg = await request(nextId++, 'tools/call', { name, arguments: args });
    if (msg.error || msg.result?.isError)
      throw new Error(`${name} failed: ${JSON.stringify(msg.error ?? msg.result?.content).slice(0, 400)}`);
    return msg.result.structuredContent;
  };
  return { child, pid: child.pid, ready, call, stop: () => stopChild(child) };
}

// ---------- the databases ----------

const ITEM_COLUMNS = 'id, name, category, qty, price, created';
const row = (i) => [
  i,
  `item ${i}`,
  `c${i % ROW_SHAPE.categories}`,
  (i * 7) % 1000,
  ((i * 13) % 10000) / 100,
  new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString().slice(0, 19).replace('T', ' '),
];
const QUERY_SQL =
  'SELECT category, count(*) AS n, sum(qty) AS q FROM item WHERE id <= 1000 GROUP BY category ORDER BY category';

async function sqliteTarget(dir, rows) {
  const { default: Database } = await import('better-sqlite3');
  const file = join(dir, 'bench.db');
  const db = new Database(file);
  db.exec(`CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL,
    qty INTEGER NOT NULL, price REAL NOT NULL, created TEXT NOT NULL)`);
  const insert = db.prepare(`INSERT INTO item (${ITEM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`);
  db.transaction(() => {
    for (let i = 1; i <= rows; i++) insert.run(...row(i));
  })();
  const cache = new Map();
  return {
    url: `sqlite:${file}`,
    serverValue: file,
    placeholders: 'question',
    direct: async (sql, values) => {
      if (!cache.has(sql)) cache.set(sql, db.prepare(sql));
      return cache.get(sql).all(...values);
    },
    close: async () => db.close(),
  };
}

async function postgresTarget(url, rows) {
  const { default: pg } = await import('pg');
  const name = `mcpf_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: u.href });
  await client.connect();
  await client.query(`CREATE TABLE item (id integer PRIMARY KEY, name text NOT NULL, category text NOT NULL,
    qty integer NOT NULL, price double precision NOT NULL, created timestamp NOT NULL)`);
  await client.query(
    `INSERT INTO item SELECT g, 'item ' || g, 'c' || (g % ${ROW_SHAPE.categories}), (g * 7) % 1000,
       ((g * 13) % 10000) / 100.0, timestamp '2024-01-01' + g * interval '1 minute'
     FROM generate_series(1, $1) g`,
    [rows],
  );
  await client.query('ANALYZE item');
  const names = new Map();
  return {
    url: u.href,
    serverValue: u.href,
    placeholders: 'dollar',
    // A named statement: the driver's best case (parsed and planned once), as the generated server does.
    direct: async (text, values) => {
      if (!names.has(text)) names.set(text, `b${names.size}`);
      return (await client.query({ name: names.get(text), text, values })).rows;
    },
    close: async () => {
      await client.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    },
  };
}

async function mariadbTarget(url, rows) {
  const mysql = await import('mysql2/promise');
  const name = `mcpf_bench_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: url });
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  const conn = await mysql.createConnection({ uri: u.href });
  await conn.query(`CREATE TABLE item (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, category VARCHAR(20) NOT NULL,
    qty INT NOT NULL, price DOUBLE NOT NULL, created DATETIME NOT NULL)`);
  for (let start = 1; start <= rows; start += 5000) {
    const batch = [];
    for (let i = start; i < Math.min(start + 5000, rows + 1); i++) batch.push(row(i));
    await conn.query(`INSERT INTO item (${ITEM_COLUMNS}) VALUES ?`, [batch]);
  }
  await conn.query('ANALYZE TABLE item');
  return {
    url: u.href,
    serverValue: u.href,
    placeholders: 'question',
    // execute(): a prepared statement on the binary protocol, as the generated server runs it.
    direct: async (sql, values) => (await conn.execute(sql, values))[0],
    close: async () => {
      await conn.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name}`).catch(() => undefined);
      await admin.end();
    },
  };
}

/** A spec statement with :named parameters as the driver's placeholders, values in order. */
function compile(statement, args, style) {
  const order = [];
  const text = statement.replace(/(?<!:):([A-Za-z_]\w*)/g, (_, name) => {
    if (style === 'dollar') {
      const at = order.indexOf(name);
      if (at >= 0) return `$${at + 1}`;
      order.push(name);
      return `$${order.length}`;
    }
    order.push(name);
    return '?';
  });
  return { text, values: order.map((n) => args[n] ?? null) };
}

// ---------- the measurements ----------

/** Alternating rounds of `calls` sequential calls: direct driver, then the MCP tool (order flips each round). */
async function overhead(server, target, shape, cfg) {
  const direct = compile(shape.statement, shape.sqlArgs(0), target.placeholders);
  const runDirect = (i) => {
    const c =
      shape.statement === QUERY_SQL
        ? direct
        : compile(shape.statement, shape.sqlArgs(i), target.placeholders);
    return target.direct(shape.wrap ? shape.wrap(c.text) : c.text, c.values);
  };
  const runMcp = (i) => server.call(shape.tool, shape.toolArgs(i));
  const batch = async (fn, offset) => {
    const lat = [];
    for (let i = 0; i < cfg.calls; i++) {
      const t0 = performance.now();
      await fn(offset + i);
      lat.push(performance.now() - t0);
    }
    return lat;
  };
  await batch(runDirect, 0);
  await batch(runMcp, 0);
  const d = [];
  const m = [];
  const ratios = [];
  for (let r = 0; r < cfg.rounds; r++) {
    const off = (r + 1) * cfg.calls;
    let dl;
    let ml;
    if (r % 2 === 0) {
      dl = await batch(runDirect, off);
      ml = await batch(runMcp, off);
    } else {
      ml = await batch(runMcp, off);
      dl = await batch(runDirect, off);
    }
    d.push(...dl);
    m.push(...ml);
    ratios.push(median(ml) / median(dl));
  }
  const dUs = median(d) * 1000;
  const mUs = median(m) * 1000;
  return {
    tool: shape.tool,
    directUs: Math.round(dUs),
    mcpUs: Math.round(mUs),
    overheadUs: Math.round(mUs - dUs),
    ratio: r2(median(ratios)),
    ratioMin: r2(Math.min(...ratios)),
    ratioMax: r2(Math.max(...ratios)),
  };
}

/** Follows nextCursor to a page about 90% deep, then times page one against that page, alternating. */
async function deepPage(server, rows, cfg) {
  const limit = 500;
  const pages = Math.max(1, Math.floor((rows * 0.9) / limit));
  let cursor;
  const walk0 = performance.now();
  for (let p = 0; p < pages; p++) {
    const res = await server.call('list_item', { limit, ...(cursor ? { cursor } : {}) });
    if (!res.nextCursor) throw new Error(`list_item ended after ${p + 1} pages; expected ${pages}+`);
    cursor = res.nextCursor;
  }
  const walkMs = performance.now() - walk0;
  const deep = await server.call('list_item', { limit, cursor });
  const firstId = deep.rows?.[0]?.id;
  if (Number(firstId) !== pages * limit + 1) throw new Error(`the deep page starts at id ${firstId}`);
  const first = [];
  const deepLat = [];
  const time = async (args, into) => {
    const t0 = performance.now();
    await server.call('list_item', args);
    into.push(performance.now() - t0);
  };
  for (let r = 0; r < cfg.deepRepeats; r++) {
    if (r % 2 === 0) {
      await time({ limit }, first);
      await time({ limit, cursor }, deepLat);
    } else {
      await time({ limit, cursor }, deepLat);
      await time({ limit }, first);
    }
  }
  return {
    limit,
    depthRow: pages * limit,
    walkPages: pages,
    walkMs: Math.round(walkMs),
    walkMsPerPage: r1(walkMs / pages),
    pageOneMs: r2(median(first)),
    deepMs: r2(median(deepLat)),
    ratio: r2(median(deepLat) / median(first)),
  };
}

/** N mixed calls; RSS of the server (and its SQLite children) after warm-up and at the end. */
async function soak(server, shapes, cfg) {
  for (let i = 0; i < 200; i++)
    await server.call(shapes[i % shapes.length].tool, shapes[i % shapes.length].toolArgs(i));
  const start = memory(server.pid);
  let peak = start.totalMb;
  const t0 = performance.now();
  for (let i = 0; i < cfg.soak; i++) {
    const shape = shapes[i % shapes.length];
    await server.call(shape.tool, shape.toolArgs(i));
    if (i % 500 === 0) peak = Math.max(peak, memory(server.pid).totalMb);
  }
  const seconds = (performance.now() - t0) / 1000;
  const end = memory(server.pid);
  return {
    calls: cfg.soak,
    callsPerS: Math.round(cfg.soak / seconds),
    start,
    end,
    peakTotalMb: r1(Math.max(peak, end.totalMb)),
    serverGrowth: r2(end.serverMb / start.serverMb),
    totalGrowth: r2(end.totalMb / start.totalMb),
  };
}

/** Spawn → tools/list answered (ready), idle RSS, then the first query tool call and the RSS after it. */
async function startup(bundle, env, cfg) {
  const runs = [];
  for (let i = 0; i < cfg.starts; i++) {
    const server = startServer(bundle, env);
    try {
      const readyMs = await server.ready;
      await sleep(500);
      const idle = memory(server.pid);
      const t0 = performance.now();
      await server.call('query', { sql: 'SELECT 1 AS one' });
      const firstQueryMs = performance.now() - t0;
      await sleep(200);
      runs.push({ readyMs, idle, firstQueryMs, afterQuery: memory(server.pid) });
    } finally {
      await server.stop();
    }
  }
  const med = (f) => r1(median(runs.map(f)));
  return {
    runs: runs.length,
    readyMs: med((r) => r.readyMs),
    readyMinMs: r1(Math.min(...runs.map((r) => r.readyMs))),
    firstQueryMs: med((r) => r.firstQueryMs),
    idleServerMb: med((r) => r.idle.serverMb),
    idleTotalMb: med((r) => r.idle.totalMb),
    idleChildren: runs.at(-1).idle.children,
    afterQueryTotalMb: med((r) => r.afterQuery.totalMb),
    afterQueryChildren: runs.at(-1).afterQuery.children,
  };
}

// ---------- one dialect ----------

async function benchDialect(api, label, open, scratch, cfg) {
  const dir = join(scratch, `db-${label}`);
  await mkdir(dir, { recursive: true });
  const t0 = performance.now();
  const target = await open(dir);
  const loadS = r1((performance.now() - t0) / 1000);
  let server;
  try {
    const imported = await api.importDatabase(target.url, { writes: false });
    const checked = api.validateSpec(imported.spec);
    if (!checked.spec)
      throw new Error(`invalid spec for ${label}: ${JSON.stringify(checked.issues).slice(0, 400)}`);
    const res = await api.createServerProject({
      spec: checked.spec,
      specDir: dir,
      outDir: join(dir, 'server'),
      force: true,
      typecheck: false,
      runTests: false,
    });
    const tools = Object.fromEntries(checked.spec.tools.map((t) => [t.name, t]));
    for (const name of ['get_item', 'list_item', 'query'])
      if (!tools[name]) throw new Error(`${label}: the generated server has no ${name} tool`);
    const env = { [checked.spec.connections[0].envVar]: target.serverValue };
    const n = cfg.rows;
    const id = (i) => 1 + ((i * 7919) % n);
    const listArgs = { sort: 'id', direction: 'asc' };
    const shapes = [
      {
        tool: 'get_item',
        statement: tools.get_item.sql.statement,
        toolArgs: (i) => ({ id: id(i) }),
        sqlArgs: (i) => ({ id: id(i) }),
      },
      {
        tool: 'list_item',
        statement: tools.list_item.sql.statement,
        wrap: (text) => `SELECT * FROM (${text}) AS mcp_page LIMIT 51`,
        toolArgs: () => ({ limit: 50 }),
        sqlArgs: () => listArgs,
      },
      { tool: 'query', statement: QUERY_SQL, toolArgs: () => ({ sql: QUERY_SQL }), sqlArgs: () => ({}) },
    ];
    const start = await startup(res.bundle.file, env, cfg);
    server = startServer(res.bundle.file, env);
    await server.ready;
    const calls = [];
    for (const shape of shapes) calls.push(await overhead(server, target, shape, cfg));
    const deep = await deepPage(server, n, cfg);
    const soaked = await soak(server, shapes, cfg);
    return { label, rows: n, loadS, startup: start, calls, deep, soak: soaked };
  } finally {
    await server?.stop();
    await target.close();
  }
}

function report(results) {
  const ok = results.filter((r) => !r.skipped);
  table(
    'Database: start-up (spawn → tools/list answered; RSS after 0.5 s idle; first `query` call)',
    [
      'database',
      'ready ms (min)',
      'idle RSS MB server / +children',
      'first query ms',
      'RSS after it MB (children)',
    ],
    ok.map((r) => [
      r.label,
      `${r.startup.readyMs} (${r.startup.readyMinMs})`,
      `${r.startup.idleServerMb} / ${r.startup.idleTotalMb}`,
      r.startup.firstQueryMs,
      `${r.startup.afterQueryTotalMb} (${r.startup.afterQueryChildren})`,
    ]),
  );
  table(
    'Database: per-call overhead, generated tool over MCP (stdio, raw client) vs the same SQL on the driver',
    ['database', 'tool', 'direct µs', 'MCP µs', 'overhead µs', 'ratio (round range)'],
    ok.flatMap((r) =>
      r.calls.map((c) => [
        r.label,
        c.tool,
        c.directUs,
        c.mcpUs,
        c.overheadUs,
        `${c.ratio}× (${c.ratioMin}–${c.ratioMax})`,
      ]),
    ),
  );
  table(
    'Database: deep page (list_item, limit 500, nextCursor followed to ~90% of the rows) vs page one',
    ['database', 'depth (row)', 'walk: pages, ms/page', 'page one ms', 'deep page ms', 'ratio'],
    ok.map((r) => [
      r.label,
      r.deep.depthRow,
      `${r.deep.walkPages}, ${r.deep.walkMsPerPage}`,
      r.deep.pageOneMs,
      r.deep.deepMs,
      `${r.deep.ratio}×`,
    ]),
  );
  table(
    'Database: RSS soak (mixed get_/list_/query calls after 200 warm-up calls)',
    [
      'database',
      'calls',
      'calls/s',
      'server MB start → end',
      'with children MB',
      'growth server / total',
      'peak MB',
    ],
    ok.map((r) => [
      r.label,
      r.soak.calls,
      r.soak.callsPerS,
      `${r.soak.start.serverMb} → ${r.soak.end.serverMb}`,
      `${r.soak.start.totalMb} → ${r.soak.end.totalMb}`,
      `${r.soak.serverGrowth}× / ${r.soak.totalGrowth}×`,
      r.soak.peakTotalMb,
    ]),
  );
  for (const r of results.filter((x) => x.skipped)) console.log(`(skipped ${r.label}: ${r.skipped})`);
}

/** Runs the benchmark for every database available; used by bench/run.mjs (--only=db) and by `node bench/db.mjs`. */
export async function benchDb({ api, scratch, quick = false, only }) {
  const envInt = (name, dflt, q) => {
    const v = Number(process.env[name]);
    return Number.isInteger(v) && v > 0 ? v : quick ? q : dflt;
  };
  const cfg = {
    rows: envInt('BENCH_DB_ROWS', 200_000, 20_000),
    calls: envInt('BENCH_DB_CALLS', 300, 100),
    rounds: envInt('BENCH_DB_ROUNDS', 6, 2),
    soak: envInt('BENCH_DB_SOAK', 5000, 1000),
    starts: envInt('BENCH_DB_STARTS', 5, 2),
    deepRepeats: envInt('BENCH_DB_DEEP', 20, 6),
  };
  console.log(`database benchmark config: ${JSON.stringify(cfg)}`);
  const pgUrl = process.env.BENCH_PG_URL || process.env.MCP_FACTORY_TEST_PG_URL;
  const myUrl = process.env.BENCH_MYSQL_URL || process.env.MCP_FACTORY_TEST_MYSQL_URL;
  const dialects = [
    ['sqlite', (dir) => sqliteTarget(dir, cfg.rows), undefined],
    ['postgres', () => postgresTarget(pgUrl, cfg.rows), pgUrl ? undefined : 'set BENCH_PG_URL'],
    ['mariadb', () => mariadbTarget(myUrl, cfg.rows), myUrl ? undefined : 'set BENCH_MYSQL_URL'],
  ];
  const results = [];
  for (const [label, open, missing] of dialects) {
    if (only && !only.has(label)) continue;
    if (missing) {
      results.push({ label, skipped: missing });
      continue;
    }
    const t0 = performance.now();
    results.push(await benchDialect(api, label, open, scratch, cfg));
    console.log(`(${label}: ${r1((performance.now() - t0) / 1000)} s)`);
  }
  report(results);
  return { config: cfg, results };
}

// ---------- standalone ----------

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values: flags } = parseArgs({
    options: {
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
  });
  const scratch = join(ROOT, '.tmp', `bench-db-${process.pid}`);
  process.on('exit', killAll);
  const watchdog = setTimeout(() => {
    console.error('bench/db: watchdog: the run exceeded 15 minutes; aborting');
    killAll();
    process.exit(3);
  }, 15 * 60_000);
  watchdog.unref();
  const api = await import(pathToFileURL(join(ROOT, 'dist', 'index.js')).href);
  await mkdir(scratch, { recursive: true });
  let code = 0;
  try {
    const only = flags.only ? new Set(flags.only.split(',').map((s) => s.trim())) : undefined;
    const res = await benchDb({ api, scratch, quick: flags.quick, only });
    console.log(`BENCH_JSON ${JSON.stringify({ node: process.version, db: res })}`);
  } catch (error) {
    console.error(`bench/db failed: ${error?.stack ?? error}`);
    code = 1;
  } finally {
    killAll();
    if (!flags.keep) await rm(scratch, { recursive: true, force: true });
    else console.log(`scratch kept in ${scratch}`);
  }
  process.exit(code);
}
