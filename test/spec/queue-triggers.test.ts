/**
 * Spec checks of `type: queue` triggers (src/core/spec/queue-trigger-check.ts and the queue variant in model.ts):
 * broker options are strict, typed and bound to their broker, NATS needs its stream, MQTT topic filters are well
 * formed, and a valid spec per broker loads without issues.
 */
import { describe, expect, it } from 'vitest';
import { loadSpecText } from '../../src/core/spec/index.js';

const head = `name: queues
tools:
  - name: t
    description: d
    static: { text: hi }
triggers:
`;
const issuesOf = (triggers: string) =>
  loadSpecText(head + triggers, { file: 'q.yaml' }).issues.map((i) => `${i.code}@${i.path}`);

describe('queue trigger spec checks', () => {
  it('accepts each broker with its own options', () => {
    expect(
      issuesOf(`  - { type: queue, broker: redis, urlEnv: REDIS_URL, topic: orders, tool: t, group: g, consumer: c, claimIdleMs: 5000, prefetch: 5, maxPayloadBytes: 2048 }
  - { type: queue, broker: rabbitmq, urlEnv: AMQP_URL, topic: orders, tool: t, prefetch: 2, passive: true, deadLetterExchange: dlx }
  - { type: queue, broker: nats, urlEnv: NATS_URL, topic: "orders.>", tool: t, stream: ORDERS, durable: worker, ackWaitMs: 5000, maxDeliver: 5 }
  - { type: queue, broker: mqtt, urlEnv: MQTT_URL, topic: "sensors/+/temp", tool: t, qos: 2, clientId: plant-1 }
`),
    ).toEqual([]);
  });

  it('rejects an option of another broker, a nats trigger without stream and malformed MQTT filters', () => {
    const codes =
      issuesOf(`  - { type: queue, broker: mqtt, urlEnv: MQTT_URL, topic: "a/#/b", tool: t, group: g }
  - { type: queue, broker: nats, urlEnv: NATS_URL, topic: orders, tool: t }
  - { type: queue, broker: mqtt, urlEnv: MQTT_URL, topic: "a/b+", tool: t }
  - { type: queue, broker: redis, urlEnv: REDIS_URL, topic: s, tool: t, deadLetterExchange: dlx }
`);
    expect(codes).toEqual(
      expect.arrayContaining([
        'SPEC_INVALID_TRIGGER@triggers[0].group',
        'SPEC_INVALID_TRIGGER@triggers[0].topic',
        'SPEC_INVALID_TRIGGER@triggers[1].stream',
        'SPEC_INVALID_TRIGGER@triggers[2].topic',
        'SPEC_INVALID_TRIGGER@triggers[3].deadLetterExchange',
      ]),
    );
  });

  it('rejects unknown, mistyped and out-of-range options (strict schema)', () => {
    const codes = issuesOf(`  - { type: queue, broker: redis, urlEnv: REDIS_URL, topic: s, tool: t, groop: g }
  - { type: queue, broker: redis, urlEnv: REDIS_URL, topic: s, tool: t, prefetch: 0 }
  - { type: queue, broker: mqtt, urlEnv: MQTT_URL, topic: a, tool: t, qos: 0 }
  - { type: queue, broker: nats, urlEnv: NATS_URL, topic: a, tool: t, stream: "bad stream.name" }
  - { type: queue, broker: redis, urlEnv: REDIS_URL, topic: s, tool: t, maxPayloadBytes: "big" }
`);
    for (const index of [0, 1, 2, 3, 4])
      expect(codes.some((c) => c.includes(`triggers[${index}]`))).toBe(true);
  });
});
