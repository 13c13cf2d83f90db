/**
 * The worker pool of a serving factory process: every long operation's handler (operationJobHandlers), with the
 * per-kind concurrency, and started. The process stops it on shutdown (running jobs get a grace period, then go
 * back to the queue for another process).
 */
import { WorkerPool, type WorkerPoolOptions } from '../../jobs/index.js';
import { type JobRunContext, operationJobHandlers } from './jobs.js';

/** Jobs of one long operation running at once in one process (creations build and test: CPU-heavy). */
const CONCURRENCY: Record<string, number> = {
  create_server: 2,
  create_server_from_description: 2,
  deploy_server: 4,
  analyze_data: 2,
  call_tool: 8,
};

export function startJobPool(
  context: JobRunContext & { onError?: ((error: unknown) => void) | undefined },
  /** Lease, poll and backoff timings (tests shorten them); the pool's defaults otherwise. */
  timings: Pick<WorkerPoolOptions, 'leaseMs' | 'pollMs' | 'backoffMs'> = {},
): WorkerPool {
  const { onError, ...base } = context;
  const pool = new WorkerPool({
    ...timings,
    jobs: base.registry.jobs,
    handlers: operationJobHandlers(base, (o) => CONCURRENCY[o.name] ?? 2),
    onError,
  });
  pool.start();
  return pool;
}
