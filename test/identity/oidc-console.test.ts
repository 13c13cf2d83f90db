/**
 * OIDC sign-in of the web console (`/auth/oidc/start?console=1`) against a REAL local provider: the callback
 * ends in the console's cookie session and a redirect to the console's fixed path. Whether a sign-in is a
 * console one is sealed in the state at start: attacks (a forged state, a console flag added on the callback,
 * a redirect target injected) are checked by effect — no session cookie set, no session row, no redirect
 * anywhere but /ui/.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOidcCookie } from '../../src/identity/oidc-login.js';
import type { Registry } from '../../src/store/index.js';
import { type OidcApi, REDIRECT, startOidcApi } from './oidc-api.js';
import { authorize, type FakeProvider } from './oidc-provider.js';

let oidc: OidcApi;
let provider: FakeProvider;
let home = '';
let registry: Registry;

const call = (path: string, headers: Record<string, string> = {}) => oidc.call(path, headers);

/** Start a sign-in at `path` and pass the provider as `login`: the callback URL and the sealed state. */
async function signInAt(path: string, login: string): Promise<{ back: URL; sealed: string; location: URL }> {
  const res = await call(path);
  expect(res.status).toBe(302);
  const sealed = readOidcCookie((res.headers.get('set-cookie') ?? '').split(';')[0] ?? '');
  if (!sealed) throw new Error('no state cookie');
  const location = new URL(res.headers.get('location') ?? '');
  return { back: await authorize(provider.issuer, location.href, login), sealed, location };
}

async function finish(back: URL | string, sealed: string) {
  const res = await call(String(back), { cookie: `mcpf_oidc=${sealed}` });
  const cookies = res.headers.getSetCookie();
  const named = (name: string) => cookies.find((c) => c.startsWith(`${name}=`) && !/Max-Age=0/i.test(c));
  return { res, cookies, named, text: await res.text() };
}

function sessionRows(): number {
  const db = new Database(join(home, 'registry.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM mcpf_sessions').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  oidc = await startOidcApi({
    prefix: 'oidc-console',
    accounts: { 'ann-sub': { email: 'ann@example.com', email_verified: true, preferred_username: 'ann' } },
    settings: { autoCreateRole: 'developer' },
  });
  ({ provider, home, registry } = oidc);
});

afterAll(async () => {
  await oidc?.close();
});

describe('OIDC sign-in of the console', () => {
  it('ends in the cookie session and a redirect to /ui/', async () => {
    const { back, sealed } = await signInAt('/auth/oidc/start?console=1', 'ann-sub');
    const before = sessionRows();
    const r = await finish(back, sealed);
    expect(r.res.status, r.text).toBe(302);
    expect(r.res.headers.get('location')).toBe('/ui/');
    expect(r.res.headers.get('cache-control')).toBe('no-store');
    expect(r.cookies.some((c) => /^mcpf_oidc=; .*Max-Age=0/.test(c))).toBe(true);
    const session = r.named('mcpf_session');
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Strict/);
    expect(r.named('mcpf_csrf')).toBeTruthy();
    expect(r.named('mcpf_refresh')).toMatch(/HttpOnly/);
    // No token in the body or the location: the browser holds the session only in its HttpOnly cookie.
    expect(r.text).toBe('');
    expect(sessionRows()).toBe(before + 1);

    // The cookie is a working session of the OIDC user.
    const cookie = ['mcpf_session', 'mcpf_csrf'].map((n) => r.named(n)?.split(';')[0] ?? '').join('; ');
    const me = await call('/auth/me', { cookie });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ name: 'ann', kind: 'user', role: 'developer' });
    const audit = await registry.listAudit({ limit: 10 });
    expect(audit.some((e) => e.action === 'auth.console-session' && e.target === 'user:ann')).toBe(true);
  });

  it('answers an API sign-in with JSON tokens and no cookie session, even with console=1 added on the callback', async () => {
    const { back, sealed } = await signInAt('/auth/oidc/start', 'ann-sub');
    back.searchParams.set('console', '1');
    const r = await finish(back, sealed);
    expect(r.res.status, r.text).toBe(200);
    expect(r.res.headers.get('location')).toBeNull();
    expect(r.named('mcpf_session')).toBeUndefined();
    expect(r.named('mcpf_refresh')).toBeUndefined();
    expect(JSON.parse(r.text)).toMatchObject({ tokenType: 'Bearer', user: { name: 'ann' } });
  });

  it('refuses a forged state: no cookie set, no session row', async () => {
    const { back, sealed } = await signInAt('/auth/oidc/start?console=1', 'ann-sub');
    const before = sessionRows();
    const wrong = new URL(back);
    wrong.searchParams.set('state', 'attacker-state');
    const forged = await finish(wrong, sealed);
    expect(forged.res.status).toBe(401);
    expect(JSON.parse(forged.text).error).toBe('AUTH_OIDC_FAILED');
    // A sealed state of the attacker's own making (the console flag cannot be added without the key).
    const parts = sealed.split('.');
    const body = parts[3] ?? '';
    parts[3] = `${body[0] === 'A' ? 'B' : 'A'}${body.slice(1)}`;
    const tampered = await finish(back, parts.join('.'));
    expect(tampered.res.status).toBe(401);
    const missing = await finish(back, '');
    expect(missing.res.status).toBe(401);
    for (const r of [forged, tampered, missing]) {
      expect(r.named('mcpf_session')).toBeUndefined();
      expect(r.named('mcpf_csrf')).toBeUndefined();
      expect(r.res.headers.get('location')).toBeNull();
    }
    expect(sessionRows()).toBe(before);
  });

  it('never redirects to a target from the request', async () => {
    const injected =
      '/auth/oidc/start?console=1&redirect=https://evil.example/&next=//evil.example&returnTo=https://evil.example&redirect_uri=https://evil.example/cb';
    const { back, sealed, location } = await signInAt(injected, 'ann-sub');
    // The provider is sent the configured redirect URI, nothing from the query.
    expect(location.origin).toBe(provider.issuer);
    expect(location.searchParams.get('redirect_uri')).toBe(REDIRECT);
    expect(location.href).not.toContain('evil');
    expect(back.origin + back.pathname).toBe(REDIRECT);
    for (const [k, v] of [
      ['redirect', 'https://evil.example/'],
      ['next', '//evil.example'],
      ['redirect_uri', 'https://evil.example/cb'],
      ['console', '0'],
    ] as const)
      back.searchParams.set(k, v);
    const r = await finish(back, sealed);
    expect(r.res.status, r.text).toBe(302);
    expect(r.res.headers.get('location')).toBe('/ui/');
  });
});
