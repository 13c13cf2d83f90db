/**
 * mcpf_health_samples: the stored health checks of deployments, kept small on write. A sample is stored when
 * the deployment's state changed since its latest stored sample, or when that sample is at least
 * SAMPLE_INTERVAL_MS old (so a steady server costs one row a minute); each write prunes the server's samples
 * older than RETENTION_MS and beyond MAX_SAMPLES_PER_SERVER.
 */
import type { Selectable } from 'kysely';
import type { HealthSamplesTable, HealthState } from '../schema.js';
import type { Db } from './shared.js';

export const SAMPLE_INTERVAL_MS = 60_000;
export const RETENTION_MS = 7 * 24 * 60 * 60_000;
export const MAX_SAMPLES_PER_SERVER = 10_000;

export interface HealthSampleInput {
  server: string;
  deploymentId: number;
  target: string;
  health: HealthState;
  /** ISO-8601 UTC. */
  checkedAt: string;
  responseMs?: number | undefined;
  detail?: string | null | undefined;
}

export interface HealthSampleRecord {
  server: string;
  deploymentId: number;
  target: string;
  health: HealthState;
  checkedAt: string;
  responseMs: number | null;
  detail: string | null;
}

function sampleOf(row: Selectable<HealthSamplesTable>): HealthSampleRecord {
  return {
    server: row.server,
    deploymentId: Number(row.deployment_id),
    target: row.target,
    health: row.health,
    checkedAt: row.checked_at,
    responseMs: row.response_ms === null ? null : Number(row.response_ms),
    detail: row.detail,
  };
}

/** How much the table keeps (tests shrink them). */
export interface HealthSampleLimits {
  intervalMs: number;
  retentionMs: number;
  maxPerServer: number;
}

const DEFAULT_LIMITS: HealthSampleLimits = {
  intervalMs: SAMPLE_INTERVAL_MS,
  retentionMs: RETENTION_MS,
  maxPerServer: MAX_SAMPLES_PER_SERVER,
};

export class HealthSamplesRepository {
  readonly #limits: HealthSampleLimits;

  constructor(limits: Partial<HealthSampleLimits> = {}) {
    this.#limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Store `sample` unless it repeats the deployment's latest state within the interval; true when stored. */
  async record(trx: Db, sample: HealthSampleInput): Promise<boolean> {
    const latest = await trx
      .selectFrom('mcpf_health_samples')
      .select(['health', 'checked_at'])
      .where('deployment_id', '=', sample.deploymentId)
      .orderBy('checked_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (latest) {
      const age = Date.parse(sample.checkedAt) - Date.parse(latest.checked_at);
      // A repeat of the stored state (or an older check arriving late): nothing new to keep.
      if (age < 0 || (latest.health === sample.health && age < this.#limits.intervalMs)) return false;
    }
    await trx
      .insertInto('mcpf_health_samples')
      .values({
        server: sample.server,
        deployment_id: sample.deploymentId,
        target: sample.target,
        health: sample.health,
        checked_at: sample.checkedAt,
        response_ms: sample.responseMs ?? null,
        detail: sample.detail ?? null,
      })
      .execute();
    await this.#prune(trx, sample.server, Date.parse(sample.checkedAt));
    return true;
  }

  async #prune(trx: Db, server: string, nowMs: number): Promise<void> {
    await trx
      .deleteFrom('mcpf_health_samples')
      .where('server', '=', server)
      .where('checked_at', '<', new Date(nowMs - this.#limits.retentionMs).toISOString())
      .execute();
    const oldestKept = await trx
      .selectFrom('mcpf_health_samples')
      .select(['checked_at', 'id'])
      .where('server', '=', server)
      .orderBy('checked_at', 'desc')
      .orderBy('id', 'desc')
      .offset(this.#limits.maxPerServer - 1)
      .limit(1)
      .executeTakeFirst();
    if (oldestKept)
      await trx
        .deleteFrom('mcpf_health_samples')
        .where('server', '=', server)
        .where((eb) =>
          eb.or([
            eb('checked_at', '<', oldestKept.checked_at),
            eb.and([eb('checked_at', '=', oldestKept.checked_at), eb('id', '<', oldestKept.id)]),
          ]),
        )
        .execute();
  }

  /** A server's samples checked at or after `since`, oldest first (at most `limit`, the newest ones). */
  async history(db: Db, server: string, since: string, limit: number): Promise<HealthSampleRecord[]> {
    const rows = await db
      .selectFrom('mcpf_health_samples')
      .selectAll()
      .where('server', '=', server)
      .where('checked_at', '>=', since)
      .orderBy('checked_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.reverse().map(sampleOf);
  }

  /** The newest sample of every server, in one query. */
  async latestPerServer(db: Db): Promise<Map<string, HealthSampleRecord>> {
    const rows = await db
      .selectFrom('mcpf_health_samples as s')
      .innerJoin(
        (eb) =>
          eb
            .selectFrom('mcpf_health_samples')
            .select((e) => ['server', e.fn.max<number>('checked_at').as('latest')])
            .groupBy('server')
            .as('m'),
        (join) => join.onRef('m.server', '=', 's.server').onRef('m.latest', '=', 's.checked_at'),
      )
      .selectAll('s')
      .orderBy('s.id', 'asc')
      .execute();
    // Two samples at the same instant: the later insert wins.
    return new Map(rows.map((r) => [r.server, sampleOf(r)]));
  }
}
