/**
 * KubernetesApi over @kubernetes/client-node: the kubeconfig of MCP_FACTORY_KUBECONFIG, else KUBECONFIG /
 * ~/.kube/config / the in-cluster service account (the client's default order). Server-side apply with field
 * manager `mcp-factory` and conflicts never forced: an object another manager owns fields of is reported, not
 * taken over. Loaded only when the apply path runs (the client is a large import).
 */

import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  Log,
  PatchStrategy,
} from '@kubernetes/client-node';
import { loadConfig } from '../../../platform/config.js';
import type { DeploymentStatus, KubernetesApi } from './cluster.js';
import { FIELD_MANAGER, type KubernetesObject } from './manifests.js';

/** Kinds removed with a server, by API version. */
const OWNED_KINDS: [string, string][] = [
  ['autoscaling/v2', 'HorizontalPodAutoscaler'],
  ['policy/v1', 'PodDisruptionBudget'],
  ['networking.k8s.io/v1', 'Ingress'],
  ['networking.k8s.io/v1', 'NetworkPolicy'],
  ['apps/v1', 'Deployment'],
  ['v1', 'Service'],
  ['v1', 'Secret'],
];

export function loadKubeConfig(env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const config = new KubeConfig();
  const file = loadConfig(env).kubeconfig;
  if (file) config.loadFromFile(file);
  else config.loadFromDefault();
  return config;
}

function notFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 404;
}

export class ClientNodeApi implements KubernetesApi {
  readonly #config: KubeConfig;
  readonly #objects: KubernetesObjectApi;
  readonly #apps: AppsV1Api;
  readonly #core: CoreV1Api;

  constructor(config: KubeConfig = loadKubeConfig()) {
    this.#config = config;
    this.#objects = KubernetesObjectApi.makeApiClient(config);
    this.#apps = config.makeApiClient(AppsV1Api);
    this.#core = config.makeApiClient(CoreV1Api);
  }

  async apply(object: KubernetesObject): Promise<void> {
    await this.#objects.patch(
      object,
      undefined,
      undefined,
      FIELD_MANAGER,
      false,
      PatchStrategy.ServerSideApply,
    );
  }

  async readDeployment(namespace: string, name: string): Promise<DeploymentStatus | undefined> {
    try {
      const d = await this.#apps.readNamespacedDeployment({ name, namespace });
      return {
        replicas: d.spec?.replicas ?? 0,
        availableReplicas: d.status?.availableReplicas ?? 0,
        updatedReplicas: d.status?.updatedReplicas ?? 0,
        image: d.spec?.template.spec?.containers[0]?.image ?? '',
      };
    } catch (error) {
      if (notFound(error)) return undefined;
      throw error;
    }
  }

  async scaleDeployment(namespace: string, name: string, replicas: number): Promise<void> {
    const patch = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace },
      spec: { replicas },
    };
    await this.#objects.patch(
      patch,
      undefined,
      undefined,
      FIELD_MANAGER,
      undefined,
      PatchStrategy.MergePatch,
    );
  }

  async deleteByLabel(namespace: string, labelSelector: string): Promise<void> {
    for (const [apiVersion, kind] of OWNED_KINDS) {
      const list = await this.#objects.list(
        apiVersion,
        kind,
        namespace,
        undefined,
        undefined,
        undefined,
        undefined,
        labelSelector,
      );
      for (const item of list.items) {
        try {
          await this.#objects.delete({
            apiVersion,
            kind,
            metadata: { name: item.metadata?.name, namespace },
          });
        } catch (error) {
          if (!notFound(error)) throw error;
        }
      }
    }
  }

  async *podLogs(
    namespace: string,
    labelSelector: string,
    query: { tail: number; follow: boolean; signal?: AbortSignal | undefined },
  ): AsyncIterable<string> {
    const pods = await this.#core.listNamespacedPod({ namespace, labelSelector });
    const names = pods.items.map((p) => p.metadata?.name).filter((n): n is string => Boolean(n));
    if (names.length === 0) return;
    const merged = new PassThrough();
    const log = new Log(this.#config);
    let open = names.length;
    const requests = await Promise.all(
      names.map((pod) => {
        const stream = new PassThrough();
        stream.pipe(merged, { end: false });
        stream.on('end', () => {
          open -= 1;
          if (open === 0) merged.end();
        });
        return log.log(namespace, pod, 'server', stream, { follow: query.follow, tailLines: query.tail });
      }),
    );
    const abort = () => {
      for (const request of requests) request.abort();
      merged.end();
    };
    query.signal?.addEventListener('abort', abort, { once: true });
    try {
      for await (const line of createInterface({ input: merged, crlfDelay: Number.POSITIVE_INFINITY }))
        yield line;
    } finally {
      query.signal?.removeEventListener('abort', abort);
      for (const request of requests) request.abort();
    }
  }
}
