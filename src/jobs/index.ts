/**
 * Factory jobs: a worker pool that runs long operations (create, deploy, analyze, calls) queued in the
 * registry, with leases, retries, cancellation, progress and retention. The surfaces submit jobs and project
 * them (HTTP, MCP tasks, CLI); docs/jobs.md describes the semantics.
 */
export { type JobContext, type JobHandler, jobError, WorkerPool, type WorkerPoolOptions } from './pool.js';
