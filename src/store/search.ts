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
 * `score` is higher-is-better, comparable only within one result list.
 */
import { type Kysely, sql } from 'kysely';
import {
  createSearchIndex,
  englishQuery,
  identifierParts,
  queryTokens,
  type SearchIndex,
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

async function buildIndex(
  db: Db,
  rows: readonly ToolRow[],
  cache: ParameterCache,
): Promise<SearchIndex<ToolDocument>> {
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
  return createSearchIndex(documents, TOOL_WEIGHTS, { english: true });
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
  index: Promise<SearchIndex<ToolDocument> | null>;
}

/** Tool search with its cached index; one per registry instance. */
export class ToolSearch {
  #cached: Cached | null = null;
  readonly #parameters: ParameterCache = new Map();
  readonly #maxIndexed: number;

  /** `maxIndexed`: above this many current tools the database narrows first (FTS5, tsvector). */
  constructor(options: { maxIndexed?: number } = {}) {
    this.#maxIndexed = options.maxIndexed ?? MAX_INDEXED_TOOLS;
  }

  /** Ranked tools of current versions for `query`, at most `limit`. */
  async search(db: Db, engine: SearchEngine, query: string, limit: number): Promise<ToolMatch[]> {
    const text = query.slice(0, MAX_QUERY_CHARS);
    const terms = queryTerms(text);
    if (terms.length === 0) return [];
    const index = await this.#index(db, engine);
    const options = { limit, maxTerms: MAX_QUERY_TERMS };
    if (index) return index.search(text, options).map((h) => toMatch(h.document.row, h.score));
    const candidates = await narrow(db, engine === 'tsvector' ? 'tsvector' : 'fts', terms);
    const small = await buildIndex(db, candidates, this.#parameters);
    return small.search(text, options).map((h) => toMatch(h.document.row, h.score));
  }

  async #index(db: Db, engine: SearchEngine): Promise<SearchIndex<ToolDocument> | null> {
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
