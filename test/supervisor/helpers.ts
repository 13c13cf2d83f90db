import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseSpecOrThrow, type ServerSpec } from '../../src/core/spec/index.js';
import { createControlPlane, type LocalControlPlane } from '../../src/deploy/index.js';
import {
  findMarkedProcesses,
  isRunning,
  parseProcessId,
  readCmdline,
  readStat,
  terminate,
} from '../../src/deploy/targets/local/proc.js';
import { homeLayout } from '../../src/platform/home.js';
import { ensureBuilt as buildEntry } from '../helpers/build.js';

/** The supervisor runs from dist/. */
export function ensureBuilt(): void {
  buildEntry('dist/surfaces/cli/supervisor-daemon.js');
}

export const ROOT = resolve(import.meta.dirname, '../..');
export const TEXT_TOOLS = join(ROOT, 'examples/text-tools.yaml');

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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

export function newHome(prefix: string, env: NodeJS.ProcessEnv, waitTimeoutMs = 60_000): TestHome {
  const home = mkdtempSync(join(tmpdir(), `mcpf-${prefix}-`));
  const cp = createControlPlane({ home, supervisorEnv: env, waitTimeoutMs });
  return {
    home: cp.layout.home,
    cp,
    cleanup: async () => {
      const recorded = await recordedProcessIds(cp).catch(() => []);
      await cp.close().catch(() => undefined);
      await killHome(cp.layout.home, recorded);
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

/** What the registry records of the home's local servers: `<pid>:<start ticks>`. */
export async function recordedProcessIds(cp: LocalControlPlane): Promise<string[]> {
  const registry = await cp.registry();
  return (await registry.listDeployments({ target: 'local' }))
    .map((d) => d.processId)
    .filter((id): id is string => id !== null);
}

/**
 * Kill the supervisor and every server of this home at once, by what the product records: the supervisor's pid
 * file, the registry's `<pid>:<start ticks>` (`recorded`) and the home's marked processes, each verified by its
 * start time and killed with its whole process group (terminate, no grace). A sandbox is three processes in one
 * group — bwrap, its namespace init and the payload —, so killing only the pid left the other two running.
 */
export async function killHome(home: string, recorded: readonly string[] = []): Promise<void> {
  const real = homeLayout(home).home;
  // First the supervisor, so that nothing new is started while the servers go.
  const sup = supervisorPid(real);
  if (sup) process.kill(sup, 'SIGKILL');
  const targets = new Map<number, { startTicks: number; sandboxed: boolean }>();
  for (const id of recorded) {
    const p = parseProcessId(id);
    // Never this test process (a forged record), whatever the registry says.
    if (p?.startTicks !== undefined && p.pid !== process.pid)
      targets.set(p.pid, { startTicks: p.startTicks, sandboxed: false });
  }
  for (const p of findMarkedProcesses(real)) {
    targets.set(p.pid, { startTicks: p.startTicks, sandboxed: p.sandboxed });
  }
  await Promise.all(
    [...targets].map(([pid, t]) => terminate(pid, t.startTicks, 0, { sandboxed: t.sandboxed })),
  );
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
