/**
 * What a spec's triggers add to a generated project: the runtime trigger definitions (data passed to
 * runtime/triggers/start.ts), the source modules imported by src/server.ts (only the kinds and brokers used),
 * the runtime/triggers/ files copied, and the packages the generated package.json needs.
 */
import type { ServerSpec, Trigger } from '../../core/spec/model.js';

type QueueTrigger = Extract<Trigger, { type: 'queue' }>;

/** Fields of the queue variant that are not broker options (everything else goes to `options`). */
const QUEUE_COMMON_FIELDS = new Set([
  'type',
  'broker',
  'urlEnv',
  'topic',
  'tool',
  'arguments',
  'description',
  'retry',
  'idempotencyKey',
  'concurrency',
]);

/** Runtime trigger files every server with triggers gets; sources are added per kind used. */
const CORE_FILES = [
  'types.ts',
  'definitions.ts',
  'template.ts',
  'history.ts',
  'runner.ts',
  'start.ts',
  'startup.ts',
];
const SOURCE_FILES: Record<string, string> = {
  cron: 'cron.ts',
  webhook: 'webhook.ts',
  file: 'file.ts',
  database: 'database.ts',
};
const SOURCE_EXPORTS: Record<string, string> = {
  cron: 'cronSource',
  webhook: 'webhookSource',
  file: 'fileSource',
  database: 'databaseSource',
};

/** Packages each source needs at run time (besides what every server has). */
const SOURCE_PACKAGES: Record<string, string[]> = {
  cron: ['croner'],
  webhook: ['standardwebhooks'],
  file: ['chokidar'],
  database: ['pg'],
};
export const QUEUE_PACKAGES: Record<QueueTrigger['broker'], string[]> = {
  redis: ['ioredis'],
  rabbitmq: ['amqplib'],
  nats: ['@nats-io/transport-node', '@nats-io/jetstream'],
  mqtt: ['mqtt'],
};

function kindsOf(spec: Pick<ServerSpec, 'triggers'>): Set<string> {
  return new Set(spec.triggers.map((t) => t.type));
}

function brokersOf(spec: Pick<ServerSpec, 'triggers'>): Array<QueueTrigger['broker']> {
  return [...new Set(spec.triggers.flatMap((t) => (t.type === 'queue' ? [t.broker] : [])))].sort();
}

/** Runtime files under runtime/triggers/ (relative to runtime/, e.g. `triggers/runner.ts`) this spec needs. */
export function triggerRuntimeFiles(spec: Pick<ServerSpec, 'triggers'>): Set<string> {
  if (!spec.triggers.length) return new Set();
  const kinds = kindsOf(spec);
  return new Set(
    [
      ...CORE_FILES,
      ...Object.entries(SOURCE_FILES).flatMap(([kind, file]) => (kinds.has(kind) ? [file] : [])),
      ...brokersOf(spec).map((b) => `queue-${b}.ts`),
      ...(brokersOf(spec).length ? ['queue-common.ts'] : []),
    ].map((f) => `triggers/${f}`),
  );
}

/** Run-time packages the spec's triggers need (for package.json dependencies). */
export function triggerPackages(spec: Pick<ServerSpec, 'triggers'>): string[] {
  const kinds = kindsOf(spec);
  return [
    ...new Set([
      ...Object.entries(SOURCE_PACKAGES).flatMap(([kind, pkgs]) => (kinds.has(kind) ? pkgs : [])),
      ...brokersOf(spec).flatMap((b) => QUEUE_PACKAGES[b]),
    ]),
  ];
}

/** Type packages the spec's triggers need (for devDependencies). */
export function triggerTypePackages(spec: Pick<ServerSpec, 'triggers'>): string[] {
  return kindsOf(spec).has('database') ? ['@types/pg'] : [];
}

/** The runtime definition of one trigger: the spec's fields, defaults left to the runtime. */
export function triggerDefinition(
  spec: Pick<ServerSpec, 'connections'>,
  trigger: Trigger,
): Record<string, unknown> {
  if (trigger.type === 'queue') {
    const options = Object.fromEntries(Object.entries(trigger).filter(([k]) => !QUEUE_COMMON_FIELDS.has(k)));
    const { type, broker, urlEnv, topic, tool } = trigger;
    return { ...common(trigger), type, broker, urlEnv, topic, tool, options };
  }
  if (trigger.type === 'database') {
    const connection = spec.connections.find((c) => c.name === trigger.connection);
    const urlEnv = connection && 'envVar' in connection ? connection.envVar : undefined;
    return { ...common(trigger), type: 'database', tool: trigger.tool, channel: trigger.channel, urlEnv };
  }
  const { description: _description, ...rest } = trigger;
  return rest;
}

function common(trigger: Trigger): Record<string, unknown> {
  return {
    ...(trigger.arguments ? { arguments: trigger.arguments } : {}),
    ...(trigger.retry ? { retry: trigger.retry } : {}),
    ...(trigger.idempotencyKey ? { idempotencyKey: trigger.idempotencyKey } : {}),
    ...(trigger.concurrency ? { concurrency: trigger.concurrency } : {}),
  };
}

/** The imports src/server.ts needs for the spec's triggers, and the `sources` object literal. */
export function triggerSourceWiring(spec: Pick<ServerSpec, 'triggers'>): {
  imports: string[];
  sources: string;
  /** Statements after the setup: webhook routes answer 503 (not 404) until their source started. */
  after: string[];
} {
  const kinds = kindsOf(spec);
  const imports: string[] = [];
  const entries: string[] = [];
  for (const [kind, file] of Object.entries(SOURCE_FILES)) {
    if (!kinds.has(kind)) continue;
    const name = SOURCE_EXPORTS[kind]!;
    const names = kind === 'webhook' ? `reserveWebhooks, ${name}` : name;
    imports.push(`import { ${names} } from './runtime/triggers/${file.replace(/\.ts$/, '.js')}';`);
    entries.push(`${kind}: ${name}`);
  }
  const brokers = brokersOf(spec);
  for (const broker of brokers)
    imports.push(`import { source as ${broker}QueueSource } from './runtime/triggers/queue-${broker}.js';`);
  if (brokers.length) entries.push(`queue: { ${brokers.map((b) => `${b}: ${b}QueueSource`).join(', ')} }`);
  const after = kinds.has('webhook') ? ['reserveWebhooks(triggerSetup.definitions);'] : [];
  return { imports, sources: `{ ${entries.join(', ')} }`, after };
}
