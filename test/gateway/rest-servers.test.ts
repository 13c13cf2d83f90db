/**
 * Upstreams added and removed at runtime over the gateway's REST API (POST /api/v1/servers, DELETE
 * /api/v1/servers/{name}), against real upstream processes: an added http upstream's tools are callable and
 * clients are told; a removed one is gone and its connection closed (counted at a loopback TCP proxy). The
 * attacks are checked by their effect: a stdio body starts no process (its marker file never appears), a
 * `${VAR}` reference, a bad URL or an oversize body makes the gateway fetch nothing (a loopback recorder counts
 * requests), callers without gateway.manage change nothing, header values never come back.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/conformance/server.js';
import { parseGatewayConfig } from '../../src/gateway/config.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { AccessControl } from '../../src/identity/access.js';
import { TokenStore } from '../../src/identity/tokens.js';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { createGatewayHttp, type GatewayHttp } from '../../src/surfaces/gateway/http.js';
import { serveFetch } from '../../src/surfaces/http/node.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'upstream.mjs');
const SECRET = 'caller-secret-4f9a2c';
const children: ChildProcess[] = [];
let work: string;
let registry: Registry;
let gateway: Gateway;
let http: GatewayHttp;
let served: { url: string; close(): Promise<void> };
const token: Record<string, string> = {};
let alphaUrl: string;
let extra: { port: number; open(): number; close(): Promise<void> };
let recorder: { url: string; hits(): number; close(): Promise<void> };

async function upstream(name: string): Promise<number> {
  const port = await freePort();
  const child = spawn(process.execPath, [FIXTURE, name, 'http', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`upstream ${name} exited ${code}`)));
  });
  return port;
}

/** A loopback TCP proxy to `target` that counts the connections open through it. */
async function proxy(target: number): Promise<typeof extra> {
  const open = new Set<Socket>();
  const server: Server = createTcpServer((inbound) => {
    open.add(inbound);
    const outbound = connect(target, '127.0.0.1');
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    const done = () => {
      open.delete(inbound);
      inbound.destroy();
      outbound.destroy();
    };
    for (const s of [inbound, outbound]) {
      s.on('close', done);
      s.on('error', done);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    open: () => open.size,
    close: () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A loopback HTTP server that only counts the requests it gets (what the gateway must never fetch). */
async function recordRequests(): Promise<typeof recorder> {
  let hits = 0;
  const server: HttpServer = createHttpServer((_req, res) => {
    hits++;
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    hits: () => hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

interface Answer {
  status: number;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test answers are inspected loosely
  json: any;
}

async function api(
  method: string,
  path: string,
  options: { as?: string | null; body?: unknown; raw?: string } = {},
): Promise<Answer> {
  const as = options.as === undefined ? 'ops' : options.as;
  const res = await fetch(`${served.url}${path}`, {
    method,
    headers: {
      ...(as ? { authorization: `Bearer ${token[as]}` } : {}),
      ...(options.body !== undefined || options.raw !== undefined
        ? { 'content-type': 'application/json' }
        : {}),
    },
    ...(options.raw !== undefined
      ? { body: options.raw }
      : options.body !== undefined
        ? { body: JSON.stringify(options.body) }
        : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

const toolNames = async (): Promise<string[]> =>
  ((await api('GET', '/api/v1/tools')).json.tools as Array<{ name: string }>).map((t) => t.name);
const upstreamNames = async (): Promise<string[]> =>
  ((await api('GET', '/api/v1/servers')).json.servers as Array<{ name: string }>).map((s) => s.name);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(50);
  }
  return check();
}

/** After a refused add: the catalog was rebuilt (so a wrongly added upstream would have been fetched). */
async function expectNothingAdded(name: string): Promise<void> {
  expect(await upstreamNames()).not.toContain(name);
  expect((await toolNames()).filter((t) => t.startsWith(`${name}__`))).toEqual([]);
  await sleep(200);
  expect(recorder.hits()).toBe(0);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-gw-rest-'));
  registry = await openRegistry({ home: work });
  const tokens = TokenStore.open({ home: work });
  token.ops = tokens.create({ name: 'ops' }).token; // a service token: gateway.manage on everything
  token.admin = tokens.create({ name: 'root-admin', role: 'admin' }).token;
  token.operator = tokens.create({ name: 'team-operator', role: 'operator', team: 'red' }).token;
  token.teamAdmin = tokens.create({ name: 'team-admin', role: 'admin', team: 'red' }).token;
  token.developer = tokens.create({ name: 'dev', role: 'developer' }).token;
  token.viewer = tokens.create({ name: 'viewer', role: 'viewer' }).token;
  token.narrowed = tokens.create({ name: 'narrowed', allowedServers: ['alpha'] }).token;
  const [alphaPort, extraPort] = await Promise.all([upstream('alpha'), upstream('extra')]);
  alphaUrl = `http://127.0.0.1:${alphaPort}/mcp`;
  extra = await proxy(extraPort);
  recorder = await recordRequests();
  gateway = new Gateway({
    registry,
    config: parseGatewayConfig({
      metaTools: 'never',
      servers: [
        { name: 'alpha', url: alphaUrl },
        { name: 'off', url: alphaUrl, enabled: false },
      ],
    }),
    // A registry server, running (served by the alpha process under another name).
    source: async () => [{ name: 'reg', endpoint: alphaUrl, headers: {}, revision: 1 }],
    refreshMs: 0,
    maxRuntimeUpstreams: 3,
  });
  await gateway.start();
  const access = new AccessControl({
    tokens,
    registry,
    limits: { requestsPerMinute: 100_000, burst: 10_000 },
  });
  http = createGatewayHttp({ gateway, access, registry });
  const s = await serveFetch((r) => http.fetch(r), { port: 0, fast: http.fastPath });
  served = { url: `http://127.0.0.1:${s.port}`, close: s.close };
}, 30_000);

afterAll(async () => {
  await http?.close();
  await served?.close();
  await gateway?.close();
  await extra?.close();
  await recorder?.close();
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await registry?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('POST and DELETE /api/v1/servers', () => {
  it('adds an http upstream: its tools join the catalog and are callable, clients are told, secrets never come back', async () => {
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
        requestInit: { headers: { authorization: `Bearer ${token.ops}` } },
      }),
    );
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('extra__echo');
      const added = await api('POST', '/api/v1/servers', {
        body: {
          name: 'extra',
          url: `http://127.0.0.1:${extra.port}/mcp?key=${SECRET}`,
          headers: { 'x-api-key': SECRET },
          tools: { exclude: ['slow'] },
        },
      });
      expect(added.status, added.text).toBe(201);
      expect(added.text).not.toContain(SECRET);
      expect(added.json.server).toMatchObject({
        name: 'extra',
        url: `http://127.0.0.1:${extra.port}/mcp`,
        headers: { 'x-api-key': '[redacted]' },
        addedBy: 'ops',
      });

      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['extra__echo', 'extra__add', 'alpha__echo']));
      expect(names).not.toContain('extra__slow'); // the body's tool rules apply
      const r = await client.callTool({ name: 'extra__echo', arguments: { message: 'hi' } });
      expect((r.content as Array<{ text: string }>)[0]?.text).toBe('extra: hi');
      const viaRest = await api('POST', '/api/v1/tools/extra__add/execute', {
        body: { arguments: { a: 2, b: 3 } },
      });
      expect(viaRest.json.content[0].text).toBe('5');
      expect(await toolNames()).toContain('extra__echo');
      expect(await until(() => changes >= 1, 5000)).toBe(true);

      const list = await api('GET', '/api/v1/servers');
      expect(list.text).not.toContain(SECRET);
      expect(list.json.servers.find((s: { name: string }) => s.name === 'extra')).toMatchObject({
        source: 'api',
        headers: { 'x-api-key': '[redacted]' },
      });
      const audit = await registry.listAudit({ limit: 20 });
      const entry = audit.find((a) => a.action === 'gateway.upstream.add' && a.target === 'extra');
      expect(entry?.actor).toBe('ops');
      expect(JSON.stringify(audit)).not.toContain(SECRET);
    } finally {
      await client.close();
    }
  }, 30_000);

  it('the OpenAPI document lists both routes and says they live in memory only', async () => {
    const doc = (await api('GET', '/api/v1/openapi.json')).json;
    expect(doc.paths['/api/v1/servers'].post.operationId).toBe('addUpstream');
    expect(doc.paths['/api/v1/servers'].post.description).toMatch(/memory only/);
    expect(doc.paths['/api/v1/servers'].get.operationId).toBe('listUpstreams');
    expect(doc.paths['/api/v1/servers/{name}'].delete.operationId).toBe('removeUpstream');
    expect(doc.paths['/api/v1/servers/{name}'].delete.description).toMatch(/memory only/);
  });

  it('refuses a name already used: configured (even disabled), registry, or added over REST — 409, nothing replaced', async () => {
    for (const name of ['alpha', 'off', 'reg', 'extra']) {
      const r = await api('POST', '/api/v1/servers', { body: { name, url: `${recorder.url}/mcp` } });
      expect(r.status, `${name}: ${r.text}`).toBe(409);
      expect(r.json.error).toBe('GATEWAY_UPSTREAM_EXISTS');
    }
    const r = await api('POST', '/api/v1/tools/extra__echo/execute', {
      body: { arguments: { message: 'x' } },
    });
    expect(r.json.content[0].text).toBe('extra: x');
    await expectNothingAdded('nobody');
  });

  it('refuses a rename outside the upstream’s own prefix (it would take over another tool) and an oversized cache', async () => {
    const hijack = await api('POST', '/api/v1/servers', {
      body: {
        name: 'hijack',
        url: `http://127.0.0.1:${extra.port}/mcp`,
        tools: { rename: { echo: 'alpha__echo' } },
      },
    });
    expect(hijack.status, hijack.text).toBe(400);
    expect(hijack.json.details.issues[0].path).toBe('body.tools.rename.echo');
    const cache = await api('POST', '/api/v1/servers', {
      body: { name: 'hijack', url: `${recorder.url}/mcp`, cache: { ttlMs: 1000, maxEntries: 1_000_000 } },
    });
    expect(cache.status, cache.text).toBe(400);
    expect(cache.json.details.issues[0].path).toBe('body.cache');
    const r = await api('POST', '/api/v1/tools/alpha__echo/execute', {
      body: { arguments: { message: 'x' } },
    });
    expect(r.json.content[0].text).toBe('alpha: x');
    await expectNothingAdded('hijack');
  });

  it('refuses to delete a configured or registry upstream (409) and an unknown one (404); they keep working', async () => {
    for (const name of ['alpha', 'off', 'reg']) {
      const r = await api('DELETE', `/api/v1/servers/${name}`);
      expect(r.status, r.text).toBe(409);
      expect(r.json.error).toBe('GATEWAY_UPSTREAM_NOT_REMOVABLE');
      expect(r.json.details.hint).toMatch(/config file/);
    }
    const unknown = await api('DELETE', '/api/v1/servers/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toBe('GATEWAY_UPSTREAM_NOT_FOUND');
    expect(await upstreamNames()).toEqual(expect.arrayContaining(['alpha', 'extra']));
    // "reg" is not in this registry's database, so no caller sees it over REST: the gateway still has it.
    expect(gateway.health().map((h) => h.name)).toEqual(expect.arrayContaining(['alpha', 'reg', 'extra']));
    const r = await api('POST', '/api/v1/tools/alpha__echo/execute', {
      body: { arguments: { message: 'x' } },
    });
    expect(r.json.content[0].text).toBe('alpha: x');
  });

  it('refuses callers without gateway.manage: unauthenticated, viewer, developer, a team’s admin or operator, an allow-listed token', async () => {
    const expected: Record<string, number> = {
      none: 401,
      viewer: 403,
      developer: 403,
      teamAdmin: 403,
      operator: 403,
      narrowed: 403,
    };
    for (const [who, status] of Object.entries(expected)) {
      const as = who === 'none' ? null : who;
      const add = await api('POST', '/api/v1/servers', {
        as,
        body: { name: 'spy', url: `${recorder.url}/mcp` },
      });
      expect(add.status, `${who}: ${add.text}`).toBe(status);
      const del = await api('DELETE', '/api/v1/servers/extra', { as });
      expect(del.status, `${who}: ${del.text}`).toBe(status);
    }
    await expectNothingAdded('spy');
    expect(await upstreamNames()).toContain('extra');
  });

  it('refuses a stdio upstream without starting anything', async () => {
    const marker = join(work, 'stdio-ran');
    const script = `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran')`;
    for (const body of [
      { name: 'evil', command: process.execPath, args: ['-e', script] },
      { name: 'evil', url: `${recorder.url}/mcp`, command: process.execPath, args: ['-e', script] },
    ]) {
      const r = await api('POST', '/api/v1/servers', { body });
      expect(r.status, r.text).toBe(403);
      expect(r.json.error).toBe('GATEWAY_UPSTREAM_STDIO_REFUSED');
      expect(r.json.details.issues[0]).toMatchObject({
        code: 'GATEWAY_UPSTREAM_STDIO_REFUSED',
        path: 'body.command',
        hint: 'declare stdio upstreams in the gateway config file',
      });
    }
    await expectNothingAdded('evil');
    await sleep(300);
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses ${VAR} references (never expanded): the gateway fetches nothing', async () => {
    for (const [body, path] of [
      [
        { name: 'leak', url: `${recorder.url}/mcp`, headers: { 'x-key': 'Bearer ${HOME}' } },
        'body.headers.x-key',
      ],
      [{ name: 'leak', url: `${recorder.url}/\${HOME}` }, 'body.url'],
      [
        { name: 'leak', url: `${recorder.url}/mcp`, tools: { describe: { echo: '${PATH}' } } },
        'body.tools.describe.echo',
      ],
    ] as const) {
      const r = await api('POST', '/api/v1/servers', { body });
      expect(r.status, r.text).toBe(400);
      expect(r.json.error).toBe('GATEWAY_UPSTREAM_ENV_REFUSED');
      expect(r.json.details.issues.map((i: { path: string }) => i.path)).toEqual([path]);
      expect(r.text).not.toContain(process.env.HOME ?? '/nonexistent-home');
    }
    await expectNothingAdded('leak');
  });

  it('refuses URLs that are not plain http(s) or carry user:password, without fetching them', async () => {
    const port = new URL(recorder.url).port;
    for (const url of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'ftp://127.0.0.1/mcp',
      `http://admin:hunter2-pw@127.0.0.1:${port}/mcp`,
      `http://:hunter2-pw@127.0.0.1:${port}/mcp`,
      'http://',
    ]) {
      const r = await api('POST', '/api/v1/servers', { body: { name: 'badurl', url } });
      expect(r.status, `${url}: ${r.text}`).toBe(400);
      expect(r.json.error).toBe('API_INVALID_REQUEST');
      expect(r.json.details.issues[0].path).toBe('body.url');
      expect(r.text).not.toContain('hunter2-pw');
    }
    await expectNothingAdded('badurl');
  });

  it('refuses an oversize body (413) and too many headers (400)', async () => {
    const big = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`x-h${i}`, 'v'.repeat(5000)]));
    const r = await api('POST', '/api/v1/servers', {
      body: { name: 'big', url: `${recorder.url}/mcp`, headers: big },
    });
    expect(r.status, r.text.slice(0, 300)).toBe(413);
    expect(r.json.error).toBe('API_BODY_TOO_LARGE');
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`x-h${i}`, 'v']));
    const m = await api('POST', '/api/v1/servers', {
      body: { name: 'big', url: `${recorder.url}/mcp`, headers: many },
    });
    expect(m.status, m.text).toBe(400);
    expect(m.json.details.issues[0].path).toBe('body.headers');
    const crlf = await api('POST', '/api/v1/servers', {
      body: { name: 'big', url: `${recorder.url}/mcp`, headers: { 'x-a': 'v\r\nx-b: injected' } },
    });
    expect(crlf.status, crlf.text).toBe(400);
    await expectNothingAdded('big');
  });

  it('DELETE removes it: gone from the catalog, calls answer unknown tool, clients told, its connection closed', async () => {
    // A call keeps the connection to "extra" open (through the proxy).
    await api('POST', '/api/v1/tools/extra__echo/execute', { body: { arguments: { message: 'x' } } });
    expect(extra.open()).toBeGreaterThan(0);
    let changes = 0;
    const off = gateway.onChange(() => changes++);
    const r = await api('DELETE', '/api/v1/servers/extra', { as: 'admin' });
    off();
    expect(r.status, r.text).toBe(200);
    expect(changes).toBeGreaterThanOrEqual(1);
    expect(await toolNames()).not.toContain('extra__echo');
    expect(await upstreamNames()).not.toContain('extra');
    const call = await api('POST', '/api/v1/tools/extra__echo/execute', {
      body: { arguments: { message: 'x' } },
    });
    expect(call.status).toBe(404);
    expect(call.json.error).toBe('GATEWAY_TOOL_NOT_FOUND');
    // Every socket to the upstream closes (a listen stream left open would hold one for good).
    expect(await until(() => extra.open() === 0, 10_000), `${extra.open()} connections left`).toBe(true);
    const audit = await registry.listAudit({ limit: 20 });
    expect(audit.find((a) => a.action === 'gateway.upstream.remove' && a.target === 'extra')?.actor).toBe(
      'root-admin',
    );
    expect((await api('DELETE', '/api/v1/servers/extra')).status).toBe(404);
  }, 30_000);

  it('holds at most maxRuntimeUpstreams added over REST; a removal frees a slot', async () => {
    const closed = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    for (let i = 0; i < 3; i++) {
      const r = await api('POST', '/api/v1/servers', {
        body: { name: `n${i}`, url: `http://127.0.0.1:${closed[i]}/mcp`, retries: 0 },
      });
      expect(r.status, r.text).toBe(201);
    }
    const over = await api('POST', '/api/v1/servers', {
      body: { name: 'n3', url: `http://127.0.0.1:${closed[3]}/mcp` },
    });
    expect(over.status, over.text).toBe(409);
    expect(over.json.error).toBe('GATEWAY_UPSTREAM_LIMIT');
    expect(await upstreamNames()).not.toContain('n3');
    expect((await api('DELETE', '/api/v1/servers/n0')).status).toBe(200);
    expect(
      (
        await api('POST', '/api/v1/servers', {
          body: { name: 'n3', url: `http://127.0.0.1:${closed[3]}/mcp` },
        })
      ).status,
    ).toBe(201);
    for (const n of ['n1', 'n2', 'n3'])
      expect((await api('DELETE', `/api/v1/servers/${n}`)).status).toBe(200);
    expect(gateway.runtimeUpstreams()).toEqual([]);
  }, 30_000);
});
