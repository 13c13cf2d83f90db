/**
 * What the gateway writes about its calls: per-minute call metrics (the registry's, as for the control plane's
 * calls) and one audit entry per call (caller, tool, outcome, duration). Written in batches every second, off
 * the call path, and once more on close (every call answered before close is written); at most 10,000 calls
 * wait — past that, entries are dropped and counted (`dropped`), so a slow registry never slows or stalls the
 * gateway.
 *
 * A SQLite registry writes synchronously (and fsyncs each commit): on the gateway's thread one batch stalled
 * every call in flight for tens of ms. So with SQLite the batches are written by a worker thread
 * (call-log-worker.ts, its own connection to the file), when the compiled worker is there; PostgreSQL writes
 * are asynchronous already and stay on this thread, as does everything when the worker cannot start.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Registry } from '../store/index.js';

export interface GatewayCallRecord {
  caller: string;
  upstream: string;
  tool: string;
  publicName: string;
  ok: boolean;
  latencyMs: number;
}

const MAX_PENDING = 10_000;
/** How long close() waits for the worker to exit before stopping it. */
const CLOSE_TIMEOUT_MS = 10_000;
/** A batch the worker has not written by then (it cannot open the registry, it hangs): the worker is stopped. */
const WRITE_TIMEOUT_MS = 15_000;

/** One batch into the registry: the metrics, then the audit entries (best effort: a failure drops the batch). */
export async function writeCalls(registry: Registry, batch: readonly GatewayCallRecord[]): Promise<void> {
  await registry
    .recordCalls(batch.map((c) => ({ server: c.upstream, tool: c.tool, ok: c.ok, latencyMs: c.latencyMs })))
    .catch(() => undefined);
  await registry
    .auditBatch(
      batch.map((c) => ({
        actor: c.caller,
        action: 'gateway.call',
        target: c.upstream,
        details: { tool: c.tool, ok: c.ok, ms: Math.round(c.latencyMs * 10) / 10 },
      })),
    )
    .catch(() => undefined);
}

export interface CallRecorderOptions {
  intervalMs?: number | undefined;
  /** Write SQLite batches on a worker thread when possible (default true). */
  offThread?: boolean | undefined;
}

export class CallRecorder {
  readonly #registry: Registry;
  readonly intervalMs: number;
  #pending: GatewayCallRecord[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #writer: WorkerWriter | undefined;
  dropped = 0;

  constructor(registry: Registry, options: CallRecorderOptions = {}) {
    this.#registry = registry;
    this.intervalMs = options.intervalMs ?? 1_000;
    if (options.offThread !== false) this.#writer = WorkerWriter.start(registry);
  }

  /** Whether batches go through the worker thread (false: this thread writes them). */
  get offThread(): boolean {
    return this.#writer?.alive === true;
  }

  record(call: GatewayCallRecord): void {
    if (this.#pending.length >= MAX_PENDING) {
      this.dropped++;
      return;
    }
    this.#pending.push(call);
    if (!this.#timer) {
      this.#timer = setTimeout(() => void this.flush(), this.intervalMs);
      this.#timer.unref();
    }
  }

  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#flushing;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    this.#flushing = this.#write(batch);
    await this.#flushing;
  }

  async #write(batch: GatewayCallRecord[]): Promise<void> {
    // A batch the worker could not take (it failed or exited) is written here instead: never lost to it.
    if (this.#writer?.alive && (await this.#writer.write(batch))) return;
    await writeCalls(this.#registry, batch);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.#writer?.close();
  }
}

/** The worker thread of call-log-worker.ts and the batches it has not confirmed yet. */
class WorkerWriter {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, (written: boolean) => void>();
  #nextId = 1;
  alive = true;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.unref(); // the gateway's shutdown closes it; it must not keep a process alive by itself
    worker.on('message', (message: { id?: number }) => {
      if (message.id === undefined) return;
      this.#waiting.get(message.id)?.(true);
      this.#waiting.delete(message.id);
    });
    worker.on('error', () => this.#gone());
    worker.on('exit', () => this.#gone());
  }

  /** The worker is of no more use: what it was given is written by the caller (write() resolves false). */
  #gone(): void {
    this.alive = false;
    for (const resolve of this.#waiting.values()) resolve(false);
    this.#waiting.clear();
  }

  /** A worker for a SQLite registry when the compiled worker module exists; undefined otherwise. */
  static start(registry: Registry): WorkerWriter | undefined {
    const info = registry.info();
    if (info.backend !== 'sqlite') return undefined;
    // Under a TypeScript test runner the sources have no compiled worker beside them: write on this thread.
    const module = new URL('./call-log-worker.js', import.meta.url);
    if (!existsSync(fileURLToPath(module))) return undefined;
    try {
      return new WorkerWriter(new Worker(module, { workerData: { file: info.location } }));
    } catch {
      return undefined;
    }
  }

  /** Whether the worker wrote the batch (false: it is gone and the caller writes it). */
  write(batch: GatewayCallRecord[]): Promise<boolean> {
    const id = this.#nextId++;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        void this.#worker.terminate();
        this.#gone();
      }, WRITE_TIMEOUT_MS); // not unref'd: a process on its way out still waits for the batch
      this.#waiting.set(id, (written) => {
        clearTimeout(timer);
        resolve(written);
      });
      this.#worker.postMessage({ id, calls: batch });
    });
  }

  async close(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.postMessage({ close: true });
    const timer = setTimeout(() => void this.#worker.terminate(), CLOSE_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
}
