/**
 * mcpf_tools (and on SQLite its FTS5 mirror mcpf_tools_fts): the capability index, one immutable row per tool
 * per version, and keyword search over the tools of current versions (engines in ../search.ts).
 */
import { sql } from 'kysely';
import {
  type HybridStats,
  nameKeywords,
  type SearchEngine,
  type ToolMatch,
  ToolSearch,
  type ToolSearchOptions,
} from '../search.js';
import type { ToolRecord } from '../types.js';
import { asObject, chunks, type Db, type StoreTraits } from './shared.js';

/** A checked tool, ready to store: annotations both as an object and as their JSON text. */
export interface IndexedTool {
  name: string;
  title: string | null;
  description: string | null;
  annotations: Record<string, unknown>;
  annotationsJson: string;
}

export class ToolsRepository {
  readonly #traits: StoreTraits;
  readonly engine: SearchEngine;
  /** The ranking and its cached index of current tools (../search.ts). */
  readonly #search: ToolSearch;

  /** `hybrid`: the embedder and its options (../search.ts); absent, search is keyword only. */
  constructor(traits: StoreTraits, search: 'auto' | 'like', hybrid: ToolSearchOptions = {}) {
    this.#traits = traits;
    this.#search = new ToolSearch({
      embedder: hybrid.embedder,
      cooldownMs: hybrid.cooldownMs,
      log: hybrid.log,
    });
    this.engine =
      search === 'like' ? 'like' : traits.backend === 'postgres' ? 'tsvector' : traits.fts ? 'fts' : 'like';
  }

  /** Index the tools of a new version (in batches), in the FTS5 table too when it exists. */
  async insert(
    trx: Db,
    version: { versionId: number; serverId: number; serverName: string; revision: number },
    tools: readonly IndexedTool[],
  ): Promise<void> {
    for (const batch of chunks(tools)) {
      const ids = await trx
        .insertInto('mcpf_tools')
        .values(
          batch.map((t) => ({
            version_id: version.versionId,
            server_id: version.serverId,
            server_name: version.serverName,
            revision: version.revision,
            name: t.name,
            title: t.title,
            description: t.description,
            annotations: t.annotationsJson,
            keywords: nameKeywords(t.name),
          })),
        )
        .returning(['id', 'name'])
        .execute();
      // The FTS index is kept whenever it exists, whatever engine this instance searches with.
      if (this.#traits.backend === 'sqlite' && this.#traits.fts) {
        const byName = new Map(batch.map((t) => [t.name, t]));
        const values = ids.map(({ id, name: toolName }) => {
          const t = byName.get(toolName)!;
          return sql`(${Number(id)}, ${nameKeywords(t.name)}, ${t.title ?? ''}, ${t.description ?? ''}, ${version.serverName})`;
        });
        await sql`INSERT INTO mcpf_tools_fts (rowid, keywords, title, description, server_name)
          VALUES ${sql.join(values)}`.execute(trx);
      }
    }
  }

  /** The tools of one version, in the order they were registered. */
  async listForVersion(db: Db, versionId: number): Promise<ToolRecord[]> {
    const rows = await db
      .selectFrom('mcpf_tools')
      .select(['name', 'title', 'description', 'annotations'])
      .where('version_id', '=', versionId)
      .orderBy('id')
      .execute();
    return rows.map((t) => ({
      name: t.name,
      title: t.title,
      description: t.description,
      annotations: asObject(t.annotations),
    }));
  }

  /** What hybrid search did; undefined when search is keyword only. */
  get hybridStats(): HybridStats | undefined {
    return this.#search.hybrid ? { ...this.#search.stats } : undefined;
  }

  search(db: Db, query: string, limit: number): Promise<ToolMatch[]> {
    return this.#search.search(db, this.engine, query, limit);
  }
}
