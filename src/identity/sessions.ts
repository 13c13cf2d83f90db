/**
 * Sign-in sessions of factory users. Signing in (a password, or an OIDC login that ends in `start`) opens a
 * session and returns a short-lived JWT access token (EdDSA, 15 minutes by default, naming the session) and a
 * refresh token (`mcpfr_…`, stored only as sha256). Each refresh returns a new pair and marks the old refresh
 * token used; a used one presented again is a replay and ends the session. Logout ends the session.
 *
 * An access token is accepted only while its session lives and its user is enabled: that state is read from
 * the registry and cached for at most `stateCacheMs` (1 s), so logout, a disabled user or a changed role take
 * effect everywhere — every process of the factory — within a second. Role and team come from the user record,
 * not from the token. Failed sign-ins are throttled per user name across processes (the login history is the
 * counter): after 5 failures in 15 minutes each attempt waits 1 s, doubling per failure, at most 15 minutes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { FactoryError } from '../core/errors/index.js';
import type { Registry, SessionState, UserRecord } from '../store/index.js';
import { verifyPassword } from './passwords.js';
import { SIGNING_ALG, SigningKeys } from './signing-keys.js';
import { VerifiedTokens } from './verified-tokens.js';

export const REFRESH_PREFIX = 'mcpfr_';
const ISSUER = 'mcp-factory';
const AUDIENCE = 'mcp-factory';

export interface SessionSettings {
  accessTtlSeconds: number;
  sessionTtlSeconds: number;
  stateCacheMs: number;
  /** Failures allowed in the window before attempts wait. */
  freeFailures: number;
  windowMs: number;
  maxDelaySeconds: number;
}

export const DEFAULT_SESSION_SETTINGS: SessionSettings = {
  accessTtlSeconds: 900,
  sessionTtlSeconds: 30 * 24 * 3600,
  stateCacheMs: 1000,
  freeFailures: 5,
  windowMs: 15 * 60_000,
  maxDelaySeconds: 900,
};

export interface IssuedTokens {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
  sessionId: string;
  user: UserRecord;
}

/** A verified access token: its user (as stored now) and session. */
export interface SessionCaller {
  user: UserRecord;
  sessionId: string;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const newRefresh = () => `${REFRESH_PREFIX}${randomBytes(32).toString('base64url')}`;

const unauthorized = (message: string) =>
  new FactoryError('API_UNAUTHORIZED', message, { details: { reason: 'invalid' } });

export class Sessions {
  readonly keys: SigningKeys;
  readonly settings: SessionSettings;
  readonly #registry: Registry;
  readonly #now: () => number;
  readonly #cache = new Map<string, { at: number; state: SessionState | undefined }>();
  readonly #verified: VerifiedTokens<string>;

  constructor(registry: Registry, settings: Partial<SessionSettings> = {}, now: () => number = Date.now) {
    this.#registry = registry;
    this.settings = { ...DEFAULT_SESSION_SETTINGS, ...settings };
    this.keys = new SigningKeys(registry);
    this.#now = now;
    this.#verified = new VerifiedTokens(now);
  }

  /** Password sign-in; every attempt lands in the login history. */
  async login(name: string, password: string, address: string | null): Promise<IssuedTokens> {
    const identity = this.#registry.identity;
    const waitSeconds = await this.#throttle(name);
    if (waitSeconds > 0)
      throw new FactoryError(
        'AUTH_THROTTLED',
        `too many failed sign-ins for "${name}"; try again in ${waitSeconds} s`,
        { details: { retryAfterSeconds: waitSeconds } },
      );
    const found = await identity.passwordHashOf(name);
    const ok = await verifyPassword(found?.hash, password);
    const refused = !found
      ? 'unknown user'
      : !ok
        ? 'wrong password'
        : found.user.disabledAt
          ? 'user disabled'
          : '';
    if (refused || !found) {
      await identity.recordLogin({ name, ok: false, reason: refused, address });
      // One answer for every refusal: which names exist is not the caller's to learn.
      throw new FactoryError('AUTH_INVALID_CREDENTIALS', 'wrong user name or password');
    }
    await identity.recordLogin({ name, ok: true, reason: 'password', address });
    return this.start(found.user, address);
  }

  /** Open a session for a user who has proved who they are (password or OIDC). */
  async start(user: UserRecord, address: string | null): Promise<IssuedTokens> {
    const sessionId = randomBytes(16).toString('base64url');
    const refreshToken = newRefresh();
    await this.#registry.identity.createSession({
      id: sessionId,
      userId: user.id,
      expiresAt: new Date(this.#now() + this.settings.sessionTtlSeconds * 1000).toISOString(),
      address,
      refreshHash: sha256(refreshToken),
    });
    return this.#issue(user, sessionId, refreshToken);
  }

  /** Trade a refresh token for a new pair. */
  async refresh(refreshToken: string): Promise<IssuedTokens> {
    if (!refreshToken.startsWith(REFRESH_PREFIX) || refreshToken.length > 200)
      throw new FactoryError('AUTH_INVALID_REFRESH', 'not a refresh token');
    const next = newRefresh();
    const outcome = await this.#registry.identity.rotateRefresh(
      sha256(refreshToken),
      sha256(next),
      new Date(this.#now()),
    );
    if (outcome.kind === 'rotated') {
      this.#cache.delete(outcome.session.id);
      return this.#issue(outcome.session.user, outcome.session.id, next);
    }
    if (outcome.kind !== 'unknown') this.#cache.delete(outcome.sessionId);
    const message =
      outcome.kind === 'replayed'
        ? 'this refresh token was used already; its session is ended — sign in again'
        : outcome.kind === 'ended'
          ? `the session ended (${outcome.reason}); sign in again`
          : 'unknown refresh token';
    throw new FactoryError('AUTH_INVALID_REFRESH', message, { details: { reason: outcome.kind } });
  }

  /** End a session (logout); its access tokens stop working within `stateCacheMs`. */
  async end(sessionId: string, reason = 'signed out'): Promise<boolean> {
    const ended = await this.#registry.identity.revokeSession(sessionId, reason);
    this.#cache.delete(sessionId);
    return ended;
  }

  /** Whether a bearer token looks like one of ours (a JWT), before verifying it. */
  static looksLikeAccessToken(token: string): boolean {
    return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token) && token.length < 4096;
  }

  /** Verify an access token; throws API_UNAUTHORIZED (with no detail of why beyond "invalid"/"expired"). */
  async verify(token: string): Promise<SessionCaller> {
    let sid: unknown = this.#verified.get(token);
    if (sid === undefined)
      try {
        const { payload } = await jwtVerify(token, this.keys.resolver, {
          algorithms: [SIGNING_ALG],
          issuer: ISSUER,
          audience: AUDIENCE,
          requiredClaims: ['exp', 'iat', 'sub', 'sid'],
          currentDate: new Date(this.#now()),
        });
        sid = payload.sid;
        if (typeof sid === 'string' && typeof payload.exp === 'number')
          this.#verified.remember(token, sid, payload.exp);
      } catch (error) {
        throw unauthorized(
          error instanceof joseErrors.JWTExpired
            ? 'the access token expired; refresh it'
            : 'invalid access token',
        );
      }
    if (typeof sid !== 'string') throw unauthorized('invalid access token');
    const state = await this.#state(sid);
    if (!state || state.revokedAt || Date.parse(state.expiresAt) <= this.#now() || state.user.disabledAt)
      throw unauthorized('the session of this access token ended; sign in again');
    return { user: state.user, sessionId: sid };
  }

  async #state(sid: string): Promise<SessionState | undefined> {
    const cached = this.#cache.get(sid);
    const now = this.#now();
    if (cached && now - cached.at < this.settings.stateCacheMs) return cached.state;
    const state = await this.#registry.identity.session(sid);
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(sid, { at: now, state });
    return state;
  }

  async #issue(user: UserRecord, sessionId: string, refreshToken: string): Promise<IssuedTokens> {
    const { kid, key } = await this.keys.signer();
    const iat = Math.floor(this.#now() / 1000);
    const accessToken = await new SignJWT({ sid: sessionId, role: user.role, team: user.team })
      .setProtectedHeader({ alg: SIGNING_ALG, kid, typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(user.name)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.settings.accessTtlSeconds)
      .setJti(randomBytes(12).toString('base64url'))
      .sign(key);
    return {
      accessToken,
      tokenType: 'Bearer',
      expiresIn: this.settings.accessTtlSeconds,
      refreshToken,
      sessionId,
      user,
    };
  }

  /** Seconds the next attempt for `name` must wait (0: none). */
  async #throttle(name: string): Promise<number> {
    const since = new Date(this.#now() - this.settings.windowMs).toISOString();
    const { count, last } = await this.#registry.identity.recentFailures(name, since);
    if (count < this.settings.freeFailures || !last) return 0;
    const delay = Math.min(this.settings.maxDelaySeconds, 2 ** (count - this.settings.freeFailures));
    const waitMs = Date.parse(last) + delay * 1000 - this.#now();
    return waitMs > 0 ? Math.ceil(waitMs / 1000) : 0;
  }
}
