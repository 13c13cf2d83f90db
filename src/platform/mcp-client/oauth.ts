/**
 * How the factory's own MCP clients (health probes, call_tool, tests of a deployment) authenticate to a server
 * they call. An `UpstreamAuth` gives the headers of each request and is told about a 401 (true: retry once).
 *
 * - `staticAuth(headers)`: fixed headers, for `api_key` / `bearer` servers (values from the deployment's env).
 * - `clientCredentialsAuth(...)`: OAuth 2.1 client credentials (RFC 6749 §4.4) for servers with `auth: oauth`.
 *   It finds the authorization server through the server's protected-resource metadata (RFC 9728: the 401's
 *   `resource_metadata`, else `/.well-known/oauth-protected-resource` on the endpoint), reads that server's
 *   metadata (RFC 8414, or OpenID discovery) and asks its token endpoint for a token bound to the server's
 *   `resource` (RFC 8707), authenticating as `client_secret_basic` or `_post` as the metadata allows. The
 *   protocol steps are the MCP SDK's own (discovery, issuer echo check, client authentication, token request);
 *   this module adds the policy: which servers may be contacted, caching, limits.
 *
 * Policy (the client secret is the asset):
 * - the authorization server must be the configured issuer (MCP_OAUTH_ISSUER or the spec's `auth.issuer`) AND be
 *   named by the protected-resource metadata; a server named only by the upstream is never contacted at all;
 *   without a configured issuer no secret is sent anywhere;
 * - only the endpoint's origin (and the configured resource's) is asked for resource metadata, only the
 *   issuer's origin for its metadata, only its token endpoint (https, or http on loopback) for a token;
 * - every request: 5 s timeout, responses capped at 256 KiB, redirects only within the origin;
 * - tokens are cached process-wide (per issuer, client, resource and scope) until shortly before they expire;
 *   a failure to get one is repeated for 30 s without asking the issuer again;
 *   a 401 fetches a fresh one once; a fresh token that is refused again is an error (no token storm).
 *
 * Configuration, by convention in the deployment's environment (given at deploy with `--env`, kept in the
 * target's secret store like every deploy value): MCP_CLIENT_ID, MCP_CLIENT_SECRET, optional MCP_CLIENT_SCOPE
 * (default: the scopes the server's metadata lists).
 */
import { createHash } from 'node:crypto';
import {
  type AuthProvider,
  ClientCredentialsProvider,
  checkResourceAllowed,
  discoverAuthorizationServerMetadata,
  discoverOAuthProtectedResourceMetadata,
  extractWWWAuthenticateParams,
  type FetchLike,
  fetchToken,
  OAuthError,
} from '@modelcontextprotocol/client';
import { FactoryError } from '../../core/errors/index.js';
import type { ServerSpec } from '../../core/spec/model.js';
import { readCappedBody } from '../capped-body.js';

/** What a client sends to a server, and how it reacts to a 401. */
export interface UpstreamAuth {
  /** The fixed headers of a static credential (sent as before: no 401 handling). Absent for OAuth. */
  readonly fixed?: Record<string, string>;
  /** The headers of the next request (may fetch a token: throws UPSTREAM_AUTH_FAILED when it cannot). */
  headers(): Promise<Record<string, string>>;
  /** The server answered 401: true when a retry with fresh headers makes sense. */
  onUnauthorized(response: Response): Promise<boolean>;
}

/** What the factory's clients accept: plain headers (as before) or a provider. */
export type UpstreamCredentials = Record<string, string> | UpstreamAuth;

export const CLIENT_ID_ENV = 'MCP_CLIENT_ID';
export const CLIENT_SECRET_ENV = 'MCP_CLIENT_SECRET';
export const CLIENT_SCOPE_ENV = 'MCP_CLIENT_SCOPE';

const REQUEST_TIMEOUT_MS = 5_000;
const MAX_RESPONSE_BYTES = 256 * 1024;
/** Tokens are renewed this long before they expire (at most a tenth of their lifetime). */
const EXPIRY_MARGIN_MS = 30_000;
/** Lifetime assumed for a token whose response has no `expires_in`. */
const DEFAULT_LIFETIME_MS = 5 * 60_000;
const MAX_CACHED = 200;
/** A token fetched because of a 401 and refused within this time: another one will not be accepted either. */
const REFUSED_FRESH_MS = 30_000;
/** After a failure to get a token, the same failure is reported for this long without asking again. */
const FAILURE_BACKOFF_MS = 30_000;

export function isUpstreamAuth(value: UpstreamCredentials | undefined): value is UpstreamAuth {
  return typeof (value as { headers?: unknown } | undefined)?.headers === 'function';
}

/** Fixed headers (today's behaviour for api_key / bearer servers). */
export function staticAuth(headers: Record<string, string>): UpstreamAuth {
  return {
    fixed: headers,
    headers: async () => headers,
    onUnauthorized: async () => false,
  };
}

/** The HTTP headers a client needs for a server with `auth` in its spec (values from the deployment's env). */
export function authHeaders(
  spec: Pick<ServerSpec, 'auth'>,
  env: Record<string, string>,
): Record<string, string> {
  const auth = spec.auth;
  // OAuth servers: a token from the issuer (upstreamAuth), not a value the deployment's environment holds.
  if (!auth || auth.type === 'none' || auth.type === 'oauth') return {};
  const value = env[auth.envVar];
  if (!value) return {};
  return auth.type === 'api_key' ? { [auth.header]: value } : { authorization: `Bearer ${value}` };
}

/**
 * The credentials for calling the server of `spec` at `endpoint`, from the deployment's env: plain headers for
 * every server except an OAuth one with MCP_CLIENT_ID and MCP_CLIENT_SECRET, which gets client credentials.
 * (An OAuth server without them is probed through its open /health, as before.)
 */
export function upstreamCredentials(
  spec: Pick<ServerSpec, 'auth'>,
  env: Record<string, string>,
  endpoint: string,
): UpstreamCredentials {
  const auth = spec.auth;
  if (auth?.type !== 'oauth' || !env[CLIENT_ID_ENV] || !env[CLIENT_SECRET_ENV]) return authHeaders(spec, env);
  return clientCredentialsAuth({
    endpoint,
    issuer: env.MCP_OAUTH_ISSUER || auth.issuer,
    resource: env.MCP_PUBLIC_URL || auth.resource,
    clientId: env[CLIENT_ID_ENV],
    clientSecret: env[CLIENT_SECRET_ENV],
    scope: env[CLIENT_SCOPE_ENV] || undefined,
  });
}

/** The env a server process gets: the factory's client credentials are for calling it, not for it to hold. */
export function serverProcessEnv(
  spec: Pick<ServerSpec, 'auth'>,
  env: Record<string, string>,
): Record<string, string> {
  if (spec.auth?.type !== 'oauth') return env;
  const { [CLIENT_ID_ENV]: _id, [CLIENT_SECRET_ENV]: _secret, [CLIENT_SCOPE_ENV]: _scope, ...rest } = env;
  return rest;
}

export interface ClientCredentialsOptions {
  /** The MCP endpoint the client connects to. */
  endpoint: string;
  /** The authorization server the credentials belong to (its `issuer`); required to send them anywhere. */
  issuer: string | undefined;
  /** The server's public resource identifier when it differs from the endpoint (MCP_PUBLIC_URL). */
  resource?: string | undefined;
  clientId: string;
  clientSecret: string;
  /** Scopes to ask for; default: the `scopes_supported` of the resource metadata, else the challenge's. */
  scope?: string | undefined;
  /** For tests: the fetch used for authorization requests (default: global fetch). */
  fetch?: typeof fetch;
}

interface CachedToken {
  accessToken: string;
  obtainedAt: number;
  renewAt: number;
  /** Obtained because the server refused the previous token: refused again means retrying cannot help. */
  after401: boolean;
}

interface Slot {
  token?: CachedToken | undefined;
  inflight?: Promise<CachedToken> | undefined;
  /** The last failure to get a token: repeated as is for FAILURE_BACKOFF_MS (the issuer is not hammered). */
  failed?: { error: unknown; at: number } | undefined;
  /** Token requests made (for tests and diagnostics). */
  requests: number;
}

const slots = new Map<string, Slot>();

function slotFor(key: string): Slot {
  let slot = slots.get(key);
  if (!slot) {
    if (slots.size >= MAX_CACHED) slots.delete(slots.keys().next().value as string);
    slot = { requests: 0 };
    slots.set(key, slot);
  }
  return slot;
}

/** Forget every cached token (tests). */
export function clearUpstreamTokenCache(): void {
  slots.clear();
}

function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) || url.hostname.endsWith('.localhost');
}

function secureOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url));
}

/** RFC 8414 §3.3 identity, tolerating one trailing slash (as the SDK does). */
function sameIssuer(a: string, b: string): boolean {
  return a === b || `${a}/` === b || a === `${b}/`;
}

/**
 * A fetch for authorization requests: only to `allowed` origins (checked again on every redirect hop), with a
 * timeout, and the body read up to MAX_RESPONSE_BYTES (a larger response is an error, never half-parsed).
 */
function guardedFetch(base: typeof fetch, allowed: Set<string>, what: string): FetchLike {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (!allowed.has(url.origin))
      throw new Error(`refused to contact ${url.origin} for ${what} (not an allowed origin)`);
    const signal = init?.signal
      ? AbortSignal.any([init.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)])
      : AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const response = await base(url, { ...init, redirect: init?.redirect ?? 'manual', signal });
    const bytes = await readCappedBody(response, MAX_RESPONSE_BYTES);
    if (!bytes) throw new Error(`${url.origin} answered ${what} with more than ${MAX_RESPONSE_BYTES} bytes`);
    const noBody = [101, 204, 205, 304].includes(response.status);
    return new Response(noBody ? null : bytes, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

function describeFailure(error: unknown): string {
  if (error instanceof OAuthError) {
    const code = (error as OAuthError & { code?: string }).code;
    return `${code ?? 'error'}${error.message && error.message !== code ? ` (${error.message})` : ''}`;
  }
  const e = error as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e?.cause?.code ?? e?.cause?.message;
  const text = `${e?.message ?? String(error)}${cause && !e?.message?.includes(cause) ? ` (${cause})` : ''}`;
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

/** OAuth 2.1 client credentials for one upstream (see the header). */
export function clientCredentialsAuth(options: ClientCredentialsOptions): UpstreamAuth & {
  /** Token requests made for this upstream's cache entry (shared by every provider with the same key). */
  readonly tokenRequests: number;
} {
  const base = options.fetch ?? fetch;
  const endpoint = new URL(options.endpoint);
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        options.issuer ?? '',
        options.clientId,
        options.clientSecret,
        endpoint.href,
        options.resource ?? '',
        options.scope ?? '',
      ]),
    )
    .digest('hex');
  const slot = slotFor(key);

  const fail = (reason: string, cause?: unknown) =>
    new FactoryError(
      'UPSTREAM_AUTH_FAILED',
      `could not get an access token for ${endpoint.href}${options.issuer ? ` from ${options.issuer}` : ''}: ${reason}`,
      {
        details: { endpoint: endpoint.href, issuer: options.issuer ?? null, clientId: options.clientId },
        ...(cause !== undefined ? { cause } : {}),
      },
    );

  async function obtain(challenge: { resourceMetadataUrl?: URL; scope?: string }): Promise<CachedToken> {
    const issuerText = options.issuer;
    if (!issuerText)
      throw fail(
        'no issuer is configured (MCP_OAUTH_ISSUER or auth.issuer); the client secret is only sent to the configured issuer',
      );
    let issuer: URL;
    try {
      issuer = new URL(issuerText);
    } catch {
      throw fail(`the configured issuer ${JSON.stringify(issuerText.slice(0, 200))} is not a URL`);
    }
    if (!secureOrLoopback(issuer))
      throw fail(`the issuer ${issuer.href} must use https (http only on loopback)`);
    let configuredResource: URL | undefined;
    try {
      configuredResource = options.resource ? new URL(options.resource) : undefined;
    } catch {
      throw fail(`the configured resource ${JSON.stringify(options.resource)} is not a URL`);
    }

    // 1. Protected-resource metadata, from the endpoint's origin (or the configured resource's) only.
    const metadataOrigins = new Set([
      endpoint.origin,
      ...(configuredResource ? [configuredResource.origin] : []),
    ]);
    const fromChallenge =
      challenge.resourceMetadataUrl && metadataOrigins.has(challenge.resourceMetadataUrl.origin)
        ? challenge.resourceMetadataUrl
        : undefined;
    let prm: Awaited<ReturnType<typeof discoverOAuthProtectedResourceMetadata>>;
    try {
      prm = await discoverOAuthProtectedResourceMetadata(
        endpoint,
        fromChallenge ? { resourceMetadataUrl: fromChallenge } : {},
        guardedFetch(base, metadataOrigins, 'protected-resource metadata'),
      );
    } catch (error) {
      throw fail(`its protected-resource metadata could not be read: ${describeFailure(error)}`, error);
    }
    const resource = prm.resource;
    let resourceOk = false;
    try {
      resourceOk =
        checkResourceAllowed({ requestedResource: endpoint, configuredResource: resource }) ||
        (configuredResource !== undefined && new URL(resource).href === configuredResource.href);
    } catch {
      // not a URL: refused below
    }
    if (!resourceOk)
      throw fail(
        `its metadata names the resource ${resource}, which is neither the endpoint nor the configured resource`,
      );
    const named = prm.authorization_servers ?? [];
    if (!named.some((a) => sameIssuer(a, issuerText)))
      throw fail(
        `the server names the authorization server${named.length === 1 ? '' : 's'} ${named.join(', ') || '(none)'}, not the configured issuer; the client secret was not sent`,
      );

    // 2. The issuer's metadata, from the issuer's origin only (the SDK checks that it echoes the issuer).
    let metadata: Awaited<ReturnType<typeof discoverAuthorizationServerMetadata>>;
    try {
      metadata = await discoverAuthorizationServerMetadata(issuerText, {
        fetchFn: guardedFetch(base, new Set([issuer.origin]), 'authorization-server metadata'),
      });
    } catch (error) {
      throw fail(`the issuer's metadata could not be read: ${describeFailure(error)}`, error);
    }
    if (!metadata) throw fail('the issuer publishes no authorization-server metadata');
    const tokenEndpoint = new URL(metadata.token_endpoint);
    if (!secureOrLoopback(tokenEndpoint))
      throw fail(`the token endpoint ${tokenEndpoint.href} must use https (http only on loopback)`);

    // 3. The token: client credentials, bound to the resource (RFC 8707) and to the issuer (SEP-2352 stamp).
    const scope = options.scope ?? (prm.scopes_supported?.join(' ') || challenge.scope);
    const provider = new ClientCredentialsProvider({
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      clientName: 'mcp-factory',
      expectedIssuer: metadata.issuer,
    });
    slot.requests++;
    let tokens: Awaited<ReturnType<typeof fetchToken>>;
    try {
      tokens = await fetchToken(provider, issuerText, {
        metadata,
        resource: new URL(resource),
        ...(scope ? { scope } : {}),
        fetchFn: guardedFetch(base, new Set([tokenEndpoint.origin]), 'a token'),
      });
    } catch (error) {
      throw fail(`the token endpoint refused: ${describeFailure(error)}`, error);
    }
    if (tokens.token_type.toLowerCase() !== 'bearer')
      throw fail(`the issuer gave a ${tokens.token_type} token; only Bearer tokens are supported`);
    const now = Date.now();
    const lifetime = tokens.expires_in !== undefined ? tokens.expires_in * 1000 : DEFAULT_LIFETIME_MS;
    return {
      accessToken: tokens.access_token,
      obtainedAt: now,
      renewAt: now + lifetime - Math.min(EXPIRY_MARGIN_MS, lifetime / 10),
      after401: false,
    };
  }

  /** One token request at a time per cache entry, callers sharing its outcome; a failure is kept a while. */
  function refresh(
    challenge: { resourceMetadataUrl?: URL; scope?: string },
    after401: boolean,
  ): Promise<CachedToken> {
    if (slot.failed && Date.now() - slot.failed.at < FAILURE_BACKOFF_MS)
      return Promise.reject(slot.failed.error);
    slot.inflight ??= obtain(challenge)
      .then(
        (token) => {
          slot.failed = undefined;
          slot.token = { ...token, after401 };
          return slot.token;
        },
        (error: unknown) => {
          slot.failed = { error, at: Date.now() };
          throw error;
        },
      )
      .finally(() => {
        slot.inflight = undefined;
      });
    return slot.inflight;
  }

  /** The token this provider last sent (undefined: the last request went without one). */
  let sent: string | undefined;
  return {
    get tokenRequests() {
      return slot.requests;
    },
    async headers(): Promise<Record<string, string>> {
      const cached = slot.token;
      let token: CachedToken;
      if (cached && Date.now() < cached.renewAt) token = cached;
      else if (cached) token = await refresh({}, false);
      else {
        // First contact: the server's 401 names its metadata (RFC 9728 §5.1); no token is sent before that.
        sent = undefined;
        return {};
      }
      sent = token.accessToken;
      return { authorization: `Bearer ${token.accessToken}` };
    },
    async onUnauthorized(response) {
      const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(response);
      await response.body?.cancel().catch(() => undefined);
      const current = slot.token;
      const refused = sent !== undefined;
      if (
        refused &&
        current !== undefined &&
        current.accessToken === sent &&
        current.after401 &&
        Date.now() - current.obtainedAt < REFUSED_FRESH_MS
      ) {
        // A token fetched because of a 401 was refused as well: another token will not be accepted either.
        throw new FactoryError(
          'UPSTREAM_AUTH_FAILED',
          `${endpoint.href} refused a fresh access token from ${options.issuer}: check that the issuer issues tokens for its resource (audience) with the scopes it requires`,
          {
            details: { endpoint: endpoint.href, issuer: options.issuer ?? null, clientId: options.clientId },
          },
        );
      }
      // Someone else already replaced the refused token: retry with theirs.
      if (refused && current && current.accessToken !== sent && Date.now() < current.renewAt) return true;
      if (current?.accessToken === sent) slot.token = undefined;
      await refresh(
        { ...(resourceMetadataUrl ? { resourceMetadataUrl } : {}), ...(scope ? { scope } : {}) },
        refused,
      );
      return true;
    },
  };
}

/**
 * The SDK transport's `authProvider` for an OAuth `UpstreamAuth`: the token of `headers()` before each request;
 * on 401, `onUnauthorized` and one retry (the transport's own rule), or its error when retrying cannot help.
 */
export function sdkAuthProvider(auth: UpstreamAuth): AuthProvider {
  return {
    async token() {
      const headers = await auth.headers();
      const value = headers.authorization ?? headers.Authorization;
      return value?.replace(/^Bearer\s+/i, '');
    },
    async onUnauthorized(ctx) {
      if (!(await auth.onUnauthorized(ctx.response)))
        throw new FactoryError('UPSTREAM_AUTH_FAILED', `${ctx.serverUrl.href} refused the credentials (401)`);
    },
  };
}
