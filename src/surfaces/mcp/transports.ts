/**
 * Serving the factory's MCP server: over stdio (a local user; `serveStdio` answers both protocol eras), and over
 * Streamable HTTP (`createMcpHandler`: 2026-07-28 per-request and stateless 2025-11-25) behind Host/Origin
 * validation, the API's bearer tokens, the endpoint's own per-token rate limit (rate-limit.ts: sized for MCP's
 * chattier traffic, refused as a JSON-RPC error) and the access policy (asked by each tool call).
 * The HTTP core is web-standard; serve it with `serveFactoryMcpHttp` or mount it into the HTTP API
 * (`createApi({ mount: { '/mcp': handler.fetch } })`).
 */
import {
  createMcpHandler,
  hostHeaderValidationResponse,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  type McpServerFactory,
  originValidationResponse,
} from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { FactoryError } from '../../core/errors/index.js';
import { AccessControl, type ApiLimits, type Principal } from '../../identity/access.js';
import type { ApiTokens } from '../../identity/tokens.js';
import { errorResponse, json } from '../http/errors.js';
import { type ServedHttp, type ServeOptions, serveFetch } from '../http/node.js';
import { jsonRpcErrorResponse, jsonRpcIdOf, MCP_DEFAULT_BURST, McpRateLimit } from './rate-limit.js';
import { createFactoryMcpServer, type FactoryMcpOptions } from './server.js';

type Transport = NonNullable<Parameters<typeof serveStdio>[1]>['transport'];

/** Serve over this process's stdin/stdout (or a given transport); resolves nothing, close() ends it. */
export function serveFactoryStdio(
  options: FactoryMcpOptions & { transport?: Transport; onerror?: (error: Error) => void },
): { close(): Promise<void> } {
  const factory: McpServerFactory = () =>
    createFactoryMcpServer({ ...options, allowLocalFiles: options.allowLocalFiles ?? true });
  return serveStdio(factory, {
    ...(options.transport ? { transport: options.transport } : {}),
    ...(options.onerror ? { onerror: options.onerror } : {}),
  });
}

export interface FactoryMcpHttpOptions
  extends Omit<FactoryMcpOptions, 'actor' | 'reserveCreate' | 'subject' | 'policy'> {
  tokens: ApiTokens;
  /**
   * Shared with the HTTP API when both run in one process (one token store, server quota and creation limit);
   * MCP requests are counted in the endpoint's own bucket per token (see `mcpBurst`).
   */
  access?: AccessControl | undefined;
  limits?: Partial<ApiLimits> | undefined;
  /**
   * Largest burst of MCP requests per token (default 1000, or the API's burst when that is larger); the
   * sustained rate is four MCP requests per API request of the token's rate (default 300 per minute: 1200).
   */
  mcpBurst?: number | undefined;
  /** Default /mcp. */
  path?: string | undefined;
  allowedHosts?: string[] | undefined;
  allowedOrigins?: string[] | undefined;
  onerror?: ((error: Error) => void) | undefined;
}

export interface FactoryMcpHttp {
  fetch(request: Request): Promise<Response>;
  close(): Promise<void>;
  readonly access: AccessControl;
}

export function createFactoryMcpHttp(options: FactoryMcpHttpOptions): FactoryMcpHttp {
  const access =
    options.access ??
    new AccessControl({ tokens: options.tokens, registry: options.registry, limits: options.limits });
  const path = options.path ?? '/mcp';
  // Never tighter than the burst the operator gave the API (--burst), unless mcpBurst says so.
  const cluster = options.registry.cluster;
  const rate = new McpRateLimit({
    burst: options.mcpBurst ?? Math.max(MCP_DEFAULT_BURST, access.limits.burst),
    // Shared by the cluster's instances like the API's own limit (access.charge).
    shared: cluster.shared
      ? (key, capacity, perMinute) => cluster.takeToken(key, capacity, perMinute)
      : undefined,
  });
  const allowedHosts = [...localhostAllowedHostnames(), ...(options.allowedHosts ?? [])];
  const allowedOrigins = [...localhostAllowedOrigins(), ...(options.allowedOrigins ?? [])];
  const factory: McpServerFactory = (ctx) => {
    const principal = ctx.authInfo?.extra?.principal as Principal | undefined;
    if (!principal) throw new FactoryError('API_UNAUTHORIZED', 'unauthenticated MCP request');
    return createFactoryMcpServer({
      ...options,
      allowLocalFiles: false,
      actor: principal.name,
      subject: { kind: 'token', principal },
      policy: access.policy,
      reserveCreate: (server) => access.reserveCreate(principal, server),
    });
  };
  const mcp = createMcpHandler(factory, {
    ...(options.onerror ? { onerror: options.onerror } : {}),
    maxRequestBodySize: access.limits.maxBodyBytes,
  });

  return {
    access,
    async fetch(request) {
      const url = new URL(request.url);
      if (url.pathname === '/health' && request.method === 'GET') return json(200, { status: 'ok' });
      const hostRejection = hostHeaderValidationResponse(request, allowedHosts);
      if (hostRejection) return hostRejection;
      const originRejection = originValidationResponse(request, allowedOrigins);
      if (originRejection) return originRejection;
      let principal: Principal;
      try {
        principal = await access.authenticate(request);
      } catch (error) {
        const headers: Record<string, string> = {};
        if (error instanceof FactoryError && error.code === 'API_UNAUTHORIZED')
          headers['www-authenticate'] = 'Bearer realm="mcp-factory"';
        return errorResponse(error, headers);
      }
      try {
        await rate.charge(principal);
      } catch (error) {
        if (!(error instanceof FactoryError)) throw error;
        const retry = error.details?.retryAfterSeconds;
        const id = await jsonRpcIdOf(request, access.limits.maxBodyBytes);
        return jsonRpcErrorResponse(
          error,
          id,
          429,
          typeof retry === 'number' ? { 'retry-after': String(retry) } : {},
        );
      }
      if (url.pathname !== path)
        return errorResponse(
          new FactoryError('API_NOT_FOUND', `the MCP endpoint is ${path}`, {
            details: { path: url.pathname },
          }),
        );
      const token = request.headers.get('authorization')?.replace(/^Bearer\s+/i, '') ?? '';
      return mcp.fetch(request, {
        authInfo: { token, clientId: principal.name, scopes: [], extra: { principal } },
      });
    },
    close: () => mcp.close(),
  };
}

/** Serve the factory's MCP server over Streamable HTTP on host:port (loopback by default). */
export async function serveFactoryMcpHttp(
  options: FactoryMcpHttpOptions & ServeOptions,
): Promise<ServedHttp & { handler: FactoryMcpHttp }> {
  const handler = createFactoryMcpHttp(options);
  const served = await serveFetch((request) => handler.fetch(request), options);
  return {
    ...served,
    handler,
    close: async () => {
      await handler.close();
      await served.close();
    },
  };
}
