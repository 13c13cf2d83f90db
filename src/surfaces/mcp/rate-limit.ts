/**
 * The rate limit of the factory's MCP endpoint. MCP is chattier than the REST API: one useful call is an
 * initialize, a notification, a tools/list and the call itself (2025-11-25 sessions), and a client such as the
 * conformance suite sends a few hundred requests at once. So the endpoint keeps its own bucket per token,
 * sized in API requests times MCP_REQUESTS_PER_CALL (the token's rate, four times over), with a burst of at most
 * `burst` (default 1000). A refusal is a JSON-RPC error (with the request's id) in an HTTP 429 with Retry-After,
 * which MCP clients understand, rather than the API's plain error object. On a shared (PostgreSQL) registry the
 * bucket is the registry's (store/cluster.ts takeToken), so the limit holds over every instance of a cluster.
 */
import { FactoryError } from '../../core/errors/index.js';
import { type Clock, KeyedTokenBuckets } from '../../core/rate/index.js';
import type { Principal } from '../../identity/access.js';
import { errorBody } from '../http/errors.js';

/** HTTP requests one MCP tool call takes (initialize, initialized, tools/list, tools/call). */
export const MCP_REQUESTS_PER_CALL = 4;
/** Default largest burst of MCP requests per token. */
export const MCP_DEFAULT_BURST = 1000;
/** JSON-RPC implementation-defined server error, as the SDK uses for transport-level refusals. */
export const JSONRPC_SERVER_ERROR = -32000;

/** A bucket shared by every instance (store/cluster.ts takeToken): ms to wait, 0 when a request was taken. */
export type SharedBucket = (key: string, capacity: number, perMinute: number) => Promise<number>;

export class McpRateLimit {
  readonly #buckets: KeyedTokenBuckets;
  readonly #burst: number;
  readonly #shared: SharedBucket | undefined;

  constructor(
    options: { burst?: number | undefined; now?: Clock | undefined; shared?: SharedBucket | undefined } = {},
  ) {
    this.#burst = options.burst ?? MCP_DEFAULT_BURST;
    this.#buckets = new KeyedTokenBuckets(options.now);
    this.#shared = options.shared;
  }

  /** The bucket of a token: `requestsPerMinute` API requests are MCP_REQUESTS_PER_CALL times as many here. */
  limitOf(principal: Principal): { capacity: number; perMinute: number } {
    const perMinute = principal.requestsPerMinute * MCP_REQUESTS_PER_CALL;
    return { capacity: Math.max(1, Math.min(this.#burst, perMinute)), perMinute };
  }

  /** Count one request; throws API_RATE_LIMITED with retryAfterSeconds. */
  async charge(principal: Principal): Promise<void> {
    const { capacity, perMinute } = this.limitOf(principal);
    const waitMs = this.#shared
      ? await this.#shared(`mcp:${principal.tokenId}`, capacity, perMinute)
      : this.#buckets.take(principal.tokenId, { capacity, refillPerMs: perMinute / 60_000 });
    if (waitMs <= 0) return;
    const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
    throw new FactoryError(
      'API_RATE_LIMITED',
      `MCP rate limit of ${perMinute} requests per minute (burst ${capacity}) exceeded; retry in ${retryAfterSeconds} s`,
      { details: { retryAfterSeconds, requestsPerMinute: perMinute, burst: capacity } },
    );
  }
}

type JsonRpcId = string | number | null;

/**
 * The id of the JSON-RPC request in `request`'s body (a clone is read; at most `maxBytes`), or null for a
 * notification, a batch, a body that is not JSON-RPC or one that is too large.
 */
export async function jsonRpcIdOf(request: Request, maxBytes: number): Promise<JsonRpcId> {
  if (request.method !== 'POST' || !request.body) return null;
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) return null;
  try {
    const text = await request.clone().text();
    if (text.length > maxBytes) return null;
    const message: unknown = JSON.parse(text);
    if (message === null || typeof message !== 'object' || Array.isArray(message)) return null;
    const id = (message as { id?: unknown }).id;
    return typeof id === 'string' || typeof id === 'number' ? id : null;
  } catch {
    return null;
  }
}

/** A FactoryError (a rate limit) as a JSON-RPC error response with the factory's code, hint and details. */
export function jsonRpcErrorResponse(
  error: FactoryError,
  id: JsonRpcId,
  status: number,
  headers: Record<string, string> = {},
): Response {
  const body = errorBody(error);
  return Response.json(
    {
      jsonrpc: '2.0',
      id,
      error: {
        code: JSONRPC_SERVER_ERROR,
        message: error.message,
        data: { error: body.error, ...body.details },
      },
    },
    { status, headers: { 'content-type': 'application/json', ...headers } },
  );
}
