/**
 * Issue 17.2 end to end, with a real supervisor: registry.db deleted while it runs. Before, the CLI created a new
 * empty registry and a redeploy hung for 90 s; now the CLI refuses at once (REGISTRY_HELD, naming the holder),
 * `doctor` says what is wrong, and restoring the backup (a rename into place) is followed by the supervisor.
 * Also `doctor --repair` on secrets readable by others and a stale pid file, through the CLI.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlPlane } from '../../src/deploy/index.js';
import { runCli } from '../../src/surfaces/cli/main.js';
import {
  createText,
  ensureBuilt,
  fastEnv,
  newHome,
  supervisorPid,
  type TestHome,
  waitUntil,
} from '../supervisor/helpers.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s), isTTY: false },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

interface DoctorJson {
  ok: boolean;
  checks: Array<{ check: string; status: string; message: string; hint?: string }>;
}

async function doctor(home: string, ...extra: string[]): Promise<{ code: number; report: DoctorJson }> {
  const c = capture();
  const code = await runCli(['doctor', '--home', home, '--format', 'json', ...extra], c.io);
  return { code, report: JSON.parse(c.out()) as DoctorJson };
}

describe('registry deleted under a running supervisor', () => {
  let t: TestHome;
  const env = fastEnv('22100-22199');

  beforeAll(async () => {
    ensureBuilt();
    t = newHome('regsplit', env);
  }, 60_000);
  afterAll(async () => {
    await t?.cleanup();
  });

  it('is refused at once, diagnosed by doctor, and healed by restoring the backup', {
    timeout: 120_000,
  }, async () => {
    await createText(t.cp, 'keep-srv');
    await t.cp.deploy({ name: 'keep-srv', target: 'local', actor: 'test' });
    const sup = supervisorPid(t.home);
    expect(sup).toBeDefined();
    const backup = join(t.home, 'backup.db');
    const b = capture();
    expect(await runCli(['backup', backup, '--home', t.home], b.io)).toBe(0);
    expect(statSync(backup).mode & 0o777).toBe(0o600);
    // This process lets go of the registry: only the supervisor holds it.
    await t.cp.close();

    const file = join(t.home, 'registry.db');
    rmSync(file);

    const list = capture();
    const t0 = Date.now();
    const code = await runCli(['list', '--home', t.home, '--format', 'json'], list.io);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(code).not.toBe(0);
    expect(list.out() + list.err()).toMatch(/REGISTRY_HELD/);
    expect(list.out() + list.err()).toContain(String(sup));
    expect(existsSync(file)).toBe(false);

    const sick = await doctor(t.home);
    expect(sick.code).not.toBe(0);
    expect(sick.report.ok).toBe(false);
    const identity = sick.report.checks.find((c) => c.check === 'registry-identity');
    expect(identity?.status).toBe('error');
    expect(identity?.message).toContain(String(sup));
    expect(sick.report.checks.find((c) => c.check === 'supervisor-registry')?.status).toBe('error');

    // Restore as documented: the backup renamed into place. The supervisor follows it at its next pass.
    const staged = join(t.home, 'restore.db');
    copyFileSync(backup, staged);
    renameSync(staged, file);
    await waitUntil(
      'doctor to report a healthy home',
      async () => {
        const r = await doctor(t.home);
        return r.report.ok && r.code === 0;
      },
      20_000,
      300,
    );
    expect(supervisorPid(t.home)).toBe(sup);
    const cp = createControlPlane({ home: t.home, supervisorEnv: env, waitTimeoutMs: 60_000 });
    try {
      const status = await cp.status('keep-srv');
      expect(status.deployments[0]?.status).toBe('running');
      expect((await cp.callTool('keep-srv', 'slugify', { title: 'Back Again' })).text).toBe('back-again');
    } finally {
      await cp.close();
    }
  });

  it('doctor --repair restricts secrets readable by others and removes a stale pid file', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mcpf-doctor-'));
    try {
      mkdirSync(join(home, 'secrets'), { mode: 0o755 });
      chmodSync(join(home, 'secrets'), 0o755);
      const secret = join(home, 'secrets', 'leaky.env');
      writeFileSync(secret, 'TOKEN=abc\n');
      chmodSync(secret, 0o644);
      const dead = spawnSync(process.execPath, ['-e', '0']).pid;
      writeFileSync(join(home, 'supervisor.pid'), JSON.stringify({ pid: dead, startTicks: 1 }));
      const before = await doctor(home);
      expect(before.code).not.toBe(0);
      const perm = before.report.checks.find((c) => c.check === 'permissions' && c.status === 'error');
      expect(perm?.message).toContain(secret);
      expect(perm?.hint).toMatch(/--repair/);
      expect(before.report.checks.find((c) => c.check === 'supervisor')?.status).toBe('warn');
      expect(statSync(secret).mode & 0o777).toBe(0o644);

      const repaired = await doctor(home, '--repair');
      expect(repaired.code).toBe(0);
      expect(statSync(secret).mode & 0o777).toBe(0o600);
      expect(statSync(join(home, 'secrets')).mode & 0o777).toBe(0o700);
      expect(existsSync(join(home, 'supervisor.pid'))).toBe(false);
      const after = await doctor(home);
      expect(after.report.ok).toBe(true);
      expect(after.report.checks.every((c) => c.status === 'ok' || c.status === 'warn')).toBe(true);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
