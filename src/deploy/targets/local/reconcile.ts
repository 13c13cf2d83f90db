/**
 * One reconciliation pass of the supervisor: make the registry's desired state of every local deployment true
 * on this machine, and report what runs.
 *
 * Read the local deployments and scan /proc for processes carrying this home's markers, then for each deployment
 * - desired `stopped` (or server removed): stop its process and any other process carrying its marker
 *   (SIGTERM, SIGKILL after `stopGraceMs`), then record `stopped`;
 * - desired `running`: keep the process we manage; else ADOPT a live process that provably is this
 *   deployment's server (see proc.ts: start time, bundle path, markers) — preferring the pid recorded in the
 *   registry — and terminate every other one, so there are never two processes for one deployment; else
 *   start one (after the restart backoff). A process started with another bundle, port or environment than the
 *   deployment now wants is replaced.
 * Processes carrying this home's marker for a deployment the registry does not know (orphans) are terminated.
 *
 * Every registry write of a status is a compare-and-set against the status this pass read, so a management
 * action that happened meanwhile (a new `pending`) is never overwritten by a stale observation.
 */
import { createHash } from 'node:crypto';
import type { FactoryError } from '../../../core/errors/index.js';
import { homeSeed } from '../../../platform/home.js';
import { serverProcessEnv, upstreamCredentials } from '../../../platform/mcp-client/oauth.js';
import { datasetBinds, specNeedsNetwork, sqliteBinds } from '../../../platform/sandbox/index.js';
import { inheritedEnv, readEnvFile } from '../../../platform/secrets.js';
import type { DeploymentPatch, DeploymentRecord, ServerRecord, ServerStatus } from '../../../store/index.js';
import { expectedServer } from '../../health.js';
import { TRIGGER_STATE_DIR_ENV, triggerStateDir } from '../../trigger-history.js';
import { rotateIfNeeded } from './logs.js';
import { choosePort, portIsFree } from './ports.js';
import {
  findMarkedProcesses,
  formatProcessId,
  MARKER_CONFIG,
  MARKER_DEPLOYMENT,
  MARKER_HOME,
  type MarkedProcess,
  parseProcessId,
} from './proc.js';
import type { Processes } from './processes.js';
import { crashed, startFailed } from './restarts.js';
import { prepareLaunch } from './sandbox-launch.js';
import {
  type Expected,
  type Instance,
  type Slot,
  SUPERVISOR_ACTOR,
  type SupervisorContext,
  type VersionInfo,
  type WriteDeployment,
} from './state.js';

export class Reconciler {
  /** One slot per local deployment seen (kept while its processes stop). */
  readonly slots = new Map<number, Slot>();
  /** Local deployments in the registry at the last pass. */
  deploymentCount = 0;
  readonly #ctx: SupervisorContext;
  readonly #processes: Processes;
  /** Versions are immutable: read each once. */
  readonly #versions = new Map<string, VersionInfo>();

  constructor(ctx: SupervisorContext, processes: Processes) {
    this.#ctx = ctx;
    this.#processes = processes;
  }

  /** One pass over every local deployment (errors of one deployment are logged, the others still run). */
  async pass(): Promise<void> {
    const registry = this.#ctx.registry();
    const node = this.#ctx.node;
    if (node) await node.heartbeat(registry);
    const all = await registry.listDeployments({ target: 'local' });
    // In a cluster, only the deployments placed on this node: another node's processes are not ours to run.
    const deployments = node
      ? await node.own(registry, all, (move) =>
          this.#ctx.log('took over a deployment of a silent node', {
            deployment: move.deploymentId,
            server: move.server,
            from: move.from,
            silentMs: move.silentMs,
          }),
        )
      : all;
    this.deploymentCount = deployments.length;
    const servers = new Map(
      (await this.#ctx.registry().listServers({ includeRemoved: true })).map((s) => [s.name, s] as const),
    );
    const marked = findMarkedProcesses(this.#ctx.layout.home);
    const known = new Set(deployments.map((d) => d.id));
    for (const p of marked) {
      if (!known.has(p.deploymentId)) this.#processes.stopOrphan(p);
    }
    for (const [id, slot] of this.slots) {
      if (known.has(id)) continue;
      if (slot.instance)
        this.#processes.stopInstance(
          slot,
          slot.instance,
          node
            ? 'the deployment was deleted or placed on another node'
            : 'the deployment was deleted from the registry',
        );
      if (slot.stopping.size === 0) this.slots.delete(id);
    }
    const taken = new Set(deployments.flatMap((d) => (d.port === null ? [] : [d.port])));
    for (const d of deployments) {
      if (this.#ctx.closing()) break;
      try {
        if (node && d.desired === 'running') await node.ensureProject(registry, d);
        await this.#reconcile(
          d,
          servers,
          marked.filter((p) => p.deploymentId === d.id),
          taken,
        );
      } catch (error) {
        this.#ctx.log('reconciling a deployment failed', {
          deployment: d.id,
          server: d.server,
          error: (error as Error).message,
        });
      }
    }
    for (const slot of this.slots.values()) {
      try {
        rotateIfNeeded(
          this.#ctx.layout.logFile(slot.name),
          this.#ctx.config.logMaxBytes,
          this.#ctx.config.logKeep,
        );
      } catch {
        // a missing file is fine
      }
    }
    try {
      rotateIfNeeded(this.#ctx.layout.supervisorLog, this.#ctx.config.logMaxBytes, this.#ctx.config.logKeep);
    } catch {
      // idem
    }
  }

  #slotFor(d: DeploymentRecord): Slot {
    let slot = this.slots.get(d.id);
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
      this.slots.set(d.id, slot);
    }
    return slot;
  }

  async #versionInfo(name: string, revision: number): Promise<VersionInfo> {
    const key = `${name}@${revision}`;
    let info = this.#versions.get(key);
    if (!info) {
      const v = await this.#ctx.registry().getVersion(name, revision);
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
      const updated = await this.#ctx.registry().setStatus(name, status, {
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
        d = await this.#ctx.registry().updateDeployment(d.id, patch, { expectStatus: [d.status] });
        return true;
      } catch (error) {
        if ((error as FactoryError).code === 'REGISTRY_CONFLICT') {
          this.#ctx.wake();
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
      if (!exited.stopReason && wantRunning) await crashed(this.#ctx, slot, exited, write);
    }

    if (!wantRunning) {
      if (slot.instance) this.#processes.stopInstance(slot, slot.instance, 'desired state is stopped');
      for (const p of marked)
        if (!slot.stopping.has(p.pid)) this.#processes.stopMarked(slot, p, 'desired state is stopped');
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
      if (slot.instance) this.#processes.stopInstance(slot, slot.instance, 'deployment is failed');
      for (const p of strays) this.#processes.stopMarked(slot, p, 'deployment is failed');
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
      if (pick) this.#processes.adopt(slot, d, pick, expected);
    }
    for (const p of strays) {
      if (p.pid !== slot.instance?.pid)
        this.#processes.stopMarked(slot, p, 'a second process for one deployment');
    }

    let inst = slot.instance;
    if (inst && inst.configHash !== expected.configHash) {
      this.#processes.stopInstance(slot, inst, 'replaced: the revision, port or environment changed');
      inst = undefined;
    }

    if (!inst) {
      if (slot.stopping.size > 0) return d; // the previous process still holds the port
      if (Date.now() < slot.nextStartAt) {
        this.#ctx.wakeAt(slot.nextStartAt);
        return d;
      }
      if (!(await portIsFree(expected.port))) {
        await startFailed(this.#ctx, slot, `port ${expected.port} is in use by another program`, write);
        return d;
      }
      let started: Instance;
      try {
        started = this.#processes.spawn(
          slot,
          d,
          expected,
          await prepareLaunch(this.#ctx.layout, d.id, d.server, expected),
        );
      } catch (error) {
        await startFailed(this.#ctx, slot, `could not spawn: ${(error as Error).message}`, write);
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
    write: WriteDeployment,
  ): Promise<Expected | undefined> {
    const version = await this.#versionInfo(d.server, d.revision);
    let port = d.port;
    if (port === null) {
      // Keep the port of a live process of this deployment (its record may have been lost), else choose.
      port =
        marked.find((p) => p.port !== undefined && !taken.has(p.port))?.port ??
        (await choosePort({
          deploymentId: d.id,
          seed: homeSeed(this.#ctx.layout),
          range: this.#ctx.config.portRange,
          taken,
        })) ??
        null;
      if (port === null) {
        await write({
          status: 'failed',
          lastError: `no free port in ${this.#ctx.config.portRange.join('-')}`,
        });
        return undefined;
      }
      if (!(await write({ port }))) return undefined;
      taken.add(port);
    }
    const bundle = this.#ctx.layout.bundle(d.server, version.artifactHash);
    const fileEnv = readEnvFile(this.#ctx.layout.envFile(d.server));
    const configHash = createHash('sha256')
      .update(
        JSON.stringify({ bundle, port, env: Object.entries(fileEnv).sort(([a], [b]) => (a < b ? -1 : 1)) }),
      )
      .digest('hex');
    const path = version.spec.http?.path ?? '/mcp';
    const endpoint = `http://127.0.0.1:${port}${path}`;
    return {
      revision: d.revision,
      bundle,
      projectDir: this.#ctx.layout.projectDir(d.server, version.artifactHash),
      port,
      endpoint,
      env: {
        ...inheritedEnv(this.#ctx.env),
        ...serverProcessEnv(version.spec, fileEnv),
        // Trigger history, idempotency keys and dead letters (runtime/triggers/types.ts) outlive revisions.
        [TRIGGER_STATE_DIR_ENV]: triggerStateDir(this.#ctx.layout, d.server),
        [MARKER_HOME]: this.#ctx.layout.home,
        [MARKER_DEPLOYMENT]: String(d.id),
        [MARKER_CONFIG]: configHash,
      },
      configHash,
      headers: upstreamCredentials(version.spec, fileEnv, endpoint),
      expect: expectedServer(d, version.spec),
      network: specNeedsNetwork(version.spec) ? 'host' : 'none',
      binds: serverBinds(version.spec, fileEnv),
    };
  }
}

/** What a server sees of the host besides its project: SQLite files named by variables, dataset roots (read-only). */
function serverBinds(
  spec: Parameters<typeof sqliteBinds>[0] & Parameters<typeof datasetBinds>[0],
  env: Readonly<Record<string, string | undefined>>,
): { readOnly: string[]; readWrite: string[] } {
  const sqlite = sqliteBinds(spec, env, 'server');
  return { readOnly: [...sqlite.readOnly, ...datasetBinds(spec, env).readOnly], readWrite: sqlite.readWrite };
}
