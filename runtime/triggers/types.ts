/**
 * The contract between trigger sources (webhook, cron, file, queue consumers, database listeners, startup) and
 * the trigger runner. A source turns the outside world into TriggerEvents and hands each to `deliver`; the runner
 * maps it to a tool call, retries with backoff, records history, skips duplicates by idempotency key and
 * dead-letters what keeps failing. A source acknowledges to its broker only after `deliver` resolved, so a
 * process that dies mid-run gets the event again (at-least-once) and the idempotency key absorbs the repeat.
 */

export interface TriggerEvent {
  /**
   * The delivery's identity at its source (stream entry id, message id, JetStream sequence, a webhook's
   * `webhook-id`, a cron slot's scheduled time, a file's path + mtime). The idempotency key is derived from it,
   * so the same event delivered twice must carry the same id.
   */
  id: string;
  /** The event's data (parsed JSON when the source carries JSON, else a string); mapped into tool arguments. */
  payload: unknown;
  /** Source-specific facts a mapping may use (headers, routing key, subject, file path, channel …). */
  meta?: Record<string, unknown>;
  /** When the source received it (ms since epoch). */
  receivedAt: number;
  /** How many times the broker delivered it before, when the broker says (0 the first time). */
  redeliveries?: number;
}

/**
 * What became of one event: the tool call succeeded; the key had already succeeded (nothing run again); or it
 * failed `maxAttempts` times and was dead-lettered by the runner. Every outcome means "acknowledge"; a source
 * whose broker has its own dead-letter route (RabbitMQ's dead-letter exchange, a Redis `<stream>:dead` stream)
 * sends `dead-lettered` events there.
 */
export type TriggerOutcome = 'succeeded' | 'duplicate' | 'dead-lettered';

/** Rejects only when the runner is stopping: the source must then leave the event unacknowledged. */
export type TriggerDeliver = (event: TriggerEvent) => Promise<TriggerOutcome>;

export interface TriggerSource {
  /** The trigger's type as in the spec (`cron`, `webhook`, `file`, `queue`, `database`, `startup`). */
  readonly type: string;
  /** Subscribes/starts; resolves once events can flow. Rejects with a clear message when it cannot connect. */
  start(deliver: TriggerDeliver): Promise<void>;
  /** Stops taking new events and waits for deliveries in flight; idempotent. */
  stop(): Promise<void>;
}

/**
 * One line of the history file (`<MCP_TRIGGER_STATE_DIR>/trigger-runs.jsonl`, append-only JSON Lines): one line
 * per attempt's end. The factory reads this file into its registry (status, logs, API); the server reads it
 * back at start to know which idempotency keys already succeeded.
 */
export interface TriggerRunRecord {
  /** Index of the trigger in the spec's `triggers` list, and its type. */
  trigger: number;
  type: string;
  tool: string;
  /** Idempotency key (derived from the event id; a spec may template it from the payload). */
  key: string;
  /** sha256 hex of the canonical JSON of the tool arguments. */
  inputHash: string;
  attempt: number;
  outcome: 'succeeded' | 'failed' | 'duplicate' | 'dead-lettered';
  /** ISO time the attempt started, and its duration. */
  startedAt: string;
  durationMs: number;
  /** The tool's error text (capped), for failed and dead-lettered attempts. */
  error?: string;
}

/** Env var naming the folder of the history file and dead letters; the supervisor sets it per deployment. */
export const TRIGGER_STATE_DIR_ENV = 'MCP_TRIGGER_STATE_DIR';
export const TRIGGER_HISTORY_FILE = 'trigger-runs.jsonl';

/** A queue trigger as the generated server passes it to `runtime/triggers/queue-<broker>.ts` `source()`. */
export interface QueueTriggerSettings {
  broker: 'redis' | 'rabbitmq' | 'nats' | 'mqtt';
  /** Stream (Redis), queue (RabbitMQ), subject (NATS), topic filter (MQTT). */
  topic: string;
  /** Broker-specific options from the spec (consumer group, prefetch, durable name, QoS …). */
  options: Record<string, unknown>;
}
