import { describe, expect, it } from 'vitest';
import {
  addToHistory,
  HISTORY_KEY,
  type HistoryEntry,
  MAX_ENTRIES,
  REDACTED,
  readHistory,
  redactArguments,
  restorableArguments,
} from '../../../console/src/pages/playground/history.ts';
import { callRequest, GATEWAY } from '../../../console/src/pages/playground/tools.ts';
import { groupByServer, playgroundHref, type ToolMatch } from '../../../console/src/pages/search/group.ts';

function memoryStorage(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial));
  return {
    data,
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
  };
}

function entry(i: number, args: Record<string, unknown> = { q: i }): HistoryEntry {
  return {
    id: `e${i}`,
    at: new Date(0).toISOString(),
    server: 's',
    tool: 't',
    arguments: args,
    roundTripMs: i,
    result: { isError: false, text: 'x'.repeat(30_000), durationMs: 1 },
  };
}

describe('playground history', () => {
  it('never stores the values of secret-looking arguments, at any depth', () => {
    const storage = memoryStorage();
    addToHistory(
      storage,
      [],
      entry(1, { password: 'hunter2', nested: [{ api_key: 'k-123', ok: 'v' }], token: 'abc' }),
    );
    const stored = storage.data.get(HISTORY_KEY) ?? '';
    expect(stored).not.toContain('hunter2');
    expect(stored).not.toContain('k-123');
    expect(stored).not.toContain('abc');
    expect(readHistory(storage)[0]?.arguments).toEqual({
      password: REDACTED,
      nested: [{ api_key: REDACTED, ok: 'v' }],
      token: REDACTED,
    });
    expect(redactArguments('plain')).toBe('plain');
    // Loaded back into the form, the secrets are empty fields, not the placeholder text.
    expect(restorableArguments(readHistory(storage)[0]?.arguments)).toEqual({ nested: [{ ok: 'v' }] });
  });

  it('keeps the newest entries first, capped, with long results cut', () => {
    const storage = memoryStorage();
    let history: HistoryEntry[] = [];
    for (let i = 0; i < MAX_ENTRIES + 5; i++) history = addToHistory(storage, history, entry(i));
    const read = readHistory(storage);
    expect(read).toHaveLength(MAX_ENTRIES);
    expect(read[0]?.id).toBe(`e${MAX_ENTRIES + 4}`);
    expect(read[0]?.result?.text.length).toBeLessThan(21_000);
  });

  it('reads garbage in storage as an empty history and survives a full storage', () => {
    expect(readHistory(memoryStorage({ [HISTORY_KEY]: '{oops' }))).toEqual([]);
    expect(readHistory(memoryStorage({ [HISTORY_KEY]: '{"a":1}' }))).toEqual([]);
    expect(readHistory(memoryStorage({ [HISTORY_KEY]: '[{"id":1},null]' }))).toEqual([]);
    const full = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    expect(addToHistory(full, [], entry(1))).toHaveLength(1);
  });
});

describe('where a playground call goes', () => {
  it('a server through its own route, its name one encoded segment', () => {
    expect(callRequest('shop', 't', { a: 1 }, '/gateway')).toEqual({
      path: '/mcp/servers/shop/call',
      body: { tool: 't', arguments: { a: 1 } },
    });
    expect(callRequest('a/../b', 't', {}, undefined).path).toBe('/mcp/servers/a%2F..%2Fb/call');
  });

  it('the gateway through the factory, only with a gateway base', () => {
    expect(callRequest(GATEWAY, 'demo__t', {}, '/gateway').path).toBe('/gateway/call');
    expect(() => callRequest(GATEWAY, 'demo__t', {}, undefined)).toThrow(/no gateway/);
  });
});

describe('search grouping', () => {
  const match = (server: string, tool: string, score: number): ToolMatch => ({
    server,
    tool,
    score,
    revision: 1,
    version: '1.0.0',
    title: null,
    description: null,
    annotations: {},
  });

  it('groups matches by server, the server with the best match first, matches best first', () => {
    const groups = groupByServer([
      match('a', 'x', 1),
      match('b', 'y', 5),
      match('a', 'z', 3),
      match('b', 'w', 2),
    ]);
    expect(groups.map((g) => [g.server, g.best, g.matches.map((m) => m.tool)])).toEqual([
      ['b', 5, ['y', 'w']],
      ['a', 3, ['z', 'x']],
    ]);
    expect(groupByServer([])).toEqual([]);
  });

  it('encodes the playground link', () => {
    expect(playgroundHref('a&b', 't x')).toBe('/playground?server=a%26b&tool=t+x');
  });
});
