/**
 * Jobs over HTTP. The job operations (list, show, cancel) are projected like every operation; their history is
 * also a Server-Sent Events stream (GET /mcp/jobs/{id}/events: every event so far, then new ones as they
 * happen, comment heartbeats, and `event: end` with the finished job, after which the stream closes). Async
 * mode of the long operations (RFC 7240 `Prefer: respond-async`, or `?async=1`) answers 202 with the queued
 * job and `Location: /mcp/jobs/{id}`; `Idempotency-Key` makes a repeated request answer the first job.
 */
import { z } from 'zod';
import { FactoryError } from '../../core/errors/index.js';
import type { JobEventRecord } from '../../store/index.js';
import { json } from '../http/errors.js';
import type { ResponseSpec } from '../http/router.js';
import {
  cancelJob,
  getJob,
  isAsyncOperation,
  JobSchema,
  jobView,
  listJobs,
  type Operation,
  type OperationContext,
  submitJob,
  submitJobOperation,
  visibleJob,
} from '../operations/index.js';
import { bind, type OperationRoute } from './operation-route.js';

/** How often the stream looks for new events, and how often it sends a heartbeat when nothing happens. */
const POLL_MS = 250;
const HEARTBEAT_MS = 15_000;

const JobParams = z.object({ id: z.string().max(64).describe('The job id (job_…).') });
const JobsQuery = z.object({
  state: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']).optional(),
  operation: z.string().max(100).optional().describe('Only jobs of this operation, e.g. create_server.'),
  all: z
    .enum(['0', '1', 'true', 'false'])
    .optional()
    .describe('1: every job the caller may see (needs jobs.all), not only its own.'),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

/** The 202 response of an operation that may run as a job (none for the others, or when 202 is its status). */
export function queuedResponse(operation: Operation, status: number): Record<number, ResponseSpec> {
  if (!isAsyncOperation(operation) || status === 202) return {};
  return {
    202: {
      description:
        'Queued as a job (Prefer: respond-async, or ?async=1; Idempotency-Key dedupes): follow Location (/mcp/jobs/{id}).',
      content: { 'application/json': JobSchema },
    },
  };
}

/** Whether the request asks for async mode: `Prefer: respond-async` (RFC 7240) or `?async=1`. */
export function wantsAsync(request: Request): boolean {
  const prefer = request.headers.get('prefer') ?? '';
  if (
    prefer
      .split(',')
      .map((p) => p.split(';')[0]?.trim().toLowerCase())
      .includes('respond-async')
  )
    return true;
  const flag = new URL(request.url).searchParams.get('async');
  return flag === '1' || flag === 'true';
}

/**
 * Queue the operation as the caller's job and answer 202 with it. Undefined when the operation does not run as
 * a job here (the preference is then ignored, as RFC 7240 allows, and the request is answered synchronously).
 */
export async function respondAsync(
  operation: Operation,
  context: OperationContext,
  input: unknown,
  request: Request,
  wake: (() => void) | undefined,
): Promise<Response | undefined> {
  if (!wake || !isAsyncOperation(operation)) return undefined;
  const key = request.headers.get('idempotency-key') ?? undefined;
  const { job, created } = await submitJob(operation, context, input, { idempotencyKey: key });
  if (created) wake();
  const response = json(202, jobView(job));
  response.headers.set('location', `/mcp/jobs/${job.id}`);
  response.headers.set('preference-applied', 'respond-async');
  return response;
}

function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function eventData(e: JobEventRecord) {
  return { id: e.id, at: e.at, kind: e.kind, state: e.state, progress: e.progress, message: e.message };
}

/** The job's history as an event stream; ends with `event: end` (the job) once it has finished. */
function jobEventStream(
  context: OperationContext,
  id: string,
  signal: AbortSignal,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let after = 0;
  let lastSent = Date.now();
  let stopped = false;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(': job events\n\n'));
    },
    async pull(controller) {
      try {
        await step(controller);
      } catch (error) {
        // The job was pruned, or the registry stopped answering: say so, and end the stream.
        if (stopped) return; // the client went away: nobody to tell
        const code = error instanceof FactoryError ? error.code : 'INTERNAL';
        const message = error instanceof Error ? error.message : String(error);
        controller.enqueue(encoder.encode(sse('error', { error: code, message })));
        controller.close();
      }
    },
    cancel() {
      stopped = true;
    },
  });

  async function step(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      if (stopped) return;
      if (signal.aborted) {
        controller.close();
        return;
      }
      const events = await context.registry.jobs.events(id, after);
      if (events.length > 0) {
        after = (events.at(-1) as JobEventRecord).id;
        lastSent = Date.now();
        controller.enqueue(
          encoder.encode(
            events.map((e) => sse(e.kind === 'progress' ? 'progress' : 'state', eventData(e))).join(''),
          ),
        );
        return;
      }
      const job = await context.registry.jobs.get(id);
      if (job.finishedAt) {
        controller.enqueue(encoder.encode(sse('end', jobView(job))));
        controller.close();
        return;
      }
      if (Date.now() - lastSent >= HEARTBEAT_MS) {
        lastSent = Date.now();
        controller.enqueue(encoder.encode(': heartbeat\n\n'));
        return;
      }
      await pause(POLL_MS);
    }
  }
}

/** The job routes, in the order of the OpenAPI document. */
export const JOB_ROUTES: readonly OperationRoute[] = [
  bind({
    operation: listJobs,
    method: 'GET',
    path: '/mcp/jobs',
    operationId: 'listJobs',
    summary: 'List the caller’s jobs (all=1: every job the caller may see), newest first',
    tag: 'jobs',
    query: JobsQuery,
    status: 200,
    response: 'The jobs.',
    input: ({ query }) => ({
      ...(query.state ? { state: query.state } : {}),
      ...(query.operation ? { operation: query.operation } : {}),
      all: query.all === '1' || query.all === 'true',
      ...(query.limit ? { limit: query.limit } : {}),
    }),
  }),
  bind({
    operation: submitJobOperation,
    method: 'POST',
    path: '/mcp/jobs',
    operationId: 'submitJob',
    summary: 'Run a long operation (create, deploy, analyze, call) as a job with its usual arguments',
    tag: 'jobs',
    body: { schema: submitJobOperation.input, required: true },
    errors: [400, 403, 404, 409, 413],
    status: 202,
    response: 'The queued job (poll GET /mcp/jobs/{id}).',
    input: ({ body }) => body,
  }),
  bind({
    operation: getJob,
    method: 'GET',
    path: '/mcp/jobs/:id',
    operationId: 'getJob',
    summary: 'A job: state, progress, result (the operation’s answer) or error',
    tag: 'jobs',
    params: JobParams,
    errors: [404],
    status: 200,
    response: 'The job.',
    input: ({ params }) => params,
  }),
  bind({
    operation: cancelJob,
    method: 'DELETE',
    path: '/mcp/jobs/:id',
    operationId: 'cancelJob',
    summary: 'Cancel a job (a running one stops and ends cancelled)',
    tag: 'jobs',
    params: JobParams,
    errors: [404],
    status: 200,
    response: 'The job after the cancellation.',
    input: ({ params }) => params,
  }),
  bind({
    operation: getJob,
    method: 'GET',
    path: '/mcp/jobs/:id/events',
    operationId: 'jobEvents',
    summary: 'The history of a job as Server-Sent Events, live until it finishes',
    description:
      'text/event-stream: `event: state` (queued, started, retry, taken over, …) and `event: progress` with ' +
      '`{ id, at, kind, state, progress, message }`, a `: heartbeat` comment every 15 s, and `event: end` with ' +
      'the finished job, after which the stream closes.',
    tag: 'jobs',
    params: JobParams,
    errors: [404],
    status: 200,
    response: 'The event stream.',
    alsoContent: { 'text/event-stream': null },
    input: ({ params }) => params,
    respond: async ({ params, request }, context) => {
      const job = await visibleJob(context, params.id); // 404 before the stream starts
      return new Response(jobEventStream(context, job.id, request.signal), {
        headers: {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          'x-accel-buffering': 'no',
        },
      });
    },
  }),
];
