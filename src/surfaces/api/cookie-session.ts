/**
 * Cookie sessions for the web console. `mcpf_session` (HttpOnly, SameSite=Strict) holds the caller's credential —
 * an API token or a session access token — and, after a password sign-in, `mcpf_refresh` (HttpOnly) the refresh
 * token: an access token about to expire is refreshed transparently and both cookies are replaced on the answer.
 * `mcpf_csrf` is readable by the page and derived from the session cookie (sha256), so it is worthless without
 * the session it belongs to. A cookie-authenticated request must come from this origin (Origin, Sec-Fetch-Site)
 * and, when unsafe (POST, PUT, PATCH, DELETE), send `x-csrf-token` equal to both the csrf cookie and the value
 * derived from its session cookie; otherwise it is refused with CSRF_FAILED before anything runs. A request with an
 * Authorization header ignores the cookies entirely (bearer callers are unaffected).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { decodeJwt } from 'jose';
import { FactoryError } from '../../core/errors/index.js';
import type { AccessControl, Principal } from '../../identity/access.js';
import type { IssuedTokens } from '../../identity/sessions.js';
import { isLoopback } from '../http/node.js';

export const SESSION_COOKIE = 'mcpf_session';
export const REFRESH_COOKIE = 'mcpf_refresh';
export const CSRF_COOKIE = 'mcpf_csrf';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Refresh an access token this long before it expires, so a request never races its expiry. */
const REFRESH_MARGIN_SECONDS = 30;
/** How long a refresh's result is reused for the same refresh token (parallel requests of one page). */
const REFRESH_REUSE_MS = 60_000;
const MAX_COOKIE_VALUE = 4096;

export function parseCookies(header: string | null): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    // The first occurrence wins: browsers send the most specific path first.
    if (!cookies.has(name) && value.length <= MAX_COOKIE_VALUE) cookies.set(name, value);
  }
  return cookies;
}

/** The CSRF value of a session cookie: derivable only by who holds the session cookie (or the server). */
export function csrfFor(sessionValue: string): string {
  return createHash('sha256').update(`mcpf-csrf\0${sessionValue}`, 'utf8').digest('base64url');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const csrfFailed = (message: string) =>
  new FactoryError('CSRF_FAILED', message, { details: { reason: 'csrf' } });

/** Refuse a cookie request that a page of another origin could have made. */
export function checkSameOrigin(request: Request, url: URL): void {
  const origin = request.headers.get('origin');
  // Host only: behind a TLS proxy the page is https while this process sees http. Ports count (same site, other app).
  if (origin !== null && hostOf(origin) !== url.host)
    throw csrfFailed(`a cookie session is not accepted from origin ${origin.slice(0, 200)}`);
  const site = request.headers.get('sec-fetch-site');
  if (site === 'cross-site' || site === 'same-site')
    throw csrfFailed('a cookie session is not accepted from another site');
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

export interface CookieAuth {
  principal: Principal;
  /** The credential the session stands for (after a refresh, the new access token). */
  credential: string;
  /** Set-Cookie values to add to the answer (after a transparent refresh). */
  setCookies: string[];
}

/** Whether cookies must be Secure: everywhere except plain http on a loopback address. */
function secureFor(url: URL): boolean {
  return !(url.protocol === 'http:' && isLoopback(url.hostname.replace(/^\[|\]$/g, '')));
}

function cookie(name: string, value: string, url: URL, options: { httpOnly: boolean; maxAge?: number }) {
  const parts = [`${name}=${value}`, 'Path=/', 'SameSite=Strict'];
  if (options.httpOnly) parts.push('HttpOnly');
  if (secureFor(url)) parts.push('Secure');
  if (options.maxAge !== undefined) parts.push(`Max-Age=${options.maxAge}`);
  return parts.join('; ');
}

export class CookieSessions {
  readonly #access: AccessControl;
  readonly #refreshed = new Map<string, { at: number; issued: Promise<IssuedTokens> }>();

  constructor(access: AccessControl) {
    this.#access = access;
  }

  /** Set-Cookie values that open a session holding `credential` (and a refresh token after a password sign-in). */
  issue(url: URL, credential: string, refreshToken?: string): string[] {
    const ttl = this.#access.sessions?.settings.sessionTtlSeconds;
    const cookies = [
      cookie(SESSION_COOKIE, credential, url, { httpOnly: true }),
      cookie(CSRF_COOKIE, csrfFor(credential), url, { httpOnly: false }),
    ];
    if (refreshToken)
      cookies.push(
        cookie(REFRESH_COOKIE, refreshToken, url, {
          httpOnly: true,
          ...(ttl !== undefined ? { maxAge: ttl } : {}),
        }),
      );
    return cookies;
  }

  /** Set-Cookie values that remove every console cookie. */
  clear(url: URL): string[] {
    return [SESSION_COOKIE, CSRF_COOKIE, REFRESH_COOKIE].map((name) =>
      cookie(name, '', url, { httpOnly: name !== CSRF_COOKIE, maxAge: 0 }),
    );
  }

  /** Whether the request would be authenticated by its cookies (no Authorization header, a session cookie). */
  carriesSession(request: Request): boolean {
    return (
      !request.headers.has('authorization') && parseCookies(request.headers.get('cookie')).has(SESSION_COOKIE)
    );
  }

  /** The same-origin and CSRF checks of a cookie request; returns the session cookie's value. */
  verifyRequest(request: Request, url: URL): string {
    const cookies = parseCookies(request.headers.get('cookie'));
    const session = cookies.get(SESSION_COOKIE);
    if (!session)
      throw new FactoryError('API_UNAUTHORIZED', 'no session cookie', { details: { reason: 'missing' } });
    checkSameOrigin(request, url);
    if (!SAFE_METHODS.has(request.method)) {
      const header = request.headers.get(CSRF_HEADER);
      const fromCookie = cookies.get(CSRF_COOKIE);
      if (!header || !fromCookie)
        throw csrfFailed(`send the ${CSRF_HEADER} header with the value of the ${CSRF_COOKIE} cookie`);
      if (!sameText(header, fromCookie) || !sameText(header, csrfFor(session)))
        throw csrfFailed(`the ${CSRF_HEADER} header does not match this session; sign in again`);
    }
    return session;
  }

  /**
   * The caller of a request authenticated by its cookies, or undefined when it has none (or an Authorization
   * header). Throws CSRF_FAILED or API_UNAUTHORIZED.
   */
  async authenticate(request: Request, url: URL): Promise<CookieAuth | undefined> {
    if (!this.carriesSession(request)) return undefined;
    let credential = this.verifyRequest(request, url);
    const setCookies: string[] = [];
    const refreshToken = parseCookies(request.headers.get('cookie')).get(REFRESH_COOKIE);
    if (refreshToken && this.#access.sessions && expiresSoon(credential)) {
      const issued = await this.#refresh(refreshToken);
      credential = issued.accessToken;
      setCookies.push(...this.issue(url, issued.accessToken, issued.refreshToken));
    }
    const principal = await this.principalOf(credential);
    return { principal, setCookies, credential };
  }

  /** The caller a credential (API token or access token) stands for; throws API_UNAUTHORIZED. */
  principalOf(credential: string): Promise<Principal> {
    if (!/^[\x21-\x7e]+$/.test(credential) || credential.length > MAX_COOKIE_VALUE)
      throw new FactoryError('API_UNAUTHORIZED', 'invalid session cookie', {
        details: { reason: 'invalid' },
      });
    return this.#access.authenticate(
      new Request('http://cookie.invalid/', { headers: { authorization: `Bearer ${credential}` } }),
    );
  }

  /** One refresh per refresh token: parallel requests of a page share it (a second use would end the session). */
  #refresh(refreshToken: string): Promise<IssuedTokens> {
    const now = Date.now();
    const known = this.#refreshed.get(refreshToken);
    if (known && now - known.at < REFRESH_REUSE_MS) return known.issued;
    for (const [key, entry] of this.#refreshed)
      if (now - entry.at >= REFRESH_REUSE_MS) this.#refreshed.delete(key);
    const sessions = this.#access.sessions;
    if (!sessions) return Promise.reject(new FactoryError('API_UNAUTHORIZED', 'sessions are disabled'));
    const issued = sessions.refresh(refreshToken).catch((error: unknown) => {
      throw error instanceof FactoryError && error.code === 'AUTH_INVALID_REFRESH'
        ? new FactoryError('API_UNAUTHORIZED', 'the console session ended; sign in again', {
            details: { reason: 'invalid' },
          })
        : error;
    });
    this.#refreshed.set(refreshToken, { at: now, issued });
    return issued;
  }
}

function expiresSoon(credential: string): boolean {
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(credential)) return false;
  try {
    const { exp } = decodeJwt(credential);
    return typeof exp === 'number' && exp - REFRESH_MARGIN_SECONDS <= Date.now() / 1000;
  } catch {
    return false;
  }
}
