/**
 * The registry: servers, their immutable versions and tool index, deployments, secret references, tool-call
 * metrics and the audit trail — one store shared by the CLI, the HTTP API and the supervisor at the same time.
 * A facade: it checks every input (validate.ts), decides what runs in which transaction, and writes the audit
 * entry of each management action; the SQL of each table lives in its repository (repositories/).
 *
 * Concurrency: every write is one transaction, retried as a whole on lock contention. On SQLite transactions
 * start with BEGIN IMMEDIATE (one writer at a time, others wait up to busy_timeout); on PostgreSQL every
 * management transaction first locks its server row (SELECT … FOR UPDATE), so read-then-write sequences on one
 * server are serialised there too. Revisions come from a per-server counter incremented in the same
 * transaction as the version insert, so they are unique and gapless.
 */

import type { Transaction } from 'kysely';
import { FactoryError } from '../core/errors/index.js';
import { ApiTokenRows } from './api-tokens.js';
import { ClusterStore } from './cluster.js';
import { openStore, type Store } from './connect.js';
import { withRetry } from './db-errors.js';
import { checkIdentity } from './file-identity.js';
import { HealthHistoryStore } from './health-history.js';
import { IdentityStore } from './identity.js';
import { JobStore } from './jobs.js';
import { aggregateCalls, type CallRecord, MINUTE_MS, minuteOf, statsReport } from './metrics.js';
import { AuditRepository } from './repositories/audit.js';
import { CallsRepository } from './repositories/calls.js';
import { DeploymentsRepository, patchColumns } from './repositories/deployments.js';
import { SecretRefsRepository } from './repositories/secret-refs.js';
import { requireLive, ServersRepository, serverRecord } from './repositories/servers.js';
import { type Db, notFound, now } from './repositories/shared.js';
import { ToolsRepository } from './repositories/tools.js';
import { VersionsRepository, versionSpec } from './repositories/versions.js';
import {
  DEPLOYMENT_STATUSES,
  DESIRED_STATES,
  type DeploymentStatus,
  type RegistryDatabase,
  SERVER_STATUSES,
  type ServerStatus,
} from './schema.js';
import type { HybridStats, ToolMatch, ToolSearchOptions } from './search.js';
import { ToolsmithStore } from './toolsmith.js';
import { TriggerHistoryStore } from './triggers.js';
import type {
  AuditEntry,
  AuditFilter,
  AuditInput,
  CreateVersionInput,
  DeploymentFilter,
  DeploymentInput,
  DeploymentPatch,
  DeploymentRecord,
  OpenRegistryOptions,
  RegistryInfo,
  ServerRecord,
  ToolStatsReport,
  VersionRecord,
  VersionSummary,
} from './types.js';
import {
  checkHash,
  checkJson,
  checkLabel,
  checkOneOf,
  checkOptionalText,
  checkPort,
  checkReplicaCount,
  checkRevision,
  checkSecretRefs,
  checkServerName,
  checkTarget,
  checkTime,
  checkToolInputs,
  checkToolName,
  checkVersion,
  invalid,
  type SecretRef,
  safeErrorText,
} from './validate.js';

const MAX_SPEC_BYTES = 4 * 1024 * 1024;

function checkDeploymentId(id: number): void {
  if (!Number.isInteger(id)) throw invalid(`Invalid deployment id ${JSON.stringify(id)}`);
}

export class Registry {
  readonly #store: Store;
  readonly #servers: ServersRepository;
  readonly #versions = new VersionsRepository();
  readonly #tools: ToolsRepository;
  readonly #deployments: DeploymentsRepository;
  readonly #secretRefs = new SecretRefsRepository();
  readonly #calls: CallsRepository;
  readonly #audit = new AuditRepository();
  #closed = false;
  /** Teams, users, sessions, sign-ins, signing keys and server owners (src/identity uses them). */
  readonly identity: IdentityStore;
  /** Toolsmith runs and their events (src/toolsmith drives them). */
  readonly toolsmith: ToolsmithStore;
  /** Factory jobs and their history (src/jobs runs them). */
  readonly jobs: JobStore;
  /** Trigger history of deployed servers (deploy/trigger-history.ts imports it from their history files). */
  readonly triggers: TriggerHistoryStore;
  /** Nodes, placements, artifacts and shared API limits of a factory cluster (docs/cluster.md). */
  readonly cluster: ClusterStore;
  /** API tokens shared by every instance on this registry (identity/tokens-registry.ts). */
  readonly apiTokens: ApiTokenRows;
  /** Stored health checks of deployments and the servers overview (health-history.ts). */
  readonly health: HealthHistoryStore;

  /** Use openRegistry(). */
  constructor(store: Store, search: 'auto' | 'like' = 'auto', hybrid: ToolSearchOptions = {}) {
    this.#store = store;
    this.#servers = new ServersRepository(store);
    this.#tools = new ToolsRepository(store, search, hybrid);
    this.#deployments = new DeploymentsRepository(store);
    this.#calls = new CallsRepository(store);
    this.identity = new IdentityStore(
      (what, fn) => this.#read(what, fn),
      (what, fn) => this.#write(what, fn),
    );
    this.toolsmith = new ToolsmithStore(
      (what, fn) => this.#read(what, fn),
      (what, fn) => this.#write(what, fn),
    );
    this.jobs = new JobStore(
      (what, fn) => this.#read(what, fn),
      (what, fn) => this.#write(what, fn),
    );
    this.triggers = new TriggerHistoryStore(
      (what, fn) => this.#read(what, fn),
      (what, fn) => this.#write(what, fn),
    );
    this.health = new HealthHistoryStore(
      (what, fn) => this.#read(what, fn),
      (what, fn) => this.#write(what, fn),
      store,
    );
    this.cluster = new ClusterStore(
      (what, fn) => this.#read(what, fn),
      (what, fn) => this.#write(what, fn),
      store.backend,
      () => this.#store.db,
    );
    this.apiTokens = new ApiTokenRows(
      (what, fn) => this.#read(what, fn),
      (what, fn) => this.#write(what, fn),
      store.backend,
    );
  }

  info(): RegistryInfo {
    const { backend, location, journalMode } = this.#store;
    return { backend, location, journalMode, search: this.#tools.engine };
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
    return this.#checked(what, () => withRetry(what, () => fn(this.#store.db)));
  }

  #write<T>(what: string, fn: (trx: Transaction<RegistryDatabase>) => Promise<T>): Promise<T> {
    if (this.#closed) return this.#closedError(what);
    return this.#checked(what, () => withRetry(what, () => this.#store.db.transaction().execute(fn)));
  }

  /**
   * SQLite: the path must still name the file this registry opened (one stat, a few µs). A deleted or replaced
   * registry.db would otherwise split the factory: this process on the old inode, everyone else on the new.
   */
  #checked<T>(what: string, run: () => Promise<T>): Promise<T> {
    const { identity, location } = this.#store;
    if (identity) {
      try {
        checkIdentity(location, identity, what);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return run();
  }

  /** SQLite: whether the path still names the file this registry opened (always true on PostgreSQL). */
  holdsCurrentFile(): boolean {
    const { identity, location } = this.#store;
    if (!identity) return true;
    try {
      checkIdentity(location, identity, 'check');
      return true;
    } catch {
      return false;
    }
  }

  #closedError(what: string): Promise<never> {
    return Promise.reject(new FactoryError('REGISTRY_UNAVAILABLE', `${what}: the registry is closed`));
  }

  async #serverRecord(db: Db, name: string): Promise<ServerRecord> {
    return serverRecord(await this.#servers.get(db, name));
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
    const tools = checkToolInputs(input.tools);

    return this.#write(`Creating a version of ${name}`, async (trx) => {
      const at = now();
      const { id: serverId, revision } = await this.#servers.nextRevision(trx, name, at);
      const versionId = await this.#versions.insert(trx, {
        serverId,
        revision,
        version,
        specJson,
        artifactHash,
        createdBy: actor,
        createdAt: at,
      });
      await this.#tools.insert(trx, { versionId, serverId, serverName: name, revision }, tools);
      await this.#audit.append(trx, {
        actor,
        action: 'server.create',
        target: name,
        details: { revision, version, artifactHash, tools: tools.length },
      });
      return {
        server: await this.#serverRecord(trx, name),
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
    return this.#read(`Reading server ${name}`, (db) => this.#serverRecord(db, name));
  }

  /** Servers by name; removed ones only when asked for (`status: 'removed'` or `includeRemoved`). */
  async listServers(
    filter: { status?: ServerStatus; includeRemoved?: boolean } = {},
  ): Promise<ServerRecord[]> {
    const status =
      filter.status === undefined ? undefined : checkOneOf('status', filter.status, SERVER_STATUSES);
    return this.#read('Listing servers', async (db) =>
      (await this.#servers.list(db, { status, includeRemoved: filter.includeRemoved })).map(serverRecord),
    );
  }

  /** One version with its spec and tools; default: the current revision. */
  async getVersion(name: string, revision?: number): Promise<VersionRecord> {
    checkServerName(name);
    if (revision !== undefined) checkRevision(revision);
    return this.#read(`Reading a version of ${name}`, async (db) => {
      const server = await this.#servers.get(db, name);
      const rev = revision ?? Number(server.current_revision);
      const v = await this.#versions.find(db, server.id, rev);
      if (!v) throw notFound(`Server ${name} has no revision ${rev}`, { server: name, revision: rev });
      return {
        server: name,
        revision: Number(v.revision),
        version: v.version,
        artifactHash: v.artifact_hash,
        createdBy: v.created_by,
        createdAt: v.created_at,
        spec: versionSpec(v),
        tools: await this.#tools.listForVersion(db, Number(v.id)),
      };
    });
  }

  /** Every revision of a server, oldest first (without specs and tools). */
  async listVersions(name: string): Promise<VersionSummary[]> {
    checkServerName(name);
    return this.#read(`Listing versions of ${name}`, async (db) => {
      const server = await this.#servers.get(db, name);
      return this.#versions.list(db, server.id, name);
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
      const server = await this.#servers.lock(trx, name);
      requireLive(server, name, 'change its status');
      if (options.expect && !options.expect.includes(server.status)) {
        throw new FactoryError(
          'REGISTRY_CONFLICT',
          `Server ${name} is ${server.status}, not ${options.expect.join(' or ')}`,
          { details: { server: name, status: server.status, expected: [...options.expect] } },
        );
      }
      await this.#servers.setStatus(trx, server.id, to, error, now());
      await this.#audit.append(trx, {
        actor,
        action: 'server.status',
        target: name,
        details: { from: server.status, to, ...(error ? { error } : {}) },
      });
      return this.#serverRecord(trx, name);
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
      const server = await this.#servers.lock(trx, name);
      requireLive(server, name, 'change its current revision');
      await this.#versions.require(trx, server.id, name, revision);
      await this.#servers.setCurrentRevision(trx, server.id, revision, now());
      await this.#audit.append(trx, {
        actor,
        action: 'server.rollback',
        target: name,
        details: { from: Number(server.current_revision), to: revision },
      });
      return this.#serverRecord(trx, name);
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
      const server = await this.#servers.lock(trx, name);
      if (server.status !== 'removed') {
        const at = now();
        await this.#servers.markRemoved(trx, server.id, at);
        const stopped = await this.#deployments.stopAll(trx, server.id, at);
        await this.#audit.append(trx, {
          actor,
          action: 'server.remove',
          target: name,
          details: { from: server.status, deploymentsStopped: stopped },
        });
      }
      return this.#serverRecord(trx, name);
    });
  }

  // ---- deployments

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
      const server = await this.#servers.lock(trx, name);
      requireLive(server, name, 'deploy it');
      const revision = input.revision ?? Number(server.current_revision);
      await this.#versions.require(trx, server.id, name, revision);
      const at = now();
      const existing = await this.#deployments.findByTarget(trx, server.id, target);
      let id: number;
      if (existing) {
        id = Number(existing.id);
        await this.#deployments.update(trx, id, {
          revision,
          desired,
          ...(Number(existing.revision) !== revision ? { status: 'pending' as const } : {}),
          ...(port !== undefined ? { port } : {}),
          ...(endpoint !== undefined ? { endpoint } : {}),
          updated_at: at,
        });
      } else {
        id = await this.#deployments.insert(trx, {
          serverId: server.id,
          revision,
          target,
          desired,
          port: port ?? null,
          endpoint: endpoint ?? null,
          at,
        });
      }
      await this.#audit.append(trx, {
        actor,
        action: 'deployment.upsert',
        target: name,
        details: { deployment: id, target, revision, desired, created: !existing },
      });
      return this.#deployments.get(trx, id);
    });
  }

  async getDeployment(id: number): Promise<DeploymentRecord> {
    checkDeploymentId(id);
    return this.#read(`Reading deployment ${id}`, (db) => this.#deployments.get(db, id));
  }

  async listDeployments(filter: DeploymentFilter = {}): Promise<DeploymentRecord[]> {
    const server = filter.server === undefined ? undefined : checkServerName(filter.server);
    const target = filter.target === undefined ? undefined : checkTarget(filter.target);
    const desired =
      filter.desired === undefined ? undefined : checkOneOf('desired state', filter.desired, DESIRED_STATES);
    const status =
      filter.status === undefined ? undefined : checkOneOf('status', filter.status, DEPLOYMENT_STATUSES);
    return this.#read('Listing deployments', (db) =>
      this.#deployments.list(db, { server, target, desired, status }),
    );
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
    checkDeploymentId(id);
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
    const replicasDesired =
      patch.replicasDesired === undefined ? undefined : checkReplicaCount(patch.replicasDesired);
    const replicasActual =
      patch.replicasActual === undefined ? undefined : checkReplicaCount(patch.replicasActual);
    const actor = options.actor === undefined ? undefined : checkLabel('actor', options.actor);
    return this.#write(`Updating deployment ${id}`, async (trx) => {
      const current = await this.#deployments.lock(trx, id);
      if (options.expectStatus && !options.expectStatus.includes(current.status)) {
        throw new FactoryError(
          'REGISTRY_CONFLICT',
          `Deployment ${id} is ${current.status}, not ${options.expectStatus.join(' or ')}`,
          { details: { deployment: id, status: current.status, expected: [...options.expectStatus] } },
        );
      }
      if (revision !== undefined)
        await this.#versions.require(trx, current.server_id, current.name, revision);
      const at = now();
      const revisionChanged = revision !== undefined && revision !== Number(current.revision);
      const newStatus = status ?? (revisionChanged ? 'pending' : undefined);
      await this.#deployments.update(
        trx,
        id,
        patchColumns(
          current.status,
          {
            status: newStatus,
            desired,
            revision,
            port,
            endpoint,
            processId,
            lastError,
            replicasDesired,
            replicasActual,
          },
          at,
        ),
      );
      if (actor) {
        const changes = Object.fromEntries(
          Object.entries({ status: newStatus, desired, revision, port, endpoint, processId }).filter(
            ([, v]) => v !== undefined,
          ),
        );
        await this.#audit.append(trx, {
          actor,
          action: 'deployment.update',
          target: current.name,
          details: { deployment: id, ...changes },
        });
      }
      return this.#deployments.get(trx, id);
    });
  }

  async deleteDeployment(id: number, options: { actor: string }): Promise<void> {
    checkDeploymentId(id);
    const actor = checkLabel('actor', options?.actor);
    await this.#write(`Deleting deployment ${id}`, async (trx) => {
      const d = await this.#deployments.get(trx, id);
      await this.#deployments.delete(trx, id);
      await this.#audit.append(trx, {
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
      const server = await this.#servers.lock(trx, name);
      requireLive(server, name, 'set its secret references');
      await this.#secretRefs.replace(trx, server.id, checked, now());
      await this.#audit.append(trx, {
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
      const server = await this.#servers.get(db, name);
      return this.#secretRefs.list(db, server.id);
    });
  }

  // ---- capability search

  /** Ranked search (keyword, or hybrid with an embedder) over the tools of current revisions (removed servers excluded). */
  async searchTools(query: string, options: { limit?: number } = {}): Promise<ToolMatch[]> {
    if (typeof query !== 'string') throw invalid('The search query must be a string');
    const limit = Math.min(200, Math.max(1, Math.floor(options.limit ?? 20)));
    return this.#read('Searching tools', (db) => this.#tools.search(db, query, limit));
  }

  /** Counts of hybrid tool search (fused, fallbacks, texts embedded); undefined when search is keyword only. */
  hybridSearchStats(): HybridStats | undefined {
    return this.#tools.hybridStats;
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
      times.set(c, checkTime(c.at));
    }
    if (calls.length === 0) return { recorded: 0 };
    const groups = aggregateCalls(calls, (c) => times.get(c)!);
    await this.#write('Recording tool calls', (trx) => this.#calls.add(trx, groups));
    return { recorded: calls.length };
  }

  /**
   * Calls, errors, error rate and latency percentiles of a server's tools over a window (default: the last
   * hour), per tool and in total. The window is widened to whole minutes. `only` keeps the tools it accepts
   * (the total too counts only those): a caller narrowed to some tools learns nothing of the others.
   */
  async toolStats(
    server: string,
    options: {
      since?: Date | number | string;
      until?: Date | number | string;
      tool?: string;
      only?: (tool: string) => boolean;
    } = {},
  ): Promise<ToolStatsReport> {
    checkServerName(server);
    if (options.tool !== undefined) checkToolName(options.tool);
    const untilMs = options.until === undefined ? Date.now() : checkTime(options.until);
    const sinceMs = options.since === undefined ? untilMs - 60 * MINUTE_MS : checkTime(options.since);
    const from = minuteOf(sinceMs);
    const to = minuteOf(untilMs);
    const only = options.only;
    return this.#read(`Reading call statistics of ${server}`, async (db) => {
      const perTool = await this.#calls.accumulate(db, server, from, to, options.tool);
      if (only) for (const tool of [...perTool.keys()]) if (!only(tool)) perTool.delete(tool);
      return statsReport(server, from, to, perTool);
    });
  }

  /** Delete metrics older than `before` (whole minutes); returns the number of per-minute rows deleted. */
  async pruneMetrics(options: { before: Date | number | string }): Promise<{ deleted: number }> {
    const minute = minuteOf(checkTime(options.before));
    return this.#write('Pruning metrics', async (trx) => ({ deleted: await this.#calls.prune(trx, minute) }));
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
    return this.#write('Writing the audit trail', (trx) => this.#audit.append(trx, input));
  }

  /** Append many entries in one transaction (the gateway's batched call audit). */
  async auditBatch(entries: readonly AuditInput[]): Promise<number> {
    const inputs = entries.map((entry) => ({
      actor: checkLabel('actor', entry?.actor),
      action: checkLabel('action', entry.action, 100),
      target: checkLabel('target', entry.target),
      details: entry.details,
    }));
    return this.#write('Writing the audit trail', (trx) => this.#audit.appendMany(trx, inputs));
  }

  /** Audit entries, newest first. */
  async listAudit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    const limit = Math.min(1000, Math.max(1, Math.floor(filter.limit ?? 100)));
    return this.#read('Reading the audit trail', (db) => this.#audit.list(db, filter, limit));
  }
}

/** Open (and migrate) the registry. Pass a PostgreSQL `url`, or the data directory as `home`. */
export async function openRegistry(options: OpenRegistryOptions): Promise<Registry> {
  const store = await openStore({
    url: options.url,
    home: options.home,
    busyTimeoutMs: options.busyTimeoutMs,
    poolSize: options.poolSize,
  });
  return new Registry(store, options.search ?? 'auto', {
    embedder: options.embedder,
    cooldownMs: options.hybrid?.cooldownMs,
    log: options.hybrid?.log,
  });
}
