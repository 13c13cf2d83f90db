/**
 * Tool-search quality: the registry's ranking against plain BM25 over name + description (the baseline of the
 * public tool-retrieval benchmarks) on bench/search-eval (405 tools of 63 well-known MCP servers, 214 queries:
 * keywords and task descriptions). Every query is used: on 30 the figures swing by ±0.1 with the sample, and
 * all of them take under a second. The bar is set so the former ranking (FTS5, query words OR-ed as prefixes,
 * the first 16 words) fails it, which the test checks too. On PostgreSQL the same ranking gives the same figures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  evaluate,
  isLong,
  loadCorpus,
  loadQueries,
  loadRegistry,
  oldFts,
  plainBm25,
  registrySearch,
} from '../../bench/search-eval/lib.mjs';
import { openRegistry, type Registry } from '../../src/store/index.js';
import { type SearchEngine, ToolSearch } from '../../src/store/search.js';
import { type BackendHandle, createPgDatabase, createSqliteHome, pgGate } from './backends.js';

type Search = (query: string, limit?: number) => Promise<string[]> | string[];
interface Figures {
  recall1: number;
  recall5: number;
  mrr: number;
}

const corpus = loadCorpus();
const queries = loadQueries();
const long = queries.filter((q: { query: string }) => isLong(q.query));
/** How much better than the baseline the ranking must be (Recall@5 and MRR, absolute). */
const MARGIN = 0.04;

/** The ranking with the database narrowing first (as above MAX_INDEXED_TOOLS), here above 100 tools. */
function narrowed(registry: Registry, engine: SearchEngine): Search {
  const search = new ToolSearch({ maxIndexed: 100 });
  return async (query, limit = 10) =>
    (await search.search(registry.kysely, engine, query, limit)).map((m) => `${m.server}/${m.tool}`);
}

function meetsBar(ranking: Figures, baseline: Figures): boolean {
  return ranking.recall5 >= baseline.recall5 + MARGIN && ranking.mrr >= baseline.mrr + MARGIN;
}

describe('tool search quality (SQLite registry)', () => {
  let handle: BackendHandle;
  let registry: Registry;
  const figures: Record<string, { all: Figures; long: Figures }> = {};

  beforeAll(async () => {
    handle = createSqliteHome();
    registry = await openRegistry(handle.options);
    await loadRegistry(registry, corpus);
    const rankings: Record<string, Search> = {
      bm25: plainBm25(corpus),
      old: oldFts(registry),
      new: registrySearch(registry),
    };
    for (const [name, search] of Object.entries(rankings)) {
      figures[name] = { all: await evaluate(search, queries), long: await evaluate(search, long) };
    }
  }, 60_000);

  afterAll(async () => {
    await registry?.close();
    await handle?.cleanup();
  });

  it('uses the FTS5 engine for its candidates (so the old ranking can be replayed)', () => {
    expect(registry.info().search).toBe('fts');
    expect(queries.length).toBeGreaterThanOrEqual(200);
    expect(long.length).toBeGreaterThanOrEqual(100);
  });

  it('beats plain BM25 by a margin, over all queries and over the long ones', () => {
    const { bm25, new: ranked } = figures as Record<string, { all: Figures; long: Figures }>;
    expect(meetsBar(ranked!.all, bm25!.all), JSON.stringify(figures)).toBe(true);
    expect(meetsBar(ranked!.long, bm25!.long), JSON.stringify(figures)).toBe(true);
    expect(ranked!.all.recall1).toBeGreaterThan(bm25!.all.recall1);
  });

  it('is a bar the former ranking (FTS5 OR-prefix, 16 words) does not meet', () => {
    const { bm25, old } = figures as Record<string, { all: Figures; long: Figures }>;
    expect(meetsBar(old!.all, bm25!.all)).toBe(false);
    expect(meetsBar(old!.long, bm25!.long)).toBe(false);
    // Long task descriptions are where it lost: cut to 16 words, mostly stop words.
    expect(old!.long.recall5).toBeLessThan(bm25!.long.recall5);
  });

  it('narrows candidates in SQL above the indexed-tool bound and ranks them nearly as well', async () => {
    const ranked = await evaluate(narrowed(registry, 'fts'), queries);
    const full = (figures.new as { all: Figures }).all;
    expect(ranked.recall5, JSON.stringify(ranked)).toBeGreaterThanOrEqual(full.recall5 - 0.03);
    expect(meetsBar(ranked, (figures.bm25 as { all: Figures }).all)).toBe(true);
  });

  it('finds a tool from a long task description past its 16th word', async () => {
    const query =
      'I am a freelance designer and I just finished a logo project for a small bakery in Portland; I need ' +
      'to charge them for the work, so create an invoice for the customer with the agreed amount';
    const top = await registrySearch(registry)(query, 5);
    expect(top).toContain('stripe/create_invoice');
    expect(await oldFts(registry)(query, 5)).not.toContain('stripe/create_invoice');
  });

  it('indexes parameter names and descriptions from the stored spec', async () => {
    // Only the parameters of `pods_list` say `labelSelector`; its name and description do not.
    expect((await registrySearch(registry)('labelSelector', 1))[0]).toBe('kubernetes/pods_list');
    expect(await oldFts(registry)('labelSelector', 5)).not.toContain('kubernetes/pods_list');
  });

  it('sees new, removed and rolled-back versions at once (the cached index follows the registry)', async () => {
    const other = await openRegistry(handle.options);
    try {
      const search = registrySearch(other);
      expect(await search('zeppelin', 5)).toEqual([]);
      const spec = {
        tools: [{ name: 'book_zeppelin', parameters: { date: { description: 'Flight date' } } }],
      };
      const tools = [{ name: 'book_zeppelin', description: 'Book a zeppelin flight' }];
      const hashOf = (n: number) => n.toString(16).padStart(64, '0');
      await registry.createServerVersion({
        name: 'sky',
        version: '1.0.0',
        spec,
        artifactHash: hashOf(1),
        actor: 't',
        tools,
      });
      expect(await search('zeppelin', 5)).toEqual(['sky/book_zeppelin']);
      await registry.createServerVersion({
        name: 'sky',
        version: '1.1.0',
        spec: {},
        artifactHash: hashOf(2),
        actor: 't',
        tools: [],
      });
      expect(await search('zeppelin', 5)).toEqual([]);
      await registry.setCurrentRevision('sky', 1, { actor: 't' });
      expect(await search('zeppelin', 5)).toEqual(['sky/book_zeppelin']);
      await registry.removeServer('sky', { actor: 't' });
      expect(await search('zeppelin', 5)).toEqual([]);
    } finally {
      await other.close();
    }
  });
});

describe.skipIf(!pgGate.url)('tool search quality (PostgreSQL registry)', () => {
  it('ranks the same as on SQLite', async () => {
    const pgHandle = await createPgDatabase(pgGate.url as string);
    const sqliteHandle = createSqliteHome();
    const pgRegistry = await openRegistry(pgHandle.options);
    const sqliteRegistry = await openRegistry(sqliteHandle.options);
    try {
      await loadRegistry(pgRegistry, corpus);
      await loadRegistry(sqliteRegistry, corpus);
      expect(pgRegistry.info().search).toBe('tsvector');
      const onPg = await evaluate(registrySearch(pgRegistry), queries);
      const onSqlite = await evaluate(registrySearch(sqliteRegistry), queries);
      expect(onPg.recall5).toBe(onSqlite.recall5);
      expect(onPg.mrr).toBeCloseTo(onSqlite.mrr, 9);
      // Narrowed by tsvector first: nearly the same.
      const narrow = await evaluate(narrowed(pgRegistry, 'tsvector'), queries);
      expect(narrow.recall5).toBeGreaterThanOrEqual(onSqlite.recall5 - 0.03);
    } finally {
      await pgRegistry.close();
      await sqliteRegistry.close();
      await pgHandle.cleanup();
      await sqliteHandle.cleanup();
    }
  }, 120_000);
});
