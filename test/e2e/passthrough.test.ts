/** Per-request credential pass-through over HTTP: the caller's upstream credential goes upstream, its own MCP credential never does. */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { loadSpecText, validateSpec } from '../../src/core/spec/index.js';
import { connectHttp, type HttpServerProcess, startHttp } from '../helpers/mcp.js';

const seen: IncomingHttpHeaders[] = [];
let upstream: Server;
let server: HttpServerProcess;
let work: string;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  work = mkdtempSync(join(tmpdir(), 'mcpf-pass-'));
  const result = validateSpec({
    name: 'passthrough-e2e',
    auth: { type: 'bearer', envVar: 'MCP_TOKEN' },
    connections: [
      {
        name: 'api',
        type: 'http',
        baseUrlEnv: 'UPSTREAM',
        auth: { type: 'bearer', envVar: 'SERVICE_TOKEN' },
        passthrough: {},
      },
    ],
    tools: [{ name: 'whoami', description: 'call upstream', http: { connection: 'api', path: '/me' } }],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  const created = await createServerProject({
    spec: result.spec!,
    specDir: work,
    outDir: join(work, 'server'),
    runTests: false,
  });
  server = await startHttp(created.bundle.file, {
    UPSTREAM: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    SERVICE_TOKEN: 'service-token',
    MCP_TOKEN: 'mcp-client-secret',
  });
});

afterAll(async () => {
  await server?.stop();
  upstream?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('credential pass-through', () => {
  it('sends the caller credential upstream and never the MCP client credential', async () => {
    const client = await connectHttp(server.url, '2026-07-28', {
      authorization: 'Bearer mcp-client-secret',
      'x-upstream-authorization': 'Bearer user-token-42',
    });
    await client.callTool({ name: 'whoami', arguments: {} });
    await client.close();
    expect(seen.at(-1)?.authorization).toBe('Bearer user-token-42');
    expect(JSON.stringify(seen)).not.toContain('mcp-client-secret');
  });

  it('falls back to the connection credential without the pass-through header', async () => {
    const client = await connectHttp(server.url, '2025-11-25', { authorization: 'Bearer mcp-client-secret' });
    await client.callTool({ name: 'whoami', arguments: {} });
    await client.close();
    expect(seen.at(-1)?.authorization).toBe('Bearer service-token');
  });

  it('refuses Authorization itself as the pass-through header', () => {
    const r = loadSpecText(
      'name: x\nconnections:\n  - { name: api, type: http, baseUrl: "https://a.example", passthrough: { header: Authorization } }\ntools:\n  - { name: t, description: d, http: { connection: api, path: /x } }\n',
    );
    expect(r.issues.map((i) => i.path)).toContain('connections[0].passthrough.header');
  });
});
