/**
 * Helpers for supervisor tests: real processes in a temporary MCP_FACTORY_HOME each, with fast supervisor
 * tuning, and a cleanup that kills every process a test started (the supervisor by its recorded pid, servers by
 * this home's markers) even when the test failed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createControlPlane, type LocalControlPlane } from '../../src/control/index.js';
import { parseSpecOrThrow, type ServerSpec } from '../../src/spec/index.js';
import { homeLayout } from '../../src/supervisor/layout.js';
import { findMarkedProcesses, isRunning, readCmdline, readStat } from '../../src/supervisor/proc.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const TEXT_TOOLS = join(ROOT, 'examples/text-tools.yaml');

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The supervisor runs from dist/: build it when missing or older than a source file (one build at a time). */
export function ensureBuilt(): void {
  const entry = join(ROOT, 'dist/cli/supervisor-daemon.js');
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
      ),
    );
  const fresh = () => existsSync(entry) && statSync(entry).mtimeMs >= newest(join(ROOT, 'src'));
  if (fresh()) return;
  const lock = join(ROOT, 'dist', '.build-lock');
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) rmSync(lock, { recursive: true, force: true });
      execFileSync('sleep', ['0.2']);
    }
  }
  try {
    if (fresh()) return;
    try {
      execFileSync(
        process.execPath,
        [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
        {
          cwd: ROOT,
          stdio: 'pipe',
        },
      );
    } catch {
      // Type errors elsewhere in the tree (work in progress) still emit JavaScript.
    }
    if (!existsSync(entry)) throw new Error(`${entry} was not built`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Supervisor tuning for tests: fast passes, short backoff, its own port range. */
export function fastEnv(portRange: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    MCP_FACTORY_PORT_RANGE: portRange,
    MCP_FACTORY_RECONCILE_INTERVAL_MS: '500',
    MCP_FACTORY_MONITOR_INTERVAL_MS: '200',
    MCP_FACTORY_HEALTH_INTERVAL_MS: '1000',
    MCP_FACTORY_BACKOFF_BASE_MS: '200',
    MCP_FACTORY_BACKOFF_MAX_MS: '2000',
    MCP_FACTORY_MAX_START_FAILURES: '3',
    MCP_FACTORY_STOP_GRACE_MS: '3000',
    MCP_FACTORY_START_TIMEOUT_MS: '20000',
    ...extra,
  };
}

export interface TestHome {
  home: string;
  cp: LocalControlPlane;
  cleanup(): Promise<void>;
}

export function newHome(prefix: string, env: NodeJS.ProcessEnv): TestHome {
  const home = mkdtempSync(join(tmpdir(), `mcpf-${prefix}-`));
  const cp = createControlPlane({ home, supervisorEnv: env, waitTimeoutMs: 60_000 });
  return {
    home: cp.layout.home,
    cp,
    cleanup: async () => {
      await cp.close().catch(() => undefined);
      killHome(cp.layout.home);
      rmSync(cp.layout.home, { recursive: true, force: true });
    },
  };
}

/** The supervisor of a home, by its pid file, verified through /proc (never a bare pid). */
export function supervisorPid(home: string): number | undefined {
  try {
    const info = JSON.parse(readFileSync(join(home, 'supervisor.pid'), 'utf8')) as {
      pid: number;
      startTicks: number;
    };
    if (!isRunning(info.pid, info.startTicks)) return undefined;
    const cmd = readCmdline(info.pid) ?? [];
    return cmd.some((a) => a.endsWith('supervisor-daemon.js')) && cmd.includes(home) ? info.pid : undefined;
  } catch {
    return undefined;
  }
}

/** SIGKILL the supervisor and every server process of this home (only processes carrying its markers). */
export function killHome(home: string): void {
  const real = homeLayout(home).home;
  const sup = supervisorPid(real);
  if (sup) process.kill(sup, 'SIGKILL');
  for (const p of findMarkedProcesses(real)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

export function markedPids(home: string, deploymentId?: number): number[] {
  return findMarkedProcesses(home)
    .filter((p) => deploymentId === undefined || p.deploymentId === deploymentId)
    .map((p) => p.pid)
    .sort((a, b) => a - b);
}

export async function waitUntil<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function textToolsSpec(name: string, extra: Partial<ServerSpec> = {}): ServerSpec {
  const spec = parseSpecOrThrow(readFileSync(TEXT_TOOLS, 'utf8'), { file: TEXT_TOOLS });
  return { ...spec, ...extra, name };
}

/** Create (fast: no type-check, no generated tests) and register a text-tools server named `name`. */
export async function createText(
  cp: LocalControlPlane,
  name: string,
  extra: Partial<ServerSpec> = {},
  force = false,
) {
  return cp.create({
    spec: textToolsSpec(name, extra),
    specDir: dirname(TEXT_TOOLS),
    runTests: false,
    typecheck: false,
    force,
    actor: 'test',
  });
}

export function pidOf(processId: string | null): number {
  const pid = Number(processId?.split(':')[0]);
  if (!Number.isInteger(pid)) throw new Error(`no pid in ${processId}`);
  return pid;
}

export function startTicks(pid: number): number | undefined {
  return readStat(pid)?.startTicks;
}
