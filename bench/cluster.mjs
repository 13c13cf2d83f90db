// API throughput of a factory cluster (docs/cluster.md; dist/, run `npm run build` first): one vs two
// `mcp-factory serve` processes on one fresh PostgreSQL registry, the same closed-loop clients either all on
// instance A or split over A and B. Both phases run in this process, so the ratio compares like with like.
//   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/test node bench/cluster.mjs
//   BENCH_CLUSTER_SECONDS (4) per phase and case, BENCH_CLUSTER_CLIENTS (16) concurrent keep-alive clients.
// Every request is authenticated and charged against the token's bucket, which on PostgreSQL is one registry
// statement per request (shared by the instances): the figure includes that cost.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { r2, table } from './lib.mjs';

const BASE = process.env.BENCH_PG_URL ?? process.env.MCP_FACTORY_TEST_PG_URL;
if (!BASE) {
  console.log(
    'bench/cluster.mjs needs BENCH_PG_URL (a PostgreSQL server to create a scratch database on); skipped',
  );
  process.exit(0);
}
const SECONDS = Number(process.env.BENCH_CLUSTER_SECONDS ?? 4);
const CLIENTS = Number(process.env.BENCH_CLUSTER_CLIENTS ?? 16);
const CLI = new URL('../bin/mcp-factory.mjs', import.meta.url).pathname;
const { TokenStore } = await import('../dist/surfaces/api/index.js');

const database = `mcpf_bench_cluster_${randomBytes(5).toString('hex')}`;
const admin = async (sql) => {
  const c = new pg.Client({ connectionString: BASE });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
};
await admin(`CREATE DATABASE ${database}`);
const url = new URL(BASE);
url.pathname = `/${database}`;

const scratch = mkdtempSync(join(tmpdir(), 'mcpf-bench-cluster-'));
const tokens = TokenStore.open({ home: scratch });
const { token } = tokens.create({ name: 'bench' });
const children = [];

function startServe(name) {
  const home = join(scratch, name);
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--home', home, '--port', '0', '--rate', '1000000', '--burst', '1000000'],
    {
      env: {
        ...process.env,
        MCP_FACTORY_REGISTRY_URL: url.toString(),
        MCP_FACTORY_NODE: name,
        MCP_FACTORY_SUPERVISOR_AUTOSTART: '0',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (c) => {
      err += c;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve ${name} exited with ${code}: ${err}`)));
  });
}

const SPEC = JSON.stringify({
  spec: {
    name: 'bench-greeter',
    version: '1.0.0',
    tools: [
      {
        name: 'hello',
        description: 'Greet',
        parameters: { name: { type: 'string' } },
        static: { text: 'Hi {{name}}' },
      },
    ],
  },
});

/** Closed-loop clients for SECONDS over `urls` (client i → urls[i % n]); requests per second. */
async function load(urls, method, path, body) {
  const agents = urls.map(() => new http.Agent({ keepAlive: true, maxSockets: CLIENTS }));
  const headers = {
    authorization: `Bearer ${token}`,
    ...(body ? { 'content-type': 'application/json' } : {}),
  };
  const once = (i) =>
    new Promise((resolve, reject) => {
      const req = http.request(
        `${urls[i % urls.length]}${path}`,
        { method, headers, agent: agents[i % urls.length] },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`${path}: ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  for (let i = 0; i < CLIENTS * 5; i++) await once(i); // warm-up (connections, JIT)
  let done = 0;
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      while (performance.now() < end) {
        await once(i);
        done++;
      }
    }),
  );
  for (const a of agents) a.destroy();
  return done / ((performance.now() - t0) / 1000);
}

try {
  // With a PostgreSQL registry tokens are registry rows: instance A imports its home's token file once at
  // start, and B verifies the same rows.
  mkdirSync(join(scratch, 'a'), { recursive: true });
  copyFileSync(join(scratch, 'api-tokens.json'), join(scratch, 'a', 'api-tokens.json'));
  const a = await startServe('a');
  const b = await startServe('b');
  const cases = [
    ['GET /mcp/servers', 'GET', '/mcp/servers', undefined],
    ['POST /mcp/validate', 'POST', '/mcp/validate', SPEC],
  ];
  const rows = [];
  const results = {};
  for (const [name, method, path, body] of cases) {
    const one = await load([a], method, path, body);
    const two = await load([a, b], method, path, body);
    rows.push([name, Math.round(one), Math.round(two), `${r2(two / one)}×`]);
    results[name] = { oneInstance: one, twoInstances: two, ratio: two / one };
  }
  table(
    `API throughput on PostgreSQL, ${CLIENTS} clients, ${SECONDS} s per phase (ratio: two instances / one, same run)`,
    ['case', '1 instance req/s', '2 instances req/s', 'ratio'],
    rows,
  );
  console.log(`BENCH_JSON ${JSON.stringify({ cluster: results, clients: CLIENTS, seconds: SECONDS })}`);
} finally {
  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  rmSync(scratch, { recursive: true, force: true });
  await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
}
