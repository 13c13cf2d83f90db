/**
 * The control channel between the control plane (CLI, API) and the supervisor.
 *
 * The registry's desired state is the source of truth: management actions write it, and the supervisor
 * reconciles it on a short interval — so nothing is lost when the supervisor is down, busy or restarting.
 * This channel only makes that fast and observable: `reconcile` (a nudge that answers once a full pass that
 * began after the request has completed), `health` (the live health of each deployment, which is not stored),
 * `ping` and `shutdown`.
 *
 * Transport: a Unix domain socket. On Linux it is an abstract socket named after the home, which is also the
 * single-instance lock — the kernel releases it when the process dies, however it dies, so there is no stale
 * lock to clean up and no race between two supervisors starting at once. Abstract sockets have no file
 * permissions, so every request carries the token from `<home>/supervisor.token` (mode 0600): only someone who
 * can read the home can talk to its supervisor. One JSON line in, one JSON line out.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { FactoryError } from '../../../core/errors/index.js';

export type ChannelOp = 'ping' | 'reconcile' | 'health' | 'shutdown';

export interface ChannelRequest {
  token: string;
  op: ChannelOp;
  /** shutdown: also stop every server (they are otherwise left running, to be adopted by the next supervisor). */
  stopServers?: boolean;
}

/** The token, created (0600, atomically: it appears complete or not at all) when missing. */
export function ensureToken(file: string): string {
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const token = randomBytes(32).toString('hex');
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${token}\n`);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
    return token;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readFileSync(file, 'utf8').trim();
  } finally {
    rmSync(tmp, { force: true });
  }
}

function listenOnce(server: Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(address);
  });
}

/**
 * Listen on the control address. Rejects with SUPERVISOR_RUNNING when another supervisor holds it (a stale
 * socket file left by a dead supervisor on non-Linux systems is removed and the address reused).
 */
export async function listenChannel(
  address: string,
  token: string,
  handle: (request: ChannelRequest) => Promise<unknown>,
): Promise<Server> {
  const server = createServer((socket) => serve(socket, token, handle));
  try {
    await listenOnce(server, address);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    const alive = address.startsWith('\0') || (await canConnect(address));
    if (alive) {
      throw new FactoryError(
        'SUPERVISOR_RUNNING',
        'another supervisor is already running for this factory home',
      );
    }
    rmSync(address, { force: true });
    await listenOnce(server, address);
  }
  return server;
}

function canConnect(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(address);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function serve(socket: Socket, token: string, handle: (request: ChannelRequest) => Promise<unknown>): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('error', () => undefined);
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    if (buffer.length > 64 * 1024) {
      socket.destroy();
      return;
    }
    const nl = buffer.indexOf('\n');
    if (nl < 0) return;
    const line = buffer.slice(0, nl);
    buffer = '';
    socket.pause();
    let request: ChannelRequest;
    try {
      request = JSON.parse(line) as ChannelRequest;
    } catch {
      socket.end(`${JSON.stringify({ ok: false, error: 'bad request' })}\n`);
      return;
    }
    if (!request || request.token !== token) {
      socket.end(`${JSON.stringify({ ok: false, error: 'bad token' })}\n`);
      return;
    }
    handle(request).then(
      (result) => socket.end(`${JSON.stringify({ ok: true, result })}\n`),
      (error: unknown) => socket.end(`${JSON.stringify({ ok: false, error: (error as Error).message })}\n`),
    );
  });
}

/** One request; rejects with SUPERVISOR_UNAVAILABLE when nothing listens or it does not answer in time. */
export function callChannel<T = unknown>(
  address: string,
  request: ChannelRequest,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const socket = connect(address);
    let buffer = '';
    const fail = (message: string, cause?: unknown) => {
      socket.destroy();
      reject(new FactoryError('SUPERVISOR_UNAVAILABLE', message, cause === undefined ? {} : { cause }));
    };
    const timer = setTimeout(
      () => fail(`the supervisor did not answer ${request.op} within ${timeoutMs} ms`),
      timeoutMs,
    );
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      fail(
        `the supervisor is not running (${(error as NodeJS.ErrnoException).code ?? error.message})`,
        error,
      );
    });
    socket.once('end', () => {
      clearTimeout(timer);
      try {
        const reply = JSON.parse(buffer) as { ok: boolean; result?: T; error?: string };
        if (reply.ok) resolve(reply.result as T);
        else
          reject(
            new FactoryError(
              'SUPERVISOR_UNAVAILABLE',
              `the supervisor refused ${request.op}: ${reply.error}`,
            ),
          );
      } catch (error) {
        reject(
          new FactoryError('SUPERVISOR_UNAVAILABLE', 'the supervisor sent an unreadable answer', {
            cause: error,
          }),
        );
      }
    });
  });
}
