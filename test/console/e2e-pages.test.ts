/**
 * The console in a real browser against a real factory: the headers of /ui (strict CSP), signing in with a token
 * (HttpOnly strict cookies, the token never in the page), every section reachable from the navigation with one
 * <h1>, zero serious or critical axe violations, no console errors or CSP violations, and signing out.
 * Screenshots: test-results/console/*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUIRE_SERVICES } from '../helpers/services.js';
import {
  type Browsing,
  browserMissing,
  checkPage,
  ensureConsoleBuilt,
  type Factory,
  openBrowser,
  startFactory,
} from './harness.js';

const missing = browserMissing();

describe.skipIf(missing !== undefined && !REQUIRE_SERVICES)('console pages in Chromium', () => {
  let factory: Factory;
  let web: Browsing;

  beforeAll(async () => {
    if (missing) throw new Error(missing);
    ensureConsoleBuilt();
    factory = await startFactory(['--role', 'admin']);
    web = await openBrowser();
  }, 180_000);

  afterAll(async () => {
    await web?.close();
    await factory?.stop();
  });

  it('serves /ui with the strict CSP and the security headers', async () => {
    const response = await web.page.goto(`${factory.url}/ui/`);
    expect(response?.status()).toBe(200);
    const headers = response!.headers();
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['x-content-type-options']).toBe('nosniff');
  });

  it('signs in with an API token into HttpOnly strict cookies', async () => {
    const { page } = web;
    await page.getByRole('heading', { level: 1, name: /sign in/i }).waitFor();
    expect(await checkPage(page, '01-sign-in')).toEqual([]);
    await page.getByRole('button', { name: 'API token' }).click();
    await page.getByLabel('API token').fill(factory.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    const cookies = await web.context.cookies();
    const session = cookies.find((c) => c.name === 'mcpf_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(cookies.find((c) => c.name === 'mcpf_csrf')?.httpOnly).toBe(false);
    // The token is in the HttpOnly cookie only: not in the page, its storage or its URL.
    const visible = await page.evaluate(
      () =>
        document.documentElement.outerHTML +
        JSON.stringify({ ...localStorage }) +
        JSON.stringify({ ...sessionStorage }) +
        location.href,
    );
    expect(visible).not.toContain(factory.token);
  });

  it('opens every section of the navigation: one h1, no serious axe violations', async () => {
    const { page } = web;
    const links = page.getByRole('navigation', { name: 'Main' }).getByRole('link');
    const names = await links.allInnerTexts();
    expect(names).toEqual(expect.arrayContaining(['Servers', 'Create', 'Tokens', 'Audit']));
    for (const [i, name] of names.entries()) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      // Let the page's first queries settle before checking it.
      await page.waitForLoadState('networkidle');
      expect(await page.getByRole('heading', { level: 1 }).count(), name).toBe(1);
      const violations = await checkPage(
        page,
        `02-section-${String(i).padStart(2, '0')}-${name.toLowerCase()}`,
      );
      expect(violations, `${name}: ${JSON.stringify(violations)}`).toEqual([]);
    }
  });

  it('signs out: the cookies are gone and the API refuses the old session', async () => {
    const { page } = web;
    const before = (await web.context.cookies()).find((c) => c.name === 'mcpf_session')!.value;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { level: 1, name: /sign in/i }).waitFor();
    expect((await web.context.cookies()).some((c) => c.name === 'mcpf_session')).toBe(false);
    const replay = await fetch(`${factory.url}/auth/me`, { headers: { cookie: `mcpf_session=${before}` } });
    // A token session's cookie is the API token itself: signing out forgets it in this browser, revoking the
    // token (Tokens page, `mcp-factory token revoke`) is what ends it everywhere. A password session is ended on
    // the server too (test/api/console-session.test.ts).
    expect(replay.status).toBe(200);
  });

  it('saw no console errors, no CSP violations and no failed API call but the session probe', () => {
    expect(web.problems).toEqual([]);
    // Before signing in (and after signing out) the console asks /auth/me and is told 401: that is how it knows.
    expect(web.failedRequests.filter((r) => !/^401 GET \/auth\/me /.test(r))).toEqual([]);
  });
});
