/**
 * mcpf_servers: one row per server name, with its lifecycle status and two revision counters (`latest` is the
 * gapless per-server counter, `current` the one in use). Rows are read joined with the current version's
 * semver. On PostgreSQL `lock` takes the row lock that serialises management writes on one server.
 */
import { sql } from 'kysely';
import { FactoryError } from '../../core/errors/index.js';
import type { ServerStatus } from '../schema.js';
import type { ServerRecord } from '../types.js';
import { type Db, notFound, type StoreTraits } from './shared.js';

export interface ServerRow {
  id: number;
  name: string;
  status: ServerStatus;
  current_revision: number;
  latest_revision: number;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  removed_at: string | null;
  version: string;
}

/** What a write transaction needs of a server it has locked. */
export interface LockedServer {
  id: number;
  status: ServerStatus;
  current_revision: number;
}

export function serverRecord(row: ServerRow): ServerRecord {
  return {
    name: row.name,
    status: row.status,
    currentRevision: Number(row.current_revision),
    currentVersion: row.version,
    latestRevision: Number(row.latest_revision),
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    removedAt: row.removed_at,
  };
}

/** REGISTRY_CONFLICT unless the server is live (not removed). */
export function requireLive(server: { status: ServerStatus }, name: string, what: string): void {
  if (server.status === 'removed') {
    throw new FactoryError(
      'REGISTRY_CONFLICT',
      `Cannot ${what}: server ${name} has been removed (create a new version to bring it back)`,
      { details: { server: name, status: 'removed' } },
    );
  }
}

export class ServersRepository {
  readonly #traits: StoreTraits;

  constructor(traits: StoreTraits) {
    this.#traits = traits;
  }

  #query(db: Db) {
    return db
      .selectFrom('mcpf_servers as s')
      .innerJoin('mcpf_versions as v', (j) =>
        j.onRef('v.server_id', '=', 's.id').onRef('v.revision', '=', 's.current_revision'),
      )
      .select([
        's.id',
        's.name',
        's.status',
        's.current_revision',
        's.latest_revision',
        's.last_error',
        's.created_at',
        's.updated_at',
        's.removed_at',
        'v.version',
      ]);
  }

  async find(db: Db, name: string): Promise<ServerRow | undefined> {
    return (await this.#query(db).where('s.name', '=', name).executeTakeFirst()) as ServerRow | undefined;
  }

  /** The server or REGISTRY_NOT_FOUND. */
  async get(db: Db, name: string): Promise<ServerRow> {
    const row = await this.find(db, name);
    if (!row) throw notFound(`No server named ${name} in the registry`, { server: name });
    return row;
  }

  /** By name; removed servers only with `status: 'removed'` or `includeRemoved`. */
  async list(db: Db, filter: { status?: ServerStatus | undefined; includeRemoved?: boolean | undefined }) {
    let q = this.#query(db);
    if (filter.status) q = q.where('s.status', '=', filter.status);
    else if (!filter.includeRemoved) q = q.where('s.status', '<>', 'removed');
    return (await q.orderBy('s.name').execute()) as ServerRow[];
  }

  /** Inside a write transaction: lock the server row (PostgreSQL; SQLite already holds the write lock). */
  async lock(trx: Db, name: string): Promise<LockedServer> {
    let q = trx
      .selectFrom('mcpf_servers')
      .select(['id', 'status', 'current_revision'])
      .where('name', '=', name);
    if (this.#traits.backend === 'postgres') q = q.forUpdate();
    const row = await q.executeTakeFirst();
    if (!row) throw notFound(`No server named ${name} in the registry`, { server: name });
    return row;
  }

  /**
   * Count the next revision of `name` and make it current, creating the server (revision 1) on first use and
   * reviving it when removed. Returns the server id and the new revision.
   */
  async nextRevision(trx: Db, name: string, at: string): Promise<{ id: number; revision: number }> {
    const bump = () =>
      trx
        .updateTable('mcpf_servers')
        .set((eb) => ({
          latest_revision: eb('latest_revision', '+', 1),
          current_revision: eb('latest_revision', '+', 1),
          status: sql<ServerStatus>`CASE WHEN status = 'removed' THEN 'registered' ELSE status END`,
          removed_at: null,
          updated_at: at,
        }))
        .where('name', '=', name)
        .returning(['id', 'latest_revision'])
        .executeTakeFirst();
    let server = await bump();
    if (!server) {
      server = await trx
        .insertInto('mcpf_servers')
        .values({
          name,
          status: 'registered',
          current_revision: 1,
          latest_revision: 1,
          last_error: null,
          created_at: at,
          updated_at: at,
          removed_at: null,
        })
        .onConflict((oc) => oc.column('name').doNothing())
        .returning(['id', 'latest_revision'])
        .executeTakeFirst();
      // A concurrent transaction created it first (PostgreSQL): count on from its row.
      server ??= await bump();
      if (!server) throw new FactoryError('INTERNAL', `Server ${name} vanished while creating a version`);
    }
    return { id: Number(server.id), revision: Number(server.latest_revision) };
  }

  async setStatus(trx: Db, id: number, status: ServerStatus, lastError: string | null, at: string) {
    await trx
      .updateTable('mcpf_servers')
      .set({ status, last_error: lastError, updated_at: at })
      .where('id', '=', id)
      .execute();
  }

  async setCurrentRevision(trx: Db, id: number, revision: number, at: string) {
    await trx
      .updateTable('mcpf_servers')
      .set({ current_revision: revision, updated_at: at })
      .where('id', '=', id)
      .execute();
  }

  /** The tombstone: status `removed`, versions and history kept. */
  async markRemoved(trx: Db, id: number, at: string) {
    await trx
      .updateTable('mcpf_servers')
      .set({ status: 'removed', removed_at: at, updated_at: at })
      .where('id', '=', id)
      .execute();
  }
}
