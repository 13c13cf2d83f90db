/**
 * Whether this machine can sandbox: bubblewrap (bwrap) that really creates namespaces (probed once by running
 * a trivial sandbox, since a bwrap binary on a machine without user namespaces fails only when used), prlimit
 * for resource limits and, when the factory runs as root, setpriv to leave root inside the sandbox.
 *
 * Two modes:
 * - `userns` (factory is not root): bwrap makes its own user namespace with uid/gid 65534 inside; on the host
 *   the sandbox is the factory user, confined by the mount, PID, IPC, UTS (and network) namespaces.
 * - `setuid` (factory is root): a user namespace would map the sandbox to host root — exempt from
 *   RLIMIT_NPROC and owner of every root file — so bwrap sets up the namespaces as root and the payload drops
 *   to a dedicated unprivileged host uid (setpriv: no capabilities, no_new_privs) before anything else runs.
 *
 * cgroup v2: detected (a writable, delegated cgroup of our own) and reported; limits then come from rlimits
 * all the same until a cgroup backend is added (see cgroupV2Delegation).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export type SandboxMode = 'userns' | 'setuid';

export type SandboxSupport =
  | { available: true; mode: SandboxMode; bwrap: string; prlimit: string; setpriv: string | undefined }
  | { available: false; reason: string };

export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = (env.PATH ?? '/usr/bin:/bin').split(delimiter);
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

const cache = new Map<string, SandboxSupport>();

/** The sandbox this machine offers (cached per PATH and uid). Never throws. */
export function detectSandbox(env: NodeJS.ProcessEnv = process.env): SandboxSupport {
  const mode: SandboxMode = process.getuid?.() === 0 ? 'setuid' : 'userns';
  const key = `${mode}\0${env.PATH ?? ''}`;
  let support = cache.get(key);
  if (!support) {
    support = probe(mode, env);
    cache.set(key, support);
  }
  return support;
}

/** Forget probe results (tests that change PATH). */
export function resetSandboxDetection(): void {
  cache.clear();
}

function probe(mode: SandboxMode, env: NodeJS.ProcessEnv): SandboxSupport {
  if (process.platform !== 'linux') return { available: false, reason: 'bubblewrap needs Linux' };
  const bwrap = findExecutable('bwrap', env);
  if (!bwrap) return { available: false, reason: 'bubblewrap (bwrap) is not installed' };
  const prlimit = findExecutable('prlimit', env);
  if (!prlimit) return { available: false, reason: 'prlimit (util-linux) is not installed' };
  const setpriv = findExecutable('setpriv', env);
  if (mode === 'setuid' && !setpriv) {
    return { available: false, reason: 'setpriv (util-linux) is needed to sandbox when running as root' };
  }
  const args = [
    ...(mode === 'userns' ? ['--unshare-user', '--uid', '65534', '--gid', '65534'] : []),
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-net',
    '--ro-bind',
    '/',
    '/',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--',
    ...(mode === 'setuid' && setpriv ? [setpriv, '--reuid=65534', '--regid=65534', '--clear-groups'] : []),
    prlimit,
    '--nproc=64',
    '--',
    'true',
  ];
  const result = spawnSync(bwrap, args, {
    timeout: 10_000,
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin' },
  });
  if (result.status !== 0) {
    const why = (result.stderr || result.error?.message || `exit ${result.status}`).trim().split('\n')[0];
    return { available: false, reason: `bubblewrap cannot create a sandbox here: ${why}` };
  }
  return { available: true, mode, bwrap, prlimit, setpriv: mode === 'setuid' ? setpriv : undefined };
}

/**
 * cgroup v2 with a delegated subtree we may write (the unified hierarchy, our own cgroup writable, with the
 * memory and pids controllers enabled for children). On cgroup v1 or without delegation: the reason.
 * Resource limits use rlimits either way today; this is where a cgroup backend plugs in.
 */
export function cgroupV2Delegation():
  | { available: true; path: string }
  | { available: false; reason: string } {
  if (!existsSync('/sys/fs/cgroup/cgroup.controllers')) {
    return { available: false, reason: 'cgroup v2 (unified hierarchy) is not mounted at /sys/fs/cgroup' };
  }
  let own: string;
  try {
    const line = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'));
    if (!line) return { available: false, reason: 'this process has no cgroup v2 membership' };
    own = join('/sys/fs/cgroup', line.slice(3));
  } catch {
    return { available: false, reason: '/proc/self/cgroup is not readable' };
  }
  try {
    accessSync(own, constants.W_OK);
    const enabled = readFileSync(join(own, 'cgroup.subtree_control'), 'utf8');
    if (!/\bmemory\b/.test(enabled) || !/\bpids\b/.test(enabled)) {
      return { available: false, reason: `${own}: memory and pids controllers are not delegated` };
    }
  } catch {
    return { available: false, reason: `${own} is not writable (no delegation)` };
  }
  return { available: true, path: own };
}
