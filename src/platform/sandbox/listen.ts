/**
 * How a sandboxed HTTP server serves without the host's network: the supervisor opens the listening socket
 * (127.0.0.1:port, in the host's network namespace) and hands it to the sandbox as fd 3; the payload lives in
 * a private network namespace (only its own loopback), so it can accept connections on that socket and reach
 * nothing else — no database, no other server, no supervisor control socket. Servers whose spec needs the
 * network (database connections, HTTP tools) keep the host namespace and get the same passed socket.
 *
 * The generated runtime listens with `server.listen(port, host)`; the preload below (a `--import` data: URL,
 * so nothing has to exist inside the sandbox) turns the first listen of the process into a listen on fd 3.
 */
import { type AddressInfo, createServer, type Server } from 'node:net';

/** The file descriptor number the passed listening socket has in the sandbox. */
export const LISTEN_FD = 3;

const PRELOAD = `import net from 'node:net';
const listen = net.Server.prototype.listen;
let passed = true;
net.Server.prototype.listen = function (...args) {
  if (!passed) return listen.apply(this, args);
  passed = false;
  return listen.call(this, { fd: ${LISTEN_FD} }, args.find((a) => typeof a === 'function'));
};`;

/** Node arguments that make the payload serve on the passed socket. */
export function listenFdNodeArgs(): string[] {
  return ['--import', `data:text/javascript,${encodeURIComponent(PRELOAD)}`];
}

export interface PassedListener {
  /** The descriptor to put at index LISTEN_FD of the child's stdio. */
  fd: number;
  /** The port it listens on (the one the system chose when asked for port 0). */
  port: number;
  /** Close the supervisor's copy once the child has it. */
  close(): void;
}

/** Listen on host:port (exclusively; port 0 lets the system choose) and expose the descriptor to pass to a child. */
export async function openListener(port: number, host = '127.0.0.1'): Promise<PassedListener> {
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => resolve());
  });
  // Node has no public API for a listener's descriptor; its handle exposes it on Unix.
  const fd = (server as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    server.close();
    throw new Error('cannot pass a listening socket on this platform');
  }
  // Never accept on the supervisor's copy: connections belong to the child.
  server.on('connection', (socket) => socket.destroy());
  const { port: bound } = server.address() as AddressInfo;
  return { fd, port: bound, close: () => server.close() };
}
