/**
 * Cron trigger source (croner): fires at each slot of the schedule, in the spec's timezone. A slot whose run is
 * still going is skipped unless `overlap: true` (croner's `protect`). Event id = the slot's scheduled time, so
 * one slot is one idempotency key. `missed: run-once`: at start, if a slot passed since the trigger's last run
 * in the history, one run for the latest missed slot happens right away (`meta.missed: true`).
 */
import { Cron } from 'croner';
import type { Logger } from '../logger.js';
import type { CronDefinition } from './definitions.js';
import type { TriggerDeliver, TriggerSource } from './types.js';

export function cronSource(
  definition: CronDefinition,
  lastRun: () => number | undefined,
  log: Logger,
): TriggerSource {
  let job: Cron | undefined;
  const running = new Set<Promise<unknown>>();
  const fire = (deliver: TriggerDeliver, slot: Date, missed: boolean) => {
    const run = deliver({
      id: slot.toISOString(),
      payload: { scheduledAt: slot.toISOString(), ...(missed ? { missed: true } : {}) },
      meta: { schedule: definition.schedule, ...(missed ? { missed: true } : {}) },
      receivedAt: Date.now(),
    })
      .catch((error: unknown) =>
        log.warn('cron run not finished', { slot: slot.toISOString(), error: (error as Error).message }),
      )
      .finally(() => running.delete(run));
    running.add(run);
    return run;
  };
  return {
    type: 'cron',
    async start(deliver) {
      job = new Cron(
        definition.schedule,
        {
          ...(definition.timezone ? { timezone: definition.timezone } : {}),
          protect: definition.overlap
            ? false
            : () =>
                log.info('cron slot skipped: the previous run is still going', {
                  schedule: definition.schedule,
                }),
          catch: true,
        },
        async (self: Cron) => {
          const slot = self.currentRun() ?? new Date();
          slot.setMilliseconds(0);
          await fire(deliver, slot, false);
        },
      );
      if (definition.missed === 'run-once') {
        const last = lastRun();
        const now = new Date();
        if (last !== undefined) {
          const slots = job.previousRuns(1, now);
          const latest = slots[0];
          if (latest && latest.getTime() > last) void fire(deliver, latest, true);
        }
      }
    },
    async stop() {
      job?.stop();
      job = undefined;
      await Promise.allSettled([...running]);
    },
  };
}
