/**
 * mcpf_deployments: what should run where, one row per (server, target), and what is actually running as
 * reported by the target. Rows are read joined with the server's name.
 */
import type { Selectable, Updateable } from 'kysely';
import type { DeploymentStatus, DeploymentsTable, DesiredState } from '../schema.js';
import type { DeploymentPatch, DeploymentRecord } from '../types.js';
import { type Db, notFound, type StoreTraits } from './shared.js';

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
    replicasDesired: row.replicas_desired === null ? null : Number(row.replicas_desired),
    replicasActual: row.replicas_actual === null ? null : Number(row.replicas_actual),
  };
}

export interface DeploymentQuery {
  server?: string | undefined;
  target?: string | undefined;
  desired?: DesiredState | undefined;
  status?: DeploymentStatus | undefined;
}

export interface NewDeployment {
  serverId: number;
  revision: number;
  target: string;
  desired: DesiredState;
  port: number | null;
  endpoint: string | null;
  at: string;
}

/**
 * The columns a (checked) patch changes: only the fields given, plus the time stamps of a status change —
 * `started_at` when it starts running, `stopped_at` when it stops or fails.
 */
export function patchColumns(
  from: DeploymentStatus,
  patch: DeploymentPatch,
  at: string,
): Updateable<DeploymentsTable> {
  const { status, desired, revision, port, endpoint, processId, lastError, replicasDesired, replicasActual } =
    patch;
  return {
    ...(status !== undefined ? { status } : {}),
    ...(desired !== undefined ? { desired } : {}),
    ...(revision !== undefined ? { revision } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(processId !== undefined ? { process_id: processId } : {}),
    ...(lastError !== undefined ? { last_error: lastError } : {}),
    ...(replicasDesired !== undefined ? { replicas_desired: replicasDesired } : {}),
    ...(replicasActual !== undefined ? { replicas_actual: replicasActual } : {}),
    ...(status === 'running' && from !== 'running' ? { started_at: at, stopped_at: null } : {}),
    ...((status === 'stopped' || status === 'failed') && from !== status ? { stopped_at: at } : {}),
    updated_at: at,
  };
}

export class DeploymentsRepository {
  readonly #traits: StoreTraits;

  constructor(traits: StoreTraits) {
    this.#traits = traits;
  }

  #query(db: Db) {
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
        'd.replicas_desired',
        'd.replicas_actual',
      ]);
  }

  /** The deployment or REGISTRY_NOT_FOUND. */
  async get(db: Db, id: number): Promise<DeploymentRecord> {
    const row = await this.#query(db).where('d.id', '=', id).executeTakeFirst();
    if (!row) throw notFound(`No deployment with id ${id}`, { deployment: id });
    return deploymentRecord(row);
  }

  /** By id. */
  async list(db: Db, filter: DeploymentQuery): Promise<DeploymentRecord[]> {
    let q = this.#query(db);
    if (filter.server) q = q.where('s.name', '=', filter.server);
    if (filter.target) q = q.where('d.target', '=', filter.target);
    if (filter.desired) q = q.where('d.desired', '=', filter.desired);
    if (filter.status) q = q.where('d.status', '=', filter.status);
    return (await q.orderBy('d.id').execute()).map(deploymentRecord);
  }

  /** The deployment of a server on a target, if any. */
  async findByTarget(db: Db, serverId: number, target: string) {
    return db
      .selectFrom('mcpf_deployments')
      .select(['id', 'revision', 'desired', 'status'])
      .where('server_id', '=', serverId)
      .where('target', '=', target)
      .executeTakeFirst();
  }

  /**
   * Inside a write transaction: the deployment with its server's id and name, row-locked on PostgreSQL, or
   * REGISTRY_NOT_FOUND.
   */
  async lock(
    trx: Db,
    id: number,
  ): Promise<{ id: number; server_id: number; name: string; status: DeploymentStatus; revision: number }> {
    let q = trx
      .selectFrom('mcpf_deployments as d')
      .innerJoin('mcpf_servers as s', 's.id', 'd.server_id')
      .select(['d.id', 'd.server_id', 's.name', 'd.status', 'd.revision']);
    if (this.#traits.backend === 'postgres') q = q.forUpdate('d');
    const current = await q.where('d.id', '=', id).executeTakeFirst();
    if (!current) throw notFound(`No deployment with id ${id}`, { deployment: id });
    return current;
  }

  /** A new deployment, `pending`; returns its id. */
  async insert(trx: Db, d: NewDeployment): Promise<number> {
    const row = await trx
      .insertInto('mcpf_deployments')
      .values({
        server_id: d.serverId,
        revision: d.revision,
        target: d.target,
        status: 'pending',
        desired: d.desired,
        port: d.port,
        endpoint: d.endpoint,
        process_id: null,
        last_error: null,
        created_at: d.at,
        updated_at: d.at,
        started_at: null,
        stopped_at: null,
        replicas_desired: null,
        replicas_actual: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  async update(trx: Db, id: number, changes: Updateable<DeploymentsTable>): Promise<void> {
    await trx.updateTable('mcpf_deployments').set(changes).where('id', '=', id).execute();
  }

  async delete(trx: Db, id: number): Promise<void> {
    await trx.deleteFrom('mcpf_deployments').where('id', '=', id).execute();
  }

  /** Set every deployment of a server to desired `stopped`; returns how many changed. */
  async stopAll(trx: Db, serverId: number, at: string): Promise<number> {
    const result = await trx
      .updateTable('mcpf_deployments')
      .set({ desired: 'stopped', updated_at: at })
      .where('server_id', '=', serverId)
      .where('desired', '<>', 'stopped')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}
