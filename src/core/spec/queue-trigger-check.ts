/**
 * Semantic checks of `type: queue` triggers the schema cannot express: each broker-specific option belongs to
 * one broker (a `group` on an MQTT trigger is a mistake, not a no-op), NATS needs its JetStream `stream`, and an
 * MQTT topic filter must be well formed. Pure: reports through `add`, never throws.
 */
import type { Trigger } from './model.js';
import type { PathSegment } from './path.js';
import type { AddIssue } from './rules.js';

type QueueTrigger = Extract<Trigger, { type: 'queue' }>;
type Broker = QueueTrigger['broker'];

/** Which brokers read each option; options not listed here (maxPayloadBytes) apply to all. */
const OPTION_BROKERS: Partial<Record<keyof QueueTrigger, readonly Broker[]>> = {
  prefetch: ['redis', 'rabbitmq', 'nats'],
  group: ['redis'],
  consumer: ['redis'],
  claimIdleMs: ['redis'],
  passive: ['rabbitmq'],
  deadLetterExchange: ['rabbitmq'],
  stream: ['nats'],
  durable: ['nats'],
  ackWaitMs: ['nats'],
  maxDeliver: ['nats'],
  qos: ['mqtt'],
  clientId: ['mqtt'],
};

export function checkQueueTrigger(
  trigger: QueueTrigger,
  at: (...rest: PathSegment[]) => PathSegment[],
  add: AddIssue,
): void {
  for (const [option, brokers] of Object.entries(OPTION_BROKERS) as [
    keyof QueueTrigger,
    readonly Broker[],
  ][]) {
    if (trigger[option] !== undefined && !brokers.includes(trigger.broker)) {
      add(
        'SPEC_INVALID_TRIGGER',
        `"${option}" applies to ${brokers.join('/')} queue triggers, not ${trigger.broker}`,
        at(option),
        `Remove "${option}" or change the broker.`,
      );
    }
  }
  if (trigger.broker === 'nats' && trigger.stream === undefined) {
    add(
      'SPEC_INVALID_TRIGGER',
      'a nats queue trigger needs the JetStream stream that holds its subject',
      at('stream'),
      'Add stream: ORDERS (it is created with the topic as its subject when missing).',
    );
  }
  if (trigger.broker === 'mqtt') {
    const problem = mqttFilterProblem(trigger.topic);
    if (problem)
      add(
        'SPEC_INVALID_TRIGGER',
        `invalid MQTT topic filter: ${problem}`,
        at('topic'),
        'E.g. sensors/+/temperature or orders/#.',
      );
  }
  if (trigger.broker === 'nats' && /[\s]/.test(trigger.topic)) {
    add(
      'SPEC_INVALID_TRIGGER',
      'a NATS subject cannot contain whitespace',
      at('topic'),
      'E.g. orders.created or orders.>.',
    );
  }
}

/** MQTT 5 §4.7: `#` only as the whole last level, `+` only as a whole level, no NUL. */
function mqttFilterProblem(filter: string): string | undefined {
  if (filter.includes('\u0000')) return 'it contains a NUL character';
  const levels = filter.split('/');
  for (const [i, level] of levels.entries()) {
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1))
      return '"#" must be the whole last level';
    if (level.includes('+') && level !== '+') return '"+" must be a whole level';
  }
  return undefined;
}
