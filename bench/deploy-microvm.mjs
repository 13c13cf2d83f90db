#!/usr/bin/env node
/**
 * MicroVM-target benchmark (needs qemu-system-x86, busybox-static and a guest kernel): registry → healthy for
 * one server, split into the first deploy of a revision (guest image build + boot), a start with the image
 * cached and a deploy from the warm pool (a VM booted ahead of time, the server handed to its agent), then
 * per-call latency and resident memory, each against the local target (sandboxed process) measured in the same
 * run. Prints figures and ratios; asserts nothing about time.
 *   npm run build && node bench/deploy-microvm.mjs [--calls N]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { createControlPlane } = await import(join(ROOT, 'dist/deploy/index.js'));
const { parseSpecOrThrow } = await import(join(ROOT, 'dist/core/spec/index.js'));
const { findMicroVmHost } = await import(join(ROOT, 'dist/deploy/targets/microvm/host.js'));
const pool = await import(join(ROOT, 'dist/deploy/targets/microvm/pool.js'));
const { agentReady } = await import(join(ROOT, 'dist/deploy/targets/microvm/agent.js'));
const { homeLayout } = await import(join(ROOT, 'dist/platform/home.js'));
const { loadConfig } = await import(join(ROOT, 'dist/platform/config.js'));

const { values } = parseArgs({ options: { calls: { type: 'string', default: '100' } } });
const CALLS = Number(values.calls);
const host = findMicroVmHost({
  kernel: process.env.MCP_FACTORY_MICROVM_KERNEL,
  accel: process.env.MCP_FACTORY_MICROVM_ACCEL ?? 'auto',
});

const home = mkdtempSync(join(tmpdir(), 'mcpf-bench-vm-'));
const cp = createControlPlane({ home, supervisorEnv: { ...process.env, MCP_FACTORY_HOME: home } });
const file = join(ROOT, 'examples/text-tools.yaml');
const rows = [];
const ms = (t0) => performance.now() - t0;
const pidOf = (d) => Number(String(d.processId).split(':')[0]);
/** Resident memory of a process and everything under it (the local target's pid is its sandbox's bwrap). */
const rssMb = (root) => {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {}
  }
  let kb = 0;
  const visit = (pid) => {
    try {
      kb += Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {}
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return kb / 1024;
};
async function latencies(name) {
  const out = [];
  for (let i = 0; i < 10; i++) await cp.callTool(name, 'slugify', { title: `warm ${i}` });
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now();
    await cp.callTool(name, 'slugify', { title: `Bench ${i}` });
    out.push(ms(t0));
  }
  out.sort((a, b) => a - b);
  return { p50: out[Math.floor(out.length / 2)], p95: out[Math.floor(out.length * 0.95)] };
}

try {
  const spec = parseSpecOrThrow(readFileSync(file, 'utf8'), { file });
  for (const name of ['bench-local', 'bench-vm', 'bench-pool']) {
    await cp.create({ spec: { ...spec, name }, specDir: dirname(file), runTests: false, actor: 'bench' });
  }
  let t0 = performance.now();
  const local = await cp.deploy({ name: 'bench-local', target: 'local', actor: 'bench' });
  const localDeploy = ms(t0);
  t0 = performance.now();
  const vm = await cp.deploy({ name: 'bench-vm', target: 'microvm', actor: 'bench' });
  const vmCold = ms(t0);
  const image = statSync(join(home, 'servers', 'bench-vm', 'microvm', 'r1.cpio')).size;
  await cp.stop('bench-vm', { actor: 'bench' });
  t0 = performance.now();
  await cp.start('bench-vm', { actor: 'bench' });
  const vmWarm = ms(t0);
  // The warm pool: one VM booted ahead of time (not timed), then a deploy that takes it.
  const layout = homeLayout(home);
  const { memoryMb, cpus } = loadConfig().microvm;
  pool.setPoolSize(layout, 1);
  await pool.refillPool(layout, host, { memoryMb, cpus }, 1);
  const bootDeadline = Date.now() + 240_000;
  let spare;
  while (!spare) {
    for (const v of await pool.listPool(layout)) if (await agentReady(v.port)) spare = v;
    if (!spare && Date.now() > bootDeadline) throw new Error('the pool VM did not boot within 240 s');
    if (!spare) await new Promise((r) => setTimeout(r, 200));
  }
  t0 = performance.now();
  const pooled = await cp.deploy({ name: 'bench-pool', target: 'microvm', actor: 'bench' });
  const vmPool = ms(t0);
  if (pooled.port !== spare.port) throw new Error('the deploy did not take the pool VM');
  pool.setPoolSize(layout, 0); // no refills from here on
  await cp.stop('bench-pool', { actor: 'bench' });
  await pool.stopPool(layout);
  const vmNow = (await cp.status('bench-vm')).deployments[0];
  const [l, v] = [await latencies('bench-local'), await latencies('bench-vm')];
  const [lr, vr] = [rssMb(pidOf(local)), rssMb(pidOf(vmNow ?? vm))];
  rows.push(
    ['deploy local (registry → healthy), baseline', localDeploy, ''],
    ['deploy microvm, first (image build + boot → healthy)', vmCold, `${(vmCold / localDeploy).toFixed(1)}×`],
    ['start microvm again (image cached)', vmWarm, `${(vmWarm / localDeploy).toFixed(1)}×`],
    ['deploy microvm from warm pool (hand-over → healthy)', vmPool, `${(vmPool / localDeploy).toFixed(1)}×`],
    [
      `tools/call p50 local / microvm (${CALLS} calls)`,
      l.p50,
      `${(v.p50 / l.p50).toFixed(2)}× (${v.p50.toFixed(1)} ms)`,
    ],
    [`tools/call p95 local / microvm`, l.p95, `${(v.p95 / l.p95).toFixed(2)}× (${v.p95.toFixed(1)} ms)`],
    ['resident memory local / microvm (MiB)', lr, `${(vr / lr).toFixed(1)}× (${vr.toFixed(0)} MiB)`],
  );
  console.log(
    `\n## MicroVM target (accelerator ${host.accel}, kernel ${host.kernel.release}, image ${(image / 2 ** 20).toFixed(0)} MiB)\n`,
  );
  for (const [label, value, ratio] of rows) {
    const shown = label.startsWith('resident')
      ? value.toFixed(0)
      : label.startsWith('tools')
        ? `${value.toFixed(1)} ms`
        : `${(value / 1000).toFixed(2)} s`;
    console.log(`${label.padEnd(58)} ${shown.padStart(9)}  ${ratio}`);
  }
  console.log(
    `BENCH_JSON ${JSON.stringify({ accel: host.accel, imageBytes: image, localDeploy, vmCold, vmWarm, vmPool, local: l, vm: v, rss: { local: lr, vm: vr } })}`,
  );
} finally {
  for (const name of ['bench-local', 'bench-vm', 'bench-pool'])
    await cp.remove(name, { actor: 'bench' }).catch(() => undefined);
  await pool.stopPool(homeLayout(home)).catch(() => undefined);
  await cp.supervisor?.shutdown?.(true).catch(() => undefined);
  await cp.close();
  rmSync(home, { recursive: true, force: true });
}
