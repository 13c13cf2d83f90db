/**
 * Jobs over the HTTP API, by effect: `Prefer: respond-async` answers 202 + Location and the job's result equals
 * the synchronous answer; an idempotency key dedupes (the operation runs once); the SSE stream shows progress
 * then the final state and closes; cancel stops a creation (nothing registered); a caller cannot read, follow,
 * list or cancel another caller's job (guessed ids, other users' tokens; the job keeps running untouched); a
 * refused request queues nothing (huge input, missing permission).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateRequest } from '../../src/deploy/types.js';
import { AccessControl } from '../../src/identity/access.js';
import { TokenStore } from '../../src/identity/tokens.js';
import type { WorkerPool } from '../../src/jobs/index.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { type Api, createApi } from '../../src/surfaces/api/index.js';
import { specFromSource } from '../../src/surfaces/operations/index.js';
import { startJobPool } from '../../src/surfaces/operations/job-pool.js';
import { FakeControlPlane } from '../api/fake-control-plane.js';

const BASE = 'http://127.0.0.1';
let home: string;
let registry: Registry;
let cp: FakeControlPlane;
let api: Api;
let pool: WorkerPool;
const token: Record<string, string> = {};
/** Creations of these servers report a step, then wait for `release`, so a test can act meanwhile. */
const held = new Map<string, { released: Promise<void>; release: () => void }>();
function hold(name: string): () => void {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  held.set(name, { released, release });
  return release;
}

const spec = (name: string) => ({
  name,
  version: '1.0.0',
  tools: [{ name: 'hello', description: 'Say hello', static: { text: 'hello' } }],
});

function request(
  who: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  return api.fetch(
    new Request(`${BASE}${path}`, {
      method,
      headers: {
        host: '127.0.0.1',
        authorization: `Bearer ${token[who]}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );
}

const ASYNC = { prefer: 'respond-async' };

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function finished(who: string, id: string) {
  return until(`job ${id}`, async () => {
    const job = (await (await request(who, 'GET', `/mcp/jobs/${id}`)).json()) as {
      finishedAt: string | null;
    };
    return job.finishedAt ? (job as Record<string, unknown>) : undefined;
  });
}

const jobCount = async () =>
  Number(
    (
      await registry.kysely
        .selectFrom('mcpf_jobs')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'mcpf-jobs-http-'));
  registry = await openRegistry({ home });
  cp = new FakeControlPlane(registry);
  const create = cp.create.bind(cp);
  cp.create = async (req: CreateRequest) => {
    const gate = held.get(req.spec.name);
    if (gate) {
      req.onProgress?.({ step: 'generate', status: 'done', ms: 1 });
      await gate.released;
      req.onProgress?.({ step: 'register', status: 'start' }); // a cancelled job stops here
    }
    return create(req);
  };
  // Personal tokens act as their owner, who must be a user of the registry.
  await registry.identity.createUser({ name: 'alice', role: 'developer' });
  await registry.identity.createUser({ name: 'bob', role: 'developer' });
  await registry.identity.createUser({ name: 'root', role: 'admin' });
  await registry.identity.createUser({ name: 'vera', role: 'viewer' });
  await registry.identity.createTeam('red');
  await registry.identity.createTeam('blue');
  await registry.identity.createUser({ name: 'ron', role: 'admin', team: 'red' });
  await registry.identity.createUser({ name: 'rita', role: 'developer', team: 'red' });
  await registry.identity.createUser({ name: 'bea', role: 'developer', team: 'blue' });
  const tokens = TokenStore.open({ home });
  // The tests poll: no rate limit in the way.
  const fast = { requestsPerMinute: 1_000_000 };
  token.alice = tokens.create({ name: 'alice', role: 'developer', owner: 'alice', ...fast }).token;
  token.bob = tokens.create({ name: 'bob', role: 'developer', owner: 'bob', ...fast }).token;
  token.root = tokens.create({ name: 'root', role: 'admin', owner: 'root', ...fast }).token;
  token.svc1 = tokens.create({ name: 'svc1', ...fast }).token;
  token.svc2 = tokens.create({ name: 'svc2', ...fast }).token;
  token.ron = tokens.create({ name: 'ron', role: 'admin', owner: 'ron', team: 'red', ...fast }).token;
  token.rita = tokens.create({ name: 'rita', role: 'developer', owner: 'rita', team: 'red', ...fast }).token;
  token.bea = tokens.create({ name: 'bea', role: 'developer', owner: 'bea', team: 'blue', ...fast }).token;
  token.viewer = tokens.create({ name: 'viewer', role: 'viewer', owner: 'vera', ...fast }).token;
  const access = new AccessControl({ tokens, registry });
  pool = startJobPool(
    {
      controlPlane: cp,
      registry,
      policy: access.policy,
      reserveCreate: (principal, server) => access.reserveCreate(principal, server),
    },
    { leaseMs: 3000, pollMs: 50, backoffMs: 100 },
  );
  api = createApi({ controlPlane: cp, registry, tokens, access, jobs: pool });
  await cp.create({
    spec: specFromSource({ spec: spec('echo-desk') }, { allowLocalFiles: false }),
    specDir: home,
    actor: 't',
  });
});

afterAll(async () => {
  for (const gate of held.values()) gate.release();
  await pool?.stop(1000);
  await registry?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('async mode over HTTP', () => {
  it('answers 202 with Location, and the job’s result equals the synchronous answer', async () => {
    const call = { tool: 'hello', arguments: { who: 'jobs', n: [1, 2] } };
    const sync = await request('svc1', 'POST', '/mcp/servers/echo-desk/call', call);
    expect(sync.status).toBe(200);
    const queued = await request('svc1', 'POST', '/mcp/servers/echo-desk/call?async=1', call);
    expect(queued.status).toBe(202);
    const job = (await queued.json()) as { id: string; state: string; operation: string };
    expect(queued.headers.get('location')).toBe(`/mcp/jobs/${job.id}`);
    expect(job).toMatchObject({ operation: 'call_tool', state: 'queued' });
    const done = await finished('svc1', job.id);
    expect(done).toMatchObject({ state: 'succeeded', attempts: 1 });
    expect(done.result).toEqual(await sync.json());
  });

  it('creates a server in a job (Prefer: respond-async), once per idempotency key', async () => {
    const before = cp.calls.filter((c) => c.method === 'create').length;
    const headers = { ...ASYNC, 'idempotency-key': 'create-jobs-desk' };
    const first = await request('alice', 'POST', '/mcp/create', spec('jobs-desk'), headers);
    expect(first.status).toBe(202);
    expect(first.headers.get('preference-applied')).toBe('respond-async');
    const again = await request('alice', 'POST', '/mcp/create', spec('jobs-desk'), headers);
    const [a, b] = [(await first.json()) as { id: string }, (await again.json()) as { id: string }];
    expect(b.id).toBe(a.id);
    const done = await finished('alice', a.id);
    expect(done).toMatchObject({ state: 'succeeded', result: { name: 'jobs-desk', revision: 1 } });
    expect(cp.calls.filter((c) => c.method === 'create').length).toBe(before + 1);
    // The server is alice's, as if she had created it synchronously.
    expect((await request('alice', 'GET', '/mcp/servers/jobs-desk')).status).toBe(200);
    // The same key for another request is refused; nothing queued.
    const count = await jobCount();
    const conflict = await request('alice', 'POST', '/mcp/create', spec('other-desk'), headers);
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as { error: string }).error).toBe('JOB_IDEMPOTENCY_CONFLICT');
    expect(await jobCount()).toBe(count);
  });

  it('streams progress and then the final state as server-sent events, and closes', async () => {
    const release = hold('sse-desk');
    const queued = (await (
      await request('alice', 'POST', '/mcp/create', spec('sse-desk'), ASYNC)
    ).json()) as { id: string };
    const stream = await request('alice', 'GET', `/mcp/jobs/${queued.id}/events`);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const read = async (until: RegExp) => {
      while (!until.test(text)) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value);
      }
    };
    await read(/generate: done/);
    release();
    await read(/event: end/);
    expect((await reader.read()).done).toBe(true); // the stream closes after the end event
    const events = [...text.matchAll(/event: (\w+)\ndata: (.*)\n/g)].map((m) => ({
      event: m[1],
      data: JSON.parse(m[2] as string),
    }));
    const names = events.map((e) => (e.event === 'end' ? 'end' : `${e.event}:${e.data.kind}`));
    expect(names[0]).toBe('state:queued');
    expect(names.indexOf('state:started')).toBeGreaterThan(0);
    expect(names.indexOf('progress:progress')).toBeGreaterThan(names.indexOf('state:started'));
    expect(names.slice(-2)).toEqual(['state:succeeded', 'end']);
    expect(events.at(-1)?.data).toMatchObject({
      id: queued.id,
      state: 'succeeded',
      progress: { fraction: 1 },
    });
  });

  it('cancels a running creation: the job ends cancelled and nothing is registered', async () => {
    const release = hold('cancel-desk');
    const queued = (await (
      await request('alice', 'POST', '/mcp/create', spec('cancel-desk'), ASYNC)
    ).json()) as { id: string };
    await until('the creation to start', async () => {
      const job = (await (await request('alice', 'GET', `/mcp/jobs/${queued.id}`)).json()) as {
        progress: { fraction: number };
      };
      return job.progress.fraction > 0;
    });
    const cancelled = await request('alice', 'DELETE', `/mcp/jobs/${queued.id}`);
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ cancelRequested: true });
    // The pool notices at its next lease renewal (the lease moves on); then the creation goes on, as a slow
    // step would, and stops at its next step.
    const leased = (await registry.jobs.get(queued.id)).leaseUntil;
    await until('a lease renewal', async () => (await registry.jobs.get(queued.id)).leaseUntil !== leased);
    release();
    const job = await finished('alice', queued.id);
    expect(job).toMatchObject({ state: 'cancelled', error: { code: 'JOB_CANCELLED' } });
    expect((await request('alice', 'GET', '/mcp/servers/cancel-desk')).status).toBe(404);
    expect(await registry.getServer('cancel-desk').catch(() => undefined)).toBeUndefined();
  }, 60_000);
});

describe('the OpenAPI document', () => {
  it('lists the 202 answer of each long operation and the job routes', () => {
    const doc = api.openapi() as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    for (const [path, method] of [
      ['/mcp/create', 'post'],
      ['/mcp/deploy/{name}', 'post'],
      ['/mcp/servers/{name}/call', 'post'],
    ] as const)
      expect(Object.keys(doc.paths[path]?.[method]?.responses ?? {}), path).toContain('202');
    expect(Object.keys(doc.paths['/mcp/servers']?.get?.responses ?? {})).not.toContain('202');
    expect(Object.keys(doc.paths['/mcp/jobs'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/mcp/jobs/{id}'] ?? {}).sort()).toEqual(['delete', 'get']);
    expect(Object.keys(doc.paths['/mcp/jobs/{id}/events'] ?? {})).toEqual(['get']);
  });
});

describe('who sees which job', () => {
  it('answers another caller’s job like a missing one, and leaves it untouched', async () => {
    const release = hold('private-desk');
    const queued = (await (
      await request('alice', 'POST', '/mcp/create', spec('private-desk'), ASYNC)
    ).json()) as { id: string };
    const missing = 'job_0123456789abcdef01234567';
    for (const who of ['bob', 'svc1', 'viewer']) {
      for (const [method, path] of [
        ['GET', `/mcp/jobs/${queued.id}`],
        ['GET', `/mcp/jobs/${queued.id}/events`],
        ['DELETE', `/mcp/jobs/${queued.id}`],
        ['GET', `/mcp/jobs/${missing}`],
        ['DELETE', '/mcp/jobs/..%2F..%2Fetc%2Fpasswd'],
        ['GET', `/mcp/jobs/${queued.id.toUpperCase()}`],
      ] as const) {
        const response = await request(who, method, path);
        expect(response.status, `${who} ${method} ${path}`).toBe(404);
        expect(((await response.json()) as { error: string }).error).toBe('JOB_NOT_FOUND');
      }
      const listed = (await (await request(who, 'GET', '/mcp/jobs?all=1')).json()) as {
        jobs: Array<{ id: string }>;
      };
      expect(listed.jobs.map((j) => j.id)).not.toContain(queued.id);
    }
    // Untouched: still running, no cancellation recorded.
    const own = (await (await request('alice', 'GET', `/mcp/jobs/${queued.id}`)).json()) as Record<
      string,
      unknown
    >;
    expect(own).toMatchObject({ cancelRequested: false });
    expect(['queued', 'running']).toContain(own.state);
    // An admin (jobs.all) sees it in its listing and may read it.
    const all = (await (await request('root', 'GET', '/mcp/jobs?all=1')).json()) as {
      jobs: Array<{ id: string }>;
    };
    expect(all.jobs.map((j) => j.id)).toContain(queued.id);
    expect((await request('root', 'GET', `/mcp/jobs/${queued.id}`)).status).toBe(200);
    // Without all=1 the admin's own list does not show it; alice's does.
    const mine = (await (await request('root', 'GET', '/mcp/jobs')).json()) as {
      jobs: Array<{ id: string }>;
    };
    expect(mine.jobs.map((j) => j.id)).not.toContain(queued.id);
    const hers = (await (await request('alice', 'GET', '/mcp/jobs?operation=create_server')).json()) as {
      jobs: Array<{ id: string }>;
    };
    expect(hers.jobs.map((j) => j.id)).toContain(queued.id);
    release();
    expect(await finished('alice', queued.id)).toMatchObject({ state: 'succeeded' });
  });

  it('lets a team’s admin reach the jobs of its team only', async () => {
    const submit = async (who: string) => {
      const response = await request(who, 'POST', '/mcp/create', spec(`${who}-team-desk`), ASYNC);
      expect(response.status).toBe(202);
      return ((await response.json()) as { id: string }).id;
    };
    const red = await submit('rita');
    const blue = await submit('bea');
    expect((await request('ron', 'GET', `/mcp/jobs/${red}`)).status).toBe(200);
    expect((await request('ron', 'GET', `/mcp/jobs/${blue}`)).status).toBe(404);
    expect((await request('ron', 'DELETE', `/mcp/jobs/${blue}`)).status).toBe(404);
    const listed = (await (await request('ron', 'GET', '/mcp/jobs?all=1')).json()) as {
      jobs: Array<{ id: string }>;
    };
    expect(listed.jobs.map((j) => j.id)).toContain(red);
    expect(listed.jobs.map((j) => j.id)).not.toContain(blue);
    // A developer's all=1 is its own jobs.
    const hers = (await (await request('rita', 'GET', '/mcp/jobs?all=1')).json()) as {
      jobs: Array<{ createdBy: string }>;
    };
    expect(new Set(hers.jobs.map((j) => j.createdBy))).toEqual(new Set(['user:rita']));
  });

  it('keeps the jobs of two service tokens apart', async () => {
    const call = { tool: 'hello', arguments: {} };
    const job = (await (
      await request('svc2', 'POST', '/mcp/servers/echo-desk/call', call, ASYNC)
    ).json()) as { id: string };
    expect((await request('svc1', 'GET', `/mcp/jobs/${job.id}`)).status).toBe(404);
    expect((await request('svc2', 'GET', `/mcp/jobs/${job.id}`)).status).toBe(200);
  });

  it('queues nothing when the caller may not run the operation, or the input is too large', async () => {
    const count = await jobCount();
    const refused = await request('viewer', 'POST', '/mcp/create', spec('viewer-desk'), ASYNC);
    expect(refused.status).toBe(403);
    const huge = { tool: 'hello', arguments: { blob: 'x'.repeat(3 * 1024 * 1024) } };
    const big = await request('svc1', 'POST', '/mcp/servers/echo-desk/call', huge, ASYNC);
    expect(big.status).toBe(413);
    const bad = await request(
      'svc1',
      'POST',
      '/mcp/servers/echo-desk/call',
      { tool: 'hello', arguments: {} },
      {
        ...ASYNC,
        'idempotency-key': 'k'.repeat(500),
      },
    );
    expect(bad.status).toBe(400);
    // A deployment's environment values are never stored: not as a job either.
    const secret = 'sk-live-never-stored-0123456789';
    const env = await request(
      'svc1',
      'POST',
      '/mcp/deploy/echo-desk',
      { target: 'local', env: { API_KEY: secret } },
      ASYNC,
    );
    expect(env.status).toBe(400);
    const stored = await registry.kysely.selectFrom('mcpf_jobs').select('input').execute();
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(await jobCount()).toBe(count);
    expect(
      cp.calls.some((c) => c.method === 'create' && (c.args as { name: string }).name === 'viewer-desk'),
    ).toBe(false);
  });
});
