/**
 * Queue trigger source for RabbitMQ (amqplib). Consumes the durable queue `settings.topic` (declared, or only
 * checked when `passive` says it is managed elsewhere) with a small prefetch and manual acks: a message is acked
 * only after `deliver` resolved; `dead-lettered` (and oversized, never-run) messages are nacked without requeue so
 * the queue's dead-letter exchange (`deadLetterExchange`) receives them. When `deliver` rejects (the runner is
 * stopping) the message is left unacked; the broker requeues it when the channel closes. A dropped connection is
 * re-established with exponential backoff. The URL (it may hold a password) is never logged: only its host.
 */
import { createHash } from 'node:crypto';
import { type Channel, type ChannelModel, type ConsumeMessage, connect } from 'amqplib';
import type { Logger } from '../logger.js';
import {
  CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_PAYLOAD_BYTES,
  hostOf,
  numberOption,
  parseBody,
} from './queue-common.js';
import type { QueueTriggerSettings, TriggerDeliver, TriggerEvent, TriggerSource } from './types.js';

const DEFAULT_PREFETCH = 10;
const RECONNECT_MIN_MS = 200;
const RECONNECT_MAX_MS = 10_000;

export function source(settings: QueueTriggerSettings, url: string, log: Logger): TriggerSource {
  const options = settings.options;
  const queue = settings.topic;
  const prefetch = numberOption(options.prefetch) ?? DEFAULT_PREFETCH;
  const maxPayloadBytes = numberOption(options.maxPayloadBytes) ?? DEFAULT_MAX_PAYLOAD_BYTES;
  const passive = options.passive === true;
  const deadLetterExchange =
    typeof options.deadLetterExchange === 'string' ? options.deadLetterExchange : undefined;
  const host = hostOf(url);
  const sourceLog = log.child({ trigger: 'queue', broker: 'rabbitmq', host, queue });

  let running = false;
  let model: ChannelModel | undefined;
  let channel: Channel | undefined;
  let consumerTag: string | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let reconnectAttempt = 0;
  const inFlight = new Set<Promise<void>>();

  const handle = async (deliver: TriggerDeliver, ch: Channel, message: ConsumeMessage): Promise<void> => {
    // A message belongs to the channel it came on: after a reconnect its delivery tag means nothing.
    const settle = (action: 'ack' | 'dead') => {
      if (ch !== channel) return;
      if (action === 'ack') ch.ack(message);
      else ch.nack(message, false, false);
    };
    if (message.content.length > maxPayloadBytes) {
      sourceLog.warn('oversized message dead-lettered without running', {
        bytes: message.content.length,
        maxPayloadBytes,
      });
      settle('dead');
      return;
    }
    const event: TriggerEvent = {
      id: messageIdOf(message),
      payload: parseBody(message.content.toString('utf8')),
      meta: {
        queue,
        exchange: message.fields.exchange,
        routingKey: message.fields.routingKey,
        headers: message.properties.headers ?? {},
        redelivered: message.fields.redelivered,
      },
      receivedAt: Date.now(),
      redeliveries: deliveryCountOf(message),
    };
    let outcome: Awaited<ReturnType<TriggerDeliver>>;
    try {
      outcome = await deliver(event);
    } catch {
      return; // the runner is stopping: unacked, the broker requeues it when the channel closes
    }
    settle(outcome === 'dead-lettered' ? 'dead' : 'ack');
  };

  const open = async (deliver: TriggerDeliver): Promise<void> => {
    const connection = await connect(url, {
      timeout: CONNECT_TIMEOUT_MS,
      // Names the connection in the management UI and `rabbitmqctl list_connections`.
      clientProperties: { connection_name: `mcp-trigger:${queue}` },
    });
    // Listeners first: an 'error' event nobody listens to would crash the process (e.g. a passive check's 404).
    connection.on('error', (error: Error) =>
      sourceLog.warn('rabbitmq connection error', { error: error.message }),
    );
    try {
      const ch = await connection.createChannel();
      ch.on('error', (error: Error) => sourceLog.warn('rabbitmq channel error', { error: error.message }));
      if (passive) await ch.checkQueue(queue);
      else
        await ch.assertQueue(queue, { durable: true, ...(deadLetterExchange ? { deadLetterExchange } : {}) });
      await ch.prefetch(prefetch);
      model = connection;
      channel = ch;
      // Either closing (broker restart, forced close, channel error) ends this session; a running source reconnects.
      const onClose = () => {
        if (channel !== ch) return;
        channel = undefined;
        model = undefined;
        consumerTag = undefined;
        void connection.close().catch(() => undefined);
        if (running) scheduleReconnect(deliver);
      };
      connection.on('close', onClose);
      ch.on('close', onClose);
      const reply = await ch.consume(
        queue,
        (message) => {
          if (!message) {
            // The broker cancelled the consumer (queue deleted, node failover): start over on a new connection.
            sourceLog.warn('rabbitmq cancelled the consumer; reconnecting');
            void connection.close().catch(() => undefined);
            return;
          }
          const work = handle(deliver, ch, message).catch((error: Error) =>
            sourceLog.error('rabbitmq message handling failed; it stays unacked', { error: error.message }),
          );
          inFlight.add(work);
          void work.finally(() => inFlight.delete(work));
        },
        { noAck: false },
      );
      consumerTag = reply.consumerTag;
      // stop() ran while this (re)connect was under way: it found nothing to close, so close here.
      if (!running) {
        channel = undefined;
        model = undefined;
        await connection.close().catch(() => undefined);
      }
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  };

  const scheduleReconnect = (deliver: TriggerDeliver) => {
    if (reconnectTimer || !running) return;
    const delay = Math.min(RECONNECT_MIN_MS * 2 ** reconnectAttempt, RECONNECT_MAX_MS);
    reconnectAttempt += 1;
    sourceLog.warn('rabbitmq connection lost; reconnecting', { delayMs: delay, attempt: reconnectAttempt });
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      if (!running) return;
      open(deliver).then(
        () => {
          reconnectAttempt = 0;
          sourceLog.info('rabbitmq reconnected');
        },
        (error: Error) => {
          sourceLog.warn('rabbitmq reconnect failed', { error: error.message });
          scheduleReconnect(deliver);
        },
      );
    }, delay);
  };

  return {
    type: 'queue',
    async start(deliver) {
      if (running) return;
      running = true;
      try {
        await open(deliver);
      } catch (error) {
        running = false;
        throw new Error(
          `queue trigger: cannot consume RabbitMQ queue "${queue}" at ${host}: ${(error as Error).message}`,
        );
      }
      sourceLog.info('consuming rabbitmq queue', { prefetch });
    },
    async stop() {
      if (!running) return;
      running = false;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      const ch = channel;
      // Stop new deliveries first, then let the ones in flight ack on the still-open channel.
      if (ch && consumerTag) await ch.cancel(consumerTag).catch(() => undefined);
      await Promise.allSettled([...inFlight]);
      channel = undefined;
      // Closing the channel is a round trip behind its acks: they reach the broker before the connection goes.
      await ch?.close().catch(() => undefined);
      const connection = model;
      model = undefined;
      await connection?.close().catch(() => undefined);
      sourceLog.info('stopped consuming rabbitmq queue');
    },
  };
}

/** properties.messageId when the publisher set one; else a hash of the content and where it was published. */
function messageIdOf(message: ConsumeMessage): string {
  const given = message.properties.messageId;
  if (typeof given === 'string' && given.length > 0) return given;
  return createHash('sha256')
    .update(message.fields.exchange)
    .update('\u0000')
    .update(message.fields.routingKey)
    .update('\u0000')
    .update(String(message.properties.timestamp ?? ''))
    .update('\u0000')
    .update(message.content)
    .digest('hex');
}

/** The x-delivery-count header of quorum queues; 1 for a classic queue's redelivered flag; else 0. */
function deliveryCountOf(message: ConsumeMessage): number {
  const count = message.properties.headers?.['x-delivery-count'];
  if (typeof count === 'number') return count;
  return message.fields.redelivered ? 1 : 0;
}
