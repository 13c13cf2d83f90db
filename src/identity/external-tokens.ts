/**
 * The factory (API, MCP endpoint, gateway) as an OAuth 2.1 resource server for an external identity provider:
 * an access token the configured issuer minted for this factory's resource URL (RFC 8707 audience) is accepted
 * as the user linked to its `issuer|sub` — the same link OIDC sign-in uses — so MCP clients that do the OAuth
 * dance themselves (Claude, VS Code, Cursor) reach the gateway with their own tokens. Keys come from the issuer's
 * JWKS (discovered from its metadata, cached and refreshed by jose); only asymmetric algorithms are accepted
 * (no `none`, no HS* — a public key can never be used as an HMAC secret). A token verified once is remembered
 * until it expires; whether its user exists and is enabled is read on every request (cached ≤ 1 s).
 */
import { createRemoteJWKSet, type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';
import { FactoryError } from '../core/errors/index.js';
import { VerifiedTokens } from './verified-tokens.js';

export const EXTERNAL_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'EdDSA',
];

export interface ExternalTokenSettings {
  /** The identity provider (the OIDC issuer), exactly as in its tokens' `iss`. */
  issuer: string;
  /** This factory's resource URL: tokens must name it in `aud`. */
  audience: string;
  /** Default: discovered from the issuer's metadata. */
  jwksUri?: string | undefined;
  /** Scopes a token must carry (space-separated `scope` or `scp`); default none. */
  requiredScopes?: readonly string[] | undefined;
}

export interface ExternalCaller {
  /** `issuer|sub`, the link to a factory user. */
  subject: string;
  scopes: string[];
}

const unauthorized = (message: string) =>
  new FactoryError('API_UNAUTHORIZED', message, { details: { reason: 'invalid' } });

async function discoverJwks(issuer: string): Promise<string> {
  const base = issuer.replace(/\/$/, '');
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    try {
      const response = await fetch(`${base}${path}`, {
        signal: AbortSignal.timeout(5_000),
        redirect: 'error',
      });
      if (!response.ok) continue;
      const text = await response.text();
      if (text.length > 256 * 1024) continue;
      const meta = JSON.parse(text) as { issuer?: unknown; jwks_uri?: unknown };
      if (meta.issuer === issuer && typeof meta.jwks_uri === 'string') return meta.jwks_uri;
    } catch {
      // try the next well-known document
    }
  }
  throw new FactoryError('API_UNAUTHORIZED', `the identity provider ${issuer} publishes no usable metadata`, {
    details: { reason: 'invalid' },
  });
}

export class ExternalTokens {
  readonly settings: ExternalTokenSettings;
  #keys: Promise<JWTVerifyGetKey> | undefined;
  readonly #verified = new VerifiedTokens<ExternalCaller>();

  constructor(settings: ExternalTokenSettings) {
    this.settings = settings;
  }

  /** Whether an (unverified) token claims to come from this issuer: the caller decides which verifier to ask. */
  claims(payload: { iss?: unknown }): boolean {
    return payload.iss === this.settings.issuer;
  }

  async verify(token: string): Promise<ExternalCaller> {
    const hit = this.#verified.get(token);
    if (hit) return hit;
    this.#keys ??= (async () =>
      createRemoteJWKSet(
        new URL(this.settings.jwksUri ?? (await discoverJwks(this.settings.issuer))),
      ))().catch((error) => {
      this.#keys = undefined;
      throw error;
    });
    const keys = await this.#keys;
    let payload: { sub?: unknown; scope?: unknown; scp?: unknown; exp?: unknown };
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms: EXTERNAL_ALGORITHMS,
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: 30,
      }));
    } catch (error) {
      throw unauthorized(
        error instanceof joseErrors.JWTExpired ? 'the access token expired' : 'invalid access token',
      );
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') throw unauthorized('invalid access token');
    const scopes =
      typeof payload.scope === 'string'
        ? payload.scope.split(' ').filter(Boolean)
        : Array.isArray(payload.scp)
          ? payload.scp.filter((s): s is string => typeof s === 'string')
          : [];
    const missing = (this.settings.requiredScopes ?? []).filter((s) => !scopes.includes(s));
    if (missing.length)
      throw new FactoryError('API_FORBIDDEN', `the access token lacks the scope ${missing.join(' ')}`, {
        details: { reason: 'insufficient_scope', scopes: missing },
      });
    const caller = { subject: `${this.settings.issuer}|${payload.sub}`, scopes };
    if (typeof payload.exp === 'number') this.#verified.remember(token, caller, payload.exp);
    return caller;
  }

  /** Where the RFC 9728 metadata is served (named in 401 challenges); relative to `base` if the audience is no URL. */
  metadataUrl(base: string): string {
    try {
      return new URL('/.well-known/oauth-protected-resource', this.settings.audience).href;
    } catch {
      return new URL('/.well-known/oauth-protected-resource', base).href;
    }
  }

  /** RFC 9728 protected-resource metadata of this factory. */
  metadata(): Record<string, unknown> {
    return {
      resource: this.settings.audience,
      authorization_servers: [this.settings.issuer],
      bearer_methods_supported: ['header'],
      ...(this.settings.requiredScopes?.length
        ? { scopes_supported: [...this.settings.requiredScopes] }
        : {}),
    };
  }
}

/** The verifier for a configured resource server (FactoryConfig.resourceServer), or undefined when off. */
export function externalTokensFor(
  resourceServer: { issuer: string; audience: string } | undefined,
): ExternalTokens | undefined {
  return resourceServer ? new ExternalTokens(resourceServer) : undefined;
}
