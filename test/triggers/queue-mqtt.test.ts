/**
 * MQTT queue trigger source (runtime/triggers/queue-mqtt.ts) against a real Mosquitto: QoS 1 with wildcard topic
 * filters, the PUBACK held until deliver resolved (proved by effect: a message whose delivery was refused comes
 * back in the next session, one that was delivered does not), messages published while the subscriber was
 * offline arriving when it reconnects (persistent session), the payload cap, an unreachable broker, and a private
 * mosquitto restarted underneath the consumer.
 */
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { source } from '../../runtime/triggers/queue-mqtt.js';
import type { TriggerSource } from '../../runtime/triggers/types.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';
import {
  deferred,
  fakeDeliver,
  freePort,
  gates,
  privateBroker,
  recordingLogger,
  sleep,
  stopAll,
  uniqueName,
  waitFor,
} from './queue-helpers.js';

const gate = gates.mqtt();

describe.skipIf(!gate.url && !REQUIRE_SERVICES)('queue trigger: MQTT', () => {
  const url = gate.url ?? '';
  let publisher: MqttClient;
  const sources: TriggerSource[] = [];
  const sessions: string[] = [];

  const newTopic = () => {
    const base = `mcpf/qt/${uniqueName('t')}`;
    const clientId = uniqueName('mcpf-qt');
    sessions.push(clientId);
    return { base, clientId };
  };
  const open = (filter: string, options: Record<string, unknown>, log = recordingLogger(), at = url) => {
    const created = source({ broker: 'mqtt', topic: filter, options }, at, log);
    sources.push(created);
    return created;
  };
  const publish = (topic: string, body: string | Buffer) => publisher.publishAsync(topic, body, { qos: 1 });

  beforeAll(async () => {
    if (!gate.url) throw new Error(gate.missing);
    publisher = await connectAsync(url, { clientId: uniqueName('mcpf-pub') });
  });

  afterAll(async () => {
    await stopAll(sources);
    // Drop the persistent sessions the tests created (a clean connect with the same id discards them).
    for (const clientId of sessions) {
      const cleaner = await connectAsync(url, { clientId, clean: true }).catch(() => undefined);
      await cleaner?.endAsync().catch(() => undefined);
    }
    await publisher?.endAsync();
  });

  it('delivers messages matching a wildcard filter (JSON and text); never logs the password', async () => {
    const { base, clientId } = newTopic();
    const log = recordingLogger();
    const consumer = open(
      `${base}/+/temperature`,
      { clientId },
      log,
      url.replace('mqtt://', 'mqtt://u:hunter2-secret@'),
    );
    const fake = fakeDeliver();
    await consumer.start(fake.deliver);
    await publish(`${base}/kitchen/temperature`, JSON.stringify({ c: 21.5 }));
    await publish(`${base}/kitchen/humidity`, '40');
    await publish(`${base}/cellar/temperature`, 'cold');
    await waitFor(() => fake.events.length === 2, 20_000, 'two deliveries');
    await sleep(300);
    expect(fake.payloads()).toEqual([{ c: 21.5 }, 'cold']);
    expect(fake.events.map((e) => e.meta?.topic)).toEqual([
      `${base}/kitchen/temperature`,
      `${base}/cellar/temperature`,
    ]);
    expect(fake.events[0]?.id).toMatch(/^[0-9a-f]{64}$/);
    await consumer.stop();
    expect(log.lines.join('\n')).not.toContain('hunter2-secret');
  });

  it('gives repeated QoS 0 readings distinct event ids (they are never redelivered, so never duplicates)', async () => {
    const { base, clientId } = newTopic();
    const consumer = open(`${base}/#`, { clientId });
    const fake = fakeDeliver();
    await consumer.start(fake.deliver);
    await publisher.publishAsync(`${base}/temp`, '21.5', { qos: 0 });
    await publisher.publishAsync(`${base}/temp`, '21.5', { qos: 0 });
    await waitFor(() => fake.events.length === 2, 20_000, 'two readings');
    expect(fake.payloads()).toEqual([21.5, 21.5]);
    expect(fake.events[0]?.id).not.toBe(fake.events[1]?.id);
    await consumer.stop();
  });

  it('sends the PUBACK only after deliver resolved: a refused delivery comes back, an accepted one does not', async () => {
    const { base, clientId } = newTopic();
    const first = open(`${base}/#`, { clientId });
    const held = deferred<'succeeded'>();
    const refusing = fakeDeliver(() => held.promise);
    await first.start(refusing.deliver);
    await publish(`${base}/order`, '{"n":1}');
    await waitFor(() => refusing.events.length === 1, 20_000, 'first delivery');
    // The runner is stopping: deliver rejects, so no PUBACK may go out.
    held.reject(new Error('runner stopping'));
    await first.stop();

    const second = open(`${base}/#`, { clientId });
    const accepting = fakeDeliver();
    await second.start(accepting.deliver);
    await waitFor(() => accepting.events.length === 1, 20_000, 'redelivery in the next session');
    expect(accepting.events[0]?.payload).toEqual({ n: 1 });
    expect(accepting.events[0]?.redeliveries).toBe(1);
    // Same packet id on redelivery, so the same event id: the runner's idempotency key recognises it.
    expect(accepting.events[0]?.id).toBe(refusing.events[0]?.id);
    await sleep(300);
    await second.stop();

    // Delivered and acknowledged: a third session gets nothing.
    const third = open(`${base}/#`, { clientId });
    const idle = fakeDeliver();
    await third.start(idle.deliver);
    await sleep(1_000);
    expect(idle.events).toHaveLength(0);
    await third.stop();
  });

  it('stop() waits for a delivery in flight and acknowledges it before closing', async () => {
    const { base, clientId } = newTopic();
    const consumer = open(`${base}/#`, { clientId });
    const held = deferred<'succeeded'>();
    const fake = fakeDeliver(() => held.promise);
    await consumer.start(fake.deliver);
    await publish(`${base}/slow`, '"slow"');
    await waitFor(() => fake.events.length === 1, 20_000, 'delivery started');
    let stopped = false;
    const stopping = consumer.stop().then(() => {
      stopped = true;
    });
    await sleep(300);
    expect(stopped).toBe(false);
    held.resolve('succeeded');
    await stopping;
    // Acknowledged before the close: the next session of the same client gets nothing.
    const again = open(`${base}/#`, { clientId });
    const later = fakeDeliver();
    await again.start(later.deliver);
    await sleep(1_000);
    expect(later.events).toHaveLength(0);
    await again.stop();
  });

  it('delivers messages published while the subscriber was offline once it reconnects', async () => {
    const { base, clientId } = newTopic();
    const consumer = open(`${base}/#`, { clientId });
    await consumer.start(fakeDeliver().deliver);
    await consumer.stop();
    for (let i = 0; i < 3; i += 1) await publish(`${base}/offline`, JSON.stringify({ i }));
    const again = open(`${base}/#`, { clientId });
    const fake = fakeDeliver();
    await again.start(fake.deliver);
    await waitFor(() => fake.events.length === 3, 20_000, 'three queued messages');
    expect(fake.payloads()).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
    await again.stop();
  });

  it('acknowledges an oversized message without running it (and it never comes back)', async () => {
    const { base, clientId } = newTopic();
    const consumer = open(`${base}/#`, { clientId, maxPayloadBytes: 1024 });
    const fake = fakeDeliver();
    await consumer.start(fake.deliver);
    await publish(`${base}/big`, Buffer.alloc(4096, 0x61));
    await publish(`${base}/small`, '"ok"');
    await waitFor(() => fake.events.length === 1, 20_000, 'the small one');
    await consumer.stop();
    const again = open(`${base}/#`, { clientId, maxPayloadBytes: 1024 });
    const later = fakeDeliver();
    await again.start(later.deliver);
    await sleep(1_000);
    expect(fake.payloads()).toEqual(['ok']);
    expect(later.events).toHaveLength(0);
    await again.stop();
  });

  it('start() rejects with a clear message when the broker is unreachable, without the password', async () => {
    const port = await freePort();
    const consumer = open(
      'a/b',
      { clientId: uniqueName('mcpf-qt') },
      recordingLogger(),
      `mqtt://u:pa55word@127.0.0.1:${port}`,
    );
    const error = await consumer.start(fakeDeliver().deliver).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(new RegExp(`cannot connect to MQTT broker at 127\\.0\\.0\\.1:${port}`));
    expect(error?.message).not.toContain('pa55word');
  });

  it('reconnects after a private mosquitto restarts, and loses nothing', async () => {
    const broker = await privateBroker('mqtt');
    const raw = await connectAsync(broker.url, { clientId: uniqueName('mcpf-pub'), reconnectPeriod: 200 });
    try {
      const { base, clientId } = newTopic();
      const consumer = open(`${base}/#`, { clientId }, recordingLogger(), broker.url);
      const fake = fakeDeliver();
      await consumer.start(fake.deliver);
      for (let i = 0; i < 5; i += 1) await raw.publishAsync(`${base}/m`, JSON.stringify({ i }), { qos: 1 });
      await waitFor(() => fake.events.length === 5, 20_000, 'first half');
      await broker.kill();
      await broker.start();
      await waitFor(() => raw.connected, 20_000, 'publisher reconnected');
      for (let i = 5; i < 10; i += 1) await raw.publishAsync(`${base}/m`, JSON.stringify({ i }), { qos: 1 });
      await waitFor(
        () => new Set(fake.payloads().map((p) => (p as { i: number }).i)).size === 10,
        30_000,
        'all ten',
      );
      await consumer.stop();
    } finally {
      await raw.endAsync(true).catch(() => undefined);
      await broker.dispose();
    }
  });
});
