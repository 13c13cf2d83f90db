/** mcpf_versions: the immutable revisions of a server (semver, spec, artifact hash, who created it when). */
import type { Selectable } from 'kysely';
import type { VersionsTable } from '../schema.js';
import type { VersionSummary } from '../types.js';
import { type Db, notFound, parseJson } from './shared.js';

export interface NewVersion {
  serverId: number;
  revision: number;
  version: string;
  /** The spec as a JSON string (checked for size by the caller). */
  specJson: string;
  artifactHash: string;
  createdBy: string;
  createdAt: string;
}

export class VersionsRepository {
  /** Insert a revision; returns its row id. */
  async insert(trx: Db, v: NewVersion): Promise<number> {
    const { id } = await trx
      .insertInto('mcpf_versions')
      .values({
        server_id: v.serverId,
        revision: v.revision,
        version: v.version,
        spec: v.specJson,
        artifact_hash: v.artifactHash,
        created_by: v.createdBy,
        created_at: v.createdAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(id);
  }

  async find(db: Db, serverId: number, revision: number): Promise<Selectable<VersionsTable> | undefined> {
    return db
      .selectFrom('mcpf_versions')
      .selectAll()
      .where('server_id', '=', serverId)
      .where('revision', '=', revision)
      .executeTakeFirst();
  }

  /** REGISTRY_NOT_FOUND unless the server (id `serverId`, called `name`) has that revision. */
  async require(db: Db, serverId: number, name: string, revision: number): Promise<void> {
    const v = await db
      .selectFrom('mcpf_versions')
      .select('id')
      .where('server_id', '=', serverId)
      .where('revision', '=', revision)
      .executeTakeFirst();
    if (!v) throw notFound(`Server ${name} has no revision ${revision}`, { server: name, revision });
  }

  /** Every revision of a server, oldest first, without specs. */
  async list(db: Db, serverId: number, name: string): Promise<VersionSummary[]> {
    const rows = await db
      .selectFrom('mcpf_versions')
      .select(['revision', 'version', 'artifact_hash', 'created_by', 'created_at'])
      .where('server_id', '=', serverId)
      .orderBy('revision')
      .execute();
    return rows.map((v) => ({
      server: name,
      revision: Number(v.revision),
      version: v.version,
      artifactHash: v.artifact_hash,
      createdBy: v.created_by,
      createdAt: v.created_at,
    }));
  }
}

/** The spec column of a version row, parsed. */
export function versionSpec(row: Selectable<VersionsTable>): unknown {
  return parseJson(row.spec);
}
