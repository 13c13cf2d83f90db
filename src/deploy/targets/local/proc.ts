/**
 * Process inspection through Linux /proc: liveness, identity (start time), command line, environment, and the
 * markers that tie a server process to one deployment of one factory home.
 *
 * A pid alone proves nothing (pids are reused). A process is one of ours only when ALL of these hold:
 * - /proc/<pid>/stat exists and its state is not zombie/dead, and its start time (field 22, clock ticks since
 *   boot) equals the one recorded when it was spawned (when a start time is known);
 * - /proc/<pid>/cmdline runs a bundle below `<home>/servers/` (the deployment's artifact);
 * - /proc/<pid>/environ carries MCP_FACTORY_SUPERVISOR_HOME=<home> and MCP_FACTORY_DEPLOYMENT_ID=<id>.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Environment markers set on every server the supervisor spawns. */
export const MARKER_HOME = 'MCP_FACTORY_SUPERVISOR_HOME';
export const MARKER_DEPLOYMENT = 'MCP_FACTORY_DEPLOYMENT_ID';
/** sha256 of what the process was started with (bundle, port, environment): tells a stale process apart. */
export const MARKER_CONFIG = 'MCP_FACTORY_CONFIG_HASH';

export interface ProcStat {
  pid: number;
  /** R, S, D, Z (zombie), X (dead), T, … */
  state: string;
  ppid: number;
  pgid: number;
  /** Start time in clock ticks after boot: with the pid, a unique identity of the process. */
  startTicks: number;
}

export function procAvailable(): boolean {
  return process.platform === 'linux' && readStat(process.pid) !== undefined;
}

export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // `pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
  //  priority nice num_threads itrealvalue starttime …` — comm may contain spaces and parentheses.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const rest = text
    .slice(close + 2)
    .trim()
    .split(' ');
  const startTicks = Number(rest[19]);
  if (!rest[0] || !Number.isFinite(startTicks)) return undefined;
  return { pid, state: rest[0], ppid: Number(rest[1]), pgid: Number(rest[2]), startTicks };
}

/** Alive (not a zombie) and, when `startTicks` is given, still the same process. */
export function isRunning(pid: number, startTicks?: number): boolean {
  const stat = readStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X' || stat.state === 'x') return false;
  return startTicks === undefined || stat.startTicks === startTicks;
}

export function readCmdline(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (raw === '') return undefined; // kernel threads and zombies
    return raw.replace(/\0$/, '').split('\0');
  } catch {
    return undefined;
  }
}

/** The process's initial environment (readable for processes of the same user only). */
export function readEnviron(pid: number): Map<string, string> | undefined {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return undefined;
  }
  const env = new Map<string, string>();
  for (const entry of raw.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}

export function listPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .map(Number);
  } catch {
    return [];
  }
}

/** A running server process that carries the markers of one factory home. */
export interface MarkedProcess {
  pid: number;
  startTicks: number;
  pgid: number;
  deploymentId: number;
  bundle: string;
  /** From `--port N` on its command line. */
  port: number | undefined;
  configHash: string | undefined;
  /** Started through the sandbox (bwrap): the managed process is bwrap, whose process group holds the server. */
  sandboxed: boolean;
}

/**
 * Every live process that is a server of a deployment of `home` (see the module comment for the proof).
 * A sandboxed server is the bwrap process running the bundle (its first argument below `<home>/servers/`
 * ending in /dist/server.mjs); bwrap's own child inside the sandbox inherits its environment and is left out
 * (a marked process whose parent is marked for the same deployment), the payload carries no markers.
 */
export function findMarkedProcesses(home: string): MarkedProcess[] {
  const prefix = `${home}/servers/`;
  const found: Array<MarkedProcess & { ppid: number }> = [];
  for (const pid of listPids()) {
    if (pid === process.pid) continue;
    const cmd = readCmdline(pid);
    if (!cmd) continue;
    const sandboxed = /(?:^|\/)bwrap$/.test(cmd[0] ?? '');
    const bundle = sandboxed
      ? cmd.find((a) => a.startsWith(prefix) && a.endsWith('/dist/server.mjs'))
      : cmd[1];
    if (!bundle?.startsWith(prefix) || !bundle.endsWith('/dist/server.mjs')) continue;
    const env = readEnviron(pid);
    if (!env || env.get(MARKER_HOME) !== home) continue;
    const id = Number(env.get(MARKER_DEPLOYMENT));
    if (!Number.isInteger(id) || id <= 0) continue;
    const stat = readStat(pid);
    if (!stat || stat.state === 'Z' || stat.state === 'X') continue;
    const portArg = cmd.indexOf('--port');
    const port = portArg > 0 ? Number(cmd[portArg + 1]) : Number.NaN;
    found.push({
      pid,
      ppid: stat.ppid,
      startTicks: stat.startTicks,
      pgid: stat.pgid,
      deploymentId: id,
      bundle,
      port: Number.isInteger(port) ? port : undefined,
      configHash: env.get(MARKER_CONFIG),
      sandboxed,
    });
  }
  const byPid = new Map(found.map((p) => [p.pid, p] as const));
  return found
    .filter((p) => byPid.get(p.ppid)?.deploymentId !== p.deploymentId)
    .map(({ ppid: _ppid, ...p }) => p);
}

/** The registry's process id of a local deployment: `<pid>:<start ticks>`. */
export function formatProcessId(pid: number, startTicks: number): string {
  return `${pid}:${startTicks}`;
}

export function parseProcessId(
  text: string | null | undefined,
): { pid: number; startTicks?: number } | undefined {
  if (!text) return undefined;
  const m = /^(\d+)(?::(\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  return { pid: Number(m[1]), ...(m[2] !== undefined ? { startTicks: Number(m[2]) } : {}) };
}

function send(pid: number, signal: NodeJS.Signals, group: boolean): void {
  try {
    process.kill(group ? -pid : pid, signal);
  } catch {
    // gone already (ESRCH)
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Stop a process that is verifiably the one we mean: SIGTERM (to its process group when it leads one, so
 * helpers it started go too), then SIGKILL after `graceMs`. Never signals a pid whose start time changed.
 * Resolves with how it ended.
 */
export async function terminate(
  pid: number,
  startTicks: number,
  graceMs: number,
  options: { sandboxed?: boolean } = {},
): Promise<'not-running' | 'terminated' | 'killed'> {
  const stat = readStat(pid);
  if (!stat || stat.startTicks !== startTicks) return 'not-running';
  // A sandbox whose bwrap was killed alone leaves bwrap's inner process, in the group bwrap led: signal that
  // group (it holds only the sandbox), else the inner process — a PID namespace init — ignores SIGTERM.
  const orphanedSandbox = options.sandboxed === true && stat.pgid !== pid && !isRunning(stat.pgid);
  const group = stat.pgid === pid || orphanedSandbox;
  // A bwrap that died alone and is not reaped yet (a zombie keeps its pid and group) still names its sandbox:
  // stop the group's survivors (the namespace init and the payload) rather than leave them running.
  const zombieSandbox = () => options.sandboxed === true && stat.pgid === pid && groupAlive(pid);
  if (!isRunning(pid) && !zombieSandbox()) return 'not-running';
  const target = orphanedSandbox ? stat.pgid : pid;
  send(target, 'SIGTERM', group);
  // A stopped (SIGSTOP/SIGTSTP) process only acts on SIGTERM once continued — as systemd does, continue it.
  send(target, 'SIGCONT', group);
  // A sandbox's bwrap dies at once on SIGTERM while the server in its group shuts down: wait for the group.
  const alive = () => isRunning(pid, startTicks) || (group && groupAlive(target));
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(50);
    if (!alive()) return 'terminated';
  }
  if (alive()) send(target, 'SIGKILL', group);
  const killDeadline = Date.now() + 5000;
  while (Date.now() < killDeadline && alive()) await sleep(25);
  return 'killed';
}

/** Whether a live (not zombie) process is still in process group `pgid`. */
export function groupAlive(pgid: number): boolean {
  return listPids().some((p) => {
    const stat = readStat(p);
    return stat !== undefined && stat.pgid === pgid && stat.state !== 'Z' && stat.state !== 'X';
  });
}
