/**
 * A generated server with a watched SQL resource, over stdio (MCP 2025-11-25): subscribing and changing the row
 * brings notifications/resources/updated within ~2 intervals; after unsubscribing, none; the capability is
 * advertised; unwatched resources cannot be subscribed to; the per-connection cap holds and the server still answers.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { connectHttp, connectStdio, startHttp } from '../helpers/mcp.js';

let work: string;
let bundle: string;
let dbFile: string;

function setName(id: string, name: string): void {
  const db = new Database(dbFile);
  db.prepare('UPDATE items SET name = ? WHERE id = ?').run(name, id);
  db.close();
}

function collect(client: Client): string[] {
  const seen: string[] = [];
  client.setNotificationHandler('notifications/resources/updated', (n) => {
    seen.push(n.params.uri);
  });
  return seen;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Make a change, and make it again (round n) every 1.5 s until `done()`: on a loaded machine the poller's first
 * state can be taken after the first change, which it then never reports as one. Deadline 15 s.
 */
async function changeUntil(change: (round: number) => void, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (let round = 0; !done() && Date.now() < deadline; round++) {
    change(round);
    const next = Date.now() + 1500;
    while (!done() && Date.now() < next) await sleep(100);
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-subs-'));
  dbFile = join(work, 'shop.db');
  const db = new Database(dbFile);
  db.exec(
    "CREATE TABLE items (id TEXT PRIMARY KEY, name TEXT); INSERT INTO items VALUES ('a1','apple'),('b2','bread');",
  );
  db.close();
  const result = validateSpec({
    name: 'subs',
    connections: [{ name: 'shop', type: 'sqlite', path: 'shop.db' }],
    resources: [
      {
        name: 'item',
        uri: 'shop://items/{id}',
        mimeType: 'application/json',
        sql: { connection: 'shop', statement: 'SELECT id, name FROM items WHERE id = :id' },
        list: 'SELECT id FROM items ORDER BY id',
        watch: { intervalMs: 1000 },
      },
      {
        name: 'all',
        uri: 'shop://items',
        sql: { connection: 'shop', statement: 'SELECT id, name FROM items ORDER BY id' },
        watch: { intervalMs: 1000 },
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
  // The project ships a copy of the database (data/); the server reads that one, so the test changes it.
  dbFile = join(work, 'server', 'data', 'shop.db');
  expect(existsSync(dbFile)).toBe(true);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('resource subscriptions over stdio (2025-11-25)', () => {
  it('advertises subscribe and notifies subscribers of a changed row, until unsubscribed', async () => {
    const client = await connectStdio(bundle, '2025-11-25');
    try {
      expect(client.getServerCapabilities()?.resources).toEqual({ subscribe: true, listChanged: true });
      const seen = collect(client);
      await client.subscribeResource({ uri: 'shop://items/a1' });
      await client.subscribeResource({ uri: 'shop://items' });
      await sleep(1300); // the first state is taken
      expect(seen).toEqual([]); // nothing changed yet
      await changeUntil(
        (n) => setName('a1', `apricot-${n}`),
        () => new Set(seen).size === 2,
      );
      expect([...new Set(seen)].sort()).toEqual(['shop://items', 'shop://items/a1']);
      // b2 is not subscribed: its change reaches only the whole-table resource.
      seen.length = 0;
      await client.unsubscribeResource({ uri: 'shop://items' });
      setName('b2', 'bagel');
      await changeUntil(
        (n) => setName('a1', `avocado-${n}`),
        () => seen.includes('shop://items/a1'),
      );
      await sleep(1500); // room for a wrong notification of the unsubscribed whole-table resource
      expect(new Set(seen)).toEqual(new Set(['shop://items/a1']));
      // Unsubscribed from everything: changes bring nothing.
      seen.length = 0;
      await client.unsubscribeResource({ uri: 'shop://items/a1' });
      setName('a1', 'almond');
      await sleep(2300);
      expect(seen).toEqual([]);
    } finally {
      await client.close();
    }
  }, 60_000);

  it('refuses unwatched resources and more than 100 subscriptions, and still answers', async () => {
    const client = await connectStdio(bundle, '2025-11-25');
    try {
      await expect(client.subscribeResource({ uri: 'shop://fixed' })).rejects.toThrow(/cannot be subscribed/);
      for (let i = 0; i < 100; i++) await client.subscribeResource({ uri: `shop://items/x${i}` });
      await expect(client.subscribeResource({ uri: 'shop://items/x100' })).rejects.toThrow(
        /too many resource subscriptions/,
      );
      // Subscribing again to one held is not a new subscription.
      await client.subscribeResource({ uri: 'shop://items/x5' });
      const read = await client.readResource({ uri: 'shop://items/b2' });
      expect((read.contents[0] as { text: string }).text).toContain('b2');
    } finally {
      await client.close();
    }
  }, 60_000);

  it('sends list_changed when the list of a subscribed template changes', async () => {
    const client = await connectStdio(bundle, '2025-11-25');
    try {
      let listChanged = 0;
      client.setNotificationHandler('notifications/resources/list_changed', () => {
        listChanged++;
      });
      await client.subscribeResource({ uri: 'shop://items/a1' });
      await sleep(1300);
      expect(listChanged).toBe(0);
      await changeUntil(
        (n) => {
          const db = new Database(dbFile);
          db.prepare('INSERT INTO items VALUES (?, ?)').run(`c${3 + n}`, 'cake');
          db.close();
        },
        () => listChanged >= 1,
      );
      expect(listChanged).toBeGreaterThanOrEqual(1);
      const listed = await client.listResources();
      expect(listed.resources.map((r) => r.uri)).toContain('shop://items/c3');
    } finally {
      await client.close();
    }
  }, 60_000);

  it('still serves 2026-07-28 clients (no resources/subscribe there)', async () => {
    const client = await connectStdio(bundle, '2026-07-28');
    try {
      const read = await client.readResource({ uri: 'shop://items/a1' });
      expect((read.contents[0] as { text: string }).text).toContain('a1');
      await expect(client.subscribeResource({ uri: 'shop://items/a1' })).rejects.toThrow();
    } finally {
      await client.close();
    }
  }, 60_000);

  it('notifies over an HTTP session (2025-11-25) too', async () => {
    const http = await startHttp(bundle);
    try {
      const client = await connectHttp(http.url, '2025-11-25');
      try {
        expect(client.getServerCapabilities()?.resources?.subscribe).toBe(true);
        const seen = collect(client);
        await client.subscribeResource({ uri: 'shop://items/b2' });
        await sleep(1300);
        await changeUntil(
          (n) => setName('b2', `brioche-${n}`),
          () => seen.length >= 1,
        );
        expect(new Set(seen)).toEqual(new Set(['shop://items/b2']));
      } finally {
        await client.close();
      }
    } finally {
      await http.stop();
    }
  }, 60_000);
});
