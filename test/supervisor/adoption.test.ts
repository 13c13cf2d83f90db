/**
 * Reconciliation with real processes and real signals: the supervisor is killed with SIGKILL while three servers
 * run; a new supervisor adopts them (same pids, verified through /proc) and never starts a second process for a
 * deployment. Orphans carrying the home's marker are terminated, a duplicate process of a deployment is
 * terminated, and a second supervisor for the same home refuses to start.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supervisorEntry } from '../../src/deploy/index.js';
import { isRunning, MARKER_DEPLOYMENT, MARKER_HOME } from '../../src/deploy/targets/local/proc.js';
import {
  createText,
  ensureBuilt,
  fastEnv,
  markedPids,
  newHome,
  pidOf,
  supervisorPid,
  type TestHome,
  waitUntil,
} from './helpers.js';

const NAMES = ['adopt-a', 'adopt-b', 'adopt-c'];
let t: TestHome;
const strays: ChildProcess[] = [];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

beforeAll(() => {
  ensureBuilt();
  t = newHome('adopt', fastEnv('21100-21199'));
});

afterAll(async () => {
  for (const c of strays) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await t?.cleanup();
});

async function deployments() {
  const registry = await t.cp.registry();
  return (await registry.listDeployments({ target: 'local' })).filter((d) => NAMES.includes(d.server));
}

describe('adoption after the supervisor dies', () => {
  it('adopts three running servers after kill -9 of the supervisor: same pids, never duplicated', async () => {
    for (const name of NAMES) await createText(t.cp, name);
    await Promise.all(NAMES.map((name) => t.cp.deploy({ name, target: 'local', actor: 'test' })));
    const before = await deployments();
    expect(before.map((d) => d.status)).toEqual(['running', 'running', 'running']);
    const pids = before.map((d) => pidOf(d.processId)).sort((a, b) => a - b);
    expect(markedPids(t.home)).toEqual(pids);

    const supervisor = supervisorPid(t.home)!;
    expect(supervisor).toBeDefined();
    process.kill(supervisor, 'SIGKILL');
    await waitUntil('the supervisor to die', () => !isRunning(supervisor));
    // The servers do not depend on the supervisor: still there, still answering.
    await sleep(300);
    expect(markedPids(t.home)).toEqual(pids);
    expect((await t.cp.callTool('adopt-b', 'greet', { name: 'orphaned' })).text).toContain('orphaned');

    // Any management action starts a new supervisor on demand; it reconciles and adopts.
    const info = await t.cp.supervisor.ensure();
    expect(info.pid).not.toBe(supervisor);
    await t.cp.supervisor.nudge();
    for (let i = 0; i < 10; i++) {
      expect(markedPids(t.home)).toEqual(pids); // adopted, not restarted, never a second process
      await sleep(150);
    }
    const health = await t.cp.supervisor.health();
    const adopted = health?.filter((h) => NAMES.includes(h.server)) ?? [];
    expect(adopted.map((h) => h.adopted)).toEqual([true, true, true]);
    expect(adopted.map((h) => h.pid).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(pids);
    await waitUntil('adopted servers to be checked healthy', async () =>
      (await t.cp.supervisor.health())?.every((h) => h.health.health === 'healthy'),
    );
    const after = await deployments();
    expect(after.map((d) => d.processId)).toEqual(before.map((d) => d.processId));
  });

  it('notices an adopted server dying (it is not its child) and restarts it', async () => {
    const [d] = (await deployments()).filter((x) => x.server === 'adopt-a');
    const old = pidOf(d!.processId);
    process.kill(old, 'SIGKILL');
    const registry = await t.cp.registry();
    const fresh = await waitUntil('adopt-a restarted', async () => {
      const x = await registry.getDeployment(d!.id);
      return x.status === 'running' && x.processId && pidOf(x.processId) !== old ? x : undefined;
    });
    expect(markedPids(t.home, d!.id)).toEqual([pidOf(fresh.processId)]);
  });

  it('terminates a duplicate process of a deployment and an orphan of an unknown deployment', async () => {
    const [d] = (await deployments()).filter((x) => x.server === 'adopt-c');
    const keep = pidOf(d!.processId);
    // A sandboxed server is bwrap running node: the bundle is its argument that ends in dist/server.mjs.
    const bundle = readFileSync(`/proc/${keep}/cmdline`, 'utf8')
      .split('\0')
      .find((a) => a.endsWith('/dist/server.mjs'))!;
    // A second copy of the same deployment (as a crashed-and-confused supervisor might have left behind).
    const dup = spawn(
      process.execPath,
      [bundle, '--transport', 'http', '--host', '127.0.0.1', '--port', '21190'],
      {
        env: { ...process.env, [MARKER_HOME]: t.home, [MARKER_DEPLOYMENT]: String(d!.id) },
        stdio: 'ignore',
        detached: true,
      },
    );
    // An orphan: our marker, a bundle under this home, a deployment id the registry does not know.
    const ghostDir = join(t.home, 'servers', 'ghost', '0000000000000000', 'dist');
    mkdirSync(ghostDir, { recursive: true });
    copyFileSync(bundle, join(ghostDir, 'server.mjs'));
    const orphan = spawn(
      process.execPath,
      [join(ghostDir, 'server.mjs'), '--transport', 'http', '--host', '127.0.0.1', '--port', '21191'],
      {
        env: { ...process.env, [MARKER_HOME]: t.home, [MARKER_DEPLOYMENT]: '9999' },
        stdio: 'ignore',
        detached: true,
      },
    );
    strays.push(dup, orphan);
    await waitUntil('both to be terminated', () => !isRunning(dup.pid!) && !isRunning(orphan.pid!), 20_000);
    expect(markedPids(t.home, d!.id)).toEqual([keep]);
    expect(markedPids(t.home, 9999)).toEqual([]);
    expect(isRunning(keep)).toBe(true);
  });

  it('a second supervisor for the same home refuses to start', async () => {
    const second = spawn(process.execPath, [supervisorEntry(), '--home', t.home], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: fastEnv('21100-21199'),
    });
    strays.push(second);
    let err = '';
    second.stderr!.on('data', (c) => {
      err += c;
    });
    const code = await new Promise<number | null>((resolve) => second.once('exit', resolve));
    expect(code).toBe(6);
    expect(err).toContain('SUPERVISOR_RUNNING');
    expect(supervisorPid(t.home)).toBeDefined();
  });

  it('supervisor shutdown --stop-servers stops every server; the next supervisor restarts them', async () => {
    expect(await t.cp.supervisor.shutdown(true)).toBe(true);
    expect(markedPids(t.home)).toEqual([]);
    const registry = await t.cp.registry();
    // Desired state is untouched: a new supervisor brings them back.
    await t.cp.supervisor.ensure();
    await waitUntil(
      'all three running again',
      async () => {
        const ds = await deployments();
        return ds.every((d) => d.status === 'running' && d.processId) && markedPids(t.home).length === 3;
      },
      30_000,
    );
    for (const d of await deployments()) expect(markedPids(t.home, d.id)).toHaveLength(1);
    expect((await registry.listDeployments()).every((d) => d.desired === 'running')).toBe(true);
  });
});
