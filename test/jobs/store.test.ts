/**
 * The job tables on both backends (SQLite; PostgreSQL via MCP_FACTORY_TEST_PG_URL): queueing, idempotency per
 * creator, exclusive claims (two registries racing on one store), lease expiry and takeover, attempts running
 * out, cancellation, progress history, retention, and size limits (a refused input leaves nothing behind).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { availableBackends, type BackendHandle, rejection } from '../registry/backends.js';

const count = async (r: Registry) =>
  Number(
    (
      await r.kysely
        .selectFrom('mcpf_jobs')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

/** Move a job's lease into the past, as if its worker had died. */
async function expireLease(r: Registry, id: string) {
  await r.kysely
    .updateTable('mcpf_jobs')
    .set({ lease_until: new Date(Date.now() - 1000).toISOString() })
    .where('id', '=', id)
    .execute();
}

describe.each(availableBackends())('job store on $name', (backend) => {
  let handle: BackendHandle;
  let a: Registry;
  let b: Registry;

  beforeAll(async () => {
    handle = await backend.create();
    a = await openRegistry(handle.options);
    b = await openRegistry(handle.options);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await handle?.cleanup();
  });

  it('queues a job and dedupes by idempotency key per creator, refusing the key for another request', async () => {
    const first = await a.jobs.submit({
      kind: 'k.idem',
      input: { x: 1, y: [1, 2] },
      createdBy: 'user:u1',
      idempotencyKey: 'key-1',
    });
    expect(first.created).toBe(true);
    expect(first.job).toMatchObject({ state: 'queued', attempts: 0, maxAttempts: 3, progress: 0 });
    // Same key, same creator, same input (keys in another order): the same job.
    const again = await b.jobs.submit({
      kind: 'k.idem',
      input: { y: [1, 2], x: 1 },
      createdBy: 'user:u1',
      idempotencyKey: 'key-1',
    });
    expect(again).toMatchObject({ created: false, job: { id: first.job.id } });
    // Same key, another creator: a job of its own.
    const other = await a.jobs.submit({
      kind: 'k.idem',
      input: { x: 1, y: [1, 2] },
      createdBy: 'user:u2',
      idempotencyKey: 'key-1',
    });
    expect(other.created).toBe(true);
    expect(other.job.id).not.toBe(first.job.id);
    // Same key, another input: refused, nothing queued.
    const before = await count(a);
    const conflict = await rejection(
      a.jobs.submit({ kind: 'k.idem', input: { x: 2 }, createdBy: 'user:u1', idempotencyKey: 'key-1' }),
    );
    expect(conflict.code).toBe('JOB_IDEMPOTENCY_CONFLICT');
    expect(await count(a)).toBe(before);
  });

  it('refuses a huge input, a bad key and bad attempts with nothing stored', async () => {
    const before = await count(a);
    const huge = { blob: 'x'.repeat(3 * 1024 * 1024) };
    expect((await rejection(a.jobs.submit({ kind: 'k', input: huge, createdBy: 'user:u1' }))).code).toBe(
      'JOB_TOO_LARGE',
    );
    expect(
      (await rejection(a.jobs.submit({ kind: 'k', input: {}, createdBy: 'u', idempotencyKey: 'a\nb' }))).code,
    ).toBe('JOB_INVALID');
    expect(
      (
        await rejection(
          a.jobs.submit({ kind: 'k', input: {}, createdBy: 'u', idempotencyKey: 'k'.repeat(201) }),
        )
      ).code,
    ).toBe('JOB_INVALID');
    expect(
      (await rejection(a.jobs.submit({ kind: 'k', input: {}, createdBy: 'u', maxAttempts: 0 }))).code,
    ).toBe('JOB_INVALID');
    expect(await count(a)).toBe(before);
  });

  it('lets exactly one of two registries claim each job', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 6; i++)
      ids.add((await a.jobs.submit({ kind: 'k.race', input: { i }, createdBy: 'u' })).job.id);
    // Two connections of one process would block each other on SQLite's file lock (its driver is synchronous):
    // there the race runs over one connection; several processes on SQLite are pool.test.ts's.
    const racers = backend.name === 'postgres' ? [a, b] : [a];
    const claims = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (racers[i % racers.length] as Registry).jobs.claim(`w${i}`, ['k.race'], 60_000),
      ),
    );
    const won = claims.filter((c) => c !== undefined).map((c) => c.id);
    expect(won.sort()).toEqual([...ids].sort());
    for (const id of ids) {
      const job = await a.jobs.get(id);
      expect(job).toMatchObject({ state: 'running', attempts: 1 });
    }
  });

  it('hands an expired lease to another worker (the attempt counts) and drops the old worker’s writes', async () => {
    const { job } = await a.jobs.submit({ kind: 'k.lease', input: {}, createdBy: 'u', maxAttempts: 2 });
    expect((await a.jobs.claim('w1', ['k.lease'], 60_000))?.id).toBe(job.id);
    expect(await b.jobs.claim('w2', ['k.lease'], 60_000)).toBeUndefined(); // live lease: nobody else
    await expireLease(a, job.id);
    // Its own pool, slow to renew, never starts it a second time.
    expect(await a.jobs.claim('w1', ['k.lease'], 60_000)).toBeUndefined();
    const taken = await b.jobs.claim('w2', ['k.lease'], 60_000);
    expect(taken).toMatchObject({ id: job.id, attempts: 2, leaseOwner: 'w2' });
    // The first worker comes back: its renewal, progress and outcome are refused.
    expect(await a.jobs.renew(job.id, 'w1', 60_000)).toBeUndefined();
    expect(await a.jobs.progress(job.id, 'w1', 0.5, 'late')).toBe(false);
    expect(await a.jobs.finish(job.id, 'w1', { state: 'succeeded', result: 'stale' })).toBeUndefined();
    // Its attempts are used up: when w2 dies too, the next claim fails it with JOB_WORKER_LOST.
    await expireLease(a, job.id);
    expect(await a.jobs.claim('w3', ['k.lease'], 60_000)).toBeUndefined();
    const failed = await a.jobs.get(job.id);
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'JOB_WORKER_LOST' } });
    expect(failed.result).toBeNull();
  });

  it('records progress and the outcome in order, and retries after a backoff', async () => {
    const { job } = await a.jobs.submit({ kind: 'k.flow', input: {}, createdBy: 'u' });
    await a.jobs.claim('w', ['k.flow'], 60_000);
    expect(await a.jobs.progress(job.id, 'w', 7, 'clamped')).toBe(true);
    expect((await a.jobs.get(job.id)).progress).toBe(1);
    expect(
      await a.jobs.retryLater(
        job.id,
        'w',
        { code: 'INTERNAL', message: 'boom' },
        new Date(Date.now() + 60_000),
      ),
    ).toBe(true);
    expect(await a.jobs.claim('w', ['k.flow'], 60_000)).toBeUndefined(); // not due yet
    await a.kysely
      .updateTable('mcpf_jobs')
      .set({ not_before: new Date(0).toISOString() })
      .where('id', '=', job.id)
      .execute();
    expect((await a.jobs.claim('w', ['k.flow'], 60_000))?.attempts).toBe(2);
    const done = await a.jobs.finish(job.id, 'w', { state: 'succeeded', result: { answer: 42 } });
    expect(done).toMatchObject({ state: 'succeeded', result: { answer: 42 }, progress: 1, leaseOwner: null });
    const kinds = (await a.jobs.events(job.id)).map((e) => e.kind);
    expect(kinds).toEqual(['queued', 'started', 'progress', 'retry', 'started', 'succeeded']);
  });

  it('cancels a queued job at once and a running one through its worker', async () => {
    const queued = (await a.jobs.submit({ kind: 'k.cancel', input: { n: 1 }, createdBy: 'u' })).job;
    expect(await a.jobs.cancel(queued.id, 'me')).toMatchObject({
      state: 'cancelled',
      error: { code: 'JOB_CANCELLED' },
    });
    expect(await a.jobs.claim('w', ['k.cancel'], 60_000)).toBeUndefined(); // never runs
    const running = (await a.jobs.submit({ kind: 'k.cancel', input: { n: 2 }, createdBy: 'u' })).job;
    await a.jobs.claim('w', ['k.cancel'], 60_000);
    expect(await b.jobs.cancel(running.id, 'me')).toMatchObject({ state: 'running', cancelRequested: true });
    expect(await a.jobs.renew(running.id, 'w', 60_000)).toEqual({ cancelRequested: true });
    expect((await rejection(a.jobs.cancel('job_000000000000000000000000', 'me'))).code).toBe('JOB_NOT_FOUND');
  });

  it('prunes finished jobs beyond the retention, with their history', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { job } = await a.jobs.submit({ kind: 'k.prune', input: { i }, createdBy: 'u' });
      await a.jobs.claim('w', ['k.prune'], 60_000);
      await a.jobs.finish(job.id, 'w', { state: 'succeeded', result: i });
      ids.push(job.id);
    }
    const live = (await a.jobs.submit({ kind: 'k.prune', input: { live: true }, createdBy: 'u' })).job;
    const finished = (await a.jobs.list({ limit: 500 })).filter((j) => j.finishedAt !== null).length;
    // Keep everything younger than an hour, but at most `finished - 2` finished jobs: the two oldest go.
    const deleted = await a.jobs.prune({
      finishedBefore: new Date(Date.now() - 3600_000),
      keep: finished - 2,
    });
    expect(deleted).toBe(2);
    expect(await a.jobs.get(live.id)).toMatchObject({ state: 'queued' }); // unfinished jobs are never pruned
    const left = await a.jobs.prune({ finishedBefore: new Date(Date.now() + 1000), keep: 1000 });
    expect(left).toBe(finished - 2);
    for (const id of ids) expect((await rejection(a.jobs.get(id))).code).toBe('JOB_NOT_FOUND');
    expect(await a.jobs.events(ids[3] as string)).toEqual([]);
  });
});
