/**
 * The worker pool: runs queued jobs of the registry (store/jobs.ts) with the handler of their kind. Contract:
 * - at most `concurrency` jobs of a kind run at once in this pool (each factory process has its own pool; the
 *   store's conditional claim makes several pools on one PostgreSQL safe: a job runs in one of them at a time);
 * - a running job's lease is renewed every third of its length; a pool that loses a lease aborts the handler
 *   and drops its outcome, and a pool that dies leaves the lease to expire: another pool then retries the job;
 * - a failed attempt is retried with exponential backoff while attempts remain and the error is not the
 *   caller's (a 4xx FactoryError is final), then the job fails with the last error as data;
 * - cancellation (store.cancel) fires the handler's AbortSignal at the next renewal; the job ends `cancelled`
 *   when the handler stopped, `succeeded` when it finished its work anyway (the cancel came too late);
 * - finished jobs are pruned by age and count (bounded retention).
 * Library code: it prints nothing; unexpected errors of its own loop go to `onError`.
 */

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { ERROR_CODES, FactoryError } from '../core/errors/index.js';
import type { JobError, JobRecord, JobStore } from '../store/index.js';

/** What a handler gets: its job, a signal (cancel, lost lease, shutdown) and a way to report progress. */
export interface JobContext {
  job: JobRecord;
  signal: AbortSignal;
  /** Record progress (0..1) and a short message; best effort, never throws. */
  progress(fraction: number, message?: string): Promise<void>;
}

export interface JobHandler {
  kind: string;
  /** Jobs of this kind running at once in this pool (≥ 1). */
  concurrency: number;
  /** The job's result (JSON-serialisable), or a thrown error. */
  run(context: JobContext): Promise<unknown>;
}

export interface WorkerPoolOptions {
  jobs: JobStore;
  handlers: readonly JobHandler[];
  /** This pool's name in leases and history (default: host:pid:random). */
  owner?: string | undefined;
  /** Lease length; renewed every third of it (default 30 s). */
  leaseMs?: number | undefined;
  /** How often the queue is polled when nothing wakes the pool (default 1 s). */
  pollMs?: number | undefined;
  /** Retry delay after the first failed attempt, doubled per attempt (default 2 s), capped by maxBackoffMs (5 min). */
  backoffMs?: number | undefined;
  maxBackoffMs?: number | undefined;
  /** Finished jobs are kept this long (default 7 days) and at most `keepFinished` of them (default 10 000). */
  retainMs?: number | undefined;
  keepFinished?: number | undefined;
  onError?: ((error: unknown) => void) | undefined;
}

type StopReason = 'cancelled' | 'lost' | 'shutdown';

/** A thrown value as the job's error data. */
export function jobError(error: unknown): JobError {
  if (error instanceof FactoryError)
    return { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

/** Whether another attempt could succeed: not when the error is about the caller's request (a 4xx code). */
function retryable(error: JobError): boolean {
  const entry = (ERROR_CODES as Record<string, { status: number } | undefined>)[error.code];
  return entry === undefined || entry.status >= 500 || entry.status === 408 || entry.status === 429;
}

export class WorkerPool {
  readonly owner: string;
  readonly #jobs: JobStore;
  readonly #handlers: Map<string, JobHandler>;
  readonly #leaseMs: number;
  readonly #pollMs: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #retainMs: number;
  readonly #keepFinished: number;
  readonly #onError: (error: unknown) => void;
  readonly #running = new Map<
    string,
    { kind: string; stop: (reason: StopReason) => void; done: Promise<void> }
  >();
  #timer: NodeJS.Timeout | undefined;
  #started = false;
  #pumping: Promise<void> | undefined;
  #again = false;
  #lastPrune = 0;

  constructor(options: WorkerPoolOptions) {
    this.#jobs = options.jobs;
    this.#handlers = new Map(options.handlers.map((h) => [h.kind, h]));
    for (const h of options.handlers)
      if (!Number.isInteger(h.concurrency) || h.concurrency < 1)
        throw new FactoryError(
          'JOB_INVALID',
          `the concurrency of job kind ${h.kind} must be a whole number ≥ 1`,
        );
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#pollMs = options.pollMs ?? 1000;
    this.#backoffMs = options.backoffMs ?? 2000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 300_000;
    this.#retainMs = options.retainMs ?? 7 * 24 * 3600_000;
    this.#keepFinished = options.keepFinished ?? 10_000;
    this.#onError = options.onError ?? (() => undefined);
  }

  /** Kinds this pool runs. */
  get kinds(): string[] {
    return [...this.#handlers.keys()];
  }

  /** Jobs running in this pool now, by kind. */
  runningCount(kind?: string): number {
    let n = 0;
    for (const r of this.#running.values()) if (kind === undefined || r.kind === kind) n++;
    return n;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.wake();
  }

  /** Look at the queue now (a job was just submitted) instead of at the next poll. */
  wake(): void {
    if (!this.#started) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pumping = this.#pump()
      .catch((error) => this.#onError(error))
      .finally(() => {
        this.#pumping = undefined;
        if (!this.#started) return;
        if (this.#again) {
          this.#again = false;
          this.wake();
          return;
        }
        this.#timer = setTimeout(() => this.wake(), this.#pollMs);
        this.#timer.unref?.();
      });
  }

  /**
   * Stop claiming. Running jobs get `graceMs` to finish; then their signal fires and they go back to the queue
   * (their attempt counted) for another pool to take.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.#started = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#pumping;
    const all = () => Promise.all([...this.#running.values()].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    const graced = await Promise.race([
      all().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (!graced) {
      for (const r of this.#running.values()) r.stop('shutdown');
      await all();
    }
  }

  /** Delete finished jobs past retention; answers how many. */
  prune(): Promise<number> {
    this.#lastPrune = Date.now();
    return this.#jobs.prune({
      finishedBefore: new Date(Date.now() - this.#retainMs),
      keep: this.#keepFinished,
    });
  }

  async #pump(): Promise<void> {
    if (Date.now() - this.#lastPrune > 60_000) await this.prune();
    for (const handler of this.#handlers.values()) {
      while (this.#started && this.runningCount(handler.kind) < handler.concurrency) {
        const job = await this.#jobs.claim(this.owner, [handler.kind], this.#leaseMs);
        if (!job) break;
        this.#launch(handler, job);
      }
    }
  }

  #launch(handler: JobHandler, job: JobRecord): void {
    const abort = new AbortController();
    let reason: StopReason | undefined;
    const stop = (why: StopReason) => {
      reason ??= why;
      abort.abort(
        new FactoryError(
          why === 'cancelled' ? 'JOB_CANCELLED' : 'JOB_WORKER_LOST',
          why === 'cancelled' ? `job ${job.id} was cancelled` : `job ${job.id}: worker ${why}`,
          { details: { job: job.id } },
        ),
      );
    };
    const renew = setInterval(
      () => {
        this.#jobs.renew(job.id, this.owner, this.#leaseMs).then(
          (state) => {
            if (!state) stop('lost');
            else if (state.cancelRequested) stop('cancelled');
          },
          (error) => this.#onError(error),
        );
      },
      Math.max(50, Math.floor(this.#leaseMs / 3)),
    );
    renew.unref?.();
    const context: JobContext = {
      job,
      signal: abort.signal,
      progress: async (fraction, message) => {
        try {
          if (!(await this.#jobs.progress(job.id, this.owner, fraction, message))) stop('lost');
        } catch (error) {
          this.#onError(error);
        }
      },
    };
    const done = (async () => {
      let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
      try {
        if (job.cancelRequested) stop('cancelled');
        abort.signal.throwIfAborted();
        outcome = { ok: true, value: await handler.run(context) };
      } catch (error) {
        outcome = { ok: false, error };
      } finally {
        clearInterval(renew);
      }
      await this.#settle(job, outcome, reason);
    })()
      .catch((error) => this.#onError(error))
      .finally(() => {
        this.#running.delete(job.id);
        this.wake();
      });
    this.#running.set(job.id, { kind: handler.kind, stop, done });
  }

  async #settle(
    job: JobRecord,
    outcome: { ok: true; value: unknown } | { ok: false; error: unknown },
    reason: StopReason | undefined,
  ): Promise<void> {
    if (reason === 'lost') return; // another pool owns the job now; this outcome is dropped
    // A handler that finished although it was cancelled did its work (the cancel came too late to stop it):
    // the job says so rather than claim a cancellation that did not happen.
    if (reason === 'cancelled' && !outcome.ok) {
      await this.#jobs.finish(job.id, this.owner, {
        state: 'cancelled',
        error: { code: 'JOB_CANCELLED', message: `job ${job.id} was cancelled while it ran` },
      });
      return;
    }
    if (outcome.ok && reason !== 'shutdown') {
      try {
        await this.#jobs.finish(job.id, this.owner, { state: 'succeeded', result: outcome.value });
      } catch (error) {
        // A result too large to keep fails the job (as data) rather than leaving it running.
        await this.#jobs.finish(job.id, this.owner, { state: 'failed', error: jobError(error) });
      }
      return;
    }
    const error = outcome.ok
      ? { code: 'JOB_WORKER_LOST', message: `job ${job.id}: the worker shut down` }
      : jobError(outcome.error);
    if (reason === 'shutdown' || (job.attempts < job.maxAttempts && retryable(error))) {
      const delay =
        reason === 'shutdown' ? 0 : Math.min(this.#maxBackoffMs, this.#backoffMs * 2 ** (job.attempts - 1));
      await this.#jobs.retryLater(job.id, this.owner, error, new Date(Date.now() + delay));
      return;
    }
    await this.#jobs.finish(job.id, this.owner, { state: 'failed', error });
  }
}
