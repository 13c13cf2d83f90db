/**
 * The control plane over the registry and the deployment targets (targets/index.ts).
 *
 * Every management action is a registry write of the desired state (audited, with the actor), followed by a
 * nudge to the target's runtime and a wait for the reported state: the registry stays the source of truth, so
 * an action survives a target runtime that is down (it converges when one starts — the local target starts its
 * supervisor on demand) and concurrent actions from several CLIs or the API serialise in the registry.
 *
 * Secrets: `DeployRequest.env` values go to the target's secret store (local: `<home>/secrets/<name>.env`, mode
 * 0600) and never into the registry, which records the variable names as secret references only.
 *
 * Creating revisions is create.ts; this file operates them (deploy, stop, start, remove, status, logs, calls).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import type { CaseOutcome } from '../build/verify/cases.js';
import { FactoryError } from '../core/errors/index.js';
import type { ServerSpec } from '../core/spec/model.js';
import { type HomeLayout, homeLayout } from '../platform/home.js';
import { checkEnvName } from '../platform/secrets.js';
import {
  type DeploymentRecord,
  defaultHome,
  openRegistry,
  type Registry,
  type SecretRef,
  type ServerRecord,
  type TriggerRun,
  type TriggerRunFilter,
} from '../store/index.js';
import { type ClusterSettings, chooseNode, clusterSettings, publishProject } from './cluster.js';
import type { LocalCreateRequest } from './create.js';
import type { ToolSummary } from './deployed-server.js';
import { HealthHistoryRecorder } from './health.js';
import { logExcerpt } from './log-excerpt.js';
import type { DeploymentTarget, TargetContext } from './target.js';
import { describeTargetNames, isTargetName, TARGET_LOADERS } from './targets/loaders.js';
import { SupervisorLink } from './targets/local/link.js';
import type { SupervisorInfo } from './targets/local/supervisor.js';
import { DEFAULT_TARGET, TARGET_NAMES, type TargetName } from './targets/names.js';
import type {
  ControlPlane,
  CreateOutcome,
  DeployRequest,
  HealthReport,
  LogQuery,
  ServerEndpoint,
  ServerStatusReport,
  ToolCallResult,
} from './types.js';

export type { LocalCreateRequest } from './create.js';
export type { ToolSummary } from './deployed-server.js';

/** The source recorded in the registry for variables kept in the local secret store. */
export const LOCAL_SECRET_SOURCE = 'mcp-factory local secret store';
const LOCAL_SECRET_DESCRIPTION =
  'given at deploy time; the value is kept by the local target (mode 0600), not here';

export interface ControlPlaneOptions {
  /** The factory home (default MCP_FACTORY_HOME or ~/.mcp-factory). */
  home?: string | undefined;
  /** Registry URL (PostgreSQL or sqlite:); default: registry.db in the home. */
  registryUrl?: string | undefined;
  /** An already open registry (not closed by close()). */
  registry?: Registry | undefined;
  /** Start a supervisor on demand when a local deployment needs one (default true). */
  autoStartSupervisor?: boolean | undefined;
  /** Environment of a supervisor started on demand (default process.env): its MCP_FACTORY_* tuning. */
  supervisorEnv?: NodeJS.ProcessEnv | undefined;
  /** How long deploy/start/stop/remove wait for the reported state (default 90 s). */
  waitTimeoutMs?: number | undefined;
  /** This home's node of a factory cluster (default: from MCP_FACTORY_NODE*; null: no cluster). */
  cluster?: ClusterSettings | null | undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// Loaded on first use: reading state (the CLI's list and status) must not pay for the build pipeline or the
// MCP client.
const loadCreate = () => import('./create.js');
const loadDeployedServer = () => import('./deployed-server.js');

/** DEPLOY_MISSING_ENV for `name`. */
export function missingEnvError(name: string, missing: string[]): FactoryError {
  return new FactoryError('DEPLOY_MISSING_ENV', `${name} needs ${missing.join(', ')} to run`, {
    details: {
      server: name,
      missing,
      hint: `mcp-deploy ${name} ${missing.map((m) => `--env ${m}=…`).join(' ')}`,
    },
  });
}

/** The default target's deployments first (the one logs and status prefer), then the others in list order. */
function preferred(a: DeploymentRecord, b: DeploymentRecord): number {
  return Number(b.target === DEFAULT_TARGET) - Number(a.target === DEFAULT_TARGET);
}

/**
 * The swarm or kubernetes options of a request, for its target; refused for a target they do not apply to (they
 * would be silently ignored).
 */
function targetOptionsOf(request: DeployRequest): Pick<TargetContext, 'swarm' | 'kubernetes'> {
  const { replicas, cpus, memoryMb, constraints, namespace, ingressHost, imagePrefix } = request;
  const swarmOnly = [cpus, memoryMb, constraints].some((v) => v !== undefined);
  const kubernetesOnly = [namespace, ingressHost, imagePrefix].some((v) => v !== undefined);
  if (request.target === 'swarm' && !kubernetesOnly) {
    const given = swarmOnly || replicas !== undefined;
    return given ? { swarm: { replicas, cpus, memoryMb, constraints } } : {};
  }
  if (request.target === 'kubernetes' && !swarmOnly) {
    const given = kubernetesOnly || replicas !== undefined;
    return given ? { kubernetes: { replicas, namespace, ingressHost, imagePrefix } } : {};
  }
  if (!swarmOnly && !kubernetesOnly && replicas === undefined) return {};
  throw new FactoryError(
    'INVALID_ARGUMENTS',
    '--replicas applies to the swarm and kubernetes targets; --cpus, --memory and --constraint to swarm; --namespace, --ingress-host and --image-prefix to kubernetes',
    {
      details: {
        target: request.target,
        hint: `Leave out the options of other targets for --target ${request.target}.`,
      },
    },
  );
}

/** How often a wait lets targets keep converging (keepConverging). */
const KEEP_CONVERGING_MS = 3000;

export class LocalControlPlane implements ControlPlane {
  readonly layout: HomeLayout;
  readonly #options: ControlPlaneOptions;
  #registry: Registry | undefined;
  #opening: Promise<Registry> | undefined;
  /** Targets by name, each built on first use (targets/loaders.ts: a verb loads only the targets it touches). */
  readonly #targets = new Map<TargetName, Promise<DeploymentTarget>>();
  /** On-demand checks of the targets without a monitor go to the health history (local: the supervisor's). */
  readonly #healthHistory = new HealthHistoryRecorder();
  readonly #link: SupervisorLink;
  /** This home's node when the factory runs as a cluster (docs/cluster.md). */
  readonly cluster: ClusterSettings | undefined;

  constructor(options: ControlPlaneOptions = {}) {
    this.#options = options;
    this.cluster =
      options.cluster === null
        ? undefined
        : (options.cluster ?? clusterSettings(options.supervisorEnv ?? process.env));
    this.layout = homeLayout(options.home ?? defaultHome());
    this.#link = new SupervisorLink(this.layout, this.#targetOptions());
    this.#registry = options.registry;
  }

  #targetOptions() {
    return {
      autoStart: this.#options.autoStartSupervisor ?? true,
      env: this.#options.supervisorEnv,
      registryUrl: this.#options.registryUrl,
    };
  }

  /** The registry (opened on first use). */
  registry(): Promise<Registry> {
    if (this.#registry) return Promise.resolve(this.#registry);
    this.#opening ??= openRegistry({ home: this.layout.home, url: this.#options.registryUrl }).then((r) => {
      this.#registry = r;
      return r;
    });
    return this.#opening;
  }

  async #target(name: string): Promise<DeploymentTarget> {
    if (!isTargetName(name)) {
      throw new FactoryError(
        'INVALID_ARGUMENTS',
        `unknown deployment target ${JSON.stringify(name)}: ${describeTargetNames()}`,
      );
    }
    let target = this.#targets.get(name);
    if (!target) {
      target = TARGET_LOADERS[name]().then((factory) => {
        const built = factory({
          layout: this.layout,
          registry: () => this.registry(),
          projectDir: (server, revision) => this.projectDir(server, revision),
          options: this.#targetOptions(),
        });
        if (built.name !== name)
          throw new FactoryError('INTERNAL', `the ${name} target factory built a target named ${built.name}`);
        return built;
      });
      this.#targets.set(name, target);
    }
    return target;
  }

  /**
   * The supervisor of this home (the `mcp-factory supervisor` verbs, the CLI's liveness check). A link of its
   * own, so that using it does not load the local target's modules; the supervisor's lock settles any race.
   */
  get supervisor(): SupervisorLink {
    return this.#link;
  }

  // ---- create

  async create(request: LocalCreateRequest): Promise<CreateOutcome> {
    const { createRevision } = await loadCreate();
    const registry = await this.registry();
    const outcome = await createRevision(registry, this.layout, request);
    // In a cluster every node may run the revision: its project goes to the registry now, not at first deploy.
    if (this.cluster) await publishProject(registry, this.layout, outcome.name, outcome.artifactHash);
    return outcome;
  }

  /**
   * Required variables of `spec` that neither `given` nor the target's secret store provides: what deploy
   * refuses with DEPLOY_MISSING_ENV, checkable before a revision is created.
   */
  async missingEnv(spec: ServerSpec, target: string, given: Record<string, string> = {}): Promise<string[]> {
    const { collectEnv } = await import('../build/generator/env.js');
    const env = { ...(await this.#target(target)).readEnv(spec.name), ...given };
    let required: string[] = [];
    try {
      required = collectEnv(spec)
        .filter((v) => v.required)
        .map((v) => v.name);
    } catch {
      // a spec of another model version: the server reports what it misses at start
    }
    return required.filter((v) => !env[v]);
  }

  // ---- deploy and lifecycle

  /** Every deployment of a server (NOT_DEPLOYED when there is none), local ones first. */
  async #deployments(name: string): Promise<DeploymentRecord[]> {
    const registry = await this.registry();
    await registry.getServer(name); // REGISTRY_NOT_FOUND for an unknown name
    const all = (await registry.listDeployments({ server: name })).filter((d) => isTargetName(d.target));
    if (all.length === 0) {
      throw new FactoryError('NOT_DEPLOYED', `server ${name} is not deployed`, {
        details: { server: name, hint: `mcp-deploy ${name} --target ${DEFAULT_TARGET}` },
      });
    }
    return all.sort(preferred);
  }

  /** Ask each deployment's target to converge on the desired state now. */
  async #apply(deployments: DeploymentRecord[]): Promise<void> {
    const byTarget = new Map<string, DeploymentRecord[]>();
    for (const d of deployments) byTarget.set(d.target, [...(byTarget.get(d.target) ?? []), d]);
    for (const [target, ds] of byTarget) await (await this.#target(target)).apply(ds);
  }

  async #spec(name: string, revision?: number): Promise<ServerSpec> {
    const registry = await this.registry();
    return (await registry.getVersion(name, revision)).spec as ServerSpec;
  }

  /** Directory of a registered revision's generated project (default: the current revision). */
  async projectDir(name: string, revision?: number): Promise<string> {
    const registry = await this.registry();
    const v = await registry.getVersion(name, revision);
    return this.layout.projectDir(name, v.artifactHash);
  }

  async deploy(request: DeployRequest): Promise<DeploymentRecord> {
    const cluster = this.cluster;
    if (request.node !== undefined && (!cluster || request.target !== 'local')) {
      throw new FactoryError(
        'INVALID_ARGUMENTS',
        '--node places a local deployment on a node of a factory cluster',
        {
          details: {
            hint: cluster
              ? 'Use it with --target local.'
              : 'This instance is not part of a cluster: MCP_FACTORY_NODE is not set.',
          },
        },
      );
    }
    if (!cluster || request.target !== 'local') return this.#deploy(request, undefined);
    // One deploy of a server at a time over every instance: the second waits, then finds the first's result.
    const registry = await this.registry();
    return registry.cluster.withServerLock(request.name, () => this.#deploy(request, cluster));
  }

  /** The node a local deployment goes to, with its project published for nodes that lack it. */
  async #place(registry: Registry, cluster: ClusterSettings, request: DeployRequest, hash: string) {
    const [existing] = await registry.listDeployments({ server: request.name, target: 'local' });
    const current = existing ? (await registry.cluster.placements()).get(existing.id) : undefined;
    const node = await chooseNode(registry, cluster, { requested: request.node, current });
    if (node !== cluster.node && request.env && Object.keys(request.env).length > 0) {
      throw new FactoryError(
        'INVALID_ARGUMENTS',
        `${request.name} goes to node ${node}, whose secret store this instance cannot write`,
        {
          details: {
            node,
            hint: `Deploy with --env through an API instance of node ${node}, or pass --node ${cluster.node}.`,
          },
        },
      );
    }
    await publishProject(registry, this.layout, request.name, hash);
    return node;
  }

  async #deploy(request: DeployRequest, cluster: ClusterSettings | undefined): Promise<DeploymentRecord> {
    const registry = await this.registry();
    const { name, actor } = request;
    const server = await registry.getServer(name);
    if (server.status === 'removed') {
      throw new FactoryError(
        'REGISTRY_CONFLICT',
        `server ${name} has been removed; create it again to deploy it`,
      );
    }
    const version = await registry.getVersion(name, server.currentRevision);
    const projectDir = this.layout.projectDir(name, version.artifactHash);
    const target = await this.#target(request.target);
    await target.ensureAvailable({
      server: name,
      projectDir,
      unsafeNoSandbox: request.unsafeNoSandbox,
      runtime: request.runtime,
      ...targetOptionsOf(request),
    });
    const node = cluster ? await this.#place(registry, cluster, request, version.artifactHash) : undefined;
    if (node === undefined && !existsSync(join(projectDir, 'dist', 'server.mjs'))) {
      throw new FactoryError(
        'DEPLOY_FAILED',
        `the generated project of ${name} revision ${version.revision} is missing (${projectDir})`,
        { details: { hint: `Create it again: mcp-factory create --spec … --register --force` } },
      );
    }
    if (
      request.port !== undefined &&
      (!Number.isInteger(request.port) || request.port < 0 || request.port > 65535)
    ) {
      throw new FactoryError(
        'INVALID_ARGUMENTS',
        `invalid port ${request.port}: 1-65535, or 0 for a free one`,
      );
    }
    const given = request.env ?? {};
    for (const key of Object.keys(given)) checkEnvName(key);
    const stored = target.readEnv(name);
    const env = { ...stored, ...given };
    // Another node's secret store is not readable from here: that node's server reports what it misses.
    const remote = node !== undefined && node !== cluster?.node;
    const missing = remote ? [] : await this.missingEnv(version.spec as ServerSpec, request.target, given);
    if (missing.length > 0) throw missingEnvError(name, missing);
    if (Object.keys(given).length > 0) {
      target.writeEnv(name, env);
      await this.#recordSecretRefs(registry, name, Object.keys(env), actor);
    }
    let d = await registry.upsertDeployment({
      server: name,
      target: request.target,
      revision: version.revision,
      desired: 'running',
      ...(request.port !== undefined ? { port: request.port === 0 ? null : request.port } : {}),
      actor,
    });
    if (node !== undefined) await registry.cluster.place(d.id, node);
    // `pending` = "apply this now": a failed deployment gets a fresh set of attempts, a running one is
    // replaced if what it runs differs from what is wanted.
    d = await registry.updateDeployment(d.id, { status: 'pending', lastError: null }, { actor });
    await this.#serverStatus(registry, name, 'deploying', actor);
    // Another node's supervisor picks the change up on its next pass; this home's is nudged now.
    if (!remote) await target.apply([d]);
    d = await this.#awaitRunning(d.id, name);
    if (d.status === 'running') await this.#serverStatus(registry, name, 'running', actor);
    return d;
  }

  async #recordSecretRefs(registry: Registry, name: string, names: string[], actor: string): Promise<void> {
    const existing = await registry.listSecretRefs(name);
    const others = existing.filter((r) => !names.includes(r.envVar) && r.source !== LOCAL_SECRET_SOURCE);
    const ours: SecretRef[] = names.map((envVar) => ({
      envVar,
      source: LOCAL_SECRET_SOURCE,
      description: LOCAL_SECRET_DESCRIPTION,
    }));
    await registry.setSecretRefs(name, [...others, ...ours], { actor });
  }

  /** The server-level summary of its deployment (the supervisor derives it too; this settles it now). */
  async #serverStatus(
    registry: Registry,
    name: string,
    status: 'deploying' | 'running' | 'stopped',
    actor: string,
  ): Promise<void> {
    try {
      const server = await registry.getServer(name);
      if (server.status === status || server.status === 'removed') return;
      await registry.setStatus(name, status, { actor, expect: [server.status] });
    } catch (error) {
      if (!(error instanceof FactoryError && error.code === 'REGISTRY_CONFLICT')) throw error;
    }
  }

  async #waitFor(
    id: number,
    name: string,
    what: string,
    check: (d: DeploymentRecord) => 'done' | 'failed' | undefined,
  ): Promise<DeploymentRecord> {
    const registry = await this.registry();
    const deadline = Date.now() + (this.#options.waitTimeoutMs ?? 90_000);
    let d = await registry.getDeployment(id);
    const target = await this.#target(d.target);
    let checked = Date.now();
    for (;;) {
      if (target.keepConverging && Date.now() - checked > KEEP_CONVERGING_MS) {
        // The target's runtime may have died while we wait: the desired state is in the registry, a new one resumes.
        checked = Date.now();
        await target.keepConverging().catch(() => undefined);
      }
      const verdict = check(d);
      if (verdict === 'done') return d;
      if (verdict === 'failed') {
        // A few log lines, never the bundle source Node prints under a crash (log-excerpt.ts).
        const output = logExcerpt(await target.recentOutput(name, 40), { maxLines: 8 }).join('\n');
        throw new FactoryError('DEPLOY_FAILED', `${name}: ${d.lastError ?? `deployment ${d.status}`}`, {
          details: {
            server: name,
            deployment: d.id,
            status: d.status,
            output,
            ...(d.target === 'local' ? { log: this.layout.logFile(name) } : {}),
            hint: `The whole output: mcp-factory logs ${name}`,
          },
        });
      }
      if (Date.now() > deadline) {
        throw new FactoryError(
          'DEPLOY_TIMEOUT',
          `${name} is still ${d.status} after ${Math.round((this.#options.waitTimeoutMs ?? 90_000) / 1000)} s (wanted: ${what})${d.lastError ? `: ${d.lastError}` : ''}`,
          { details: { server: name, deployment: d.id, status: d.status } },
        );
      }
      await sleep(150);
      d = await registry.getDeployment(id);
    }
  }

  #awaitRunning(id: number, name: string): Promise<DeploymentRecord> {
    return this.#waitFor(id, name, 'running', (d) =>
      d.desired !== 'running'
        ? 'done' // someone stopped it meanwhile: report what is
        : d.status === 'running'
          ? 'done'
          : d.status === 'failed'
            ? 'failed'
            : undefined,
    );
  }

  #awaitStopped(id: number, name: string): Promise<DeploymentRecord> {
    return this.#waitFor(id, name, 'stopped', (d) =>
      d.status === 'stopped' || (d.desired === 'running' && d.status !== 'stopping') ? 'done' : undefined,
    );
  }

  /** Stop every deployment of a server (they stay recorded, desired state `stopped`). */
  async stop(name: string, options: { actor: string }): Promise<void> {
    const registry = await this.registry();
    const deployments = await this.#deployments(name);
    for (const d of deployments) {
      await registry.updateDeployment(d.id, { desired: 'stopped' }, { actor: options.actor });
    }
    await this.#apply(deployments);
    let stopped = true;
    for (const d of deployments)
      stopped = (await this.#awaitStopped(d.id, name)).status === 'stopped' && stopped;
    if (stopped) await this.#serverStatus(registry, name, 'stopped', options.actor);
  }

  /** Start every deployment of a server again (a failed one gets a fresh set of attempts). */
  async start(name: string, options: { actor: string }): Promise<void> {
    const registry = await this.registry();
    const deployments = await this.#deployments(name);
    for (const d of deployments) {
      await registry.updateDeployment(
        d.id,
        { desired: 'running', status: 'pending', lastError: null },
        { actor: options.actor },
      );
    }
    await this.#serverStatus(registry, name, 'deploying', options.actor);
    await this.#apply(deployments);
    let running = true;
    for (const d of deployments)
      running = (await this.#awaitRunning(d.id, name)).status === 'running' && running;
    if (running) await this.#serverStatus(registry, name, 'running', options.actor);
  }

  /**
   * Remove a server: registry tombstone (versions, audit and secret references stay, so it can be revived or
   * rolled back), its deployments stopped, and its stored environment values deleted.
   */
  async remove(name: string, options: { actor: string }): Promise<void> {
    const registry = await this.registry();
    await registry.removeServer(name, options);
    const deployments = (await registry.listDeployments({ server: name })).filter((d) =>
      isTargetName(d.target),
    );
    const active = deployments.filter((d) => d.status !== 'stopped');
    if (active.length > 0) {
      await this.#apply(active);
      for (const d of active) await this.#awaitStopped(d.id, name);
    }
    // Every target, not only those with a deployment: values are stored before a deployment is recorded.
    for (const targetName of TARGET_NAMES) (await this.#target(targetName)).removeEnv(name);
    // What a target keeps beyond a stopped deployment (a swarm service scaled to 0, its secrets).
    for (const targetName of TARGET_NAMES) await (await this.#target(targetName)).forget?.(name);
  }

  // ---- reading

  async list(): Promise<ServerRecord[]> {
    return (await this.registry()).listServers();
  }

  /** Every deployment (all targets; removed servers' too), for tables. */
  async listDeployments(): Promise<DeploymentRecord[]> {
    return (await this.registry()).listDeployments();
  }

  async status(name: string): Promise<ServerStatusReport> {
    const registry = await this.registry();
    const server = await registry.getServer(name);
    const versions = await registry.listVersions(name);
    const current = await registry.getVersion(name);
    const deployments = await registry.listDeployments({ server: name });
    const health = new Map<number, HealthReport>();
    for (const target of new Set(deployments.map((d) => d.target))) {
      if (!isTargetName(target)) continue;
      const ds = deployments.filter((d) => d.target === target);
      for (const [id, h] of await (await this.#target(target)).health(ds, (d) =>
        this.#spec(name, d.revision),
      )) {
        health.set(id, h);
      }
    }
    for (const d of deployments) {
      const h = health.get(d.id);
      if (h && d.target !== 'local') await this.#healthHistory.record(registry.health, d, h);
    }
    // Health checks record replica counts (swarm, kubernetes): the records as they are after them.
    const recorded = health.size > 0 ? await registry.listDeployments({ server: name }) : deployments;
    return {
      server,
      versions,
      deployments: recorded.map((d) => {
        const h = health.get(d.id);
        return h ? { ...d, health: h } : d;
      }),
      tools: current.tools.map((t) => ({ name: t.name, description: t.description })),
      ...(await this.#triggerSummary(registry, name, deployments)),
    };
  }

  /** Import what the server's local deployment recorded since the last read (other targets keep theirs). */
  async #importTriggerHistory(registry: Registry, name: string, deployments: DeploymentRecord[]) {
    // Local processes and docker containers keep it in the same folder of the home (docker: a bind mount).
    if (!deployments.some((d) => d.target === 'local' || d.target === 'docker')) return;
    // Loaded here (its schema pulls in zod): `mcp-factory status` of a server not deployed locally skips it.
    const { importTriggerHistory, triggerStateDir } = await import('./trigger-history.js');
    await importTriggerHistory(registry.triggers, name, triggerStateDir(this.layout, name));
  }

  async #triggerSummary(registry: Registry, name: string, deployments: DeploymentRecord[]) {
    await this.#importTriggerHistory(registry, name, deployments);
    const triggers = await registry.triggers.summary(name);
    return triggers.length ? { triggers } : {};
  }

  async triggerRuns(name: string, filter: TriggerRunFilter = {}): Promise<TriggerRun[]> {
    const registry = await this.registry();
    await registry.getServer(name);
    await this.#importTriggerHistory(registry, name, await registry.listDeployments({ server: name }));
    return registry.triggers.list(name, filter);
  }

  logs(name: string, query: LogQuery = {}): AsyncIterable<string> {
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        const registry = await self.registry();
        await registry.getServer(name);
        const [d] = (await registry.listDeployments({ server: name }))
          .filter((x) => isTargetName(x.target))
          .sort(preferred);
        if (d?.target === 'local' && self.cluster) await self.#refuseRemoteLogs(registry, self.cluster, d);
        yield* (await self.#target(d?.target ?? DEFAULT_TARGET)).logs(name, query);
      },
    };
  }

  /**
   * A local server's log is a file in the home of the node that runs it: another node's instance answers
   * CLUSTER_REMOTE_NODE (HTTP 421) with that node's API URL instead of an empty or stale log of its own.
   */
  async #refuseRemoteLogs(registry: Registry, cluster: ClusterSettings, d: DeploymentRecord): Promise<void> {
    const node = (await registry.cluster.placements()).get(d.id);
    if (node === undefined || node === cluster.node) return;
    const url = (await registry.cluster.nodes()).find((n) => n.name === node)?.url ?? null;
    throw new FactoryError('CLUSTER_REMOTE_NODE', `${d.server} runs on node ${node}; its logs are there`, {
      details: {
        server: d.server,
        node,
        url,
        hint: url
          ? `GET ${url.replace(/\/$/, '')}/mcp/servers/${d.server}/logs`
          : `Read them on node ${node} (mcp-factory logs ${d.server}); set MCP_FACTORY_NODE_URL there to get its address here.`,
      },
    });
  }

  // ---- talking to a deployed server (deployed-server.ts)

  async #connect(
    name: string,
  ): Promise<{ client: Client; deployment: DeploymentRecord; env: Record<string, string> }> {
    const { connectDeployment, runningDeployment } = await loadDeployedServer();
    const deployment = runningDeployment(name, await this.#deployments(name));
    const spec = await this.#spec(name, deployment.revision);
    const env = (await this.#target(deployment.target)).readEnv(name);
    return { client: await connectDeployment(name, deployment, spec, env), deployment, env };
  }

  async listTools(name: string): Promise<ToolSummary[]> {
    const { listDeployedTools } = await loadDeployedServer();
    const { client } = await this.#connect(name);
    try {
      return await listDeployedTools(client);
    } finally {
      await client.close().catch(() => undefined);
    }
  }

  async endpoints(): Promise<ServerEndpoint[]> {
    const registry = await this.registry();
    const { isUpstreamAuth, upstreamCredentials } = await import('../platform/mcp-client/oauth.js');
    const running = (await registry.listDeployments())
      .filter((d) => isTargetName(d.target) && d.status === 'running' && d.endpoint)
      .sort(preferred);
    const out: ServerEndpoint[] = [];
    const seen = new Set<string>();
    for (const d of running) {
      const name = d.server;
      if (seen.has(name)) continue; // one deployment per server: the preferred target
      seen.add(name);
      try {
        const spec = await this.#spec(name, d.revision);
        const target = await this.#target(d.target);
        const env = target.readEnv(name);
        const credentials = upstreamCredentials(spec, env, d.endpoint!);
        const replicas = target.replicaEndpoints?.(d);
        out.push({
          name,
          endpoint: d.endpoint!,
          ...(replicas ? { replicas } : {}),
          ...(isUpstreamAuth(credentials) ? { headers: {}, auth: credentials } : { headers: credentials }),
          revision: d.revision,
        });
      } catch {
        // removed meanwhile, or its target cannot be read: not an upstream now
      }
    }
    return out;
  }

  async callTool(name: string, tool: string, args: Record<string, unknown>): Promise<ToolCallResult> {
    const registry = await this.registry();
    const { callDeployedTool } = await loadDeployedServer();
    const { client } = await this.#connect(name);
    try {
      return await callDeployedTool(registry, client, name, tool, args);
    } finally {
      await client.close().catch(() => undefined);
    }
  }

  /** Run the planned test cases of the deployed revision (test/cases.json) against the deployment. */
  async testDeployed(
    name: string,
  ): Promise<{ protocolVersion: string | undefined; outcomes: CaseOutcome[] }> {
    const registry = await this.registry();
    const { testDeployment } = await loadDeployedServer();
    const { client, deployment, env } = await this.#connect(name);
    try {
      return await testDeployment(
        registry,
        client,
        name,
        await this.projectDir(name, deployment.revision),
        env,
      );
    } finally {
      await client.close().catch(() => undefined);
    }
  }

  // ---- the supervisor

  supervisorInfo(): Promise<SupervisorInfo | undefined> {
    return this.supervisor.ping();
  }

  async close(): Promise<void> {
    if (this.#registry && !this.#options.registry) await this.#registry.close();
    this.#registry = undefined;
    this.#opening = undefined;
  }
}

export function createControlPlane(options: ControlPlaneOptions = {}): LocalControlPlane {
  return new LocalControlPlane(options);
}
