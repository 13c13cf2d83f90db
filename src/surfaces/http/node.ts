/**
 * Serving a web-standard `fetch` handler on node:http: the request body is streamed (the handler enforces its
 * own size limit and answers in its own error shape), responses are streamed with backpressure (server-sent
 * events), and a client that goes away aborts `request.signal`. Loopback addresses only unless asked otherwise.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { Readable } from 'node:stream';
import { FactoryError } from '../../core/errors/index.js';
import { setClientAddress } from './client-address.js';
import { errorResponse } from './errors.js';

export type FetchHandler = (request: Request) => Promise<Response>;

/** A finished answer of a fast path: written as is, with its length. */
export interface NodeAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A shortcut tried before the fetch handler for a request whose whole body was read (a small one with a
 * content-length): it answers without a web Request or Response being built, returns a web Response (errors:
 * written the usual way), or declines (undefined, or a promise of it, before doing anything the request could
 * notice) and the fetch handler serves the request. `signal` aborts when the client goes away.
 */
export type NodeFastPath = (
  req: IncomingMessage,
  body: Buffer,
  signal: AbortSignal,
) => Promise<NodeAnswer | Response | undefined> | undefined;

export interface ServeOptions {
  /** Default 127.0.0.1. */
  host?: string | undefined;
  /** Default 0: a free port. */
  port?: number | undefined;
  /** Bind to a non-loopback address (the API then relies on its tokens alone; put TLS in front of it). */
  allowRemote?: boolean | undefined;
  onError?: ((error: unknown) => void) | undefined;
  /** See NodeFastPath (the gateway's plain tools/call POSTs). */
  fast?: NodeFastPath | undefined;
}

export interface ServedHttp {
  server: Server;
  host: string;
  port: number;
  /** `http://127.0.0.1:PORT` */
  url: string;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::ffff:127.0.0.1';
}

/** Bodies up to this size (declared by content-length) are read before the Request is made: cheaper than a stream. */
const SMALL_BODY = 64 * 1024;

/** The whole body of a small request (content-length ≤ SMALL_BODY), or undefined to stream it. */
function smallBody(req: IncomingMessage): Promise<Buffer> | undefined {
  const length = Number(req.headers['content-length']);
  if (!Number.isInteger(length) || length < 0 || length > SMALL_BODY || req.headers['transfer-encoding'])
    return undefined;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > SMALL_BODY) req.destroy(new Error('request body larger than its content-length'));
      else chunks.push(c);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
    req.once('close', () => {
      if (!req.complete) reject(new Error('the client went away while sending the request'));
    });
  });
}

function toRequest(req: IncomingMessage, signal: AbortSignal, bytes?: Buffer): Request {
  const host = req.headers.host ?? 'localhost';
  let url: URL;
  try {
    url = new URL(req.url ?? '/', `http://${host}`);
  } catch {
    throw new FactoryError('API_INVALID_REQUEST', 'malformed Host header or request target');
  }
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    if (name.startsWith(':')) continue;
    try {
      headers.append(name, req.rawHeaders[i + 1]!);
    } catch {
      throw new FactoryError('API_INVALID_REQUEST', `invalid header ${JSON.stringify(name)}`);
    }
  }
  const method = (req.method ?? 'GET').toUpperCase();
  const hasBody = method !== 'GET' && method !== 'HEAD';
  return new Request(url, {
    method,
    headers,
    signal,
    ...(hasBody
      ? bytes
        ? { body: bytes }
        : { body: Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>, duplex: 'half' }
      : {}),
  } as RequestInit);
}

async function writeResponse(
  req: IncomingMessage,
  res: ServerResponse,
  response: Response,
  signal: AbortSignal,
): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie') return;
    headers[name] = value;
  });
  // A body the handler did not read (refused early: 401, 413, …) would block the next request on this
  // connection: close it after the response instead.
  if (!req.complete) headers.connection = 'close';
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers['set-cookie'] = cookies;
  // A finite answer (not an event stream) goes out in one write with its length: no chunked framing.
  if (response.body && !(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    const body = Buffer.from(await response.arrayBuffer());
    headers['content-length'] = String(body.length);
    res.writeHead(response.status, headers);
    res.end(body);
    return;
  }
  res.writeHead(response.status, headers);
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  try {
    for (;;) {
      if (signal.aborted) break;
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value))
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.once('drain', done);
          res.once('close', done);
        });
    }
  } finally {
    await reader.cancel().catch(() => undefined);
    res.end();
  }
}

function writeAnswer(res: ServerResponse, answer: NodeAnswer): void {
  const body = Buffer.from(answer.body, 'utf8');
  res.writeHead(answer.status, { ...answer.headers, 'content-length': String(body.length) });
  res.end(body);
}

/** A node:http request listener for a fetch handler (tried after the fast path, when there is one). */
export function nodeListener(
  handler: FetchHandler,
  onError?: (error: unknown) => void,
  fast?: NodeFastPath,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    void (async () => {
      let response: Response;
      try {
        const method = (req.method ?? 'GET').toUpperCase();
        const small = method !== 'GET' && method !== 'HEAD' ? smallBody(req) : undefined;
        const bytes = small ? await small : undefined;
        const pending = fast && bytes ? fast(req, bytes, abort.signal) : undefined;
        const quick = pending ? await pending : undefined;
        if (quick && !(quick instanceof Response)) return writeAnswer(res, quick);
        if (quick) response = quick;
        else {
          const request = toRequest(req, abort.signal, bytes);
          setClientAddress(request, req.socket.remoteAddress);
          response = await handler(request);
        }
      } catch (error) {
        // A client that leaves mid-request is not a server error (and would let anyone flood the error log).
        const clientLeft = abort.signal.aborted || req.socket.destroyed;
        if (!(error instanceof FactoryError) && !clientLeft) onError?.(error);
        response = errorResponse(error, { connection: 'close' });
      }
      await writeResponse(req, res, response, abort.signal);
    })().catch((error: unknown) => {
      onError?.(error);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };
}

/** Listen on host:port (loopback by default) and serve the handler. */
export async function serveFetch(handler: FetchHandler, options: ServeOptions = {}): Promise<ServedHttp> {
  const host = options.host ?? '127.0.0.1';
  if (!options.allowRemote && !isLoopback(host))
    throw new FactoryError(
      'INVALID_ARGUMENTS',
      `refusing to listen on ${host}: not a loopback address (pass allowRemote / --allow-remote to do so)`,
    );
  const server = createServer(
    { connectionsCheckingInterval: 5_000 },
    nodeListener(handler, options.onError, options.fast),
  );
  server.keepAliveTimeout = 65_000;
  // A request must arrive whole in 30 s (headers in 15 s), checked every 5 s: a client trickling a body or headers
  // (slowloris) is cut off instead of holding a socket for Node's default 300 s. Responses (streams) are not limited.
  server.headersTimeout = 15_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    host,
    port,
    url: `http://${shown}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Streams (log follow, MCP listen) would keep close() waiting forever.
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      }),
  };
}
