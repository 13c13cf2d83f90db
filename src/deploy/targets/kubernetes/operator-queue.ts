/**
 * The operator's work queue: the latest known version of every MCPServer by `namespace/name`, and which keys are
 * due. A key is queued at most once however many events arrive for it (level-triggered: the worker reconciles
 * the latest version, not each event), and a delayed requeue never postpones an earlier one.
 */
import type { McpServerResource } from './operator-api.js';

export function keyOf(resource: McpServerResource): string {
  return `${resource.metadata.namespace ?? 'default'}/${resource.metadata.name}`;
}

export class WorkQueue {
  readonly #cache = new Map<string, McpServerResource>();
  readonly #timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #ready = new Set<string>();
  #wake: (() => void) | undefined;

  /** Record the latest version and make it due now. */
  upsert(resource: McpServerResource): void {
    const key = keyOf(resource);
    this.#cache.set(key, resource);
    this.schedule(key, 0);
  }

  /** The resource is gone: drop it and anything scheduled for it. */
  forget(key: string): void {
    this.#cache.delete(key);
    this.#ready.delete(key);
    const pending = this.#timers.get(key);
    if (pending) clearTimeout(pending.timer);
    this.#timers.delete(key);
  }

  keys(): string[] {
    return [...this.#cache.keys()];
  }

  get(key: string): McpServerResource | undefined {
    return this.#cache.get(key);
  }

  schedule(key: string, delayMs: number): void {
    if (!this.#cache.has(key) || this.#ready.has(key)) return;
    const at = Date.now() + delayMs;
    const pending = this.#timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    this.#timers.delete(key);
    if (delayMs <= 0) {
      this.#makeReady(key);
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.#makeReady(key);
    }, delayMs);
    timer.unref();
    this.#timers.set(key, { at, timer });
  }

  /** The next due key; undefined when the signal aborts. */
  async next(signal: AbortSignal): Promise<string | undefined> {
    while (!signal.aborted) {
      const [first] = this.#ready;
      if (first !== undefined) {
        this.#ready.delete(first);
        return first;
      }
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        this.#wake = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        signal.addEventListener('abort', onAbort, { once: true });
      });
      this.#wake = undefined;
    }
    return undefined;
  }

  close(): void {
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #makeReady(key: string): void {
    this.#ready.add(key);
    this.#wake?.();
  }
}
