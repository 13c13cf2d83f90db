/**
 * The registry's job tables: factory jobs (long operations a worker pool runs) and their append-only history.
 * Storage only: what a job does is its kind's handler (src/jobs). Every change a worker makes is conditional on
 * the lease it holds, so two workers (in one process or several on one PostgreSQL) never both run or finish one
 * job: a claim is one conditional UPDATE (queued and due, or running with an expired lease), and a worker that
 * lost its lease finds its writes refused. The event that explains a change is written in the same transaction.
 */
import { randomBytes } from 'node:crypto';
import type { Updateable } from 'kysely';
import { FactoryError } from '../core/errors/index.js';
import {
  appendEvent,
  canonical,
  clip,
  eventRecord,
  FINISHED_STATES,
  type JobError,
  type JobEventRecord,
  type JobFilter,
  type JobOutcome,
  type JobRecord,
  jobNotFound,
  jobRecord,
  jsonWithin,
  MAX_JOB_INPUT_BYTES,
  MAX_JOB_RESULT_BYTES,
  MAX_KEY_CHARS,
  type SubmitJobInput,
  unwrap,
} from './job-records.js';
import { type Db, now } from './repositories/shared.js';
import type { JobsTable } from './schema.js';

export {
  FINISHED_STATES,
  JOB_ID_PATTERN,
  type JobError,
  type JobEventRecord,
  type JobFilter,
  type JobOutcome,
  type JobRecord,
  jobNotFound,
  MAX_JOB_INPUT_BYTES,
  MAX_JOB_RESULT_BYTES,
  type SubmitJobInput,
} from './job-records.js';

/**
 * Change a job only while `owner` holds it (running, with its lease), so a worker that lost its job can change
 * nothing; undefined when it was lost. (`renew` states the same condition but reads back only one flag.)
 */
function updateHeld(trx: Db, id: string, owner: string, set: Updateable<JobsTable>) {
  return trx
    .updateTable('mcpf_jobs')
    .set(set)
    .where('id', '=', id)
    .where('state', '=', 'running')
    .where('lease_owner', '=', owner)
    .returningAll()
    .executeTakeFirst();
}

type Reader = <T>(what: string, fn: (db: Db) => Promise<T>) => Promise<T>;
type Writer = <T>(what: string, fn: (trx: Db) => Promise<T>) => Promise<T>;

export class JobStore {
  readonly #read: Reader;
  readonly #write: Writer;

  constructor(read: Reader, write: Writer) {
    this.#read = read;
    this.#write = write;
  }

  /**
   * Queue a job. With an idempotency key, the creator's job of that key is answered instead when there is one
   * (`created: false`); the same key with another kind or input is JOB_IDEMPOTENCY_CONFLICT.
   */
  async submit(input: SubmitJobInput): Promise<{ job: JobRecord; created: boolean }> {
    const text = jsonWithin('input', input.input, MAX_JOB_INPUT_BYTES);
    const key = input.idempotencyKey ?? null;
    if (key !== null && (key.length === 0 || key.length > MAX_KEY_CHARS || /[\u0000-\u001f]/.test(key)))
      throw new FactoryError(
        'JOB_INVALID',
        `an idempotency key is 1 to ${MAX_KEY_CHARS} printable characters`,
        {
          details: { field: 'idempotencyKey' },
        },
      );
    const maxAttempts = input.maxAttempts ?? 3;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 20)
      throw new FactoryError('JOB_INVALID', 'maxAttempts is an integer from 1 to 20', {
        details: { field: 'maxAttempts' },
      });
    return this.#write('queue a job', async (trx) => {
      const at = now();
      const row = await trx
        .insertInto('mcpf_jobs')
        .values({
          id: `job_${randomBytes(12).toString('hex')}`,
          kind: input.kind,
          input: text,
          state: 'queued',
          progress: 0,
          progress_message: null,
          result: null,
          error: null,
          attempts: 0,
          max_attempts: maxAttempts,
          created_by: input.createdBy,
          team: input.team ?? null,
          idempotency_key: key,
          cancel_requested: 0,
          created_at: at,
          started_at: null,
          finished_at: null,
          not_before: at,
          lease_owner: null,
          lease_until: null,
        })
        .onConflict((oc) => oc.columns(['created_by', 'idempotency_key']).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (row) {
        await appendEvent(trx, row, 'queued');
        return { job: jobRecord(row), created: true };
      }
      const existing = await trx
        .selectFrom('mcpf_jobs')
        .selectAll()
        .where('created_by', '=', input.createdBy)
        .where('idempotency_key', '=', key)
        .executeTakeFirstOrThrow();
      const job = jobRecord(existing);
      if (job.kind !== input.kind || canonical(job.input) !== canonical(unwrap(text)))
        throw new FactoryError(
          'JOB_IDEMPOTENCY_CONFLICT',
          `idempotency key ${JSON.stringify(key)} was used for another request (job ${job.id})`,
          { details: { job: job.id, kind: job.kind } },
        );
      return { job, created: false };
    });
  }

  async get(id: string): Promise<JobRecord> {
    const row = await this.#read('read a job', (db) =>
      db.selectFrom('mcpf_jobs').selectAll().where('id', '=', id).executeTakeFirst(),
    );
    if (!row) throw jobNotFound(id);
    return jobRecord(row);
  }

  /** Newest first. */
  async list(filter: JobFilter = {}): Promise<JobRecord[]> {
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
    const rows = await this.#read('list jobs', (db) => {
      let q = db.selectFrom('mcpf_jobs').selectAll();
      if (filter.createdBy !== undefined) q = q.where('created_by', '=', filter.createdBy);
      if (filter.team !== undefined)
        q = filter.team === null ? q.where('team', 'is', null) : q.where('team', '=', filter.team);
      if (filter.state) q = q.where('state', '=', filter.state);
      if (filter.kind) q = q.where('kind', '=', filter.kind);
      return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    });
    return rows.map(jobRecord);
  }

  /** The history of a job after event `afterId` (0: from the start), oldest first. */
  async events(id: string, afterId = 0): Promise<JobEventRecord[]> {
    const rows = await this.#read('read job events', (db) =>
      db
        .selectFrom('mcpf_job_events')
        .selectAll()
        .where('job_id', '=', id)
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(1000)
        .execute(),
    );
    return rows.map(eventRecord);
  }

  /**
   * Take the oldest due job of one of `kinds` for `owner`: queued and due, or running under an expired lease
   * (its worker died; the attempt counts). One conditional UPDATE decides, so exactly one claimer wins. A job
   * whose attempts are used up, or whose cancellation was asked while its worker died, is finished here
   * instead, and the next candidate is tried.
   */
  async claim(owner: string, kinds: readonly string[], leaseMs: number): Promise<JobRecord | undefined> {
    if (kinds.length === 0) return undefined;
    for (let tries = 0; tries < 10; tries++) {
      const stamp = now();
      const candidate = await this.#read('find a due job', (db) =>
        db
          .selectFrom('mcpf_jobs')
          .select(['id', 'state', 'attempts', 'max_attempts', 'cancel_requested'])
          .where('kind', 'in', [...kinds])
          .where((eb) =>
            eb.or([
              eb.and([eb('state', '=', 'queued'), eb('not_before', '<=', stamp)]),
              // Never one's own: a pool slow to renew must not start a second run of a job it still runs.
              eb.and([
                eb('state', '=', 'running'),
                eb('lease_until', '<', stamp),
                eb('lease_owner', '<>', owner),
              ]),
            ]),
          )
          .orderBy('not_before')
          .orderBy('id')
          .limit(1)
          .executeTakeFirst(),
      );
      if (!candidate) return undefined;
      const claimed = await this.#write('claim a job', async (trx) => {
        const at = new Date();
        const iso = at.toISOString();
        const lost = candidate.state === 'running';
        const exhausted = lost && Number(candidate.attempts) >= Number(candidate.max_attempts);
        const cancelled = lost && Number(candidate.cancel_requested) === 1;
        let q = trx
          .updateTable('mcpf_jobs')
          .where('id', '=', candidate.id)
          .where('state', '=', candidate.state);
        q = lost
          ? q.where('lease_until', '<', iso).where('lease_owner', '<>', owner)
          : q.where('not_before', '<=', iso).where('state', '=', 'queued');
        if (cancelled || exhausted) {
          const error: JobError = cancelled
            ? { code: 'JOB_CANCELLED', message: 'cancelled while its worker was lost' }
            : {
                code: 'JOB_WORKER_LOST',
                message: `the worker running the job stopped answering (attempt ${candidate.attempts} of ${candidate.max_attempts})`,
              };
          const row = await q
            .set({
              state: cancelled ? 'cancelled' : 'failed',
              error: jsonWithin('error', error, MAX_JOB_RESULT_BYTES),
              finished_at: iso,
              lease_owner: null,
              lease_until: null,
            })
            .returningAll()
            .executeTakeFirst();
          if (row) await appendEvent(trx, row, row.state, error.message);
          return null;
        }
        const row = await q
          .set((eb) => ({
            state: 'running',
            attempts: eb('attempts', '+', 1),
            started_at: eb.fn.coalesce('started_at', eb.val(iso)),
            lease_owner: owner,
            lease_until: new Date(at.getTime() + leaseMs).toISOString(),
          }))
          .returningAll()
          .executeTakeFirst();
        if (!row) return null;
        await appendEvent(trx, row, lost ? 'taken over' : 'started', `attempt ${row.attempts} by ${owner}`);
        return jobRecord(row);
      });
      if (claimed) return claimed;
    }
    return undefined;
  }

  /** Extend the lease; undefined when `owner` lost it (the job is someone else's now, or finished). */
  async renew(id: string, owner: string, leaseMs: number): Promise<{ cancelRequested: boolean } | undefined> {
    // Only the flag comes back: a renewal runs every third of a lease, and a job's input may be megabytes.
    const row = await this.#write('renew a job lease', (trx) =>
      trx
        .updateTable('mcpf_jobs')
        .set({ lease_until: new Date(Date.now() + leaseMs).toISOString() })
        .where('id', '=', id)
        .where('state', '=', 'running')
        .where('lease_owner', '=', owner)
        .returning(['cancel_requested'])
        .executeTakeFirst(),
    );
    return row ? { cancelRequested: Number(row.cancel_requested) === 1 } : undefined;
  }

  /** Record progress (0..1, clamped) with a message; false when `owner` no longer holds the job. */
  async progress(id: string, owner: string, fraction: number, message?: string): Promise<boolean> {
    const value = Number.isFinite(fraction) ? Math.min(Math.max(fraction, 0), 1) : 0;
    return this.#write('record job progress', async (trx) => {
      const row = await updateHeld(trx, id, owner, { progress: value, progress_message: clip(message) });
      if (!row) return false;
      await appendEvent(trx, row, 'progress', message);
      return true;
    });
  }

  /** End a job `owner` holds; undefined when it lost the lease (its outcome is dropped). */
  async finish(id: string, owner: string, outcome: JobOutcome): Promise<JobRecord | undefined> {
    const result =
      outcome.state === 'succeeded' ? jsonWithin('result', outcome.result, MAX_JOB_RESULT_BYTES) : null;
    const error = outcome.state === 'succeeded' ? undefined : outcome.error;
    return this.#write('finish a job', async (trx) => {
      const row = await updateHeld(trx, id, owner, {
        state: outcome.state,
        result,
        error: error ? jsonWithin('error', error, MAX_JOB_RESULT_BYTES) : null,
        ...(outcome.state === 'succeeded' ? { progress: 1 } : {}),
        finished_at: now(),
        lease_owner: null,
        lease_until: null,
      });
      if (!row) return undefined;
      await appendEvent(trx, row, outcome.state, error?.message);
      return jobRecord(row);
    });
  }

  /** Put a failed attempt back in the queue until `notBefore` (backoff); false when `owner` lost the job. */
  async retryLater(id: string, owner: string, error: JobError, notBefore: Date): Promise<boolean> {
    return this.#write('schedule a job retry', async (trx) => {
      const row = await updateHeld(trx, id, owner, {
        state: 'queued',
        error: jsonWithin('error', error, MAX_JOB_RESULT_BYTES),
        not_before: notBefore.toISOString(),
        lease_owner: null,
        lease_until: null,
      });
      if (!row) return false;
      await appendEvent(trx, row, 'retry', `${error.code}: ${error.message}; again at ${row.not_before}`);
      return true;
    });
  }

  /**
   * Cancel a job: a queued one is cancelled at once; a running one is marked, and its worker's signal fires at
   * its next lease renewal. A finished job is answered as it is.
   */
  async cancel(id: string, actor: string): Promise<JobRecord> {
    return this.#write('cancel a job', async (trx) => {
      const queued = await trx
        .updateTable('mcpf_jobs')
        .set({
          state: 'cancelled',
          cancel_requested: 1,
          finished_at: now(),
          error: jsonWithin(
            'error',
            { code: 'JOB_CANCELLED', message: `cancelled by ${actor}` },
            MAX_JOB_RESULT_BYTES,
          ),
        })
        .where('id', '=', id)
        .where('state', '=', 'queued')
        .returningAll()
        .executeTakeFirst();
      if (queued) {
        await appendEvent(trx, queued, 'cancelled', `cancelled by ${actor}`);
        return jobRecord(queued);
      }
      const running = await trx
        .updateTable('mcpf_jobs')
        .set({ cancel_requested: 1 })
        .where('id', '=', id)
        .where('state', '=', 'running')
        .where('cancel_requested', '=', 0)
        .returningAll()
        .executeTakeFirst();
      if (running) {
        await appendEvent(trx, running, 'cancel requested', `cancel asked by ${actor}`);
        return jobRecord(running);
      }
      const row = await trx.selectFrom('mcpf_jobs').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw jobNotFound(id);
      return jobRecord(row);
    });
  }

  /**
   * Bounded retention: delete finished jobs (and their history) finished before `finishedBefore`, and beyond
   * the newest `keep` finished ones. Answers how many were deleted.
   */
  async prune(options: { finishedBefore: Date; keep: number }): Promise<number> {
    return this.#write('prune finished jobs', async (trx) => {
      const cutoff = options.finishedBefore.toISOString();
      const old = await trx
        .selectFrom('mcpf_jobs')
        .select('id')
        .where('state', 'in', [...FINISHED_STATES])
        .where((eb) =>
          eb.or([
            eb('finished_at', '<', cutoff),
            eb(
              'id',
              'not in',
              eb
                .selectFrom('mcpf_jobs as kept')
                .select('kept.id')
                .where('kept.state', 'in', [...FINISHED_STATES])
                .orderBy('kept.finished_at', 'desc')
                .orderBy('kept.id', 'desc')
                .limit(Math.max(0, Math.floor(options.keep))),
            ),
          ]),
        )
        .limit(1000)
        .execute();
      if (old.length === 0) return 0;
      const ids = old.map((r) => r.id);
      await trx.deleteFrom('mcpf_job_events').where('job_id', 'in', ids).execute();
      await trx.deleteFrom('mcpf_jobs').where('id', 'in', ids).execute();
      return ids.length;
    });
  }
}
