/**
 * Startup trigger source: one event per process start, delivered once the transport is up (startTriggers runs
 * after it). Event id = the process start time and pid, so a restarted process runs it again.
 */
import type { TriggerSource } from './types.js';

export function startupSource(trigger: number): TriggerSource {
  let run: Promise<unknown> | undefined;
  return {
    type: 'startup',
    async start(deliver) {
      const started = new Date(Date.now() - Math.round(process.uptime() * 1000)).toISOString();
      run = deliver({
        id: `${started}:${process.pid}`,
        payload: { startedAt: started, pid: process.pid },
        meta: { trigger },
        receivedAt: Date.now(),
      }).catch(() => undefined);
    },
    async stop() {
      await run;
    },
  };
}
