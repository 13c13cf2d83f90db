/** Shared by the CLI lifecycle tests: run the real bin (dist/) with an environment, fresh homes, a port probe. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const FIXTURES = join(import.meta.dirname, 'fixtures');

export interface Run {
  code: number;
  out: string;
  err: string;
  /** Bytes written to stderr. */
  errBytes: number;
}

/** `node bin/mcp-factory.mjs …args` with exactly `env` (plus PATH/HOME), from the repository root. */
export function mcpFactory(args: string[], env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'bin', 'mcp-factory.mjs'), ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', fail);
    child.on('close', (code) => {
      const errBuf = Buffer.concat(err);
      done({
        code: code ?? -1,
        out: Buffer.concat(out).toString('utf8'),
        err: errBuf.toString('utf8'),
        errBytes: errBuf.length,
      });
    });
  });
}

/** An environment for the CLI: this process's, minus any registry URL or home it may carry, plus `extra`. */
export function cliEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, MCP_FACTORY_HOME: home, ...extra };
  delete env.MCP_FACTORY_REGISTRY_URL;
  return env;
}

export function tempHome(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `mcpf-${prefix}-`));
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}
