/**
 * Several processes on one store at once (CLI, API server and supervisor do exactly that), and processes killed
 * with SIGKILL in the middle of writing. The children are plain Node ESM scripts importing the built module
 * (dist/store/index.js, built here when missing or older than its sources).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenRegistryOptions, openRegistry } from '../../src/store/index.js';
import { ensureBuilt, ROOT } from '../helpers/build.js';
import { availableBackends, type BackendHandle, createSqliteHome } from './backends.js';

const ENTRY = join(ROOT, 'dist/store/index.js');

const WORKER = `
import { createHash } from 'node:crypto';
const { entry, options, mode, worker, rounds } = JSON.parse(process.env.MCPF_WORKER);
const { openRegistry } = await import(entry);
const sha = (s) => createHash('sha256').update(s).digest('hex');
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const tools = (n, i) =>
  Array.from({ length: n }, (_, k) => ({ name: 'tool_' + k, title: 'Tool ' + k, description: 'Tool ' + k + ' of round ' + i }));
try {
  out({ opening: true });
  const r = await openRegistry(options);
  const actor = 'worker-' + worker;
  if (mode === 'hammer') {
    const revisions = [];
    const statuses = ['deploying', 'running', 'stopped'];
    for (let i = 0; i < rounds; i++) {
      const { version } = await r.createServerVersion({
        name: 'shared', version: '1.' + worker + '.' + i, spec: { worker, i, tools: 3 },
        artifactHash: sha(worker + '/' + i), tools: tools(3, i), actor,
      });
      revisions.push(version.revision);
      await r.createServerVersion({
        name: 'own-' + worker, version: '1.0.' + i, spec: { i }, artifactHash: sha('own' + worker + '/' + i),
        tools: tools(2, i), actor,
      });
      await r.recordCalls(Array.from({ length: 10 }, (_, k) => ({
        server: 'shared', tool: 'tool_' + (k % 3), ok: k % 4 !== 0, latencyMs: k + 1,
      })));
      await r.setStatus('shared', statuses[i % 3], { actor });
    }
    out({ revisions });
  } else {
    for (let i = 0; ; i++) {
      const n = 3 + (i % 7);
      const { version } = await r.createServerVersion({
        name: 'crash', version: '1.0.' + i, spec: { tools: n, worker, i },
        artifactHash: sha(worker + '/' + i), tools: tools(n, i), actor,
      });
      out({ committed: version.revision });
      await r.recordCalls(Array.from({ length: 50 }, (_, k) => ({ server: 'crash', tool: 'tool_' + (k % n), ok: true, latencyMs: k })));
      await r.setStatus('crash', i % 2 ? 'running' : 'deploying', { actor });
    }
  }
  await r.close();
} catch (e) {
  process.stderr.write(JSON.stringify({ name: e.name, code: e.code, message: e.message, cause: e.cause?.code }) + '\\n');
  process.exit(1);
}
`;

let work: string;
let script: string;

beforeAll(() => {
  ensureBuilt('dist/store/index.js');
  work = mkdtempSync(join(tmpdir(), 'mcpf-registry-procs-'));
  script = join(work, 'worker.mjs');
  writeFileSync(script, WORKER);
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

interface WorkerArgs {
  options: OpenRegistryOptions;
  mode: 'hammer' | 'crash';
  worker: number;
  rounds?: number;
}

function start(args: WorkerArgs): ChildProcess {
  return spawn(process.execPath, [script], {
    env: {
      ...process.env,
      MCPF_WORKER: JSON.stringify({ ...args, entry: pathToFileURL(ENTRY).href }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function finished(
  child: ChildProcess,
): Promise<{ code: number | null; signal: string | null; out: string; err: string }> {
  let out = '';
  let err = '';
  child.stdout?.on('data', (c) => {
    out += c;
  });
  child.stderr?.on('data', (c) => {
    err += c;
  });
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code, signal, out, err }));
  });
}

describe.each(availableBackends())('several processes on one $name store', (backend) => {
  let handle: BackendHandle;
  beforeAll(async () => {
    handle = await backend.create();
  });
  afterAll(async () => {
    await handle?.cleanup();
  });

  it('keeps counts exact and revisions unique and gapless, with no lock error escaping', async () => {
    const workers = 6;
    const rounds = 20;
    const since = Date.now() - 60_000;
    // Migrations race too: every child opens the fresh store at the same moment.
    const results = await Promise.all(
      Array.from({ length: workers }, (_, worker) =>
        finished(start({ options: handle.options, mode: 'hammer', worker, rounds })),
      ),
    );
    for (const r of results) {
      expect(r.err).not.toMatch(/SQLITE_BUSY|database is locked|deadlock/i);
      expect(r, r.err).toMatchObject({ code: 0, err: '' });
    }
    const reported = results.flatMap(
      (r) => (JSON.parse(r.out.trim().split('\n').at(-1) ?? '{}') as { revisions: number[] }).revisions,
    );
    const all = Array.from({ length: workers * rounds }, (_, i) => i + 1);
    expect([...reported].sort((a, b) => a - b)).toEqual(all);

    const registry = await openRegistry(handle.options);
    try {
      expect((await registry.listVersions('shared')).map((v) => v.revision)).toEqual(all);
      expect((await registry.getServer('shared')).latestRevision).toBe(workers * rounds);
      for (let w = 0; w < workers; w++) {
        expect((await registry.listVersions(`own-${w}`)).map((v) => v.revision)).toEqual(
          Array.from({ length: rounds }, (_, i) => i + 1),
        );
      }
      const stats = await registry.toolStats('shared', { since, until: Date.now() + 60_000 });
      expect(stats.total.calls).toBe(workers * rounds * 10);
      expect(stats.total.errors).toBe(workers * rounds * 3);
      expect(stats.tools.map((t) => [t.tool, t.calls])).toEqual([
        ['tool_0', workers * rounds * 4],
        ['tool_1', workers * rounds * 3],
        ['tool_2', workers * rounds * 3],
      ]);
      const creates = await registry.listAudit({ target: 'shared', action: 'server.create', limit: 1000 });
      expect(creates.length).toBe(workers * rounds);
      expect(new Set(creates.map((e) => e.details?.revision)).size).toBe(workers * rounds);
      expect(
        (await registry.listAudit({ target: 'shared', action: 'server.status', limit: 1000 })).length,
      ).toBe(workers * rounds);
      const tools = await registry.kysely
        .selectFrom('mcpf_tools')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('server_name', '=', 'shared')
        .executeTakeFirstOrThrow();
      expect(Number(tools.n)).toBe(workers * rounds * 3);
    } finally {
      await registry.close();
    }
  });
});

/** Every committed version is complete: its tools indexed (table and FTS) and its audit entry written. */
async function checkConsistent(home: string, committed: number[]): Promise<number> {
  // The registry opens the crashed file first (read-write: SQLite recovers from a hot journal or WAL).
  const registry = await openRegistry({ home });
  try {
    const db = registry.kysely;
    expect((await sql<{ integrity_check: string }>`PRAGMA integrity_check`.execute(db)).rows).toEqual([
      { integrity_check: 'ok' },
    ]);
    expect((await sql`PRAGMA foreign_key_check`.execute(db)).rows).toEqual([]);
    await sql`INSERT INTO mcpf_tools_fts (mcpf_tools_fts) VALUES ('integrity-check')`.execute(db);
    const versions = await registry.listVersions('crash').catch(() => []);
    const revisions = versions.map((v) => v.revision);
    expect(revisions).toEqual(Array.from({ length: revisions.length }, (_, i) => i + 1));
    for (const c of committed) expect(revisions).toContain(c); // acknowledged commits survive the kill
    if (revisions.length > 0)
      expect((await registry.getServer('crash')).latestRevision).toBe(revisions.length);
    const audits = await registry.listAudit({ target: 'crash', action: 'server.create', limit: 1000 });
    expect(audits.map((a) => a.details?.revision).sort((a, b) => Number(a) - Number(b))).toEqual(revisions);
    for (const r of revisions) {
      const v = await registry.getVersion('crash', r);
      expect(v.tools.length).toBe((v.spec as { tools: number }).tools);
    }
    const [tools, fts] = await Promise.all([
      sql<{ n: number }>`SELECT count(*) AS n FROM mcpf_tools`.execute(db),
      sql<{ n: number }>`SELECT count(*) AS n FROM mcpf_tools_fts`.execute(db),
    ]);
    expect(fts.rows[0]?.n).toBe(tools.rows[0]?.n);
    // The store is still writable.
    await registry.recordCalls([{ server: 'crash', tool: 'tool_0', ok: true, latencyMs: 1 }]);
    return revisions.length;
  } finally {
    await registry.close();
  }
}

describe('SIGKILL in the middle of writing (SQLite)', () => {
  it('leaves an intact database where every committed version is complete', async () => {
    const h = createSqliteHome();
    try {
      const committed: number[] = [];
      for (let round = 0; round < 5; round++) {
        const child = start({ options: h.options, mode: 'crash', worker: round });
        const done = finished(child);
        const threshold = 3 + Math.floor(Math.random() * 10);
        let seen = 0;
        let buffer = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          const lines = buffer.split('\n');
          buffer = lines.pop() ?? '';
          for (const line of lines) {
            const msg = JSON.parse(line) as { committed?: number };
            if (msg.committed === undefined) continue;
            committed.push(msg.committed);
            if (++seen === threshold) setTimeout(() => child.kill('SIGKILL'), Math.random() * 15);
          }
        });
        const result = await done;
        expect(result.err).toBe('');
        expect(result.signal).toBe('SIGKILL');
      }
      const total = await checkConsistent(h.options.home!, committed);
      expect(total).toBeGreaterThanOrEqual(committed.length);
    } finally {
      await h.cleanup();
    }
  });

  it('survives a kill while the store is being created and migrated', async () => {
    const h = createSqliteHome();
    try {
      // Killed at increasing delays after the child starts opening the store: during creation, pragmas,
      // migrations, or the first writes.
      for (const delay of [0, 4, 8, 12, 16, 20, 24, 28, 32, 40]) {
        const child = start({ options: h.options, mode: 'crash', worker: delay });
        const done = finished(child);
        child.stdout?.once('data', () => setTimeout(() => child.kill('SIGKILL'), delay));
        const result = await done;
        expect(result.err).toBe('');
        expect(result.signal).toBe('SIGKILL');
      }
      await checkConsistent(h.options.home!, []);
    } finally {
      await h.cleanup();
    }
  });
});
