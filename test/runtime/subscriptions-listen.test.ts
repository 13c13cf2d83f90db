/**
 * MCP 2026-07-28 subscriptions/listen for watched resources, with the real SDK v2 client (pinned to 2026-07-28):
 * - the runtime's HTTP core with a counting fake database (real HTTP, real SDK handler and bus): a listen stream
 *   makes its watched URIs polled (template URIs too) and brings notifications/resources/updated on change; the
 *   poller stops when the stream closes; unwatched URIs are never polled; two streams and a 2025 session share one
 *   poller per URI; `resourcesListChanged` polls the watched template lists; a stream naming more than 100
 *   resources is refused and polls nothing.
 * - a generated SQLite server over HTTP: a changed row reaches an open listen stream; once the stream closes the
 *   server queries nothing (its idle SQLite child exits and none starts again), nor for an unwatched URI; the same
 *   over stdio (updated and list_changed on the stream, the 101-resource refusal, polling stopped on close).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { McpServer } from '@modelcontextprotocol/server';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpCore } from '../../runtime/http-server.js';
import { listenBus } from '../../runtime/listen.js';
import { createLogger } from '../../runtime/logger.js';
import { NO_METRICS } from '../../runtime/metrics.js';
import { type ResourceDefinition, registerResources } from '../../runtime/resources.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { ServerSettings } from '../../runtime/settings.js';
import { activePollers, serveSubscriptions } from '../../runtime/subscriptions.js';
import { createServerProject } from '../../src/build/create.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { connectHttp, newClient, startHttp } from '../helpers/mcp.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await sleep(20);
  return check();
}

function updates(client: Client): string[] {
  const seen: string[] = [];
  client.setNotificationHandler('notifications/resources/updated', (n) => {
    seen.push(n.params.uri);
  });
  return seen;
}

describe('subscriptions/listen on the runtime HTTP core (counting fake database)', () => {
  const rowSql = { connection: 'db', sql: 'SELECT row', params: [], result: 'rows' } as never;
  const oneSql = { connection: 'db', sql: 'SELECT one', params: [], result: 'rows' } as never;
  const stillSql = { connection: 'db', sql: 'SELECT still', params: [], result: 'rows' } as never;
  const listSql = { connection: 'db', sql: 'SELECT ids', params: [], result: 'rows' } as never;
  const defs: ResourceDefinition[] = [
    { name: 'one', uri: 'db://one', sql: oneSql, watch: { intervalMs: 50 } },
    {
      name: 'row',
      uri: 'db://rows/{id}',
      template: true,
      sql: rowSql,
      list: listSql,
      watch: { intervalMs: 50 },
    },
    { name: 'still', uri: 'db://still', sql: stillSql },
  ];
  const reads = { row: 0, one: 0, still: 0, list: 0 };
  let value = 'a';
  let ids = [{ id: '1' }];
  const settings = {
    name: 'listen-probe',
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
  const rt = {
    settings,
    log: createLogger('error'),
    metrics: NO_METRICS,
    sql: async (def: unknown, vars: Record<string, unknown>) => {
      if (def === listSql) {
        reads.list++;
        return { rows: ids };
      }
      if (def === rowSql) reads.row++;
      else if (def === oneSql) reads.one++;
      else reads.still++;
      return { rows: [{ id: vars.id ?? null, value }] };
    },
  } as unknown as Runtime;

  function factory() {
    const s = new McpServer(
      { name: 'listen-probe', version: '1.0.0' },
      { capabilities: { resources: { subscribe: true, listChanged: true } } },
    );
    registerResources(s, rt, defs);
    serveSubscriptions(s, rt, defs);
    return s;
  }

  let http: ReturnType<typeof createHttpCore>;
  let server: Server;
  let url: string;
  const clients: Client[] = [];

  async function client(era: '2026-07-28' | '2025-11-25' = '2026-07-28'): Promise<Client> {
    const c = new Client(
      { name: 'listen-test', version: '1.0.0' },
      { versionNegotiation: { mode: era === '2025-11-25' ? 'legacy' : { pin: '2026-07-28' } } },
    );
    await c.connect(new StreamableHTTPClientTransport(new URL(url)));
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    http = createHttpCore(rt, factory);
    const handler = toNodeHandler({ fetch: (req: Request) => http.fetch(req) });
    server = createServer((req, res) => void handler(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  });

  beforeEach(async () => {
    for (const c of clients.splice(0)) await c.close().catch(() => undefined);
    // Every stream of the previous test is gone, and with it every poller.
    expect(await until(() => listenBus.listenerCount === 0 && activePollers() === 0)).toBe(true);
    Object.assign(reads, { row: 0, one: 0, still: 0, list: 0 });
    value = 'a';
    ids = [{ id: '1' }];
  });

  afterAll(async () => {
    for (const c of clients.splice(0)) await c.close().catch(() => undefined);
    await http.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('polls a listened template URI, sends updated on change, and stops polling when the stream closes', async () => {
    const c = await client();
    const seen = updates(c);
    expect(activePollers()).toBe(0);
    const sub = await c.listen({ resourceSubscriptions: ['db://rows/7'] });
    expect(sub.honoredFilter.resourceSubscriptions).toEqual(['db://rows/7']);
    expect(activePollers()).toBe(1);
    await sleep(200);
    expect(reads.row).toBeGreaterThanOrEqual(3);
    expect(reads.one).toBe(0);
    expect(seen).toEqual([]); // nothing changed yet
    value = 'b';
    expect(await until(() => seen.length >= 1)).toBe(true);
    await sleep(200);
    expect(seen).toEqual(['db://rows/7']); // one change, one notification
    await sub.close();
    expect(await until(() => activePollers() === 0)).toBe(true);
    expect(listenBus.listenerCount).toBe(0);
    await sleep(100); // a read in flight at close may still finish
    const after = reads.row;
    value = 'c';
    await sleep(300);
    expect(reads.row).toBe(after);
    expect(seen).toEqual(['db://rows/7']);
  });

  it('never polls a listened URI that is not watched', async () => {
    const c = await client();
    const seen = updates(c);
    const sub = await c.listen({ resourceSubscriptions: ['db://still', 'other://x'] });
    expect(listenBus.listenerCount).toBe(1); // the stream is open
    expect(activePollers()).toBe(0);
    value = 'b';
    await sleep(300);
    expect(reads).toEqual({ row: 0, one: 0, still: 0, list: 0 });
    expect(seen).toEqual([]);
    await sub.close();
  });

  it('gives two listen streams and a 2025 session one poller per URI, and each one notification', async () => {
    const a = await client();
    const b = await client();
    const legacy = await client('2025-11-25');
    const [seenA, seenB, seenLegacy] = [updates(a), updates(b), updates(legacy)];
    const subA = await a.listen({ resourceSubscriptions: ['db://one'] });
    const subB = await b.listen({ resourceSubscriptions: ['db://one', 'db://rows/2'] });
    await legacy.subscribeResource({ uri: 'db://one' });
    expect(activePollers()).toBe(2); // db://one and db://rows/2
    const before = reads.one;
    await sleep(200);
    expect(reads.one - before).toBeLessThanOrEqual(5); // one poller (~4 ticks in 200 ms), not three
    value = 'b';
    expect(await until(() => seenA.length >= 1 && seenB.length >= 2 && seenLegacy.length >= 1)).toBe(true);
    await sleep(200);
    expect(seenA).toEqual(['db://one']);
    expect([...seenB].sort()).toEqual(['db://one', 'db://rows/2']);
    expect(seenLegacy).toEqual(['db://one']);
    await subB.close();
    expect(await until(() => activePollers() === 1)).toBe(true); // db://rows/2 is gone, db://one stays
    await subA.close();
    await sleep(100);
    expect(activePollers()).toBe(1); // the 2025 subscriber still holds db://one
    await legacy.unsubscribeResource({ uri: 'db://one' });
    expect(activePollers()).toBe(0);
  });

  it('polls watched template lists for resourcesListChanged and sends list_changed', async () => {
    const c = await client();
    let listChanged = 0;
    c.setNotificationHandler('notifications/resources/list_changed', () => {
      listChanged++;
    });
    const sub = await c.listen({ resourcesListChanged: true });
    expect(sub.honoredFilter.resourcesListChanged).toBe(true);
    expect(activePollers()).toBe(1); // the template's list only
    await sleep(200);
    expect(listChanged).toBe(0);
    expect(reads.row + reads.one + reads.still).toBe(0);
    ids = [{ id: '1' }, { id: '2' }];
    expect(await until(() => listChanged >= 1)).toBe(true);
    await sub.close();
    expect(await until(() => activePollers() === 0)).toBe(true);
  });

  it('refuses a stream naming more than 100 resources, and polls nothing for it', async () => {
    const c = await client();
    const many = Array.from({ length: 101 }, (_, i) => `db://rows/${i}`);
    await expect(c.listen({ resourceSubscriptions: many })).rejects.toThrow(/at most 100/);
    expect(activePollers()).toBe(0);
    expect(listenBus.listenerCount).toBe(0);
    // 100 is allowed: 100 pollers, released together when the stream closes.
    const sub = await c.listen({ resourceSubscriptions: many.slice(0, 100) });
    expect(activePollers()).toBe(100);
    await sub.close();
    expect(await until(() => activePollers() === 0)).toBe(true);
  });

  it('releases open streams and their pollers when the handler closes', async () => {
    const local = createHttpCore(rt, factory);
    const handler = toNodeHandler({ fetch: (req: Request) => local.fetch(req) });
    const srv = createServer((req, res) => void handler(req, res));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const c = new Client(
      { name: 'listen-test', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await c.connect(
      new StreamableHTTPClientTransport(
        new URL(`http://127.0.0.1:${(srv.address() as AddressInfo).port}/mcp`),
      ),
    );
    const sub = await c.listen({ resourceSubscriptions: ['db://one'] });
    expect(activePollers()).toBe(1);
    await local.close();
    expect(await sub.closed).toBe('graceful');
    expect(activePollers()).toBe(0);
    await c.close();
    srv.closeAllConnections();
    await new Promise((r) => srv.close(r));
  });
});

describe('subscriptions/listen on a generated SQLite server (HTTP and stdio)', () => {
  let work: string;
  let bundle: string;
  let dbFile: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'mcpf-listen-'));
    const source = new Database(join(work, 'shop.db'));
    source.exec(
      "CREATE TABLE items (id TEXT PRIMARY KEY, name TEXT); INSERT INTO items VALUES ('a1','apple'),('b2','bread');",
    );
    source.close();
    const result = validateSpec({
      name: 'listen',
      connections: [{ name: 'shop', type: 'sqlite', path: 'shop.db' }],
      resources: [
        {
          name: 'item',
          uri: 'shop://items/{id}',
          mimeType: 'application/json',
          sql: { connection: 'shop', statement: 'SELECT id, name FROM items WHERE id = :id' },
          list: 'SELECT id FROM items ORDER BY id',
          watch: { intervalMs: 1000 }, // the spec's minimum
        },
        { name: 'fixed', uri: 'shop://fixed', text: 'never changes' },
      ],
    });
    expect(result.issues).toEqual([]);
    const created = await createServerProject({
      spec: result.spec!,
      specDir: work,
      outDir: join(work, 'server'),
      runTests: false,
    });
    bundle = created.bundle.file;
    dbFile = join(work, 'server', 'data', 'shop.db'); // the server reads the project's copy
    expect(existsSync(dbFile)).toBe(true);
  }, 120_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The server's SQLite children: one runs while something queries, and exits after MCP_FACTORY_SQLITE_IDLE_MS. */
  const sqliteChildren = (pid: number) =>
    readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).length;

  it('delivers a changed row to an open listen stream, and stops querying when it closes', async () => {
    // Idle SQLite children exit after 1.5 s: with a 1 s poll one stays; with no poll, none.
    const http = await startHttp(bundle, { MCP_FACTORY_SQLITE_IDLE_MS: '1500' });
    const pid = http.child.pid!;
    try {
      const client = await connectHttp(http.url, '2026-07-28');
      try {
        expect(client.getServerCapabilities()?.resources).toEqual({ subscribe: true, listChanged: true });
        const seen = updates(client);
        const sub = await client.listen({ resourceSubscriptions: ['shop://items/a1', 'shop://fixed'] });
        expect(sub.honoredFilter.resourceSubscriptions).toEqual(['shop://items/a1', 'shop://fixed']);
        await client.readResource({ uri: 'shop://items/a1' }); // the SQLite child is up
        await sleep(1300); // the first state is taken
        expect(seen).toEqual([]);
        const db = new Database(dbFile);
        db.prepare('UPDATE items SET name = ? WHERE id = ?').run('bagel', 'b2'); // not listened to
        // Changed again until seen: on a loaded machine the first state can be taken after the first change.
        for (let n = 0; n < 8 && seen.length === 0; n++) {
          db.prepare('UPDATE items SET name = ? WHERE id = ?').run(`apricot-${n}`, 'a1');
          await until(() => seen.length >= 1, 2000);
        }
        db.close();
        expect(seen.length).toBeGreaterThanOrEqual(1);
        await sleep(1200);
        expect(new Set(seen)).toEqual(new Set(['shop://items/a1']));
        const delivered = seen.length;
        expect(sqliteChildren(pid)).toBeGreaterThanOrEqual(1); // polling keeps the child busy
        await sub.close();
        expect(await sub.closed).toBe('local');
        // The poller stopped: the child goes idle and exits, and no poll starts another.
        expect(await until(() => sqliteChildren(pid) === 0, 8000)).toBe(true);
        const again = new Database(dbFile);
        again.prepare('UPDATE items SET name = ? WHERE id = ?').run('avocado', 'a1');
        again.close();
        await sleep(2300);
        expect(sqliteChildren(pid)).toBe(0);
        expect(seen).toHaveLength(delivered);
        // A stream listening only to an unwatched resource makes the server query nothing.
        const unwatched = await client.listen({ resourceSubscriptions: ['shop://fixed'] });
        await sleep(2300);
        expect(sqliteChildren(pid)).toBe(0);
        await unwatched.close();
      } finally {
        await client.close();
      }
    } finally {
      await http.stop();
    }
  }, 30_000);
  it('delivers changes to a listen stream over stdio, and stops querying when it closes', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [bundle, '--transport', 'stdio'],
      env: {
        ...(process.env as Record<string, string>),
        LOG_LEVEL: 'warn',
        MCP_FACTORY_SQLITE_IDLE_MS: '1500',
      },
      stderr: 'ignore',
    });
    const client = newClient('2026-07-28');
    await client.connect(transport);
    const pid = transport.pid!;
    try {
      const seen = updates(client);
      let listChanged = 0;
      client.setNotificationHandler('notifications/resources/list_changed', () => {
        listChanged++;
      });
      await expect(
        client.listen({ resourceSubscriptions: Array.from({ length: 101 }, (_, i) => `shop://items/x${i}`) }),
      ).rejects.toThrow(/at most 100/);
      const sub = await client.listen({
        resourceSubscriptions: ['shop://items/b2'],
        resourcesListChanged: true,
      });
      expect(sub.honoredFilter).toEqual({
        resourceSubscriptions: ['shop://items/b2'],
        resourcesListChanged: true,
      });
      await client.readResource({ uri: 'shop://items/b2' }); // the SQLite child is up
      await sleep(1300); // the first states are taken
      expect(seen).toEqual([]);
      const db = new Database(dbFile);
      db.prepare('UPDATE items SET name = ? WHERE id = ?').run('baguette', 'b2');
      db.exec("INSERT INTO items VALUES ('c3','cake')");
      db.close();
      expect(await until(() => seen.length >= 1 && listChanged >= 1, 5000)).toBe(true);
      await sleep(1200);
      expect(seen).toEqual(['shop://items/b2']);
      expect(listChanged).toBe(1);
      await sub.close();
      expect(await until(() => sqliteChildren(pid) === 0, 8000)).toBe(true);
      await sleep(2300);
      expect(sqliteChildren(pid)).toBe(0);
      // The connection still serves.
      const read = await client.readResource({ uri: 'shop://items/c3' });
      expect((read.contents[0] as { text: string }).text).toContain('cake');
    } finally {
      await client.close();
    }
  }, 30_000);
});
