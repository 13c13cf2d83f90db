/**
 * OIDC sign-in of factory users: the authorization code flow with PKCE (S256), state and nonce, against any
 * standard provider (Keycloak, Auth0, Google, Azure, …) through `openid-client`, which checks the ID token
 * (signature, issuer, audience, nonce, expiry) and the authorization response (state, RFC 9207 `iss`).
 *
 * `start()` returns the provider URL and a sealed cookie value carrying state, nonce and PKCE verifier:
 * AES-256-GCM (encrypted and authenticated) under a key derived (HKDF) from the factory's current signing key in
 * the registry, with a 10-minute expiry inside — so any process of the factory can open it at the callback, and
 * the browser learns nothing from it. Single use: each process remembers the states it has accepted until
 * they expire (in memory, per process); a replay that reaches another process still fails, because the
 * provider accepts an authorization code once.
 *
 * `callback()` maps the identity (`issuer|sub`) to the user linked to it; an identity no user is linked to is
 * refused unless `autoCreateRole` is set, its email is verified (`email_verified` true, from the ID token or
 * the userinfo endpoint) and its domain allowed — then a user without a team and without a password is created
 * and linked (its name from preferred_username or the email's local part, made valid and unique). Existing
 * users are never linked by email: an administrator links them (`oidcSubject`). A disabled user is refused.
 * Every attempt lands in the login history (reason `oidc`, or `oidc: <why refused>`); every refusal is
 * AUTH_OIDC_FAILED. Success opens a session (Sessions.start).
 *
 * Where the browser goes afterwards is decided at `start()` and sealed with the state (`console`: the web
 * console, which the HTTP surface answers with a cookie session and a redirect to its own fixed path); the
 * callback's query cannot change it, and no caller-given URL is ever a redirect target.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import { FactoryError } from '../core/errors/index.js';
import type { Registry, UserRecord } from '../store/index.js';
import { isRole, USER_ROLES, type UserRole } from './roles.js';
import type { IssuedTokens, Sessions } from './sessions.js';
import { checkName } from './users.js';

export const OIDC_COOKIE = 'mcpf_oidc';
export const OIDC_COOKIE_PATH = '/auth/oidc';
const STATE_TTL_MS = 10 * 60_000;
const SEAL_VERSION = 'v1';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret?: string | undefined;
  redirectUri: string;
  /** Space-separated; default `openid email profile`. */
  scopes?: string | undefined;
  /** Role of users created on first sign-in; undefined: unknown identities are refused. */
  autoCreateRole?: string | undefined;
  /** Email domains (exact, case-insensitive) allowed to auto-create; empty or undefined: any. */
  allowedDomains?: readonly string[] | undefined;
}

export interface OidcStartOptions {
  /** The sign-in was started by the web console: the callback ends in a cookie session, not JSON tokens. */
  console?: boolean | undefined;
}

/** A finished sign-in: the session's tokens and what `start` sealed about where it goes. */
export type OidcSignIn = IssuedTokens & { console: boolean };

export interface OidcStart {
  /** Where to send the browser. */
  url: string;
  state: string;
  /** The sealed cookie value (see oidcCookie). */
  cookie: string;
}

interface Sealed {
  s: string;
  n: string;
  v: string;
  e: number;
  /** Started by the console (absent: an API sign-in). */
  c?: true;
}

type Claims = Record<string, unknown>;

const fail = (reason: string, message: string, cause?: unknown) =>
  new FactoryError('AUTH_OIDC_FAILED', message, {
    details: { reason },
    ...(cause === undefined ? {} : { cause }),
  });

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
/** The email rule of users.ts: an address that does not fit is not stored. */
const EMAIL = /^[^\s@<>"'`\\]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$/;

/** What openid-client's error says: its message, the provider's error code and the underlying check. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const e = error as Error & { error?: unknown; error_description?: unknown };
  const parts = [error.message];
  if (typeof e.error === 'string')
    parts.push(`${e.error}${typeof e.error_description === 'string' ? ` (${e.error_description})` : ''}`);
  else if (error.cause instanceof Error && error.cause.message !== error.message)
    parts.push(error.cause.message);
  return parts.join(': ');
}

/** `Set-Cookie` for the sealed state (Secure when the redirect URI is https). */
export function oidcCookie(value: string, redirectUri: string, maxAgeSeconds = STATE_TTL_MS / 1000): string {
  const secure = new URL(redirectUri).protocol === 'https:' ? '; Secure' : '';
  return `${OIDC_COOKIE}=${value}; Path=${OIDC_COOKIE_PATH}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`;
}

/** `Set-Cookie` that removes the sealed state. */
export function clearOidcCookie(redirectUri: string): string {
  return oidcCookie('', redirectUri, 0);
}

/** The sealed state from a `Cookie` header (undefined when absent). */
export function readOidcCookie(header: string | null): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === OIDC_COOKIE) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** A valid, not yet taken user name from the claims (preferred_username, else the email's local part). */
function baseName(claims: Claims): string {
  const candidates = [
    claims.preferred_username,
    typeof claims.email === 'string' ? claims.email.split('@')[0] : '',
  ];
  for (const candidate of candidates) {
    if (typeof candidate !== 'string') continue;
    const cleaned = candidate
      .replace(/[^A-Za-z0-9._@-]+/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 56)
      .replace(/[._@-]+$/, '');
    if (cleaned) return cleaned;
  }
  return 'user';
}

export class OidcLogin {
  readonly settings: Required<Pick<OidcSettings, 'issuer' | 'clientId' | 'redirectUri' | 'scopes'>> & {
    clientSecret: string | undefined;
    autoCreateRole: UserRole | undefined;
    allowedDomains: string[];
  };
  readonly #registry: Registry;
  readonly #sessions: Sessions;
  readonly #now: () => number;
  readonly #used = new Map<string, number>();
  readonly #sealKeys = new Map<string, Buffer>();
  #config: Promise<client.Configuration> | undefined;

  constructor(settings: OidcSettings, registry: Registry, sessions: Sessions, now: () => number = Date.now) {
    const role = settings.autoCreateRole;
    if (role !== undefined && (!isRole(role) || !(USER_ROLES as readonly string[]).includes(role)))
      throw new FactoryError(
        'CONFIG_INVALID',
        `OIDC auto-create role ${JSON.stringify(role)} is not one of ${USER_ROLES.join(', ')}`,
      );
    for (const [what, value] of [
      ['issuer', settings.issuer],
      ['redirect URI', settings.redirectUri],
    ] as const) {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        throw new FactoryError('CONFIG_INVALID', `OIDC ${what} is not a URL`);
      }
      if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname)))
        throw new FactoryError('CONFIG_INVALID', `OIDC ${what} must be https (http only on a loopback host)`);
    }
    this.settings = {
      issuer: settings.issuer,
      clientId: settings.clientId,
      clientSecret: settings.clientSecret || undefined,
      redirectUri: settings.redirectUri,
      scopes: settings.scopes ?? 'openid email profile',
      autoCreateRole: role as UserRole | undefined,
      allowedDomains: (settings.allowedDomains ?? []).map((d) => d.trim().toLowerCase()).filter(Boolean),
    };
    this.#registry = registry;
    this.#sessions = sessions;
    this.#now = now;
  }

  /** Begin a sign-in: the provider URL to send the browser to, and the sealed cookie to set. */
  async start(options: OidcStartOptions = {}): Promise<OidcStart> {
    const config = await this.#configuration();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUri,
      scope: this.settings.scopes,
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const cookie = await this.#seal({
      s: state,
      n: nonce,
      v: verifier,
      e: this.#now() + STATE_TTL_MS,
      ...(options.console ? { c: true as const } : {}),
    });
    return { url: url.href, state, cookie };
  }

  /**
   * Finish a sign-in: `currentUrl` is the callback request's URL (only its query is used: the redirect URI
   * of the settings is the one the provider knows), `cookie` the sealed value `start` gave.
   */
  async callback(
    currentUrl: string | URL,
    cookie: string | undefined,
    address: string | null,
  ): Promise<OidcSignIn> {
    const incoming = new URL(currentUrl);
    const callbackUrl = new URL(this.settings.redirectUri);
    callbackUrl.search = incoming.search;
    const history = (name: string, reason: string, ok = false) =>
      this.#registry.identity.recordLogin({ name: name.slice(0, 200), ok, reason, address });
    let sealed: Sealed;
    try {
      sealed = await this.#open(cookie);
    } catch (error) {
      await history('(oidc)', `oidc: ${(error as FactoryError).details?.reason ?? 'bad state'}`);
      throw error;
    }
    const providerError = incoming.searchParams.get('error');
    if (providerError) {
      await history('(oidc)', `oidc: provider error ${providerError.slice(0, 60)}`);
      const description = incoming.searchParams.get('error_description')?.slice(0, 200);
      throw fail(
        'provider',
        `the provider refused the sign-in: ${providerError.slice(0, 60)}${description ? ` (${description})` : ''}`,
      );
    }
    if (incoming.searchParams.get('state') !== sealed.s) {
      await history('(oidc)', 'oidc: state mismatch');
      throw fail('state', "the state of the callback does not match this browser's sign-in");
    }
    this.#prune();
    if (this.#used.has(sealed.s)) {
      await history('(oidc)', 'oidc: state reused');
      throw fail('replayed', 'this sign-in was completed already');
    }
    this.#used.set(sealed.s, sealed.e);

    const config = await this.#configuration();
    let claims: Claims;
    try {
      const tokens = await client.authorizationCodeGrant(
        config,
        callbackUrl,
        {
          pkceCodeVerifier: sealed.v,
          expectedState: sealed.s,
          expectedNonce: sealed.n,
          idTokenExpected: true,
        },
        { redirect_uri: this.settings.redirectUri },
      );
      claims = { ...(tokens.claims() ?? {}) };
      const sub = claims.sub;
      if (typeof sub !== 'string') throw new Error('the ID token has no subject');
      if ((claims.email === undefined || claims.email_verified === undefined) && tokens.access_token) {
        if (config.serverMetadata().userinfo_endpoint) {
          const info = await client.fetchUserInfo(config, tokens.access_token, sub);
          // The address and whether it is verified come from one source, never half from each.
          if (info.email !== undefined) {
            claims.email = info.email;
            claims.email_verified = info.email_verified;
          }
          if (claims.preferred_username === undefined) claims.preferred_username = info.preferred_username;
        }
      }
    } catch (error) {
      const why = describe(error);
      await history('(oidc)', `oidc: ${why.slice(0, 120)}`);
      throw fail('exchange', `the provider's answer was refused: ${why.slice(0, 300)}`, error);
    }
    const issuer = String(claims.iss ?? this.settings.issuer);
    const subject = `${issuer}|${String(claims.sub)}`;
    const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : undefined;
    const label = email ?? subject;

    let user = await this.#registry.identity.userByOidcSubject(subject);
    if (!user) {
      const refused = this.#autoCreateRefusal(claims, email);
      if (refused) {
        await history(label, `oidc: ${refused}`);
        throw fail('unknown identity', `no factory user may sign in with this identity: ${refused}`);
      }
      user = await this.#create(claims, subject, email);
    }
    if (user.disabledAt) {
      await history(user.name, 'oidc: user disabled');
      throw fail('disabled', 'the factory user of this identity is disabled');
    }
    await history(user.name, 'oidc', true);
    const issued = await this.#sessions.start(user, address);
    return { ...issued, console: sealed.c === true };
  }

  /** Why an unlinked identity may not be created (undefined: it may). */
  #autoCreateRefusal(claims: Claims, email: string | undefined): string | undefined {
    if (!this.settings.autoCreateRole) return 'no user is linked to this identity (ask an administrator)';
    if (!email) return 'the provider gave no email address';
    if (claims.email_verified !== true && claims.email_verified !== 'true')
      return 'the email address is not verified';
    const domain = email.slice(email.lastIndexOf('@') + 1);
    const allowed = this.settings.allowedDomains;
    if (allowed.length > 0 && !allowed.includes(domain)) return `email domain ${domain} is not allowed`;
    return undefined;
  }

  /** Create and link a user for `subject`, under a free name. */
  async #create(claims: Claims, subject: string, email: string | undefined): Promise<UserRecord> {
    const base = baseName(claims);
    const role = this.settings.autoCreateRole as UserRole;
    for (let attempt = 1; attempt <= 20; attempt++) {
      const name = checkName(
        'user',
        attempt === 1
          ? base
          : attempt < 20
            ? `${base}-${attempt}`
            : `${base}-${randomBytes(4).toString('hex')}`,
      );
      if (await this.#registry.identity.getUser(name)) continue;
      try {
        const user = await this.#registry.identity.createUser({
          name,
          role,
          team: null,
          email: email && EMAIL.test(email) ? email : null,
          passwordHash: null,
          oidcSubject: subject,
        });
        await this.#registry.audit({
          actor: 'oidc',
          action: 'user.create',
          target: `user:${name}`,
          details: { role, team: null, password: false, oidc: true },
        });
        return user;
      } catch (error) {
        if (!(error instanceof FactoryError && error.code === 'REGISTRY_CONFLICT')) throw error;
        // Another process linked this identity meanwhile, or took the name: use the link, or try the next name.
        const linked = await this.#registry.identity.userByOidcSubject(subject);
        if (linked) return linked;
      }
    }
    throw fail('name', 'could not find a free user name for this identity');
  }

  #configuration(): Promise<client.Configuration> {
    this.#config ??= (async () => {
      const issuer = new URL(this.settings.issuer);
      const insecure = issuer.protocol === 'http:';
      const auth = this.settings.clientSecret
        ? client.ClientSecretPost(this.settings.clientSecret)
        : client.None();
      return client.discovery(issuer, this.settings.clientId, this.settings.clientSecret, auth, {
        timeout: 10,
        ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
      });
    })().catch((error: unknown) => {
      this.#config = undefined; // the next sign-in tries again
      throw fail(
        'discovery',
        `the OIDC provider ${this.settings.issuer} could not be read: ${error instanceof Error ? error.message : String(error)}`,
        error,
      );
    });
    return this.#config;
  }

  #prune(): void {
    const now = this.#now();
    for (const [state, expires] of this.#used) if (expires <= now) this.#used.delete(state);
  }

  async #sealKey(kid?: string): Promise<{ kid: string; key: Buffer } | undefined> {
    const wanted = kid ?? (await this.#sessions.keys.signer()).kid;
    const cached = this.#sealKeys.get(wanted);
    if (cached) return { kid: wanted, key: cached };
    const row = (await this.#registry.identity.signingKeys()).find((k) => k.kid === wanted);
    if (!row) return undefined;
    const d = (JSON.parse(row.privateJwk) as { d?: string }).d;
    if (!d) return undefined;
    const key = Buffer.from(
      hkdfSync('sha256', Buffer.from(d, 'base64url'), 'mcp-factory', 'oidc-login-state/v1', 32),
    );
    this.#sealKeys.set(wanted, key);
    return { kid: wanted, key };
  }

  async #seal(payload: Sealed): Promise<string> {
    const found = await this.#sealKey();
    if (!found) throw new Error('no signing key to seal the OIDC state with');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', found.key, iv);
    cipher.setAAD(Buffer.from(`${SEAL_VERSION}.${found.kid}`));
    const body = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
    const parts = [iv, body, cipher.getAuthTag()].map((b) => b.toString('base64url'));
    return [SEAL_VERSION, found.kid, ...parts].join('.');
  }

  async #open(value: string | undefined): Promise<Sealed> {
    if (!value)
      throw fail('missing state', 'no sign-in in progress in this browser (the state cookie is missing)');
    const [version, kid, iv, body, tag, ...rest] = value.split('.');
    const tampered = () => fail('bad state', 'the sign-in state cookie is not valid');
    if (version !== SEAL_VERSION || !kid || !iv || !body || !tag || rest.length || value.length > 4096)
      throw tampered();
    const found = await this.#sealKey(kid);
    if (!found) throw tampered();
    let payload: Sealed;
    try {
      const decipher = createDecipheriv('aes-256-gcm', found.key, Buffer.from(iv, 'base64url'), {
        authTagLength: 16,
      });
      decipher.setAAD(Buffer.from(`${SEAL_VERSION}.${kid}`));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      const text = Buffer.concat([
        decipher.update(Buffer.from(body, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
      payload = JSON.parse(text) as Sealed;
    } catch {
      throw tampered();
    }
    if (typeof payload.e !== 'number' || payload.e <= this.#now())
      throw fail('expired state', 'the sign-in took longer than 10 minutes; start again');
    return payload;
  }
}
