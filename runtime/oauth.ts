/**
 * The server as an OAuth 2.1 resource server (MCP authorization spec): access tokens are JWTs from the spec's
 * issuer, checked against the issuer's published keys (JWKS, fetched once and cached by jose, refetched for an
 * unknown key id so key rotation works), bound to this server by audience (RFC 8707 resource indicators), with
 * the scopes the server and each tool require. Serves the protected-resource metadata (RFC 9728) clients use to
 * find the authorization server, and answers 401/403 with the `WWW-Authenticate` challenges they act on.
 *
 * Imported by a generated server only when its spec says `auth: { type: oauth }` (it registers itself), so other
 * servers neither bundle jose nor pay for it at start.
 */
import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import { type HttpAuthGuard, quoted, registerHttpAuth } from './http-auth.js';
import type { ServerSettings } from './settings.js';

export type OAuthSettings = Extract<ServerSettings['auth'], { type: 'oauth' }>;

/** Asymmetric algorithms only: an HS256 token "signed" with a public key (algorithm confusion) never verifies. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const CLOCK_TOLERANCE_S = 30;
const DISCOVERY_TIMEOUT_MS = 5_000;
const DISCOVERY_RETRY_MS = 30_000;

/** Who called, as tools see it (`ctx.user`). */
export interface OAuthUser {
  subject: string;
  clientId?: string;
  scopes: string[];
  claims: JWTPayload;
}

/** The metadata document's URL for a resource (RFC 9728 §3.1: the well-known segment before the path). */
export function protectedResourceMetadataUrl(resource: URL): string {
  const path = resource.pathname === '/' ? '' : resource.pathname;
  return `${resource.origin}/.well-known/oauth-protected-resource${path}`;
}

/** The authorization-server metadata URLs to try for an issuer (RFC 8414 §3, then OpenID Connect discovery). */
function discoveryUrls(issuer: URL): string[] {
  const path = issuer.pathname === '/' ? '' : issuer.pathname.replace(/\/$/, '');
  return [
    `${issuer.origin}/.well-known/oauth-authorization-server${path}`,
    `${issuer.origin}/.well-known/openid-configuration${path}`,
    `${issuer.origin}${path}/.well-known/openid-configuration`,
  ];
}

function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/** The issuer (env override first), checked: https, or http on loopback for local development. */
export function issuerOf(auth: OAuthSettings, env: NodeJS.ProcessEnv = process.env): URL {
  const text = env.MCP_OAUTH_ISSUER || auth.issuer;
  if (!text)
    throw new Error('auth is oauth but no issuer is set: set MCP_OAUTH_ISSUER or auth.issuer in the spec');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`MCP_OAUTH_ISSUER / auth.issuer "${text.slice(0, 200)}" is not a URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url)))
    throw new Error(`the OAuth issuer ${url.href} must use https (plain http only on a loopback address)`);
  if (url.search || url.hash)
    throw new Error(`the OAuth issuer ${url.href} must not have a query or fragment`);
  return url;
}

/** jwks_uri from the issuer's metadata, whose `issuer` must be the configured one (RFC 8414 §3.3). */
async function discoverJwksUri(issuer: URL, expected: string, fetchImpl: typeof fetch): Promise<URL> {
  const tried: string[] = [];
  for (const url of discoveryUrls(issuer)) {
    let response: Response;
    try {
      response = await fetchImpl(url, {
        headers: { accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
      });
    } catch (error) {
      tried.push(`${url}: ${(error as Error).message}`);
      continue;
    }
    if (!response.ok) {
      tried.push(`${url}: HTTP ${response.status}`);
      continue;
    }
    const meta = (await response.json().catch(() => undefined)) as
      | { issuer?: unknown; jwks_uri?: unknown }
      | undefined;
    if (typeof meta?.issuer !== 'string' || meta.issuer !== expected)
      throw new Error(`the metadata at ${url} names issuer ${String(meta?.issuer)}, not ${expected}`);
    if (typeof meta.jwks_uri !== 'string') throw new Error(`the metadata at ${url} has no jwks_uri`);
    const jwks = new URL(meta.jwks_uri);
    if (jwks.protocol !== 'https:' && !(jwks.protocol === 'http:' && isLoopback(jwks)))
      throw new Error(`the issuer's jwks_uri ${jwks.href} must use https`);
    return jwks;
  }
  throw new Error(`no authorization-server metadata found for ${expected} (${tried.join('; ')})`);
}

function scopesOf(payload: JWTPayload): string[] {
  if (typeof payload.scope === 'string') return payload.scope.split(' ').filter(Boolean);
  if (Array.isArray(payload.scp)) return payload.scp.filter((s): s is string => typeof s === 'string');
  return [];
}

/**
 * Tokens already verified, until they expire (clients send the same token on every request: one signature check
 * per token instead of per request). Keyed by the exact token and audience; bounded, oldest dropped first.
 */
class VerifiedTokens {
  private readonly entries = new Map<string, JWTPayload>();
  constructor(private readonly max = 1000) {}

  get(audience: string, token: string): JWTPayload | undefined {
    const key = `${audience}\u0000${token}`;
    const payload = this.entries.get(key);
    if (!payload) return undefined;
    const now = Date.now() / 1000;
    if (typeof payload.exp !== 'number' || payload.exp + CLOCK_TOLERANCE_S <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return payload;
  }

  set(audience: string, token: string, payload: JWTPayload): void {
    // A token that is not yet valid is checked again next time (its nbf may have passed by then).
    if (typeof payload.nbf === 'number' && payload.nbf > Date.now() / 1000) return;
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(`${audience}\u0000${token}`, payload);
  }
}

export interface OAuthGuardOptions {
  fetch?: typeof fetch;
  env?: NodeJS.ProcessEnv;
}

/**
 * The guard of one server. `resource` is the server's URL as clients reach it: MCP_PUBLIC_URL (or
 * `auth.resource`) when set, else the request's own origin and MCP path (the Host header was checked before).
 */
export function createOAuthGuard(
  settings: Pick<ServerSettings, 'name' | 'http'> & { auth: OAuthSettings },
  options: OAuthGuardOptions = {},
): HttpAuthGuard {
  const auth = settings.auth;
  const env = options.env ?? process.env;
  const fetchImpl = options.fetch ?? fetch;
  const issuer = issuerOf(auth, env);
  // Compared as the exact string the operator configured (RFC 8414 §3.3; some providers end theirs with /).
  const issuerId = (env.MCP_OAUTH_ISSUER || auth.issuer)!;
  const configured = env.MCP_PUBLIC_URL || auth.resource;
  const required = auth.requiredScopes ?? [];
  const toolScopes = auth.toolScopes ?? {};
  const verifiedCache = new VerifiedTokens();
  let keys: ReturnType<typeof createRemoteJWKSet> | undefined;
  let discovering: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  let failedAt = 0;

  const keySet = async () => {
    if (keys) return keys;
    if (Date.now() - failedAt < DISCOVERY_RETRY_MS && !discovering)
      throw new Error('the authorization server could not be reached');
    discovering ??= (
      auth.jwksUri ? Promise.resolve(new URL(auth.jwksUri)) : discoverJwksUri(issuer, issuerId, fetchImpl)
    ).then(
      (uri) => {
        keys = createRemoteJWKSet(uri, { timeoutDuration: DISCOVERY_TIMEOUT_MS, cooldownDuration: 30_000 });
        return keys;
      },
      (error: unknown) => {
        failedAt = Date.now();
        discovering = undefined;
        throw error;
      },
    );
    return discovering;
  };

  const resourceOf = (req: Request): URL => {
    if (configured) return new URL(configured);
    const url = new URL(req.url);
    return new URL(settings.http.path, url.origin);
  };
  const metadataUrl = (req: Request) => protectedResourceMetadataUrl(resourceOf(req));
  const scopeParam = (scopes: string[]) => (scopes.length ? `, scope=${quoted(scopes.join(' '))}` : '');
  const challenge = (req: Request, error?: { code: string; description: string }, scopes = required) =>
    `Bearer resource_metadata=${quoted(metadataUrl(req))}${scopeParam(scopes)}${
      error ? `, error=${quoted(error.code)}, error_description=${quoted(error.description)}` : ''
    }`;
  const deny = (
    status: 401 | 403,
    req: Request,
    error?: { code: string; description: string },
    scopes?: string[],
  ) =>
    new Response(
      JSON.stringify({
        error: error?.code ?? 'unauthorized',
        message: error?.description ?? 'this server needs an OAuth access token (see WWW-Authenticate)',
      }),
      {
        status,
        headers: { 'content-type': 'application/json', 'www-authenticate': challenge(req, error, scopes) },
      },
    );

  const unavailable = () =>
    new Response(
      JSON.stringify({
        error: 'temporarily_unavailable',
        message: 'the authorization server could not be reached to check the token; retry shortly',
      }),
      { status: 503, headers: { 'content-type': 'application/json', 'retry-after': '5' } },
    );

  return {
    metadata(req) {
      const url = new URL(req.url);
      if (req.method !== 'GET' || !url.pathname.startsWith('/.well-known/oauth-protected-resource'))
        return undefined;
      const resource = resourceOf(req);
      // Served at the path-suffixed URL (RFC 9728) and, for clients that look there, at the bare one.
      const ownPath = new URL(protectedResourceMetadataUrl(resource)).pathname;
      if (url.pathname !== ownPath && url.pathname !== '/.well-known/oauth-protected-resource')
        return undefined;
      const body = {
        resource: resource.href,
        authorization_servers: [issuerId],
        bearer_methods_supported: ['header'],
        ...(auth.scopes?.length ? { scopes_supported: auth.scopes } : {}),
        resource_name: settings.name,
      };
      return new Response(JSON.stringify(body), {
        headers: { 'content-type': 'application/json', 'cache-control': 'max-age=3600' },
      });
    },

    async authenticate(req) {
      const header = req.headers.get('authorization') ?? '';
      const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(header);
      if (!match) return { ok: false, response: deny(401, req) };
      const token = match[1]!;
      const audience = auth.audience ?? resourceOf(req).href;
      let payload = verifiedCache.get(audience, token);
      if (!payload) {
        let jwks: Awaited<ReturnType<typeof keySet>>;
        try {
          jwks = await keySet();
        } catch (error) {
          return { ok: false, reason: (error as Error).message, response: unavailable() };
        }
        try {
          const verified = await jwtVerify(token, jwks, {
            issuer: issuerId,
            audience,
            algorithms: ALGORITHMS,
            clockTolerance: CLOCK_TOLERANCE_S,
            requiredClaims: ['exp', 'sub'],
          });
          payload = verified.payload;
        } catch (error) {
          // The issuer's keys could not be fetched: the token may be fine, so no invalid_token (clients would drop it).
          if (
            error instanceof joseErrors.JWKSTimeout ||
            (error as { code?: string }).code === 'ERR_JOSE_GENERIC'
          )
            return { ok: false, reason: (error as Error).message, response: unavailable() };
          // The reason stays in the server's log; the client learns only that the token was not accepted.
          const reason =
            error instanceof joseErrors.JOSEError
              ? error.code
              : `verification failed: ${(error as Error).message}`;
          return {
            ok: false,
            reason,
            response: deny(401, req, { code: 'invalid_token', description: 'the access token is not valid' }),
          };
        }
        verifiedCache.set(audience, token, payload);
      }
      const scopes = scopesOf(payload);
      const missing = required.filter((s) => !scopes.includes(s));
      if (missing.length)
        return {
          ok: false,
          reason: `missing scopes ${missing.join(' ')}`,
          response: deny(
            403,
            req,
            { code: 'insufficient_scope', description: 'the access token lacks a required scope' },
            required,
          ),
        };
      const user: OAuthUser = {
        subject: String(payload.sub),
        ...(typeof payload.client_id === 'string' ? { clientId: payload.client_id } : {}),
        scopes,
        claims: payload,
      };
      return {
        ok: true,
        authInfo: {
          token,
          clientId: user.clientId ?? user.subject,
          scopes,
          ...(typeof payload.exp === 'number' ? { expiresAt: payload.exp } : {}),
          extra: { user },
        },
      };
    },

    /** Step-up (MCP authorization spec): a tool call whose token lacks the tool's scopes gets 403 + the scopes. */
    forbidTool(req, tool, scopes) {
      const needed = toolScopes[tool];
      if (!needed?.length) return undefined;
      const missing = needed.filter((s) => !scopes.includes(s));
      if (!missing.length) return undefined;
      return deny(
        403,
        req,
        { code: 'insufficient_scope', description: `the tool ${tool} needs the scope ${needed.join(' ')}` },
        [...new Set([...required, ...needed])],
      );
    },
  };
}

registerHttpAuth('oauth', (settings) => {
  if (settings.auth.type !== 'oauth') throw new Error('not an oauth server');
  return createOAuthGuard({ ...settings, auth: settings.auth });
});
