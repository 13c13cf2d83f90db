/**
 * Shared set-up for the fast-path tests (fast-path.test.ts, fast-path-attacks.test.ts): one gateway in front of
 * the upstream fixture, served twice — with the node fast path (as `mcp-factory gateway` serves it) and without
 * (the web fetch handler only) — plus a raw POST client and a tools/call builder for both protocol eras.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/conformance/server.js';
import { parseGatewayConfig } from '../../src/gateway/config.js';
import { Gateway, type GatewayCallEvent } from '../../src/gateway/gateway.js';
import { AccessControl } from '../../src/identity/access.js';
import { TokenStore } from '../../src/identity/tokens.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { createGatewayHttp, type GatewayHttp } from '../../src/surfaces/gateway/http.js';
import { type ServedHttp, serveFetch } from '../../src/surfaces/http/node.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'upstream.mjs');
export const MAX_BODY = 8192;
export const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'test', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};
export type Era = 'modern' | 'legacy';

export interface GatewayPair {
  work: string;
  tokens: TokenStore;
  gateway: Gateway;
  http: GatewayHttp;
  /** Served with the fast path. */
  fast: ServedHttp;
  /** Served through the fetch handler only. */
  web: ServedHttp;
  /** Requests the fast path answered itself (declined ones are not counted). */
  fastAnswers(): number;
  /** Errors the servers reported through `onError` (not FactoryErrors). */
  serverErrors: unknown[];
  events: GatewayCallEvent[];
  token(name: string, extra?: Record<string, unknown>): string;
  /** The upstream's call log, one `NAME TOOL` line per tools/call it ran. */
  callLog(): string[];
  close(): Promise<void>;
}

export async function startGatewayPair(prefix = 'mcpf-gw-fast-'): Promise<GatewayPair> {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const registry: Registry = await openRegistry({ home: work });
  const tokens = TokenStore.open({ home: work });
  const access = new AccessControl({
    tokens,
    registry,
    limits: { requestsPerMinute: 100_000, burst: 10_000, maxBodyBytes: MAX_BODY },
  });
  const port = await freePort();
  const upstream: ChildProcess = spawn(process.execPath, [FIXTURE, 'alpha', 'http', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, CALL_LOG: join(work, 'calls.log') },
  });
  await new Promise((resolve) => upstream.stdout!.once('data', resolve));
  const gateway = new Gateway({
    config: parseGatewayConfig({
      servers: [{ name: 'alpha', url: `http://127.0.0.1:${port}/mcp` }],
      metaTools: 'never',
      limits: { perTool: { alpha__add: { perMinute: 1, burst: 1 } } },
    }),
    registry,
  });
  await gateway.start();
  const events: GatewayCallEvent[] = [];
  gateway.onCall((_u, _s, event) => events.push(event));
  const http = createGatewayHttp({ gateway, access });
  let answers = 0;
  const serverErrors: unknown[] = [];
  const onError = (error: unknown) => serverErrors.push(error);
  const fast = await serveFetch((r) => http.fetch(r), {
    port: 0,
    onError,
    fast: (req, body, signal) =>
      http.fastPath(req, body, signal)?.then((answer) => {
        if (answer) answers++;
        return answer;
      }),
  });
  const web = await serveFetch((r) => http.fetch(r), { port: 0, onError });
  return {
    work,
    tokens,
    gateway,
    http,
    fast,
    web,
    fastAnswers: () => answers,
    serverErrors,
    events,
    token: (name, extra = {}) => tokens.create({ name, ...extra }).token,
    callLog: () => {
      try {
        return readFileSync(join(work, 'calls.log'), 'utf8').trim().split('\n').filter(Boolean);
      } catch {
        return [];
      }
    },
    close: async () => {
      await fast.close();
      await web.close();
      await http.close();
      await gateway.close();
      upstream.kill('SIGKILL');
      await registry.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The JSON-RPC message or error body (event stream unwrapped, timestamps dropped); the raw text if not JSON. */
  message: unknown;
}

/** A raw POST /mcp (node:http, so Host can be anything, and a header given as an array is sent repeated). */
export function post(
  server: ServedHttp,
  headers: OutgoingHttpHeaders,
  body: string,
  signal?: AbortSignal,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: server.port,
        path: '/mcp',
        method: 'POST',
        headers: { 'content-length': String(Buffer.byteLength(body)), ...headers },
        signal,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => {
          const data = (res.headers['content-type'] ?? '').startsWith('text/event-stream')
            ? text
                .split('\n')
                .filter((l) => l.startsWith('data:'))
                .map((l) => l.slice(5).trim())
                .join('')
            : text;
          let message: unknown = text;
          try {
            const parsed = JSON.parse(data) as unknown;
            if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
              const { timestamp: _t, ...rest } = parsed as Record<string, unknown>;
              message = rest;
            } else message = parsed;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, message });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A tools/call of the era, as a client of it sends one. */
export function call(
  era: Era,
  bearer: string | undefined,
  tool: string,
  args: Record<string, unknown>,
  id: number | string = 1,
): { headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
    ...(era === 'modern'
      ? { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': tool }
      : { 'mcp-protocol-version': '2025-11-25' }),
  };
  const params = { name: tool, arguments: args, ...(era === 'modern' ? { _meta: ENVELOPE } : {}) };
  return { headers, body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params }) };
}

/**
 * Bytes written on a raw socket (what a client library refuses to send): what came back within `waitMs`, or
 * until the server closed the socket.
 */
export function raw(
  server: ServedHttp,
  chunks: (string | Buffer)[],
  options: { waitMs?: number; end?: boolean } = {},
): Promise<{ status: number | undefined; text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(server.port, '127.0.0.1');
    let text = '';
    let closed = false;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : undefined, text, closed });
    };
    const timer = setTimeout(finish, options.waitMs ?? 1500);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      text += d;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c);
      if (options.end) socket.end();
    });
  });
}

/** A request head for a raw socket (CRLF framing), headers as given, in order. */
export function head(server: ServedHttp, lines: string[]): string {
  return ['POST /mcp HTTP/1.1', `host: 127.0.0.1:${server.port}`, ...lines, '', ''].join('\r\n');
}
