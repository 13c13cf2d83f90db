/**
 * Database trigger source: PostgreSQL LISTEN on the spec's channel over its own connection (the URL in the
 * connection's env var). Each NOTIFY is one event (payload parsed as JSON when it is JSON). When the connection
 * drops (server restart, pg_terminate_backend) it reconnects with capped exponential backoff and then delivers
 * one `{ reconnected: true }` event, so the tool can re-scan what was notified while nobody listened.
 */
import type { Client, Notification } from 'pg';
import type { Logger } from '../logger.js';
import type { DatabaseDefinition } from './definitions.js';
import type { TriggerDeliver, TriggerSource } from './types.js';

const MIN_RECONNECT_MS = 250;
const MAX_RECONNECT_MS = 30_000;

/** A channel name as a quoted SQL identifier (doubling quotes; NUL refused). */
export function quoteIdentifier(name: string): string {
  if (name.includes('\u0000')) throw new Error('a channel name cannot contain NUL');
  return `"${name.replace(/"/g, '""')}"`;
}

export function databaseSource(definition: DatabaseDefinition, log: Logger): TriggerSource {
  let client: Client | undefined;
  let stopped = false;
  let sequence = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  const running = new Set<Promise<unknown>>();

  const deliverTracked = (deliver: TriggerDeliver, event: Parameters<TriggerDeliver>[0]) => {
    const run = deliver(event)
      .catch((error: unknown) =>
        log.warn('notification not run', { id: event.id, error: (error as Error).message }),
      )
      .finally(() => running.delete(run));
    running.add(run);
  };

  async function connect(deliver: TriggerDeliver): Promise<void> {
    const url = process.env[definition.urlEnv];
    if (!url) throw new Error(`database trigger on channel ${definition.channel} needs ${definition.urlEnv}`);
    const pg = await import('pg');
    const { Client: PgClient } = (pg.default ?? pg) as unknown as typeof import('pg');
    const next = new PgClient({ connectionString: url, application_name: 'mcp-trigger-listener' });
    next.on('notification', (n: Notification) => {
      if (n.channel !== definition.channel) return;
      let payload: unknown = n.payload ?? null;
      try {
        if (typeof n.payload === 'string' && n.payload !== '') payload = JSON.parse(n.payload);
      } catch {
        // not JSON: the text as sent
      }
      sequence++;
      deliverTracked(deliver, {
        id: `${n.processId}:${Date.now()}:${sequence}`,
        payload,
        meta: { channel: n.channel, processId: n.processId },
        receivedAt: Date.now(),
      });
    });
    let lost = false;
    const onLost = (reason: string) => {
      if (lost || stopped) return;
      lost = true;
      log.warn('database trigger connection lost; reconnecting', { channel: definition.channel, reason });
      next.removeAllListeners('notification');
      void next.end().catch(() => undefined);
      if (client === next) client = undefined;
      scheduleReconnect(deliver, MIN_RECONNECT_MS);
    };
    next.on('error', (error: Error) => onLost(error.message));
    next.on('end', () => onLost('connection ended'));
    try {
      await next.connect();
      await next.query(`LISTEN ${quoteIdentifier(definition.channel)}`);
    } catch (error) {
      lost = true;
      next.removeAllListeners();
      next.on('error', () => undefined);
      await next.end().catch(() => undefined);
      throw error;
    }
    client = next;
  }

  function scheduleReconnect(deliver: TriggerDeliver, delayMs: number): void {
    if (stopped) return;
    retryTimer = setTimeout(
      async () => {
        retryTimer = undefined;
        try {
          await connect(deliver);
          if (stopped) return;
          log.info('database trigger reconnected', { channel: definition.channel });
          sequence++;
          deliverTracked(deliver, {
            id: `reconnected:${Date.now()}:${sequence}`,
            payload: { reconnected: true },
            meta: { channel: definition.channel, reconnected: true },
            receivedAt: Date.now(),
          });
        } catch (error) {
          const wait = Math.min(MAX_RECONNECT_MS, delayMs * 2);
          log.warn('database trigger reconnect failed', {
            channel: definition.channel,
            error: (error as Error).message,
            retryInMs: wait,
          });
          scheduleReconnect(deliver, wait);
        }
      },
      delayMs * (0.5 + Math.random() / 2),
    );
  }

  return {
    type: 'database',
    async start(deliver) {
      stopped = false;
      await connect(deliver);
    },
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      const current = client;
      client = undefined;
      if (current) {
        current.removeAllListeners('notification');
        await current.end().catch(() => undefined);
      }
      await Promise.allSettled([...running]);
    },
  };
}
