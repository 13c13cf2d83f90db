/**
 * The supervisor of local deployments: one long-running process per factory home that makes the registry's
 * desired state true on this machine and reports what actually runs.
 *
 * Reconciliation (every `reconcileIntervalMs`, and at once when nudged over the control channel or when a
 * server exits): read the local deployments and scan /proc for processes carrying this home's markers, then
 * for each deployment
 * - desired `stopped` (or server removed): stop its process and any other process carrying its marker
 *   (SIGTERM, SIGKILL after `stopGraceMs`), then record `stopped`;
 * - desired `running`: keep the process we manage; else ADOPT a live process that provably is this
 *   deployment's server (see proc.ts: start time, bundle path, markers) — preferring the pid recorded in the
 *   registry — and terminate every other one, so there are never two processes for one deployment; else
 *   start one (after the restart backoff). A process started with another bundle, port or environment than the
 *   deployment now wants is replaced.
 * Processes carrying this home's marker for a deployment the registry does not know (orphans) are terminated.
 *
 * Crashes: an exit the supervisor did not ask for is a crash. Before the server first answered MCP it is a
 * failed start; `maxStartFailures` in a row mark the deployment `failed` and it is not restarted until a
 * management action (start, deploy) sets it `pending` again. After it answered, it is restarted with
 * exponential backoff (the counter resets once it stayed up `stableAfterMs`).
 *
 * Servers are spawned detached (own session and process group) with stdout/stderr on O_APPEND descriptors of
 * their log file, so they survive the supervisor; adopted processes (not our children) are watched by polling.
 * Every registry write of a status is a compare-and-set against the status this pass read, so a management
 * action that happened meanwhile (a new `pending`) is never overwritten by a stale observation.
 *
 * A library: prints nothing and never exits; its own log lines go to `options.log`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { FactoryError } from '../../../core/errors/index.js';
import type { ServerSpec } from '../../../core/spec/model.js';
import { type HomeLayout, homeLayout, homeSeed } from '../../../platform/home.js';
import { authHeaders, HealthTracker, probeMcp } from '../../../platform/mcp-client/health.js';
import { inheritedEnv, readEnvFile } from '../../../platform/secrets.js';
import {
  type DeploymentPatch,
  type DeploymentRecord,
  openRegistry,
  type Registry,
  type ServerRecord,
  type ServerStatus,
} from '../../../store/index.js';
import type { HealthReport } from '../../types.js';
import { type ChannelRequest, ensureToken, listenChannel } from './channel.js';
import { backoffMs, type SupervisorConfig, supervisorConfig } from './config.js';
import { appendSupervisorLine, openLogForChild, rotateIfNeeded } from './logs.js';
import { choosePort, portIsFree } from './ports.js';
import {
  findMarkedProcesses,
  formatProcessId,
  isRunning,
  MARKER_CONFIG,
  MARKER_DEPLOYMENT,
  MARKER_HOME,
  type MarkedProcess,
  parseProcessId,
  procAvailable,
  readStat,
  terminate,
} from './proc.js';

export const SUPERVISOR_ACTOR = 'supervisor';

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

/** What `mcp-factory supervisor status` shows; also written to `<home>/supervisor.pid`. */
export interface SupervisorInfo {
  pid: number;
  startTicks: number;
  home: string;
  startedAt: string;
  registry: string;
  deployments: number;
}

/** Live view of one deployment, from the `health` channel request. */
export interface DeploymentRuntime {
  id: number;
  server: string;
  pid: number | null;
  port: number | null;
  adopted: boolean;
  uptimeMs: number | null;
  restarts: number;
  startFailures: number;
  failed: boolean;
  health: HealthReport;
}

interface Instance {
  pid: number;
  startTicks: number;
  port: number;
  endpoint: string;
  bundle: string;
  configHash: string;
  headers: Record<string, string>;
  child: ChildProcess | undefined;
  adopted: boolean;
  spawnedAt: number;
  exited: boolean;
  exitText: string | undefined;
  /** Answered MCP at least once since spawn/adoption. */
  healthy: boolean;
  /** Known to have served before (adopted from a `running` deployment, or healthy once). */
  everHealthy: boolean;
  tracker: HealthTracker;
  /** Set when the supervisor asked it to stop: its exit is not a crash. */
  stopReason: string | undefined;
  /** Set when the supervisor killed it as unhealthy or not starting: its exit IS a crash, with this reason. */
  killReason: string | undefined;
  timer: NodeJS.Timeout | undefined;
  lastHealth: string | undefined;
}

interface Slot {
  id: number;
  name: string;
  instance: Instance | undefined;
  /** Processes of this deployment being stopped (pid → completion). */
  stopping: Map<number, Promise<void>>;
  startFailures: number;
  crashes: number;
  restarts: number;
  nextStartAt: number;
  failed: boolean;
  /** `updatedAt` of the `pending` request already taken into account. */
  pendingSeen: string | undefined;
}

interface Expected {
  revision: number;
  bundle: string;
  projectDir: string;
  port: number;
  endpoint: string;
  env: Record<string, string>;
  configHash: string;
  headers: Record<string, string>;
}

interface VersionInfo {
  artifactHash: string;
  spec: Pick<ServerSpec, 'auth'> & { http?: { path?: string } };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Supervisor {
  readonly layout: HomeLayout;
  readonly config: SupervisorConfig;
  readonly #options: SupervisorOptions;
  readonly #env: NodeJS.ProcessEnv;
  #registry!: Registry;
  #ownsRegistry = false;
  #server: Server | undefined;
  readonly #slots = new Map<number, Slot>();
  readonly #orphans = new Map<number, Promise<void>>();
  readonly #versions = new Map<string, VersionInfo>();
  #closing = false;
  #wakeRequested = false;
  #wakeResolve: (() => void) | undefined;
  #passesStarted = 0;
  #passesCompleted = 0;
  #passWaiters: Array<{ target: number; resolve: () => void }> = [];
  #monitor: NodeJS.Timeout | undefined;
  #loopDone: Promise<void> = Promise.resolve();
  #startedAt = new Date().toISOString();
  #deploymentCount = 0;
  #stopped: Promise<void> | undefined;
  readonly #done: Promise<void>;
  #resolveDone!: () => void;

  private constructor(options: SupervisorOptions, layout: HomeLayout) {
    this.#options = options;
    this.#env = options.env ?? process.env;
    this.layout = layout;
    this.config = supervisorConfig(this.#env, options.config);
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
    supervisor.#monitor = setInterval(() => supervisor.#watchAdopted(), supervisor.config.monitorIntervalMs);
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
      deployments: this.#deploymentCount,
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
    return [...this.#slots.values()].map((slot) => {
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
    if (this.#monitor) clearInterval(this.#monitor);
    await this.#loopDone.catch(() => undefined);
    for (const slot of this.#slots.values()) if (slot.instance?.timer) clearTimeout(slot.instance.timer);
    if (stopServers) {
      for (const slot of this.#slots.values()) {
        if (slot.instance) this.#stopInstance(slot, slot.instance, 'supervisor shutdown --stop-servers');
      }
    }
    await Promise.all(
      [...this.#slots.values()].flatMap((s) => [...s.stopping.values()]).concat([...this.#orphans.values()]),
    );
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

  async #pass(): Promise<void> {
    this.#passesStarted++;
    try {
      const deployments = await this.#registry.listDeployments({ target: 'local' });
      this.#deploymentCount = deployments.length;
      const servers = new Map(
        (await this.#registry.listServers({ includeRemoved: true })).map((s) => [s.name, s] as const),
      );
      const marked = findMarkedProcesses(this.layout.home);
      const known = new Set(deployments.map((d) => d.id));
      for (const p of marked) {
        if (!known.has(p.deploymentId)) this.#stopOrphan(p);
      }
      for (const [id, slot] of this.#slots) {
        if (known.has(id)) continue;
        if (slot.instance)
          this.#stopInstance(slot, slot.instance, 'the deployment was deleted from the registry');
        if (slot.stopping.size === 0) this.#slots.delete(id);
      }
      const taken = new Set(deployments.flatMap((d) => (d.port === null ? [] : [d.port])));
      for (const d of deployments) {
        if (this.#closing) break;
        try {
          await this.#reconcile(
            d,
            servers,
            marked.filter((p) => p.deploymentId === d.id),
            taken,
          );
        } catch (error) {
          this.#log('reconciling a deployment failed', {
            deployment: d.id,
            server: d.server,
            error: (error as Error).message,
          });
        }
      }
      for (const slot of this.#slots.values()) {
        try {
          rotateIfNeeded(this.layout.logFile(slot.name), this.config.logMaxBytes, this.config.logKeep);
        } catch {
          // a missing file is fine
        }
      }
      try {
        rotateIfNeeded(this.layout.supervisorLog, this.config.logMaxBytes, this.config.logKeep);
      } catch {
        // idem
      }
    } catch (error) {
      this.#log('reconciliation pass failed', { error: (error as Error).message });
    } finally {
      this.#passesCompleted++;
      const done = this.#passWaiters.filter((w) => w.target <= this.#passesCompleted);
      this.#passWaiters = this.#passWaiters.filter((w) => w.target > this.#passesCompleted);
      for (const w of done) w.resolve();
    }
  }

  #slotFor(d: DeploymentRecord): Slot {
    let slot = this.#slots.get(d.id);
    if (!slot) {
      slot = {
        id: d.id,
        name: d.server,
        instance: undefined,
        stopping: new Map(),
        startFailures: 0,
        crashes: 0,
        restarts: 0,
        nextStartAt: 0,
        failed: false,
        pendingSeen: undefined,
      };
      this.#slots.set(d.id, slot);
    }
    return slot;
  }

  async #versionInfo(name: string, revision: number): Promise<VersionInfo> {
    const key = `${name}@${revision}`;
    let info = this.#versions.get(key);
    if (!info) {
      const v = await this.#registry.getVersion(name, revision);
      info = { artifactHash: v.artifactHash, spec: (v.spec ?? {}) as VersionInfo['spec'] };
      this.#versions.set(key, info);
    }
    return info;
  }

  async #serverStatus(
    servers: Map<string, ServerRecord>,
    name: string,
    status: Exclude<ServerStatus, 'removed'>,
    error?: string | null,
  ): Promise<void> {
    const server = servers.get(name);
    if (!server || server.status === 'removed' || server.status === status) return;
    try {
      const updated = await this.#registry.setStatus(name, status, {
        actor: SUPERVISOR_ACTOR,
        error: error ?? null,
        expect: [server.status],
      });
      servers.set(name, updated);
    } catch (e) {
      if ((e as FactoryError).code !== 'REGISTRY_CONFLICT') throw e;
    }
  }

  async #reconcile(
    initial: DeploymentRecord,
    servers: Map<string, ServerRecord>,
    marked: MarkedProcess[],
    taken: Set<number>,
  ): Promise<void> {
    const d = await this.#reconcileDeployment(initial, servers, marked, taken);
    // The server's status summarises its local deployment; derived again on every pass, so it converges even
    // when a write lost a race with a management action.
    const status: Exclude<ServerStatus, 'removed'> =
      d.status === 'running'
        ? 'running'
        : d.status === 'failed'
          ? 'failed'
          : d.status === 'stopped'
            ? 'stopped'
            : 'deploying';
    await this.#serverStatus(servers, d.server, status, status === 'failed' ? d.lastError : null);
  }

  async #reconcileDeployment(
    initial: DeploymentRecord,
    servers: Map<string, ServerRecord>,
    marked: MarkedProcess[],
    taken: Set<number>,
  ): Promise<DeploymentRecord> {
    let d = initial;
    const slot = this.#slotFor(d);
    const server = servers.get(d.server);
    /** Compare-and-set against the status this pass saw; false when a management action intervened. */
    const write = async (patch: DeploymentPatch): Promise<boolean> => {
      try {
        d = await this.#registry.updateDeployment(d.id, patch, { expectStatus: [d.status] });
        return true;
      } catch (error) {
        if ((error as FactoryError).code === 'REGISTRY_CONFLICT') {
          this.#wake();
          return false;
        }
        throw error;
      }
    };

    const wantRunning = d.desired === 'running' && server !== undefined && server.status !== 'removed';
    const exited = slot.instance?.exited ? slot.instance : undefined;
    if (exited) {
      slot.instance = undefined;
      if (exited.timer) clearTimeout(exited.timer);
      if (!exited.stopReason && wantRunning) await this.#crashed(slot, exited, write);
    }

    if (!wantRunning) {
      if (slot.instance) this.#stopInstance(slot, slot.instance, 'desired state is stopped');
      for (const p of marked)
        if (!slot.stopping.has(p.pid)) this.#stopMarked(slot, p, 'desired state is stopped');
      slot.failed = false;
      slot.startFailures = 0;
      slot.crashes = 0;
      slot.nextStartAt = 0;
      if (slot.stopping.size > 0) {
        if (d.status !== 'stopping' && d.status !== 'stopped') await write({ status: 'stopping' });
      } else if (d.status !== 'stopped' || d.processId !== null) {
        await write({ status: 'stopped', processId: null });
      }
      return d;
    }

    if (d.status === 'pending' && slot.pendingSeen !== d.updatedAt) {
      // A management action (deploy/start) asks for a fresh attempt.
      slot.pendingSeen = d.updatedAt;
      slot.failed = false;
      slot.startFailures = 0;
      slot.crashes = 0;
      slot.nextStartAt = 0;
    }
    if (d.status === 'failed') slot.failed = true;
    const strays = marked.filter((p) => p.pid !== slot.instance?.pid && !slot.stopping.has(p.pid));
    if (slot.failed) {
      if (slot.instance) this.#stopInstance(slot, slot.instance, 'deployment is failed');
      for (const p of strays) this.#stopMarked(slot, p, 'deployment is failed');
      return d;
    }

    const expected = await this.#expected(d, marked, taken, write);
    if (!expected) return d;

    if (!slot.instance) {
      const recorded = parseProcessId(d.processId);
      const pick =
        strays.find(
          (p) =>
            recorded !== undefined &&
            p.pid === recorded.pid &&
            (recorded.startTicks === undefined || p.startTicks === recorded.startTicks),
        ) ??
        strays
          .filter((p) => p.configHash === expected.configHash)
          .sort((a, b) => a.startTicks - b.startTicks)[0];
      if (pick) this.#adopt(slot, d, pick, expected);
    }
    for (const p of strays) {
      if (p.pid !== slot.instance?.pid) this.#stopMarked(slot, p, 'a second process for one deployment');
    }

    let inst = slot.instance;
    if (inst && inst.configHash !== expected.configHash) {
      this.#stopInstance(slot, inst, 'replaced: the revision, port or environment changed');
      inst = undefined;
    }

    if (!inst) {
      if (slot.stopping.size > 0) return d; // the previous process still holds the port
      if (Date.now() < slot.nextStartAt) {
        this.#wakeAt(slot.nextStartAt);
        return d;
      }
      if (!(await portIsFree(expected.port))) {
        await this.#startFailed(slot, `port ${expected.port} is in use by another program`, write);
        return d;
      }
      let started: Instance;
      try {
        started = this.#spawn(slot, d, expected);
      } catch (error) {
        await this.#startFailed(slot, `could not spawn: ${(error as Error).message}`, write);
        return d;
      }
      await write({
        status: 'starting',
        processId: formatProcessId(started.pid, started.startTicks),
        port: started.port,
        endpoint: started.endpoint,
      });
      return d;
    }

    const patch: DeploymentPatch = {};
    const processId = formatProcessId(inst.pid, inst.startTicks);
    if (d.processId !== processId) patch.processId = processId;
    if (d.port !== inst.port) patch.port = inst.port;
    if (d.endpoint !== inst.endpoint) patch.endpoint = inst.endpoint;
    if (inst.healthy && d.status !== 'running') {
      patch.status = 'running';
      patch.lastError = null;
    } else if (!inst.healthy && d.status === 'pending') patch.status = 'starting';
    if (inst.healthy) {
      const report = inst.tracker.report();
      const error =
        report.health === 'unhealthy' ? `unhealthy: ${report.detail ?? 'health check failed'}` : null;
      const current = patch.lastError === undefined ? d.lastError : patch.lastError;
      if (error !== current && (error !== null || current?.startsWith('unhealthy:'))) patch.lastError = error;
    }
    if (Object.keys(patch).length > 0) await write(patch);
    return d;
  }

  /** What the deployment should run now; assigns (and records) a port when it has none. */
  async #expected(
    d: DeploymentRecord,
    marked: MarkedProcess[],
    taken: Set<number>,
    write: (patch: DeploymentPatch) => Promise<boolean>,
  ): Promise<Expected | undefined> {
    const version = await this.#versionInfo(d.server, d.revision);
    let port = d.port;
    if (port === null) {
      // Keep the port of a live process of this deployment (its record may have been lost), else choose.
      port =
        marked.find((p) => p.port !== undefined && !taken.has(p.port))?.port ??
        (await choosePort({
          deploymentId: d.id,
          seed: homeSeed(this.layout),
          range: this.config.portRange,
          taken,
        })) ??
        null;
      if (port === null) {
        await write({ status: 'failed', lastError: `no free port in ${this.config.portRange.join('-')}` });
        return undefined;
      }
      if (!(await write({ port }))) return undefined;
      taken.add(port);
    }
    const bundle = this.layout.bundle(d.server, version.artifactHash);
    const fileEnv = readEnvFile(this.layout.envFile(d.server));
    const configHash = createHash('sha256')
      .update(
        JSON.stringify({ bundle, port, env: Object.entries(fileEnv).sort(([a], [b]) => (a < b ? -1 : 1)) }),
      )
      .digest('hex');
    const path = version.spec.http?.path ?? '/mcp';
    return {
      revision: d.revision,
      bundle,
      projectDir: this.layout.projectDir(d.server, version.artifactHash),
      port,
      endpoint: `http://127.0.0.1:${port}${path}`,
      env: {
        ...inheritedEnv(this.#env),
        ...fileEnv,
        [MARKER_HOME]: this.layout.home,
        [MARKER_DEPLOYMENT]: String(d.id),
        [MARKER_CONFIG]: configHash,
      },
      configHash,
      headers: authHeaders(version.spec, fileEnv),
    };
  }

  #newInstance(fields: {
    pid: number;
    startTicks: number;
    expected: Expected;
    child: ChildProcess | undefined;
    adopted: boolean;
    everHealthy: boolean;
    configHash: string;
  }): Instance {
    return {
      pid: fields.pid,
      startTicks: fields.startTicks,
      port: fields.expected.port,
      endpoint: fields.expected.endpoint,
      bundle: fields.expected.bundle,
      configHash: fields.configHash,
      headers: fields.expected.headers,
      child: fields.child,
      adopted: fields.adopted,
      spawnedAt: Date.now(),
      exited: false,
      exitText: undefined,
      healthy: false,
      everHealthy: fields.everHealthy,
      tracker: new HealthTracker(5, this.config.slowMs),
      stopReason: undefined,
      killReason: undefined,
      timer: undefined,
      lastHealth: undefined,
    };
  }

  #spawn(slot: Slot, d: DeploymentRecord, expected: Expected): Instance {
    const logFile = this.layout.logFile(d.server);
    try {
      rotateIfNeeded(logFile, this.config.logMaxBytes, this.config.logKeep);
    } catch {
      // no log yet
    }
    appendSupervisorLine(logFile, 'starting server', {
      deployment: d.id,
      revision: d.revision,
      port: expected.port,
      attempt: slot.startFailures + 1,
    });
    const fd = openLogForChild(logFile);
    let child: ChildProcess;
    try {
      child = spawn(
        process.execPath,
        [expected.bundle, '--transport', 'http', '--host', '127.0.0.1', '--port', String(expected.port)],
        { cwd: expected.projectDir, detached: true, stdio: ['ignore', fd, fd], env: expected.env },
      );
    } finally {
      closeSync(fd);
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
    });
    child.on('error', () => undefined);
    child.once('exit', (code, signal) => {
      inst.exited = true;
      inst.exitText = signal ? `killed by ${signal}` : `exited with code ${code}`;
      if (inst.timer) clearTimeout(inst.timer);
      this.#wake();
    });
    child.unref();
    slot.instance = inst;
    this.#log('started server', { server: d.server, deployment: d.id, pid, port: expected.port });
    this.#scheduleHealth(slot, inst, this.config.startPollMs);
    return inst;
  }

  #adopt(slot: Slot, d: DeploymentRecord, p: MarkedProcess, expected: Expected): void {
    const inst = this.#newInstance({
      pid: p.pid,
      startTicks: p.startTicks,
      expected: { ...expected, port: p.port ?? expected.port },
      child: undefined,
      adopted: true,
      everHealthy: d.status === 'running',
      configHash: p.configHash ?? '',
    });
    slot.instance = inst;
    appendSupervisorLine(this.layout.logFile(d.server), 'adopted running server', {
      deployment: d.id,
      pid: p.pid,
    });
    this.#log('adopted server', { server: d.server, deployment: d.id, pid: p.pid, port: inst.port });
    this.#scheduleHealth(slot, inst, 0);
  }

  /** Adopted processes are not our children: poll them. */
  #watchAdopted(): void {
    for (const slot of this.#slots.values()) {
      const inst = slot.instance;
      if (!inst || inst.exited || inst.child) continue;
      if (!isRunning(inst.pid, inst.startTicks)) {
        inst.exited = true;
        inst.exitText = 'exited (an adopted process: exit status unknown)';
        if (inst.timer) clearTimeout(inst.timer);
        this.#wake();
      }
    }
  }

  #scheduleHealth(slot: Slot, inst: Instance, delayMs: number): void {
    if (this.#closing || inst.exited || inst.stopReason || inst.killReason) return;
    inst.timer = setTimeout(() => void this.#checkHealth(slot, inst), delayMs);
  }

  async #checkHealth(slot: Slot, inst: Instance): Promise<void> {
    inst.timer = undefined;
    if (this.#closing || inst.exited || inst.stopReason || inst.killReason) return;
    const starting = !inst.healthy;
    const sample = await probeMcp(inst.endpoint, {
      headers: inst.headers,
      timeoutMs: starting ? Math.min(this.config.healthTimeoutMs, 2000) : this.config.healthTimeoutMs,
    });
    if (this.#closing || inst.exited || inst.stopReason || inst.killReason) return;
    if (starting) {
      if (sample.ok) {
        inst.tracker.record(sample);
        inst.healthy = true;
        inst.everHealthy = true;
        inst.lastHealth = 'healthy';
        appendSupervisorLine(this.layout.logFile(slot.name), 'server is healthy', {
          pid: inst.pid,
          startMs: Date.now() - inst.spawnedAt,
        });
        this.#wake();
      } else if (Date.now() - inst.spawnedAt > this.config.startTimeoutMs) {
        this.#kill(inst, `did not answer MCP within ${this.config.startTimeoutMs} ms of starting`);
        return;
      }
    } else {
      inst.tracker.record(sample);
      const health = inst.tracker.report().health;
      if (health !== inst.lastHealth) {
        appendSupervisorLine(this.layout.logFile(slot.name), `health: ${health}`, {
          pid: inst.pid,
          ...(sample.error ? { error: sample.error } : { responseMs: Math.round(sample.ms) }),
        });
        inst.lastHealth = health;
        this.#wake();
      }
      const failures = inst.tracker.consecutiveFailures;
      if (this.config.unhealthyRestartAfter > 0 && failures >= this.config.unhealthyRestartAfter) {
        this.#kill(inst, `unhealthy: ${failures} health checks in a row failed (${sample.error ?? ''})`);
        return;
      }
    }
    this.#scheduleHealth(slot, inst, inst.healthy ? this.config.healthIntervalMs : this.config.startPollMs);
  }

  /** Kill a server that does not work: its exit counts as a crash, with `reason`. */
  #kill(inst: Instance, reason: string): void {
    inst.killReason = reason;
    void terminate(inst.pid, inst.startTicks, this.config.stopGraceMs).then(() => {
      inst.exited = true;
      inst.exitText ??= reason;
      this.#wake();
    });
  }

  async #crashed(
    slot: Slot,
    inst: Instance,
    write: (patch: DeploymentPatch) => Promise<boolean>,
  ): Promise<void> {
    const uptimeMs = Date.now() - inst.spawnedAt;
    const reason = inst.killReason ?? inst.exitText ?? 'exited';
    appendSupervisorLine(this.layout.logFile(slot.name), 'server exited', {
      pid: inst.pid,
      reason,
      uptimeMs,
    });
    this.#log('server exited', { server: slot.name, deployment: slot.id, pid: inst.pid, reason, uptimeMs });
    if (!inst.everHealthy) {
      await this.#startFailed(slot, reason, write);
      return;
    }
    if (uptimeMs >= this.config.stableAfterMs) slot.crashes = 0;
    slot.crashes++;
    slot.startFailures = 0;
    slot.restarts++;
    const delay = backoffMs(this.config, slot.crashes);
    slot.nextStartAt = Date.now() + delay;
    this.#wakeAt(slot.nextStartAt);
    await write({
      status: 'starting',
      processId: null,
      lastError: `${reason}; restarting in ${delay} ms (crash ${slot.crashes} in a row)`,
    });
  }

  async #startFailed(
    slot: Slot,
    reason: string,
    write: (patch: DeploymentPatch) => Promise<boolean>,
  ): Promise<void> {
    slot.startFailures++;
    if (slot.startFailures >= this.config.maxStartFailures) {
      slot.failed = true;
      const message = `failed to start ${slot.startFailures} times in a row (last: ${reason}); not restarted until mcp-start or mcp-deploy — see mcp-logs ${slot.name}`;
      appendSupervisorLine(this.layout.logFile(slot.name), 'giving up: deployment marked failed', {
        attempts: slot.startFailures,
      });
      this.#log('deployment failed', { server: slot.name, deployment: slot.id, reason });
      await write({ status: 'failed', processId: null, lastError: message });
      return;
    }
    slot.restarts++;
    const delay = backoffMs(this.config, slot.startFailures);
    slot.nextStartAt = Date.now() + delay;
    this.#wakeAt(slot.nextStartAt);
    await write({
      status: 'starting',
      processId: null,
      lastError: `${reason}; retrying in ${delay} ms (failed start ${slot.startFailures} of ${this.config.maxStartFailures})`,
    });
  }

  #stopInstance(slot: Slot, inst: Instance, reason: string): void {
    if (inst.stopReason) return;
    inst.stopReason = reason;
    if (inst.timer) clearTimeout(inst.timer);
    if (slot.instance === inst) slot.instance = undefined;
    if (inst.exited) return;
    this.#terminateInto(slot, inst.pid, inst.startTicks, reason);
  }

  #stopMarked(slot: Slot, p: MarkedProcess, reason: string): void {
    if (slot.stopping.has(p.pid)) return;
    this.#terminateInto(slot, p.pid, p.startTicks, reason);
  }

  #terminateInto(slot: Slot, pid: number, startTicks: number, reason: string): void {
    const logFile = this.layout.logFile(slot.name);
    appendSupervisorLine(logFile, 'stopping server', { pid, reason });
    this.#log('stopping server', { server: slot.name, deployment: slot.id, pid, reason });
    const done = terminate(pid, startTicks, this.config.stopGraceMs)
      .then((outcome) => appendSupervisorLine(logFile, 'server stopped', { pid, outcome }))
      .catch(() => undefined)
      .finally(() => {
        slot.stopping.delete(pid);
        this.#wake();
      });
    slot.stopping.set(pid, done);
  }

  #stopOrphan(p: MarkedProcess): void {
    if (this.#orphans.has(p.pid)) return;
    this.#log('terminating orphan server', { pid: p.pid, deployment: p.deploymentId, bundle: p.bundle });
    const done = terminate(p.pid, p.startTicks, this.config.stopGraceMs)
      .catch(() => undefined)
      .then(() => {
        this.#orphans.delete(p.pid);
      });
    this.#orphans.set(p.pid, done);
  }
}
