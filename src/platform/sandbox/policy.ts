/**
 * The one sandbox of MCP Factory, used for generated tests (build/verify/run-tests.ts) and for every server the
 * local supervisor starts: what a sandboxed command sees and may do, turned into a bubblewrap command line.
 *
 * - File system: only the system directories programs need (read-only: /usr, the /bin and /lib links, a few
 *   /etc files, the Node installation), the paths of the policy (read-only or read-write), a private /tmp of
 *   bounded size; everything else — the factory home, the user's home, other servers — does not exist.
 *   `hide` paths get an empty tmpfs even when a bound directory contains them.
 * - Namespaces: PID (the payload sees only itself), IPC, UTS, mount; network too unless `network: 'host'`.
 * - Identity: a non-root uid without capabilities (see detect.ts for the two modes).
 * - Limits: rlimits set by prlimit just before the payload runs (RLIMIT_AS is not usable: V8 reserves far more
 *   address space than it uses, so memory is bounded by RLIMIT_DATA plus the V8 heap flag of nodeArgs).
 * - Environment: passed as is (secrets travel only as environment), minus `unsetEnv`.
 */
import { existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { SandboxSupport } from './detect.js';

export interface SandboxLimits {
  /** RLIMIT_CPU: CPU seconds before SIGXCPU/SIGKILL. */
  cpuSeconds: number;
  /** RLIMIT_FSIZE: largest file the payload may write (also bounds a log file it writes to). */
  fileBytes: number;
  /** RLIMIT_NOFILE. */
  openFiles: number;
  /** RLIMIT_NPROC: processes and threads (Node alone uses about 11). */
  processes: number;
  /** RLIMIT_DATA: heap, Buffers and other private writable memory. */
  dataBytes: number;
  /** V8 old-space limit for Node payloads (MiB), below dataBytes so V8 fails with its own clear error first. */
  heapMb: number;
  /** Size of the private /tmp. */
  tmpBytes: number;
}

export const SERVER_LIMITS: SandboxLimits = {
  cpuSeconds: 24 * 3600,
  fileBytes: 256 * 1024 * 1024,
  openFiles: 1024,
  processes: 128,
  dataBytes: 2 * 1024 * 1024 * 1024,
  heapMb: 512,
  tmpBytes: 64 * 1024 * 1024,
};

export const TEST_LIMITS: SandboxLimits = {
  cpuSeconds: 300,
  fileBytes: 64 * 1024 * 1024,
  openFiles: 1024,
  processes: 256,
  dataBytes: 2 * 1024 * 1024 * 1024,
  heapMb: 512,
  tmpBytes: 64 * 1024 * 1024,
};

export interface SandboxPolicy {
  /** The payload: an absolute executable and its arguments. */
  command: [string, ...string[]];
  /** Bound read-only at the same path. */
  readOnly?: string[];
  /** Bound read-write at the same path. */
  readWrite?: string[];
  /** Bound at another path (after everything else, so they may cover a read-only bind): `from` → `to`. */
  mounts?: Array<{ from: string; to: string; writable: boolean }>;
  /** Empty tmpfs over these paths (the factory home), after the binds. */
  hide?: string[];
  /** 'none': a private network namespace with only loopback; 'host': the machine's network. */
  network: 'none' | 'host';
  /** Working directory inside the sandbox. */
  chdir: string;
  /** Host uid and gid of the payload in `setuid` mode (ignored in `userns` mode: 65534 inside). */
  uid: number;
  /** Kill the sandbox when the spawning process dies (generated tests); servers outlive the supervisor. */
  dieWithParent: boolean;
  /** New session (no controlling terminal to inject input into); for payloads not already detached. */
  newSession: boolean;
  /** Variables removed from the payload's environment (they stay on the bwrap process, e.g. markers). */
  unsetEnv?: string[];
  /** Variables set for the payload (HOME, TMPDIR…). */
  setEnv?: Record<string, string>;
  limits: SandboxLimits;
}

export interface SandboxCommand {
  file: string;
  args: string[];
}

/** Every directory of the host a program may need, read-only. The rest of /etc stays out (shadow, ssh keys). */
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
const ETC_FILES = [
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/pki',
  '/etc/resolv.conf',
  '/etc/hosts',
  '/etc/nsswitch.conf',
  '/etc/host.conf',
  '/etc/gai.conf',
  '/etc/localtime',
  '/etc/passwd',
  '/etc/group',
  '/etc/ld.so.cache',
];

export function isWithin(path: string, dir: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The directory of a Node installation outside /usr (nvm, /opt/node…): `<prefix>` of `<prefix>/bin/node`. */
function nodePrefix(execPath: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(execPath);
  } catch {
    return undefined;
  }
  if (SYSTEM_DIRS.some((d) => isWithin(real, d))) return undefined;
  return dirname(dirname(real));
}

function systemBinds(): string[] {
  const out: string[] = [];
  for (const dir of SYSTEM_DIRS) {
    let stat: ReturnType<typeof lstatSync>;
    try {
      stat = lstatSync(dir);
    } catch {
      continue;
    }
    // Merged /usr: /bin → usr/bin stays a link, so paths resolve as on the host.
    if (stat.isSymbolicLink()) out.push('--symlink', readlinkSync(dir), dir);
    else out.push('--ro-bind', dir, dir);
  }
  return out;
}

/**
 * bwrap creates the parents of a bind target mode 0700, which a payload that is not root inside could not
 * traverse: create them 0755 first (never over a system directory, which is a read-only bind already).
 */
function parentDirs(targets: string[]): string[] {
  const dirs = new Set<string>();
  for (const target of targets) {
    for (let dir = dirname(resolve(target)); dir !== '/'; dir = dirname(dir)) {
      if (SYSTEM_DIRS.some((d) => isWithin(dir, d))) break;
      dirs.add(dir);
    }
  }
  return [...dirs]
    .sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b))
    .flatMap((dir) => ['--perms', '0755', '--dir', dir]);
}

/** The bubblewrap command line that runs `policy.command` confined. */
export function sandboxCommand(
  support: Extract<SandboxSupport, { available: true }>,
  policy: SandboxPolicy,
): SandboxCommand {
  const { limits } = policy;
  const args: string[] = ['--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try'];
  if (support.mode === 'userns') {
    args.push('--unshare-user', '--uid', '65534', '--gid', '65534', '--disable-userns');
  }
  if (policy.network === 'none') args.push('--unshare-net');
  args.push('--hostname', 'sandbox');
  args.push(...systemBinds());
  const prefix = nodePrefix(policy.command[0]);
  if (prefix) args.push('--ro-bind', prefix, prefix);
  args.push('--proc', '/proc', '--dev', '/dev');
  args.push('--perms', '1777', '--size', String(limits.tmpBytes), '--tmpfs', '/tmp');
  const etc = ETC_FILES.filter((f) => existsSync(f));
  args.push(...parentDirs([...etc, ...(policy.readOnly ?? []), ...(policy.readWrite ?? [])]));
  for (const file of etc) args.push('--ro-bind', file, file);
  for (const path of policy.readOnly ?? []) if (existsSync(path)) args.push('--ro-bind', path, path);
  for (const path of policy.readWrite ?? []) args.push('--bind', path, path);
  // A hidden path inside a bound one gets an empty tmpfs; the policy's own paths inside it are bound again.
  const bound = [...(policy.readOnly ?? []), ...(policy.readWrite ?? [])];
  for (const hidden of policy.hide ?? []) {
    const covering = [...SYSTEM_DIRS, '/etc', ...(prefix ? [prefix] : []), ...bound].some(
      (dir) => isWithin(hidden, dir) && !isWithin(dir, hidden),
    );
    if (!covering) continue;
    args.push('--tmpfs', hidden);
    for (const path of policy.readOnly ?? []) if (isWithin(path, hidden)) args.push('--ro-bind', path, path);
    for (const path of policy.readWrite ?? []) if (isWithin(path, hidden)) args.push('--bind', path, path);
  }
  for (const m of policy.mounts ?? []) args.push(m.writable ? '--bind' : '--ro-bind', m.from, m.to);
  for (const name of policy.unsetEnv ?? []) args.push('--unsetenv', name);
  for (const [name, value] of Object.entries(policy.setEnv ?? {})) args.push('--setenv', name, value);
  if (policy.dieWithParent) args.push('--die-with-parent');
  if (policy.newSession) args.push('--new-session');
  args.push('--chdir', policy.chdir, '--');
  if (support.mode === 'setuid') {
    const id = String(policy.uid);
    args.push(
      support.setpriv ?? 'setpriv',
      `--reuid=${id}`,
      `--regid=${id}`,
      '--clear-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--no-new-privs',
      '--',
    );
  }
  args.push(
    support.prlimit,
    `--cpu=${limits.cpuSeconds}`,
    `--fsize=${limits.fileBytes}`,
    `--nofile=${limits.openFiles}`,
    `--nproc=${limits.processes}`,
    `--data=${limits.dataBytes}`,
    '--core=0',
    '--',
    ...policy.command,
  );
  return { file: support.bwrap, args };
}

/** Node flags that keep the V8 heap below the sandbox's data limit. */
export function nodeHeapArgs(limits: SandboxLimits): string[] {
  return [`--max-old-space-size=${limits.heapMb}`];
}

/** Connection types served from local files: they need no network. */
const LOCAL_CONNECTIONS = new Set(['sqlite', 'dataset']);

/**
 * Whether a server (or its generated tests) needs the machine's network: a database or HTTP connection, or an
 * HTTP tool. Everything else (SQLite, datasets, static, code, catalog…) runs in a private network namespace.
 */
export function specNeedsNetwork(spec: {
  connections?: ReadonlyArray<{ type?: unknown }> | undefined;
  tools?: ReadonlyArray<object> | undefined;
  triggers?: ReadonlyArray<{ type?: unknown }> | undefined;
}): boolean {
  return (
    (spec.connections ?? []).some((c) => !LOCAL_CONNECTIONS.has(c.type as string)) ||
    (spec.tools ?? []).some((t) => (t as { http?: unknown }).http !== undefined) ||
    // A queue trigger consumes from a broker (database triggers ride on their connection, counted above).
    (spec.triggers ?? []).some((t) => t.type === 'queue')
  );
}

/**
 * Whether a server's generated tests need the machine's network: only for a database server. HTTP APIs are
 * replaced by a mock upstream on loopback (build/generator/mock-upstream.ts), and tools whose API cannot be
 * mocked are not run, so no test request can leave the machine.
 */
export function testsNeedNetwork(spec: {
  connections?: ReadonlyArray<{ type?: unknown }> | undefined;
}): boolean {
  return (spec.connections ?? []).some((c) => !LOCAL_CONNECTIONS.has(c.type as string) && c.type !== 'http');
}

/** A SQLite connection as far as the sandbox cares: where its file is named at run time. */
interface SqliteConnectionLike {
  type?: unknown;
  envVar?: unknown;
  readOnly?: unknown;
}

/**
 * Files outside the project that a sandboxed server (or its tests) must see: SQLite databases named by an
 * environment variable (`connections[].envVar`). A read-only connection gets the file (and its -wal/-shm) read-only;
 * a writable one gets its directory read-write, since SQLite creates its journal beside the file. Only absolute
 * paths to existing regular files count: anything else is left for the server to report as missing.
 */
export function sqliteBinds(
  spec: { connections?: ReadonlyArray<SqliteConnectionLike> | undefined },
  env: Readonly<Record<string, string | undefined>>,
  mode: 'server' | 'tests',
): { readOnly: string[]; readWrite: string[] } {
  const readOnly: string[] = [];
  const readWrite: string[] = [];
  for (const c of spec.connections ?? []) {
    if (c.type !== 'sqlite' || typeof c.envVar !== 'string') continue;
    const path = env[c.envVar];
    if (!path || !isAbsolute(path)) continue;
    let file: string;
    try {
      file = realpathSync(path);
      if (!lstatSync(file).isFile()) continue;
    } catch {
      continue;
    }
    // Tests never write the source database (write tools run on a scratch copy in the private /tmp).
    if (mode === 'server' && c.readOnly !== true) readWrite.push(dirname(file));
    else readOnly.push(...[file, `${file}-wal`, `${file}-shm`].filter((f) => existsSync(f)));
  }
  return { readOnly, readWrite };
}

/** A dataset connection as far as the sandbox cares: the variable that lists its directories. */
interface DatasetConnectionLike {
  type?: unknown;
  rootsEnv?: unknown;
}

/**
 * Directories a sandboxed server (or its tests) reads data files from: the roots of its dataset connections
 * (`rootsEnv`, default DATASET_ROOTS, ':'-separated), always read-only. Only absolute paths to existing
 * directories count, resolved (a root that is a link is bound at its target, where the server's realpath
 * check finds the files); the rest is left for the server to report.
 */
export function datasetBinds(
  spec: { connections?: ReadonlyArray<DatasetConnectionLike> | undefined },
  env: Readonly<Record<string, string | undefined>>,
): { readOnly: string[] } {
  const readOnly = new Set<string>();
  for (const c of spec.connections ?? []) {
    if (c.type !== 'dataset') continue;
    const name = typeof c.rootsEnv === 'string' ? c.rootsEnv : 'DATASET_ROOTS';
    for (const dir of (env[name] ?? '').split(':')) {
      const path = dir.trim();
      if (!path || !isAbsolute(path)) continue;
      try {
        const real = realpathSync(path);
        if (lstatSync(real).isDirectory()) readOnly.add(real);
      } catch {
        // missing: the server says so when a tool runs
      }
    }
  }
  return { readOnly: [...readOnly] };
}
