/**
 * RabbitMQ queue trigger source (runtime/triggers/queue-rabbitmq.ts) against a real broker: consume + manual ack
 * after deliver, at-least-once when deliver rejects, dead-letter-exchange routing of `dead-lettered` and oversized
 * messages (never delivered), a passive queue that must already exist, stop() waiting for runs in flight, an
 * unreachable broker, and a connection force-closed by `rabbitmqctl close_connection` (the shared broker is never
 * restarted) after which the consumer reconnects and loses nothing.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type Channel, type ChannelModel, connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { source } from '../../runtime/triggers/queue-rabbitmq.js';
import type { TriggerSource } from '../../runtime/triggers/types.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';
import {
  deferred,
  fakeDeliver,
  freePort,
  gates,
  recordingLogger,
  stopAll,
  uniqueName,
  waitFor,
} from './queue-helpers.js';

const run = promisify(execFile);
const gate = gates.rabbitmq();

describe.skipIf(!gate.url && !REQUIRE_SERVICES)('queue trigger: RabbitMQ', () => {
  const url = gate.url ?? '';
  let admin: ChannelModel;
  let channel: Channel;
  const queues: string[] = [];
  const exchanges: string[] = [];
  const sources: TriggerSource[] = [];

  const newQueue = () => {
    const name = uniqueName('mcpf-qt');
    queues.push(name);
    return name;
  };
  const open = (queue: string, options: Record<string, unknown> = {}, log = recordingLogger(), at = url) => {
    const created = source({ broker: 'rabbitmq', topic: queue, options }, at, log);
    sources.push(created);
    return created;
  };
  const send = (queue: string, body: string, messageId?: string) =>
    channel.sendToQueue(queue, Buffer.from(body), { persistent: true, ...(messageId ? { messageId } : {}) });
  /** Ready (not unacked) messages: after the consumer stopped, an unacked one would be back here. */
  const ready = async (queue: string) => (await channel.checkQueue(queue)).messageCount;

  beforeAll(async () => {
    if (!gate.url) throw new Error(gate.missing);
    admin = await connect(url);
    channel = await admin.createChannel();
  });

  afterAll(async () => {
    await stopAll(sources);
    if (admin) {
      for (const queue of queues) await channel.deleteQueue(queue).catch(() => undefined);
      for (const exchange of exchanges) await channel.deleteExchange(exchange).catch(() => undefined);
      await admin.close();
    }
  });

  it('delivers JSON and text, acks after deliver, uses messageId as the event id; never logs the password', async () => {
    const queue = newQueue();
    const log = recordingLogger();
    const consumer = open(queue, {}, log);
    const fake = fakeDeliver();
    await consumer.start(fake.deliver);
    send(queue, JSON.stringify({ sku: 'A-1' }), 'order-1');
    send(queue, 'plain text');
    send(queue, 'plain text');
    await waitFor(() => fake.events.length === 3, 20_000, 'three deliveries');
    expect(fake.payloads()).toEqual([{ sku: 'A-1' }, 'plain text', 'plain text']);
    expect(fake.events[0]?.id).toBe('order-1');
    expect(fake.events[1]?.id).toMatch(/^[0-9a-f]{64}$/);
    // The same content from the same place is the same event: the runner's idempotency key absorbs the repeat.
    expect(fake.events[1]?.id).toBe(fake.events[2]?.id);
    await consumer.stop();
    expect(await ready(queue)).toBe(0);
    expect(log.lines.join('\n')).not.toMatch(/guest:guest|:guest@/);
  });

  it('leaves the message unacked when deliver rejects; the next consumer gets it again (at-least-once)', async () => {
    const queue = newQueue();
    const first = open(queue);
    const refusing = fakeDeliver(async () => {
      throw new Error('runner stopping');
    });
    await first.start(refusing.deliver);
    send(queue, '{"n":1}', 'n-1');
    await waitFor(() => refusing.events.length === 1, 20_000, 'first delivery');
    await first.stop();
    expect(await ready(queue)).toBe(1);
    const second = open(queue);
    const accepting = fakeDeliver();
    await second.start(accepting.deliver);
    await waitFor(() => accepting.events.length === 1, 20_000, 'redelivery');
    expect(accepting.events[0]?.id).toBe('n-1');
    expect(accepting.events[0]?.redeliveries).toBeGreaterThanOrEqual(1);
    await second.stop();
    expect(await ready(queue)).toBe(0);
  });

  it('routes dead-lettered and oversized messages to the dead-letter exchange; oversized ones never run', async () => {
    const queue = newQueue();
    const exchange = uniqueName('mcpf-dlx');
    const deadQueue = newQueue();
    exchanges.push(exchange);
    await channel.assertExchange(exchange, 'fanout', { durable: false, autoDelete: false });
    await channel.assertQueue(deadQueue, { durable: false });
    await channel.bindQueue(deadQueue, exchange, '');
    const consumer = open(queue, { deadLetterExchange: exchange, maxPayloadBytes: 1024 });
    const fake = fakeDeliver(async (event) =>
      (event.payload as { poison?: boolean }).poison ? 'dead-lettered' : 'succeeded',
    );
    await consumer.start(fake.deliver);
    send(queue, JSON.stringify({ poison: true }));
    send(queue, JSON.stringify({ big: 'x'.repeat(4096) }));
    send(queue, JSON.stringify({ ok: true }));
    await waitFor(async () => (await ready(deadQueue)) === 2, 20_000, 'two dead letters');
    expect(fake.payloads()).toEqual([{ poison: true }, { ok: true }]);
    await consumer.stop();
    expect(await ready(queue)).toBe(0);
  });

  it('passive: checks a queue managed elsewhere and never declares it', async () => {
    const missing = uniqueName('mcpf-qt-missing');
    const consumer = open(missing, { passive: true });
    await expect(consumer.start(fakeDeliver().deliver)).rejects.toThrow(/cannot consume RabbitMQ queue/);
    // Effect: the queue still does not exist.
    const probe = await admin.createChannel();
    probe.on('error', () => undefined);
    await expect(probe.checkQueue(missing)).rejects.toThrow(/NOT_FOUND|404/);
    const existing = newQueue();
    await channel.assertQueue(existing, { durable: true });
    const fake = fakeDeliver();
    const passive = open(existing, { passive: true });
    await passive.start(fake.deliver);
    send(existing, '"hi"');
    await waitFor(() => fake.events.length === 1, 20_000, 'delivery from a passive queue');
    await passive.stop();
  });

  it('stop() waits for a delivery in flight and acks it', async () => {
    const queue = newQueue();
    const consumer = open(queue);
    const held = deferred<'succeeded'>();
    const fake = fakeDeliver(() => held.promise);
    await consumer.start(fake.deliver);
    send(queue, '"slow"');
    await waitFor(() => fake.events.length === 1, 20_000, 'delivery started');
    let stopped = false;
    const stopping = consumer.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stopped).toBe(false);
    held.resolve('succeeded');
    await stopping;
    expect(await ready(queue)).toBe(0);
  });

  it('start() rejects with a clear message when the broker is unreachable, without the password', async () => {
    const port = await freePort();
    const consumer = open(newQueue(), {}, recordingLogger(), `amqp://guest:pa55word@127.0.0.1:${port}`);
    const error = await consumer.start(fakeDeliver().deliver).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/cannot consume RabbitMQ queue .* at 127\.0\.0\.1:\d+/);
    expect(error?.message).not.toContain('pa55word');
  });

  it('start() rejects wrong credentials without echoing them, and creates nothing', async () => {
    const queue = uniqueName('mcpf-qt-denied');
    const log = recordingLogger();
    const consumer = open(queue, {}, log, url.replace(/\/\/[^@]*@/, '//guest:wr0ng-secret@'));
    const error = await consumer.start(fakeDeliver().deliver).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/cannot consume RabbitMQ queue/);
    expect(`${error?.message}\n${log.lines.join('\n')}`).not.toContain('wr0ng-secret');
    const probe = await admin.createChannel();
    probe.on('error', () => undefined);
    await expect(probe.checkQueue(queue)).rejects.toThrow(/NOT_FOUND|404/);
  });

  it('starts over when the broker cancels the consumer (its queue was deleted)', async () => {
    const queue = newQueue();
    const consumer = open(queue);
    const fake = fakeDeliver();
    await consumer.start(fake.deliver);
    await channel.deleteQueue(queue);
    // The source declares the queue again on its new connection and consumes from it.
    await waitFor(
      async () => {
        const probe = await admin.createChannel();
        probe.on('error', () => undefined);
        const found = await probe.checkQueue(queue).then(
          (q) => q.consumerCount === 1,
          () => false,
        );
        await probe.close().catch(() => undefined);
        return found;
      },
      20_000,
      'the queue declared again with a consumer',
    );
    send(queue, '"after cancel"');
    await waitFor(() => fake.events.length === 1, 20_000, 'delivery after the cancel');
    await consumer.stop();
  });

  it('reconnects after rabbitmqctl force-closes its connection, and loses nothing', async () => {
    const queue = newQueue();
    const consumer = open(queue);
    const fake = fakeDeliver();
    await consumer.start(fake.deliver);
    for (let i = 0; i < 5; i += 1) send(queue, JSON.stringify({ i }), `m-${i}`);
    await waitFor(() => fake.events.length === 5, 20_000, 'first half');
    const { stdout } = await run('rabbitmqctl', ['-q', 'list_connections', 'pid', 'client_properties']);
    const line = stdout.split('\n').find((l) => l.includes(`mcp-trigger:${queue}`));
    expect(line, 'the consumer connection is listed').toBeTruthy();
    const pid = (line as string).split('\t')[0] as string;
    await run('rabbitmqctl', ['-q', 'close_connection', pid, 'test: forced close']);
    for (let i = 5; i < 10; i += 1) send(queue, JSON.stringify({ i }), `m-${i}`);
    await waitFor(() => new Set(fake.events.map((e) => e.id)).size === 10, 30_000, 'all ten after reconnect');
    await consumer.stop();
    expect(await ready(queue)).toBe(0);
  });
});
