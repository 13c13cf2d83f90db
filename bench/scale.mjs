#!/usr/bin/env node
/**
 * Servers that last and scale (see bench/README.md, "Scale"):
 *   1. cold start over stdio (spawn → first `tools/list` answer) at 2, 200, 1,000 and 5,000 tools
 *   2. HTTP server CPU per `tools/call` and per `tools/list` at the same sizes, interleaved rounds
 *   3. soak: the inventory example (tools, resources, prompts) over HTTP, heap and RSS after forced GC
 * Every figure is a ratio against the 2-tool server (or the soak's own start) measured in the same run.
 *
 *   npm run build && node bench/scale.mjs
 *   node bench/scale.mjs --quick --sizes=2,200,1000 --only=cold,http
 *   node bench/scale.mjs --keep                      # keeps .tmp/scale-<pid>/ (bundles: <n>/dist/server.mjs)
 *   node bench/scale.mjs --against=.tmp/scale-123    # also measures bundles kept by an earlier run ("before")
 *
 * Knobs: BENCH_SCALE_COLD_RUNS (7), BENCH_SCALE_CALLS (1500 per round), BENCH_SCALE_LISTS (60 per round),
 * BENCH_SCALE_ROUNDS (4), BENCH_SCALE_SOAK (20000). Exits non-zero only when something failed.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import http from 'node:http';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  freePort,
  killAll,
  MODERN,
  median,
  onJsonLines,
  processCpuSeconds,
  ROOT,
  r1,
  r2,
  sleep,
  stopChild,
  table,
  tail,
  track,
  waitExit,
} from './lib.mjs';

const { values: flags } = parseArgs({
  options: {
    only: { type: 'string', default: 'cold,http,soak' },
    sizes: { type: 'string', default: '2,200,1000,5000' },
    against: { type: 'string' },
    quick: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
  allowPositionals: true, // when imported (soakInventory) by a script with its own arguments
});
const only = new Set(flags.only.split(','));
const SIZES = flags.sizes.split(',').map(Number);
const q = flags.quick;
const CFG = {
  coldRuns: Number(process.env.BENCH_SCALE_COLD_RUNS ?? (q ? 3 : 7)),
  calls: Number(process.env.BENCH_SCALE_CALLS ?? (q ? 500 : 1500)),
  lists: Number(process.env.BENCH_SCALE_LISTS ?? (q ? 20 : 60)),
  rounds: Number(process.env.BENCH_SCALE_ROUNDS ?? (q ? 2 : 4)),
  soak: Number(process.env.BENCH_SCALE_SOAK ?? (q ? 5000 : 20000)),
};
const SCRATCH = join(ROOT, '.tmp', `scale-${process.pid}`);
const results = { config: CFG, cold: {}, http: {}, soak: {}, targets: [] };
const META = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientInfo': { name: 'bench-scale', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

/** n static tools with template text; each has its own input schema (no two alike: the worst case for sharing). */
function syntheticSpec(n) {
  return {
    name: `scale-${n}`,
    version: '1.0.0',
    description: `Benchmark: ${n} static tools.`,
    transport: 'http',
    tools: Array.from({ length: n }, (_, i) => ({
      name: `tool_${i}`,
      description: `Synthetic tool number ${i}: echoes its text with a prefix.`,
      parameters: {
        text: { type: 'string', required: true, description: `Text for tool ${i}.`, maxLength: 1000 + i },
        ...(i % 2 ? { count: { type: 'integer', minimum: 0, maximum: i + 1 } } : {}),
      },
      static: { text: `tool ${i} says {{text}}` },
    })),
  };
}

async function generate(api, n) {
  const checked = api.validateSpec(syntheticSpec(n));
  if (!checked.ok)
    throw new Error(`synthetic spec is invalid: ${JSON.stringify(checked.issues).slice(0, 500)}`);
  const t0 = performance.now();
  const res = await api.createServerProject({
    spec: checked.spec,
    specDir: SCRATCH,
    outDir: join(SCRATCH, String(n)),
    typecheck: false,
    runTests: false,
  });
  return { bundle: res.bundle.file, genMs: performance.now() - t0 };
}

// ---------- 1. cold start ----------

function coldStart(bundle, expectTools) {
  const t0 = performance.now();
  const child = track(
    spawn(process.execPath, [bundle, '--transport', 'stdio'], {
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: ['pipe', 'pipe', 'ignore'],
    }),
  );
  child.stdin.on('error', () => undefined);
  child.stdin.write(
    `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: META } })}\n`,
  );
  return new Promise((resolveMs, reject) => {
    const timer = setTimeout(() => reject(new Error('no tools/list answer within 120 s')), 120_000);
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before answering`)));
    onJsonLines(child.stdout, (msg) => {
      if (msg.id !== 1) return;
      const ms = performance.now() - t0;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.stdin.end();
      child.kill('SIGTERM');
      waitExit(child).then(() =>
        msg.result?.tools?.length === expectTools
          ? resolveMs(ms)
          : reject(new Error(`tools/list answered ${JSON.stringify(msg).slice(0, 300)}`)),
      );
    });
  });
}

async function benchCold(variants) {
  const floor = ['-e', "process.stdin.once('data', () => process.exit(0))"];
  const samples = new Map(variants.map((v) => [v.key, []]));
  samples.set('floor', []);
  for (let run = -1; run < CFG.coldRuns; run++) {
    const order = run % 2 ? variants : [...variants].reverse();
    for (const v of order) {
      const ms = await coldStart(v.bundle, v.n);
      if (run >= 0) samples.get(v.key).push(ms);
    }
    const t0 = performance.now();
    const child = track(spawn(process.execPath, floor, { stdio: ['pipe', 'ignore', 'ignore'] }));
    child.stdin.end('x\n');
    await waitExit(child);
    if (run >= 0) samples.get('floor').push(performance.now() - t0);
  }
  const floorMs = median(samples.get('floor'));
  const rows = [];
  for (const v of variants) {
    const base = median(samples.get(v.baseKey));
    const m = median(samples.get(v.key));
    results.cold[v.key] = { median: r1(m), min: r1(Math.min(...samples.get(v.key))), ratio: r2(m / base) };
    rows.push([v.label, r1(m), r1(Math.min(...samples.get(v.key))), r1(m - floorMs), `${r2(m / base)}×`]);
  }
  results.cold.floor = r1(floorMs);
  rows.push(['node floor', r1(floorMs), r1(Math.min(...samples.get('floor'))), 0, '']);
  table(
    `Cold start over stdio (spawn → tools/list), median of ${CFG.coldRuns}`,
    ['server', 'median ms', 'min ms', 'minus floor', 'vs 2 tools'],
    rows,
  );
  for (const v of variants.filter((x) => x.n === 1000 && !x.before))
    results.targets.push(target('cold start, 1,000 vs 2 tools', results.cold[v.key].ratio, 2));
}

function target(name, value, limit) {
  return { name, value, target: limit, status: value <= limit ? 'ok' : 'MISSED' };
}

// ---------- 2. HTTP CPU per call ----------

async function startHttp(bundle, env = {}, nodeArgs = []) {
  const port = await freePort();
  const child = track(
    spawn(
      process.execPath,
      [...nodeArgs, bundle, '--transport', 'http', '--port', String(port), '--host', '127.0.0.1'],
      {
        env: { ...process.env, LOG_LEVEL: 'warn', ...env },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    ),
  );
  const stderr = tail(child.stderr, 20_000);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const base = { host: '127.0.0.1', port, agent };
  for (const deadline = Date.now() + 30_000; ; ) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${stderr()}`);
    const ok = await request({ ...base, path: '/health', method: 'GET' }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`server did not answer /health: ${stderr()}`);
    await sleep(25);
  }
  return { child, base, agent, stderr };
}

function request(options, body, headers = {}) {
  return new Promise((res, rej) => {
    const req = http.request(
      { ...options, headers: { ...headers, ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) } },
      (r) => {
        let data = '';
        r.setEncoding('utf8');
        r.on('data', (d) => {
          data += d;
        });
        r.on('end', () => res({ status: r.statusCode, data }));
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('request timed out')));
    req.on('error', rej);
    req.end(body);
  });
}

/** One JSON-RPC call over HTTP in the 2026-07-28 era (or 2025-11-25 with legacy), checked with `check`. */
async function rpc(server, method, params, { legacy = false, headers = {}, check } = {}) {
  const id = Math.floor(Math.random() * 1e9);
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id,
    method,
    params: legacy ? params : { ...params, _meta: META },
  });
  const name = params.name ?? params.uri;
  const r = await request({ ...server.base, path: '/mcp', method: 'POST' }, body, {
    accept: 'application/json, text/event-stream',
    'content-type': 'application/json',
    'mcp-protocol-version': legacy ? '2025-11-25' : MODERN,
    ...(legacy ? {} : { 'mcp-method': method, ...(name ? { 'mcp-name': name } : {}) }),
    ...headers,
  });
  const text = r.data.startsWith('{') ? r.data : (/^data: (.*)$/m.exec(r.data)?.[1] ?? '');
  const msg = text ? JSON.parse(text) : undefined;
  if (r.status !== 200 || !msg?.result || (check && !check(msg.result)))
    throw new Error(`${method} answered HTTP ${r.status}: ${r.data.slice(0, 300)}`);
  return msg.result;
}

async function loop(total, concurrency, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) await fn(i);
    }),
  );
}

const callTool = (server, i) =>
  rpc(
    server,
    'tools/call',
    { name: 'tool_1', arguments: { text: `hi ${i}` } },
    {
      check: (r) => r.content?.[0]?.text === `tool 1 says hi ${i}`,
    },
  );

async function benchHttp(variants) {
  const servers = new Map();
  for (const v of variants) servers.set(v.key, await startHttp(v.bundle));
  try {
    const perCall = new Map(variants.map((v) => [v.key, []]));
    const perList = new Map(variants.map((v) => [v.key, []]));
    const listBytes = new Map();
    for (const v of variants) {
      const s = servers.get(v.key);
      await loop(200, 4, (i) => callTool(s, i));
      const list = await rpc(s, 'tools/list', {}, { check: (r) => r.tools?.length === v.n });
      listBytes.set(v.key, JSON.stringify(list).length);
      for (let i = 0; i < 5; i++) await rpc(s, 'tools/list', {});
    }
    for (let round = 0; round < CFG.rounds; round++) {
      const order = round % 2 ? [...variants].reverse() : variants;
      for (const v of order) {
        const s = servers.get(v.key);
        let cpu0 = processCpuSeconds(s.child.pid);
        await loop(CFG.calls, 4, (i) => callTool(s, i));
        perCall.get(v.key).push(((processCpuSeconds(s.child.pid) - cpu0) * 1e6) / CFG.calls);
        cpu0 = processCpuSeconds(s.child.pid);
        const lists = Math.max(4, Math.round((CFG.lists * 200) / Math.max(200, v.n)));
        await loop(lists, 2, () => rpc(s, 'tools/list', {}, { check: (r) => r.tools?.length === v.n }));
        perList.get(v.key).push(((processCpuSeconds(s.child.pid) - cpu0) * 1e3) / lists);
      }
    }
    const rows = [];
    for (const v of variants) {
      const ratios = perCall.get(v.key).map((c, i) => c / perCall.get(v.baseKey)[i]);
      const call = median(perCall.get(v.key));
      const list = median(perList.get(v.key));
      results.http[v.key] = {
        callCpuUs: r1(call),
        callRatio: r2(median(ratios)),
        callRatioRange: [r2(Math.min(...ratios)), r2(Math.max(...ratios))],
        listCpuMs: r2(list),
        listBytes: listBytes.get(v.key),
        listUsPerKB: r1((list * 1000) / (listBytes.get(v.key) / 1024)),
      };
      const h = results.http[v.key];
      rows.push([
        v.label,
        h.callCpuUs,
        `${h.callRatio}× (${h.callRatioRange.join('–')})`,
        h.listCpuMs,
        r1(h.listBytes / 1024),
        h.listUsPerKB,
      ]);
    }
    table(
      `HTTP server CPU (2026-07-28, raw client, concurrency 4; ${CFG.rounds} alternating rounds of ${CFG.calls} calls)`,
      [
        'server',
        'µs CPU / tools/call',
        'vs 2 tools (median of rounds)',
        'ms CPU / tools/list',
        'list KiB',
        'µs CPU per list KiB',
      ],
      rows,
    );
    for (const v of variants.filter((x) => !x.before && x.n >= 1000))
      results.targets.push(target(`CPU per call, ${v.n} vs 2 tools`, results.http[v.key].callRatio, 1.1));
  } finally {
    for (const s of servers.values()) {
      s.agent.destroy();
      await stopChild(s.child);
    }
  }
}

// ---------- 3. soak ----------

/** Loaded with --import: SIGUSR2 runs full GCs (twice, so finalizers can run between) and prints the heap. */
const GC_PROBE = `process.on('SIGUSR2', () => { globalThis.gc(); setTimeout(() => { globalThis.gc();
  const m = process.memoryUsage(); process.stderr.write('HEAP ' + JSON.stringify({ heapUsed: m.heapUsed, rss: m.rss }) + '\\n'); }, 50); });`;

async function heapOf(server) {
  const before = server.stderr().lastIndexOf('HEAP ');
  server.child.kill('SIGUSR2');
  for (let i = 0; i < 200; i++) {
    await sleep(25);
    const text = server.stderr();
    const at = text.lastIndexOf('HEAP ');
    if (at > before || (before === -1 && at >= 0)) return JSON.parse(text.slice(at + 5).split('\n')[0]);
  }
  throw new Error('the server did not report its heap');
}

export async function soakInventory(bundle, calls, { onStage = () => undefined } = {}) {
  const probe = join(dirname(bundle), 'gc-probe.mjs');
  writeFileSync(probe, GC_PROBE);
  const key = 'soak-key-0123456789';
  const server = await startHttp(bundle, { INVENTORY_API_KEY: key }, ['--expose-gc', `--import=${probe}`]);
  const headers = { 'x-api-key': key };
  const kinds = [
    (legacy) => rpc(server, 'tools/list', {}, { legacy, headers, check: (r) => r.tools?.length === 5 }),
    (legacy) =>
      rpc(
        server,
        'tools/call',
        { name: 'get_product', arguments: { sku: 'EL-1001' } },
        {
          legacy,
          headers,
          check: (r) => !r.isError && JSON.stringify(r).includes('EL-1001'),
        },
      ),
    (legacy) =>
      rpc(
        server,
        'resources/read',
        { uri: 'inventory://products/EL-1001' },
        {
          legacy,
          headers,
          check: (r) => r.contents?.[0]?.text?.includes('EL-1001'),
        },
      ),
    (legacy) =>
      rpc(
        server,
        'prompts/get',
        { name: 'restock_plan', arguments: { category: 'food' } },
        {
          legacy,
          headers,
          check: (r) => r.messages?.[0]?.content?.text?.includes('food'),
        },
      ),
  ];
  const mixed = (i) => kinds[i % kinds.length]((i >> 2) % 2 === 1);
  try {
    await loop(800, 8, mixed);
    const start = await heapOf(server);
    onStage('start', start);
    const t0 = performance.now();
    await loop(calls, 8, mixed);
    const ms = performance.now() - t0;
    const end = await heapOf(server);
    onStage('end', end);
    await sleep(2000);
    const idle = await heapOf(server);
    return { start, end, idle, ms };
  } finally {
    server.agent.destroy();
    await stopChild(server.child);
  }
}

async function benchSoak(api, variants) {
  const specFile = join(ROOT, 'examples', 'inventory.yaml');
  const spec = api.parseSpecOrThrow(readFileSync(specFile, 'utf8'), { file: specFile });
  // The example limits calls to 600 a minute; the soak is about memory, not the limiter.
  delete spec.production.rateLimit;
  const res = await api.createServerProject({
    spec,
    specDir: dirname(specFile),
    outDir: join(SCRATCH, 'inventory'),
    typecheck: false,
    runTests: false,
  });
  const rows = [];
  const bundles = [{ label: 'inventory (this build)', bundle: res.bundle.file, key: 'after' }];
  const before = variants.find((v) => v.before)?.againstDir;
  if (before && existsSync(join(before, 'inventory', 'dist', 'server.mjs')))
    bundles.push({
      label: 'inventory (--against)',
      bundle: join(before, 'inventory', 'dist', 'server.mjs'),
      key: 'before',
    });
  for (const b of bundles) {
    const s = await soakInventory(b.bundle, CFG.soak);
    const mb = (v) => r1(v / 2 ** 20);
    results.soak[b.key] = {
      calls: CFG.soak,
      heapStartMB: mb(s.start.heapUsed),
      heapEndMB: mb(s.end.heapUsed),
      heapIdleMB: mb(s.idle.heapUsed),
      heapGrowth: r2(s.idle.heapUsed / s.start.heapUsed),
      rssStartMB: mb(s.start.rss),
      rssEndMB: mb(s.end.rss),
      callsPerS: Math.round((CFG.soak / s.ms) * 1000),
    };
    const x = results.soak[b.key];
    rows.push([
      b.label,
      x.heapStartMB,
      x.heapEndMB,
      x.heapIdleMB,
      `${x.heapGrowth}×`,
      x.rssStartMB,
      x.rssEndMB,
      x.callsPerS,
    ]);
  }
  table(
    `Soak: ${CFG.soak} mixed calls (tools/list, tools/call, resources/read, prompts/get; both eras), heap after forced GC`,
    [
      'server',
      'heap start MB',
      'heap end MB',
      'after 2 s idle',
      'growth',
      'RSS start MB',
      'RSS end MB',
      'calls/s',
    ],
    rows,
  );
  results.targets.push(target('soak heap growth (after idle vs start)', results.soak.after.heapGrowth, 1.1));
}

// ---------- main ----------

async function main() {
  const dist = join(ROOT, 'dist', 'index.js');
  if (!existsSync(dist)) throw new Error('dist/index.js is missing: run `npm run build` first');
  const api = await import(dist);
  await rm(SCRATCH, { recursive: true, force: true });
  await mkdir(SCRATCH, { recursive: true });
  console.log(
    `scale bench — node ${process.version}, load average ${loadavg().map(r2).join(' ')}; ${JSON.stringify(CFG)}`,
  );
  const variants = [];
  const genRows = [];
  for (const n of SIZES) {
    const { bundle, genMs } = await generate(api, n);
    variants.push({ key: `${n}`, label: `${n} tools`, n, bundle, baseKey: `${SIZES[0]}` });
    genRows.push([`${n} tools`, r1(genMs), r1(Number(readFileSync(bundle).length) / 1024)]);
  }
  const against = flags.against ? resolve(flags.against) : undefined;
  if (against)
    for (const n of SIZES) {
      const bundle = join(against, String(n), 'dist', 'server.mjs');
      if (existsSync(bundle))
        variants.push({
          key: `before-${n}`,
          label: `${n} tools (before)`,
          n,
          bundle,
          baseKey: `before-${SIZES[0]}`,
          before: true,
          againstDir: against,
        });
    }
  table(
    'Generated servers (typecheck: false, runTests: false)',
    ['server', 'generation ms', 'bundle KiB'],
    genRows,
  );
  try {
    if (only.has('cold')) await benchCold(variants);
    if (only.has('http')) await benchHttp(variants);
    if (only.has('soak')) await benchSoak(api, variants);
  } finally {
    killAll();
    if (flags.keep) console.log(`\nscratch kept in ${SCRATCH}`);
    else await rm(SCRATCH, { recursive: true, force: true });
  }
  table(
    'Targets',
    ['figure', 'value', 'target', 'status'],
    results.targets.map((t) => [t.name, `${t.value}×`, `≤ ${t.target}×`, t.status]),
  );
  console.log(`BENCH_JSON ${JSON.stringify(results)}`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(ROOT, 'bench', 'scale.mjs'))
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(`bench failed: ${error?.stack ?? error}`);
      killAll();
      process.exit(1);
    },
  );
