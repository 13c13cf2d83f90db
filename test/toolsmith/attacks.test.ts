/**
 * The toolsmith's attack corpus, each case checked by its effect: no run created and nothing kept for a dataset
 * that must not be read; nothing read, written or reached by generated code (a file's content never appears in
 * the run, a written file does not exist, a loopback listener gets no connection); and reviews that must not
 * move a run leave it exactly where it was.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataFile, type Harness, newToolScript, sqlBody, startHarness } from './harness.js';

let h: Harness;
let root: string;
let outside: string;
let listener: Server;
let connections = 0;
let port = 0;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'mcpf-ts-root-'));
  outside = mkdtempSync(join(tmpdir(), 'mcpf-ts-outside-'));
  h = await startHarness({
    policy: {
      dataRoots: [root],
      // No repair: a hostile body fails at its first validation (repairs are the pipeline tests' subject).
      maxRepairs: 0,
      maxDatasetBytes: 1_000_000,
      // Short enough for the never-finishing case, long enough for a real call on a loaded machine.
      execution: { timeoutSeconds: 10, cpuSeconds: 60, memoryMb: 1024, maxResultRows: 10_000 },
    },
  });
  listener = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as { port: number }).port;
  writeFileSync(join(root, 'weather.csv'), readFileSync(dataFile('seattle-weather.csv')));
});
afterAll(async () => {
  listener?.close();
  await h?.close();
  for (const dir of [root, outside]) if (dir) rmSync(dir, { recursive: true, force: true });
});

const remote = { actor: 'mallory', local: false };

function kept(): string[] {
  const dir = join(h.home, 'toolsmith', 'datasets');
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('datasets a caller must not make the factory read', () => {
  const secret = () => join(outside, 'secret.csv');
  beforeAll(() => {
    writeFileSync(secret(), 'key,value\napi,TOPSECRET-123\n');
    symlinkSync(secret(), join(root, 'link.csv'));
    mkdirSync(join(root, 'dir.csv'));
    execFileSync('mkfifo', [join(root, 'fifo.csv')]);
    writeFileSync(join(root, 'big.csv'), `a\n${'1\n'.repeat(600_000)}`);
    writeFileSync(join(root, 'empty.csv'), '');
    writeFileSync(join(root, 'garbage.parquet'), 'not a parquet file at all');
  });
  const cases: Array<[string, () => string]> = [
    ['a file outside the roots', secret],
    ['a symlink inside a root to a file outside', () => join(root, 'link.csv')],
    ['.. out of a root', () => join(root, '..', outside.split('/').at(-1)!, 'secret.csv')],
    ['/etc/passwd (no data extension)', () => '/etc/passwd'],
    ['a directory named like a file', () => join(root, 'dir.csv')],
    ['a FIFO (would block a reader)', () => join(root, 'fifo.csv')],
    ['a file over maxDatasetBytes', () => join(root, 'big.csv')],
    ['an empty file', () => join(root, 'empty.csv')],
    ['a NUL byte in the path', () => `${join(root, 'weather.csv')}\0.csv`],
    ['bytes DuckDB cannot read as the format named', () => join(root, 'garbage.parquet')],
  ];
  for (const [what, path] of cases)
    it(`refuses ${what}: no run, nothing kept`, async () => {
      const started = Date.now();
      await expect(
        h.toolsmith.analyze({ question: 'What is in here?', dataset: path(), caller: remote }),
      ).rejects.toMatchObject({
        code: 'TOOLSMITH_DATASET_INVALID',
      });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await h.registry.toolsmith.listRuns()).toEqual([]);
      expect(kept().filter((f) => !f.endsWith('.parquet'))).toEqual([]);
      expect(kept().some((f) => f.startsWith('.partial'))).toBe(false);
    });
});

/** Run a scripted tool whose code is `source`; the run must fail without effect. */
async function hostile(name: string, source: string) {
  h.fake.push(...newToolScript({ columns: ['weather'], name, source }));
  const run = await h.toolsmith.analyze({
    question: `Attack ${name}`,
    dataset: join(root, 'weather.csv'),
    caller: remote,
  });
  const done = await h.toolsmith.wait(run.id);
  const view = await h.toolsmith.get(run.id, { events: true });
  return { done, view, json: JSON.stringify(await h.registry.toolsmith.getRun(run.id)) };
}

describe('generated code that tries to reach the host', () => {
  it('imports node:fs to read a file: refused by the code check, nothing built or run', async () => {
    const { done, view, json } = await hostile(
      'read_host_file',
      `const fs = await import('node:fs');\nreturn fs.readFileSync(${JSON.stringify(join(outside, 'secret.csv'))}, 'utf8');`,
    );
    expect(done.status).toBe('failed');
    expect(view.validation?.schema_ok).toBe(false);
    expect(view.validation?.errors.join('\n')).toMatch(/SPEC_UNSAFE_CODE/);
    expect(view.result).toBeUndefined();
    expect(json).not.toContain('TOPSECRET');
  }, 60_000);

  it('reads another file through DuckDB (read_text): blocked by the locked connection, its content never seen', async () => {
    const { done, view, json } = await hostile(
      'read_text_outside',
      sqlBody(`SELECT content FROM read_text('${join(outside, 'secret.csv')}')`),
    );
    expect(done.status).toBe('failed');
    expect(view.validation?.tests_ok).toBe(false);
    expect(json).not.toContain('TOPSECRET');
  }, 120_000);

  it('writes a file through DuckDB (COPY … TO): blocked, the file does not exist', async () => {
    const target = join(outside, 'pwned.csv');
    const { done } = await hostile('copy_out', sqlBody(`COPY (SELECT * FROM dataset) TO '${target}'`));
    expect(done.status).toBe('failed');
    expect(existsSync(target)).toBe(false);
  }, 120_000);

  it('opens a socket to a loopback listener: no network in the sandbox, no connection arrives', async () => {
    const { done } = await hostile(
      'phone_home',
      `const r = await fetch('http://127.0.0.1:${port}/x', { signal: ctx.signal });\nreturn { status: r.status };`,
    );
    expect(done.status).toBe('failed');
    expect(connections).toBe(0);
  }, 120_000);

  it('never finishes: stopped by the policy timeout; the factory keeps answering', async () => {
    const { done, view } = await hostile(
      'forever',
      'for (;;) { await new Promise((r) => setTimeout(r, 50)); if (ctx.signal.aborted) throw new Error("stopped"); }',
    );
    expect(done.status).toBe('failed');
    expect(view.validation?.tests_ok).toBe(false);
    expect((await h.toolsmith.list()).length).toBeGreaterThan(0);
  }, 120_000);
});

describe('reviews that must not move a run', () => {
  let id = '';
  beforeAll(async () => {
    h.fake.push(
      ...newToolScript({
        columns: ['weather'],
        name: 'days_per_weather',
        source: sqlBody('SELECT weather, count(*) AS days FROM dataset GROUP BY 1 ORDER BY 1'),
      }),
    );
    const run = await h.toolsmith.analyze({
      question: 'Days per weather kind?',
      dataset: join(root, 'weather.csv'),
      caller: remote,
    });
    const waiting = await h.toolsmith.wait(run.id);
    expect(waiting.error).toBeNull();
    id = run.id;
  }, 240_000);

  const unchanged = async (node: string, toolState: string) => {
    const run = await h.registry.toolsmith.getRun(id);
    expect([run.status, run.node, run.toolState]).toEqual(['waiting', node, toolState]);
  };

  it('stage 2 while stage 1 is pending, and revise at stage 2, are refused', async () => {
    await expect(
      h.toolsmith.decide(id, { stage: 2, decision: 'approve', caller: { actor: 'bob', local: false } }),
    ).rejects.toMatchObject({
      code: 'TOOLSMITH_NOT_DECIDABLE',
    });
    await unchanged('review_output', 'STAGED');
  });

  it('two reviewers approving stage 1 at once: one decision is recorded, the other is a conflict', async () => {
    const results = await Promise.allSettled([
      h.toolsmith.decide(id, { decision: 'approve', caller: { actor: 'bob', local: false } }),
      h.toolsmith.decide(id, { decision: 'approve', caller: { actor: 'dave', local: false } }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(['TOOLSMITH_CONFLICT', 'TOOLSMITH_NOT_DECIDABLE']).toContain(rejected.reason.code);
    const trail = await h.registry.toolsmith.events(id);
    expect(trail.filter((e) => e.kind === 'stage1.approve')).toHaveLength(1);
    await unchanged('review_promotion', 'APPROVED');
  });

  it('the asker cannot approve the promotion of its own run; revise is not a stage-2 decision', async () => {
    await expect(h.toolsmith.decide(id, { decision: 'approve', caller: remote })).rejects.toMatchObject({
      code: 'TOOLSMITH_SELF_APPROVAL',
    });
    await expect(
      h.toolsmith.decide(id, { decision: 'revise', note: 'x', caller: { actor: 'bob', local: false } }),
    ).rejects.toMatchObject({ code: 'TOOLSMITH_NOT_DECIDABLE' });
    await unchanged('review_promotion', 'APPROVED');
    expect(await h.registry.getServer('toolsmith').catch((e) => e.code)).toBe('REGISTRY_NOT_FOUND');
  });

  it('a failed run cannot be approved', async () => {
    const failed = (await h.toolsmith.list({ status: 'failed' }))[0]!;
    await expect(
      h.toolsmith.decide(failed.id, { decision: 'approve', caller: { actor: 'bob', local: false } }),
    ).rejects.toMatchObject({
      code: 'TOOLSMITH_NOT_DECIDABLE',
    });
  });
});
