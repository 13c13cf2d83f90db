#!/usr/bin/env node
/**
 * Queue trigger benchmark (docs/queue-triggers.md): for each broker, publish → deliver latency (p50/p99 over
 * sequential messages) and throughput (a burst of messages, published at once, until the last is delivered) of
 * the trigger source in runtime/triggers/queue-<broker>.ts, against a baseline measured in the same run: the raw
 * client consuming the same broker the plain way (XREADGROUP + XACK, basic.consume + ack, a JetStream pull
 * consumer + ack, a QoS 1 subscription). Variants alternate (raw, source, raw, source …) so background load hits
 * both alike; figures are medians over rounds and ratios source/raw. Nothing is asserted on time.
 *
 *   node bench/queue-triggers.mjs                       # every broker whose URL is set
 *   node bench/queue-triggers.mjs --only=redis,mqtt --quick
 *
 * URLs: MCP_FACTORY_TEST_REDIS_URL, MCP_FACTORY_TEST_RABBITMQ_URL, MCP_FACTORY_TEST_NATS_URL,
 * MCP_FACTORY_TEST_MQTT_URL (as set by .ci/run). Knobs: BENCH_QUEUE_LATENCY (sequential messages per round, 300),
 * BENCH_QUEUE_BURST (messages per throughput round, 2000), BENCH_QUEUE_ROUNDS (3). Names are unique per run and
 * removed at the end. The last line is `BENCH_JSON {…}`.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { median, pct, ROOT, r1, r2, table } from './lib.mjs';

const { values: args } = parseArgs({ options: { only: { type: 'string' }, quick: { type: 'boolean' } } });
const quick = args.quick === true;
const LATENCY_N = Number(process.env.BENCH_QUEUE_LATENCY ?? (quick ? 60 : 300));
const BURST_N = Number(process.env.BENCH_QUEUE_BURST ?? (quick ? 300 : 2000));
const ROUNDS = Number(process.env.BENCH_QUEUE_ROUNDS ?? (quick ? 1 : 3));
const URLS = {
  redis: process.env.MCP_FACTORY_TEST_REDIS_URL,
  rabbitmq: process.env.MCP_FACTORY_TEST_RABBITMQ_URL,
  nats: process.env.MCP_FACTORY_TEST_NATS_URL,
  mqtt: process.env.MCP_FACTORY_TEST_MQTT_URL,
};
const selected = (args.only ? args.only.split(',') : Object.keys(URLS)).filter((b) => {
  if (URLS[b]) return true;
  process.stderr.write(`[skip] ${b}: no URL (see the header of this file)\n`);
  return false;
});
const RUN = `mcpf-bench-${process.pid}-${Date.now().toString(36)}`;
const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
const watchdog = setTimeout(() => {
  process.stderr.write('queue bench: watchdog (10 min) fired\n');
  process.exit(2);
}, 600_000);
watchdog.unref();

/** The runtime sources are TypeScript: bundle them (broker clients stay external) into a scratch folder. */
async function loadSources() {
  const out = join(ROOT, '.tmp', `bench-queue-${process.pid}`);
  await mkdir(out, { recursive: true });
  const entryPoints = selected.map((b) => join(ROOT, 'runtime', 'triggers', `queue-${b}.ts`));
  await build({
    entryPoints,
    outdir: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'error',
  });
  const modules = {};
  for (const b of selected)
    modules[b] = (await import(pathToFileURL(join(out, `queue-${b}.js`)).href)).source;
  return { modules, cleanup: () => rm(out, { recursive: true, force: true }) };
}

// ---------- per broker: publisher, raw consumer, names, cleanup ----------

async function redisHarness(url) {
  const { Redis } = await import('ioredis');
  const client = new Redis(url);
  const names = [];
  return {
    name: (i) => {
      names.push(`${RUN}-${i}`, `${RUN}-${i}:dead`);
      return { topic: `${RUN}-${i}`, options: {} };
    },
    publish: (t, body) => client.xadd(t.topic, '*', 'payload', body),
    async raw(t, onMessage) {
      const reader = new Redis(url);
      await reader.xgroup('CREATE', t.topic, 'raw', '0', 'MKSTREAM');
      let running = true;
      const loop = (async () => {
        while (running) {
          const reply = await reader
            .xreadgroup('GROUP', 'raw', 'c1', 'COUNT', 10, 'BLOCK', 200, 'STREAMS', t.topic, '>')
            .catch(() => null);
          for (const [id, fields] of reply?.[0]?.[1] ?? []) {
            onMessage(JSON.parse(fields[1]));
            await reader.xack(t.topic, 'raw', id);
          }
        }
      })();
      return async () => {
        running = false;
        await loop;
        reader.disconnect();
      };
    },
    async close() {
      if (names.length) await client.del(...names);
      client.disconnect();
    },
  };
}

async function rabbitHarness(url) {
  const { connect } = await import('amqplib');
  const model = await connect(url);
  const channel = await model.createChannel();
  const names = [];
  return {
    name: (i) => {
      names.push(`${RUN}-${i}`);
      return { topic: `${RUN}-${i}`, options: {} };
    },
    publish: async (t, body) => {
      channel.sendToQueue(t.topic, Buffer.from(body));
    },
    async raw(t, onMessage) {
      // Its own connection, as the trigger source has: sharing the publisher's would measure a different thing.
      const own = await connect(url);
      const ch = await own.createChannel();
      await ch.assertQueue(t.topic, { durable: true });
      await ch.prefetch(10);
      const { consumerTag } = await ch.consume(t.topic, (m) => {
        onMessage(JSON.parse(m.content.toString()));
        ch.ack(m);
      });
      return async () => {
        await ch.cancel(consumerTag);
        await own.close();
      };
    },
    async prepare(t) {
      await channel.assertQueue(t.topic, { durable: true });
    },
    async close() {
      for (const q of names) await channel.deleteQueue(q).catch(() => undefined);
      await model.close();
    },
  };
}

async function natsHarness(url) {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstream, jetstreamManager, AckPolicy } = await import('@nats-io/jetstream');
  const u = new URL(url);
  const nc = await connect({ servers: `${u.hostname}:${u.port || 4222}` });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const streams = [];
  return {
    name: (i) => {
      const stream = `${RUN}-${i}`.replace(/[^A-Za-z0-9_-]/g, '_');
      streams.push(stream);
      return { topic: `bench.${stream}`, options: { stream } };
    },
    publish: (t, body) => js.publish(t.topic, body),
    async prepare(t) {
      await jsm.streams.add({ name: t.options.stream, subjects: [t.topic] });
    },
    async raw(t, onMessage) {
      await jsm.consumers.add(t.options.stream, { durable_name: 'raw', ack_policy: AckPolicy.Explicit });
      const consumer = await js.consumers.get(t.options.stream, 'raw');
      const messages = await consumer.consume({ max_messages: 10 });
      const loop = (async () => {
        for await (const m of messages) {
          onMessage(JSON.parse(Buffer.from(m.data).toString()));
          m.ack();
        }
      })();
      return async () => {
        await messages.close();
        await loop;
      };
    },
    async close() {
      for (const s of streams) await jsm.streams.delete(s).catch(() => undefined);
      await nc.close();
    },
  };
}

async function mqttHarness(url) {
  const { connectAsync } = await import('mqtt');
  const publisher = await connectAsync(url, { clientId: `${RUN}-pub` });
  const sessions = [];
  return {
    // Mosquitto queues at most 1000 QoS 1 messages per session (max_queued_messages) and drops the rest.
    maxBurst: 800,
    name: (i) => {
      sessions.push(`${RUN}-${i}`);
      return { topic: `bench/${RUN}/${i}`, options: { clientId: `${RUN}-${i}` } };
    },
    publish: (t, body) => publisher.publishAsync(t.topic, body, { qos: 1 }),
    async raw(t, onMessage) {
      const client = await connectAsync(url, { clientId: t.options.clientId, clean: false });
      client.on('message', (_topic, payload) => onMessage(JSON.parse(payload.toString())));
      await client.subscribeAsync(t.topic, { qos: 1 });
      return () => client.endAsync();
    },
    async close() {
      for (const clientId of sessions) {
        const c = await connectAsync(url, { clientId, clean: true }).catch(() => undefined);
        await c?.endAsync();
      }
      await publisher.endAsync();
    },
  };
}

const HARNESS = { redis: redisHarness, rabbitmq: rabbitHarness, nats: natsHarness, mqtt: mqttHarness };

// ---------- measuring ----------

/** Starts a consumer (raw or source) on a fresh name; returns latency samples and the burst throughput. */
async function measure(harness, t, startConsumer) {
  await harness.prepare?.(t);
  const waiters = new Map();
  let delivered = 0;
  const onMessage = (payload) => {
    delivered += 1;
    waiters.get(payload.seq)?.();
  };
  const stop = await startConsumer(t, onMessage);
  try {
    const arrived = (seq) => new Promise((resolve) => waiters.set(seq, resolve));
    const latencies = [];
    for (let seq = 0; seq < LATENCY_N; seq += 1) {
      const wait = arrived(seq);
      const t0 = performance.now();
      await harness.publish(t, JSON.stringify({ seq }));
      await withTimeout(wait, 30_000, `${t.topic}: message ${seq} not delivered`);
      latencies.push(performance.now() - t0);
      waiters.delete(seq);
    }
    const before = delivered;
    const burst = harness.maxBurst ? Math.min(BURST_N, harness.maxBurst) : BURST_N;
    const last = LATENCY_N + burst - 1;
    const done = arrived(last);
    const t0 = performance.now();
    const publishes = [];
    for (let seq = LATENCY_N; seq <= last; seq += 1)
      publishes.push(harness.publish(t, JSON.stringify({ seq })));
    await Promise.all(publishes);
    await withTimeout(done, 60_000, `${t.topic}: burst not delivered`);
    await waitUntil(() => delivered - before >= burst);
    const seconds = (performance.now() - t0) / 1000;
    return { latencies, perSecond: burst / seconds };
  } finally {
    await stop();
  }
}

async function withTimeout(promise, ms, message) {
  let timer;
  const expired = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitUntil(condition, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for deliveries');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function main() {
  if (selected.length === 0) {
    process.stderr.write('queue bench: no broker URL set; nothing to measure\n');
    return;
  }
  const { modules, cleanup } = await loadSources();
  const rows = [];
  const json = {};
  try {
    for (const broker of selected) {
      const harness = await HARNESS[broker](URLS[broker]);
      const results = { raw: [], source: [] };
      let index = 0;
      try {
        for (let round = 0; round < ROUNDS; round += 1) {
          process.stderr.write(`queue bench: ${broker} round ${round + 1}/${ROUNDS}\n`);
          results.raw.push(await measure(harness, harness.name(index++), (t, on) => harness.raw(t, on)));
          results.source.push(
            await measure(harness, harness.name(index++), async (t, on) => {
              const created = modules[broker](
                { broker, topic: t.topic, options: t.options },
                URLS[broker],
                silent,
              );
              await created.start(async (event) => {
                on(event.payload);
                return 'succeeded';
              });
              return () => created.stop();
            }),
          );
        }
      } finally {
        await harness.close();
      }
      const figures = (list) => ({
        p50: median(list.map((r) => median(r.latencies))),
        p99: median(
          list.map((r) =>
            pct(
              [...r.latencies].sort((a, b) => a - b),
              0.99,
            ),
          ),
        ),
        perSecond: median(list.map((r) => r.perSecond)),
      });
      const raw = figures(results.raw);
      const source = figures(results.source);
      json[broker] = { raw, source, rounds: ROUNDS, latencyN: LATENCY_N, burstN: BURST_N };
      rows.push([broker, 'raw client', r2(raw.p50), r2(raw.p99), r1(raw.perSecond), '', '', '']);
      rows.push([
        broker,
        'trigger source',
        r2(source.p50),
        r2(source.p99),
        r1(source.perSecond),
        r2(source.p50 / raw.p50),
        r2(source.p99 / raw.p99),
        r2(source.perSecond / raw.perSecond),
      ]);
    }
  } finally {
    await cleanup();
  }
  table(
    `Queue triggers: publish → deliver (${LATENCY_N} sequential, burst of ${BURST_N} (mqtt ≤ 800), median of ${ROUNDS} rounds)`,
    ['broker', 'consumer', 'p50 ms', 'p99 ms', 'msg/s', 'p50 ×raw', 'p99 ×raw', 'msg/s ×raw'],
    rows,
  );
  process.stdout.write(`BENCH_JSON ${JSON.stringify({ queueTriggers: json })}\n`);
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`queue bench failed: ${error.stack ?? error}\n`);
    process.exit(1);
  },
);
