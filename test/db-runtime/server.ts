/**
 * Builds a real generated server (create --db path: import → createServerProject → esbuild bundle) over a
 * scratch database and talks to it over stdio, so driver behaviour is checked exactly as shipped.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { createServerProject } from '../../src/build/create.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { importDatabase } from '../../src/sources/database/index.js';
import { newClient, textOf } from '../helpers/mcp.js';

export interface DbServer {
  bundle: string;
  env: Record<string, string>;
  client: Client;
  /** Process id of the first client's server (for RSS readings). */
  pid: number;
  /** A tool call's structured result, or `{ error }` with the error text. */
  call(name: string, args?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Starts another client on the same bundle (e.g. under another TZ). */
  connect(env?: Record<string, string>): Promise<Client>;
  close(): Promise<void>;
}

export async function buildDbServer(
  url: string,
  work: string,
  env: Record<string, string>,
  options: { timeoutMs?: number; maxRows?: number } = {},
): Promise<DbServer> {
  const imported = await importDatabase(url, {
    writes: false,
    query: { timeoutMs: options.timeoutMs ?? 2000, maxRows: options.maxRows ?? 1000 },
  });
  const validated = validateSpec(imported.spec);
  if (!validated.spec) throw new Error(`invalid spec: ${JSON.stringify(validated)}`);
  const outDir = join(work, 'server');
  await createServerProject({
    spec: validated.spec,
    specDir: work,
    outDir,
    force: true,
    typecheck: false,
    runTests: false,
  });
  const bundle = join(outDir, 'dist/server.mjs');
  const clients: Client[] = [];
  let pid = 0;
  const connect = async (extra: Record<string, string> = {}) => {
    const c = newClient('2026-07-28');
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [bundle, '--transport', 'stdio'],
      env: { ...(process.env as Record<string, string>), LOG_LEVEL: 'warn', ...env, ...extra },
      stderr: 'inherit',
    });
    await c.connect(transport);
    pid ||= transport.pid ?? 0;
    clients.push(c);
    return c;
  };
  const client = await connect();
  return {
    pid,
    bundle,
    env,
    client,
    connect,
    async call(name, args = {}) {
      const res = await client.callTool({ name, arguments: args });
      if (res.isError) return { error: textOf(res) };
      return (res.structuredContent ?? {}) as Record<string, unknown>;
    },
    async close() {
      await Promise.allSettled(clients.map((c) => c.close()));
    },
  };
}

/** Resident set size of a process in MB (Linux). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Calls `fn` on `client` and returns its structured result or `{ error }`. */
export async function callOn(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const res = await client.callTool({ name, arguments: args });
  if (res.isError) return { error: textOf(res) };
  return (res.structuredContent ?? {}) as Record<string, unknown>;
}
