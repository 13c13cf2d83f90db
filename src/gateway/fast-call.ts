/**
 * The gateway's hot path to a Streamable HTTP upstream that speaks 2026-07-28 (stateless: every request carries
 * its own protocol version, client info and capabilities in `_meta`, so no connection state is needed): one
 * `tools/call` JSON-RPC POST over a keep-alive node:http agent, the answer read as JSON or as an event stream
 * (notifications before the response are skipped). The SDK client stays in charge of everything else (version
 * negotiation, listing, list-change streams, 2025-11-25 upstreams); this path exists because the client's fetch
 * stack costs several times the proxying itself per call. A dropped client aborts the request (the upstream
 * sees the request go away, which is how 2026-07-28 cancels); answers are capped at 16 MiB.
 */
import http from 'node:http';
import https from 'node:https';
import type { CallToolResult } from '@modelcontextprotocol/client';

export const FAST_PROTOCOL = '2026-07-28';
const MAX_ANSWER = 16 * 1024 * 1024;

export class UpstreamHttpError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    /** The WWW-Authenticate header of a 401. */
    readonly challenge?: string,
  ) {
    super(message);
  }
}

export interface FastCaller {
  call(
    tool: string,
    args: Record<string, unknown>,
    options: {
      timeoutMs: number;
      signal?: AbortSignal | undefined;
      headers?: Record<string, string> | undefined;
      /** More `_meta` entries for this request (the W3C trace context). */
      meta?: Record<string, string> | undefined;
    },
  ): Promise<CallToolResult>;
  close(): void;
}

/** A JSON-RPC error answer becomes a tool error result: the upstream works, the call failed. */
function errorResult(error: { code?: unknown; message?: unknown }): CallToolResult {
  const message =
    typeof error.message === 'string' ? error.message.slice(0, 2000) : 'the upstream refused the call';
  return {
    isError: true,
    content: [{ type: 'text', text: `upstream error ${String(error.code ?? '')}: ${message}`.trim() }],
  };
}

/**
 * A tool result as the gateway passes it on: the upstream's envelope (its serverInfo, its resultType) is its
 * own, not the tool's answer; the gateway's server adds its own.
 */
export function toolAnswer(result: CallToolResult): CallToolResult {
  const { resultType: _type, _meta, ...rest } = result as CallToolResult & { resultType?: unknown };
  if (!_meta) return rest as CallToolResult;
  const { 'io.modelcontextprotocol/serverInfo': _info, ...meta } = _meta as Record<string, unknown>;
  return (Object.keys(meta).length ? { ...rest, _meta: meta } : rest) as CallToolResult;
}

function fromMessage(message: unknown, id: number): CallToolResult | undefined {
  if (!message || typeof message !== 'object') return undefined;
  const m = message as { id?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown } };
  if (m.id !== id) return undefined;
  if (m.error) return errorResult(m.error);
  const result = m.result as CallToolResult | undefined;
  if (!result || typeof result !== 'object' || !Array.isArray(result.content))
    throw new UpstreamHttpError('the upstream answered tools/call without a result');
  return toolAnswer(result);
}

function fromEventStream(text: string, id: number): CallToolResult {
  for (const block of text.split(/\r?\n\r?\n/)) {
    const data = block
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).trimStart())
      .join('\n');
    if (!data) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      continue;
    }
    const result = fromMessage(parsed, id);
    if (result) return result;
  }
  throw new UpstreamHttpError('the upstream closed the event stream without an answer');
}

export function createFastCaller(
  url: string,
  headers: Record<string, string>,
  maxSockets: number,
): FastCaller {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const agent = new (secure ? https : http).Agent({
    keepAlive: true,
    maxSockets,
    maxFreeSockets: maxSockets,
  });
  const request = secure ? https.request : http.request;
  const base = {
    ...headers,
    accept: 'application/json, text/event-stream',
    'content-type': 'application/json',
    'mcp-protocol-version': FAST_PROTOCOL,
    'mcp-method': 'tools/call',
  };
  const meta = {
    'io.modelcontextprotocol/protocolVersion': FAST_PROTOCOL,
    'io.modelcontextprotocol/clientInfo': { name: 'mcp-factory-gateway', version: '1.0.0' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  let nextId = 1;
  return {
    close: () => agent.destroy(),
    call(tool, args, { timeoutMs, signal, headers: extra, meta: extraMeta }) {
      const id = nextId++;
      const body = JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: tool, arguments: args, _meta: extraMeta ? { ...meta, ...extraMeta } : meta },
      });
      return new Promise<CallToolResult>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
        const req = request(
          {
            protocol: target.protocol,
            host: target.hostname,
            port: target.port,
            path: `${target.pathname}${target.search}`,
            method: 'POST',
            agent,
            headers: { ...base, ...extra, 'mcp-name': tool, 'content-length': Buffer.byteLength(body) },
          },
          (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on('data', (c: Buffer) => {
              size += c.length;
              if (size > MAX_ANSWER) {
                req.destroy(
                  new UpstreamHttpError(`the upstream's answer is larger than ${MAX_ANSWER} bytes`),
                );
                return;
              }
              chunks.push(c);
            });
            res.on('error', reject);
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              try {
                if (
                  res.statusCode === 200 &&
                  (res.headers['content-type'] ?? '').includes('text/event-stream')
                )
                  return resolve(fromEventStream(text, id));
                if (res.statusCode === 401)
                  throw new UpstreamHttpError(
                    'the upstream refused the credentials (401)',
                    401,
                    String(res.headers['www-authenticate'] ?? ''),
                  );
                let parsed: unknown;
                try {
                  parsed = JSON.parse(text);
                } catch {
                  throw new UpstreamHttpError(
                    `the upstream answered HTTP ${res.statusCode} without JSON`,
                    res.statusCode,
                  );
                }
                const result = fromMessage(parsed, id);
                if (result) return resolve(result);
                throw new UpstreamHttpError(`the upstream answered HTTP ${res.statusCode}`, res.statusCode);
              } catch (error) {
                reject(error);
              }
            });
          },
        );
        const onAbort = () =>
          req.destroy(signal?.reason instanceof Error ? signal.reason : new Error('the caller went away'));
        signal?.addEventListener('abort', onAbort, { once: true });
        req.setTimeout(timeoutMs, () =>
          req.destroy(new UpstreamHttpError(`timed out after ${timeoutMs} ms`)),
        );
        req.on('error', reject);
        req.on('close', () => signal?.removeEventListener('abort', onAbort));
        req.end(body);
      });
    },
  };
}
