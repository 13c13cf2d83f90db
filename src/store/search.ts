/**
 * Keyword search over the tools of current versions (not removed servers). Three engines, one result shape:
 * - SQLite FTS5 (`fts`): bm25 over tool-name keywords (weight 10), title (5), description (2), server name (1);
 * - PostgreSQL tsvector (`tsvector`): ts_rank over the same fields weighted A/B/C/D, GIN-indexed;
 * - fallback (`like`, the name kept for compatibility): SQLite without FTS5; every current tool ranked in
 *   TypeScript by the shared search (src/core/search) with the same field weights, Unicode-aware.
 * Each query word matches as a prefix (`prod` finds `products`); words are OR-ed and ranking rewards tools that
 * match more of them. `score` is higher-is-better, comparable only within one result list.
 */
import { type Kysely, sql } from 'kysely';
import { identifierParts, rankDocuments } from '../core/search/index.js';
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

const MAX_TERMS = 16;

/** Lower-cased words of a query (letters and digits), deduplicated, at most 16. */
export function queryTerms(query: string): string[] {
  const words = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words.map((w) => w.slice(0, 64)))].slice(0, MAX_TERMS);
}

/** The words of a tool name: `listProducts` / `list_products` / `HTTPGet.v2` → list products / http get v2. */
export function nameKeywords(name: string): string {
  return [...new Set([name.toLowerCase(), ...identifierParts(name)])].join(' ');
}

interface Row {
  server_name: string;
  revision: number;
  version: string;
  name: string;
  title: string | null;
  description: string | null;
  annotations: unknown;
  rank: number | string;
}

function parseObject(value: unknown): Record<string, unknown> {
  const v = typeof value === 'string' ? JSON.parse(value) : value;
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function toMatch(row: Row, score: number): ToolMatch {
  return {
    server: row.server_name,
    revision: Number(row.revision),
    version: row.version,
    tool: row.name,
    title: row.title,
    description: row.description,
    annotations: parseObject(row.annotations),
    score: Math.round(score * 1e6) / 1e6,
  };
}

export async function searchTools(
  db: Kysely<RegistryDatabase>,
  engine: SearchEngine,
  query: string,
  limit: number,
): Promise<ToolMatch[]> {
  const terms = queryTerms(query);
  if (terms.length === 0) return [];
  if (engine === 'fts') {
    const match = terms.map((t) => `"${t}"*`).join(' OR ');
    const { rows } = await sql<Row>`
      SELECT t.server_name, t.revision, v.version, t.name, t.title, t.description, t.annotations,
             bm25(mcpf_tools_fts, 10.0, 5.0, 2.0, 1.0) AS rank
      FROM mcpf_tools_fts
      JOIN mcpf_tools t ON t.id = mcpf_tools_fts.rowid
      JOIN mcpf_servers s ON s.id = t.server_id AND s.current_revision = t.revision
      JOIN mcpf_versions v ON v.id = t.version_id
      WHERE mcpf_tools_fts MATCH ${match} AND s.status <> 'removed'
      ORDER BY rank, t.server_name, t.name
      LIMIT ${limit}`.execute(db);
    // bm25 is lower-is-better (negative); flip it.
    return rows.map((r) => toMatch(r, -Number(r.rank)));
  }
  if (engine === 'tsvector') {
    const tsquery = terms.map((t) => `${t}:*`).join(' | ');
    const { rows } = await sql<Row>`
      SELECT t.server_name, t.revision, v.version, t.name, t.title, t.description, t.annotations,
             ts_rank(t.search, q.q) AS rank
      FROM mcpf_tools t
      CROSS JOIN (SELECT to_tsquery('simple'::regconfig, ${tsquery}) AS q) q
      JOIN mcpf_servers s ON s.id = t.server_id AND s.current_revision = t.revision
      JOIN mcpf_versions v ON v.id = t.version_id
      WHERE t.search @@ q.q AND s.status <> 'removed'
      ORDER BY rank DESC, t.server_name, t.name
      LIMIT ${limit}`.execute(db);
    return rows.map((r) => toMatch(r, Number(r.rank)));
  }
  return likeSearch(db, query, limit);
}

/** Rows read per page by the fallback engine (it ranks every current tool in TypeScript). */
const SCAN_PAGE = 500;

/** The fields of a tool and their weights: the same as the FTS5 and tsvector engines use. */
const FIELD_WEIGHTS = { name: 10, title: 5, description: 2, server: 1 } as const;

type ScannedRow = Omit<Row, 'rank'> & { id: number };

/**
 * The fallback engine: reads the tools of current versions page by page and ranks them with the shared search
 * (src/core/search): Unicode-aware (NFKC, case and diacritics folding, CJK bigrams), prefix matches, BM25F over
 * the same field weights. SQL LIKE cannot fold case or accents beyond ASCII, so no rows are filtered in SQL.
 */
async function likeSearch(db: Kysely<RegistryDatabase>, query: string, limit: number): Promise<ToolMatch[]> {
  const rows: ScannedRow[] = [];
  for (let after = 0; ; ) {
    const page = (await db
      .selectFrom('mcpf_tools as t')
      .innerJoin('mcpf_servers as s', (j) =>
        j.onRef('s.id', '=', 't.server_id').onRef('s.current_revision', '=', 't.revision'),
      )
      .innerJoin('mcpf_versions as v', 'v.id', 't.version_id')
      .select([
        't.id',
        't.server_name',
        't.revision',
        'v.version',
        't.name',
        't.title',
        't.description',
        't.annotations',
      ])
      .where('s.status', '<>', 'removed')
      .where('t.id', '>', after)
      .orderBy('t.id')
      .limit(SCAN_PAGE)
      .execute()) as ScannedRow[];
    rows.push(...page);
    if (page.length < SCAN_PAGE) break;
    after = Number(page[page.length - 1]!.id);
  }
  const documents = rows.map((row) => ({
    key: `${row.server_name}\u0000${row.name}`,
    fields: { name: row.name, title: row.title, description: row.description, server: row.server_name },
    row,
  }));
  return rankDocuments(documents, FIELD_WEIGHTS, query, { limit, maxTerms: MAX_TERMS }).map((hit) =>
    toMatch({ ...hit.document.row, rank: hit.score }, hit.score),
  );
}
