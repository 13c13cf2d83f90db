/**
 * The gateway's node-level fast path (node.ts NodeFastPath): a plain tools/call POST to /mcp (fast-serve.ts
 * says which) served straight from the IncomingMessage, without the web Request and Response the fetch handler
 * needs — their construction cost about a quarter of the gateway's CPU per call. Everything a call goes through
 * is the fetch handler's own code, called the same way: the Host/Origin checks (the SDK's validators), the
 * body limit, authentication and the per-token rate limit (AccessControl), the caller's view (`callerOf`),
 * the `gateway.request` span and request id (tracing.ts), cancellation (the client going away aborts the call;
 * a 2025-11-25 notifications/cancelled reaches it through CallCancels), and the error answers (`errorAnswer`).
 * Inside `Gateway.callTool`: allow-lists, limits, cache, breaker, audit, call log and metrics.
 *
 * It declines — and the fetch handler serves the request as before — whenever the request is not in the
 * plainest form, and for any check that fails before authentication (a bad Host answers what the web path
 * answers because the web path answers it). Declining happens before anything the request could notice.
 */
import type { IncomingMessage } from 'node:http';
import { validateHostHeader, validateOriginHeader } from '@modelcontextprotocol/server';
import type { Gateway, GatewayCaller } from '../../gateway/gateway.js';
import { inRequestSpan, nodeRequestParent, REQUEST_ID_HEADER, requestIdFrom } from '../../gateway/tracing.js';
import type { AccessControl, Principal } from '../../identity/access.js';
import type { NodeAnswer, NodeFastPath } from '../http/node.js';
import {
  type FastCallRequest,
  type HeaderReader,
  LEGACY,
  MODERN,
  plainLegacyToolsCall,
  plainToolsCall,
  toolsCallBody,
} from './fast-serve.js';
import type { CallCancels } from './mcp.js';

export interface GatewayFastPathOptions {
  gateway: Gateway;
  access: AccessControl;
  allowedHosts: string[];
  allowedOrigins: string[];
  callerOf(principal: Principal): Promise<GatewayCaller>;
  /** In-flight 2025-11-25 calls, for their notifications/cancelled (the SDK path's registry). */
  cancels: CallCancels;
  /** The fetch handler's answer to an error (status, body and headers), for the request at `url`. */
  errorAnswer(error: unknown, url: string): Response;
  serverInfo: Record<string, unknown>;
}

/** Whether the media type is exactly application/json (parameters allowed). */
function isJson(type: string | undefined): boolean {
  if (!type) return false;
  const t = type.toLowerCase();
  return t === 'application/json' || t.startsWith('application/json;');
}

/** The call, when `req` is a plain tools/call this path answers; undefined to decline. */
function plainCall(
  req: IncomingMessage,
  body: Buffer,
  options: GatewayFastPathOptions,
  hostAllowed: (host: string | undefined) => boolean,
): FastCallRequest | undefined {
  if (req.method !== 'POST' || req.url !== '/mcp') return undefined;
  const h = req.headers;
  // A repeated header reads differently here (node keeps the first of some) than in a web Request: decline.
  if (req.rawHeaders.length !== 2 * Object.keys(h).length) return undefined;
  if (!isJson(h['content-type']) || body.length === 0 || body.length > options.access.limits.maxBodyBytes)
    return undefined;
  if (!hostAllowed(h.host)) return undefined;
  if (!validateOriginHeader(h.origin, options.allowedOrigins).ok) return undefined;
  const version = h['mcp-protocol-version'];
  if (version === MODERN) {
    if (h['mcp-method'] !== 'tools/call') return undefined;
  } else if (version === LEGACY) {
    const accept = h.accept;
    if (h['mcp-session-id'] !== undefined || !accept?.includes('application/json')) return undefined;
    if (!accept.includes('text/event-stream')) return undefined;
  } else return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const header: HeaderReader = (name) => h[name] as string | undefined;
  return version === MODERN ? plainToolsCall(header, parsed) : plainLegacyToolsCall(parsed);
}

export function gatewayFastPath(options: GatewayFastPathOptions): NodeFastPath {
  const { gateway, access } = options;
  // The Host check is a pure function of the header (the allow-list is fixed): remembered, as parsing it as a
  // URL on every call cost about 5 µs.
  const hosts = new Map<string, boolean>();
  const hostAllowed = (host: string | undefined): boolean => {
    if (host === undefined) return false;
    let ok = hosts.get(host);
    if (ok === undefined) {
      ok = validateHostHeader(host, options.allowedHosts).ok;
      if (hosts.size >= 256) hosts.clear();
      hosts.set(host, ok);
    }
    return ok;
  };

  async function serve(
    req: IncomingMessage,
    call: FastCallRequest,
    signal: AbortSignal,
  ): Promise<NodeAnswer | Response> {
    const h = req.headers;
    // What authentication reads of a request: its headers (repeated ones were declined above).
    const headers = { get: (name: string) => (h[name] as string | undefined) ?? null };
    try {
      const principal = await access.authenticate({ headers });
      await access.charge(principal);
      const caller = await options.callerOf(principal);
      let body: string;
      if (call.era === 'legacy') {
        const tracked = options.cancels.track(`${principal.tokenId}:${principal.name}`, call.id, signal);
        try {
          body = await toolsCallBody(gateway, call, caller, tracked.signal, options.serverInfo);
        } finally {
          tracked.done();
        }
      } else body = await toolsCallBody(gateway, call, caller, signal, options.serverInfo);
      return { status: 200, headers: { 'content-type': 'application/json' }, body };
    } catch (error) {
      return options.errorAnswer(error, new URL('/mcp', `http://${h.host}`).href);
    }
  }

  return (req, body, signal) => {
    const call = plainCall(req, body, options, hostAllowed);
    if (!call) return undefined;
    return (async () => {
      // Meta-tools (and catalog names called in meta mode) are the SDK server's.
      if (await gateway.metaMode().catch(() => true)) return undefined;
      const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER] as string | undefined);
      // As traceRequest: the _meta trace context only counts on an authenticated-looking request.
      const parent = nodeRequestParent(req.headers, req.headers.authorization ? call.meta : undefined);
      const answer = await inRequestSpan(
        { requestId, method: 'POST', path: '/mcp', parent },
        () => serve(req, call, signal),
        (a) => a.status,
      );
      if (answer instanceof Response) answer.headers.set(REQUEST_ID_HEADER, requestId);
      else answer.headers[REQUEST_ID_HEADER] = requestId;
      return answer;
    })();
  };
}
