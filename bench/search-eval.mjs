#!/usr/bin/env node
/**
 * Tool-search quality and latency (see bench/README.md, "Tool search"):
 *   npm run build && node bench/search-eval.mjs [--misses] [--tools=10000] [--pg=postgres://…] [--embeddings]
 *
 * Loads bench/search-eval/corpus.json (405 tools of 63 well-known MCP servers) into a fresh SQLite registry,
 * runs the queries of bench/search-eval/queries.json through (a) the former registry ranking (FTS5, OR-ed
 * prefixes), (b) plain BM25 over name + description (the baseline), (c) the registry's search now, and prints
 * Recall@1, Recall@5 and MRR, all queries / short / long, with ratios to the baseline. Then it copies the corpus
 * until it holds --tools tools and times queries (first query = index build; then per-query p50/p95).
 * With --pg, the new ranking is also measured on PostgreSQL (same figures expected).
 * With --embeddings, keyword search is compared with hybrid search (keyword + embeddings, RRF) over the same
 * registry, using the embeddings provider configured in the environment (MCP_FACTORY_EMBEDDINGS_PROVIDER and its
 * key, see docs/configuration.md); without one it says that hybrid was skipped and why. A provider failure during
 * the run is counted and printed (those queries were answered by keyword search). Last line: SEARCH_EVAL_JSON.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  evaluate,
  isLong,
  loadCorpus,
  loadQueries,
  loadRegistry,
  oldFts,
  plainBm25,
  registrySearch,
} from './search-eval/lib.mjs';

const { values: flags } = parseArgs({
  options: {
    misses: { type: 'boolean', default: false },
    tools: { type: 'string', default: '10000' },
    pg: { type: 'string' },
    embeddings: { type: 'boolean', default: false },
  },
});

const { openRegistry } = await import('../dist/index.js');
const { ToolSearch } = await import('../dist/store/search.js');
const corpus = loadCorpus();
const queries = loadQueries();
const tools = corpus.reduce((n, s) => n + s.tools.length, 0);
const f3 = (x) => x.toFixed(3);

const SUBSETS = [
  ['all', queries],
  ['short', queries.filter((q) => !isLong(q.query))],
  ['long', queries.filter((q) => isLong(q.query))],
];

async function measure(name, search) {
  const out = {};
  for (const [subset, qs] of SUBSETS) out[subset] = await evaluate(search, qs);
  return { name, ...out };
}

/** Keyword vs hybrid on the registry in `home` (already loaded); prints both and returns the figures. */
async function compareHybrid(keyword) {
  const { createEmbedder, resolveEmbeddings } = await import('../dist/llm/embeddings.js');
  const resolved = resolveEmbeddings();
  if (!resolved.config) {
    console.log(`\nHybrid search skipped: ${resolved.off}.`);
    return { skipped: resolved.off };
  }
  const failures = [];
  const hybridRegistry = await openRegistry({
    home,
    embedder: createEmbedder(resolved.config, resolved.apiKey),
    hybrid: { cooldownMs: 0, log: (line) => failures.push(line) },
  });
  const model = `${resolved.config.provider}:${resolved.config.model}`;
  let hybrid;
  let stats;
  const started = performance.now();
  try {
    hybrid = await measure(`hybrid (${model}, RRF k=60)`, registrySearch(hybridRegistry));
    stats = hybridRegistry.hybridSearchStats();
  } finally {
    await hybridRegistry.close();
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`\nKeyword vs hybrid (embeddings ${model}), ${queries.length} queries:\n`);
  const header = ['ranking', 'subset', 'Recall@1', 'Recall@5', 'MRR'];
  const lines = [header];
  for (const r of [keyword, hybrid]) {
    for (const subset of ['all', 'short', 'long']) {
      const m = r[subset];
      lines.push([subset === 'all' ? r.name : '', subset, f3(m.recall1), f3(m.recall5), f3(m.mrr)]);
    }
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  for (const l of lines) console.log(l.map((c, i) => c.padEnd(widths[i])).join('  '));
  console.log(
    `\nHybrid: ${stats.toolTextsEmbedded} tool texts and ${stats.queriesEmbedded} queries embedded in ${seconds.toFixed(1)} s; ` +
      `${stats.hybrid} searches fused, ${stats.fallbacks} answered by keyword search after a provider failure.`,
  );
  if (stats.fallbacks > 0) {
    console.log('The hybrid figures above include those keyword answers; first failure:');
    console.log(`  ${failures[0]}`);
  }
  const figures = (r) =>
    Object.fromEntries(
      ['all', 'short', 'long'].map((s) => [
        s,
        { recall1: r[s].recall1, recall5: r[s].recall5, mrr: r[s].mrr },
      ]),
    );
  return { model, keyword: figures(keyword), hybrid: figures(hybrid), stats };
}

const home = mkdtempSync(join(tmpdir(), 'mcpf-search-eval-'));
const results = [];
const json = { corpus: { servers: corpus.length, tools, queries: queries.length } };
try {
  const registry = await openRegistry({ home });
  await loadRegistry(registry, corpus);
  if (registry.info().search !== 'fts') throw new Error('the old ranking needs SQLite with FTS5');
  results.push(await measure('old registry (FTS5 OR-prefix)', oldFts(registry)));
  results.push(await measure('plain BM25 name+description', plainBm25(corpus)));
  results.push(await measure('new registry (BM25F, english)', registrySearch(registry)));
  await registry.close();
  if (flags.pg) {
    const pgRegistry = await openRegistry({ url: flags.pg });
    const prefix = `se${process.pid}-`;
    await loadRegistry(pgRegistry, corpus, { prefix });
    // Other servers may live in that database: only the corpus's count (registrySearch filters by prefix).
    const scoped = registrySearch(pgRegistry, { prefix });
    results.push(await measure('new registry on PostgreSQL', scoped));
    await pgRegistry.close();
  }

  const base = results[1];
  console.log(
    `\nTool search: ${tools} tools of ${corpus.length} servers, ${queries.length} queries ` +
      `(${queries.filter((q) => !isLong(q.query)).length} short, ${queries.filter((q) => isLong(q.query)).length} long)\n`,
  );
  const header = ['ranking', 'subset', 'Recall@1', 'Recall@5', 'MRR', 'R@1 ×', 'R@5 ×', 'MRR ×'];
  const lines = [header];
  for (const r of results) {
    for (const subset of ['all', 'short', 'long']) {
      const m = r[subset];
      const b = base[subset];
      lines.push([
        subset === 'all' ? r.name : '',
        subset,
        f3(m.recall1),
        f3(m.recall5),
        f3(m.mrr),
        `${(m.recall1 / b.recall1).toFixed(2)}×`,
        `${(m.recall5 / b.recall5).toFixed(2)}×`,
        `${(m.mrr / b.mrr).toFixed(2)}×`,
      ]);
    }
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  for (const l of lines) console.log(l.map((c, i) => c.padEnd(widths[i])).join('  '));
  json.quality = Object.fromEntries(
    results.map((r) => [
      r.name,
      Object.fromEntries(
        ['all', 'short', 'long'].map((s) => [
          s,
          { recall1: r[s].recall1, recall5: r[s].recall5, mrr: r[s].mrr },
        ]),
      ),
    ]),
  );
  if (flags.misses) {
    console.log('\nMisses of the new ranking (not in the top 5):');
    for (const m of results[2].all.misses)
      console.log(`- ${m.query}\n    want ${m.expected.join(', ')}; got ${m.got.join(', ')}`);
  }
  if (flags.embeddings) json.hybrid = await compareHybrid(results[2]);

  // ---- latency at scale
  const target = Number(flags.tools);
  const scaleHome = mkdtempSync(join(tmpdir(), 'mcpf-search-scale-'));
  try {
    const big = await openRegistry({ home: scaleHome });
    for (let copy = 0; copy * tools < target; copy++) {
      await loadRegistry(big, corpus, { prefix: `c${copy}-` });
    }
    const held = Math.ceil(target / tools) * tools;
    const search = registrySearch(big);
    const old = oldFts(big);
    let t = performance.now();
    await search(queries[0].query, 10);
    const firstMs = performance.now() - t;
    const time = async (fn) => {
      const samples = [];
      for (const { query } of queries) {
        t = performance.now();
        await fn(query, 10);
        samples.push(performance.now() - t);
      }
      samples.sort((a, b) => a - b);
      return { p50: samples[samples.length >> 1], p95: samples[Math.floor(samples.length * 0.95)] };
    };
    const fresh = await time(search);
    // A new version changes the set of current tools: the next query rebuilds the index (specs read before
    // are remembered, versions being immutable).
    await loadRegistry(big, corpus.slice(0, 1), { prefix: 'late-' });
    t = performance.now();
    await search(queries[1].query, 10);
    const rebuildMs = performance.now() - t;
    const before = await time(old);
    // Above MAX_INDEXED_TOOLS the database narrows first: the same tools, forced through that path.
    const narrowing = new ToolSearch({ maxIndexed: 0 });
    const narrowed = await time((q, limit) => narrowing.search(big.kysely, 'fts', q, limit));
    await big.close();
    console.log(
      `\nLatency, ${held} tools (SQLite): new first query (builds the index) ${firstMs.toFixed(0)} ms, ` +
        `first query after a new version (rebuild) ${rebuildMs.toFixed(0)} ms; ` +
        `then p50 ${fresh.p50.toFixed(2)} ms, p95 ${fresh.p95.toFixed(2)} ms per query ` +
        `(old FTS5: p50 ${before.p50.toFixed(2)} ms, p95 ${before.p95.toFixed(2)} ms; ` +
        `narrowed by FTS5 first, as above ${20_000} tools: p50 ${narrowed.p50.toFixed(2)} ms, p95 ${narrowed.p95.toFixed(2)} ms)`,
    );
    json.latency = { tools: held, firstMs, rebuildMs, new: fresh, old: before, narrowed };
  } finally {
    rmSync(scaleHome, { recursive: true, force: true });
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}
console.log(`SEARCH_EVAL_JSON ${JSON.stringify(json)}`);
