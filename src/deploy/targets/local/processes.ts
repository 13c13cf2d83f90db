/**
 * Server processes of the local target: spawn one for a deployment, adopt a live one left by a previous
 * supervisor, and stop them (SIGTERM, SIGKILL after `stopGraceMs`; see proc.ts terminate).
 *
 * Servers are spawned detached (own session and process group) with stdout/stderr on O_APPEND descriptors of
 * their log file, so they survive the supervisor; their environment carries this home's markers (proc.ts) so
 * a later supervisor can find and verify them. Spawned and adopted servers are handed to the health monitor.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { DeploymentRecord } from '../../../store/index.js';
import { HealthTracker } from '../../health.js';
import type { HealthMonitor } from './health-monitor.js';
import { startLogWriter } from './log-writer.js';
import { appendSupervisorLine, rotateIfNeeded } from './logs.js';
import { type MarkedProcess, readStat, terminate } from './proc.js';
import { type Launch, prepareLaunchSync } from './sandbox-launch.js';
import type { Expected, Instance, Slot, SupervisorContext } from './state.js';

/** Samples a server's health tracker keeps. */
const HEALTH_WINDOW = 5;

export class Processes {
  readonly #ctx: SupervisorContext;
  readonly #monitor: HealthMonitor;
  /** Marked processes of deployments the registry does not know, being terminated (pid → completion). */
  readonly #orphans = new Map<number, Promise<void>>();

  constructor(ctx: SupervisorContext, monitor: HealthMonitor) {
    this.#ctx = ctx;
    this.#monitor = monitor;
  }

  /** Completion of every stop in progress (orphans included). */
  pending(slots: Iterable<Slot>): Promise<void>[] {
    return [...slots].flatMap((s) => [...s.stopping.values()]).concat([...this.#orphans.values()]);
  }

  #newInstance(fields: {
    pid: number;
    startTicks: number;
    expected: Expected;
    child: ChildProcess | undefined;
    adopted: boolean;
    everHealthy: boolean;
    configHash: string;
    sandbox: 'bwrap' | 'none';
  }): Instance {
    return {
      pid: fields.pid,
      startTicks: fields.startTicks,
      port: fields.expected.port,
      endpoint: fields.expected.endpoint,
      bundle: fields.expected.bundle,
      configHash: fields.configHash,
      headers: fields.expected.headers,
      expect: fields.expected.expect,
      child: fields.child,
      sandbox: fields.sandbox,
      adopted: fields.adopted,
      spawnedAt: Date.now(),
      exited: false,
      exitText: undefined,
      healthy: false,
      everHealthy: fields.everHealthy,
      tracker: new HealthTracker(HEALTH_WINDOW, this.#ctx.config.slowMs),
      stopReason: undefined,
      killReason: undefined,
      timer: undefined,
      lastHealth: undefined,
    };
  }

  /** Start the deployment's server (throws when it cannot be spawned); it becomes the slot's instance. */
  spawn(slot: Slot, d: DeploymentRecord, expected: Expected, prepared?: Launch): Instance {
    const { config, layout } = this.#ctx;
    // In the sandbox (sandbox-launch.ts); without a prepared launch the server listens itself (host network).
    const launch = prepared ?? prepareLaunchSync(layout, d.id, d.server, expected);
    const logFile = layout.logFile(d.server);
    try {
      rotateIfNeeded(logFile, config.logMaxBytes, config.logKeep);
    } catch {
      // no log yet
    }
    appendSupervisorLine(logFile, 'starting server', {
      deployment: d.id,
      revision: d.revision,
      port: expected.port,
      attempt: slot.startFailures + 1,
      sandbox: launch.sandbox,
      ...(launch.network ? { network: launch.network } : {}),
    });
    // Output goes through a size-capped log writer (log-writer.ts): the cap holds as bytes are written.
    const log = startLogWriter(logFile, { maxBytes: config.logMaxBytes, keep: config.logKeep });
    let child: ChildProcess;
    try {
      child = spawn(launch.file, launch.args, {
        cwd: expected.projectDir,
        detached: true,
        stdio: ['ignore', log.writer.stdin ?? 'ignore', log.writer.stdin ?? 'ignore', ...launch.fds],
        env: expected.env,
      });
    } finally {
      log.release();
      launch.release();
    }
    const pid = child.pid;
    if (pid === undefined) {
      child.on('error', () => undefined);
      throw new Error(`${expected.bundle} did not start`);
    }
    const inst = this.#newInstance({
      pid,
      startTicks: readStat(pid)?.startTicks ?? 0,
      expected,
      child,
      adopted: false,
      everHealthy: false,
      configHash: expected.configHash,
      sandbox: launch.sandbox,
    });
    child.on('error', () => undefined);
    child.once('exit', (code, signal) => {
      inst.exited = true;
      inst.exitText = signal ? `killed by ${signal}` : `exited with code ${code}`;
      if (inst.timer) clearTimeout(inst.timer);
      this.#ctx.wake();
    });
    child.unref();
    slot.instance = inst;
    this.#ctx.log('started server', {
      server: d.server,
      deployment: d.id,
      pid,
      port: expected.port,
      sandbox: launch.sandbox,
    });
    this.#monitor.schedule(slot, inst, config.startPollMs);
    return inst;
  }

  /** Take over a live process that provably is this deployment's server. */
  adopt(slot: Slot, d: DeploymentRecord, p: MarkedProcess, expected: Expected): void {
    const inst = this.#newInstance({
      pid: p.pid,
      startTicks: p.startTicks,
      expected: { ...expected, port: p.port ?? expected.port },
      child: undefined,
      adopted: true,
      everHealthy: d.status === 'running',
      configHash: p.configHash ?? '',
      sandbox: p.sandboxed ? 'bwrap' : 'none',
    });
    slot.instance = inst;
    appendSupervisorLine(this.#ctx.layout.logFile(d.server), 'adopted running server', {
      deployment: d.id,
      pid: p.pid,
    });
    this.#ctx.log('adopted server', { server: d.server, deployment: d.id, pid: p.pid, port: inst.port });
    this.#monitor.schedule(slot, inst, 0);
  }

  /** Stop the slot's instance on purpose: its exit is not a crash. */
  stopInstance(slot: Slot, inst: Instance, reason: string): void {
    if (inst.stopReason) return;
    inst.stopReason = reason;
    if (inst.timer) clearTimeout(inst.timer);
    if (slot.instance === inst) slot.instance = undefined;
    if (inst.exited) return;
    this.#terminateInto(slot, inst.pid, inst.startTicks, reason, inst.sandbox === 'bwrap');
  }

  /** Stop a process carrying this deployment's marker that the slot does not manage. */
  stopMarked(slot: Slot, p: MarkedProcess, reason: string): void {
    if (slot.stopping.has(p.pid)) return;
    this.#terminateInto(slot, p.pid, p.startTicks, reason, p.sandboxed);
  }

  #terminateInto(slot: Slot, pid: number, startTicks: number, reason: string, sandboxed: boolean): void {
    const logFile = this.#ctx.layout.logFile(slot.name);
    appendSupervisorLine(logFile, 'stopping server', { pid, reason });
    this.#ctx.log('stopping server', { server: slot.name, deployment: slot.id, pid, reason });
    const done = terminate(pid, startTicks, this.#ctx.config.stopGraceMs, { sandboxed })
      .then((outcome) => appendSupervisorLine(logFile, 'server stopped', { pid, outcome }))
      .catch(() => undefined)
      .finally(() => {
        slot.stopping.delete(pid);
        this.#ctx.wake();
      });
    slot.stopping.set(pid, done);
  }

  /** Terminate a process carrying this home's marker for a deployment the registry does not know. */
  stopOrphan(p: MarkedProcess): void {
    if (this.#orphans.has(p.pid)) return;
    this.#ctx.log('terminating orphan server', { pid: p.pid, deployment: p.deploymentId, bundle: p.bundle });
    const done = terminate(p.pid, p.startTicks, this.#ctx.config.stopGraceMs, { sandboxed: p.sandboxed })
      .catch(() => undefined)
      .then(() => {
        this.#orphans.delete(p.pid);
      });
    this.#orphans.set(p.pid, done);
  }
}
