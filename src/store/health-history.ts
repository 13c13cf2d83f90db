/**
 * The registry's health history: stored probe samples of deployments (repositories/health-samples.ts keeps the
 * table small) and the per-server overview the console's servers list reads in one request — the latest sample
 * and the recent call counts of every server, two queries whatever the number of servers.
 */
import { CallsRepository } from './repositories/calls.js';
import {
  type HealthSampleInput,
  type HealthSampleRecord,
  HealthSamplesRepository,
  MAX_SAMPLES_PER_SERVER,
} from './repositories/health-samples.js';
import type { Db, StoreTraits } from './repositories/shared.js';
import { HEALTH_STATES } from './schema.js';
import {
  checkOneOf,
  checkOptionalText,
  checkServerName,
  checkTarget,
  checkTime,
  invalid,
  safeErrorText,
} from './validate.js';

type Reader = <T>(what: string, fn: (db: Db) => Promise<T>) => Promise<T>;
type Writer = <T>(what: string, fn: (trx: Db) => Promise<T>) => Promise<T>;

const MINUTE_MS = 60_000;

/** One server's line of the servers list. */
export interface ServerOverview {
  health: HealthSampleRecord | null;
  calls: number;
  errors: number;
}

export class HealthHistoryStore {
  readonly #samples = new HealthSamplesRepository();
  readonly #calls: CallsRepository;
  readonly #read: Reader;
  readonly #write: Writer;

  constructor(read: Reader, write: Writer, traits: StoreTraits) {
    this.#read = read;
    this.#write = write;
    this.#calls = new CallsRepository(traits);
  }

  /** Store a check (see the repository for when it is skipped); true when stored. */
  async record(sample: HealthSampleInput): Promise<boolean> {
    checkServerName(sample.server);
    if (!Number.isInteger(sample.deploymentId)) throw invalid('Invalid deployment id');
    checkTarget(sample.target);
    checkOneOf('health', sample.health, HEALTH_STATES);
    const checkedAt = new Date(checkTime(sample.checkedAt)).toISOString();
    if (sample.responseMs !== undefined && !(Number.isFinite(sample.responseMs) && sample.responseMs >= 0))
      throw invalid('Invalid response time');
    const detail = safeErrorText(checkOptionalText('detail', sample.detail, 100_000));
    return this.#write(`Recording the health of ${sample.server}`, (trx) =>
      this.#samples.record(trx, { ...sample, checkedAt, detail }),
    );
  }

  /** A server's stored checks since `since`, oldest first (the newest MAX_SAMPLES_PER_SERVER at most). */
  async history(server: string, since: Date | number | string): Promise<HealthSampleRecord[]> {
    checkServerName(server);
    const from = new Date(checkTime(since)).toISOString();
    return this.#read(`Reading the health history of ${server}`, (db) =>
      this.#samples.history(db, server, from, MAX_SAMPLES_PER_SERVER),
    );
  }

  /** Every server's latest check and its calls/errors since `since`: by server name. */
  async overview(since: Date | number | string): Promise<Map<string, ServerOverview>> {
    const fromMinute = Math.floor(checkTime(since) / MINUTE_MS);
    return this.#read('Reading the servers overview', async (db) => {
      const latest = await this.#samples.latestPerServer(db);
      const totals = await this.#calls.totalsByServer(db, fromMinute);
      const out = new Map<string, ServerOverview>();
      for (const name of new Set([...latest.keys(), ...totals.keys()])) {
        const t = totals.get(name);
        out.set(name, { health: latest.get(name) ?? null, calls: t?.calls ?? 0, errors: t?.errors ?? 0 });
      }
      return out;
    });
  }
}
