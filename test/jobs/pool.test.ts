/**
 * The worker pool by effect, on both backends: a job whose worker process is SIGKILLed while it holds the lease
 * is finished exactly once by another pool; the concurrency bound per kind holds; cancel stops the work (its
 * effect never happens); failures are retried with backoff while they may succeed, and a caller's error is
 * final. The child worker is the pool bundled by esbuild from the sources (no full build needed).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FactoryError } from '../../src/core/errors/index.js';
import { type JobHandler, WorkerPool } from '../../src/jobs/index.js';
import { type JobRecord, openRegistry, type Registry } from '../../src/store/index.js';
import { ROOT } from '../helpers/build.js';
import { availableBackends, type BackendHandle } from '../registry/backends.js';

// Under node_modules/.cache so the bundle's bare imports (kysely, pg, better-sqlite3) resolve from the project.
const cache = join(ROOT, 'node_modules', '.cache');
mkdirSync(cache, { recursive: true });
const work = mkdtempSync(join(cache, 'mcpf-jobs-pool-'));
const CHILD = join(work, 'child.mjs');

/** A worker process: claims `k.slow` jobs, marks each as started in a file, then works until killed. */
const CHILD_SOURCE = `
import { appendFileSync } from 'node:fs';
import { openRegistry, WorkerPool } from './bundle.mjs';
const { options, marks } = JSON.parse(process.env.MCPF_CHILD);
const registry = await openRegistry(options);
const pool = new WorkerPool({
  jobs: registry.jobs,
  owner: 'child-' + process.pid,
  // Long enough that a loaded machine never stalls the child past its lease before it is killed.
  leaseMs: 5000,
  pollMs: 100,
  handlers: [{ kind: 'k.slow', concurrency: 1, async run({ job, progress }) {
    appendFileSync(marks, 'started ' + job.id + ' ' + process.pid + '\\n');
    await progress(0.3, 'child working');
    await new Promise(() => undefined);
  } }],
});
pool.start();
process.stdout.write('ready\\n');
`;

beforeAll(async () => {
  await build({
    stdin: {
      contents:
        "export { openRegistry } from './src/store/index.ts'; export { WorkerPool } from './src/jobs/index.ts';",
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: join(work, 'bundle.mjs'),
    logLevel: 'silent',
  });
  writeFileSync(CHILD, CHILD_SOURCE);
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const settled = (r: Registry, id: string) =>
  until(`job ${id} to finish`, async () => {
    const job = await r.jobs.get(id);
    return job.finishedAt ? job : undefined;
  });

describe.each(availableBackends())('worker pool on $name', (backend) => {
  let handle: BackendHandle;
  let registry: Registry;
  const pools: WorkerPool[] = [];
  const pool = (handlers: JobHandler[], extra: Partial<ConstructorParameters<typeof WorkerPool>[0]> = {}) => {
    const p = new WorkerPool({
      jobs: registry.jobs,
      handlers,
      leaseMs: 1500,
      pollMs: 50,
      backoffMs: 100,
      ...extra,
    });
    pools.push(p);
    p.start();
    return p;
  };

  beforeAll(async () => {
    handle = await backend.create();
    registry = await openRegistry(handle.options);
  });

  afterAll(async () => {
    await Promise.all(pools.map((p) => p.stop(100)));
    await registry?.close();
    await handle?.cleanup();
  });

  it('finishes a job exactly once after its worker process is SIGKILLed holding the lease', async () => {
    const marks = join(work, `marks-${backend.name}`);
    const done = join(work, `done-${backend.name}`);
    const { job } = await registry.jobs.submit({ kind: 'k.slow', input: { n: 1 }, createdBy: 'u' });
    const child: ChildProcess = spawn(process.execPath, [CHILD], {
      cwd: ROOT,
      env: { ...process.env, MCPF_CHILD: JSON.stringify({ options: handle.options, marks }) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const held = await until(
        'the child to hold the job',
        async () => {
          const j = await registry.jobs.get(job.id);
          return j.state === 'running' && j.leaseOwner === `child-${child.pid}` && j.progress > 0
            ? j
            : undefined;
        },
        90_000,
      );
      expect(held.attempts).toBe(1);
    } finally {
      child.kill('SIGKILL');
    }
    // Wait for the exit unless it already happened (a listener added after the event would wait forever).
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    pool([
      {
        kind: 'k.slow',
        concurrency: 1,
        async run({ job: j }) {
          appendFileSync(done, `${j.id}\n`);
          return { finishedBy: 'survivor', attempt: j.attempts };
        },
      },
    ]);
    const finished = await settled(registry, job.id);
    expect(finished).toMatchObject({
      state: 'succeeded',
      attempts: 2,
      result: { finishedBy: 'survivor', attempt: 2 },
    });
    expect(readFileSync(marks, 'utf8').trim().split('\n')).toHaveLength(1); // the child started it once
    expect(readFileSync(done, 'utf8').trim().split('\n')).toEqual([job.id]); // and it was finished once
    const kinds = (await registry.jobs.events(job.id)).map((e) => e.kind);
    expect(kinds).toEqual(['queued', 'started', 'progress', 'taken over', 'succeeded']);
  }, 150_000); // a child process opening the registry on a loaded machine can take a while

  it('hands a running job back to the queue when its pool shuts down, for another pool to finish', async () => {
    const leaving = new WorkerPool({
      jobs: registry.jobs,
      leaseMs: 1500,
      pollMs: 50,
      handlers: [
        {
          kind: 'k.shutdown',
          concurrency: 1,
          run: ({ signal }) =>
            new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
        },
      ],
    });
    leaving.start();
    const { job } = await registry.jobs.submit({ kind: 'k.shutdown', input: {}, createdBy: 'u' });
    await until('the job to run', async () => (await registry.jobs.get(job.id)).leaseOwner === leaving.owner);
    await leaving.stop(100);
    expect(await registry.jobs.get(job.id)).toMatchObject({
      state: 'queued',
      attempts: 1,
      leaseOwner: null,
      error: { code: 'JOB_WORKER_LOST' },
    });
    pool([{ kind: 'k.shutdown', concurrency: 1, run: async () => 'finished elsewhere' }]);
    expect(await settled(registry, job.id)).toMatchObject({
      state: 'succeeded',
      attempts: 2,
      result: 'finished elsewhere',
    });
  }, 30_000);

  it('never runs more jobs of a kind at once than its concurrency', async () => {
    let now = 0;
    let peak = 0;
    const jobs: JobRecord[] = [];
    for (let i = 0; i < 7; i++)
      jobs.push((await registry.jobs.submit({ kind: 'k.bound', input: { i }, createdBy: 'u' })).job);
    pool([
      {
        kind: 'k.bound',
        concurrency: 2,
        async run({ job }) {
          now++;
          peak = Math.max(peak, now);
          await new Promise((r) => setTimeout(r, 60));
          now--;
          return (job.input as { i: number }).i * 10;
        },
      },
    ]);
    const results = await Promise.all(jobs.map((j) => settled(registry, j.id)));
    expect(results.map((r) => r.result)).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(peak).toBe(2);
  }, 30_000);

  it('stops a cancelled job: its signal fires and its effect never happens', async () => {
    const effect = join(work, `cancel-effect-${backend.name}`);
    let started = false;
    pool([
      {
        kind: 'k.cancel',
        concurrency: 1,
        async run({ signal }) {
          started = true;
          await new Promise((resolve, reject) => {
            const timer = setTimeout(resolve, 20_000);
            signal.addEventListener('abort', () => {
              clearTimeout(timer);
              reject(signal.reason);
            });
          });
          writeFileSync(effect, 'deployed');
        },
      },
    ]);
    const { job } = await registry.jobs.submit({ kind: 'k.cancel', input: {}, createdBy: 'u' });
    await until('the job to start', async () => started);
    await registry.jobs.cancel(job.id, 'tester');
    const finished = await settled(registry, job.id);
    expect(finished).toMatchObject({ state: 'cancelled', error: { code: 'JOB_CANCELLED' }, attempts: 1 });
    expect(existsSync(effect)).toBe(false);
  }, 30_000);

  it('retries a failure with growing backoff, fails with the last error, and does not retry a caller error', async () => {
    const attempts: number[] = [];
    pool([
      {
        kind: 'k.flaky',
        concurrency: 1,
        async run({ job }) {
          attempts.push(Date.now());
          if (job.attempts < 3) throw new Error(`flake ${job.attempts}`);
          return 'third time';
        },
      },
      {
        kind: 'k.broken',
        concurrency: 1,
        async run({ job }) {
          throw new Error(`broken ${job.attempts}`);
        },
      },
      {
        kind: 'k.bad-input',
        concurrency: 1,
        async run() {
          throw new FactoryError('SPEC_SYNTAX', 'not YAML');
        },
      },
    ]);
    const flaky = (await registry.jobs.submit({ kind: 'k.flaky', input: {}, createdBy: 'u' })).job;
    const broken = (
      await registry.jobs.submit({ kind: 'k.broken', input: {}, createdBy: 'u', maxAttempts: 2 })
    ).job;
    const bad = (await registry.jobs.submit({ kind: 'k.bad-input', input: {}, createdBy: 'u' })).job;
    const flakyDone = await settled(registry, flaky.id);
    expect(flakyDone).toMatchObject({
      state: 'succeeded',
      attempts: 3,
      result: 'third time',
    });
    // backoff 100 ms, then 200 ms
    expect((attempts[1] as number) - (attempts[0] as number)).toBeGreaterThanOrEqual(90);
    expect((attempts[2] as number) - (attempts[1] as number)).toBeGreaterThanOrEqual(190);
    expect(await settled(registry, broken.id)).toMatchObject({
      state: 'failed',
      attempts: 2,
      error: { code: 'INTERNAL', message: 'broken 2' },
    });
    expect(await settled(registry, bad.id)).toMatchObject({
      state: 'failed',
      attempts: 1,
      error: { code: 'SPEC_SYNTAX' },
    });
  }, 30_000);
});
