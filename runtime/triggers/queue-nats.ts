/**
 * Queue trigger source for NATS JetStream (@nats-io/transport-node + @nats-io/jetstream). Pulls from a durable
 * consumer (`durable`, default "mcp-triggers") on the stream `stream` filtered to the subject `settings.topic`;
 * the stream and the consumer are created when missing (explicit acks, `ackWaitMs`, `maxDeliver`). A message is
 * acked only after `deliver` resolved; `dead-lettered` (and oversized, never-run) messages are terminated with
 * `term()` so JetStream never redelivers them. When `deliver` rejects (the runner is stopping) the message is left
 * unacknowledged and JetStream redelivers it after the ack wait. Long runs send `working()` so they are not
 * redelivered while still running. The client reconnects on its own; the URL (it may hold credentials) is never
 * logged: only its host.
 */
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { connect, type NatsConnection, nanos } from '@nats-io/transport-node';
import type { Logger } from '../logger.js';
import { CONNECT_TIMEOUT_MS, DEFAULT_MAX_PAYLOAD_BYTES, numberOption, parseBody } from './queue-common.js';
import type { QueueTriggerSettings, TriggerDeliver, TriggerEvent, TriggerSource } from './types.js';

const DEFAULT_DURABLE = 'mcp-triggers';
const DEFAULT_PREFETCH = 10;
const DEFAULT_ACK_WAIT_MS = 30_000;
const CONSUMER_NOT_FOUND = 10014;
const STREAM_NOT_FOUND = 10059;

type Messages = Awaited<
  ReturnType<Awaited<ReturnType<ReturnType<typeof jetstream>['consumers']['get']>>['consume']>
>;

export function source(settings: QueueTriggerSettings, url: string, log: Logger): TriggerSource {
  const options = settings.options;
  const subject = settings.topic;
  const streamName = typeof options.stream === 'string' ? options.stream : '';
  const durable = typeof options.durable === 'string' ? options.durable : DEFAULT_DURABLE;
  const prefetch = numberOption(options.prefetch) ?? DEFAULT_PREFETCH;
  const ackWaitMs = numberOption(options.ackWaitMs) ?? DEFAULT_ACK_WAIT_MS;
  const maxDeliver = numberOption(options.maxDeliver) ?? -1;
  const maxPayloadBytes = numberOption(options.maxPayloadBytes) ?? DEFAULT_MAX_PAYLOAD_BYTES;
  const target = parseTarget(url);
  const sourceLog = log.child({
    trigger: 'queue',
    broker: 'nats',
    host: target.host,
    stream: streamName,
    durable,
  });

  let connection: NatsConnection | undefined;
  let messages: Messages | undefined;
  let loop: Promise<void> | undefined;
  let running = false;
  const inFlight = new Set<Promise<void>>();

  const handle = async (deliver: TriggerDeliver, message: JsMsg): Promise<void> => {
    if (message.data.length > maxPayloadBytes) {
      sourceLog.warn('oversized message terminated without running', {
        seq: message.seq,
        bytes: message.data.length,
        maxPayloadBytes,
      });
      message.term();
      return;
    }
    const event: TriggerEvent = {
      id: message.headers?.get('Nats-Msg-Id') || `${streamName}:${message.seq}`,
      payload: parseBody(Buffer.from(message.data).toString('utf8')),
      meta: { subject: message.subject, stream: streamName, seq: message.seq, headers: headersOf(message) },
      receivedAt: Date.now(),
      redeliveries: Math.max(0, message.info.deliveryCount - 1),
    };
    // Tell JetStream the run is still going, so a run longer than the ack wait is not handed to someone else.
    const keepAlive = setInterval(() => message.working(), Math.max(500, Math.floor(ackWaitMs / 2)));
    let outcome: Awaited<ReturnType<TriggerDeliver>>;
    try {
      outcome = await deliver(event);
    } catch {
      return; // the runner is stopping: left unacked, JetStream redelivers after the ack wait
    } finally {
      clearInterval(keepAlive);
    }
    if (outcome === 'dead-lettered') message.term();
    else await message.ackAck();
  };

  const ensureConsumer = async (nc: NatsConnection): Promise<void> => {
    const manager = await jetstreamManager(nc);
    try {
      await manager.streams.info(streamName);
    } catch (error) {
      if (!(error instanceof JetStreamApiError && error.code === STREAM_NOT_FOUND)) throw error;
      await manager.streams.add({ name: streamName, subjects: [subject] });
      sourceLog.info('created JetStream stream', { subjects: [subject] });
    }
    const config = { ack_wait: nanos(ackWaitMs), max_deliver: maxDeliver };
    try {
      await manager.consumers.info(streamName, durable);
      await manager.consumers.update(streamName, durable, config);
    } catch (error) {
      if (!(error instanceof JetStreamApiError && error.code === CONSUMER_NOT_FOUND)) throw error;
      await manager.consumers.add(streamName, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: subject,
        ...config,
      });
      sourceLog.info('created JetStream consumer', { subject });
    }
  };

  const consumeLoop = async (deliver: TriggerDeliver, stream: Messages): Promise<void> => {
    for await (const message of stream) {
      if (!running) return; // not acked: redelivered after the ack wait
      const work = handle(deliver, message).catch((error: Error) =>
        sourceLog.error('nats message handling failed; it stays unacked', { error: error.message }),
      );
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
      while (inFlight.size >= prefetch) await Promise.race(inFlight);
    }
  };

  /** The pull iterator keeps waiting for a consumer deleted underneath it: end it, so consumeForever starts over. */
  const closeWhenDeleted = (current: Messages): void => {
    void (async () => {
      for await (const status of current.status()) {
        if (status.type === 'consumer_deleted' || status.type === 'consumer_not_found') {
          sourceLog.warn(`nats ${status.type}; recreating it`);
          await current.close();
          return;
        }
      }
    })().catch(() => undefined);
  };

  /** Consumes until stopped; when the iterator ends on its own (consumer deleted, long outage) starts over. */
  const consumeForever = async (
    deliver: TriggerDeliver,
    nc: NatsConnection,
    first: Messages,
  ): Promise<void> => {
    let current: Messages | undefined = first;
    while (running) {
      if (current) {
        closeWhenDeleted(current);
        await consumeLoop(deliver, current).catch((error: Error) => {
          if (running) sourceLog.warn('nats consumer interrupted', { error: error.message });
        });
      }
      if (!running) return;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      if (!running) return;
      current = undefined;
      try {
        await ensureConsumer(nc);
        current = await jetstream(nc)
          .consumers.get(streamName, durable)
          .then((c) => c.consume({ max_messages: prefetch }));
        messages = current;
        sourceLog.info('nats consumer resumed');
      } catch (error) {
        sourceLog.warn('nats consumer restart failed; retrying', { error: (error as Error).message });
      }
      if (!running) await current?.close().catch(() => undefined);
    }
  };

  return {
    type: 'queue',
    async start(deliver) {
      if (running) return;
      if (!streamName) throw new Error('queue trigger: a nats queue trigger needs the "stream" option');
      let nc: NatsConnection;
      try {
        nc = await connect({
          servers: target.server,
          ...target.auth,
          name: `mcp-trigger-${durable}`,
          timeout: CONNECT_TIMEOUT_MS,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 500,
        });
      } catch (error) {
        throw new Error(
          `queue trigger: cannot connect to NATS at ${target.host}: ${(error as Error).message}`,
        );
      }
      let first: Messages;
      try {
        await ensureConsumer(nc);
        first = await jetstream(nc)
          .consumers.get(streamName, durable)
          .then((c) => c.consume({ max_messages: prefetch }));
      } catch (error) {
        await nc.close().catch(() => undefined);
        throw new Error(
          `queue trigger: cannot consume JetStream stream "${streamName}" at ${target.host}: ${(error as Error).message}`,
        );
      }
      connection = nc;
      messages = first;
      void (async () => {
        for await (const status of nc.status()) {
          if (status.type === 'disconnect' || status.type === 'reconnect')
            sourceLog.warn(`nats ${status.type}`);
        }
      })().catch(() => undefined);
      running = true;
      loop = consumeForever(deliver, nc, first);
      sourceLog.info('consuming JetStream subject', { subject, prefetch });
    },
    async stop() {
      if (!running) return;
      running = false;
      await messages?.close().catch(() => undefined);
      await loop;
      await Promise.allSettled([...inFlight]);
      await connection?.drain().catch(() => connection?.close());
      connection = undefined;
      messages = undefined;
      sourceLog.info('stopped consuming JetStream subject');
    },
  };
}

/** Servers and credentials from a nats:// URL (user:pass, or a lone token as the user part). */
function parseTarget(url: string): {
  server: string;
  host: string;
  auth: { user?: string; pass?: string; token?: string };
} {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { server: url, host: '(unparseable url)', auth: {} };
  }
  const host = parsed.host || '(unknown host)';
  const user = decodeURIComponent(parsed.username);
  const pass = decodeURIComponent(parsed.password);
  const auth = user && pass ? { user, pass } : user ? { token: user } : {};
  return { server: `${parsed.hostname}:${parsed.port || '4222'}`, host, auth };
}

function headersOf(message: JsMsg): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, values] of message.headers ?? []) out[key] = values.join(', ');
  return out;
}
