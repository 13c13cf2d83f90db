/**
 * The gateway over HTTP, web-standard `fetch(Request) → Response`: MCP at /mcp (Streamable HTTP, both protocol
 * eras, `subscriptions/listen` told when the catalog changes), REST beside it (`/api/v1/tools`, search, one
 * tool, execute, upstream servers), probes (`/health`, `/live`, `/ready` public; `/health/detailed`
 * authenticated, showing only the upstreams the caller sees), Prometheus `/metrics` and the REST routes'
 * OpenAPI document at `/api/v1/openapi.json`.
 *
 * Every request but the public probes is authenticated with the factory's tokens or a signed-in user's access
 * token (identity/access.ts) and rate-limited per caller; the caller's identity decides which registry
 * servers it sees (the role policy: its team's servers) and is what the call audit records. Upstream
 * credentials never reach clients; the client's Authorization header never reaches upstreams.
 */
import {
  createMcpHandler,
  hostHeaderValidationResponse,
  InMemoryServerEventBus,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  originValidationResponse,
} from '@modelcontextprotocol/server';
import { Counter, Gauge, Histogram, Registry as MetricsRegistry } from 'prom-client';
import { z } from 'zod';
import { FactoryError } from '../../core/errors/index.js';
import { callerSees, type Gateway, type GatewayCaller } from '../../gateway/gateway.js';
import { traceRequest } from '../../gateway/tracing.js';
import type { AccessControl, Principal } from '../../identity/access.js';
import { canSee } from '../../identity/policy.js';
import { factoryVersion } from '../../platform/factory-files.js';
import type { Registry } from '../../store/index.js';
import { openApiDocument } from '../api/openapi.js';
import { errorResponse, json } from '../http/errors.js';
import type { NodeFastPath } from '../http/node.js';
import {
  compileRoutes,
  matchRoute,
  type RouteDefinition,
  readBody,
  route,
  runRoute,
} from '../http/router.js';
import { answerToolsCall, plainToolsCall } from './fast-serve.js';
import { detailedHealth } from './health-view.js';
import { CallCancels, createGatewayMcpServer } from './mcp.js';
import { gatewayFastPath } from './node-fast.js';
import { upstreamRoutes } from './upstream-routes.js';

/** Decodes hot-path request bodies (one decoder for all: it keeps no state between whole-buffer calls). */
const utf8 = new TextDecoder();
const SERVER_INFO = { name: 'mcp-factory-gateway', title: 'MCP Factory gateway', version: factoryVersion() };

export interface GatewayHttpOptions {
  gateway: Gateway;
  access: AccessControl;
  /** For the callers' view of registry servers (owner/team); absent: every caller sees every server. */
  registry?: Registry | undefined;
  allowedHosts?: string[] | undefined;
  allowedOrigins?: string[] | undefined;
  onerror?: ((error: Error) => void) | undefined;
}

export interface GatewayHttp {
  fetch(request: Request): Promise<Response>;
  /**
   * The node-level fast path for plain tools/call POSTs (node-fast.ts): pass it to `serveFetch` as `fast`
   * beside `fetch`, which serves everything it declines.
   */
  readonly fastPath: NodeFastPath;
  readonly metrics: MetricsRegistry;
  close(): Promise<void>;
}

const ToolParams = z.object({ name: z.string().min(1).max(200) });
const SearchQuery = z.object({
  q: z.string().min(1).max(2000),
  limit: z.coerce.number().int().min(1).max(50).optional(),
});
const ExecuteBody = z.object({ arguments: z.record(z.string(), z.unknown()).optional() }).strict();

export function createGatewayHttp(options: GatewayHttpOptions): GatewayHttp {
  const { gateway, access } = options;
  const bus = new InMemoryServerEventBus();
  const offChange = gateway.onChange(() => {
    callers.clear(); // an upstream added or removed at runtime changes every caller's view now
    bus.publish({ kind: 'tools_list_changed' });
  });
  const allowedHosts = [...localhostAllowedHostnames(), ...(options.allowedHosts ?? [])];
  const allowedOrigins = [...localhostAllowedOrigins(), ...(options.allowedOrigins ?? [])];
  const metrics = gatewayMetrics(gateway);

  const callers = new Map<string, { at: number; caller: GatewayCaller }>();
  /** The caller's view: config upstreams, and the registry servers the role policy lets it see. */
  async function callerOf(principal: Principal): Promise<GatewayCaller> {
    const key = `${principal.tokenId}:${principal.role ?? ''}:${principal.team ?? ''}`;
    const cached = callers.get(key);
    if (cached && Date.now() - cached.at < 1000) return cached.caller;
    let servers: Set<string> | undefined;
    if (options.registry) {
      const scopes = await options.registry.identity.serverScopes();
      const subject = { kind: 'token' as const, principal };
      servers = new Set(gateway.config.servers.map((s) => s.name));
      for (const r of gateway.runtimeUpstreams()) servers.add(r.name); // added over REST: like configured ones
      for (const [name, scope] of scopes) if (canSee(access.policy, subject, scope)) servers.add(name);
    }
    const mayCall = access.policy.decide({ kind: 'token', principal }, 'servers.call').allowed;
    const caller: GatewayCaller = {
      name: principal.name,
      mayCall,
      ...(servers ? { servers } : {}),
      ...(principal.allow ? { allow: principal.allow } : {}),
    };
    if (callers.size > 1000) callers.clear();
    callers.set(key, { at: Date.now(), caller });
    return caller;
  }

  // 2025-11-25 clients cancel with a separate notifications/cancelled POST (stateless: another server
  // instance); 2026-07-28 ones by dropping the request, which aborts its signal.
  const cancels = new CallCancels();
  const mcp = createMcpHandler(
    async (ctx) => {
      const principal = ctx.authInfo?.extra?.principal as Principal | undefined;
      if (!principal) throw new FactoryError('API_UNAUTHORIZED', 'unauthenticated MCP request');
      return createGatewayMcpServer(
        gateway,
        await callerOf(principal),
        ctx.era === 'legacy'
          ? { registry: cancels, scope: `${principal.tokenId}:${principal.name}` }
          : undefined,
      );
    },
    {
      bus,
      maxRequestBodySize: access.limits.maxBodyBytes,
      ...(options.onerror ? { onerror: options.onerror } : {}),
    },
  );

  const routes: RouteDefinition[] = [
    route({
      method: 'GET',
      path: '/api/v1/tools',
      operationId: 'listTools',
      summary: 'Every tool the caller may use, under its public name',
      tag: 'tools',
      permission: 'tools.search',
      responses: { 200: { description: 'Tools.', content: { 'application/json': null } } },
      handler: async ({ principal }) =>
        json(200, { tools: await gateway.listTools(await callerOf(principal!)) }),
    }),
    route({
      method: 'GET',
      path: '/api/v1/tools/search',
      operationId: 'searchTools',
      summary: 'Search the tools by what they do',
      tag: 'tools',
      permission: 'tools.search',
      query: SearchQuery,
      responses: { 200: { description: 'Best matches first.', content: { 'application/json': null } } },
      handler: async ({ principal, query }) =>
        json(200, {
          matches: await gateway.searchTools(query.q, query.limit ?? 10, await callerOf(principal!)),
        }),
    }),
    route({
      method: 'GET',
      path: '/api/v1/tools/:name',
      operationId: 'getTool',
      summary: 'One tool: description and input schema',
      tag: 'tools',
      permission: 'tools.search',
      params: ToolParams,
      responses: { 200: { description: 'The tool.', content: { 'application/json': null } } },
      handler: async ({ principal, params }) =>
        json(200, await gateway.describeTool(params.name, await callerOf(principal!))),
    }),
    route({
      method: 'POST',
      path: '/api/v1/tools/:name/execute',
      operationId: 'executeTool',
      summary: 'Call a tool with arguments',
      tag: 'tools',
      permission: 'servers.call',
      params: ToolParams,
      body: { schema: ExecuteBody, required: false },
      errors: [429, 503, 504],
      responses: {
        200: {
          description: 'The tool result (isError for a failed tool).',
          content: { 'application/json': null },
        },
      },
      handler: async ({ principal, params, body, request }) =>
        json(
          200,
          await gateway.callTool(params.name, body?.arguments ?? {}, {
            caller: await callerOf(principal!),
            signal: request.signal,
          }),
        ),
    }),
    route({
      method: 'GET',
      path: '/api/v1/servers',
      operationId: 'listUpstreams',
      summary: 'The upstream servers with their health and circuit state',
      tag: 'servers',
      permission: 'servers.read',
      responses: { 200: { description: 'Upstreams.', content: { 'application/json': null } } },
      handler: async ({ principal }) => {
        const caller = await callerOf(principal!);
        // Upstreams added over REST also show where they point, header values redacted.
        const runtime = new Map(gateway.runtimeUpstreams().map((r) => [r.name, r]));
        return json(200, {
          servers: gateway
            .health()
            .filter((h) => callerSees(caller, h.name))
            .map((h) => ({ ...h, ...runtime.get(h.name) })),
        });
      },
    }),
    ...upstreamRoutes(gateway, access),
    route({
      method: 'GET',
      path: '/health/detailed',
      operationId: 'healthDetailed',
      summary:
        'Upstreams, circuit states and the catalog report (of the upstreams and tools the caller sees)',
      tag: 'operations',
      permission: 'servers.read',
      responses: { 200: { description: 'Details.', content: { 'application/json': null } } },
      handler: async ({ principal }) => json(200, await detailedHealth(gateway, await callerOf(principal!))),
    }),
    route({
      method: 'GET',
      path: '/metrics',
      operationId: 'metrics',
      summary: 'Prometheus metrics of the gateway',
      tag: 'operations',
      permission: 'api.metrics',
      responses: { 200: { description: 'Prometheus text.', content: { 'text/plain': null } } },
      handler: async () =>
        new Response(await metrics.registry.metrics(), {
          headers: { 'content-type': metrics.registry.contentType },
        }),
    }),
    route({
      method: 'GET',
      path: '/api/v1/openapi.json',
      operationId: 'openapi',
      summary: 'This OpenAPI document',
      tag: 'operations',
      permission: 'api.describe',
      responses: { 200: { description: 'OpenAPI 3.1.', content: { 'application/json': null } } },
      handler: async () => json(200, openApiDocument(routes, { version: '1' })),
    }),
  ];
  const compiled = compileRoutes(routes);

  async function handle(request: Request, url: URL): Promise<Response> {
    if (request.method === 'GET' && (url.pathname === '/health' || url.pathname === '/live'))
      return json(200, { status: 'ok' });
    const hostRejection = hostHeaderValidationResponse(request, allowedHosts);
    if (hostRejection) return hostRejection;
    const originRejection = originValidationResponse(request, allowedOrigins);
    if (originRejection) return originRejection;
    // RFC 9728: where MCP clients get tokens for this gateway (when it accepts an external provider's tokens).
    if (
      request.method === 'GET' &&
      url.pathname === '/.well-known/oauth-protected-resource' &&
      access.external
    )
      return json(200, access.external.metadata());
    if (request.method === 'GET' && url.pathname === '/ready') {
      const catalog = await gateway.catalog();
      return json(200, { status: 'ready', tools: catalog.size, upstreams: catalog.report.upstreams.length });
    }
    const principal = await access.authenticate(request);
    await access.charge(principal);
    if (url.pathname === '/mcp') {
      const token = request.headers.get('authorization')?.replace(/^Bearer\s+/i, '') ?? '';
      const authInfo = { token, clientId: principal.name, scopes: [], extra: { principal } };
      // The hot path (fast-serve.ts): a plain 2026-07-28 tools/call answered without an SDK server.
      if (
        request.method === 'POST' &&
        request.headers.get('mcp-method') === 'tools/call' &&
        request.headers.get('mcp-protocol-version') === '2026-07-28' &&
        (request.headers.get('content-type') ?? '').toLowerCase().startsWith('application/json')
      ) {
        const bytes = await readBody(request, access.limits.maxBodyBytes);
        let parsed: unknown;
        try {
          parsed = JSON.parse(utf8.decode(bytes));
        } catch {
          // malformed: the SDK answers it (a parse error) from the raw bytes
          const raw = new Request(request.url, { method: 'POST', headers: request.headers, body: bytes });
          return mcp.fetch(raw, { authInfo });
        }
        const call = plainToolsCall((name) => request.headers.get(name), parsed);
        if (call && !(await gateway.metaMode()))
          return answerToolsCall(gateway, call, await callerOf(principal), request.signal, SERVER_INFO);
        return mcp.fetch(request, { authInfo, parsedBody: parsed });
      }
      return mcp.fetch(request, { authInfo });
    }
    const match = matchRoute(compiled, request.method, url.pathname);
    if (match.kind !== 'route')
      throw new FactoryError(
        match.kind === 'method' ? 'API_METHOD_NOT_ALLOWED' : 'API_NOT_FOUND',
        `no endpoint ${request.method} ${url.pathname}`,
        { details: { path: url.pathname, ...(match.kind === 'method' ? { allow: match.allow } : {}) } },
      );
    const def = match.route.definition;
    access.authorize(principal, def.permission!);
    return runRoute(def, {
      request,
      url,
      params: match.params,
      principal,
      maxBodyBytes: access.limits.maxBodyBytes,
    });
  }

  const fastPath = gatewayFastPath({
    gateway,
    access,
    allowedHosts,
    allowedOrigins,
    callerOf,
    cancels,
    errorAnswer,
    serverInfo: SERVER_INFO,
  });

  return {
    metrics: metrics.registry,
    fastPath,
    async fetch(request) {
      let url: URL;
      try {
        url = new URL(request.url);
      } catch {
        return traceRequest(request, '', async () =>
          errorResponse(new FactoryError('API_INVALID_REQUEST', 'malformed request URL')),
        );
      }
      // Span gateway.request (continuing the caller's traceparent header or the _meta of an MCP request)
      // and x-request-id on every response.
      return traceRequest(request, url.pathname, () => answer(request, url), {
        peekMeta: url.pathname === '/mcp' && request.headers.has('authorization'),
        maxPeekBytes: access.limits.maxBodyBytes,
      });
    },
    async close() {
      offChange();
      await mcp.close();
    },
  };

  /** The answer to one request, errors included (as error responses). */
  async function answer(request: Request, url: URL): Promise<Response> {
    try {
      return await handle(request, url);
    } catch (error) {
      return errorAnswer(error, request.url);
    }
  }

  /** The error answer to the request at `url` (the fast path's too): the challenge of a 401, Retry-After. */
  function errorAnswer(error: unknown, url: string): Response {
    if (!(error instanceof FactoryError)) options.onerror?.(error as Error);
    const headers: Record<string, string> = {};
    if (error instanceof FactoryError) {
      if (error.code === 'API_UNAUTHORIZED') {
        const meta = access.external ? `, resource_metadata="${access.external.metadataUrl(url)}"` : '';
        headers['www-authenticate'] = `Bearer realm="mcp-factory-gateway"${meta}`;
      }
      const retry = error.details?.retryAfterSeconds;
      if (typeof retry === 'number') headers['retry-after'] = String(retry);
    }
    return errorResponse(error, headers);
  }
}

/** Prometheus metrics read from the gateway at scrape time (upstream health) and counted per call. */
function gatewayMetrics(gateway: Gateway) {
  const registry = new MetricsRegistry();
  new Gauge({
    name: 'mcpf_gateway_upstream_up',
    help: 'Whether the gateway holds a connection to the upstream (1) or not (0)',
    labelNames: ['upstream'],
    registers: [registry],
    collect() {
      this.reset();
      for (const h of gateway.health()) this.set({ upstream: h.name }, h.connected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'mcpf_gateway_circuit_open',
    help: 'Whether the upstream circuit breaker is open (1) or half-open (0.5)',
    labelNames: ['upstream'],
    registers: [registry],
    collect() {
      this.reset();
      for (const h of gateway.health())
        this.set({ upstream: h.name }, h.breaker === 'open' ? 1 : h.breaker === 'half-open' ? 0.5 : 0);
    },
  });
  new Counter({
    name: 'mcpf_gateway_calls_total',
    help: 'Tool calls routed to the upstream',
    labelNames: ['upstream'],
    registers: [registry],
    collect() {
      this.reset();
      for (const h of gateway.health()) this.inc({ upstream: h.name }, h.calls);
    },
  });
  new Counter({
    name: 'mcpf_gateway_call_failures_total',
    help: 'Tool calls the upstream could not answer (unavailable, open circuit, timeout)',
    labelNames: ['upstream'],
    registers: [registry],
    collect() {
      this.reset();
      for (const h of gateway.health()) this.inc({ upstream: h.name }, h.failures);
    },
  });
  for (const [name, help, field] of [
    ['mcpf_gateway_cache_hits_total', 'Read-only tool calls answered from the result cache', 'hits'],
    ['mcpf_gateway_cache_misses_total', 'Cacheable tool calls not found in the result cache', 'misses'],
  ] as const)
    new Counter({
      name,
      help,
      labelNames: ['upstream'],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of gateway.cacheStats()) this.inc({ upstream: s.upstream }, s[field]);
      },
    });
  new Counter({
    name: 'mcpf_gateway_rate_limited_total',
    help: 'Tool calls refused by the gateway rate limits (GATEWAY_RATE_LIMITED)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(gateway.rateLimited);
    },
  });
  const latency = new Histogram({
    name: 'mcpf_gateway_call_duration_seconds',
    help: 'Tool call latency through the gateway by upstream',
    labelNames: ['upstream'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  gateway.onCall((upstream, seconds) => latency.observe({ upstream }, seconds));
  return { registry };
}
