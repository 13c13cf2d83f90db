/**
 * Long operations as jobs. `submitJob` checks the caller's permission on the operation at once (a refusal is
 * synchronous; nothing is queued), then queues the operation's validated input together with a snapshot of the
 * caller; `operationJobHandlers` are the worker pool's handlers that run the operation's own handler later with
 * that caller (the policy decides again then). The job operations (list, get, cancel) are in the one table like
 * every operation: a caller sees and cancels its own jobs; others' only when the policy grants `jobs.all` on
 * them (a job answers like a missing one otherwise, so ids cannot be probed).
 */
import { z } from 'zod';
import { FactoryError } from '../../core/errors/index.js';
import type { CreateReservation, Principal } from '../../identity/access.js';
import type { Policy, Subject } from '../../identity/policy.js';
import type { JobHandler } from '../../jobs/index.js';
import { JOB_ID_PATTERN, JOB_STATES, type JobRecord } from '../../store/index.js';
import {
  authorizeOperation,
  defineOperation,
  invoke,
  type Operation,
  type OperationContext,
} from './operation.js';
import { callTool, deployServer } from './servers.js';
import { createServer, createServerFromDescription } from './specs.js';
import { analyzeData } from './toolsmith.js';

/** Operations that may run as jobs (the long ones), by name. */
export const ASYNC_OPERATIONS: readonly Operation[] = [
  createServer,
  createServerFromDescription,
  deployServer,
  analyzeData,
  callTool,
];

const KIND_PREFIX = 'operation:';

export function jobKindOf(operation: Operation): string {
  return `${KIND_PREFIX}${operation.name}`;
}

export function isAsyncOperation(operation: Operation): boolean {
  return ASYNC_OPERATIONS.includes(operation);
}

/** What a job stores about its caller to run the operation as that caller later (no secrets: no token text). */
interface StoredCaller {
  subject: Subject;
  actor: string;
  allowLocalFiles: boolean;
}

interface StoredJobInput {
  input: unknown;
  caller: StoredCaller;
}

/** The creator key of a subject's jobs: the user when there is one, else the token, else the local user. */
export function jobOwnerOf(subject: Subject): string {
  if (subject.kind === 'local') return `local:${subject.name}`;
  const p = subject.principal;
  return p.user !== undefined ? `user:${p.user}` : `token:${p.tokenId}`;
}

/** Whether the subject may see (and cancel) the job: its own, or the policy grants jobs.all on it. */
export function canAccessJob(policy: Policy, subject: Subject, job: JobRecord): boolean {
  if (job.createdBy === jobOwnerOf(subject)) return true;
  const owner = job.createdBy.startsWith('user:') ? job.createdBy.slice(5) : null;
  return policy.decide(subject, 'jobs.all', { owner, team: job.team }).allowed;
}

/** The job if the caller may see it; JOB_NOT_FOUND otherwise (exactly as for an id that does not exist). */
export async function visibleJob(context: OperationContext, id: string): Promise<JobRecord> {
  const missing = new FactoryError('JOB_NOT_FOUND', `no job ${JSON.stringify(id)}`, { details: { job: id } });
  if (!JOB_ID_PATTERN.test(id)) throw missing;
  let job: JobRecord;
  try {
    job = await context.registry.jobs.get(id);
  } catch (error) {
    if (error instanceof FactoryError && error.code === 'JOB_NOT_FOUND') throw missing;
    throw error;
  }
  if (!canAccessJob(context.policy, context.subject, job)) throw missing;
  return job;
}

export const JobSchema = z.object({
  id: z.string(),
  operation: z.string().describe('The operation the job runs.'),
  state: z.enum(JOB_STATES),
  progress: z.object({ fraction: z.number().min(0).max(1), message: z.string().nullable() }),
  result: z
    .unknown()
    .describe('The operation’s answer (state succeeded), exactly as a synchronous call answers.'),
  error: z
    .object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() })
    .nullable()
    .describe('The last failure (failed, cancelled, or a retry waiting).'),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  cancelRequested: z.boolean(),
  createdBy: z.string(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type JobView = z.output<typeof JobSchema>;

/** A job as the surfaces show it (the stored caller snapshot stays inside). */
export function jobView(job: JobRecord): JobView {
  return {
    id: job.id,
    operation: job.kind.startsWith(KIND_PREFIX) ? job.kind.slice(KIND_PREFIX.length) : job.kind,
    state: job.state,
    progress: { fraction: job.progress, message: job.progressMessage },
    result: job.state === 'succeeded' ? job.result : null,
    error: job.error,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    cancelRequested: job.cancelRequested,
    createdBy: job.createdBy,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
  };
}

export interface SubmitOptions {
  idempotencyKey?: string | undefined;
  maxAttempts?: number | undefined;
}

/**
 * A job's input is stored in the registry until the job is pruned: a deployment's environment values (secrets,
 * never stored — DeployBody) cannot be part of it.
 */
function refuseUnstorable(operation: Operation, input: unknown): void {
  const env = (input as { env?: Record<string, unknown> } | undefined)?.env;
  if (operation.name === deployServer.name && env && Object.keys(env).length > 0)
    throw new FactoryError(
      'JOB_INVALID',
      'a deployment with environment values cannot run as a job: the values would be stored with it',
      { details: { field: 'env', operation: operation.name } },
    );
}

/**
 * Queue `operation` for the caller: the policy decides now (permission, and the server it acts on); the input
 * is the operation's validated input. Answers the job (the existing one for a repeated idempotency key).
 */
export async function submitJob<I extends z.ZodType, O extends z.ZodType>(
  operation: Operation<I, O>,
  context: OperationContext,
  input: z.output<I>,
  options: SubmitOptions = {},
): Promise<{ job: JobRecord; created: boolean }> {
  if (!isAsyncOperation(operation as unknown as Operation))
    throw new FactoryError('JOB_KIND_UNKNOWN', `${operation.name} does not run as a job`, {
      details: { operation: operation.name },
    });
  await authorizeOperation(operation, context, input);
  refuseUnstorable(operation as unknown as Operation, input);
  const stored: StoredJobInput = {
    input,
    caller: { subject: context.subject, actor: context.actor, allowLocalFiles: context.allowLocalFiles },
  };
  return context.registry.jobs.submit({
    kind: jobKindOf(operation as unknown as Operation),
    input: stored,
    createdBy: jobOwnerOf(context.subject),
    team: context.subject.kind === 'token' ? (context.subject.principal.team ?? null) : null,
    idempotencyKey: options.idempotencyKey,
    maxAttempts: options.maxAttempts,
  });
}

/** What a job's run needs besides the stored caller: the factory, and the quota of a token's creations. */
export type JobRunContext = Omit<
  OperationContext,
  'subject' | 'actor' | 'allowLocalFiles' | 'reserveCreate' | 'signal' | 'progress'
> & {
  reserveCreate?: ((principal: Principal, server: string) => Promise<CreateReservation>) | undefined;
};

/** The worker pool's handlers: each async operation, run as the stored caller, `concurrency` at once per kind. */
export function operationJobHandlers(
  base: JobRunContext,
  concurrency: (operation: Operation) => number = () => 2,
): JobHandler[] {
  return ASYNC_OPERATIONS.map((operation) => ({
    kind: jobKindOf(operation),
    concurrency: concurrency(operation),
    async run({ job, signal, progress }) {
      const stored = job.input as StoredJobInput;
      const { subject, actor, allowLocalFiles } = stored.caller;
      const { reserveCreate, ...rest } = base;
      const context: OperationContext = {
        ...rest,
        subject,
        actor,
        allowLocalFiles,
        signal,
        progress: (fraction, message) => void progress(fraction, message),
        ...(reserveCreate && subject.kind === 'token'
          ? { reserveCreate: (server: string) => reserveCreate(subject.principal, server) }
          : {}),
      };
      await progress(0, `${operation.name} started`);
      const input = operation.input.parse(stored.input);
      return invoke(operation, context, input);
    },
  }));
}

const JobId = z.string().max(64).describe('The job id (job_…).');

export const listJobs = defineOperation({
  name: 'list_jobs',
  title: 'List jobs',
  description:
    'The caller’s jobs, newest first (with the jobs.all permission, also the other callers’ jobs it reaches).',
  input: z.object({
    state: z.enum(JOB_STATES).optional(),
    operation: z.string().max(100).optional().describe('Only jobs of this operation (e.g. create_server).'),
    all: z.boolean().optional().describe('Every job the caller may see, not only its own (needs jobs.all).'),
    limit: z.number().int().min(1).max(500).optional(),
  }),
  output: z.object({ jobs: z.array(JobSchema) }),
  annotations: { readOnly: true, idempotent: true, openWorld: false },
  permission: 'jobs.read',
  handler: async (context, input) => {
    // Without jobs.all, "all" is one's own; an admin of a team reaches that team's jobs (the policy's reach).
    const own = !input.all || !context.policy.decide(context.subject, 'jobs.all').allowed;
    const team = context.subject.kind === 'token' ? (context.subject.principal.team ?? null) : null;
    const jobs = await context.registry.jobs.list({
      ...(own ? { createdBy: jobOwnerOf(context.subject) } : team !== null ? { team } : {}),
      state: input.state,
      kind: input.operation ? `${KIND_PREFIX}${input.operation}` : undefined,
      limit: input.limit ?? 50,
    });
    return {
      jobs: jobs.filter((j) => canAccessJob(context.policy, context.subject, j)).map(jobView),
    };
  },
});

export const getJob = defineOperation({
  name: 'get_job',
  title: 'Show a job',
  description: 'State, progress, result or error of a job (only the caller’s own unless it has jobs.all).',
  input: z.object({ id: JobId }),
  output: JobSchema,
  annotations: { readOnly: true, idempotent: true, openWorld: false },
  permission: 'jobs.read',
  handler: async (context, input) => jobView(await visibleJob(context, input.id)),
});

export const cancelJob = defineOperation({
  name: 'cancel_job',
  title: 'Cancel a job',
  description:
    'A queued job is cancelled at once; a running one is stopped (its signal fires within a third of its lease) ' +
    'and ends cancelled. A finished job is answered as it is.',
  input: z.object({ id: JobId }),
  output: JobSchema,
  annotations: { readOnly: false, destructive: true, idempotent: true, openWorld: false },
  permission: 'jobs.read',
  handler: async (context, input) => {
    const job = await visibleJob(context, input.id);
    return jobView(await context.registry.jobs.cancel(job.id, context.actor));
  },
});

const AsyncOperationName = z
  .enum(ASYNC_OPERATIONS.map((o) => o.name) as [string, ...string[]])
  .describe('The long operation to run as a job.');

/**
 * A long operation as a job, for surfaces without an async mode of their own (the factory's MCP server: SDK 2.4
 * cannot carry MCP tasks, docs/jobs.md): the caller polls get_job instead of holding the request open. The
 * arguments are the operation's own input, checked now (bad arguments queue nothing).
 */
export const submitJobOperation = defineOperation({
  name: 'submit_job',
  title: 'Run a long operation as a job',
  description:
    'Queue create_server, create_server_from_description, deploy_server, analyze_data or call_tool with its usual arguments and answer at once with a job; poll get_job for progress and the result (cancel_job stops it). Permissions are those of the operation.',
  input: z.object({
    operation: AsyncOperationName,
    arguments: z.record(z.string(), z.unknown()).default({}).describe('The operation’s arguments.'),
    idempotencyKey: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
      .optional()
      .describe('A repeated submission with the same key answers the first job.'),
  }),
  output: JobSchema,
  annotations: { readOnly: false, destructive: false, idempotent: false, openWorld: true },
  permission: 'jobs.read',
  handler: async (context, input) => {
    const operation = ASYNC_OPERATIONS.find((o) => o.name === input.operation);
    if (!operation) throw new FactoryError('JOB_KIND_UNKNOWN', `${input.operation} does not run as a job`);
    const parsed = operation.input.safeParse(input.arguments);
    if (!parsed.success)
      throw new FactoryError('INVALID_ARGUMENTS', `invalid arguments for ${operation.name}`, {
        issues: parsed.error.issues.map((issue) => ({
          code: 'INVALID_ARGUMENTS',
          message: issue.message,
          path: ['arguments', ...issue.path.map(String)].join('.'),
          hint: `Give ${operation.name} the arguments it takes on its own.`,
        })),
      });
    const { job } = await submitJob(operation, context, parsed.data, {
      idempotencyKey: input.idempotencyKey,
    });
    return jobView(job);
  },
});

export const JOB_OPERATIONS = [listJobs, getJob, cancelJob, submitJobOperation] as const;
