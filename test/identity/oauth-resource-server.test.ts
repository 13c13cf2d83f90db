/**
 * Issue 15: a generated server as an OAuth 2.1 resource server, against a real authorization server running
 * locally (oidc-provider: client credentials with RFC 8707 resource indicators, JWT access tokens). Checked by
 * effect: which requests reach the MCP handler and which tool calls run; every forged token is refused with
 * 401 and a challenge that leaks nothing.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fromJsonSchema, McpServer } from '@modelcontextprotocol/server';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpCore } from '../../runtime/http-server.js';
import { createLogger } from '../../runtime/logger.js';
import { NO_METRICS } from '../../runtime/metrics.js';
import '../../runtime/oauth.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { ServerSettings } from '../../runtime/settings.js';
import { toolHandler } from '../../runtime/tool.js';

const RESOURCE = 'http://127.0.0.1/orders/mcp';
let issuer = '';
let provider: Server;
let signingKey: CryptoKey;
const calls: string[] = [];

async function startProvider(): Promise<void> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  signingKey = privateKey;
  const jwk = { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const oidc = new Provider(issuer, {
    jwks: { keys: [jwk] },
    clients: [
      {
        client_id: 'svc',
        client_secret: 'svc-secret-123',
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        scope: 'mcp orders.read orders.write',
      },
    ],
    scopes: ['mcp', 'orders.read', 'orders.write'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, indicator: string) => ({
          scope: 'mcp orders.read orders.write',
          audience: indicator,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
  });
  server.on('request', oidc.callback());
  provider = server;
}

async function token(scope: string, resource = RESOURCE): Promise<string> {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from('svc:svc-secret-123').toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no token: ${JSON.stringify(body)}`);
  return body.access_token;
}

function core() {
  const settings: ServerSettings = {
    name: 'orders',
    version: '1.0.0',
    defaultTransport: 'http',
    http: { host: '127.0.0.1', port: 0, path: '/mcp', allowedHosts: [], allowedOrigins: [] },
    auth: {
      type: 'oauth',
      issuer,
      resource: RESOURCE,
      scopes: ['mcp', 'orders.read', 'orders.write'],
      requiredScopes: ['mcp'],
      toolScopes: { cancel_order: ['orders.write'] },
    },
    logLevel: 'error',
    metrics: false,
    timeoutMs: 5000,
    retries: { max: 0, backoffMs: 0 },
    sqlConnections: [],
    httpConnections: [],
  };
  const rt = {
    settings,
    log: createLogger('error'),
    metrics: NO_METRICS,
    limiter: { take: () => 0 },
  } as unknown as Runtime;
  return createHttpCore(rt, () => {
    const server = new McpServer({ name: 'orders', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.registerTool(
      'whoami',
      { description: 'who', inputSchema: fromJsonSchema({ type: 'object' }) },
      toolHandler(rt, { name: 'whoami', timeoutMs: 5000, output: 'none' }, (_a, ctx) => {
        calls.push('whoami');
        return `${ctx.user?.subject} ${ctx.user?.scopes.join(',')}`;
      }),
    );
    server.registerTool(
      'cancel_order',
      { description: 'cancel', inputSchema: fromJsonSchema({ type: 'object' }) },
      toolHandler(rt, { name: 'cancel_order', timeoutMs: 5000, output: 'none' }, () => {
        calls.push('cancel_order');
        return 'cancelled';
      }),
    );
    return server;
  });
}

const rpc = (method: string, params: Record<string, unknown> = {}, auth?: string) =>
  new Request('http://127.0.0.1/mcp', {
    method: 'POST',
    headers: {
      host: '127.0.0.1',
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
      ...(auth ? { authorization: `Bearer ${auth}` } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });

async function callText(res: Response): Promise<string> {
  const text = await res.text();
  const line = text.split('\n').find((l) => l.startsWith('data: '));
  return line ? line.slice(6) : text;
}

let http: ReturnType<typeof core>;
beforeAll(async () => {
  await startProvider();
  http = core();
}, 30_000);
afterAll(async () => {
  await http?.close();
  provider?.closeAllConnections();
  provider?.close();
});

describe('OAuth resource server (generated servers)', () => {
  it('publishes protected-resource metadata and challenges a request without a token', async () => {
    const meta = await http.fetch(
      new Request('http://127.0.0.1/.well-known/oauth-protected-resource/orders/mcp', {
        headers: { host: '127.0.0.1' },
      }),
    );
    expect(meta.status).toBe(200);
    expect(await meta.json()).toMatchObject({
      resource: RESOURCE,
      authorization_servers: [issuer],
      scopes_supported: ['mcp', 'orders.read', 'orders.write'],
    });
    const res = await http.fetch(rpc('tools/list'));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource/orders/mcp", scope="mcp"`,
    );
  });

  it('accepts a token from the issuer for this resource; the caller reaches the tool as ctx.user', async () => {
    const t = await token('mcp orders.read');
    const res = await http.fetch(rpc('tools/call', { name: 'whoami', arguments: {} }, t));
    expect(res.status).toBe(200);
    expect(await callText(res)).toContain('svc mcp,orders.read');
  });

  it('answers 403 insufficient_scope for a tool whose scope the token lacks, and the tool does not run', async () => {
    calls.length = 0;
    const t = await token('mcp orders.read');
    const res = await http.fetch(rpc('tools/call', { name: 'cancel_order', arguments: {} }, t));
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
    expect(res.headers.get('www-authenticate')).toMatch(/scope="mcp orders.write"/);
    expect(calls).toEqual([]);
    const ok = await http.fetch(
      rpc('tools/call', { name: 'cancel_order', arguments: {} }, await token('mcp orders.write')),
    );
    expect(await callText(ok)).toContain('cancelled');
    expect(calls).toEqual(['cancel_order']);
  });

  it('refuses a token without a scope every request needs (403)', async () => {
    const res = await http.fetch(rpc('tools/list', {}, await token('orders.read')));
    expect(res.status).toBe(403);
  });

  it('refuses forged, expired, misdirected and confused tokens with 401 invalid_token, leaking no reason', async () => {
    calls.length = 0;
    const good = await token('mcp orders.read orders.write');
    const [h, p, s] = good.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const now = Math.floor(Date.now() / 1000);
    const signed = (payload: Record<string, unknown>, header: Record<string, unknown> = {}) =>
      new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: 'k1', ...header }).sign(signingKey);
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const otherKey = (await generateKeyPair('RS256')).privateKey;
    const publicJwk = JSON.stringify(await exportJWK(signingKey));
    const forged: Record<string, string> = {
      expired: await signed({ ...claims, exp: now - 120, iat: now - 3600 }),
      notYetValid: await signed({ ...claims, nbf: now + 600 }),
      wrongAudience: await token('mcp', 'http://127.0.0.1/other/mcp'),
      wrongIssuer: await signed({ ...claims, iss: 'http://127.0.0.1:1' }),
      noExpiry: await signed({ ...Object.fromEntries(Object.entries(claims).filter(([k]) => k !== 'exp')) }),
      algNone: `${b64({ alg: 'none', typ: 'at+jwt' })}.${p}.`,
      tamperedPayload: `${h}.${b64({ ...claims, scope: 'mcp orders.write admin' })}.${s}`,
      tamperedSignature: `${h}.${p}.${s.slice(0, -4)}AAAA`,
      otherKeySameKid: await new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .sign(otherKey),
      hsWithPublicKey: await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
        .sign(new TextEncoder().encode(publicJwk)),
      garbage: 'not.a.jwt',
    };
    for (const [name, t] of Object.entries(forged)) {
      const res = await http.fetch(rpc('tools/call', { name: 'cancel_order', arguments: {} }, t));
      expect(res.status, name).toBe(401);
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge, name).toMatch(
        /^Bearer resource_metadata="[^"]+", scope="mcp", error="invalid_token"/,
      );
      expect(await res.text(), name).not.toMatch(/exp|aud|iss|signature|alg/i);
    }
    expect(calls).toEqual([]);
    // The server still answers a good token afterwards.
    const res = await http.fetch(rpc('tools/list', {}, good));
    expect(res.status).toBe(200);
  });

  it('checks every message of a batch for tool scopes', async () => {
    calls.length = 0;
    const t = await token('mcp orders.read');
    const req = new Request('http://127.0.0.1/mcp', {
      method: 'POST',
      headers: {
        host: '127.0.0.1',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${t}`,
      },
      body: JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } },
        { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'cancel_order', arguments: {} } },
      ]),
    });
    const res = await http.fetch(req);
    expect(res.status).toBe(403);
    expect(calls).toEqual([]);
  });
});
