/**
 * Sign-in over the HTTP API against a real registry: login, refresh rotation, replay, logout across processes,
 * throttling, the login history, forged and misused access tokens (each checked by its effect: the request is
 * refused and nothing ran), disabled users and personal tokens, and the OpenAPI description of these routes.
 */
import { createPublicKey } from 'node:crypto';
import { base64url, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sessions } from '../../src/identity/sessions.js';
import { openApiDocument } from '../../src/surfaces/api/index.js';
import { type Factory, LOCAL, PASSWORD, startFactory } from './auth-helpers.js';

let f: Factory;

beforeAll(async () => {
  f = await startFactory();
  await f.users.createTeam(LOCAL, 'test', 'red');
  await f.users.create(LOCAL, 'test', { name: 'alice', role: 'admin', password: PASSWORD });
  await f.users.create(LOCAL, 'test', { name: 'victor', role: 'viewer', password: PASSWORD });
  await f.users.create(LOCAL, 'test', { name: 'rita', role: 'developer', team: 'red', password: PASSWORD });
  await f.users.create(LOCAL, 'test', { name: 'tom', role: 'viewer', password: PASSWORD });
}, 60_000);
afterAll(() => f.close());

describe('sign-in', () => {
  it('login returns a short-lived access token and a refresh token; /auth/me says who the caller is', async () => {
    const r = await f.send('POST', '/auth/login', { body: { name: 'rita', password: PASSWORD } });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({
      tokenType: 'Bearer',
      expiresIn: 900,
      user: { name: 'rita', role: 'developer' },
    });
    expect(r.body.refreshToken).toMatch(/^mcpfr_/);
    expect(JSON.stringify(r.body)).not.toContain('argon2');
    const me = await f.send('GET', '/auth/me', { token: r.body.accessToken });
    expect(me.body).toMatchObject({
      name: 'rita',
      kind: 'user',
      role: 'developer',
      team: 'red',
      user: 'rita',
    });
    expect(me.body.permissions.map((p: { permission: string }) => p.permission)).toContain('servers.create');
  });

  it('answers an unknown user and a wrong password alike, and records both in the login history', async () => {
    const unknown = await f.send('POST', '/auth/login', { body: { name: 'nobody', password: PASSWORD } });
    const wrong = await f.send('POST', '/auth/login', {
      body: { name: 'victor', password: 'wrong password!' },
    });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body.error).toBe('AUTH_INVALID_CREDENTIALS');
    expect({ ...unknown.body, timestamp: 0 }).toEqual({ ...wrong.body, timestamp: 0 });
    const history = await f.registry.identity.listLogins({ limit: 10 });
    expect(history.slice(0, 2).map((h) => [h.name, h.ok, h.reason])).toEqual([
      ['victor', false, 'wrong password'],
      ['nobody', false, 'unknown user'],
    ]);
  });

  it('throttles a name after 5 failures (429 + Retry-After), even for the right password, and not other names', async () => {
    for (let i = 0; i < 5; i++)
      expect(
        (await f.send('POST', '/auth/login', { body: { name: 'tom', password: `bad password ${i}` } }))
          .status,
      ).toBe(401);
    const throttled = await f.send('POST', '/auth/login', { body: { name: 'tom', password: PASSWORD } });
    expect(throttled.status).toBe(429);
    expect(throttled.body.error).toBe('AUTH_THROTTLED');
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Nothing was issued: no session exists for tom.
    const sessions = await f.registry.kysely
      .selectFrom('mcpf_sessions')
      .innerJoin('mcpf_users', 'mcpf_users.id', 'mcpf_sessions.user_id')
      .where('mcpf_users.name', '=', 'tom')
      .select('mcpf_sessions.id')
      .execute();
    expect(sessions).toEqual([]);
    expect(
      (await f.send('POST', '/auth/login', { body: { name: 'victor', password: PASSWORD } })).status,
    ).toBe(200);
  });

  it('refresh rotates; a used refresh token presented again ends the session for both holders', async () => {
    const first = await f.login('victor');
    const second = await f.send('POST', '/auth/refresh', { body: { refreshToken: first.refresh } });
    expect(second.status, second.text).toBe(200);
    expect(second.body.refreshToken).not.toBe(first.refresh);
    expect((await f.send('GET', '/auth/me', { token: second.body.accessToken })).status).toBe(200);
    // The thief replays the first refresh token: refused, and the session is over.
    const replay = await f.send('POST', '/auth/refresh', { body: { refreshToken: first.refresh } });
    expect(replay.status).toBe(401);
    expect(replay.body).toMatchObject({ error: 'AUTH_INVALID_REFRESH', details: { reason: 'replayed' } });
    const after = await f.send('POST', '/auth/refresh', { body: { refreshToken: second.body.refreshToken } });
    expect(after.status).toBe(401);
    expect((await f.send('GET', '/auth/me', { token: second.body.accessToken })).status).toBe(401);
    for (const bad of ['mcpfr_unknown', 'not-a-token'])
      expect((await f.send('POST', '/auth/refresh', { body: { refreshToken: bad } })).status).toBe(401);
    expect(
      (await f.send('POST', '/auth/refresh', { body: { refreshToken: `mcpfr_${'x'.repeat(300)}` } })).status,
    ).toBe(400);
  });

  it('two concurrent refreshes with one token: one wins, the other is a replay', async () => {
    const { refresh } = await f.login('victor');
    const results = await Promise.all(
      [0, 1].map(() => f.send('POST', '/auth/refresh', { body: { refreshToken: refresh } })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it('logout ends the session in every process within a second', async () => {
    const other = await f.second();
    try {
      const { access, refresh } = await f.login('victor');
      expect((await f.send('GET', '/auth/me', { token: access, on: other.api })).status).toBe(200);
      expect((await f.send('POST', '/auth/logout', { token: access })).body).toEqual({ ended: true });
      expect((await f.send('GET', '/auth/me', { token: access })).status).toBe(401);
      const started = Date.now();
      let status = 200;
      while (status === 200 && Date.now() - started < 3000) {
        status = (await f.send('GET', '/auth/me', { token: access, on: other.api })).status;
        if (status === 200) await new Promise((r) => setTimeout(r, 50));
      }
      expect(status).toBe(401);
      expect(Date.now() - started).toBeLessThan(2500); // the 1 s cache, with room for a loaded machine
      expect((await f.send('POST', '/auth/refresh', { body: { refreshToken: refresh } })).status).toBe(401);
    } finally {
      await other.close();
    }
  });
});

describe('forged and misused access tokens (refused, nothing runs)', () => {
  async function forged(): Promise<Record<string, string>> {
    const { access } = await f.login('victor');
    const [h, p, s] = access.split('.') as [string, string, string];
    const payload = JSON.parse(new TextDecoder().decode(base64url.decode(p)));
    const enc = (o: unknown) => base64url.encode(JSON.stringify(o));
    const sessions = f.api.access.sessions as Sessions;
    const { key, kid } = await sessions.keys.signer();
    const jwks = await sessions.keys.jwks();
    const publicPem = createPublicKey({ key: jwks.keys[0] as never, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const resign = (claims: Record<string, unknown>) =>
      new SignJWT({ ...payload, ...claims }).setProtectedHeader({ alg: 'EdDSA', kid }).sign(key);
    return {
      'alg none': `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ ...payload, role: 'admin' })}.`,
      'payload changed to admin': `${h}.${enc({ ...payload, role: 'admin', sub: 'alice' })}.${s}`,
      'signature of another token': `${h}.${p}.${(await f.login('alice')).access.split('.')[2]}`,
      'HS256 with the public key as secret': await new SignJWT(payload)
        .setProtectedHeader({ alg: 'HS256', kid })
        .sign(new TextEncoder().encode(publicPem)),
      expired: await resign({ exp: Math.floor(Date.now() / 1000) - 60 }),
      'not yet valid': await resign({ nbf: Math.floor(Date.now() / 1000) + 3600 }),
      'wrong audience': await resign({ aud: 'some-other-api' }),
      'wrong issuer': await resign({ iss: 'https://evil.example' }),
      'unknown session': await resign({ sid: 'AAAAAAAAAAAAAAAAAAAAAA' }),
      'no session claim': await resign({ sid: undefined }),
      'unknown key id': `${enc({ alg: 'EdDSA', kid: 'nope' })}.${p}.${s}`,
      oversized: `${'a'.repeat(5000)}.${p}.${s}`,
    };
  }

  it('every forged token gets 401 and no detail; the control plane is never called', async () => {
    const cases = await forged();
    const before = f.cp.calls.length;
    for (const [what, token] of Object.entries(cases)) {
      const r = await f.send('POST', '/mcp/servers/anything/stop', { token });
      expect(r.status, what).toBe(401);
      expect(r.body.error, what).toBe('API_UNAUTHORIZED');
      expect(r.text, what).not.toMatch(/EdDSA|signature|kid|audience|issuer/i);
      expect((await f.send('GET', '/users', { token })).status, what).toBe(401);
    }
    expect(f.cp.calls.length).toBe(before);
  });

  it('a disabled user is refused within a second, its personal token too; a role change ends its sessions', async () => {
    await f.users.create(LOCAL, 'test', { name: 'dora', role: 'operator', password: PASSWORD });
    const { access } = await f.login('dora');
    const personal = f.tokens.create({ name: 'dora-cli', role: 'operator', owner: 'dora' }).token;
    expect((await f.send('GET', '/mcp/servers', { token: personal })).status).toBe(200);
    const admin = (await f.login('alice')).access;
    const down = await f.send('POST', '/users/dora', { token: admin, body: { role: 'viewer' } });
    expect(down.status, down.text).toBe(200);
    // A role change ends the sessions of the user (they sign in again with the new role) within a second.
    await new Promise((r) => setTimeout(r, 1100));
    expect((await f.send('GET', '/auth/me', { token: access })).status).toBe(401);
    const again = await f.login('dora');
    expect((await f.send('GET', '/auth/me', { token: again.access })).body.role).toBe('viewer');
    expect((await f.send('DELETE', '/users/dora', { token: admin })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await f.send('GET', '/auth/me', { token: again.access })).status).toBe(401);
    expect((await f.send('GET', '/mcp/servers', { token: personal })).status).toBe(401);
    expect((await f.send('POST', '/auth/login', { body: { name: 'dora', password: PASSWORD } })).status).toBe(
      401,
    );
  });

  it('an expired API token is refused', async () => {
    const made = f.tokens.create({ name: 'short', expiresInSeconds: 60 });
    expect((await f.send('GET', '/mcp/servers', { token: made.token })).status).toBe(200);
    const file = JSON.parse((await import('node:fs')).readFileSync(f.tokens.file, 'utf8'));
    const entry = file.tokens.find((t: { name: string }) => t.name === 'short');
    entry.expiresAt = new Date(Date.now() - 1000).toISOString();
    (await import('node:fs')).writeFileSync(f.tokens.file, JSON.stringify(file));
    expect((await f.send('GET', '/mcp/servers', { token: made.token })).status).toBe(401);
  });
});

describe('people', () => {
  it('a viewer cannot create users or give itself a role; nothing is written', async () => {
    const { access } = await f.login('victor');
    const create = await f.send('POST', '/users', {
      token: access,
      body: { name: 'mallory', role: 'admin', password: PASSWORD },
    });
    expect(create.status).toBe(403);
    const self = await f.send('POST', '/users/victor', { token: access, body: { role: 'admin' } });
    expect(self.status).toBe(403);
    expect(await f.registry.identity.getUser('mallory')).toBeUndefined();
    expect((await f.registry.identity.getUser('victor'))?.role).toBe('viewer');
    // Changing one's own password is allowed (and ends one's sessions).
    const pw = await f.send('POST', '/users/victor', { token: access, body: { password: PASSWORD } });
    expect(pw.status, pw.text).toBe(200);
  });

  it('a team admin manages only its team and cannot mint a global admin', async () => {
    await f.users.create(LOCAL, 'test', {
      name: 'red-admin',
      role: 'admin',
      team: 'red',
      password: PASSWORD,
    });
    const { access } = await f.login('red-admin');
    const made = await f.send('POST', '/users', {
      token: access,
      body: { name: 'rob', role: 'viewer', password: PASSWORD },
    });
    expect(made.status, made.text).toBe(201);
    expect(made.body.team).toBe('red');
    const toGlobal = await f.send('POST', '/users', {
      token: access,
      body: { name: 'eve', role: 'admin', team: null, password: PASSWORD },
    });
    expect(toGlobal.status).toBe(403);
    expect(await f.registry.identity.getUser('eve')).toBeUndefined();
    expect((await f.send('POST', '/users/victor', { token: access, body: { disabled: true } })).status).toBe(
      404,
    );
    const listed = await f.send('GET', '/users', { token: access });
    expect(listed.body.users.map((u: { name: string }) => u.name).sort()).toEqual([
      'red-admin',
      'rita',
      'rob',
    ]);
    expect((await f.send('POST', '/teams', { token: access, body: { name: 'blue' } })).status).toBe(403);
  });

  it('refuses weak passwords and bad names before writing', async () => {
    const { access } = await f.login('alice');
    for (const body of [
      { name: 'weak', role: 'viewer', password: 'short' },
      { name: '../etc', role: 'viewer', password: PASSWORD },
      { name: 'x', role: 'root', password: PASSWORD },
      { name: 'y', role: 'viewer', email: 'not an email', password: PASSWORD },
      { name: 'z', role: 'viewer', team: 'no-such-team', password: PASSWORD },
    ]) {
      const r = await f.send('POST', '/users', { token: access, body });
      expect(r.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
    }
    expect((await f.registry.identity.listUsers()).map((u) => u.name)).not.toEqual(
      expect.arrayContaining(['weak', '../etc', 'x', 'y', 'z']),
    );
  });
});

describe('sign-in attempts per address', () => {
  it('one address spraying names is slowed down; another address is not', async () => {
    const { setClientAddress } = await import('../../src/surfaces/http/client-address.js');
    const attempt = async (address: string, name: string) => {
      const request = new Request('http://127.0.0.1:8080/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, password: 'not the password' }),
      });
      setClientAddress(request, address);
      return (await f.api.fetch(request)).status;
    };
    const before = (await f.registry.identity.listLogins({ limit: 1000 })).length;
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) statuses.push(await attempt('192.0.2.7', `spray-${i}`));
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toContain(429);
    expect(await attempt('198.51.100.9', 'spray-x')).toBe(401);
    // Refused attempts are not recorded: the history grew by the attempts that were let through.
    const grown = (await f.registry.identity.listLogins({ limit: 1000 })).length - before;
    expect(grown).toBe(statuses.filter((s) => s === 401).length + 1);
  });
});

describe('signing key rotation', () => {
  it('new tokens use the new key; tokens of the old key keep working; another process learns the new key', async () => {
    const other = await f.second();
    try {
      const before = await f.login('alice');
      // The other process has the old key loaded when the rotation happens.
      expect((await f.send('GET', '/auth/me', { token: before.access, on: other.api })).status).toBe(200);
      const sessions = f.api.access.sessions as Sessions;
      const kid = await sessions.keys.rotate();
      await new Promise((r) => setTimeout(r, 150));
      const after = await f.login('alice');
      const header = (t: string) => JSON.parse(new TextDecoder().decode(base64url.decode(t.split('.')[0]!)));
      expect(header(after.access).kid).toBe(kid);
      expect(header(before.access).kid).not.toBe(kid);
      for (const token of [after.access, before.access]) {
        expect((await f.send('GET', '/auth/me', { token })).status).toBe(200);
        expect((await f.send('GET', '/auth/me', { token, on: other.api })).status).toBe(200);
      }
    } finally {
      await other.close();
    }
  });
});

describe('personal tokens over the API', () => {
  it('a signed-in user makes, lists, uses and revokes its own tokens; never more than it has', async () => {
    await f.users.create(LOCAL, 'test', { name: 'pat', role: 'developer', password: PASSWORD });
    const { access } = await f.login('pat');
    const made = await f.send('POST', '/auth/tokens', {
      token: access,
      body: { name: 'pat-laptop', expiresInDays: 7 },
    });
    expect(made.status, made.text).toBe(201);
    expect(made.body).toMatchObject({ name: 'pat-laptop', role: 'developer', owner: 'pat' });
    const me = await f.send('GET', '/auth/me', { token: made.body.token });
    expect(me.body).toMatchObject({ name: 'pat-laptop', kind: 'token', role: 'developer', user: 'pat' });
    // A token does not mint further tokens; a user does not mint an admin token.
    expect(
      (await f.send('POST', '/auth/tokens', { token: made.body.token, body: { name: 'chain' } })).status,
    ).toBe(403);
    expect(
      (await f.send('POST', '/auth/tokens', { token: access, body: { name: 'up', role: 'admin' } })).status,
    ).toBe(403);
    expect(f.tokens.list().map((t) => t.name)).not.toEqual(expect.arrayContaining(['chain', 'up']));
    const listed = await f.send('GET', '/auth/tokens', { token: access });
    expect(listed.body.tokens.map((t: { name: string }) => t.name)).toEqual(['pat-laptop']);
    expect(JSON.stringify(listed.body)).not.toContain(made.body.token);
    // Another user cannot revoke it.
    const other = (await f.login('victor')).access;
    expect((await f.send('DELETE', '/auth/tokens/pat-laptop', { token: other })).status).toBe(404);
    expect((await f.send('DELETE', '/auth/tokens/pat-laptop', { token: access })).status).toBe(200);
    expect((await f.send('GET', '/auth/me', { token: made.body.token })).status).toBe(401);
  });
});

describe('OpenAPI', () => {
  it('documents the sign-in and people routes with their permissions', () => {
    const doc = openApiDocument(f.api.routes, { version: 'test' }) as {
      paths: Record<string, Record<string, unknown>>;
    };
    for (const path of [
      '/auth/login',
      '/auth/refresh',
      '/auth/logout',
      '/auth/me',
      '/users',
      '/users/{name}',
      '/teams',
    ])
      expect(doc.paths[path], path).toBeDefined();
  });
});
