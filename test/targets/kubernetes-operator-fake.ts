/**
 * An in-memory cluster for the operator tests: MCPServer resources with generation and resourceVersion, a watch
 * that streams changes (and answers 410 Gone when told to), server-side apply recorded per object, a Deployment
 * status derived from the applied Deployment (ready when `rolloutDone`), conflicts injected per kind, and the
 * garbage collector's cascade: deleting a resource deletes the objects it owns.
 */
import type { DeploymentStatus } from '../../src/deploy/targets/kubernetes/cluster.js';
import { CRD_API_VERSION, CRD_KIND } from '../../src/deploy/targets/kubernetes/crd.js';
import type { KubernetesObject } from '../../src/deploy/targets/kubernetes/manifests.js';
import type {
  McpServerApi,
  McpServerResource,
  McpServerStatus,
  WatchEvent,
} from '../../src/deploy/targets/kubernetes/operator-api.js';
import type { Loose } from './kubernetes-helpers.js';

export const STATIC_TOOL = { name: 'hello', description: 'Says hello.', static: { text: 'hello' } };

export function resource(name: string, spec: Record<string, unknown>, namespace = 'mcp'): McpServerResource {
  return {
    apiVersion: CRD_API_VERSION,
    kind: CRD_KIND,
    metadata: { name, namespace, uid: `uid-${name}`, generation: 1 },
    spec,
  };
}

export function validSpec(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    server: { name: 'orders', version: '1.0.0', tools: [STATIC_TOOL] },
    image: 'registry.example.com/team/orders:1.0.0',
    envSecrets: ['orders-env'],
    ...extra,
  };
}

export class FakeCluster implements McpServerApi {
  servers = new Map<string, McpServerResource>();
  objects = new Map<string, KubernetesObject>();
  applied: KubernetesObject[] = [];
  deleted: string[] = [];
  patches: { key: string; status: McpServerStatus }[] = [];
  listCalls = 0;
  watchCalls: string[] = [];
  rolloutDone = false;
  conflictOn: string | undefined;
  goneOnNextWatch = false;
  /** What the next watches do before streaming: end at once with nothing, or send an ERROR event. */
  watchScript: Array<'close' | { error: number }> = [];
  #version = 1;
  #watchers = new Set<(event: WatchEvent) => void>();

  #bump(): string {
    this.#version += 1;
    return String(this.#version);
  }

  #emit(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: McpServerResource): void {
    for (const watcher of this.#watchers) watcher({ type, object: structuredClone(object) });
  }

  /** kubectl apply of a resource: a spec change bumps the generation. */
  put(resource: McpServerResource): void {
    const key = `${resource.metadata.namespace}/${resource.metadata.name}`;
    const before = this.servers.get(key);
    const next = structuredClone(resource);
    next.metadata.generation = before
      ? (before.metadata.generation ?? 1) +
        (JSON.stringify(before.spec) === JSON.stringify(next.spec) ? 0 : 1)
      : 1;
    next.metadata.resourceVersion = this.#bump();
    if (before?.status) next.status = before.status;
    this.servers.set(key, next);
    this.#emit(before ? 'MODIFIED' : 'ADDED', next);
  }

  /** kubectl delete: the resource goes, and the garbage collector deletes what it owns. */
  remove(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const gone = this.servers.get(key);
    if (!gone) return;
    this.servers.delete(key);
    for (const [id, object] of this.objects)
      if ((object.metadata as Loose).ownerReferences?.some((o: Loose) => o.uid === gone.metadata.uid))
        this.objects.delete(id);
    gone.metadata.resourceVersion = this.#bump();
    this.#emit('DELETED', gone);
  }

  async apply(object: KubernetesObject): Promise<void> {
    if (object.kind === this.conflictOn)
      throw Object.assign(new Error('HTTP-Code: 409'), {
        code: 409,
        body: JSON.stringify({
          message: `Apply failed with 1 conflict: conflict with "kubectl-edit": .spec.${object.kind}`,
        }),
      });
    this.applied.push(structuredClone(object));
    this.objects.set(
      `${object.kind}/${object.metadata.namespace}/${object.metadata.name}`,
      structuredClone(object),
    );
  }

  async readDeployment(namespace: string, name: string): Promise<DeploymentStatus | undefined> {
    const d = this.objects.get(`Deployment/${namespace}/${name}`) as Loose;
    if (!d) return undefined;
    const replicas = d.spec.replicas ?? 1;
    const done = this.rolloutDone ? replicas : 0;
    return {
      replicas,
      availableReplicas: done,
      updatedReplicas: done,
      image: d.spec.template.spec.containers[0].image,
    };
  }

  async listServers(namespace: string | undefined) {
    this.listCalls += 1;
    const items = [...this.servers.values()].filter((s) => !namespace || s.metadata.namespace === namespace);
    return { items: structuredClone(items), resourceVersion: String(this.#version) };
  }

  async *watchServers(_namespace: string | undefined, resourceVersion: string, signal: AbortSignal) {
    this.watchCalls.push(resourceVersion);
    if (this.goneOnNextWatch) {
      this.goneOnNextWatch = false;
      yield { type: 'ERROR', code: 410, message: 'too old resource version' } as WatchEvent;
      return;
    }
    const scripted = this.watchScript.shift();
    if (scripted === 'close') return;
    if (scripted) {
      yield { type: 'ERROR', code: scripted.error, message: 'internal error' } as WatchEvent;
      return;
    }
    const pending: WatchEvent[] = [];
    let wake: (() => void) | undefined;
    const watcher = (event: WatchEvent) => {
      pending.push(event);
      wake?.();
    };
    this.#watchers.add(watcher);
    const onAbort = () => wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      while (!signal.aborted) {
        const event = pending.shift();
        if (event) yield event;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      this.#watchers.delete(watcher);
      signal.removeEventListener('abort', onAbort);
    }
  }

  async patchServerStatus(namespace: string, name: string, status: McpServerStatus): Promise<void> {
    const key = `${namespace}/${name}`;
    const current = this.servers.get(key);
    if (!current) throw Object.assign(new Error('not found'), { code: 404 });
    this.patches.push({ key, status: structuredClone(status) });
    current.status = structuredClone(status);
    current.metadata.resourceVersion = this.#bump();
    this.#emit('MODIFIED', current);
  }

  async deleteObject(apiVersion: string, kind: string, namespace: string, name: string): Promise<void> {
    if (this.objects.delete(`${kind}/${namespace}/${name}`))
      this.deleted.push(`${apiVersion} ${kind}/${name}`);
  }

  /** The stored version of a resource (with the status the operator patched). */
  get(namespace: string, name: string): McpServerResource {
    return structuredClone(this.servers.get(`${namespace}/${name}`) as McpServerResource);
  }
}

export async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
