/**
 * Streamable HTTP serving. The core is web-standard (Request → Response): Host/Origin checks, auth,
 * health and metrics, then the SDK handler that answers both 2026-07-28 and 2025-11-25 clients. A 2025 client
 * that initializes gets a bounded session (sessions.ts: MCP_MAX_SESSIONS, MCP_SESSION_IDLE_MS), so its cancels,
 * setLevel and server→client requests (elicitation, sampling) reach the call they belong to. A 2026 client's
 * subscriptions/listen streams get watched resources' changes through the process's event bus (listen.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { toNodeHandler } from '@modelcontextprotocol/node';
import {
  type AuthInfo,
  createMcpHandler,
  hostHeaderValidationResponse,
  localhostAllowedHostnames,
  type McpServerFactory,
  originValidationResponse,
  readRequestBody,
} from '@modelcontextprotocol/server';
import { httpAuthGuard, quoted } from './http-auth.js';
import { routeExtra } from './http-routes.js';
import { listenBus, routeListen } from './listen.js';
import { createPrometheusMetrics } from './metrics.js';
import type { Runtime } from './runtime.js';
import { createSessionStore } from './sessions.js';
import { drainToolCalls } from './tool.js';

export interface HttpOptions {
  host: string;
  port: number;
}

export function createHttpCore(
  rt: Runtime,
  factory: McpServerFactory,
): { fetch: (req: Request) => Promise<Response>; close: () => Promise<void> } {
  const { settings } = rt;
  const onerror = (error: Error) => rt.log.debug('mcp transport error', { error: error.message });
  // One change-event bus per process (runtime/listen.ts): 2026-07-28 subscriptions/listen streams register on it,
  // and watched resources are polled while a stream asks for them.
  const mcp = createMcpHandler(factory, { onerror, bus: listenBus });
  // 2025 clients that initialize get a session (cancel, setLevel, elicitation and sampling need one); 2026-07-28
  // traffic and sessionless 2025 requests keep the stateless handler.
  const sessions = createSessionStore(factory, onerror);
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
  // Token-checking schemes (OAuth): registered by their own module, built (and checked) at start.
  const guard = settings.auth.type === 'oauth' ? httpAuthGuard(settings) : undefined;
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
      // Webhook triggers: other services calling in, authenticated by their signatures (runtime/http-routes.ts).
      const extra = url.pathname === settings.http.path ? undefined : routeExtra(req, url);
      if (extra) return extra;
      const hostRejection = hostHeaderValidationResponse(req, allowedHosts);
      if (hostRejection) return hostRejection;
      const originRejection = originValidationResponse(req, allowedOrigins);
      if (originRejection) return originRejection;
      const metadata = guard?.metadata(req);
      if (metadata) return metadata;
      let authInfo: AuthInfo | undefined;
      if (guard) {
        const verdict = await guard.authenticate(req);
        if (!verdict.ok) {
          rt.log.debug('request refused', { status: verdict.response.status, reason: verdict.reason });
          return verdict.response;
        }
        authInfo = verdict.authInfo;
      }
      if (expected && !expected.check(req)) {
        return json(
          401,
          { error: 'unauthorized', message: expected.hint },
          { 'www-authenticate': expected.challenge(req) },
        );
      }
      // Read once, after authentication and within the SDK's size limit: the scope check and the session routing
      // look at the JSON-RPC message(s), and the SDK gets the parsed body instead of reading it again.
      let body: unknown;
      if (url.pathname === settings.http.path && req.method === 'POST') {
        const read = await readRequestBody(req.clone());
        if (read.tooLarge)
          return json(413, {
            jsonrpc: '2.0',
            id: null,
            error: { code: -32000, message: 'the request body is larger than the server accepts' },
          });
        body = parseJson(read.text);
        if (guard && authInfo)
          for (const tool of calledTools(body)) {
            const forbidden = guard.forbidTool(req, tool, authInfo.scopes);
            if (forbidden) return forbidden;
          }
      }
      if (url.pathname === '/metrics' && req.method === 'GET') {
        const metrics = await rt.metrics.render();
        if (metrics) return new Response(metrics.body, { headers: { 'content-type': metrics.contentType } });
      }
      if (url.pathname === settings.http.path) {
        // Only the dedicated pass-through header is forwarded upstream, never the client's own Authorization.
        const upstreamCredential = passthroughHeader ? req.headers.get(passthroughHeader) : null;
        if (upstreamCredential)
          authInfo = authInfo
            ? { ...authInfo, extra: { ...authInfo.extra, upstreamCredential } }
            : { token: '', clientId: 'mcp-client', scopes: [], extra: { upstreamCredential } };
        if (sessions.wants(req, body)) return sessions.handle(req, body, authInfo);
        return routeListen(body, () =>
          mcp.fetch(req, {
            ...(authInfo ? { authInfo } : {}),
            ...(body !== undefined ? { parsedBody: body } : {}),
          }),
        );
      }
      return json(404, { error: 'not_found', message: `MCP is served at ${settings.http.path}` });
    },
    close: async () => {
      await sessions.close();
      await mcp.close();
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // the SDK reads the body itself and answers with its parse error
  }
}

/** The tools a JSON-RPC body calls (every message of a batch), read as the SDK will read it. */
function calledTools(body: unknown): string[] {
  const messages = (Array.isArray(body) ? body : [body]) as Array<
    { method?: unknown; params?: { name?: unknown } } | null | undefined
  >;
  return messages.flatMap((m) =>
    m?.method === 'tools/call' && typeof m.params?.name === 'string' ? [m.params.name] : [],
  );
}

function expectedCredential(
  rt: Runtime,
): { check: (req: Request) => boolean; hint: string; challenge: (req: Request) => string } | undefined {
  const auth = rt.settings.auth;
  if (auth.type === 'none' || auth.type === 'oauth') return undefined;
  const secret = process.env[auth.envVar];
  if (!secret)
    throw new Error(
      `HTTP auth is ${auth.type} but ${auth.envVar} is not set; set it or the server cannot authenticate clients`,
    );
  const digest = createHash('sha256').update(secret).digest();
  const same = (given: string | null | undefined) =>
    !!given && timingSafeEqual(createHash('sha256').update(given).digest(), digest);
  const realm = `realm=${quoted(rt.settings.name)}`;
  if (auth.type === 'api_key') {
    // No registered scheme for API keys: the challenge names the header so a client knows where the key goes.
    const challenge = `ApiKey ${realm}, header=${quoted(auth.header)}`;
    return {
      check: (req) => same(req.headers.get(auth.header)),
      hint: `send the API key in the ${auth.header} header`,
      challenge: () => challenge,
    };
  }
  const bearer = (req: Request) => /^Bearer\s+(.+)$/i.exec(req.headers.get('authorization') ?? '')?.[1];
  return {
    check: (req) => same(bearer(req)),
    hint: 'send Authorization: Bearer <token>',
    // RFC 6750 §3: no error code when the request carried no token; invalid_token when it carried a wrong one.
    challenge: (req) =>
      bearer(req) === undefined
        ? `Bearer ${realm}`
        : `Bearer ${realm}, error="invalid_token", error_description="the access token is not valid"`,
  };
}

export async function startHttpServer(
  rt: Runtime,
  factory: McpServerFactory,
  options: HttpOptions,
): Promise<{ server: Server; close: (graceMs?: number, hurry?: AbortSignal) => Promise<void> }> {
  if (rt.settings.metrics) rt.metrics = await createPrometheusMetrics();
  const core = createHttpCore(rt, factory);
  const handler = toNodeHandler({ fetch: (req: Request) => core.fetch(req) });
  let draining = false;
  let requests = 0;
  const server = createServer((req, res) => {
    if (draining) {
      // A request on a kept-alive connection during shutdown: send it elsewhere and close the connection.
      res
        .writeHead(503, { 'content-type': 'application/json', connection: 'close', 'retry-after': '1' })
        .end(JSON.stringify({ error: 'shutting_down', message: 'the server is shutting down' }));
      return;
    }
    requests++;
    res.once('close', () => requests--);
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
    /**
     * Graceful: stop listening (new connections are refused), let running tool calls finish and their responses
     * go out within `graceMs` (past it they are aborted and answer with an error), then close what is left
     * (subscription streams, idle keep-alive connections).
     */
    close: async (graceMs = 0, hurry?: AbortSignal) => {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await drainToolCalls(graceMs, hurry);
      // The last results are being written: wait for those responses (long-lived streams do not count).
      const until = Date.now() + 1_000;
      while (requests > 0 && Date.now() < until && !hurry?.aborted) await sleep(10);
      await core.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
