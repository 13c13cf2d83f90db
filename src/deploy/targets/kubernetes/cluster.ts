/**
 * The apply path of the kubernetes target: a server revision's manifests (manifests.ts) applied to a cluster by
 * server-side apply (field manager `mcp-factory`, conflicts not forced), its Deployment's status read back as
 * health, stop (scale to 0), start, rollback (the earlier revision's manifests applied again), removal (every
 * object carrying the server's label) and pod logs. It talks to the cluster only through KubernetesApi, so the
 * same code runs against @kubernetes/client-node (client.ts) and a recording fake in tests. The target never
 * pushes images: the cluster must be able to pull `<prefix>mcp-factory/<name>:r<revision>`.
 */
import type { ServerSpec } from '../../../core/spec/model.js';
import type { HealthReport } from '../../types.js';
import { buildManifests, type KubernetesObject, SERVER_LABEL } from './manifests.js';
import { type KubernetesOptions, kubernetesName } from './options.js';

/** What the cluster says about a server's Deployment. */
export interface DeploymentStatus {
  replicas: number;
  availableReplicas: number;
  updatedReplicas: number;
  image: string;
}

/** The part of the Kubernetes API the target uses (client.ts implements it with @kubernetes/client-node). */
export interface KubernetesApi {
  /** Server-side apply of one object (fieldManager mcp-factory, force off). */
  apply(object: KubernetesObject): Promise<void>;
  /** undefined when the Deployment does not exist. */
  readDeployment(namespace: string, name: string): Promise<DeploymentStatus | undefined>;
  scaleDeployment(namespace: string, name: string, replicas: number): Promise<void>;
  /** Delete every object of these kinds matching the label selector; a no-op when there are none. */
  deleteByLabel(namespace: string, labelSelector: string): Promise<void>;
  /** Lines of the pods matching the selector: the last `tail`, then new ones while `follow` until aborted. */
  podLogs(
    namespace: string,
    labelSelector: string,
    query: { tail: number; follow: boolean; signal?: AbortSignal | undefined },
  ): AsyncIterable<string>;
}

export interface RevisionSource {
  revision: number;
  spec: ServerSpec;
}

/** Order of apply: what others reference first (Secret before the Deployment that reads it). */
export const APPLY_ORDER = [
  'Secret',
  'Service',
  'NetworkPolicy',
  'Deployment',
  'PodDisruptionBudget',
  'HorizontalPodAutoscaler',
  'Ingress',
];

export class KubernetesCluster {
  readonly #api: KubernetesApi;

  constructor(api: KubernetesApi) {
    this.#api = api;
  }

  /** Apply the manifests of a revision (a new one rolls the Deployment to its image tag); returns them. */
  async applyRevision(
    server: string,
    source: RevisionSource,
    env: Record<string, string>,
    options: KubernetesOptions,
  ): Promise<KubernetesObject[]> {
    const objects = buildManifests({
      server,
      revision: source.revision,
      spec: source.spec,
      env,
      secretValues: true,
      options,
    }).sort((a, b) => APPLY_ORDER.indexOf(a.kind) - APPLY_ORDER.indexOf(b.kind));
    for (const object of objects) await this.#api.apply(object);
    return objects;
  }

  /** Roll back: the earlier revision's manifests applied again (its image tag, its NetworkPolicy, …). */
  rollback(
    server: string,
    previous: RevisionSource,
    env: Record<string, string>,
    options: KubernetesOptions,
  ): Promise<KubernetesObject[]> {
    return this.applyRevision(server, previous, env, options);
  }

  async stop(server: string, namespace = 'default'): Promise<void> {
    await this.#api.scaleDeployment(namespace, kubernetesName(server), 0);
  }

  async start(server: string, replicas: number, namespace = 'default'): Promise<void> {
    await this.#api.scaleDeployment(namespace, kubernetesName(server), replicas);
  }

  async remove(server: string, namespace = 'default'): Promise<void> {
    await this.#api.deleteByLabel(namespace, `${SERVER_LABEL}=${kubernetesName(server)}`);
  }

  /** Health from the Deployment: all replicas updated and available → healthy; none available → unhealthy. */
  async health(server: string, namespace = 'default'): Promise<HealthReport & { status?: DeploymentStatus }> {
    const checkedAt = new Date().toISOString();
    const status = await this.#api.readDeployment(namespace, kubernetesName(server));
    if (!status) return { health: 'unhealthy', checkedAt, detail: 'the Deployment does not exist' };
    const { replicas, availableReplicas, updatedReplicas } = status;
    const detail = `${availableReplicas}/${replicas} available, ${updatedReplicas} updated (${status.image})`;
    if (replicas === 0) return { health: 'unknown', checkedAt, detail: 'scaled to 0', status };
    if (availableReplicas >= replicas && updatedReplicas >= replicas)
      return { health: 'healthy', checkedAt, detail, status };
    return { health: availableReplicas > 0 ? 'degraded' : 'unhealthy', checkedAt, detail, status };
  }

  logs(
    server: string,
    query: { tail: number; follow: boolean; signal?: AbortSignal | undefined },
    namespace = 'default',
  ): AsyncIterable<string> {
    return this.#api.podLogs(namespace, `${SERVER_LABEL}=${kubernetesName(server)}`, query);
  }
}
