#!/usr/bin/env node
// The gateway's cost (issue 16 targets: added p50 < 1 ms, p99 < 5 ms, throughput ≥ 80 % of direct), measured in
// one run against the same upstream (the hand-written SDK server of bench/handwritten-server.mjs over HTTP):
// raw JSON-RPC `tools/call` direct to the upstream vs through `mcp-factory gateway` (its own process, a token,
// default settings), 2026-07-28 and 2025-11-25, c=1 and c=32, alternating rounds so background load hits both.
// Then the catalog at scale: U upstreams × T tools (one process serving U endpoints) → catalog build time,
// tools/list size in catalog and meta-tool mode, search latency, the gateway's memory.
//
// Besides latency, the CPU time each process spent per call (from /proc): less noisy than latency on a shared box.
//
//   npm run build && node bench/gateway.mjs [--calls 2000] [--rounds 4] [--upstreams 100] [--tools 100]
//     [--cells modern:1,modern:32,legacy:1,legacy:32] [--no-scale]   (a quicker run: some cells, no catalog part)

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  drive,
  freePort,
  killAll,
  LEGACY,
  MODERN,
  pct,
  processCpuSeconds,
  ROOT,
  r2,
  rawHttpCaller,
  sleep,
  startHttpServer,
  table,
  tail,
  track,
  verdict,
  waitExit,
} from './lib.mjs';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '4' },
    upstreams: { type: 'string', default: '100' },
    tools: { type: 'string', default: '100' },
    cells: { type: 'string', default: 'modern:1,modern:32,legacy:1,legacy:32' },
    'no-scale': { type: 'boolean', default: false },
  },
});
const CELLS = values.cells.split(',').map((cell) => {
  const [era, c] = cell.split(':');
  if ((era !== 'modern' && era !== 'legacy') || !(Number(c) >= 1)) throw new Error(`bad cell ${cell}`);
  return { era, c: Number(c) };
});
const CALLS = Number(values.calls);
const ROUNDS = Number(values.rounds);
const U = Number(values.upstreams);
const T = Number(values.tools);

const home = mkdtempSync(join(tmpdir(), 'mcpf-bench-gw-'));
process.on('exit', () => {
  killAll();
  rmSync(home, { recursive: true, force: true });
});

const { TokenStore } = await import(join(ROOT, 'dist/identity/tokens.js'));
const token = TokenStore.open({ home }).create({ name: 'bench' }).token;
const auth = { authorization: `Bearer ${token}` };

async function startGateway(config, extraEnv = {}) {
  const file = join(home, `gateway-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(config));
  const port = await freePort();
  const child = track(
    spawn(
      process.execPath,
      [
        // BENCH_GATEWAY_NODE_ARGS: e.g. "--cpu-prof --cpu-prof-dir=.tmp/prof" to profile the gateway process.
        ...(process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
        join(ROOT, 'bin/mcp-factory.mjs'),
        'gateway',
        '--config',
        file,
        '--port',
        String(port),
        '--home',
        home,
        '--no-registry-servers',
        '--rate',
        '1000000',
        '--burst',
        '1000000',
      ],
      {
        env: { ...process.env, ...extraEnv },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    ),
  );
  const stderr = tail(child.stderr);
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited ${child.exitCode}: ${stderr()}`);
    if (/listening on/.test(stderr())) return { child, url: `http://127.0.0.1:${port}`, stderr };
    if (Date.now() > deadline) throw new Error(`gateway did not start: ${stderr()}`);
    await sleep(20);
  }
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function getJson(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: auth }, (r) => {
        let d = '';
        r.setEncoding('utf8');
        r.on('data', (c) => (d += c));
        r.on('end', () =>
          r.statusCode === 200
            ? resolve(JSON.parse(d))
            : reject(new Error(`${r.statusCode} ${d.slice(0, 200)}`)),
        );
      })
      .on('error', reject);
  });
}

// ---------- added latency and throughput ----------
const upstream = await startHttpServer('handwritten');
const gw = await startGateway({
  servers: [{ name: 'up', url: upstream.url, maxConcurrency: 64 }],
  metaTools: 'never',
});
const rows = [];
const figures = {};
for (const { era, c } of CELLS) {
  {
    const direct = rawHttpCaller(upstream.url, era, c);
    const via = rawHttpCaller(`${gw.url}/mcp`, era, c, { tool: 'up__echo', headers: auth });
    await drive(200, c, direct.call);
    await drive(200, c, via.call);
    const d = { lat: [], wall: 0, cpu: 0 };
    const g = { lat: [], wall: 0, cpu: 0 };
    for (let r = 0; r < ROUNDS; r++) {
      for (const [acc, caller] of r % 2
        ? [
            [g, via],
            [d, direct],
          ]
        : [
            [d, direct],
            [g, via],
          ]) {
        // CPU of the processes serving this run: the upstream (direct), the gateway and the upstream (via).
        const pids = acc === g ? [gw.child.pid, upstream.child.pid] : [upstream.child.pid];
        const cpu0 = pids.map(processCpuSeconds);
        const { lat, wallMs } = await drive(CALLS, c, caller.call);
        acc.lat.push(...lat);
        acc.wall += wallMs;
        acc.cpu += pids.map(processCpuSeconds).reduce((n, v, i) => n + v - cpu0[i], 0);
      }
    }
    direct.close();
    via.close();
    const ds = [...d.lat].sort((a, b) => a - b);
    const gs = [...g.lat].sort((a, b) => a - b);
    const dRate = (CALLS * ROUNDS) / (d.wall / 1000);
    const gRate = (CALLS * ROUNDS) / (g.wall / 1000);
    const key = `${era === 'modern' ? MODERN : LEGACY} c=${c}`;
    figures[key] = {
      addedP50: pct(gs, 0.5) - pct(ds, 0.5),
      addedP99: pct(gs, 0.99) - pct(ds, 0.99),
      throughputRatio: gRate / dRate,
      // CPU ms per call spent by the gateway process itself: (gateway + upstream) − upstream alone.
      gatewayCpuMsPerCall: ((g.cpu - d.cpu) * 1000) / (CALLS * ROUNDS),
      upstreamCpuMsPerCall: (d.cpu * 1000) / (CALLS * ROUNDS),
    };
    rows.push([
      key,
      r2(pct(ds, 0.5)),
      r2(pct(gs, 0.5)),
      r2(figures[key].addedP50),
      r2(pct(ds, 0.99)),
      r2(pct(gs, 0.99)),
      r2(figures[key].addedP99),
      Math.round(dRate),
      Math.round(gRate),
      r2(figures[key].throughputRatio),
      r2(figures[key].upstreamCpuMsPerCall),
      r2(figures[key].gatewayCpuMsPerCall),
    ]);
  }
}
table(
  `Gateway vs direct (raw JSON-RPC tools/call, ${CALLS}×${ROUNDS} calls per cell)`,
  [
    'era / concurrency',
    'direct p50',
    'gw p50',
    'added p50',
    'direct p99',
    'gw p99',
    'added p99',
    'direct/s',
    'gw/s',
    'ratio',
    'upstream cpu ms/call',
    'gw cpu ms/call',
  ],
  rows,
);
const c1 = figures[`${MODERN} c=1`];
const c32 = figures[`${MODERN} c=32`];
table(
  'Targets',
  ['target', 'measured', 'verdict'],
  [
    ...(c1
      ? [
          ['added p50 < 1 ms (c=1)', `${r2(c1.addedP50)} ms`, verdict(c1.addedP50, 1)],
          ['added p99 < 5 ms (c=1)', `${r2(c1.addedP99)} ms`, verdict(c1.addedP99, 5)],
        ]
      : []),
    ...(c32
      ? [
          [
            'throughput ≥ 0.8× direct (c=32)',
            `${r2(c32.throughputRatio)}×`,
            verdict(c32.throughputRatio, 0.8, true),
          ],
        ]
      : []),
  ],
);
gw.child.kill('SIGTERM');
if (values['no-scale']) {
  console.log(`BENCH_JSON ${JSON.stringify({ figures })}`);
  await waitExit(gw.child); // its CPU profile, when asked for one, is written on the way out
  process.exit(0);
}

// ---------- catalog at scale ----------
const port = await freePort();
const many = track(
  spawn(process.execPath, [join(ROOT, 'test/gateway/fixtures/upstream.mjs'), 'many', 'http', String(port)], {
    env: { ...process.env, ENDPOINTS: String(U), TOOLS: String(T) },
    stdio: ['ignore', 'pipe', 'inherit'],
  }),
);
await new Promise((r) => many.stdout.once('data', r));
const servers = Array.from({ length: U }, (_, i) => ({
  name: `s${i}`,
  url: `http://127.0.0.1:${port}/mcp/${i}`,
}));
const t0 = performance.now();
const big = await startGateway({ servers, metaTools: 'never' });
const readyMs = performance.now() - t0;
const t1 = performance.now();
const list = await getJson(`${big.url}/api/v1/tools`);
const listMs = performance.now() - t1;
const catalogBytes = Buffer.byteLength(JSON.stringify(list.tools));
const queries = [
  'create an invoice for a customer',
  'delete file',
  'list open pull requests',
  'send a message to a channel',
  'weather forecast tomorrow',
];
const searchLat = [];
for (let i = 0; i < 200; i++) {
  const s = performance.now();
  await getJson(`${big.url}/api/v1/tools/search?q=${encodeURIComponent(queries[i % queries.length])}`);
  searchLat.push(performance.now() - s);
}
searchLat.sort((a, b) => a - b);
const rss = rssMb(big.child.pid);
big.child.kill('SIGTERM');
const meta = await startGateway({ servers, metaTools: 'auto' });
const { Client, StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
const client = new Client({ name: 'bench', version: '1' });
await client.connect(
  new StreamableHTTPClientTransport(new URL(`${meta.url}/mcp`), { requestInit: { headers: auth } }),
);
const metaList = await client.listTools();
const metaBytes = Buffer.byteLength(JSON.stringify(metaList.tools));
await client.close();
table(
  `Catalog at scale: ${U} upstreams × ${T} tools`,
  ['figure', 'value'],
  [
    ['tools in catalog', list.tools.length],
    ['gateway start → listening (catalog built)', `${Math.round(readyMs)} ms`],
    ['GET /api/v1/tools', `${Math.round(listMs)} ms`],
    ['catalog JSON size', `${r2(catalogBytes / 1024 / 1024)} MiB`],
    ['tools/list in meta-tool mode', `${metaList.tools.length} tools, ${metaBytes} bytes`],
    ['search p50 / p99 (REST, 200 queries)', `${r2(pct(searchLat, 0.5))} / ${r2(pct(searchLat, 0.99))} ms`],
    ['gateway RSS after build + search', `${Math.round(rss)} MB`],
  ],
);
console.log(
  `BENCH_JSON ${JSON.stringify({ figures, scale: { U, T, tools: list.tools.length, readyMs, listMs, catalogBytes, metaBytes, search: { p50: pct(searchLat, 0.5), p99: pct(searchLat, 0.99) }, rssMb: rss } })}`,
);
process.exit(0);
