/**
 * Queue trigger source for MQTT (mqtt.js 5, protocol 3.1.1). Subscribes to the topic filter `settings.topic`
 * (wildcards allowed) at QoS 1 (or `qos: 2`) in a persistent session (`clean: false`, a stable client id from
 * `clientId` or derived from the filter), so the broker keeps messages published while the server was down.
 * Acknowledgement is manual through mqtt.js `handleMessage` (whose callback releases the PUBACK, PUBREC at QoS 2;
 * `customHandleAcks` exists for MQTT 5 only): the acknowledgement is sent only after `deliver` resolved. When `deliver` rejects (the runner is stopping) no PUBACK is sent and the broker delivers the
 * message again in the next session. mqtt.js handles incoming packets one at a time while an ack is pending, so
 * runs are sequential. MQTT has no dead-letter route: `dead-lettered` and oversized (never-run) messages are
 * acknowledged and logged. The URL (it may hold credentials) is never logged: only its host.
 */
import { createHash } from 'node:crypto';
import { connect, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from '../logger.js';
import {
  CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_PAYLOAD_BYTES,
  hostOf,
  numberOption,
  parseBody,
} from './queue-common.js';
import type { QueueTriggerSettings, TriggerDeliver, TriggerEvent, TriggerSource } from './types.js';

const RECONNECT_PERIOD_MS = 1_000;

export function source(settings: QueueTriggerSettings, url: string, log: Logger): TriggerSource {
  const options = settings.options;
  const filter = settings.topic;
  const qos: 1 | 2 = options.qos === 2 ? 2 : 1;
  const maxPayloadBytes = numberOption(options.maxPayloadBytes) ?? DEFAULT_MAX_PAYLOAD_BYTES;
  // Stable across restarts: the broker finds the session (and the messages queued in it) by this id.
  const clientId =
    typeof options.clientId === 'string' && options.clientId
      ? options.clientId
      : `mcp-trigger-${createHash('sha256').update(filter).digest('hex').slice(0, 16)}`;
  const host = hostOf(url);
  const sourceLog = log.child({ trigger: 'queue', broker: 'mqtt', host, topic: filter, clientId });

  let client: MqttClient | undefined;
  let running = false;
  let receipts = 0;
  const inFlight = new Set<Promise<void>>();

  const handle = async (deliver: TriggerDeliver, topic: string, payload: Buffer, packet: IPublishPacket) => {
    if (payload.length > maxPayloadBytes) {
      sourceLog.warn('oversized message acknowledged without running', {
        topic,
        bytes: payload.length,
        maxPayloadBytes,
      });
      return true;
    }
    // QoS 0 is never redelivered, and has no packet id: a receipt counter keeps equal payloads distinct events.
    const packetId =
      packet.qos > 0 ? String(packet.messageId ?? '') : `qos0:${process.pid}:${Date.now()}:${++receipts}`;
    const event: TriggerEvent = {
      id: createHash('sha256')
        .update(topic)
        .update('\u0000')
        .update(payload)
        .update('\u0000')
        .update(packetId)
        .digest('hex'),
      payload: parseBody(payload.toString('utf8')),
      meta: { topic, retain: packet.retain, duplicate: packet.dup },
      receivedAt: Date.now(),
      redeliveries: packet.dup ? 1 : 0,
    };
    let outcome: Awaited<ReturnType<TriggerDeliver>>;
    try {
      outcome = await deliver(event);
    } catch {
      return false; // the runner is stopping: no PUBACK, the broker redelivers in the next session
    }
    if (outcome === 'dead-lettered')
      sourceLog.warn('message dead-lettered by the runner; acknowledged', { topic });
    return true;
  };

  return {
    type: 'queue',
    async start(deliver) {
      if (running) return;
      running = true;
      const created = connect(url, {
        clientId,
        clean: false,
        protocolVersion: 4,
        connectTimeout: CONNECT_TIMEOUT_MS,
        reconnectPeriod: RECONNECT_PERIOD_MS,
      });
      // mqtt.js sends a message's PUBACK (PUBREC at QoS 2) when handleMessage calls back, and handles the next
      // packet only then. Installed before the CONNACK, so the messages a persistent session replays at once
      // are covered too.
      created.handleMessage = (packet, callback) => {
        if (!running) return; // stopping: never acknowledge
        const work = handle(deliver, packet.topic, toBuffer(packet.payload), packet).then(
          (acknowledge) => {
            if (acknowledge) callback();
          },
          (error: Error) =>
            sourceLog.error('mqtt message handling failed; it stays unacknowledged', {
              error: error.message,
            }),
        );
        inFlight.add(work);
        void work.finally(() => inFlight.delete(work));
      };
      try {
        await firstConnect(created);
      } catch (error) {
        running = false;
        await created.endAsync(true).catch(() => undefined);
        throw new Error(
          `queue trigger: cannot connect to MQTT broker at ${host}: ${(error as Error).message}`,
        );
      }
      client = created;
      created.on('error', (error: Error) =>
        sourceLog.warn('mqtt connection error', { error: error.message }),
      );
      created.on('offline', () => sourceLog.warn('mqtt broker unreachable; reconnecting'));
      // A session the broker lost (it restarted without persistence) has no subscription: subscribe on every connect.
      created.on('connect', (connack) => {
        if (running && !connack.sessionPresent) void subscribe(created).catch(() => undefined);
      });
      try {
        await subscribe(created);
      } catch (error) {
        running = false;
        await created.endAsync(true).catch(() => undefined);
        client = undefined;
        throw new Error(
          `queue trigger: cannot subscribe to "${filter}" at ${host}: ${(error as Error).message}`,
        );
      }
      sourceLog.info('consuming mqtt topic', { qos });
    },
    async stop() {
      if (!running) return;
      running = false;
      await Promise.allSettled([...inFlight]);
      // Let the PUBACKs of the runs that just finished reach the socket before closing it.
      await new Promise((resolve) => setImmediate(resolve));
      await client?.endAsync(false).catch(() => undefined);
      client = undefined;
      sourceLog.info('stopped consuming mqtt topic');
    },
  };

  async function subscribe(target: MqttClient): Promise<void> {
    const granted = await target.subscribeAsync(filter, { qos });
    const refused = granted.find((grant) => grant.qos === 128);
    if (refused) throw new Error('the broker refused the subscription');
  }
}

/** Resolves on the first CONNACK; rejects on the first error or close before it (no retrying at start). */
function firstConnect(client: MqttClient): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onConnect = () => settle();
    const onError = (error: Error) => settle(error);
    const onClose = () => settle(new Error('connection closed before CONNACK'));
    client.on('connect', onConnect);
    client.on('error', onError);
    client.on('close', onClose);
  });
}

function toBuffer(payload: string | Buffer): Buffer {
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
}
