/**
 * The read-only bridge from `mcp-factory serve` to a gateway process for the console: the browser can only
 * reach serve (same origin, cookie session), so serve asks the gateway the operator configured
 * (MCP_FACTORY_GATEWAY_URL) on a fixed list of paths, with serve's own credential (MCP_FACTORY_GATEWAY_TOKEN,
 * never the caller's), without following redirects, and with the answer capped in bytes and time. Nothing a
 * caller sends becomes part of the URL: the resource is one of the names below.
 */
import { FactoryError } from '../../core/errors/index.js';
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

function notConfigured(message: string): FactoryError {
  return new FactoryError('GATEWAY_PROXY_NOT_CONFIGURED', message);
}

function failed(message: string, details: Record<string, unknown>, cause?: unknown): FactoryError {
  return new FactoryError('GATEWAY_PROXY_FAILED', message, { details, ...(cause ? { cause } : {}) });
}
