/**
 * Stopping a sandboxed local server leaves none of its processes behind. A sandbox is bwrap, its PID
 * namespace's init (a second bwrap) and the payload, in one process group; here the payload also starts a
 * detached grandchild (own session and group) to show the whole namespace goes, not only the group.
 *
 * Counted by effect in /proc: every live process in the server's process group or in its PID namespace, after
 * each way of stopping it — the local target's stop and remove, `supervisor stop --stop-servers`, the same
 * without a supervisor for a sandbox whose bwrap was killed alone, and the tests' own killHome.
 */
import { readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerSpec } from '../../src/core/spec/index.js';
import { isRunning, listPids, readStat } from '../../src/deploy/targets/local/proc.js';
import { stopUnsupervisedServers } from '../../src/deploy/targets/local/unsupervised.js';
import { detectSandbox } from '../../src/platform/sandbox/index.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';
import {
  ensureBuilt,
  fastEnv,
  killHome,
  newHome,
  pidOf,
  recordedProcessIds,
  supervisorPid,
  type TestHome,
  textToolsSpec,
  waitUntil,
} from '../supervisor/helpers.js';

const support = detectSandbox();
let t: TestHome;

/** A text-tools server whose `spawn` tool starts a sleeper that leaves the server's process group. */
async function deploySpawner(name: string, sleeper = true) {
  await t.cp.create({
    spec: {
      ...textToolsSpec(name),
      tools: [
        {
          name: 'spawn',
          description: 'start a detached sleeper',
          parameters: {},
          code: {
            source: `const cp = await import('node:child_process');
const k = cp.spawn('/bin/sleep', ['600'], { detached: true, stdio: 'ignore' }); k.unref(); return String(k.pid);`,
            hostAccess: { modules: ['child_process'], reason: 'test: a payload that leaves its group' },
          },
        },
      ] as unknown as ServerSpec['tools'],
    },
    specDir: t.home,
    runTests: false,
    typecheck: false,
    securityThreshold: 'critical',
    actor: 'test',
  });
  const d = await t.cp.deploy({ name, target: 'local', actor: 'test' });
  expect(d.status).toBe('running');
  if (sleeper) expect((await t.cp.callTool(name, 'spawn', {})).isError ?? false).toBe(false);
  const leader = pidOf(d.processId);
  const sandbox = { leader, ns: sandboxNamespace(leader) };
  // bwrap, the namespace's init, node (and the sleeper).
  await waitUntil('the sandbox to run', () => processesOf(sandbox).length >= (sleeper ? 4 : 3));
  return sandbox;
}

const nsOf = (pid: number) => {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
};

/** The PID namespace of the sandbox whose bwrap is `leader`: the one its group members have and we do not. */
function sandboxNamespace(leader: number): string {
  const own = nsOf(process.pid);
  const ns = listPids()
    .filter((p) => readStat(p)?.pgid === leader)
    .map(nsOf)
    .find((n) => n !== undefined && n !== own);
  if (!ns) throw new Error(`no sandbox namespace in group ${leader}`);
  return ns;
}

/** Live processes of a sandbox: in its process group or in its PID namespace. */
function processesOf(sandbox: { leader: number; ns: string }): number[] {
  return listPids().filter(
    (p) => isRunning(p) && (readStat(p)?.pgid === sandbox.leader || nsOf(p) === sandbox.ns),
  );
}

const gone = (sandbox: { leader: number; ns: string }) =>
  waitUntil('every process of the sandbox to be gone', () => processesOf(sandbox).length === 0, 15_000);

beforeAll(() => {
  ensureBuilt();
  t = newHome('no-leak', fastEnv('23500-23549'));
});

afterAll(async () => {
  await t?.cleanup();
});

describe.skipIf(!support.available && !REQUIRE_SERVICES)(
  'no process of a stopped sandboxed server survives',
  () => {
    it('stop and remove through the local target', { timeout: 120_000 }, async () => {
      const a = await deploySpawner('leak-stop');
      await t.cp.stop('leak-stop', { actor: 'test' });
      await gone(a);

      const b = await deploySpawner('leak-remove');
      await t.cp.remove('leak-remove', { actor: 'test' });
      await gone(b);
    });

    it('supervisor stop --stop-servers', { timeout: 120_000 }, async () => {
      const s = await deploySpawner('leak-shutdown');
      expect(await t.cp.supervisor.shutdown(true)).toBe(true);
      await gone(s);
      // Not brought back by the next supervisor.
      await t.cp.remove('leak-shutdown', { actor: 'test' });
    });

    it('without a supervisor, a sandbox whose bwrap was killed alone goes as a whole, at SIGTERM', {
      timeout: 120_000,
    }, async () => {
      // No sleeper: it would keep the namespace's init waiting, so that only SIGKILL after the grace ends it.
      const s = await deploySpawner('leak-orphan', false);
      const sup = supervisorPid(t.home)!;
      process.kill(sup, 'SIGKILL');
      await waitUntil('the supervisor to die', () => !isRunning(sup));
      // What the tests' cleanup used to do: the rest of the sandbox outlives its bwrap.
      process.kill(s.leader, 'SIGKILL');
      await waitUntil('bwrap to die', () => !isRunning(s.leader));
      await new Promise((r) => setTimeout(r, 300));
      expect(processesOf(s).length).toBeGreaterThanOrEqual(2);

      const stopped = await stopUnsupervisedServers(t.cp.layout, await t.cp.registry(), {
        graceMs: 10_000,
        actor: 'test',
      });
      // The orphaned namespace init, stopped through its group within the grace (not SIGKILLed after it).
      expect(stopped.filter((x) => x.server === 'leak-orphan').map((x) => x.outcome)).toEqual(['terminated']);
      await gone(s);
      // Its desired state is still running: not to be brought back by the next supervisor.
      await t.cp.remove('leak-orphan', { actor: 'test' });
    });

    it("the tests' killHome leaves nothing of the home's servers", { timeout: 120_000 }, async () => {
      const s = await deploySpawner('leak-kill');
      await killHome(t.home, await recordedProcessIds(t.cp));
      await gone(s);
    });
  },
);
