/**
 * The registry's share of a factory cluster (docs/cluster.md): several API instances and one supervisor per node
 * (a factory home) over one PostgreSQL registry. Storage only; deploy/cluster.ts decides placement.
 *
 * - nodes: each node's supervisor heartbeats here, stamped with the registry's clock (never a node's own, so
 *   skewed clocks cannot make a live node look dead);
 * - placements: which node runs each local deployment; a supervisor converges only its own;
 * - artifacts: a revision's generated project, so that a node that did not create it can run it;
 * - rate buckets and create reservations: what the API kept in memory, shared by every instance.
 *
 * Deploys of one server are serialised across instances by a PostgreSQL advisory lock held for the whole deploy
 * (withServerLock); SQLite registries are single-machine and keep the in-process behaviour.
 */
import { sql } from 'kysely';
import type { Db } from './repositories/shared.js';
import { now } from './repositories/shared.js';
import type { Backend } from './schema.js';

type Reader = <T>(what: string, fn: (db: Db) => Promise<T>) => Promise<T>;
type Writer = <T>(what: string, fn: (trx: Db) => Promise<T>) => Promise<T>;

export interface NodeRecord {
  name: string;
  url: string | null;
  /** Milliseconds since its last heartbeat, by the registry's clock. */
  silentMs: number;
  startedAt: string;
}

/** The registry's clock in epoch milliseconds, as SQL. */
function clockSql(backend: Backend) {
  return backend === 'postgres'
    ? sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`
    : sql<number>`(CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))`;
}

export class ClusterStore {
  readonly #read: Reader;
  readonly #write: Writer;
  readonly #backend: Backend;
  readonly #db: () => Db;

  constructor(read: Reader, write: Writer, backend: Backend, db: () => Db) {
    this.#read = read;
    this.#write = write;
    this.#backend = backend;
    this.#db = db;
  }

  /** Whether several machines can share this registry (PostgreSQL); SQLite is one machine's. */
  get shared(): boolean {
    return this.#backend === 'postgres';
  }

  /** Record that `node` is alive (and where its API answers). */
  async heartbeat(node: string, url: string | null): Promise<void> {
    const clock = clockSql(this.#backend);
    await this.#write('record a node heartbeat', async (trx) => {
      await trx
        .insertInto('mcpf_nodes')
        .values({ name: node, url, heartbeat_ms: clock, started_at: now() })
        .onConflict((oc) => oc.column('name').doUpdateSet({ url, heartbeat_ms: clock }))
        .execute();
    });
  }

  async nodes(): Promise<NodeRecord[]> {
    return this.#read('list nodes', async (db) => {
      const rows = await db
        .selectFrom('mcpf_nodes')
        .select(['name', 'url', 'heartbeat_ms', 'started_at', clockSql(this.#backend).as('clock')])
        .orderBy('name')
        .execute();
      return rows.map((r) => ({
        name: r.name,
        url: r.url,
        silentMs: Math.max(0, Number(r.clock) - Number(r.heartbeat_ms)),
        startedAt: r.started_at,
      }));
    });
  }

  /** Deployment id → node, for every placed deployment. */
  async placements(): Promise<Map<number, string>> {
    return this.#read('list placements', async (db) => {
      const rows = await db.selectFrom('mcpf_placements').select(['deployment_id', 'node']).execute();
      return new Map(rows.map((r) => [Number(r.deployment_id), r.node] as const));
    });
  }

  /** Put a deployment on `node` (replacing any earlier placement). */
  async place(deploymentId: number, node: string): Promise<void> {
    await this.#write('place a deployment', async (trx) => {
      await trx
        .insertInto('mcpf_placements')
        .values({ deployment_id: deploymentId, node, placed_at: now() })
        .onConflict((oc) => oc.column('deployment_id').doUpdateSet({ node, placed_at: now() }))
        .execute();
    });
  }

  /**
   * Move a deployment from `from` to `to` only if it is still on `from` (compare-and-set: of several nodes taking
   * over a dead node's deployment, one wins). True when this call moved it.
   */
  async move(deploymentId: number, from: string, to: string): Promise<boolean> {
    return this.#write('move a deployment', async (trx) => {
      const result = await trx
        .updateTable('mcpf_placements')
        .set({ node: to, placed_at: now() })
        .where('deployment_id', '=', deploymentId)
        .where('node', '=', from)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    });
  }

  /** Place an unplaced deployment on `node`; returns the node it is on now (the first claim wins). */
  async claim(deploymentId: number, node: string): Promise<string> {
    return this.#write('claim a deployment', async (trx) => {
      await trx
        .insertInto('mcpf_placements')
        .values({ deployment_id: deploymentId, node, placed_at: now() })
        .onConflict((oc) => oc.column('deployment_id').doNothing())
        .execute();
      const row = await trx
        .selectFrom('mcpf_placements')
        .select('node')
        .where('deployment_id', '=', deploymentId)
        .executeTakeFirstOrThrow();
      return row.node;
    });
  }

  /** Per node: its local deployments that should be running (the load placement balances). */
  async load(): Promise<Map<string, number>> {
    return this.#read('count deployments per node', async (db) => {
      const rows = await db
        .selectFrom('mcpf_placements as p')
        .innerJoin('mcpf_deployments as d', 'd.id', 'p.deployment_id')
        .select(['p.node', db.fn.countAll<number>().as('n')])
        .where('d.desired', '=', 'running')
        .where('d.target', '=', 'local')
        .groupBy('p.node')
        .execute();
      return new Map(rows.map((r) => [r.node, Number(r.n)] as const));
    });
  }

  /**
   * Run `fn` while holding the cluster-wide lock of a server's deploys (a session advisory lock on one pooled
   * connection, released however `fn` ends). Other instances deploying the same server wait their turn.
   */
  async withServerLock<T>(server: string, fn: () => Promise<T>): Promise<T> {
    if (this.#backend !== 'postgres') return fn();
    const key = `mcpf_deploy:${server}`;
    return this.#db()
      .connection()
      .execute(async (conn) => {
        await sql`SELECT pg_advisory_lock(hashtext(${key}))`.execute(conn);
        try {
          return await fn();
        } finally {
          await sql`SELECT pg_advisory_unlock(hashtext(${key}))`.execute(conn);
        }
      });
  }

  async hasArtifact(hash: string): Promise<boolean> {
    return this.#read('look up an artifact', async (db) => {
      const row = await db
        .selectFrom('mcpf_artifacts')
        .select('hash')
        .where('hash', '=', hash)
        .executeTakeFirst();
      return row !== undefined;
    });
  }

  /** Store a revision's packed project (a no-op when it is already there: artifacts are content-addressed). */
  async putArtifact(hash: string, server: string, content: Uint8Array): Promise<void> {
    await this.#write('store an artifact', async (trx) => {
      await trx
        .insertInto('mcpf_artifacts')
        .values({ hash, server, content, created_at: now() })
        .onConflict((oc) => oc.column('hash').doNothing())
        .execute();
    });
  }

  async getArtifact(hash: string): Promise<Uint8Array | undefined> {
    return this.#read('read an artifact', async (db) => {
      const row = await db
        .selectFrom('mcpf_artifacts')
        .select('content')
        .where('hash', '=', hash)
        .executeTakeFirst();
      return row?.content;
    });
  }

  /**
   * Take one token from a shared bucket (`capacity` at most, refilled `perMinute`): 0 when taken, else the
   * milliseconds until one is available. One statement, so concurrent instances never both take the last one.
   */
  async takeToken(key: string, capacity: number, perMinute: number): Promise<number> {
    const rate = perMinute / 60_000;
    const clock = clockSql(this.#backend);
    return this.#read('take a rate-limit token', async (db) => {
      const have = sql<number>`LEAST(${capacity}::double precision, mcpf_rate_buckets.tokens + (${clock} - mcpf_rate_buckets.at_ms) * ${rate}::double precision)`;
      const taken = await sql<{ tokens: number }>`
        INSERT INTO mcpf_rate_buckets (key, tokens, at_ms) VALUES (${key}, ${capacity - 1}, ${clock})
        ON CONFLICT (key) DO UPDATE SET tokens = ${have} - 1, at_ms = ${clock}
        WHERE ${have} >= 1
        RETURNING tokens`.execute(db);
      if (taken.rows.length > 0) return 0;
      const row = await sql<{ have: number }>`
        SELECT ${have} AS have FROM mcpf_rate_buckets WHERE key = ${key}`.execute(db);
      const tokens = Number(row.rows[0]?.have ?? 0);
      return Math.max(1, Math.ceil((1 - tokens) / rate));
    });
  }

  /**
   * Reserve the creation of a new server for `principal` until `ttlMs` from now: false when another creation
   * of that name is in flight anywhere (an expired reservation, left by a killed instance, is taken over).
   */
  async reserveCreate(server: string, principal: string, ttlMs: number): Promise<boolean> {
    const clock = clockSql(this.#backend);
    return this.#write('reserve a creation', async (trx) => {
      await trx
        .deleteFrom('mcpf_create_reservations')
        .where('server', '=', server)
        .where('expires_ms', '<', clock)
        .execute();
      const added = await trx
        .insertInto('mcpf_create_reservations')
        .values({ server, principal, expires_ms: sql<number>`${clock} + ${ttlMs}` })
        .onConflict((oc) => oc.column('server').doNothing())
        .executeTakeFirst();
      return Number(added.numInsertedOrUpdatedRows ?? 0) === 1;
    });
  }

  /** The servers `principal` is creating right now on any instance. */
  async pendingCreates(principal: string): Promise<string[]> {
    const clock = clockSql(this.#backend);
    return this.#read('list creations in flight', async (db) => {
      const rows = await db
        .selectFrom('mcpf_create_reservations')
        .select('server')
        .where('principal', '=', principal)
        .where('expires_ms', '>=', clock)
        .execute();
      return rows.map((r) => r.server).sort();
    });
  }

  async releaseCreate(server: string, principal: string): Promise<void> {
    await this.#write('release a creation', async (trx) => {
      await trx
        .deleteFrom('mcpf_create_reservations')
        .where('server', '=', server)
        .where('principal', '=', principal)
        .execute();
    });
  }
}
