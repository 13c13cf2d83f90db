/**
 * What the operator needs from a cluster beyond the kubernetes target's KubernetesApi: list and watch MCPServer
 * resources (with resourceVersion resume), patch their status subresource, and delete an object the resource no
 * longer wants (an Ingress after ingressHost was removed). operator-client.ts implements it with
 * @kubernetes/client-node; tests use an in-memory fake.
 */
import type { KubernetesApi } from './cluster.js';

export interface McpServerCondition {
  type: 'Ready' | 'Progressing' | 'Degraded';
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message?: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface McpServerStatus {
  conditions?: McpServerCondition[];
  observedGeneration?: number;
  replicas?: number;
  readyReplicas?: number;
  endpoint?: string;
  revision?: string;
}

/** An MCPServer as read from the API (fields unchecked: the operator validates them, the API server may not). */
export interface McpServerResource {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    deletionTimestamp?: string;
  };
  spec?: Record<string, unknown>;
  status?: McpServerStatus;
}

export type WatchEvent =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: McpServerResource }
  /** A watch error from the server; 410 (Gone) means the resourceVersion is too old: list again. */
  | { type: 'ERROR'; code: number; message: string };

export interface McpServerApi extends Pick<KubernetesApi, 'apply' | 'readDeployment'> {
  /** Every MCPServer of the namespace (all namespaces when undefined) and the list's resourceVersion. */
  listServers(
    namespace: string | undefined,
  ): Promise<{ items: McpServerResource[]; resourceVersion: string }>;
  /** Changes after resourceVersion until the server closes the watch or the signal aborts. */
  watchServers(
    namespace: string | undefined,
    resourceVersion: string,
    signal: AbortSignal,
  ): AsyncIterable<WatchEvent>;
  /** Merge-patch of the status subresource. */
  patchServerStatus(namespace: string, name: string, status: McpServerStatus): Promise<void>;
  /** Delete one object; a no-op when it does not exist. */
  deleteObject(apiVersion: string, kind: string, namespace: string, name: string): Promise<void>;
}
