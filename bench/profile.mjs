#!/usr/bin/env node
/**
 * Where does the generated server spend its time? (Companion of bench/run.mjs; see bench/README.md.)
 *
 *   node bench/profile.mjs [--calls 3000] [--rounds 6] [--keep]
 *
 * A. Server CPU per HTTP tools/call for configurations of the generated echo server against the hand-written
 *    baseline, interleaved rounds, raw HTTP client (2025-11-25 headers): default settings (LOG_LEVEL unset → info,
 *    metrics on), LOG_LEVEL=warn, LOG_LEVEL=warn + `production.metrics: false`, and the 10-tool server (which has
 *    the same echo tool) to show what the per-request server construction costs as tools are added.
 * B. `node --cpu-prof` of the generated and hand-written servers under the same load: self time per call by
 *    module (bundle lines are mapped to modules through esbuild's `// path` comments) and the hottest functions.
 * C. `node --cpu-prof` of one cold start of the 10-tool bundle (stdio, one tools/list): self time by module.
 * D. In-process micro-benchmarks of two per-call costs: building the per-request `McpServer` with 1/10/50 tools
 *    (stateless HTTP does this on every request) and the timeout wrapper of the generated `toolHandler`
 *    (AbortController + setTimeout + Promise.race) around a trivial handler.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fromJsonSchema, McpServer } from '@modelcontextprotocol/server';
import {
  drive,
  killAll,
  MODERN,
  median,
  processCpuSeconds,
  ROOT,
  r1,
  rawHttpCaller,
  startHttpServer,
  stopChild,
  table,
  track,
  waitExit,
} from './lib.mjs';
import { echoSpec, tenToolSpec } from './specs.mjs';

const { values: flags } = parseArgs({
  options: {
    calls: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '6' },
    keep: { type: 'boolean', default: false },
  },
});
const CALLS = Number(flags.calls);
const ROUNDS = Number(flags.rounds);
const C = 8;
const SCRATCH = join(ROOT, '.tmp', `bench-prof-${process.pid}`);
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}
setTimeout(() => {
  console.error('profile: watchdog (10 min)');
  killAll();
  process.exit(3);
}, 600_000).unref();

const api = await import(join(ROOT, 'dist', 'index.js'));
const spec = (obj) => {
  const r = api.validateSpec(obj);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.spec;
};
const generate = async (obj, dir) =>
  (
    await api.createServerProject({
      spec: spec(obj),
      specDir: SCRATCH,
      outDir: join(SCRATCH, dir),
      typecheck: false,
      runTests: false,
    })
  ).bundle.file;

async function main() {
  await rm(SCRATCH, { recursive: true, force: true });
  await mkdir(SCRATCH, { recursive: true });
  const echo = await generate(echoSpec(), 'echo');
  const echoNoMetrics = await generate({ ...echoSpec(), production: { metrics: false } }, 'echo-nometrics');
  const ten = await generate(tenToolSpec(), 'ten');

  // ---------- A. CPU per call, interleaved ----------
  const configs = [
    { key: 'hand-written', start: () => startHttpServer('handwritten') },
    {
      key: 'generated, defaults (LOG_LEVEL unset → info)',
      start: () => startHttpServer('generated', { bundle: echo, env: { LOG_LEVEL: '' }, logLevel: '' }),
    },
    { key: 'generated, LOG_LEVEL=warn', start: () => startHttpServer('generated', { bundle: echo }) },
    {
      key: 'generated, LOG_LEVEL=warn, metrics: false',
      start: () => startHttpServer('generated', { bundle: echoNoMetrics }),
    },
    {
      key: 'generated 10-tool server (same echo tool), LOG_LEVEL=warn',
      start: () => startHttpServer('generated', { bundle: ten }),
    },
  ];
  const servers = [];
  for (const c of configs) servers.push({ ...c, srv: await c.start() });
  const perRound = Math.ceil(CALLS / ROUNDS);
  const acc = new Map(servers.map((s) => [s.key, { cpu: 0, wall: 0, p50: [] }]));
  try {
    for (const s of servers) {
      s.caller = rawHttpCaller(s.srv.url, 'legacy', C);
      await drive(200, C, s.caller.call);
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [...servers].reverse() : servers;
      for (const s of order) {
        const cpu0 = processCpuSeconds(s.srv.child.pid);
        const { lat, wallMs } = await drive(perRound, C, s.caller.call);
        const a = acc.get(s.key);
        a.cpu += processCpuSeconds(s.srv.child.pid) - cpu0;
        a.wall += wallMs;
        a.p50.push(median(lat));
      }
    }
  } finally {
    for (const s of servers) s.caller?.close();
    await Promise.all(servers.map((s) => stopChild(s.srv.child)));
  }
  const base = acc.get('hand-written');
  const baseUs = (base.cpu * 1e6) / (perRound * ROUNDS);
  table(
    `A. Server CPU per tools/call (raw HTTP client, 2025-11-25, concurrency ${C}, ${ROUNDS} interleaved rounds × ${perRound} calls per server)`,
    ['server', 'CPU µs/call', 'vs hand-written', 'calls/s', 'p50 ms (median of rounds)'],
    servers.map((s) => {
      const a = acc.get(s.key);
      const us = (a.cpu * 1e6) / (perRound * ROUNDS);
      return [
        s.key,
        us,
        `${(us / baseUs).toFixed(2)}×`,
        ((perRound * ROUNDS) / a.wall) * 1000,
        median(a.p50),
      ];
    }),
  );

  // ---------- B. hot-path profiles ----------
  const prof = {};
  for (const [key, kind, bundle] of [
    ['generated', 'generated', echo],
    ['hand-written', 'handwritten', undefined],
  ]) {
    const dir = join(SCRATCH, `prof-${key}`);
    await mkdir(dir, { recursive: true });
    const srv = await startHttpServer(kind, {
      bundle,
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=200'],
    });
    const caller = rawHttpCaller(srv.url, 'legacy', C);
    await drive(200, C, caller.call);
    const t0 = performance.now();
    await drive(CALLS, C, caller.call);
    const loadMs = performance.now() - t0;
    caller.close();
    await stopChild(srv.child);
    prof[key] = { ...(await analyse(dir, bundle)), loadMs };
  }
  for (const key of Object.keys(prof)) {
    const p = prof[key];
    const perCall = (us) => us / (CALLS + 200);
    table(
      `B. ${key} server under load: self time by module, µs per call (profile covers start-up + ${CALLS + 200} calls; ${r1(p.totalMs)} ms sampled)`,
      ['module', 'µs/call', 'share'],
      p.byModule.slice(0, 14).map(([m, us]) => [m, perCall(us), `${((100 * us) / p.totalUs).toFixed(1)}%`]),
    );
    table(
      `B. ${key}: hottest functions (self time)`,
      ['function', 'where', 'µs/call', 'share'],
      p.byFunction
        .slice(0, 15)
        .map(([f, us]) => [
          f.split('|')[0],
          f.split('|')[1],
          perCall(us),
          `${((100 * us) / p.totalUs).toFixed(1)}%`,
        ]),
    );
    if (p.runtimeInclusive.length) {
      table(
        `B. ${key}: generated runtime functions, inclusive time (µs per call)`,
        ['function', 'where', 'µs/call'],
        p.runtimeInclusive.slice(0, 12).map(([f, us]) => [f.split('|')[0], f.split('|')[1], perCall(us)]),
      );
    }
  }

  // ---------- C. start-up profile ----------
  const dir = join(SCRATCH, 'prof-startup');
  await mkdir(dir, { recursive: true });
  const t0 = performance.now();
  const child = track(
    spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100', ten], {
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: ['pipe', 'pipe', 'ignore'],
    }),
  );
  const meta = {
    'io.modelcontextprotocol/protocolVersion': MODERN,
    'io.modelcontextprotocol/clientInfo': { name: 'p', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  child.stdin.write(
    `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: meta } })}\n`,
  );
  await new Promise((res) => child.stdout.once('data', res));
  const firstAnswerMs = performance.now() - t0;
  child.stdin.end();
  await waitExit(child);
  const s = await analyse(dir, ten);
  table(
    `C. Cold start of the 10-tool bundle under --cpu-prof (first answer after ${r1(firstAnswerMs)} ms incl. profiler overhead; ${r1(s.totalMs)} ms sampled after V8 start)`,
    ['module', 'self ms', 'share'],
    s.byModule.slice(0, 14).map(([m, us]) => [m, us / 1000, `${((100 * us) / s.totalUs).toFixed(1)}%`]),
  );
  table(
    'C. Cold start: hottest functions (self time)',
    ['function', 'where', 'self ms'],
    s.byFunction.slice(0, 12).map(([f, us]) => [f.split('|')[0], f.split('|')[1], us / 1000]),
  );
}

async function micro() {
  const schema = () =>
    fromJsonSchema({
      type: 'object',
      properties: { text: { type: 'string' }, n: { type: 'integer', minimum: 0 } },
      required: ['text'],
      additionalProperties: false,
    });
  const schemas = Array.from({ length: 50 }, schema);
  const handler = async () => ({ content: [] });
  const build = (n) => {
    const s = new McpServer({ name: 'x', version: '1.0.0' }, { capabilities: { tools: {}, logging: {} } });
    for (let i = 0; i < n; i++) {
      s.registerTool(
        `t${i}`,
        { description: 'd', inputSchema: schemas[i], annotations: { readOnlyHint: true } },
        handler,
      );
    }
    return s;
  };
  const time = async (fn, n) => {
    for (let i = 0; i < n / 4; i++) await fn();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await fn();
    return ((performance.now() - t0) / n) * 1000;
  };
  const rows = [];
  for (const tools of [1, 10, 50])
    rows.push([
      `new McpServer + registerTool × ${tools}`,
      await time(() => build(tools), tools === 50 ? 1000 : 4000),
    ]);
  const plain = async (a) => ({ content: [{ type: 'text', text: `You said: ${a.text}` }] });
  const wrapped = async (a) => {
    const c = new AbortController();
    const timer = setTimeout(() => c.abort(new Error('timeout')), 30_000);
    try {
      return await Promise.race([
        Promise.resolve().then(() => plain(a)),
        new Promise((_, reject) =>
          c.signal.addEventListener('abort', () => reject(c.signal.reason), { once: true }),
        ),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
  const a = { text: 'x' };
  rows.push(['plain async handler', await time(() => plain(a), 50_000)]);
  rows.push([
    'same, inside AbortController + setTimeout + Promise.race',
    await time(() => wrapped(a), 50_000),
  ]);
  table('D. Micro-benchmarks (in process, µs per operation)', ['operation', 'µs'], rows);
}

/** Read the one .cpuprofile in `dir`; attribute self time to modules and functions. */
async function analyse(dir, bundle) {
  const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written in ${dir}`);
  const profile = JSON.parse(await readFile(join(dir, file), 'utf8'));
  const regions = bundle ? await bundleRegions(bundle) : [];
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const moduleOf = (cf) => {
    const url = cf.url ?? '';
    if (!url) return cf.functionName.startsWith('(') ? cf.functionName : '(native / builtins)';
    if (url.startsWith('node:')) return 'node internals';
    if (bundle && url.endsWith('server.mjs')) return regionAt(regions, cf.lineNumber + 1);
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (m) return m[1];
    return url.replace(/^file:\/\//, '').replace(`${ROOT}/`, '');
  };
  const fnKey = (cf) =>
    `${cf.functionName || '(anonymous)'}|${moduleOf(cf)}${cf.url && !cf.url.startsWith('node:') ? `:${cf.lineNumber + 1}` : cf.url.startsWith('node:') ? ` ${cf.url.slice(5)}` : ''}`;
  const byModule = new Map();
  const byFunction = new Map();
  const inclusive = new Map();
  let totalUs = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const dt = timeDeltas[i + 1] ?? 0;
    const node = nodes.get(samples[i]);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    totalUs += dt;
    const mod = moduleOf(node.callFrame);
    byModule.set(mod, (byModule.get(mod) ?? 0) + dt);
    const k = fnKey(node.callFrame);
    byFunction.set(k, (byFunction.get(k) ?? 0) + dt);
    const seen = new Set();
    for (let id = samples[i]; id !== undefined; id = parent.get(id)) {
      const cf = nodes.get(id).callFrame;
      if (!moduleOf(cf).startsWith('src/')) continue;
      const key = fnKey(cf);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
    }
  }
  const sorted = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return {
    totalUs,
    totalMs: totalUs / 1000,
    byModule: sorted(byModule),
    byFunction: sorted(byFunction),
    runtimeInclusive: sorted(inclusive),
  };
}

/** esbuild marks each bundled module with a `// path` comment line; map line numbers to those paths. */
async function bundleRegions(bundle) {
  const lines = (await readFile(bundle, 'utf8')).split('\n');
  const regions = [];
  lines.forEach((line, i) => {
    const m = /^\/\/ (\S+\.(?:[cm]?js|ts|json))$/.exec(line);
    if (!m) return;
    const path = m[1].replace(/^(\.\.\/)+/, '');
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    regions.push({ line: i + 1, name: pkg ? pkg[1] : path });
  });
  return regions;
}

function regionAt(regions, line) {
  let lo = 0;
  let hi = regions.length - 1;
  let found = '(bundle prologue)';
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (regions[mid].line <= line) {
      found = regions[mid].name;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

main()
  .then(micro)
  .then(async () => {
    if (!flags.keep) await rm(SCRATCH, { recursive: true, force: true });
    else console.log(`\nprofiles kept in ${SCRATCH}`);
    process.exit(0);
  })
  .catch(async (e) => {
    console.error(`profile failed: ${e?.stack ?? e}`);
    killAll();
    process.exit(1);
  });
