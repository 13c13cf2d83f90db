/**
 * Console cookie sessions (POST/DELETE /auth/session) and their CSRF and origin checks, attacked by effect: a
 * refused request changes nothing (no token made), a CSRF cookie is useless without its own session, a cookie of
 * another user carries only that user's rights, bearer callers are unaffected, and a password session survives
 * the access token's expiry through one shared refresh even under parallel requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieSessions } from '../../src/surfaces/api/cookie-session.js';
import { BASE, type Factory, LOCAL, PASSWORD, startFactory } from '../identity/auth-helpers.js';

let f: Factory;
let apiToken: string;

/** A browser-like cookie jar: Set-Cookie answers update it. */
class Jar {
  readonly cookies = new Map<string, string>();
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  take(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/Max-Age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

async function call(
  method: string,
  path: string,
  options: { jar?: Jar; body?: unknown; headers?: Record<string, string>; csrf?: boolean } = {},
) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.jar) headers.cookie = options.jar.header();
  if (options.csrf && options.jar) headers['x-csrf-token'] = options.jar.cookies.get('mcpf_csrf') ?? '';
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await f.api.fetch(
    new Request(`${BASE}${path}`, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    }),
  );
  options.jar?.take(response.headers);
  const text = await response.text();
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON, checked by the assertions
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body, text };
}

async function signIn(credentials: Record<string, string>): Promise<Jar> {
  const jar = new Jar();
  const r = await call('POST', '/auth/session', { jar, body: credentials });
  expect(r.status, r.text).toBe(200);
  return jar;
}

async function tokenNamesOf(user: string): Promise<string[]> {
  const { access } = await f.login(user);
  const r = await f.send('GET', '/auth/tokens', { token: access });
  expect(r.status, r.text).toBe(200);
  return (r.body.tokens ?? r.body).map((t: { name: string }) => t.name);
}

beforeAll(async () => {
  // Access tokens live 20 s: inside the 30 s refresh margin, so every cookie request exercises the refresh.
  f = await startFactory({ accessTtlSeconds: 20 });
  await f.users.createTeam(LOCAL, 'test', 'red');
  await f.users.create(LOCAL, 'test', { name: 'alice', role: 'admin', password: PASSWORD });
  await f.users.create(LOCAL, 'test', { name: 'victor', role: 'viewer', password: PASSWORD });
  apiToken = f.tokens.create({ name: 'console-ci', role: 'admin' }).token;
});

afterAll(async () => {
  await f.close();
});

describe('POST /auth/session', () => {
  it('signs in with an API token: HttpOnly strict session cookie, readable csrf cookie, no Secure on loopback http', async () => {
    const r = await call('POST', '/auth/session', { body: { token: apiToken } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.tokenName).toBe('console-ci');
    expect(r.body.permissions.length).toBeGreaterThan(0);
    const cookies = r.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith('mcpf_session='))!;
    const csrf = cookies.find((c) => c.startsWith('mcpf_csrf='))!;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Strict/);
    expect(session).not.toMatch(/Secure/);
    expect(csrf).not.toMatch(/HttpOnly/);
    expect(r.text).not.toContain(apiToken);
    expect(r.headers.get('cache-control')).toBe('no-store');
  });

  it('sets Secure cookies except on loopback http (behind a TLS proxy the host is not loopback)', () => {
    const cookies = new CookieSessions(f.api.access);
    for (const line of cookies.issue(new URL('http://factory.example/'), 'x', 'y'))
      expect(line).toMatch(/; Secure/);
    for (const line of cookies.issue(new URL('https://127.0.0.1/'), 'x')) expect(line).toMatch(/; Secure/);
    for (const line of cookies.issue(new URL('http://[::1]:8080/'), 'x')) expect(line).not.toMatch(/Secure/);
    for (const line of cookies.clear(new URL('http://localhost/'))) expect(line).toMatch(/Max-Age=0/);
  });

  it('signs in with a user and password and answers the user', async () => {
    const r = await call('POST', '/auth/session', { body: { user: 'victor', password: PASSWORD } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.user).toEqual({ name: 'victor', role: 'viewer', team: null });
    expect(r.headers.getSetCookie().some((c) => c.startsWith('mcpf_refresh=') && /HttpOnly/.test(c))).toBe(
      true,
    );
  });

  it('refuses a wrong password, an unknown token and a cross-origin sign-in without setting cookies', async () => {
    for (const [body, headers, status] of [
      [{ user: 'victor', password: 'nope' }, {}, 401],
      [{ token: 'mcpf_forged' }, {}, 401],
      [{ token: apiToken }, { origin: 'http://localhost:9999' }, 403],
      [{ token: apiToken }, { 'sec-fetch-site': 'cross-site' }, 403],
    ] as const) {
      const r = await call('POST', '/auth/session', { body, headers });
      expect(r.status, r.text).toBe(status);
      expect(r.headers.getSetCookie()).toEqual([]);
    }
  });
});

describe('cookie-authenticated requests', () => {
  it('reads with the cookie alone; GET needs no csrf header', async () => {
    const jar = await signIn({ token: apiToken });
    const me = await call('GET', '/auth/me', { jar });
    expect(me.status, me.text).toBe(200);
    expect(me.body).toMatchObject({ name: 'console-ci', kind: 'token' });
  });

  it('a cross-site form POST without the header changes nothing', async () => {
    const jar = await signIn({ user: 'alice', password: PASSWORD });
    const before = await tokenNamesOf('alice');
    const forged = await call('POST', '/auth/tokens', { jar, body: { name: 'forged-1' } });
    expect(forged.status, forged.text).toBe(403);
    expect(forged.body.error).toBe('CSRF_FAILED');
    const wrong = await call('POST', '/auth/tokens', {
      jar,
      body: { name: 'forged-2' },
      headers: { 'x-csrf-token': 'guessed' },
    });
    expect(wrong.body.error).toBe('CSRF_FAILED');
    const crossOrigin = await call('POST', '/auth/tokens', {
      jar,
      csrf: true,
      body: { name: 'forged-3' },
      headers: { origin: 'http://127.0.0.1:9999' },
    });
    expect(crossOrigin.body.error).toBe('CSRF_FAILED');
    expect(await tokenNamesOf('alice')).toEqual(before);
    // The same request from the console (header = cookie) goes through.
    const made = await call('POST', '/auth/tokens', { jar, csrf: true, body: { name: 'from-console' } });
    expect(made.status, made.text).toBe(201);
    expect(made.text).toContain('mcpf_');
    expect(await tokenNamesOf('alice')).toContain('from-console');
  });

  it('a stolen csrf cookie is useless with another session or with none', async () => {
    const alice = await signIn({ user: 'alice', password: PASSWORD });
    const victor = await signIn({ user: 'victor', password: PASSWORD });
    const before = await tokenNamesOf('victor');
    const stolen = alice.cookies.get('mcpf_csrf')!;
    const mixed = new Jar();
    mixed.cookies.set('mcpf_session', victor.cookies.get('mcpf_session')!);
    mixed.cookies.set('mcpf_csrf', stolen);
    const r = await call('POST', '/auth/tokens', {
      jar: mixed,
      body: { name: 'stolen' },
      headers: { 'x-csrf-token': stolen },
    });
    expect(r.body.error).toBe('CSRF_FAILED');
    const bare = new Jar();
    bare.cookies.set('mcpf_csrf', stolen);
    const none = await call('POST', '/auth/tokens', {
      jar: bare,
      body: { name: 'stolen-2' },
      headers: { 'x-csrf-token': stolen },
    });
    expect(none.status).toBe(401);
    expect(await tokenNamesOf('victor')).toEqual(before);
  });

  it("a cookie carries only its own caller's rights", async () => {
    const victor = await signIn({ user: 'victor', password: PASSWORD });
    const r = await call('POST', '/users', {
      jar: victor,
      csrf: true,
      body: { name: 'mallory', role: 'admin', password: PASSWORD },
    });
    expect(r.status, r.text).toBe(403);
    expect(r.body.error).toBe('API_FORBIDDEN');
    expect(await f.registry.identity.getUser('mallory')).toBeUndefined();
  });

  it('a forged or garbage cookie is refused', async () => {
    for (const value of ['mcpf_forged', 'a.b.c', '%00%0d%0a']) {
      const jar = new Jar();
      jar.cookies.set('mcpf_session', value);
      const r = await call('GET', '/auth/me', { jar });
      expect(r.status, r.text).toBe(401);
    }
  });

  it('bearer callers are unaffected by cookies and need no csrf header', async () => {
    const jar = await signIn({ user: 'victor', password: PASSWORD });
    const r = await call('POST', '/auth/tokens', {
      jar,
      body: { name: 'bearer-made' },
      headers: { authorization: `Bearer ${(await f.login('alice')).access}` },
    });
    expect(r.status, r.text).toBe(201);
    expect(await tokenNamesOf('alice')).toContain('bearer-made');
  });

  it('refreshes an expiring access token once for parallel requests and keeps the session', async () => {
    const jar = await signIn({ user: 'alice', password: PASSWORD });
    const old = jar.header();
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        f.api.fetch(new Request(`${BASE}/auth/me`, { headers: { cookie: old } })),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const renewed = answers.map((a) => a.headers.getSetCookie().find((c) => c.startsWith('mcpf_session=')));
    expect(new Set(renewed).size).toBe(1);
    jar.take(answers[0]!.headers);
    expect(jar.header()).not.toBe(old);
    const again = await call('GET', '/auth/me', { jar });
    expect(again.status, again.text).toBe(200);
    expect(again.body.name).toBe('alice');
  });
});

describe('DELETE /auth/session', () => {
  it('needs the csrf header, then ends the session and clears the cookies', async () => {
    const jar = await signIn({ user: 'alice', password: PASSWORD });
    const kept = jar.header();
    const forged = await call('DELETE', '/auth/session', { jar });
    expect(forged.body.error).toBe('CSRF_FAILED');
    expect((await call('GET', '/auth/me', { jar })).status).toBe(200);
    const out = await call('DELETE', '/auth/session', { jar, csrf: true });
    expect(out.status, out.text).toBe(200);
    expect(out.body).toEqual({ signedOut: true });
    expect(jar.cookies.size).toBe(0);
    // The old cookies no longer work (the user session ended; state is cached ≤ 1 s).
    await new Promise((r) => setTimeout(r, 1100));
    const replay = await f.api.fetch(new Request(`${BASE}/auth/me`, { headers: { cookie: kept } }));
    expect(replay.status).toBe(401);
  });

  it('without a session answers signedOut false', async () => {
    const r = await call('DELETE', '/auth/session');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ signedOut: false });
  });
});
