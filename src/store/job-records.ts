/**
 * What the job tables hold, as the rest of the factory sees it: the records, their limits, and the conversions
 * between rows and records (JSON wrapped so both backends read back the same values, sizes checked before
 * anything is written). The JobStore (jobs.ts) is the only writer.
 */
import type { Selectable } from 'kysely';
import { FactoryError } from '../core/errors/index.js';
import { type Db, now, parseJson } from './repositories/shared.js';
import type { JobEventsTable, JobState, JobsTable } from './schema.js';

/** Largest JSON input of a job (a spec with its resources fits well within). */
export const MAX_JOB_INPUT_BYTES = 2 * 1024 * 1024;
/** Largest JSON result or error of a job. */
export const MAX_JOB_RESULT_BYTES = 4 * 1024 * 1024;
const MAX_MESSAGE_CHARS = 500;
export const MAX_KEY_CHARS = 200;

export const JOB_ID_PATTERN = /^job_[0-9a-f]{24}$/;

export interface JobRecord {
  id: string;
  kind: string;
  input: unknown;
  state: JobState;
  progress: number;
  progressMessage: string | null;
  result: unknown;
  /** `{ code, message, details? }` of the last failure (also kept while a retry waits). */
  error: JobError | null;
  attempts: number;
  maxAttempts: number;
  createdBy: string;
  team: string | null;
  idempotencyKey: string | null;
  cancelRequested: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  notBefore: string;
  leaseOwner: string | null;
  leaseUntil: string | null;
}

export interface JobError {
  code: string;
  message: string;
  details?: Record<string, unknown> | undefined;
}

export interface JobEventRecord {
  id: number;
  jobId: string;
  at: string;
  kind: string;
  state: JobState;
  progress: number;
  message: string | null;
}

export interface SubmitJobInput {
  kind: string;
  input: unknown;
  createdBy: string;
  team?: string | null | undefined;
  idempotencyKey?: string | undefined;
  maxAttempts?: number | undefined;
}

export interface JobFilter {
  createdBy?: string | undefined;
  /** Only jobs of this team (null: of no team); absent: any. */
  team?: string | null | undefined;
  state?: JobState | undefined;
  kind?: string | undefined;
  limit?: number | undefined;
}

/** How a worker ends a job it holds. */
export type JobOutcome =
  | { state: 'succeeded'; result: unknown }
  | { state: 'failed'; error: JobError }
  | { state: 'cancelled'; error?: JobError | undefined };

export const FINISHED_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];

/**
 * A value as JSON text within `limit` bytes; JOB_TOO_LARGE otherwise (before anything is written). Inputs and
 * results are wrapped in `{ "v": … }`: a bare JSON string read back from PostgreSQL's jsonb would be
 * indistinguishable from SQLite's JSON text.
 */
export function jsonWithin(what: string, value: unknown, limit: number): string {
  const text = JSON.stringify({ v: value ?? null });
  const bytes = Buffer.byteLength(text);
  if (bytes > limit)
    throw new FactoryError(
      'JOB_TOO_LARGE',
      `the job's ${what} is ${bytes} bytes; at most ${limit} are accepted`,
      {
        details: { what, bytes, limit },
      },
    );
  return text;
}

/** JSON with sorted keys: PostgreSQL's jsonb does not keep key order, so inputs are compared this way. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** A value written by jsonWithin. */
export function unwrap(value: unknown): unknown {
  const parsed = parseJson(value);
  return parsed && typeof parsed === 'object' && 'v' in parsed ? (parsed as { v: unknown }).v : null;
}

export function jobRecord(row: Selectable<JobsTable>): JobRecord {
  const error = row.error === null ? null : unwrap(row.error);
  return {
    id: row.id,
    kind: row.kind,
    input: unwrap(row.input),
    state: row.state,
    progress: Number(row.progress),
    progressMessage: row.progress_message,
    result: row.result === null ? null : unwrap(row.result),
    error: error && typeof error === 'object' ? (error as JobError) : null,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    createdBy: row.created_by,
    team: row.team,
    idempotencyKey: row.idempotency_key,
    cancelRequested: Number(row.cancel_requested) === 1,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    notBefore: row.not_before,
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until,
  };
}

export function eventRecord(row: Selectable<JobEventsTable>): JobEventRecord {
  return {
    id: Number(row.id),
    jobId: row.job_id,
    at: row.at,
    kind: row.kind,
    state: row.state,
    progress: Number(row.progress),
    message: row.message,
  };
}

export function jobNotFound(id: string): FactoryError {
  return new FactoryError('JOB_NOT_FOUND', `no job ${JSON.stringify(id)}`, { details: { job: id } });
}

export const clip = (text: string | null | undefined) =>
  text === null || text === undefined ? null : text.slice(0, MAX_MESSAGE_CHARS);

export async function appendEvent(
  trx: Db,
  row: Selectable<JobsTable>,
  kind: string,
  message?: string | null,
): Promise<void> {
  await trx
    .insertInto('mcpf_job_events')
    .values({
      job_id: row.id,
      at: now(),
      kind,
      state: row.state,
      progress: Number(row.progress),
      message: clip(message ?? null),
    })
    .execute();
}
