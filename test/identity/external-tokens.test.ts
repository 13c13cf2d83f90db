/**
 * The factory as a resource server for an external identity provider (a real oidc-provider minting JWT access
 * tokens with RFC 8707 resource indicators): a token for this factory's resource URL acts as the linked user;
 * unlinked identities, other audiences, forged and disabled ones are refused, and the 401 points at the RFC 9728
 * metadata.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, exportJWK, generateKeyPair, SignJWT } from 'jose';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessControl } from '../../src/identity/access.js';
import { ExternalTokens } from '../../src/identity/external-tokens.js';
import { Sessions } from '../../src/identity/sessions.js';
import { createApi } from '../../src/surfaces/api/index.js';
import { type Factory, LOCAL, PASSWORD, startFactory } from './auth-helpers.js';

const AUDIENCE = 'https://factory.example.test/';
const servers: Server[] = [];
let issuer: string;
let f: Factory;
let api: ReturnType<typeof createApi>;
let hsSecretPem = '';

async function startIssuer(): Promise<string> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  hsSecretPem = JSON.stringify(await exportJWK(publicKey));
  const jwk = { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = (id: string) => ({
    client_id: id,
    client_secret: `${id}-secret-0123456789`,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    scope: 'mcp',
  });
  const oidc = new Provider(url, {
    jwks: { keys: [jwk] },
    clients: [client('agent'), client('stranger')],
    scopes: ['mcp'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, indicator: string) => ({
          scope: 'mcp',
          audience: indicator,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
  });
  server.on('request', oidc.callback());
  return url;
}

async function tokenFor(client: string, resource = AUDIENCE): Promise<string> {
  const r = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client}:${client}-secret-0123456789`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'mcp', resource }),
  });
  const body = (await r.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no token: ${JSON.stringify(body)}`);
  return body.access_token;
}

beforeAll(async () => {
  issuer = await startIssuer();
  f = await startFactory();
  await f.users.create(LOCAL, 'test', { name: 'ann', role: 'developer', password: PASSWORD });
  await f.registry.identity.updateUser('ann', { oidcSubject: `${issuer}|agent` });
  api = createApi({
    controlPlane: f.cp,
    registry: f.registry,
    tokens: f.tokens,
    access: new AccessControl({
      tokens: f.tokens,
      registry: f.registry,
      sessions: new Sessions(f.registry),
      external: new ExternalTokens({ issuer, audience: AUDIENCE }),
    }),
  });
}, 60_000);

afterAll(async () => {
  for (const s of servers) s.closeAllConnections?.();
  for (const s of servers) await new Promise((r) => s.close(r));
  await f.close();
});

describe('external access tokens', () => {
  it('a token the provider minted for this factory acts as the linked user', async () => {
    const me = await f.send('GET', '/auth/me', { token: await tokenFor('agent'), on: api });
    expect(me.status, me.text).toBe(200);
    expect(me.body).toMatchObject({ name: 'ann', kind: 'user', role: 'developer', user: 'ann' });
    // The factory's own tokens keep working beside them.
    const own = await f.login('ann', api);
    expect((await f.send('GET', '/auth/me', { token: own.access, on: api })).body.name).toBe('ann');
  });

  it('refuses an unlinked identity, another audience, forged tokens; the 401 names the metadata', async () => {
    const valid = await tokenFor('agent');
    const [h, p] = valid.split('.') as [string, string];
    const payload = JSON.parse(new TextDecoder().decode(base64url.decode(p)));
    const enc = (o: unknown) => base64url.encode(JSON.stringify(o));
    const cases: Record<string, string> = {
      'unlinked identity': await tokenFor('stranger'),
      'another audience': await tokenFor('agent', 'https://other.example.test/'),
      'alg none': `${enc({ alg: 'none' })}.${p}.`,
      'HS256 with the public key': await new SignJWT(payload)
        .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
        .sign(new TextEncoder().encode(hsSecretPem)),
      'subject changed': `${h}.${enc({ ...payload, sub: 'someone-else' })}.${valid.split('.')[2]}`,
    };
    for (const [what, token] of Object.entries(cases)) {
      const r = await f.send('GET', '/mcp/servers', { token, on: api });
      expect(r.status, what).toBe(401);
      expect(r.headers.get('www-authenticate'), what).toContain(
        'resource_metadata="https://factory.example.test/.well-known/oauth-protected-resource"',
      );
    }
    const meta = await f.send('GET', '/.well-known/oauth-protected-resource', { on: api });
    expect(meta.body).toEqual({
      resource: AUDIENCE,
      authorization_servers: [issuer],
      bearer_methods_supported: ['header'],
    });
  });

  it('a disabled linked user is refused within a second', async () => {
    const token = await tokenFor('agent');
    expect((await f.send('GET', '/mcp/servers', { token, on: api })).status).toBe(200);
    await f.registry.identity.updateUser('ann', { disabled: true });
    await new Promise((r) => setTimeout(r, 1100));
    expect((await f.send('GET', '/mcp/servers', { token, on: api })).status).toBe(401);
    await f.registry.identity.updateUser('ann', { disabled: false });
  });

  it('the gateway accepts the same tokens and points MCP clients at the provider', async () => {
    const { Gateway } = await import('../../src/gateway/gateway.js');
    const { createGatewayHttp } = await import('../../src/surfaces/gateway/http.js');
    const gateway = new Gateway({});
    const http = createGatewayHttp({
      gateway,
      registry: f.registry,
      access: new AccessControl({
        tokens: f.tokens,
        registry: f.registry,
        external: new ExternalTokens({ issuer, audience: AUDIENCE }),
      }),
    });
    try {
      const call = (token?: string) =>
        http.fetch(
          new Request('http://127.0.0.1:8090/api/v1/tools', {
            headers: { host: '127.0.0.1:8090', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          }),
        );
      const ok = await call(await tokenFor('agent'));
      expect(ok.status, await ok.clone().text()).toBe(200);
      const refused = await call(await tokenFor('stranger'));
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toContain(
        'resource_metadata="https://factory.example.test/',
      );
      const meta = await http.fetch(
        new Request('http://127.0.0.1:8090/.well-known/oauth-protected-resource', {
          headers: { host: '127.0.0.1:8090' },
        }),
      );
      expect(((await meta.json()) as { authorization_servers: string[] }).authorization_servers).toEqual([
        issuer,
      ]);
    } finally {
      await http.close();
      await gateway.close();
    }
  });
});
