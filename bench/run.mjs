#!/usr/bin/env node
/**
 * MCP Factory benchmarks (see bench/README.md):
 *   1. generation: 10-tool spec → generated + bundled server (with and without the type-check step)
 *   2. cold start: spawn the bundled server → first `tools/list` answer over stdio (SDK client and raw JSON-RPC)
 *   3. HTTP `tools/call`: generated echo server vs a hand-written minimal SDK v2 server, interleaved rounds
 *   4. databases (--only=db, see bench/db.mjs): per-call overhead vs the driver, deep pages, RSS soak, start-up
 *   5. tool search (--only=search, see bench/search-eval.mjs): Recall@1/@5 and MRR vs plain BM25, latency
 *   6. web console (--only=console, see bench/console.mjs): bundle size, time to interactive on 500 servers
 *
 *   npm run bench                      # builds, then runs everything (~35–65 s on 2 idle-ish cores)
 *   node bench/run.mjs --only=gen,cold,http --quick --keep
 *
 * Environment knobs: BENCH_GEN_RUNS (5), BENCH_COLD_RUNS (10), BENCH_HTTP_CALLS (2000, SDK client), BENCH_HTTP_RAW_CALLS (6000,
 * raw client), BENCH_HTTP_WARMUP (200),
 * BENCH_HTTP_ROUNDS (8), BENCH_HTTP_CONCURRENCY (8).
 * Prints tables and a final `BENCH_JSON {...}` line. Exits 0 when targets are missed (they print MISSED),
 * non-zero only when something actually failed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { benchDb } from './db.mjs';
import {
  drive,
  HANDWRITTEN,
  killAll,
  LEGACY,
  MODERN,
  median,
  onJsonLines,
  processCpuSeconds,
  ROOT,
  r1,
  r2,
  r3,
  rawHttpCaller,
  startHttpServer,
  stopChild,
  summary,
  table,
  track,
  trackPid,
  verdict,
  waitExit,
} from './lib.mjs';
import { echoSpec, tenToolSpec } from './specs.mjs';

const { values: flags } = parseArgs({
  options: {
    only: { type: 'string' },
    'http-variants': { type: 'string' },
    quick: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const only = new Set((flags.only ?? 'gen,cold,http').split(',').map((s) => s.trim()));
const envInt = (name, dflt, quick) => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : flags.quick ? quick : dflt;
};
const CFG = {
  genRuns: envInt('BENCH_GEN_RUNS', 5, 2),
  coldRuns: envInt('BENCH_COLD_RUNS', 10, 3),
  httpCalls: envInt('BENCH_HTTP_CALLS', 2000, 300),
  // The raw client is ~3× cheaper per call, so its batches get 3× the calls to last as long (less timer/scheduler noise).
  httpRawCalls: envInt('BENCH_HTTP_RAW_CALLS', 6000, 900),
  httpWarmup: envInt('BENCH_HTTP_WARMUP', 200, 50),
  httpRounds: envInt('BENCH_HTTP_ROUNDS', 8, 2),
  concurrency: envInt('BENCH_HTTP_CONCURRENCY', 8, 8),
};
const TARGETS = { genNoTypecheckMs: 1000, genTypecheckMs: 3000, coldStartMs: 200, httpOverhead: 1.15 };

const SCRATCH = join(ROOT, '.tmp', `bench-${process.pid}`);
const sdkClients = new Set();
const results = {
  meta: {},
  config: CFG,
  targets: [],
  generation: undefined,
  coldStart: undefined,
  http: undefined,
};

// ---------- lifecycle: children die with us, whatever happens ----------

process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    console.error(`\nbench: ${sig}, cleaning up`);
    killAll();
    if (!flags.keep) rmSync(SCRATCH, { recursive: true, force: true });
    process.exit(130);
  });
}
// A hard ceiling so a hung server can never hold the machine (a normal run takes about a minute).
const watchdog = setTimeout(() => {
  console.error('bench: watchdog: the run exceeded 10 minutes; aborting');
  killAll();
  process.exit(3);
}, 10 * 60_000);
watchdog.unref();

function target(name, value, limit, unit) {
  const status = verdict(value, limit);
  results.targets.push({ name, value: unit === 'ms' ? r1(value) : r2(value), target: limit, unit, status });
  return status;
}

async function closeClient(c) {
  sdkClients.delete(c);
  await c.close().catch(() => undefined);
}

// ---------- 1. generation ----------

async function benchGeneration(api) {
  const spec = load(api, tenToolSpec());
  const runs = [];
  const runOnce = async (label, typecheck, i) => {
    const outDir = join(SCRATCH, 'gen', `${label}-${i}`);
    const t0 = performance.now();
    const res = await api.createServerProject({ spec, specDir: SCRATCH, outDir, typecheck, runTests: false });
    const wallMs = performance.now() - t0;
    const steps = Object.fromEntries(
      res.log.steps.filter((s) => s.status === 'ok').map((s) => [s.step, s.durationMs]),
    );
    const inSteps = Object.values(steps).reduce((n, v) => n + v, 0);
    const run = {
      label,
      typecheck,
      i,
      wallMs,
      totalMs: res.totalMs,
      steps,
      otherMs: res.totalMs - inSteps,
      bundleBytes: res.bundle.bytes,
      bundle: res.bundle.file,
    };
    runs.push(run);
    return run;
  };

  // The first build in a process also pays esbuild's service start and module loading: reported, not counted.
  const first = await runOnce('first', false, 0);
  for (let i = 0; i < CFG.genRuns; i++) await runOnce('no-typecheck', false, i);
  for (let i = 0; i < CFG.genRuns; i++) await runOnce('typecheck', true, i);
  // Keep one bundle for the cold-start benchmark; drop the rest (each project is a few MB).
  const keep = runs.find((r) => r.label === 'no-typecheck').bundle;

  const stepNames = ['generate', 'write', 'typecheck', 'security-scan', 'bundle'];
  const rows = [];
  const out = { first: slim(first), modes: {} };
  for (const [label, limit, tname] of [
    ['no-typecheck', TARGETS.genNoTypecheckMs, 'generation (typecheck:false)'],
    ['typecheck', TARGETS.genTypecheckMs, 'generation (typecheck:true)'],
  ]) {
    const rs = runs.filter((r) => r.label === label);
    const total = summary(rs.map((r) => r.totalMs));
    const wall = summary(rs.map((r) => r.wallMs));
    const stepMedians = Object.fromEntries(stepNames.map((s) => [s, median(rs.map((r) => r.steps[s] ?? 0))]));
    stepMedians.other = median(rs.map((r) => r.otherMs));
    const status = target(tname, total.median, limit, 'ms');
    out.modes[label] = {
      runs: rs.map(slim),
      totalMs: roundStats(total),
      wallMs: roundStats(wall),
      stepMedianMs: roundObj(stepMedians),
      target: limit,
      status,
    };
    rows.push([
      label === 'typecheck' ? 'typecheck: true' : 'typecheck: false',
      rs.length,
      total.median,
      total.min,
      total.max,
      ...stepNames.map((s) => stepMedians[s]),
      stepMedians.other,
      `< ${limit} ms: ${status}`,
    ]);
  }
  rows.push([
    '(first run in process, not counted)',
    1,
    first.totalMs,
    first.totalMs,
    first.totalMs,
    ...stepNames.map((s) => first.steps[s] ?? 0),
    first.otherMs,
    '',
  ]);
  table(
    `1. Generation: 10-tool spec (4 static + 6 code) → generated + bundled server, runTests:false (ms; step columns are medians)`,
    [
      'mode',
      'N',
      'median',
      'min',
      'max',
      'generate',
      'write',
      'typecheck',
      'scan',
      'bundle',
      'other',
      'target',
    ],
    rows,
  );
  console.log(
    `bundle size: ${(first.bundleBytes / 1024).toFixed(0)} KiB; "other" = totalMs − Σsteps (linking packages, removing node_modules, writing logs, renaming into place)`,
  );
  out.bundleBytes = first.bundleBytes;
  results.generation = out;
  for (const r of runs)
    if (r.bundle !== keep) await rm(join(r.bundle, '..', '..'), { recursive: true, force: true });
  return keep;
}

function slim(r) {
  return {
    label: r.label,
    totalMs: r1(r.totalMs),
    wallMs: r1(r.wallMs),
    otherMs: r1(r.otherMs),
    steps: r.steps,
  };
}

function load(api, obj) {
  const r = api.validateSpec(obj);
  if (!r.ok) throw new Error(`benchmark spec is invalid: ${JSON.stringify(r.issues)}`);
  return r.spec;
}

// ---------- 2. cold start over stdio ----------

const quietEnv = () => ({ ...process.env, LOG_LEVEL: 'warn' });

async function sdkColdStart(bundle, mode, prior) {
  const t0 = performance.now();
  const client = new Client({ name: 'bench', version: '1.0.0' }, { versionNegotiation: { mode } });
  sdkClients.add(client);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bundle],
    env: quietEnv(),
    stderr: 'ignore',
  });
  let untrack = () => undefined;
  try {
    await client.connect(transport, prior ? { prior } : undefined);
    untrack = trackPid(transport.pid);
    const connectMs = performance.now() - t0;
    const { tools } = await client.listTools();
    const totalMs = performance.now() - t0;
    if (tools.length !== 10) throw new Error(`expected 10 tools, got ${tools.length}`);
    return { totalMs, connectMs, version: client.getNegotiatedProtocolVersion?.() };
  } finally {
    await closeClient(client);
    untrack();
  }
}

/** Write the JSON-RPC lines at spawn time and time until the answer with `answerId` arrives on stdout. */
async function rawColdStart(args, lines, answerId, check) {
  const t0 = performance.now();
  const child = track(spawn(process.execPath, args, { env: quietEnv(), stdio: ['pipe', 'pipe', 'ignore'] }));
  child.stdin.on('error', () => undefined);
  child.stdin.write(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  try {
    return await new Promise((resolveMs, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to id ${answerId} within 15 s`)), 15_000);
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`server exited (${code}) before answering`)));
      onJsonLines(child.stdout, (msg) => {
        if (msg.id !== answerId) return;
        const ms = performance.now() - t0;
        clearTimeout(timer);
        try {
          check?.(msg);
          resolveMs(ms);
        } catch (e) {
          reject(e);
        }
      });
    });
  } finally {
    child.stdin.end();
    child.kill('SIGTERM');
    await waitExit(child);
  }
}

const legacyLines = [
  {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: 'bench', version: '1.0.0' } },
  },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  { jsonrpc: '2.0', id: 2, method: 'tools/list' },
];
const modernLines = [
  {
    jsonrpc: '2.0',
    id: 2,
    method: 'tools/list',
    params: {
      _meta: {
        'io.modelcontextprotocol/protocolVersion': MODERN,
        'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1.0.0' },
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    },
  },
];
const toolsCheck = (n) => (msg) => {
  const got = msg.result?.tools?.length;
  if (got !== n) throw new Error(`tools/list answered ${JSON.stringify(msg).slice(0, 300)}`);
};

async function benchColdStart(bundle) {
  // A DiscoverResult captured once, for connect({ prior }): the 2026-07-28 client then skips its probe.
  const probe = new Client(
    { name: 'bench', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: MODERN } } },
  );
  sdkClients.add(probe);
  await probe.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [bundle],
      env: quietEnv(),
      stderr: 'ignore',
    }),
  );
  const discover = probe.getDiscoverResult();
  await closeClient(probe);
  if (!discover) throw new Error('the pinned client did not keep a DiscoverResult');

  const floorScript = `process.stdin.once('data', () => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: 2, result: { tools: [] } }) + '\\n'));`;
  const variants = [
    {
      key: 'sdk-legacy',
      label: 'SDK client, legacy (initialize, 2025-11-25)',
      group: 'sdk',
      target: true,
      run: () => sdkColdStart(bundle, 'legacy'),
    },
    {
      key: 'sdk-2026-prior',
      label: 'SDK client, pinned 2026-07-28, connect({prior})',
      group: 'sdk',
      target: true,
      run: () => sdkColdStart(bundle, { pin: MODERN }, { kind: 'modern', discover }),
    },
    {
      key: 'sdk-2026-probe',
      label: 'SDK client, pinned 2026-07-28, default connect (probe child + session child)',
      group: 'sdk',
      target: true,
      run: () => sdkColdStart(bundle, { pin: MODERN }),
    },
    {
      key: 'raw-legacy',
      label: 'raw JSON-RPC, initialize+initialized+tools/list',
      group: 'raw',
      target: true,
      run: async () => ({ totalMs: await rawColdStart([bundle], legacyLines, 2, toolsCheck(10)) }),
    },
    {
      key: 'raw-2026',
      label: 'raw JSON-RPC, tools/list with 2026-07-28 _meta',
      group: 'raw',
      target: true,
      run: async () => ({ totalMs: await rawColdStart([bundle], modernLines, 2, toolsCheck(10)) }),
    },
    {
      key: 'raw-legacy-handwritten',
      label: 'context: hand-written SDK server (unbundled, 1 tool), raw legacy',
      group: 'ctx',
      run: async () => ({ totalMs: await rawColdStart([HANDWRITTEN], legacyLines, 2, toolsCheck(1)) }),
    },
    {
      key: 'node-floor',
      label: 'context: bare `node -e` answering one line (Node startup floor)',
      group: 'ctx',
      run: async () => ({ totalMs: await rawColdStart(['-e', floorScript], [{}], 2) }),
    },
  ];
  const samples = Object.fromEntries(variants.map((v) => [v.key, []]));
  // One warm-up pass (file cache), then N passes; variants alternate inside each pass so drift hits all alike.
  for (const v of variants) await v.run();
  for (let i = 0; i < CFG.coldRuns; i++) for (const v of variants) samples[v.key].push(await v.run());

  const out = {};
  const rows = [];
  const floor = median(samples['node-floor'].map((x) => x.totalMs));
  for (const v of variants) {
    const s = summary(samples[v.key].map((x) => x.totalMs));
    const connect =
      samples[v.key][0].connectMs !== undefined ? median(samples[v.key].map((x) => x.connectMs)) : undefined;
    const status = v.target ? target(`cold start: ${v.key}`, s.median, TARGETS.coldStartMs, 'ms') : undefined;
    out[v.key] = {
      label: v.label,
      ...roundStats(s),
      ...(connect !== undefined ? { connectMedianMs: r1(connect) } : {}),
      overNodeFloorMs: r1(s.median - floor),
      samplesMs: samples[v.key].map((x) => r1(x.totalMs)),
      ...(status ? { status } : {}),
    };
    rows.push([
      v.label,
      s.n,
      s.median,
      s.p90,
      s.min,
      connect,
      v.key === 'node-floor' ? undefined : s.median - floor,
      status ? `< ${TARGETS.coldStartMs} ms: ${status}` : '',
    ]);
  }
  table(
    `2. Cold start of the bundled 10-tool server over stdio: spawn → first tools/list answer (ms, N=${CFG.coldRuns} each, LOG_LEVEL=warn)`,
    ['variant', 'N', 'median', 'p90', 'min', 'connect med', 'median − node floor', 'target'],
    rows,
  );
  console.log(
    'SDK rows include the client (spawn → connect → listTools). "default connect" in pinned mode spawns a disposable probe child for\n' +
      'server/discover and then the session child: two cold starts by SDK design. Raw rows isolate the server: all lines are written at spawn.\n' +
      '"median − node floor" subtracts the bare Node start-up measured in the same passes: the part the server itself adds (less load-sensitive).',
  );
  results.coldStart = out;
}

// ---------- 3. HTTP tools/call ----------

async function sdkHttpCaller(url, mode, concurrency) {
  const clients = [];
  for (let w = 0; w < concurrency; w++) {
    const c = new Client({ name: 'bench', version: '1.0.0' }, { versionNegotiation: { mode } });
    sdkClients.add(c);
    await c.connect(new StreamableHTTPClientTransport(new URL(url)));
    clients.push(c);
  }
  return {
    call: async (w, i) => {
      const text = `hello ${i}`;
      const res = await clients[w].callTool({ name: 'echo', arguments: { text } }, { timeout: 15_000 });
      if (res.isError || res.content?.[0]?.text !== `You said: ${text}`)
        throw new Error(`unexpected tools/call result: ${JSON.stringify(res).slice(0, 300)}`);
    },
    close: () => Promise.all(clients.map(closeClient)),
  };
}

async function benchHttp(api) {
  const spec = load(api, echoSpec());
  const res = await api.createServerProject({
    spec,
    specDir: SCRATCH,
    outDir: join(SCRATCH, 'echo'),
    typecheck: false,
    runTests: false,
  });
  const servers = {
    generated: await startHttpServer('generated', { bundle: res.bundle.file }),
    handwritten: await startHttpServer('handwritten'),
  };
  const C = CFG.concurrency;
  const R = CFG.httpRounds;
  const sdkPerRound = Math.ceil(CFG.httpCalls / R);
  const rawPerRound = Math.ceil(CFG.httpRawCalls / R);
  const variants = [
    {
      key: 'sdk-legacy',
      label: `SDK client, legacy ${LEGACY}`,
      perRound: sdkPerRound,
      make: (url) => sdkHttpCaller(url, 'legacy', C),
    },
    {
      key: 'sdk-2026',
      label: `SDK client, pinned ${MODERN}`,
      perRound: sdkPerRound,
      make: (url) => sdkHttpCaller(url, { pin: MODERN }, C),
    },
    {
      key: 'raw-legacy',
      label: `raw HTTP, ${LEGACY} headers`,
      perRound: rawPerRound,
      make: async (url) => rawHttpCaller(url, 'legacy', C),
    },
    {
      key: 'raw-2026',
      label: `raw HTTP, ${MODERN} headers+_meta`,
      perRound: rawPerRound,
      make: async (url) => rawHttpCaller(url, 'modern', C),
    },
  ];
  if (flags['http-variants']) {
    const keep = new Set(flags['http-variants'].split(','));
    variants.splice(0, variants.length, ...variants.filter((v) => keep.has(v.key)));
  }
  const out = { concurrency: C, warmupPerServer: CFG.httpWarmup, rounds: R, variants: {} };
  const rows = [];
  const ratioRows = [];
  const names = ['generated', 'handwritten'];
  try {
    for (const v of variants) {
      const { perRound } = v;
      const callers = {};
      const per = { generated: [], handwritten: [] };
      const pooled = { generated: [], handwritten: [] };
      try {
        for (const name of names) callers[name] = await v.make(servers[name].url);
        for (const name of names) await drive(CFG.httpWarmup, C, callers[name].call);
        // Short alternating batches (A B B A A B …) so both servers see the same background load.
        for (let round = 0; round < R; round++) {
          const order = round % 2 === 0 ? names : [...names].reverse();
          for (const name of order) {
            const srv = servers[name];
            if (srv.child.exitCode !== null) throw new Error(`${name} server died: ${srv.stderr()}`);
            const cpu0 = processCpuSeconds(srv.child.pid);
            const own0 = process.cpuUsage();
            const { lat, wallMs } = await drive(perRound, C, callers[name].call);
            const serverCpuS = processCpuSeconds(srv.child.pid) - cpu0;
            const own = process.cpuUsage(own0);
            pooled[name].push(...lat);
            const s = summary(lat);
            per[name].push({
              round,
              p50: s.median,
              p99: s.p99,
              wallMs,
              cps: (perRound / wallMs) * 1000,
              serverCpuS,
              clientCpuS: (own.user + own.system) / 1e6,
            });
          }
        }
      } finally {
        await Promise.all(Object.values(callers).map((c) => c.close()));
      }
      const agg = (name) => {
        const s = summary(pooled[name]);
        const rs = per[name];
        const calls = perRound * rs.length;
        return {
          p50: s.median,
          p99: s.p99,
          cps: (calls / rs.reduce((n, r) => n + r.wallMs, 0)) * 1000,
          serverCpuUsPerCall: (rs.reduce((n, r) => n + r.serverCpuS, 0) * 1e6) / calls,
          clientCpuUsPerCall: (rs.reduce((n, r) => n + r.clientCpuS, 0) * 1e6) / calls,
        };
      };
      const g = agg('generated');
      const h = agg('handwritten');
      // Ratios per round (same round = same machine conditions), then the median over rounds.
      const perRoundRatios = (f) => per.generated.map((gr, i) => f(gr, per.handwritten[i]));
      const p50s = perRoundRatios((a, b) => a.p50 / b.p50);
      const tpcs = perRoundRatios((a, b) => a.wallMs / b.wallMs);
      const ratios = {
        p50: median(p50s),
        timePerCall: median(tpcs),
        p99: g.p99 / h.p99,
        serverCpu: g.serverCpuUsPerCall / h.serverCpuUsPerCall,
      };
      const p50Status = target(
        `http ${v.key}: p50 ratio generated/hand-written`,
        ratios.p50,
        TARGETS.httpOverhead,
        '×',
      );
      const tpcStatus = target(
        `http ${v.key}: time-per-call ratio generated/hand-written`,
        ratios.timePerCall,
        TARGETS.httpOverhead,
        '×',
      );
      const cpuStatus = target(
        `http ${v.key}: server CPU per call generated/hand-written`,
        ratios.serverCpu,
        TARGETS.httpOverhead,
        '×',
      );
      out.variants[v.key] = {
        label: v.label,
        callsPerServer: perRound * R,
        callsPerRound: perRound,
        generated: roundObj(g),
        handwritten: roundObj(h),
        ratios: Object.fromEntries(Object.entries(ratios).map(([k, x]) => [k, r3(x)])),
        perRoundRatios: { p50: p50s.map(r3), timePerCall: tpcs.map(r3) },
        rounds: { generated: per.generated.map(roundObj), handwritten: per.handwritten.map(roundObj) },
        status: { p50: p50Status, timePerCall: tpcStatus, serverCpu: cpuStatus },
      };
      for (const [name, a] of [
        ['generated', g],
        ['hand-written', h],
      ]) {
        rows.push([
          v.label,
          name,
          perRound * R,
          a.p50,
          a.p99,
          a.cps,
          a.serverCpuUsPerCall,
          a.clientCpuUsPerCall,
        ]);
      }
      const spread = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
      ratioRows.push([
        v.label,
        `${ratios.p50.toFixed(2)}× ${p50Status}`,
        spread(p50s),
        `${ratios.timePerCall.toFixed(2)}× ${tpcStatus}`,
        spread(tpcs),
        `${ratios.p99.toFixed(2)}×`,
        `${ratios.serverCpu.toFixed(2)}× ${cpuStatus}`,
      ]);
    }
  } finally {
    await Promise.all(Object.values(servers).map((s) => stopChild(s.child)));
  }
  table(
    `3. HTTP tools/call "echo": measured calls per server in ${R} alternating rounds (A B B A …) after ${CFG.httpWarmup} warm-up calls each, concurrency ${C}`,
    ['client', 'server', 'calls', 'p50 ms', 'p99 ms', 'calls/s', 'server CPU µs/call', 'bench CPU µs/call'],
    rows,
  );
  table(
    `3b. Overhead generated ÷ hand-written (target ≤ ${TARGETS.httpOverhead}×; p50 and time per call: median of the ${R} per-round ratios, with their range)`,
    ['client', 'p50 latency', 'range', 'time per call', 'range', 'p99 (pooled)', 'server CPU/call (total)'],
    ratioRows,
  );
  console.log(
    'SDK rows: 8 independent SDK Clients per server (one StreamableHTTPClientTransport each; Node fetch keep-alive), connected once per\n' +
      'variant, each issuing calls back to back from a shared counter. Raw rows: 8 workers on one node:http keep-alive agent (8 sockets)\n' +
      'posting the same JSON-RPC bytes the SDK sends, without the client cost. p50/p99 pool all rounds; calls/s = calls ÷ summed batch time.\n' +
      '"server CPU" is the server process\'s user+system time (/proc) during measured batches; "bench CPU" is this process (the clients).',
  );
  results.http = out;
}

// ---------- helpers ----------

function roundStats(s) {
  return {
    n: s.n,
    medianMs: r1(s.median),
    p90Ms: r1(s.p90),
    minMs: r1(s.min),
    maxMs: r1(s.max),
    meanMs: r1(s.mean),
  };
}
function roundObj(o) {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? r2(v) : v]));
}

// ---------- tool search ----------

function benchSearch() {
  const args = [join(ROOT, 'bench', 'search-eval.mjs'), ...(flags.quick ? ['--tools=2000'] : [])];
  const run = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 5 * 60_000 });
  process.stdout.write(run.stdout ?? '');
  process.stderr.write(run.stderr ?? '');
  if (run.status !== 0) throw new Error(`bench/search-eval.mjs exited with ${run.status ?? run.signal}`);
  const line = (run.stdout ?? '').split('\n').find((l) => l.startsWith('SEARCH_EVAL_JSON '));
  return line ? JSON.parse(line.slice('SEARCH_EVAL_JSON '.length)) : null;
}

// ---------- main ----------

async function main() {
  const started = performance.now();
  const dist = join(ROOT, 'dist', 'index.js');
  if (!existsSync(dist))
    throw new Error(
      'dist/index.js is missing: run `npx tsc -p tsconfig.build.json` (or `npm run bench`) first',
    );
  const api = await import(dist);
  await rm(SCRATCH, { recursive: true, force: true });
  await mkdir(SCRATCH, { recursive: true });
  results.meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    memGiB: r1(totalmem() / 2 ** 30),
    loadavgStart: loadavg().map(r2),
  };
  console.log(
    `MCP Factory benchmarks — node ${process.version}, ${results.meta.cores} × ${results.meta.cpu}, load average ${results.meta.loadavgStart.join(' ')}`,
  );
  console.log(`config: ${JSON.stringify(CFG)}${flags.quick ? ' (--quick)' : ''}`);

  try {
    results.meta.sectionS = {};
    const timed = async (name, fn) => {
      const t0 = performance.now();
      const value = await fn();
      results.meta.sectionS[name] = r1((performance.now() - t0) / 1000);
      console.log(`(${name}: ${results.meta.sectionS[name]} s, load average ${loadavg().map(r2).join(' ')})`);
      return value;
    };
    let bundle;
    if (only.has('gen')) bundle = await timed('gen', () => benchGeneration(api));
    else if (only.has('cold')) {
      const res = await api.createServerProject({
        spec: load(api, tenToolSpec()),
        specDir: SCRATCH,
        outDir: join(SCRATCH, 'gen', 'ten'),
        typecheck: false,
        runTests: false,
      });
      bundle = res.bundle.file;
    }
    if (only.has('cold')) await timed('cold', () => benchColdStart(bundle));
    if (only.has('http')) await timed('http', () => benchHttp(api));
    // Not in the default set: builds three databases of 200k rows (PostgreSQL / MariaDB when their URL is set).
    if (only.has('db'))
      results.db = await timed('db', () => benchDb({ api, scratch: SCRATCH, quick: flags.quick }));
    // Not in the default set: the registry's tool search, quality and latency (its own process and table).
    if (only.has('search')) results.search = await timed('search', () => benchSearch());
    // Not in the default set: the web console's bundle size and time to interactive (bench/console.mjs).
    if (only.has('console'))
      results.console = await timed('console', async () => (await import('./console.mjs')).benchConsole());
  } finally {
    await Promise.all([...sdkClients].map(closeClient));
    killAll();
    if (!flags.keep) await rm(SCRATCH, { recursive: true, force: true });
    else console.log(`\nscratch kept in ${SCRATCH}`);
  }
  results.meta.loadavgEnd = loadavg().map(r2);
  results.meta.durationS = r1((performance.now() - started) / 1000);

  const missed = results.targets.filter((t) => t.status !== 'ok');
  table(
    'Targets',
    ['figure', 'value', 'target', 'status'],
    results.targets.map((t) => [
      t.name,
      `${t.value}${t.unit === 'ms' ? ' ms' : '×'}`,
      `${t.unit === 'ms' ? '< ' : '≤ '}${t.target}${t.unit === 'ms' ? ' ms' : '×'}`,
      t.status,
    ]),
  );
  const busiest = Math.max(results.meta.loadavgStart[0], results.meta.loadavgEnd[0]);
  if (busiest > results.meta.cores) {
    console.log(
      `\nNOTE: the machine was busy (1-min load average up to ${busiest} on ${results.meta.cores} cores) with work other than this benchmark;\n` +
        'wall-clock figures (latency, calls/s) are noisy. Server CPU per call and the per-round ratio ranges are the more robust figures.',
    );
  }
  console.log(
    `\n${missed.length ? `${missed.length} target(s) MISSED` : 'all targets met'}; load average at end ${results.meta.loadavgEnd.join(' ')}; ${results.meta.durationS} s`,
  );
  console.log(`BENCH_JSON ${JSON.stringify(results)}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`bench failed: ${error?.stack ?? error}`);
    killAll();
    process.exit(1);
  },
);
