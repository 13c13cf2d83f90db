/**
 * McpServerApi over @kubernetes/client-node: apply and Deployment reads through the kubernetes target's
 * ClientNodeApi, MCPServer list/watch/status through the custom objects API. A watch that the API server
 * refuses with 410 (the resourceVersion was compacted), at start or as an ERROR event, becomes an ERROR event
 * with code 410 so the operator lists again. Loaded only by `mcp-factory operator` (the client is a large import).
 */
import {
  CustomObjectsApi,
  type KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import { ClientNodeApi, loadKubeConfig } from './client.js';
import type { DeploymentStatus } from './cluster.js';
import { CRD_GROUP, CRD_PLURAL, CRD_VERSION } from './crd.js';
import { FIELD_MANAGER, type KubernetesObject } from './manifests.js';
import type { McpServerApi, McpServerResource, McpServerStatus, WatchEvent } from './operator-api.js';

const WATCH_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK']);

export class ClientNodeOperatorApi implements McpServerApi {
  readonly #config: KubeConfig;
  readonly #target: ClientNodeApi;
  readonly #custom: CustomObjectsApi;
  readonly #objects: KubernetesObjectApi;

  constructor(config: KubeConfig = loadKubeConfig()) {
    this.#config = config;
    this.#target = new ClientNodeApi(config);
    this.#custom = config.makeApiClient(CustomObjectsApi);
    this.#objects = KubernetesObjectApi.makeApiClient(config);
  }

  apply(object: KubernetesObject): Promise<void> {
    return this.#target.apply(object);
  }

  readDeployment(namespace: string, name: string): Promise<DeploymentStatus | undefined> {
    return this.#target.readDeployment(namespace, name);
  }

  async listServers(
    namespace: string | undefined,
  ): Promise<{ items: McpServerResource[]; resourceVersion: string }> {
    const base = { group: CRD_GROUP, version: CRD_VERSION, plural: CRD_PLURAL };
    const list = (
      namespace === undefined
        ? await this.#custom.listClusterCustomObject(base)
        : await this.#custom.listNamespacedCustomObject({ ...base, namespace })
    ) as { items?: McpServerResource[]; metadata?: { resourceVersion?: string } };
    return { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  async *watchServers(
    namespace: string | undefined,
    resourceVersion: string,
    signal: AbortSignal,
  ): AsyncIterable<WatchEvent> {
    const path =
      namespace === undefined
        ? `/apis/${CRD_GROUP}/${CRD_VERSION}/${CRD_PLURAL}`
        : `/apis/${CRD_GROUP}/${CRD_VERSION}/namespaces/${encodeURIComponent(namespace)}/${CRD_PLURAL}`;
    const events: WatchEvent[] = [];
    let finished = false;
    let failure: unknown;
    let wake: (() => void) | undefined;
    const notify = () => wake?.();
    const controller = await new Watch(this.#config).watch(
      path,
      { resourceVersion, allowWatchBookmarks: true },
      (type, object) => {
        if (type === 'ERROR') {
          const status = object as { code?: number; message?: string };
          events.push({ type: 'ERROR', code: status.code ?? 500, message: status.message ?? 'watch error' });
        } else if (WATCH_TYPES.has(type))
          events.push({ type: type as 'ADDED', object: object as McpServerResource });
        notify();
      },
      (error) => {
        finished = true;
        failure = error;
        notify();
      },
    );
    const abort = () => controller.abort();
    signal.addEventListener('abort', abort, { once: true });
    try {
      for (;;) {
        const event = events.shift();
        if (event) {
          yield event;
          continue;
        }
        if (finished || signal.aborted) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
      const code = (failure as { statusCode?: number } | null)?.statusCode;
      if (code === 410) yield { type: 'ERROR', code: 410, message: 'resourceVersion too old' };
      else if (failure && !signal.aborted) throw failure;
    } finally {
      signal.removeEventListener('abort', abort);
      controller.abort();
    }
  }

  async patchServerStatus(namespace: string, name: string, status: McpServerStatus): Promise<void> {
    await this.#custom.patchNamespacedCustomObjectStatus(
      {
        group: CRD_GROUP,
        version: CRD_VERSION,
        plural: CRD_PLURAL,
        namespace,
        name,
        body: { status },
        fieldManager: FIELD_MANAGER,
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  async deleteObject(apiVersion: string, kind: string, namespace: string, name: string): Promise<void> {
    try {
      await this.#objects.delete({ apiVersion, kind, metadata: { name, namespace } });
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code !== 404) throw error;
    }
  }
}
