/** Test helpers: start a generated bundle and talk to it with the SDK v2 client over stdio or HTTP. */
import { type ChildProcess, spawn } from 'node:child_process';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

export type Era = '2025-11-25' | '2026-07-28';
export const ERAS: Era[] = ['2025-11-25', '2026-07-28'];

export function newClient(era: Era): Client {
  return new Client(
    { name: 'mcp-factory-e2e', version: '1.0.0' },
    { versionNegotiation: { mode: era === '2025-11-25' ? 'legacy' : { pin: '2026-07-28' } } },
  );
}

export async function connectStdio(
  bundle: string,
  era: Era,
  env: Record<string, string> = {},
): Promise<Client> {
  const client = newClient(era);
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [bundle, '--transport', 'stdio'],
      env: { ...(process.env as Record<string, string>), LOG_LEVEL: 'warn', ...env },
      stderr: 'ignore',
    }),
  );
  return client;
}

export interface HttpServerProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startHttp(
  bundle: string,
  env: Record<string, string> = {},
): Promise<HttpServerProcess> {
  const child = spawn(process.execPath, [bundle, '--transport', 'http', '--port', '0'], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start: ${buffer}`));
    }, 15_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const m = /"url":"([^"]+)"/.exec(buffer);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${buffer}`));
    });
  });
  child.removeAllListeners('exit');
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export async function connectHttp(
  url: string,
  era: Era,
  headers: Record<string, string> = {},
): Promise<Client> {
  const client = newClient(era);
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

export function textOf(result: { content?: unknown }): string {
  return ((result.content ?? []) as Array<{ type: string; text?: string }>)
    .map((c) => (c.type === 'text' ? (c.text ?? '') : ''))
    .join('\n');
}
