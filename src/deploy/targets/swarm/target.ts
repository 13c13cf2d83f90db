/**
 * The swarm target: each server is a Docker Swarm mode service (engine.ts) with N replicas on the host network,
 * replica `slot` at 127.0.0.1:(port + slot - 1). A deploy converges the service on the registry's record:
 * created, or rolled to the new revision one replica at a time; a revision whose replicas fail or stay unhealthy
 * is rolled back by swarm itself (FailureAction rollback) and the deployment is recorded `failed` with the
 * revision that still serves. Stop scales to 0, start scales back, removal deletes the service and its secrets.
 *
 * Options per server (replicas, CPU and memory per replica, placement constraints) are given at deploy time and
 * kept in `<home>/servers/<name>/swarm.json` for every later start; environment values live in the local secret
 * store (`<home>/secrets/<name>.swarm.env`, 0600) and reach the replicas as one Docker secret per content.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FactoryError } from '../../../core/errors/index.js';
import type { HomeLayout } from '../../../platform/home.js';
import { serverProcessEnv, upstreamCredentials } from '../../../platform/mcp-client/oauth.js';
import { probeMcp } from '../../../platform/mcp-client/probe.js';
import { freePort, portIsFree } from '../../../platform/ports.js';
import { readEnvFile, removeEnvFile, writeEnvFile } from '../../../platform/secrets.js';
import type { DeploymentRecord, Registry } from '../../../store/index.js';
import { expectedServer, ON_DEMAND_TIMEOUT_MS, sampleReport } from '../../health.js';
import type {
  DeploymentHealth,
  DeploymentTarget,
  SwarmOptions,
  TargetContext,
  TargetFactoryContext,
} from '../../target.js';
import type { Health, LogQuery } from '../../types.js';
import { followLines } from '../follow-lines.js';
import { recordReplicas } from '../replica-counts.js';
import { type ServiceState, SwarmEngine } from './engine.js';

export const MAX_REPLICAS = 50;
const ACTOR = 'swarm-target';
const SLOW_MS = 1000;
/** Per replica, on top of a base: a cold container on a loaded machine, plus swarm's monitor window. */
const BASE_WAIT_MS = 90_000;
const PER_REPLICA_WAIT_MS = 30_000;
/** `node.role==manager`, `node.labels.zone != b`: a field, an operator, a value; no quotes or control characters. */
const CONSTRAINT = /^[A-Za-z0-9_.\-/]{1,128} ?(==|!=) ?[A-Za-z0-9_.\-/:]{1,128}$/;

interface SwarmSettings {
  replicas: number;
  cpus: number;
  memoryMb: number;
  constraints: string[];
}

const DEFAULTS: SwarmSettings = { replicas: 1, cpus: 1, memoryMb: 256, constraints: [] };

function invalid(message: string, hint: string): FactoryError {
  return new FactoryError('INVALID_ARGUMENTS', message, { details: { hint } });
}

/** Refuse out-of-range or malformed swarm options (INVALID_ARGUMENTS), before anything is created. */
export function checkSwarmOptions(options: SwarmOptions): void {
  const { replicas, cpus, memoryMb, constraints } = options;
  if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS))
    throw invalid(
      `invalid --replicas ${String(replicas)}: a whole number 1-${MAX_REPLICAS}`,
      'e.g. --replicas 3',
    );
  if (cpus !== undefined && (!Number.isFinite(cpus) || cpus < 0.01 || cpus > 64))
    throw invalid(`invalid --cpus ${String(cpus)}: 0.01-64 per replica`, 'e.g. --cpus 0.5');
  if (memoryMb !== undefined && (!Number.isInteger(memoryMb) || memoryMb < 32 || memoryMb > 65536))
    throw invalid(`invalid --memory ${String(memoryMb)}: 32-65536 MB per replica`, 'e.g. --memory 256');
  for (const c of constraints ?? []) {
    if (typeof c !== 'string' || !CONSTRAINT.test(c))
      throw invalid(
        `invalid placement constraint ${JSON.stringify(c)}`,
        'FIELD==VALUE or FIELD!=VALUE, e.g. node.role==manager',
      );
  }
}

export interface SwarmTargetOptions {
  layout: HomeLayout;
  registry: () => Promise<Registry>;
  projectDir: (server: string, revision: number) => Promise<string>;
  engine?: SwarmEngine;
}

/** One replica as status shows it. */
export interface ReplicaHealth {
  slot: number;
  endpoint: string;
  task: string;
  health: Health;
  responseMs?: number | undefined;
  detail?: string | undefined;
}

export class SwarmTarget implements DeploymentTarget {
  readonly name = 'swarm' as const;
  readonly engine: SwarmEngine;
  readonly #options: SwarmTargetOptions;

  constructor(options: SwarmTargetOptions) {
    this.#options = options;
    this.engine = options.engine ?? new SwarmEngine();
  }

  static create(context: TargetFactoryContext): SwarmTarget {
    return new SwarmTarget({
      layout: context.layout,
      registry: context.registry,
      projectDir: context.projectDir,
    });
  }

  #settingsFile(server: string): string {
    return join(this.#options.layout.serverDir(server), 'swarm.json');
  }

  /** The options of the server's last deploy (defaults for what it did not give). */
  settingsOf(server: string): SwarmSettings {
    try {
      const stored = JSON.parse(readFileSync(this.#settingsFile(server), 'utf8')) as SwarmOptions;
      checkSwarmOptions(stored);
      return { ...DEFAULTS, ...stored };
    } catch {
      return { ...DEFAULTS };
    }
  }

  async ensureAvailable(context: TargetContext): Promise<void> {
    if (context.runtime !== undefined)
      throw invalid('--runtime is a docker target option', 'Leave --runtime out with --target swarm.');
    const given = context.swarm ?? {};
    checkSwarmOptions(given);
    try {
      await this.engine.ensureSwarm();
    } catch (error) {
      if (error instanceof FactoryError && error.code === 'DEPLOY_TARGET_UNAVAILABLE') throw error;
      throw new FactoryError(
        'DEPLOY_TARGET_UNAVAILABLE',
        `the swarm target needs a running Docker engine: ${(error as Error).message}`,
        {
          details: {
            hint: `Start dockerd (or set DOCKER_HOST), or deploy ${context.server} with --target local.`,
          },
          cause: error,
        },
      );
    }
    const settings = { ...this.settingsOf(context.server), ...given };
    mkdirSync(this.#options.layout.serverDir(context.server), { recursive: true, mode: 0o700 });
    writeFileSync(this.#settingsFile(context.server), `${JSON.stringify(settings)}\n`, { mode: 0o600 });
  }

  #envFile(server: string): string {
    return this.#options.layout.envFile(`${server}.swarm`);
  }

  readEnv(server: string): Record<string, string> {
    return readEnvFile(this.#envFile(server));
  }

  writeEnv(server: string, env: Record<string, string>): void {
    for (const [name, value] of Object.entries(env)) {
      // A value is one line: control characters smuggle extra variables into tools that read env files.
      if (/[\0-\x08\n\r\x0b-\x1f\x7f]/.test(value))
        throw invalid(
          `the value of ${name} contains a control character (newline …)`,
          'Give a one-line value.',
        );
    }
    writeEnvFile(this.#envFile(server), env);
  }

  removeEnv(server: string): void {
    removeEnvFile(this.#envFile(server));
  }

  /** Removal of a server: its service and all its secrets (the stored values go with removeEnv). */
  async forget(server: string): Promise<void> {
    // No engine, or no swarm manager: no service or secret of it can exist here now.
    if (!(await this.engine.isManager())) return;
    await this.engine.remove(server);
  }

  replicaEndpoints(d: DeploymentRecord): string[] | undefined {
    if (d.port === null) return undefined;
    const { replicas } = this.settingsOf(d.server);
    return Array.from({ length: replicas }, (_, i) => replicaEndpoint(d.port!, i + 1));
  }

  async apply(deployments: DeploymentRecord[]): Promise<void> {
    const registry = await this.#options.registry();
    for (const given of deployments) {
      if (given.target !== this.name) continue;
      const d = await registry.getDeployment(given.id);
      try {
        const server = await registry.getServer(d.server);
        if (server.status === 'removed') {
          await this.engine.remove(d.server);
          await registry.updateDeployment(d.id, { status: 'stopped', replicasActual: 0 }, { actor: ACTOR });
        } else if (d.desired === 'stopped') {
          await this.engine.scale(d.server, 0);
          // Stopped means the replicas are gone (and their ports free for a start), not only asked to go.
          const deadline = Date.now() + 60_000;
          while ((await this.engine.containers(d.server)).length > 0 && Date.now() < deadline)
            await new Promise((r) => setTimeout(r, 300));
          await registry.updateDeployment(d.id, { status: 'stopped', replicasActual: 0 }, { actor: ACTOR });
        } else {
          await this.#converge(registry, d);
        }
      } catch (error) {
        await registry.updateDeployment(
          d.id,
          { status: 'failed', lastError: (error as Error).message.slice(0, 2000) },
          { actor: ACTOR },
        );
      }
    }
  }

  /** `n` consecutive free loopback ports (a replica per port). */
  async #portRange(n: number): Promise<number> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const base = await freePort();
      if (base + n - 1 > 65535) continue;
      let free = true;
      for (let p = base + 1; p < base + n && free; p++) free = await portIsFree(p);
      if (free) return base;
    }
    throw new FactoryError('DEPLOY_PORT_IN_USE', `no ${n} consecutive free ports were found`, {
      details: { hint: 'Give a base port with --port, or fewer replicas.' },
    });
  }

  async #converge(registry: Registry, d: DeploymentRecord): Promise<void> {
    await this.engine.ensureSwarm();
    const version = await registry.getVersion(d.server, d.revision);
    const settings = this.settingsOf(d.server);
    // Desired is recorded before the rollout so that a deployment that never comes up still says what it wanted.
    await recordReplicas(registry, d, { desired: settings.replicas });
    const image = await this.engine.buildImage(
      await this.#options.projectDir(d.server, d.revision),
      d.server,
      d.revision,
      version.version,
    );
    const before = await this.engine.inspect(d.server);
    const portBase =
      d.port ??
      (before?.portBase && before.replicas >= settings.replicas
        ? before.portBase
        : await this.#portRange(settings.replicas));
    if (portBase + settings.replicas - 1 > 65535)
      throw invalid(
        `ports ${portBase}-${portBase + settings.replicas - 1} do not exist`,
        'Give a lower --port.',
      );
    // Slots that do not run yet must find their port free: a port held by another program would make the
    // replica crash-loop while the probe reaches that program.
    const running = before && before.portBase === portBase ? before.replicas : 0;
    for (let slot = running + 1; slot <= settings.replicas; slot++) {
      const port = portBase + slot - 1;
      if (!(await portIsFree(port)))
        throw new FactoryError('DEPLOY_PORT_IN_USE', `port ${port} (replica ${slot}) is already in use`, {
          details: { port, hint: 'Deploy with another --port, or fewer --replicas.' },
        });
    }
    const env = this.readEnv(d.server);
    const spec = version.spec as Parameters<typeof serverProcessEnv>[0];
    const startedAt = Date.now();
    const { id, envHash } = await this.engine.deploy(
      {
        server: d.server,
        revision: d.revision,
        version: version.version,
        portBase,
        env: serverProcessEnv(spec, env),
        ...settings,
      },
      image,
    );
    const endpoints = (n: number) => Array.from({ length: n }, (_, i) => replicaEndpoint(portBase, i + 1));
    const headers = upstreamCredentials(
      spec as Parameters<typeof upstreamCredentials>[0],
      env,
      endpoints(1)[0]!,
    );
    const expect = expectedServer(d, { version: version.version });
    const deadline = Date.now() + BASE_WAIT_MS + settings.replicas * PER_REPLICA_WAIT_MS;
    let why = 'no replica is running yet';
    for (;;) {
      const now = await this.engine.inspect(d.server);
      const rolledBack =
        now?.update?.startsWith('rollback') || now?.update === 'paused'
          ? (now.updateStartedAt ?? 0) >= startedAt - 5000
          : false;
      if (now && rolledBack && now.update !== 'rollback_started') {
        await this.#recordRollback(registry, d, now);
        return;
      }
      if (!rolledBack) {
        const tasks = await this.engine.tasks(d.server);
        const current = tasks.filter(
          (t) => t.revision === d.revision && t.envHash === envHash && t.state === 'running',
        );
        if (current.length === settings.replicas && tasks.length === settings.replicas) {
          const samples = await Promise.all(
            endpoints(settings.replicas).map((url) => probeMcp(url, { headers, timeoutMs: 3000, expect })),
          );
          const failing = samples.findIndex((s) => !s.ok);
          if (
            failing < 0 &&
            (now?.update === undefined ||
              now.update === 'completed' ||
              (now.updateStartedAt ?? 0) < startedAt - 5000)
          ) {
            await registry.updateDeployment(
              d.id,
              {
                status: 'running',
                port: portBase,
                endpoint: endpoints(1)[0]!,
                processId: id,
                lastError: null,
                replicasActual: current.length,
              },
              { actor: ACTOR },
            );
            await this.engine.pruneSecrets(d.server, await this.#secretInUse(d.server));
            return;
          }
          if (failing >= 0)
            why = `replica ${failing + 1} does not answer MCP: ${samples[failing]!.error ?? 'no answer'}`;
          else why = `the rolling update is ${now?.update}`;
        } else {
          why = `${current.length} of ${settings.replicas} replicas of revision ${d.revision} run${tasks.find((t) => t.error) ? ` (${tasks.find((t) => t.error)!.error})` : ''}`;
        }
      }
      if (Date.now() > deadline) {
        // A first deployment that never came up must not crash-loop forever: scale it to 0.
        if (!before) await this.engine.scale(d.server, 0).catch(() => undefined);
        throw new Error(`${d.server} did not become healthy: ${why}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Swarm rolled `d`'s revision back: the deployment failed, and records the revision that still serves. */
  async #recordRollback(registry: Registry, d: DeploymentRecord, now: ServiceState): Promise<void> {
    await registry.updateDeployment(
      d.id,
      {
        status: 'failed',
        revision: now.revision,
        lastError: `revision ${d.revision} did not become healthy (${now.updateMessage ?? now.update}); swarm rolled the service back to revision ${now.revision}, which still serves`,
      },
      { actor: ACTOR },
    );
    // The new revision's secret (if its environment changed) is unused now.
    await this.engine.pruneSecrets(d.server, now.secret);
  }

  async #secretInUse(server: string): Promise<string | undefined> {
    return (await this.engine.inspect(server))?.secret;
  }

  async health(
    deployments: DeploymentRecord[],
    spec: (d: DeploymentRecord) => Promise<{ auth?: unknown; version?: unknown }>,
  ): Promise<Map<number, DeploymentHealth>> {
    const out = new Map<number, DeploymentHealth>();
    for (const d of deployments) {
      if (d.target !== this.name || d.desired !== 'running') continue;
      const checkedAt = new Date().toISOString();
      const service = await this.engine.inspect(d.server).catch(() => undefined);
      if (!service) {
        out.set(d.id, {
          health: 'unhealthy',
          checkedAt,
          detail: 'no swarm service (or no reachable swarm manager)',
        });
        continue;
      }
      const desired = service.replicas;
      const tasks = await this.engine.tasks(d.server);
      const running = tasks.filter((t) => t.state === 'running');
      const s = await spec(d);
      const env = this.readEnv(d.server);
      const replicas: ReplicaHealth[] = [];
      for (const task of tasks) {
        const endpoint = replicaEndpoint(service.portBase, task.slot);
        const headers = upstreamCredentials(s as Parameters<typeof upstreamCredentials>[0], env, endpoint);
        const sample = await probeMcp(endpoint, {
          headers,
          timeoutMs: ON_DEMAND_TIMEOUT_MS,
          expect: expectedServer(d, s),
        });
        const report = sampleReport(sample, { slowMs: SLOW_MS });
        replicas.push({
          slot: task.slot,
          endpoint,
          task: task.state,
          health: task.state === 'running' ? report.health : 'unhealthy',
          ...(report.responseMs !== undefined ? { responseMs: report.responseMs } : {}),
          ...(report.detail !== undefined
            ? { detail: report.detail }
            : task.error
              ? { detail: task.error }
              : {}),
        });
      }
      // Swarm's own view (tasks running), not the probes: that is what `replicas 2/3` means in list and status.
      // Best effort: a registry that cannot be written must not turn the health report into an error.
      if (desired > 0)
        await recordReplicas(await this.#options.registry(), d, { desired, actual: running.length }).catch(
          () => undefined,
        );
      const healthy = replicas.filter((r) => r.health === 'healthy').length;
      const answering = replicas.filter((r) => r.health !== 'unhealthy').length;
      const health: Health =
        desired > 0 && healthy === desired ? 'healthy' : answering > 0 ? 'degraded' : 'unhealthy';
      const times = replicas.flatMap((r) => (r.responseMs !== undefined ? [r.responseMs] : []));
      out.set(d.id, {
        health,
        checkedAt,
        ...(times.length ? { responseMs: Math.max(...times) } : {}),
        ...(health === 'healthy' ? {} : { detail: `${healthy} of ${desired} replicas healthy` }),
        runtime: {
          service: service.id,
          replicas: { desired, running: running.length, healthy },
          tasks: replicas,
        },
      });
    }
    return out;
  }

  logs(server: string, query: LogQuery = {}): AsyncIterable<string> {
    return followLines((n) => this.recentOutput(server, n), query);
  }

  async recentOutput(server: string, lines: number): Promise<string[]> {
    return this.engine.logs(server, lines).catch(() => [] as string[]);
  }
}

/** Where replica `slot` of a service with `portBase` answers MCP. */
export function replicaEndpoint(portBase: number, slot: number): string {
  return `http://127.0.0.1:${portBase + slot - 1}/mcp`;
}
