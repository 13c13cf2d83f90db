/**
 * The gateway through `mcp-factory serve` for the console (surfaces/console/gateway-proxy*.ts): a real gateway
 * (Gateway + its HTTP surface on loopback) with an SDK upstream, read over GET /gateway/… with the console
 * caller's session, and attack cases by effect against a recording stand-in gateway: no caller-chosen path,
 * no caller credential and no redirect reaches it or anything else, a huge or slow answer fails in bounded
 * size and time, and serve still answers afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/conformance/server.js';
import { parseGatewayConfig } from '../../src/gateway/config.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { AccessControl } from '../../src/identity/access.js';
import { Sessions } from '../../src/identity/sessions.js';
import { TokenStore } from '../../src/identity/tokens.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { csrfFor } from '../../src/surfaces/api/cookie-session.js';
import { gatewayProxyConfig } from '../../src/surfaces/console/gateway-proxy.js';
import { cacheSummary } from '../../src/surfaces/console/gateway-proxy-metrics.js';
import { createGatewayHttp, type GatewayHttp } from '../../src/surfaces/gateway/http.js';
import { serveFetch } from '../../src/surfaces/http/node.js';
import { BASE, type Factory, LOCAL, PASSWORD, startFactory } from '../identity/auth-helpers.js';

const FIXTURE = join(import.meta.dirname, '..', 'gateway', 'fixtures', 'upstream.mjs');
const ROUTES = [
  '/gateway/api/v1/servers',
  '/gateway/api/v1/tools',
  '/gateway/health/detailed',
  '/gateway/cache',
];

let child: ChildProcess;
let work: string;
let registry: Registry;
let gateway: Gateway;
let gatewayHttp: GatewayHttp;
let gatewayServed: { port: number; close(): Promise<void> };
let gatewayUrl: string;
let serveToken: string;
let f: Factory;
let viewer: string;
let upstreamPort: number;

/** A stand-in gateway that records every request and answers as `mode` says. */
interface StandIn {
  url: string;
  requests: Array<{ path: string; authorization: string | undefined }>;
  mode: 'json' | 'huge' | 'slow' | 'redirect' | 'error';
  redirectTo: string;
  closedEarly: number;
  close(): Promise<void>;
}
let standIn: StandIn;
let elsewhere: { url: string; hits: number; close(): Promise<void> };

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

async function startStandIn(): Promise<StandIn> {
  const state: StandIn = {
    url: '',
    requests: [],
    mode: 'json',
    redirectTo: '',
    closedEarly: 0,
    close: async () => undefined,
  };
  const server = createServer((req: IncomingMessage, res) => {
    state.requests.push({ path: req.url ?? '', authorization: req.headers.authorization });
    res.on('close', () => {
      if (!res.writableFinished) state.closedEarly++;
    });
    switch (state.mode) {
      case 'json':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"servers":[],"tools":[]}');
        return;
      case 'error':
        res
          .writeHead(401, { 'content-type': 'application/json' })
          .end('{"error":"API_UNAUTHORIZED","message":"secret-gateway-detail"}');
        return;
      case 'redirect':
        res.writeHead(302, { location: state.redirectTo }).end();
        return;
      case 'slow':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"servers":[');
        return; // never ends
      case 'huge': {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let sent = 0;
        const pump = () => {
          while (sent < 64 * 1024 * 1024 && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
        return;
      }
    }
  });
  const port = await listen(server);
  state.url = `http://127.0.0.1:${port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

function useGateway(url: string, timeoutMs?: number): void {
  process.env.MCP_FACTORY_GATEWAY_URL = url;
  process.env.MCP_FACTORY_GATEWAY_TOKEN = serveToken;
  if (timeoutMs === undefined) delete process.env.MCP_FACTORY_GATEWAY_TIMEOUT_MS;
  else process.env.MCP_FACTORY_GATEWAY_TIMEOUT_MS = String(timeoutMs);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-gwproxy-'));
  registry = await openRegistry({ home: work });
  const tokens = TokenStore.open({ home: work });
  serveToken = tokens.create({ name: 'serve-reader' }).token;
  const port = await freePort();
  upstreamPort = port;
  child = spawn(process.execPath, [FIXTURE, 'alpha', 'http', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`upstream exited ${code}`)));
  });
  gateway = new Gateway({
    registry,
    config: parseGatewayConfig({
      metaTools: 'never',
      servers: [
        { name: 'alpha', url: `http://127.0.0.1:${port}/mcp`, cache: { ttlMs: 60_000, tools: ['*'] } },
      ],
    }),
    source: async () => [],
    refreshMs: 0,
  });
  await gateway.start();
  const access = new AccessControl({
    tokens,
    registry,
    limits: { requestsPerMinute: 100_000, burst: 10_000 },
  });
  gatewayHttp = createGatewayHttp({ gateway, access, registry });
  gatewayServed = await serveFetch((r) => gatewayHttp.fetch(r), { port: 0 });
  gatewayUrl = `http://127.0.0.1:${gatewayServed.port}`;
  // One miss, then one hit of the result cache (the hit does not reach the upstream: 1 call).
  for (let i = 0; i < 2; i++) await gateway.callTool('alpha__echo', { message: 'cached' });

  standIn = await startStandIn();
  const other = createServer((_req, res) => {
    elsewhere.hits++;
    res.end('{}');
  });
  elsewhere = {
    url: `http://127.0.0.1:${await listen(other)}`,
    hits: 0,
    close: () => new Promise<void>((resolve) => other.close(() => resolve())),
  };
  f = await startFactory();
  await f.users.create(LOCAL, 'test', { name: 'victor', role: 'viewer', password: PASSWORD });
  viewer = (await f.login('victor')).access;
}, 30_000);

afterAll(async () => {
  delete process.env.MCP_FACTORY_GATEWAY_URL;
  delete process.env.MCP_FACTORY_GATEWAY_TOKEN;
  delete process.env.MCP_FACTORY_GATEWAY_TIMEOUT_MS;
  await f?.close();
  await standIn?.close();
  await elsewhere?.close();
  await gatewayHttp?.close();
  await gatewayServed?.close();
  await gateway?.close();
  if (child?.exitCode === null) child.kill('SIGKILL');
  await registry?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the gateway through serve', () => {
  it('capabilities name the same-origin path only when a gateway is configured', async () => {
    delete process.env.MCP_FACTORY_GATEWAY_URL;
    expect((await f.send('GET', '/mcp/capabilities', { token: viewer })).body.gateway).toBeNull();
    const none = await f.send('GET', '/gateway/health/detailed', { token: viewer });
    expect(none.status).toBe(404);
    expect(none.body.error).toBe('GATEWAY_PROXY_NOT_CONFIGURED');
    process.env.MCP_FACTORY_GATEWAY_URL = 'file:///etc/passwd';
    expect((await f.send('GET', '/mcp/capabilities', { token: viewer })).body.gateway).toBeNull();
    useGateway(gatewayUrl);
    expect((await f.send('GET', '/mcp/capabilities', { token: viewer })).body.gateway).toEqual({
      url: '/gateway',
    });
  });

  it('answers upstreams, tools, detailed health and the cache/breaker summary of a real gateway', async () => {
    useGateway(gatewayUrl);
    const health = await f.send('GET', '/gateway/health/detailed', { token: viewer });
    expect(health.status, health.text).toBe(200);
    expect(health.body.upstreams).toEqual([
      expect.objectContaining({ name: 'alpha', connected: true, breaker: 'closed', calls: 1 }),
    ]);
    const servers = await f.send('GET', '/gateway/api/v1/servers', { token: viewer });
    expect(servers.body.servers.map((s: { name: string }) => s.name)).toEqual(['alpha']);
    // The tool list is asked as the caller: this gateway does not share the factory's users (see below).
    const tools = await f.send('GET', '/gateway/api/v1/tools', { token: viewer });
    expect(tools.status, tools.text).toBe(502);
    expect(tools.body.details).toMatchObject({ status: 401 });
    const cache = await f.send('GET', '/gateway/cache', { token: viewer });
    expect(cache.status, cache.text).toBe(200);
    expect(cache.body).toEqual({
      upstreams: [{ upstream: 'alpha', hits: 1, misses: 1, hitRate: 0.5, breaker: 'closed' }],
    });
    for (const r of [health, servers, tools, cache]) expect(r.text).not.toContain(serveToken);
    for (const path of ROUTES) expect((await f.send('GET', path)).status, path).toBe(401);
  });

  it('sends serve’s credential (the caller’s for the tool list, never serve’s there), only to the fixed paths', async () => {
    useGateway(`${standIn.url}/base/`);
    standIn.mode = 'json';
    standIn.requests.length = 0;
    for (const path of ROUTES) await f.send('GET', path, { token: viewer });
    const attacks = [
      '/gateway/api/v1/tools/alpha__echo',
      '/gateway/api/v1/tools/alpha__echo/execute',
      '/gateway/api/v1/servers/..%2F..%2Fmetrics',
      '/gateway/api/v1/%2e%2e/%2e%2e/metrics',
      '/gateway/../mcp/servers',
      '/gateway/metrics',
      '/gateway/api/v1/openapi.json',
      '/gateway/health/detailed/../../api/v1/tools/x/execute',
      '/gateway/api/v1/servers?url=http://169.254.169.254/',
      '/gateway//127.0.0.1:1/x',
    ];
    for (const path of attacks) {
      const r = await f.send('GET', path, { token: viewer });
      // A route that does not exist, the factory's own route after URL normalisation (/mcp/servers), or one of
      // the fixed reads: what reached the stand-in is checked below.
      expect([200, 404], path).toContain(r.status);
      expect(r.text).not.toContain(serveToken);
    }
    const post = await f.send('POST', '/gateway/api/v1/servers', {
      token: viewer,
      body: { name: 'x', url: elsewhere.url },
    });
    expect(post.status).toBeGreaterThanOrEqual(400);
    const allowed = ['/base/api/v1/servers', '/base/api/v1/tools', '/base/health/detailed', '/base/metrics'];
    expect(standIn.requests.length).toBeGreaterThanOrEqual(4);
    for (const request of standIn.requests) {
      expect(allowed, request.path).toContain(request.path);
      expect(request.authorization).toBe(
        request.path === '/base/api/v1/tools' ? `Bearer ${viewer}` : `Bearer ${serveToken}`,
      );
    }
    expect(elsewhere.hits).toBe(0);
  });

  it('does not follow redirects, nor pass the gateway’s error text on', async () => {
    useGateway(standIn.url);
    standIn.mode = 'redirect';
    standIn.redirectTo = `${elsewhere.url}/steal`;
    const moved = await f.send('GET', '/gateway/api/v1/servers', { token: viewer });
    expect(moved.status).toBe(502);
    expect(moved.body.error).toBe('GATEWAY_PROXY_FAILED');
    expect(elsewhere.hits).toBe(0);
    standIn.mode = 'error';
    const refused = await f.send('GET', '/gateway/api/v1/servers', { token: viewer });
    expect(refused.status).toBe(502);
    expect(refused.body.details).toMatchObject({ status: 401, gatewayCode: 'API_UNAUTHORIZED' });
    expect(refused.text).not.toContain('secret-gateway-detail');
  });

  it('cuts a huge answer at the size cap and a slow one at the time cap; serve still answers', async () => {
    useGateway(standIn.url);
    standIn.mode = 'huge';
    const huge = await f.send('GET', '/gateway/health/detailed', { token: viewer });
    expect(huge.status).toBe(502);
    expect(huge.body.details).toMatchObject({ reason: 'too-large' });
    useGateway(standIn.url, 300);
    standIn.mode = 'slow';
    const slow = await f.send('GET', '/gateway/health/detailed', { token: viewer });
    expect(slow.status).toBe(502);
    expect(slow.body.details).toMatchObject({ reason: 'timeout' });
    // Both answers were abandoned: the stand-in saw its responses closed before they finished.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(standIn.closedEarly).toBeGreaterThanOrEqual(2);
    useGateway(gatewayUrl);
    expect((await f.send('GET', '/gateway/api/v1/servers', { token: viewer })).status).toBe(200);
  });

  it('refuses a gateway URL with credentials or another scheme', () => {
    expect(gatewayProxyConfig({})).toBeUndefined();
    for (const url of ['ftp://127.0.0.1/', 'http://user:pw@127.0.0.1/', 'not a url'])
      expect(() => gatewayProxyConfig({ MCP_FACTORY_GATEWAY_URL: url })).toThrow(/MCP_FACTORY_GATEWAY_URL/);
    expect(gatewayProxyConfig({ MCP_FACTORY_GATEWAY_URL: 'http://127.0.0.1:9/gw/?q=1#x' })).toMatchObject({
      base: 'http://127.0.0.1:9/gw',
      timeoutMs: 5000,
    });
    expect(() =>
      gatewayProxyConfig({
        MCP_FACTORY_GATEWAY_URL: 'http://127.0.0.1/',
        MCP_FACTORY_GATEWAY_TIMEOUT_MS: '1',
      }),
    ).toThrow(/TIMEOUT/);
  });
});

describe('tool calls through the gateway, as the caller (POST /gateway/call)', () => {
  // A gateway that shares the factory's registry (users, sessions, tokens), as `mcp-factory gateway` beside
  // `serve` on one home does: it authenticates the caller's own credential.
  let shared: Gateway;
  let sharedHttp: GatewayHttp;
  let sharedServed: { port: number; close(): Promise<void> };
  let sharedUrl: string;
  let developer: string;
  let narrowed: string;

  beforeAll(async () => {
    shared = new Gateway({
      registry: f.registry,
      config: parseGatewayConfig({
        metaTools: 'never',
        servers: [{ name: 'alpha', url: `http://127.0.0.1:${upstreamPort}/mcp` }],
      }),
      source: async () => [],
      refreshMs: 0,
    });
    await shared.start();
    const access = new AccessControl({
      tokens: f.tokens,
      registry: f.registry,
      limits: { requestsPerMinute: 100_000, burst: 10_000 },
      sessions: new Sessions(f.registry),
    });
    sharedHttp = createGatewayHttp({ gateway: shared, access, registry: f.registry });
    sharedServed = await serveFetch((r) => sharedHttp.fetch(r), { port: 0 });
    sharedUrl = `http://127.0.0.1:${sharedServed.port}`;
    await f.users.create(LOCAL, 'test', { name: 'dora', role: 'developer', password: PASSWORD });
    developer = (await f.login('dora')).access;
    narrowed = f.tokens.create({ name: 'beta-only', role: 'developer', allowedServers: ['beta'] }).token;
  }, 30_000);

  afterAll(async () => {
    await sharedHttp?.close();
    await sharedServed?.close();
    await shared?.close();
  });

  const call = (token: string, tool: unknown, args: unknown = { message: 'through' }) =>
    f.send('POST', '/gateway/call', { token, body: { tool, arguments: args } });

  it('calls the tool with the caller’s own credential and answers its result', async () => {
    useGateway(sharedUrl);
    const r = await call(developer, 'alpha__echo');
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ isError: false });
    expect(r.body.text).toContain('through');
    expect(r.body.durationMs).toBeGreaterThan(0);
    expect(r.text).not.toContain(serveToken);
  });

  it('from a console session too: the credential the cookie stands for goes, the cookie does not', async () => {
    useGateway(`${standIn.url}/base`);
    standIn.mode = 'json';
    standIn.requests.length = 0;
    const csrf = csrfFor(developer);
    const response = await f.api.fetch(
      new Request(`${BASE}/gateway/call`, {
        method: 'POST',
        headers: {
          cookie: `mcpf_session=${developer}; mcpf_csrf=${csrf}`,
          'x-csrf-token': csrf,
          origin: BASE,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ tool: 'alpha__echo', arguments: {} }),
      }),
    );
    expect(response.status, await response.clone().text()).toBe(200);
    expect(standIn.requests).toEqual([
      { path: '/base/api/v1/tools/alpha__echo/execute', authorization: `Bearer ${developer}` },
    ]);
    // Without the CSRF header the cookie request runs nothing.
    const forged = await f.api.fetch(
      new Request(`${BASE}/gateway/call`, {
        method: 'POST',
        headers: { cookie: `mcpf_session=${developer}`, origin: BASE, 'content-type': 'application/json' },
        body: JSON.stringify({ tool: 'alpha__echo', arguments: {} }),
      }),
    );
    expect(forged.status).toBe(403);
    expect(standIn.requests).toHaveLength(1);
  });

  it('lists the tools the gateway lets the caller use, asked as the caller', async () => {
    useGateway(sharedUrl);
    const names = async (token: string) => {
      const r = await f.send('GET', '/gateway/api/v1/tools', { token });
      expect(r.status, r.text).toBe(200);
      return (r.body.tools as Array<{ name: string }>).map((t) => t.name);
    };
    expect(await names(developer)).toContain('alpha__echo');
    expect(await names(narrowed)).toEqual([]);
    // A gateway that does not know the caller's credential says so, in the caller's words.
    useGateway(gatewayUrl);
    const refused = await f.send('GET', '/gateway/api/v1/tools', { token: developer });
    expect(refused.status, refused.text).toBe(502);
    expect(refused.body.details).toMatchObject({ status: 401 });
    expect(refused.body.message).toMatch(/does not accept your credential/);
    expect(refused.text).not.toContain(serveToken);
  });

  it('lets the gateway apply the caller’s allow-list: a token narrowed to other servers is refused there', async () => {
    useGateway(sharedUrl);
    const r = await call(narrowed, 'alpha__echo');
    expect(r.status, r.text).toBe(502);
    expect(r.body.error).toBe('GATEWAY_PROXY_FAILED');
    expect(r.body.details).toMatchObject({ status: 404 });
    expect(r.body.message).toMatch(/no tool alpha__echo that you may call/);
  });

  it('refuses a role without servers.call before anything reaches the gateway', async () => {
    useGateway(`${standIn.url}/base`);
    standIn.requests.length = 0;
    const r = await call(viewer, 'alpha__echo');
    expect(r.status).toBe(403);
    expect(standIn.requests).toEqual([]);
  });

  it('keeps every tool name inside its one path segment and never sends serve’s token on a call', async () => {
    useGateway(`${standIn.url}/base`);
    standIn.mode = 'json';
    standIn.requests.length = 0;
    const hostile: unknown[] = [
      '..',
      '.',
      '../metrics',
      '../../api/v1/servers',
      'alpha__echo/../../../metrics',
      'a/b',
      'a%2Fb',
      '%2e%2e',
      'a?x=1',
      'a#b',
      'a b',
      'a\nb',
      '',
      'x'.repeat(201),
      'alpha__echo\u2028',
      ['alpha__echo'],
      42,
    ];
    for (const tool of hostile) {
      const r = await call(developer, tool);
      expect(r.status, JSON.stringify(tool)).toBe(400);
      expect(r.body.error).toBe('API_INVALID_REQUEST');
    }
    const big = await call(developer, 'alpha__echo', { blob: 'x'.repeat(1024 * 1024 + 1) });
    expect(big.status).toBeGreaterThanOrEqual(400);
    expect(standIn.requests).toEqual([]);
    const ok = await call(developer, 'a.b-c_d');
    expect(ok.status, ok.text).toBe(200);
    expect(standIn.requests).toEqual([
      { path: '/base/api/v1/tools/a.b-c_d/execute', authorization: `Bearer ${developer}` },
    ]);
  });

  it('does not follow a redirect, passes no gateway text on, and cuts a huge answer; serve still answers', async () => {
    useGateway(standIn.url);
    standIn.mode = 'redirect';
    standIn.redirectTo = `${elsewhere.url}/steal`;
    const moved = await call(developer, 'alpha__echo');
    expect(moved.status).toBe(502);
    expect(elsewhere.hits).toBe(0);
    standIn.mode = 'error';
    const refused = await call(developer, 'alpha__echo');
    expect(refused.status).toBe(502);
    expect(refused.body.details).toMatchObject({ status: 401, gatewayCode: 'API_UNAUTHORIZED' });
    expect(refused.body.message).toMatch(/does not accept your credential/);
    expect(refused.text).not.toContain('secret-gateway-detail');
    standIn.mode = 'huge';
    const huge = await call(developer, 'alpha__echo');
    expect(huge.status).toBe(502);
    expect(huge.body.details).toMatchObject({ reason: 'too-large' });
    useGateway(sharedUrl);
    expect((await call(developer, 'alpha__echo')).status).toBe(200);
  });
});

describe('cacheSummary', () => {
  it('reads hits, misses and breaker states per upstream, ignoring other lines', () => {
    const text = [
      '# HELP mcpf_gateway_cache_hits_total x',
      'mcpf_gateway_cache_hits_total{upstream="a"} 3',
      'mcpf_gateway_cache_misses_total{upstream="a"} 1',
      'mcpf_gateway_circuit_open{upstream="a"} 0',
      'mcpf_gateway_circuit_open{upstream="b\\"q"} 0.5',
      'mcpf_gateway_circuit_open{upstream="c"} 1',
      'mcpf_gateway_cache_hits_total{upstream="d"} NaN',
      'other_metric{upstream="a"} 9',
      'garbage',
    ].join('\n');
    expect(cacheSummary(text)).toEqual([
      { upstream: 'a', hits: 3, misses: 1, hitRate: 0.75, breaker: 'closed' },
      { upstream: 'b"q', hits: 0, misses: 0, hitRate: null, breaker: 'half-open' },
      { upstream: 'c', hits: 0, misses: 0, hitRate: null, breaker: 'open' },
    ]);
  });
});
