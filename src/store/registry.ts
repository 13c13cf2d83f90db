/**
 * The registry: servers, their immutable versions and tool index, deployments, secret references, tool-call
 * metrics and the audit trail — one store shared by the CLI, the HTTP API and the supervisor at the same time.
 *
 * Concurrency: every write is one transaction, retried as a whole on lock contention. On SQLite transactions
 * start with BEGIN IMMEDIATE (one writer at a time, others wait up to busy_timeout); on PostgreSQL every
 * management transaction first locks its server row (SELECT … FOR UPDATE), so read-then-write sequences on one
 * server are serialised there too. Revisions come from a per-server counter incremented in the same
 * transaction as the version insert, so they are unique and gapless.
 */
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { FactoryError } from '../core/errors/index.js';
import { describeSecretValue } from '../core/spec/secrets.js';
import { openStore, type Store, type StoreOptions } from './connect.js';
import { withRetry } from './db-errors.js';
import {
  aggregateCalls,
  type CallRecord,
  type CallStats,
  emptyAccumulator,
  finishStats,
  MINUTE_MS,
  mergeInto,
  minuteOf,
  type StatsAccumulator,
} from './metrics.js';
import {
  type Backend,
  DEPLOYMENT_STATUSES,
  DESIRED_STATES,
  type DeploymentStatus,
  type DeploymentsTable,
  type DesiredState,
  type RegistryDatabase,
  SERVER_STATUSES,
  type ServerStatus,
} from './schema.js';
import { nameKeywords, type SearchEngine, searchTools, type ToolMatch } from './search.js';
import {
  checkHash,
  checkJson,
  checkLabel,
  checkOneOf,
  checkOptionalText,
  checkPort,
  checkRevision,
  checkSecretRefs,
  checkServerName,
  checkTarget,
  checkToolName,
  checkVersion,
  invalid,
  type SecretRef,
} from './validate.js';

type Db = Kysely<RegistryDatabase>;

export interface OpenRegistryOptions {
  /** `postgres://…` for PostgreSQL, or `sqlite:/absolute/path/registry.db`. Takes precedence over `home`. */
  url?: string | undefined;
  /** The data directory (see defaultHome()); the SQLite file is `<home>/registry.db`. */
  home?: string | undefined;
  /** SQLite: how long a writer waits for the lock before a retry (default 5000 ms). */
  busyTimeoutMs?: number | undefined;
  /** PostgreSQL: connection pool size (default 10). */
  poolSize?: number | undefined;
  /** `like` forces the LIKE search engine (for tests and SQLite builds without FTS5). */
  search?: 'auto' | 'like' | undefined;
}

export interface RegistryInfo {
  backend: Backend;
  /** The SQLite file, or the PostgreSQL URL with its password masked. */
  location: string;
  /** SQLite only: `wal` normally. */
  journalMode: string | undefined;
  search: SearchEngine;
}

export interface ServerRecord {
  name: string;
  status: ServerStatus;
  currentRevision: number;
  currentVersion: string;
  latestRevision: number;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  removedAt: string | null;
}

export interface ToolInput {
  name: string;
  title?: string | null | undefined;
  description?: string | null | undefined;
  annotations?: Record<string, unknown> | null | undefined;
}

export interface ToolRecord {
  name: string;
  title: string | null;
  description: string | null;
  annotations: Record<string, unknown>;
}

export interface VersionSummary {
  server: string;
  revision: number;
  version: string;
  artifactHash: string;
  createdBy: string;
  createdAt: string;
}

export interface VersionRecord extends VersionSummary {
  spec: unknown;
  tools: ToolRecord[];
}

export interface CreateVersionInput {
  name: string;
  /** The spec's semver; several revisions may share one (the revision number tells them apart). */
  version: string;
  spec: unknown;
  /** sha256 (hex) of the generated artifacts. */
  artifactHash: string;
  tools: ToolInput[];
  actor: string;
}

export interface DeploymentRecord {
  id: number;
  server: string;
  revision: number;
  target: string;
  status: DeploymentStatus;
  desired: DesiredState;
  port: number | null;
  endpoint: string | null;
  /** A process id or container id, as text. */
  processId: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  stoppedAt: string | null;
}

export interface DeploymentInput {
  server: string;
  /** `local`, `docker`, …: one deployment per server and target. */
  target: string;
  /** Default: the server's current revision. */
  revision?: number | undefined;
  /** Default: running. */
  desired?: DesiredState | undefined;
  port?: number | null | undefined;
  endpoint?: string | null | undefined;
  actor: string;
}

export interface DeploymentPatch {
  status?: DeploymentStatus | undefined;
  desired?: DesiredState | undefined;
  revision?: number | undefined;
  port?: number | null | undefined;
  endpoint?: string | null | undefined;
  processId?: string | null | undefined;
  lastError?: string | null | undefined;
}

export interface DeploymentFilter {
  server?: string | undefined;
  target?: string | undefined;
  desired?: DesiredState | undefined;
  status?: DeploymentStatus | undefined;
}

export interface AuditInput {
  actor: string;
  action: string;
  target: string;
  details?: Record<string, unknown> | undefined;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown> | null;
}

export interface AuditFilter {
  target?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  /** Entries with a smaller id (paging backwards). */
  beforeId?: number | undefined;
  /** Default 100, at most 1000. */
  limit?: number | undefined;
}

export interface ToolStatsReport {
  server: string;
  /** The window, widened to whole minutes. */
  since: string;
  until: string;
  total: CallStats;
  tools: Array<CallStats & { tool: string }>;
}

const MAX_SPEC_BYTES = 4 * 1024 * 1024;
const MAX_TOOLS = 2000;
const CHUNK = 200;

const now = (): string => new Date().toISOString();

function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

function asObject(value: unknown): Record<string, unknown> {
  const v = parseJson(value);
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function toMs(at: CallRecord['at']): number {
  if (at === undefined) return Date.now();
  const ms = at instanceof Date ? at.getTime() : typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(ms)) throw invalid(`Invalid call time ${JSON.stringify(at)}`);
  return ms;
}

/** Error texts come from crashed processes and may quote credentials: keep them out of the registry. */
function safeErrorText(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  const clipped = text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
  const label = describeSecretValue(clipped);
  return label ? `[redacted: the error text contained ${label}]` : clipped;
}

function notFound(message: string, details: Record<string, unknown>): FactoryError {
  return new FactoryError('REGISTRY_NOT_FOUND', message, { details });
}

interface ServerRow {
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

function serverRecord(row: ServerRow): ServerRecord {
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

export class Registry {
  readonly #store: Store;
  readonly #engine: SearchEngine;
  #closed = false;

  /** Use openRegistry(). */
  constructor(store: Store, search: 'auto' | 'like' = 'auto') {
    this.#store = store;
    this.#engine =
      search === 'like' ? 'like' : store.backend === 'postgres' ? 'tsvector' : store.fts ? 'fts' : 'like';
  }

  info(): RegistryInfo {
    const { backend, location, journalMode } = this.#store;
    return { backend, location, journalMode, search: this.#engine };
  }

  /** The underlying Kysely instance, for diagnostics and tests; not part of the stable API. */
  get kysely(): Db {
    return this.#store.db;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#store.db.destroy();
  }

  // ---- plumbing

  #read<T>(what: string, fn: (db: Db) => Promise<T>): Promise<T> {
    if (this.#closed) return this.#closedError(what);
    return withRetry(what, () => fn(this.#store.db));
  }

  #write<T>(what: string, fn: (trx: Transaction<RegistryDatabase>) => Promise<T>): Promise<T> {
    if (this.#closed) return this.#closedError(what);
    return withRetry(what, () => this.#store.db.transaction().execute(fn));
  }

  #closedError(what: string): Promise<never> {
    return Promise.reject(new FactoryError('REGISTRY_UNAVAILABLE', `${what}: the registry is closed`));
  }

  #serverQuery(db: Db) {
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

  async #findServer(db: Db, name: string): Promise<ServerRow | undefined> {
    return (await this.#serverQuery(db).where('s.name', '=', name).executeTakeFirst()) as
      | ServerRow
      | undefined;
  }

  async #getServerRow(db: Db, name: string): Promise<ServerRow> {
    const row = await this.#findServer(db, name);
    if (!row) throw notFound(`No server named ${name} in the registry`, { server: name });
    return row;
  }

  /** Inside a write transaction: lock the server row (PostgreSQL; SQLite already holds the write lock). */
  async #lockServer(
    trx: Db,
    name: string,
  ): Promise<{ id: number; status: ServerStatus; current_revision: number }> {
    let q = trx
      .selectFrom('mcpf_servers')
      .select(['id', 'status', 'current_revision'])
      .where('name', '=', name);
    if (this.#store.backend === 'postgres') q = q.forUpdate();
    const row = await q.executeTakeFirst();
    if (!row) throw notFound(`No server named ${name} in the registry`, { server: name });
    return row;
  }

  #requireLive(server: { status: ServerStatus }, name: string, what: string): void {
    if (server.status === 'removed') {
      throw new FactoryError(
        'REGISTRY_CONFLICT',
        `Cannot ${what}: server ${name} has been removed (create a new version to bring it back)`,
        { details: { server: name, status: 'removed' } },
      );
    }
  }

  async #appendAudit(trx: Db, entry: AuditInput): Promise<AuditEntry> {
    const row = await trx
      .insertInto('mcpf_audit')
      .values({
        at: now(),
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        details: entry.details === undefined ? null : checkJson('audit details', entry.details, 64 * 1024),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return auditEntry(row);
  }

  // ---- servers and versions

  /**
   * Register a new version (revision) of a server, creating the server on first use and reviving it when it
   * was removed. One transaction: server counter, version row, its tools in the capability index, audit entry.
   */
  async createServerVersion(
    input: CreateVersionInput,
  ): Promise<{ server: ServerRecord; version: VersionRecord }> {
    const name = checkServerName(input.name);
    const version = checkVersion(input.version);
    const artifactHash = checkHash(input.artifactHash);
    const actor = checkLabel('actor', input.actor);
    const specJson = checkJson('spec', input.spec, MAX_SPEC_BYTES);
    if (!Array.isArray(input.tools)) throw invalid('tools must be an array');
    if (input.tools.length > MAX_TOOLS) throw invalid(`A version may index at most ${MAX_TOOLS} tools`);
    const seen = new Set<string>();
    const tools = input.tools.map((tool) => {
      if (!tool || typeof tool !== 'object') {
        throw invalid('Each tool must be an object { name, title, description }');
      }
      const toolName = checkToolName(tool.name);
      if (seen.has(toolName)) throw invalid(`Tool ${toolName} is listed twice`);
      seen.add(toolName);
      const annotations = tool.annotations ?? {};
      if (typeof annotations !== 'object' || Array.isArray(annotations)) {
        throw invalid(`Tool ${toolName}: annotations must be an object`);
      }
      return {
        name: toolName,
        title: checkOptionalText(`title of ${toolName}`, tool.title, 500),
        description: checkOptionalText(`description of ${toolName}`, tool.description, 20_000),
        annotations: annotations as Record<string, unknown>,
        annotationsJson: checkJson(`annotations of ${toolName}`, annotations, 16 * 1024),
      };
    });

    return this.#write(`Creating a version of ${name}`, async (trx) => {
      const at = now();
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
      const serverId = Number(server.id);
      const revision = Number(server.latest_revision);
      const { id: versionId } = await trx
        .insertInto('mcpf_versions')
        .values({
          server_id: serverId,
          revision,
          version,
          spec: specJson,
          artifact_hash: artifactHash,
          created_by: actor,
          created_at: at,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      for (const batch of chunks(tools)) {
        const ids = await trx
          .insertInto('mcpf_tools')
          .values(
            batch.map((t) => ({
              version_id: Number(versionId),
              server_id: serverId,
              server_name: name,
              revision,
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
        if (this.#store.backend === 'sqlite' && this.#store.fts) {
          const byName = new Map(batch.map((t) => [t.name, t]));
          const values = ids.map(({ id, name: toolName }) => {
            const t = byName.get(toolName)!;
            return sql`(${Number(id)}, ${nameKeywords(t.name)}, ${t.title ?? ''}, ${t.description ?? ''}, ${name})`;
          });
          await sql`INSERT INTO mcpf_tools_fts (rowid, keywords, title, description, server_name)
            VALUES ${sql.join(values)}`.execute(trx);
        }
      }
      await this.#appendAudit(trx, {
        actor,
        action: 'server.create',
        target: name,
        details: { revision, version, artifactHash, tools: tools.length },
      });
      const row = await this.#getServerRow(trx, name);
      return {
        server: serverRecord(row),
        version: {
          server: name,
          revision,
          version,
          artifactHash,
          createdBy: actor,
          createdAt: at,
          spec: JSON.parse(specJson),
          tools: tools.map((t) => ({
            name: t.name,
            title: t.title,
            description: t.description,
            annotations: t.annotations,
          })),
        },
      };
    });
  }

  async getServer(name: string): Promise<ServerRecord> {
    checkServerName(name);
    return this.#read(`Reading server ${name}`, async (db) =>
      serverRecord(await this.#getServerRow(db, name)),
    );
  }

  /** Servers by name; removed ones only when asked for (`status: 'removed'` or `includeRemoved`). */
  async listServers(
    filter: { status?: ServerStatus; includeRemoved?: boolean } = {},
  ): Promise<ServerRecord[]> {
    const status =
      filter.status === undefined ? undefined : checkOneOf('status', filter.status, SERVER_STATUSES);
    return this.#read('Listing servers', async (db) => {
      let q = this.#serverQuery(db);
      if (status) q = q.where('s.status', '=', status);
      else if (!filter.includeRemoved) q = q.where('s.status', '<>', 'removed');
      const rows = (await q.orderBy('s.name').execute()) as ServerRow[];
      return rows.map(serverRecord);
    });
  }

  /** One version with its spec and tools; default: the current revision. */
  async getVersion(name: string, revision?: number): Promise<VersionRecord> {
    checkServerName(name);
    if (revision !== undefined) checkRevision(revision);
    return this.#read(`Reading a version of ${name}`, async (db) => {
      const server = await this.#getServerRow(db, name);
      const rev = revision ?? Number(server.current_revision);
      const v = await db
        .selectFrom('mcpf_versions')
        .selectAll()
        .where('server_id', '=', server.id)
        .where('revision', '=', rev)
        .executeTakeFirst();
      if (!v) throw notFound(`Server ${name} has no revision ${rev}`, { server: name, revision: rev });
      const tools = await db
        .selectFrom('mcpf_tools')
        .select(['name', 'title', 'description', 'annotations'])
        .where('version_id', '=', v.id)
        .orderBy('id')
        .execute();
      return {
        server: name,
        revision: Number(v.revision),
        version: v.version,
        artifactHash: v.artifact_hash,
        createdBy: v.created_by,
        createdAt: v.created_at,
        spec: parseJson(v.spec),
        tools: tools.map((t) => ({
          name: t.name,
          title: t.title,
          description: t.description,
          annotations: asObject(t.annotations),
        })),
      };
    });
  }

  /** Every revision of a server, oldest first (without specs and tools). */
  async listVersions(name: string): Promise<VersionSummary[]> {
    checkServerName(name);
    return this.#read(`Listing versions of ${name}`, async (db) => {
      const server = await this.#getServerRow(db, name);
      const rows = await db
        .selectFrom('mcpf_versions')
        .select(['revision', 'version', 'artifact_hash', 'created_by', 'created_at'])
        .where('server_id', '=', server.id)
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
    });
  }

  /**
   * Set the lifecycle status (not `removed`: use removeServer). `error` is kept as lastError (cleared
   * otherwise). With `expect`, the change only happens from one of those statuses (else REGISTRY_CONFLICT).
   */
  async setStatus(
    name: string,
    status: Exclude<ServerStatus, 'removed'>,
    options: {
      actor: string;
      error?: string | null | undefined;
      expect?: readonly ServerStatus[] | undefined;
    },
  ): Promise<ServerRecord> {
    checkServerName(name);
    const to = checkOneOf(
      'status',
      status,
      SERVER_STATUSES.filter((s) => s !== 'removed'),
    );
    const actor = checkLabel('actor', options?.actor);
    const error = safeErrorText(options.error);
    return this.#write(`Setting the status of ${name}`, async (trx) => {
      const server = await this.#lockServer(trx, name);
      this.#requireLive(server, name, 'change its status');
      if (options.expect && !options.expect.includes(server.status)) {
        throw new FactoryError(
          'REGISTRY_CONFLICT',
          `Server ${name} is ${server.status}, not ${options.expect.join(' or ')}`,
          { details: { server: name, status: server.status, expected: [...options.expect] } },
        );
      }
      await trx
        .updateTable('mcpf_servers')
        .set({ status: to, last_error: error, updated_at: now() })
        .where('id', '=', server.id)
        .execute();
      await this.#appendAudit(trx, {
        actor,
        action: 'server.status',
        target: name,
        details: { from: server.status, to, ...(error ? { error } : {}) },
      });
      return serverRecord(await this.#getServerRow(trx, name));
    });
  }

  /** Make an earlier (or later) revision current again: a rollback. Deployments are not changed. */
  async setCurrentRevision(
    name: string,
    revision: number,
    options: { actor: string },
  ): Promise<ServerRecord> {
    checkServerName(name);
    checkRevision(revision);
    const actor = checkLabel('actor', options?.actor);
    return this.#write(`Setting the current revision of ${name}`, async (trx) => {
      const server = await this.#lockServer(trx, name);
      this.#requireLive(server, name, 'change its current revision');
      const exists = await trx
        .selectFrom('mcpf_versions')
        .select('id')
        .where('server_id', '=', server.id)
        .where('revision', '=', revision)
        .executeTakeFirst();
      if (!exists) throw notFound(`Server ${name} has no revision ${revision}`, { server: name, revision });
      await trx
        .updateTable('mcpf_servers')
        .set({ current_revision: revision, updated_at: now() })
        .where('id', '=', server.id)
        .execute();
      await this.#appendAudit(trx, {
        actor,
        action: 'server.rollback',
        target: name,
        details: { from: Number(server.current_revision), to: revision },
      });
      return serverRecord(await this.#getServerRow(trx, name));
    });
  }

  /**
   * Remove a server: a tombstone (status `removed`). Its versions, audit history and secret references stay;
   * its deployments are set to desired `stopped` so the supervisor stops them. Idempotent. Creating a new
   * version of the name revives it with the next revision.
   */
  async removeServer(name: string, options: { actor: string }): Promise<ServerRecord> {
    checkServerName(name);
    const actor = checkLabel('actor', options?.actor);
    return this.#write(`Removing ${name}`, async (trx) => {
      const server = await this.#lockServer(trx, name);
      if (server.status !== 'removed') {
        const at = now();
        await trx
          .updateTable('mcpf_servers')
          .set({ status: 'removed', removed_at: at, updated_at: at })
          .where('id', '=', server.id)
          .execute();
        const stopped = await trx
          .updateTable('mcpf_deployments')
          .set({ desired: 'stopped', updated_at: at })
          .where('server_id', '=', server.id)
          .where('desired', '<>', 'stopped')
          .executeTakeFirst();
        await this.#appendAudit(trx, {
          actor,
          action: 'server.remove',
          target: name,
          details: { from: server.status, deploymentsStopped: Number(stopped.numUpdatedRows) },
        });
      }
      return serverRecord(await this.#getServerRow(trx, name));
    });
  }

  // ---- deployments

  #deploymentQuery(db: Db) {
    return db
      .selectFrom('mcpf_deployments as d')
      .innerJoin('mcpf_servers as s', 's.id', 'd.server_id')
      .select([
        'd.id',
        's.name as server',
        'd.revision',
        'd.target',
        'd.status',
        'd.desired',
        'd.port',
        'd.endpoint',
        'd.process_id',
        'd.last_error',
        'd.created_at',
        'd.updated_at',
        'd.started_at',
        'd.stopped_at',
      ]);
  }

  async #deployment(db: Db, id: number): Promise<DeploymentRecord> {
    const row = await this.#deploymentQuery(db).where('d.id', '=', id).executeTakeFirst();
    if (!row) throw notFound(`No deployment with id ${id}`, { deployment: id });
    return deploymentRecord(row);
  }

  async #requireRevision(trx: Db, serverId: number, name: string, revision: number): Promise<void> {
    const v = await trx
      .selectFrom('mcpf_versions')
      .select('id')
      .where('server_id', '=', serverId)
      .where('revision', '=', revision)
      .executeTakeFirst();
    if (!v) throw notFound(`Server ${name} has no revision ${revision}`, { server: name, revision });
  }

  /**
   * Declare what should run where: one deployment per (server, target), created `pending` or updated in place.
   * When the revision changes the status goes back to `pending` (what runs is no longer what is wanted).
   */
  async upsertDeployment(input: DeploymentInput): Promise<DeploymentRecord> {
    const name = checkServerName(input.server);
    const target = checkTarget(input.target);
    const actor = checkLabel('actor', input.actor);
    const desired = checkOneOf('desired state', input.desired ?? 'running', DESIRED_STATES);
    if (input.revision !== undefined) checkRevision(input.revision);
    const port = input.port === undefined ? undefined : checkPort(input.port);
    const endpoint =
      input.endpoint === undefined ? undefined : checkOptionalText('endpoint', input.endpoint, 2000);
    return this.#write(`Deploying ${name} to ${target}`, async (trx) => {
      const server = await this.#lockServer(trx, name);
      this.#requireLive(server, name, 'deploy it');
      const revision = input.revision ?? Number(server.current_revision);
      await this.#requireRevision(trx, server.id, name, revision);
      const at = now();
      const existing = await trx
        .selectFrom('mcpf_deployments')
        .select(['id', 'revision', 'desired', 'status'])
        .where('server_id', '=', server.id)
        .where('target', '=', target)
        .executeTakeFirst();
      let id: number;
      if (existing) {
        id = Number(existing.id);
        await trx
          .updateTable('mcpf_deployments')
          .set({
            revision,
            desired,
            ...(Number(existing.revision) !== revision ? { status: 'pending' as const } : {}),
            ...(port !== undefined ? { port } : {}),
            ...(endpoint !== undefined ? { endpoint } : {}),
            updated_at: at,
          })
          .where('id', '=', id)
          .execute();
      } else {
        const row = await trx
          .insertInto('mcpf_deployments')
          .values({
            server_id: server.id,
            revision,
            target,
            status: 'pending',
            desired,
            port: port ?? null,
            endpoint: endpoint ?? null,
            process_id: null,
            last_error: null,
            created_at: at,
            updated_at: at,
            started_at: null,
            stopped_at: null,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        id = Number(row.id);
      }
      await this.#appendAudit(trx, {
        actor,
        action: 'deployment.upsert',
        target: name,
        details: { deployment: id, target, revision, desired, created: !existing },
      });
      return this.#deployment(trx, id);
    });
  }

  async getDeployment(id: number): Promise<DeploymentRecord> {
    if (!Number.isInteger(id)) throw invalid(`Invalid deployment id ${JSON.stringify(id)}`);
    return this.#read(`Reading deployment ${id}`, (db) => this.#deployment(db, id));
  }

  async listDeployments(filter: DeploymentFilter = {}): Promise<DeploymentRecord[]> {
    const server = filter.server === undefined ? undefined : checkServerName(filter.server);
    const target = filter.target === undefined ? undefined : checkTarget(filter.target);
    const desired =
      filter.desired === undefined ? undefined : checkOneOf('desired state', filter.desired, DESIRED_STATES);
    const status =
      filter.status === undefined ? undefined : checkOneOf('status', filter.status, DEPLOYMENT_STATUSES);
    return this.#read('Listing deployments', async (db) => {
      let q = this.#deploymentQuery(db);
      if (server) q = q.where('s.name', '=', server);
      if (target) q = q.where('d.target', '=', target);
      if (desired) q = q.where('d.desired', '=', desired);
      if (status) q = q.where('d.status', '=', status);
      return (await q.orderBy('d.id').execute()).map(deploymentRecord);
    });
  }

  /**
   * Change some fields of a deployment (the supervisor reports status, process id, port, endpoint, errors).
   * `expectStatus` makes it a compare-and-set: REGISTRY_CONFLICT if the status is another one. With an `actor`
   * the change is a management action and is audited.
   */
  async updateDeployment(
    id: number,
    patch: DeploymentPatch,
    options: { expectStatus?: readonly DeploymentStatus[] | undefined; actor?: string | undefined } = {},
  ): Promise<DeploymentRecord> {
    if (!Number.isInteger(id)) throw invalid(`Invalid deployment id ${JSON.stringify(id)}`);
    const status =
      patch.status === undefined ? undefined : checkOneOf('status', patch.status, DEPLOYMENT_STATUSES);
    const desired =
      patch.desired === undefined ? undefined : checkOneOf('desired state', patch.desired, DESIRED_STATES);
    const revision = patch.revision === undefined ? undefined : checkRevision(patch.revision);
    const port = patch.port === undefined ? undefined : checkPort(patch.port);
    const endpoint =
      patch.endpoint === undefined ? undefined : checkOptionalText('endpoint', patch.endpoint, 2000);
    const processId =
      patch.processId === undefined ? undefined : checkOptionalText('process id', patch.processId, 200);
    const lastError = patch.lastError === undefined ? undefined : safeErrorText(patch.lastError);
    const actor = options.actor === undefined ? undefined : checkLabel('actor', options.actor);
    return this.#write(`Updating deployment ${id}`, async (trx) => {
      let q = trx
        .selectFrom('mcpf_deployments as d')
        .innerJoin('mcpf_servers as s', 's.id', 'd.server_id')
        .select(['d.id', 'd.server_id', 's.name', 'd.status', 'd.revision']);
      if (this.#store.backend === 'postgres') q = q.forUpdate('d');
      const current = await q.where('d.id', '=', id).executeTakeFirst();
      if (!current) throw notFound(`No deployment with id ${id}`, { deployment: id });
      if (options.expectStatus && !options.expectStatus.includes(current.status)) {
        throw new FactoryError(
          'REGISTRY_CONFLICT',
          `Deployment ${id} is ${current.status}, not ${options.expectStatus.join(' or ')}`,
          { details: { deployment: id, status: current.status, expected: [...options.expectStatus] } },
        );
      }
      if (revision !== undefined) await this.#requireRevision(trx, current.server_id, current.name, revision);
      const at = now();
      const revisionChanged = revision !== undefined && revision !== Number(current.revision);
      const newStatus = status ?? (revisionChanged ? 'pending' : undefined);
      await trx
        .updateTable('mcpf_deployments')
        .set({
          ...(newStatus !== undefined ? { status: newStatus } : {}),
          ...(desired !== undefined ? { desired } : {}),
          ...(revision !== undefined ? { revision } : {}),
          ...(port !== undefined ? { port } : {}),
          ...(endpoint !== undefined ? { endpoint } : {}),
          ...(processId !== undefined ? { process_id: processId } : {}),
          ...(lastError !== undefined ? { last_error: lastError } : {}),
          ...(newStatus === 'running' && current.status !== 'running'
            ? { started_at: at, stopped_at: null }
            : {}),
          ...((newStatus === 'stopped' || newStatus === 'failed') && current.status !== newStatus
            ? { stopped_at: at }
            : {}),
          updated_at: at,
        })
        .where('id', '=', id)
        .execute();
      if (actor) {
        const changes = Object.fromEntries(
          Object.entries({ status: newStatus, desired, revision, port, endpoint, processId }).filter(
            ([, v]) => v !== undefined,
          ),
        );
        await this.#appendAudit(trx, {
          actor,
          action: 'deployment.update',
          target: current.name,
          details: { deployment: id, ...changes },
        });
      }
      return this.#deployment(trx, id);
    });
  }

  async deleteDeployment(id: number, options: { actor: string }): Promise<void> {
    if (!Number.isInteger(id)) throw invalid(`Invalid deployment id ${JSON.stringify(id)}`);
    const actor = checkLabel('actor', options?.actor);
    await this.#write(`Deleting deployment ${id}`, async (trx) => {
      const d = await this.#deployment(trx, id);
      await trx.deleteFrom('mcpf_deployments').where('id', '=', id).execute();
      await this.#appendAudit(trx, {
        actor,
        action: 'deployment.delete',
        target: d.server,
        details: { deployment: id, target: d.target, revision: d.revision },
      });
    });
  }

  // ---- secret references

  /**
   * Replace the secret references of a server. Only references are stored — the variable name and where its
   * value comes from; anything that looks like a value is refused with REGISTRY_SECRET_VALUE. Pass `env`
   * (e.g. process.env) to also refuse a reference that quotes the variable's current value.
   */
  async setSecretRefs(
    name: string,
    refs: SecretRef[],
    options: { actor: string; env?: Record<string, string | undefined> | undefined },
  ): Promise<SecretRef[]> {
    checkServerName(name);
    const actor = checkLabel('actor', options?.actor);
    const checked = checkSecretRefs(refs, options.env ?? {});
    return this.#write(`Setting secret references of ${name}`, async (trx) => {
      const server = await this.#lockServer(trx, name);
      this.#requireLive(server, name, 'set its secret references');
      await trx.deleteFrom('mcpf_secret_refs').where('server_id', '=', server.id).execute();
      const at = now();
      if (checked.length > 0) {
        await trx
          .insertInto('mcpf_secret_refs')
          .values(
            checked.map((r) => ({
              server_id: server.id,
              env_var: r.envVar,
              source: r.source,
              description: r.description ?? null,
              updated_at: at,
            })),
          )
          .execute();
      }
      await this.#appendAudit(trx, {
        actor,
        action: 'secrets.set',
        target: name,
        details: { envVars: checked.map((r) => r.envVar) },
      });
      return [...checked].sort((a, b) => (a.envVar < b.envVar ? -1 : 1));
    });
  }

  async listSecretRefs(name: string): Promise<SecretRef[]> {
    checkServerName(name);
    return this.#read(`Listing secret references of ${name}`, async (db) => {
      const server = await this.#getServerRow(db, name);
      const rows = await db
        .selectFrom('mcpf_secret_refs')
        .select(['env_var', 'source', 'description'])
        .where('server_id', '=', server.id)
        .orderBy('env_var')
        .execute();
      return rows.map((r) => ({ envVar: r.env_var, source: r.source, description: r.description }));
    });
  }

  // ---- capability search

  /** Ranked keyword search over the tools of each server's current revision (removed servers excluded). */
  async searchTools(query: string, options: { limit?: number } = {}): Promise<ToolMatch[]> {
    if (typeof query !== 'string') throw invalid('The search query must be a string');
    const limit = Math.min(200, Math.max(1, Math.floor(options.limit ?? 20)));
    return this.#read('Searching tools', (db) => searchTools(db, this.#engine, query, limit));
  }

  // ---- metrics

  /**
   * Record tool calls (any number, in one transaction): they are folded into per-minute aggregates, so the
   * cost is two upserts per (server, tool, minute) in the batch, however many calls it holds.
   */
  async recordCalls(calls: readonly CallRecord[]): Promise<{ recorded: number }> {
    if (!Array.isArray(calls)) throw invalid('recordCalls takes an array of calls');
    const times = new Map<CallRecord, number>();
    for (const c of calls) {
      if (!c || typeof c !== 'object')
        throw invalid('Each call must be an object { server, tool, ok, latencyMs }');
      checkServerName(c.server);
      checkToolName(c.tool);
      if (typeof c.ok !== 'boolean') throw invalid(`Call of ${c.tool}: ok must be a boolean`);
      if (typeof c.latencyMs !== 'number' || !Number.isFinite(c.latencyMs) || c.latencyMs < 0) {
        throw invalid(`Call of ${c.tool}: latencyMs must be a finite number ≥ 0`);
      }
      times.set(c, toMs(c.at));
    }
    if (calls.length === 0) return { recorded: 0 };
    const groups = aggregateCalls(calls, (c) => times.get(c)!);
    const least = this.#store.backend === 'postgres' ? 'least' : 'min';
    const greatest = this.#store.backend === 'postgres' ? 'greatest' : 'max';
    await this.#write('Recording tool calls', async (trx) => {
      for (const batch of chunks(groups)) {
        await trx
          .insertInto('mcpf_tool_calls')
          .values(
            batch.map((g) => ({
              server: g.server,
              tool: g.tool,
              minute: g.minute,
              calls: g.calls,
              errors: g.errors,
              latency_sum: g.latencySum,
              latency_min: g.latencyMin,
              latency_max: g.latencyMax,
            })),
          )
          .onConflict((oc) =>
            oc.columns(['server', 'tool', 'minute']).doUpdateSet((eb) => ({
              calls: eb('mcpf_tool_calls.calls', '+', eb.ref('excluded.calls')),
              errors: eb('mcpf_tool_calls.errors', '+', eb.ref('excluded.errors')),
              latency_sum: eb('mcpf_tool_calls.latency_sum', '+', eb.ref('excluded.latency_sum')),
              latency_min: eb.fn<number>(least, [
                eb.ref('mcpf_tool_calls.latency_min'),
                eb.ref('excluded.latency_min'),
              ]),
              latency_max: eb.fn<number>(greatest, [
                eb.ref('mcpf_tool_calls.latency_max'),
                eb.ref('excluded.latency_max'),
              ]),
            })),
          )
          .execute();
      }
      const buckets = groups.flatMap((g) =>
        [...g.histogram.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([bucket, count]) => ({ server: g.server, tool: g.tool, minute: g.minute, bucket, count })),
      );
      for (const batch of chunks(buckets)) {
        await trx
          .insertInto('mcpf_tool_latency')
          .values(batch)
          .onConflict((oc) =>
            oc.columns(['server', 'tool', 'minute', 'bucket']).doUpdateSet((eb) => ({
              count: eb('mcpf_tool_latency.count', '+', eb.ref('excluded.count')),
            })),
          )
          .execute();
      }
    });
    return { recorded: calls.length };
  }

  /**
   * Calls, errors, error rate and latency percentiles of a server's tools over a window (default: the last
   * hour), per tool and in total. The window is widened to whole minutes.
   */
  async toolStats(
    server: string,
    options: { since?: Date | number | string; until?: Date | number | string; tool?: string } = {},
  ): Promise<ToolStatsReport> {
    checkServerName(server);
    if (options.tool !== undefined) checkToolName(options.tool);
    const untilMs = options.until === undefined ? Date.now() : toMs(options.until);
    const sinceMs = options.since === undefined ? untilMs - 60 * MINUTE_MS : toMs(options.since);
    const from = minuteOf(sinceMs);
    const to = minuteOf(untilMs);
    return this.#read(`Reading call statistics of ${server}`, async (db) => {
      let calls = db
        .selectFrom('mcpf_tool_calls')
        .select((eb) => [
          'tool',
          eb.fn.sum<number | string>('calls').as('calls'),
          eb.fn.sum<number | string>('errors').as('errors'),
          eb.fn.sum<number | string>('latency_sum').as('latency_sum'),
          eb.fn.min<number | string>('latency_min').as('latency_min'),
          eb.fn.max<number | string>('latency_max').as('latency_max'),
        ])
        .where('server', '=', server)
        .where('minute', '>=', from)
        .where('minute', '<=', to)
        .groupBy('tool');
      let hist = db
        .selectFrom('mcpf_tool_latency')
        .select((eb) => ['tool', 'bucket', eb.fn.sum<number | string>('count').as('count')])
        .where('server', '=', server)
        .where('minute', '>=', from)
        .where('minute', '<=', to)
        .groupBy(['tool', 'bucket']);
      if (options.tool !== undefined) {
        calls = calls.where('tool', '=', options.tool);
        hist = hist.where('tool', '=', options.tool);
      }
      const [callRows, histRows] = [await calls.execute(), await hist.execute()];
      const perTool = new Map<string, StatsAccumulator>();
      for (const r of callRows) {
        perTool.set(r.tool, {
          calls: Number(r.calls),
          errors: Number(r.errors),
          latencySum: Number(r.latency_sum),
          latencyMin: Number(r.latency_min),
          latencyMax: Number(r.latency_max),
          histogram: new Map(),
        });
      }
      for (const r of histRows) {
        const acc = perTool.get(r.tool);
        if (acc)
          acc.histogram.set(Number(r.bucket), (acc.histogram.get(Number(r.bucket)) ?? 0) + Number(r.count));
      }
      const total = emptyAccumulator();
      const tools = [...perTool.entries()]
        .sort((a, b) => (a[0] < b[0] ? -1 : 1))
        .map(([tool, acc]) => {
          mergeInto(total, acc);
          return { tool, ...finishStats(acc) };
        });
      return {
        server,
        since: new Date(from * MINUTE_MS).toISOString(),
        until: new Date((to + 1) * MINUTE_MS).toISOString(),
        total: finishStats(total),
        tools,
      };
    });
  }

  /** Delete metrics older than `before` (whole minutes); returns the number of per-minute rows deleted. */
  async pruneMetrics(options: { before: Date | number | string }): Promise<{ deleted: number }> {
    const minute = minuteOf(toMs(options.before));
    return this.#write('Pruning metrics', async (trx) => {
      const a = await trx.deleteFrom('mcpf_tool_calls').where('minute', '<', minute).executeTakeFirst();
      await trx.deleteFrom('mcpf_tool_latency').where('minute', '<', minute).execute();
      return { deleted: Number(a.numDeletedRows) };
    });
  }

  // ---- audit

  /** Append a management action to the audit trail (the registry's own changes are audited already). */
  async audit(entry: AuditInput): Promise<AuditEntry> {
    const input: AuditInput = {
      actor: checkLabel('actor', entry?.actor),
      action: checkLabel('action', entry.action, 100),
      target: checkLabel('target', entry.target),
      details: entry.details,
    };
    if (
      input.details !== undefined &&
      (typeof input.details !== 'object' || input.details === null || Array.isArray(input.details))
    ) {
      throw invalid('Audit details must be an object');
    }
    return this.#write('Writing the audit trail', (trx) => this.#appendAudit(trx, input));
  }

  /** Audit entries, newest first. */
  async listAudit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    const limit = Math.min(1000, Math.max(1, Math.floor(filter.limit ?? 100)));
    return this.#read('Reading the audit trail', async (db) => {
      let q = db.selectFrom('mcpf_audit').selectAll();
      if (filter.target !== undefined) q = q.where('target', '=', filter.target);
      if (filter.actor !== undefined) q = q.where('actor', '=', filter.actor);
      if (filter.action !== undefined) q = q.where('action', '=', filter.action);
      if (filter.beforeId !== undefined) q = q.where('id', '<', filter.beforeId);
      const rows = await q.orderBy('id', 'desc').limit(limit).execute();
      return rows.map(auditEntry);
    });
  }
}

/** A deployments row joined with its server's name. */
function deploymentRecord(
  row: Omit<Selectable<DeploymentsTable>, 'server_id'> & { server: string },
): DeploymentRecord {
  return {
    id: Number(row.id),
    server: row.server,
    revision: Number(row.revision),
    target: row.target,
    status: row.status,
    desired: row.desired,
    port: row.port === null ? null : Number(row.port),
    endpoint: row.endpoint,
    processId: row.process_id,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    stoppedAt: row.stopped_at,
  };
}

function auditEntry(row: {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: unknown;
}): AuditEntry {
  return {
    id: Number(row.id),
    at: row.at,
    actor: row.actor,
    action: row.action,
    target: row.target,
    details: row.details === null ? null : asObject(row.details),
  };
}

/** Open (and migrate) the registry. Pass a PostgreSQL `url`, or the data directory as `home`. */
export async function openRegistry(options: OpenRegistryOptions): Promise<Registry> {
  const storeOptions: StoreOptions = {
    url: options.url,
    home: options.home,
    busyTimeoutMs: options.busyTimeoutMs,
    poolSize: options.poolSize,
  };
  const store = await openStore(storeOptions);
  return new Registry(store, options.search ?? 'auto');
}
