/**
 * The microvm target's warm pool (pool.ts, agent.ts): VMs booted ahead of time from the generic image, each
 * waiting for one server. Gated like microvm.test.ts (MCP_FACTORY_TEST_MICROVM=1, or CI where a skip fails).
 *
 * Checked by effect: a deploy takes the ready VM (its port and process) and answers MCP as the right server
 * (serverInfo name and version); an agent given a wrong secret takes nothing and its VM is gone; a second
 * hand-over to a VM finds the server, which still answers as itself; the pool is refilled after the claim;
 * a start on a recorded port takes a pool VM too (the port forwarded at claim); stopping the pool leaves a
 * deployment's VM alone; stop ends the VM; and no QEMU process of this home is left at the end.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProcessId, readStat } from '../../src/deploy/targets/local/proc.js';
import { agentReady, handOver, poolInit } from '../../src/deploy/targets/microvm/agent.js';
import { writeCpioFile } from '../../src/deploy/targets/microvm/cpio.js';
import type { MicroVmHost } from '../../src/deploy/targets/microvm/host.js';
import {
  claimVm,
  listPool,
  type PoolVm,
  poolLogFile,
  poolSize,
  refillPool,
  setPoolSize,
  stopPool,
} from '../../src/deploy/targets/microvm/pool.js';
import { vmRunning } from '../../src/deploy/targets/microvm/vmm.js';
import { loadConfig } from '../../src/platform/config.js';
import { homeLayout } from '../../src/platform/home.js';
import { probeMcp } from '../../src/platform/mcp-client/probe.js';
import { freePort } from '../../src/platform/ports.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';
import {
  createText,
  ensureBuilt,
  fastEnv,
  newHome,
  type TestHome,
  waitUntil,
} from '../supervisor/helpers.js';
import { microVmTestHost } from './microvm-host.js';

const enabled = process.env.MCP_FACTORY_TEST_MICROVM === '1' || REQUIRE_SERVICES;

/** QEMU processes whose command line names a file of `home` (every VM of a home boots from one). */
function qemuOf(home: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmd.startsWith('/') && cmd.includes('qemu-system') && cmd.includes(home)) out.push(Number(name));
    } catch {}
  }
  return out;
}

describe('microvm pool: the agent init', () => {
  it('runs the agent before the server, powers off without a hand-over, and interpolates nothing', () => {
    const init = poolInit();
    expect(init.indexOf('mcpf-agent.mjs')).toBeLessThan(init.indexOf('starting the server'));
    expect(init).toMatch(/mcpf-agent\.mjs \|\| \{ .*poweroff -f; \}/);
    expect(init).toMatch(/process\.setuid\(1000\)/);
    expect(init).not.toMatch(/\$\{/);
  });
});

describe('microvm pool: claims', () => {
  it('gives a ready VM to exactly one of two concurrent claims, and skips a VM whose agent does not answer', {
    timeout: 30_000,
  }, async () => {
    const home = mkdtempSync(join(tmpdir(), 'mcpf-pool-claim-'));
    const layout = homeLayout(home);
    // Stand-ins for QEMU: processes named like pool VMs (`-name mcpf-pool.<id>`), one answering as an agent.
    const agent = `require('node:http').createServer((q, s) => s.end(q.url === '/ready' ? 'ready' : '')).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
    const fakes = [
      spawn(process.execPath, ['-e', agent, '--', '-name', 'mcpf-pool.aaaa'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
      spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', '-name', 'mcpf-pool.bbbb'], {
        stdio: 'ignore',
      }),
    ];
    try {
      const port = Number(
        await new Promise<string>((r) => fakes[0]?.stdout?.once('data', (b) => r(String(b)))),
      );
      const dir = join(home, 'microvm', 'pool', 'vms');
      mkdirSync(dir, { recursive: true });
      const setting = { memoryMb: 512, cpus: 1 };
      const record = (id: string, pid: number, p: number, at: string): PoolVm => ({
        id,
        alias: `pool.${id}`,
        processId: formatProcessId(pid, readStat(pid)?.startTicks ?? 0),
        port: p,
        secret: 's',
        monitor: join(dir, `${id}.mon`),
        ...setting,
        image: 'k',
        createdAt: at,
      });
      // The older VM is still booting (nothing answers on its port): it is skipped, not claimed.
      const booting = record('bbbb', fakes[1]?.pid ?? 0, await freePort(), '2026-01-01T00:00:00Z');
      const ready = record('aaaa', fakes[0]?.pid ?? 0, port, '2026-01-02T00:00:00Z');
      for (const vm of [booting, ready]) writeFileSync(join(dir, `${vm.id}.json`), JSON.stringify(vm));
      expect((await listPool(layout)).map((v) => v.id)).toEqual(['bbbb', 'aaaa']);
      const claims = await Promise.all([claimVm(layout, setting, 'k'), claimVm(layout, setting, 'k')]);
      expect(claims.filter(Boolean).map((v) => v?.id)).toEqual(['aaaa']);
      // Another setting or image is not taken either.
      expect(await claimVm(layout, { memoryMb: 256, cpus: 1 }, 'k')).toBeUndefined();
      // A VM that is gone is forgotten at the next look.
      fakes[1]?.kill('SIGKILL');
      await waitUntil('the stand-in to end', async () => (await listPool(layout)).length === 0, 5000);
    } finally {
      for (const f of fakes) f.kill('SIGKILL');
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!enabled)('microvm pool: deploy from pre-booted VMs', () => {
  let t: TestHome;
  let host: MicroVmHost | undefined;
  let scratch: string;
  let qemuBefore = 0;
  const setting = () => ({ memoryMb: loadConfig().microvm.memoryMb, cpus: loadConfig().microvm.cpus });

  /** The one ready VM of the pool (booted by a refill), once its agent answers. */
  async function readyVm(): Promise<PoolVm> {
    let ready: PoolVm | undefined;
    await waitUntil(
      'a pool VM to boot',
      async () => {
        for (const vm of await listPool(homeLayout(t.home))) if (await agentReady(vm.port)) ready = vm;
        return ready !== undefined;
      },
      240_000,
    );
    return ready as PoolVm;
  }

  beforeAll(async () => {
    ensureBuilt();
    host = microVmTestHost();
    t = newHome('microvm-pool', fastEnv('22300-22399'));
    qemuBefore = qemuOf(homeLayout(t.home).home).length;
    scratch = mkdtempSync(join(tmpdir(), 'mcpf-pool-'));
  }, 60_000);

  afterAll(async () => {
    await t?.cp.stop('pool-a', { actor: 'test' }).catch(() => undefined);
    if (t) await stopPool(homeLayout(t.home));
    await t?.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('hands a server to a ready VM, refuses wrong and second hand-overs, refills, and stops', {
    timeout: 600_000,
  }, async (ctx) => {
    if (!host) return ctx.skip();
    const layout = homeLayout(t.home);
    await createText(t.cp, 'pool-a', { version: '2.3.4' });
    await createText(t.cp, 'pool-b', { version: '5.6.7' });
    setPoolSize(layout, 1);
    expect(poolSize(layout, 0)).toBe(1);
    // An impostor's archive: a server.mjs that is not pool-a's.
    const impostor = join(scratch, 'impostor.cpio');
    writeCpioFile(impostor, [
      { kind: 'dir', name: 'app', mode: 0o755 },
      { kind: 'dir', name: 'app/dist', mode: 0o755 },
      { kind: 'data', name: 'app/dist/server.mjs', mode: 0o644, data: Buffer.from('process.exit(3)') },
    ]);

    // A wrong secret: refused, and that VM is gone for good (never handed to anyone).
    expect(await refillPool(layout, host, setting(), 1)).toBe(1);
    const first = await readyVm();
    expect(readFileSync(`/proc/${first.processId.split(':')[0]}/cmdline`, 'utf8')).not.toContain(
      first.secret,
    );
    const wrong = randomBytes(32).toString('hex');
    await expect(handOver(first.port, wrong, impostor)).rejects.toThrow(/403.*wrong secret/);
    await waitUntil(
      'the refused VM to power off',
      () => !vmRunning(first.processId, first.alias),
      60_000,
    ).catch((error) => {
      throw new Error(
        `${error.message}; console:\n${readFileSync(poolLogFile(layout, first.alias), 'utf8')}`,
      );
    });
    expect(await listPool(layout)).toEqual([]);

    // A deploy takes the ready VM: its port, its process; the server answers as pool-a 2.3.4.
    await refillPool(layout, host, setting(), 1);
    const vm = await readyVm();
    const started = Date.now();
    const d = await t.cp.deploy({ name: 'pool-a', target: 'microvm', actor: 'test' });
    process.stderr.write(
      `\n[microvm-pool] accel ${host.accel}: deploy from the warm pool ${Date.now() - started} ms\n`,
    );
    expect(d.status).toBe('running');
    expect(d.port).toBe(vm.port);
    expect(d.processId).toBe(vm.processId);
    expect(vmRunning(d.processId, 'pool-a', vm.alias)).toBe(true);
    const endpoint = `http://127.0.0.1:${vm.port}/mcp`;
    expect(
      (await probeMcp(endpoint, { timeoutMs: 5000, expect: { name: 'pool-a', version: '2.3.4' } })).ok,
    ).toBe(true);
    expect((await probeMcp(endpoint, { timeoutMs: 5000, expect: { name: 'pool-b' } })).ok).toBe(false);
    expect((await t.cp.callTool('pool-a', 'slugify', { title: 'Warm Pool' })).text).toContain('warm-pool');
    const status = (await t.cp.status('pool-a')).deployments[0];
    expect(status?.health).toMatchObject({ runtime: { vm: 'running' } });

    // The pool is refilled: a new VM (not the claimed one) boots in its place.
    const refill = await readyVm();
    expect(refill.id).not.toBe(vm.id);

    // A second hand-over, even with the right secret, finds the server, not the agent.
    await expect(handOver(vm.port, vm.secret, impostor)).rejects.toThrow(/refused/);
    expect(
      (await probeMcp(endpoint, { timeoutMs: 5000, expect: { name: 'pool-a', version: '2.3.4' } })).ok,
    ).toBe(true);
    expect(vmRunning(d.processId, 'pool-a', vm.alias)).toBe(true);

    // The console of the pooled VM is the server's log.
    const logs: string[] = [];
    for await (const line of t.cp.logs('pool-a', { tail: 200 })) logs.push(line);
    expect(logs.join('\n')).toMatch(/mcpf-agent: hand-over done/);
    expect(logs.join('\n')).toMatch(/mcpf-guest: starting the server as uid 1000/);

    // Stopping the pool (supervisor stop) ends the spare VM, not the one that runs pool-a.
    expect(await stopPool(layout)).toBe(1);
    expect(vmRunning(refill.processId, refill.alias)).toBe(false);
    expect(vmRunning(d.processId, 'pool-a', vm.alias)).toBe(true);

    // Stop ends pool-a's VM (and refills the pool); a start on its recorded port takes the new spare VM, the
    // port forwarded to it at claim (the VM's own port is dropped).
    await t.cp.stop('pool-a', { actor: 'test' });
    expect(vmRunning(d.processId, 'pool-a', vm.alias)).toBe(false);
    const spare = await readyVm();
    await t.cp.start('pool-a', { actor: 'test' });
    const again = (await t.cp.status('pool-a')).deployments[0];
    expect(again?.port).toBe(d.port);
    expect(again?.processId).toBe(spare.processId);
    expect(
      (await probeMcp(endpoint, { timeoutMs: 5000, expect: { name: 'pool-a', version: '2.3.4' } })).ok,
    ).toBe(true);
    expect(await agentReady(spare.port)).toBe(false);

    setPoolSize(layout, 0); // else the stop below refills the pool
    await t.cp.stop('pool-a', { actor: 'test' });
    expect(vmRunning(spare.processId, 'pool-a', spare.alias)).toBe(false);
    await waitUntil('every VM of this home to end', () => qemuOf(layout.home).length === qemuBefore, 30_000);
    expect(qemuOf(layout.home)).toEqual([]);
  });
});
