/**
 * Registry upstreams are followed live: a server that starts running joins the catalog, one that stops leaves it
 * (its connection closed), a new revision reconnects; 2026-07-28 clients listening for tool-list changes are told.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/conformance/server.js';
import type { ServerEndpoint } from '../../src/deploy/types.js';
import { parseGatewayConfig } from '../../src/gateway/config.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { AccessControl } from '../../src/identity/access.js';
import { TokenStore } from '../../src/identity/tokens.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { createGatewayHttp } from '../../src/surfaces/gateway/http.js';
import { serveFetch } from '../../src/surfaces/http/node.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'upstream.mjs');
const children: ChildProcess[] = [];
let work: string;
let registry: Registry;

async function upstream(name: string): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, [FIXTURE, name, 'http', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  await new Promise((r) => child.stdout!.once('data', r));
  return `http://127.0.0.1:${port}/mcp`;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-gw-reg-'));
  registry = await openRegistry({ home: work });
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await registry.close();
  rmSync(work, { recursive: true, force: true });
});

describe('registry upstreams', () => {
  it('join, leave and reconnect as deployments change; listening clients are told', async () => {
    const [one, two] = await Promise.all([upstream('one'), upstream('two')]);
    let endpoints: ServerEndpoint[] = [{ name: 'one', endpoint: one, headers: {}, revision: 1 }];
    const gateway = new Gateway({
      config: parseGatewayConfig({ metaTools: 'never' }),
      source: async () => endpoints,
      refreshMs: 0,
    });
    await gateway.start();
    const tokens = TokenStore.open({ home: work });
    const token = tokens.create({ name: 'agent' }).token;
    const http = createGatewayHttp({ gateway, access: new AccessControl({ tokens, registry }) });
    const served = await serveFetch((r) => http.fetch(r), { port: 0, fast: http.fastPath });
    let changes = 0;
    const client = new Client(
      { name: 't', version: '1' },
      {
        versionNegotiation: { mode: { pin: '2026-07-28' } },
        listChanged: { tools: { autoRefresh: false, debounceMs: 0, onChanged: () => changes++ } },
      },
    );
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${served.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    try {
      const names = async () => (await client.listTools()).tools.map((t) => t.name);
      expect(await names()).toContain('one__echo');
      expect(await names()).not.toContain('two__echo');

      endpoints = [...endpoints, { name: 'two', endpoint: two, headers: {}, revision: 1 }];
      await gateway.refresh();
      expect(await names()).toEqual(expect.arrayContaining(['one__echo', 'two__echo']));
      const r = await client.callTool({ name: 'two__echo', arguments: { message: 'hi' } });
      expect((r.content as Array<{ text: string }>)[0]?.text).toBe('two: hi');

      // A new revision of "one" (same endpoint): reconnected; the connection count shows it.
      await gateway.callTool('one__echo', { message: 'x' });
      expect(gateway.health().find((h) => h.name === 'one')?.connected).toBe(true);
      endpoints = endpoints.map((e) => (e.name === 'one' ? { ...e, revision: 2 } : e));
      await gateway.refresh();
      expect(gateway.health().find((h) => h.name === 'one')?.connected).toBe(false);
      expect(await names()).toContain('one__echo');

      // "two" stops running: it leaves the catalog and its connection is closed.
      endpoints = endpoints.filter((e) => e.name !== 'two');
      await gateway.refresh();
      expect(await names()).not.toContain('two__echo');
      expect(gateway.health().map((h) => h.name)).toEqual(['one']);
      const gone = await client.callTool({ name: 'two__echo', arguments: { message: 'hi' } });
      expect(gone.isError).toBe(true);

      const deadline = Date.now() + 5000;
      while (changes < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(changes).toBeGreaterThanOrEqual(3);
    } finally {
      await client.close();
      await http.close();
      await served.close();
      await gateway.close();
    }
  }, 60_000);
});
