/**
 * The bridge from `mcp-factory serve` to a gateway process for the console: the browser can only reach serve
 * (same origin, cookie session), so serve asks the gateway the operator configured (MCP_FACTORY_GATEWAY_URL),
 * without following redirects, and with the answer capped in bytes and time.
 * - Reads (readGateway): a fixed list of paths. The upstreams, health and metrics with serve's own credential
 *   (MCP_FACTORY_GATEWAY_TOKEN, never the caller's); the tool list with the caller's, so it shows what the gateway
 *   lets that caller use. Nothing a caller sends becomes part of the URL: the resource is one of the names below.
 * - Tool calls (gateway-call.ts): the caller's own credential (never serve's), so the gateway decides and
 *   audits as for that caller.
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
  as?: { credential: string },
): Promise<GatewayAnswer> {
  const path = GATEWAY_PROXY_PATHS[resource];
  const credential = as ? as.credential : config.token;
  const answer = await exchangeWithGateway(
    config,
    {
      path,
      what: path,
      timeoutMs: config.timeoutMs,
      init: {
        method: 'GET',
        headers: {
          accept: resource === 'metrics' ? 'text/plain' : 'application/json',
          ...(credential ? { authorization: `Bearer ${credential}` } : {}),
        },
      },
    },
    signal,
  );
  if (answer.status !== 200) {
    const code = gatewayCode(answer.text);
    const message =
      as && answer.status === 401
        ? "the gateway does not accept your credential: it must share this factory's registry (users and tokens)"
        : `the gateway answered ${path} with HTTP ${answer.status}`;
    throw failed(message, {
      path,
      reason: 'status',
      status: answer.status,
      ...(code ? { gatewayCode: code } : {}),
    });
  }
  return answer;
}

/**
 * One request to the gateway at `{base}{path}`: redirects not followed, the answer capped in bytes and in time
 * (`timeoutMs`, or the caller going away). A gateway that is down, slow or too large fails with
 * GATEWAY_PROXY_FAILED naming `what` was asked; any status is answered, for the caller to judge.
 */
export async function exchangeWithGateway(
  config: GatewayProxyConfig,
  request: { path: string; what: string; timeoutMs: number; init: RequestInit },
  signal?: AbortSignal,
): Promise<GatewayAnswer> {
  const { path, what, timeoutMs } = request;
  const timeout = AbortSignal.timeout(timeoutMs);
  const aborted = signal ? AbortSignal.any([timeout, signal]) : timeout;
  let response: Response;
  let body: Uint8Array | null;
  try {
    response = await fetch(`${config.base}${path}`, { ...request.init, redirect: 'manual', signal: aborted });
    body = await readCappedBody(response, config.maxBytes);
  } catch (error) {
    const slow = timeout.aborted;
    throw failed(
      slow ? `the gateway did not answer ${what} within ${timeoutMs} ms` : 'the gateway is unreachable',
      { path, reason: slow ? 'timeout' : 'unreachable' },
      error,
    );
  }
  if (body === null)
    throw failed(`the gateway's answer to ${what} is larger than ${config.maxBytes} bytes`, {
      path,
      reason: 'too-large',
      limit: config.maxBytes,
    });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    text: new TextDecoder().decode(body),
  };
}

/** One JSON resource of the gateway, parsed (an object, or GATEWAY_PROXY_FAILED). */
export async function readGatewayJson(
  config: GatewayProxyConfig,
  resource: Exclude<GatewayResource, 'metrics'>,
  signal?: AbortSignal,
  as?: { credential: string },
): Promise<Record<string, unknown>> {
  const path = GATEWAY_PROXY_PATHS[resource];
  return gatewayObject((await readGateway(config, resource, signal, as)).text, path, path);
}

/** A gateway answer that must be a JSON object (else GATEWAY_PROXY_FAILED, naming `what` was asked). */
export function gatewayObject(text: string, what: string, path: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw failed(`the gateway's answer to ${what} is not a JSON object`, { path, reason: 'not-json' });
  return value as Record<string, unknown>;
}

/** The error code of a gateway error answer (`{ error: "CODE" }`), when it has a plausible one. */
export function gatewayCode(text: string): string | undefined {
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

export function failed(message: string, details: Record<string, unknown>, cause?: unknown): FactoryError {
  return new FactoryError('GATEWAY_PROXY_FAILED', message, { details, ...(cause ? { cause } : {}) });
}
