/**
 * Redis Streams queue trigger source (runtime/triggers/queue-redis.ts) against a real Redis: consume + XACK after
 * deliver, at-least-once when deliver rejects or a consumer dies mid-delivery (XAUTOCLAIM reclaim) while a long
 * live run is never taken over, dead letters
 * in `<stream>:dead`, the payload cap, stop() waiting for runs in flight, an unreachable broker, a private
 * redis-server killed with SIGKILL and restarted, and an attack corpus of payloads checked by effect.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { source } from '../../runtime/triggers/queue-redis.js';
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

const gate = gates.redis();

describe.skipIf(!gate.url && !REQUIRE_SERVICES)('queue trigger: Redis Streams', () => {
  const url = gate.url ?? '';
  let admin: Redis;
  const streams: string[] = [];
  const sources: TriggerSource[] = [];

  const newStream = () => {
    const name = uniqueName('mcpf-qt');
    streams.push(name, `${name}:dead`);
    return name;
  };
  const open = (stream: string, options: Record<string, unknown> = {}, log = recordingLogger(), at = url) => {
    const created = source({ broker: 'redis', topic: stream, options }, at, log);
    sources.push(created);
    return created;
  };
  const pending = async (stream: string, group = 'mcp-triggers') =>
    ((await admin.xpending(stream, group)) as [number])[0];

  beforeAll(async () => {
    if (!gate.url) throw new Error(gate.missing);
    admin = new Redis(url, { lazyConnect: true });
    await admin.connect();
  });

  afterAll(async () => {
    await stopAll(sources);
    if (admin) {
      if (streams.length) await admin.del(...streams);
      admin.disconnect();
    }
  });

  it('delivers JSON and text payloads and acknowledges each after deliver resolved; never logs the password', async () => {
    const stream = newStream();
    const log = recordingLogger();
    // The default user has no password: Redis accepts any, so the URL can carry one for the leak check.
    const withPassword = url.replace('redis://', 'redis://default:hunter2-secret@');
    const consumer = open(stream, {}, log, withPassword);
    const fake = fakeDeliver();
    await consumer.start(fake.deliver);
    await admin.xadd(stream, '*', 'payload', JSON.stringify({ sku: 'A-1', qty: 3 }));
    await admin.xadd(stream, '*', 'payload', 'plain text, not JSON');
    await admin.xadd(stream, '*', 'kind', 'order', 'ref', '42');
    await waitFor(() => fake.events.length === 3, 20_000, 'three deliveries');
    expect(fake.payloads()).toEqual([
      { sku: 'A-1', qty: 3 },
      'plain text, not JSON',
      { kind: 'order', ref: '42' },
    ]);
    expect(new Set(fake.events.map((e) => e.id)).size).toBe(3);
    expect(fake.events.every((e) => e.redeliveries === 0)).toBe(true);
    await waitFor(async () => (await pending(stream)) === 0, 10_000, 'all acknowledged');
    await consumer.stop();
    expect(log.lines.join('\n')).not.toContain('hunter2-secret');
    expect(log.lines.join('\n')).toContain('127.0.0.1');
  });

  it('leaves an entry pending when deliver rejects; the next consumer reclaims it (at-least-once)', async () => {
    const stream = newStream();
    const first = open(stream, { claimIdleMs: 1_000 });
    const refusing = fakeDeliver(async () => {
      throw new Error('runner stopping');
    });
    await first.start(refusing.deliver);
    await admin.xadd(stream, '*', 'payload', '{"n":1}');
    await waitFor(() => refusing.events.length === 1, 20_000, 'first delivery');
    await first.stop();
    expect(await pending(stream)).toBe(1);

    const second = open(stream, { claimIdleMs: 1_000 });
    const accepting = fakeDeliver();
    await second.start(accepting.deliver);
    await waitFor(() => accepting.events.length === 1, 20_000, 'redelivery to the next consumer');
    expect(accepting.events[0]?.id).toBe(refusing.events[0]?.id);
    expect(accepting.events[0]?.redeliveries).toBeGreaterThanOrEqual(1);
    await waitFor(async () => (await pending(stream)) === 0, 10_000, 'acknowledged');
    await second.stop();
  });

  it("reclaims a dead consumer's pending entries after claimIdleMs", async () => {
    const stream = newStream();
    await admin.xgroup('CREATE', stream, 'mcp-triggers', '0', 'MKSTREAM');
    for (let i = 0; i < 5; i += 1) await admin.xadd(stream, '*', 'payload', JSON.stringify({ i }));
    // A consumer that read everything and died before acking.
    await admin.xreadgroup('GROUP', 'mcp-triggers', 'dead-consumer', 'COUNT', 10, 'STREAMS', stream, '>');
    expect(await pending(stream)).toBe(5);
    const live = open(stream, { claimIdleMs: 1_000 });
    const fake = fakeDeliver();
    await live.start(fake.deliver);
    await waitFor(() => fake.events.length === 5, 20_000, 'five reclaimed entries');
    expect(
      fake
        .payloads()
        .map((p) => (p as { i: number }).i)
        .sort(),
    ).toEqual([0, 1, 2, 3, 4]);
    await waitFor(async () => (await pending(stream)) === 0, 10_000, 'acknowledged');
    await live.stop();
  });

  it('a run longer than claimIdleMs is kept fresh and never taken over by another live consumer', async () => {
    const stream = newStream();
    const slow = open(stream, { claimIdleMs: 2_000 });
    const held = deferred<'succeeded'>();
    const first = fakeDeliver(() => held.promise);
    await slow.start(first.deliver);
    await admin.xadd(stream, '*', 'payload', '"long run"');
    await waitFor(() => first.events.length === 1, 20_000, 'the long run started');
    const other = open(stream, { claimIdleMs: 2_000 });
    const second = fakeDeliver();
    await other.start(second.deliver);
    // Three times claimIdleMs: without the touches the entry would be reclaimed by now.
    await sleep(6_000);
    expect(second.events).toHaveLength(0);
    held.resolve('succeeded');
    await waitFor(async () => (await pending(stream)) === 0, 10_000, 'acknowledged by its own consumer');
    await Promise.all([slow.stop(), other.stop()]);
    expect(first.events).toHaveLength(1);
  });

  it('XADDs dead-lettered and oversized entries to <stream>:dead; oversized ones are never delivered', async () => {
    const stream = newStream();
    const consumer = open(stream, { maxPayloadBytes: 1024 });
    const fake = fakeDeliver(async (event) =>
      (event.payload as { poison?: boolean }).poison ? 'dead-lettered' : 'succeeded',
    );
    await consumer.start(fake.deliver);
    await admin.xadd(stream, '*', 'payload', JSON.stringify({ poison: true }));
    await admin.xadd(stream, '*', 'payload', JSON.stringify({ big: 'x'.repeat(4096) }));
    await admin.xadd(stream, '*', 'payload', JSON.stringify({ ok: true }));
    await waitFor(async () => (await admin.xlen(`${stream}:dead`)) === 2, 20_000, 'two dead letters');
    await waitFor(() => fake.events.length === 2, 10_000, 'two deliveries');
    expect(fake.payloads()).toEqual([{ poison: true }, { ok: true }]);
    const dead = (await admin.xrange(`${stream}:dead`, '-', '+')).map(([, fields]) => fields[3]);
    expect(dead.sort()).toEqual(['dead-lettered', 'payload too large']);
    await waitFor(async () => (await pending(stream)) === 0, 10_000, 'acknowledged');
    await consumer.stop();
  });

  it('stop() waits for a delivery in flight and acknowledges it', async () => {
    const stream = newStream();
    const consumer = open(stream);
    const gateOpen = deferred<'succeeded'>();
    const fake = fakeDeliver(() => gateOpen.promise);
    await consumer.start(fake.deliver);
    await admin.xadd(stream, '*', 'payload', '"slow"');
    await waitFor(() => fake.events.length === 1, 20_000, 'delivery started');
    let stopped = false;
    const stopping = consumer.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stopped).toBe(false);
    gateOpen.resolve('succeeded');
    await stopping;
    expect(await pending(stream)).toBe(0);
  });

  it('start() rejects with a clear message when Redis is unreachable, without the password', async () => {
    const port = await freePort();
    const consumer = open(newStream(), {}, recordingLogger(), `redis://user:pa55word@127.0.0.1:${port}`);
    const error = await consumer.start(fakeDeliver().deliver).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(new RegExp(`cannot connect to Redis at 127\\.0\\.0\\.1:${port}`));
    expect(error?.message).not.toContain('pa55word');
  });

  it('attack corpus: hostile payloads are data, never code; the consumer keeps answering', async () => {
    const stream = newStream();
    const consumer = open(stream);
    const fake = fakeDeliver();
    await consumer.start(fake.deliver);
    const corpus = [
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
      '\u0000\u0001 binary-ish \uFFFD',
      '{"unterminated": ',
      '../../../etc/passwd',
      '$(touch /tmp/mcpf-pwned)',
      '',
    ];
    for (const body of corpus) await admin.xadd(stream, '*', 'payload', body);
    await admin.xadd(stream, '*', 'payload', '"still alive"');
    await waitFor(() => fake.events.length === corpus.length + 1, 20_000, 'corpus delivered');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(fake.payloads()[2]).toBe('{"unterminated": ');
    expect(fake.payloads()[5]).toBe('');
    expect(fake.payloads().at(-1)).toBe('still alive');
    await consumer.stop();
  });

  it('survives a broker restart (SIGKILL of a private redis-server) without losing a message', async () => {
    const broker = await privateBroker('redis');
    const raw = new Redis(broker.url, { lazyConnect: true, maxRetriesPerRequest: null });
    raw.on('error', () => undefined); // the broker is killed on purpose
    try {
      await raw.connect();
      const stream = uniqueName('mcpf-qt-restart');
      const consumer = open(stream, {}, recordingLogger(), broker.url);
      const fake = fakeDeliver();
      await consumer.start(fake.deliver);
      for (let i = 0; i < 5; i += 1) await raw.xadd(stream, '*', 'payload', JSON.stringify({ i }));
      await waitFor(() => fake.events.length === 5, 20_000, 'first half');
      await broker.kill();
      await broker.start();
      for (let i = 5; i < 10; i += 1) await raw.xadd(stream, '*', 'payload', JSON.stringify({ i }));
      await waitFor(
        () => new Set(fake.payloads().map((p) => (p as { i: number }).i)).size === 10,
        30_000,
        'all ten',
      );
      await waitFor(
        async () => ((await raw.xpending(stream, 'mcp-triggers')) as [number])[0] === 0,
        10_000,
        'acked',
      );
      await consumer.stop();
    } finally {
      raw.disconnect();
      await broker.dispose();
    }
  });
});
