/**
 * The factory's own MCP clients against an OAuth-protected generated server: client credentials from a real
 * authorization server (oidc-provider, JWT access tokens for the server's resource), checked by effect: tool
 * results, the requests that reach the token endpoint, the MCP requests that reach the server (through a
 * recording proxy), and the requests a foreign authorization server receives (none).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { FactoryError } from '../../src/core/errors/index.js';
import { validateSpec } from '../../src/core/spec/index.js';
import type { ServerSpec } from '../../src/core/spec/model.js';
import { connectDeployment } from '../../src/deploy/deployed-server.js';
import { sampleReport } from '../../src/deploy/health.js';
import { callTool } from '../../src/platform/mcp-client/call-tool.js';
import { connectMcp } from '../../src/platform/mcp-client/client.js';
import {
  authHeaders,
  clearUpstreamTokenCache,
  clientCredentialsAuth,
  isUpstreamAuth,
  serverProcessEnv,
  upstreamCredentials,
} from '../../src/platform/mcp-client/oauth.js';
import { probeMcp } from '../../src/platform/mcp-client/probe.js';
import type { DeploymentRecord } from '../../src/store/index.js';
import { type HttpServerProcess, startHttp } from '../helpers/mcp.js';

const SECRET = 'factory-secret-123456';
const servers: Server[] = [];
const dirs: string[] = [];
let issuer = '';
let tokenRequests = 0;
/** How the last token request authenticated the client (issuer with client_secret_post only). */
let postIssuerAuth = '';
let bundle = '';
let tokenTtl = 3600;
let spec: ServerSpec;
let upstream: HttpServerProcess;
let proxy: Proxy;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function startIssuer(postOnly = false): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server = createServer();
  const url = await listen(server);
  const oidc = new Provider(url, {
    jwks: { keys: [jwk] },
    clients: [
      {
        client_id: 'factory',
        client_secret: SECRET,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        scope: 'mcp orders.write',
        ...(postOnly ? { token_endpoint_auth_method: 'client_secret_post' } : {}),
      },
    ],
    ...(postOnly ? { clientAuthMethods: ['client_secret_post'] } : {}),
    scopes: ['mcp', 'orders.write'],
    ttl: { ClientCredentials: () => tokenTtl },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, indicator: string) => ({
          scope: 'mcp orders.write',
          audience: indicator,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
  });
  const handle = oidc.callback();
  server.on('request', (req, res) => {
    if (req.method === 'POST' && req.url === '/token') {
      if (postOnly) postIssuerAuth = req.headers.authorization ? 'basic' : 'post';
      else tokenRequests++;
    }
    handle(req, res);
  });
  return url;
}

/** A transparent proxy to the generated server that records JSON-RPC methods and can spoil the next token. */
interface Proxy {
  url: string;
  methods: string[];
  spoilNextToken: boolean;
}

async function startProxy(target: string): Promise<Proxy> {
  const to = new URL(target);
  const state: Proxy = { url: '', methods: [], spoilNextToken: false };
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers = { ...req.headers };
      if (headers.authorization) {
        try {
          state.methods.push(String(JSON.parse(body.toString()).method));
        } catch {
          state.methods.push(req.method ?? '?');
        }
        if (state.spoilNextToken) {
          state.spoilNextToken = false;
          headers.authorization = 'Bearer not-a-valid-token';
        }
      }
      const out = httpRequest(
        { host: to.hostname, port: to.port, method: req.method, path: req.url, headers },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      out.end(body);
    });
  });
  state.url = `${await listen(server)}/mcp`;
  return state;
}

const deployment = (endpoint: string) =>
  ({ id: 1, server: 'oauth-upstream', status: 'running', endpoint }) as unknown as DeploymentRecord & {
    endpoint: string;
  };

const goodEnv = { MCP_CLIENT_ID: 'factory', MCP_CLIENT_SECRET: SECRET };

beforeAll(async () => {
  issuer = await startIssuer();
  const parsed = validateSpec({
    name: 'oauth-upstream',
    transport: 'http',
    auth: { type: 'oauth', issuer, scopes: ['mcp', 'orders.write'], requiredScopes: ['mcp'] },
    tools: [
      {
        name: 'whoami',
        description: 'Who is calling.',
        code: { source: "return ctx.user ? ctx.user.subject + ' ' + ctx.user.scopes.join(',') : 'nobody';" },
      },
      {
        name: 'cancel_order',
        description: 'Cancel an order.',
        scopes: ['orders.write'],
        parameters: { id: { type: 'string', required: true } },
        static: { text: 'cancelled {{id}}' },
      },
    ],
  });
  expect(parsed.ok, JSON.stringify(parsed.issues)).toBe(true);
  spec = parsed.spec!;
  const dir = mkdtempSync(join(tmpdir(), 'mcpf-upstream-oauth-'));
  dirs.push(dir);
  const created = await createServerProject({
    spec,
    specDir: dir,
    outDir: join(dir, 'server'),
    runTests: false,
  });
  bundle = created.bundle.file;
  upstream = await startHttp(bundle);
  proxy = await startProxy(upstream.url);
}, 180_000);

afterAll(async () => {
  await upstream?.stop();
  for (const s of servers) s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('client credentials for OAuth-protected upstreams', () => {
  it('probes and calls tools with one token, cached across connections', async () => {
    clearUpstreamTokenCache();
    const before = tokenRequests;
    const auth = upstreamCredentials(spec, goodEnv, proxy.url);
    const sample = await probeMcp(proxy.url, {
      headers: auth,
      timeoutMs: 10_000,
      expect: { name: spec.name },
    });
    expect(sample).toMatchObject({ ok: true });
    expect(sample.authError).toBeUndefined();
    expect(sampleReport(sample).health).toBe('healthy');

    const client = await connectDeployment(spec.name, deployment(proxy.url), spec, goodEnv);
    const session = { client, protocolVersion: undefined, close: () => client.close() };
    try {
      const who = await callTool(session, 'whoami', {});
      expect(who.isError).toBe(false);
      expect(who.text).toContain('mcp');
      expect(who.text).toContain('orders.write');
      const cancel = await callTool(session, 'cancel_order', { id: 'o-7' });
      expect(cancel).toMatchObject({ isError: false, text: 'cancelled o-7' });
    } finally {
      await client.close();
    }
    for (let i = 0; i < 3; i++) {
      expect(await probeMcp(proxy.url, { headers: auth, timeoutMs: 10_000 })).toMatchObject({ ok: true });
    }
    expect(tokenRequests - before).toBe(1);
    expect(proxy.methods.filter((m) => m === 'tools/call')).toHaveLength(2);
  }, 60_000);

  it('gets a fresh token when the server refuses the cached one (401), once', async () => {
    clearUpstreamTokenCache();
    const auth = upstreamCredentials(spec, goodEnv, proxy.url);
    const client = await connectMcp(proxy.url, { headers: auth });
    const session = { client, protocolVersion: undefined, close: () => client.close() };
    try {
      const before = tokenRequests;
      proxy.spoilNextToken = true;
      const who = await callTool(session, 'whoami', {});
      expect(who.isError).toBe(false);
      expect(tokenRequests - before).toBe(1);
      expect(proxy.spoilNextToken).toBe(false);
      expect((await callTool(session, 'whoami', {})).isError).toBe(false);
      expect(tokenRequests - before).toBe(1);
    } finally {
      await client.close();
    }
  }, 60_000);

  it('renews a token shortly before it expires', async () => {
    clearUpstreamTokenCache();
    tokenTtl = 4;
    try {
      const auth = upstreamCredentials(spec, goodEnv, proxy.url);
      const before = tokenRequests;
      expect(await probeMcp(proxy.url, { headers: auth, timeoutMs: 10_000 })).toMatchObject({ ok: true });
      expect(await probeMcp(proxy.url, { headers: auth, timeoutMs: 10_000 })).toMatchObject({ ok: true });
      expect(tokenRequests - before).toBe(1);
      await new Promise((r) => setTimeout(r, 4_100));
      const sample = await probeMcp(proxy.url, { headers: auth, timeoutMs: 10_000 });
      expect(sample).toMatchObject({ ok: true });
      expect(sample.authError).toBeUndefined();
      expect(tokenRequests - before).toBe(2);
    } finally {
      tokenTtl = 3600;
    }
  }, 60_000);

  it('names the upstream and calls nothing when the secret is wrong', async () => {
    clearUpstreamTokenCache();
    const env = { MCP_CLIENT_ID: 'factory', MCP_CLIENT_SECRET: 'wrong-secret' };
    const calls = proxy.methods.length;
    const before = tokenRequests;
    const error = await connectDeployment(spec.name, deployment(proxy.url), spec, env).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FactoryError);
    expect((error as FactoryError).code).toBe('UPSTREAM_AUTH_FAILED');
    expect((error as Error).message).toContain(proxy.url);
    expect((error as Error).message).toContain(issuer);
    expect((error as Error).message).toContain('invalid_client');
    expect((error as Error).message).not.toContain('wrong-secret');
    // The health check: the server runs (its /health answers), the factory cannot call it.
    const sample = await probeMcp(proxy.url, {
      headers: upstreamCredentials(spec, env, proxy.url),
      timeoutMs: 10_000,
      expect: { name: spec.name },
    });
    expect(sample.ok).toBe(true);
    expect(sample.authError).toContain('invalid_client');
    expect(sampleReport(sample)).toMatchObject({ health: 'degraded' });
    expect(proxy.methods.slice(calls)).toEqual([]);
    // The refusal is remembered for a while: the probe did not ask the issuer again.
    expect(tokenRequests - before).toBe(1);
  }, 60_000);

  it('never contacts an authorization server other than the configured issuer', async () => {
    clearUpstreamTokenCache();
    const recorded: string[] = [];
    const recorder = createServer((req, res) => {
      recorded.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      res.writeHead(404).end();
    });
    const foreign = await listen(recorder);
    // An upstream whose challenge and metadata name the foreign server (and, once, a metadata URL there).
    let metadataUrl = '';
    const fake = createServer((req, res) => {
      if (req.url?.startsWith('/.well-known/oauth-protected-resource')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ resource: `${fakeUrl}/mcp`, authorization_servers: [foreign] }));
        return;
      }
      req.resume();
      res.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${metadataUrl}"` });
      res.end();
    });
    const fakeUrl = await listen(fake);
    const before = tokenRequests;
    for (const url of [`${fakeUrl}/.well-known/oauth-protected-resource/mcp`, `${foreign}/prm`]) {
      metadataUrl = url;
      clearUpstreamTokenCache();
      const auth = clientCredentialsAuth({
        endpoint: `${fakeUrl}/mcp`,
        issuer,
        clientId: 'factory',
        clientSecret: SECRET,
      });
      const error = await connectMcp(`${fakeUrl}/mcp`, { headers: auth, timeoutMs: 10_000 }).then(
        (c) => c.close(),
        (e: unknown) => e,
      );
      expect((error as FactoryError).code).toBe('UPSTREAM_AUTH_FAILED');
      expect((error as Error).message).toContain('not the configured issuer');
      expect((error as Error).message).toContain(foreign);
    }
    // Without a configured issuer nothing is sent anywhere either.
    const unpinned = clientCredentialsAuth({
      endpoint: `${fakeUrl}/mcp`,
      issuer: undefined,
      clientId: 'factory',
      clientSecret: SECRET,
    });
    const error = await connectMcp(`${fakeUrl}/mcp`, { headers: unpinned, timeoutMs: 10_000 }).then(
      (c) => c.close(),
      (e: unknown) => e,
    );
    expect((error as Error).message).toContain('no issuer is configured');
    expect(recorded).toEqual([]);
    expect(tokenRequests - before).toBe(0);
  }, 60_000);

  it('authenticates with client_secret_post when that is all the issuer supports', async () => {
    clearUpstreamTokenCache();
    const postIssuer = await startIssuer(true);
    const server = await startHttp(bundle, { MCP_OAUTH_ISSUER: postIssuer });
    try {
      const env = { ...goodEnv, MCP_OAUTH_ISSUER: postIssuer };
      const client = await connectDeployment(spec.name, deployment(server.url), spec, env);
      try {
        const who = await callTool(
          { client, protocolVersion: undefined, close: () => client.close() },
          'whoami',
          {},
        );
        expect(who).toMatchObject({ isError: false });
        expect(who.text).toContain('mcp');
      } finally {
        await client.close();
      }
      expect(postIssuerAuth).toBe('post');
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('refuses oversized metadata and a plain-http token endpoint off loopback, sending no secret', async () => {
    clearUpstreamTokenCache();
    let tokenHits = 0;
    let big = true;
    const fakeIssuer = createServer((req, res) => {
      if (req.url?.startsWith('/token')) tokenHits++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          issuer: fakeIssuerUrl,
          authorization_endpoint: `${fakeIssuerUrl}/authorize`,
          response_types_supported: ['code'],
          token_endpoint: 'http://token.example.com/token',
        }),
      );
    });
    const fakeIssuerUrl = await listen(fakeIssuer);
    const fake = createServer((req, res) => {
      if (req.url?.startsWith('/.well-known/oauth-protected-resource')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        const prm = { resource: `${fakeUrl}/mcp`, authorization_servers: [fakeIssuerUrl] };
        res.end(JSON.stringify(big ? { ...prm, padding: 'x'.repeat(300 * 1024) } : prm));
        return;
      }
      req.resume();
      res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
    });
    const fakeUrl = await listen(fake);
    const attempt = async () => {
      clearUpstreamTokenCache();
      const auth = clientCredentialsAuth({
        endpoint: `${fakeUrl}/mcp`,
        issuer: fakeIssuerUrl,
        clientId: 'factory',
        clientSecret: SECRET,
      });
      return connectMcp(`${fakeUrl}/mcp`, { headers: auth, timeoutMs: 10_000 }).then(
        async (c) => {
          await c.close();
          return new Error('connected');
        },
        (e: unknown) => e as Error,
      );
    };
    expect((await attempt()).message).toMatch(/more than 262144 bytes/);
    big = false;
    expect((await attempt()).message).toMatch(
      /token endpoint http:\/\/token\.example\.com\/token must use https/,
    );
    expect(tokenHits).toBe(0);
  }, 30_000);

  it('keeps fixed headers for other servers, and client credentials out of the server process', () => {
    const bearer = { auth: { type: 'bearer' as const, envVar: 'MCP_BEARER_TOKEN' } };
    const env = { MCP_BEARER_TOKEN: 't0k', ...goodEnv };
    expect(upstreamCredentials(bearer, env, 'http://127.0.0.1:1/mcp')).toEqual(authHeaders(bearer, env));
    expect(authHeaders(bearer, env)).toEqual({ authorization: 'Bearer t0k' });
    // An OAuth server without credentials: no token, the probe falls back to /health as before.
    expect(upstreamCredentials(spec, {}, 'http://127.0.0.1:1/mcp')).toEqual({});
    expect(isUpstreamAuth(upstreamCredentials(spec, goodEnv, 'http://127.0.0.1:1/mcp'))).toBe(true);
    expect(serverProcessEnv(spec, { ...goodEnv, OTHER: '1' })).toEqual({ OTHER: '1' });
    expect(serverProcessEnv(bearer, env)).toEqual(env);
  });
});
