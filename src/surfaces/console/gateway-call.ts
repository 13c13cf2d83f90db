/**
 * The playground's tool calls through the gateway (gateway-proxy.ts): POST {base}/api/v1/tools/{tool}/execute
 * with the caller's own credential, never serve's, so the gateway's authentication, allow-lists, rate limits and
 * audit apply to the caller exactly as if it had called the gateway itself.
 */
import { FactoryError, makeIssue } from '../../core/errors/index.js';
import {
  exchangeWithGateway,
  failed,
  type GatewayProxyConfig,
  gatewayCode,
  gatewayObject,
} from './gateway-proxy.js';

/** How long a tool call through the gateway may take (the reads keep the shorter MCP_FACTORY_GATEWAY_TIMEOUT_MS). */
export const GATEWAY_CALL_TIMEOUT_MS = 120_000;
/** The largest arguments object sent on (the gateway has its own, larger, body limit). */
export const GATEWAY_CALL_MAX_BODY_BYTES = 1024 * 1024;
/** A gateway tool name: what the gateway's names are made of (gateway/names.ts), so never a dot segment. */
export const GATEWAY_TOOL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/;

/**
 * Call one tool at the gateway as the caller. The tool name is checked against GATEWAY_TOOL_NAME and
 * percent-encoded as one path segment; the arguments are capped; redirects are not followed; the answer is
 * capped in bytes and time. Answers the gateway's result (a CallToolResult object), or fails with
 * GATEWAY_PROXY_FAILED carrying the gateway's status and error code, and a message that says what a refusal
 * means (the gateway's own text is never passed on).
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
  const what = `the call of ${call.tool}`;
  const answer = await exchangeWithGateway(
    config,
    {
      path,
      what,
      timeoutMs: GATEWAY_CALL_TIMEOUT_MS,
      init: {
        method: 'POST',
        headers: {
          accept: 'application/json',
          'content-type': 'application/json',
          authorization: `Bearer ${call.credential}`,
        },
        body,
      },
    },
    signal,
  );
  if (answer.status !== 200) {
    const code = gatewayCode(answer.text);
    throw failed(refusal(answer.status, code, call.tool), {
      path,
      reason: 'status',
      status: answer.status,
      ...(code ? { gatewayCode: code } : {}),
    });
  }
  return gatewayObject(answer.text, what, path);
}

/** What a refused call means to the person who made it. */
function refusal(status: number, code: string | undefined, tool: string): string {
  if (status === 401)
    return "the gateway does not accept your credential: it must share this factory's registry (users and tokens)";
  if (status === 403) return `the gateway does not let you call ${tool} (${code ?? 'forbidden'})`;
  if (status === 404) return `the gateway has no tool ${tool} that you may call`;
  if (status === 429) return 'the gateway is limiting your calls: try again in a moment';
  return `the gateway answered the call of ${tool} with HTTP ${status}${code ? ` (${code})` : ''}`;
}

function invalid(path: string, message: string, hint: string): FactoryError {
  return new FactoryError('API_INVALID_REQUEST', `${path}: ${message}`, {
    issues: [makeIssue('API_INVALID_REQUEST', message, path, hint)],
  });
}
