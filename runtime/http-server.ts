/**
 * Streamable HTTP serving. The core is web-standard (Request → Response): Host/Origin checks, auth,
 * health and metrics, then the SDK handler that answers both 2026-07-28 and 2025-11-25 clients.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { toNodeHandler } from '@modelcontextprotocol/node';
import {
  createMcpHandler,
  hostHeaderValidationResponse,
  localhostAllowedHostnames,
  type McpServerFactory,
  originValidationResponse,
} from '@modelcontextprotocol/server';
import { createPrometheusMetrics } from './metrics.js';
import type { Runtime } from './runtime.js';

export interface HttpOptions {
  host: string;
  port: number;
}

export function createHttpCore(
  rt: Runtime,
  factory: McpServerFactory,
): { fetch: (req: Request) => Promise<Response>; close: () => Promise<void> } {
  const { settings } = rt;
  const mcp = createMcpHandler(factory, {
    onerror: (error) => rt.log.debug('mcp transport error', { error: error.message }),
  });
  const extraHosts = (process.env.MCP_ALLOWED_HOSTS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const extraOrigins = (process.env.MCP_ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const allowedHosts = [...localhostAllowedHostnames(), ...settings.http.allowedHosts, ...extraHosts];
  const allowedOrigins = [...localhostAllowedHostnames(), ...settings.http.allowedOrigins, ...extraOrigins];
  const expected = expectedCredential(rt);
  const passthroughHeader = settings.httpConnections.find((c) => c.passthrough)?.passthrough?.header;

  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    });

  return {
    async fetch(req) {
      const url = new URL(req.url);
      if (url.pathname === '/health' && req.method === 'GET') {
        return json(200, { status: 'ok', name: settings.name, version: settings.version });
      }
      const hostRejection = hostHeaderValidationResponse(req, allowedHosts);
      if (hostRejection) return hostRejection;
      const originRejection = originValidationResponse(req, allowedOrigins);
      if (originRejection) return originRejection;
      if (expected && !expected.check(req)) {
        return json(
          401,
          { error: 'unauthorized', message: expected.hint },
          expected.challenge ? { 'www-authenticate': expected.challenge } : {},
        );
      }
      if (url.pathname === '/metrics' && req.method === 'GET') {
        const metrics = await rt.metrics.render();
        if (metrics) return new Response(metrics.body, { headers: { 'content-type': metrics.contentType } });
      }
      if (url.pathname === settings.http.path) {
        // Only the dedicated pass-through header is forwarded upstream, never the client's own Authorization.
        const upstreamCredential = passthroughHeader ? req.headers.get(passthroughHeader) : null;
        return upstreamCredential
          ? mcp.fetch(req, {
              authInfo: { token: '', clientId: 'mcp-client', scopes: [], extra: { upstreamCredential } },
            })
          : mcp.fetch(req);
      }
      return json(404, { error: 'not_found', message: `MCP is served at ${settings.http.path}` });
    },
    close: () => mcp.close(),
  };
}

function expectedCredential(
  rt: Runtime,
): { check: (req: Request) => boolean; hint: string; challenge?: string } | undefined {
  const auth = rt.settings.auth;
  if (auth.type === 'none') return undefined;
  const secret = process.env[auth.envVar];
  if (!secret)
    throw new Error(
      `HTTP auth is ${auth.type} but ${auth.envVar} is not set; set it or the server cannot authenticate clients`,
    );
  const digest = createHash('sha256').update(secret).digest();
  const same = (given: string | null | undefined) =>
    !!given && timingSafeEqual(createHash('sha256').update(given).digest(), digest);
  if (auth.type === 'api_key') {
    return {
      check: (req) => same(req.headers.get(auth.header)),
      hint: `send the API key in the ${auth.header} header`,
    };
  }
  return {
    check: (req) => {
      const m = /^Bearer\s+(.+)$/i.exec(req.headers.get('authorization') ?? '');
      return same(m?.[1]);
    },
    hint: 'send Authorization: Bearer <token>',
    challenge: 'Bearer',
  };
}

export async function startHttpServer(
  rt: Runtime,
  factory: McpServerFactory,
  options: HttpOptions,
): Promise<{ server: Server; close: () => Promise<void> }> {
  if (rt.settings.metrics) rt.metrics = await createPrometheusMetrics();
  const core = createHttpCore(rt, factory);
  const handler = toNodeHandler({ fetch: (req: Request) => core.fetch(req) });
  const server = createServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      rt.log.error('request failed', { error: (error as Error).message });
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  rt.log.info('listening', {
    transport: 'http',
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}${rt.settings.http.path}`,
  });
  return {
    server,
    close: async () => {
      await core.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}
