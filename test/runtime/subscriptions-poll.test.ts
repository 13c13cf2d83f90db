/**
 * runtime/subscriptions.ts with a counting fake database: nothing is read without subscribers, one poll per URI
 * whatever the number of subscribed connections, polling stops on unsubscribe and on connection close, and the
 * per-connection cap holds.
 */
import type { McpServer } from '@modelcontextprotocol/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ResourceDefinition } from '../../runtime/resources.js';
import type { Runtime } from '../../runtime/runtime.js';
import { activePollers, serveSubscriptions, stopWatching } from '../../runtime/subscriptions.js';
import { validateSpec } from '../../src/core/spec/index.js';

type Handler = (request: { params: { uri: string } }) => unknown;
const sql = { connection: 'db', sql: 'SELECT 1', params: [], result: 'rows' } as never;
const defs: ResourceDefinition[] = [
  { name: 'one', uri: 'db://one', sql, watch: { intervalMs: 1000 } },
  { name: 'row', uri: 'db://rows/{id}', template: true, sql, watch: { intervalMs: 1000 } },
  { name: 'still', uri: 'db://still', sql },
];

let reads = 0;
let value = 'a';
const rt = {
  sql: async () => {
    reads++;
    return { rows: [{ value }] };
  },
} as unknown as Runtime;

function connection() {
  const handlers: Record<string, Handler> = {};
  const sent: string[] = [];
  const inner = {
    setRequestHandler: (method: string, handler: Handler) => {
      handlers[method] = handler;
    },
    sendResourceUpdated: async (p: { uri: string }) => {
      sent.push(p.uri);
    },
    onclose: undefined as undefined | (() => void),
  };
  serveSubscriptions({ server: inner } as unknown as McpServer, rt, defs);
  return {
    sent,
    subscribe: (uri: string) => handlers['resources/subscribe']!({ params: { uri } }),
    unsubscribe: (uri: string) => handlers['resources/unsubscribe']!({ params: { uri } }),
    close: () => inner.onclose?.(),
  };
}

beforeEach(() => {
  vi.useFakeTimers();
  reads = 0;
  value = 'a';
});
afterEach(() => {
  stopWatching();
  vi.useRealTimers();
});

describe('subscription polling', () => {
  it('reads nothing without subscribers', async () => {
    connection();
    await vi.advanceTimersByTimeAsync(5000);
    expect(reads).toBe(0);
    expect(activePollers()).toBe(0);
  });

  it('polls each URI once per interval whatever the number of subscribers, and notifies each', async () => {
    const a = connection();
    const b = connection();
    a.subscribe('db://rows/7');
    b.subscribe('db://rows/7');
    expect(activePollers()).toBe(1);
    await vi.advanceTimersByTimeAsync(3000);
    expect(reads).toBe(4); // the first state + 3 ticks
    expect(a.sent).toEqual([]);
    value = 'b';
    await vi.advanceTimersByTimeAsync(1000);
    expect(a.sent).toEqual(['db://rows/7']);
    expect(b.sent).toEqual(['db://rows/7']);
  });

  it('stops polling on unsubscribe and on connection close', async () => {
    const a = connection();
    const b = connection();
    a.subscribe('db://one');
    b.subscribe('db://one');
    a.unsubscribe('db://one');
    expect(activePollers()).toBe(1);
    b.close();
    expect(activePollers()).toBe(0);
    reads = 0;
    value = 'c';
    await vi.advanceTimersByTimeAsync(5000);
    expect(reads).toBe(0);
    expect(a.sent).toEqual([]);
  });

  it('refuses unwatched resources and the 101st subscription of a connection', () => {
    const a = connection();
    expect(() => a.subscribe('db://still')).toThrow(/cannot be subscribed/);
    expect(() => a.subscribe('other://x')).toThrow(/cannot be subscribed/);
    for (let i = 0; i < 100; i++) a.subscribe(`db://rows/${i}`);
    expect(() => a.subscribe('db://rows/100')).toThrow(/too many/);
    expect(activePollers()).toBe(100);
    // Another connection still may subscribe (the cap is per connection).
    connection().subscribe('db://one');
    expect(activePollers()).toBe(101);
  });
});

describe('`watch` in the spec', () => {
  const base = { name: 'w', connections: [{ name: 'db', type: 'sqlite', path: 'db.sqlite' }] };
  it('is only for SQL resources, with an interval from 1 s to 1 h', () => {
    const onText = validateSpec({
      ...base,
      resources: [{ name: 't', uri: 'x://t', text: 'hi', watch: { intervalMs: 1000 } }],
    });
    expect(onText.issues.map((i) => i.message).join()).toMatch(/`watch` needs a SQL resource/);
    for (const intervalMs of [999, 3_600_001, 1500.5]) {
      const bad = validateSpec({
        ...base,
        resources: [
          {
            name: 's',
            uri: 'x://s',
            sql: { connection: 'db', statement: 'SELECT 1' },
            watch: { intervalMs },
          },
        ],
      });
      expect(bad.issues.length).toBeGreaterThan(0);
    }
    const good = validateSpec({
      ...base,
      resources: [
        {
          name: 's',
          uri: 'x://s',
          sql: { connection: 'db', statement: 'SELECT 1' },
          watch: { intervalMs: 1000 },
        },
      ],
    });
    expect(good.issues).toEqual([]);
  });
});

describe('list_changed of a watched template with a list', () => {
  it('polls the list only while a URI of the template is subscribed, and notifies on change', async () => {
    vi.useFakeTimers();
    let listReads = 0;
    let rows = [{ id: '1' }];
    const listSql = { connection: 'db', sql: 'SELECT id', params: [], result: 'rows' } as never;
    const listRt = {
      sql: async (def: unknown) => {
        if (def === listSql) {
          listReads++;
          return { rows };
        }
        return { rows: [{ value: 'x' }] };
      },
    } as unknown as Runtime;
    const handlers: Record<string, Handler> = {};
    let changed = 0;
    const inner = {
      setRequestHandler: (m: string, h: Handler) => {
        handlers[m] = h;
      },
      sendResourceUpdated: async () => undefined,
      sendResourceListChanged: async () => {
        changed++;
      },
      onclose: undefined as undefined | (() => void),
    };
    const listDefs: ResourceDefinition[] = [
      { name: 'row', uri: 'db://rows/{id}', template: true, sql, list: listSql, watch: { intervalMs: 1000 } },
    ];
    serveSubscriptions({ server: inner } as unknown as McpServer, listRt, listDefs);
    await vi.advanceTimersByTimeAsync(3000);
    expect(listReads).toBe(0);
    handlers['resources/subscribe']!({ params: { uri: 'db://rows/1' } });
    handlers['resources/subscribe']!({ params: { uri: 'db://rows/2' } });
    expect(activePollers()).toBe(3); // two URIs + one list
    await vi.advanceTimersByTimeAsync(1000);
    expect(changed).toBe(0);
    rows = [{ id: '1' }, { id: '2' }];
    await vi.advanceTimersByTimeAsync(1000);
    expect(changed).toBe(1);
    handlers['resources/unsubscribe']!({ params: { uri: 'db://rows/1' } });
    expect(activePollers()).toBe(2);
    inner.onclose?.();
    expect(activePollers()).toBe(0);
    listReads = 0;
    await vi.advanceTimersByTimeAsync(3000);
    expect(listReads).toBe(0);
  });
});
