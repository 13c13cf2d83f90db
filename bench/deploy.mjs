#!/usr/bin/env node
/**
 * Local-target deployment benchmark: N generated servers (default 50) registered, deployed through the control
 * plane and supervised on this machine. Prints figures; asserts nothing about time.
 *
 *   npm run build && node bench/deploy.mjs            # N=50
 *   BENCH_DEPLOY_N=10 node bench/deploy.mjs --keep    # keep the scratch home (servers are stopped anyway)
 *
 * Measures
 *   - create: registering N revisions (text-tools spec, no type-check, no generated tests)
 *   - deploy → healthy: from the first deploy call (registry write of the desired state) until every deployment
 *     is `running`, i.e. answered an MCP health check (all N deployed concurrently); per-deployment latency
 *   - memory: RSS of each server process and of the supervisor (from /proc), supervisor memory per server
 *   - steady state: supervisor CPU over 20 s with N healthy servers (health checks every 10 s)
 *   - recovery: kill -9 one server → healthy again; kill -9 the supervisor → a new one adopts all N
 * Every process it starts is stopped at the end (supervisor shutdown --stop-servers, then SIGKILL of anything left
 * carrying the scratch home's marker); the scratch home is deleted unless --keep.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { createControlPlane } = await import(join(ROOT, 'dist/deploy/index.js'));
const { parseSpecOrThrow } = await import(join(ROOT, 'dist/core/spec/index.js'));
const { findMarkedProcesses, isRunning } = await import(join(ROOT, 'dist/deploy/targets/local/proc.js'));

const { values } = parseArgs({ options: { keep: { type: 'boolean' } } });
const N = Number(process.env.BENCH_DEPLOY_N ?? 50);
const SPEC_FILE = join(ROOT, 'examples/text-tools.yaml');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mb = (kb) => Math.round((kb / 1024) * 10) / 10;
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
function cpuTicks(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime
  } catch {
    return 0;
  }
}
function supervisorPid(home) {
  try {
    const info = JSON.parse(readFileSync(join(home, 'supervisor.pid'), 'utf8'));
    return isRunning(info.pid, info.startTicks) ? info.pid : undefined;
  } catch {
    return undefined;
  }
}

const home = mkdtempSync(join(tmpdir(), 'mcpf-bench-deploy-'));
const env = { ...process.env, MCP_FACTORY_PORT_RANGE: '22000-22999' };
const cp = createControlPlane({ home, supervisorEnv: env, waitTimeoutMs: 300_000 });
const realHome = cp.layout.home;
const names = Array.from({ length: N }, (_, i) => `bench-${String(i + 1).padStart(2, '0')}`);
const figures = { n: N, cpus: cpus().length, loadavgBefore: loadavg()[0] };

async function cleanup() {
  try {
    await cp.supervisor.shutdown(true, 120_000);
  } catch {
    // fall through to SIGKILL
  }
  const sup = supervisorPid(realHome);
  if (sup) process.kill(sup, 'SIGKILL');
  for (const p of findMarkedProcesses(realHome)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await cp.close().catch(() => undefined);
  if (!values.keep) rmSync(realHome, { recursive: true, force: true });
}
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

try {
  const base = parseSpecOrThrow(readFileSync(SPEC_FILE, 'utf8'), { file: SPEC_FILE });
  let t = performance.now();
  for (const name of names) {
    await cp.create({
      spec: { ...base, name },
      specDir: dirname(SPEC_FILE),
      runTests: false,
      typecheck: false,
      actor: 'bench',
    });
  }
  figures.createTotalS = (performance.now() - t) / 1000;

  const info = await cp.supervisor.ensure();
  await sleep(1000);
  figures.supervisorIdleRssMb = mb(rssKb(info.pid));

  t = performance.now();
  const latencies = await Promise.all(
    names.map(async (name) => {
      const t0 = performance.now();
      const d = await cp.deploy({ name, target: 'local', actor: 'bench' });
      if (d.status !== 'running') throw new Error(`${name} is ${d.status}`);
      return performance.now() - t0;
    }),
  );
  figures.deployAllHealthyS = (performance.now() - t) / 1000;
  figures.deployLatencyP50S = pct(latencies, 50) / 1000;
  figures.deployLatencyP95S = pct(latencies, 95) / 1000;
  figures.deployLatencyMaxS = Math.max(...latencies) / 1000;

  // One tool call on every server, through the control plane (connect + tools/list + call + metrics).
  t = performance.now();
  for (const name of names) {
    const r = await cp.callTool(name, 'greet', { name: 'bench' });
    if (!r.text.includes('Hello, bench!')) throw new Error(`${name}: ${r.text}`);
  }
  figures.callEachServerMsAvg = (performance.now() - t) / N;

  await sleep(3000);
  const servers = findMarkedProcesses(realHome);
  if (servers.length !== N) throw new Error(`expected ${N} server processes, found ${servers.length}`);
  const serverRss = servers.map((p) => rssKb(p.pid));
  const sup = supervisorPid(realHome);
  figures.serverRssSumMb = mb(serverRss.reduce((a, b) => a + b, 0));
  figures.serverRssAvgMb = mb(serverRss.reduce((a, b) => a + b, 0) / N);
  figures.serverRssMaxMb = mb(Math.max(...serverRss));
  figures.supervisorRssMb = mb(rssKb(sup));
  figures.supervisorRssPerServerKb = Math.round((rssKb(sup) - figures.supervisorIdleRssMb * 1024) / N);
  figures.totalRssMb = mb(serverRss.reduce((a, b) => a + b, 0) + rssKb(sup));

  // Steady state: supervisor CPU with N healthy servers (health check every 10 s each, reconcile every 2 s).
  const c0 = cpuTicks(sup);
  const w0 = performance.now();
  await sleep(20_000);
  figures.supervisorSteadyCpuPercent =
    Math.round(((cpuTicks(sup) - c0) / 100 / ((performance.now() - w0) / 1000)) * 1000) / 10;

  // Recovery: kill -9 one server.
  const registry = await cp.registry();
  const [victim] = await registry.listDeployments({ server: names[0] });
  const victimPid = Number(victim.processId.split(':')[0]);
  t = performance.now();
  process.kill(victimPid, 'SIGKILL');
  for (;;) {
    const d = await registry.getDeployment(victim.id);
    if (d.status === 'running' && d.processId && Number(d.processId.split(':')[0]) !== victimPid) break;
    await sleep(25);
  }
  figures.serverRestartToHealthyS = (performance.now() - t) / 1000;

  // Recovery: kill -9 the supervisor; a new one adopts all N (same pids, none restarted).
  const pidsBefore = findMarkedProcesses(realHome)
    .map((p) => p.pid)
    .sort((a, b) => a - b);
  process.kill(sup, 'SIGKILL');
  while (isRunning(sup)) await sleep(10);
  t = performance.now();
  await cp.supervisor.ensure();
  for (;;) {
    const live = (await cp.supervisor.health()) ?? [];
    if (live.length === N && live.every((h) => h.adopted && h.health.health === 'healthy')) break;
    await sleep(50);
  }
  figures.adoptAllHealthyS = (performance.now() - t) / 1000;
  const pidsAfter = findMarkedProcesses(realHome)
    .map((p) => p.pid)
    .sort((a, b) => a - b);
  figures.adoptionKeptSamePids = JSON.stringify(pidsBefore) === JSON.stringify(pidsAfter);
  figures.supervisorRssAfterAdoptionMb = mb(rssKb(supervisorPid(realHome)));

  t = performance.now();
  await cp.supervisor.shutdown(true, 120_000);
  figures.stopAllS = (performance.now() - t) / 1000;
  figures.loadavgAfter = loadavg()[0];

  const round = (v) => (typeof v === 'number' ? Math.round(v * 100) / 100 : v);
  const rows = [
    ['servers', N],
    ['create + register (each, no typecheck/tests)', `${round((figures.createTotalS / N) * 1000)} ms`],
    ['deploy → all healthy (concurrent)', `${round(figures.deployAllHealthyS)} s`],
    [
      'per-deployment deploy → healthy p50 / p95 / max',
      `${round(figures.deployLatencyP50S)} / ${round(figures.deployLatencyP95S)} / ${round(figures.deployLatencyMaxS)} s`,
    ],
    ['tool call via control plane (avg, incl. connect)', `${round(figures.callEachServerMsAvg)} ms`],
    [
      'server RSS sum / avg / max',
      `${figures.serverRssSumMb} / ${figures.serverRssAvgMb} / ${figures.serverRssMaxMb} MB`,
    ],
    [
      'supervisor RSS idle → with N servers',
      `${figures.supervisorIdleRssMb} → ${figures.supervisorRssMb} MB`,
    ],
    ['supervisor memory per server', `${figures.supervisorRssPerServerKb} KB`],
    ['total RSS (servers + supervisor)', `${figures.totalRssMb} MB`],
    ['supervisor CPU, steady state', `${figures.supervisorSteadyCpuPercent} % of one core`],
    ['kill -9 one server → healthy again', `${round(figures.serverRestartToHealthyS)} s`],
    [
      'kill -9 supervisor → new one adopted all, healthy',
      `${round(figures.adoptAllHealthyS)} s (same pids: ${figures.adoptionKeptSamePids})`,
    ],
    ['stop all (supervisor stop --stop-servers)', `${round(figures.stopAllS)} s`],
    [
      'cores / load avg before → after',
      `${figures.cpus} / ${round(figures.loadavgBefore)} → ${round(figures.loadavgAfter)}`,
    ],
  ];
  const w = Math.max(...rows.map((r) => String(r[0]).length));
  process.stdout.write(`\nLocal target: ${N} deployed servers\n\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${String(k).padEnd(w)}  ${v}\n`);
  process.stdout.write(`\nBENCH_JSON ${JSON.stringify(figures)}\n`);
} catch (error) {
  process.stderr.write(`bench failed: ${error?.stack ?? error}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
