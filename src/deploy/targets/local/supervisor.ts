/**
 * The supervisor of local deployments: one long-running process per factory home that makes the registry's
 * desired state true on this machine and reports what actually runs.
 *
 * This file is its lifecycle: the single-instance lock (the control channel's address), the registry, the
 * reconcile loop (a pass every `reconcileIntervalMs`, and at once when nudged over the control channel or when a
 * server exits or changes health) and shutdown. The parts: reconcile.ts (one pass: adopt, start, replace, stop),
 * processes.ts (spawn, adopt, terminate), health-monitor.ts (MCP probes), restarts.ts (crash and failed-start
 * policy), state.ts (what they share).
 *
 * Servers survive the supervisor (detached, logging to their files) and are adopted by the next one.
 * A library: prints nothing and never exits; its own log lines go to `options.log`.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { FactoryError } from '../../../core/errors/index.js';
import { type HomeLayout, homeLayout } from '../../../platform/home.js';
import { openRegistry, type Registry } from '../../../store/index.js';
import { clusterSettings, NodeMembership } from '../../cluster.js';
import { importTriggerHistory, triggerStateDir } from '../../trigger-history.js';
import { type ChannelRequest, ensureToken, listenChannel } from './channel.js';
import { type SupervisorConfig, supervisorConfig } from './config.js';
import { HealthMonitor } from './health-monitor.js';
import { findMarkedProcesses, procAvailable, readStat } from './proc.js';
import { Processes } from './processes.js';
import { Reconciler } from './reconcile.js';
import {
  type DeploymentRuntime,
  SUPERVISOR_ACTOR,
  type SupervisorContext,
  type SupervisorInfo,
} from './state.js';

export { type DeploymentRuntime, SUPERVISOR_ACTOR, type SupervisorInfo };

export interface SupervisorOptions {
  home: string;
  /** PostgreSQL or sqlite: URL of the registry (default: registry.db in the home). */
  registryUrl?: string | undefined;
  /** An open registry to use instead (not closed by the supervisor). */
  registry?: Registry | undefined;
  /** Environment the tuning variables and the servers' inherited variables come from (default process.env). */
  env?: NodeJS.ProcessEnv | undefined;
  config?: Partial<SupervisorConfig> | undefined;
  /** The supervisor's own log, one JSON line per call (default: dropped). */
  log?: ((line: string) => void) | undefined;
}

/** This home's node of a factory cluster, when MCP_FACTORY_NODE names one. */
function membershipOf(env: NodeJS.ProcessEnv, layout: HomeLayout): NodeMembership | undefined {
  const settings = clusterSettings(env);
  return settings ? new NodeMembership(settings, layout) : undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How often the supervisor imports its servers' trigger history into the registry. */
const TRIGGER_IMPORT_INTERVAL_MS = 10_000;

export class Supervisor {
  readonly layout: HomeLayout;
  readonly config: SupervisorConfig;
  readonly #options: SupervisorOptions;
  readonly #env: NodeJS.ProcessEnv;
  #registry!: Registry;
  /** The registry was closed to follow a replaced file, and opening the new one failed: retried each pass. */
  #reopenPending = false;
  #ownsRegistry = false;
  #server: Server | undefined;
  readonly #monitor: HealthMonitor;
  readonly #processes: Processes;
  readonly #reconciler: Reconciler;
  #closing = false;
  #wakeRequested = false;
  #wakeResolve: (() => void) | undefined;
  #lastTriggerImport = 0;
  #passesStarted = 0;
  #passesCompleted = 0;
  #passWaiters: Array<{ target: number; resolve: () => void }> = [];
  #adoptedWatch: NodeJS.Timeout | undefined;
  #loopDone: Promise<void> = Promise.resolve();
  #startedAt = new Date().toISOString();
  #stopped: Promise<void> | undefined;
  readonly #done: Promise<void>;
  #resolveDone!: () => void;

  private constructor(options: SupervisorOptions, layout: HomeLayout) {
    this.#options = options;
    this.#env = options.env ?? process.env;
    this.layout = layout;
    this.config = supervisorConfig(this.#env, options.config);
    const context: SupervisorContext = {
      layout,
      config: this.config,
      env: this.#env,
      registry: () => this.#registry,
      closing: () => this.#closing,
      wake: () => this.#wake(),
      wakeAt: (at) => this.#wakeAt(at),
      log: (msg, fields) => this.#log(msg, fields),
      node: membershipOf(this.#env, layout),
    };
    this.#monitor = new HealthMonitor(context);
    this.#processes = new Processes(context, this.#monitor);
    this.#reconciler = new Reconciler(context, this.#processes);
    this.#done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
  }

  /**
   * Start supervising `home`. Rejects with SUPERVISOR_RUNNING when another supervisor holds the home (the
   * control address is the single-instance lock), SUPERVISOR_UNAVAILABLE without Linux /proc.
   */
  static async start(options: SupervisorOptions): Promise<Supervisor> {
    if (!procAvailable()) {
      throw new FactoryError(
        'SUPERVISOR_UNAVAILABLE',
        'the local target supervisor needs Linux /proc to verify and adopt server processes',
      );
    }
    const layout = homeLayout(options.home);
    const supervisor = new Supervisor(options, layout);
    const token = ensureToken(layout.tokenFile);
    supervisor.#server = await listenChannel(layout.socketAddress, token, (request) =>
      supervisor.#handle(request),
    );
    try {
      if (options.registry) supervisor.#registry = options.registry;
      else {
        supervisor.#registry = await openRegistry({ home: layout.home, url: options.registryUrl });
        supervisor.#ownsRegistry = true;
      }
      supervisor.#writePidFile();
    } catch (error) {
      await new Promise<void>((resolve) => supervisor.#server!.close(() => resolve()));
      if (supervisor.#ownsRegistry) await supervisor.#registry.close().catch(() => undefined);
      throw error;
    }
    supervisor.#log('supervisor started', {
      pid: process.pid,
      home: layout.home,
      registry: supervisor.#registry.info().location,
    });
    supervisor.#adoptedWatch = setInterval(
      () => supervisor.#monitor.watchAdopted(supervisor.#reconciler.slots.values()),
      supervisor.config.monitorIntervalMs,
    );
    supervisor.#loopDone = supervisor.#loop();
    return supervisor;
  }

  /** Resolves when the supervisor has stopped (by stop() or a `shutdown` request). */
  get done(): Promise<void> {
    return this.#done;
  }

  info(): SupervisorInfo {
    return {
      pid: process.pid,
      startTicks: readStat(process.pid)?.startTicks ?? 0,
      home: this.layout.home,
      startedAt: this.#startedAt,
      registry: this.#registry.info().location,
      deployments: this.#reconciler.deploymentCount,
    };
  }

  /** Run one reconciliation pass that starts after this call, and wait for it. */
  reconcileNow(): Promise<void> {
    if (this.#closing) return Promise.resolve();
    const target = this.#passesStarted + 1;
    return new Promise((resolve) => {
      this.#passWaiters.push({ target, resolve });
      this.#wake();
    });
  }

  runtime(): DeploymentRuntime[] {
    return [...this.#reconciler.slots.values()].map((slot) => {
      const inst = slot.instance;
      return {
        id: slot.id,
        server: slot.name,
        pid: inst?.pid ?? null,
        port: inst?.port ?? null,
        adopted: inst?.adopted ?? false,
        uptimeMs: inst ? Date.now() - inst.spawnedAt : null,
        restarts: slot.restarts,
        startFailures: slot.startFailures,
        failed: slot.failed,
        sandbox: inst?.sandbox ?? null,
        health: inst
          ? inst.tracker.report()
          : {
              health: 'unknown',
              checkedAt: new Date().toISOString(),
              detail: slot.failed ? 'failed: not restarted' : 'no process',
            },
      };
    });
  }

  /**
   * Stop supervising. Servers keep running (detached, logging to their files) and are adopted by the next
   * supervisor — unless `stopServers`, which stops them first (their desired state is not changed).
   */
  stop(options: { stopServers?: boolean } = {}): Promise<void> {
    this.#stopped ??= this.#shutdown(options.stopServers ?? false);
    return this.#stopped;
  }

  async #shutdown(stopServers: boolean): Promise<void> {
    this.#closing = true;
    this.#wake();
    if (this.#adoptedWatch) clearInterval(this.#adoptedWatch);
    await this.#loopDone.catch(() => undefined);
    const slots = this.#reconciler.slots;
    for (const slot of slots.values()) if (slot.instance?.timer) clearTimeout(slot.instance.timer);
    if (stopServers) {
      const reason = 'supervisor shutdown --stop-servers';
      for (const slot of slots.values()) {
        if (slot.instance) this.#processes.stopInstance(slot, slot.instance, reason);
      }
      // And every other server process of this home, which the last pass may not have stopped yet: a sandbox
      // whose bwrap died alone (its instance counts as exited), a duplicate, an orphan.
      for (const p of findMarkedProcesses(this.layout.home)) {
        const slot = slots.get(p.deploymentId);
        if (slot) this.#processes.stopMarked(slot, p, reason);
        else this.#processes.stopOrphan(p);
      }
    }
    await Promise.all(this.#processes.pending(slots.values()));
    for (const waiter of this.#passWaiters) waiter.resolve();
    this.#passWaiters = [];
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    try {
      const recorded = JSON.parse(readFileSync(this.layout.pidFile, 'utf8')) as { pid?: number };
      if (recorded.pid === process.pid) rmSync(this.layout.pidFile, { force: true });
    } catch {
      // no pid file
    }
    if (this.#ownsRegistry) await this.#registry.close().catch(() => undefined);
    this.#log('supervisor stopped', { stopServers });
    this.#resolveDone();
  }

  // ---- plumbing

  #log(msg: string, fields: Record<string, unknown> = {}): void {
    this.#options.log?.(JSON.stringify({ time: new Date().toISOString(), level: 'info', msg, ...fields }));
  }

  #writePidFile(): void {
    const info = this.info();
    writeFileSync(this.layout.pidFile, `${JSON.stringify(info)}\n`, { mode: 0o600 });
  }

  async #handle(request: ChannelRequest): Promise<unknown> {
    switch (request.op) {
      case 'ping':
        return this.info();
      case 'reconcile':
        await this.reconcileNow();
        return { passes: this.#passesCompleted };
      case 'health':
        return this.runtime();
      case 'shutdown':
        setImmediate(() => void this.stop({ stopServers: request.stopServers ?? false }));
        return { stopping: true };
      default:
        throw new Error(`unknown request ${JSON.stringify((request as { op?: unknown }).op)}`);
    }
  }

  #wake(): void {
    this.#wakeRequested = true;
    this.#wakeResolve?.();
  }

  #wakeAt(at: number): void {
    const timer = setTimeout(() => this.#wake(), Math.max(0, at - Date.now()) + 5);
    timer.unref();
  }

  async #loop(): Promise<void> {
    while (!this.#closing) {
      this.#wakeRequested = false;
      const t0 = Date.now();
      await this.#pass();
      if (this.#closing) break;
      if (!this.#wakeRequested) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.config.reconcileIntervalMs);
          this.#wakeResolve = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wakeResolve = undefined;
      }
      // Never spin: events during a pass lead to another pass, but not more than one per 50 ms.
      const spent = Date.now() - t0;
      if (spent < 50) await sleep(50 - spent);
    }
  }

  /**
   * registry.db was replaced under this supervisor (e.g. a backup moved into place): open the new file, which is
   * what every other process now uses. A deleted one is not followed: no registry is created here, and the CLI
   * refuses to create one while this process holds the deleted file (REGISTRY_HELD), until it is restored.
   */
  async #followReplacedRegistry(error: unknown): Promise<void> {
    const replaced = error instanceof FactoryError && error.code === 'REGISTRY_REPLACED';
    if (!(replaced || this.#reopenPending) || !this.#ownsRegistry) return;
    const old = this.#registry;
    if (!existsSync(old.info().location)) return;
    // Close first: SQLite names the WAL after the path, so the old connection's WAL must be gone (checkpointed
    // into the old file) before the new file is opened beside it.
    await old.close().catch(() => undefined);
    try {
      this.#registry = await openRegistry({ home: this.layout.home, url: this.#options.registryUrl });
    } catch (reopenError) {
      // Every pass now fails on the closed registry (not REGISTRY_REPLACED): #reopenPending retries there.
      this.#log('reopening the replaced registry failed', { error: (reopenError as Error).message });
      this.#reopenPending = true;
      return;
    }
    this.#reopenPending = false;
    this.#writePidFile();
    this.#log('registry file was replaced: reopened it', { registry: this.#registry.info().location });
    this.#wake();
  }

  /**
   * Bring the trigger history of the servers this supervisor runs into the registry, at most every
   * TRIGGER_IMPORT_INTERVAL_MS (readers of the history import on demand as well), so a history file that
   * rotates between two reads loses nothing. A failure is logged: the history waits for the next import.
   */
  async #importTriggerHistories(): Promise<void> {
    if (Date.now() - this.#lastTriggerImport < TRIGGER_IMPORT_INTERVAL_MS) return;
    this.#lastTriggerImport = Date.now();
    const servers = new Set(
      [...this.#reconciler.slots.values()].filter((s) => s.instance).map((s) => s.name),
    );
    for (const server of servers) {
      try {
        await importTriggerHistory(this.#registry.triggers, server, triggerStateDir(this.layout, server));
      } catch (error) {
        this.#log('importing trigger history failed', { server, error: (error as Error).message });
      }
    }
  }

  async #pass(): Promise<void> {
    this.#passesStarted++;
    try {
      await this.#reconciler.pass();
      await this.#importTriggerHistories();
    } catch (error) {
      this.#log('reconciliation pass failed', { error: (error as Error).message });
      await this.#followReplacedRegistry(error);
    } finally {
      this.#passesCompleted++;
      const done = this.#passWaiters.filter((w) => w.target <= this.#passesCompleted);
      this.#passWaiters = this.#passWaiters.filter((w) => w.target > this.#passesCompleted);
      for (const w of done) w.resolve();
    }
  }
}
