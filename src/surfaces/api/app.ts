/**
 * The HTTP API core: web-standard `fetch(Request) → Response`. Per request: Host/Origin checks, route match,
 * bearer authentication, the per-token rate limit and the policy check of the route's permission (except
 * /health, /live, /ready), the body size limit, validation of parameters, query and body against the route's
 * zod schemas, the handler, and one error shape for every failure. Metrics are recorded by route pattern and
 * status.
 */
import { randomUUID } from 'node:crypto';
import {
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  validateHostHeader,
  validateOriginHeader,
} from '@modelcontextprotocol/server';
import { FactoryError } from '../../core/errors/index.js';
import type { ControlPlane } from '../../deploy/types.js';
import { AccessControl, type ApiLimits, bearerToken, type Principal } from '../../identity/access.js';
import { OidcLogin, type OidcSettings } from '../../identity/oidc-login.js';
import type { ApiTokens } from '../../identity/tokens.js';
import { factoryVersion } from '../../platform/factory-files.js';
import type { Registry } from '../../store/index.js';
import type { Toolsmith } from '../../toolsmith/index.js';
import { errorResponse } from '../http/errors.js';
import { compileRoutes, matchRoute, type RouteDefinition, runRoute } from '../http/router.js';
import { CookieSessions } from './cookie-session.js';
import { type ApiMetrics, createApiMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { apiRoutes } from './routes.js';

export interface ApiOptions {
  controlPlane: ControlPlane;
  registry: Registry;
  tokens: ApiTokens;
  limits?: Partial<ApiLimits> | undefined;
  /** Share tokens, rate limits and server quotas with another surface (e.g. the MCP endpoint); overrides limits. */
  access?: AccessControl | undefined;
  /** Host names accepted besides localhost, 127.0.0.1 and [::1] (DNS-rebinding protection). */
  allowedHosts?: string[] | undefined;
  /** Origin host names accepted besides the localhost ones (browsers send Origin). */
  allowedOrigins?: string[] | undefined;
  /** Reported by /health and the OpenAPI document (default: the factory version). */
  version?: string | undefined;
  /** Called with unexpected errors (answered as 500 INTERNAL); the library itself never prints. */
  onError?: ((error: unknown, request: Request) => void) | undefined;
  /** Serve other paths (e.g. the factory's MCP endpoint at /mcp) after Host/Origin checks. */
  mount?: Record<string, (request: Request) => Promise<Response>> | undefined;
  /** OIDC sign-in of users (needs the access control's sessions); absent: /auth/oidc/* answer 404. */
  oidc?: OidcSettings | undefined;
  /** The toolsmith behind /mcp/analyze. */
  toolsmith?: Toolsmith | undefined;
  /** The worker pool running jobs (async mode, docs/jobs.md); absent: long operations answer synchronously. */
  jobs?: { wake(): void } | undefined;
  /** The web console at /ui (surfaces/console/static.ts); absent: /ui is an unknown path. */
  console?:
    | { matches(pathname: string): boolean; handle(request: Request, url: URL): Promise<Response> }
    | undefined;
}

export interface Api {
  fetch(request: Request): Promise<Response>;
  readonly routes: readonly RouteDefinition[];
  readonly access: AccessControl;
  readonly metrics: ApiMetrics;
  openapi(): Record<string, unknown>;
}

export function createApi(options: ApiOptions): Api {
  const version = options.version ?? factoryVersion();
  const access =
    options.access ??
    new AccessControl({ tokens: options.tokens, registry: options.registry, limits: options.limits });
  const metrics = createApiMetrics();
  const cookies = new CookieSessions(access);
  let document: Record<string, unknown> | undefined;
  const openapi = () => {
    document ??= openApiDocument(routes, { version });
    return document;
  };
  const routes = apiRoutes({
    controlPlane: options.controlPlane,
    registry: options.registry,
    access,
    cookies,
    metrics,
    version,
    startedAt: Date.now(),
    openapi,
    toolsmith: options.toolsmith,
    jobs: options.jobs,
    oidc:
      options.oidc && access.sessions
        ? new OidcLogin(options.oidc, options.registry, access.sessions)
        : undefined,
  });
  const compiled = compileRoutes(routes);
  const allowedHosts = [...localhostAllowedHostnames(), ...(options.allowedHosts ?? [])];
  const allowedOrigins = [...localhostAllowedOrigins(), ...(options.allowedOrigins ?? [])];
  const maxBodyBytes = access.limits.maxBodyBytes;

  async function handle(
    request: Request,
    url: URL,
    label: { route: string },
    setCookies: string[],
  ): Promise<Response> {
    const host = validateHostHeader(request.headers.get('host') ?? url.host, allowedHosts);
    if (!host.ok)
      throw new FactoryError('API_FORBIDDEN_HOST', `Host not allowed: ${host.message}`, {
        details: { host: request.headers.get('host') },
      });
    const origin = validateOriginHeader(request.headers.get('origin'), allowedOrigins);
    if (!origin.ok)
      throw new FactoryError('API_FORBIDDEN_HOST', `Origin not allowed: ${origin.message}`, {
        details: { origin: request.headers.get('origin') },
      });
    if (options.console?.matches(url.pathname)) {
      label.route = '/ui/*';
      return options.console.handle(request, url);
    }
    const mounted = options.mount?.[url.pathname];
    if (mounted) {
      label.route = url.pathname;
      return mounted(request);
    }

    const match = matchRoute(compiled, request.method, url.pathname);
    const definition = match.kind === 'route' ? match.route.definition : undefined;
    if (definition) label.route = definition.path;
    let principal: Principal | undefined;
    let credential: string | undefined;
    if (!definition?.public) {
      try {
        // A browser's console session (cookie + CSRF) or, for every other caller, the bearer token.
        const viaCookie = await cookies.authenticate(request, url);
        if (viaCookie) setCookies.push(...viaCookie.setCookies);
        principal = viaCookie?.principal ?? (await access.authenticate(request));
        credential = viaCookie?.credential ?? bearerToken(request);
      } catch (error) {
        if (error instanceof FactoryError) metrics.authFailure(String(error.details?.reason ?? 'invalid'));
        throw error;
      }
      try {
        await access.charge(principal);
      } catch (error) {
        metrics.rateLimited(principal.name);
        throw error;
      }
    }
    if (match.kind === 'none')
      throw new FactoryError('API_NOT_FOUND', `no endpoint ${request.method} ${url.pathname}`, {
        details: { path: url.pathname },
      });
    if (match.kind === 'method')
      throw new FactoryError(
        'API_METHOD_NOT_ALLOWED',
        `${url.pathname} does not accept ${request.method}; use ${match.allow.join(', ')}`,
        { details: { allow: match.allow } },
      );
    const def = match.route.definition;
    if (principal && def.permission) access.authorize(principal, def.permission);
    return runRoute(def, { request, url, params: match.params, principal, maxBodyBytes, credential });
  }

  return {
    routes,
    access,
    metrics,
    openapi,
    async fetch(request) {
      const started = performance.now();
      const requestId = randomUUID();
      const label = { route: 'unmatched' };
      const setCookies: string[] = [];
      metrics.inFlight(1);
      let response: Response;
      try {
        let url: URL;
        try {
          url = new URL(request.url);
        } catch {
          throw new FactoryError('API_INVALID_REQUEST', 'malformed request URL');
        }
        response = await handle(request, url, label, setCookies);
      } catch (error) {
        if (!(error instanceof FactoryError) || error.code === 'INTERNAL') options.onError?.(error, request);
        response = errorResponse(error, extraHeaders(error, access.external?.metadataUrl(request.url)));
      } finally {
        metrics.inFlight(-1);
      }
      if (request.method === 'HEAD') {
        await response.body?.cancel().catch(() => undefined);
        response = new Response(null, response);
      }
      try {
        response.headers.set('x-request-id', requestId);
        for (const value of setCookies) response.headers.append('set-cookie', value);
      } catch {
        // immutable headers (a response from elsewhere): keep them as they are
      }
      metrics.observe(request.method, label.route, response.status, (performance.now() - started) / 1000);
      return response;
    },
  };
}

function extraHeaders(error: unknown, resourceMetadata?: string): Record<string, string> {
  if (!(error instanceof FactoryError)) return {};
  const headers: Record<string, string> = {};
  const retry = error.details?.retryAfterSeconds;
  if (typeof retry === 'number') headers['retry-after'] = String(retry);
  if (error.code === 'API_UNAUTHORIZED') {
    const meta = resourceMetadata ? `, resource_metadata="${resourceMetadata}"` : '';
    headers['www-authenticate'] =
      error.details?.reason === 'missing'
        ? `Bearer realm="mcp-factory"${meta}`
        : `Bearer realm="mcp-factory", error="invalid_token"${meta}`;
  }
  if (error.code === 'API_METHOD_NOT_ALLOWED' && Array.isArray(error.details?.allow))
    headers.allow = (error.details.allow as string[]).join(', ');
  if (error.code === 'API_BODY_TOO_LARGE') headers.connection = 'close';
  return headers;
}
