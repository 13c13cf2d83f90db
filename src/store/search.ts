/**
 * Keyword search over the tools of current versions (not removed servers). Three engines, one result shape:
 * - SQLite FTS5 (`fts`): bm25 over tool-name keywords (weight 10), title (5), description (2), server name (1);
 * - PostgreSQL tsvector (`tsvector`): ts_rank over the same fields weighted A/B/C/D, GIN-indexed;
 * - LIKE (`like`): SQLite without FTS5; scored in TypeScript with the same field weights.
 * Each query word matches as a prefix (`prod` finds `products`); words are OR-ed and ranking rewards tools that
 * match more of them. `score` is higher-is-better, comparable only within one result list.
 */
import { type Kysely, sql } from 'kysely';
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
  const parts = name
    .replace(/([\p{Ll}\p{N}])(\p{Lu})/gu, '$1 $2')
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2')
    .toLowerCase()
    .match(/[\p{L}\p{N}]+/gu);
  return [...new Set([name.toLowerCase(), ...(parts ?? [])])].join(' ');
}

interface Row {
  server_name: string;
  revision: number;
  version: string;
  name: string;
  title: string | null;
  description: string | null;
  annotations: unknown;
  keywords?: string;
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
  return likeSearch(db, terms, limit);
}

/** Candidate rows at most; the LIKE engine is a fallback for small registries. */
const LIKE_CANDIDATES = 2000;

async function likeSearch(
  db: Kysely<RegistryDatabase>,
  terms: string[],
  limit: number,
): Promise<ToolMatch[]> {
  const rows = (await db
    .selectFrom('mcpf_tools as t')
    .innerJoin('mcpf_servers as s', (j) =>
      j.onRef('s.id', '=', 't.server_id').onRef('s.current_revision', '=', 't.revision'),
    )
    .innerJoin('mcpf_versions as v', 'v.id', 't.version_id')
    .select([
      't.server_name',
      't.revision',
      'v.version',
      't.name',
      't.title',
      't.description',
      't.annotations',
      't.keywords',
    ])
    .where('s.status', '<>', 'removed')
    .where((eb) =>
      eb.or(
        terms.flatMap((term) =>
          (['t.keywords', 't.title', 't.description', 't.server_name'] as const).map((col) =>
            eb(eb.fn('lower', [eb.fn.coalesce(col, sql.lit(''))]), 'like', `%${term}%`),
          ),
        ),
      ),
    )
    .limit(LIKE_CANDIDATES)
    .execute()) as Array<Omit<Row, 'rank'>>;
  const scored = rows.map((row) => {
    const fields: Array<[string, number]> = [
      [row.keywords ?? '', 10],
      [row.title ?? '', 5],
      [row.description ?? '', 2],
      [row.server_name, 1],
    ];
    let score = 0;
    for (const term of terms) {
      for (const [text, weight] of fields) {
        const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
        const hits = words.filter((w) => w.startsWith(term)).length;
        if (hits > 0) score += weight * (1 + Math.log(hits));
      }
    }
    return { row, score };
  });
  return scored
    .filter((s) => s.score > 0)
    .sort(
      (a, b) =>
        b.score - a.score ||
        (a.row.server_name < b.row.server_name ? -1 : a.row.server_name > b.row.server_name ? 1 : 0) ||
        (a.row.name < b.row.name ? -1 : a.row.name > b.row.name ? 1 : 0),
    )
    .slice(0, limit)
    .map((s) => toMatch({ ...s.row, rank: s.score }, s.score));
}
