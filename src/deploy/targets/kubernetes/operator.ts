/**
 * `mcp-factory operator`: reconciles MCPServer resources. For each one it plans (operator-plan.ts: checks, the
 * spec parser, the code policy, the manifests), server-side applies the objects (field manager mcp-factory,
 * conflicts not forced, so a field someone else owns is reported as ApplyConflict instead of taken over),
 * deletes optional objects the resource no longer wants, reads the Deployment back and patches the status
 * subresource when it changed. Level-triggered and idempotent: a reconcile looks only at the latest version of
 * the resource, so repeating it changes nothing. Failures are retried with exponential backoff, rollouts are
 * polled, ready resources are resynced. `run` lists, then watches from the list's resourceVersion (resuming
 * after a closed watch, listing again on 410 Gone); deletion needs no work: the objects are owned by the
 * resource and the garbage collector removes them.
 */
import { FactoryError } from '../../../core/errors/index.js';
import type { McpServerApi, McpServerResource, McpServerStatus } from './operator-api.js';
import { type OperatorPolicy, planServer } from './operator-plan.js';
import { keyOf, WorkQueue } from './operator-queue.js';
import { nextStatus, type Outcome, rolloutComplete } from './operator-status.js';

export interface OperatorOptions extends OperatorPolicy {
  /** Watch one namespace; undefined: every namespace. */
  namespace?: string | undefined;
  /** Poll interval while a rollout progresses (default 5 s). */
  progressMs?: number;
  /** Resync interval of a ready resource (default 5 min). */
  resyncMs?: number;
  /** Retry after a failure: base doubling up to max (default 1 s to 5 min). */
  backoffMs?: { base: number; max: number };
  now?: () => Date;
  /** One line per event worth telling (a CLI prints them on stderr). */
  log?: (line: string) => void;
}

export interface ReconcileResult {
  key: string;
  outcome: 'ready' | 'progressing' | 'invalid' | 'failed' | 'deleting';
  /** Objects applied (0 when refused or failed before the first). */
  applied: number;
  /** When to look again; undefined: only on a change. */
  requeueMs: number | undefined;
  status?: McpServerStatus;
  message?: string;
}

function errorCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function errorMessage(error: unknown): string {
  const body = (error as { body?: unknown } | null)?.body;
  if (typeof body === 'string' && body.length) {
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (typeof parsed.message === 'string') return parsed.message;
    } catch {
      return body;
    }
  }
  return error instanceof Error ? error.message : String(error);
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Whether the resource's name and namespace are ones the API server could have stored: only then does the
 * status patch go to a URL built from them (a name such as `../x` never reaches a request path).
 */
function addressable(resource: McpServerResource): boolean {
  const { name, namespace = 'default' } = resource.metadata;
  return (
    typeof name === 'string' && name.length <= 253 && DNS_SUBDOMAIN.test(name) && DNS_LABEL.test(namespace)
  );
}

/** Resolves after ms, or at once when the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Same status, whatever the key order. */
function sameStatus(a: McpServerStatus | undefined, b: McpServerStatus): boolean {
  const norm = (s: McpServerStatus | undefined) =>
    JSON.stringify(s ?? {}, (_k, v) =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y)))
        : v,
    );
  return norm(a) === norm(b);
}

export class McpServerOperator {
  readonly #api: McpServerApi;
  readonly #options: OperatorOptions;
  readonly #failures = new Map<string, number>();

  constructor(api: McpServerApi, options: OperatorOptions) {
    this.#api = api;
    this.#options = options;
  }

  async reconcile(resource: McpServerResource): Promise<ReconcileResult> {
    const key = keyOf(resource);
    if (resource.metadata.deletionTimestamp)
      return { key, outcome: 'deleting', applied: 0, requeueMs: undefined };
    const plan = planServer(resource, this.#options);
    let outcome: Outcome;
    let applied = 0;
    if (!plan.ok) outcome = { kind: 'invalid', reason: plan.reason, messages: plan.messages };
    else
      try {
        for (const object of plan.objects) {
          await this.#api.apply(object);
          applied += 1;
        }
        for (const ref of plan.prune)
          await this.#api.deleteObject(ref.apiVersion, ref.kind, plan.namespace, ref.name);
        const deployment = await this.#api.readDeployment(plan.namespace, plan.name);
        outcome = {
          kind: 'applied',
          revision: plan.revision,
          image: plan.image,
          endpoint: plan.endpoint,
          deployment,
        };
      } catch (error) {
        outcome = {
          kind: 'failed',
          reason: errorCode(error) === 409 ? 'ApplyConflict' : 'ApplyFailed',
          message: errorMessage(error),
        };
      }
    const status = nextStatus(
      resource.status,
      resource.metadata.generation ?? 1,
      outcome,
      (this.#options.now?.() ?? new Date()).toISOString(),
    );
    if (!sameStatus(resource.status, status) && addressable(resource))
      await this.#api.patchServerStatus(
        resource.metadata.namespace ?? 'default',
        resource.metadata.name,
        status,
      );
    const degraded = status.conditions?.find((c) => c.type === 'Degraded');
    const message = degraded?.status === 'True' ? degraded.message : undefined;
    if (outcome.kind === 'failed') {
      const failures = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, failures);
      const requeueMs = this.#backoff(failures);
      return { key, outcome: 'failed', applied, requeueMs, status, ...(message ? { message } : {}) };
    }
    this.#failures.delete(key);
    if (outcome.kind === 'invalid')
      // Nothing to retry: the next change of the resource brings it back.
      return {
        key,
        outcome: 'invalid',
        applied,
        requeueMs: undefined,
        status,
        ...(message ? { message } : {}),
      };
    const ready = rolloutComplete(outcome.deployment, outcome.image);
    return {
      key,
      outcome: ready ? 'ready' : 'progressing',
      applied,
      requeueMs: ready ? (this.#options.resyncMs ?? 300_000) : (this.#options.progressMs ?? 5000),
      status,
    };
  }

  /** One pass over every resource (the CLI's --once); failures are in the results, not thrown. */
  async runOnce(): Promise<ReconcileResult[]> {
    const { items } = await this.#firstList();
    const results: ReconcileResult[] = [];
    for (const resource of items) results.push(await this.#reconcileSafely(resource));
    return results;
  }

  /**
   * List, watch and reconcile until the signal aborts. The first list failing (no CRD, no rights) is thrown;
   * later watch and list failures are retried with backoff.
   */
  async run(signal: AbortSignal): Promise<void> {
    const queue = new WorkQueue();
    const worker = this.#work(queue, signal);
    try {
      let resourceVersion: string | undefined = await this.#relist(queue, await this.#firstList());
      let failures = 0;
      while (!signal.aborted) {
        const started = Date.now();
        let events = 0;
        try {
          resourceVersion ??= await this.#relist(queue);
          for await (const event of this.#api.watchServers(
            this.#options.namespace,
            resourceVersion,
            signal,
          )) {
            if (event.type === 'ERROR') {
              if (event.code !== 410) throw Object.assign(new Error(event.message), { code: event.code });
              this.#log(`watch: resourceVersion ${resourceVersion} is gone (410); listing again`);
              resourceVersion = undefined;
              break;
            }
            events += 1;
            resourceVersion = event.object.metadata.resourceVersion ?? resourceVersion;
            if (event.type === 'DELETED') queue.forget(keyOf(event.object));
            else if (event.type !== 'BOOKMARK') queue.upsert(event.object);
          }
          // A watch that ends at once with nothing in it would otherwise be reopened in a tight loop.
          if (events === 0 && resourceVersion !== undefined && Date.now() - started < 1000)
            throw new Error('the watch closed without an event');
          failures = 0;
        } catch (error) {
          if (signal.aborted) break;
          failures += 1;
          const delay = this.#backoff(failures);
          this.#log(`watch failed (${errorMessage(error)}); retrying in ${delay} ms`);
          if (errorCode(error) === 410) resourceVersion = undefined;
          await sleep(delay, signal);
        }
      }
    } finally {
      queue.close();
      await worker;
    }
  }

  /** The first list: a failure here (no cluster, no CRD, no rights) is the user's to fix, so it is explained. */
  async #firstList(): Promise<{ items: McpServerResource[]; resourceVersion: string }> {
    try {
      return await this.#api.listServers(this.#options.namespace);
    } catch (error) {
      const code = errorCode(error);
      const hint =
        code === 404
          ? 'Install the CRD first: mcp-factory operator --print-crd | kubectl apply -f -'
          : code === 401 || code === 403
            ? 'The operator needs the rights --print-crd grants (list and watch mcpservers, patch their status).'
            : 'Check the kubeconfig (MCP_FACTORY_KUBECONFIG, KUBECONFIG, ~/.kube/config) and that the cluster answers.';
      throw new FactoryError(
        'DEPLOY_TARGET_UNAVAILABLE',
        `the operator could not list MCPServer resources: ${errorMessage(error)}`,
        { details: { hint, ...(code === undefined ? {} : { status: code }) } },
      );
    }
  }

  #backoff(failures: number): number {
    const { base, max } = this.#options.backoffMs ?? { base: 1000, max: 300_000 };
    return Math.min(max, base * 2 ** (failures - 1));
  }

  /** Replace the queue's view with a fresh list: what vanished meanwhile is forgotten, the rest is due. */
  async #relist(
    queue: WorkQueue,
    fresh?: { items: McpServerResource[]; resourceVersion: string },
  ): Promise<string> {
    const { items, resourceVersion } = fresh ?? (await this.#api.listServers(this.#options.namespace));
    const listed = new Set(items.map(keyOf));
    for (const key of queue.keys()) if (!listed.has(key)) queue.forget(key);
    for (const item of items) queue.upsert(item);
    return resourceVersion;
  }

  async #work(queue: WorkQueue, signal: AbortSignal): Promise<void> {
    for (;;) {
      const key = await queue.next(signal);
      if (key === undefined) return;
      const resource = queue.get(key);
      if (!resource) continue;
      const result = await this.#reconcileSafely(resource);
      if (result.requeueMs !== undefined) queue.schedule(key, result.requeueMs);
    }
  }

  /** A reconcile whose own API calls (the status patch) failed is retried with backoff, not fatal. */
  async #reconcileSafely(resource: McpServerResource): Promise<ReconcileResult> {
    try {
      const result = await this.#reconcile(resource);
      return result;
    } catch (error) {
      const key = keyOf(resource);
      const failures = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, failures);
      const message = errorMessage(error);
      this.#log(`${key}: ${message}`);
      return { key, outcome: 'failed', applied: 0, requeueMs: this.#backoff(failures), message };
    }
  }

  async #reconcile(resource: McpServerResource): Promise<ReconcileResult> {
    const result = await this.reconcile(resource);
    if (result.outcome === 'invalid' || result.outcome === 'failed')
      this.#log(`${result.key}: ${result.outcome}: ${result.message ?? ''}`);
    return result;
  }

  #log(line: string): void {
    this.#options.log?.(line);
  }
}
