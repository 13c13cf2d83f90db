/**
 * The PostgreSQL query guard's parser (libpg-query, a 1.7 MB WASM module: compiling it costs a few hundred ms and
 * ~15–30 MB) is loaded on the first guarded query, not at start-up. Checked by effect, without a database: a
 * PostgreSQL server starts and lists its tools without opening dist/libpg-query.wasm (a FIFO there shows no
 * reader); with the file gone its `query` tool refuses (runs nothing, says how to fix it) and the server keeps
 * answering.
 */
import { spawnSync } from 'node:child_process';
import { constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { connectStdio, textOf } from '../helpers/mcp.js';

let work: string;
let wasm: string;
let client: Client | undefined;

/** A loopback port nothing listens on (taken and released). */
function unusedPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolvePort(port));
    });
  });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-pg-lazy-'));
  const validated = validateSpec({
    name: 'pg-lazy',
    version: '0.1.0',
    connections: [{ name: 'db', type: 'postgresql', envVar: 'DATABASE_URL', readOnly: true }],
    tools: [
      {
        name: 'query',
        description: 'Run one read-only SQL statement.',
        parameters: {},
        query: { connection: 'db' },
      },
    ],
  });
  if (!validated.spec) throw new Error(`invalid spec: ${JSON.stringify(validated.issues)}`);
  const outDir = join(work, 'server');
  await createServerProject({
    spec: validated.spec,
    specDir: work,
    outDir,
    typecheck: false,
    runTests: false,
  });
  // A FIFO in its place: a reader (the parser loading) would show, since a non-blocking writer then opens it.
  wasm = join(outDir, 'dist/libpg-query.wasm');
  rmSync(wasm);
  if (spawnSync('mkfifo', [wasm]).status !== 0) throw new Error('mkfifo failed');
  // Nothing listens there: a query that got past the guard would fail with a connection error instead.
  const port = await unusedPort();
  client = await connectStdio(join(outDir, 'dist/server.mjs'), '2026-07-28', {
    DATABASE_URL: `postgres://nobody@127.0.0.1:${port}/none`,
  });
}, 120_000);

afterAll(async () => {
  await client?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('PostgreSQL query guard: parser loaded on first use', () => {
  it('starts and lists its tools without reading the WASM parser', async () => {
    const { tools } = await client!.listTools();
    expect(tools.map((t) => t.name)).toEqual(['query']);
    await new Promise((r) => setTimeout(r, 500));
    // ENXIO: no process has the file open for reading, i.e. the server has not started loading the parser.
    expect(() => openSync(wasm, constants.O_WRONLY | constants.O_NONBLOCK)).toThrow(
      expect.objectContaining({ code: 'ENXIO' }),
    );
    rmSync(wasm); // the query below then finds no parser at all
  });

  it('refuses the query when the parser cannot load, runs nothing, and keeps answering', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await client!.callTool({ name: 'query', arguments: { sql: 'SELECT 1' } });
      expect(res.isError).toBe(true);
      const text = textOf(res);
      expect(text).toMatch(/PostgreSQL parser could not be loaded/);
      expect(text).toMatch(/libpg-query\.wasm/);
      expect(text).not.toMatch(/ECONNREFUSED|connect/i); // refused before any connection attempt
    }
    expect((await client!.listTools()).tools).toHaveLength(1);
  });
});
