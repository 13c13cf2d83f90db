/**
 * The registry's toolsmith tables: runs (the durable checkpoint of each question's pipeline) and their
 * append-only events. Storage only: what a node does and who may decide is src/toolsmith's. Every change of a
 * run is conditional — on the lease its worker holds, or on the state a decision expects — so two processes
 * (or two reviewers) never both move one run, and the event that explains a change is written in the same
 * transaction as the change.
 */
import type { Selectable } from 'kysely';
import { FactoryError } from '../core/errors/index.js';
import { type Db, now, parseJson } from './repositories/shared.js';
import type { RunStatus, ToolState, ToolsmithEventsTable, ToolsmithRunsTable } from './schema.js';
import { checkJson, invalid } from './validate.js';

const MAX_STATE_BYTES = 8 * 1024 * 1024;
const MAX_DETAILS_BYTES = 64 * 1024;

export interface RunRecord {
  id: string;
  question: string;
  status: RunStatus;
  toolState: ToolState;
  node: string;
  state: Record<string, unknown>;
  toolName: string | null;
  toolVersion: number | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  leaseOwner: string | null;
  leaseUntil: string | null;
  error: string | null;
}

export interface RunEventRecord {
  id: number;
  runId: string;
  at: string;
  actor: string;
  kind: string;
  node: string | null;
  fromState: string | null;
  toState: string | null;
  note: string | null;
  details: Record<string, unknown> | null;
}

export interface RunEventInput {
  actor: string;
  kind: string;
  node?: string | null | undefined;
  fromState?: string | null | undefined;
  toState?: string | null | undefined;
  note?: string | null | undefined;
  details?: Record<string, unknown> | undefined;
}

export interface RunPatch {
  node?: string;
  state?: Record<string, unknown>;
  status?: RunStatus;
  toolState?: ToolState;
  toolName?: string | null;
  toolVersion?: number | null;
  error?: string | null;
}

export interface RunFilter {
  status?: RunStatus | undefined;
  toolState?: ToolState | undefined;
  toolName?: string | undefined;
  createdBy?: string | undefined;
  limit?: number | undefined;
}

/** What a conditional change expects to find; a mismatch is a TOOLSMITH_CONFLICT. */
export interface RunExpectation {
  node?: string | undefined;
  status?: RunStatus | undefined;
  toolState?: ToolState | readonly ToolState[] | undefined;
}

type Reader = <T>(what: string, fn: (db: Db) => Promise<T>) => Promise<T>;
type Writer = <T>(what: string, fn: (trx: Db) => Promise<T>) => Promise<T>;

/**
 * The checkpoint as JSON within its size limit. Unlike other registry JSON it is not refused for values that
 * look like secrets: it holds rows of the user's own dataset, which may contain anything.
 */
function stateJson(state: Record<string, unknown>): string {
  const text = JSON.stringify(state);
  if (Buffer.byteLength(text) > MAX_STATE_BYTES)
    throw invalid(`Invalid toolsmith state: larger than ${MAX_STATE_BYTES} bytes`);
  return text;
}

function runRecord(row: Selectable<ToolsmithRunsTable>): RunRecord {
  const state = parseJson(row.state);
  return {
    id: row.id,
    question: row.question,
    status: row.status,
    toolState: row.tool_state,
    node: row.node,
    state: state && typeof state === 'object' ? (state as Record<string, unknown>) : {},
    toolName: row.tool_name,
    toolVersion: row.tool_version === null ? null : Number(row.tool_version),
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until,
    error: row.error,
  };
}

function eventRecord(row: Selectable<ToolsmithEventsTable>): RunEventRecord {
  const details = row.details === null ? null : parseJson(row.details);
  return {
    id: Number(row.id),
    runId: row.run_id,
    at: row.at,
    actor: row.actor,
    kind: row.kind,
    node: row.node,
    fromState: row.from_state,
    toState: row.to_state,
    note: row.note,
    details: details && typeof details === 'object' ? (details as Record<string, unknown>) : null,
  };
}

function notFound(id: string): FactoryError {
  return new FactoryError('TOOLSMITH_RUN_NOT_FOUND', `no toolsmith run ${JSON.stringify(id)}`, {
    details: { run: id },
  });
}

export class ToolsmithStore {
  readonly #read: Reader;
  readonly #write: Writer;

  constructor(read: Reader, write: Writer) {
    this.#read = read;
    this.#write = write;
  }

  async createRun(input: {
    id: string;
    question: string;
    node: string;
    state: Record<string, unknown>;
    actor: string;
  }): Promise<RunRecord> {
    const state = stateJson(input.state);
    return this.#write('create toolsmith run', async (trx) => {
      const at = now();
      const row = await trx
        .insertInto('mcpf_toolsmith_runs')
        .values({
          id: input.id,
          question: input.question,
          status: 'running',
          tool_state: 'DRAFT',
          node: input.node,
          state,
          tool_name: null,
          tool_version: null,
          created_by: input.actor,
          created_at: at,
          updated_at: at,
          lease_owner: null,
          lease_until: null,
          error: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await appendEvent(trx, input.id, { actor: input.actor, kind: 'created', toState: 'DRAFT' });
      return runRecord(row);
    });
  }

  async getRun(id: string): Promise<RunRecord> {
    const row = await this.#read('read toolsmith run', (db) =>
      db.selectFrom('mcpf_toolsmith_runs').selectAll().where('id', '=', id).executeTakeFirst(),
    );
    if (!row) throw notFound(id);
    return runRecord(row);
  }

  /** Newest first. */
  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
    const rows = await this.#read('list toolsmith runs', (db) => {
      let q = db.selectFrom('mcpf_toolsmith_runs').selectAll();
      if (filter.status) q = q.where('status', '=', filter.status);
      if (filter.toolState) q = q.where('tool_state', '=', filter.toolState);
      if (filter.toolName) q = q.where('tool_name', '=', filter.toolName);
      if (filter.createdBy) q = q.where('created_by', '=', filter.createdBy);
      return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    });
    return rows.map(runRecord);
  }

  /** Runs a worker should pick up: running, and nobody holds a live lease on them. */
  async resumable(at: Date = new Date()): Promise<string[]> {
    const stamp = at.toISOString();
    const rows = await this.#read('list resumable toolsmith runs', (db) =>
      db
        .selectFrom('mcpf_toolsmith_runs')
        .select('id')
        .where('status', '=', 'running')
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', stamp)]))
        .orderBy('updated_at')
        .limit(100)
        .execute(),
    );
    return rows.map((r) => r.id);
  }

  /**
   * Take (or extend) the lease of a running run for `owner`; undefined when another live worker holds it or
   * the run is not running.
   */
  async claim(id: string, owner: string, leaseMs: number): Promise<RunRecord | undefined> {
    const at = new Date();
    return this.#write('claim toolsmith run', async (trx) => {
      const result = await trx
        .updateTable('mcpf_toolsmith_runs')
        .set({ lease_owner: owner, lease_until: new Date(at.getTime() + leaseMs).toISOString() })
        .where('id', '=', id)
        .where('status', '=', 'running')
        .where((eb) =>
          eb.or([
            eb('lease_owner', 'is', null),
            eb('lease_owner', '=', owner),
            eb('lease_until', '<', at.toISOString()),
          ]),
        )
        .returningAll()
        .executeTakeFirst();
      return result ? runRecord(result) : undefined;
    });
  }

  /**
   * Record what a node produced, if `owner` still holds the lease (false otherwise: another worker took the run
   * over and this result is dropped). The lease is kept while the run stays running, released otherwise.
   */
  async checkpoint(
    id: string,
    owner: string,
    patch: RunPatch,
    event: RunEventInput,
    leaseMs: number,
  ): Promise<RunRecord | undefined> {
    return this.#write('checkpoint toolsmith run', async (trx) => {
      const at = new Date();
      const running = (patch.status ?? 'running') === 'running';
      const row = await trx
        .updateTable('mcpf_toolsmith_runs')
        .set({
          ...columns(patch),
          updated_at: at.toISOString(),
          lease_owner: running ? owner : null,
          lease_until: running ? new Date(at.getTime() + leaseMs).toISOString() : null,
        })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .where('status', '=', 'running')
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      await appendEvent(trx, id, event);
      return runRecord(row);
    });
  }

  /** Let go of a lease without changing the run (a worker shutting down). */
  async release(id: string, owner: string): Promise<void> {
    await this.#write('release toolsmith run', (trx) =>
      trx
        .updateTable('mcpf_toolsmith_runs')
        .set({ lease_owner: null, lease_until: null })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .execute(),
    );
  }

  /**
   * A decision on a run (approval, rejection, archive): applied only when the run is as `expect` says, in one
   * transaction with its event. TOOLSMITH_CONFLICT when it is not (someone decided first, or the run moved on).
   */
  async transition(
    id: string,
    expect: RunExpectation,
    patch: RunPatch,
    event: RunEventInput,
  ): Promise<RunRecord> {
    return this.#write('change toolsmith run', async (trx) => {
      let q = trx
        .updateTable('mcpf_toolsmith_runs')
        .set({ ...columns(patch), updated_at: now() })
        .where('id', '=', id);
      if (expect.node !== undefined) q = q.where('node', '=', expect.node);
      if (expect.status !== undefined) q = q.where('status', '=', expect.status);
      if (expect.toolState !== undefined) {
        const states = typeof expect.toolState === 'string' ? [expect.toolState] : [...expect.toolState];
        q = q.where('tool_state', 'in', states);
      }
      const row = await q.returningAll().executeTakeFirst();
      if (!row) {
        const current = await trx
          .selectFrom('mcpf_toolsmith_runs')
          .select(['node', 'status', 'tool_state'])
          .where('id', '=', id)
          .executeTakeFirst();
        if (!current) throw notFound(id);
        throw new FactoryError(
          'TOOLSMITH_CONFLICT',
          `run ${id} is ${current.status} at ${current.node} (${current.tool_state}), not where this change expects it`,
          {
            details: {
              run: id,
              node: current.node,
              status: current.status,
              toolState: current.tool_state,
              expect,
            },
          },
        );
      }
      await appendEvent(trx, id, event);
      return runRecord(row);
    });
  }

  async events(id: string): Promise<RunEventRecord[]> {
    const rows = await this.#read('read toolsmith events', (db) =>
      db
        .selectFrom('mcpf_toolsmith_events')
        .selectAll()
        .where('run_id', '=', id)
        .orderBy('id')
        .limit(1000)
        .execute(),
    );
    return rows.map(eventRecord);
  }

  /** The next version number of a tool name (1 for a new name). */
  async nextToolVersion(toolName: string): Promise<number> {
    const row = await this.#read('read tool versions', (db) =>
      db
        .selectFrom('mcpf_toolsmith_runs')
        .select((eb) => eb.fn.max('tool_version').as('v'))
        .where('tool_name', '=', toolName)
        .where('tool_state', 'in', ['PROMOTED', 'ARCHIVED'])
        .executeTakeFirst(),
    );
    return Number(row?.v ?? 0) + 1;
  }
}

type RunColumns = Partial<{
  node: string;
  state: string;
  status: RunStatus;
  tool_state: ToolState;
  tool_name: string | null;
  tool_version: number | null;
  error: string | null;
}>;

function columns(patch: RunPatch): RunColumns {
  const out: RunColumns = {};
  if (patch.node !== undefined) out.node = patch.node;
  if (patch.state !== undefined) out.state = stateJson(patch.state);
  if (patch.status !== undefined) out.status = patch.status;
  if (patch.toolState !== undefined) out.tool_state = patch.toolState;
  if (patch.toolName !== undefined) out.tool_name = patch.toolName;
  if (patch.toolVersion !== undefined) out.tool_version = patch.toolVersion;
  if (patch.error !== undefined) out.error = patch.error;
  return out;
}

async function appendEvent(trx: Db, runId: string, event: RunEventInput): Promise<void> {
  await trx
    .insertInto('mcpf_toolsmith_events')
    .values({
      run_id: runId,
      at: now(),
      actor: event.actor,
      kind: event.kind,
      node: event.node ?? null,
      from_state: event.fromState ?? null,
      to_state: event.toState ?? null,
      note: event.note ?? null,
      details:
        event.details === undefined ? null : checkJson('toolsmith event', event.details, MAX_DETAILS_BYTES),
    })
    .execute();
}
