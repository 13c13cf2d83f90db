/**
 * 2025-11-25 HTTP clients get a session from the runtime's HTTP core: cancel reaches the running call,
 * logging/setLevel filters what the client receives, server→client elicitation gets its answer; sessions are
 * bounded (cap, idle expiry, DELETE) and forged ids get 404. Real HTTP, real SDK client.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { McpServer } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/v4';
import { createHttpCore } from '../../runtime/http-server.js';
import { createLogger } from '../../runtime/logger.js';
import { NO_METRICS } from '../../runtime/metrics.js';
import type { Runtime } from '../../runtime/runtime.js';
import { createSessionStore } from '../../runtime/sessions.js';
import type { ServerSettings } from '../../runtime/settings.js';

const MAX = 5;
let aborted = 0;
let started: () => void = () => {};
let http: ReturnType<typeof createHttpCore>;
let server: Server;
let url: string;

function factory() {
  const s = new McpServer({ name: 'sessions-probe', version: '1.0.0' }, { capabilities: { logging: {} } });
  s.registerTool('wait', { inputSchema: z.object({}) }, async (_args, ctx) => {
    started();
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 10_000);
      ctx.mcpReq.signal.addEventListener('abort', () => {
        aborted++;
        clearTimeout(t);
        resolve();
      });
    });
    return { content: [{ type: 'text', text: 'waited' }] };
  });
  s.registerTool('logs', { inputSchema: z.object({}) }, async (_args, ctx) => {
    await ctx.mcpReq.log('debug', 'debug-line');
    await ctx.mcpReq.log('error', 'error-line');
    return { content: [{ type: 'text', text: 'logged' }] };
  });
  s.registerTool('ask', { inputSchema: z.object({}) }, async (_args, ctx) => {
    const r = await ctx.mcpReq.elicitInput({
      message: 'Name?',
      requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    });
    return { content: [{ type: 'text', text: `${r.action}:${String(r.content?.name ?? '')}` }] };
  });
  return s;
}

beforeAll(async () => {
  process.env.MCP_MAX_SESSIONS = String(MAX);
  const settings = {
    name: 'sessions-probe',
    version: '1.0.0',
    defaultTransport: 'http',
    http: { host: '127.0.0.1', port: 0, path: '/mcp', allowedHosts: [], allowedOrigins: [] },
    auth: { type: 'none' },
    logLevel: 'error',
    metrics: false,
    timeoutMs: 1000,
    retries: { max: 0, backoffMs: 0 },
    sqlConnections: [],
    httpConnections: [],
  } as unknown as ServerSettings;
  const rt = { settings, log: createLogger('error'), metrics: NO_METRICS } as unknown as Runtime;
  http = createHttpCore(rt, factory);
  const handler = toNodeHandler({ fetch: (req: Request) => http.fetch(req) });
  server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
});

afterAll(async () => {
  delete process.env.MCP_MAX_SESSIONS;
  await http.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function legacyClient(capabilities: Record<string, unknown> = {}) {
  const client = new Client(
    { name: 'sessions-test', version: '1.0.0' },
    { versionNegotiation: { mode: 'legacy' }, capabilities },
  );
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  return { client, transport };
}

const text = (r: { content?: unknown }) => (r.content as Array<{ text: string }>)[0]!.text;

const rawPost = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
      ...headers,
    },
    body: JSON.stringify(body),
  });

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

describe('2025-11-25 sessions over HTTP', () => {
  it('gives the client a session id', async () => {
    const { client, transport } = await legacyClient();
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    await client.close();
  });

  it('a cancel reaches the running call', async () => {
    const { client } = await legacyClient();
    const before = aborted;
    const ac = new AbortController();
    const running = new Promise<void>((r) => {
      started = r;
    });
    const call = client.callTool({ name: 'wait', arguments: {} }, { signal: ac.signal });
    await running;
    ac.abort('user cancelled');
    await expect(call).rejects.toThrow();
    await expect.poll(() => aborted, { timeout: 3000 }).toBe(before + 1);
    await client.close();
  });

  it('logging/setLevel changes what the client receives', async () => {
    const { client } = await legacyClient();
    const seen: string[] = [];
    client.setNotificationHandler('notifications/message', (n) => {
      seen.push(String(n.params.data));
    });
    await client.setLoggingLevel('error');
    await client.callTool({ name: 'logs', arguments: {} });
    await client.setLoggingLevel('debug');
    await client.callTool({ name: 'logs', arguments: {} });
    await expect.poll(() => seen.length).toBe(3);
    expect(seen).toEqual(['error-line', 'debug-line', 'error-line']);
    await client.close();
  });

  it('server→client elicitation gets its answer', async () => {
    const { client } = await legacyClient({ elicitation: { form: {} } });
    client.setRequestHandler('elicitation/create', async () => ({
      action: 'accept',
      content: { name: 'Ada' },
    }));
    expect(text(await client.callTool({ name: 'ask', arguments: {} }))).toBe('accept:Ada');
    await client.close();
  });

  it('forged and ended session ids get 404; sessionless 2025 requests still answer', async () => {
    const forged = await rawPost(
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      { 'mcp-session-id': 'forged' },
    );
    expect(forged.status).toBe(404);
    const { client, transport } = await legacyClient();
    const sid = transport.sessionId!;
    await transport.terminateSession();
    const ended = await rawPost({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': sid });
    expect(ended.status).toBe(404);
    await client.close().catch(() => {});
    const sessionless = await rawPost({ jsonrpc: '2.0', id: 3, method: 'tools/list' });
    expect(sessionless.status).toBe(200);
    expect(await sessionless.text()).toContain('"wait"');
  });

  it('a session flood: the cap holds, the oldest idle session is evicted, the server still answers', async () => {
    const ids: string[] = [];
    for (let i = 0; i < MAX * 4; i++) {
      const res = await rawPost(INIT);
      expect(res.status).toBe(200);
      ids.push(res.headers.get('mcp-session-id')!);
      await res.body?.cancel();
    }
    expect(new Set(ids).size).toBe(MAX * 4);
    // Only the newest MAX survive; the oldest answer 404.
    const list = (sid: string) =>
      rawPost({ jsonrpc: '2.0', id: 9, method: 'tools/list' }, { 'mcp-session-id': sid }).then(
        (r) => r.status,
      );
    expect(await list(ids[0]!)).toBe(404);
    expect(await list(ids.at(-1)!)).toBe(200);
    const { client } = await legacyClient();
    expect((await client.listTools()).tools.length).toBe(3);
    await client.close();
  });

  it('a busy session is not evicted: with every slot in flight a new session is refused (503)', async () => {
    const clients = [];
    const runs = [];
    for (let i = 0; i < MAX; i++) {
      const { client } = await legacyClient();
      const running = new Promise<void>((r) => {
        started = r;
      });
      runs.push(client.callTool({ name: 'wait', arguments: {} }).catch(() => undefined));
      await running;
      clients.push(client);
    }
    const refused = await rawPost(INIT);
    expect(refused.status).toBe(503);
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(runs);
  });

  it('an idle session expires (404 afterwards); an active one does not', async () => {
    process.env.MCP_SESSION_IDLE_MS = '1000';
    let clock = 0;
    const store = createSessionStore(
      factory,
      () => {},
      () => clock,
    );
    delete process.env.MCP_SESSION_IDLE_MS;
    const req = (headers: Record<string, string>, body: unknown) =>
      new Request('http://127.0.0.1/mcp', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
        body: JSON.stringify(body),
      });
    const open = async () => {
      const res = await store.handle(req({}, INIT), INIT);
      await res.body?.cancel();
      return res.headers.get('mcp-session-id')!;
    };
    const ping = { jsonrpc: '2.0', id: 5, method: 'ping' };
    const use = async (sid: string) => {
      const res = await store.handle(
        req({ 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' }, ping),
        ping,
      );
      await res.body?.cancel();
      return res.status;
    };
    const idle = await open();
    const active = await open();
    for (const t of [400, 800, 1200]) {
      clock = t;
      expect(await use(active)).toBe(200);
    }
    expect(store.size).toBe(2);
    expect(await use(idle)).toBe(404);
    expect(store.size).toBe(1);
    await store.close();
  });
});
