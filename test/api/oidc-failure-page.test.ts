/**
 * A failed OIDC callback seen from a browser: a small HTML page under the console's CSP that says what went
 * wrong (declined at the provider, a state that is not this browser's, an unknown identity) and links back to
 * /ui/ — with the request's error text escaped, the state cookie cleared and no session set. An API caller
 * (no text/html in Accept) still gets the JSON error. Against a real local OIDC provider.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOidcCookie } from '../../src/identity/oidc-login.js';
import { CONSOLE_CSP } from '../../src/surfaces/console/static.js';
import { type OidcApi, REDIRECT, startOidcApi } from '../identity/oidc-api.js';
import { authorize, type FakeProvider } from '../identity/oidc-provider.js';

/** What a browser sends when it follows a redirect to a page. */
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>';

let oidc: OidcApi;
let provider: FakeProvider;

const call = (url: string, headers: Record<string, string> = {}) => oidc.call(url, headers);

/** A console sign-in started in this "browser": its sealed state cookie and the state the provider got. */
async function started(): Promise<{ sealed: string; state: string; location: string }> {
  const res = await call('/auth/oidc/start?console=1');
  expect(res.status).toBe(302);
  const sealed = readOidcCookie((res.headers.get('set-cookie') ?? '').split(';')[0] ?? '');
  const location = res.headers.get('location') ?? '';
  const state = new URL(location).searchParams.get('state');
  if (!sealed || !state) throw new Error('no sign-in state');
  return { sealed, state, location };
}

async function page(res: Response) {
  const cookies = res.headers.getSetCookie();
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    csp: res.headers.get('content-security-policy'),
    text: await res.text(),
    session: cookies.some((c) => /^mcpf_(session|csrf|refresh)=[^;]/.test(c)),
    stateCleared: cookies.some((c) => /^mcpf_oidc=; .*Max-Age=0/.test(c)),
  };
}

beforeAll(async () => {
  // No auto-created users: an identity without a linked user is refused.
  oidc = await startOidcApi({
    prefix: 'oidc-failure',
    accounts: { 'stranger-sub': { email: 'stranger@elsewhere.example', email_verified: true } },
  });
  ({ provider } = oidc);
});

afterAll(async () => {
  await oidc?.close();
});

describe('a failed OIDC callback in a browser', () => {
  it('declined at the provider: an HTML page that says so, escapes the reflected text and links to /ui/', async () => {
    const { sealed, state } = await started();
    const back = new URL(REDIRECT);
    back.search = new URLSearchParams({ error: 'access_denied', error_description: XSS, state }).toString();
    const r = await page(await call(back.href, { cookie: `mcpf_oidc=${sealed}`, accept: BROWSER }));
    expect(r.status).toBe(401);
    expect(r.type).toBe('text/html; charset=utf-8');
    expect(r.csp).toBe(CONSOLE_CSP);
    expect(r.text).toContain('<h1>Sign-in failed</h1>');
    expect(r.text).toContain('declined at the identity provider');
    expect(r.text).toContain('<a href="/ui/">');
    // The provider's text (from the query) is there, but only as text.
    expect(r.text).toContain(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;',
    );
    expect(r.text).not.toMatch(/<script|<img|onerror=alert\(1\)>/);
    expect(r.stateCleared).toBe(true);
    expect(r.session).toBe(false);
  });

  it('a state that is not this browser’s (missing, forged): the page says to start again', async () => {
    const { sealed, state } = await started();
    const back = `${REDIRECT}?code=abc&state=${encodeURIComponent(state)}`;
    for (const cookie of ['', `mcpf_oidc=${sealed.slice(0, -2)}xx`]) {
      const r = await page(await call(back, { cookie, accept: BROWSER }));
      expect(r.status).toBe(401);
      expect(r.type).toBe('text/html; charset=utf-8');
      expect(r.text).toContain('does not belong to this browser session');
      expect(r.text).toContain('AUTH_OIDC_FAILED');
      expect(r.session).toBe(false);
    }
  });

  it('an identity no factory user may use: the page says whom to ask', async () => {
    const { location, sealed } = await started();
    const back = await authorize(provider.issuer, location, 'stranger-sub');
    const r = await page(await call(back.href, { cookie: `mcpf_oidc=${sealed}`, accept: BROWSER }));
    expect(r.status).toBe(401);
    expect(r.text).toContain('Ask an administrator to add or link your account');
    expect(r.session).toBe(false);
  });

  it('an API caller still gets the JSON error', async () => {
    const { sealed, state } = await started();
    const back = `${REDIRECT}?error=access_denied&state=${encodeURIComponent(state)}`;
    for (const accept of ['application/json', '*/*']) {
      const res = await call(back, { cookie: `mcpf_oidc=${sealed}`, accept });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(((await res.json()) as { error: string }).error).toBe('AUTH_OIDC_FAILED');
    }
  });
});
