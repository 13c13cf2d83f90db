/**
 * The runtime shape of each spec trigger (what the generated server.ts passes to startTriggers), and the
 * signature of each source module's factory. Dependency-free: a server imports only the source modules its
 * triggers use (cron.ts needs croner, webhook.ts standardwebhooks, file.ts chokidar, database.ts pg).
 */
import type { Logger } from '../logger.js';
import type { QueueTriggerSettings, TriggerSource } from './types.js';

export interface RetryPolicy {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface CronDefinition {
  schedule: string;
  timezone?: string;
  overlap?: boolean;
  missed?: 'skip' | 'run-once';
}

export interface WebhookDefinition {
  path: string;
  method: 'POST' | 'PUT' | 'GET';
  secretEnv?: string;
  unsigned?: boolean;
  schema?: Record<string, unknown>;
  maxBodyBytes?: number;
}

export interface FileDefinition {
  path: string;
  events: Array<'add' | 'change' | 'unlink'>;
  glob?: string;
  debounceMs?: number;
}

export interface DatabaseDefinition {
  channel: string;
  /** The env var holding the connection URL (the spec connection's `envVar`). */
  urlEnv: string;
}

interface CommonDefinition {
  tool: string;
  arguments?: Record<string, unknown>;
  idempotencyKey?: string;
  retry?: Partial<RetryPolicy>;
  concurrency?: number;
}

/** One spec trigger (the spec's fields; a database trigger's URL variable resolved from its connection). */
export type TriggerDefinition = CommonDefinition &
  (
    | ({ type: 'cron' } & CronDefinition)
    | ({ type: 'webhook' } & WebhookDefinition)
    | ({ type: 'file' } & FileDefinition)
    | ({ type: 'database' } & DatabaseDefinition)
    | { type: 'startup' }
    | ({ type: 'queue'; urlEnv: string } & QueueTriggerSettings)
  );

/** The source factories a server was built with (only those its triggers use). */
export interface SourceFactories {
  cron?: (definition: CronDefinition, lastRun: () => number | undefined, log: Logger) => TriggerSource;
  webhook?: (definition: WebhookDefinition, log: Logger) => TriggerSource;
  file?: (definition: FileDefinition, root: string, log: Logger) => TriggerSource;
  database?: (definition: DatabaseDefinition, log: Logger) => TriggerSource;
  /** `source` of runtime/triggers/queue-<broker>.ts, by broker. */
  queue?: Partial<
    Record<
      QueueTriggerSettings['broker'],
      (settings: QueueTriggerSettings, url: string, log: Logger) => TriggerSource
    >
  >;
}
