/**
 * The bridge from `mcp-factory serve` to a gateway process for the console: the browser can only reach serve
 * (same origin, cookie session), so serve asks the gateway the operator configured (MCP_FACTORY_GATEWAY_URL),
 * without following redirects, and with the answer capped in bytes and time.
 * - Reads (readGateway): a fixed list of paths, with serve's own credential (MCP_FACTORY_GATEWAY_TOKEN, never
 *   the caller's). Nothing a caller sends becomes part of the URL: the resource is one of the names below.
 * - Tool calls (callGateway): the caller's own credential (never serve's), so the gateway decides and audits as
 *   for that caller; the tool name is checked and encoded as one path segment.
 */
import { FactoryError, makeIssue } from '../../core/errors/index.js';
import { readCappedBody } from '../../platform/capped-body.js';
import { loadConfig } from '../../platform/config.js';

/** The only gateway paths serve ever asks, by the name the console's routes use. */
export const GATEWAY_PROXY_PATHS = {
  servers: '/api/v1/servers',
  tools: '/api/v1/tools',
  health: '/health/detailed',
  metrics: '/metrics',
} as const;

export type GatewayResource = keyof typeof GATEWAY_PROXY_PATHS;

/** Where the console reaches the proxy (capabilities.gateway.url): a same-origin path. */
export const GATEWAY_PROXY_BASE = '/gateway';
export const GATEWAY_ANSWER_MAX_BYTES = 2 * 1024 * 1024;

export interface GatewayProxyConfig {
  /** The gateway's base URL without a trailing slash, query or fragment. */
  base: string;
  token?: string;
  maxBytes: number;
  timeoutMs: number;
}

/**
 * The proxy's settings from the operator's environment (through the configuration table, which checks the URL's
 * scheme and the timeout's bounds), or undefined when no gateway is configured.
 */
export function gatewayProxyConfig(env: NodeJS.ProcessEnv = process.env): GatewayProxyConfig | undefined {
  const { url: text, token, timeoutMs } = loadConfig(env).gatewayProxy;
  if (!text) return undefined;
  const url = new URL(text);
  if (url.username || url.password)
    throw notConfigured('MCP_FACTORY_GATEWAY_URL must not hold credentials (use MCP_FACTORY_GATEWAY_TOKEN)');
  return {
    base: `${url.origin}${url.pathname.replace(/\/+$/, '')}`,
    ...(token ? { token } : {}),
    maxBytes: GATEWAY_ANSWER_MAX_BYTES,
    timeoutMs,
  };
}

export interface GatewayAnswer {
  status: number;
  contentType: string;
  text: string;
}

/**
 * Ask the gateway for one resource. A gateway that is down, redirects, answers slower than the time cap or
 * larger than the byte cap fails with GATEWAY_PROXY_FAILED; an error answer of the gateway is passed on as
 * GATEWAY_PROXY_FAILED with the gateway's status and code in details (never its body verbatim).
 */
export async function readGateway(
  config: GatewayProxyConfig,
  resource: GatewayResource,
  signal?: AbortSignal,
): Promise<GatewayAnswer> {
  const path = GATEWAY_PROXY_PATHS[resource];
  const timeout = AbortSignal.timeout(config.timeoutMs);
  const aborted = signal ? AbortSignal.any([timeout, signal]) : timeout;
  let response: Response;
  let body: Uint8Array | null;
  try {
    response = await fetch(`${config.base}${path}`, {
      method: 'GET',
      redirect: 'manual',
      signal: aborted,
      headers: {
        accept: resource === 'metrics' ? 'text/plain' : 'application/json',
        ...(config.token ? { authorization: `Bearer ${config.token}` } : {}),
      },
    });
    body = await readCappedBody(response, config.maxBytes);
  } catch (error) {
    const slow = timeout.aborted;
    throw failed(
      slow
        ? `the gateway did not answer ${path} within ${config.timeoutMs} ms`
        : `the gateway is unreachable`,
      { path, reason: slow ? 'timeout' : 'unreachable' },
      error,
    );
  }
  if (body === null)
    throw failed(`the gateway's answer to ${path} is larger than ${config.maxBytes} bytes`, {
      path,
      reason: 'too-large',
      limit: config.maxBytes,
    });
  const text = new TextDecoder().decode(body);
  if (response.status !== 200)
    throw failed(`the gateway answered ${path} with HTTP ${response.status}`, {
      path,
      reason: 'status',
      status: response.status,
      ...(gatewayCode(text) ? { gatewayCode: gatewayCode(text) } : {}),
    });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text };
}

/** How long a tool call through the gateway may take (the reads keep the shorter MCP_FACTORY_GATEWAY_TIMEOUT_MS). */
export const GATEWAY_CALL_TIMEOUT_MS = 120_000;
/** The largest arguments object sent on (the gateway has its own, larger, body limit). */
export const GATEWAY_CALL_MAX_BODY_BYTES = 1024 * 1024;
/** A gateway tool name: what the gateway's names are made of (gateway/names.ts), so never a dot segment. */
export const GATEWAY_TOOL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/;

/**
 * Call one tool at the gateway as the caller: POST {base}/api/v1/tools/{tool}/execute with the caller's own
 * credential (never serve's), so the gateway's authentication, allow-lists, rate limits and audit apply to the
 * caller exactly as if it had called the gateway itself. The tool name is checked against GATEWAY_TOOL_NAME and
 * percent-encoded as one path segment; redirects are not followed; the answer is capped in bytes and time.
 * Answers the gateway's result (a CallToolResult object) or fails with GATEWAY_PROXY_FAILED, with the gateway's
 * status and error code in details, and a message that says what to do for the usual refusals.
 */
export async function callGateway(
  config: GatewayProxyConfig,
  call: { tool: string; arguments: Record<string, unknown>; credential: string },
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  if (!GATEWAY_TOOL_NAME.test(call.tool))
    throw invalid(
      'tool',
      'not a gateway tool name',
      'Use a name the gateway lists (letters, digits, _ . -).',
    );
  const body = JSON.stringify({ arguments: call.arguments });
  if (Buffer.byteLength(body) > GATEWAY_CALL_MAX_BODY_BYTES)
    throw invalid(
      'arguments',
      `larger than ${GATEWAY_CALL_MAX_BODY_BYTES} bytes`,
      'Send smaller arguments, or call the gateway directly.',
    );
  const path = `/api/v1/tools/${encodeURIComponent(call.tool)}/execute`;
  const timeout = AbortSignal.timeout(GATEWAY_CALL_TIMEOUT_MS);
  const aborted = signal ? AbortSignal.any([timeout, signal]) : timeout;
  let response: Response;
  let answer: Uint8Array | null;
  try {
    response = await fetch(`${config.base}${path}`, {
      method: 'POST',
      redirect: 'manual',
      signal: aborted,
      headers: {
        accept: 'application/json',
        'content-type': 'application/json',
        authorization: `Bearer ${call.credential}`,
      },
      body,
    });
    answer = await readCappedBody(response, config.maxBytes);
  } catch (error) {
    const slow = timeout.aborted;
    throw failed(
      slow
        ? `the gateway did not answer the call of ${call.tool} within ${GATEWAY_CALL_TIMEOUT_MS} ms`
        : 'the gateway is unreachable',
      { path: 'execute', reason: slow ? 'timeout' : 'unreachable' },
      error,
    );
  }
  if (answer === null)
    throw failed(`the gateway's answer to the call of ${call.tool} is larger than ${config.maxBytes} bytes`, {
      path: 'execute',
      reason: 'too-large',
      limit: config.maxBytes,
    });
  const text = new TextDecoder().decode(answer);
  if (response.status !== 200) {
    const code = gatewayCode(text);
    throw failed(refusal(response.status, code, call.tool), {
      path: 'execute',
      reason: 'status',
      status: response.status,
      ...(code ? { gatewayCode: code } : {}),
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw failed("the gateway's answer to the call is not a JSON object", {
      path: 'execute',
      reason: 'not-json',
    });
  return value as Record<string, unknown>;
}

/** What a refused call means to the person who made it (the gateway's own text is never passed on). */
function refusal(status: number, code: string | undefined, tool: string): string {
  if (status === 401)
    return "the gateway does not accept your credential: it must share this factory's registry (users and tokens)";
  if (status === 403) return `the gateway does not let you call ${tool} (${code ?? 'forbidden'})`;
  if (status === 404) return `the gateway has no tool ${tool} that you may call`;
  if (status === 429) return 'the gateway is limiting your calls: try again in a moment';
  return `the gateway answered the call of ${tool} with HTTP ${status}${code ? ` (${code})` : ''}`;
}

/** One JSON resource of the gateway, parsed (an object, or GATEWAY_PROXY_FAILED). */
export async function readGatewayJson(
  config: GatewayProxyConfig,
  resource: Exclude<GatewayResource, 'metrics'>,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const answer = await readGateway(config, resource, signal);
  let value: unknown;
  try {
    value = JSON.parse(answer.text);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw failed(`the gateway's answer to ${GATEWAY_PROXY_PATHS[resource]} is not a JSON object`, {
      path: GATEWAY_PROXY_PATHS[resource],
      reason: 'not-json',
    });
  return value as Record<string, unknown>;
}

/** The error code of a gateway error answer (`{ error: "CODE" }`), when it has a plausible one. */
function gatewayCode(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { error?: unknown }).error;
    return typeof code === 'string' && /^[A-Z_]{1,64}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

function invalid(path: string, message: string, hint: string): FactoryError {
  return new FactoryError('API_INVALID_REQUEST', `${path}: ${message}`, {
    issues: [makeIssue('API_INVALID_REQUEST', message, path, hint)],
  });
}

function notConfigured(message: string): FactoryError {
  return new FactoryError('GATEWAY_PROXY_NOT_CONFIGURED', message);
}

function failed(message: string, details: Record<string, unknown>, cause?: unknown): FactoryError {
  return new FactoryError('GATEWAY_PROXY_FAILED', message, { details, ...(cause ? { cause } : {}) });
}
