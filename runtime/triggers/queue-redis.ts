/**
 * Queue trigger source for Redis Streams (ioredis). Reads `settings.topic` through a consumer group (created with
 * MKSTREAM when missing, from the stream's start so nothing written before the first run is lost), hands each entry
 * to `deliver` and XACKs only after `deliver` resolved. Entries another consumer left pending longer than
 * `claimIdleMs` are taken over with XAUTOCLAIM, so a dead consumer's messages still run; entries being run here
 * are touched (XCLAIM JUSTID) so a long run is never taken over while alive. `dead-lettered` entries
 * (and oversized ones, which are never run) are XADDed to `<stream>:dead` before the XACK. When `deliver` rejects
 * (the runner is stopping) the entry stays pending and is reclaimed later. The URL (it may hold a password) is
 * never logged: only its host.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import {
  CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_PAYLOAD_BYTES,
  hostOf,
  numberOption,
  parseBody,
  stringOption,
} from './queue-common.js';
import type { QueueTriggerSettings, TriggerDeliver, TriggerEvent, TriggerSource } from './types.js';

const DEFAULT_GROUP = 'mcp-triggers';
const DEFAULT_BATCH = 10;
const DEFAULT_CLAIM_IDLE_MS = 60_000;
/** How long one XREADGROUP blocks: bounds how quickly `stop()` and reclaim passes get their turn. */
const BLOCK_MS = 1_000;

type StreamEntry = [id: string, fields: string[]];

export function source(settings: QueueTriggerSettings, url: string, log: Logger): TriggerSource {
  const options = settings.options;
  const stream = settings.topic;
  const deadStream = `${stream}:dead`;
  const group = stringOption(options.group) ?? DEFAULT_GROUP;
  // Unique per process: two replicas (or a restarted server) never share a pending-entries list.
  const consumer = `${stringOption(options.consumer) ?? 'mcp'}-${hostname()}-${process.pid}-${randomSuffix()}`;
  const batch = numberOption(options.prefetch) ?? DEFAULT_BATCH;
  const claimIdleMs = numberOption(options.claimIdleMs) ?? DEFAULT_CLAIM_IDLE_MS;
  const maxPayloadBytes = numberOption(options.maxPayloadBytes) ?? DEFAULT_MAX_PAYLOAD_BYTES;
  const host = hostOf(url);
  const sourceLog = log.child({ trigger: 'queue', broker: 'redis', host, stream, group, consumer });

  let reader: Redis | undefined;
  let writer: Redis | undefined;
  let running = false;
  let loop: Promise<void> | undefined;
  const inFlight = new Set<Promise<void>>();
  /** Entry ids being run here: kept fresh so no one reclaims them, and never reclaimed by this process itself. */
  const runningIds = new Set<string>();
  let touchTimer: NodeJS.Timeout | undefined;

  const connect = async (name: string): Promise<Redis> => {
    const client = new Redis(url, {
      lazyConnect: true,
      connectionName: name,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // Commands wait for the reconnect instead of failing: the read loop survives a broker restart.
      maxRetriesPerRequest: null,
      retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 5_000),
    });
    client.on('error', (error: Error) => sourceLog.warn('redis connection error', { error: error.message }));
    try {
      await client.connect();
    } catch (error) {
      client.disconnect();
      throw new Error(`queue trigger: cannot connect to Redis at ${host}: ${(error as Error).message}`);
    }
    return client;
  };

  const ensureGroup = async (client: Redis): Promise<void> => {
    try {
      await client.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
    } catch (error) {
      if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
    }
  };

  const handle = async (deliver: TriggerDeliver, entry: StreamEntry, redeliveries: number): Promise<void> => {
    const [id, fields] = entry;
    const out = writer;
    if (!out) return;
    const size = fields.reduce((sum, value) => sum + Buffer.byteLength(value), 0);
    if (size > maxPayloadBytes) {
      sourceLog.warn('oversized entry dead-lettered without running', { id, bytes: size, maxPayloadBytes });
      await out.xadd(
        deadStream,
        '*',
        'id',
        id,
        'reason',
        'payload too large',
        'fields',
        JSON.stringify(fields),
      );
      await out.xack(stream, group, id);
      return;
    }
    const message = messageOf(fields);
    const event: TriggerEvent = {
      id: `${stream}:${id}`,
      payload: message.payload,
      meta: { stream, entryId: id, group, fields: message.extra },
      receivedAt: Date.now(),
      redeliveries,
    };
    let outcome: Awaited<ReturnType<TriggerDeliver>>;
    runningIds.add(id);
    try {
      outcome = await deliver(event);
    } catch {
      return; // the runner is stopping: leave the entry pending for a later reclaim
    } finally {
      runningIds.delete(id);
    }
    if (outcome === 'dead-lettered') {
      await out.xadd(deadStream, '*', 'id', id, 'reason', 'dead-lettered', 'fields', JSON.stringify(fields));
    }
    await out.xack(stream, group, id);
  };

  const track = (work: Promise<void>): Promise<void> => {
    const guarded = work.catch((error: Error) =>
      sourceLog.error('redis entry handling failed; it stays pending', { error: error.message }),
    );
    inFlight.add(guarded);
    void guarded.finally(() => inFlight.delete(guarded));
    return guarded;
  };

  /** Takes over entries idle longer than claimIdleMs (a dead consumer's) and runs them. */
  const reclaim = async (deliver: TriggerDeliver, client: Redis): Promise<void> => {
    let cursor = '0-0';
    do {
      const reply = (await client.xautoclaim(
        stream,
        group,
        consumer,
        claimIdleMs,
        cursor,
        'COUNT',
        batch,
      )) as [string, (StreamEntry | null)[]];
      cursor = reply[0];
      const entries = reply[1].filter(
        (entry): entry is StreamEntry => Array.isArray(entry) && !runningIds.has(entry[0]),
      );
      if (entries.length > 0) sourceLog.info('reclaimed pending entries', { count: entries.length });
      await Promise.all(
        entries.map(async (entry) => track(handle(deliver, entry, await deliveryCount(client, entry[0])))),
      );
    } while (running && cursor !== '0-0');
  };

  /**
   * A run longer than claimIdleMs would look abandoned and be reclaimed by another consumer while still running:
   * XCLAIM … JUSTID to ourselves resets the idle time of the entries in hand (without counting a delivery).
   */
  const touchRunning = async (): Promise<void> => {
    const client = writer;
    if (!client || runningIds.size === 0) return;
    await client.xclaim(stream, group, consumer, 0, ...runningIds, 'JUSTID');
  };

  const deliveryCount = async (client: Redis, id: string): Promise<number> => {
    const rows = (await client.xpending(stream, group, id, id, 1)) as [string, string, number, number][];
    return Math.max(0, (rows[0]?.[3] ?? 1) - 1);
  };

  const readLoop = async (deliver: TriggerDeliver): Promise<void> => {
    let lastReclaim = 0;
    while (running) {
      const client = reader;
      if (!client) return;
      try {
        if (Date.now() - lastReclaim >= Math.min(claimIdleMs / 2, 30_000)) {
          lastReclaim = Date.now();
          await reclaim(deliver, client);
        }
        const reply = (await client.xreadgroup(
          'GROUP',
          group,
          consumer,
          'COUNT',
          batch,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          stream,
          '>',
        )) as [string, StreamEntry[]][] | null;
        const entries = reply?.[0]?.[1] ?? [];
        await Promise.all(entries.map((entry) => track(handle(deliver, entry, 0))));
      } catch (error) {
        if (!running) return;
        const message = (error as Error).message;
        // The stream or group vanished (FLUSHALL, a broker restarted without persistence): recreate and go on.
        if (message.includes('NOGROUP')) await ensureGroup(client).catch(() => undefined);
        else sourceLog.warn('redis read failed; retrying', { error: message });
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };

  return {
    type: 'queue',
    async start(deliver) {
      if (running) return;
      reader = await connect('mcp-trigger-reader');
      try {
        writer = await connect('mcp-trigger-writer');
        await ensureGroup(writer);
      } catch (error) {
        reader.disconnect();
        writer?.disconnect();
        reader = writer = undefined;
        throw error;
      }
      running = true;
      touchTimer = setInterval(
        () => {
          touchRunning().catch((error: Error) =>
            sourceLog.warn('redis touch failed', { error: error.message }),
          );
        },
        Math.max(250, Math.floor(claimIdleMs / 3)),
      );
      sourceLog.info('consuming redis stream');
      loop = readLoop(deliver);
    },
    async stop() {
      if (!running) return;
      running = false;
      clearInterval(touchTimer);
      // Interrupt the blocking read; entries it already returned are in `inFlight`.
      reader?.disconnect();
      await loop;
      await Promise.allSettled([...inFlight]);
      await writer?.quit().catch(() => writer?.disconnect());
      reader = writer = undefined;
      sourceLog.info('stopped consuming redis stream');
    },
  };
}

/**
 * The message of an entry: its `payload` (or else `data`) field, parsed; the other fields go to meta. An entry with
 * neither is the object of its fields.
 */
function messageOf(fields: string[]): { payload: unknown; extra: Record<string, string> } {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) record[fields[i] as string] = fields[i + 1] as string;
  const key = 'payload' in record ? 'payload' : 'data' in record ? 'data' : undefined;
  if (key === undefined) return { payload: record, extra: {} };
  const { [key]: body, ...extra } = record;
  return { payload: parseBody(body as string), extra };
}

function randomSuffix(): string {
  return randomBytes(4).toString('hex');
}
