/**
 * The sandbox's command line (pure): namespaces, identity per mode, what is bound and hidden, limits, network by
 * spec, and the refusal without a sandbox (SANDBOX_UNAVAILABLE, no silent fallback).
 */
import { describe, expect, it } from 'vitest';
import { runGeneratedTests } from '../../src/build/verify/run-tests.js';
import {
  requireSandbox,
  resetSandboxDetection,
  type SandboxPolicy,
  SERVER_LIMITS,
  sandboxCommand,
  specNeedsNetwork,
} from '../../src/platform/sandbox/index.js';

const base = (mode: 'userns' | 'setuid') =>
  ({
    available: true,
    mode,
    bwrap: '/usr/bin/bwrap',
    prlimit: '/usr/bin/prlimit',
    setpriv: '/usr/bin/setpriv',
  }) as const;

const policy = (extra: Partial<SandboxPolicy> = {}): SandboxPolicy => ({
  command: ['/usr/bin/node', 'server.mjs'],
  readOnly: ['/srv/home/servers/a/rev'],
  readWrite: ['/srv/home/data/a'],
  hide: ['/srv/home'],
  network: 'none',
  chdir: '/srv/home/servers/a/rev',
  uid: 2_100_000_007,
  dieWithParent: false,
  newSession: false,
  unsetEnv: ['MCP_FACTORY_SUPERVISOR_HOME'],
  limits: SERVER_LIMITS,
  ...extra,
});

/** The value after each occurrence of `flag`. */
const argsAfter = (args: string[], flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));

describe('sandboxCommand', () => {
  it('unshares PID, IPC, UTS and the network; binds the project read-only and the data dir read-write', () => {
    const { file, args } = sandboxCommand(base('userns'), policy());
    expect(file).toBe('/usr/bin/bwrap');
    for (const flag of ['--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-net'])
      expect(args).toContain(flag);
    expect(argsAfter(args, '--ro-bind')).not.toContain('/');
    expect(argsAfter(args, '--bind')).toEqual(['/srv/home/data/a']);
    expect(argsAfter(args, '--unsetenv')).toEqual(['MCP_FACTORY_SUPERVISOR_HOME']);
    expect(args).not.toContain('--die-with-parent');
    expect(argsAfter(args, '--ro-bind')).not.toContain('/etc/shadow');
  });

  it('userns mode: own user namespace, uid 65534, no nested namespaces; setuid mode: setpriv to the given uid', () => {
    const userns = sandboxCommand(base('userns'), policy()).args;
    expect(userns).toContain('--unshare-user');
    expect(argsAfter(userns, '--uid')).toEqual(['65534']);
    expect(userns).toContain('--disable-userns');
    expect(userns).not.toContain('/usr/bin/setpriv');
    const setuid = sandboxCommand(base('setuid'), policy()).args;
    expect(setuid).not.toContain('--unshare-user');
    const sp = setuid.indexOf('/usr/bin/setpriv');
    expect(setuid.slice(sp, sp + 8)).toEqual([
      '/usr/bin/setpriv',
      '--reuid=2100000007',
      '--regid=2100000007',
      '--clear-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--no-new-privs',
      '--',
    ]);
  });

  it('sets every rlimit before the payload, and keeps the host network only when asked', () => {
    const { args } = sandboxCommand(base('userns'), policy({ network: 'host' }));
    expect(args).not.toContain('--unshare-net');
    const pl = args.indexOf('/usr/bin/prlimit');
    expect(args.slice(pl + 1, pl + 7)).toEqual([
      `--cpu=${SERVER_LIMITS.cpuSeconds}`,
      `--fsize=${SERVER_LIMITS.fileBytes}`,
      `--nofile=${SERVER_LIMITS.openFiles}`,
      `--nproc=${SERVER_LIMITS.processes}`,
      `--data=${SERVER_LIMITS.dataBytes}`,
      '--core=0',
    ]);
    expect(args.slice(-2)).toEqual(['/usr/bin/node', 'server.mjs']);
  });

  it('hides the home with a tmpfs when a bound directory would contain it, then binds its own paths again', () => {
    const { args } = sandboxCommand(
      base('userns'),
      policy({ readOnly: ['/srv', '/srv/home/servers/a/rev'], hide: ['/srv/home'] }),
    );
    const hide = args.findIndex((a, i) => a === '--tmpfs' && args[i + 1] === '/srv/home');
    expect(hide).toBeGreaterThan(args.lastIndexOf('/srv'));
    expect(args.slice(hide).join(' ')).toContain('--ro-bind /srv/home/servers/a/rev /srv/home/servers/a/rev');
    expect(args.slice(hide).join(' ')).toContain('--bind /srv/home/data/a /srv/home/data/a');
  });

  it('creates the parents of bound paths traversable (0755) for a non-root payload', () => {
    const { args } = sandboxCommand(base('setuid'), policy());
    expect(argsAfter(args, '--dir')).toEqual(
      expect.arrayContaining(['/srv', '/srv/home', '/srv/home/servers', '/srv/home/data']),
    );
  });
});

describe('specNeedsNetwork', () => {
  it('is true for database and HTTP connections and HTTP tools only', () => {
    expect(specNeedsNetwork({ connections: [{ type: 'sqlite' }], tools: [{ code: {} }] })).toBe(false);
    expect(specNeedsNetwork({ connections: [{ type: 'postgresql' }] })).toBe(true);
    expect(specNeedsNetwork({ connections: [{ type: 'http' }] })).toBe(true);
    expect(specNeedsNetwork({ tools: [{ http: {} }] })).toBe(true);
  });
});

describe('no sandbox: refusal, never a silent fallback', () => {
  const noBwrap = { PATH: '/nonexistent' };
  it('refuses with SANDBOX_UNAVAILABLE, or runs unconfined only with the explicit opt-out', async () => {
    resetSandboxDetection();
    try {
      const error = (() => {
        try {
          requireSandbox('the generated tests', { env: noBwrap });
        } catch (e) {
          return e as { code?: string; message: string };
        }
      })();
      expect(error?.code).toBe('SANDBOX_UNAVAILABLE');
      expect(error?.message).toMatch(/bubblewrap \(bwrap\) is not installed/);
      expect(requireSandbox('x', { env: noBwrap, unsafeNoSandbox: true })).toMatchObject({
        available: false,
      });
      await expect(runGeneratedTests('/nonexistent', { env: noBwrap })).rejects.toMatchObject({
        code: 'SANDBOX_UNAVAILABLE',
      });
    } finally {
      resetSandboxDetection();
    }
  });
});
