/**
 * Jobs through the factory's MCP server (both protocol eras), by effect: submit_job queues a long operation
 * and answers at once; the worker pool runs it; get_job shows the result, equal to the synchronous tool's
 * answer; bad arguments and refused operations queue nothing; another caller's job answers like a missing one
 * and stays untouched; a queued job cancelled through cancel_job never runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessControl } from '../../src/identity/access.js';
import { TokenStore } from '../../src/identity/tokens.js';
import type { WorkerPool } from '../../src/jobs/index.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { serveFactoryMcpHttp } from '../../src/surfaces/mcp/index.js';
import { specFromSource } from '../../src/surfaces/operations/index.js';
import { startJobPool } from '../../src/surfaces/operations/job-pool.js';
import { FakeControlPlane } from '../api/fake-control-plane.js';
import { connectHttp, ERAS, type Era, textOf } from '../helpers/mcp.js';

let home: string;
let registry: Registry;
let cp: FakeControlPlane;
let pool: WorkerPool | undefined;
let served: Awaited<ReturnType<typeof serveFactoryMcpHttp>>;
const token: Record<string, string> = {};
let toolCalls = 0;

// biome-ignore lint/suspicious/noExplicitAny: structured tool results, checked by the assertions
type Structured = any;

async function call(client: Client, name: string, args: Record<string, unknown> = {}) {
  const result = await client.callTool({ name, arguments: args });
  return {
    isError: Boolean(result.isError),
    text: textOf(result),
    data: result.structuredContent as Structured,
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
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
  home = mkdtempSync(join(tmpdir(), 'mcpf-jobs-mcp-'));
  registry = await openRegistry({ home });
  cp = new FakeControlPlane(registry);
  // Tool calls are what jobs run here: count them, to see a cancelled job run nothing.
  const callTool = cp.callTool.bind(cp);
  cp.callTool = async (name, tool, args) => {
    toolCalls++;
    return callTool(name, tool, args);
  };
  await registry.identity.createUser({ name: 'alice', role: 'developer' });
  await registry.identity.createUser({ name: 'bob', role: 'developer' });
  await registry.identity.createUser({ name: 'vera', role: 'viewer' });
  const tokens = TokenStore.open({ home });
  const fast = { requestsPerMinute: 1_000_000 };
  token.alice = tokens.create({ name: 'alice', role: 'developer', owner: 'alice', ...fast }).token;
  token.bob = tokens.create({ name: 'bob', role: 'developer', owner: 'bob', ...fast }).token;
  token.viewer = tokens.create({ name: 'viewer', role: 'viewer', owner: 'vera', ...fast }).token;
  const access = new AccessControl({ tokens, registry });
  served = await serveFactoryMcpHttp({ controlPlane: cp, registry, tokens, access, port: 0 });
  await cp.create({
    spec: specFromSource(
      {
        spec: {
          name: 'echo-desk',
          version: '1.0.0',
          tools: [{ name: 'hello', description: 'Say hello', static: { text: 'hello' } }],
        },
      },
      { allowLocalFiles: false },
    ),
    specDir: home,
    actor: 't',
  });
});

afterAll(async () => {
  await pool?.stop();
  await served?.close();
  await registry?.close();
  rmSync(home, { recursive: true, force: true });
});

const startPool = () => {
  pool ??= startJobPool(
    { controlPlane: cp, registry, policy: served.handler.access.policy },
    { leaseMs: 3000, pollMs: 50, backoffMs: 100 },
  );
};

it('a job cancelled while queued never runs', async () => {
  const client = await connectHttp(`${served.url}/mcp`, ERAS[0]!, { authorization: `Bearer ${token.alice}` });
  try {
    const queued = await call(client, 'submit_job', {
      operation: 'call_tool',
      arguments: { server: 'echo-desk', tool: 'hello' },
    });
    expect(queued.isError, queued.text).toBe(false);
    expect(queued.data.state).toBe('queued');
    expect(queued.text).toContain('get_job');
    const callsBefore = toolCalls;
    const cancelled = await call(client, 'cancel_job', { id: queued.data.id });
    expect(cancelled.data.state).toBe('cancelled');
    startPool();
    await new Promise((r) => setTimeout(r, 500));
    expect(toolCalls).toBe(callsBefore);
    expect((await call(client, 'get_job', { id: queued.data.id })).data.state).toBe('cancelled');
  } finally {
    await client.close();
  }
});

describe.each(ERAS)('jobs over MCP (%s)', (era: Era) => {
  const clients: Record<string, Client> = {};
  beforeAll(async () => {
    for (const who of ['alice', 'bob', 'viewer'])
      clients[who] = await connectHttp(`${served.url}/mcp`, era, { authorization: `Bearer ${token[who]}` });
  });
  afterAll(async () => {
    for (const c of Object.values(clients)) await c.close();
  });

  it('refuses bad submissions without queueing anything', async () => {
    const before = await jobCount();
    const unknown = await call(clients.alice!, 'submit_job', { operation: 'remove_server', arguments: {} });
    expect(unknown.isError).toBe(true);
    const bad = await call(clients.alice!, 'submit_job', {
      operation: 'call_tool',
      arguments: { server: 'echo-desk', tool: 42 },
    });
    expect(bad.isError).toBe(true);
    expect(bad.text).toContain('INVALID_ARGUMENTS');
    // A viewer may read jobs but not call tools: the operation's own permission decides at submission.
    const refused = await call(clients.viewer!, 'submit_job', {
      operation: 'call_tool',
      arguments: { server: 'echo-desk', tool: 'hello' },
    });
    expect(refused.isError).toBe(true);
    expect(await jobCount()).toBe(before);
  });

  it('runs a submitted call in the pool; get_job answers what the tool answers synchronously', async () => {
    startPool();
    const sync = await call(clients.alice!, 'call_tool', { server: 'echo-desk', tool: 'hello' });
    const callsBefore = toolCalls;
    const submitted = await call(clients.alice!, 'submit_job', {
      operation: 'call_tool',
      arguments: { server: 'echo-desk', tool: 'hello' },
      idempotencyKey: `hello-${era}`,
    });
    expect(submitted.isError, submitted.text).toBe(false);
    const again = await call(clients.alice!, 'submit_job', {
      operation: 'call_tool',
      arguments: { server: 'echo-desk', tool: 'hello' },
      idempotencyKey: `hello-${era}`,
    });
    expect(again.data.id).toBe(submitted.data.id);
    const done = await until('the job to finish', async () => {
      const job = await call(clients.alice!, 'get_job', { id: submitted.data.id });
      return job.data.finishedAt ? job : undefined;
    });
    expect(done.data.state).toBe('succeeded');
    expect(toolCalls).toBe(callsBefore + 1); // once, although submitted twice with one key
    expect(done.data.result).toEqual(expect.objectContaining({ isError: false, text: sync.data.text }));
    expect(done.text).toContain('Result:');
    const listed = await call(clients.alice!, 'list_jobs', {});
    expect(listed.data.jobs.map((j: { id: string }) => j.id)).toContain(submitted.data.id);

    // Bob neither sees nor cancels it: it answers like a job that does not exist.
    const peek = await call(clients.bob!, 'get_job', { id: submitted.data.id });
    expect(peek.isError).toBe(true);
    expect(peek.text).toContain('JOB_NOT_FOUND');
    expect((await call(clients.bob!, 'list_jobs', {})).data.jobs).toEqual([]);
    expect((await call(clients.bob!, 'cancel_job', { id: submitted.data.id })).isError).toBe(true);
    expect((await call(clients.alice!, 'get_job', { id: submitted.data.id })).data.state).toBe('succeeded');
  });
});
