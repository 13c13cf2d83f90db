/**
 * The server under test as a child process: started from its bundle on a free loopback port with the
 * HTTP transport, ready once the port accepts connections, stopped with SIGTERM (SIGKILL after 3 s).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { freePort } from '../platform/ports.js';
import { REPO } from './paths.js';
import { exists, sleep } from './util.js';

export { freePort };

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

export interface StartOptions {
  port: number;
  /** Receives the server's stdout and stderr. */
  logFile: string;
  startupTimeoutMs?: number;
}

/** Start `node <bundle> --transport http --port <port>`; resolves once 127.0.0.1:<port> accepts. */
export async function startServer(
  bundle: string,
  { port, logFile, startupTimeoutMs = 20000 }: StartOptions,
): Promise<ChildProcess> {
  const out = fs.openSync(logFile, 'w');
  const child = spawn(process.execPath, [bundle, '--transport', 'http', '--port', String(port)], {
    cwd: REPO,
    env: { ...process.env, PORT: String(port), MCP_TRANSPORT: 'http' },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  child.once('exit', (code, signal) => {
    exited = { code, signal };
  });
  const deadline = Date.now() + startupTimeoutMs;
  while (Date.now() < deadline) {
    if (exited) break;
    if (await canConnect(port)) return child;
    await sleep(100);
  }
  await stopServer(child);
  const tail = exists(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-2000) : '';
  throw new Error(
    `server did not listen on 127.0.0.1:${port} ${exited ? `(exited ${JSON.stringify(exited)})` : `within ${startupTimeoutMs} ms`}\n${tail}`,
  );
}

export async function stopServer(child: ChildProcess | null | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(t);
}
