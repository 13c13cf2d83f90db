/**
 * The local execution backends of command tools, shared by generated servers (copied as src/runtime/exec/)
 * and the host agent (src/platform/host-agent/). One contract, `ExecBackend.run(argv, options, signal)`: run
 * the argv (never through a shell) with the options' environment, limits and output cap, and resolve with how
 * it ended. Every backend kills the whole run on timeout, abort or output overflow (native: the process
 * group; bwrap: the PID namespace, whose init is the process we spawn) and never rejects for the program's
 * own failure.
 *
 * - native: prlimit (util-linux) wraps the program; own process group; a process running as root drops to
 *   `runAs` (default nobody, 65534) because root ignores RLIMIT_NPROC.
 * - bwrap: bubblewrap namespaces (PID, IPC, UTS, mount, network unless allowed), a read-only view of the
 *   system directories, only the declared roots bound, a private /tmp; then setpriv (as root) and prlimit.
 * The docker, ssh and agent backends live in runtime/ (they are only for generated servers).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname } from 'node:path';
import type { CommandLimits } from './argv.js';

export interface ExecOptions {
  env: Record<string, string>;
  cwd?: string | undefined;
  stdin?: string | undefined;
  timeoutMs: number;
  /** stdout and stderr together; the run is stopped once it writes more. */
  maxOutputBytes: number;
  limits: CommandLimits;
  roots: Array<{ path: string; writable: boolean }>;
  network: boolean;
  runAs?: { uid: number; gid: number } | undefined;
  /** docker only. */
  image?: string | undefined;
  /** ssh only (runtime/command-ssh.ts). */
  ssh?: SshTarget | undefined;
  /** agent only (runtime/command-agent.ts). */
  agent?: AgentTarget | undefined;
}

/** The host agent a command runs on; the key comes from the environment, never the spec. */
export interface AgentTarget {
  /** http(s)://host:port of the agent. */
  url: string;
  keyId: string;
  key: string;
}

/** Where the ssh backend runs a command; the private key comes from the environment, never the spec. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  /** `SHA256:<base64>` as `ssh-keygen -lf` prints it. */
  hostKey: string;
  privateKey: string;
}

export interface ExecResult {
  /** null when the run was killed by a signal. */
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** The output went over maxOutputBytes: the run was stopped and the output cut there. */
  truncated: boolean;
  timedOut: boolean;
  durationMs: number;
}

export interface ExecBackend {
  readonly name: string;
  /** argv[0] is the program (an absolute path for native and bwrap). */
  run(argv: string[], options: ExecOptions, signal?: AbortSignal): Promise<ExecResult>;
}

/** The nobody user: where a root server's commands run when the policy names no other. */
export const NOBODY = { uid: 65534, gid: 65534 };

const isRoot = (): boolean => process.getuid?.() === 0;

const SYSTEM_BIN = ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin'];
const toolCache = new Map<string, string>();

/** prlimit, bwrap, setpriv, docker: found in the system directories, never on a PATH the spec or caller set. */
export function systemTool(name: string): string {
  let found = toolCache.get(name);
  if (!found) {
    found = SYSTEM_BIN.map((dir) => `${dir}/${name}`).find((file) => existsSync(file)) ?? name;
    toolCache.set(name, found);
  }
  return found;
}

export function prlimitArgs(limits: CommandLimits, memory: boolean): string[] {
  return [
    `--cpu=${limits.cpuSeconds}`,
    ...(memory ? [`--as=${limits.memoryBytes}`] : []),
    `--nproc=${limits.processes}`,
    `--fsize=${limits.fileBytes}`,
    '--core=0',
    '--',
  ];
}

export interface SpawnPlan {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string | undefined;
  uid?: number | undefined;
  gid?: number | undefined;
  /** How to stop the run (default: SIGKILL to the process group). */
  kill?: (child: ChildProcess) => void;
}

/**
 * Spawns the plan in its own process group, feeds stdin, captures output up to the cap and enforces the
 * timeout. Never rejects: a spawn failure is exit code 127 with the reason on stderr.
 */
/**
 * stdout and stderr of one run under one byte cap: `sink(stream)` keeps chunks until the cap, keeps the part of
 * the chunk that reaches it, marks the output truncated and calls `overflow` once (the backend stops the run).
 */
export function outputCap(maxBytes: number, overflow: () => void) {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let bytes = 0;
  let truncated = false;
  return {
    sink: (stream: 'out' | 'err') => (chunk: Buffer) => {
      if (truncated) return;
      const into = stream === 'out' ? out : err;
      const room = maxBytes - bytes;
      if (chunk.length > room) {
        into.push(chunk.subarray(0, room));
        bytes = maxBytes;
        truncated = true;
        overflow();
        return;
      }
      into.push(chunk);
      bytes += chunk.length;
    },
    get truncated() {
      return truncated;
    },
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => Buffer.concat(err).toString('utf8'),
  };
}

export function execute(plan: SpawnPlan, options: ExecOptions, signal?: AbortSignal): Promise<ExecResult> {
  const started = performance.now();
  return new Promise((resolveRun) => {
    let child: ChildProcess;
    try {
      child = spawn(plan.file, plan.args, {
        env: plan.env,
        cwd: plan.cwd,
        detached: true,
        stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        ...(plan.uid !== undefined ? { uid: plan.uid } : {}),
        ...(plan.gid !== undefined ? { gid: plan.gid } : {}),
      });
    } catch (error) {
      resolveRun(failure(error, started));
      return;
    }
    let timedOut = false;
    let done = false;
    const stop = () => {
      if (plan.kill) plan.kill(child);
      killGroup(child);
    };
    const output = outputCap(options.maxOutputBytes, stop);
    child.stdout?.on('data', output.sink('out'));
    child.stderr?.on('data', output.sink('err'));
    child.stdin?.on('error', () => undefined); // the program may exit without reading its input
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    const onAbort = () => stop();
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (exitCode: number | null, exitSignal: string | null, extra = '') => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // Anything the group left behind goes with it (a child that kept the pipes open is killed too).
      killGroup(child);
      resolveRun({
        exitCode,
        signal: exitSignal,
        stdout: output.stdout(),
        stderr: output.stderr() + extra,
        truncated: output.truncated,
        timedOut,
        durationMs: Math.round(performance.now() - started),
      });
    };
    child.on('error', (error) => finish(127, null, `\n${error.message}`));
    child.on('close', (code, sig) => finish(code, sig));
  });
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** A run that ended before or outside the program (a refused or lost remote call): exit 255, or killed. */
export function failedRun(message: string, started: number, timedOut = false): ExecResult {
  return {
    exitCode: timedOut ? null : 255,
    signal: timedOut ? 'SIGKILL' : null,
    stdout: '',
    stderr: message,
    truncated: false,
    timedOut,
    durationMs: Math.round(performance.now() - started),
  };
}

export function failure(error: unknown, started: number): ExecResult {
  return {
    exitCode: 127,
    signal: null,
    stdout: '',
    stderr: error instanceof Error ? error.message : String(error),
    truncated: false,
    timedOut: false,
    durationMs: Math.round(performance.now() - started),
  };
}

/** The user a run drops to: the policy's, else nobody when the server is root (root ignores RLIMIT_NPROC). */
function dropTo(options: ExecOptions): { uid: number; gid: number } | undefined {
  return options.runAs ?? (isRoot() ? NOBODY : undefined);
}

export const nativeBackend: ExecBackend = {
  name: 'native',
  run(argv, options, signal) {
    const user = dropTo(options);
    return execute(
      {
        file: systemTool('prlimit'),
        args: [...prlimitArgs(options.limits, true), ...argv],
        env: options.env,
        cwd: options.cwd,
        uid: user?.uid,
        gid: user?.gid,
      },
      options,
      signal,
    );
  },
};

/** System directories a program needs, read-only; the rest of /etc (shadow, keys) stays out. */
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
const ETC_FILES = ['/etc/ld.so.cache', '/etc/passwd', '/etc/group', '/etc/nsswitch.conf', '/etc/localtime'];
/** With network: name resolution and the CA store (still read-only). */
const NETWORK_ETC = [
  '/etc/resolv.conf',
  '/etc/hosts',
  '/etc/host.conf',
  '/etc/gai.conf',
  '/etc/ssl',
  '/etc/ca-certificates',
];

function systemBinds(): string[] {
  const out: string[] = [];
  for (const dir of SYSTEM_DIRS) {
    try {
      const stat = lstatSync(dir);
      // Merged /usr: /bin → usr/bin stays a link, so paths resolve as on the host.
      if (stat.isSymbolicLink()) out.push('--symlink', readlinkSync(dir), dir);
      else out.push('--ro-bind', dir, dir);
    } catch {
      // not on this system
    }
  }
  return out;
}

/**
 * bwrap creates the missing parents of a bind target mode 0700, which the unprivileged program could not
 * traverse: create them 0755 first (inside the private /tmp or /, never over a system directory).
 */
function parentDirs(targets: string[]): string[] {
  const dirs = new Set<string>();
  for (const target of targets)
    for (let dir = dirname(target); dir !== '/'; dir = dirname(dir)) {
      if (SYSTEM_DIRS.some((d) => dir === d || dir.startsWith(`${d}/`))) break;
      dirs.add(dir);
    }
  return [...dirs]
    .sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b))
    .flatMap((dir) => ['--perms', '0755', '--dir', dir]);
}

/** The bubblewrap command line (exported for tests and the docs). */
export function bwrapArgs(argv: string[], options: ExecOptions): string[] {
  const root = isRoot();
  const args = ['--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try'];
  // Not root: a user namespace maps us to nobody. Root: no user namespace (it would map to host root, which
  // ignores RLIMIT_NPROC); setpriv drops to the run-as user instead.
  if (!root) args.push('--unshare-user', '--uid', '65534', '--gid', '65534', '--disable-userns');
  if (!options.network) args.push('--unshare-net');
  args.push('--hostname', 'command', ...systemBinds());
  args.push('--proc', '/proc', '--dev', '/dev', '--perms', '1777', '--tmpfs', '/tmp');
  const etc = [...ETC_FILES, ...(options.network ? NETWORK_ETC : [])].filter((f) => existsSync(f));
  // Parents first (0755, or the unprivileged program could not reach /etc or a root), then the binds.
  args.push(...parentDirs([...etc, ...options.roots.map((r) => r.path)]));
  for (const file of etc) args.push('--ro-bind', file, file);
  for (const r of options.roots) args.push(r.writable ? '--bind' : '--ro-bind', r.path, r.path);
  args.push('--die-with-parent', '--new-session', '--chdir', options.cwd ?? '/tmp', '--');
  const user = dropTo(options) ?? NOBODY;
  if (root)
    args.push(
      systemTool('setpriv'),
      `--reuid=${user.uid}`,
      `--regid=${user.gid}`,
      '--clear-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--no-new-privs',
      '--',
    );
  args.push(systemTool('prlimit'), ...prlimitArgs(options.limits, true), ...argv);
  return args;
}

export const bwrapBackend: ExecBackend = {
  name: 'bwrap',
  async run(argv, options, signal) {
    // bwrap and setpriv/prlimit are found on the fixed system PATH, never on one the program's env names.
    const result = await execute(
      { file: systemTool('bwrap'), args: bwrapArgs(argv, options), env: options.env, cwd: '/' },
      options,
      signal,
    );
    return { ...result, ...signalFromStatus(result) };
  },
};

/** bwrap exits 128+n when its payload dies of signal n: report it as the signal, as the other backends do. */
function signalFromStatus(result: ExecResult): Partial<ExecResult> {
  if (result.exitCode === null || result.exitCode <= 128) return {};
  const name = Object.entries(constants.signals).find(([, n]) => n === result.exitCode! - 128)?.[0];
  return name ? { exitCode: null, signal: name } : {};
}

/** The backends that run on the local host (a host agent runs commands with one of these). */
export const LOCAL_BACKENDS = { native: nativeBackend, bwrap: bwrapBackend } as const;
