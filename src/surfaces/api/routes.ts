/**
 * The endpoints of the HTTP API: the HTTP-only ones (health, liveness, readiness, metrics, this API's OpenAPI
 * document) and, after them, the management operations projected by operation-routes.ts.
 */
import { FactoryError } from '../../core/errors/index.js';
import type { ControlPlane } from '../../deploy/types.js';
import type { AccessControl } from '../../identity/access.js';
import type { OidcLogin } from '../../identity/oidc-login.js';
import type { Registry } from '../../store/index.js';
import type { Toolsmith } from '../../toolsmith/index.js';
import { json } from '../http/errors.js';
import { type RouteDefinition, route } from '../http/router.js';
import { HealthBody, LiveBody, ReadyBody } from '../operations/schemas.js';
import { authRoutes } from './auth-routes.js';
import type { CookieSessions } from './cookie-session.js';
import type { ApiMetrics } from './metrics.js';
import { OPERATION_ROUTES, operationRoute } from './operation-routes.js';
import { sessionRoutes } from './session-routes.js';

export interface RouteDeps {
  controlPlane: ControlPlane;
  registry: Registry;
  access: AccessControl;
  /** Console sign-in by cookie (POST/DELETE /auth/session). */
  cookies: CookieSessions;
  metrics: ApiMetrics;
  version: string;
  startedAt: number;
  openapi: () => Record<string, unknown>;
  /** OIDC sign-in (absent: /auth/oidc/* answer 404). */
  oidc?: OidcLogin | undefined;
  /** The toolsmith (absent: /mcp/analyze answers TOOLSMITH_FAILED). */
  toolsmith?: Toolsmith | undefined;
  /** The worker pool of this process (absent: long operations answer synchronously). */
  jobs?: { wake(): void } | undefined;
}

const ok = (body: unknown, status = 200) => json(status, body);

export function apiRoutes(deps: RouteDeps): RouteDefinition[] {
  const { registry } = deps;
  return [
    route({
      method: 'GET',
      path: '/health',
      operationId: 'health',
      summary: 'Process health (no authentication)',
      tag: 'operations',
      public: true,
      responses: {
        200: { description: 'The API process is up.', content: { 'application/json': HealthBody } },
      },
      handler: async () =>
        ok({
          status: 'ok',
          version: deps.version,
          uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
        }),
    }),
    route({
      method: 'GET',
      path: '/live',
      operationId: 'live',
      summary: 'Liveness probe (no authentication)',
      tag: 'operations',
      public: true,
      responses: { 200: { description: 'Alive.', content: { 'application/json': LiveBody } } },
      handler: async () => ok({ status: 'ok' }),
    }),
    route({
      method: 'GET',
      path: '/ready',
      operationId: 'ready',
      summary: 'Readiness probe: the registry answers (no authentication)',
      tag: 'operations',
      public: true,
      errors: [503],
      responses: { 200: { description: 'Ready to serve.', content: { 'application/json': ReadyBody } } },
      handler: async () => {
        try {
          await registry.listAudit({ limit: 1 });
        } catch (error) {
          throw new FactoryError(
            'REGISTRY_UNAVAILABLE',
            `the registry does not answer: ${error instanceof Error ? error.message : String(error)}`,
            { details: { retryAfterSeconds: 5 } },
          );
        }
        const info = registry.info();
        return ok({ status: 'ready', registry: { backend: info.backend, search: info.search } });
      },
    }),
    route({
      method: 'GET',
      path: '/metrics',
      operationId: 'metrics',
      summary: 'Prometheus metrics of the API',
      tag: 'operations',
      permission: 'api.metrics',
      responses: {
        200: { description: 'Prometheus text exposition format.', content: { 'text/plain': null } },
      },
      handler: async () => {
        const { contentType, body } = await deps.metrics.render();
        return new Response(body, { headers: { 'content-type': contentType } });
      },
    }),
    route({
      method: 'GET',
      path: '/openapi.json',
      operationId: 'openapi',
      summary: 'This OpenAPI 3.1 document',
      tag: 'operations',
      permission: 'api.describe',
      responses: { 200: { description: 'OpenAPI 3.1 document.', content: { 'application/json': null } } },
      handler: async () => ok(deps.openapi()),
    }),
    route({
      method: 'GET',
      path: '/.well-known/oauth-protected-resource',
      operationId: 'protectedResource',
      summary: 'OAuth protected-resource metadata (RFC 9728; no authentication)',
      tag: 'auth',
      public: true,
      responses: {
        200: {
          description: 'Where to get access tokens for this API.',
          content: { 'application/json': null },
        },
      },
      handler: async () => {
        if (!deps.access.external)
          throw new FactoryError(
            'API_NOT_FOUND',
            'this factory accepts only its own tokens (MCP_FACTORY_RESOURCE_URL is unset)',
          );
        return ok(deps.access.external.metadata());
      },
    }),
    ...authRoutes(deps),
    ...sessionRoutes(deps),
    ...OPERATION_ROUTES.map((binding) => operationRoute(binding, deps)),
  ];
}
