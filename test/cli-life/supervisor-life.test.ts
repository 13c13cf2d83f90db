/**
 * The supervisor's lifecycle as seen from the CLI, with real processes: a supervisor killed with SIGKILL while
 * a server runs is noticed by `list` (restarted, or a loud warning when autostart is off), and `supervisor stop
 * --stop-servers` with no supervisor stops the server from the registry alone — its pid gone, its port closed —
 * without ever signalling a process that is not provably the server (a recorded pid that now names another
 * process).
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRunning, readStat } from '../../src/deploy/targets/local/proc.js';
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
} from '../supervisor/helpers.js';
import { cliEnv, mcpFactory, portOpen } from './helpers.js';

const PORTS = '21700-21799';
let t: TestHome;
let env: NodeJS.ProcessEnv;
let serverPid: number;
let port: number;

async function killSupervisor(): Promise<void> {
  const pid = supervisorPid(t.home);
  if (pid) process.kill(pid, 'SIGKILL');
  await waitUntil('the supervisor to be gone', () => supervisorPid(t.home) === undefined);
}

beforeAll(async () => {
  ensureBuilt();
  ensureBuilt('dist/surfaces/cli/main.js');
  // A generous start timeout: this machine may be busy (the other suites run at the same time).
  const tuning = fastEnv(PORTS, { MCP_FACTORY_START_TIMEOUT_MS: '60000' });
  t = newHome('cli-life', tuning);
  env = cliEnv(
    t.home,
    Object.fromEntries(Object.entries(tuning).filter(([k]) => k.startsWith('MCP_FACTORY_'))) as Record<
      string,
      string
    >,
  );
  await createText(t.cp, 'life-a');
  const d = await t.cp.deploy({ name: 'life-a', target: 'local', actor: 'test' });
  expect(d.status).toBe('running');
  serverPid = pidOf(d.processId);
  port = d.port!;
  expect(await portOpen(port)).toBe(true);
}, 180_000);

afterAll(async () => {
  await t?.cleanup();
});

describe('a dead supervisor, seen from the CLI', () => {
  it('`list` restarts a supervisor killed with SIGKILL, which adopts the running server', async () => {
    const first = supervisorPid(t.home);
    expect(first).toBeDefined();
    await killSupervisor();
    expect(isRunning(serverPid)).toBe(true); // the server outlives its supervisor

    const text = await mcpFactory(['list'], env);
    expect(text.code, text.err).toBe(0);
    expect(text.err).toMatch(/the supervisor was not running .*\(life-a\); started it again \(pid \d+\)/);
    const second = supervisorPid(t.home);
    expect(second).toBeDefined();
    expect(second).not.toBe(first);

    await killSupervisor();
    const r = await mcpFactory(['list', '--format', 'json'], env);
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out) as { supervisor: Record<string, unknown> };
    expect(out.supervisor).toMatchObject({
      running: true,
      restarted: true,
      unsupervised: ['life-a'],
      warning: null,
    });
    const third = supervisorPid(t.home);
    expect(third).toBeDefined();
    expect(third).not.toBe(second);
    expect(out.supervisor.pid).toBe(third);
    // Adopted, not restarted: the same process still serves, and it is the only one.
    expect(isRunning(serverPid)).toBe(true);
    expect(markedPids(t.home)).toEqual([serverPid]);

    // With a supervisor running, nothing to report.
    const again = await mcpFactory(['list'], env);
    expect(again.code).toBe(0);
    expect(again.err).toBe('');
    expect(again.out).toMatch(/life-a\s+running/);
  }, 120_000);

  it('with MCP_FACTORY_SUPERVISOR_AUTOSTART=off, `list` and `status` warn loudly and start nothing', async () => {
    await killSupervisor();
    const off = { ...env, MCP_FACTORY_SUPERVISOR_AUTOSTART: 'off' };

    const text = await mcpFactory(['list'], off);
    expect(text.code).toBe(0);
    expect(text.err).toMatch(
      /WARNING: no supervisor is running .*unsupervised, with no crash recovery: life-a/,
    );
    expect(text.out).toMatch(/life-a/);

    const json = await mcpFactory(['list', '--format', 'json'], off);
    const field = (JSON.parse(json.out) as { supervisor: Record<string, unknown> }).supervisor;
    expect(field).toMatchObject({
      running: false,
      restarted: false,
      unsupervised: ['life-a'],
      notRunning: [],
    });
    expect(String(field.warning)).toMatch(/no supervisor is running/);

    const status = await mcpFactory(['status', 'life-a', '--format', 'json'], off);
    expect(status.code, status.err).toBe(0);
    expect((JSON.parse(status.out) as { supervisor: { warning: string } }).supervisor.warning).toMatch(
      /unsupervised/,
    );
    expect(status.err).toMatch(/WARNING/);

    expect(supervisorPid(t.home)).toBeUndefined();
    expect(isRunning(serverPid)).toBe(true);
  }, 60_000);

  it('`supervisor stop --stop-servers` with no supervisor stops the server, never a reused pid', async () => {
    expect(supervisorPid(t.home)).toBeUndefined();
    // The attack: the registry's process id now names another process of ours (a pid reused, or a forged
    // record). It carries no marker of this home, so it must survive; the real server must still be stopped.
    const decoy = spawn('sleep', ['60'], { stdio: 'ignore' });
    const decoyTicks = readStat(decoy.pid!)!.startTicks;
    try {
      const registry = await t.cp.registry();
      const [d] = await registry.listDeployments({ server: 'life-a' });
      await registry.updateDeployment(d!.id, { processId: `${decoy.pid}:${decoyTicks}` }, { actor: 'test' });

      const r = await mcpFactory(['supervisor', 'stop', '--stop-servers', '--format', 'json'], env);
      expect(r.code, r.err).toBe(0);
      const out = JSON.parse(r.out) as {
        wasRunning: boolean;
        stopped: Array<{ pid: number; server: string }>;
      };
      expect(out.wasRunning).toBe(false);
      expect(out.stopped.map((s) => [s.pid, s.server])).toEqual([[serverPid, 'life-a']]);

      expect(isRunning(serverPid)).toBe(false);
      expect(await portOpen(port)).toBe(false);
      expect(isRunning(decoy.pid!, decoyTicks)).toBe(true);
      const [after] = await registry.listDeployments({ server: 'life-a' });
      expect(after).toMatchObject({ status: 'stopped', processId: null, desired: 'running' });

      // Nothing is recorded as running any more: a later `list` neither warns nor restarts the servers.
      const list = await mcpFactory(['list'], env);
      expect(list.err).toBe('');
      expect(supervisorPid(t.home)).toBeUndefined();
      expect(markedPids(t.home)).toEqual([]);
    } finally {
      decoy.kill('SIGKILL');
    }
  }, 60_000);

  it('`supervisor start` starts one even with autostart off; `stop --stop-servers` then records the servers stopped', async () => {
    const off = { ...env, MCP_FACTORY_SUPERVISOR_AUTOSTART: 'off' };
    const start = await mcpFactory(['supervisor', 'start'], off);
    expect(start.code, start.err).toBe(0);
    expect(supervisorPid(t.home)).toBeDefined();
    const registry = await t.cp.registry();
    // Desired state is still running: the new supervisor starts the server again.
    const running = await waitUntil('life-a running again', async () => {
      const [d] = await registry.listDeployments({ server: 'life-a' });
      return d?.status === 'running' && d.processId ? d : undefined;
    });
    const pid = pidOf(running.processId);

    const stop = await mcpFactory(['supervisor', 'stop', '--stop-servers', '--format', 'json'], off);
    expect(stop.code, stop.err).toBe(0);
    expect(JSON.parse(stop.out)).toMatchObject({ wasRunning: true, stopServers: true });
    expect(isRunning(pid)).toBe(false);
    const [after] = await registry.listDeployments({ server: 'life-a' });
    expect(after).toMatchObject({ status: 'stopped', processId: null });
    // So no later command mistakes them for unsupervised servers, or brings them back.
    const list = await mcpFactory(['list'], env);
    expect(list.err).toBe('');
    expect(supervisorPid(t.home)).toBeUndefined();
  }, 90_000);
});
