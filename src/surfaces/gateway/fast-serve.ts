/**
 * The gateway's hot path toward clients: a plain `tools/call` POST answered directly as one JSON-RPC response,
 * without building an SDK server for the request. Two forms qualify:
 * - 2026-07-28 (stateless: the request carries its own protocol version and client envelope): JSON body, the
 *   standard headers matching the body (`mcp-method: tools/call`, `mcp-name` equal to the tool), an envelope
 *   naming 2026-07-28. The answer has the shape the SDK gives (`resultType: complete`, the gateway's serverInfo
 *   in `_meta`).
 * - 2025-11-25 (the gateway serves that era statelessly: no session): a request with only `name`, `arguments`
 *   and an optional `_meta` without the 2026-07-28 envelope claim. The answer is the JSON-RPC response the SDK
 *   sends, as JSON (such a client accepts JSON and event streams alike) rather than a one-event stream.
 * Either way only the plainest form takes this path, and only for catalog tools (not meta-tools): everything
 * else, including every malformed request, goes to the SDK's handler, so errors and edge cases keep the SDK's
 * exact behaviour.
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { Gateway, GatewayCaller } from '../../gateway/gateway.js';
import { gatewayErrorResult } from './mcp.js';

export const MODERN = '2026-07-28';
export const LEGACY = '2025-11-25';
const PROTOCOL_KEY = 'io.modelcontextprotocol/protocolVersion';
const SERVER_INFO_KEY = 'io.modelcontextprotocol/serverInfo';

export interface FastCallRequest {
  era: 'modern' | 'legacy';
  id: string | number;
  name: string;
  args: Record<string, unknown>;
  /** The request's `_meta` (the trace context may be in it). */
  meta: Record<string, unknown> | undefined;
}

/** Reads one request header (null or undefined when absent). */
export type HeaderReader = (name: string) => string | null | undefined;

interface Message {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: { name?: unknown; arguments?: unknown; _meta?: unknown };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The JSON-RPC tools/call request in `body`, when it is one with a usable id, name and arguments. */
function toolsCallOf(
  body: unknown,
): { m: Message; id: string | number; args: Record<string, unknown> } | undefined {
  if (!isObject(body)) return undefined;
  const m = body as Message;
  if (m.jsonrpc !== '2.0' || m.method !== 'tools/call') return undefined;
  // The SDK's JSON-RPC request schema is strict: a body with any other key (`__proto__` included) is a 400 there.
  for (const key in m)
    if (key !== 'jsonrpc' && key !== 'id' && key !== 'method' && key !== 'params') return undefined;
  const id = m.id;
  // A safe integer only: the SDK refuses 1e21 (an integer, not a safe one) as an id, so must this path.
  if (!(typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id)))) return undefined;
  if (!isObject(m.params) || typeof m.params.name !== 'string') return undefined;
  // Absent arguments mean none; `null` is refused by the SDK, so it is not read as absent here.
  const args = m.params.arguments === undefined ? {} : m.params.arguments;
  if (!isObject(args)) return undefined;
  return { m, id, args };
}

/** The call, when the request is a plain 2026-07-28 tools/call this path may answer; otherwise undefined. */
export function plainToolsCall(header: HeaderReader, body: unknown): FastCallRequest | undefined {
  if (header('mcp-protocol-version') !== MODERN || header('mcp-method') !== 'tools/call') return undefined;
  const found = toolsCallOf(body);
  if (!found) return undefined;
  const params = found.m.params!;
  if (header('mcp-name') !== params.name) return undefined;
  const meta = params._meta;
  if (!isObject(meta) || meta[PROTOCOL_KEY] !== MODERN) return undefined;
  return { era: 'modern', id: found.id, name: params.name as string, args: found.args, meta };
}

/**
 * The call, when the body is a plain 2025-11-25 tools/call (the caller checks the headers: version, no
 * session, JSON accepted); otherwise undefined. Anything beyond name, arguments and `_meta` (a task, say) goes
 * to the SDK, and so does a `_meta` claiming the 2026-07-28 envelope (the SDK routes it to that era).
 */
export function plainLegacyToolsCall(body: unknown): FastCallRequest | undefined {
  const found = toolsCallOf(body);
  if (!found) return undefined;
  const params = found.m.params!;
  for (const key in params) if (key !== 'name' && key !== 'arguments' && key !== '_meta') return undefined;
  const meta = params._meta;
  if (meta !== undefined && (!isObject(meta) || PROTOCOL_KEY in meta)) return undefined;
  return { era: 'legacy', id: found.id, name: params.name as string, args: found.args, meta };
}

/** The JSON-RPC response to the call, routed through the gateway, as the SDK would shape it for its era. */
export async function toolsCallBody(
  gateway: Gateway,
  call: FastCallRequest,
  caller: GatewayCaller,
  signal: AbortSignal,
  serverInfo: Record<string, unknown>,
): Promise<string> {
  let result: CallToolResult;
  try {
    result = await gateway.callTool(call.name, call.args, { caller, signal });
  } catch (error) {
    result = gatewayErrorResult(error);
  }
  if (call.era === 'legacy') return JSON.stringify({ result, jsonrpc: '2.0', id: call.id });
  const { _meta, resultType: _type, ...rest } = result as CallToolResult & { resultType?: unknown };
  const { [SERVER_INFO_KEY]: _upstreamInfo, ...otherMeta } = (_meta ?? {}) as Record<string, unknown>;
  return JSON.stringify({
    result: { ...rest, resultType: 'complete', _meta: { ...otherMeta, [SERVER_INFO_KEY]: serverInfo } },
    jsonrpc: '2.0',
    id: call.id,
  });
}

/** The same answer as a web Response (the fetch handler's path). */
export async function answerToolsCall(
  gateway: Gateway,
  call: FastCallRequest,
  caller: GatewayCaller,
  signal: AbortSignal,
  serverInfo: Record<string, unknown>,
): Promise<Response> {
  const body = await toolsCallBody(gateway, call, caller, signal, serverInfo);
  return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
}
