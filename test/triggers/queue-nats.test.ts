/**
 * NATS JetStream queue trigger source (runtime/triggers/queue-nats.ts) against a real nats-server: stream and
 * durable consumer created when missing, explicit ack after deliver, event id from the stream sequence or the
 * Nats-Msg-Id header, redelivery (with its count) when deliver rejects, term() for dead-lettered and oversized
 * messages (never redelivered, oversized never run), stop() waiting for runs in flight, an unreachable server, and a
 * private nats-server killed with SIGKILL and restarted on the same store.
 */
import { type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { source } from '../../runtime/triggers/queue-nats.js';
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

const gate = gates.nats();

describe.skipIf(!gate.url && !REQUIRE_SERVICES)('queue trigger: NATS JetStream', () => {
  const url = gate.url ?? '';
  let nc: NatsConnection;
  let manager: JetStreamManager;
  const streams: string[] = [];
  const sources: TriggerSource[] = [];

  /** A unique stream with one subject; names may not contain dots. */
  const newStream = () => {
    const name = uniqueName('mcpf_qt').replace(/[^A-Za-z0-9_-]/g, '_');
    streams.push(name);
    return { stream: name, subject: `mcpf.qt.${name}` };
  };
  const open = (subject: string, options: Record<string, unknown>, log = recordingLogger(), at = url) => {
    const created = source({ broker: 'nats', topic: subject, options }, at, log);
    sources.push(created);
    return created;
  };
  const publish = (subject: string, body: string, msgId?: string) => {
    const h = headers();
    if (msgId) h.set('Nats-Msg-Id', msgId);
    return jetstream(nc).publish(subject, body, msgId ? { headers: h } : {});
  };
  const pendingAcks = async (stream: string, durable = 'mcp-triggers') => {
    const info = await manager.consumers.info(stream, durable);
    return info.num_ack_pending + info.num_pending;
  };

  beforeAll(async () => {
    if (!gate.url) throw new Error(gate.missing);
    const parsed = new URL(url);
    nc = await connect({ servers: `${parsed.hostname}:${parsed.port || '4222'}` });
    manager = await jetstreamManager(nc);
  });

  afterAll(async () => {
    await stopAll(sources);
    if (nc) {
      for (const stream of streams) await manager.streams.delete(stream).catch(() => undefined);
      await nc.close();
    }
  });

  it('creates stream and consumer, delivers JSON and text, acks after deliver; never logs the token', async () => {
    const { stream, subject } = newStream();
    const log = recordingLogger();
    const consumer = open(subject, { stream }, log);
    const fake = fakeDeliver();
    await consumer.start(fake.deliver);
    await publish(subject, JSON.stringify({ sku: 'A-1' }), 'order-1');
    await publish(subject, 'plain text');
    await waitFor(() => fake.events.length === 2, 20_000, 'two deliveries');
    expect(fake.payloads()).toEqual([{ sku: 'A-1' }, 'plain text']);
    expect(fake.events[0]?.id).toBe('order-1');
    expect(fake.events[1]?.id).toBe(`${stream}:2`);
    await waitFor(async () => (await pendingAcks(stream)) === 0, 10_000, 'acked');
    await consumer.stop();
    expect(log.lines.join('\n')).toContain('127.0.0.1');
  });

  it('redelivers after the ack wait when deliver rejects, with the redelivery count (at-least-once)', async () => {
    const { stream, subject } = newStream();
    const first = open(subject, { stream, ackWaitMs: 1_000 });
    const refusing = fakeDeliver(async () => {
      throw new Error('runner stopping');
    });
    await first.start(refusing.deliver);
    await publish(subject, '{"n":1}');
    await waitFor(() => refusing.events.length >= 1, 20_000, 'first delivery');
    await first.stop();
    const second = open(subject, { stream, ackWaitMs: 1_000 });
    const accepting = fakeDeliver();
    await second.start(accepting.deliver);
    await waitFor(() => accepting.events.length === 1, 20_000, 'redelivery');
    expect(accepting.events[0]?.id).toBe(refusing.events[0]?.id);
    expect(accepting.events[0]?.redeliveries).toBeGreaterThanOrEqual(1);
    await waitFor(async () => (await pendingAcks(stream)) === 0, 10_000, 'acked');
    await second.stop();
  });

  it('terminates dead-lettered and oversized messages: never redelivered, oversized never run', async () => {
    const { stream, subject } = newStream();
    const consumer = open(subject, { stream, ackWaitMs: 1_000, maxPayloadBytes: 1024 });
    const fake = fakeDeliver(async (event) =>
      (event.payload as { poison?: boolean }).poison ? 'dead-lettered' : 'succeeded',
    );
    await consumer.start(fake.deliver);
    await publish(subject, JSON.stringify({ poison: true }));
    await publish(subject, JSON.stringify({ big: 'x'.repeat(4096) }));
    await publish(subject, JSON.stringify({ ok: true }));
    await waitFor(() => fake.events.length === 2, 20_000, 'two deliveries');
    await waitFor(async () => (await pendingAcks(stream)) === 0, 10_000, 'nothing pending');
    // Well past the ack wait: a terminated message would be back by now if term() had not been sent.
    await sleep(2_500);
    expect(fake.payloads()).toEqual([{ poison: true }, { ok: true }]);
    await consumer.stop();
  });

  it('starts over when its durable consumer is deleted underneath it', async () => {
    const { stream, subject } = newStream();
    const consumer = open(subject, { stream });
    const fake = fakeDeliver();
    await consumer.start(fake.deliver);
    await publish(subject, '"before"');
    await waitFor(() => fake.events.length === 1, 20_000, 'first delivery');
    await manager.consumers.delete(stream, 'mcp-triggers');
    await waitFor(
      () =>
        manager.consumers.info(stream, 'mcp-triggers').then(
          () => true,
          () => false,
        ),
      30_000,
      'the consumer created again',
    );
    await publish(subject, '"after"');
    // A new durable starts from the stream's start: "before" may come again (the idempotency key absorbs it).
    await waitFor(() => fake.payloads().includes('after'), 30_000, 'delivery after the restart');
    await consumer.stop();
  });

  it('stop() waits for a delivery in flight and acks it', async () => {
    const { stream, subject } = newStream();
    const consumer = open(subject, { stream });
    const held = deferred<'succeeded'>();
    const fake = fakeDeliver(() => held.promise);
    await consumer.start(fake.deliver);
    await publish(subject, '"slow"');
    await waitFor(() => fake.events.length === 1, 20_000, 'delivery started');
    let stopped = false;
    const stopping = consumer.stop().then(() => {
      stopped = true;
    });
    await sleep(300);
    expect(stopped).toBe(false);
    held.resolve('succeeded');
    await stopping;
    expect(await pendingAcks(stream)).toBe(0);
  });

  it('start() rejects with a clear message when the server is unreachable, without credentials', async () => {
    const port = await freePort();
    const { stream, subject } = newStream();
    const consumer = open(subject, { stream }, recordingLogger(), `nats://user:pa55word@127.0.0.1:${port}`);
    const error = await consumer.start(fakeDeliver().deliver).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(new RegExp(`cannot connect to NATS at 127\\.0\\.0\\.1:${port}`));
    expect(error?.message).not.toContain('pa55word');
  });

  it('survives a SIGKILL of a private nats-server (file store) and loses nothing', async () => {
    const broker = await privateBroker('nats');
    const raw = await connect({
      servers: `127.0.0.1:${broker.port}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 200,
    });
    try {
      const { stream, subject } = newStream();
      const consumer = open(subject, { stream }, recordingLogger(), broker.url);
      const fake = fakeDeliver();
      await consumer.start(fake.deliver);
      const js = jetstream(raw);
      for (let i = 0; i < 5; i += 1) await js.publish(subject, JSON.stringify({ i }));
      await waitFor(() => fake.events.length === 5, 20_000, 'first half');
      await broker.kill();
      await broker.start();
      // Publishing retries until JetStream is back (the stream is recovered from the store directory).
      for (let i = 5; i < 10; i += 1) {
        await waitFor(
          () =>
            js.publish(subject, JSON.stringify({ i })).then(
              () => true,
              () => false,
            ),
          30_000,
          'publish after restart',
        );
      }
      await waitFor(
        () => new Set(fake.payloads().map((p) => (p as { i: number }).i)).size === 10,
        40_000,
        'all ten',
      );
      await consumer.stop();
    } finally {
      await raw.close().catch(() => undefined);
      await broker.dispose();
    }
  });
});
