/**
 * The gateway's result cache and rate limits, checked by their effects on real upstreams (the fixture SDK server
 * over Streamable HTTP, which appends every tool call it runs to $CALL_LOG): a cached read-only call does not
 * reach the upstream again until its TTL has passed, a tool that is not read-only and an isError result are never
 * cached, a changed tool list or a new revision drops an upstream's entries, limits refuse over MCP (isError
 * GATEWAY_RATE_LIMITED) and REST (429 + Retry-After) without touching other callers, and with Redis two gateway
 * instances share both the entries and the limits (and a Redis that is down only turns the cache off).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/conformance/server.js';
import { FactoryError } from '../../src/core/errors/index.js';
import { canonicalJson } from '../../src/gateway/cache.js';
import { parseGatewayConfig } from '../../src/gateway/config.js';
import { Gateway, type RegistryEndpoint } from '../../src/gateway/gateway.js';
import { AccessControl } from '../../src/identity/access.js';
import { TokenStore } from '../../src/identity/tokens.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { createGatewayHttp } from '../../src/surfaces/gateway/http.js';
import { serveFetch } from '../../src/surfaces/http/node.js';
import { REQUIRE_SERVICES, redisGate } from '../helpers/services.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'upstream.mjs');
const ROOT = join(import.meta.dirname, '..', '..');
let work: string;
let registry: Registry;
let access: AccessControl;
const tokens: Record<'agent' | 'other' | 'third', string> = { agent: '', other: '', third: '' };
const children: ChildProcess[] = [];
let alpha: { url: string };

const callLog = () => join(work, 'calls.log');
/** Calls the upstreams ran, as "NAME TOOL" lines. */
const calls = (line: string) => {
  try {
    return readFileSync(callLog(), 'utf8')
      .split('\n')
      .filter((l) => l === line).length;
  } catch {
    return 0;
  }
};
const text = (r: unknown) => ((r as { content: Array<{ text: string }> }).content[0]?.text ?? '') as string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function spawnReady(args: string[]): Promise<void> {
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, CALL_LOG: callLog() },
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`upstream exited ${code}`)));
  });
}

async function httpUpstream(name: string): Promise<{ url: string }> {
  const port = await freePort();
  await spawnReady([FIXTURE, name, 'http', String(port)]);
  return { url: `http://127.0.0.1:${port}/mcp` };
}

async function serve(gateway: Gateway) {
  const http = createGatewayHttp({ gateway, access });
  const served = await serveFetch((r) => http.fetch(r), { port: 0, fast: http.fastPath });
  return {
    url: `http://127.0.0.1:${served.port}`,
    close: async () => {
      await http.close();
      await served.close();
    },
  };
}

async function mcpClient(url: string, token: string): Promise<Client> {
  const c = new Client({ name: 'test', version: '1' }, { versionNegotiation: { mode: 'auto' } });
  await c.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return c;
}

function execute(url: string, token: string, tool: string, args: Record<string, unknown>) {
  return fetch(`${url}/api/v1/tools/${tool}/execute`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ arguments: args }),
  });
}

const caller = (name: string) => ({ caller: { name } });

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-gwcache-'));
  registry = await openRegistry({ home: work });
  const store = TokenStore.open({ home: work });
  for (const name of ['agent', 'other', 'third'] as const) tokens[name] = store.create({ name }).token;
  access = new AccessControl({
    tokens: store,
    registry,
    limits: { requestsPerMinute: 100_000, burst: 10_000 },
  });
  alpha = await httpUpstream('alpha');
}, 30_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await registry.close();
  rmSync(work, { recursive: true, force: true });
});

describe('canonical arguments', () => {
  it('sort keys at every level, so key order does not change the cache key', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { y: 2, z: 1 }] }, b: 1 }),
    );
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
  });

  it('the configuration is checked: a cache needs a ttl, a limit a positive rate', () => {
    expect(() => parseGatewayConfig({ servers: [{ name: 'x', url: 'http://a/mcp', cache: {} }] })).toThrow(
      /invalid/,
    );
    expect(() => parseGatewayConfig({ limits: { perCaller: { perMinute: 0 } } })).toThrow(/invalid/);
    const c = parseGatewayConfig(
      {
        limits: { perCaller: { perMinute: 30 } },
        redis: { url: '${REDIS_URL}' },
        servers: [{ name: 'x', url: 'http://a/mcp', cache: { ttlMs: 1000 } }],
      },
      { REDIS_URL: 'redis://127.0.0.1:6379/2' },
    );
    expect(c.limits?.perCaller).toEqual({ perMinute: 30, burst: 30 });
    expect(c.redis).toEqual({ url: 'redis://127.0.0.1:6379/2', prefix: 'mcpf:gw:', timeoutMs: 250 });
    expect(c.servers[0]?.cache).toMatchObject({ ttlMs: 1000, maxEntries: 1000, maxEntryBytes: 262_144 });
  });
});

describe('result cache (in memory)', () => {
  let gateway: Gateway;
  let served: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    gateway = new Gateway({
      config: parseGatewayConfig({
        metaTools: 'never',
        servers: [{ name: 'alpha', url: alpha.url, cache: { ttlMs: 1_000, tools: ['*'] } }],
      }),
    });
    served = await serve(gateway);
  });

  afterAll(async () => {
    await served?.close();
    await gateway?.close();
  });

  it('answers a repeated read-only call from the cache until the TTL has passed', async () => {
    const c = await mcpClient(served.url, tokens.other);
    const before = calls('alpha echo');
    const first = await gateway.callTool('alpha__echo', { message: 'cached' }, caller('agent'));
    expect(text(first)).toBe('alpha: cached');
    expect(calls('alpha echo')).toBe(before + 1);
    // Same arguments (another caller, over MCP): the upstream sees nothing.
    const second = await c.callTool({ name: 'alpha__echo', arguments: { message: 'cached' } });
    expect(text(second)).toBe('alpha: cached');
    expect(calls('alpha echo')).toBe(before + 1);
    // Other arguments are another entry.
    await gateway.callTool('alpha__echo', { message: 'other' });
    expect(calls('alpha echo')).toBe(before + 2);
    // After the TTL the call reaches the upstream again.
    await sleep(1_100);
    expect(text(await c.callTool({ name: 'alpha__echo', arguments: { message: 'cached' } }))).toBe(
      'alpha: cached',
    );
    expect(calls('alpha echo')).toBe(before + 3);
    await c.close();
    const metrics = await (
      await fetch(`${served.url}/metrics`, { headers: { authorization: `Bearer ${tokens.agent}` } })
    ).text();
    expect(metrics).toMatch(/mcpf_gateway_cache_hits_total\{upstream="alpha"\} 1\b/);
    expect(metrics).toMatch(/mcpf_gateway_cache_misses_total\{upstream="alpha"\} 3\b/);
  });

  it('never caches a tool that is not read-only, even when the rules name it', async () => {
    const before = calls('alpha add');
    for (let i = 0; i < 3; i++) expect(text(await gateway.callTool('alpha__add', { a: 1, b: 2 }))).toBe('3');
    expect(calls('alpha add')).toBe(before + 3);
  });

  it('never caches an isError result', async () => {
    const upstreamCalls = () => gateway.health().find((h) => h.name === 'alpha')?.calls ?? 0;
    const before = upstreamCalls();
    const stores = gateway.cacheStats().find((s) => s.upstream === 'alpha')?.stores ?? 0;
    for (let i = 0; i < 2; i++) {
      const r = await gateway.callTool('alpha__echo', { message: 42 });
      expect(r.isError).toBe(true);
    }
    expect(upstreamCalls()).toBe(before + 2);
    expect(gateway.cacheStats().find((s) => s.upstream === 'alpha')?.stores).toBe(stores);
  });
});

describe('cache invalidation', () => {
  it('drops the entries of a registry server reconnected with a new revision', async () => {
    let revision = 1;
    const endpoints = (): RegistryEndpoint[] => [{ name: 'reg', endpoint: alpha.url, headers: {}, revision }];
    const gateway = new Gateway({
      config: parseGatewayConfig({ serverRules: { reg: { cache: { ttlMs: 60_000 } } } }),
      source: async () => endpoints(),
      refreshMs: 0,
    });
    try {
      await gateway.start();
      const before = calls('alpha echo');
      for (let i = 0; i < 3; i++) await gateway.callTool('reg__echo', { message: 'rev' });
      expect(calls('alpha echo')).toBe(before + 1);
      await gateway.refresh(); // same revision: kept
      await gateway.callTool('reg__echo', { message: 'rev' });
      expect(calls('alpha echo')).toBe(before + 1);
      revision = 2;
      await gateway.refresh();
      await gateway.callTool('reg__echo', { message: 'rev' });
      await gateway.callTool('reg__echo', { message: 'rev' });
      expect(calls('alpha echo')).toBe(before + 2);
    } finally {
      await gateway.close();
    }
  });

  it("drops an upstream's entries when it says its tool list changed", async () => {
    // A stdio upstream whose `grow` tool adds a tool (the SDK then sends notifications/tools/list_changed).
    const script = join(work, 'growing.mjs');
    writeFileSync(
      script,
      `import { createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
const require = createRequire(${JSON.stringify(join(ROOT, 'package.json'))});
const { McpServer } = require('@modelcontextprotocol/server');
const { serveStdio } = require('@modelcontextprotocol/server/stdio');
const { z } = require('zod');
serveStdio(() => {
  const server = new McpServer({ name: 'growing', version: '1.0.0' });
  server.registerTool('echo', { inputSchema: z.object({ message: z.string() }), annotations: { readOnlyHint: true } },
    async ({ message }) => (appendFileSync(process.env.CALL_LOG, 'growing echo\\n'), { content: [{ type: 'text', text: message }] }));
  let n = 0;
  server.registerTool('grow', { inputSchema: z.object({}) }, async () => {
    server.registerTool('extra_' + ++n, { inputSchema: z.object({}) }, async () => ({ content: [] }));
    return { content: [{ type: 'text', text: 'grown' }] };
  });
  return server;
});
`,
    );
    const gateway = new Gateway({
      config: parseGatewayConfig({
        servers: [
          {
            name: 'growing',
            command: process.execPath,
            args: [script],
            env: { CALL_LOG: callLog() },
            cache: { ttlMs: 60_000 },
          },
        ],
      }),
    });
    let changed = 0;
    gateway.onChange(() => changed++);
    try {
      for (let i = 0; i < 2; i++) await gateway.callTool('growing__echo', { message: 'g' });
      expect(calls('growing echo')).toBe(1);
      await gateway.callTool('growing__grow', {});
      const until = Date.now() + 5_000;
      while (changed === 0 && Date.now() < until) await sleep(50);
      expect(changed).toBeGreaterThan(0);
      expect((await gateway.listTools()).map((t) => t.name)).toContain('growing__extra_1');
      await gateway.callTool('growing__echo', { message: 'g' });
      expect(calls('growing echo')).toBe(2);
      await gateway.callTool('growing__echo', { message: 'g' });
      expect(calls('growing echo')).toBe(2);
    } finally {
      await gateway.close();
    }
  }, 30_000);
});

describe('rate limits (in memory)', () => {
  let gateway: Gateway;
  let served: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    gateway = new Gateway({
      config: parseGatewayConfig({
        metaTools: 'never',
        servers: [{ name: 'alpha', url: alpha.url }],
        limits: {
          perCaller: { perMinute: 1, burst: 3 },
          perTool: { 'alpha__a*': { perMinute: 1, burst: 1 } },
        },
      }),
    });
    served = await serve(gateway);
  });

  afterAll(async () => {
    await served?.close();
    await gateway?.close();
  });

  it('refuses a caller over its limit (MCP isError, REST 429 + Retry-After); other callers go on', async () => {
    const c = await mcpClient(served.url, tokens.agent);
    for (let i = 0; i < 3; i++)
      expect(text(await c.callTool({ name: 'alpha__echo', arguments: { message: `n${i}` } }))).toBe(
        `alpha: n${i}`,
      );
    const before = calls('alpha echo');
    const refused = await c.callTool({ name: 'alpha__echo', arguments: { message: 'too many' } });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(
      /^GATEWAY_RATE_LIMITED: rate limit reached for this caller; retry after \d+ s/,
    );
    const rest = await execute(served.url, tokens.agent, 'alpha__echo', { message: 'too many' });
    expect(rest.status).toBe(429);
    expect(Number(rest.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await rest.json()) as { error: string; details: { retryAfterSeconds: number } };
    expect(body.error).toBe('GATEWAY_RATE_LIMITED');
    expect(body.details.retryAfterSeconds).toBe(Number(rest.headers.get('retry-after')));
    expect(calls('alpha echo')).toBe(before); // nothing reached the upstream
    // Another caller is unaffected.
    const ok = await execute(served.url, tokens.other, 'alpha__echo', { message: 'fine' });
    expect(ok.status).toBe(200);
    expect(text(await ok.json())).toBe('alpha: fine');
    await c.close();
    const metrics = await (
      await fetch(`${served.url}/metrics`, { headers: { authorization: `Bearer ${tokens.other}` } })
    ).text();
    expect(metrics).toMatch(/mcpf_gateway_rate_limited_total 2\b/);
  });

  it("refuses a tool over its per-tool limit, without using the caller's other calls", async () => {
    const before = calls('alpha add');
    expect((await execute(served.url, tokens.third, 'alpha__add', { a: 1, b: 1 })).status).toBe(200);
    const refused = await execute(served.url, tokens.third, 'alpha__add', { a: 1, b: 1 });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(calls('alpha add')).toBe(before + 1);
    // The same caller's other tools still answer (the refused call took nothing from its own limit: 2 left).
    for (let i = 0; i < 2; i++)
      expect((await execute(served.url, tokens.third, 'alpha__echo', { message: 'x' })).status).toBe(200);
    expect((await execute(served.url, tokens.third, 'alpha__echo', { message: 'x' })).status).toBe(429);
    // Another caller has its own per-tool bucket.
    expect((await execute(served.url, tokens.other, 'alpha__add', { a: 2, b: 2 })).status).toBe(200);
  });
});

describe('a Redis that is down', () => {
  it('turns the cache off and keeps the limits per instance; calls still succeed', async () => {
    const port = await freePort();
    const gateway = new Gateway({
      config: parseGatewayConfig({
        redis: { url: `redis://127.0.0.1:${port}`, timeoutMs: 100 },
        limits: { perCaller: { perMinute: 1, burst: 2 } },
        servers: [{ name: 'alpha', url: alpha.url, cache: { ttlMs: 60_000 } }],
      }),
    });
    try {
      const before = calls('alpha echo');
      const started = performance.now();
      for (let i = 0; i < 2; i++)
        expect(text(await gateway.callTool('alpha__echo', { message: 'down' }, caller('x')))).toBe(
          'alpha: down',
        );
      expect(calls('alpha echo')).toBe(before + 2);
      expect(performance.now() - started).toBeLessThan(3_000);
      await expect(gateway.callTool('alpha__echo', { message: 'down' }, caller('x'))).rejects.toMatchObject({
        code: 'GATEWAY_RATE_LIMITED',
      });
    } finally {
      await gateway.close();
    }
  });
});

const redis = redisGate();

describe.skipIf(!redis.url && !REQUIRE_SERVICES)('shared through Redis', () => {
  const prefix = `mcpf-test-${process.pid}-${Date.now()}:`;
  const config = (source?: boolean) =>
    parseGatewayConfig({
      redis: { url: redis.url ?? 'redis://127.0.0.1:6379', prefix },
      limits: { perCaller: { perMinute: 1, burst: 3 } },
      servers: source ? [] : [{ name: 'alpha', url: alpha.url, cache: { ttlMs: 60_000 } }],
      ...(source ? { serverRules: { reg: { cache: { ttlMs: 60_000 } } } } : {}),
    });

  afterAll(async () => {
    // Leave nothing behind in the shared Redis (generation keys have no TTL).
    const { Redis } = await import('ioredis');
    const client = new Redis(redis.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    try {
      const keys = await client.keys(`${prefix}*`);
      if (keys.length) await client.del(...keys);
    } finally {
      client.disconnect();
    }
  });

  it('is configured (MCP_FACTORY_TEST_REDIS_URL)', () => {
    expect(redis.missing).toBeUndefined();
  });

  it('two gateway instances share cache entries and rate limits', async () => {
    const one = new Gateway({ config: config() });
    const two = new Gateway({ config: config() });
    try {
      const before = calls('alpha echo');
      expect(text(await one.callTool('alpha__echo', { message: 'shared' }, caller('r')))).toBe(
        'alpha: shared',
      );
      expect(calls('alpha echo')).toBe(before + 1);
      // The second instance is answered from the entry the first one stored.
      expect(text(await two.callTool('alpha__echo', { message: 'shared' }, caller('r')))).toBe(
        'alpha: shared',
      );
      expect(calls('alpha echo')).toBe(before + 1);
      expect(two.cacheStats()).toEqual([{ upstream: 'alpha', hits: 1, misses: 0, stores: 0 }]);
      // Caller r has used 2 of its 3 calls across both instances: one more on either, then refused on both.
      await two.callTool('alpha__add', { a: 1, b: 1 }, caller('r'));
      for (const g of [one, two]) {
        const error = await g.callTool('alpha__echo', { message: 'shared' }, caller('r')).catch((e) => e);
        expect(error).toBeInstanceOf(FactoryError);
        expect(error).toMatchObject({ code: 'GATEWAY_RATE_LIMITED' });
        expect((error as FactoryError).details?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      }
      // Another caller is unaffected.
      await one.callTool('alpha__echo', { message: 'shared' }, caller('s'));
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('a new revision seen by one instance drops the entries for all (generation bump)', async () => {
    let revision = 1;
    const source = async (): Promise<RegistryEndpoint[]> => [
      { name: 'reg', endpoint: alpha.url, headers: {}, revision },
    ];
    const one = new Gateway({ config: config(true), source, refreshMs: 0 });
    const two = new Gateway({ config: config(true), source, refreshMs: 0 });
    try {
      await Promise.all([one.start(), two.start()]);
      const before = calls('alpha echo');
      await one.callTool('reg__echo', { message: 'gen' }, caller('g1'));
      await two.callTool('reg__echo', { message: 'gen' }, caller('g2'));
      expect(calls('alpha echo')).toBe(before + 1);
      revision = 2;
      await one.refresh();
      // `two` has not refreshed yet (same fingerprint), but the generation moved: its entry is gone too.
      await two.callTool('reg__echo', { message: 'gen' }, caller('g2'));
      expect(calls('alpha echo')).toBe(before + 2);
      await two.callTool('reg__echo', { message: 'gen' }, caller('g2'));
      expect(calls('alpha echo')).toBe(before + 2);
    } finally {
      await one.close();
      await two.close();
    }
  });
});
