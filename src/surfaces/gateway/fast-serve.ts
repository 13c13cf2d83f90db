/**
 * The gateway's hot path toward clients: a 2026-07-28 `tools/call` POST (stateless: the request carries its own
 * protocol version and client envelope) answered directly as one JSON-RPC response, without building an SDK
 * server for the request. Only the plainest form takes this path — JSON body, the standard headers matching the
 * body (`mcp-method: tools/call`, `mcp-name` equal to the tool), an envelope naming 2026-07-28, a catalog tool
 * (not a meta-tool) — and everything else, including every malformed request, goes to the SDK's handler with
 * the body already parsed, so errors and edge cases keep the SDK's exact behaviour. The answer has the shape the
 * SDK gives (`resultType: complete`, the gateway's serverInfo in `_meta`).
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { Gateway, GatewayCaller } from '../../gateway/gateway.js';
import { gatewayErrorResult } from './mcp.js';

const MODERN = '2026-07-28';
const PROTOCOL_KEY = 'io.modelcontextprotocol/protocolVersion';
const SERVER_INFO_KEY = 'io.modelcontextprotocol/serverInfo';

export interface FastCallRequest {
  id: string | number;
  name: string;
  args: Record<string, unknown>;
}

/** The call, when the request is a plain 2026-07-28 tools/call this path may answer; otherwise undefined. */
export function plainToolsCall(request: Request, body: unknown): FastCallRequest | undefined {
  const h = request.headers;
  if (h.get('mcp-protocol-version') !== MODERN || h.get('mcp-method') !== 'tools/call') return undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const m = body as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
  if (m.jsonrpc !== '2.0' || m.method !== 'tools/call') return undefined;
  if (!(typeof m.id === 'string' || (typeof m.id === 'number' && Number.isInteger(m.id)))) return undefined;
  const params = m.params as { name?: unknown; arguments?: unknown; _meta?: unknown } | undefined;
  if (!params || typeof params.name !== 'string' || h.get('mcp-name') !== params.name) return undefined;
  const meta = params._meta as Record<string, unknown> | undefined;
  if (!meta || typeof meta !== 'object' || meta[PROTOCOL_KEY] !== MODERN) return undefined;
  const args = params.arguments ?? {};
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return undefined;
  return { id: m.id, name: params.name, args: args as Record<string, unknown> };
}

/** Answer the call through the gateway, as the SDK would shape it. */
export async function answerToolsCall(
  gateway: Gateway,
  call: FastCallRequest,
  caller: GatewayCaller,
  signal: AbortSignal,
  serverInfo: Record<string, unknown>,
): Promise<Response> {
  let result: CallToolResult;
  try {
    result = await gateway.callTool(call.name, call.args, { caller, signal });
  } catch (error) {
    result = gatewayErrorResult(error);
  }
  const { _meta, resultType: _type, ...rest } = result as CallToolResult & { resultType?: unknown };
  const { [SERVER_INFO_KEY]: _upstreamInfo, ...otherMeta } = (_meta ?? {}) as Record<string, unknown>;
  const body = {
    result: { ...rest, resultType: 'complete', _meta: { ...otherMeta, [SERVER_INFO_KEY]: serverInfo } },
    jsonrpc: '2.0',
    id: call.id,
  };
  return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
}
