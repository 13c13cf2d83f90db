/**
 * Runs the attack corpus through the runtime's real query path (runQuery → dialect guard → real driver →
 * real database) and checks each case by its effect: canary checksum, objects, locks, files, and a follow-up
 * call still answered. Read-only analytics must keep returning the same row counts as direct SQL.
 */
import { existsSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery, type SqlDatabase, type SqlKind } from '../../runtime/sql.js';
import { analytics, attacks, type Dialect, FILE } from './corpus.js';

export interface GuardTarget {
  db: SqlDatabase;
  kind: SqlKind;
  /** Everything an attack could change, as one comparable value (checksums, counts, locks, sequences). */
  state(): Promise<unknown>;
  /** Row count of `sql` run directly (params as given). */
  direct(sql: string, params: unknown[]): Promise<number>;
  close(): Promise<void>;
}

export function guardSuite(dialect: Dialect, open: () => Promise<GuardTarget>): void {
  describe(`${dialect}: query guard against the attack corpus`, () => {
    let target: GuardTarget;
    const def = () => ({ connection: 'db', maxRows: 1000, timeoutMs: 2000, dialect: target.kind });
    const query = (sql: string, params: unknown[] = []) =>
      runQuery(target.db, def(), { sql, params }) as Promise<{ rows: unknown[] }>;

    beforeAll(async () => {
      rmSync(FILE, { force: true });
      target = await open();
    });
    afterAll(async () => {
      await target?.close();
      rmSync(FILE, { force: true });
    });

    it.each(attacks(dialect).map((a) => [a.class, a.sql] as const))('%s: %s', async (_class, sql) => {
      const before = await target.state();
      const t0 = performance.now();
      const outcome = await query(sql).then(
        () => 'ran',
        () => 'refused',
      );
      expect(performance.now() - t0, 'refused quickly').toBeLessThan(5000);
      expect(await target.state(), 'nothing changed').toEqual(before);
      expect(existsSync(FILE), 'no file written').toBe(false);
      expect((await query('SELECT 1 AS one')).rows, 'still answering').toEqual([{ one: 1 }]);
      expect(outcome).toBe('refused');
    });

    it.each(analytics(dialect))('runs read-only analytics: %s', async (sql) => {
      const params = /\?|\$1/.test(sql) ? [2] : [];
      const res = await query(sql, params);
      expect(res.rows.length).toBe(await target.direct(sql, params));
    });
  });
}
