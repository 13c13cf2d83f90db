/**
 * The kubernetes target (`--target kubernetes`): each server is a Deployment (+ Service, Secret, NetworkPolicy,
 * …) applied by cluster.ts. A deploy server-side-applies the manifests of the deployment's revision (a new
 * revision rolls the image tag; a rollback re-applies the earlier revision's objects) and records `running`
 * with the in-cluster endpoint; stop scales to 0; removal deletes the server's objects by label. Health is the
 * Deployment's available/updated replicas. The target never builds or pushes images: the cluster must be able
 * to pull `<imagePrefix>mcp-factory/<name>:r<revision>` (docs/kubernetes.md).
 *
 * Per-server options (namespace, replicas, image prefix, ingress host, HPA) are read from
 * `<home>/servers/<name>/kubernetes.json` (defaults when absent); environment values live in the local secret
 * store `<home>/secrets/<name>.kubernetes.env` and reach the cluster only as the server's Secret.
 */
import { FactoryError } from '../../../core/errors/index.js';
import { ServerSpec } from '../../../core/spec/model.js';
import type { HomeLayout } from '../../../platform/home.js';
import { readEnvFile, removeEnvFile, writeEnvFile } from '../../../platform/secrets.js';
import type { DeploymentRecord, Registry } from '../../../store/index.js';
import type {
  DeploymentHealth,
  DeploymentTarget,
  KubernetesDeployOptions,
  TargetContext,
  TargetFactoryContext,
} from '../../target.js';
import type { LogQuery } from '../../types.js';
import { recordReplicas } from '../replica-counts.js';
import {
  type KubernetesApi,
  KubernetesCluster,
  type DeploymentStatus as KubernetesDeploymentStatus,
} from './cluster.js';
import type { KubernetesObject } from './manifests.js';
import {
  checkKubernetesOptions,
  DEFAULT_NAMESPACE,
  type KubernetesOptions,
  kubernetesName,
} from './options.js';
import {
  kubernetesOptionsFile,
  mergeKubernetesOptions,
  readKubernetesOptionsFile,
  writeKubernetesOptionsFile,
} from './options-file.js';

const ACTOR = 'kubernetes-target';

export interface KubernetesTargetOptions {
  layout: HomeLayout;
  registry: () => Promise<Registry>;
  /** The cluster API (default: @kubernetes/client-node with the configured kubeconfig, loaded on first use). */
  api?: () => Promise<KubernetesApi>;
  /** How long a rollout may take to have every replica updated and available (default 180 s). */
  rolloutTimeoutMs?: number;
  /** Between two reads of the Deployment while waiting (default 2 s). */
  pollMs?: number;
}

async function defaultApi(): Promise<KubernetesApi> {
  const { ClientNodeApi, loadKubeConfig } = await import('./client.js');
  const config = loadKubeConfig();
  if (!config.getCurrentCluster())
    throw new FactoryError(
      'DEPLOY_TARGET_UNAVAILABLE',
      'the kubernetes target found no cluster in its kubeconfig',
      {
        details: {
          hint: 'Set MCP_FACTORY_KUBECONFIG or KUBECONFIG to a kubeconfig (e.g. kind get kubeconfig), or run in a cluster.',
        },
      },
    );
  return new ClientNodeApi(config);
}

export class KubernetesTarget implements DeploymentTarget {
  readonly name = 'kubernetes' as const;
  readonly #options: KubernetesTargetOptions;
  #cluster: Promise<KubernetesCluster> | undefined;

  constructor(options: KubernetesTargetOptions) {
    this.#options = options;
  }

  static create(context: TargetFactoryContext): KubernetesTarget {
    return new KubernetesTarget({ layout: context.layout, registry: context.registry });
  }

  #clusterApi(): Promise<KubernetesCluster> {
    this.#cluster ??= (this.#options.api ?? defaultApi)().then((api) => new KubernetesCluster(api));
    // A failed connection is not cached: the next call tries again (the kubeconfig may have been fixed).
    this.#cluster.catch(() => {
      this.#cluster = undefined;
    });
    return this.#cluster;
  }

  #settingsFile(server: string): string {
    return kubernetesOptionsFile(this.#options.layout, server);
  }

  /** The server's options from kubernetes.json (checked, options-file.ts), or the defaults. */
  settingsOf(server: string): KubernetesOptions {
    return readKubernetesOptionsFile(this.#settingsFile(server));
  }

  async ensureAvailable(context: TargetContext): Promise<void> {
    if (context.runtime !== undefined || context.swarm !== undefined)
      throw new FactoryError(
        'INVALID_ARGUMENTS',
        '--runtime and the swarm options do not apply to --target kubernetes',
        {
          details: {
            hint: `Leave them out; set Kubernetes options with --replicas, --namespace, --ingress-host and --image-prefix, or in ${this.#settingsFile(context.server)}.`,
          },
        },
      );
    kubernetesName(context.server);
    const current = this.settingsOf(context.server);
    const given = context.kubernetes;
    if (given === undefined) {
      await this.#clusterApi();
      return;
    }
    // The file's options with what this deploy gives, checked as a whole before anything is written.
    const merged = mergeKubernetesOptions(current, given);
    checkKubernetesOptions(merged);
    await this.#refuseNamespaceMove(context.server, current, given);
    await this.#clusterApi();
    // Checked and reachable: what this deploy sets is kept for later rollouts and export.
    writeKubernetesOptionsFile(this.#settingsFile(context.server), merged);
  }

  /**
   * A server already deployed here keeps its namespace: applying in another one would leave the first one's
   * objects running, out of the factory's sight. Remove it from the cluster first (stop is not enough).
   */
  async #refuseNamespaceMove(
    server: string,
    current: KubernetesOptions,
    given: KubernetesDeployOptions,
  ): Promise<void> {
    const from = current.namespace ?? DEFAULT_NAMESPACE;
    if (given.namespace === undefined || given.namespace === from) return;
    const registry = await this.#options.registry();
    const deployed = await registry.listDeployments({ server, target: this.name });
    if (deployed.length === 0) return;
    throw new FactoryError(
      'INVALID_ARGUMENTS',
      `${server} is deployed in namespace ${from}; --namespace ${given.namespace} would leave its objects there`,
      {
        details: {
          server,
          namespace: from,
          hint: `Remove it (mcp-factory remove ${server}) and create it again, or deploy without --namespace.`,
        },
      },
    );
  }

  #envFile(server: string): string {
    return this.#options.layout.envFile(`${server}.kubernetes`);
  }

  readEnv(server: string): Record<string, string> {
    return readEnvFile(this.#envFile(server));
  }

  writeEnv(server: string, env: Record<string, string>): void {
    writeEnvFile(this.#envFile(server), env);
  }

  removeEnv(server: string): void {
    removeEnvFile(this.#envFile(server));
  }

  /** Removal of a server: its objects in the cluster, only if it was ever deployed here (no cluster call otherwise). */
  async forget(server: string): Promise<void> {
    const registry = await this.#options.registry();
    const deployments = await registry.listDeployments({ server, target: this.name });
    if (deployments.length === 0) return;
    await (await this.#clusterApi()).remove(server, this.settingsOf(server).namespace);
  }

  async apply(deployments: DeploymentRecord[]): Promise<void> {
    const registry = await this.#options.registry();
    for (const given of deployments) {
      if (given.target !== this.name) continue;
      const d = await registry.getDeployment(given.id);
      try {
        const cluster = await this.#clusterApi();
        const settings = this.settingsOf(d.server);
        const server = await registry.getServer(d.server);
        if (server.status === 'removed') {
          await cluster.remove(d.server, settings.namespace);
          await registry.updateDeployment(d.id, { status: 'stopped', replicasActual: 0 }, { actor: ACTOR });
        } else if (d.desired === 'stopped') {
          await cluster.stop(d.server, settings.namespace);
          await registry.updateDeployment(d.id, { status: 'stopped', replicasActual: 0 }, { actor: ACTOR });
        } else {
          const version = await registry.getVersion(d.server, d.revision);
          const spec = ServerSpec.parse(version.spec);
          const objects = await cluster.applyRevision(
            d.server,
            { revision: d.revision, spec },
            this.readEnv(d.server),
            settings,
          );
          const rollout = await this.#awaitRollout(cluster, d.server, settings.namespace, objects);
          const name = kubernetesName(d.server);
          const port = spec.http?.port ?? 3000;
          const endpoint = `http://${name}.${settings.namespace ?? 'default'}.svc:${port}${spec.http?.path ?? '/mcp'}`;
          await registry.updateDeployment(
            d.id,
            {
              status: 'running',
              port,
              endpoint,
              processId: `deployment/${name}`,
              lastError: null,
              replicasDesired: rollout.replicas,
              replicasActual: rollout.availableReplicas,
            },
            { actor: ACTOR },
          );
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

  /** Until the Deployment runs the applied image on every replica; throws (recorded as failed) on timeout. */
  async #awaitRollout(
    cluster: KubernetesCluster,
    server: string,
    namespace: string | undefined,
    objects: KubernetesObject[],
  ): Promise<KubernetesDeploymentStatus> {
    const deployment = objects.find((o) => o.kind === 'Deployment') as
      | { spec: { template: { spec: { containers: { image: string }[] } } } }
      | undefined;
    const image = deployment?.spec.template.spec.containers[0]?.image;
    const deadline = Date.now() + (this.#options.rolloutTimeoutMs ?? 180_000);
    let last = 'the Deployment was not read';
    for (;;) {
      const report = await cluster.health(server, namespace);
      last = report.detail ?? report.health;
      if (report.health === 'healthy' && report.status && report.status.image === image) return report.status;
      if (Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, this.#options.pollMs ?? 2000));
    }
    throw new FactoryError('DEPLOY_FAILED', `the rollout of ${image} did not complete: ${last}`, {
      details: {
        hint: 'Check that the cluster can pull the image (kind load / k3d image import, --image-prefix).',
      },
    });
  }

  async health(deployments: DeploymentRecord[]): Promise<Map<number, DeploymentHealth>> {
    const reports = new Map<number, DeploymentHealth>();
    for (const d of deployments) {
      if (d.target !== this.name) continue;
      try {
        const cluster = await this.#clusterApi();
        const { status, ...report } = await cluster.health(d.server, this.settingsOf(d.server).namespace);
        // The record is shared with list and status: the rollout's counts as the cluster reports them now
        // (best effort: a failed write must not turn the health report into an error).
        if (status && d.desired === 'running' && status.replicas > 0)
          await recordReplicas(await this.#options.registry(), d, {
            desired: status.replicas,
            actual: status.availableReplicas,
          }).catch(() => undefined);
        reports.set(d.id, { ...report, ...(status ? { runtime: status } : {}) });
      } catch (error) {
        reports.set(d.id, {
          health: 'unknown',
          checkedAt: new Date().toISOString(),
          detail: (error as Error).message.slice(0, 500),
        });
      }
    }
    return reports;
  }

  async *logs(server: string, query: LogQuery = {}): AsyncIterable<string> {
    const cluster = await this.#clusterApi();
    yield* cluster.logs(
      server,
      { tail: query.tail ?? 100, follow: query.follow === true, signal: query.signal },
      this.settingsOf(server).namespace,
    );
  }

  async recentOutput(server: string, lines: number): Promise<string[]> {
    try {
      const out: string[] = [];
      // For error details only: a slow API server must not hold up the failure report.
      const signal = AbortSignal.timeout(10_000);
      for await (const line of this.logs(server, { tail: lines, signal })) out.push(line);
      return out.slice(-lines);
    } catch {
      return [];
    }
  }
}
