/**
 * Keyword search over the tools of current versions (not removed servers), one ranking for every engine: the
 * shared search (src/core/search) with English analysis (stop words dropped, stems, verb synonyms, prefixes)
 * and BM25F over the tool's name (identifier split), title, description, parameter names, parameter
 * descriptions (read from the version's stored spec) and server name.
 *
 * - Up to MAX_INDEXED_TOOLS current tools: an in-memory index of all of them, built from the registry and
 *   cached per ToolSearch; each query first reads a cheap fingerprint of the current set (servers' current
 *   revisions and removals, the last tool id) and rebuilds when it changed, so writes by other processes show.
 * - Beyond that, on FTS5 (`fts`) or tsvector (`tsvector`), the database narrows: the query's analysed words
 *   OR-ed as prefixes pick the NARROW_CANDIDATES best rows by the engine's own rank, which are then ranked as
 *   above. The fallback (`like`: SQLite without FTS5) always indexes everything.
 * - Queries are cut at MAX_QUERY_CHARS characters and MAX_QUERY_TERMS content words (after stop words), so a
 *   long task description keeps its meaning. Query syntax is never interpreted.
 * - Hybrid, when an embedder is given (src/llm/embeddings.ts; off by default): over the in-memory index, the
 *   keyword ranking is fused with the cosine similarity of tool and query embeddings by reciprocal rank fusion
 *   (src/core/search/hybrid.ts). Tool vectors are cached in the registry (mcpf_embeddings) and in memory by
 *   sha256(model + text), so an unchanged tool is never embedded again; query vectors in a bounded LRU. When
 *   the provider fails, the search answers with keyword results (counted in `stats`, logged once, redacted)
 *   and leaves the provider alone for `cooldownMs`. Above MAX_INDEXED_TOOLS search stays keyword only.
 * `score` is higher-is-better, comparable only within one result list.
 */
import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import {
  bytesToVector,
  createSearchIndex,
  englishQuery,
  FUSION_DEPTH,
  fuseRankings,
  identifierParts,
  queryTokens,
  rankBySimilarity,
  type SearchIndex,
  type TextEmbedder,
  vectorToBytes,
} from '../core/search/index.js';
import type { RegistryDatabase } from './schema.js';

export type SearchEngine = 'fts' | 'tsvector' | 'like';

export interface ToolMatch {
  server: string;
  revision: number;
  version: string;
  tool: string;
  title: string | null;
  description: string | null;
  annotations: Record<string, unknown>;
  score: number;
}

/** Characters of a query read at most (a pasted document is not a better query). */
export const MAX_QUERY_CHARS = 2000;
/** Content words of a query ranked at most (after stop words are dropped). */
export const MAX_QUERY_TERMS = 64;
/** Up to this many current tools are ranked from the in-memory index; beyond, the database narrows first. */
export const MAX_INDEXED_TOOLS = 20_000;
/** Rows the database hands over for ranking when it narrows. */
const NARROW_CANDIDATES = 1000;
/** Rows read per page when loading tools. */
const SCAN_PAGE = 1000;
/** Versions whose specs are read per page (a spec may be megabytes). */
const SPEC_PAGE = 50;

/**
 * What each field counts (one BM25 over the weighted fields). The name and title say what the tool is; the
 * description says more, with more words; parameters hint at the objects a tool works on (`channel`, `repo`)
 * without outvoting what it does; the server name places it (`slack`, `jira`). Chosen on bench/search-eval,
 * where the figures are flat around these values (bench/README.md, "Tool search").
 */
export const TOOL_WEIGHTS = {
  name: 2,
  title: 2,
  description: 1.5,
  parameters: 0.5,
  parameterText: 0.5,
  server: 1,
} as const;

type ToolField = keyof typeof TOOL_WEIGHTS;

/** The words of a tool name: `listProducts` / `list_products` / `HTTPGet.v2` → list products / http get v2. */
export function nameKeywords(name: string): string {
  return [...new Set([name.toLowerCase(), ...identifierParts(name)])].join(' ');
}

/** Words handed to SQL at most when the database narrows. */
const MAX_SQL_TERMS = 256;

/**
 * The words that find candidates in SQL for a query: its content words (stop words out, at most
 * MAX_QUERY_TERMS) folded and stemmed as the ranking sees them, their verb synonyms, and the words as typed
 * (lower-cased, accents kept: PostgreSQL's `simple` configuration keeps them), so the database hands over
 * every row the ranking could score. Letters and digits only: nothing of the query reaches SQL as syntax.
 */
export function queryTerms(query: string): string[] {
  const text = query.slice(0, MAX_QUERY_CHARS);
  const words = englishQuery(queryTokens(text, Number.POSITIVE_INFINITY)).slice(0, MAX_QUERY_TERMS);
  const terms = new Set<string>();
  for (const alternatives of words) for (const { term } of alternatives) terms.add(term);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) terms.add(word.slice(0, 64));
  return [...terms].filter((t) => /^[\p{L}\p{N}]+$/u.test(t)).slice(0, MAX_SQL_TERMS);
}

interface ToolRow {
  id: number;
  version_id: number;
  server_name: string;
  revision: number;
  version: string;
  name: string;
  title: string | null;
  description: string | null;
  annotations: unknown;
}

interface ToolDocument {
  key: string;
  fields: Partial<Record<ToolField, string | null>>;
  row: ToolRow;
}

function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return null;
  }
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

function toMatch(row: ToolRow, score: number): ToolMatch {
  return {
    server: row.server_name,
    revision: Number(row.revision),
    version: row.version,
    tool: row.name,
    title: row.title,
    description: row.description,
    annotations: asRecord(parseJson(row.annotations)) ?? {},
    score: Math.round(score * 1e6) / 1e6,
  };
}

/** Parameter names and descriptions of one tool in a spec, from `parameters` or a JSON Schema's properties. */
interface ParameterText {
  names: string;
  text: string;
}

/**
 * The parameters of each tool a spec declares, by tool name. Reads factory specs (`tools[].parameters`, a map
 * of name → { description }) and MCP-style tool lists (`tools[].inputSchema.properties`); anything else has
 * no parameters to index.
 */
export function specParameters(spec: unknown): Map<string, ParameterText> {
  const out = new Map<string, ParameterText>();
  const tools = asRecord(parseJson(spec))?.tools;
  if (!Array.isArray(tools)) return out;
  for (const tool of tools) {
    const t = asRecord(tool);
    if (!t || typeof t.name !== 'string') continue;
    const properties =
      asRecord(t.parameters) ??
      asRecord(asRecord(t.inputSchema)?.properties) ??
      asRecord(asRecord(t.input_schema)?.properties);
    if (!properties) continue;
    const names: string[] = [];
    const texts: string[] = [];
    for (const [name, schema] of Object.entries(properties).slice(0, 200)) {
      names.push(name);
      const description = asRecord(schema)?.description;
      if (typeof description === 'string') texts.push(description.slice(0, 2000));
    }
    out.set(t.name, { names: names.join(' '), text: texts.join(' ') });
  }
  return out;
}

type Db = Kysely<RegistryDatabase>;

function currentTools(db: Db) {
  return db
    .selectFrom('mcpf_tools as t')
    .innerJoin('mcpf_servers as s', (j) =>
      j.onRef('s.id', '=', 't.server_id').onRef('s.current_revision', '=', 't.revision'),
    )
    .innerJoin('mcpf_versions as v', 'v.id', 't.version_id')
    .select([
      't.id',
      't.version_id',
      't.server_name',
      't.revision',
      'v.version',
      't.name',
      't.title',
      't.description',
      't.annotations',
    ])
    .where('s.status', '<>', 'removed');
}

/** Every current tool, page by page (by id). */
async function loadAllTools(db: Db): Promise<ToolRow[]> {
  const rows: ToolRow[] = [];
  for (let after = 0; ; ) {
    const page = (await currentTools(db)
      .where('t.id', '>', after)
      .orderBy('t.id')
      .limit(SCAN_PAGE)
      .execute()) as ToolRow[];
    rows.push(...page);
    if (page.length < SCAN_PAGE) break;
    after = Number(page[page.length - 1]!.id);
  }
  return rows;
}

/** Parameters by version id, then tool name. Versions are immutable, so what was read once stays true. */
type ParameterCache = Map<number, Map<string, ParameterText>>;
/** Versions whose parameters are remembered at most (then the memo starts over). */
const PARAMETER_CACHE_SIZE = 20_000;

/** The parameters of the given versions' tools: from `cache`, the rest read from their specs (and remembered). */
async function loadParameters(
  db: Db,
  versionIds: readonly number[],
  cache: ParameterCache,
): Promise<ParameterCache> {
  const out: ParameterCache = new Map();
  const missing: number[] = [];
  for (const id of new Set(versionIds.map(Number))) {
    const known = cache.get(id);
    if (known) out.set(id, known);
    else missing.push(id);
  }
  missing.sort((a, b) => a - b);
  for (let i = 0; i < missing.length; i += SPEC_PAGE) {
    const rows = await db
      .selectFrom('mcpf_versions')
      .select(['id', 'spec'])
      .where('id', 'in', missing.slice(i, i + SPEC_PAGE))
      .execute();
    for (const row of rows) {
      const parameters = specParameters(row.spec);
      out.set(Number(row.id), parameters);
      if (cache.size >= PARAMETER_CACHE_SIZE) cache.clear();
      cache.set(Number(row.id), parameters);
    }
  }
  return out;
}

/** An index with its documents (hybrid search embeds them; `vectors` is filled on first hybrid use). */
interface Built {
  index: SearchIndex<ToolDocument>;
  documents: readonly ToolDocument[];
  vectors?: Promise<Map<string, Float32Array>> | undefined;
}

async function buildIndex(db: Db, rows: readonly ToolRow[], cache: ParameterCache): Promise<Built> {
  const parameters = await loadParameters(
    db,
    rows.map((r) => r.version_id),
    cache,
  );
  const documents: ToolDocument[] = rows.map((row) => {
    const params = parameters.get(Number(row.version_id))?.get(row.name);
    return {
      key: `${row.server_name}\u0000${row.name}`,
      fields: {
        name: row.name,
        title: row.title,
        description: row.description,
        parameters: params?.names,
        parameterText: params?.text,
        server: row.server_name,
      },
      row,
    };
  });
  return { index: createSearchIndex(documents, TOOL_WEIGHTS, { english: true }), documents };
}

/** Characters of a tool's text embedded at most. */
const MAX_EMBEDDED_CHARS = 2000;

/** What is embedded of a tool: its name's words, title, description, server and parameters. */
export function embeddingText(document: {
  fields: Partial<Record<ToolField, string | null | undefined>>;
}): string {
  const f = document.fields;
  const parts = [
    identifierParts(f.name ?? '').join(' '),
    f.title,
    f.description,
    f.server ? `(${f.server})` : undefined,
    f.parameters ? `Parameters: ${f.parameters}` : undefined,
  ];
  return parts
    .filter((p): p is string => typeof p === 'string' && p.trim() !== '')
    .join('. ')
    .slice(0, MAX_EMBEDDED_CHARS);
}

/** The cache key of a text's vector: sha256 of the model and the text. */
export function embeddingKey(model: string, text: string): string {
  return createHash('sha256').update(model).update('\u0000').update(text).digest('hex');
}

/**
 * A cheap fingerprint of the set of current tools: it changes whenever a version is created (a new last tool
 * id, a new current revision), a server is rolled back or forward (its current revision) or removed.
 */
async function fingerprint(db: Db): Promise<string> {
  const { rows } = await sql<Record<string, unknown>>`
    SELECT COUNT(*) AS servers,
           COALESCE(SUM(current_revision), 0) AS revisions,
           COALESCE(SUM(CAST(id AS BIGINT) * current_revision), 0) AS weighted,
           COALESCE(SUM(CASE WHEN status = 'removed' THEN id + 1 ELSE 0 END), 0) AS removed,
           (SELECT COALESCE(MAX(id), 0) FROM mcpf_tools) AS last_tool
    FROM mcpf_servers`.execute(db);
  const r = rows[0] ?? {};
  return ['servers', 'revisions', 'weighted', 'removed', 'last_tool']
    .map((k) => String(r[k] ?? ''))
    .join(':');
}

async function countCurrentTools(db: Db): Promise<number> {
  const row = await db
    .selectFrom('mcpf_tools as t')
    .innerJoin('mcpf_servers as s', (j) =>
      j.onRef('s.id', '=', 't.server_id').onRef('s.current_revision', '=', 't.revision'),
    )
    .select((eb) => eb.fn.countAll().as('n'))
    .where('s.status', '<>', 'removed')
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The database's own candidates for a query: the NARROW_CANDIDATES best by FTS5 bm25 or ts_rank. */
async function narrow(db: Db, engine: 'fts' | 'tsvector', terms: readonly string[]): Promise<ToolRow[]> {
  const columns = sql`t.id, t.version_id, t.server_name, t.revision, v.version, t.name, t.title, t.description,
    t.annotations`;
  if (engine === 'fts') {
    const match = terms.map((t) => `"${t}"*`).join(' OR ');
    const { rows } = await sql<ToolRow>`
      SELECT ${columns}
      FROM mcpf_tools_fts
      JOIN mcpf_tools t ON t.id = mcpf_tools_fts.rowid
      JOIN mcpf_servers s ON s.id = t.server_id AND s.current_revision = t.revision
      JOIN mcpf_versions v ON v.id = t.version_id
      WHERE mcpf_tools_fts MATCH ${match} AND s.status <> 'removed'
      ORDER BY bm25(mcpf_tools_fts, 10.0, 5.0, 2.0, 1.0), t.id
      LIMIT ${NARROW_CANDIDATES}`.execute(db);
    return rows;
  }
  const tsquery = terms.map((t) => `${t}:*`).join(' | ');
  const { rows } = await sql<ToolRow>`
    SELECT ${columns}
    FROM mcpf_tools t
    CROSS JOIN (SELECT to_tsquery('simple'::regconfig, ${tsquery}) AS q) q
    JOIN mcpf_servers s ON s.id = t.server_id AND s.current_revision = t.revision
    JOIN mcpf_versions v ON v.id = t.version_id
    WHERE t.search @@ q.q AND s.status <> 'removed'
    ORDER BY ts_rank(t.search, q.q) DESC, t.id
    LIMIT ${NARROW_CANDIDATES}`.execute(db);
  return rows;
}

interface Cached {
  key: string;
  /** null: too many tools to hold, the database narrows. */
  index: Promise<Built | null>;
}

export interface ToolSearchOptions {
  /** Above this many current tools the database narrows first (FTS5, tsvector). */
  maxIndexed?: number | undefined;
  /** Turns on hybrid search (keyword + embeddings); absent: keyword only. */
  embedder?: TextEmbedder | undefined;
  /** After a provider failure, hybrid is skipped this long (default 30 s). */
  cooldownMs?: number | undefined;
  /** Where a provider failure is reported (default: a line on stderr). */
  log?: ((line: string) => void) | undefined;
}

/** What hybrid search did (for metrics and tests). */
export interface HybridStats {
  /** Searches answered by fusion. */
  hybrid: number;
  /** Searches answered by keyword only because the provider failed or was cooling down. */
  fallbacks: number;
  /** Tool texts sent to the provider. */
  toolTextsEmbedded: number;
  /** Query texts sent to the provider. */
  queriesEmbedded: number;
  /** Vector rows that could not be written to the registry (the search still used them). */
  writeFailures: number;
}

/** Query vectors kept (LRU). */
const QUERY_CACHE_SIZE = 256;
/** Tool vectors kept in memory at most (then the memo starts over; the registry still has them). */
const VECTOR_MEMO_SIZE = 25_000;
/** Keys looked up / rows written per statement. */
const VECTOR_PAGE = 200;
const DEFAULT_COOLDOWN_MS = 30_000;

/** Tool search with its cached index; one per registry instance. */
export class ToolSearch {
  #cached: Cached | null = null;
  readonly #parameters: ParameterCache = new Map();
  readonly #maxIndexed: number;
  readonly #embedder: TextEmbedder | undefined;
  readonly #cooldownMs: number;
  readonly #log: (line: string) => void;
  readonly #queries = new Map<string, Float32Array>();
  readonly #vectors = new Map<string, Float32Array>();
  #downUntil = 0;
  readonly stats: HybridStats = {
    hybrid: 0,
    fallbacks: 0,
    toolTextsEmbedded: 0,
    queriesEmbedded: 0,
    writeFailures: 0,
  };

  constructor(options: ToolSearchOptions = {}) {
    this.#maxIndexed = options.maxIndexed ?? MAX_INDEXED_TOOLS;
    this.#embedder = options.embedder;
    this.#cooldownMs = options.cooldownMs ?? DEFAULT_COOLDOWN_MS;
    this.#log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** Whether searches are hybrid (an embedder is configured). */
  get hybrid(): boolean {
    return this.#embedder !== undefined;
  }

  /** Ranked tools of current versions for `query`, at most `limit`. */
  async search(db: Db, engine: SearchEngine, query: string, limit: number): Promise<ToolMatch[]> {
    const text = query.slice(0, MAX_QUERY_CHARS);
    const terms = queryTerms(text);
    if (terms.length === 0) return [];
    const built = await this.#index(db, engine);
    const options = { limit, maxTerms: MAX_QUERY_TERMS };
    if (built) {
      if (this.#embedder) {
        const fused = await this.#hybrid(db, this.#embedder, built, text, limit);
        if (fused) return fused;
      }
      return built.index.search(text, options).map((h) => toMatch(h.document.row, h.score));
    }
    const candidates = await narrow(db, engine === 'tsvector' ? 'tsvector' : 'fts', terms);
    const small = await buildIndex(db, candidates, this.#parameters);
    return small.index.search(text, options).map((h) => toMatch(h.document.row, h.score));
  }

  /** Keyword and vector rankings fused; null (keyword only) when the provider fails or is cooling down. */
  async #hybrid(
    db: Db,
    embedder: TextEmbedder,
    built: Built,
    text: string,
    limit: number,
  ): Promise<ToolMatch[] | null> {
    if (Date.now() < this.#downUntil) {
      this.stats.fallbacks++;
      return null;
    }
    let vectors: Map<string, Float32Array>;
    let query: Float32Array;
    try {
      if (!built.vectors) {
        const pending = this.#toolVectors(db, embedder, built.documents);
        built.vectors = pending;
        // A failed embedding is not remembered: a later search tries again.
        pending.catch(() => {
          if (built.vectors === pending) built.vectors = undefined;
        });
      }
      [vectors, query] = await Promise.all([built.vectors, this.#queryVector(embedder, text)]);
    } catch (error) {
      this.#downUntil = Date.now() + this.#cooldownMs;
      this.stats.fallbacks++;
      const e = error as { code?: string; message?: string };
      this.#log(
        `tool search: embeddings failed, answering with keyword results${
          this.#cooldownMs > 0 ? ` for ${Math.round(this.#cooldownMs / 1000)} s` : ''
        } (${e.code ?? 'ERROR'}: ${e.message ?? String(error)})`,
      );
      return null;
    }
    const keyword = built.index.search(text, {
      limit: Math.max(limit, FUSION_DEPTH),
      maxTerms: MAX_QUERY_TERMS,
    });
    const similarities = rankBySimilarity(
      query,
      built.documents.flatMap((d) => {
        const vector = vectors.get(d.key);
        return vector ? [{ key: d.key, vector }] : [];
      }),
    );
    const byKey = new Map(built.documents.map((d) => [d.key, d]));
    const fused = fuseRankings(
      keyword.map((h) => ({ key: h.document.key })),
      similarities,
      { limit },
    );
    this.stats.hybrid++;
    return fused.map((h) => toMatch((byKey.get(h.key) as ToolDocument).row, h.score));
  }

  /** The query's vector, from the LRU or the provider. */
  async #queryVector(embedder: TextEmbedder, text: string): Promise<Float32Array> {
    const known = this.#queries.get(text);
    if (known) {
      this.#queries.delete(text);
      this.#queries.set(text, known);
      return known;
    }
    const [vector] = await embedder.embed([text]);
    this.stats.queriesEmbedded++;
    if (!vector) throw new Error('the provider returned no vector for the query');
    this.#queries.set(text, vector);
    if (this.#queries.size > QUERY_CACHE_SIZE)
      this.#queries.delete(this.#queries.keys().next().value as string);
    return vector;
  }

  /**
   * A vector per document key: from memory, else the registry (mcpf_embeddings), else the provider (then
   * written to the registry). Keys are sha256(model + text): only new or changed tool texts are embedded.
   */
  async #toolVectors(
    db: Db,
    embedder: TextEmbedder,
    documents: readonly ToolDocument[],
  ): Promise<Map<string, Float32Array>> {
    const model = embedder.model;
    const texts = documents.map((d) => embeddingText(d));
    const keys = texts.map((t) => embeddingKey(model, t));
    const found = new Map<string, Float32Array>();
    const missing = new Map<string, string>();
    keys.forEach((key, i) => {
      const memo = this.#vectors.get(key);
      if (memo) found.set(key, memo);
      else missing.set(key, texts[i] as string);
    });
    const wanted = [...missing.keys()];
    for (let i = 0; i < wanted.length; i += VECTOR_PAGE) {
      const rows = await db
        .selectFrom('mcpf_embeddings')
        .select(['key', 'vector'])
        .where('key', 'in', wanted.slice(i, i + VECTOR_PAGE))
        .where('model', '=', model)
        .execute();
      for (const row of rows) {
        const vector = bytesToVector(row.vector);
        if (!vector) continue;
        found.set(row.key, vector);
        missing.delete(row.key);
      }
    }
    if (missing.size > 0) {
      // A search that started before the provider failed does not knock again during the cooldown.
      if (Date.now() < this.#downUntil) throw new Error('the embeddings provider is cooling down');
      const entries = [...missing];
      const vectors = await embedder.embed(entries.map(([, t]) => t));
      if (vectors.length !== entries.length)
        throw new Error(`the provider returned ${vectors.length} vectors for ${entries.length} texts`);
      this.stats.toolTextsEmbedded += entries.length;
      const createdAt = new Date().toISOString();
      const rows = entries.map(([key], i) => {
        const vector = vectors[i] as Float32Array;
        found.set(key, vector);
        const bytes = vectorToBytes(vector);
        return {
          key,
          model,
          dims: vector.length,
          vector: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
          created_at: createdAt,
        };
      });
      for (let i = 0; i < rows.length; i += VECTOR_PAGE) {
        try {
          await db
            .insertInto('mcpf_embeddings')
            .values(rows.slice(i, i + VECTOR_PAGE))
            .onConflict((oc) => oc.column('key').doNothing())
            .execute();
        } catch {
          // A read-only or busy registry: the vectors still serve this process.
          this.stats.writeFailures += Math.min(VECTOR_PAGE, rows.length - i);
        }
      }
    }
    if (this.#vectors.size + found.size > VECTOR_MEMO_SIZE) this.#vectors.clear();
    for (const [key, vector] of found) this.#vectors.set(key, vector);
    const out = new Map<string, Float32Array>();
    documents.forEach((d, i) => {
      const vector = found.get(keys[i] as string);
      if (vector) out.set(d.key, vector);
    });
    return out;
  }

  async #index(db: Db, engine: SearchEngine): Promise<Built | null> {
    const key = await fingerprint(db);
    if (this.#cached?.key === key) return this.#cached.index;
    const index = (async () => {
      if (engine !== 'like' && (await countCurrentTools(db)) > this.#maxIndexed) return null;
      return buildIndex(db, await loadAllTools(db), this.#parameters);
    })();
    const cached: Cached = { key, index };
    this.#cached = cached;
    // A failed build is not remembered: the next query tries again.
    index.catch(() => {
      if (this.#cached === cached) this.#cached = null;
    });
    return index;
  }
}
