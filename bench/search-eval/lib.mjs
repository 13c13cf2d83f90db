/**
 * Tool-search evaluation: the corpus (corpus.json: tools of well-known MCP servers), the queries
 * (queries.json: query → the tools that answer it), the three rankings compared and the metrics.
 *
 * - `old`: the registry's former main search, reproduced on the registry's own SQLite FTS5 table: each query
 *   word (first 16 distinct) OR-ed as a prefix, bm25 weights 10/5/2/1 over name keywords, title, description,
 *   server name.
 * - `bm25`: plain BM25 (k1 1.2, b 0.75) over the tool name (identifier split) + description, no stemming,
 *   no stop words: the baseline of the public tool-retrieval benchmarks.
 * - `new`: `registry.searchTools()`.
 * Shared by bench/search-eval.mjs and test/registry/search-quality.test.ts (a subset).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Servers with their tools: { server, tools: [{ name, description, parameters: { name: description } }] }. */
export function loadCorpus() {
  const { servers } = JSON.parse(readFileSync(join(HERE, 'corpus.json'), 'utf8'));
  return Object.entries(servers).map(([server, tools]) => ({
    server,
    tools: tools.map(([name, description, parameters]) => ({ name, description, parameters })),
  }));
}

/** [{ query, expected: ['server/tool', …] }]. */
export function loadQueries() {
  const { queries } = JSON.parse(readFileSync(join(HERE, 'queries.json'), 'utf8'));
  return queries.map(([query, expected]) => ({ query, expected }));
}

/** Register every server of the corpus (its spec carries the parameters, as factory specs do). */
export async function loadRegistry(registry, corpus, { prefix = '' } = {}) {
  for (const { server, tools } of corpus) {
    const spec = {
      name: `${prefix}${server}`,
      version: '1.0.0',
      tools: tools.map((t) => ({
        name: t.name,
        description: t.description,
        parameters: Object.fromEntries(
          Object.entries(t.parameters).map(([p, d]) => [p, { type: 'string', description: d }]),
        ),
      })),
    };
    await registry.createServerVersion({
      name: `${prefix}${server}`,
      version: '1.0.0',
      spec,
      artifactHash: createHash('sha256').update(`${prefix}${server}`).digest('hex'),
      actor: 'search-eval',
      tools: tools.map((t) => ({ name: t.name, description: t.description })),
    });
  }
}

// ---------- plain BM25 baseline ----------

function words(text) {
  return (
    text
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .replace(/([A-Z])([A-Z][a-z])/g, '$1 $2')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/** Plain BM25 over name + description; returns search(query, limit) → ['server/tool', …]. */
export function plainBm25(corpus) {
  const docs = corpus.flatMap(({ server, tools }) =>
    tools.map((t) => ({ id: `${server}/${t.name}`, terms: words(`${t.name} ${t.description}`) })),
  );
  const df = new Map();
  const tfs = docs.map((d) => {
    const tf = new Map();
    for (const w of d.terms) tf.set(w, (tf.get(w) ?? 0) + 1);
    for (const w of tf.keys()) df.set(w, (df.get(w) ?? 0) + 1);
    return tf;
  });
  const avg = docs.reduce((n, d) => n + d.terms.length, 0) / docs.length;
  const N = docs.length;
  return (query, limit = 10) => {
    const q = [...new Set(words(query))];
    const scored = [];
    docs.forEach((d, i) => {
      let s = 0;
      for (const w of q) {
        const f = tfs[i].get(w);
        if (!f) continue;
        const n = df.get(w);
        const idf = Math.log(1 + (N - n + 0.5) / (n + 0.5));
        s += (idf * f * 2.2) / (f + 1.2 * (0.25 + (0.75 * d.terms.length) / avg));
      }
      if (s > 0) scored.push([s, d.id]);
    });
    scored.sort((a, b) => b[0] - a[0] || (a[1] < b[1] ? -1 : 1));
    return scored.slice(0, limit).map(([, id]) => id);
  };
}

// ---------- the former registry search ----------

/** The old query words: lower-cased letters/digits runs, distinct, the first 16. */
function oldTerms(query) {
  const w = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(w.map((x) => x.slice(0, 64)))].slice(0, 16);
}

/** The former FTS5 ranking, run on the registry's FTS5 table (SQLite with FTS5 only). */
export function oldFts(registry, { prefix = '' } = {}) {
  return async (query, limit = 10) => {
    const terms = oldTerms(query);
    if (!terms.length) return [];
    const match = terms.map((t) => `"${t}"*`).join(' OR ');
    const { rows } = await sql`
      SELECT t.server_name, t.name, bm25(mcpf_tools_fts, 10.0, 5.0, 2.0, 1.0) AS rank
      FROM mcpf_tools_fts
      JOIN mcpf_tools t ON t.id = mcpf_tools_fts.rowid
      JOIN mcpf_servers s ON s.id = t.server_id AND s.current_revision = t.revision
      WHERE mcpf_tools_fts MATCH ${match} AND s.status <> 'removed'
      ORDER BY rank, t.server_name, t.name
      LIMIT ${limit}`.execute(registry.kysely);
    return rows.map((r) => `${r.server_name.slice(prefix.length)}/${r.name}`);
  };
}

/** The registry's current search. */
export function registrySearch(registry, { prefix = '' } = {}) {
  return async (query, limit = 10) =>
    (await registry.searchTools(query, { limit: prefix ? 200 : limit }))
      .filter((m) => m.server.startsWith(prefix))
      .slice(0, limit)
      .map((m) => `${m.server.slice(prefix.length)}/${m.tool}`);
}

// ---------- metrics ----------

/** Recall@1, Recall@5 (a right tool in the first k) and MRR (first right tool, over the first 10). */
export async function evaluate(search, queries) {
  let r1 = 0;
  let r5 = 0;
  let rr = 0;
  const misses = [];
  for (const { query, expected } of queries) {
    const ranked = await search(query, 10);
    const at = ranked.findIndex((id) => expected.includes(id));
    if (at === 0) r1++;
    if (at >= 0 && at < 5) r5++;
    else misses.push({ query, expected, got: ranked.slice(0, 3) });
    if (at >= 0) rr += 1 / (at + 1);
  }
  const n = queries.length || 1;
  return { recall1: r1 / n, recall5: r5 / n, mrr: rr / n, misses };
}

/** A query is long when it reads as a sentence (more than 5 words). */
export function isLong(query) {
  return (query.match(/[\p{L}\p{N}]+/gu) ?? []).length > 5;
}
