/**
 * The registry's trigger history: one row per attempt of a trigger run of a deployed server, imported from the
 * server's history file, and how far that file was read. Storage only: reading the file is
 * deploy/trigger-history.ts's. An import is conditional on the read position it started from (compare-and-set),
 * so two factory processes importing the same file never both advance it, and a line read twice is absorbed by
 * the table's unique key. Each server keeps its newest MAX_RUNS_PER_SERVER rows.
 */
import type { Selectable } from 'kysely';
import type { Db } from './repositories/shared.js';
import { now } from './repositories/shared.js';
import type { TriggerOutcome, TriggerRunsTable } from './schema.js';

export const MAX_RUNS_PER_SERVER = 10_000;

export interface TriggerRun {
  server: string;
  trigger: number;
  type: string;
  tool: string;
  key: string;
  inputHash: string;
  attempt: number;
  outcome: TriggerOutcome;
  startedAt: string;
  durationMs: number;
  error: string | null;
}

/** Where the import of a server's history file stands. */
export interface TriggerReadPosition {
  fileId: string;
  bytesRead: number;
}

export interface TriggerRunFilter {
  trigger?: number | undefined;
  outcome?: TriggerOutcome | undefined;
  limit?: number | undefined;
}

/** Per trigger of a server: counts by outcome and the newest attempt. */
export interface TriggerSummary {
  trigger: number;
  type: string;
  tool: string;
  counts: Record<TriggerOutcome, number>;
  lastStartedAt: string;
  lastOutcome: TriggerOutcome;
}

type Reader = <T>(what: string, fn: (db: Db) => Promise<T>) => Promise<T>;
type Writer = <T>(what: string, fn: (trx: Db) => Promise<T>) => Promise<T>;

function runOf(row: Selectable<TriggerRunsTable>): TriggerRun {
  return {
    server: row.server,
    trigger: Number(row.trigger_index),
    type: row.type,
    tool: row.tool,
    key: row.key,
    inputHash: row.input_hash,
    attempt: Number(row.attempt),
    outcome: row.outcome,
    startedAt: row.started_at,
    durationMs: Number(row.duration_ms),
    error: row.error,
  };
}

export class TriggerHistoryStore {
  readonly #read: Reader;
  readonly #write: Writer;

  constructor(read: Reader, write: Writer) {
    this.#read = read;
    this.#write = write;
  }

  async position(server: string): Promise<TriggerReadPosition | undefined> {
    return this.#read('read trigger history position', async (db) => {
      const row = await db
        .selectFrom('mcpf_trigger_offsets')
        .select(['file_id', 'bytes_read'])
        .where('server', '=', server)
        .executeTakeFirst();
      return row ? { fileId: row.file_id, bytesRead: Number(row.bytes_read) } : undefined;
    });
  }

  /**
   * Add `runs` and move the read position from `from` (undefined: never read) to `to`, in one transaction.
   * False, with nothing written, when another process moved the position first.
   */
  async import(
    server: string,
    from: TriggerReadPosition | undefined,
    to: TriggerReadPosition,
    runs: readonly TriggerRun[],
  ): Promise<boolean> {
    return this.#write('import trigger history', async (trx) => {
      const at = now();
      if (from) {
        const moved = await trx
          .updateTable('mcpf_trigger_offsets')
          .set({ file_id: to.fileId, bytes_read: to.bytesRead, updated_at: at })
          .where('server', '=', server)
          .where('file_id', '=', from.fileId)
          .where('bytes_read', '=', from.bytesRead)
          .executeTakeFirst();
        if (Number(moved.numUpdatedRows) !== 1) return false;
      } else {
        const added = await trx
          .insertInto('mcpf_trigger_offsets')
          .values({ server, file_id: to.fileId, bytes_read: to.bytesRead, updated_at: at })
          .onConflict((oc) => oc.column('server').doNothing())
          .executeTakeFirst();
        if (Number(added.numInsertedOrUpdatedRows ?? 0) !== 1) return false;
      }
      for (let i = 0; i < runs.length; i += 200) {
        await trx
          .insertInto('mcpf_trigger_runs')
          .values(
            runs.slice(i, i + 200).map((r) => ({
              server,
              trigger_index: r.trigger,
              type: r.type,
              tool: r.tool,
              key: r.key,
              input_hash: r.inputHash,
              attempt: r.attempt,
              outcome: r.outcome,
              started_at: r.startedAt,
              duration_ms: r.durationMs,
              error: r.error,
            })),
          )
          .onConflict((oc) =>
            oc.columns(['server', 'trigger_index', 'key', 'attempt', 'started_at']).doNothing(),
          )
          .execute();
      }
      if (runs.length) await this.#prune(trx, server);
      return true;
    });
  }

  /** Keep the newest MAX_RUNS_PER_SERVER rows of a server. */
  async #prune(trx: Db, server: string): Promise<void> {
    const edge = await trx
      .selectFrom('mcpf_trigger_runs')
      .select('id')
      .where('server', '=', server)
      .orderBy('id', 'desc')
      .offset(MAX_RUNS_PER_SERVER)
      .limit(1)
      .executeTakeFirst();
    if (edge)
      await trx
        .deleteFrom('mcpf_trigger_runs')
        .where('server', '=', server)
        .where('id', '<=', edge.id)
        .execute();
  }

  /** Newest first. */
  async list(server: string, filter: TriggerRunFilter = {}): Promise<TriggerRun[]> {
    return this.#read('list trigger runs', async (db) => {
      let q = db.selectFrom('mcpf_trigger_runs').selectAll().where('server', '=', server);
      if (filter.trigger !== undefined) q = q.where('trigger_index', '=', filter.trigger);
      if (filter.outcome !== undefined) q = q.where('outcome', '=', filter.outcome);
      const rows = await q
        .orderBy('started_at', 'desc')
        .orderBy('id', 'desc')
        .limit(Math.min(Math.max(filter.limit ?? 100, 1), 1000))
        .execute();
      return rows.map(runOf);
    });
  }

  async summary(server: string): Promise<TriggerSummary[]> {
    return this.#read('summarize trigger runs', async (db) => {
      const counts = await db
        .selectFrom('mcpf_trigger_runs')
        .select((eb) => ['trigger_index', 'outcome', eb.fn.countAll<number>().as('n')])
        .where('server', '=', server)
        .groupBy(['trigger_index', 'outcome'])
        .execute();
      const byTrigger = new Map<number, TriggerSummary>();
      for (const c of counts) {
        const trigger = Number(c.trigger_index);
        let s = byTrigger.get(trigger);
        if (!s) {
          const last = await db
            .selectFrom('mcpf_trigger_runs')
            .selectAll()
            .where('server', '=', server)
            .where('trigger_index', '=', trigger)
            .orderBy('started_at', 'desc')
            .orderBy('id', 'desc')
            .limit(1)
            .executeTakeFirstOrThrow();
          s = {
            trigger,
            type: last.type,
            tool: last.tool,
            counts: { succeeded: 0, failed: 0, duplicate: 0, 'dead-lettered': 0 },
            lastStartedAt: last.started_at,
            lastOutcome: last.outcome,
          };
          byTrigger.set(trigger, s);
        }
        s.counts[c.outcome] = Number(c.n);
      }
      return [...byTrigger.values()].sort((a, b) => a.trigger - b.trigger);
    });
  }

  /** Forget a server's history (its removal). */
  async forget(server: string): Promise<void> {
    await this.#write('forget trigger history', async (trx) => {
      await trx.deleteFrom('mcpf_trigger_runs').where('server', '=', server).execute();
      await trx.deleteFrom('mcpf_trigger_offsets').where('server', '=', server).execute();
    });
  }
}
