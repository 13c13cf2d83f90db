/**
 * OIDC sign-in of factory users against a REAL local provider (oidc-provider on a loopback port, its dev login
 * and consent forms submitted over HTTP like a browser would, cookies carried by hand): start → provider login
 * → consent → callback → tokens → /auth/me. Attacks are checked by effect: a 401 AUTH_OIDC_FAILED and no new
 * session row (counted in the registry file), no user created; the login history records each attempt.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessControl } from '../../src/identity/access.js';
import { OidcLogin, type OidcSettings, oidcCookie, readOidcCookie } from '../../src/identity/oidc-login.js';
import { USER_ROLES } from '../../src/identity/roles.js';
import { Sessions } from '../../src/identity/sessions.js';
import { configVariable, loadConfig } from '../../src/platform/config.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { type Api, createApi, TokenStore } from '../../src/surfaces/api/index.js';
import { FakeControlPlane } from '../api/fake-control-plane.js';
import { authorize as authorizeAt, type FakeProvider, startOidcProvider } from './oidc-provider.js';

const BASE = 'http://127.0.0.1:8080';
const REDIRECT = `${BASE}/auth/oidc/callback`;
const OTHER_REDIRECT = 'http://127.0.0.1:9/cb';

let issuer = '';
let provider: FakeProvider;
let accounts: FakeProvider['accounts'];
let home = '';
let registry: Registry;
let tokens: TokenStore;
const seconds: Registry[] = [];

const authorize = (url: string, login: string) => authorizeAt(issuer, url, login);

function settings(extra: Partial<OidcSettings> = {}): OidcSettings {
  return {
    issuer,
    clientId: 'factory',
    clientSecret: 'factory-secret-0123456789',
    redirectUri: REDIRECT,
    ...extra,
  };
}

function makeApi(reg: Registry, oidc: OidcSettings | undefined): Api {
  return createApi({
    controlPlane: new FakeControlPlane(reg),
    registry: reg,
    tokens,
    access: new AccessControl({
      tokens,
      registry: reg,
      limits: { requestsPerMinute: 100_000, burst: 10_000 },
      sessions: new Sessions(reg),
    }),
    oidc,
  });
}

const call = (api: Api, path: string, headers: Record<string, string> = {}) =>
  api.fetch(new Request(path.startsWith('http') ? path : `${BASE}${path}`, { headers }));

/** /auth/oidc/start on `api`: the provider URL and the sealed cookie value. */
async function start(api: Api): Promise<{ url: string; cookie: string; setCookie: string }> {
  const res = await call(api, '/auth/oidc/start');
  expect(res.status).toBe(302);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = readOidcCookie(setCookie.split(';')[0] ?? '');
  if (!cookie) throw new Error('no state cookie');
  return { url: res.headers.get('location') ?? '', cookie, setCookie };
}

async function callback(api: Api, url: URL | string, cookie: string | undefined) {
  const res = await call(api, String(url), cookie ? { cookie: `other=1; mcpf_oidc=${cookie}` } : {});
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON, checked by the assertions
  const body = (await res.json()) as any;
  return { status: res.status, body, setCookie: res.headers.get('set-cookie') ?? '' };
}

function count(table: 'mcpf_sessions' | 'mcpf_users'): number {
  const db = new Database(join(home, 'registry.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** The number of session rows and users does not change across `fn`, which must fail with AUTH_OIDC_FAILED. */
async function refused(fn: () => Promise<{ status: number; body: { error?: string } }>): Promise<string> {
  const before = [count('mcpf_sessions'), count('mcpf_users')];
  const r = await fn();
  expect(r.status).toBe(401);
  expect(r.body.error).toBe('AUTH_OIDC_FAILED');
  expect([count('mcpf_sessions'), count('mcpf_users')]).toEqual(before);
  return (r.body as { message: string }).message;
}

beforeAll(async () => {
  provider = await startOidcProvider([
    { client_id: 'factory', client_secret: 'factory-secret-0123456789', redirect_uris: [REDIRECT] },
    { client_id: 'other', client_secret: 'other-secret-0123456789', redirect_uris: [OTHER_REDIRECT] },
  ]);
  issuer = provider.issuer;
  accounts = provider.accounts;
  home = mkdtempSync(join(tmpdir(), 'mcpf-oidc-'));
  registry = await openRegistry({ home });
  tokens = TokenStore.open({ home });
});

afterAll(async () => {
  for (const r of seconds) await r.close().catch(() => undefined);
  await registry?.close();
  await provider?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('OIDC sign-in through a real provider', () => {
  it('signs in: start → login → consent → callback → tokens, creating and linking a user', async () => {
    accounts.set('alice-sub', {
      email: 'Alice@Example.com',
      email_verified: true,
      preferred_username: 'alice',
    });
    const api = makeApi(registry, settings({ autoCreateRole: 'developer', allowedDomains: ['example.com'] }));
    const started = await start(api);
    const location = new URL(started.url);
    expect(location.origin).toBe(issuer);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(location.searchParams.get('client_id')).toBe('factory');
    expect(location.searchParams.get('state')).toBeTruthy();
    expect(location.searchParams.get('nonce')).toBeTruthy();
    expect(started.setCookie).toMatch(/; Path=\/auth\/oidc; Max-Age=600; HttpOnly; SameSite=Lax$/);
    expect(started.setCookie).not.toMatch(/Secure/);
    // The sealed state shows neither the state, the nonce nor the verifier.
    expect(started.cookie).not.toContain(location.searchParams.get('state'));

    const back = await authorize(started.url, 'alice-sub');
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get('code')).toBeTruthy();
    const sessionsBefore = count('mcpf_sessions');
    const r = await callback(api, back, started.cookie);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.setCookie).toMatch(/^mcpf_oidc=; Path=\/auth\/oidc; Max-Age=0/);
    expect(r.body).toMatchObject({
      tokenType: 'Bearer',
      user: { name: 'alice', role: 'developer', team: null },
    });
    expect(r.body.refreshToken).toMatch(/^mcpfr_/);
    expect(count('mcpf_sessions')).toBe(sessionsBefore + 1);

    const user = await registry.identity.getUser('alice');
    expect(user?.oidcSubject).toBe(`${issuer}|alice-sub`);
    expect(user?.email).toBe('alice@example.com');
    expect(user?.hasPassword).toBe(false);
    const me = await call(api, '/auth/me', { authorization: `Bearer ${r.body.accessToken}` });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ name: 'alice', kind: 'user', role: 'developer' });
    const logins = await registry.identity.listLogins({ name: 'alice', limit: 5 });
    expect(logins[0]).toMatchObject({ ok: true, reason: 'oidc' });
    const audit = await registry.listAudit({ limit: 20 });
    expect(
      audit.some((e) => e.action === 'user.create' && e.target === 'user:alice' && e.actor === 'oidc'),
    ).toBe(true);

    // Signing in again reaches the same user; nothing new is created.
    const users = count('mcpf_users');
    const again = await start(api);
    const r2 = await callback(api, await authorize(again.url, 'alice-sub'), again.cookie);
    expect(r2.status).toBe(200);
    expect(r2.body.user.name).toBe('alice');
    expect(count('mcpf_users')).toBe(users);
  });

  it('finishes in another process than the one that started (shared registry, own memory)', async () => {
    accounts.set('carol-sub', {
      email: 'carol@example.com',
      email_verified: true,
      preferred_username: 'carol',
    });
    const a = makeApi(registry, settings({ autoCreateRole: 'viewer' }));
    const reg = await openRegistry({ home });
    seconds.push(reg);
    const b = makeApi(reg, settings({ autoCreateRole: 'viewer' }));
    const started = await start(a);
    const back = await authorize(started.url, 'carol-sub');
    const r = await callback(b, back, started.cookie);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.user).toMatchObject({ name: 'carol', role: 'viewer' });
    // The same callback replayed on the first process: its state is unused there, but the code is spent.
    const message = await refused(() => callback(a, back, started.cookie));
    expect(message).toMatch(/grant|code/i);
  });

  it('makes a derived name unique and valid', async () => {
    await registry.identity.createUser({ name: 'bob', role: 'viewer' });
    accounts.set('bob-sub', { email: 'bob+x@example.com', email_verified: true, preferred_username: 'bob' });
    accounts.set('weird-sub', { email: '-.x y!z@example.com', email_verified: true });
    const api = makeApi(registry, settings({ autoCreateRole: 'viewer' }));
    const s1 = await start(api);
    const r1 = await callback(api, await authorize(s1.url, 'bob-sub'), s1.cookie);
    expect(r1.body.user?.name).toBe('bob-2');
    const s2 = await start(api);
    const r2 = await callback(api, await authorize(s2.url, 'weird-sub'), s2.cookie);
    expect(r2.body.user?.name).toBe('x-y-z');
  });

  it('refuses a wrong or missing state, and a missing or tampered cookie', async () => {
    accounts.set('dave-sub', { email: 'dave@example.com', email_verified: true });
    const api = makeApi(registry, settings({ autoCreateRole: 'viewer' }));
    const started = await start(api);
    const back = await authorize(started.url, 'dave-sub');
    const wrong = new URL(back);
    wrong.searchParams.set('state', 'attacker-state');
    expect(await refused(() => callback(api, wrong, started.cookie))).toMatch(/state/);
    const missing = new URL(back);
    missing.searchParams.delete('state');
    expect(await refused(() => callback(api, missing, started.cookie))).toMatch(/state/);
    expect(await refused(() => callback(api, back, undefined))).toMatch(/cookie is missing/);
    const parts = started.cookie.split('.');
    const body = parts[3] ?? '';
    parts[3] = `${body[0] === 'A' ? 'B' : 'A'}${body.slice(1)}`;
    expect(await refused(() => callback(api, back, parts.join('.')))).toMatch(/not valid/);
    const shortTag = started.cookie.slice(0, -10);
    expect(await refused(() => callback(api, back, shortTag))).toMatch(/not valid/);
    expect(await refused(() => callback(api, back, 'v1.nokey.AAAA.AAAA.AAAA'))).toMatch(/not valid/);
    // None of this used up the real sign-in: it still completes, once.
    const ok = await callback(api, back, started.cookie);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(await refused(() => callback(api, back, started.cookie))).toMatch(/completed already/);
    const logins = await registry.identity.listLogins({ name: '(oidc)', limit: 20 });
    expect(logins.map((l) => l.reason)).toEqual(
      expect.arrayContaining(['oidc: state mismatch', 'oidc: bad state']),
    );
  });

  it("refuses a code from another sign-in (PKCE) and another client's code", async () => {
    accounts.set('eve-sub', { email: 'eve@example.com', email_verified: true });
    const api = makeApi(registry, settings({ autoCreateRole: 'viewer' }));
    // The attacker's own completed sign-in at the provider, injected into the victim's sign-in.
    const attacker = await start(api);
    const attackerBack = await authorize(attacker.url, 'eve-sub');
    const victim = await start(api);
    const victimState = new URL(victim.url).searchParams.get('state') ?? '';
    const injected = new URL(REDIRECT);
    injected.searchParams.set('code', attackerBack.searchParams.get('code') ?? '');
    injected.searchParams.set('state', victimState);
    injected.searchParams.set('iss', issuer);
    expect(await refused(() => callback(api, injected, victim.cookie))).toMatch(/grant|PKCE|verifier/i);

    // A code issued to another client of the same provider.
    const other = new URL(`${issuer}/auth`);
    for (const [k, v] of Object.entries({
      client_id: 'other',
      response_type: 'code',
      scope: 'openid',
      redirect_uri: OTHER_REDIRECT,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      state: 'x',
      nonce: 'y',
    }))
      other.searchParams.set(k, v);
    const otherBack = await authorize(other.href, 'eve-sub');
    expect(otherBack.origin + otherBack.pathname).toBe(OTHER_REDIRECT);
    const fresh = await start(api);
    const foreign = new URL(REDIRECT);
    foreign.searchParams.set('code', otherBack.searchParams.get('code') ?? '');
    foreign.searchParams.set('state', new URL(fresh.url).searchParams.get('state') ?? '');
    foreign.searchParams.set('iss', issuer);
    expect(await refused(() => callback(api, foreign, fresh.cookie))).toMatch(/grant|client/i);
  });

  it('refuses an ID token whose nonce is not the one of this sign-in', async () => {
    accounts.set('nina-sub', { email: 'nina@example.com', email_verified: true });
    const api = makeApi(registry, settings({ autoCreateRole: 'viewer' }));
    const started = await start(api);
    const swapped = new URL(started.url);
    swapped.searchParams.set('nonce', 'a-nonce-the-factory-never-made');
    const back = await authorize(swapped.href, 'nina-sub');
    expect(await refused(() => callback(api, back, started.cookie))).toMatch(/nonce/);
  });

  it('refuses a sign-in state older than 10 minutes', async () => {
    accounts.set('olga-sub', { email: 'olga@example.com', email_verified: true });
    const sessions = new Sessions(registry);
    const t0 = Date.now();
    const early = new OidcLogin(settings({ autoCreateRole: 'viewer' }), registry, sessions, () => t0);
    const late = new OidcLogin(
      settings({ autoCreateRole: 'viewer' }),
      registry,
      sessions,
      () => t0 + 601_000,
    );
    const started = await early.start();
    const back = await authorize(started.url, 'olga-sub');
    const before = count('mcpf_sessions');
    await expect(late.callback(back, started.cookie, null)).rejects.toMatchObject({
      code: 'AUTH_OIDC_FAILED',
      message: expect.stringMatching(/10 minutes/),
    });
    expect(count('mcpf_sessions')).toBe(before);
  });

  it('refuses unknown identities without auto-create, unverified emails, other domains and disabled users', async () => {
    accounts.set('frank-sub', {
      email: 'frank@example.com',
      email_verified: true,
      preferred_username: 'frank',
    });
    accounts.set('gina-sub', { email: 'gina@example.com', email_verified: false });
    accounts.set('hal-sub', { email: 'hal@evil.test', email_verified: true });
    const closed = makeApi(registry, settings());
    const s1 = await start(closed);
    expect(
      await refused(async () => callback(closed, await authorize(s1.url, 'frank-sub'), s1.cookie)),
    ).toMatch(/no user is linked/);
    expect(await registry.identity.getUser('frank')).toBeUndefined();
    expect((await registry.identity.listLogins({ name: 'frank@example.com', limit: 1 }))[0]).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^oidc: no user is linked/),
    });

    const open = makeApi(
      registry,
      settings({ autoCreateRole: 'developer', allowedDomains: ['example.com'] }),
    );
    const s2 = await start(open);
    expect(await refused(async () => callback(open, await authorize(s2.url, 'gina-sub'), s2.cookie))).toMatch(
      /not verified/,
    );
    const s3 = await start(open);
    expect(await refused(async () => callback(open, await authorize(s3.url, 'hal-sub'), s3.cookie))).toMatch(
      /evil\.test is not allowed/,
    );

    // An administrator links frank to an existing user; disabled, it is refused; enabled, it signs in.
    await registry.identity.createUser({
      name: 'francis',
      role: 'operator',
      oidcSubject: `${issuer}|frank-sub`,
    });
    await registry.identity.updateUser('francis', { disabled: true });
    const s4 = await start(closed);
    expect(
      await refused(async () => callback(closed, await authorize(s4.url, 'frank-sub'), s4.cookie)),
    ).toMatch(/disabled/);
    expect((await registry.identity.listLogins({ name: 'francis', limit: 1 }))[0]?.reason).toBe(
      'oidc: user disabled',
    );
    await registry.identity.updateUser('francis', { disabled: false });
    const s5 = await start(closed);
    const r = await callback(closed, await authorize(s5.url, 'frank-sub'), s5.cookie);
    expect(r.status).toBe(200);
    expect(r.body.user).toMatchObject({ name: 'francis', role: 'operator' });
  });

  it('answers 404 on both routes when OIDC is not configured', async () => {
    const api = makeApi(registry, undefined);
    for (const path of ['/auth/oidc/start', '/auth/oidc/callback?code=x&state=y']) {
      const res = await call(api, path);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { message: string }).message).toMatch(/MCP_FACTORY_OIDC_ISSUER/);
    }
  });
});

describe('OIDC settings', () => {
  it('are read from MCP_FACTORY_OIDC_* all together', () => {
    expect(loadConfig({}).oidc).toBeUndefined();
    const env = {
      MCP_FACTORY_OIDC_ISSUER: 'https://id.example.com/realms/main',
      MCP_FACTORY_OIDC_CLIENT_ID: 'factory',
      MCP_FACTORY_OIDC_CLIENT_SECRET: 's3cret',
      MCP_FACTORY_OIDC_REDIRECT_URI: 'https://factory.example.com/auth/oidc/callback',
      MCP_FACTORY_OIDC_AUTO_CREATE_ROLE: 'viewer',
      MCP_FACTORY_OIDC_ALLOWED_DOMAINS: 'Example.com, example.org',
    };
    expect(loadConfig(env).oidc).toEqual({
      issuer: env.MCP_FACTORY_OIDC_ISSUER,
      clientId: 'factory',
      clientSecret: 's3cret',
      redirectUri: env.MCP_FACTORY_OIDC_REDIRECT_URI,
      autoCreateRole: 'viewer',
      allowedDomains: ['example.com', 'example.org'],
    });
    const { MCP_FACTORY_OIDC_REDIRECT_URI: _r, ...noRedirect } = env;
    expect(() => loadConfig(noRedirect)).toThrow(/MCP_FACTORY_OIDC_REDIRECT_URI/);
    expect(loadConfig(noRedirect, { onInvalid: 'default' }).oidc).toBeUndefined();
    expect(() => loadConfig({ ...env, MCP_FACTORY_OIDC_AUTO_CREATE_ROLE: 'service' })).toThrow(
      /AUTO_CREATE_ROLE/,
    );
    expect(() => loadConfig({ ...env, MCP_FACTORY_OIDC_ALLOWED_DOMAINS: 'a b' })).toThrow(/ALLOWED_DOMAINS/);
    expect(configVariable('MCP_FACTORY_OIDC_AUTO_CREATE_ROLE').values).toEqual([...USER_ROLES]);
  });

  it('refuse a plain-http issuer that is not on loopback, and mark the cookie Secure for https', () => {
    const sessions = new Sessions(registry);
    expect(() => new OidcLogin(settings({ issuer: 'http://id.example.com' }), registry, sessions)).toThrow(
      /https/,
    );
    expect(() => new OidcLogin(settings({ autoCreateRole: 'service' }), registry, sessions)).toThrow(/role/);
    expect(oidcCookie('v', 'https://factory.example.com/auth/oidc/callback')).toMatch(/; Secure$/);
  });
});
